package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

// campaignFixture: two salespeople with customers (with contacts), and a
// campaign owned by each.
type campaignFixture struct {
	app                 *testApp
	lina, wang          int64
	linaCamp, wangCamp  int64
	linaCust, wangCust  int64
	retailID, financeID int64
}

func newCampaignFixture(t *testing.T) *campaignFixture {
	t.Helper()
	app := newTestApp(t)
	f := &campaignFixture{app: app}
	f.lina = app.addUser("lina", models.RoleSales)
	f.wang = app.addUser("wangqiang", models.RoleSales)
	ctx := context.Background()
	items, _ := app.db.AuxItemsOf(ctx, "industry")
	for _, it := range items {
		switch it.Code {
		case "RET":
			f.retailID = it.ID
		case "FIN":
			f.financeID = it.ID
		}
	}
	mk := func(owner int64, name, email string, industry int64) int64 {
		c := &models.Customer{Kind: "customer", Name: name, IndustryID: industry, OwnerID: owner}
		if err := app.db.CreateCustomer(ctx, models.Actor{ID: owner, Role: models.RoleSales}, c,
			[]models.Contact{{Name: name + "联系人", Email: email, Title: "经理", IsPrimary: true}}); err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	f.linaCust = mk(f.lina, "李娜的零售客户", "a@retail.example.cn", f.retailID)
	mk(f.lina, "李娜的金融客户", "b@finance.example.cn", f.financeID)
	mk(f.lina, "李娜的无邮箱客户", "", f.retailID)
	f.wangCust = mk(f.wang, "王强的零售客户", "c@retail.example.cn", f.retailID)
	for _, x := range []struct {
		owner int64
		dst   *int64
	}{{f.lina, &f.linaCamp}, {f.wang, &f.wangCamp}} {
		m := &models.Campaign{Name: "活动" + strconv.FormatInt(x.owner, 10), StartDate: "2026-12-08", EndDate: "2026-12-09", OwnerID: x.owner}
		if err := app.db.SaveCampaign(ctx, models.Actor{ID: x.owner, Role: models.RoleSales}, m); err != nil {
			t.Fatal(err)
		}
		*x.dst = m.ID
	}
	return f
}

func TestCampaignRowRules(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	for _, rc := range campaignRoutes(f.wangCamp, 1) {
		rc.form = url.Values{"name": {"x"}, "customer": {strconv.FormatInt(f.linaCust, 10)}, "subject": {"s"}, "text": {"t"}}
		if res := c.send(rc); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", rc.method, rc.path, res.StatusCode)
		}
	}
	var n int
	f.app.db.Read.QueryRow(`SELECT COUNT(*) FROM campaign_targets WHERE campaign_id = ?`, f.wangCamp).Scan(&n)
	if n != 0 {
		t.Fatal("a colleague's campaign was changed")
	}
	res := c.get("/campaigns")
	if !strings.Contains(res.Body, "活动"+strconv.FormatInt(f.lina, 10)) || strings.Contains(res.Body, "活动"+strconv.FormatInt(f.wang, 10)) {
		t.Error("list shows a colleague's campaign or misses one's own")
	}
	if res := c.get("/campaigns/export.csv"); !strings.Contains(res.Body, "活动"+strconv.FormatInt(f.lina, 10)) ||
		strings.Contains(res.Body, "活动"+strconv.FormatInt(f.wang, 10)) {
		t.Error("export shows a colleague's campaign or misses one's own")
	}
	f.app.addUser("kefu", models.RoleService)
	if res := f.app.login("kefu").get("/campaigns"); res.StatusCode != http.StatusForbidden {
		t.Errorf("service staff: %d, want 403", res.StatusCode)
	}
	f.app.addUser("boss", models.RoleManager)
	if res := f.app.login("boss").get(fmt.Sprintf("/campaigns/%d", f.wangCamp)); res.StatusCode != http.StatusOK {
		t.Errorf("manager: %d %s", res.StatusCode, res.Body[:min(len(res.Body), 3000)])
	}
}

