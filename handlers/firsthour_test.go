package handlers

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyuan/models"
)

// TestHeadAnswersLikeGet: HEAD gets the GET's status and headers and no
// body (it was a 404 on every page, the feed and /healthz).
func TestHeadAnswersLikeGet(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	for _, p := range []string{"/healthz", "/login", "/", "/customers", "/ical/not-a-token.ics"} {
		req, _ := http.NewRequest(http.MethodHead, app.ts.URL+p, nil)
		head, err := c.http.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(head.Body)
		head.Body.Close()
		get := c.get(p)
		if head.StatusCode != get.StatusCode || len(body) != 0 {
			t.Errorf("HEAD %s: %d with %d body bytes; GET: %d", p, head.StatusCode, len(body), get.StatusCode)
		}
	}
}

// TestCalendarLinksOpenTheRecords: an activity record on the calendar
// linked to /activitys/ID (a 404); ?who=all was a 404 too.
func TestCalendarLinksOpenTheRecords(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	zhang := models.Actor{ID: app.addUser("zhang", models.RoleSales), Role: models.RoleSales}
	cu := &models.Customer{Kind: "customer", Name: "日历客户"}
	if err := app.db.CreateCustomer(ctx, zhang, cu, nil); err != nil {
		t.Fatal(err)
	}
	today := app.srv.today().Format("2006-01-02")
	act := &models.Activity{Date: today, CustomerID: cu.ID, Subject: "拜访日历客户"}
	if err := app.db.SaveActivity(ctx, zhang, act); err != nil {
		t.Fatal(err)
	}
	c := app.login("zhang")
	for _, view := range []string{"day", "week", "month"} {
		res := c.get("/calendar?view=" + view + "&date=" + today)
		if strings.Contains(res.Body, "/activitys/") || !strings.Contains(res.Body, `href="/activities/`) {
			t.Errorf("%s view: the record's link is wrong", view)
		}
	}
	if res := c.get("/activities/" + id(act.ID)); res.StatusCode != http.StatusOK {
		t.Errorf("the linked record: %d", res.StatusCode)
	}
	if res := app.login("admin").get("/calendar?who=all"); res.StatusCode != http.StatusOK {
		t.Errorf("/calendar?who=all: %d", res.StatusCode)
	}
}

// TestNumberingPreviewKeepsItsTarget: the preview request must swap inside
// the preview element (the form's outerHTML swap, inherited, replaced the
// element that carries the id, so the second preview had no target).
func TestNumberingPreviewKeepsItsTarget(t *testing.T) {
	app := newTestApp(t)
	res := app.login("admin").get("/settings/numbering")
	i := strings.Index(res.Body, `hx-get="/settings/numbering/customer/preview"`)
	if i < 0 {
		t.Fatal("no preview trigger")
	}
	tag := res.Body[i : i+strings.Index(res.Body[i:], ">")]
	if !strings.Contains(tag, `hx-swap="innerHTML"`) {
		t.Errorf("the preview trigger inherits the form's swap: %s", tag)
	}
}

// TestBatchPlanSpreadsTimesAndSkipsInactive (issue 19): four 09:30 visits
// on one day, and plans for deactivated customers, were what a batch made.
func TestBatchPlanSpreadsTimesAndSkipsInactive(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	zhang := models.Actor{ID: app.addUser("zhang", models.RoleSales), Role: models.RoleSales}
	var ids []string
	for i, status := range []string{"active", "inactive", "active", "active"} {
		cu := &models.Customer{Kind: "customer", Name: "分布客户" + id(int64(i)), Status: status}
		if err := app.db.CreateCustomer(ctx, zhang, cu, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id(cu.ID))
	}
	c := app.login("zhang")
	form := url.Values{"kind": {"customer"}, "id": ids, "from": {"2026-03-02"}, "to": {"2026-03-02"}, "time": {"09:30"},
		"spacing": {"90"}, "subject": {"拜访"}, "step": {"preview"}}
	if res := c.post("/plans/batch", form); !strings.Contains(res.Body, "1 个已停用的记录不安排计划") {
		t.Errorf("the preview does not say an inactive customer is left out")
	}
	form.Set("step", "confirm")
	if res := c.post("/plans/batch", form); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirm: %d %.500s", res.StatusCode, res.Body)
	}
	rows, err := app.db.Read.Query(`SELECT p.time, c.status FROM plans p JOIN customers c ON c.id = p.customer_id ORDER BY p.time`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var times []string
	for rows.Next() {
		var tm, status string
		rows.Scan(&tm, &status)
		if status != "active" {
			t.Error("a deactivated customer got a plan")
		}
		times = append(times, tm)
	}
	if strings.Join(times, ",") != "09:30,11:00,12:30" {
		t.Errorf("times %v, want 09:30, 11:00, 12:30", times)
	}
	form.Set("spacing", "45")
	if res := c.post("/plans/batch", form); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a spacing not offered: %d", res.StatusCode)
	}
}

