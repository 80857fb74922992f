package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

// actWorld is a test app with a team: a manager, two salespeople (zhang
// and li) with a customer each, a prospect of zhang's, service staff, and
// one record, plan and opportunity of zhang's.
type actWorld struct {
	*testApp
	mgr, zhang, li, kefu   int64
	mine, theirs, prospect int64 // customers
	contact, theirContact  int64
	activity, plan, opp    int64
	method, stage          int64
	competitor, notice     int64
}

func newActWorld(t *testing.T) *actWorld {
	t.Helper()
	ctx := context.Background()
	w := &actWorld{testApp: newTestApp(t)}
	w.mgr = w.addUser("zhuguan", models.RoleManager)
	w.zhang = w.addUser("zhang", models.RoleSales)
	w.li = w.addUser("li", models.RoleSales)
	w.kefu = w.addUser("kefu", models.RoleService)
	newCustomer := func(owner int64, kind, name, contact string) (int64, int64) {
		c := &models.Customer{Kind: kind, Name: name}
		var contacts []models.Contact
		if contact != "" {
			contacts = []models.Contact{{Name: contact, IsPrimary: true}}
		}
		if err := w.db.CreateCustomer(ctx, models.Actor{ID: owner, Role: models.RoleSales}, c, contacts); err != nil {
			t.Fatal(err)
		}
		ks, err := w.db.Contacts(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var k int64
		if len(ks) > 0 {
			k = ks[0].ID
		}
		return c.ID, k
	}
	w.mine, w.contact = newCustomer(w.zhang, "customer", "上海华信科技有限公司", "王伟")
	w.theirs, w.theirContact = newCustomer(w.li, "customer", "北京鼎盛贸易有限公司", "李娜")
	w.prospect, _ = newCustomer(w.zhang, "prospect", "杭州嘉禾电子有限公司", "")
	methods, _ := w.db.AuxItemsOf(ctx, "activity_method")
	stages, _ := w.db.AuxItemsOf(ctx, "sales_stage")
	w.method, w.stage = methods[0].ID, stages[1].ID
	zhang := models.Actor{ID: w.zhang, Role: models.RoleSales}
	a := &models.Activity{Date: "2026-03-02", StartTime: "09:00", EndTime: "10:00", CustomerID: w.mine, Subject: "初次拜访",
		NextSubject: "回访报价", NextDate: "2026-03-09", NextTime: "10:00"}
	if err := w.db.SaveActivity(ctx, zhang, a); err != nil {
		t.Fatal(err)
	}
	w.activity, w.plan = a.ID, a.NextPlanID
	o := &models.Opportunity{Name: "年度设备采购", CustomerID: w.mine, AmountFen: 12_000_000, Probability: 30, ExpectedClose: "2026-12-31"}
	if err := w.db.SaveOpportunity(ctx, zhang, o); err != nil {
		t.Fatal(err)
	}
	w.opp = o.ID
	cp := &models.Competitor{Name: "金石软件", Active: true}
	if err := w.db.SaveCompetitor(ctx, zhang, cp); err != nil {
		t.Fatal(err)
	}
	w.competitor = cp.ID
	if ok, err := w.db.NotifyPlan(ctx, w.plan); err != nil || !ok {
		t.Fatalf("notify: %v %v", ok, err)
	}
	if err := w.db.Read.QueryRow(`SELECT id FROM notifications WHERE plan_id = ?`, w.plan).Scan(&w.notice); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *actWorld) count(table string) int {
	w.t.Helper()
	var n int
	if err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		w.t.Fatal(err)
	}
	return n
}

func id(v int64) string { return strconv.FormatInt(v, 10) }

func (w *actWorld) activityForm(overrides map[string]string) url.Values {
	f := url.Values{"date": {"2026-03-05"}, "start_time": {"14:00"}, "end_time": {"15:00"}, "customer": {id(w.mine)},
		"contact": {id(w.contact)}, "method": {id(w.method)}, "stage": {id(w.stage)}, "subject": {"电话沟通需求"},
		"content": {"客户要求提供报价单"}}
	for k, v := range overrides {
		f.Set(k, v)
	}
	return f
}

