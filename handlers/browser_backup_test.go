package handlers

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBackUpNow: an administrator opens 数据备份, sees that there is
// no backup yet, clicks 立即备份, and sees the new backup listed with a
// successful run and the warning gone. (A small backup is done before the
// page after the click loads; TestBackupsPage checks the polling.)
func TestBrowserBackUpNow(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)

	do("login-page",
		chromedp.Navigate(app.ts.URL+"/admin/backups"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	do("backups-page",
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#backups form[action="/admin/backups"] button`)))
	if got := text("#backups"); !strings.Contains(got, "还没有任何成功的备份") || !strings.Contains(got, "还没有备份") {
		t.Errorf("before any backup the page says %q", got)
	}
	do("backed-up",
		chromedp.Click(chromedp.CSS(`#backups form[action="/admin/backups"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#backups a[href^="/admin/backups/keyuan-"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#backups .badge-ok`)))
	got := text("#backups")
	if strings.Contains(got, "还没有任何成功的备份") {
		t.Errorf("the warning stays after a good backup: %q", got)
	}
	list, err := app.srv.backups.List()
	if err != nil || len(list) != 1 || !strings.Contains(got, list[0].Name) {
		t.Errorf("listed %v (%v); the page shows %q", list, err, got)
	}
}
