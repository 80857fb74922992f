package handlers

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
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

// TestBrowserPhoneMenuWithoutScript (issue 19): at phone width with
// JavaScript off the menu button did nothing, so most modules could not be
// reached. The button is a link to #sidenav, which CSS opens.
func TestBrowserPhoneMenuWithoutScript(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx := withoutScripts(newBrowser(t))
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	do("login",
		chromedp.Navigate(app.ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.topbar`)))
	do("phone without script",
		chromedp.EmulateViewport(390, 844),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
			return err
		}),
		chromedp.Navigate(app.ts.URL+"/customers"),
		chromedp.WaitVisible(chromedp.CSS(`.nav-toggle`)))
	reachable := `(() => { const a = document.querySelector('#sidenav a[href="/reports"]').getBoundingClientRect();
		return a.right > 0 && a.left < window.innerWidth; })()`
	// JavaScript is off for the page, not for the DevTools protocol.
	before, err := chromedp.Run(ctx, chromedp.Evaluate[bool](reachable))
	if err != nil {
		t.Fatal(err)
	}
	if before {
		t.Fatal("the drawer is open before the button is pressed")
	}
	do("open the menu", chromedp.Click(chromedp.CSS(`.nav-toggle`)))
	// The drawer slides in (a CSS transition): wait for it to be in view.
	for deadline := time.Now().Add(3 * time.Second); ; {
		after, err := chromedp.Run(ctx, chromedp.Evaluate[bool](reachable))
		if err != nil {
			t.Fatal(err)
		}
		if after {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("without JavaScript the menu does not open at phone width")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
