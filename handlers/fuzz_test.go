package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"keyuan/models"
	"keyuan/static"
	"keyuan/views"
)

// newFuzzApp is newTestApp for a fuzz target: one application for all the
// inputs of a run (a fresh one per input would measure start-up, not input).
func newFuzzApp(f *testing.F) *testApp {
	f.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, filepath.Join(f.TempDir(), "fuzz.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if err := db.SeedDefaults(ctx); err != nil {
		f.Fatal(err)
	}
	if _, err := db.EnsureAdmin(ctx, testPassword); err != nil {
		f.Fatal(err)
	}
	assets, err := static.Load()
	if err != nil {
		f.Fatal(err)
	}
	cat, err := views.LoadCatalog()
	if err != nil {
		f.Fatal(err)
	}
	eng, err := views.New(cat, assets.URL, db.Location())
	if err != nil {
		f.Fatal(err)
	}
	srv := New(Config{BaseURL: "http://example.test", SessionKey: []byte("0123456789abcdef0123456789abcdef"),
		Location: db.Location(), LoginLimit: 1 << 30}, db, eng, assets, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ts := httptest.NewServer(srv.Handler())
	f.Cleanup(ts.Close)
	return &testApp{db: db, srv: srv, ts: ts}
}

// fuzzUser adds a user and returns a signed-in HTTP client for it.
func fuzzUser(f *testing.F, app *testApp, name string, role models.Role) (models.Actor, *http.Client) {
	f.Helper()
	a := models.Actor{ID: 1, Role: models.RoleAdmin}
	if name != "admin" {
		id, err := app.db.CreateUser(context.Background(), 0, models.NewUser{Username: name, DisplayName: name, Role: role, Password: testPassword})
		if err != nil {
			f.Fatal(err)
		}
		a = models.Actor{ID: id, Role: role}
	}
	jar, err := cookiejar.New(nil)
	if err != nil {
		f.Fatal(err)
	}
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.PostForm(app.ts.URL+"/login", url.Values{"username": {name}, "password": {testPassword}})
	if err != nil {
		f.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		f.Fatalf("login %s: %d", name, res.StatusCode)
	}
	return a, hc
}

// hostile are seed inputs that have broken web applications before.
var hostile = []string{
	"", " ", "'", `"`, "\\", "%", "_", "\x00", "a\x00b", "\xff\xfe\xfd", "😀🇨🇳", "\u202e回退",
	"'; DROP TABLE customers; --", "1 OR 1=1", "name; DROP TABLE customers", "c.id) UNION SELECT password_hash FROM users --",
	"<script>alert(1)</script>", `"><img src=x onerror=alert(1)>`, "{{.}}", "%s%d%n", "../../etc/passwd",
	"-1", "0", "99999999999999999999", "1e309", "NaN", "0x10", "converted", "active", "inactive",
	strings.Repeat("长", 10000), strings.Repeat("x", 10000),
}

// FuzzCustomerFilter feeds random query strings through the list filter into
// the list query: no panic, no SQL error, and a salesperson's page holds
// only their own rows.
func FuzzCustomerFilter(f *testing.F) {
	app := newFuzzApp(f)
	ctx := context.Background()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	sales, _ := fuzzUser(f, app, "sales1", models.RoleSales)
	other, _ := fuzzUser(f, app, "sales2", models.RoleSales)
	traits, err := app.db.AuxItemsOf(ctx, "trait")
	if err != nil {
		f.Fatal(err)
	}
	for i, name := range []string{"华信科技", "O'Brien & Sons", "100%_公司", `back\slash`} {
		owner := []models.Actor{sales, other}[i%2]
		c := models.Customer{Kind: []string{"customer", "prospect"}[i/2%2], Name: name, OwnerID: owner.ID,
			TraitIDs: []int64{traits[i].ID}}
		if err := app.db.CreateCustomer(ctx, owner, &c, []models.Contact{{Name: "联系人" + name}}); err != nil {
			f.Fatal(err)
		}
	}
	for _, h := range hostile {
		e := url.QueryEscape(h)
		f.Add("q=" + e)
		f.Add("sort=" + e + "&dir=" + e)
		f.Add("industry=" + e + "&page=" + e + "&status=" + e)
	}
	f.Add("q=%zz&sort=name")
	f.Add("owner=2&trait=1&grade=3&region=4&source=5&stage=6&sort=activity&dir=desc&page=1000000")
	f.Add(";;&&==&q")
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw) // keeps what it could parse, like a handler does
		for _, kind := range []string{"customer", "prospect"} {
			filter := customerFilterFrom(q, kind)
			if !models.ValidCustomerSort(filter.Sort) {
				t.Fatalf("sort %q passed through", filter.Sort)
			}
			if utf8.RuneCountInString(filter.Q) > 100 || filter.Page < 0 || filter.Kind != kind {
				t.Fatalf("filter not bounded: %+v", filter)
			}
			for _, a := range []models.Actor{admin, sales} {
				page, err := app.db.ListCustomers(ctx, a, filter)
				if err != nil {
					t.Fatalf("ListCustomers(%q): %v", raw, err)
				}
				for _, r := range page.Rows {
					if a.Role == models.RoleSales && r.OwnerID != a.ID {
						t.Fatalf("sales sees row %d of owner %d", r.ID, r.OwnerID)
					}
				}
				if _, err := app.db.CustomerIDs(ctx, a, filter, 1000); err != nil {
					t.Fatalf("CustomerIDs(%q): %v", raw, err)
				}
			}
		}
	})
}

