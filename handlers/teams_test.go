package handlers

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"keyuan/models"
)

// teamWorld is a company of two sales teams and a user in every role:
//
//	销售一部: supervisor sup1, members a1 and a2
//	销售二部: supervisor sup2, member b1
//	no team: the salesperson s0
//	and a sales director, a general manager, service staff and the admin.
//
// Each salesperson owns one marked record of every kind (a customer with a
// contact, an activity, a plan, an opportunity, a campaign, an issue), so a
// page shows whose records it lists by the markers in its body.
type teamWorld struct {
	*testApp
	ids     map[string]int64 // username → id
	cust    map[string]int64 // salesperson → their marked customer
	today   string
	sellers []string
}

func newTeamWorld(t *testing.T) *teamWorld {
	t.Helper()
	w := &teamWorld{testApp: newTestApp(t), ids: map[string]int64{}, cust: map[string]int64{},
		sellers: []string{"a1", "a2", "b1", "s0"}}
	ctx := context.Background()
	for name, role := range map[string]models.Role{"sup1": models.RoleSupervisor, "sup2": models.RoleSupervisor,
		"a1": models.RoleSales, "a2": models.RoleSales, "b1": models.RoleSales, "s0": models.RoleSales,
		"dir": models.RoleDirector, "gm": models.RoleManager, "svc": models.RoleService} {
		w.ids[name] = w.addUser(name, role)
	}
	w.ids["admin"] = w.userID("admin")
	for _, team := range []models.Team{
		{Name: "销售一部", SupervisorID: w.ids["sup1"], MemberIDs: []int64{w.ids["a1"], w.ids["a2"]}},
		{Name: "销售二部", SupervisorID: w.ids["sup2"], MemberIDs: []int64{w.ids["b1"]}},
	} {
		if err := w.db.SaveTeam(ctx, w.ids["admin"], &team); err != nil {
			t.Fatal(err)
		}
	}
	w.today = w.db.LocalNow().Format("2006-01-02")
	svc := models.Actor{ID: w.ids["svc"], Role: models.RoleService}
	for _, s := range w.sellers {
		a := models.Actor{ID: w.ids[s], Role: models.RoleSales}
		w.cust[s] = w.addRecord(w.ids[s], "customer", "标记客户"+s).id
		act := models.Activity{Date: w.today, Subject: "标记拜访" + s, CustomerID: w.cust[s]}
		if err := w.db.SaveActivity(ctx, a, &act); err != nil {
			t.Fatal(err)
		}
		pl := models.Plan{Date: w.today, Subject: "标记回访" + s, CustomerID: w.cust[s], RemindMinutes: -1}
		if err := w.db.SavePlan(ctx, a, &pl); err != nil {
			t.Fatal(err)
		}
		opp := models.Opportunity{Name: "标记机会" + s, CustomerID: w.cust[s], AmountFen: 100}
		if err := w.db.SaveOpportunity(ctx, a, &opp); err != nil {
			t.Fatal(err)
		}
		camp := models.Campaign{Name: "标记活动" + s, StartDate: w.today, EndDate: w.today}
		if err := w.db.SaveCampaign(ctx, a, &camp); err != nil {
			t.Fatal(err)
		}
		iss := models.Issue{CustomerID: w.cust[s], Subject: "标记问题" + s, Priority: "normal"}
		if err := w.db.CreateIssue(ctx, svc, &iss); err != nil {
			t.Fatal(err)
		}
	}
	w.sync()
	return w
}

func (w *teamWorld) userID(name string) int64 {
	var id int64
	if err := w.db.Read.QueryRow(`SELECT id FROM users WHERE username = ?`, name).Scan(&id); err != nil {
		w.t.Fatal(err)
	}
	return id
}

// sees is what the README's roles table says each user sees of the four
// salespeople's records, module by module: own, the team they lead, all.
// "-" is a module closed to the user (403).
var teamSees = map[string]map[string]string{
	// user: module → salespeople whose records are shown
	"a1":    {"customers": "a1", "activities": "a1", "campaigns": "a1", "service": "a1"},
	"a2":    {"customers": "a2", "activities": "a2", "campaigns": "a2", "service": "a2"},
	"b1":    {"customers": "b1", "activities": "b1", "campaigns": "b1", "service": "b1"},
	"s0":    {"customers": "s0", "activities": "s0", "campaigns": "s0", "service": "s0"},
	"sup1":  {"customers": "a1 a2", "activities": "a1 a2", "campaigns": "a1 a2", "service": "a1 a2"},
	"sup2":  {"customers": "b1", "activities": "b1", "campaigns": "b1", "service": "b1"},
	"dir":   {"customers": "a1 a2 b1 s0", "activities": "a1 a2 b1 s0", "campaigns": "a1 a2 b1 s0", "service": "a1 a2 b1 s0"},
	"gm":    {"customers": "a1 a2 b1 s0", "activities": "a1 a2 b1 s0", "campaigns": "a1 a2 b1 s0", "service": "a1 a2 b1 s0"},
	"admin": {"customers": "a1 a2 b1 s0", "activities": "a1 a2 b1 s0", "campaigns": "a1 a2 b1 s0", "service": "a1 a2 b1 s0"},
	"svc":   {"customers": "a1 a2 b1 s0", "activities": "-", "campaigns": "-", "service": "a1 a2 b1 s0"},
}

