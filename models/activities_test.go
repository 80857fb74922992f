package models

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// actDB is a fresh database with one salesperson owning one customer.
type actDB struct {
	*DB
	t        *testing.T
	sales    Actor
	customer int64
}

func newActDB(t *testing.T) *actDB {
	t.Helper()
	td := &actDB{DB: newTestDB(t), t: t}
	td.sales = td.user("zhang", RoleSales)
	td.customer = td.newCustomer(td.sales, "customer", "上海测试有限公司")
	return td
}

func (td *actDB) user(name string, role Role) Actor {
	td.t.Helper()
	id, err := td.CreateUser(context.Background(), 0, NewUser{Username: name, DisplayName: name, Role: role, Password: "keyuan-test-pw-2026"})
	if err != nil {
		td.t.Fatal(err)
	}
	return Actor{ID: id, Role: role}
}

func (td *actDB) newCustomer(owner Actor, kind, name string) int64 {
	td.t.Helper()
	c := &Customer{Kind: kind, Name: name, OwnerID: owner.ID}
	if err := td.CreateCustomer(context.Background(), owner, c, nil); err != nil {
		td.t.Fatal(err)
	}
	return c.ID
}

func (td *actDB) plansOf(activityID int64) []Plan {
	td.t.Helper()
	page, err := td.ListPlans(context.Background(), Actor{Role: RoleAdmin}, PlanFilter{SalesFilter: SalesFilter{PerPage: 500}})
	if err != nil {
		td.t.Fatal(err)
	}
	var out []Plan
	for _, p := range page.Rows {
		if p.SourceActivityID == activityID {
			out = append(out, p)
		}
	}
	return out
}

func TestNextActivityRule(t *testing.T) {
	ctx := context.Background()
	type next struct{ subject, date, time string }
	cases := []struct {
		name      string
		first     next
		edit      *next // nil: no edit
		wantPlans int
		wantDate  string
		wantTime  string
		wantSubj  string
	}{
		{name: "all three filled: plan created", first: next{"回访报价", "2026-03-10", "10:00"},
			wantPlans: 1, wantDate: "2026-03-10", wantTime: "10:00", wantSubj: "回访报价"},
		{name: "none filled: no plan", first: next{}, wantPlans: 0},
		{name: "subject missing: no plan", first: next{"", "2026-03-10", "10:00"}, wantPlans: 0},
		{name: "date missing: no plan", first: next{"回访", "", "10:00"}, wantPlans: 0},
		{name: "time missing: no plan", first: next{"回访", "2026-03-10", ""}, wantPlans: 0},
		{name: "edit: same plan updated, no duplicate", first: next{"回访", "2026-03-10", "10:00"},
			edit: &next{"签合同", "2026-03-12", "14:30"}, wantPlans: 1, wantDate: "2026-03-12", wantTime: "14:30", wantSubj: "签合同"},
		{name: "edit clears one: existing plan untouched", first: next{"回访", "2026-03-10", "10:00"},
			edit: &next{"回访", "2026-03-11", ""}, wantPlans: 1, wantDate: "2026-03-10", wantTime: "10:00", wantSubj: "回访"},
		{name: "edit fills all three later: plan created then", first: next{"回访", "", ""},
			edit: &next{"回访", "2026-03-11", "09:00"}, wantPlans: 1, wantDate: "2026-03-11", wantTime: "09:00", wantSubj: "回访"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			td := newActDB(t)
			a := &Activity{Date: "2026-03-01", StartTime: "09:00", EndTime: "10:00", CustomerID: td.customer, Subject: "拜访",
				Content: "介绍新产品", NextSubject: tc.first.subject, NextDate: tc.first.date, NextTime: tc.first.time}
			if err := td.SaveActivity(ctx, td.sales, a); err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				a.NextSubject, a.NextDate, a.NextTime = tc.edit.subject, tc.edit.date, tc.edit.time
				if err := td.SaveActivity(ctx, td.sales, a); err != nil {
					t.Fatal(err)
				}
			}
			plans := td.plansOf(a.ID)
			if len(plans) != tc.wantPlans {
				t.Fatalf("plans = %d, want %d", len(plans), tc.wantPlans)
			}
			if tc.wantPlans == 0 {
				return
			}
			p := plans[0]
			if p.Date != tc.wantDate || p.Time != tc.wantTime || p.Subject != tc.wantSubj {
				t.Errorf("plan = %s %s %q, want %s %s %q", p.Date, p.Time, p.Subject, tc.wantDate, tc.wantTime, tc.wantSubj)
			}
			if p.Origin != "activity" || p.Status != "planned" || p.OwnerID != td.sales.ID || p.CustomerID != td.customer {
				t.Errorf("plan origin/status/owner/customer = %s/%s/%d/%d", p.Origin, p.Status, p.OwnerID, p.CustomerID)
			}
			if p.RemindMinutes != DefaultRemindMinutes {
				t.Errorf("remind = %d", p.RemindMinutes)
			}
		})
	}
}