func TestActivityCreateWritesBackAndPlans(t *testing.T) {
	w := newActWorld(t)
	c := w.login("zhang")
	plans := w.count("plans")
	next := time.Now().AddDate(0, 0, 7).Format("2006-01-02") // the card shows the next plan from today on
	res := c.post("/activities", w.activityForm(map[string]string{"next_subject": "送样品", "next_date": next, "next_time": "15:00"}))
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/activities/") {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	if w.count("plans") != plans+1 {
		t.Fatal("no plan from the next activity")
	}
	show := c.get(res.Header.Get("Location"))
	if show.StatusCode != 200 || !strings.Contains(show.Body, "电话沟通需求") || !strings.Contains(show.Body, "已保存，并已生成下次活动计划") {
		t.Fatalf("record page: %d", show.StatusCode)
	}
	card := c.get("/customers/" + id(w.mine))
	for _, want := range []string{"2026-03-05", "客户要求提供报价单", "送样品", "电话沟通需求", "年度设备采购"} {
		if !strings.Contains(card.Body, want) {
			t.Errorf("customer card lacks %q", want)
		}
	}
	list := c.get("/activities?customer=" + id(w.mine))
	if !strings.Contains(list.Body, "电话沟通需求") || !strings.Contains(list.Body, "初次拜访") {
		t.Error("activity list by counterpart")
	}
}

func TestActivityBadInput(t *testing.T) {
	w := newActWorld(t)
	c := w.login("zhang")
	cases := []struct {
		name string
		set  map[string]string
		want string
	}{
		{"end before start", map[string]string{"start_time": "15:00", "end_time": "14:00"}, "结束时间必须晚于开始时间"},
		{"date too early", map[string]string{"date": "1999-12-31"}, "日期超出允许范围"},
		{"date too late", map[string]string{"date": "2200-01-01"}, "日期超出允许范围"},
		{"date not a date", map[string]string{"date": "2026-02-30"}, "日期超出允许范围"},
		{"date missing", map[string]string{"date": ""}, "必填"},
		{"bad time", map[string]string{"start_time": "25:00"}, "请输入有效时间"},
		{"counterpart missing", map[string]string{"customer": ""}, "必填"},
		{"counterpart unknown", map[string]string{"customer": "999999"}, "找不到该客户，或你无权为其记录"},
		{"counterpart a colleague's", map[string]string{"customer": id(w.theirs), "contact": ""}, "找不到该客户，或你无权为其记录"},
		{"contact of another customer", map[string]string{"contact": id(w.theirContact)}, "请选择列表中的选项"},
		{"next date before date", map[string]string{"next_subject": "回访", "next_date": "2026-03-01", "next_time": "09:00"}, "下次日期不能早于本次活动日期"},
		{"method of the wrong list", map[string]string{"method": id(w.stage)}, "请选择列表中的选项"},
		{"subject missing", map[string]string{"subject": ""}, "必填"},
		{"unknown competitor", map[string]string{"competitor": "424242"}, "请选择列表中的选项"},
	}
	before := [2]int{w.count("activities"), w.count("plans")}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := w.activityForm(tc.set)
			res := c.post("/activities", f)
			if res.StatusCode != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", res.StatusCode)
			}
			if !strings.Contains(res.Body, tc.want) {
				t.Errorf("message %q missing", tc.want)
			}
			// The form comes back with what was typed.
			if tc.set["subject"] == "" && tc.name != "subject missing" && !strings.Contains(res.Body, `value="电话沟通需求"`) {
				t.Error("typed subject not kept")
			}
		})
	}
	if got := [2]int{w.count("activities"), w.count("plans")}; got != before {
		t.Fatalf("half-saved: %v → %v", before, got)
	}
	// Editing with bad input leaves the record as it was.
	res := c.post("/activities/"+id(w.activity), w.activityForm(map[string]string{"start_time": "11:00", "end_time": "10:00"}))
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	a, _ := w.db.GetActivity(context.Background(), models.Actor{Role: models.RoleAdmin}, w.activity)
	if a.Subject != "初次拜访" {
		t.Fatal("bad edit changed the record")
	}
}

