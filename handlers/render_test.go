package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"keyuan/models"
)

// rawKey finds message-key-looking words. A missing translation renders as
// its key, so such a word on a page is a missing key. Words inside paths and
// file names (/static/app.css) are not keys.
var rawKey = regexp.MustCompile(`(?:^|[^\w./@-])([a-z][a-z_]*(?:\.[a-z_]+)+)`)

// namespaces are the first parts of every message key (field, status, …).
func (a *testApp) namespaces() map[string]bool {
	ns := map[string]bool{}
	for _, msgs := range a.srv.views.Catalog {
		for k := range msgs {
			first, _, _ := strings.Cut(k, ".")
			ns[first] = true
		}
	}
	return ns
}

func rawKeysIn(body string, ns map[string]bool) []string {
	var out []string
	for _, m := range rawKey.FindAllStringSubmatch(body, -1) {
		first, _, _ := strings.Cut(m[1], ".")
		if ns[first] {
			out = append(out, m[1])
		}
	}
	sort.Strings(out)
	return out
}

// TestNoRawMessageKeysOnPages renders every screen, in both languages, after
// every kind of change a card's history can show, and fails on any message
// key that shows instead of its text.
func TestNoRawMessageKeysOnPages(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := f.login("admin")
	it, loyal := f.auxID("industry", "IT"), f.auxID("trait", "LOYAL")
	// A customer with every field filled, then changed in every field.
	res := admin.post("/customers", url.Values{"name": {"全字段客户"}, "short_name": {"全字段"}, "industry": {id64(it)},
		"source": {id64(f.auxID("source", "WEB"))}, "grade": {id64(f.auxID("grade", "A"))}, "region": {id64(f.auxID("region", "HD"))},
		"stage": {id64(f.auxID("sales_stage", "S1"))}, "traits": {id64(loyal)}, "address": {"上海市人民路1号"}, "phone": {"021-1"},
		"email": {"all@example.com"}, "website": {"https://all.example"}, "owner": {id64(f.sales1)}, "notes": {"备注"},
		"contact_name": {"周杰"}, "contact_email": {"zhou@example.com"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	card := res.Header.Get("Location")
	res = admin.post(card, url.Values{"name": {"全字段客户二"}, "short_name": {"全二"}, "industry": {id64(f.auxID("industry", "FIN"))},
		"source": {id64(f.auxID("source", "REF"))}, "grade": {id64(f.auxID("grade", "B"))}, "region": {id64(f.auxID("region", "HN"))},
		"stage": {id64(f.auxID("sales_stage", "S2"))}, "traits": {id64(f.auxID("trait", "FAST"))}, "address": {"北京"}, "phone": {"010-2"},
		"email": {"two@example.com"}, "website": {"https://two.example"}, "owner": {id64(f.sales2)}, "notes": {"改"}, "status": {"inactive"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", res.StatusCode)
	}
	id := strings.TrimPrefix(card, "/customers/")
	all, err := f.db.Contacts(ctx, mustID(t, id))
	if err != nil || len(all) != 1 {
		t.Fatalf("contacts %v %v", all, err)
	}
	cid := id64(all[0].ID)
	for _, step := range []struct {
		path string
		form url.Values
	}{
		{card + "/contacts/" + cid, url.Values{"name": {"周杰伦"}, "title": {"总监"}, "phone": {"021-3"}, "mobile": {"13700000000"},
			"email": {"jay@example.com"}, "birthday": {"1979-01-18"}, "primary": {"1"}}},
		{card + "/contacts", url.Values{"name": {"临时"}}},
	} {
		if r := admin.post(step.path, step.form); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s: %d", step.path, r.StatusCode)
		}
	}
	list, _ := f.db.Contacts(ctx, mustID(t, id))
	for _, k := range list {
		if k.Name == "临时" {
			if r := admin.post(card+"/contacts/"+id64(k.ID)+"/delete", nil); r.StatusCode != http.StatusSeeOther {
				t.Fatal(r.StatusCode)
			}
		}
	}
	prospect := "/prospects/" + id64(f.mine["prospect"].id)
	convert := admin.post(prospect+"/convert", nil)
	if convert.StatusCode != http.StatusSeeOther {
		t.Fatal(convert.StatusCode)
	}
	if _, err := f.db.ChangeOwner(ctx, models.Actor{ID: 1, Role: models.RoleAdmin}, "customer", []int64{f.theirs["customer"].id}, f.sales1); err != nil {
		t.Fatal(err)
	}

	pages := []string{"/", "/profile", "/customers", "/customers?status=inactive", "/customers/new", card, card + "/edit",
		card + "/contacts/new", card + "/contacts/" + cid + "/edit", convert.Header.Get("Location"),
		"/customers/" + id64(f.theirs["customer"].id),
		"/prospects", prospect, "/prospects/new", "/prospects?status=converted",
		"/customers/duplicates?name=" + url.QueryEscape("全字段客户二") + "&phone=010-2&email=TWO@example.com",
		"/customers/duplicates?name=x&phone=" + url.QueryEscape(f.mine["customer"].code),
		"/settings", "/settings/numbering", "/settings/numbering/customer/preview?prefix=A&width=2&reset=never",
		"/admin/users", "/admin/users/new", "/admin/users/2/edit", "/no-such-page", "/customers/999999",
	}
	for _, typ := range models.AuxTypes {
		pages = append(pages, "/settings/aux/"+typ, "/settings/aux/"+typ+"/new")
	}
	items, _ := f.db.AuxItemsOf(ctx, "grade")
	pages = append(pages, "/settings/aux/grade/"+id64(items[0].ID)+"/edit")

	ns := f.namespaces()
	victim := id64(f.addUser("victim", models.RoleService))
	for _, lang := range []string{"zh", "en"} {
		if r := admin.post("/profile/lang", url.Values{"lang": {lang}}); r.StatusCode != http.StatusSeeOther {
			t.Fatal(r.StatusCode)
		}
		for _, p := range pages {
			t.Run(lang+p, func(t *testing.T) {
				for _, hx := range [][]string{nil, {"HX-Request", "true"}} {
					res := admin.get(p, hx...)
					if res.StatusCode >= 500 {
						t.Fatalf("status %d", res.StatusCode)
					}
					if keys := rawKeysIn(res.Body, ns); len(keys) > 0 {
						t.Errorf("untranslated keys on the page: %v", keys)
					}
				}
			})
		}
		// Forms with every error at once, flashes and error pages.
		posts := []routeCase{
			{"customer errors", "POST", "/customers", url.Values{"name": {strings.Repeat("x", 201)}, "short_name": {strings.Repeat("x", 101)},
				"industry": {"9999"}, "source": {"9999"}, "grade": {"9999"}, "region": {"9999"}, "stage": {"9999"}, "traits": {"9999"},
				"phone": {"?"}, "email": {"?"}, "website": {"?"}, "owner": {"9999"}, "status": {"?"}, "contact_name": {strings.Repeat("x", 101)},
				"contact_email": {"?"}, "contact_mobile": {"?"}}},
			{"duplicate warning", "POST", "/customers", url.Values{"name": {"全字段客户二"}, "phone": {"010-2"}}},
			{"contact errors", "POST", card + "/contacts", url.Values{"title": {strings.Repeat("x", 101)}, "phone": {"?"}, "mobile": {"?"},
				"email": {"?"}, "birthday": {"?"}}},
			{"aux errors", "POST", "/settings/aux/grade", url.Values{"code": {""}, "name_zh": {""}, "name_en": {strings.Repeat("x", 61)}, "sort_order": {"?"}}},
			{"aux code taken", "POST", "/settings/aux/grade", url.Values{"code": {"A"}, "name_zh": {"x"}, "sort_order": {"1"}}},
			{"numbering errors", "POST", "/settings/numbering/issue", url.Values{"prefix": {"?"}, "date_part": {"?"}, "width": {"?"}, "reset": {"?"}}},
			{"numbering repeat", "POST", "/settings/numbering/issue", url.Values{"prefix": {"W"}, "date_part": {""}, "width": {"3"}, "reset": {"daily"}}},
			{"user errors", "POST", "/admin/users", url.Values{"username": {"?"}, "display_name": {""}, "email": {"?"}, "role": {"?"}, "password": {"x"}}},
			{"user taken", "POST", "/admin/users", url.Values{"username": {"sales1"}, "display_name": {"x"}, "role": {"sales"}, "password": {"long-enough"}}},
			{"self demotion", "POST", "/admin/users/1", url.Values{"display_name": {"x"}, "role": {"sales"}}},
			{"password errors", "POST", "/profile/password", url.Values{"current": {"?"}, "password": {"x"}, "confirm": {"y"}}},
			{"long password", "POST", "/admin/users/" + victim + "/password", url.Values{"password": {strings.Repeat("x", 73)}}},
			{"bad batch", "POST", "/customers/batch", url.Values{"action": {"?"}, "id": {"1"}}},
		}
		for _, rc := range posts {
			t.Run(lang+"/"+rc.name, func(t *testing.T) {
				res := admin.send(rc)
				if res.StatusCode >= 500 || res.StatusCode < 400 {
					t.Fatalf("status %d", res.StatusCode)
				}
				if keys := rawKeysIn(res.Body, ns); len(keys) > 0 {
					t.Errorf("untranslated keys: %v", keys)
				}
			})
		}
		t.Run(lang+"/flashes", func(t *testing.T) {
			for _, rc := range []routeCase{
				{"saved", "POST", "/profile/lang", url.Values{"lang": {lang}}},
				{"converted again", "POST", prospect + "/convert", nil},
				{"none selected", "POST", "/customers/batch", url.Values{"action": {"export"}}},
				{"bad owner", "POST", "/customers/batch", url.Values{"action": {"owner"}, "id": {"1"}}},
				{"owner changed", "POST", "/customers/batch", url.Values{"action": {"owner"}, "id": {"1"}, "new_owner": {id64(f.manager)}}},
				{"in use", "POST", "/settings/aux/industry/" + id64(f.auxID("industry", "FIN")) + "/delete", nil},
				{"password reset", "POST", "/admin/users/" + victim + "/password", url.Values{"password": {"long-enough"}}},
			} {
				res := admin.send(rc)
				if res.StatusCode != http.StatusSeeOther {
					t.Fatalf("%s: %d", rc.name, res.StatusCode)
				}
				next := admin.get(res.Header.Get("Location"))
				if !strings.Contains(next.Body, `class="flash"`) {
					t.Errorf("%s: no flash shown", rc.name)
				}
				if keys := rawKeysIn(next.Body, ns); len(keys) > 0 {
					t.Errorf("%s: untranslated keys: %v", rc.name, keys)
				}
			}
		})
		t.Run(lang+"/export header", func(t *testing.T) {
			rows := readCSV(t, admin.get("/customers/export.csv?status=inactive"))
			if keys := rawKeysIn(strings.Join(rows[0], " ")+" "+strings.Join(rows[len(rows)-1], " "), ns); len(keys) > 0 {
				t.Errorf("untranslated keys: %v", keys)
			}
		})
	}
	t.Run("other roles' pages", func(t *testing.T) {
		for _, who := range []string{"sales1", "service", "manager"} {
			c := f.login(who)
			for _, p := range []string{"/", "/customers", "/settings", card, "/customers/new"} {
				if keys := rawKeysIn(c.get(p).Body, ns); len(keys) > 0 {
					t.Errorf("%s %s: %v", who, p, keys)
				}
			}
		}
		if keys := rawKeysIn(f.anon().get("/login").Body, ns); len(keys) > 0 {
			t.Errorf("login: %v", keys)
		}
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	id := parseID(s)
	if id == 0 {
		t.Fatalf("not an id: %q", s)
	}
	return id
}

// TestRawKeyDetector makes sure the detector above would notice a key.
func TestRawKeyDetector(t *testing.T) {
	ns := map[string]bool{"field": true, "app": true, "status": true}
	body := `<td>field.phone</td> <link href="/static/app.css?v=1"> info@status.example <b>status.gone</b>`
	got := rawKeysIn(body, ns)
	if strings.Join(got, ",") != "field.phone,status.gone" {
		t.Errorf("found %v", got)
	}
}

// TestSideMenuFollowsRoleAndModule: the side menu is rendered once per
// language, role and module and then reused, so a cached copy must never show
// one role's links to another or mark the wrong module.
func TestSideMenuFollowsRoleAndModule(t *testing.T) {
	app := newTestApp(t)
	app.addUser("kefu", models.RoleService)
	admin, service := app.login("admin"), app.login("kefu")
	menu := regexp.MustCompile(`(?s)<nav id="sidenav".*?</nav>`)
	active := regexp.MustCompile(`href="([^"]+)" class="nav-item active"`)
	for _, tc := range []struct {
		who        *client
		path       string
		wantActive string
		settings   bool
	}{
		{admin, "/customers", "/customers", true},
		{service, "/customers", "/customers", false},
		{admin, "/issues", "/issues", true},
		{service, "/issues", "/issues", false},
		{admin, "/customers", "/customers", true}, // from the cache now
		{service, "/kb", "/kb", false},
	} {
		res := tc.who.get(tc.path)
		nav := menu.FindString(res.Body)
		if res.StatusCode != http.StatusOK || nav == "" {
			t.Fatalf("%s: status %d, menu found: %v", tc.path, res.StatusCode, nav != "")
		}
		if got := active.FindAllStringSubmatch(nav, -1); len(got) != 1 || got[0][1] != tc.wantActive {
			t.Errorf("%s: active menu items %v, want only %s", tc.path, got, tc.wantActive)
		}
		if has := strings.Contains(nav, `href="/settings"`); has != tc.settings {
			t.Errorf("%s: settings link shown %v, want %v", tc.path, has, tc.settings)
		}
		if strings.Contains(nav, `href="/activities"`) == !tc.settings {
			t.Errorf("%s: activities link for the wrong role", tc.path)
		}
	}
	// Each language has its own copies.
	zh := menu.FindString(admin.get("/customers", "Accept-Language", "zh-CN").Body)
	en := menu.FindString(admin.get("/customers", "Accept-Language", "en").Body)
	if !strings.Contains(zh, ">客户信息<") || !strings.Contains(en, ">Customers<") {
		t.Errorf("menus by language:\nzh: %.200s\nen: %.200s", zh, en)
	}
}
