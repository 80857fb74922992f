package handlers

import (
	"context"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	ics "github.com/arran4/golang-ical"

	"keyuan/jobs"
	"keyuan/models"
)

var feedURL = regexp.MustCompile(`http://example\.test/ical/[A-Za-z0-9_-]+\.ics`)

func TestICalFeed(t *testing.T) {
	w := newActWorld(t)
	ctx := context.Background()
	zhang := models.Actor{ID: w.zhang, Role: models.RoleSales}
	// A plan with a comma, a semicolon and a long Chinese subject, which
	// must be escaped and folded, and an all-day plan.
	long := "讨论年度框架协议；价格、交期, 以及售后服务条款的细节安排和下一步的合作计划" + strings.Repeat("。", 20)
	day := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	for _, p := range []*models.Plan{
		{Date: day, Time: "14:30", CustomerID: w.mine, Subject: long, Content: "第一行\n第二行", RemindMinutes: 30},
		{Date: day, CustomerID: w.mine, Subject: "全天展会", RemindMinutes: -1},
	} {
		if err := w.db.SavePlan(ctx, zhang, p); err != nil {
			t.Fatal(err)
		}
	}
	c := w.login("zhang")
	page := c.post("/profile/calendar/token", nil, "HX-Request", "true")
	link := feedURL.FindString(page.Body)
	if page.StatusCode != 200 || link == "" || strings.Contains(page.Body, "<html") {
		t.Fatalf("token: %d %s", page.StatusCode, page.Body)
	}
	path := strings.TrimPrefix(link, "http://example.test")
	feed := w.anon().get(path)
	if feed.StatusCode != 200 || !strings.HasPrefix(feed.Header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("feed: %d %s", feed.StatusCode, feed.Header.Get("Content-Type"))
	}
	for _, line := range strings.Split(strings.TrimSuffix(feed.Body, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Fatalf("unfolded line of %d octets: %q", len(line), line)
		}
	}
	cal, err := ics.ParseCalendar(strings.NewReader(feed.Body))
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]*ics.VEvent{}
	for _, e := range cal.Events() {
		events[e.GetProperty(ics.ComponentPropertySummary).Value] = e
	}
	if len(events) != 2 {
		t.Fatalf("events: %d", len(events))
	}
	ev := events[long+" · 上海华信科技有限公司"]
	if ev == nil {
		t.Fatalf("summary not round-tripped: %v", events)
	}
	start, err := ev.GetStartAt()
	want, _ := time.ParseInLocation("2006-01-02 15:04", day+" 14:30", w.db.Location())
	if err != nil || !start.Equal(want) {
		t.Errorf("start = %v %v, want %v", start, err, want)
	}
	if d := ev.GetProperty(ics.ComponentPropertyDescription).Value; !strings.Contains(d, "第一行\n第二行") {
		t.Errorf("description = %q", d)
	}
	allDay := events["全天展会 · 上海华信科技有限公司"]
	if s, err := allDay.GetAllDayStartAt(); err != nil || s.Format("2006-01-02") != day {
		t.Errorf("all-day start = %v %v", s, err)
	}
	if strings.Contains(feed.Body, "回访报价") && !strings.Contains(feed.Body, "UID:plan-") {
		t.Error("events lack UIDs")
	}
	// Colleagues' plans never appear.
	if strings.Contains(feed.Body, "北京鼎盛") {
		t.Error("feed shows a colleague's counterpart")
	}
	// Wrong, revoked and replaced tokens are 404.
	if res := w.anon().get("/ical/not-a-token.ics"); res.StatusCode != 404 {
		t.Errorf("wrong token: %d", res.StatusCode)
	}
	again := c.post("/profile/calendar/token", nil)
	if res := w.anon().get(path); res.StatusCode != 404 {
		t.Errorf("replaced token: %d", res.StatusCode)
	}
	path2 := strings.TrimPrefix(feedURL.FindString(again.Body), "http://example.test")
	if res := w.anon().get(path2); res.StatusCode != 200 {
		t.Fatalf("new token: %d", res.StatusCode)
	}
	if res := c.post("/profile/calendar/revoke", nil); res.StatusCode != 200 || !strings.Contains(res.Body, "尚未开通日历订阅") {
		t.Fatalf("revoke: %d", res.StatusCode)
	}
	if res := w.anon().get(path2); res.StatusCode != 404 {
		t.Errorf("revoked token: %d", res.StatusCode)
	}
	// A disabled user's feed stops too.
	tok, err := w.db.NewCalendarToken(ctx, w.zhang)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := w.db.UserByID(ctx, w.zhang)
	u.Active = false
	if err := w.db.UpdateUser(ctx, 1, *u); err != nil {
		t.Fatal(err)
	}
	if res := w.anon().get("/ical/" + tok + ".ics"); res.StatusCode != 404 {
		t.Errorf("disabled user's feed: %d", res.StatusCode)
	}
}