func TestActivityEditUpdatesSamePlan(t *testing.T) {
	w := newActWorld(t)
	c := w.login("zhang")
	f := w.activityForm(map[string]string{"date": "2026-03-02", "subject": "初次拜访", "next_subject": "回访报价",
		"next_date": "2026-03-10", "next_time": "16:00"})
	if res := c.post("/activities/"+id(w.activity), f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d %s", res.StatusCode, res.Body)
	}
	p, err := w.db.GetPlan(context.Background(), models.Actor{Role: models.RoleAdmin}, w.plan)
	if err != nil || p.Date != "2026-03-10" || p.Time != "16:00" {
		t.Fatalf("plan = %+v %v", p, err)
	}
	if n := w.count("plans"); n != 1 {
		t.Fatalf("plans = %d", n)
	}
	// Clearing the next time leaves the plan alone.
	f.Set("next_time", "")
	if res := c.post("/activities/"+id(w.activity), f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	p, _ = w.db.GetPlan(context.Background(), models.Actor{Role: models.RoleAdmin}, w.plan)
	if p.Date != "2026-03-10" || p.Time != "16:00" || p.Status != "planned" || w.count("plans") != 1 {
		t.Fatalf("plan touched: %+v", p)
	}
}

func TestCompletePlan(t *testing.T) {
	w := newActWorld(t)
	c := w.login("zhang")
	form := c.get("/activities/new?plan=" + id(w.plan))
	if form.StatusCode != 200 || !strings.Contains(form.Body, `value="回访报价"`) || !strings.Contains(form.Body, `name="plan" value="`+id(w.plan)+`"`) {
		t.Fatalf("prefilled form: %d", form.StatusCode)
	}
	f := w.activityForm(map[string]string{"plan": id(w.plan), "subject": "回访报价", "date": "2026-03-09"})
	res := c.post("/activities", f)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("complete: %d %s", res.StatusCode, res.Body)
	}
	p, _ := w.db.GetPlan(context.Background(), models.Actor{Role: models.RoleAdmin}, w.plan)
	if p.Status != "done" || p.DoneActivityID == 0 {
		t.Fatalf("plan = %+v", p)
	}
	n := w.count("activities")
	if res := c.post("/activities", f); res.StatusCode != http.StatusConflict {
		t.Fatalf("second completion: %d", res.StatusCode)
	}
	if w.count("activities") != n {
		t.Fatal("second completion saved a record")
	}
	// A colleague cannot complete it, nor open the prefilled form.
	li := w.login("li")
	if res := li.get("/activities/new?plan=" + id(w.plan)); res.StatusCode != http.StatusNotFound {
		t.Fatalf("colleague's plan form: %d", res.StatusCode)
	}
}

// roleCase is a request with the status each user of the activity world
// must get: zhang owns the records, li is a colleague, zhuguan a manager,
// kefu service staff, anon not signed in.
type roleCase struct {
	routeCase
	want map[string]int
}

