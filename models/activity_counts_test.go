package models

import (
	"fmt"
	"testing"
	"time"
)

// TestActivityCountsMatchTheRows: the list totals read from activity_counts
// (migration 0015) equal COUNT(*) after records are added, moved to another
// owner, and deleted (into the bin and back), for every view they serve.
func TestActivityCountsMatchTheRows(t *testing.T) {
	e := newEnv(t)
	e.setClock(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	c1 := e.create(e.sales1, Customer{Kind: "customer", Name: "一号客户有限公司"})
	c2 := e.create(e.sales2, Customer{Kind: "customer", Name: "二号客户有限公司"})
	var ids []int64
	for i := range 5 {
		actor, cu := e.sales1, c1
		if i >= 3 {
			actor, cu = e.sales2, c2
		}
		a := &Activity{Date: "2026-03-0" + fmt.Sprint(i+1), CustomerID: cu.ID, Subject: "拜访"}
		if err := e.db.SaveActivity(e.ctx, actor, a); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	check := func(when string) {
		t.Helper()
		for _, v := range []struct {
			actor Actor
			f     ActivityFilter
		}{
			{e.manager, ActivityFilter{}},
			{e.manager, ActivityFilter{SalesFilter: SalesFilter{OwnerID: e.sales1.ID}}},
			{e.manager, ActivityFilter{SalesFilter: SalesFilter{OwnerID: e.sales2.ID}}},
			{e.sales1, ActivityFilter{}},
			{e.sales2, ActivityFilter{}},
			{e.sales1, ActivityFilter{SalesFilter: SalesFilter{OwnerID: e.sales2.ID}}},
			{e.sales1, ActivityFilter{SalesFilter: SalesFilter{From: "2026-03-02"}}},
		} {
			where, args := v.f.where(v.actor)
			var want int
			if err := e.db.Read.QueryRow(`SELECT COUNT(*) FROM activities a WHERE `+where, args...).Scan(&want); err != nil {
				t.Fatal(err)
			}
			page, err := e.db.ListActivities(e.ctx, v.actor, v.f)
			if err != nil || page.Total != want {
				t.Errorf("%s: %+v as %d: total %d (%v), want %d", when, v.f, v.actor.ID, page.Total, err, want)
			}
		}
	}
	check("after adding")
	if _, err := e.db.Write.Exec(`UPDATE activities SET owner_id = ? WHERE id = ?`, e.sales2.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	check("after a change of owner")
	bin, err := e.db.DeleteRecord(e.ctx, e.manager, "activity", ids[4])
	if err != nil {
		t.Fatal(err)
	}
	check("after a delete")
	if _, _, err := e.db.RestoreTrash(e.ctx, e.manager, bin); err != nil {
		t.Fatal(err)
	}
	check("after the restore")
}

// TestDeletingTheOnlyActivity: a customer whose only activity record goes
// to the bin has no latest activity any more (it failed on the NOT NULL
// text column before), and gets it back with the restore.
func TestDeletingTheOnlyActivity(t *testing.T) {
	e := newEnv(t)
	cu := e.create(e.sales1, Customer{Kind: "customer", Name: "唯一记录客户有限公司"})
	a := &Activity{Date: "2026-03-02", CustomerID: cu.ID, Subject: "首次拜访"}
	if err := e.db.SaveActivity(e.ctx, e.sales1, a); err != nil {
		t.Fatal(err)
	}
	bin, err := e.db.DeleteRecord(e.ctx, e.sales1, "activity", a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.get("customer", cu.ID); got.LastActivityDate != "" || got.LastActivityContent != "" {
		t.Errorf("after the delete: %q %q", got.LastActivityDate, got.LastActivityContent)
	}
	if _, _, err := e.db.RestoreTrash(e.ctx, e.sales1, bin); err != nil {
		t.Fatal(err)
	}
	if got := e.get("customer", cu.ID); got.LastActivityDate != "2026-03-02" || got.LastActivityContent != "首次拜访" {
		t.Errorf("after the restore: %q %q", got.LastActivityDate, got.LastActivityContent)
	}
}