func TestCampaignFormValidation(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	res := c.post("/campaigns", url.Values{"name": {"秋季新品发布会"}, "start_date": {"2026-12-10"}, "end_date": {"2026-12-01"},
		"budget": {"12,000.505"}, "place": {"杭州国际博览中心"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{"结束日期不能早于开始日期", "最多两位小数", `value="秋季新品发布会"`, `value="12,000.505"`, "杭州国际博览中心"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	res = c.post("/campaigns", url.Values{"name": {"秋季新品发布会"}, "start_date": {"2026-12-10"}, "end_date": {"2026-12-11"},
		"budget": {"12,000.5"}, "owner": {strconv.FormatInt(f.wang, 10)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	var budget, owner int64
	f.app.db.Read.QueryRow(`SELECT budget, owner_id FROM campaigns WHERE name = '秋季新品发布会'`).Scan(&budget, &owner)
	if budget != 1200050 || owner != f.lina {
		t.Errorf("budget %d fen, owner %d (a salesperson owns what they create)", budget, owner)
	}
}

func TestCampaignTargetsByFilterAndResults(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	base := fmt.Sprintf("/campaigns/%d", f.linaCamp)
	q := url.Values{"industry": {strconv.FormatInt(f.retailID, 10)}}
	res := c.get(base + "/targets/preview?" + q.Encode())
	// Two of her retail customers (one without e-mail); the colleague's is not counted.
	if !strings.Contains(res.Body, "2 人，其中 1 人有电子邮箱") || strings.Contains(res.Body, "王强") {
		t.Fatalf("preview: %s", res.Body)
	}
	res = c.post(base+"/targets/filter", q)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("add: %d", res.StatusCode)
	}
	// Adding again adds nobody twice, and says why.
	res = c.post(base+"/targets/filter", q)
	if again := c.get(res.Header.Get("Location")); !strings.Contains(again.Body, "已添加 0 人到目标名单；另有 2 人已在名单中") {
		t.Error("adding the same people again does not say they are on the list already")
	}
	page, _ := f.app.db.ListTargets(context.Background(), models.SystemActor(), f.linaCamp, "", "", 1, 50)
	if page.Total != 2 {
		t.Fatalf("%d targets", page.Total)
	}
	card := c.get(base)
	if !strings.Contains(card.Body, "已添加 2 人") && !strings.Contains(card.Body, "李娜的零售客户") {
		t.Error("card does not show the targets")
	}
	// Results by hand, through htmx: one attended with 3 people, one notified by phone.
	t1, t2 := page.Rows[0], page.Rows[1]
	res = c.post(fmt.Sprintf("%s/targets/%d", base, t1.ID), url.Values{"notified": {"1"}, "notified_how": {"phone"},
		"attended": {"1"}, "head_count": {"3"}, "feedback": {"很满意"}}, "HX-Request", "true")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `id="target-`) || strings.Contains(res.Body, "<html") {
		t.Fatalf("row fragment: %d", res.StatusCode)
	}
	c.post(fmt.Sprintf("%s/targets/%d", base, t2.ID), url.Values{"notified": {"1"}, "notified_how": {"visit"}}, "HX-Request", "true")
	if res := c.post(fmt.Sprintf("%s/targets/%d", base, t2.ID), url.Values{"head_count": {"-4"}}, "HX-Request", "true"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("negative head count: %d", res.StatusCode)
	}
	res = c.post(base+"/results", url.Values{"actual_cost": {"3,000"}, "summary": {"效果不错"}, "leads": {"2"}, "opportunities": {"1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("results: %d", res.StatusCode)
	}
	m, _ := f.app.db.GetCampaign(context.Background(), models.Actor{ID: f.lina, Role: models.RoleSales}, f.linaCamp)
	// 2 notified, 1 attended (3 people), 1 responded: 50% response and attendance; ¥3,000 / 3 = ¥1,000.
	if m.NotifiedSum != 2 || m.AttendedSum != 3 || m.ResponseRate() != 50 || m.AttendanceRate() != 50 || m.CostPerAttendee() != 100000 {
		t.Fatalf("notified %d attended %d response %.1f attendance %.1f cost/attendee %d",
			m.NotifiedSum, m.AttendedSum, m.ResponseRate(), m.AttendanceRate(), m.CostPerAttendee())
	}
	// The customer card lists the campaign with the attendance.
	cardBody := c.get(fmt.Sprintf("/customers/%d", t1.CustomerID)).Body
	if !strings.Contains(cardBody, m.Name) || !strings.Contains(cardBody, "×3") {
		t.Error("customer card does not show the campaign and attendance")
	}
	// Remove one person.
	c.post(fmt.Sprintf("%s/targets/%d/delete", base, t2.ID), nil)
	if page, _ := f.app.db.ListTargets(context.Background(), models.SystemActor(), f.linaCamp, "", "", 1, 50); page.Total != 1 {
		t.Fatalf("after removal %d targets", page.Total)
	}
}

func TestBatchAddToCampaignFromCustomerList(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	filter := url.Values{"industry": {strconv.FormatInt(f.financeID, 10)}}.Encode()
	res := c.post("/customers/batch", url.Values{"action": {"campaign"}, "all": {"1"}, "filter": {filter},
		"campaign": {strconv.FormatInt(f.linaCamp, 10)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d", res.StatusCode)
	}
	page, _ := f.app.db.ListTargets(context.Background(), models.SystemActor(), f.linaCamp, "", "", 1, 50)
	if page.Total != 1 || page.Rows[0].Company != "李娜的金融客户" {
		t.Fatalf("targets %+v", page.Rows)
	}
	// Her colleague's campaign cannot be chosen.
	res = c.post("/customers/batch", url.Values{"action": {"campaign"}, "all": {"1"}, "campaign": {strconv.FormatInt(f.wangCamp, 10)}})
	if page, _ := f.app.db.ListTargets(context.Background(), models.SystemActor(), f.wangCamp, "", "", 1, 50); page.Total != 0 {
		t.Fatal("added to a colleague's campaign")
	}
}

func TestCampaignMailQueueAndPublicLinks(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	base := fmt.Sprintf("/campaigns/%d", f.linaCamp)
	c.post(base+"/targets/filter", url.Values{})
	// A template error names the line, keeps what was typed and queues nothing.
	bad := url.Values{"subject": {"邀请"}, "text": {"第一行\n{{.客户名称}\n"}}
	res := c.post(base+"/mail", bad)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "第 2 行") || !strings.Contains(res.Body, "{{.客户名称}") {
		t.Fatalf("template error: %d", res.StatusCode)
	}
	res = c.post(base+"/mail", url.Values{"subject": {"{{.活动名称}}邀请函"}, "text": {"尊敬的{{.联系人}}：诚邀{{.客户名称}}。"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save template: %d %s", res.StatusCode, res.Body)
	}
	// A preview for one recipient merges their values.
	var tid int64
	f.app.db.Read.QueryRow(`SELECT id FROM campaign_targets WHERE campaign_id = ? AND email = 'a@retail.example.cn'`, f.linaCamp).Scan(&tid)
	res = c.post(base+"/mail/preview", url.Values{"subject": {"{{.活动名称}}邀请函"}, "text": {"尊敬的{{.联系人}}"}, "target": {strconv.FormatInt(tid, 10)}})
	if !strings.Contains(res.Body, "尊敬的李娜的零售客户联系人") {
		t.Fatalf("preview: %s", res.Body)
	}
	res = c.post(base+"/send", nil)
	// Post/redirect/get: a refresh must not send again (issue 19).
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send answered %d, not a redirect", res.StatusCode)
	}
	res = c.get(res.Header.Get("Location"))
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "已排队 2 封") {
		t.Fatalf("send: %d", res.StatusCode)
	}
	// Sending again queues nobody twice.
	if res := c.post(base+"/send", nil); res.StatusCode != http.StatusSeeOther || !strings.Contains(c.get(res.Header.Get("Location")).Body, "已排队 0 封") {
		t.Fatal("second send queued again")
	}
	var token, text string
	f.app.db.Read.QueryRow(`SELECT token, body_text FROM outbox WHERE to_email = 'a@retail.example.cn'`).Scan(&token, &text)
	if !strings.Contains(text, "http://example.test/u/"+token) {
		t.Fatalf("no unsubscribe link in %q", text)
	}
	// Deliver into .eml files (no SMTP configured in tests), after the
	// delivery that "send" started in the background.
	f.app.app.Scheduler.Settle()
	if _, err := f.app.outbox.Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	anon := f.app.anon()
	if res := anon.get("/o/" + token + ".gif"); res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "image/gif" {
		t.Fatalf("pixel: %d", res.StatusCode)
	}
	var status string
	f.app.db.Read.QueryRow(`SELECT mail_status FROM campaign_targets WHERE id = ?`, tid).Scan(&status)
	if status != "opened" {
		t.Fatalf("after the pixel: %q", status)
	}
	// The mail's link names the mail's language, and the page speaks it,
	// whatever the browser prefers.
	link := regexp.MustCompile(`http://example\.test(/u/[^\s]+)`).FindStringSubmatch(text)
	if link == nil || !strings.HasSuffix(link[1], "?lang=zh") {
		t.Fatalf("unsubscribe link %q", link)
	}
	if res := anon.get("/u/"+token+"?lang=en", "Accept-Language", "zh-CN"); !strings.Contains(res.Body, `action="/u/`+token+`?lang=en"`) ||
		!strings.Contains(res.Body, `lang="en"`) {
		t.Errorf("the unsubscribe page of an English mail is not in English")
	}
	// GET only asks; POST unsubscribes.
	if res := anon.get(link[1], "Accept-Language", "en"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `lang="zh`) {
		t.Fatalf("unsubscribe page %d, or not in the mail's language", res.StatusCode)
	}
	if ok, _ := f.app.db.Suppressed(context.Background(), "a@retail.example.cn"); ok {
		t.Fatal("a GET unsubscribed")
	}
	res = anon.post("/u/"+token, url.Values{"List-Unsubscribe": {"One-Click"}})
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "a***@retail.example.cn") {
		t.Fatalf("unsubscribe: %d", res.StatusCode)
	}
	if ok, _ := f.app.db.Suppressed(context.Background(), "a@retail.example.cn"); !ok {
		t.Fatal("not suppressed")
	}
	if res := anon.post("/u/nosuchtoken", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown token: %d", res.StatusCode)
	}
	// Progress shows 100% and stops polling.
	res = c.get(base+"/progress", "HX-Request", "true")
	if !strings.Contains(res.Body, `aria-valuenow="100"`) || strings.Contains(res.Body, "every 2s") {
		t.Fatalf("progress: %s", res.Body)
	}
	// The .eml files can be read by the admin.
	admin := f.app.login("admin")
	if res := admin.get("/admin/mail"); !strings.Contains(res.Body, ".eml") {
		t.Fatal("mail admin lists no files")
	}
}

func TestScheduledCampaignIsQueuedWhenDue(t *testing.T) {
	f := newCampaignFixture(t)
	c := f.app.login("lina")
	base := fmt.Sprintf("/campaigns/%d", f.linaCamp)
	c.post(base+"/targets/filter", url.Values{})
	when := time.Now().In(f.app.db.Location()).Add(-time.Minute).Format("2006-01-02T15:04")
	if res := c.post(base+"/mail", url.Values{"subject": {"邀请"}, "text": {"正文"}, "send_at": {when}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("a past time: %d", res.StatusCode)
	}
	if err := f.app.db.SaveCampaignMail(context.Background(), models.Actor{ID: f.lina, Role: models.RoleSales}, f.linaCamp,
		"邀请", "正文", "", time.Now().Add(-time.Second).UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	if err := f.app.app.Invitations.QueueDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	var queued int
	f.app.db.Read.QueryRow(`SELECT COUNT(*) FROM outbox WHERE campaign_id = ?`, f.linaCamp).Scan(&queued)
	if queued != 2 {
		t.Fatalf("queued %d", queued)
	}
	if due, _ := f.app.db.DueCampaigns(context.Background(), time.Now()); len(due) != 0 {
		t.Fatal("still due after queueing")
	}
}

func TestMailSettingsNeverShowPassword(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	res := c.post("/admin/mail", url.Values{"host": {"smtp.example.cn"}, "port": {"465"}, "tls": {"tls"}, "username": {"crm"},
		"password": {"s3cret-pass"}, "from": {"crm@example.cn"}, "from_name": {"客源"}, "per_minute": {"60"}, "per_hour": {"1000"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d", res.StatusCode)
	}
	res = c.get("/admin/mail")
	if strings.Contains(res.Body, "s3cret-pass") || !strings.Contains(res.Body, "smtp.example.cn") {
		t.Fatal("password shown back, or settings not kept")
	}
	// Saving without a password keeps it.
	c.post("/admin/mail", url.Values{"host": {"smtp.example.cn"}, "port": {"465"}, "tls": {"tls"}, "per_minute": {"0"}, "per_hour": {"0"}})
	cfg, _, _ := app.mail.Current(context.Background())
	if cfg.Password != "s3cret-pass" {
		t.Fatalf("password %q", cfg.Password)
	}
	if res := c.post("/admin/mail", url.Values{"host": {"bad host"}, "port": {"99999"}, "tls": {"x"}}); res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad settings: %d", res.StatusCode)
	}
	app.addUser("lina", models.RoleSales)
	if res := app.login("lina").get("/admin/mail"); res.StatusCode != http.StatusForbidden {
		t.Fatalf("salesperson: %d", res.StatusCode)
	}
}

// campaignRoutes lists every route that names one campaign (and, where it
// has one, a target of it). A new per-campaign route goes here.
func campaignRoutes(campaignID, targetID int64) []routeCase {
	p := fmt.Sprintf("/campaigns/%d", campaignID)
	tp := fmt.Sprintf("%s/targets/%d", p, targetID)
	return []routeCase{
		{"card", "GET", p, nil}, {"edit form", "GET", p + "/edit", nil}, {"update", "POST", p, nil},
		{"targets", "GET", p + "/targets", nil}, {"target preview", "GET", p + "/targets/preview", nil},
		{"target search", "GET", p + "/targets/search?q=x", nil}, {"add by filter", "POST", p + "/targets/filter", nil},
		{"add one", "POST", p + "/targets/add", nil}, {"save result", "POST", tp, nil}, {"remove target", "POST", tp + "/delete", nil},
		{"results", "POST", p + "/results", nil}, {"mail page", "GET", p + "/mail", nil}, {"save mail", "POST", p + "/mail", nil},
		{"mail preview", "POST", p + "/mail/preview", nil}, {"test mail", "POST", p + "/mail/test", nil},
		{"send", "POST", p + "/send", nil}, {"pause", "POST", p + "/pause", nil}, {"resume", "POST", p + "/resume", nil},
		{"progress", "GET", p + "/progress", nil}, {"delete", "POST", p + "/delete", nil},
	}
}
