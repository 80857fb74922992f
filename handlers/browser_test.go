package handlers

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"keyuan/models"
)

// chromiumPath is Debian's Chromium, which scripts/test.sh installs.
const chromiumPath = "/usr/bin/chromium"

// browserTestTimeout bounds one browser test; the flows take a few seconds,
// so hitting it means something hangs (a selector that never appears).
const browserTestTimeout = 120 * time.Second

// newBrowser starts a headless Chromium for one test and returns a context
// for chromedp actions, with the test's timeout. The browser asks for
// Chinese pages, as the browsers of most of the product's users do; a test
// that needs English calls setAcceptLanguage. Everything (the browser, its
// profile) is gone when the test ends.
//
// A missing Chromium fails the test instead of skipping it: a browser test
// that silently does not run is a test that cannot fail.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("the browser tests need Debian's Chromium at %s (%v); run ./scripts/test.sh, which installs it", chromiumPath, err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	// Cleanups run last-registered first: the timeout, then the tab and
	// browser, then the allocator, which waits for the process to exit
	// before t.TempDir removes the profile.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)

	// Start the browser on a context without the timeout, so that a test
	// that times out can still take its failure screenshot.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v (run ./scripts/test.sh to install Chromium and its fonts)", chromiumPath, err)
	}
	setAcceptLanguage(t, bctx, "zh-CN,zh;q=0.9")

	timeout := browserTestTimeout
	if d, ok := t.Deadline(); ok && time.Until(d) < timeout {
		timeout = time.Until(d) * 9 / 10 // leave time to report the failure
	}
	ctx, cancel := context.WithTimeout(bctx, timeout)
	t.Cleanup(cancel)
	return ctx
}

// setAcceptLanguage makes the tab send this Accept-Language header, which
// picks the UI language for users who have not chosen one.
func setAcceptLanguage(t *testing.T, ctx context.Context, accept string) {
	t.Helper()
	v, err := chromedp.CallBrowser(ctx, browser.GetVersion, cdp.Empty{})
	if err != nil {
		t.Fatalf("browser version: %v", err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride,
		emulation.SetUserAgentOverrideParams{UserAgent: v.UserAgent, AcceptLanguage: accept}); err != nil {
		t.Fatalf("set Accept-Language: %v", err)
	}
}

// stepShots keeps a screenshot of every step of a browser test in memory and
// writes them, with one of the final state, only when the test fails. They
// go to t.ArtifactDir(): a temporary directory like t.TempDir(), kept when
// go test runs with -artifacts (e.g. -artifacts -outputdir /tmp/shots).
type stepShots struct {
	t     *testing.T
	ctx   context.Context
	names []string
	pngs  [][]byte
}

func newStepShots(t *testing.T, ctx context.Context) *stepShots {
	s := &stepShots{t: t, ctx: ctx}
	t.Cleanup(s.flush)
	return s
}

// take records what the page looks like after the step called name.
func (s *stepShots) take(name string) {
	s.t.Helper()
	png, err := chromedp.Run(s.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		s.t.Logf("screenshot %s: %v", name, err)
		return
	}
	s.names = append(s.names, name)
	s.pngs = append(s.pngs, png)
}

// flush writes the screenshots when the test failed, or always with
// KEYUAN_KEEP_SHOTS=1 (to look at the screens), into the test's artifact
// directory (go test -artifacts keeps it).
func (s *stepShots) flush() {
	if !s.t.Failed() && os.Getenv("KEYUAN_KEEP_SHOTS") == "" {
		return
	}
	// The test's context may have timed out; the browser outlives it.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), 5*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err == nil {
		name := "failed"
		if !s.t.Failed() {
			name = "end"
		}
		s.names = append(s.names, name)
		s.pngs = append(s.pngs, png)
	}
	dir := s.t.ArtifactDir()
	for i, png := range s.pngs {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%02d-%s.png", i+1, s.names[i])), png, 0o644); err != nil {
			s.t.Logf("write screenshot: %v", err)
			return
		}
	}
	s.t.Logf("screenshots of each step: %s", dir)
}

// steps returns a function that runs one named step of a browser test:
// it fails the test on an error, checks the page it ends on with axe-core,
// and keeps a screenshot of the result.
func steps(t *testing.T, ctx context.Context, shots *stepShots) func(step string, actions ...chromedp.Action[chromedp.Void]) {
	return func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		checkAccessibility(t, ctx, step)
		shots.take(step)
	}
}

// axeSource is axe-core, vendored from npm (testdata/axe-core/README.md).
//
//go:embed testdata/axe-core/axe.min.js
var axeSource string

// noAxeKey marks a test context whose pages run with JavaScript switched
// off: axe-core, itself a script, cannot run there (the same pages are
// checked with scripts on by the other tests).
type noAxeKey struct{}

