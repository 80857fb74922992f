package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// dump is every row of the tables a customer's deletion touches, as text,
// for comparing the data before a delete and after its restore.
func dump(t *testing.T, db *DB) string {
	t.Helper()
	var b strings.Builder
	for _, table := range []string{"customers", "contacts", "customer_traits", "activities", "activity_competitors", "plans",
		"opportunities", "issues", "issue_handlings", "articles", "campaigns", "campaign_targets", "customer_counts"} {
		rows, err := readRows(context.Background(), db.Read, table, "1 = 1 ORDER BY 1, 2")
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			fmt.Fprintf(&b, "%s %v\n", table, r.Values)
		}
	}
	return b.String()
}

// customerWorld is a customer with something in every table that hangs on
// it, and rows elsewhere that link to it.
func customerWorld(t *testing.T) (*testEnv, *Customer, *Article, int64) {
	e := newEnv(t)
	ctx := e.ctx
	c := e.create(e.sales1, Customer{Kind: "customer", Name: "南京蓝海科技有限公司", IndustryID: e.aux("industry", "MFG")},
		Contact{Name: "王经理", Email: "wang@lanhai.example.cn"})
	var contactID int64
	e.db.Read.QueryRow(`SELECT id FROM contacts WHERE customer_id = ?`, c.ID).Scan(&contactID)
	a := &Activity{Date: "2026-03-01", CustomerID: c.ID, ContactID: contactID, Subject: "上门拜访", NextSubject: "回访",
		NextDate: "2026-03-05"}
	if err := e.db.SaveActivity(ctx, e.sales1, a); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SavePlan(ctx, e.sales1, &Plan{Date: "2026-03-09", CustomerID: c.ID, Subject: "送样品", RemindMinutes: -1}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SaveOpportunity(ctx, e.sales1, &Opportunity{Name: "年度采购", CustomerID: c.ID, Probability: 30}); err != nil {
		t.Fatal(err)
	}
	iss := &Issue{CustomerID: c.ID, ContactID: contactID, Subject: "打印机卡纸", Channel: "phone", Priority: "normal"}
	if err := e.db.CreateIssue(ctx, e.service, iss); err != nil {
		t.Fatal(err)
	}
	if err := e.db.AddHandling(ctx, e.service, &Handling{IssueID: iss.ID, HandledOn: "2026-03-02", Content: "已上门"}, "resolved"); err != nil {
		t.Fatal(err)
	}
	// An article written from the issue stays when the customer goes, and
	// gets its link back on restore.
	art := &Article{Title: "打印机卡纸的处理", Solution: "清理纸道", SourceIssueID: iss.ID}
	if err := e.db.SaveArticle(ctx, e.service, art); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Write.Exec(`UPDATE articles SET source_issue_id = ? WHERE id = ?`, iss.ID, art.ID); err != nil {
		t.Fatal(err)
	}
	m := &Campaign{Name: "新品发布会", StartDate: "2026-04-01", EndDate: "2026-04-01"}
	if err := e.db.SaveCampaign(ctx, e.sales1, m); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.AddTargetCustomers(ctx, e.sales1, m.ID, []int64{c.ID}); err != nil {
		t.Fatal(err)
	}
	return e, c, art, m.ID
}

func TestDeleteCustomerMovesItsTreeAndRestoresIt(t *testing.T) {
	e, c, art, campaign := customerWorld(t)
	ctx := e.ctx
	before := dump(t, e.db)
	if _, err := e.db.DeleteRecord(ctx, e.sales2, "customer", c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a colleague deleted the customer: %v", err)
	}
	if _, err := e.db.DeleteRecord(ctx, e.service, "customer", c.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("service staff deleted a customer: %v", err)
	}
	if dump(t, e.db) != before {
		t.Fatal("a refused delete changed data")
	}
	entry, err := e.db.DeleteRecord(ctx, e.sales1, "customer", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	for table, want := range map[string]int{"customers": 0, "contacts": 0, "activities": 0, "plans": 0, "opportunities": 0,
		"issues": 0, "issue_handlings": 0, "campaign_targets": 0, "articles": 1, "campaigns": 1} {
		var n int
		e.db.Read.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n)
		if n != want {
			t.Errorf("%s: %d rows after the delete, want %d", table, n, want)
		}
	}
	var total int
	e.db.Read.QueryRow(`SELECT COALESCE(SUM(n), 0) FROM customer_counts WHERE kind = 'customer' AND owner_id = 0 AND dim = ''`).Scan(&total)
	if total != 0 {
		t.Errorf("the list counter still counts the deleted customer: %d", total)
	}
	var link any
	e.db.Read.QueryRow(`SELECT source_issue_id FROM articles WHERE id = ?`, art.ID).Scan(&link)
	if link != nil {
		t.Errorf("the article still links to the deleted issue: %v", link)
	}
	var queued int
	e.db.Read.QueryRow(`SELECT COUNT(*) FROM search_queue WHERE (kind = 'customer' AND ref_id = ?) OR kind = 'issue' OR kind = 'contact'`, c.ID).Scan(&queued)
	if queued < 3 {
		t.Errorf("the index was not told of the deletion (%d queue entries)", queued)
	}
	list, err := e.db.TrashEntries(ctx, e.sales1, 10)
	if err != nil || len(list) != 1 || list[0].Code != c.Code || list[0].Rows < 8 {
		t.Fatalf("bin: %+v %v", list, err)
	}
	if other, _ := e.db.TrashEntries(ctx, e.sales2, 10); len(other) != 0 {
		t.Error("a colleague sees the salesperson's bin")
	}
	if _, _, err := e.db.RestoreTrash(ctx, e.sales2, entry); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a colleague restored: %v", err)
	}
	kind, id, err := e.db.RestoreTrash(ctx, e.sales1, entry)
	if err != nil || kind != "customer" || id != c.ID {
		t.Fatalf("restore: %s %d %v", kind, id, err)
	}
	if after := dump(t, e.db); after != before {
		t.Errorf("the restore is not exact:\nbefore:\n%s\nafter:\n%s", before, after)
	}
	var targets int
	e.db.Read.QueryRow(`SELECT COUNT(*) FROM campaign_targets WHERE campaign_id = ?`, campaign).Scan(&targets)
	if targets != 1 {
		t.Errorf("campaign targets after restore: %d", targets)
	}
	if n, _ := e.db.TrashEntries(ctx, e.sales1, 10); len(n) != 0 {
		t.Error("the entry stays in the bin after its restore")
	}
	var actions []string
	rows, _ := e.db.Read.Query(`SELECT action FROM audit_log WHERE entity = 'customer' AND entity_id = ? ORDER BY id`, c.ID)
	for rows.Next() {
		var a string
		rows.Scan(&a)
		actions = append(actions, a)
	}
	rows.Close()
	if got := strings.Join(actions, ","); !strings.HasSuffix(got, "delete,restore") {
		t.Errorf("history: %s", got)
	}
}

