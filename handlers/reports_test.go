package handlers

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"keyuan/models"
	"keyuan/sheet"
	"keyuan/views"
)

// repWorld is the activity world (zhang and li, salespeople; zhuguan, a
// manager; kefu, service) plus reports: zhang's own user-defined report,
// a second one to delete, a schedule of it, and the ids of two built-ins.
type repWorld struct {
	*actWorld
	custom, doomed       int64 // zhang's reports, shared with nobody
	schedule             int64 // a schedule of custom
	activityRep, custRep int64 // built-ins: activities by salesperson (no service), customers by industry (all)
}

func newRepWorld(t *testing.T) *repWorld {
	t.Helper()
	ctx := context.Background()
	w := &repWorld{actWorld: newActWorld(t)}
	zhang := models.Actor{ID: w.zhang, Role: models.RoleSales}
	for _, p := range []*int64{&w.custom, &w.doomed} {
		r := &models.Report{Name: "我的客户清单", Category: "我的", Definition: models.ReportDef{Source: "customers",
			Columns: []string{"code", "name", "industry"}}}
		if err := w.db.SaveReport(ctx, zhang, r); err != nil {
			t.Fatal(err)
		}
		*p = r.ID
	}
	s := &models.ReportSchedule{ReportID: w.custom, Frequency: "daily", Hour: 8, Monthday: 1, Weekday: 1, Cron: "0 8 * * *", Active: true,
		Recipients: []int64{w.zhang}}
	if err := w.db.SaveReportSchedule(ctx, zhang, s, w.db.Now().AddDate(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	w.schedule = s.ID
	var err error
	if w.activityRep, err = w.db.BuiltinReportID(ctx, "activities_by_salesperson"); err != nil {
		t.Fatal(err)
	}
	if w.custRep, err = w.db.BuiltinReportID(ctx, "customers_by_industry"); err != nil {
		t.Fatal(err)
	}
	return w
}

// reportRoutes lists every route of the reports module with the status per
// user. zhang owns the user-defined reports and shares them with nobody,
// so everyone else but the admin gets 404 for them, as for a missing one.
func reportRoutes(w *repWorld) []roleCase {
	users := []string{"zhang", "li", "zhuguan", "admin", "kefu"}
	want := func(def int, except ...any) map[string]int {
		m := map[string]int{"anon": 303}
		for _, u := range users {
			m[u] = def
		}
		for i := 0; i+1 < len(except); i += 2 {
			m[except[i].(string)] = except[i+1].(int)
		}
		return m
	}
	rc := func(m, p string, form url.Values, st map[string]int) roleCase {
		return roleCase{routeCase{p, m, p, form}, st}
	}
	mine := "/reports/" + id(w.custom)
	act := "/reports/" + id(w.activityRep)
	cust := "/reports/" + id(w.custRep)
	def := url.Values{"name": {"按行业的客户"}, "definition": {`{"source":"customers","group_by":[{"field":"industry"}],"chart":"pie"}`}}
	edit := url.Values{"name": {"改过的清单"}, "definition": {`{"source":"customers","columns":["name"]}`}}
	sched := url.Values{"frequency": {"weekly"}, "hour": {"9"}, "weekday": {"1"}, "monthday": {"1"}, "user": {id(w.zhang)}}
	ownerOnly := want(404, "zhang", 200, "admin", 200)
	return []roleCase{
		rc("GET", "/reports", nil, want(200)),
		rc("GET", "/reports/new", nil, want(200)),
		rc("POST", "/reports/builder", def, want(200)),
		rc("POST", "/reports", def, want(303)),
		rc("GET", "/reports/digest", nil, want(403, "zhuguan", 200, "admin", 200)),
		rc("POST", "/reports/digest", url.Values{"frequency": {"daily"}, "hour": {"8"}}, want(403, "zhuguan", 303, "admin", 303)),
		// zhang's report: only zhang and the admin find it.
		rc("GET", mine, nil, ownerOnly),
		rc("GET", mine+"?period=all&chart=table", nil, ownerOnly),
		rc("GET", mine+"/export.csv", nil, ownerOnly),
		rc("GET", mine+"/export.xlsx", nil, ownerOnly),
		rc("GET", mine+"/edit", nil, ownerOnly),
		rc("POST", mine, edit, want(404, "zhang", 303, "admin", 303)),
		rc("GET", mine+"/users", nil, ownerOnly),
		rc("POST", mine+"/users", url.Values{}, want(404, "zhang", 303, "admin", 303)), // still shared with nobody
		rc("GET", mine+"/schedules", nil, ownerOnly),
		rc("POST", mine+"/schedules", sched, want(404, "zhang", 303, "admin", 303)),
		// The admin deletes before zhang tries, so zhang finds it gone.
		rc("POST", mine+"/schedules/"+id(w.schedule)+"/delete", nil, want(404, "admin", 303)),
		rc("POST", "/reports/"+id(w.doomed)+"/delete", nil, want(404, "admin", 303)),
		// A built-in that service staff are no report users of.
		rc("GET", act, nil, want(200, "kefu", 404)),
		rc("GET", act+"/export.csv", nil, want(200, "kefu", 404)),
		rc("GET", act+"/edit", nil, want(403, "kefu", 404)),
		rc("GET", act+"/users", nil, want(403, "admin", 200, "kefu", 404)),
		rc("GET", act+"/schedules", nil, want(403, "zhuguan", 200, "admin", 200, "kefu", 404)),
		rc("POST", act, edit, want(403, "kefu", 404)),
		// A built-in everyone opens.
		rc("GET", cust, nil, want(200)),
		rc("GET", cust+"/export.xlsx", nil, want(200)),
		rc("GET", "/reports/999999", nil, want(404)),
	}
}

func TestReportRoutesByRole(t *testing.T) {
	w := newRepWorld(t)
	clients := map[string]*client{"zhang": w.login("zhang"), "li": w.login("li"), "zhuguan": w.login("zhuguan"),
		"admin": w.login("admin"), "kefu": w.login("kefu"), "anon": w.anon()}
	for _, pass := range []string{"GET", "POST"} {
		for _, r := range reportRoutes(w) {
			if r.method != pass {
				continue
			}
			for _, user := range []string{"li", "kefu", "anon", "zhuguan", "admin", "zhang"} {
				res := clients[user].send(r.routeCase)
				if res.StatusCode != r.want[user] {
					t.Errorf("%s %s as %s: %d, want %d", r.method, r.path, user, res.StatusCode, r.want[user])
				}
				if res.StatusCode == 404 && strings.Contains(res.Body, "我的客户清单") {
					t.Errorf("%s %s as %s shows the report's name", r.method, r.path, user)
				}
			}
		}
	}
}

// TestReportListShowsOnlyWhatOneMayOpen: the list names a report only to
// its report users, and setting report users changes that.
func TestReportListShowsOnlyWhatOneMayOpen(t *testing.T) {
	w := newRepWorld(t)
	listed := func(user string) (mine, activities bool) {
		body := w.login(user).get("/reports").Body
		return strings.Contains(body, `href="/reports/`+id(w.custom)+`"`), strings.Contains(body, `href="/reports/`+id(w.activityRep)+`"`)
	}
	for user, want := range map[string][2]bool{"zhang": {true, true}, "li": {false, true}, "zhuguan": {false, true},
		"kefu": {false, false}, "admin": {true, true}} {
		if m, a := listed(user); m != want[0] || a != want[1] {
			t.Errorf("%s lists zhang's report %v, the activity analysis %v; want %v", user, m, a, want)
		}
	}
	// zhang shares the report with li by name and with service staff by role.
	res := w.login("zhang").post("/reports/"+id(w.custom)+"/users", url.Values{"user": {id(w.li)}, "role": {"service"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("share: %d", res.StatusCode)
	}
	for user, want := range map[string]bool{"li": true, "kefu": true, "zhuguan": false} {
		if m, _ := listed(user); m != want {
			t.Errorf("after sharing, %s lists it %v, want %v", user, m, want)
		}
	}
	// A made-up role or user is refused, and changes nothing.
	for _, form := range []url.Values{{"role": {"admin"}}, {"role": {"boss"}}, {"user": {"999999"}}, {"user": {"x"}}} {
		if res := w.login("zhang").post("/reports/"+id(w.custom)+"/users", form); res.StatusCode != http.StatusBadRequest {
			t.Errorf("report users %v: %d, want 400", form, res.StatusCode)
		}
	}
	if m, _ := listed("li"); !m {
		t.Error("a refused change of report users changed them")
	}
}

// TestRowRulesInsideReports: a report shared with salespeople shows each
// only their own rows, in the page and in the download.
func TestRowRulesInsideReports(t *testing.T) {
	w := newRepWorld(t)
	if res := w.login("zhang").post("/reports/"+id(w.custom)+"/users", url.Values{"role": {"sales"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("share: %d", res.StatusCode)
	}
	for _, tc := range []struct {
		user        string
		sees, hides string
	}{{"zhang", "上海华信科技有限公司", "北京鼎盛贸易有限公司"}, {"li", "北京鼎盛贸易有限公司", "上海华信科技有限公司"}} {
		c := w.login(tc.user)
		for _, path := range []string{"/reports/" + id(w.custom), "/reports/" + id(w.custom) + "/export.csv"} {
			res := c.get(path)
			if res.StatusCode != 200 || !strings.Contains(res.Body, tc.sees) || strings.Contains(res.Body, tc.hides) {
				t.Errorf("%s %s: status %d, sees own %v, sees colleague's %v", tc.user, path, res.StatusCode,
					strings.Contains(res.Body, tc.sees), strings.Contains(res.Body, tc.hides))
			}
		}
	}
	// The built-in activity analysis: li has no records, zhang has one.
	res := w.login("li").get("/reports/" + id(w.activityRep) + "?period=all")
	if strings.Contains(res.Body, ">zhang<") {
		t.Error("li's run of the activity analysis shows zhang's records")
	}
	res = w.login("zhuguan").get("/reports/" + id(w.activityRep) + "?period=all")
	if !strings.Contains(res.Body, ">zhang<") {
		t.Errorf("the manager's run lacks zhang's records:\n%s", res.Body)
	}
}

// TestReportBuilderRefusesWhatTheWhitelistDoesNot know: definitions posted
// to the preview and to save are refused with 400 and a message, never a
// SQL error or a 500, and nothing is saved.
func TestReportBuilderRefusals(t *testing.T) {
	w := newRepWorld(t)
	c := w.login("zhuguan")
	count := func() int {
		var n int
		if err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM reports`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	for _, tc := range []struct{ def, msg string }{
		{`{"source":"users","columns":["name"]}`, "没有这个数据源"},
		{`{"source":"activities","columns":["password_hash"]}`, "没有这个字段"},
		{`{"source":"activities","columns":["customer.name"]}`, "没有这个字段"},
		{`{"source":"activities","joins":["customer.activities"],"columns":["code"]}`, "没有这个关联数据"},
		{`{"source":"activities","joins":["next_plan.source_activity"],"columns":["code"]}`, "不能绕回"},
		{`{"source":"activities","columns":["code"],"filters":[{"field":"date","op":"regexp","value":"."}]}`, "没有这个比较方式"},
		{`{"source":"activities","columns":["code"],"filters":[{"field":"date","op":"ge","value":"去年"}]}`, "条件值不正确"},
		{`{"source":"opportunities","columns":["code"],"filters":[{"field":"amount","op":"gt","value":"1e9; DROP TABLE users"}]}`, "条件值不正确"},
		{`{"source":"activities","group_by":[{"field":"owner_id"}],"aggregates":[{"func":"median","field":"date"}]}`, "没有这个字段"},
		{`{"source":"activities","group_by":[{"field":"method"}],"aggregates":[{"func":"median","field":"date"}]}`, "没有这种统计方式"},
		{`{"source":"activities","group_by":[{"field":"method"}],"aggregates":[{"func":"sum","field":"subject"}]}`, "不能这样统计"},
		{`{"source":"activities","columns":["code"],"sql":"SELECT 1"}`, "格式不正确"},
		{`{"source":"activities","columns":"code"}`, "格式不正确"},
		{`not json`, "格式不正确"},
	} {
		form := url.Values{"name": {"坏报表"}, "definition": {tc.def}}
		for _, path := range []string{"/reports/builder", "/reports"} {
			res := c.post(path, form, "HX-Request", "true", "HX-Target", "builder")
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.Body+res.Header.Get("HX-Trigger"), jsonEscape(tc.msg)) &&
				!strings.Contains(res.Body, tc.msg) {
				t.Errorf("%s %s: %d, want 400 saying %q:\n%.600s", path, tc.def, res.StatusCode, tc.msg, res.Body)
			}
		}
	}
	if count() != before {
		t.Error("a refused definition was saved")
	}
	// A missing name is a 422 with the builder as it was typed.
	res := c.post("/reports", url.Values{"definition": {`{"source":"customers","columns":["name"]}`}, "category": {"月报"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `value="月报"`) {
		t.Errorf("no name: %d", res.StatusCode)
	}
}

// jsonEscape writes s as it appears inside a JSON string with non-ASCII
// escaped, as the HX-Trigger header carries messages.
func jsonEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > 0x7e {
			b.WriteString(`\u` + strconv.FormatInt(int64(r)+0x10000, 16)[1:])
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// TestReportBuilderFlow: building through the form (as the page posts it),
// the preview, saving, and opening the saved report.
func TestReportBuilderFlow(t *testing.T) {
	w := newRepWorld(t)
	c := w.login("zhuguan")
	form := url.Values{"source": {"activities"}, "prev_source": {"activities"}, "join": {"customer", "owner"},
		"g0_field": {"owner.name"}, "na": {"2"}, "a0_func": {"count"}, "a1_func": {"count_distinct"}, "a1_field": {"customer.name"},
		"nf": {"1"}, "f0_field": {"date"}, "f0_op": {"between"}, "f0_value": {"2026-01-01"}, "f0_value2": {"2026-12-31"},
		"chart": {"bar"}, "sort": {"1"}, "desc": {"1"}}
	res := c.post("/reports/builder", form, "HX-Request", "true", "HX-Target", "builder")
	if res.StatusCode != 200 || !strings.Contains(res.Body, "<svg") || !strings.Contains(res.Body, "zhang") {
		t.Fatalf("preview: %d\n%.2000s", res.StatusCode, res.Body)
	}
	// Changing the source starts afresh instead of failing on fields the
	// new source does not have.
	changed := url.Values{}
	for k, v := range form {
		changed[k] = v
	}
	changed.Set("source", "customers")
	if res := c.post("/reports/builder", changed, "HX-Request", "true", "HX-Target", "builder"); res.StatusCode != 200 {
		t.Errorf("changing the source: %d\n%.1000s", res.StatusCode, res.Body)
	}
	// Adding a filter row adds an empty one; an unfinished row is no error.
	form.Set("op", "add_filter")
	res = c.post("/reports/builder", form, "HX-Request", "true", "HX-Target", "builder")
	if res.StatusCode != 200 || !strings.Contains(res.Body, `name="f1_field"`) {
		t.Errorf("add filter: %d", res.StatusCode)
	}
	form.Del("op")
	form.Set("name", "业务员活动（年度）")
	form.Set("category", "年度分析")
	res = c.post("/reports", form)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d\n%.1000s", res.StatusCode, res.Body)
	}
	loc := res.Header.Get("Location")
	res = c.get(loc)
	if res.StatusCode != 200 || !strings.Contains(res.Body, "业务员活动（年度）") || !strings.Contains(res.Body, "<svg") {
		t.Fatalf("saved report: %d", res.StatusCode)
	}
	if list := c.get("/reports").Body; !strings.Contains(list, "年度分析") || !strings.Contains(list, loc) {
		t.Error("the list lacks the saved report under its category")
	}
	// The edit form comes back with what was saved.
	res = c.get(loc + "/edit")
	if res.StatusCode != 200 || !strings.Contains(res.Body, `value="业务员活动（年度）"`) || !strings.Contains(res.Body, `value="2026-12-31"`) {
		t.Errorf("edit form: %d", res.StatusCode)
	}
}

// readXLSX reads every row of the first sheet of an XLSX download.
func readXLSX(t *testing.T, body string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestReportExports: the CSV and the XLSX of a report hold the same rows,
// the numbers the report computes, and neutralised formulas.
func TestReportExports(t *testing.T) {
	w := newRepWorld(t)
	ctx := context.Background()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	// A customer whose name a spreadsheet would run as a formula.
	evil := &models.Customer{Kind: "customer", Name: `=HYPERLINK("http://x","点我")`, OwnerID: w.zhang}
	if err := w.db.CreateCustomer(ctx, admin, evil, nil); err != nil {
		t.Fatal(err)
	}
	c := w.login("zhuguan")
	rep := &models.Report{Name: "客户清单", Definition: models.ReportDef{Source: "customers", Joins: []string{"owner"},
		Columns: []string{"name", "owner.name", "created_at"}, Sort: &models.ReportSort{Column: 0}}}
	if err := w.db.SaveReport(ctx, models.Actor{ID: w.mgr, Role: models.RoleManager}, rep); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/reports/" + id(rep.ID), "/reports/" + id(w.custRep) + "?period=all"} {
		base, query, _ := strings.Cut(path, "?")
		csvRes := c.get(base + "/export.csv?" + query)
		xlsxRes := c.get(base + "/export.xlsx?" + query)
		if csvRes.StatusCode != 200 || xlsxRes.StatusCode != 200 {
			t.Fatalf("%s: %d %d", path, csvRes.StatusCode, xlsxRes.StatusCode)
		}
		if !strings.Contains(xlsxRes.Header.Get("Content-Disposition"), ".xlsx") {
			t.Errorf("xlsx download named %q", xlsxRes.Header.Get("Content-Disposition"))
		}
		fromCSV, fromXLSX := readCSV(t, csvRes), readXLSX(t, xlsxRes.Body)
		if len(fromCSV) < 2 || !slices.EqualFunc(fromCSV, fromXLSX, func(a, b []string) bool {
			// excelize leaves out trailing empty cells.
			for len(a) > len(b) && a[len(a)-1] == "" {
				a = a[:len(a)-1]
			}
			// Only the CSV defuses formulas: an XLSX text cell is never run.
			return slices.EqualFunc(a, b, func(c, x string) bool { return c == sheet.Neutralize(x) })
		}) {
			t.Errorf("%s: CSV and XLSX differ:\n%q\n%q", path, fromCSV, fromXLSX)
		}
		if path == "/reports/"+id(rep.ID) {
			names := []string{}
			for _, r := range fromCSV[1:] {
				names = append(names, r[0])
			}
			want := []string{`'=HYPERLINK("http://x","点我")`, "上海华信科技有限公司", "北京鼎盛贸易有限公司"}
			if !slices.Equal(names, want) || fromCSV[0][0] != "名称" || fromCSV[0][1] != "业务员 · 姓名" {
				t.Errorf("rows %q, want names %q", fromCSV, want)
			}
			continue
		}
		// Customers by industry: no industry for all three, 100 %.
		if len(fromCSV) != 2 || fromCSV[1][0] != "（未填写）" || fromCSV[1][1] != "3" || fromCSV[1][4] != "100" ||
			fromCSV[0][4] != "占比（%）" {
			t.Errorf("customers by industry: %q", fromCSV)
		}
	}
}

// TestReportParamsRefused: hand-made URLs with an unknown period, a bad
// date or chart are 400s.
func TestReportParamsRefused(t *testing.T) {
	w := newRepWorld(t)
	c := w.login("zhuguan")
	base := "/reports/" + id(w.activityRep)
	for _, q := range []string{"period=forever", "period=custom&from=2026-02-30", "period=custom&from=2026-03-01&to=2026-02-01",
		"chart=radar", "owner=abc"} {
		if res := c.get(base + "?" + q); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, res.StatusCode)
		}
	}
	if res := c.get(base + "?period=custom&from=2026-01-01&to=2026-12-31&chart=pie&owner=" + id(w.zhang)); res.StatusCode != 200 {
		t.Errorf("good parameters: %d", res.StatusCode)
	}
	if res := c.get(base+"?period=last_month", "HX-Request", "true", "HX-Target", "report-body"); res.StatusCode != 200 ||
		strings.Contains(res.Body, "<html") {
		t.Errorf("fragment: %d", res.StatusCode)
	}
}

func TestCompactNumber(t *testing.T) {
	for _, tc := range []struct {
		lang string
		v    float64
		want string
	}{{"zh", 1718000, "171.8万"}, {"zh", 320000000, "3.2亿"}, {"zh", 9999, "9,999"}, {"zh", 20000, "2万"},
		{"en", 1718000, "1.7M"}, {"en", 25000, "25k"}, {"en", 1234.5, "1234.50"}, {"zh", -50000, "-5万"}} {
		if got := views.CompactNumber(tc.lang, tc.v); got != tc.want {
			t.Errorf("views.CompactNumber(%s, %v) = %q, want %q", tc.lang, tc.v, got, tc.want)
		}
	}
}
