package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/securecookie"

	"keyuan/models"
)

func TestLogin(t *testing.T) {
	app := newTestApp(t)
	app.addUser("sales1", models.RoleSales)
	gone := app.addUser("gone", models.RoleSales)
	if err := app.db.UpdateUser(t.Context(), 0, models.User{ID: gone, DisplayName: "gone", Role: models.RoleSales, Active: false}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, username, password string
		want                     int
	}{
		{"right password", "sales1", testPassword, http.StatusSeeOther},
		{"username in other case and with spaces", "  SALES1 ", testPassword, http.StatusSeeOther},
		{"wrong password", "sales1", "wrong-password", http.StatusUnauthorized},
		{"unknown user", "nobody", testPassword, http.StatusUnauthorized},
		{"empty", "", "", http.StatusUnauthorized},
		{"disabled user", "gone", testPassword, http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := app.anon()
			res := c.post("/login", url.Values{"username": {tt.username}, "password": {tt.password}})
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			home := c.get("/")
			if tt.want == http.StatusSeeOther {
				if res.Header.Get("Location") != "/" {
					t.Errorf("redirect to %q", res.Header.Get("Location"))
				}
				if home.StatusCode != http.StatusOK {
					t.Errorf("home after login: %d", home.StatusCode)
				}
				return
			}
			if !strings.Contains(res.Body, "用户名或密码不正确") {
				t.Error("failure message missing")
			}
			if strings.Contains(res.Body, tt.password) && tt.password != "" {
				t.Error("the password is echoed back")
			}
			if home.StatusCode != http.StatusSeeOther {
				t.Errorf("home after failed login: %d", home.StatusCode)
			}
		})
	}
}

func TestSessionCookieFlags(t *testing.T) {
	app := newTestApp(t)
	res := app.anon().post("/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	var ck *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			ck = c
		}
	}
	if ck == nil {
		t.Fatal("no session cookie")
	}
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Lax, Path=/", ck)
	}
	if ck.Secure {
		t.Error("Secure cookie on a plain-http base URL would never come back")
	}
}

func TestLoginThrottle(t *testing.T) {
	app := newTestApp(t)
	c := app.anon()
	for i := 1; i <= 10; i++ {
		res := c.post("/login", url.Values{"username": {"admin"}, "password": {"wrong" + strconv.Itoa(i)}})
		if res.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i, res.StatusCode)
		}
	}
	// The 11th attempt is refused even with the right password.
	res := c.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}})
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after 10 failures: status %d, want 429", res.StatusCode)
	}
	if !strings.Contains(res.Body, "登录失败次数过多") {
		t.Error("throttle message missing")
	}
	if c.get("/").StatusCode != http.StatusSeeOther {
		t.Error("a throttled login still signed in")
	}
}

// testClock is a clock the test moves: windows pass without sleeping.
type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time      { return c.now }
func (c *testClock) Add(d time.Duration) { c.now = c.now.Add(d) }
func newTestClock() *testClock           { return &testClock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)} }

func TestLoginThrottleWindow(t *testing.T) {
	clk := newTestClock()
	th := newLoginThrottle(3, 15*time.Minute, clk.Now)
	for range 3 {
		th.fail("admin", "10.0.0.1")
	}
	if !th.blocked("admin", "10.0.0.1") {
		t.Fatal("not blocked after 3 failures")
	}
	if th.blocked("admin", "10.0.0.2") || th.blocked("lina", "10.0.0.1") {
		t.Error("another source or account is blocked too")
	}
	clk.Add(15*time.Minute + time.Second)
	if th.blocked("admin", "10.0.0.1") {
		t.Error("still blocked after the window")
	}
}

// TestLoginThrottleNotResetByOtherAccount is the hole: a successful login
// of one's own account cleared the IP's failures, so anyone with an account
// could guess another's password without limit.
func TestLoginThrottleNotResetByOtherAccount(t *testing.T) {
	th := newLoginThrottle(3, 15*time.Minute, newTestClock().Now)
	for round := 0; round < 10; round++ {
		if th.blocked("admin", "10.0.0.9") {
			if round < 3 {
				t.Fatalf("blocked after %d failures", round)
			}
			return
		}
		th.fail("admin", "10.0.0.9")
		th.succeed("lina", "10.0.0.9") // the attacker logs into their own account
	}
	t.Fatal("admin's password could be guessed 10 times")
}

