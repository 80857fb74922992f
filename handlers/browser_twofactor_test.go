package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyuan/models"
)

// TestBrowserTwoFactorFlow: a salesperson switches two-step login on from
// the profile page (QR code, key, first code, recovery codes), signs out,
// and signs in again with password and code.
func TestBrowserTwoFactorFlow(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.addUser("zhou", models.RoleSales)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	app.db.SetClock(func() time.Time { return now })
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)
	// login signs in with the password and waits for the page that follows
	// (landing shows it arrived).
	login := func(step, landing string) {
		do(step,
			chromedp.Navigate(app.ts.URL+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "zhou"),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
			chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(landing)))
	}
	login("login", `.page-head`)
	do("profile",
		chromedp.Navigate(app.ts.URL+"/profile"),
		chromedp.WaitVisible(chromedp.CSS(`#twofactor`)),
		chromedp.Click(chromedp.CSS(`#twofactor a.btn-primary`)),
		chromedp.WaitVisible(chromedp.CSS(`.qr img`)))
	secret := strings.TrimSpace(text(`code.secret`))
	code, err := models.TOTPCode(secret, now)
	if err != nil {
		t.Fatalf("secret %q on the page: %v", secret, err)
	}
	do("first code",
		chromedp.SendKeys(chromedp.CSS(`input[name=code]`), code),
		chromedp.Click(chromedp.CSS(`form[action="/profile/2fa"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.recovery-codes`)))
	if n := strings.Count(text(`.recovery-codes`), "-"); n != models.RecoveryCodeCount {
		t.Errorf("%d recovery codes on the page", n)
	}
	do("sign out",
		chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	now = now.Add(time.Minute)
	login("password again", `input[name=code]`)
	code, _ = models.TOTPCode(secret, now)
	do("code",
		chromedp.SendKeys(chromedp.CSS(`input[name=code]`), code),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head`)))
	if url, err := chromedp.Run(ctx, chromedp.Location()); err != nil || strings.Contains(url, "/login") {
		t.Errorf("after the code the browser is at %q (%v)", url, err)
	}
}
