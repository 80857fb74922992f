package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"keyuan/demo"
	"keyuan/models"
	"keyuan/search"
)

// serviceFixture is an app with a salesperson's customer, a colleague's
// customer, an issue for each and the seed knowledge base.
type serviceFixture struct {
	app                   *testApp
	sales, other, service int64
	ownCust, otherCust    *models.Customer
	ownIssue, otherIssue  *models.Issue
	article               *models.Article
}

func newServiceFixture(t *testing.T) *serviceFixture {
	t.Helper()
	app := newTestApp(t)
	ctx := context.Background()
	f := &serviceFixture{app: app}
	f.sales = app.addUser("sales1", models.RoleSales)
	f.other = app.addUser("sales2", models.RoleSales)
	f.service = app.addUser("kefu", models.RoleService)
	app.addUser("zhuguan", models.RoleManager)
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	f.ownCust = &models.Customer{Kind: "customer", Name: "青岛海风贸易有限公司", OwnerID: f.sales, Phone: "0532-88776655"}
	f.otherCust = &models.Customer{Kind: "customer", Name: "青岛蓝山机械有限公司", OwnerID: f.other}
	for _, c := range []*models.Customer{f.ownCust, f.otherCust} {
		if err := app.db.CreateCustomer(ctx, admin, c, []models.Contact{{Name: "联系人" + c.Name[:6]}}); err != nil {
			t.Fatal(err)
		}
	}
	f.ownIssue = &models.Issue{CustomerID: f.ownCust.ID, Subject: "海风的打印机经常卡纸", Description: "每天都卡纸好几次", Priority: "high"}
	f.otherIssue = &models.Issue{CustomerID: f.otherCust.ID, Subject: "蓝山的投影仪没有信号", Priority: "normal"}
	for _, i := range []*models.Issue{f.ownIssue, f.otherIssue} {
		if err := app.db.CreateIssue(ctx, admin, i); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range demo.SeedArticles {
		a := &models.Article{Title: s.Title, Symptom: s.Symptom, Solution: s.Solution, Keywords: s.Keywords}
		if err := app.db.SaveArticle(ctx, admin, a); err != nil {
			t.Fatal(err)
		}
		if f.article == nil {
			f.article = a
		}
	}
	app.sync()
	return f
}

func TestIssueHandleAndArchiveFlow(t *testing.T) {
	f := newServiceFixture(t)
	app := f.app
	c := app.login("kefu")

	// Register an issue; a failed save keeps what was typed.
	res := c.post("/issues", url.Values{"customer": {id(f.ownCust.ID)}, "subject": {""}, "description": {"复印机提示碳粉不足"},
		"priority": {"normal"}, "channel": {"phone"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, "复印机提示碳粉不足") {
		t.Fatalf("invalid issue: %d", res.StatusCode)
	}
	res = c.post("/issues", url.Values{"customer": {id(f.ownCust.ID)}, "subject": {"复印件颜色很淡"}, "description": {"复印机提示碳粉不足"},
		"priority": {"urgent"}, "channel": {"phone"}, "reported_at": {"2026-11-20T09:30"}, "assignee": {id(f.service)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create issue: %d %s", res.StatusCode, res.Body)
	}
	issueURL := res.Header.Get("Location")
	res = c.get(issueURL)
	if res.StatusCode != 200 || !strings.Contains(res.Body, "复印件颜色很淡") || !strings.Contains(res.Body, "2026-11-20 09:30") {
		t.Fatalf("issue card: %d", res.StatusCode)
	}
	// The card offers the knowledge base, searched with the subject.
	if !strings.Contains(res.Body, "data-kb-copy") {
		t.Error("card lacks fetch from knowledge base")
	}
	// Fetch from knowledge base, in place.
	res = c.get(issueURL+"/kb?kb_q="+url.QueryEscape("碳粉"), "HX-Request", "true", "HX-Target", "kb-results")
	if res.StatusCode != 200 || !strings.Contains(res.Body, "<mark>碳粉</mark>") || !strings.Contains(res.Body, "更换原装粉盒") ||
		strings.Contains(res.Body, "<html") {
		t.Fatalf("kb fragment: %d %s", res.StatusCode, res.Body)
	}
	articleID := regexp.MustCompile(`data-article-id="(\d+)"`).FindStringSubmatch(res.Body)[1]

	// Handle it with the fetched solution and resolve it.
	res = c.post(issueURL+"/handlings", url.Values{"handled_on": {"2026-11-20"}, "content": {""}, "result": {"x"}, "new_status": {"resolved"}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, `value="x"`) {
		t.Fatalf("empty handling: %d", res.StatusCode)
	}
	res = c.post(issueURL+"/handlings", url.Values{"handled_on": {"2026-11-20"}, "content": {"摇匀粉盒，更换原装粉盒"},
		"result": {"客户确认已恢复"}, "new_status": {"resolved"}, "article_id": {articleID}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("handling: %d %s", res.StatusCode, res.Body)
	}
	res = c.get(issueURL)
	if !strings.Contains(res.Body, "摇匀粉盒") || !strings.Contains(res.Body, "客户确认已恢复") || !strings.Contains(res.Body, "/archive") {
		t.Fatal("card after handling lacks the record or the archive action")
	}

	// Archive: a very similar article exists, so the form says so.
	app.sync()
	res = c.get(issueURL + "/archive")
	if res.StatusCode != 200 || !strings.Contains(res.Body, "复印件颜色很淡") || !strings.Contains(res.Body, "摇匀粉盒") {
		t.Fatalf("archive form: %d", res.StatusCode)
	}
	res = c.post(issueURL+"/archive", url.Values{"title": {"复印件颜色很淡怎么办"}, "symptom": {"复印机提示碳粉不足"},
		"solution": {"1. 摇匀粉盒\n2. 更换原装粉盒"}, "keywords": {"复印机 碳粉"}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/kb/") {
		t.Fatalf("archive: %d %s", res.StatusCode, res.Body)
	}
	res = c.get(res.Header.Get("Location"))
	if !strings.Contains(res.Body, "<ol>") || !strings.Contains(res.Body, "复印件颜色很淡怎么办") || !strings.Contains(res.Body, issueURL) {
		t.Fatal("article card lacks rendered solution or the link back to the issue")
	}
	res = c.get(issueURL)
	if !strings.Contains(res.Body, "已归档") {
		t.Error("issue not archived")
	}
	// Archiving again is refused: the issue is no longer resolved.
	res = c.post(issueURL+"/archive", url.Values{"title": {"再次归档"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != issueURL {
		t.Errorf("second archive: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestArchiveOffersToUpdateSimilarArticle(t *testing.T) {
	f := newServiceFixture(t)
	app := f.app
	ctx := context.Background()
	a := models.Actor{ID: f.service, Role: models.RoleService}
	iss := &models.Issue{CustomerID: f.ownCust.ID, Subject: "打印机经常卡纸", Description: "打印过程中纸张卡在进纸口", Priority: "normal"}
	if err := app.db.CreateIssue(ctx, a, iss); err != nil {
		t.Fatal(err)
	}
	if err := app.db.AddHandling(ctx, a, &models.Handling{IssueID: iss.ID, HandledOn: "2026-11-20", Content: "清洁搓纸轮"}, "resolved"); err != nil {
		t.Fatal(err)
	}
	app.sync()
	c := app.login("kefu")
	res := c.get("/issues/" + id(iss.ID) + "/archive")
	m := regexp.MustCompile(`/archive\?into=(\d+)`).FindStringSubmatch(res.Body)
	if m == nil || !strings.Contains(res.Body, "打印机经常卡纸怎么办") {
		t.Fatalf("no offer to update the similar article: %s", res.Body)
	}
	res = c.get("/issues/" + id(iss.ID) + "/archive?into=" + m[1])
	if !strings.Contains(res.Body, `name="article_id" value="`+m[1]+`"`) || !strings.Contains(res.Body, "清洁搓纸轮") {
		t.Fatal("update form lacks the existing article or the new solution")
	}
	res = c.post("/issues/"+id(iss.ID)+"/archive", url.Values{"article_id": {m[1]}, "title": {"打印机经常卡纸怎么办"},
		"solution": {"原方法\n\n清洁搓纸轮"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/kb/"+m[1] {
		t.Fatalf("archive into existing: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	art, err := app.db.GetArticle(ctx, parseID(m[1]))
	if err != nil || art.SourceIssueID != iss.ID || !strings.Contains(art.Solution, "清洁搓纸轮") {
		t.Fatalf("article not updated: %+v %v", art, err)
	}
}

func TestSimilarIssuesAsYouType(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("kefu")
	res := c.get("/issues/similar?subject=&description="+url.QueryEscape("打印机卡纸"), "HX-Request", "true")
	if res.StatusCode != 200 || !strings.Contains(res.Body, "<mark>打印机</mark>经常<mark>卡纸</mark>怎么办") {
		t.Fatalf("similar: %d %s", res.StatusCode, res.Body)
	}
	if n := strings.Count(res.Body, `class="hit"`); n > 5 || n == 0 {
		t.Errorf("want 1–5 suggestions, got %d", n)
	}
	// An open issue is not a "resolved issue" suggestion.
	if strings.Contains(res.Body, "海风的打印机经常卡纸") {
		t.Error("open issue suggested as a solved one")
	}
}

func TestMarkdownInArticlesIsSanitised(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("kefu")
	evil := "**粗体**\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n[点我](javascript:alert(3))\n\n" +
		`<div hx-get="/admin/users" hx-trigger="load">x</div><span data-hx-post="/logout">y</span><iframe src="https://evil.example"></iframe>`
	res := c.post("/kb", url.Values{"title": {"测试文章"}, "solution": {evil}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create article: %d %s", res.StatusCode, res.Body)
	}
	res = c.get(res.Header.Get("Location"))
	md := res.Body[strings.Index(res.Body, `<div class="md">`):]
	md = md[:strings.Index(md, `<div class="helped-row">`)]
	for _, bad := range []string{"<script", "onerror", "javascript:", "hx-get", "hx-trigger", "data-hx-post", "<iframe"} {
		if strings.Contains(md, bad) {
			t.Errorf("%q survived in %s", bad, md)
		}
	}
	if !strings.Contains(md, "<strong>粗体</strong>") {
		t.Errorf("markdown not rendered: %s", md)
	}
}

func TestArticleViewsAndHelped(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("sales1") // every role reads the knowledge base
	u := "/kb/" + id(f.article.ID)
	c.get(u)
	res := c.get(u)
	if res.StatusCode != 200 {
		t.Fatalf("card: %d", res.StatusCode)
	}
	res = c.post(u+"/helped", nil, "HX-Request", "true")
	if res.StatusCode != 200 || !strings.Contains(res.Body, "1") || strings.Contains(res.Body, "<html") {
		t.Fatalf("helped: %d %s", res.StatusCode, res.Body)
	}
	c.post(u+"/helped", nil, "HX-Request", "true")
	a, err := f.app.db.GetArticle(context.Background(), f.article.ID)
	if err != nil || a.Views != 2 || a.Helped != 1 {
		t.Fatalf("counts: views %d helped %d, %v", a.Views, a.Helped, err)
	}
}

// serviceCase is a service or search route and the status each user of
// newServiceFixture gets from it.
type serviceCase struct {
	routeCase
	want map[string]int // username → status
}

// serviceRoutes lists every service and search route: the issues (own is a
// salesperson's customer's issue, other a colleague's), the knowledge base
// and global search. A new service or search route goes here;
// TestAccessTablesCoverEveryRoute checks that none is missing. Records a
// user may not see are 404, actions a role may not take are 403.
func serviceRoutes(own, other, article, ownCust, otherCust int64) []serviceCase {
	all := func(s int) map[string]int { return map[string]int{"admin": s, "zhuguan": s, "kefu": s, "sales1": s} }
	staff := func(s int) map[string]int { return map[string]int{"admin": s, "zhuguan": s, "kefu": s, "sales1": 403} }
	// Registering an issue is everyone's (salespeople: for their own
	// customers); handling it is service staff's.
	register := func(s int) map[string]int { return map[string]int{"admin": s, "zhuguan": s, "kefu": s, "sales1": s} }
	hidden := func(s int) map[string]int { return map[string]int{"admin": s, "zhuguan": s, "kefu": s, "sales1": 404} }
	o, x, kb := "/issues/"+id(own), "/issues/"+id(other), "/kb/"+id(article)
	return []serviceCase{
		{routeCase{"issue list", "GET", "/issues", nil}, all(200)},
		{routeCase{"issue export", "GET", "/issues/export.csv?view=all", nil}, all(200)},
		{routeCase{"issue export xlsx", "GET", "/issues/export.xlsx?view=all", nil}, all(200)},
		{routeCase{"knowledge base export", "GET", "/kb/export.csv", nil}, all(200)},
		{routeCase{"knowledge base export xlsx", "GET", "/kb/export.xlsx", nil}, all(200)},
		{routeCase{"overdue issues", "GET", "/issues?view=overdue", nil}, all(200)},
		{routeCase{"own customer's issues", "GET", "/issues?view=all&customer=" + id(ownCust), nil}, all(200)},
		{routeCase{"colleague's customer's issues", "GET", "/issues?view=all&customer=" + id(otherCust), nil}, hidden(200)},
		{routeCase{"issue card", "GET", o, nil}, all(200)},
		{routeCase{"colleague's issue card", "GET", x, nil}, hidden(200)},
		{routeCase{"missing issue", "GET", "/issues/999999", nil}, all(404)},
		{routeCase{"new issue form", "GET", "/issues/new", nil}, register(200)},
		{routeCase{"customer picker", "GET", "/issues/customer-options?customer_q=青岛", nil}, register(200)},
		{routeCase{"contact picker", "GET", "/issues/contact-options?customer=" + id(ownCust), nil}, register(200)},
		{routeCase{"similar issues", "GET", "/issues/similar?description=x", nil}, register(200)},
		{routeCase{"create issue (invalid)", "POST", "/issues", nil}, register(422)},
		{routeCase{"edit issue form", "GET", o + "/edit", nil}, staff(200)},
		{routeCase{"edit missing issue", "GET", "/issues/999999/edit", nil}, staff(404)},
		{routeCase{"update issue (invalid)", "POST", o, nil}, staff(422)},
		{routeCase{"add handling (invalid)", "POST", o + "/handlings", nil}, staff(422)},
		{routeCase{"handle missing issue", "POST", "/issues/999999/handlings", nil}, staff(404)},
		{routeCase{"fetch from knowledge base", "GET", o + "/kb?kb_q=打印", nil}, staff(200)},
		{routeCase{"archive form (not resolved: back to the card)", "GET", o + "/archive", nil}, staff(303)},
		{routeCase{"archive (invalid)", "POST", o + "/archive", nil}, staff(422)},
		{routeCase{"knowledge base", "GET", "/kb", nil}, all(200)},
		{routeCase{"knowledge base search", "GET", "/kb?q=发票", nil}, all(200)},
		{routeCase{"article card", "GET", kb, nil}, all(200)},
		{routeCase{"missing article", "GET", "/kb/999999", nil}, all(404)},
		{routeCase{"new article form", "GET", "/kb/new", nil}, staff(200)},
		{routeCase{"create article (invalid)", "POST", "/kb", nil}, staff(422)},
		{routeCase{"edit article form", "GET", kb + "/edit", nil}, staff(200)},
		{routeCase{"update article (invalid)", "POST", kb, nil}, staff(422)},
		{routeCase{"this helped", "POST", kb + "/helped", nil}, all(303)},
		{routeCase{"missing article helped", "POST", "/kb/999999/helped", nil}, all(404)},
		{routeCase{"global search", "GET", "/search?q=青岛", nil}, all(200)},
		{routeCase{"delete a missing issue", "POST", "/issues/999999/delete", nil}, staff(404)},
		{routeCase{"delete a missing article", "POST", "/kb/999999/delete", nil}, staff(404)},
	}
}

func TestServiceRouteRoles(t *testing.T) {
	f := newServiceFixture(t)
	routes := serviceRoutes(f.ownIssue.ID, f.otherIssue.ID, f.article.ID, f.ownCust.ID, f.otherCust.ID)
	for _, user := range []string{"admin", "zhuguan", "kefu", "sales1"} {
		c := f.app.login(user)
		for _, sc := range routes {
			before := f.app.snapshot()
			res := c.send(sc.routeCase)
			if res.StatusCode != sc.want[user] {
				t.Errorf("%s: %s %s: %d, want %d", user, sc.method, sc.path, res.StatusCode, sc.want[user])
			}
			if res.StatusCode == http.StatusForbidden || res.StatusCode == http.StatusNotFound {
				if after := f.app.snapshot(); after != before {
					t.Errorf("%s: refused %s %s changed data:\n%s", user, sc.method, sc.path, diffLines(before, after))
				}
			}
		}
	}
	// The salesperson's views never show the colleague's issue.
	c := f.app.login("sales1")
	for _, p := range []string{"/issues?view=all", "/issues?view=open", "/customers/" + id(f.ownCust.ID)} {
		if res := c.get(p); strings.Contains(res.Body, "蓝山") {
			t.Errorf("%s shows the colleague's issue", p)
		}
	}
	if res := c.get("/customers/" + id(f.ownCust.ID)); !strings.Contains(res.Body, "海风的打印机经常卡纸") {
		t.Error("customer card lacks its open issue")
	}
}

func TestGlobalSearchRespectsRoles(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("sales1")
	for _, h := range [][]string{nil, {"HX-Request", "true", "HX-Target", "search-suggest"}, {"HX-Request", "true", "HX-Target", "results"}} {
		res := c.get("/search?q="+url.QueryEscape("青岛"), h...)
		if res.StatusCode != 200 {
			t.Fatalf("search: %d", res.StatusCode)
		}
		if strings.Contains(res.Body, "蓝山") {
			t.Errorf("salesperson sees the colleague's records (%v)", h)
		}
		if !strings.Contains(res.Body, "海风") {
			t.Errorf("salesperson does not find own customer (%v)", h)
		}
	}
	// Counts: 1 customer, 1 contact and 1 issue are the salesperson's.
	res := c.get("/search?q=" + url.QueryEscape("青岛"))
	if !strings.Contains(res.Body, "共找到 3 条") {
		t.Errorf("count: %s", regexp.MustCompile(`共找到 \d+ 条`).FindString(res.Body))
	}
	// A phone number is found by its beginning, the code by prefix too.
	res = c.get("/search?q=0532-8877")
	if !strings.Contains(res.Body, "海风") {
		t.Error("phone prefix not found")
	}
	admin := f.app.login("admin")
	res = admin.get("/search?q="+url.QueryEscape("青岛"), "HX-Request", "true", "HX-Target", "search-suggest")
	if !strings.Contains(res.Body, "蓝山") || !strings.Contains(res.Body, "海风") || strings.Contains(res.Body, "<html") {
		t.Error("admin's suggestions incomplete")
	}
	if !strings.Contains(res.Body, `href="/issues/`) || !strings.Contains(res.Body, `href="/customers/`) {
		t.Error("suggestions do not link to cards")
	}
}

func TestBadSearchInputGivesNormalPages(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("kefu")
	for _, q := range []string{"", " ", strings.Repeat("打印机卡纸", 2000), "。，！？…", `+-:*"~^()`, `title:"x"~2 AND (a OR b)^3`,
		"打印机printer卡纸123", "\x00\x1b", "%", "<script>alert(1)</script>"} {
		for _, path := range []string{"/search?q=", "/kb?q=", "/issues/similar?description=", "/issues/" + id(f.ownIssue.ID) + "/kb?kb_q="} {
			res := c.get(path + url.QueryEscape(q))
			if res.StatusCode != 200 {
				t.Errorf("%s%q: %d", path, q, res.StatusCode)
			}
			if strings.Contains(res.Body, "<script>alert(1)</script>") {
				t.Errorf("%s: query echoed unescaped", path)
			}
		}
		res := c.get("/search?q="+url.QueryEscape(q), "HX-Request", "true", "HX-Target", "search-suggest")
		if res.StatusCode != 200 {
			t.Errorf("suggest %q: %d", q, res.StatusCode)
		}
	}
}

// rebuildingSearcher is an index that is always being rebuilt.
type rebuildingSearcher struct{}

func (rebuildingSearcher) Search(context.Context, models.Actor, search.Query) (*search.Results, error) {
	return nil, search.ErrRebuilding
}
func (rebuildingSearcher) Status() search.Status {
	return search.Status{State: "rebuilding", Done: 5, Total: 10}
}
func (rebuildingSearcher) Rebuild() {}

func TestSearchWhileRebuilding(t *testing.T) {
	f := newServiceFixture(t)
	f.app.srv.search = rebuildingSearcher{}
	c := f.app.login("admin")
	for _, p := range []string{"/search?q=x", "/kb?q=x", "/issues/similar?description=x", "/issues/" + id(f.ownIssue.ID)} {
		res := c.get(p)
		if res.StatusCode != 200 || !strings.Contains(res.Body, "正在重建") {
			t.Errorf("%s: %d, no rebuilding notice", p, res.StatusCode)
		}
	}
	res := c.get("/admin/search")
	if !strings.Contains(res.Body, "5 / 10（50%）") || !strings.Contains(res.Body, `hx-trigger="every 1s"`) {
		t.Error("admin page lacks progress")
	}
}