// teamSurface is a screen, export, search or API answer listing the marked
// records of one module.
type teamSurface struct {
	name   string
	module string
	path   string
	marker string // the marker of the records it lists
	api    bool
}

func teamSurfaces(today string) []teamSurface {
	return []teamSurface{
		{"customer list", "customers", "/customers?q=标记客户", "标记客户", false},
		{"customer export", "customers", "/customers/export.csv?q=标记客户", "标记客户", false},
		{"contact list", "customers", "/contacts?q=标记客户", "标记客户", false},
		{"search", "customers", "/search?q=标记客户", "标记客户", false},
		{"API customers", "customers", "/api/v1/customers?q=标记客户", "标记客户", true},
		{"activity list", "activities", "/activities?q=标记拜访", "标记拜访", false},
		{"activity export", "activities", "/activities/export.csv?q=标记拜访", "标记拜访", false},
		{"plan list", "activities", "/plans?q=标记回访", "标记回访", false},
		{"opportunity list", "activities", "/opportunities?q=标记机会", "标记机会", false},
		{"team calendar", "activities", "/calendar?view=week&who=team&date=" + today, "标记拜访", false},
		{"API activities", "activities", "/api/v1/activities", "标记拜访", true},
		{"campaign list", "campaigns", "/campaigns?q=标记活动", "标记活动", false},
		{"campaign export", "campaigns", "/campaigns/export.csv?q=标记活动", "标记活动", false},
		{"issue list", "service", "/issues?view=all&q=标记问题", "标记问题", false},
		{"issue export", "service", "/issues/export.csv?view=all", "标记问题", false},
		{"API issues", "service", "/api/v1/issues", "标记问题", true},
	}
}

