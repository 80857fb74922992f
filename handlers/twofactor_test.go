package handlers

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

// twoFactorUser switches two-factor login on for username through the
// profile pages, as a person does, and returns its secret and recovery
// codes. The app's clock is fixed at now.
func twoFactorUser(t *testing.T, app *testApp, username string, now time.Time) (secret string, codes []string) {
	t.Helper()
	app.db.SetClock(func() time.Time { return now })
	c := app.login(username)
	page := c.get("/profile/2fa")
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, `src="data:image/png;base64,`) {
		t.Fatalf("setup page: %d, QR code shown: %v", page.StatusCode, strings.Contains(page.Body, "data:image/png"))
	}
	m := regexp.MustCompile(`name="secret" value="([A-Z2-7]+)"`).FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatal("no secret on the setup page")
	}
	secret = m[1]
	// A wrong code is refused, and nothing is switched on.
	res := c.post("/profile/2fa", url.Values{"secret": {secret}, "code": {"000000"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "验证码不正确") {
		t.Fatalf("wrong setup code: %d", res.StatusCode)
	}
	code, err := models.TOTPCode(secret, now)
	if err != nil {
		t.Fatal(err)
	}
	res = c.post("/profile/2fa", url.Values{"secret": {secret}, "code": {code}})
	if res.StatusCode != http.StatusOK {
		t.Fatalf("enable: %d", res.StatusCode)
	}
	for _, m := range regexp.MustCompile(`<li>([a-z2-9]{5}-[a-z2-9]{5})</li>`).FindAllStringSubmatch(res.Body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != models.RecoveryCodeCount {
		t.Fatalf("%d recovery codes shown", len(codes))
	}
	var stored string
	app.db.Read.QueryRow(`SELECT group_concat(code_hash) FROM recovery_codes`).Scan(&stored)
	for _, code := range codes {
		if strings.Contains(stored, code) {
			t.Error("a recovery code is stored in the clear")
		}
	}
	return secret, codes
}

// loginFirstStep posts the password and expects to be asked for the code.
func loginFirstStep(t *testing.T, app *testApp, username string) *client {
	t.Helper()
	c := app.anon()
	res := c.post("/login", url.Values{"username": {username}, "password": {testPassword}, "next": {"/customers"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login/2fa" {
		t.Fatalf("password step: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	// No session yet: the password alone opens nothing.
	if res := c.get("/customers"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Fatalf("after the password alone: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return c
}

func TestTwoFactorLogin(t *testing.T) {
	app := newTestApp(t)
	app.addUser("zhang", models.RoleSales)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	secret, codes := twoFactorUser(t, app, "zhang", now)

	// Thirty seconds later (the next time step), a login needs the code.
	now = now.Add(30 * time.Second)
	app.db.SetClock(func() time.Time { return now })
	c := loginFirstStep(t, app, "zhang")
	if res := c.post("/login/2fa", url.Values{"code": {"123456"}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a wrong code: %d", res.StatusCode)
	}
	code, _ := models.TOTPCode(secret, now)
	res := c.post("/login/2fa", url.Values{"code": {code}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/customers" {
		t.Fatalf("the right code: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/customers"); res.StatusCode != http.StatusOK {
		t.Errorf("signed in: %d", res.StatusCode)
	}

	// The same code cannot sign in twice (someone who saw it over a shoulder).
	c2 := loginFirstStep(t, app, "zhang")
	if res := c2.post("/login/2fa", url.Values{"code": {code}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a used code again: %d", res.StatusCode)
	}
	// A recovery code works once, in any spelling.
	if res := c2.post("/login/2fa", url.Values{"code": {" " + strings.ToUpper(codes[0]) + " "}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a recovery code: %d", res.StatusCode)
	}
	c3 := loginFirstStep(t, app, "zhang")
	if res := c3.post("/login/2fa", url.Values{"code": {codes[0]}}); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("a spent recovery code: %d", res.StatusCode)
	}

	// The second step waits five minutes, no longer.
	now = now.Add(models.LoginChallengeTTL + time.Minute)
	code, _ = models.TOTPCode(secret, now)
	if res := c3.post("/login/2fa", url.Values{"code": {code}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("an expired second step: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	// Without the first step there is nothing to finish.
	if res := app.anon().post("/login/2fa", url.Values{"code": {code}}); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Errorf("a second step without a first: %d", res.StatusCode)
	}

	// The security log has it all, and the profile shows the logins.
	page, err := app.db.SecurityEvents(t.Context(), models.SecurityFilter{Kind: models.EventTwoFactorFailed})
	if err != nil || page.Total != 3 {
		t.Errorf("wrong codes logged: %d (%v), want 3", page.Total, err)
	}
	for _, kind := range []string{models.EventTwoFactorOn, models.EventRecoveryCodeUsed} {
		if page, _ := app.db.SecurityEvents(t.Context(), models.SecurityFilter{Kind: kind}); page.Total != 1 {
			t.Errorf("%s logged %d times", kind, page.Total)
		}
	}
	profile := c.get("/profile")
	if !strings.Contains(profile.Body, "验证码错误") || !strings.Contains(profile.Body, "登录成功") || !strings.Contains(profile.Body, "剩余恢复码 9 个") {
		t.Error("the profile does not show the login history and the codes left")
	}
}

// TestTwoFactorCodesThrottled: codes are guessed like passwords, so they are
// throttled the same way (a million codes would otherwise fall in hours).
func TestTwoFactorCodesThrottled(t *testing.T) {
	app := newTestAppWith(t, Config{LoginLimit: 3, LoginWindow: time.Hour})
	app.addUser("li", models.RoleSales)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	secret, _ := twoFactorUser(t, app, "li", now)
	now = now.Add(time.Minute)
	app.db.SetClock(func() time.Time { return now })
	c := loginFirstStep(t, app, "li")
	for range 3 {
		c.post("/login/2fa", url.Values{"code": {"999999"}})
	}
	code, _ := models.TOTPCode(secret, now)
	if res := c.post("/login/2fa", url.Values{"code": {code}}); res.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the right code after the limit: %d, want 429", res.StatusCode)
	}
}

func TestTwoFactorDisableAndAdminReset(t *testing.T) {
	app := newTestApp(t)
	id := app.addUser("wang", models.RoleSales)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	secret, _ := twoFactorUser(t, app, "wang", now)
	now = now.Add(time.Minute)
	app.db.SetClock(func() time.Time { return now })
	c := loginFirstStep(t, app, "wang")
	code, _ := models.TOTPCode(secret, now)
	c.post("/login/2fa", url.Values{"code": {code}})

	// Switching off needs the password and a code.
	now = now.Add(time.Minute)
	code, _ = models.TOTPCode(secret, now)
	res := c.post("/profile/2fa/disable", url.Values{"password": {"wrong-password"}, "code": {code}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, fieldError("disable_password", "当前密码不正确")) {
		t.Errorf("off with a wrong password: %d", res.StatusCode)
	}
	if u, _ := app.db.UserByID(t.Context(), id); !u.TwoFactor {
		t.Fatal("switched off by a wrong password")
	}
	if res := c.post("/profile/2fa/disable", url.Values{"password": {testPassword}, "code": {code}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("off: %d", res.StatusCode)
	}
	if u, _ := app.db.UserByID(t.Context(), id); u.TwoFactor {
		t.Fatal("still on")
	}
	// On again, then an admin resets it (a lost phone).
	twoFactorUser(t, app, "wang", now.Add(time.Hour))
	admin := app.login("admin")
	if res := admin.post("/admin/users/"+id64(id)+"/2fa/reset", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("admin reset: %d", res.StatusCode)
	}
	if u, _ := app.db.UserByID(t.Context(), id); u.TwoFactor {
		t.Error("the admin's reset left it on")
	}
	if page, _ := app.db.SecurityEvents(t.Context(), models.SecurityFilter{Kind: models.EventTwoFactorReset}); page.Total != 1 ||
		page.Rows[0].ByName == "" {
		t.Errorf("the reset is not in the log with who did it: %+v", page.Rows)
	}
	log := admin.get("/admin/security?kind=2fa_reset")
	if log.StatusCode != http.StatusOK || !strings.Contains(log.Body, "管理员重置两步验证") {
		t.Errorf("security log page: %d", log.StatusCode)
	}
	// A salesperson cannot read the log.
	if res := app.login("wang").get("/admin/security"); res.StatusCode != http.StatusForbidden {
		t.Errorf("salesperson on the security log: %d", res.StatusCode)
	}
}

// TestTwoFactorRequiredForManagers: when the admin requires it, a manager
// without a second factor can only set one up; a salesperson is not
// concerned.
func TestTwoFactorRequiredForManagers(t *testing.T) {
	app := newTestApp(t)
	app.addUser("boss", models.RoleManager)
	app.addUser("zhao", models.RoleSales)
	admin := app.login("admin")
	if res := admin.post("/admin/security/2fa", url.Values{"require_2fa": {"1"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("policy: %d", res.StatusCode)
	}
	boss := app.login("boss")
	res := boss.get("/customers")
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/profile/2fa" {
		t.Errorf("manager without a second factor: %d → %q", res.StatusCode, res.Header.Get("Location"))
	}
	if res := boss.get("/profile/2fa"); res.StatusCode != http.StatusOK {
		t.Errorf("the setup page: %d", res.StatusCode)
	}
	if res := app.login("zhao").get("/customers"); res.StatusCode != http.StatusOK {
		t.Errorf("salesperson: %d", res.StatusCode)
	}
	twoFactorUser(t, app, "boss", time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC))
	if res := boss.get("/customers"); res.StatusCode != http.StatusOK {
		t.Errorf("manager with a second factor: %d", res.StatusCode)
	}
}

// TestSecurityLogRecordsAccountChanges: failed logins (also for unknown
// names), lockouts, password changes and resets, role changes and
// disabling land in the log with their source.
func TestSecurityLogRecordsAccountChanges(t *testing.T) {
	app := newTestAppWith(t, Config{LoginLimit: 2, LoginWindow: time.Hour})
	id := app.addUser("sun", models.RoleSales)
	anon := app.anon()
	for range 3 {
		anon.post("/login", url.Values{"username": {"sun"}, "password": {"nope"}}, "User-Agent", "Mozilla/5.0 (iPhone) Safari/604.1")
	}
	anon.post("/login", url.Values{"username": {"ghost"}, "password": {"nope"}})
	admin := app.login("admin")
	admin.post("/admin/users/"+id64(id)+"/password", url.Values{"password": {"A-new-pass-2026x"}})
	admin.post("/admin/users/"+id64(id), url.Values{"display_name": {"孙"}, "role": {"manager"}})
	want := map[string]int{models.EventLoginFailed: 3, models.EventLoginLocked: 1, models.EventPasswordReset: 1,
		models.EventRoleChanged: 1, models.EventUserDisabled: 1, models.EventLoginOK: 1}
	for kind, n := range want {
		page, err := app.db.SecurityEvents(t.Context(), models.SecurityFilter{Kind: kind})
		if err != nil || page.Total != n {
			t.Errorf("%s: %d entries (%v), want %d", kind, page.Total, err, n)
		}
	}
	page, _ := app.db.SecurityEvents(t.Context(), models.SecurityFilter{Kind: models.EventLoginFailed})
	if page.Rows[0].Username != "ghost" || page.Rows[0].UserID != 0 || page.Rows[1].UserID != id {
		t.Errorf("failed logins: %+v", page.Rows[:2])
	}
	if page.Rows[1].IP == "" || models.BrowserName(page.Rows[1].UserAgent) != "Safari · iPhone" {
		t.Errorf("source of a failed login: %q %q", page.Rows[1].IP, page.Rows[1].UserAgent)
	}
}
