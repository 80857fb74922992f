package handlers

import (
	"context"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"keyuan/models"
)

// record is one customer or prospect of the fixture, with one contact.
type record struct {
	id, contact int64
	name, code  string
	contactName string
}

// fixture is an application with a manager, a service user and two
// salespeople; each salesperson owns one customer and one prospect.
type fixture struct {
	*testApp
	sales1, sales2, manager, service int64
	mine, theirs                     map[string]record // by kind, owned by sales1 / sales2
}

var kindBase = map[string]string{"customer": "/customers", "prospect": "/prospects"}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{testApp: newTestApp(t), mine: map[string]record{}, theirs: map[string]record{}}
	f.sales1 = f.addUser("sales1", models.RoleSales)
	f.sales2 = f.addUser("sales2", models.RoleSales)
	f.manager = f.addUser("manager", models.RoleManager)
	f.service = f.addUser("service", models.RoleService)
	for _, kind := range []string{"customer", "prospect"} {
		f.mine[kind] = f.addRecord(f.sales1, kind, "本人"+kind+"甲")
		f.theirs[kind] = f.addRecord(f.sales2, kind, "同事"+kind+"乙")
	}
	return f
}

// addRecord creates a record with one contact, owned by a salesperson.
func (a *testApp) addRecord(owner int64, kind, name string) record {
	a.t.Helper()
	ctx := context.Background()
	c := models.Customer{Kind: kind, Name: name, Phone: "010-" + strconv.Itoa(len(name)), OwnerID: owner}
	contacts := []models.Contact{{Name: name + "联系人", IsPrimary: true}}
	if err := a.db.CreateCustomer(ctx, models.Actor{ID: owner, Role: models.RoleSales}, &c, contacts); err != nil {
		a.t.Fatal(err)
	}
	return record{id: c.ID, contact: contacts[0].ID, name: name, code: c.Code, contactName: contacts[0].Name}
}