// TestHistoryShowsLabels (issue 19): a new campaign's history read
// "活动类型 0 → 56", "状态 status.planning" and "预算 0.00 → 198,000.00".
func TestHistoryShowsLabels(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	types, err := app.db.AuxItemsOf(context.Background(), "campaign_type")
	if err != nil || len(types) == 0 {
		t.Fatal("no campaign types", err)
	}
	res := c.post("/campaigns", url.Values{"name": {"春季发布会"}, "type": {id(types[0].ID)}, "start_date": {"2026-04-01"},
		"end_date": {"2026-04-01"}, "budget": {"198000"}, "owner": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %.800s", res.StatusCode, res.Body)
	}
	card := c.get(res.Header.Get("Location"))
	for _, raw := range []string{"status.planning", "<del>0</del>", "<del>0.00</del>", "→ <ins>" + id(types[0].ID) + "</ins>"} {
		if strings.Contains(card.Body, raw) {
			t.Errorf("the history shows a raw value: %s", raw)
		}
	}
	if !strings.Contains(card.Body, types[0].NameZH) {
		t.Error("the history does not name the campaign type")
	}
}

// TestInvitationWarnings (issue 19): relative links in an invitation and an
// http public URL (one-click unsubscribe needs https) are pointed out.
func TestInvitationWarnings(t *testing.T) {
	for _, tc := range []struct {
		html string
		want bool
	}{{`<a href="/offer">看</a>`, true}, {`<img src='logo.png'>`, true}, {`<a href="#top">x</a>`, false}, {`<a href="page.html">x</a>`, true},
		{`<a href="https://x.example/a">x</a>`, false}, {`<a href="mailto:a@b.cn">x</a>`, false}, {`<img src="../i.png">`, true}} {
		if got := relativeLinks(tc.html); got != tc.want {
			t.Errorf("relativeLinks(%s) = %v", tc.html, got)
		}
	}
	app := newTestApp(t) // its base URL is http://example.test
	c := app.login("admin")
	m := &models.Campaign{Name: "提醒测试", StartDate: "2026-04-01", EndDate: "2026-04-01", OwnerID: 1}
	if err := app.db.SaveCampaign(context.Background(), models.SystemActor(), m); err != nil {
		t.Fatal(err)
	}
	if res := c.get("/campaigns/" + id(m.ID) + "/mail"); !strings.Contains(res.Body, "RFC 8058") {
		t.Error("no warning about the http public URL")
	}
}

// TestCampaignFiguresFollowASavedResult (issue 19): the figures at the top
// of the card stayed at 0 after a result was saved, until a reload.
func TestCampaignFiguresFollowASavedResult(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	base := "/campaigns/" + id(f.linaCamp)
	c.post(base+"/targets/filter", url.Values{})
	var tid int64
	f.app.db.Read.QueryRow(`SELECT id FROM campaign_targets WHERE campaign_id = ? LIMIT 1`, f.linaCamp).Scan(&tid)
	res := c.post(base+"/targets/"+id(tid), url.Values{"notified": {"1"}, "attended": {"1"}}, "HX-Request", "true")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("save: %d", res.StatusCode)
	}
	if !strings.Contains(res.Body, `id="campaign-stats" hx-swap-oob="true"`) {
		t.Fatal("the fragment does not update the card's figures")
	}
	i := strings.Index(res.Body, `id="campaign-stats"`)
	if !strings.Contains(res.Body[i:], "<dd>1</dd>") {
		t.Errorf("the figures do not count the saved result:\n%s", res.Body[i:])
	}
}

// TestKnowledgeCategoryFilterInsideTheSearch (issue 17): the category
// filter took the top 100 hits and filtered them, so an article ranked
// lower was "not found", and pages were ignored.
func TestKnowledgeCategoryFilterInsideTheSearch(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	types, err := app.db.AuxItemsOf(ctx, "issue_type")
	if err != nil || len(types) < 2 {
		t.Fatal("issue types", err)
	}
	other, billing := types[0].ID, types[1].ID
	svc := models.SystemActor()
	for i := range 130 { // strong matches in another category
		a := &models.Article{Title: "发票问题 " + id(int64(i)), Symptom: "发票 发票 发票 开具发票", Solution: "发票", CategoryID: other}
		if err := app.db.SaveArticle(ctx, svc, a); err != nil {
			t.Fatal(err)
		}
	}
	weak := &models.Article{Title: "月底对账", Symptom: "对账单与发票金额不一致", Solution: "核对明细", CategoryID: billing}
	if err := app.db.SaveArticle(ctx, svc, weak); err != nil {
		t.Fatal(err)
	}
	app.sync()
	c := app.login("admin")
	res := c.get("/kb?q=" + url.QueryEscape("发票") + "&category=" + id(billing))
	if !strings.Contains(res.Body, "月底对账") {
		t.Error("the category's article ranked after the first 100 hits is not found")
	}
	page2 := c.get("/kb?q=" + url.QueryEscape("发票") + "&category=" + id(other) + "&page=2")
	if n := strings.Count(page2.Body, `class="card kb-item"`); n != 20 || !strings.Contains(page2.Body, "找到 130 篇") {
		t.Errorf("page 2 of a filtered search: %d articles", n)
	}
}