// activityRoutes lists every route of the activity module (and of the
// notifications, calendar feed and jobs) with the status per role. A new
// route of these screens goes here; TestAccessTablesCoverEveryRoute
// checks that it does.
func activityRoutes(w *actWorld) []roleCase {
	own := func(m, p string, form url.Values, ok int) roleCase {
		return roleCase{routeCase{p, m, p, form}, map[string]int{"zhang": ok, "zhuguan": ok, "admin": ok, "li": 404, "kefu": 403, "anon": 303}}
	}
	shared := func(m, p string, form url.Values, ok int) roleCase {
		return roleCase{routeCase{p, m, p, form}, map[string]int{"zhang": ok, "zhuguan": ok, "admin": ok, "li": ok, "kefu": 403, "anon": 303}}
	}
	// Creating for zhang's customer: a colleague gets the form back (422),
	// as for any counterpart that is not theirs.
	create := func(p string, form url.Values) roleCase {
		return roleCase{routeCase{p, "POST", p, form}, map[string]int{"zhang": 303, "zhuguan": 303, "admin": 303, "li": 422, "kefu": 403, "anon": 303}}
	}
	anyone := func(m, p string, form url.Values, ok int) roleCase {
		return roleCase{routeCase{p, m, p, form}, map[string]int{"zhang": ok, "zhuguan": ok, "admin": ok, "li": ok, "kefu": ok, "anon": 303}}
	}
	planForm := url.Values{"date": {"2026-03-11"}, "time": {"09:30"}, "customer": {id(w.mine)}, "subject": {"改期回访"}, "remind": {"15"}}
	oppForm := url.Values{"name": {"年度设备采购"}, "customer": {id(w.mine)}, "amount": {"120000"}, "probability": {"40"}}
	batch := url.Values{"kind": {"customer"}, "id": {id(w.mine)}, "from": {"2026-04-01"}, "to": {"2026-04-03"}, "subject": {"邀请"},
		"step": {"confirm"}}
	return []roleCase{
		shared("GET", "/activities", nil, 200),
		shared("GET", "/activities/export.csv", nil, 200),
		shared("GET", "/activities/export.xlsx", nil, 200),
		shared("GET", "/plans/export.csv", nil, 200),
		shared("GET", "/plans/export.xlsx", nil, 200),
		shared("GET", "/opportunities/export.csv", nil, 200),
		shared("GET", "/opportunities/export.xlsx", nil, 200),
		shared("GET", "/activities/new", nil, 200),
		own("GET", "/activities/new?customer="+id(w.mine), nil, 200),
		own("GET", "/activities/new?plan="+id(w.plan), nil, 200),
		create("/activities", w.activityForm(map[string]string{"subject": "新建的记录"})),
		own("GET", "/activities/"+id(w.activity), nil, 200),
		own("GET", "/activities/"+id(w.activity)+"/edit", nil, 200),
		own("POST", "/activities/"+id(w.activity), w.activityForm(map[string]string{"date": "2026-03-02"}), 303),
		shared("GET", "/counterparts?customer_label=%E4%B8%8A%E6%B5%B7", nil, 200),
		own("GET", "/counterparts/contacts?customer="+id(w.mine), nil, 200),
		shared("GET", "/plans", nil, 200),
		shared("GET", "/plans/today", nil, 200),
		shared("GET", "/plans/new", nil, 200),
		create("/plans", planForm),
		{routeCase{"batch", "POST", "/plans/batch", batch},
			map[string]int{"zhang": 303, "zhuguan": 303, "admin": 303, "li": 404, "kefu": 403, "anon": 303}},
		own("GET", "/plans/"+id(w.plan), nil, 200),
		own("GET", "/plans/"+id(w.plan)+"/edit", nil, 200),
		own("POST", "/plans/"+id(w.plan), planForm, 303),
		own("POST", "/plans/"+id(w.plan)+"/done", nil, 303), // a plan with a customer: refused with a notice
		own("POST", "/plans/"+id(w.plan)+"/cancel", nil, 303),
		own("GET", "/calendar?who="+id(w.zhang), nil, 200),
		{routeCase{"team calendar", "GET", "/calendar?who=team", nil},
			map[string]int{"zhang": 404, "li": 404, "zhuguan": 200, "admin": 200, "kefu": 403, "anon": 303}},
		shared("GET", "/calendar", nil, 200),
		shared("GET", "/competitors", nil, 200),
		shared("GET", "/competitors/new", nil, 200),
		// The list is shared: whoever comes first creates the name, the
		// others are told it exists.
		{routeCase{"competitor create", "POST", "/competitors", url.Values{"name": {"远大集团"}}},
			map[string]int{"li": 303, "zhuguan": 422, "admin": 422, "zhang": 422, "kefu": 403, "anon": 303}},
		shared("GET", "/competitors/"+id(w.competitor), nil, 200),
		// The competitor list is shared: salespeople add to it, but only
		// those who manage the module change an entry (README, "Roles").
		{routeCase{"competitor edit form", "GET", "/competitors/" + id(w.competitor) + "/edit", nil},
			map[string]int{"zhang": 403, "li": 403, "zhuguan": 200, "admin": 200, "kefu": 403, "anon": 303}},
		{routeCase{"competitor update", "POST", "/competitors/" + id(w.competitor), url.Values{"name": {"金石软件"}, "active": {"1"}}},
			map[string]int{"zhang": 403, "li": 403, "zhuguan": 303, "admin": 303, "kefu": 403, "anon": 303}},
		shared("GET", "/opportunities", nil, 200),
		shared("GET", "/opportunities/board", nil, 200),
		shared("GET", "/opportunities/new", nil, 200),
		create("/opportunities", oppForm),
		own("GET", "/opportunities/"+id(w.opp), nil, 200),
		own("GET", "/opportunities/"+id(w.opp)+"/edit", nil, 200),
		own("POST", "/opportunities/"+id(w.opp), oppForm, 303),
		own("POST", "/opportunities/"+id(w.opp)+"/stage", url.Values{"stage": {id(w.stage)}}, 303),
		own("POST", "/opportunities/"+id(w.opp)+"/close", url.Values{"status": {"won"}, "reason": {"价格合适"}}, 303),
		anyone("GET", "/notifications", nil, 200),
		anyone("GET", "/notifications/count", nil, 200),
		anyone("POST", "/notifications/read", nil, 303),
		// Notifications are personal: even a manager gets 404 for zhang's.
		{routeCase{"notification", "GET", "/notifications/" + id(w.notice), nil},
			map[string]int{"zhang": 303, "zhuguan": 404, "admin": 404, "li": 404, "kefu": 404, "anon": 303}},
		anyone("GET", "/profile/calendar", nil, 200),
		anyone("POST", "/profile/calendar/token", nil, 200),
		anyone("POST", "/profile/calendar/revoke", nil, 200),
		{routeCase{"feed with a wrong token", "GET", "/ical/not-a-token.ics", nil},
			map[string]int{"zhang": 404, "zhuguan": 404, "admin": 404, "li": 404, "kefu": 404, "anon": 404}},
		{routeCase{"jobs", "GET", "/admin/jobs", nil},
			map[string]int{"zhang": 403, "li": 403, "zhuguan": 403, "admin": 200, "kefu": 403, "anon": 303}},
		// The test app has the real job list: the admin's "run now" starts one.
		{routeCase{"run a job", "POST", "/admin/jobs/plan_reminders/run", nil},
			map[string]int{"zhang": 403, "li": 403, "zhuguan": 403, "admin": 303, "kefu": 403, "anon": 303}},
		{routeCase{"run an unknown job", "POST", "/admin/jobs/no_such_job/run", nil},
			map[string]int{"zhang": 403, "li": 403, "zhuguan": 403, "admin": 404, "kefu": 403, "anon": 303}},
		// Deleting: the group's permission first, then the record (a
		// missing one here; trash_test.go deletes real ones as each role).
		{routeCase{"delete a missing activity", "POST", "/activities/999999/delete", nil},
			map[string]int{"zhang": 404, "li": 404, "zhuguan": 404, "admin": 404, "kefu": 403, "anon": 303}},
		{routeCase{"delete a missing plan", "POST", "/plans/999999/delete", nil},
			map[string]int{"zhang": 404, "li": 404, "zhuguan": 404, "admin": 404, "kefu": 403, "anon": 303}},
		{routeCase{"delete a missing opportunity", "POST", "/opportunities/999999/delete", nil},
			map[string]int{"zhang": 404, "li": 404, "zhuguan": 404, "admin": 404, "kefu": 403, "anon": 303}},
		{routeCase{"recycle bin", "GET", "/trash", nil},
			map[string]int{"zhang": 200, "li": 200, "zhuguan": 200, "admin": 200, "kefu": 200, "anon": 303}},
		{routeCase{"restore a missing entry", "POST", "/trash/999999/restore", nil},
			map[string]int{"zhang": 404, "li": 404, "zhuguan": 404, "admin": 404, "kefu": 404, "anon": 303}},
	}
}