// TestRestoreAfterTheIDWasTaken: SQLite may give a deleted row's id to the
// next insert; the restore then gives the record a new id and points its
// dependents at it.
func TestRestoreAfterTheIDWasTaken(t *testing.T) {
	e := newEnv(t)
	c := e.create(e.sales1, Customer{Kind: "customer", Name: "最后一家"}, Contact{Name: "赵敏"})
	entry, err := e.db.DeleteRecord(e.ctx, e.sales1, "customer", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	reused := e.create(e.sales1, Customer{Kind: "customer", Name: "新来的"})
	if reused.ID != c.ID {
		t.Logf("SQLite did not reuse id %d (got %d); the remap is not exercised", c.ID, reused.ID)
	}
	_, id, err := e.db.RestoreTrash(e.ctx, e.sales1, entry)
	if err != nil {
		t.Fatal(err)
	}
	back := e.get("customer", id)
	if back.Name != "最后一家" || back.Code != c.Code {
		t.Fatalf("restored %+v", back)
	}
	var contact string
	e.db.Read.QueryRow(`SELECT name FROM contacts WHERE customer_id = ?`, id).Scan(&contact)
	if contact != "赵敏" {
		t.Errorf("the contact did not follow the new id: %q", contact)
	}
	if reused.ID == c.ID && id == c.ID {
		t.Error("restored over the record that took the id")
	}
}

func TestDeleteContactKeepsRecordsThatNamedIt(t *testing.T) {
	e, c, _, _ := customerWorld(t)
	var contactID int64
	e.db.Read.QueryRow(`SELECT id FROM contacts WHERE customer_id = ?`, c.ID).Scan(&contactID)
	entry, err := e.db.DeleteRecord(e.ctx, e.sales1, "contact", contactID)
	if err != nil {
		t.Fatal(err)
	}
	var activities, named int
	e.db.Read.QueryRow(`SELECT COUNT(*), COUNT(contact_id) FROM activities`).Scan(&activities, &named)
	if activities != 1 || named != 0 {
		t.Errorf("activities %d, still naming the contact %d", activities, named)
	}
	if _, _, err := e.db.RestoreTrash(e.ctx, e.sales1, entry); err != nil {
		t.Fatal(err)
	}
	e.db.Read.QueryRow(`SELECT COUNT(contact_id) FROM activities`).Scan(&named)
	if named != 1 {
		t.Error("the activity did not get its contact back")
	}
}

func TestPurgeAfterRetention(t *testing.T) {
	e := newEnv(t)
	c := e.create(e.sales1, Customer{Kind: "customer", Name: "过期的"})
	e.setClock(mustTime(t, "2026-03-01T08:00:00Z"))
	if _, err := e.db.DeleteRecord(e.ctx, e.sales1, "customer", c.ID); err != nil {
		t.Fatal(err)
	}
	e.setClock(mustTime(t, "2026-03-30T08:00:00Z"))
	if n, err := e.db.PurgeTrash(e.ctx, DefaultTrashDays); err != nil || n != 0 {
		t.Fatalf("purged %d before 30 days: %v", n, err)
	}
	e.setClock(mustTime(t, "2026-04-01T08:00:00Z"))
	if n, err := e.db.PurgeTrash(e.ctx, DefaultTrashDays); err != nil || n != 1 {
		t.Fatalf("purged %d after 30 days: %v", n, err)
	}
	var purged int
	e.db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE entity = 'customer' AND entity_id = ? AND action = 'purge'`, c.ID).Scan(&purged)
	if purged != 1 {
		t.Error("the purge is not in the history")
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestCardFindsItsProspectByIndex: the card's "converted from" lookup uses
// an index, not a scan of every customer.
func TestCardFindsItsProspectByIndex(t *testing.T) {
	db := newTestDB(t)
	rows, err := db.Read.Query(`EXPLAIN QUERY PLAN SELECT id, code FROM customers WHERE converted_to_id = ? LIMIT 1`, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		rows.Scan(&id, &parent, &unused, &detail)
		plan.WriteString(detail + "\n")
	}
	if !strings.Contains(plan.String(), "customers_converted_to") {
		t.Errorf("the lookup does not use the index:\n%s", plan.String())
	}
}

// TestCampaignCannotFinishBeforeItStarts (issue 19).
func TestCampaignCannotFinishBeforeItStarts(t *testing.T) {
	e := newEnv(t)
	e.setClock(mustTime(t, "2026-03-01T02:00:00Z"))
	m := &Campaign{Name: "未来的发布会", StartDate: "2026-04-01", EndDate: "2026-04-01", Status: "done"}
	errs, err := e.db.CheckCampaign(e.ctx, e.sales1, m)
	if err != nil || errs["status"] != "campaign.done_before_start" {
		t.Fatalf("finished before the start: %v %v", errs, err)
	}
	m.StartDate, m.EndDate = "2026-02-20", "2026-02-21"
	if errs, _ := e.db.CheckCampaign(e.ctx, e.sales1, m); errs.Any() {
		t.Errorf("a past campaign cannot be finished: %v", errs)
	}
}

// TestWinningMovesToTheWonStage (issue 19): winning left the deal (and its
// customer) at 商务谈判.
func TestWinningMovesToTheWonStage(t *testing.T) {
	e := newEnv(t)
	c := e.create(e.sales1, Customer{Kind: "customer", Name: "成交客户", StageID: e.aux("sales_stage", "S4")})
	won := &Opportunity{Name: "大单", CustomerID: c.ID, StageID: e.aux("sales_stage", "S4"), Probability: 60}
	lost := &Opportunity{Name: "小单", CustomerID: c.ID, StageID: e.aux("sales_stage", "S3"), Probability: 20}
	for _, o := range []*Opportunity{won, lost} {
		if err := e.db.SaveOpportunity(e.ctx, e.sales1, o); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.db.CloseOpportunity(e.ctx, e.sales1, won.ID, "won", "价格合适"); err != nil {
		t.Fatal(err)
	}
	if err := e.db.CloseOpportunity(e.ctx, e.sales1, lost.ID, "lost", "预算取消"); err != nil {
		t.Fatal(err)
	}
	w, _ := e.db.GetOpportunity(e.ctx, e.sales1, won.ID)
	l, _ := e.db.GetOpportunity(e.ctx, e.sales1, lost.ID)
	if w.StageID != e.aux("sales_stage", "S5") || l.StageID != e.aux("sales_stage", "S6") {
		t.Errorf("stages after closing: won %d, lost %d", w.StageID, l.StageID)
	}
	if got := e.get("customer", c.ID).StageID; got != e.aux("sales_stage", "S5") {
		t.Errorf("the customer's stage after a win: %d", got)
	}
}

// TestSpreadTimes (issue 19): a day's batch-planned visits were all at
// 09:30; they are spread, and start over after the working day.
func TestSpreadTimes(t *testing.T) {
	got := SpreadTimes([]string{"d1", "d1", "d1", "d2", "d2"}, "09:30", 90)
	want := []string{"09:30", "11:00", "12:30", "09:30", "11:00"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("spread %v, want %v", got, want)
	}
	late := SpreadTimes([]string{"d", "d", "d"}, "16:00", 120)
	if strings.Join(late, ",") != "16:00,18:00,16:00" {
		t.Errorf("after the working day: %v", late)
	}
	if all := SpreadTimes([]string{"d", "d"}, "", 60); all[0] != "" || all[1] != "" {
		t.Errorf("all-day plans got times: %v", all)
	}
}
