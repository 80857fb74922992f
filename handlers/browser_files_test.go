package handlers

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"keyuan/models"
)

// loginBrowser signs the browser in as admin.
func loginBrowser(app *testApp, next string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(app.ts.URL + next),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
	}
}

// TestBrowserHostileFilesRunNoScript: an admin allowed HTML and SVG, and a
// salesperson uploaded an HTML page, an SVG and a GIF/HTML polyglot, each
// with a script that opens a dialog and logs. Opening their download URLs
// in Chromium runs none of them: they are downloads, or an image under a
// sandbox CSP with nosniff.
func TestBrowserHostileFilesRunNoScript(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	bg := context.Background()
	types := append([]string{"text/html", "image/svg+xml"}, models.DefaultFileTypes...)
	if err := app.db.SaveFileSettings(bg, strings.Join(types, " "), 20, 1000); err != nil {
		t.Fatal(err)
	}
	cu := &models.Customer{Kind: "customer", Name: "恶意文件测试公司", OwnerID: 1}
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	if err := app.db.CreateCustomer(bg, admin, cu, nil); err != nil {
		t.Fatal(err)
	}
	script := `<script>alert("pwned");console.log("PWNED")</script>`
	hostile := []models.Upload{
		{Name: "page.html", Body: strings.NewReader(`<!DOCTYPE html><html><body><h1>hi</h1>` + script + `</body></html>`)},
		{Name: "logo.svg", Body: strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">` + script + `</svg>`)},
		{Name: "cat.gif", Body: strings.NewReader("GIF89a\x01\x00\x01\x00\x00\x00\x00;" + `<html><body>` + script + `</body></html>`)},
	}
	var ids []int64
	for _, up := range hostile {
		a, err := app.srv.fileStore().Store(bg, admin, "customer", cu.ID, up)
		if err != nil {
			t.Fatalf("%s: %v", up.Name, err)
		}
		t.Logf("%s sniffed as %s", up.Name, a.Mime)
		ids = append(ids, a.ID)
	}

	ctx := newBrowser(t)
	var mu sync.Mutex
	var ran []string
	if err := chromedp.Listen(ctx, func(ev any) {
		switch e := ev.(type) {
		case *cdppage.EventJavascriptDialogOpening:
			mu.Lock()
			ran = append(ran, "dialog: "+e.Message)
			mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			for _, a := range e.Args {
				if bytes.Contains(a.Value, []byte("PWNED")) {
					mu.Lock()
					ran = append(ran, "console")
					mu.Unlock()
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	do("login", append(loginBrowser(app, "/customers/"+id(cu.ID)), chromedp.WaitVisible(chromedp.CSS(`#history`)))...)
	for i, aid := range ids {
		for _, q := range []string{"", "?dl=1"} {
			// A download aborts the navigation: that is the point, not an error.
			_ = chromedp.Do(ctx, chromedp.Navigate(fmt.Sprintf("%s/attachments/%d%s", app.ts.URL, aid, q)))
			// Let a script that did load run before looking.
			if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](`1`)); err != nil {
				t.Logf("%s: %v", hostile[i].Name, err)
			}
			mu.Lock()
			got := append([]string(nil), ran...)
			mu.Unlock()
			if len(got) > 0 {
				t.Fatalf("%s%s: script ran: %v", hostile[i].Name, q, got)
			}
		}
	}
}

// TestBrowserPasteScreenshotIntoIssue: a screenshot pasted on an issue's
// card becomes an attachment with a server-made thumbnail.
func TestBrowserPasteScreenshotIntoIssue(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	bg := context.Background()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	cu := &models.Customer{Kind: "customer", Name: "截图测试公司", OwnerID: 1}
	if err := app.db.CreateCustomer(bg, admin, cu, nil); err != nil {
		t.Fatal(err)
	}
	iss := &models.Issue{CustomerID: cu.ID, Subject: "屏幕报错", Priority: "normal"}
	if err := app.db.CreateIssue(bg, admin, iss); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	do("login", append(loginBrowser(app, "/issues/"+id(iss.ID)),
		chromedp.WaitVisible(chromedp.CSS(`[data-files-panel][data-paste] form[data-file-upload]`)))...)
	do("paste",
		chromedp.Evaluate[chromedp.Void](`(function () {
			const c = document.createElement("canvas"); c.width = 64; c.height = 48;
			const g = c.getContext("2d"); g.fillStyle = "#c00"; g.fillRect(0, 0, 64, 48);
			c.toBlob(function (blob) {
				const dt = new DataTransfer();
				dt.items.add(new File([blob], "image.png", { type: "image/png" }));
				document.body.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
			}, "image/png");
		})()`),
		chromedp.WaitVisible(chromedp.CSS(`.file-list img.thumb`)))
	list, err := app.db.Attachments(bg, "issue", iss.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].Mime != "image/png" || !strings.HasPrefix(list[0].Name, "screenshot-") {
		t.Fatalf("attachments after the paste: %+v", list)
	}
	// The thumbnail really loaded (a broken image has no natural width).
	w, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelector(".file-list img.thumb").naturalWidth`))
	if err != nil || w == 0 {
		t.Errorf("thumbnail width %d, %v", w, err)
	}
}
