package handlers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyuan/models"
)

func serviceLogin(t *testing.T, ctx context.Context, app *testApp, user string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(app.ts.URL+"/login"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, user),
		chromedp.SendKeys(`input[name=password]`, testPassword),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`header.topbar`),
	)
	if err != nil {
		t.Fatalf("login: %v", err)
	}
}

// Browser tests of the service and search screens. The helpers (newBrowser,
// stepShots) are browser_test.go's.

// TestBrowserSimilarIssuesAndFetchFromKB types an issue description and
// sees similar articles appear with the words highlighted, then copies a
// solution from the knowledge base into a handling record and saves it.
func TestBrowserSimilarIssuesAndFetchFromKB(t *testing.T) {
	f := newServiceFixture(t)
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	serviceLogin(t, ctx, f.app, "kefu")

	err := chromedp.Do(ctx,
		chromedp.Navigate(f.app.ts.URL+"/issues/new?customer="+id(f.ownCust.ID)),
		chromedp.WaitVisible(`#issue-description`),
		chromedp.SendKeys(`#issue-description`, "打印机卡纸"),
		chromedp.WaitVisible(`#similar .hit mark`),
	)
	if err != nil {
		t.Fatalf("similar issues: %v", err)
	}
	html, err := chromedp.Run(ctx, chromedp.OuterHTML(`#similar`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "<mark>打印机</mark>经常<mark>卡纸</mark>怎么办") {
		t.Errorf("similar panel: %s", html)
	}
	shots.take("similar-issues")
	f.app.screenshot(ctx, "issue-new-similar")

	err = chromedp.Do(ctx,
		chromedp.Navigate(f.app.ts.URL+"/issues/"+id(f.ownIssue.ID)),
		chromedp.WaitVisible(`#kb-results [data-kb-copy]`),
		chromedp.Clear(`input[name=kb_q]`),
		chromedp.SendKeys(`input[name=kb_q]`, "搓纸轮"),
	)
	if err != nil {
		t.Fatalf("fetch from knowledge base: %v", err)
	}
	// Wait for the results of what was typed, not the first ones.
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`document.querySelector("#kb-results").innerHTML.includes("<mark>搓纸轮</mark>")`,
		chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		t.Fatalf("knowledge base results for the typed words: %v", err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#kb-results [data-kb-copy]`)); err != nil {
		t.Fatal(err)
	}
	content, err := chromedp.Run(ctx, chromedp.Value(`#handling-content`))
	if err != nil {
		t.Fatal(err)
	}
	article, err := chromedp.Run(ctx, chromedp.Value(`#handling-article`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(content, "清洁搓纸轮") || article == "" {
		t.Fatalf("copied solution %q, article %q", content, article)
	}
	shots.take("copied-from-kb")
	f.app.screenshot(ctx, "issue-card-kb")
	err = chromedp.Do(ctx,
		chromedp.Submit(`#handling-content`),
		chromedp.WaitVisible(`.flash`),
	)
	if err != nil {
		t.Fatal(err)
	}
	hs, err := f.app.db.Handlings(context.Background(), f.ownIssue.ID)
	if err != nil || len(hs) != 1 || hs[0].ArticleID == 0 || !strings.Contains(hs[0].Content, "清洁搓纸轮") {
		t.Fatalf("saved handling: %+v %v", hs, err)
	}
}

// TestBrowserGlobalSearch types into the top bar and sees grouped results.
func TestBrowserGlobalSearch(t *testing.T) {
	f := newServiceFixture(t)
	for _, w := range []int{1280, 390} {
		ctx := newBrowser(t)
		newStepShots(t, ctx)
		serviceLogin(t, ctx, f.app, "admin")
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(int64(w), 860),
			chromedp.Navigate(f.app.ts.URL+"/"),
			chromedp.WaitVisible(`.global-search input`),
			chromedp.SendKeys(`.global-search input`, "青岛"),
			chromedp.WaitVisible(`#search-suggest .suggest-group`),
		)
		if err != nil {
			t.Fatalf("suggest at %d px: %v", w, err)
		}
		text, err := chromedp.Run(ctx, chromedp.Text(`#search-suggest`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "海风") || !strings.Contains(text, "蓝山") {
			t.Errorf("suggestions at %d px: %q", w, text)
		}
		f.app.screenshot(ctx, "search-suggest-"+id(int64(w)))
	}
}

// TestScreenshots saves PNGs of the service and search screens at desktop
// and phone width into $KEYUAN_SCREENSHOTS, for a person to look at.
func TestScreenshots(t *testing.T) {
	if os.Getenv("KEYUAN_SCREENSHOTS") == "" {
		t.Skip("set KEYUAN_SCREENSHOTS to a directory to take screenshots")
	}
	f := newServiceFixture(t)
	ctx0 := context.Background()
	a := models.Actor{ID: f.service, Role: models.RoleService}
	if err := f.app.db.AddHandling(ctx0, a, &models.Handling{IssueID: f.ownIssue.ID, HandledOn: "2026-11-20",
		Content: "清洁搓纸轮，更换一包干燥的纸", Result: "客户确认恢复正常"}, "resolved"); err != nil {
		t.Fatal(err)
	}
	f.app.sync()
	pages := map[string]string{
		"issues":        "/issues?view=all",
		"issue-card":    "/issues/" + id(f.ownIssue.ID),
		"issue-new":     "/issues/new?customer=" + id(f.ownCust.ID),
		"issue-archive": "/issues/" + id(f.ownIssue.ID) + "/archive",
		"kb":            "/kb",
		"kb-search":     "/kb?q=" + "打印机卡纸",
		"kb-card":       "/kb/" + id(f.article.ID),
		"search":        "/search?q=青岛",
		"admin-search":  "/admin/search",
		"customer-card": "/customers/" + id(f.ownCust.ID),
	}
	for _, w := range []int{1280, 390} {
		ctx := newBrowser(t)
		serviceLogin(t, ctx, f.app, "admin")
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(w), 900)); err != nil {
			t.Fatal(err)
		}
		for name, p := range pages {
			if err := chromedp.Do(ctx, chromedp.Navigate(f.app.ts.URL+p), chromedp.WaitVisible(`main`)); err != nil {
				t.Fatal(err)
			}
			f.app.screenshot(ctx, name+"-"+id(int64(w)))
		}
	}
}

// screenshot saves the page as a PNG when KEYUAN_SCREENSHOTS names a folder.
func (a *testApp) screenshot(ctx context.Context, name string) {
	dir := os.Getenv("KEYUAN_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		a.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		a.t.Fatal(err)
	}
}
