package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyuan/models"
)

// TestBrowserTeamAndRole: an administrator makes a team (销售一部: a
// supervisor and two members) and widens the salesperson's customer scope
// to the team in the roles matrix, as a person clicks through them; each
// page passes axe-core (steps).
func TestBrowserTeamAndRole(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	sup := app.addUser("zhouzg", models.RoleSupervisor)
	a1 := app.addUser("zhangwei", models.RoleSales)
	a2 := app.addUser("lina", models.RoleSales)
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)

	do("login-page",
		chromedp.Navigate(app.ts.URL+"/admin/teams/new"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	do("team-form",
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=name]`)))
	do("team-saved",
		chromedp.SendKeys(chromedp.CSS(`input[name=name]`), "销售一部"),
		chromedp.SetValue(chromedp.CSS(`select[name=leader]`), id(sup)),
		chromedp.Click(chromedp.CSS(`input[name=member][value="`+id(a1)+`"]`)),
		chromedp.Click(chromedp.CSS(`input[name=member][value="`+id(a2)+`"]`)),
		chromedp.Click(chromedp.CSS(`form[action="/admin/teams"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.table`)))
	if got := text("main"); !strings.Contains(got, "销售一部") || !strings.Contains(got, "zhangwei、lina") && !strings.Contains(got, "lina、zhangwei") {
		t.Errorf("the team list shows %q", got)
	}
	do("role-form",
		chromedp.Navigate(app.ts.URL+"/admin/roles/sales"),
		chromedp.WaitVisible(chromedp.CSS(`select[name=scope_customers]`)))
	do("role-saved",
		chromedp.SetValue(chromedp.CSS(`select[name=scope_customers]`), "team"),
		chromedp.Click(chromedp.CSS(`form[action="/admin/roles/sales"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	d, err := app.db.RoleDef(models.RoleSales)
	if err != nil || d.Scope(models.ModCustomers) != models.ScopeTeam || !d.Can(models.PermCustomersEdit) {
		t.Errorf("the saved role: scope %q, edit %v (%v)", d.Scope(models.ModCustomers), d.Can(models.PermCustomersEdit), err)
	}
	u, _ := app.db.UserByID(t.Context(), a1)
	if !app.db.ActorFor(u).Sees(models.ModCustomers, a2) {
		t.Error("zhangwei does not see lina's customers after the change")
	}
}
