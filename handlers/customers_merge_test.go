package handlers

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyuan/models"
)

// TestDuplicateWarningUnderstandsCompanyNames: the form's live check and the
// create form's confirmation catch a legal-suffix and bracket variant of an
// existing name; an unrelated name passes.
func TestDuplicateWarningUnderstandsCompanyNames(t *testing.T) {
	app := newTestApp(t)
	zhang := app.addUser("zhang", models.RoleSales)
	app.addUser("li", models.RoleSales)
	app.addRecord(zhang, "customer", "南京蓝海科技有限公司")
	li := app.login("li")
	for _, name := range []string{"南京蓝海科技有限责任公司", "蓝海科技（南京）有限公司", "江苏省南京市蓝海科技股份有限公司"} {
		res := li.get("/customers/duplicates?name=" + url.QueryEscape(name))
		if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "南京蓝海科技有限公司") {
			t.Errorf("live check of %q does not name the existing record (status %d)", name, res.StatusCode)
		}
	}
	if res := li.get("/customers/duplicates?name=" + url.QueryEscape("南京蓝天科技有限公司")); strings.Contains(res.Body, "南京蓝海科技有限公司") {
		t.Error("a different company is named as a duplicate")
	}
	res := li.post("/customers", url.Values{"name": {"蓝海科技(南京)有限责任公司"}})
	if res.StatusCode != http.StatusConflict || !strings.Contains(res.Body, "南京蓝海科技有限公司") {
		t.Fatalf("create of a suffix variant: status %d, want 409 naming the existing record", res.StatusCode)
	}
	// Prospects warn of customers too.
	res = li.post("/prospects", url.Values{"name": {"南京市蓝海科技公司"}})
	if res.StatusCode != http.StatusConflict {
		t.Errorf("prospect variant of a customer: status %d, want 409", res.StatusCode)
	}
}

// TestImportCatchesSuffixVariants: importing prospects whose names are
// variants of existing customers skips them as existing customers, and a
// file's own variant repeats are caught.
func TestImportCatchesSuffixVariants(t *testing.T) {
	app := newTestApp(t)
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	if err := app.db.CreateCustomer(context.Background(), admin, &models.Customer{Kind: "customer", Name: "南京蓝海科技有限公司",
		OwnerID: 1, Status: "active"}, nil); err != nil {
		t.Fatal(err)
	}
	c := app.login("admin")
	job := app.runImport(c, "prospect", "p.csv",
		[]byte("客户名称\n蓝海科技（南京）有限责任公司\n北方物流有限公司\n北方物流(北京)公司\n"), "skip")
	if job.Created != 1 || job.Skipped != 2 {
		t.Fatalf("created %d skipped %d, want 1 and 2", job.Created, job.Skipped)
	}
	results, err := app.db.ImportResults(context.Background(), job.ID, -1)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, r := range results {
		reasons[r.Reason] = true
	}
	if !reasons["import.outcome.exists_as_customer"] || !reasons["import.outcome.duplicate_in_file"] {
		t.Errorf("reasons %v", reasons)
	}
}

type mergeWorld struct {
	*actWorld
	dup1, dup2 int64 // li's variant with an issue, a campaign target and an activity; zhang's variant, no contacts
	campaign   int64
	issue      int64
}