func TestNextActivityLeavesFinishedPlanAlone(t *testing.T) {
	ctx := context.Background()
	td := newActDB(t)
	a := &Activity{Date: "2026-03-01", CustomerID: td.customer, Subject: "拜访", NextSubject: "回访", NextDate: "2026-03-10", NextTime: "10:00"}
	if err := td.SaveActivity(ctx, td.sales, a); err != nil {
		t.Fatal(err)
	}
	if err := td.CancelPlan(ctx, td.sales, a.NextPlanID); err != nil {
		t.Fatal(err)
	}
	a.NextDate = "2026-03-20"
	if err := td.SaveActivity(ctx, td.sales, a); err != nil {
		t.Fatal(err)
	}
	plans := td.plansOf(a.ID)
	if len(plans) != 1 || plans[0].Status != "cancelled" || plans[0].Date != "2026-03-10" {
		t.Fatalf("plans = %+v", plans)
	}
}

func TestWriteBackAndComplete(t *testing.T) {
	ctx := context.Background()
	td := newActDB(t)
	stages, err := td.AuxItemsOf(ctx, "sales_stage")
	if err != nil {
		t.Fatal(err)
	}
	a := &Activity{Date: "2026-03-05", CustomerID: td.customer, Subject: "报价", Content: "发送报价单", StageID: stages[2].ID,
		NextSubject: "回访", NextDate: "2026-03-10", NextTime: "10:00"}
	if err := td.SaveActivity(ctx, td.sales, a); err != nil {
		t.Fatal(err)
	}
	c, err := td.GetCustomer(ctx, td.sales, "customer", td.customer)
	if err != nil {
		t.Fatal(err)
	}
	if c.LastActivityDate != "2026-03-05" || c.LastActivityContent != "发送报价单" || c.StageID != stages[2].ID {
		t.Fatalf("write-back: %s %q %d", c.LastActivityDate, c.LastActivityContent, c.StageID)
	}
	// An older record does not overwrite newer news.
	old := &Activity{Date: "2026-02-01", CustomerID: td.customer, Subject: "初次电话", StageID: stages[0].ID}
	if err := td.SaveActivity(ctx, td.sales, old); err != nil {
		t.Fatal(err)
	}
	c, _ = td.GetCustomer(ctx, td.sales, "customer", td.customer)
	if c.LastActivityDate != "2026-03-05" || c.StageID != stages[2].ID {
		t.Fatalf("older record overwrote: %s %d", c.LastActivityDate, c.StageID)
	}
	// Completing the plan: a new record marks it done, once.
	done := &Activity{Date: "2026-03-10", CustomerID: td.customer, Subject: "回访", PlanID: a.NextPlanID}
	if err := td.SaveActivity(ctx, td.sales, done); err != nil {
		t.Fatal(err)
	}
	p, err := td.GetPlan(ctx, td.sales, a.NextPlanID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != "done" || p.DoneActivityID != done.ID {
		t.Fatalf("plan after complete: %s %d", p.Status, p.DoneActivityID)
	}
	again := &Activity{Date: "2026-03-10", CustomerID: td.customer, Subject: "回访", PlanID: a.NextPlanID}
	if err := td.SaveActivity(ctx, td.sales, again); !errors.Is(err, ErrConflict) {
		t.Fatalf("completing twice: %v", err)
	}
	if again.ID != 0 {
		var n int
		if err := td.Read.QueryRow(`SELECT COUNT(*) FROM activities WHERE id = ?`, again.ID).Scan(&n); err != nil || n != 0 {
			t.Fatalf("half-saved record: %d %v", n, err)
		}
	}
}

func TestActivityRowRules(t *testing.T) {
	ctx := context.Background()
	td := newActDB(t)
	other := td.user("li", RoleSales)
	theirs := td.newCustomer(other, "customer", "北京别人的客户")
	a := &Activity{Date: "2026-03-01", CustomerID: theirs, Subject: "偷看"}
	// Refused as a field error that says no more than for a customer that
	// does not exist.
	if err := td.SaveActivity(ctx, td.sales, a); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "customer: activity.counterpart_invalid") {
		t.Fatalf("colleague's counterpart: %v", err)
	}
	mine := &Activity{Date: "2026-03-01", CustomerID: td.customer, Subject: "拜访"}
	if err := td.SaveActivity(ctx, td.sales, mine); err != nil {
		t.Fatal(err)
	}
	if _, err := td.GetActivity(ctx, other, mine.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("colleague reads record: %v", err)
	}
	if _, err := td.Calendar(ctx, other, CalendarQuery{From: "2026-03-01", To: "2026-03-31", OwnerID: td.sales.ID, PerDay: 3}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("colleague's calendar: %v", err)
	}
}

