package handlers

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyuan/models"
)

// TestBrowserActivityFlow is a salesperson's day: record a visit with a
// next activity a week later, find the plan it made in the calendar's week
// view (moving a week on with htmx), open it in place and complete it; then
// the calendar at phone width.
func TestBrowserActivityFlow(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx0 := context.Background()
	uid := app.addUser("zhang", models.RoleSales)
	zhang := models.Actor{ID: uid, Role: models.RoleSales}
	cu := &models.Customer{Kind: "customer", Name: "苏州博远精密机械有限公司"}
	if err := app.db.CreateCustomer(ctx0, zhang, cu, []models.Contact{{Name: "周建华", IsPrimary: true}}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(app.db.Location())
	next := today.AddDate(0, 0, 7) // always in next week: the test moves there with htmx
	const (
		subject     = "上门拜访，演示新款数控机床"
		nextSubject = "送报价单并确认交期"
	)

	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)

	// Log in; a salesperson starts on "My plans today".
	do("login",
		chromedp.Navigate(app.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "zhang"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
	if h1 := text(".page-head h1"); !strings.Contains(h1, "我的今日计划") {
		t.Fatalf("start page = %q", h1)
	}

	// From the customer card to a new activity record.
	do("card",
		chromedp.Navigate(app.ts.URL+"/customers/"+strconv.FormatInt(cu.ID, 10)),
		chromedp.WaitVisible(chromedp.CSS(`#activities`)))
	do("new-activity",
		chromedp.Click(chromedp.CSS(`.page-head a[href^="/activities/new?customer="]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.form input[name=subject]`)))
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name=customer_label]`))); err != nil || v != cu.Name {
		t.Fatalf("counterpart = %q %v", v, err)
	}
	if msg, err := chromedp.Run(ctx, chooseOption(`select[name=contact]`, "周建华")); err != nil || msg != "" {
		t.Fatalf("contact: %v %s", err, msg)
	}
	do("filled",
		chromedp.SetValue(chromedp.CSS(`input[name=date]`), today.Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS(`input[name=start_time]`), "09:00"),
		chromedp.SetValue(chromedp.CSS(`input[name=end_time]`), "10:30"),
		chromedp.SendKeys(chromedp.CSS(`input[name=subject]`), subject),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=content]`), "客户对新机型很感兴趣，要求尽快报价。"),
		chromedp.SendKeys(chromedp.CSS(`input[name=next_subject]`), nextSubject),
		chromedp.SetValue(chromedp.CSS(`input[name=next_date]`), next.Format("2006-01-02")),
		chromedp.SetValue(chromedp.CSS(`input[name=next_time]`), "14:00"))
	do("saved",
		chromedp.Click(chromedp.CSS(`form.form .form-actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if f := text(".flash"); !strings.Contains(f, "已生成下次活动计划") {
		t.Fatalf("flash = %q", f)
	}

	// The calendar's week view; if the plan falls in next week, move there
	// with the toolbar (an htmx swap, not a page load).
	do("calendar",
		chromedp.Click(chromedp.CSS(`#sidenav a[href="/calendar"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#calendar .cal-days.cal-week`)))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage = true`)); err != nil {
		t.Fatal(err)
	}
	do("next-week",
		chromedp.Click(chromedp.CSS(`.cal-move a[aria-label="下一页"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.cal-cell[data-date="`+next.Format("2006-01-02")+`"]`)))
	if same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.__samePage === true`)); err != nil || !same {
		t.Fatal("moving a week reloaded the page instead of swapping the calendar")
	}
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.Contains(loc, "view=week") {
		t.Errorf("address after moving = %q (%v), want the view in it", loc, err)
	}
	cell := `.cal-cell[data-date="` + next.Format("2006-01-02") + `"]`
	do("week-view", chromedp.WaitVisible(chromedp.CSS(cell+` .cal-entry.plan`)))
	if got := text(cell + ` .cal-entry.plan`); !strings.Contains(got, nextSubject) || !strings.Contains(got, "14:00") {
		t.Fatalf("week view entry = %q", got)
	}

	// The entry opens its details in place, and "complete" opens a new
	// record prefilled from the plan.
	do("details",
		chromedp.Click(chromedp.CSS(cell+` .cal-entry.plan`)),
		chromedp.WaitVisible(chromedp.CSS(`#cal-detail .cal-detail-card`)))
	if got := text("#cal-detail"); !strings.Contains(got, nextSubject) || !strings.Contains(got, cu.Name) {
		t.Fatalf("details = %q", got)
	}
	do("complete-form",
		chromedp.Click(chromedp.CSS(`#cal-detail a[href^="/activities/new?plan="]`)),
		chromedp.WaitVisible(chromedp.CSS(`form.form input[name=subject]`)),
		chromedp.WaitReady(chromedp.CSS(`form.form input[name=plan]`)))
	if v, err := chromedp.Run(ctx, chromedp.Value(chromedp.CSS(`input[name=subject]`))); err != nil || v != nextSubject {
		t.Fatalf("prefilled subject = %q %v", v, err)
	}
	do("completed",
		chromedp.SetValue(chromedp.CSS(`input[name=date]`), next.Format("2006-01-02")),
		chromedp.SendKeys(chromedp.CSS(`textarea[name=result]`), "报价已送达，客户下周回复。"),
		chromedp.Click(chromedp.CSS(`form.form .form-actions button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	page, err := app.db.ListPlans(ctx0, zhang, models.PlanFilter{})
	if err != nil || page.Total != 1 || page.Rows[0].Status != "done" {
		t.Fatalf("plans after completing: %+v %v", page.Rows, err)
	}

	// The week now shows the record where the plan was.
	do("week-after",
		chromedp.Navigate(app.ts.URL+"/calendar?view=week&date="+next.Format("2006-01-02")),
		chromedp.WaitVisible(chromedp.CSS(cell+` .cal-entry.activity`)))
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(`+jsString(cell+` .cal-entry.plan`)+`).length`)); err != nil || n != 0 {
		t.Fatalf("open plans left in the cell: %d %v", n, err)
	}

	// At phone width the month view fits without sideways scrolling.
	do("phone-month",
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(app.ts.URL+"/calendar?view=month&date="+next.Format("2006-01-02")),
		chromedp.WaitVisible(chromedp.CSS(`.cal-month`)))
	wide, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil || wide > 390 {
		t.Fatalf("month view at 390 px is %d px wide (%v)", wide, err)
	}
}

// TestBrowserBoardDrag moves an opportunity on the pipeline board by
// dragging its card to the next stage's column; htmx redraws the board.
func TestBrowserBoardDrag(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx0 := context.Background()
	uid := app.addUser("zhang", models.RoleSales)
	zhang := models.Actor{ID: uid, Role: models.RoleSales}
	cu := &models.Customer{Kind: "customer", Name: "宁波远航物流有限公司"}
	if err := app.db.CreateCustomer(ctx0, zhang, cu, nil); err != nil {
		t.Fatal(err)
	}
	stages, err := app.db.AuxItemsOf(ctx0, "sales_stage")
	if err != nil {
		t.Fatal(err)
	}
	o := &models.Opportunity{Name: "仓储系统改造", CustomerID: cu.ID, AmountFen: 50_000_00, StageID: stages[0].ID}
	if err := app.db.SaveOpportunity(ctx0, zhang, o); err != nil {
		t.Fatal(err)
	}
	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(app.ts.URL+"/opportunities/board"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "zhang"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#board [data-move]`))); err != nil {
		t.Fatal(err)
	}
	shots.take("board")
	target := strconv.FormatInt(stages[1].ID, 10)
	// A person's drag, as the browser reports it: dragstart on the card,
	// dragover and drop on the column.
	msg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const card = document.querySelector("#board [data-move]");
		const col = document.querySelector('#board [data-stage="`+target+`"]');
		if (!card || !col) return "card or column missing";
		const dt = new DataTransfer();
		card.dispatchEvent(new DragEvent("dragstart", {bubbles: true, dataTransfer: dt}));
		col.dispatchEvent(new DragEvent("dragover", {bubbles: true, cancelable: true, dataTransfer: dt}));
		col.dispatchEvent(new DragEvent("drop", {bubbles: true, cancelable: true, dataTransfer: dt}));
		return "";
	})()`))
	if err != nil || msg != "" {
		t.Fatalf("drag: %v %s", err, msg)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(`#board [data-stage="`+target+`"] [data-move]`))); err != nil {
		t.Fatalf("card not in the new column: %v", err)
	}
	shots.take("moved")
	got, err := app.db.GetOpportunity(ctx0, zhang, o.ID)
	if err != nil || got.StageID != stages[1].ID {
		t.Fatalf("stage after the drag = %d (%v), want %d", got.StageID, err, stages[1].ID)
	}
}