// FuzzCreateCustomerForm posts random forms to the create handlers through
// the router: whatever comes in, the answer is never a server error.
func FuzzCreateCustomerForm(f *testing.F) {
	app := newFuzzApp(f)
	_, adminClient := fuzzUser(f, app, "admin", models.RoleAdmin)
	_, salesClient := fuzzUser(f, app, "sales1", models.RoleSales)
	for _, h := range hostile {
		f.Add(h, h, h, h, h, h, h, h, h, h, false)
		f.Add("正常公司", "010-1234", "a@example.com", "https://example.com", h, h, "1", "active", h, "", true)
		f.Add(h, "", "", "", "1", "1", "", "", "", h, false)
	}
	f.Add("名称", "+86 (10) 1234-5678 转 8", "A@B.CN", "http://[::1", "3", "21", "1", "inactive", "王伟", "wang@", false)
	f.Fuzz(func(t *testing.T, name, phone, email, website, category, traits, owner, status, contact, raw string, asSales bool) {
		form := url.Values{"name": {name}, "short_name": {contact}, "phone": {phone}, "email": {email}, "website": {website},
			"industry": {category}, "source": {category}, "grade": {category}, "region": {category}, "stage": {category},
			"traits": strings.Split(traits, ","), "owner": {owner}, "status": {status}, "notes": {raw}, "address": {raw},
			"contact_name": {contact}, "contact_title": {contact}, "contact_mobile": {phone}, "contact_email": {email},
			"contact_birthday": {raw}, "confirm_duplicates": {status}}
		hc := adminClient
		if asSales {
			hc = salesClient
		}
		for _, base := range []string{"/customers", "/prospects"} {
			// The encoded form, then the raw text appended as is: broken
			// escapes, NULs and stray separators reach the parser too.
			body := form.Encode() + "&" + raw
			req, err := http.NewRequest(http.MethodPost, app.ts.URL+base, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode >= 500 {
				t.Fatalf("POST %s %q: status %d\n%s", base, body, res.StatusCode, b)
			}
			switch res.StatusCode {
			case http.StatusSeeOther, http.StatusUnprocessableEntity, http.StatusConflict, http.StatusBadRequest:
			default:
				t.Fatalf("POST %s: unexpected status %d", base, res.StatusCode)
			}
		}
	})
}