// TestLoginThrottleOfficeBehindNAT: one person's typos lock only their own
// account, not colleagues who share the office's address.
func TestLoginThrottleOfficeBehindNAT(t *testing.T) {
	th := newLoginThrottle(3, 15*time.Minute, newTestClock().Now)
	for range 5 {
		th.fail("zhangwei", "203.0.113.7")
	}
	if !th.blocked("zhangwei", "203.0.113.7") || th.blocked("lina", "203.0.113.7") {
		t.Error("the lock is not per account and source")
	}
	// Guessing across many accounts from one address hits the source limit.
	for i := range 3 * sourceFactor {
		th.fail("user"+strconv.Itoa(i), "198.51.100.1")
	}
	if !th.blocked("newuser", "198.51.100.1") {
		t.Error("a spray of accounts from one address is not stopped")
	}
}

// TestLoginThrottleMemoryBounded: spraying addresses evicts the oldest
// entries; it does not wipe everyone's counters (it used to reset all at
// 100,000).
func TestLoginThrottleMemoryBounded(t *testing.T) {
	th := newLoginThrottle(3, 15*time.Minute, newTestClock().Now)
	th.max = 1000
	for range 3 {
		th.fail("admin", "10.0.0.1")
	}
	for i := range 400 { // 800 keys: under the cap, the victim's lock stays
		th.fail("x", "2001:db8::"+strconv.FormatInt(int64(i)<<16, 16)+":1")
	}
	if !th.blocked("admin", "10.0.0.1") {
		t.Error("other addresses' failures reset the lock")
	}
	for i := range 5000 {
		th.fail("x", "192.0."+strconv.Itoa(i/250)+"."+strconv.Itoa(i%250))
	}
	if len(th.keys) > th.max || th.lru.Len() != len(th.keys) {
		t.Errorf("%d keys (list %d), cap %d", len(th.keys), th.lru.Len(), th.max)
	}
	// IPv6 addresses of one /64 are one source.
	if sourceKey("2001:db8:1:2::1") != sourceKey("2001:db8:1:2:ffff::9") || sourceKey("2001:db8:1:3::1") == sourceKey("2001:db8:1:2::1") {
		t.Error("IPv6 is not keyed per /64")
	}
}

func TestSafeNext(t *testing.T) {
	tests := []struct{ next, want string }{
		{"/customers?q=1", "/customers?q=1"},
		{"/prospects/3", "/prospects/3"},
		{"", "/"},
		{"//evil.com", "/"},
		{"//evil.com/path", "/"},
		{"/\\evil.com", "/"},
		{"\\\\evil.com", "/"},
		{"https://evil.com", "/"},
		{"http:evil.com", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.com", "/"},
		{"/\t/evil.com", "/"},
		{"/\r\nSet-Cookie: x=1", "/"},
		// TestOpenRedirectBackslash: the spellings that reach another site.
		{"/./\\evil.example", "/"},
		{"/.\\evil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%5C%5Cevil.example", "/"},
		{"/./%2F/evil.example", "/%2F/evil.example"}, // one path segment: local
		{"///evil.example", "/"},
		{"/../..//evil.example", "/evil.example"},
		{"/\x00/evil.example", "/"},
		{"/customers/../plans", "/plans"},
	}
	app := newTestApp(t)
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			if got := safeNext(tt.next); got != tt.want {
				t.Errorf("safeNext(%q) = %q, want %q", tt.next, got, tt.want)
			}
			// Through the router: the login redirect stays on this site.
			c := app.anon()
			res := c.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}, "next": {tt.next}})
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || loc != tt.want {
				t.Errorf("login redirect: %d %q, want %q", res.StatusCode, loc, tt.want)
			}
			// Already signed in, the login page redirects the same way.
			res = c.get("/login?next=" + url.QueryEscape(tt.next))
			if loc := res.Header.Get("Location"); loc != tt.want {
				t.Errorf("login page redirect %q, want %q", loc, tt.want)
			}
		})
	}
	t.Run("the login form carries only a safe next", func(t *testing.T) {
		res := app.anon().get("/login?next=" + url.QueryEscape("//evil.com"))
		if strings.Contains(res.Body, "evil.com") || !strings.Contains(res.Body, `name="next" value="/"`) {
			t.Error("login form carries the unsafe next")
		}
	})
	t.Run("anonymous visit remembers the page", func(t *testing.T) {
		res := app.anon().get("/customers?q=" + url.QueryEscape("华"))
		want := "/login?next=" + url.QueryEscape("/customers?q=%E5%8D%8E")
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != want {
			t.Errorf("%d %q, want %q", res.StatusCode, res.Header.Get("Location"), want)
		}
		res = app.anon().get("/customers", "HX-Request", "true")
		if res.StatusCode != http.StatusNoContent || !strings.HasPrefix(res.Header.Get("HX-Redirect"), "/login?next=") {
			t.Errorf("htmx: %d HX-Redirect %q", res.StatusCode, res.Header.Get("HX-Redirect"))
		}
	})
}

