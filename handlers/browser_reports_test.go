package handlers

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyuan/demo"
	"keyuan/models"
)

// TestBrowserReportBuilder is a manager building a report in the browser:
// activity records joined to their customers, grouped by the customer's
// industry, over the last 365 days, as a pie chart; the preview follows
// each choice (htmx); the saved report opens with its chart, also at
// phone width.
func TestBrowserReportBuilder(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx0 := context.Background()
	now := time.Now().In(app.db.Location())
	if err := demo.Generate(ctx0, app.db, demo.Options{Customers: 60, Sales: 3, Seed: 9, Password: testPassword,
		Activities: 400, Until: time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	app.addUser("zhuguan", models.RoleManager)
	const name, category = "按行业统计的业务活动", "行业分析"

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
	// rebuilt waits for the builder to come back from the server after a
	// change: the marked form is gone, a fresh one is there.
	mark := func() {
		t.Helper()
		if err := chromedp.Do(ctx, chromedp.SetAttributeValue(chromedp.CSS(`#builder-form`), "data-stale", "1")); err != nil {
			t.Fatal(err)
		}
	}
	rebuilt := []chromedp.Action[chromedp.Void]{chromedp.WaitNotPresent(chromedp.CSS(`#builder-form[data-stale]`)),
		chromedp.WaitVisible(chromedp.CSS(`#builder-form`))}

	do("login",
		chromedp.Navigate(app.ts.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "zhuguan"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
	do("builder",
		chromedp.Click(chromedp.CSS(`#sidenav a[href="/reports/new"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#builder-form`)),
		chromedp.WaitVisible(chromedp.CSS(`#preview .chart`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage = true`)); err != nil {
		t.Fatal(err)
	}
	do("named",
		chromedp.SendKeys(chromedp.CSS(`#builder-form input[name=name]`), name),
		chromedp.SendKeys(chromedp.CSS(`#rb-category`), category))

	// Join the customers; their fields appear among the group choices.
	mark()
	do("joined", append([]chromedp.Action[chromedp.Void]{
		chromedp.Click(`//label[contains(@class,"chip")][normalize-space()="客户"]/input`)}, rebuilt...)...)
	mark()
	choose(`#rb-g0`, "客户 · 行业")
	do("grouped", rebuilt...)
	// A filter without a value: the preview says what is wrong, in place
	// (a 400 the page shows, not a failed request).
	mark()
	choose(`#rb-f0v`, "请选择")
	do("refused", append(rebuilt, chromedp.WaitVisible(chromedp.CSS(`#preview .preview-error`)))...)
	if msg := text(`#preview .preview-error`); !strings.Contains(msg, "条件值不正确") {
		t.Errorf("preview error %q", msg)
	}
	if toasts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#toasts .toast-error").length`)); err != nil || toasts != 0 {
		t.Errorf("%d error toasts (%v): the refusal was treated as a failed request", toasts, err)
	}
	mark()
	choose(`#rb-f0v`, "最近 365 天")
	do("filtered", append(rebuilt, chromedp.WaitVisible(chromedp.CSS(`#preview .chart`)))...)
	mark()
	do("pie", append([]chromedp.Action[chromedp.Void]{
		chromedp.Click(`//label[contains(@class,"chip")][normalize-space()="饼图"]/input`)}, rebuilt...)...)
	if same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage === true`)); err != nil || !same {
		t.Fatal("a change in the builder reloaded the page instead of swapping the builder")
	}
	pieces, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#preview .chart-wide svg path").length`))
	if err != nil || pieces < 2 {
		t.Fatalf("the preview's pie has %d slices (%v)", pieces, err)
	}
	head := text(`#preview thead`)
	if !strings.Contains(head, "客户 · 行业") || !strings.Contains(head, "记录数") {
		t.Errorf("preview columns %q", head)
	}
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`#builder-form input[name=name]`))); err != nil || v != name {
		t.Errorf("the name field holds %q after the changes (%v)", v, err)
	}

	do("saved",
		chromedp.Click(chromedp.CSS(`#rb-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#report-result`)))
	if h1 := text(".page-head h1"); h1 != name {
		t.Fatalf("saved report heading %q", h1)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#report-result .chart-wide svg path").length`)); err != nil || n < 2 {
		t.Errorf("the saved report's pie has %d slices (%v)", n, err)
	}
	list, err := app.db.ListReports(ctx0, models.Actor{ID: 1, Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	var saved *models.Report
	for i := range list {
		if list[i].Name == name {
			saved = &list[i]
		}
	}
	if saved == nil {
		t.Fatal("the report was not saved")
	}
	d := saved.Definition
	if saved.Category != category || d.Source != "activities" || !slices.Contains(d.Joins, "customer") || len(d.GroupBy) != 1 ||
		d.GroupBy[0].Field != "customer.industry" || d.Chart != "pie" || len(d.Filters) != 1 || d.Filters[0].Value != "last_365_days" {
		t.Errorf("saved definition %s in category %q", d.JSON(), saved.Category)
	}

	// At phone width the report fits the screen and draws the narrow chart.
	do("phone",
		chromedp.EmulateViewport(390, 844),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`#report-result .chart-narrow svg`)))
	type widths struct {
		Scroll int  `json:"scroll"`
		Inner  int  `json:"inner"`
		Wide   bool `json:"wide"`
	}
	w, err := chromedp.Run(ctx, chromedp.Evaluate[widths](`({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
		wide: getComputedStyle(document.querySelector("#report-result .chart-wide")).display !== "none"})`))
	if err != nil {
		t.Fatal(err)
	}
	if w.Inner != 390 || w.Scroll > w.Inner || w.Wide {
		t.Errorf("at 390 px: page %d px wide in a %d px window, wide chart shown %v", w.Scroll, w.Inner, w.Wide)
	}
}