// TestBrowserPersonalTask: a salesperson writes a to-do without a customer
// in the plan form (the picker says it may stay empty), finds it on the
// start page marked as a personal task, and ticks it off there with one
// button; every page passes axe-core.
func TestBrowserPersonalTask(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.addUser("zhang", models.RoleSales)
	today := time.Now().In(app.db.Location()).Format("2006-01-02")
	const subject = "准备季度销售报告"

	ctx := newBrowser(t)
	shots := newStepShots(t, ctx)
	do := steps(t, ctx, shots)
	text := textOf(t, ctx)
	do("login",
		chromedp.Navigate(app.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "zhang"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Click(chromedp.CSS(`.login-card button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-head h1`)))
	do("new-plan",
		chromedp.Navigate(app.ts.URL+"/plans/new?date="+today),
		chromedp.WaitVisible(chromedp.CSS(`form.form input[name=subject]`)))
	if hint := text(".picker .hint"); !strings.Contains(hint, "个人待办") {
		t.Fatalf("picker hint = %q", hint)
	}
	do("saved",
		chromedp.SetValue(chromedp.CSS(`input[name=time]`), "23:30"),
		chromedp.SendKeys(chromedp.CSS(`input[name=subject]`), subject),
		chromedp.Click(chromedp.CSS(`form.form .form-actions button[type=submit]`)),
		// The card's own element: the form page has a heading too, so
		// waiting for one raced the navigation (and axe ran mid-way).
		chromedp.WaitVisible(chromedp.CSS(`dl.props`)))
	if h1, props := text(".page-head h1"), text("dl.props"); !strings.Contains(h1, subject) || !strings.Contains(props, "个人待办") {
		t.Fatalf("card: %q / %q", h1, props)
	}
	do("start-page",
		chromedp.Navigate(app.ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`.plan-list .plan-item`)))
	if item := text(".plan-list .plan-item"); !strings.Contains(item, subject) || !strings.Contains(item, "个人待办") {
		t.Fatalf("start page item = %q", item)
	}
	do("done",
		chromedp.Click(chromedp.CSS(`.plan-item form[action$="/done"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if f := text(".flash"); !strings.Contains(f, "待办已完成") {
		t.Fatalf("flash = %q", f)
	}
}