// TestActivityRoutesByRole tries every route of the module as every role.
func TestActivityRoutesByRole(t *testing.T) {
	w := newActWorld(t)
	clients := map[string]*client{"zhang": w.login("zhang"), "li": w.login("li"), "zhuguan": w.login("zhuguan"),
		"admin": w.login("admin"), "kefu": w.login("kefu"), "anon": w.anon()}
	routes := activityRoutes(w)
	// Every read runs before any write, and colleagues try each write
	// before the owner and managers make it, so all see the same rows.
	for _, pass := range []string{"GET", "POST"} {
		for _, r := range routes {
			if r.method != pass {
				continue
			}
			for _, user := range []string{"li", "kefu", "anon", "zhuguan", "admin", "zhang"} {
				want := r.want[user]
				res := clients[user].send(r.routeCase)
				if res.StatusCode != want {
					t.Errorf("%s %s as %s: %d, want %d", r.method, r.path, user, res.StatusCode, want)
				}
				if want == 404 && strings.Contains(res.Body, "初次拜访") {
					t.Errorf("%s %s as %s leaks the record", r.method, r.path, user)
				}
			}
		}
	}
}

func TestFragmentsRespectRowRules(t *testing.T) {
	w := newActWorld(t)
	hx := []string{"HX-Request", "true", "HX-Target", "cal-detail"}
	for _, tc := range []struct {
		user, path string
		status     int
	}{
		{"zhang", "/plans/" + id(w.plan), 200},
		{"zhang", "/activities/" + id(w.activity), 200},
		{"li", "/plans/" + id(w.plan), 404},
		{"li", "/activities/" + id(w.activity), 404},
		{"zhuguan", "/plans/" + id(w.plan), 200},
	} {
		res := w.login(tc.user).get(tc.path, hx...)
		if res.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.user, tc.path, res.StatusCode, tc.status)
		}
		if strings.Contains(res.Body, "<html") {
			t.Errorf("%s %s: full page for a fragment", tc.user, tc.path)
		}
		if tc.status == 200 && !strings.Contains(res.Body, "cal-detail-card") {
			t.Errorf("%s %s: not the detail fragment", tc.user, tc.path)
		}
		if tc.status == 404 && (res.Header.Get("HX-Reswap") != "none" || strings.Contains(res.Body, "回访报价")) {
			t.Errorf("%s %s: 404 fragment swaps or leaks", tc.user, tc.path)
		}
	}
	// The counterpart picker only offers the actor's own customers.
	res := w.login("li").get("/counterparts?customer_label=" + url.QueryEscape("有限公司"))
	if strings.Contains(res.Body, "上海华信") || !strings.Contains(res.Body, "北京鼎盛") {
		t.Errorf("picker for li: %s", res.Body)
	}
	if res := w.login("li").get("/counterparts/contacts?customer=" + id(w.mine)); res.StatusCode != 404 {
		t.Errorf("colleague's contacts: %d", res.StatusCode)
	}
}