func withoutScripts(ctx context.Context) context.Context {
	return context.WithValue(ctx, noAxeKey{}, true)
}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target []string `json:"target"`
		HTML   string   `json:"html"`
	} `json:"nodes"`
}

// checkAccessibility runs axe-core on the page as it is now and fails the
// test on a serious or critical violation (WCAG 2.1 A and AA rules). The
// script goes in through the DevTools protocol: the page's
// Content-Security-Policy allows no inline script, rightly.
func checkAccessibility(t *testing.T, ctx context.Context, step string) {
	t.Helper()
	if ctx.Value(noAxeKey{}) != nil {
		return
	}
	// A step may end on a click whose navigation is still under way: wait
	// for the new document before looking at it.
	if err := chromedp.Do(ctx, chromedp.WaitReady(chromedp.CSS(`body`))); err != nil {
		t.Fatalf("%s: page not ready for axe: %v", step, err)
	}
	loaded, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof window.axe === "object"`))
	if err != nil {
		t.Fatalf("%s: axe: %v", step, err)
	}
	if !loaded {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](axeSource)); err != nil {
			t.Fatalf("%s: inject axe-core: %v", step, err)
		}
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](`axe.run(document, {
			runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}, resultTypes: ["violations"]})
		.then(r => r.violations.filter(v => v.impact === "serious" || v.impact === "critical").map(v => ({
			id: v.id, impact: v.impact, help: v.help,
			nodes: v.nodes.slice(0, 3).map(n => ({target: n.target.map(String), html: n.html.slice(0, 160)}))})))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", step, err)
	}
	for _, v := range found {
		t.Errorf("%s: accessibility (%s) %s: %s", step, v.Impact, v.ID, v.Help)
		for _, n := range v.Nodes {
			t.Errorf("    at %v: %s", n.Target, n.HTML)
		}
	}
}

// textOf returns a function that reads the text of the element a CSS
// selector matches, failing the test when there is none.
func textOf(t *testing.T, ctx context.Context) func(sel string) string {
	return func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
}

// jsString quotes s for use inside a JavaScript expression.
func jsString(s string) string {
	b, err := json.Marshal(s)
	if err != nil {
		panic(err) // a string always marshals
	}
	return string(b)
}

// chooseOption picks the option with the visible label in the <select>
// matched by the CSS selector, and fires the input and change events a
// person's choice fires (htmx listens for change).
func chooseOption(selector, label string) chromedp.Action[string] {
	return chromedp.Evaluate[string](`((sel, label) => {
		const s = document.querySelector(sel);
		if (!s) return "no element " + sel;
		const o = [...s.options].find(o => o.textContent.trim() === label);
		if (!o) return "no option " + JSON.stringify(label) + " in " + sel + ": " + [...s.options].map(o => o.textContent.trim()).join(" | ");
		s.value = o.value;
		s.dispatchEvent(new Event("input", {bubbles: true}));
		s.dispatchEvent(new Event("change", {bubbles: true}));
		return "";
	})(` + jsString(selector) + `, ` + jsString(label) + `)`)
}

// auxByCode finds a default category item, so the test chooses the label
// the admin would see without hard-coding it.
func auxByCode(t *testing.T, db *models.DB, typ, code string) models.AuxItem {
	t.Helper()
	items, err := db.AuxItemsOf(context.Background(), typ)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range items {
		if it.Code == code {
			return it
		}
	}
	t.Fatalf("no %s item with code %s", typ, code)
	return models.AuxItem{}
}