func newMergeWorld(t *testing.T) *mergeWorld {
	t.Helper()
	ctx := context.Background()
	w := &mergeWorld{actWorld: newActWorld(t)}
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	li := models.Actor{ID: w.li, Role: models.RoleSales}
	d1 := &models.Customer{Kind: "customer", Name: "华信科技（上海）有限责任公司", Phone: "021-66668888"}
	if err := w.db.CreateCustomer(ctx, li, d1, nil); err != nil {
		t.Fatal(err)
	}
	d2 := &models.Customer{Kind: "customer", Name: "上海市华信科技公司", Email: "info@huaxin.example.cn", Notes: "老客户"}
	if err := w.db.CreateCustomer(ctx, models.Actor{ID: w.zhang, Role: models.RoleSales}, d2, nil); err != nil {
		t.Fatal(err)
	}
	w.dup1, w.dup2 = d1.ID, d2.ID
	a := &models.Activity{Date: "2026-04-01", StartTime: "09:00", EndTime: "10:00", CustomerID: w.dup1, Subject: "李的拜访"}
	if err := w.db.SaveActivity(ctx, li, a); err != nil {
		t.Fatal(err)
	}
	iss := &models.Issue{CustomerID: w.dup1, Subject: "华信的打印机卡纸", Priority: "normal"}
	if err := w.db.CreateIssue(ctx, admin, iss); err != nil {
		t.Fatal(err)
	}
	w.issue = iss.ID
	m := &models.Campaign{Name: "华信答谢会", StartDate: "2026-12-08", EndDate: "2026-12-08", OwnerID: 1}
	if err := w.db.SaveCampaign(ctx, admin, m); err != nil {
		t.Fatal(err)
	}
	w.campaign = m.ID
	// Both variants without contacts are targeted as companies: one
	// campaign, two rows that become one on merge.
	if n, err := w.db.AddTargetCustomers(ctx, admin, m.ID, []int64{w.dup1, w.dup2, w.mine}); err != nil || n != 3 {
		t.Fatalf("targets: %d %v", n, err)
	}
	if _, err := w.db.Write.Exec(`UPDATE campaign_targets SET attended = 1, head_count = 2, feedback = '很满意' WHERE customer_id = ?`, w.dup1); err != nil {
		t.Fatal(err)
	}
	w.sync()
	return w
}