func TestCalendarViews(t *testing.T) {
	w := newActWorld(t)
	ctx := context.Background()
	li := models.Actor{ID: w.li, Role: models.RoleSales}
	if err := w.db.SavePlan(ctx, li, &models.Plan{Date: "2026-03-09", Time: "14:00", CustomerID: w.theirs, Subject: "李娜的拜访", RemindMinutes: -1}); err != nil {
		t.Fatal(err)
	}
	zhang, mgr := w.login("zhang"), w.login("zhuguan")
	for _, view := range []string{"day", "week", "month", "year"} {
		res := zhang.get("/calendar?view=" + view + "&date=2026-03-09")
		if res.StatusCode != 200 {
			t.Fatalf("%s: %d", view, res.StatusCode)
		}
		if view != "year" && !strings.Contains(res.Body, "回访报价") {
			t.Errorf("%s view lacks the plan", view)
		}
		if strings.Contains(res.Body, "李娜的拜访") {
			t.Errorf("%s view shows a colleague's plan", view)
		}
	}
	frag := zhang.get("/calendar?view=month&date=2026-03-09", "HX-Request", "true", "HX-Target", "calendar")
	if frag.StatusCode != 200 || strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Body, "cal-month") ||
		frag.Header.Get("Vary") != "HX-Request" {
		t.Fatalf("htmx fragment: %d", frag.StatusCode)
	}
	team := mgr.get("/calendar?view=week&date=2026-03-09&who=team")
	if !strings.Contains(team.Body, "李娜的拜访") || !strings.Contains(team.Body, "回访报价") {
		t.Error("team week lacks entries")
	}
	one := mgr.get("/calendar?view=week&date=2026-03-09&who=" + id(w.li))
	if !strings.Contains(one.Body, "李娜的拜访") || strings.Contains(one.Body, "回访报价") {
		t.Error("one salesperson's week")
	}
	for _, bad := range []string{"view=decade", "date=2026-13-01", "date=1800-01-01", "date=x"} {
		if res := zhang.get("/calendar?" + bad); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, res.StatusCode)
		}
	}
	if res := zhang.get("/calendar?who=" + id(w.li)); res.StatusCode != 404 {
		t.Errorf("colleague's calendar: %d", res.StatusCode)
	}
}