func TestDistributeDates(t *testing.T) {
	count := func(ds []string) map[string]int {
		m := map[string]int{}
		for _, d := range ds {
			m[d]++
		}
		return m
	}
	cases := []struct {
		name         string
		start, end   string
		n, max       int
		skipWeekends bool
		want         map[string]int
		wantErr      bool
	}{
		{name: "even spread, remainder to the first days", start: "2026-03-02", end: "2026-03-04", n: 7,
			want: map[string]int{"2026-03-02": 3, "2026-03-03": 2, "2026-03-04": 2}},
		{name: "max per day fills days in order", start: "2026-03-02", end: "2026-03-06", n: 5, max: 2,
			want: map[string]int{"2026-03-02": 2, "2026-03-03": 2, "2026-03-04": 1}},
		{name: "weekends skipped", start: "2026-03-06", end: "2026-03-09", n: 4, skipWeekends: true, // Fri..Mon
			want: map[string]int{"2026-03-06": 2, "2026-03-09": 2}},
		{name: "weekends kept", start: "2026-03-06", end: "2026-03-09", n: 4,
			want: map[string]int{"2026-03-06": 1, "2026-03-07": 1, "2026-03-08": 1, "2026-03-09": 1}},
		{name: "one day", start: "2026-03-02", end: "2026-03-02", n: 3, want: map[string]int{"2026-03-02": 3}},
		{name: "too many for max per day", start: "2026-03-02", end: "2026-03-03", n: 5, max: 2, wantErr: true},
		{name: "only a weekend", start: "2026-03-07", end: "2026-03-08", n: 1, skipWeekends: true, wantErr: true},
		{name: "end before start", start: "2026-03-05", end: "2026-03-04", n: 1, wantErr: true},
		{name: "bad date", start: "2026-02-30", end: "2026-03-04", n: 1, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := DistributeDates(tc.start, tc.end, tc.n, tc.max, tc.skipWeekends)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("want error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n {
				t.Fatalf("len = %d", len(got))
			}
			for i := 1; i < len(got); i++ {
				if got[i] < got[i-1] {
					t.Fatalf("not in date order: %v", got)
				}
			}
			if c := count(got); !reflect.DeepEqual(c, tc.want) {
				t.Fatalf("per day = %v, want %v", c, tc.want)
			}
		})
	}
}

func TestBatchPlansAllOrNothing(t *testing.T) {
	ctx := context.Background()
	td := newActDB(t)
	other := td.user("li", RoleSales)
	second := td.newCustomer(td.sales, "prospect", "潜在客户甲")
	theirs := td.newCustomer(other, "customer", "别人的客户")
	b := BatchPlan{CustomerIDs: []int64{td.customer, second, theirs}, Dates: []string{"2026-03-02", "2026-03-02", "2026-03-03"},
		Subject: "新品发布会邀请", RemindMinutes: -1}
	if _, err := td.CreateBatchPlans(ctx, td.sales, b); !errors.Is(err, ErrNotFound) {
		t.Fatalf("batch with a colleague's customer: %v", err)
	}
	if n := len(td.plansOf(0)); n != 0 {
		t.Fatalf("half-saved batch: %d plans", n)
	}
	b.CustomerIDs, b.Dates = b.CustomerIDs[:2], b.Dates[:2]
	n, err := td.CreateBatchPlans(ctx, td.sales, b)
	if err != nil || n != 2 {
		t.Fatalf("batch: %d %v", n, err)
	}
	plans := td.plansOf(0)
	if len(plans) != 2 || plans[0].Code == plans[1].Code || plans[0].Origin != "batch" {
		t.Fatalf("plans = %+v", plans)
	}
	// Numbers continue the same counter as single plans.
	a := &Activity{Date: "2026-03-01", CustomerID: td.customer, Subject: "x", NextSubject: "y", NextDate: "2026-03-05", NextTime: "09:00"}
	if err := td.SaveActivity(ctx, td.sales, a); err != nil {
		t.Fatal(err)
	}
	if a.NextPlanCode <= plans[1].Code || a.NextPlanCode <= plans[0].Code {
		t.Fatalf("plan number %s not after batch %s/%s", a.NextPlanCode, plans[0].Code, plans[1].Code)
	}
}

