package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyuan/models"
)

// TestBrowserCampaignFlow clicks through a campaign: build the target list
// by filter (live count), write and send the invitation, watch the progress
// reach 100%, and record a result for one person.
func TestBrowserCampaignFlow(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx := context.Background()
	retail := auxByCode(t, app.db, "industry", "RET")
	finance := auxByCode(t, app.db, "industry", "FIN")
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	for i := range 30 {
		industry := retail.ID
		if i%3 == 0 {
			industry = finance.ID
		}
		c := &models.Customer{Kind: "customer", Name: fmt.Sprintf("苏州园区%02d电子有限公司", i), IndustryID: industry, OwnerID: 1}
		if err := app.db.CreateCustomer(ctx, admin, c, []models.Contact{{Name: fmt.Sprintf("顾经理%02d", i),
			Email: fmt.Sprintf("gu%02d@suzhou.example.cn", i), IsPrimary: true}}); err != nil {
			t.Fatal(err)
		}
	}
	m := &models.Campaign{Name: "2027新品发布会", StartDate: "2027-01-12", EndDate: "2027-01-12", Place: "苏州国际博览中心", OwnerID: 1}
	if err := app.db.SaveCampaign(ctx, admin, m); err != nil {
		t.Fatal(err)
	}
	// The outbox job runs as in production ("send now" starts it at once),
	// writing .eml files.
	app.app.Scheduler.Start()

	bctx := newBrowser(t)
	shots := newStepShots(t, bctx)
	do := steps(t, bctx, shots)
	text := textOf(t, bctx)
	waitText := func(sel, want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(text(sel), want) {
			if time.Now().After(deadline) {
				t.Fatalf("%s never showed %q; it shows %q", sel, want, text(sel))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	card := fmt.Sprintf("%s/campaigns/%d", app.ts.URL, m.ID)
	do("login",
		chromedp.Navigate(card),
		chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=username]`), "admin"),
		chromedp.SendKeys(chromedp.CSS(`input[name=password]`), testPassword),
		chromedp.Submit(chromedp.CSS(`input[name=password]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-target-builder]`)))
	// The live count follows the filter.
	waitText("#target-preview", "30 人")
	if msg, err := chromedp.Run(bctx, chooseOption(`form[data-target-builder] select[name=industry]`, retail.NameZH)); err != nil || msg != "" {
		t.Fatalf("choose industry: %v %s", err, msg)
	}
	waitText("#target-preview", "20 人，其中 20 人有电子邮箱")
	do("add by filter",
		chromedp.Click(chromedp.CSS(`form[data-target-builder] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`table.targets`)))
	waitText(".flash", "已添加 20 人")
	do("mail page",
		chromedp.Click(chromedp.CSS(`a[href$="/mail"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#mail-form`)))
	do("preview",
		chromedp.Click(chromedp.CSS(`#mail-form button[hx-post$="/mail/preview"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.mail-preview`)))
	if got := text(".mail-preview"); !strings.Contains(got, "2027新品发布会") || !strings.Contains(got, "苏州国际博览中心") {
		t.Fatalf("preview: %q", got)
	}
	do("save template",
		chromedp.Click(chromedp.CSS(`#mail-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	// Send now: confirm() is answered by overriding it for this page.
	do("send",
		chromedp.Evaluate[chromedp.Void](`window.confirm = () => true`),
		chromedp.Click(chromedp.CSS(`button[formaction$="/send"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.progressbar`)))
	deadline := time.Now().Add(30 * time.Second)
	for {
		now, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.querySelector('.progressbar').getAttribute('aria-valuenow')`))
		if err != nil {
			t.Fatal(err)
		}
		if now == "100" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("progress stuck at %s%%", now)
		}
		time.Sleep(200 * time.Millisecond)
	}
	shots.take("sent")
	if got := text("#mail-progress"); !strings.Contains(got, "发送完毕") {
		t.Fatalf("progress: %q", got)
	}
	// Back on the card: record that the first person came with two colleagues.
	do("card",
		chromedp.Navigate(card),
		chromedp.WaitVisible(chromedp.CSS(`table.targets`)))
	if got := text("table.targets"); !strings.Contains(got, "已发送") {
		t.Fatalf("targets do not show sent mail: %q", got)
	}
	do("record result",
		chromedp.Click(chromedp.CSS(`table.targets tbody tr:first-child input[name=attended]`)),
		chromedp.SendKeys(chromedp.CSS(`table.targets tbody tr:first-child input[name=head_count]`), "3"),
		chromedp.SendKeys(chromedp.CSS(`table.targets tbody tr:first-child input[name=feedback]`), "对新品很感兴趣"),
		chromedp.Click(chromedp.CSS(`table.targets tbody tr:first-child button[type=submit]`)))
	waitText("#toasts", "已保存")
	got, err := app.db.GetCampaign(ctx, admin, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.AttendedSum != 3 || got.NotifiedSum != 20 {
		t.Fatalf("attended %d notified %d", got.AttendedSum, got.NotifiedSum)
	}
}
