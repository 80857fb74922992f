package models

import (
	"fmt"
	"testing"
	"time"
)

// TestOverduePerPersonMatchesTheRows: the overdue plans per person that the
// manager's start page and digest show, and the salesperson's own count,
// read from open_plan_counts (migration *_open_plan_counts.sql), equal a count of the rows
// after plans are added, moved to another owner or day, cancelled, done,
// deleted (into the bin and back) and changed by raw SQL, for a manager and
// for a salesperson.
func TestOverduePerPersonMatchesTheRows(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC)
	e.setClock(now)
	c1 := e.create(e.sales1, Customer{Kind: "customer", Name: "一号客户有限公司"})
	c2 := e.create(e.sales2, Customer{Kind: "customer", Name: "二号客户有限公司"})
	var ids []int64
	// Plans from 2026-03-05 to 2026-03-14: five before today, one today,
	// the rest after.
	for i := range 10 {
		actor, cu := e.sales1, c1
		if i%3 == 2 {
			actor, cu = e.sales2, c2
		}
		p := &Plan{Date: fmt.Sprintf("2026-03-%02d", 5+i), CustomerID: cu.ID, Subject: "回访", RemindMinutes: -1}
		if err := e.db.SavePlan(e.ctx, actor, p); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	check := func(when string) {
		t.Helper()
		for _, actor := range []Actor{e.manager, e.sales1, e.sales2} {
			want := map[int64]DigestOverdue{}
			cond := "1"
			if !(actor.Scope(ModActivities) == ScopeAll) {
				cond = fmt.Sprintf("owner_id = %d", actor.ID)
			}
			rows, err := e.db.Read.Query(`SELECT owner_id, COUNT(*), MIN(date) FROM plans
				WHERE status = 'planned' AND date < '2026-03-10' AND ` + cond + ` GROUP BY owner_id`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var o DigestOverdue
				if err := rows.Scan(&o.OwnerID, &o.Count, &o.Oldest); err != nil {
					t.Fatal(err)
				}
				want[o.OwnerID] = o
			}
			rows.Close()
			d, err := e.db.BuildTeamWeek(e.ctx, actor, "2026-03-09", "2026-03-10", now)
			if err != nil {
				t.Fatal(err)
			}
			if len(d.OverduePlans) != len(want) {
				t.Errorf("%s, as %d: %d people with overdue plans, want %d (%+v)", when, actor.ID, len(d.OverduePlans), len(want), d.OverduePlans)
			}
			for _, got := range d.OverduePlans {
				if w := want[got.OwnerID]; got.Count != w.Count || got.Oldest != w.Oldest {
					t.Errorf("%s, as %d: owner %d has %d overdue from %s, want %d from %s", when, actor.ID, got.OwnerID,
						got.Count, got.Oldest, w.Count, w.Oldest)
				}
			}
			for _, owner := range []int64{e.sales1.ID, e.sales2.ID} {
				n, err := e.db.CountOverduePlans(e.ctx, actor, owner, "2026-03-10")
				if err != nil || n != want[owner].Count {
					t.Errorf("%s, as %d: CountOverduePlans(%d) = %d (%v), want %d", when, actor.ID, owner, n, err, want[owner].Count)
				}
			}
		}
	}
	check("after adding")
	if err := e.db.CancelPlan(e.ctx, e.sales1, ids[0]); err != nil {
		t.Fatal(err)
	}
	check("after a cancel")
	if _, err := e.db.Write.Exec(`UPDATE plans SET owner_id = ? WHERE id = ?`, e.sales2.ID, ids[1]); err != nil {
		t.Fatal(err)
	}
	check("after a change of owner")
	if _, err := e.db.Write.Exec(`UPDATE plans SET status = 'done' WHERE id = ?`, ids[3]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.Exec(`UPDATE plans SET status = 'planned', owner_id = ? WHERE id = ?`, e.sales1.ID, ids[0]); err != nil {
		t.Fatal(err)
	}
	check("after raw status changes")
	p, err := e.db.GetPlan(e.ctx, e.sales1, ids[6])
	if err != nil {
		t.Fatal(err)
	}
	p.Date = "2026-03-01"
	if err := e.db.SavePlan(e.ctx, e.sales1, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.Exec(`UPDATE plans SET date = '2026-03-20' WHERE id = ?`, ids[2]); err != nil {
		t.Fatal(err)
	}
	check("after moving plans to other days")
	bin, err := e.db.DeleteRecord(e.ctx, e.manager, "plan", ids[4])
	if err != nil {
		t.Fatal(err)
	}
	check("after a delete")
	if _, _, err := e.db.RestoreTrash(e.ctx, e.manager, bin); err != nil {
		t.Fatal(err)
	}
	check("after the restore")
	// A later day: the plans of today and tomorrow become overdue.
	now = now.AddDate(0, 0, 2)
	e.setClock(now)
	d, err := e.db.BuildTeamWeek(e.ctx, e.manager, "2026-03-09", "2026-03-12", now)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, o := range d.OverduePlans {
		total += o.Count
	}
	var want int
	if err := e.db.Read.QueryRow(`SELECT COUNT(*) FROM plans WHERE status = 'planned' AND date < '2026-03-12'`).Scan(&want); err != nil {
		t.Fatal(err)
	}
	if total != want {
		t.Errorf("two days later: %d overdue, want %d", total, want)
	}
}

// TestIdleCustomersMatchesTheRows: the start page's "not contacted since"
// count, worked out as all customers less the inactive and the recently
// contacted ones, equals counting the active ones contacted on or before the
// day (or never), for salespeople and a manager.
func TestIdleCustomersMatchesTheRows(t *testing.T) {
	e := newEnv(t)
	e.setClock(time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC))
	for i, c := range []struct {
		owner  Actor
		last   string
		status string
	}{
		{e.sales1, "", "active"}, {e.sales1, "2026-01-05", "active"}, {e.sales1, "2026-02-08", "active"},
		{e.sales1, "2026-02-09", "active"}, {e.sales1, "2026-03-09", "active"}, {e.sales1, "2026-01-01", "inactive"},
		{e.sales1, "2026-03-01", "inactive"}, {e.sales2, "", "active"}, {e.sales2, "2026-03-02", "active"},
	} {
		cu := e.create(c.owner, Customer{Kind: "customer", Name: fmt.Sprintf("闲置测试%d有限公司", i)})
		if _, err := e.db.Write.Exec(`UPDATE customers SET last_activity_date = NULLIF(?, ''), status = ? WHERE id = ?`,
			c.last, c.status, cu.ID); err != nil {
			t.Fatal(err)
		}
	}
	e.create(e.sales1, Customer{Kind: "prospect", Name: "潜在客户不计入有限公司"})
	for _, actor := range []Actor{e.sales1, e.sales2, e.manager} {
		for _, day := range []string{"2026-02-08", "2026-03-09", "2025-12-31"} {
			cond := "1"
			if actor.Scope(ModCustomers) != ScopeAll {
				cond = fmt.Sprintf("owner_id = %d", actor.ID)
			}
			var want int
			if err := e.db.Read.QueryRow(`SELECT COUNT(*) FROM customers WHERE kind = 'customer' AND status = 'active'
				AND COALESCE(last_activity_date, '') <= ? AND `+cond, day).Scan(&want); err != nil {
				t.Fatal(err)
			}
			got, err := e.db.IdleCustomers(e.ctx, actor, day)
			if err != nil || got != want {
				t.Errorf("as %s, not contacted since %s: %d (%v), want %d", actor.Role, day, got, err, want)
			}
		}
	}
}