func TestRemindersExactlyOnce(t *testing.T) {
	ctx := context.Background()
	td := newActDB(t)
	now := time.Date(2026, 3, 10, 1, 50, 0, 0, time.UTC) // 09:50 in Shanghai
	td.SetClock(func() time.Time { return now })
	p := &Plan{Date: "2026-03-10", Time: "10:00", CustomerID: td.customer, Subject: "回访", RemindMinutes: 15}
	if err := td.SavePlan(ctx, td.sales, p); err != nil {
		t.Fatal(err)
	}
	due, err := td.DueReminders(ctx, now, 100)
	if err != nil || len(due) != 1 || !due[0].NeedsNotice || !due[0].NeedsEmail {
		t.Fatalf("due = %+v %v", due, err)
	}
	for i := range 2 {
		ok, err := td.NotifyPlan(ctx, p.ID)
		if err != nil || ok != (i == 0) {
			t.Fatalf("notify #%d: %v %v", i, ok, err)
		}
		claimed, err := td.ClaimPlanEmail(ctx, p.ID)
		if err != nil || claimed != (i == 0) {
			t.Fatalf("claim #%d: %v %v", i, claimed, err)
		}
	}
	if n, _ := td.UnreadNotifications(ctx, td.sales.ID); n != 1 {
		t.Fatalf("unread = %d", n)
	}
	if due, _ := td.DueReminders(ctx, now, 100); len(due) != 0 {
		t.Fatalf("still due: %+v", due)
	}
	// A failed send releases the claim for another try.
	if err := td.FinishPlanEmail(ctx, p.ID, "", errors.New("smtp down")); err != nil {
		t.Fatal(err)
	}
	if claimed, _ := td.ClaimPlanEmail(ctx, p.ID); !claimed {
		t.Fatal("claim after failure")
	}
	// Rescheduling reminds again.
	p.Time = "11:00"
	if err := td.SavePlan(ctx, td.sales, p); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Hour)
	if due, _ := td.DueReminders(ctx, now, 100); len(due) != 1 {
		t.Fatalf("rescheduled plan not due: %+v", due)
	}
}

func TestConvertProspectMovesActivities(t *testing.T) {
	ctx := context.Background()
	td := newActDB(t)
	pid := td.newCustomer(td.sales, "prospect", "潜在客户乙")
	a := &Activity{Date: "2026-03-01", CustomerID: pid, Subject: "拜访", NextSubject: "回访", NextDate: "2026-03-09", NextTime: "10:00"}
	if err := td.SaveActivity(ctx, td.sales, a); err != nil {
		t.Fatal(err)
	}
	o := &Opportunity{Name: "年度采购", CustomerID: pid, AmountFen: 100000}
	if err := td.SaveOpportunity(ctx, td.sales, o); err != nil {
		t.Fatal(err)
	}
	cid, err := td.ConvertProspect(ctx, td.sales, pid)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := td.GetActivity(ctx, td.sales, a.ID)
	plan, _ := td.GetPlan(ctx, td.sales, a.NextPlanID)
	opp, _ := td.GetOpportunity(ctx, td.sales, o.ID)
	if got.CustomerID != cid || plan.CustomerID != cid || opp.CustomerID != cid {
		t.Fatalf("not moved: %d %d %d → %d", got.CustomerID, plan.CustomerID, opp.CustomerID, cid)
	}
}

func TestAuxItemInUseByActivities(t *testing.T) {
	ctx := context.Background()
	td := newActDB(t)
	methods, _ := td.AuxItemsOf(ctx, "activity_method")
	a := &Activity{Date: "2026-03-01", CustomerID: td.customer, Subject: "拜访", MethodID: methods[0].ID}
	if err := td.SaveActivity(ctx, td.sales, a); err != nil {
		t.Fatal(err)
	}
	if err := td.DeleteAuxItem(ctx, 0, "activity_method", methods[0].ID); !errors.Is(err, ErrInUse) {
		t.Fatalf("delete used method: %v", err)
	}
	if err := td.DeleteAuxItem(ctx, 0, "activity_method", methods[1].ID); err != nil {
		t.Fatalf("delete unused method: %v", err)
	}
}

func TestFen(t *testing.T) {
	for _, tc := range []struct {
		in   string
		fen  int64
		ok   bool
		back string
	}{{"1234.5", 123450, true, "1,234.50"}, {"¥1,000,000", 100000000, true, "1,000,000.00"}, {"0.07", 7, true, "0.07"},
		{"-1", 0, false, ""}, {"1.234", 0, false, ""}, {"abc", 0, false, ""}} {
		fen, ok := ParseFen(tc.in)
		if ok != tc.ok || fen != tc.fen {
			t.Errorf("ParseFen(%q) = %d %v", tc.in, fen, ok)
		}
		if ok && FormatFen(fen) != tc.back {
			t.Errorf("FormatFen(%d) = %s", fen, FormatFen(fen))
		}
	}
}