func TestPlanFormBadInput(t *testing.T) {
	w := newActWorld(t)
	c := w.login("zhang")
	before := w.count("plans")
	for name, f := range map[string]url.Values{
		"no date":       {"date": {""}, "customer": {id(w.mine)}, "subject": {"x"}},
		"date range":    {"date": {"2101-01-01"}, "customer": {id(w.mine)}, "subject": {"x"}},
		"colleague's":   {"date": {"2026-03-10"}, "customer": {id(w.theirs)}, "subject": {"x"}},
		"bad reminder":  {"date": {"2026-03-10"}, "customer": {id(w.mine)}, "subject": {"x"}, "remind": {"7"}},
		"bad time":      {"date": {"2026-03-10"}, "time": {"9am"}, "customer": {id(w.mine)}, "subject": {"x"}},
		"no subject":    {"date": {"2026-03-10"}, "customer": {id(w.mine)}},
		"owner (sales)": {"date": {"2026-03-10"}, "customer": {id(w.theirs)}, "owner": {id(w.li)}, "subject": {"x"}},
	} {
		if res := c.post("/plans", f); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}
	if w.count("plans") != before {
		t.Fatal("half-saved plan")
	}
	res := c.post("/plans", url.Values{"date": {"2026-03-10"}, "time": {"09:00"}, "customer": {id(w.prospect)}, "subject": {"拜访潜在客户"}, "remind": {"30"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	if res := c.post(res.Header.Get("Location")+"/cancel", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("cancel: %d", res.StatusCode)
	}
}

func TestBatchPlanning(t *testing.T) {
	w := newActWorld(t)
	ctx := context.Background()
	zhang := models.Actor{ID: w.zhang, Role: models.RoleSales}
	var ids []string
	for i := range 5 {
		cu := &models.Customer{Kind: "customer", Name: fmt.Sprintf("批量客户%d", i)}
		if err := w.db.CreateCustomer(ctx, zhang, cu, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id(cu.ID))
	}
	c := w.login("zhang")
	// The list's batch action leads to the form with the selection.
	res := c.post("/customers/batch", url.Values{"action": {"plan"}, "id": ids[:3], "filter": {"q=批量"}})
	if res.StatusCode != 200 || !strings.Contains(res.Body, "已选择 3 位客户") || !strings.Contains(res.Body, `name="id" value="`+ids[0]+`"`) {
		t.Fatalf("batch form: %d", res.StatusCode)
	}
	form := url.Values{"kind": {"customer"}, "id": ids[:3], "from": {"2026-03-02"}, "to": {"2026-03-06"}, "max_per_day": {"2"},
		"subject": {"新品发布会邀请"}, "method": {id(w.method)}, "skip_weekends": {"1"}, "step": {"preview"}}
	before := w.count("plans")
	res = c.post("/plans/batch", form)
	if res.StatusCode != 200 || !strings.Contains(res.Body, "预览：3 条计划，分布在 2 天") || w.count("plans") != before {
		t.Fatalf("preview: %d", res.StatusCode)
	}
	form.Set("step", "confirm")
	res = c.post("/plans/batch", form)
	if res.StatusCode != http.StatusSeeOther || w.count("plans") != before+3 {
		t.Fatalf("confirm: %d, plans %d", res.StatusCode, w.count("plans")-before)
	}
	// "All that match the filter" with a filter: the five batch customers.
	all := url.Values{"kind": {"customer"}, "all": {"1"}, "filter": {"q=" + url.QueryEscape("批量")}, "from": {"2026-03-02"},
		"to": {"2026-03-03"}, "subject": {"回访"}, "step": {"confirm"}}
	if res := c.post("/plans/batch", all); res.StatusCode != http.StatusSeeOther || w.count("plans") != before+8 {
		t.Fatalf("all matching: %d, plans %d", res.StatusCode, w.count("plans")-before)
	}
	bad := []struct {
		name string
		set  map[string][]string
		code int
		want string
	}{
		{"zero customers", map[string][]string{"id": nil}, 422, "没有选中任何客户"},
		{"filter matching nothing", map[string][]string{"id": nil, "all": {"1"}, "filter": {"q=nothing-matches"}}, 422, "没有选中任何客户"},
		{"end before start", map[string][]string{"to": {"2026-03-01"}}, 422, "结束日期不能早于开始日期"},
		{"range too long", map[string][]string{"to": {"2027-06-01"}}, 422, "日期范围最长一年"},
		{"out of range", map[string][]string{"from": {"1990-01-01"}}, 422, "日期超出允许范围"},
		{"too many per day", map[string][]string{"max_per_day": {"1"}, "to": {"2026-03-03"}}, 422, "放不下"},
		{"bad max", map[string][]string{"max_per_day": {"-3"}}, 422, "请输入 1 到 10000 之间的整数"},
		{"colleague's ids", map[string][]string{"id": {ids[0], id(w.theirs)}}, 404, ""},
		{"bad kind", map[string][]string{"kind": {"contact"}}, 400, ""},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			f := url.Values{}
			for k, v := range form {
				f[k] = v
			}
			for k, v := range tc.set {
				if v == nil {
					f.Del(k)
				} else {
					f[k] = v
				}
			}
			n := w.count("plans")
			res := c.post("/plans/batch", f)
			if res.StatusCode != tc.code || !strings.Contains(res.Body, tc.want) {
				t.Fatalf("status %d, want %d with %q", res.StatusCode, tc.code, tc.want)
			}
			if w.count("plans") != n {
				t.Fatal("half-saved batch")
			}
		})
	}
	// Service staff have no batch planning.
	if res := w.login("kefu").post("/customers/batch", url.Values{"action": {"plan"}, "id": ids[:1]}); res.StatusCode != 403 {
		t.Errorf("service batch: %d", res.StatusCode)
	}
}

func TestOpportunityFlow(t *testing.T) {
	w := newActWorld(t)
	c := w.login("zhang")
	res := c.post("/opportunities", url.Values{"name": {"办公设备更新"}, "customer": {id(w.prospect)}, "amount": {"58,000.50"},
		"probability": {"20"}, "stage": {id(w.stage)}, "expected_close": {"2026-06-30"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	loc := res.Header.Get("Location")
	if page := c.get(loc); !strings.Contains(page.Body, "58,000.50") {
		t.Error("amount not shown")
	}
	for name, f := range map[string]url.Values{
		"amount": {"name": {"x"}, "customer": {id(w.mine)}, "amount": {"12.345"}, "probability": {"10"}},
		"prob":   {"name": {"x"}, "customer": {id(w.mine)}, "amount": {"1"}, "probability": {"101"}},
		"theirs": {"name": {"x"}, "customer": {id(w.theirs)}, "amount": {"1"}, "probability": {"10"}},
	} {
		if res := c.post("/opportunities", f); res.StatusCode != 422 {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}
	stages, _ := w.db.AuxItemsOf(context.Background(), "sales_stage")
	board := c.post(loc+"/stage", url.Values{"stage": {id(stages[3].ID)}}, "HX-Request", "true", "HX-Target", "board")
	if board.StatusCode != 200 || strings.Contains(board.Body, "<html") || !strings.Contains(board.Body, "办公设备更新") {
		t.Fatalf("move on board: %d", board.StatusCode)
	}
	if res := c.post(loc+"/close", url.Values{"status": {"lost"}}); res.StatusCode != 422 || !strings.Contains(res.Body, "丢单时请填写原因") {
		t.Fatalf("lost without reason: %d", res.StatusCode)
	}
	if res := c.post(loc+"/close", url.Values{"status": {"lost"}, "reason": {"预算取消"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("lost: %d", res.StatusCode)
	}
	if res := c.post(loc+"/stage", url.Values{"stage": {id(stages[0].ID)}}); res.StatusCode != http.StatusConflict {
		t.Fatalf("moving a closed opportunity: %d", res.StatusCode)
	}
}

func TestCompetitorMentions(t *testing.T) {
	w := newActWorld(t)
	zhang, li := w.login("zhang"), w.login("li")
	res := zhang.post("/competitors", url.Values{"name": {"华腾科技"}, "strengths": {"价格低"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	loc := res.Header.Get("Location")
	cid := strings.TrimPrefix(loc, "/competitors/")
	if res := li.post("/competitors", url.Values{"name": {"华腾科技"}}); res.StatusCode != 422 || !strings.Contains(res.Body, "已有同名竞争对手") {
		t.Fatalf("duplicate name: %d", res.StatusCode)
	}
	f := w.activityForm(map[string]string{"competitor": cid, "competitor_note_" + cid: "报价低 8%"})
	if res := zhang.post("/activities", f); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("record with mention: %d %s", res.StatusCode, res.Body)
	}
	if page := zhang.get(loc); !strings.Contains(page.Body, "报价低 8%") || !strings.Contains(page.Body, "电话沟通需求") {
		t.Error("competitor card lacks the mention")
	}
	if page := li.get(loc); page.StatusCode != 200 || strings.Contains(page.Body, "报价低 8%") {
		t.Error("a colleague sees the mention")
	}
	if list := zhang.get("/activities?competitor=" + cid); !strings.Contains(list.Body, "电话沟通需求") || strings.Contains(list.Body, "初次拜访") {
		t.Error("activity list by competitor")
	}
}

func TestHomeIsPlansTodayForSales(t *testing.T) {
	w := newActWorld(t)
	if res := w.login("zhang").get("/"); res.StatusCode != 200 || !strings.Contains(res.Body, "我的今日计划") {
		t.Fatalf("sales home: %d", res.StatusCode)
	}
	if res := w.login("zhuguan").get("/"); res.StatusCode != 200 || strings.Contains(res.Body, "今日计划</h2>") {
		t.Fatalf("manager home: %d", res.StatusCode)
	}
}