// sessionCookieOf returns the client's current session cookie value.
func (c *client) sessionCookieOf() string {
	u, _ := url.Parse(c.app.ts.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == sessionCookie {
			return ck.Value
		}
	}
	return ""
}

// withCookie is a fresh client that presents only the given session cookie.
func (a *testApp) withCookie(value string) *client {
	c := a.anon()
	u, _ := url.Parse(a.ts.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: value, Path: "/"}})
	return c
}

func signedIn(c *client) bool {
	c.t.Helper()
	res := c.get("/profile")
	return res.StatusCode == http.StatusOK
}

func TestLogoutEndsSession(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	old := c.sessionCookieOf()
	if old == "" || !signedIn(app.withCookie(old)) {
		t.Fatal("the session cookie does not work before logout")
	}
	res := c.post("/logout", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("logout: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if signedIn(c) {
		t.Error("still signed in after logout")
	}
	// A copy of the old cookie (kept by an attacker, or another tab) is dead too.
	if signedIn(app.withCookie(old)) {
		t.Error("the old session cookie still works after logout")
	}
}

func TestForgedSessionCookie(t *testing.T) {
	app := newTestApp(t)
	for _, v := range []string{"", "garbage", strings.Repeat("A", 4000), "MTIz|bad|sig"} {
		if signedIn(app.withCookie(v)) {
			t.Errorf("cookie %q signs in", v)
		}
	}
}

// TestSessionRowHoldsOnlyTheUser: the user id has its own column, so a plain
// signed-in session stores no gob data, and a cookie signed the way sessions
// were before (a gob-encoded id) is no session rather than an error.
func TestSessionRowHoldsOnlyTheUser(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	var n int
	var data []byte
	if err := app.db.Read.QueryRow(`SELECT COUNT(*), MAX(data) FROM sessions`).Scan(&n, &data); err != nil {
		t.Fatal(err)
	}
	if n != 1 || len(data) != 0 {
		t.Fatalf("sessions: %d rows, data %q; want one row without data", n, data)
	}
	if !signedIn(c) {
		t.Fatal("the session does not sign in")
	}
	var id string
	if err := app.db.Read.QueryRow(`SELECT id FROM sessions`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	old, err := securecookie.New([]byte("0123456789abcdef0123456789abcdef"), nil).Encode(sessionCookie, id)
	if err != nil {
		t.Fatal(err)
	}
	res := app.withCookie(old).get("/profile")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("old-style cookie: %d %q, want a redirect to the login page", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	app := newTestApp(t)
	app.addUser("sales1", models.RoleSales)
	here := app.login("sales1")
	elsewhere := app.login("sales1")
	res := here.post("/profile/password", url.Values{"current": {testPassword}, "password": {"new-password-1"}, "confirm": {"new-password-1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("change password: %d", res.StatusCode)
	}
	if !signedIn(here) {
		t.Error("the session that changed the password was ended")
	}
	if signedIn(elsewhere) {
		t.Error("another session of the user survived the password change")
	}
	if r := app.anon().post("/login", url.Values{"username": {"sales1"}, "password": {testPassword}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password: %d", r.StatusCode)
	}
	if r := app.anon().post("/login", url.Values{"username": {"sales1"}, "password": {"new-password-1"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("new password: %d", r.StatusCode)
	}
}

func TestAdminPasswordResetEndsTargetSessions(t *testing.T) {
	app := newTestApp(t)
	id := app.addUser("sales1", models.RoleSales)
	app.addUser("sales2", models.RoleSales)
	target := app.login("sales1")
	bystander := app.login("sales2")
	admin := app.login("admin")
	res := admin.post("/admin/users/"+strconv.FormatInt(id, 10)+"/password", url.Values{"password": {"reset-password-1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d %s", res.StatusCode, res.Body)
	}
	if signedIn(target) {
		t.Error("the user's session survived the reset")
	}
	if !signedIn(admin) || !signedIn(bystander) {
		t.Error("the reset ended someone else's session")
	}
	if r := app.anon().post("/login", url.Values{"username": {"sales1"}, "password": {"reset-password-1"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("login with the new password: %d", r.StatusCode)
	}
}

func TestAdminResettingOwnPasswordKeepsSession(t *testing.T) {
	app := newTestApp(t)
	admin := app.login("admin")
	other := app.login("admin")
	res := admin.post("/admin/users/1/password", url.Values{"password": {"reset-password-1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("reset: %d", res.StatusCode)
	}
	if !signedIn(admin) {
		t.Error("the admin's own session was ended")
	}
	if signedIn(other) {
		t.Error("the admin's other session survived")
	}
}

func TestDisabledUserSessionStops(t *testing.T) {
	app := newTestApp(t)
	id := app.addUser("sales1", models.RoleSales)
	user := app.login("sales1")
	cookie := user.sessionCookieOf()
	res := app.login("admin").post("/admin/users/"+strconv.FormatInt(id, 10),
		url.Values{"display_name": {"sales1"}, "role": {"sales"}}) // "active" unticked
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable: %d", res.StatusCode)
	}
	if signedIn(user) || signedIn(app.withCookie(cookie)) {
		t.Error("a disabled user's session still works")
	}
	if r := app.anon().post("/login", url.Values{"username": {"sales1"}, "password": {testPassword}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("a disabled user can log in: %d", r.StatusCode)
	}
}

func TestRoleChangeTakesEffectAtOnce(t *testing.T) {
	app := newTestApp(t)
	id := app.addUser("boss", models.RoleAdmin)
	boss := app.login("boss")
	if r := boss.get("/settings"); r.StatusCode != http.StatusOK {
		t.Fatalf("admin on settings: %d", r.StatusCode)
	}
	if err := app.db.UpdateUser(t.Context(), 1, models.User{ID: id, DisplayName: "boss", Role: models.RoleSales, Active: true}); err != nil {
		t.Fatal(err)
	}
	if r := boss.get("/settings"); r.StatusCode != http.StatusForbidden {
		t.Errorf("demoted user on settings: %d", r.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	app := newTestApp(t)
	res := app.anon().get("/healthz")
	if res.StatusCode != http.StatusOK || res.Body != "ok" {
		t.Errorf("healthz: %d %q", res.StatusCode, res.Body)
	}
	app.db.Read.Close()
	if res := app.anon().get("/healthz"); res.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("healthz with the database gone: %d", res.StatusCode)
	}
}

// TestCrossOriginPostsRejected: an unsafe request that a browser marks as
// coming from another site is refused before it changes anything.
func TestCrossOriginPostsRejected(t *testing.T) {
	app := newTestApp(t)
	id := app.addUser("sales1", models.RoleSales)
	admin := app.login("admin")
	posts := []routeCase{
		{"create customer", "POST", "/customers", url.Values{"name": {"跨站创建"}}},
		{"reset password", "POST", "/admin/users/" + strconv.FormatInt(id, 10) + "/password", url.Values{"password": {"hijacked-pw-1"}}},
		{"create user", "POST", "/admin/users", url.Values{"username": {"evil"}, "display_name": {"evil"}, "role": {"admin"}, "password": {"hijacked-pw-1"}}},
		{"change language", "POST", "/profile/lang", url.Values{"lang": {"en"}}},
		{"logout", "POST", "/logout", nil},
	}
	hostile := [][]string{
		{"Sec-Fetch-Site", "cross-site"},
		{"Sec-Fetch-Site", "same-site"},
		{"Origin", "http://evil.example"},
		{"Origin", "null"},
	}
	for _, rc := range posts {
		for _, h := range hostile {
			t.Run(rc.name+"/"+h[0]+": "+h[1], func(t *testing.T) {
				before := app.snapshot()
				res := admin.send(rc, h...)
				if res.StatusCode != http.StatusForbidden {
					t.Errorf("status %d, want 403", res.StatusCode)
				}
				if after := app.snapshot(); after != before {
					t.Errorf("data changed:\n%s", diffLines(before, after))
				}
				if !signedIn(admin) {
					t.Fatal("a cross-site logout worked")
				}
			})
		}
	}
	t.Run("cross-site login", func(t *testing.T) {
		c := app.anon()
		res := c.post("/login", url.Values{"username": {"admin"}, "password": {testPassword}}, "Sec-Fetch-Site", "cross-site")
		if res.StatusCode != http.StatusForbidden || signedIn(c) {
			t.Errorf("status %d", res.StatusCode)
		}
	})
	for _, h := range [][]string{{"Sec-Fetch-Site", "same-origin"}, {"Origin", app.ts.URL}, nil} {
		t.Run("same origin "+strings.Join(h, ": "), func(t *testing.T) {
			name := "同源创建" + strings.Join(h, "")
			res := admin.post("/customers", url.Values{"name": {name}}, h...)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("status %d, want 303", res.StatusCode)
			}
			if card := admin.get(res.Header.Get("Location")); !strings.Contains(card.Body, name) {
				t.Error("the customer was not saved")
			}
		})
	}
	t.Run("a cross-site GET is harmless and allowed", func(t *testing.T) {
		if res := admin.get("/customers", "Sec-Fetch-Site", "cross-site"); res.StatusCode != http.StatusOK {
			t.Errorf("status %d", res.StatusCode)
		}
	})
}

func TestNotFoundPage(t *testing.T) {
	app := newTestApp(t)
	for _, who := range []string{"anonymous", "admin"} {
		c := app.anon()
		if who == "admin" {
			c = app.login("admin")
		}
		for _, path := range []string{"/no-such-page", "/customers/1/nothing", "/static/nope.css/../x"} {
			t.Run(who+path, func(t *testing.T) {
				res := c.get(path)
				if res.StatusCode != http.StatusNotFound {
					t.Fatalf("status %d", res.StatusCode)
				}
				if path == "/static/nope.css/../x" {
					return
				}
				if !strings.Contains(res.Body, "找不到该页面或记录") || !strings.Contains(res.Body, "<html") {
					t.Errorf("not the friendly full page:\n%s", res.Body)
				}
			})
		}
	}
}

func TestFragmentOrFullPage(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	tests := []struct {
		name     string
		path     string
		headers  []string
		status   int
		fragment bool
	}{
		{"full page", "/customers", nil, 200, false},
		{"htmx fragment", "/customers", []string{"HX-Request", "true"}, 200, true},
		{"htmx boosted gets the full page", "/customers", []string{"HX-Request", "true", "HX-Boosted", "true"}, 200, false},
		{"settings fragment", "/settings", []string{"HX-Request", "true"}, 200, true},
		{"404 full page", "/customers/999", nil, 404, false},
		{"404 fragment", "/customers/999", []string{"HX-Request", "true"}, 404, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := c.get(tt.path, tt.headers...)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if !strings.Contains(res.Header.Get("Vary"), "HX-Request") {
				t.Errorf("Vary = %q, want HX-Request", res.Header.Get("Vary"))
			}
			full := strings.Contains(res.Body, "<html")
			if full == tt.fragment {
				t.Errorf("fragment=%v but <html> present=%v", tt.fragment, full)
			}
			if !strings.Contains(res.Body, "page-head") && !strings.Contains(res.Body, "empty-state") {
				t.Error("the content block is missing")
			}
			if tt.fragment && tt.status == 404 && res.Header.Get("HX-Reswap") != "none" {
				t.Error("an htmx error should be shown as a toast, not swapped in")
			}
		})
	}
}

func TestSecurityHeaders(t *testing.T) {
	app := newTestApp(t)
	res := app.anon().get("/login")
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if res.Header.Get(h) != want {
			t.Errorf("%s = %q", h, res.Header.Get(h))
		}
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("CSP %q", res.Header.Get("Content-Security-Policy"))
	}
}

func TestCrossOriginDenialIsFriendly(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	res := c.post("/customers", url.Values{"name": {"跨站公司"}}, "Sec-Fetch-Site", "cross-site", "Accept-Language", "zh-CN")
	if res.StatusCode != http.StatusForbidden || !strings.Contains(res.Body, "来自其他网站") || !strings.Contains(res.Body, "<html") {
		t.Fatalf("status %d, body without the friendly page", res.StatusCode)
	}
}
