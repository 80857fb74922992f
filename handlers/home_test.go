package handlers

import (
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
