package handlers

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyuan/models"
)

// TestBrowserRecycleBinFlow clicks through a deletion and its undo: the
// card's delete button (with its confirmation), the bin, restore.
func TestBrowserRecycleBinFlow(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	cu := &models.Customer{Kind: "customer", Name: "苏州回收站演示有限公司", OwnerID: 1}
	if err := app.db.CreateCustomer(context.Background(), models.Actor{ID: 1, Role: models.RoleAdmin}, cu,
		[]models.Contact{{Name: "钱回收", Mobile: "13700000000"}}); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)
	do("login",
		chromedp.Navigate(app.ts.URL+"/customers/"+id(cu.ID)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#history`)))
	do("delete",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(chromedp.CSS(`form[action$="/`+id(cu.ID)+`/delete"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if got := text(".flash"); !strings.Contains(got, "已移入回收站") {
		t.Fatalf("after the delete: %q", got)
	}
	do("bin",
		chromedp.Click(chromedp.CSS(`a.nav-item[href="/trash"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/restore"]`)))
	if got := text("main"); !strings.Contains(got, "苏州回收站演示有限公司") || !strings.Contains(got, cu.Code) {
		t.Fatalf("the bin: %q", got)
	}
	do("restore",
		chromedp.Click(chromedp.CSS(`form[action$="/restore"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#history`)))
	if got := text("main"); !strings.Contains(got, "钱回收") || !strings.Contains(got, "从回收站恢复") {
		t.Errorf("the restored card: %q", got)
	}
}