func TestRemindersBellAndJobsPage(t *testing.T) {
	w := newActWorld(t)
	ctx := context.Background()
	zhang := models.Actor{ID: w.zhang, Role: models.RoleSales}
	u, _ := w.db.UserByID(ctx, w.zhang)
	u.Email = "zhang@example.test"
	if err := w.db.UpdateUser(ctx, 1, *u); err != nil {
		t.Fatal(err)
	}
	soon := time.Now().In(w.db.Location()).Add(10 * time.Minute)
	p := &models.Plan{Date: soon.Format("2006-01-02"), Time: soon.Format("15:04"), CustomerID: w.mine, Subject: "马上要拜访", RemindMinutes: 15}
	if err := w.db.SavePlan(ctx, zhang, p); err != nil {
		t.Fatal(err)
	}
	// The application's own scheduler and job list; the reminder e-mail
	// goes through the outbox, which writes .eml files without SMTP.
	dir := filepath.Join(w.srv.cfg.DataDir, "mail")
	emails := func() int {
		t.Helper()
		if _, err := w.outbox.Deliver(ctx); err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		return len(files)
	}

	c := w.login("zhang")
	// The world starts with one reminder of zhang's already given.
	if res := c.get("/notifications/count", "HX-Request", "true"); !strings.Contains(res.Body, ">1</span>") {
		t.Fatalf("bell before: %s", res.Body)
	}
	admin := w.login("admin")
	if res := admin.get("/admin/jobs"); res.StatusCode != 200 || !strings.Contains(res.Body, "计划提醒") || !strings.Contains(res.Body, "从未运行") {
		t.Fatalf("jobs page: %d", res.StatusCode)
	}
	if res := admin.post("/admin/jobs/plan_reminders/run", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("run now: %d", res.StatusCode)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		last, err := w.db.LastJobRun(ctx, "plan_reminders")
		if err != nil {
			t.Fatal(err)
		}
		if last != nil && !last.Running {
			if !last.OK || !strings.Contains(last.Result, "notified 1, e-mailed 1") {
				t.Fatalf("run: %+v", last)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("job did not finish")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if res := admin.get("/admin/jobs"); !strings.Contains(res.Body, "notified 1, e-mailed 1") || !strings.Contains(res.Body, "手动") {
		t.Error("jobs page lacks the last run")
	}
	if res := c.get("/notifications/count", "HX-Request", "true"); !strings.Contains(res.Body, ">2</span>") {
		t.Fatalf("bell after: %s", res.Body)
	}
	list := c.get("/notifications")
	if !strings.Contains(list.Body, "计划提醒：马上要拜访") {
		t.Fatal("notification list")
	}
	if n := emails(); n != 1 {
		t.Fatalf("e-mails: %d", n)
	}
	// Running again sends nothing more.
	run := jobs.PlanReminders(w.db, jobs.ReminderConfig{Mailer: jobs.OutboxMailer{DB: w.db}, BaseURL: "http://example.test",
		T: w.srv.views.Catalog.T})
	if _, err := run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := emails(); n != 1 {
		t.Fatalf("e-mails after a second run: %d", n)
	}
	nid := regexp.MustCompile(`href="/notifications/(\d+)"`).FindStringSubmatch(list.Body)
	if len(nid) < 2 {
		t.Fatal("no notification link")
	}
	if res := w.login("li").get("/notifications/" + nid[1]); res.StatusCode != 404 {
		t.Errorf("colleague opens notification: %d", res.StatusCode)
	}
	if res := c.get("/notifications/" + nid[1]); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/plans/"+id(p.ID) {
		t.Fatalf("open: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := c.get("/notifications/count", "HX-Request", "true"); !strings.Contains(res.Body, ">1</span>") {
		t.Errorf("after opening one: %s", res.Body)
	}
	if res := c.post("/notifications/read", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("read all: %d", res.StatusCode)
	}
	if res := c.get("/notifications/count", "HX-Request", "true"); !strings.Contains(res.Body, "bell-count zero") {
		t.Errorf("after reading all: %s", res.Body)
	}
	for path, want := range map[string]int{"/admin/jobs/nope/run": 404} {
		if res := admin.post(path, nil); res.StatusCode != want {
			t.Errorf("%s: %d", path, res.StatusCode)
		}
	}
	if res := c.post("/admin/jobs/plan_reminders/run", nil); res.StatusCode != 403 {
		t.Errorf("sales runs a job: %d", res.StatusCode)
	}
}
