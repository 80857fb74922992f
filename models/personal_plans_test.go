package models

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// personalPlansMigration is the index of the *_personal_plans.sql migration.
func personalPlansMigration(t *testing.T, all []migration) int {
	t.Helper()
	for i, m := range all {
		if strings.HasSuffix(m.name, "_personal_plans.sql") {
			return i
		}
	}
	t.Fatal("no personal plans migration")
	return 0
}

// tableDump is every row of a table, in id order, as text.
func tableDump(t *testing.T, db *sql.DB, table string) string {
	t.Helper()
	var b strings.Builder
	rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	if err := EachRow(rows, func(row []any) error {
		fmt.Fprintln(&b, row...)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestPersonalPlansMigration builds a database with the schema before the
// plans table was rebuilt, fills it through the program (plans with and
// without reminders, a notification, open-plan counters), then applies the
// rebuild: every row, notification and counter is kept, the indexes and
// triggers equal a fresh database's, foreign keys and integrity check out,
// and a plan without a customer can be stored.
func TestPersonalPlansMigration(t *testing.T) {
	ctx := context.Background()
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	k := personalPlansMigration(t, all)
	path := filepath.Join(t.TempDir(), "old.db")
	w, err := sql.Open("sqlite3", dsn(path, false))
	if err != nil {
		t.Fatal(err)
	}
	w.SetMaxOpenConns(1)
	r, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	db := &DB{Write: w, Read: r, Path: path, changed: make(chan struct{}, 1)}
	db.Loc, _ = time.LoadLocation("Asia/Shanghai")
	if err := db.applyMigrations(ctx, all[:k]); err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	db.SetClock(func() time.Time { return time.Date(2026, 3, 10, 9, 0, 0, 0, time.UTC) })
	uid, err := db.CreateUser(ctx, 0, NewUser{Username: "sales", DisplayName: "业务员", Role: RoleSales, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	sales := Actor{ID: uid, Role: RoleSales}
	// The customer is written in SQL: the program's insert names columns
	// that later migrations add (the pinyin of the name, 0023).
	cu := &Customer{Kind: "customer", Name: "迁移前客户有限公司"}
	res, err := w.Exec(`INSERT INTO customers (kind, code, name, owner_id, status, created_at, updated_at)
		VALUES ('customer', 'KH0001', ?, ?, 'active', '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z')`, cu.Name, uid)
	if err != nil {
		t.Fatal(err)
	}
	if cu.ID, err = res.LastInsertId(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Exec(`INSERT INTO contacts (customer_id, name, is_primary, created_at, updated_at)
		VALUES (?, '王伟', 1, '2026-03-01T00:00:00Z', '2026-03-01T00:00:00Z')`, cu.ID); err != nil {
		t.Fatal(err)
	}
	var plans []int64
	for i, date := range []string{"2026-03-05", "2026-03-11", "2026-03-12"} {
		p := &Plan{Date: date, Time: "10:00", CustomerID: cu.ID, Subject: fmt.Sprintf("回访 %d", i), RemindMinutes: 15}
		if err := db.SavePlan(ctx, sales, p); err != nil {
			t.Fatal(err)
		}
		plans = append(plans, p.ID)
	}
	if err := db.CancelPlan(ctx, sales, plans[2]); err != nil {
		t.Fatal(err)
	}
	if ok, err := db.NotifyPlan(ctx, plans[1]); err != nil || !ok {
		t.Fatalf("notify: %v %v", ok, err)
	}
	before := map[string]string{}
	for _, table := range []string{"plans", "notifications", "open_plan_counts"} {
		before[table] = tableDump(t, w, table)
	}
	if !strings.Contains(before["notifications"], "plan_reminder") {
		t.Fatalf("no notification to keep:\n%s", before["notifications"])
	}

	if err := db.applyMigrations(ctx, all); err != nil {
		t.Fatal(err)
	}
	for table, want := range before {
		if got := tableDump(t, w, table); got != want {
			t.Errorf("%s changed by the rebuild:\n got  %s\n want %s", table, got, want)
		}
	}
	fresh, err := Open(ctx, filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	got, want := schemaObjects(t, w), schemaObjects(t, fresh.Write)
	for name, text := range want {
		if got[name] != text {
			t.Errorf("%s differs from a fresh database's:\n got  %.300s\n want %.300s", name, got[name], text)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s exists only in the upgraded database", name)
		}
	}
	var problems int
	if err := w.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&problems); err != nil || problems != 0 {
		t.Errorf("foreign key check: %d problems (%v)", problems, err)
	}
	var integrity string
	if err := w.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity check: %s (%v)", integrity, err)
	}
	task := &Plan{Date: "2026-03-13", Subject: "准备季度报告", RemindMinutes: -1}
	if err := db.SavePlan(ctx, sales, task); err != nil {
		t.Fatalf("a plan without a customer after the migration: %v", err)
	}
	w.Close()
	r.Close()
}

// TestPersonalTask: a plan without a customer (待办) is saved, listed,
// shown on the calendar, in the reminders and in the feed like any other
// plan, seen by its owner and whoever sees every activity only, and takes
// no contact.
func TestPersonalTask(t *testing.T) {
	e := newEnv(t)
	e.setClock(time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC))
	task := &Plan{Date: "2026-03-10", Time: "09:30", Subject: "准备季度报告", RemindMinutes: 15}
	if err := e.db.SavePlan(e.ctx, e.sales1, task); err != nil {
		t.Fatal(err)
	}
	got, err := e.db.GetPlan(e.ctx, e.sales1, task.ID)
	if err != nil || got.CustomerID != 0 || got.CustomerName != "" || got.Subject != "准备季度报告" {
		t.Fatalf("the owner's view: %+v (%v)", got, err)
	}
	for _, a := range []Actor{e.manager, e.admin, e.sales2, e.service} {
		_, err := e.db.GetPlan(e.ctx, a, task.ID)
		page, lerr := e.db.ListPlans(e.ctx, a, PlanFilter{})
		if (a.Scope(ModActivities) == ScopeAll) != (err == nil) || lerr != nil || page.Total != map[bool]int{true: 1}[(a.Scope(ModActivities) == ScopeAll)] {
			t.Errorf("%s (sees every activity: %v): %v, lists %d (%v)", a.Role, (a.Scope(ModActivities) == ScopeAll), err, page.Total, lerr)
		}
	}
	if (e.sales2.Scope(ModActivities) == ScopeAll) || !(e.manager.Scope(ModActivities) == ScopeAll) {
		t.Fatal("the roles' rules changed: this test needs new cases")
	}
	page, err := e.db.ListPlans(e.ctx, e.sales1, PlanFilter{SalesFilter: SalesFilter{From: "2026-03-10", To: "2026-03-10"}})
	if err != nil || page.Total != 1 || page.Rows[0].ID != task.ID {
		t.Errorf("the owner's list: %+v (%v)", page, err)
	}
	days, err := e.db.Calendar(e.ctx, e.sales1, CalendarQuery{From: "2026-03-09", To: "2026-03-15", PerDay: 3})
	if err != nil || days["2026-03-10"] == nil || len(days["2026-03-10"].Entries) != 1 || days["2026-03-10"].Entries[0].Subject != "准备季度报告" {
		t.Errorf("the calendar: %+v (%v)", days["2026-03-10"], err)
	}
	if ok, err := e.db.NotifyPlan(e.ctx, task.ID); err != nil || !ok {
		t.Fatalf("the reminder: %v %v", ok, err)
	}
	notes, err := e.db.Notifications(e.ctx, e.sales1.ID, 10)
	if err != nil || len(notes) != 1 || notes[0].Plan.Subject != "准备季度报告" {
		t.Errorf("the bell: %+v (%v)", notes, err)
	}
	feed, err := e.db.FeedPlans(e.ctx, e.sales1.ID, "2026-03-01", "2026-03-31", 100)
	if err != nil || len(feed) != 1 {
		t.Errorf("the feed: %+v (%v)", feed, err)
	}
	n, err := e.db.CountOverduePlans(e.ctx, e.sales1, e.sales1.ID, "2026-03-11")
	if err != nil || n != 1 {
		t.Errorf("overdue tomorrow: %d (%v)", n, err)
	}
	// A contact needs its customer.
	c := e.create(e.sales1, Customer{Kind: "customer", Name: "有联系人的客户有限公司"}, Contact{Name: "李娜", IsPrimary: true})
	ks, err := e.db.Contacts(e.ctx, c.ID)
	if err != nil || len(ks) == 0 {
		t.Fatal(err)
	}
	bad := &Plan{Date: "2026-03-11", Subject: "没有客户的联系人", ContactID: ks[0].ID, RemindMinutes: -1}
	if errs, err := e.db.CheckPlan(e.ctx, e.sales1, bad); err != nil || errs["contact"] == "" {
		t.Errorf("a contact without its customer: %v %v", errs, err)
	}
	// Given a customer later, it is a plan like the others.
	got.CustomerID = c.ID
	if err := e.db.SavePlan(e.ctx, e.sales1, got); err != nil {
		t.Fatal(err)
	}
	if again, err := e.db.GetPlan(e.ctx, e.sales1, task.ID); err != nil || again.CustomerName != "有联系人的客户有限公司" {
		t.Errorf("after adding the customer: %+v (%v)", again, err)
	}
}

// TestPersonalTaskNotSeenByTeam: a team's supervisor sees a member's plans
// with customers, not the member's personal tasks (their owner's and whoever
// sees every activity's): not on the card, in the list or on the calendar.
func TestPersonalTaskNotSeenByTeam(t *testing.T) {
	e := newEnv(t)
	e.setClock(time.Date(2026, 3, 10, 1, 0, 0, 0, time.UTC))
	supID, err := e.db.CreateUser(e.ctx, 0, NewUser{Username: "sup", DisplayName: "sup", Role: RoleSupervisor, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SaveTeam(e.ctx, e.admin.ID, &Team{Name: "销售一部", SupervisorID: supID, MemberIDs: []int64{e.sales1.ID}}); err != nil {
		t.Fatal(err)
	}
	supUser, err := e.db.UserByID(e.ctx, supID)
	if err != nil {
		t.Fatal(err)
	}
	sup := e.db.ActorFor(supUser)
	if sup.Scope(ModActivities) != ScopeTeam {
		t.Skip("the supervisor's activities scope is not the team's")
	}
	cu := e.create(e.sales1, Customer{Kind: "customer", Name: "团队客户有限公司"})
	visit := &Plan{Date: "2026-03-10", Time: "10:00", CustomerID: cu.ID, Subject: "回访团队客户", RemindMinutes: -1}
	task := &Plan{Date: "2026-03-10", Time: "11:00", Subject: "准备季度报告", RemindMinutes: -1}
	for _, p := range []*Plan{visit, task} {
		if err := e.db.SavePlan(e.ctx, e.sales1, p); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.db.GetPlan(e.ctx, sup, visit.ID); err != nil {
		t.Errorf("the supervisor does not see the member's visit: %v", err)
	}
	if _, err := e.db.GetPlan(e.ctx, sup, task.ID); err != ErrNotFound {
		t.Errorf("the supervisor opens the member's personal task: %v", err)
	}
	page, err := e.db.ListPlans(e.ctx, sup, PlanFilter{})
	if err != nil || page.Total != 1 || page.Rows[0].ID != visit.ID {
		t.Errorf("the supervisor's list: %d plans (%v)", page.Total, err)
	}
	days, err := e.db.Calendar(e.ctx, sup, CalendarQuery{From: "2026-03-09", To: "2026-03-15", PerDay: 5})
	if err != nil || days["2026-03-10"] == nil || days["2026-03-10"].Total != 1 || len(days["2026-03-10"].Entries) != 1 {
		t.Errorf("the supervisor's calendar: %+v (%v)", days["2026-03-10"], err)
	}
	if _, err := e.db.GetPlan(e.ctx, e.sales1, task.ID); err != nil {
		t.Errorf("the owner: %v", err)
	}
}