func (w *mergeWorld) dump(tables ...string) string {
	w.t.Helper()
	var b strings.Builder
	for _, table := range tables {
		rows, err := w.db.Read.Query("SELECT * FROM " + table + " ORDER BY 1, 2, 3")
		if err != nil {
			w.t.Fatal(err)
		}
		if err := models.EachRow(rows, func(vals []any) error {
			fmt.Fprintf(&b, "%s %v\n", table, vals)
			return nil
		}); err != nil {
			w.t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

// countsRight checks the list counters (migration 0007 triggers) against
// the rows.
func (w *mergeWorld) countsRight() {
	w.t.Helper()
	var bad int
	err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM (
		SELECT kind, 0 AS owner_id, COUNT(*) AS n FROM customers GROUP BY kind
		UNION ALL SELECT kind, owner_id, COUNT(*) FROM customers GROUP BY kind, owner_id) r
		LEFT JOIN customer_counts cc ON cc.kind = r.kind AND cc.owner_id = r.owner_id AND cc.dim = '' AND cc.value = 0
		WHERE cc.n IS NOT r.n`).Scan(&bad)
	if err != nil || bad != 0 {
		w.t.Errorf("%d list counters are wrong (%v)", bad, err)
	}
	var extra int
	if err := w.db.Read.QueryRow(`SELECT COALESCE(SUM(n), 0) FROM customer_counts WHERE kind = 'customer' AND owner_id = 0 AND dim = ''`).Scan(&extra); err != nil {
		w.t.Fatal(err)
	}
	var rows int
	if err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM customers WHERE kind = 'customer'`).Scan(&rows); err != nil || rows != extra {
		w.t.Errorf("customer counter %d, rows %d (%v)", extra, rows, err)
	}
}

func (w *mergeWorld) refsOf(id int64) map[string]int {
	w.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"contacts", "activities", "plans", "opportunities", "issues", "campaign_targets"} {
		var n int
		if err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM `+table+` WHERE customer_id = ?`, id).Scan(&n); err != nil {
			w.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

// TestMergeCustomers: a manager merges three variants of one company; every
// reference moves to the survivor in one transaction, the campaign that
// targeted two of them keeps one row with the results, the counters stay
// right, the old addresses redirect, the history tells; a failure half-way
// changes nothing; salespeople cannot reach any of it.
func TestMergeCustomers(t *testing.T) {
	w := newMergeWorld(t)
	mgr := w.login("zhuguan")
	ids := []int64{w.dup2, w.mine, w.dup1}
	form := url.Values{"survivor": {id(w.dup2)}, "pick_name": {id(w.mine)}, "pick_phone": {id(w.dup1)}, "pick_owner": {id(w.mine)}}
	for _, i := range ids {
		form.Add("id", id(i))
	}

	report := mgr.get("/customers/duplicates-report")
	if report.StatusCode != http.StatusOK || !strings.Contains(report.Body, "华信科技（上海）有限责任公司") ||
		!strings.Contains(report.Body, "上海市华信科技公司") || !strings.Contains(report.Body, "上海华信科技有限公司") {
		t.Fatalf("the report lacks the group (status %d)", report.StatusCode)
	}
	screen := mgr.get(fmt.Sprintf("/customers/merge?id=%d&id=%d&id=%d", w.dup2, w.mine, w.dup1))
	if screen.StatusCode != http.StatusOK || !strings.Contains(screen.Body, `name="pick_name"`) || !strings.Contains(screen.Body, "021-66668888") {
		t.Fatalf("merge screen: status %d", screen.StatusCode)
	}

	// Salespeople and service staff: 404, nothing changes.
	tables := []string{"customers", "contacts", "activities", "plans", "opportunities", "issues", "campaign_targets",
		"customer_counts", "customer_merges", "audit_log", "search_queue"}
	before := w.dump(tables...)
	for _, who := range []string{"zhang", "kefu"} {
		c := w.login(who)
		for _, rc := range []routeCase{{"report", "GET", "/customers/duplicates-report", nil},
			{"screen", "GET", fmt.Sprintf("/customers/merge?id=%d&id=%d", w.dup2, w.mine), nil},
			{"merge", "POST", "/customers/merge", form}} {
			if res := c.send(rc); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404", who, rc.name, res.StatusCode)
			}
		}
	}
	if after := w.dump(tables...); after != before {
		t.Fatalf("a refused merge changed data:\n%s", diffLines(before, after))
	}

	// Bad input: one record, an outsider as survivor, a prospect id.
	for name, f := range map[string]url.Values{
		"one record":        {"id": {id(w.dup2)}, "survivor": {id(w.dup2)}},
		"outside survivor":  {"id": {id(w.dup2), id(w.mine)}, "survivor": {id(w.dup1)}},
		"outside pick":      {"id": {id(w.dup2), id(w.mine)}, "survivor": {id(w.dup2)}, "pick_name": {id(w.dup1)}},
		"same record twice": {"id": {id(w.dup2), id(w.dup2)}, "survivor": {id(w.dup2)}},
	} {
		if res := mgr.post("/customers/merge", f); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", name, res.StatusCode)
		}
	}
	if res := mgr.post("/customers/merge", url.Values{"id": {id(w.dup2), id(w.prospect)}, "survivor": {id(w.dup2)}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("a prospect in a customer merge: status %d, want 404", res.StatusCode)
	}
	if after := w.dump(tables...); after != before {
		t.Fatalf("a refused merge changed data:\n%s", diffLines(before, after))
	}

	// A failure at the last step of the second record rolls everything back.
	if _, err := w.db.Write.Exec(fmt.Sprintf(`CREATE TRIGGER inject_failure BEFORE DELETE ON customers WHEN OLD.id = %d
		BEGIN SELECT RAISE(ABORT, 'injected failure'); END`, w.dup1)); err != nil {
		t.Fatal(err)
	}
	if res := mgr.post("/customers/merge", form); res.StatusCode != http.StatusInternalServerError {
		t.Errorf("merge with an injected failure: status %d, want 500", res.StatusCode)
	}
	if after := w.dump(tables...); after != before {
		t.Fatalf("a failed merge changed data:\n%s", diffLines(before, after))
	}
	if _, err := w.db.Write.Exec(`DROP TRIGGER inject_failure`); err != nil {
		t.Fatal(err)
	}

	total := map[string]int{}
	for _, i := range ids {
		for k, n := range w.refsOf(i) {
			total[k] += n
		}
	}
	res := mgr.post("/customers/merge", form)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != fmt.Sprintf("/customers/%d", w.dup2) {
		t.Fatalf("merge: status %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	total["campaign_targets"]-- // dup1 and dup2 were both targeted as companies
	if got := w.refsOf(w.dup2); fmt.Sprint(got) != fmt.Sprint(total) {
		t.Errorf("survivor holds %v, want %v", got, total)
	}
	for _, old := range []int64{w.mine, w.dup1} {
		for k, n := range w.refsOf(old) {
			if n != 0 {
				t.Errorf("%d %s still on merged-away %d", n, k, old)
			}
		}
	}
	var attended, heads int
	var feedback string
	if err := w.db.Read.QueryRow(`SELECT attended, head_count, feedback FROM campaign_targets WHERE customer_id = ? AND contact_id IS NULL`,
		w.dup2).Scan(&attended, &heads, &feedback); err != nil || attended != 1 || heads != 2 || feedback != "很满意" {
		t.Errorf("the kept target: %d %d %q (%v)", attended, heads, feedback, err)
	}
	cu, err := w.db.GetCustomer(context.Background(), models.Actor{ID: 1, Role: models.RoleAdmin}, "customer", w.dup2)
	if err != nil {
		t.Fatal(err)
	}
	if cu.Name != "上海华信科技有限公司" || cu.Phone != "021-66668888" || cu.Email != "info@huaxin.example.cn" ||
		cu.OwnerID != w.zhang || cu.Notes != "老客户" || cu.LastActivityDate != "2026-04-01" {
		t.Errorf("survivor values: %+v", cu)
	}
	w.countsRight()
	var merges int
	if err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM customer_merges WHERE survivor_id = ?`, w.dup2).Scan(&merges); err != nil || merges != 2 {
		t.Errorf("%d merge rows (%v)", merges, err)
	}
	for _, old := range []int64{w.mine, w.dup1} {
		r := mgr.get(fmt.Sprintf("/customers/%d", old))
		if r.StatusCode != http.StatusMovedPermanently || r.Header.Get("Location") != fmt.Sprintf("/customers/%d", w.dup2) {
			t.Errorf("old address %d: status %d to %q", old, r.StatusCode, r.Header.Get("Location"))
		}
	}
	// li owned dup1 but not the survivor: the old address is simply gone.
	if r := w.login("li").get(fmt.Sprintf("/customers/%d", w.dup1)); r.StatusCode != http.StatusNotFound {
		t.Errorf("li's old address: status %d, want 404", r.StatusCode)
	}
	card := mgr.get(fmt.Sprintf("/customers/%d", w.dup2))
	for _, want := range []string{"合并重复记录", "王伟", "李的拜访"} {
		if !strings.Contains(card.Body, want) {
			t.Errorf("the survivor's card lacks %q", want)
		}
	}
	var queued int
	if err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM search_queue WHERE (kind = 'customer' AND ref_id IN (?, ?, ?)) OR (kind = 'issue' AND ref_id = ?)`,
		w.dup2, w.mine, w.dup1, w.issue).Scan(&queued); err != nil || queued < 4 {
		t.Errorf("%d search queue entries (%v)", queued, err)
	}
	w.sync()
	if s := mgr.get("/search?q=" + url.QueryEscape("打印机")); !strings.Contains(s.Body, fmt.Sprintf("/issues/%d", w.issue)) {
		t.Log(s.Body)
		t.Error("the moved issue is not found by search")
	}
	if s := mgr.get("/search?q=" + url.QueryEscape("华信科技")); strings.Contains(s.Body, fmt.Sprintf(`/customers/%d"`, w.dup1)) ||
		strings.Contains(s.Body, fmt.Sprintf(`/customers/%d"`, w.mine)) || !strings.Contains(s.Body, fmt.Sprintf(`/customers/%d"`, w.dup2)) {
		t.Error("search still finds a merged-away record, or not the survivor")
	}
	if list := mgr.get("/customers?q=" + url.QueryEscape("华信")); !strings.Contains(list.Body, "共 1 条") {
		t.Errorf("the list does not show one 华信 record")
	}
}
