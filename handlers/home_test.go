package handlers

import (
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

// TestRoleStartPages: each role's start page shows what matters to it, and
// every number there links to the list that explains it (and that list
// shows the same number).
func TestRoleStartPages(t *testing.T) {
	w := newActWorld(t)
	app := w.testApp
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, app.db.Location()) // a Wednesday
	app.db.SetClock(func() time.Time { return now })

	t.Run("salesperson", func(t *testing.T) {
		idle := &models.Customer{Kind: "customer", Name: "久未联系的客户有限公司"}
		if err := app.db.CreateCustomer(t.Context(), models.Actor{ID: w.zhang, Role: models.RoleSales}, idle, nil); err != nil {
			t.Fatal(err)
		}
		c := app.login("zhang")
		home := c.get("/")
		for _, want := range []string{`id="pipeline"`, `id="idle"`, "我的今日计划"} {
			if !strings.Contains(home.Body, want) {
				t.Errorf("the salesperson's start page lacks %s", want)
			}
		}
		if !strings.Contains(home.Body, "1 个客户超过 30 天未联系") {
			t.Error("the customer without activity is not counted")
		}
		list := c.get(hrefOf(t, home.Body, "/customers?status=active"))
		if list.StatusCode != http.StatusOK || !strings.Contains(list.Body, "最近活动不晚于") ||
			!strings.Contains(list.Body, idle.Name) || strings.Contains(list.Body, "共 2 条") {
			t.Errorf("the idle customers' list: %d", list.StatusCode)
		}
	})
	t.Run("manager", func(t *testing.T) {
		c := app.login("zhuguan")
		home := c.get("/")
		for _, want := range []string{`id="team-activities"`, `id="team-overdue"`, `id="pipeline"`, `id="campaigns-running"`, "2026-03-02 – 2026-03-04"} {
			if !strings.Contains(home.Body, want) {
				t.Errorf("the manager's start page lacks %s", want)
			}
		}
		if res := c.get("/activities?from=2026-03-02&to=2026-03-04"); res.StatusCode != http.StatusOK {
			t.Errorf("the week's activities: %d", res.StatusCode)
		}
	})
	t.Run("service", func(t *testing.T) {
		c := app.login("kefu")
		home := c.get("/")
		for _, want := range []string{`id="service-counts"`, `href="/issues?view=unassigned"`, `href="/issues?view=overdue"`, `id="archived"`} {
			if !strings.Contains(home.Body, want) {
				t.Errorf("the service start page lacks %s", want)
			}
		}
		board, err := app.db.BuildServiceBoard(t.Context(), models.Actor{ID: w.kefu, Role: models.RoleService})
		if err != nil {
			t.Fatal(err)
		}
		page, _ := app.db.ListIssues(t.Context(), models.Actor{ID: w.kefu, Role: models.RoleService}, models.IssueFilter{View: "unassigned"})
		if board.Unassigned != page.Total {
			t.Errorf("unassigned: board %d, list %d", board.Unassigned, page.Total)
		}
	})
}

// TestSalespersonOverdueBounded: the salesperson's start page lists only the
// oldest overdue plans, but its badge counts all of them (from the open plan
// counter, not the rows listed), today's plan is not among them, and the
// link leads to the list of exactly those plans.
func TestSalespersonOverdueBounded(t *testing.T) {
	w := newActWorld(t)
	app := w.testApp
	now := time.Date(2026, 3, 20, 10, 0, 0, 0, app.db.Location())
	app.db.SetClock(func() time.Time { return now })
	zhang := models.Actor{ID: w.zhang, Role: models.RoleSales}
	for i := range 14 {
		p := &models.Plan{Date: fmt.Sprintf("2026-03-%02d", 6+i), CustomerID: w.mine, Subject: fmt.Sprintf("逾期回访%02d", i), RemindMinutes: -1}
		if err := app.db.SavePlan(t.Context(), zhang, p); err != nil {
			t.Fatal(err)
		}
	}
	today := &models.Plan{Date: "2026-03-20", CustomerID: w.mine, Subject: "今天的回访", RemindMinutes: -1}
	if err := app.db.SavePlan(t.Context(), zhang, today); err != nil {
		t.Fatal(err)
	}
	// The world's own plan of 2026-03-09 is overdue too: 15 in all.
	c := app.login("zhang")
	home := c.get("/")
	if !strings.Contains(home.Body, `<span class="badge badge-warn">15</span>`) {
		t.Error("the badge does not count every overdue plan")
	}
	if n := strings.Count(home.Body, "逾期回访"); n != 9 { // with the world's plan, the oldest ten
		t.Errorf("%d overdue plans of this test listed, want 9", n)
	}
	if !strings.Contains(home.Body, "回访报价") || strings.Contains(home.Body, "逾期回访13") {
		t.Error("the listed plans are not the oldest")
	}
	list := c.get(hrefOf(t, home.Body, "/plans?status=planned"))
	if list.StatusCode != http.StatusOK || !strings.Contains(list.Body, "共 15 条") || strings.Contains(list.Body, "今天的回访") {
		t.Errorf("the overdue list: %d, total 15 and without today's plan expected", list.StatusCode)
	}
	// The plan list's own "overdue" tab ends yesterday too.
	if tab := hrefOf(t, c.get("/plans").Body, "/plans?status=planned&to="); !strings.Contains(tab, "to=2026-03-19&") {
		t.Errorf("the plan list's overdue tab: %s", tab)
	}
}