// shown lists the salespeople whose marker appears in body.
func shown(body, marker string, sellers []string) string {
	var out []string
	for _, s := range sellers {
		if strings.Contains(body, marker+s) {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// TestTeamVisibilityMatrix: every user in every role, on every list,
// export, search, calendar and API answer, sees exactly the salespeople's
// records the rules say (teamSees), no more and no less.
func TestTeamVisibilityMatrix(t *testing.T) {
	w := newTeamWorld(t)
	surfaces := teamSurfaces(w.today)
	users := make([]string, 0, len(teamSees))
	for u := range teamSees {
		users = append(users, u)
	}
	slices.Sort(users)
	for _, user := range users {
		web := w.login(user)
		api := w.apiAs(w.ids[user], "", false)
		api.check = false
		for _, sf := range surfaces {
			want := teamSees[user][sf.module]
			if sf.name == "team calendar" && want == user {
				want = "404" // one who sees only their own has no team view
			}
			var res *response
			if sf.api {
				res = api.do("GET", sf.path, "")
			} else {
				res = web.get(sf.path)
			}
			if want == "-" || want == "404" {
				if code := map[string]int{"-": http.StatusForbidden, "404": http.StatusNotFound}[want]; res.StatusCode != code {
					t.Errorf("%s, %s: status %d, want %d", user, sf.name, res.StatusCode, code)
				}
				continue
			}
			if res.StatusCode != http.StatusOK {
				t.Errorf("%s, %s: status %d", user, sf.name, res.StatusCode)
				continue
			}
			if got := shown(res.Body, sf.marker, w.sellers); got != want {
				t.Errorf("%s, %s: shows %q, want %q", user, sf.name, got, want)
			}
		}
		// Each marked customer's card: 200 exactly for those in scope.
		for _, s := range w.sellers {
			res := web.get("/customers/" + id(w.cust[s]))
			in := slices.Contains(strings.Fields(teamSees[user]["customers"]), s)
			if (res.StatusCode == http.StatusOK) != in || (!in && res.StatusCode != http.StatusNotFound) {
				t.Errorf("%s opens %s's customer: %d, in scope %v", user, s, res.StatusCode, in)
			}
		}
	}
}

// TestTeamDigestAndReports: a supervisor's digest and start page cover
// their team; the report's team filter is offered to those who see every
// team and narrows to that team.
func TestTeamDigestAndReports(t *testing.T) {
	w := newTeamWorld(t)
	ctx := context.Background()
	sup1, _ := w.db.UserByID(ctx, w.ids["sup1"])
	d, err := w.db.BuildDigest(ctx, w.db.ActorFor(sup1), w.today, w.today, w.db.Now())
	if err != nil {
		t.Fatal(err)
	}
	var people []string
	for _, p := range d.Activities {
		people = append(people, p.OwnerName)
	}
	slices.Sort(people)
	if got := strings.Join(people, " "); got != "a1 a2" {
		t.Errorf("supervisor's digest covers %q, want a1 a2", got)
	}
	if res := w.login("sup1").get("/reports/digest"); res.StatusCode != http.StatusOK {
		t.Errorf("supervisor's digest settings: %d", res.StatusCode)
	}
	if res := w.login("a1").get("/reports/digest"); res.StatusCode != http.StatusForbidden {
		t.Errorf("salesperson's digest settings: %d, want 403", res.StatusCode)
	}
	home := w.login("sup1").get("/")
	if home.StatusCode != http.StatusOK || !strings.Contains(home.Body, ">a1<") || strings.Contains(home.Body, ">b1<") {
		t.Errorf("supervisor's start page: %d, a1 %v, b1 %v", home.StatusCode, strings.Contains(home.Body, ">a1<"),
			strings.Contains(home.Body, ">b1<"))
	}
	// The built-in "activities by salesperson", filtered by team.
	var rid int64
	if err := w.db.Read.QueryRow(`SELECT id FROM reports WHERE builtin = 'activities_by_salesperson'`).Scan(&rid); err != nil {
		t.Fatal(err)
	}
	var teamB int64
	if err := w.db.Read.QueryRow(`SELECT id FROM teams WHERE name = '销售二部'`).Scan(&teamB); err != nil {
		t.Fatal(err)
	}
	gm := w.login("gm")
	all := gm.get("/reports/" + id(rid) + "?period=custom&from=" + w.today + "&to=" + w.today)
	if all.StatusCode != http.StatusOK || !strings.Contains(all.Body, `name="team"`) {
		t.Fatalf("general manager's report: %d, team filter offered %v", all.StatusCode, strings.Contains(all.Body, `name="team"`))
	}
	only := gm.get("/reports/" + id(rid) + "?period=custom&from=" + w.today + "&to=" + w.today + "&team=" + id(teamB))
	if only.StatusCode != http.StatusOK || !strings.Contains(only.Body, "<td>b1</td>") || strings.Contains(only.Body, "<td>a1</td>") {
		t.Errorf("team filter: %d, b1 %v, a1 %v", only.StatusCode, strings.Contains(only.Body, "<td>b1</td>"), strings.Contains(only.Body, "<td>a1</td>"))
	}
	sup := w.login("sup1").get("/reports/" + id(rid) + "?period=custom&from=" + w.today + "&to=" + w.today)
	if sup.StatusCode != http.StatusOK || !strings.Contains(sup.Body, "<td>a2</td>") || strings.Contains(sup.Body, "<td>b1</td>") {
		t.Errorf("supervisor's report: %d, a2 %v, b1 %v", sup.StatusCode, strings.Contains(sup.Body, "<td>a2</td>"), strings.Contains(sup.Body, "<td>b1</td>"))
	}
}

// TestRoleMatrixChangeTakesEffectAtOnce: an admin widens the salesperson's
// customer scope to the team and takes the export away; the next request of
// a salesperson already signed in follows the new matrix, and "reset"
// brings the defaults back.
func TestRoleMatrixChangeTakesEffectAtOnce(t *testing.T) {
	w := newTeamWorld(t)
	a1 := w.login("a1")
	admin := w.login("admin")
	d, err := w.db.RoleDef(models.RoleSales)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{}
	for _, p := range d.Perms {
		if p != models.PermCustomersExport {
			form.Add("perm", string(p))
		}
	}
	for m, s := range d.Scopes {
		form.Set("scope_"+string(m), string(s))
	}
	form.Set("scope_customers", "team")
	if res := admin.post("/admin/roles/sales", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save the role: %d", res.StatusCode)
	}
	if got := shown(a1.get("/customers?q=标记客户").Body, "标记客户", w.sellers); got != "a1 a2" {
		t.Errorf("after widening: a1 sees %q, want a1 a2", got)
	}
	if res := a1.get("/customers/export.csv"); res.StatusCode != http.StatusForbidden {
		t.Errorf("export after it was taken away: %d", res.StatusCode)
	}
	if page := admin.get("/admin/roles"); !strings.Contains(page.Body, "本团队") {
		t.Error("the roles overview does not show the new scope")
	}
	if res := admin.post("/admin/roles/sales/reset", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if got := shown(a1.get("/customers?q=标记客户").Body, "标记客户", w.sellers); got != "a1" {
		t.Errorf("after reset: a1 sees %q", got)
	}
	// The admin role cannot lose the settings: the form comes back with why.
	res := admin.post("/admin/roles/admin", url.Values{"perm": {"customers.see"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "至少要有一个启用的用户") {
		t.Errorf("removing the last admin: %d", res.StatusCode)
	}
	// A copy, used by a user, then named in the user list.
	res = admin.post("/admin/roles/supervisor/copy", url.Values{"copy_name": {"华东主管"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("copy: %d", res.StatusCode)
	}
	if res := admin.post("/admin/roles/supervisor/copy", url.Values{"copy_name": {""}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("copy without a name: %d", res.StatusCode)
	}
	key := strings.TrimPrefix(res.Header.Get("Location"), "/admin/roles/")
	if res := admin.post("/admin/users/"+id(w.ids["b1"]), url.Values{"display_name": {"b1"}, "role": {key}, "active": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("give b1 the copy: %d", res.StatusCode)
	}
	if page := admin.get("/admin/users"); !strings.Contains(page.Body, "华东主管") {
		t.Error("the custom role's name is not shown")
	}
	if got := shown(w.login("b1").get("/customers?q=标记客户").Body, "标记客户", w.sellers); got != "b1" {
		t.Errorf("b1 with the supervisor's copy (team scope, leads no team, member of 销售二部) sees %q", got)
	}
}

// TestHistoryTravelsWithTheCustomer: after a supervisor hands a1's customer
// to a2, a2's card shows the activity a1 wrote (still a1's), and a1 no
// longer opens the customer.
func TestHistoryTravelsWithTheCustomer(t *testing.T) {
	w := newTeamWorld(t)
	sup := w.login("sup1")
	res := sup.post("/customers/batch", url.Values{"action": {"owner"}, "id": {id(w.cust["a1"])}, "new_owner": {id(w.ids["a2"])}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("hand over: %d", res.StatusCode)
	}
	// Not to someone outside the team.
	sup.post("/customers/batch", url.Values{"action": {"owner"}, "id": {id(w.cust["a2"])}, "new_owner": {id(w.ids["b1"])}})
	var owner int64
	if err := w.db.Read.QueryRow(`SELECT owner_id FROM customers WHERE id = ?`, w.cust["a2"]).Scan(&owner); err != nil || owner != w.ids["a2"] {
		t.Errorf("a supervisor gave a customer outside the team: owner %d", owner)
	}
	card := w.login("a2").get("/customers/" + id(w.cust["a1"]))
	if card.StatusCode != http.StatusOK || !strings.Contains(card.Body, "标记拜访a1") {
		t.Errorf("a2's card of the customer handed over: %d, shows a1's activity %v", card.StatusCode,
			strings.Contains(card.Body, "标记拜访a1"))
	}
	if res := w.login("a1").get("/customers/" + id(w.cust["a1"])); res.StatusCode != http.StatusNotFound {
		t.Errorf("a1 still opens the customer: %d", res.StatusCode)
	}
	// The service staff's card: no sales history, no amounts.
	svc := w.login("svc").get("/customers/" + id(w.cust["b1"]))
	if svc.StatusCode != http.StatusOK || strings.Contains(svc.Body, "标记拜访b1") || strings.Contains(svc.Body, "标记机会b1") {
		t.Errorf("service card: %d, shows the sales history", svc.StatusCode)
	}
}

// TestCampaignTargetsOutsideScopeAreCounted: a campaign of a1's with a
// colleague's customer as a target lists only a1's own and counts the other.
func TestCampaignTargetsOutsideScopeAreCounted(t *testing.T) {
	w := newTeamWorld(t)
	ctx := context.Background()
	var camp int64
	if err := w.db.Read.QueryRow(`SELECT id FROM campaigns WHERE name = '标记活动a1'`).Scan(&camp); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.AddTargetCustomers(ctx, models.SystemActor(), camp, []int64{w.cust["a1"], w.cust["b1"]}); err != nil {
		t.Fatal(err)
	}
	card := w.login("a1").get("/campaigns/" + id(camp))
	if card.StatusCode != http.StatusOK || !strings.Contains(card.Body, "标记客户a1") || strings.Contains(card.Body, "标记客户b1") {
		t.Errorf("a1's campaign card: %d, own %v, colleague's %v", card.StatusCode, strings.Contains(card.Body, "标记客户a1"),
			strings.Contains(card.Body, "标记客户b1"))
	}
	if !strings.Contains(card.Body, "另有 1 个目标") {
		t.Error("the hidden target is not counted")
	}
	api := w.apiAs(w.ids["a1"], "", false)
	api.check = false
	if res := api.do("GET", "/api/v1/campaigns/"+id(camp)+"/targets", ""); strings.Contains(res.Body, "标记客户b1") {
		t.Error("the API lists the colleague's customer")
	}
}