// TestBrowserCustomerFlow clicks through the first thing everyone does: log
// in, create a customer with its first contact, find it in the list with a
// category filter (htmx), open its card; and the list fits a phone screen.
func TestBrowserCustomerFlow(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	industry := auxByCode(t, app.db, "industry", "FNB")
	grade := auxByCode(t, app.db, "grade", "A")
	other := auxByCode(t, app.db, "industry", "LOG")

	// Another customer in another industry, which the filter must hide.
	const otherName = "上海浦东远航物流有限公司"
	res := app.login("admin").post("/customers", url.Values{"name": {otherName},
		"industry": {strconv.FormatInt(other.ID, 10)}, "contact_name": {"赵敏"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create the other customer: status %d", res.StatusCode)
	}

	const (
		name          = "杭州西湖龙井茶业有限公司"
		contactName   = "陈静怡"
		contactMobile = "13812345678"
	)
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)
	choose := func(sel, label string) {
		t.Helper()
		if msg, err := chromedp.Run(ctx, chooseOption(sel, label)); err != nil || msg != "" {
			t.Fatalf("choose %q in %s: %v %s", label, sel, err, msg)
		}
	}

	// Log in through the form; the login page brings us back to the list.
	do("login-page",
		chromedp.Navigate(app.ts.URL+"/customers"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	do("logged-in",
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#results`)))
	if got := text(".topbar .user-name"); got != "系统管理员" {
		t.Errorf("top bar user = %q, want 系统管理员", got)
	}

	// Create the customer with its first contact.
	do("new-customer-form",
		chromedp.Click(chromedp.CSS(`.page-head a[href="/customers/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.form input[name=name]`)))
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`form.form input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`form.form input[name=phone]`), "0571-87654321"),
		chromedp.SendKeys(chromedp.CSS(`form.form input[name=contact_name]`), contactName),
		chromedp.SendKeys(chromedp.CSS(`form.form input[name=contact_mobile]`), contactMobile)); err != nil {
		t.Fatalf("fill in the form: %v", err)
	}
	choose(`form.form select[name=industry]`, industry.NameZH)
	choose(`form.form select[name=grade]`, grade.NameZH)
	shots.take("filled-in")
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`form.form input[name=name]`))); err != nil || v != name {
		t.Fatalf("name field holds %q (%v), want %q", v, err, name)
	}
	do("saved",
		chromedp.Click(chromedp.CSS(`form.form .form-actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#contacts`)))
	cardURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if h1 := text(".page-head h1"); !strings.Contains(h1, name) {
		t.Errorf("card heading = %q, want the name %q", h1, name)
	}
	props := text(".props")
	for _, want := range []string{industry.NameZH, grade.NameZH, "0571-87654321"} {
		if !strings.Contains(props, want) {
			t.Errorf("card properties %q lack %q", props, want)
		}
	}
	if got := text("#contacts"); !strings.Contains(got, contactName) || !strings.Contains(got, contactMobile) {
		t.Errorf("card contacts = %q, want %s %s", got, contactName, contactMobile)
	}

	// The list shows both customers; the industry filter (htmx) keeps ours.
	do("list",
		chromedp.Click(chromedp.CSS(`#sidenav a[href="/customers"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#results tbody tr`)))
	if rows := text("#results tbody"); !strings.Contains(rows, name) || !strings.Contains(rows, otherName) {
		t.Fatalf("unfiltered list = %q, want both customers", rows)
	}
	// Mark the rows on screen, so we can wait for htmx to replace them.
	if err := chromedp.Do(ctx, chromedp.SetAttributeValue(chromedp.CSS(`#results tbody`), "data-stale", "1")); err != nil {
		t.Fatal(err)
	}
	choose(`form.filters select[name=industry]`, industry.NameZH)
	do("filtered",
		chromedp.WaitNotPresent(chromedp.CSS(`#results [data-stale]`)),
		chromedp.WaitVisible(chromedp.CSS(`#results tbody tr`)))
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll("#results tbody tr a.row-link")].map(a => a.textContent.trim())`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0] != name {
		t.Fatalf("rows after filtering by %s = %q, want only %q", industry.NameZH, rows, name)
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "industry="+strconv.FormatInt(industry.ID, 10)) {
		t.Errorf("address after filtering = %q (%v), want the filter in it so it can be bookmarked", loc, err)
	}

	// Open the card from its row.
	do("card",
		chromedp.Click(`//div[@id="results"]//tbody//a[normalize-space()=`+jsString(name)+`]`),
		chromedp.WaitVisible(chromedp.CSS(`#contacts`)))
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || loc != cardURL {
		t.Errorf("the row opened %q (%v), want the card %q", loc, err, cardURL)
	}
	if h1 := text(".page-head h1"); !strings.Contains(h1, name) {
		t.Errorf("card heading = %q, want %q", h1, name)
	}
	if got := text("#contacts"); !strings.Contains(got, contactName) {
		t.Errorf("card contacts = %q, want %s", got, contactName)
	}

	// At phone width the list page must not scroll sideways.
	do("phone-list",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(app.ts.URL+"/customers"),
		chromedp.WaitVisible(chromedp.CSS(`#results tbody tr`)))
	type widths struct {
		Scroll int `json:"scroll"`
		Client int `json:"client"`
		Inner  int `json:"inner"`
	}
	w, err := chromedp.Run(ctx, chromedp.Evaluate[widths](`({
		scroll: document.documentElement.scrollWidth,
		client: document.documentElement.clientWidth,
		inner: window.innerWidth})`))
	if err != nil {
		t.Fatal(err)
	}
	if w.Inner != 390 {
		t.Fatalf("phone viewport is %d px wide, want 390", w.Inner)
	}
	if w.Scroll > w.Inner || w.Scroll > w.Client {
		wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("body *")]
			.filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
			.slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? "." + e.className : "") + " → " + Math.round(e.getBoundingClientRect().right))`))
		t.Errorf("customer list at 390 px scrolls sideways: page %d px wide, window %d px (client %d); too wide: %q",
			w.Scroll, w.Inner, w.Client, wide)
	}
}