// hrefOf finds the first link in body that starts with prefix (as written in
// HTML) and returns it as a path to request.
func hrefOf(t *testing.T, body, prefix string) string {
	t.Helper()
	i := strings.Index(body, `href="`+prefix)
	if i < 0 {
		t.Fatalf("no link to %s", prefix)
	}
	rest := body[i+len(`href="`):]
	return strings.ReplaceAll(rest[:strings.IndexByte(rest, '"')], "&amp;", "&")
}

// TestStartPageRowsWrittenInGo: the start page's plan and record rows,
// written in Go rather than by the template, escape every value, link
// records by their kind, mark prospects, show a status other than planned
// and the action only of a planned plan, and mark a plan without a customer
// as a personal task, done with one button.
func TestStartPageRowsWrittenInGo(t *testing.T) {
	tr := func(key string) string { return "[" + key + "]" }
	hostile := `<script>alert("x")</script>&'`
	var b strings.Builder
	writePlanItems(&b, []models.Plan{
		{ID: 7, Date: "2026-03-04", Time: "09:30", Status: "planned", Subject: hostile, CustomerID: 3, CustomerKind: "prospect",
			CustomerName: hostile, ContactName: hostile},
		{ID: 8, Date: "2026-03-05", Status: "done", Subject: "已完成", CustomerID: 4, CustomerKind: "customer", CustomerName: "客户"},
		{ID: 9, Date: "2026-03-06", Status: "planned", Subject: "准备季度报告"},
	}, models.AuxLookup{}, tr)
	got := b.String()
	esc := template.HTMLEscapeString(hostile)
	for _, want := range []string{
		`<a href="/plans/7" class="row-link">` + esc + `</a>`,
		`<a href="/prospects/3">` + esc + `</a> <span class="badge badge-muted">[kind.prospect]</span> · ` + esc + `</div>`,
		`href="/activities/new?plan=7">[plan.complete]</a>`,
		`<strong>[plan.all_day]</strong><span class="muted">2026-03-05</span>`,
		`<span class="badge badge-done">[plan.status.done]</span><div class="sub"><a href="/customers/4">客户</a></div>`,
		`准备季度报告</a><div class="sub"><span class="muted">[plan.personal]</span></div>`,
		`<form method="post" action="/plans/9/done"><button type="submit" class="btn btn-sm btn-primary">[plan.complete]</button></form>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the plan rows lack %s:\n%s", want, got)
		}
	}
	if strings.Contains(got, "<script>") || strings.Count(got, "/activities/new?plan=") != 1 {
		t.Errorf("unescaped text or a wrong number of actions:\n%s", got)
	}
	b.Reset()
	writeActivityItems(&b, []models.ActivityRow{{ID: 5, Subject: hostile, CustomerID: 3, CustomerKind: "customer", CustomerName: hostile}},
		models.AuxLookup{}, tr)
	if got := b.String(); !strings.Contains(got, `<strong>—</strong>`) || !strings.Contains(got, `<a href="/activities/5" class="row-link">`+esc) ||
		!strings.Contains(got, `<a href="/customers/3">`+esc+`</a></div>`) || strings.Contains(got, "<script>") {
		t.Errorf("the record rows:\n%s", got)
	}
}