// snapshot renders every business table, so a test can prove that a refused
// request changed nothing at all (sessions are left out: they are not data).
func (a *testApp) snapshot() string {
	a.t.Helper()
	var b strings.Builder
	for _, table := range []string{"customers", "customer_traits", "contacts", "users", "aux_items",
		"numbering_rules", "numbering_counters", "audit_log", "settings",
		"activities", "activity_competitors", "plans", "competitors", "opportunities", "notifications", "calendar_tokens",
		"issues", "issue_handlings", "articles", "article_helped", "search_queue",
		"attachments", "file_blobs", "comments", "comment_versions"} {
		rows, err := a.db.Read.Query("SELECT * FROM " + table + " ORDER BY 1, 2")
		if err != nil {
			a.t.Fatal(err)
		}
		if err := models.EachRow(rows, func(vals []any) error {
			fmt.Fprintf(&b, "%s %q\n", table, vals)
			return nil
		}); err != nil {
			a.t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

// routeCase is one request of an access table.
type routeCase struct {
	name   string
	method string
	path   string
	form   url.Values
}

func (c *client) send(rc routeCase, headers ...string) *response {
	c.t.Helper()
	if rc.method == http.MethodPost {
		return c.post(rc.path, rc.form, headers...)
	}
	return c.get(rc.path, headers...)
}

// recordRoutes lists every route that names one record (id) and, where it
// has one, a contact of it (cid). A new per-record route goes here.
func recordRoutes(kind string, id, cid int64) []routeCase {
	p := fmt.Sprintf("%s/%d", kindBase[kind], id)
	cp := fmt.Sprintf("%s/contacts/%d", p, cid)
	out := []routeCase{
		{"card", "GET", p, nil},
		{"edit form", "GET", p + "/edit", nil},
		{"update", "POST", p, url.Values{"name": {"被改名"}, "phone": {"010-999"}}},
		{"new contact form", "GET", p + "/contacts/new", nil},
		{"create contact", "POST", p + "/contacts", url.Values{"name": {"插进来的联系人"}}},
		{"edit contact form", "GET", cp + "/edit", nil},
		{"update contact", "POST", cp, url.Values{"name": {"被改名的联系人"}}},
		{"delete contact", "POST", cp + "/delete", nil},
	}
	if kind == "prospect" {
		out = append(out, routeCase{"convert", "POST", p + "/convert", nil})
	}
	// Last: the owner's own use of it would take the record away.
	return append(out, routeCase{"delete", "POST", p + "/delete", nil})
}

// TestSalesCannotReachColleaguesRecords: every per-record route, given a
// colleague's record id, answers 404 and changes nothing.
func TestSalesCannotReachColleaguesRecords(t *testing.T) {
	f := newFixture(t)
	sales := f.login("sales1")
	for _, kind := range []string{"customer", "prospect"} {
		theirs, mine := f.theirs[kind], f.mine[kind]
		other := "prospect"
		if kind == "prospect" {
			other = "customer"
		}
		var cases []routeCase
		for _, rc := range recordRoutes(kind, theirs.id, theirs.contact) {
			rc.name = "colleague's record: " + rc.name
			cases = append(cases, rc)
		}
		// A colleague's contact reached through one's own record.
		for _, rc := range recordRoutes(kind, mine.id, theirs.contact) {
			if strings.Contains(rc.path, fmt.Sprintf("/contacts/%d", theirs.contact)) {
				rc.name = "colleague's contact under own record: " + rc.name
				cases = append(cases, rc)
			}
		}
		// One's own record under the other kind's URL is not found either.
		cases = append(cases, routeCase{"own record under the wrong kind", "GET",
			fmt.Sprintf("%s/%d", kindBase[other], mine.id), nil})

		for _, rc := range cases {
			t.Run(kind+"/"+rc.name, func(t *testing.T) {
				before := f.snapshot()
				res := sales.send(rc)
				if res.StatusCode != http.StatusNotFound {
					t.Errorf("%s %s: status %d, want 404", rc.method, rc.path, res.StatusCode)
				}
				for _, leak := range []string{theirs.name, theirs.code, theirs.contactName} {
					if strings.Contains(res.Body, leak) {
						t.Errorf("response shows %q", leak)
					}
				}
				if after := f.snapshot(); after != before {
					t.Errorf("data changed:\n%s", diffLines(before, after))
				}
			})
		}
	}
	// The same routes work on one's own records, so the 404s above are the
	// row rule and not a broken route.
	for _, kind := range []string{"customer", "prospect"} {
		mine := f.mine[kind]
		for _, rc := range recordRoutes(kind, mine.id, mine.contact) {
			if rc.method != "GET" {
				continue
			}
			t.Run(kind+"/own record: "+rc.name, func(t *testing.T) {
				if res := sales.send(rc); res.StatusCode != http.StatusOK {
					t.Errorf("%s: status %d, want 200", rc.path, res.StatusCode)
				}
			})
		}
	}
}

// diffLines shows the lines that differ between two snapshots.
func diffLines(a, b string) string {
	in := map[string]bool{}
	for _, l := range strings.Split(a, "\n") {
		in[l] = true
	}
	var out []string
	for _, l := range strings.Split(b, "\n") {
		if !in[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

// collectionCase is a request for many rows of a list.
type collectionCase struct {
	rc       routeCase
	headers  []string
	wantMine bool // the response must list the salesperson's own record
}

// collectionRoutes lists every route that returns or changes many rows, as a
// salesperson (me) with one record (mine) would try them on a colleague's
// (them, theirs). A new list, export or batch route goes here.
func collectionRoutes(kind string, mine, theirs, me, them int64) []collectionCase {
	base := kindBase[kind]
	byOwner := "owner=" + strconv.FormatInt(them, 10)
	return []collectionCase{
		{routeCase{"list", "GET", base, nil}, nil, true},
		{routeCase{"list fragment", "GET", base, nil}, []string{"HX-Request", "true", "HX-Target", "results"}, true},
		{routeCase{"list filtered by the colleague", "GET", base + "?" + byOwner, nil}, nil, false},
		{routeCase{"export", "GET", base + "/export.csv", nil}, nil, true},
		{routeCase{"export filtered by the colleague", "GET", base + "/export.csv?" + byOwner, nil}, nil, false},
		// XLSX is compressed, so its content is compared in TestExportCSVAndXLSXMatch.
		{routeCase{"xlsx export filtered by the colleague", "GET", base + "/export.xlsx?" + byOwner, nil}, nil, false},
		{routeCase{"batch add of a colleague's row to a campaign", "POST", base + "/batch",
			url.Values{"action": {"campaign"}, "id": {strconv.FormatInt(theirs, 10)}, "campaign": {"1"}}}, nil, false},
		{routeCase{"batch export of all matching", "POST", base + "/batch", url.Values{"action": {"export"}, "all": {"1"}}}, nil, true},
		{routeCase{"batch export of all of the colleague's", "POST", base + "/batch",
			url.Values{"action": {"export"}, "all": {"1"}, "filter": {byOwner}}}, nil, false},
		{routeCase{"batch export of ticked rows", "POST", base + "/batch",
			url.Values{"action": {"export"}, "id": {strconv.FormatInt(theirs, 10), strconv.FormatInt(mine, 10)}}}, nil, true},
		{routeCase{"batch export of a colleague's row only", "POST", base + "/batch",
			url.Values{"action": {"export"}, "id": {strconv.FormatInt(theirs, 10)}}}, nil, false},
		{routeCase{"batch owner change of a colleague's row", "POST", base + "/batch",
			url.Values{"action": {"owner"}, "id": {strconv.FormatInt(theirs, 10)}, "new_owner": {strconv.FormatInt(me, 10)}}}, nil, false},
		{routeCase{"batch owner change of all", "POST", base + "/batch",
			url.Values{"action": {"owner"}, "all": {"1"}, "new_owner": {strconv.FormatInt(me, 10)}}}, nil, false},
		{routeCase{"duplicate check", "GET", base + "/duplicates?phone=0", nil}, nil, false},
		// Merges are for managers (team.manage): a salesperson gets 404.
		{routeCase{"possible duplicates report", "GET", base + "/duplicates-report", nil}, nil, false},
		{routeCase{"merge screen with a colleague's record", "GET", base + "/merge?id=" + strconv.FormatInt(mine, 10) +
			"&id=" + strconv.FormatInt(theirs, 10), nil}, nil, false},
		{routeCase{"merge of a colleague's record into own", "POST", base + "/merge", url.Values{"id": {strconv.FormatInt(mine, 10),
			strconv.FormatInt(theirs, 10)}, "survivor": {strconv.FormatInt(mine, 10)}}}, nil, false},
		{routeCase{"new form", "GET", base + "/new", nil}, nil, false},
		{routeCase{"create (always for oneself)", "POST", base, url.Values{"name": {"本人新建" + kind}, "owner": {strconv.FormatInt(them, 10)}}}, nil, false},
	}
}

// TestSalesCollectionsHoldOnlyOwnRows: lists, exports and batch actions of
// a salesperson never include a colleague's rows, however they are asked.
func TestSalesCollectionsHoldOnlyOwnRows(t *testing.T) {
	f := newFixture(t)
	sales := f.login("sales1")
	for _, kind := range []string{"customer", "prospect"} {
		base := kindBase[kind]
		mine, theirs := f.mine[kind], f.theirs[kind]
		cases := collectionRoutes(kind, mine.id, theirs.id, f.sales1, f.sales2)
		for _, tc := range cases {
			t.Run(kind+"/"+tc.rc.name, func(t *testing.T) {
				before := f.snapshot()
				res := sales.send(tc.rc, tc.headers...)
				if res.StatusCode >= 400 && res.StatusCode != http.StatusNotFound {
					t.Fatalf("status %d", res.StatusCode)
				}
				if leak := leaked(res.Body, tc.rc, base, theirs); leak != "" {
					t.Errorf("a colleague's row is in the response (%s):\n%s", leak, res.Body)
				}
				if tc.wantMine && !strings.Contains(res.Body, mine.name) {
					t.Errorf("own row %q missing (status %d)", mine.name, res.StatusCode)
				}
				if tc.rc.method == "POST" && tc.rc.path == base {
					return // creating is allowed; TestCreateAndEditCustomer checks the owner
				}
				if after := f.snapshot(); after != before {
					t.Errorf("data changed:\n%s", diffLines(before, after))
				}
			})
		}
		// Searches by the colleague's name or contact find nothing.
		for _, q := range []string{theirs.name, theirs.contactName} {
			res := sales.get(base + "?q=" + url.QueryEscape(q))
			if leak := leaked(res.Body, routeCase{path: base + "?q=" + q}, base, theirs); leak != "" || !strings.Contains(res.Body, "共 0 条") {
				t.Errorf("%s: searching %q finds a colleague's row (%s)", kind, q, leak)
			}
		}
		t.Run(kind+"/duplicate check names a colleague's record without a link", func(t *testing.T) {
			res := sales.get(base + "/duplicates?name=" + url.QueryEscape(theirs.name))
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, theirs.name) {
				t.Fatalf("status %d; the de-duplication check must name the record:\n%s", res.StatusCode, res.Body)
			}
			if strings.Contains(res.Body, fmt.Sprintf(`href="%s/%d"`, base, theirs.id)) {
				t.Error("the duplicate check links to a colleague's record")
			}
		})
	}
	t.Run("the manager sees both", func(t *testing.T) {
		res := f.login("manager").get("/customers")
		if !strings.Contains(res.Body, f.mine["customer"].name) || !strings.Contains(res.Body, f.theirs["customer"].name) {
			t.Error("manager's list lacks a salesperson's rows")
		}
	})
}

// leaked names what of record r shows in body: its code, a link to it, or its
// name or contact (unless the request itself typed them, as a search does).
func leaked(body string, rc routeCase, base string, r record) string {
	asked, err := url.QueryUnescape(rc.path + "?" + rc.form.Encode())
	if err != nil {
		asked = rc.path
	}
	switch {
	case strings.Contains(body, r.code):
		return "code " + r.code
	case strings.Contains(body, fmt.Sprintf(`%s/%d"`, base, r.id)):
		return "link"
	case !strings.Contains(asked, r.name) && strings.Contains(body, r.name):
		return "name " + r.name
	case !strings.Contains(asked, r.contactName) && strings.Contains(body, r.contactName):
		return "contact " + r.contactName
	}
	return ""
}

// TestServiceRoleReadsOnly: service staff read customer cards but every
// create or change is refused (403 or 404) and changes nothing.
func TestServiceRoleReadsOnly(t *testing.T) {
	f := newFixture(t)
	svc := f.login("service")
	for _, kind := range []string{"customer", "prospect"} {
		base := kindBase[kind]
		rec := f.theirs[kind]
		reads := []routeCase{
			{"list", "GET", base, nil},
			{"card", "GET", fmt.Sprintf("%s/%d", base, rec.id), nil},
			{"export", "GET", base + "/export.csv", nil},
		}
		for _, rc := range reads {
			t.Run(kind+"/"+rc.name, func(t *testing.T) {
				res := svc.send(rc)
				if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, rec.name) {
					t.Errorf("status %d, or %q missing", res.StatusCode, rec.name)
				}
			})
		}
		t.Run(kind+"/card offers no edit", func(t *testing.T) {
			res := svc.get(fmt.Sprintf("%s/%d", base, rec.id))
			if strings.Contains(res.Body, fmt.Sprintf(`href="%s/%d/edit"`, base, rec.id)) {
				t.Error("the card links to the edit form")
			}
		})
		writes := append([]routeCase{
			{"new form", "GET", base + "/new", nil},
			{"create", "POST", base, url.Values{"name": {"服务人员新建"}}},
			{"batch owner change", "POST", base + "/batch", url.Values{"action": {"owner"}, "all": {"1"},
				"new_owner": {strconv.FormatInt(f.sales1, 10)}}},
		}, recordRoutes(kind, rec.id, rec.contact)[1:]...)
		for _, rc := range writes {
			t.Run(kind+"/"+rc.name, func(t *testing.T) {
				before := f.snapshot()
				res := svc.send(rc)
				ok := res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusNotFound
				if rc.name == "batch owner change" {
					ok = res.StatusCode < 500
				}
				if !ok {
					t.Errorf("%s %s: status %d, want 403 or 404", rc.method, rc.path, res.StatusCode)
				}
				if after := f.snapshot(); after != before {
					t.Errorf("data changed:\n%s", diffLines(before, after))
				}
			})
		}
	}
}

// adminRoutes lists every admin-only route. A new settings or user screen
// goes here.
func adminRoutes(userID, itemID int64) []routeCase {
	u := strconv.FormatInt(userID, 10)
	i := strconv.FormatInt(itemID, 10)
	rule := url.Values{"prefix": {"X"}, "date_part": {""}, "width": {"3"}, "reset": {"never"}}
	item := url.Values{"code": {"ZZ"}, "name_zh": {"新项"}, "sort_order": {"1"}, "active": {"1"}}
	return []routeCase{
		{"settings", "GET", "/settings", nil},
		{"numbering", "GET", "/settings/numbering", nil},
		{"numbering preview", "GET", "/settings/numbering/customer/preview?" + rule.Encode(), nil},
		{"numbering save", "POST", "/settings/numbering/customer", rule},
		{"aux list", "GET", "/settings/aux/industry", nil},
		{"aux new form", "GET", "/settings/aux/industry/new", nil},
		{"aux create", "POST", "/settings/aux/industry", item},
		{"aux edit form", "GET", "/settings/aux/industry/" + i + "/edit", nil},
		{"aux update", "POST", "/settings/aux/industry/" + i, item},
		{"aux delete", "POST", "/settings/aux/industry/" + i + "/delete", nil},
		{"users", "GET", "/admin/users", nil},
		{"user new form", "GET", "/admin/users/new", nil},
		{"user create", "POST", "/admin/users", url.Values{"username": {"intruder"}, "display_name": {"x"}, "role": {"admin"}, "password": {"password999"}}},
		{"user edit form", "GET", "/admin/users/" + u + "/edit", nil},
		{"user two-step reset", "POST", "/admin/users/" + u + "/2fa/reset", nil},
		{"teams", "GET", "/admin/teams", nil},
		{"team new form", "GET", "/admin/teams/new", nil},
		{"team create", "POST", "/admin/teams", url.Values{"name": {"入侵团队"}, "member": {u}}},
		{"team edit form", "GET", "/admin/teams/999999", nil},
		{"team update", "POST", "/admin/teams/999999", url.Values{"name": {"x"}}},
		{"team delete", "POST", "/admin/teams/999999/delete", nil},
		{"roles", "GET", "/admin/roles", nil},
		{"role edit form", "GET", "/admin/roles/sales", nil},
		// An unknown role: the admin's pass must not change the fixture's roles.
		{"role save", "POST", "/admin/roles/nosuchrole", url.Values{"perm": {"settings.manage"}}},
		{"role reset", "POST", "/admin/roles/nosuchrole/reset", nil},
		{"role copy", "POST", "/admin/roles/nosuchrole/copy", url.Values{"copy_name": {"x"}}},
		{"role delete", "POST", "/admin/roles/nosuchrole/delete", nil},
		{"security log", "GET", "/admin/security", nil},
		{"two-step rule", "POST", "/admin/security/2fa", nil},
		{"user update", "POST", "/admin/users/" + u, url.Values{"display_name": {"x"}, "role": {"admin"}, "active": {"1"}}},
		{"user password reset", "POST", "/admin/users/" + u + "/password", url.Values{"password": {"password999"}}},
		{"mail settings", "GET", "/admin/mail", nil},
		{"mail settings save", "POST", "/admin/mail", url.Values{"host": {"evil.example"}, "port": {"25"}, "tls": {"none"},
			"per_minute": {"0"}, "per_hour": {"0"}}},
		{"mail file", "GET", "/admin/mail/files/x.eml", nil},
		{"do-not-mail list", "GET", "/admin/mail/suppressions?q=example", nil},
		{"do-not-mail allow", "POST", "/admin/mail/suppressions/allow", url.Values{"email": {"bounced@example.cn"}}},
		{"webhooks", "GET", "/admin/webhooks", nil},
		{"webhook settings", "POST", "/admin/webhooks/settings", url.Values{"allow_private": {"1"}}},
		{"webhook new form", "GET", "/admin/webhooks/new", nil},
		{"webhook create", "POST", "/admin/webhooks", url.Values{"name": {"x"}, "url": {"http://evil.example/"}, "kind": {"generic"},
			"events": {"customer.created"}}},
		{"webhook edit form", "GET", "/admin/webhooks/1", nil},
		{"webhook update", "POST", "/admin/webhooks/1", url.Values{"name": {"x"}, "url": {"http://evil.example/"}, "kind": {"generic"},
			"events": {"customer.created"}}},
		{"webhook pause", "POST", "/admin/webhooks/1/pause", url.Values{"paused": {"1"}}},
		{"webhook delete", "POST", "/admin/webhooks/1/delete", nil},
		{"webhook test event", "POST", "/admin/webhooks/1/ping", nil},
		{"webhook redeliver", "POST", "/admin/webhooks/1/deliveries/1/redeliver", nil},
		{"search index", "GET", "/admin/search", nil},
		{"search index rebuild", "POST", "/admin/search/rebuild", nil},
		{"search synonyms", "GET", "/admin/search/synonyms", nil},
		{"search synonyms save", "POST", "/admin/search/synonyms", url.Values{"synonyms": {"甲, 乙"}}},
		{"all API tokens", "GET", "/admin/api-tokens", nil},
		{"revoke anyone's API token", "POST", "/admin/api-tokens/999999/revoke", nil},
		{"attachment settings", "GET", "/admin/files", nil},
		{"attachment settings save", "POST", "/admin/files", url.Values{"types": {"text/html"}, "max_mb": {"200"}, "quota_mb": {"1"}}},
		{"backups", "GET", "/admin/backups", nil},
		{"back up now", "POST", "/admin/backups", nil},
		{"backup download", "GET", "/admin/backups/keyuan-20261203-183000Z.tar.gz", nil},
		{"backup delete", "POST", "/admin/backups/keyuan-20261203-183000Z.tar.gz/delete", nil},
		// Erasure (PIPL) is the admins' alone; erase_test.go erases a real one.
		{"erase a customer", "POST", "/customers/999999/erase", url.Values{"confirm_code": {"KH99999"}}},
		{"erase a prospect", "POST", "/prospects/999999/erase", url.Values{"confirm_code": {"QK99999"}}},
		{"erase a contact", "POST", "/customers/999999/contacts/1/erase", nil},
		{"erase a prospect's contact", "POST", "/prospects/999999/contacts/1/erase", nil},
	}
}

func TestAdminOnlyPages(t *testing.T) {
	f := newFixture(t)
	items, err := f.db.AuxItemsOf(context.Background(), "industry")
	if err != nil {
		t.Fatal(err)
	}
	routes := adminRoutes(f.sales1, items[len(items)-1].ID)
	f.addUser("director", models.RoleDirector)
	f.addUser("supervisor", models.RoleSupervisor)
	for _, who := range []string{"manager", "director", "supervisor", "sales1", "service"} {
		c := f.login(who)
		for _, rc := range routes {
			t.Run(who+"/"+rc.name, func(t *testing.T) {
				before := f.snapshot()
				res := c.send(rc)
				if res.StatusCode != http.StatusForbidden {
					t.Errorf("%s %s: status %d, want 403", rc.method, rc.path, res.StatusCode)
				}
				if after := f.snapshot(); after != before {
					t.Errorf("data changed:\n%s", diffLines(before, after))
				}
			})
		}
	}
	t.Run("anonymous is sent to the login page", func(t *testing.T) {
		anon := f.anon()
		for _, rc := range routes {
			res := anon.send(rc)
			if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
				t.Errorf("%s %s: status %d location %q", rc.method, rc.path, res.StatusCode, res.Header.Get("Location"))
			}
		}
	})
	t.Run("the admin gets through", func(t *testing.T) {
		admin := f.login("admin")
		for _, rc := range routes {
			res := admin.send(rc)
			if res.StatusCode == http.StatusForbidden || res.StatusCode >= 500 {
				t.Errorf("%s %s: status %d", rc.method, rc.path, res.StatusCode)
			}
		}
	})
}

// selfRoutes are the routes that are public or act only on the signed-in
// user themself, so they need no row rule.
var selfRoutes = []routeCase{
	{"healthz", "GET", "/healthz", nil},
	{"static", "GET", "/static/app.css", nil},
	{"favicon", "GET", "/favicon.ico", nil},
	{"login page", "GET", "/login", nil},
	{"login", "POST", "/login", nil},
	{"logout", "POST", "/logout", nil},
	{"home", "GET", "/", nil},
	{"profile", "GET", "/profile", nil},
	{"own password", "POST", "/profile/password", nil},
	{"own language", "POST", "/profile/lang", nil},
	{"own two-step setup", "GET", "/profile/2fa", nil},
	{"own two-step on", "POST", "/profile/2fa", nil},
	{"own two-step off", "POST", "/profile/2fa/disable", nil},
	// The second step of a login: keyed by the browser's challenge cookie.
	{"login second step page", "GET", "/login/2fa", nil},
	{"login second step", "POST", "/login/2fa", nil},
	// One's own API tokens (another's token is 404: TestAPITokenPages).
	{"own API tokens", "GET", "/profile/api-tokens", nil},
	{"new API token", "POST", "/profile/api-tokens", nil},
	{"revoke own API token", "POST", "/profile/api-tokens/1/revoke", nil},
	{"API documentation page", "GET", "/api-docs", nil},
	{"own notice channels", "GET", "/profile/notices", nil},
	{"own notice channels save", "POST", "/profile/notices", nil},
	// Links inside campaign e-mail: public, keyed by an unguessable token.
	{"unsubscribe page", "GET", "/u/token", nil},
	{"unsubscribe", "POST", "/u/token", nil},
	{"open pixel", "GET", "/o/token.gif", nil},
	// Lists and forms that only ever hold or create the user's own rows;
	// their row rules are tested in campaigns_test.go, contacts_list_test.go
	// and imports_test.go.
	{"campaign list", "GET", "/campaigns", nil},
	{"campaign new form", "GET", "/campaigns/new", nil},
	{"campaign create", "POST", "/campaigns", nil},
	{"open campaigns for the batch select", "GET", "/campaigns/options", nil},
	{"campaign export csv", "GET", "/campaigns/export.csv", nil},
	{"campaign export xlsx", "GET", "/campaigns/export.xlsx", nil},
	{"contacts list", "GET", "/contacts", nil},
	{"contacts export csv", "GET", "/contacts/export.csv", nil},
	{"contacts export xlsx", "GET", "/contacts/export.xlsx", nil},
	{"import upload form", "GET", "/import", nil},
	{"import upload", "POST", "/import", nil},
}

// routeRegexp turns a gin pattern into a regexp: :param is one path
// segment, *param the rest of the path.
func routeRegexp(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i, seg := range strings.Split(pattern, "/") {
		if i > 0 {
			b.WriteString("/")
		}
		switch {
		case strings.HasPrefix(seg, ":"):
			b.WriteString(`[^/]+`)
		case strings.HasPrefix(seg, "*"):
			b.WriteString(`.+`)
		default:
			b.WriteString(regexp.QuoteMeta(seg))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// TestAccessTablesCoverEveryRoute reads routes.go and fails for a route that
// no access table above tries, so a new route cannot skip the row rules.
func TestAccessTablesCoverEveryRoute(t *testing.T) {
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, "routes.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var tried []routeCase
	tried = append(tried, selfRoutes...)
	tried = append(tried, adminRoutes(7, 8)...)
	tried = append(tried, campaignRoutes(7, 8)...)
	tried = append(tried, importRoutes(7)...)
	for _, c := range activityRoutes(&actWorld{}) {
		tried = append(tried, c.routeCase)
	}
	for _, c := range reportRoutes(&repWorld{actWorld: &actWorld{}}) {
		tried = append(tried, c.routeCase)
	}
	for _, kind := range []string{"customer", "prospect"} {
		tried = append(tried, recordRoutes(kind, 7, 8)...)
		for _, c := range collectionRoutes(kind, 7, 8, 1, 2) {
			tried = append(tried, c.rc)
		}
	}
	for _, c := range serviceRoutes(7, 8, 9, 10, 11) {
		tried = append(tried, c.routeCase)
	}
	for _, c := range apiRoutes(7, 8, 9, 10, 11, 12, 13, 14) {
		tried = append(tried, c.routeCase)
	}
	tried = append(tried, fileRoutes("customer", 7, 8, 9)...)
	found := 0
	ast.Inspect(file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) < 2 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "GET" && sel.Sel.Name != "POST" && sel.Sel.Name != "PATCH" && sel.Sel.Name != "DELETE") {
			return true
		}
		lit, ok := call.Args[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		pattern, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		prefixes := []string{""}
		if recv, ok := sel.X.(*ast.Ident); ok && recv.Name == "g" { // the customer/prospect group
			prefixes = []string{kindBase["customer"], kindBase["prospect"]}
		} else if ok && (recv.Name == "api" || recv.Name == "v1") { // the REST API's groups
			prefixes = []string{"/api/v1"}
		}
		for _, prefix := range prefixes {
			found++
			re := routeRegexp(prefix + pattern)
			covered := false
			for _, rc := range tried {
				path, _, _ := strings.Cut(rc.path, "?")
				if rc.method == sel.Sel.Name && re.MatchString(path) {
					covered = true
					break
				}
			}
			if !covered {
				t.Errorf("%s %s%s (routes.go:%d) is in no access table: add it to recordRoutes, collectionRoutes, adminRoutes, serviceRoutes, selfRoutes, activityRoutes, reportRoutes or apiRoutes",
					sel.Sel.Name, prefix, pattern, fset.Position(call.Pos()).Line)
			}
		}
		return true
	})
	if found < 30 {
		t.Fatalf("found only %d routes in routes.go; is the parser looking at the right calls?", found)
	}
}
