package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"keyuan/models"
)

// The REST API's tests: every request and every answer is checked against
// the OpenAPI document (an undocumented field or status fails), through the
// real router on a real SQLite file.

// openAPIRouter loads and validates the document once.
var openAPIRouter = sync.OnceValues(func() (routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(openAPIDoc)
	if err != nil {
		return nil, err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is invalid: %w", err)
	}
	return gorillamux.NewRouter(doc)
})

func TestAPIDocumentIsValid(t *testing.T) {
	if _, err := openAPIRouter(); err != nil {
		t.Fatal(err)
	}
}

// apiClient calls the API with a bearer token (and no cookie).
type apiClient struct {
	t     testing.TB
	app   *testApp
	token string
	// check validates each exchange against the OpenAPI document.
	check bool
}

func (a *testApp) apiAs(userID int64, role models.Role, writable bool) *apiClient {
	a.t.Helper()
	_, secret, err := a.db.CreateAPIToken(context.Background(), models.Actor{ID: userID, Role: role},
		models.NewAPIToken{Name: "测试令牌", Writable: writable})
	if err != nil {
		a.t.Fatal(err)
	}
	return &apiClient{t: a.t, app: a, token: secret, check: true}
}

func (c *apiClient) do(method, path, body string, headers ...string) *response {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.app.ts.URL+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if c.check {
		checkAgainstOpenAPI(c.t, method, path, body, headers, res, b)
	}
	return &response{Response: res, Body: string(b)}
}

// checkAgainstOpenAPI validates one request and its answer.
func checkAgainstOpenAPI(t testing.TB, method, path, body string, headers []string, res *http.Response, resBody []byte) {
	t.Helper()
	router, err := openAPIRouter()
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(method, "/api/v1"+strings.TrimPrefix(path, "/api/v1"), strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", "Bearer x")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Errorf("%s %s: not in the OpenAPI document: %v", method, path, err)
		return
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true,
		MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route, Options: opts}
	// A request the API must refuse (bad JSON, unknown field) is allowed
	// to break the document: only well-formed requests are checked.
	if res.StatusCode < 400 {
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: request does not match the document: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: res.StatusCode, Header: res.Header,
		Body: io.NopCloser(bytes.NewReader(resBody)), Options: opts}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s → %d: answer does not match the document: %v\n%s", method, path, res.StatusCode, err, resBody)
	}
}

func decode[T any](t testing.TB, res *response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(res.Body), &v); err != nil {
		t.Fatalf("decode %q: %v", res.Body, err)
	}
	return v
}

// apiCase is one endpoint of the role table: the status each role gets on
// a record owned by sales1, in the order sales1 (owner), sales2
// (colleague), manager, service, admin.
type apiCase struct {
	routeCase
	body string
	want [5]int
}

// apiRoutes is the API's access table. customer and prospect are records
// of sales1. A new API route goes here (TestAccessTablesCoverEveryRoute).
func apiRoutes(customer, prospect, opportunity, issue, activity, plan, article, campaign int64) []apiCase {
	cm := "/api/v1/campaigns/" + strconv.FormatInt(campaign, 10)
	act := "/api/v1/activities/" + strconv.FormatInt(activity, 10)
	pl := "/api/v1/plans/" + strconv.FormatInt(plan, 10)
	art := "/api/v1/articles/" + strconv.FormatInt(article, 10)
	is := "/api/v1/issues/" + strconv.FormatInt(issue, 10)
	// Service: salespeople read the issues of their own customers only and
	// change none.
	svcCreate := [5]int{201, 201, 201, 201, 201} // salespeople register issues for their own customers
	svcChange := [5]int{403, 403, 200, 200, 200}
	svcAdd := [5]int{403, 403, 201, 201, 201}
	svcDel := [5]int{403, 403, 204, 204, 204}
	c := "/api/v1/customers/" + strconv.FormatInt(customer, 10)
	p := "/api/v1/prospects/" + strconv.FormatInt(prospect, 10)
	o := "/api/v1/opportunities/" + strconv.FormatInt(opportunity, 10)
	// Business activities: not for service staff, as on the screens.
	actList := [5]int{200, 200, 200, 403, 200}
	actCreate := [5]int{201, 201, 201, 403, 201}
	actRead := [5]int{200, 404, 200, 403, 200}
	actDel := [5]int{204, 404, 204, 403, 204}
	all := [5]int{200, 200, 200, 200, 200}
	read := [5]int{200, 404, 200, 200, 200}
	create := [5]int{201, 201, 201, 403, 201}
	change := [5]int{200, 404, 200, 403, 200}
	del := [5]int{204, 404, 204, 403, 204}
	conv := [5]int{201, 404, 201, 403, 201}
	addTo := conv // a contact added to sales1's record
	return []apiCase{
		{routeCase{"openapi", "GET", "/api/v1/openapi.json", nil}, "", all},
		{routeCase{"me", "GET", "/api/v1/me", nil}, "", all},
		{routeCase{"users", "GET", "/api/v1/users", nil}, "", all},
		{routeCase{"customer list", "GET", "/api/v1/customers", nil}, "", all},
		{routeCase{"customer create", "POST", "/api/v1/customers", nil}, `{"name":"接口新客户"}`, create},
		{routeCase{"customer", "GET", c, nil}, "", read},
		{routeCase{"customer contacts", "GET", c + "/contacts", nil}, "", read},
		{routeCase{"customer update", "PATCH", c, nil}, `{"phone":"021-55556666"}`, change},
		{routeCase{"customer contact add", "POST", c + "/contacts", nil}, `{"name":"接口联系人","mobile":"13800000000"}`, addTo},
		{routeCase{"customer contact update", "PATCH", c + "/contacts/CID", nil}, `{"title":"经理"}`, change},
		{routeCase{"customer contact delete", "DELETE", c + "/contacts/CID", nil}, "", del},
		{routeCase{"customer delete", "DELETE", c, nil}, "", del},
		{routeCase{"prospect list", "GET", "/api/v1/prospects", nil}, "", all},
		{routeCase{"prospect create", "POST", "/api/v1/prospects", nil}, `{"name":"接口新潜客"}`, create},
		{routeCase{"prospect", "GET", p, nil}, "", read},
		{routeCase{"prospect contacts", "GET", p + "/contacts", nil}, "", read},
		{routeCase{"prospect update", "PATCH", p, nil}, `{"notes":"接口"}`, change},
		{routeCase{"prospect contact add", "POST", p + "/contacts", nil}, `{"name":"接口联系人"}`, addTo},
		{routeCase{"prospect contact update", "PATCH", p + "/contacts/PCID", nil}, `{"title":"经理"}`, change},
		{routeCase{"prospect contact delete", "DELETE", p + "/contacts/PCID", nil}, "", del},
		{routeCase{"prospect delete", "DELETE", p, nil}, "", del},
		{routeCase{"prospect convert", "POST", p + "/convert", nil}, "", conv},
		// OWN is a customer of the acting user (salespeople sell only to theirs).
		{routeCase{"opportunity list", "GET", "/api/v1/opportunities", nil}, "", actList},
		{routeCase{"opportunity create", "POST", "/api/v1/opportunities", nil}, `{"name":"接口机会","customer_id":OWN,"amount_fen":1000000}`, actCreate},
		{routeCase{"opportunity", "GET", o, nil}, "", actRead},
		{routeCase{"opportunity update", "PATCH", o, nil}, `{"probability":60}`, actRead},
		{routeCase{"opportunity delete", "DELETE", o, nil}, "", actDel},
		{routeCase{"opportunity close", "POST", o + "/close", nil}, `{"status":"lost","reason":"价格"}`, actRead},
		{routeCase{"issue list", "GET", "/api/v1/issues", nil}, "", all},
		{routeCase{"issue create", "POST", "/api/v1/issues", nil}, `{"customer_id":OWN,"subject":"接口问题","priority":"high"}`, svcCreate},
		{routeCase{"issue", "GET", is, nil}, "", read},
		{routeCase{"issue update", "PATCH", is, nil}, `{"priority":"urgent","reported_at":"2026-12-01T10:00:00+08:00"}`, svcChange},
		{routeCase{"issue delete", "DELETE", is, nil}, "", svcDel},
		{routeCase{"issue handlings", "GET", is + "/handlings", nil}, "", read},
		{routeCase{"issue handling add", "POST", is + "/handlings", nil}, `{"content":"电话回访","new_status":"resolved"}`, svcAdd},
		{routeCase{"activity list", "GET", "/api/v1/activities?from=2026-01-01", nil}, "", actList},
		{routeCase{"activity create", "POST", "/api/v1/activities", nil}, `{"date":"2026-12-02","customer_id":OWN,"subject":"接口拜访"}`, actCreate},
		{routeCase{"activity", "GET", act, nil}, "", actRead},
		{routeCase{"activity update", "PATCH", act, nil}, `{"result":"已报价","contact_id":null}`, actRead},
		{routeCase{"activity delete", "DELETE", act, nil}, "", actDel},
		{routeCase{"plan list", "GET", "/api/v1/plans?status=planned", nil}, "", actList},
		{routeCase{"plan create", "POST", "/api/v1/plans", nil}, `{"date":"2026-12-20","customer_id":OWN,"subject":"接口回访"}`, actCreate},
		{routeCase{"plan", "GET", pl, nil}, "", actRead},
		{routeCase{"plan update", "PATCH", pl, nil}, `{"time":"10:00","remind_minutes":-1}`, actRead},
		{routeCase{"plan delete", "DELETE", pl, nil}, "", actDel},
		{routeCase{"article list", "GET", "/api/v1/articles", nil}, "", all},
		{routeCase{"article", "GET", art, nil}, "", all},
		{routeCase{"category items", "GET", "/api/v1/category-items?type=industry", nil}, "", all},
		{routeCase{"search", "GET", "/api/v1/search?q=" + url.QueryEscape("表客户"), nil}, "", all},
		// Campaigns: not for service staff; a salesperson's own only.
		{routeCase{"campaign list", "GET", "/api/v1/campaigns", nil}, "", actList},
		{routeCase{"campaign", "GET", cm, nil}, "", actRead},
		{routeCase{"campaign targets", "GET", cm + "/targets", nil}, "", actRead},
	}
}

// TestAPIAccessTable runs every endpoint × role on a fresh record of
// sales1 each time: a colleague's record is 404, a forbidden action 403,
// and a refused request changes nothing at all.
func TestAPIAccessTable(t *testing.T) {
	f := newFixture(t)
	admin := int64(1)
	users := []struct {
		name string
		id   int64
		role models.Role
	}{{"sales1", f.sales1, models.RoleSales}, {"sales2", f.sales2, models.RoleSales}, {"manager", f.manager, models.RoleManager},
		{"service", f.service, models.RoleService}, {"admin", admin, models.RoleAdmin}}
	_, _, articleID := f.activityPlanArticle(t)
	camp := models.Campaign{Name: "表活动", StartDate: "2026-12-20", EndDate: "2026-12-20", OwnerID: f.sales1}
	if err := f.db.SaveCampaign(context.Background(), models.Actor{ID: f.sales1, Role: models.RoleSales}, &camp); err != nil {
		t.Fatal(err)
	}
	if _, err := f.db.AddTargetCustomers(context.Background(), models.Actor{ID: f.sales1, Role: models.RoleSales}, camp.ID,
		[]int64{f.mine["customer"].id}); err != nil {
		t.Fatal(err)
	}
	campaignID := camp.ID
	for i, u := range users {
		api := f.apiAs(u.id, u.role, true)
		own := f.mine["customer"].id
		if u.id == f.sales2 {
			own = f.theirs["customer"].id
		}
		n := len(apiRoutes(0, 0, 0, 0, 0, 0, 0, 0))
		for j := range n {
			cust := f.addRecord(f.sales1, "customer", fmt.Sprintf("表客户%d-%d", i, j))
			pros := f.addRecord(f.sales1, "prospect", fmt.Sprintf("表潜客%d-%d", i, j))
			opp := models.Opportunity{Name: "表机会", CustomerID: cust.id, OwnerID: f.sales1, AmountFen: 100}
			if err := f.db.SaveOpportunity(context.Background(), models.Actor{ID: f.sales1, Role: models.RoleSales}, &opp); err != nil {
				t.Fatal(err)
			}
			iss := models.Issue{CustomerID: cust.id, Subject: "表问题", Priority: "normal"}
			if err := f.db.CreateIssue(context.Background(), models.Actor{ID: f.service, Role: models.RoleService}, &iss); err != nil {
				t.Fatal(err)
			}
			s1 := models.Actor{ID: f.sales1, Role: models.RoleSales}
			act := models.Activity{Date: "2026-12-01", Subject: "表拜访", CustomerID: cust.id, OwnerID: f.sales1}
			if err := f.db.SaveActivity(context.Background(), s1, &act); err != nil {
				t.Fatal(err)
			}
			pl := models.Plan{Date: "2026-12-10", Subject: "表回访", CustomerID: cust.id, OwnerID: f.sales1, RemindMinutes: -1}
			if err := f.db.SavePlan(context.Background(), s1, &pl); err != nil {
				t.Fatal(err)
			}
			rc := apiRoutes(cust.id, pros.id, opp.ID, iss.ID, act.ID, pl.ID, articleID, campaignID)[j]
			body := strings.ReplaceAll(rc.body, "OWN", strconv.FormatInt(own, 10))
			// CID and PCID are the record's contact (an address with two ids).
			rc.path = strings.NewReplacer("PCID", strconv.FormatInt(pros.contact, 10), "CID", strconv.FormatInt(cust.contact, 10)).Replace(rc.path)
			t.Run(u.name+"/"+rc.name, func(t *testing.T) {
				api.t = t
				before := f.snapshot()
				res := api.do(rc.method, rc.path, body)
				if res.StatusCode != rc.want[i] {
					t.Fatalf("%s %s: status %d, want %d: %s", rc.method, rc.path, res.StatusCode, rc.want[i], res.Body)
				}
				if res.StatusCode >= 400 {
					if after := f.snapshot(); after != before {
						t.Errorf("a refused request changed data:\n%s", diffLines(before, after))
					}
				}
			})
		}
	}
}

// TestAPIListRowRules: a salesperson's list holds only their own records.
func TestAPIListRowRules(t *testing.T) {
	f := newFixture(t)
	page := decode[apiPage[apiCustomer]](t, f.apiAs(f.sales1, models.RoleSales, false).do("GET", "/api/v1/customers", ""))
	if len(page.Data) != 1 || page.Data[0].ID != f.mine["customer"].id || page.NextCursor != nil {
		t.Errorf("sales1 sees %+v", page)
	}
	page = decode[apiPage[apiCustomer]](t, f.apiAs(f.manager, models.RoleManager, false).do("GET", "/api/v1/customers?q="+url.QueryEscape("同事"), ""))
	if len(page.Data) != 1 || page.Data[0].ID != f.theirs["customer"].id {
		t.Errorf("the manager's filtered list is %+v", page)
	}
}

// TestAPIAuthentication: only a valid bearer token opens the API; cookies
// never do, and a token never opens the screens.
func TestAPIAuthentication(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	browser := f.login("sales1")
	if res := browser.get("/api/v1/me"); res.StatusCode != http.StatusUnauthorized ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") || res.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("a session cookie on the API: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	api := f.apiAs(f.sales1, models.RoleSales, false)
	if res := api.do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `"sales1"`) {
		t.Errorf("me: %d %s", res.StatusCode, res.Body)
	}
	if res := f.anon().get("/customers", "Authorization", "Bearer "+api.token); res.StatusCode != http.StatusSeeOther {
		t.Errorf("a token on the screens: %d, want the login redirect", res.StatusCode)
	}
	for name, tok := range map[string]string{"none": "", "garbage": "ky_nope", "no prefix": "abc"} {
		bad := &apiClient{t: t, app: f.testApp, token: tok, check: true}
		if res := bad.do("GET", "/api/v1/customers", ""); res.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s: %d", name, res.StatusCode)
		}
	}
	// Read-only: reading works, writing is 403 and writes nothing.
	before := f.snapshot()
	if res := api.do("POST", "/api/v1/customers", `{"name":"只读令牌客户"}`); res.StatusCode != http.StatusForbidden {
		t.Errorf("read-only token writes: %d", res.StatusCode)
	}
	if f.snapshot() != before {
		t.Error("a read-only token's write changed data")
	}
	// Expiry, by the application's clock.
	tok, secret, err := f.db.CreateAPIToken(ctx, models.Actor{ID: f.sales1, Role: models.RoleSales},
		models.NewAPIToken{Name: "短期", Expires: f.db.Now().AddDate(0, 0, 2).Format(time.DateOnly)})
	if err != nil {
		t.Fatal(err)
	}
	short := &apiClient{t: t, app: f.testApp, token: secret, check: true}
	if res := short.do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusOK {
		t.Errorf("before expiry: %d", res.StatusCode)
	}
	now := f.db.Now()
	f.db.SetClock(func() time.Time { return now.AddDate(0, 0, 4) })
	t.Cleanup(func() { f.db.SetClock(nil) })
	if res := short.do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("after expiry: %d", res.StatusCode)
	}
	f.db.SetClock(nil)
	// Revoked: at once.
	if err := f.db.RevokeAPIToken(ctx, models.Actor{ID: f.sales2, Role: models.RoleSales}, tok.ID); err == nil {
		t.Error("a colleague revoked sales1's token")
	}
	if err := f.db.RevokeAPIToken(ctx, models.Actor{ID: f.sales1, Role: models.RoleSales}, tok.ID); err != nil {
		t.Fatal(err)
	}
	if res := short.do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("after revocation: %d", res.StatusCode)
	}
}

// TestAPIOutsideCrossOriginCheck: a cross-site POST with a token goes
// through (the API has no cookie to abuse), while the same headers on a
// screen with a cookie are still refused.
func TestAPIOutsideCrossOriginCheck(t *testing.T) {
	f := newFixture(t)
	api := f.apiAs(f.sales1, models.RoleSales, true)
	cross := []string{"Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"}
	if res := api.do("POST", "/api/v1/customers", `{"name":"官网表单客户"}`, cross...); res.StatusCode != http.StatusCreated {
		t.Errorf("cross-origin API POST: %d %s", res.StatusCode, res.Body)
	}
	browser := f.login("sales1")
	res := browser.post("/customers", url.Values{"name": {"跨站客户"}}, cross...)
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin screen POST: %d, want 403", res.StatusCode)
	}
}

// TestAPILostUpdate: a PATCH or DELETE based on an old version is 412 and
// changes nothing; the current ETag goes through.
func TestAPILostUpdate(t *testing.T) {
	f := newFixture(t)
	api := f.apiAs(f.sales1, models.RoleSales, true)
	path := "/api/v1/customers/" + strconv.FormatInt(f.mine["customer"].id, 10)
	first := api.do("GET", path, "")
	etag := first.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	if res := api.do("PATCH", path, `{"phone":"010-1"}`, "If-Match", etag); res.StatusCode != http.StatusOK {
		t.Fatalf("first writer: %d %s", res.StatusCode, res.Body)
	}
	before := f.snapshot()
	res := api.do("PATCH", path, `{"phone":"010-2"}`, "If-Match", etag)
	if res.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("second writer with the old ETag: %d, want 412", res.StatusCode)
	}
	if res := api.do("DELETE", path, "", "If-Match", etag); res.StatusCode != http.StatusPreconditionFailed {
		t.Fatalf("delete with the old ETag: %d, want 412", res.StatusCode)
	}
	if f.snapshot() != before {
		t.Error("a 412 changed data")
	}
	cur := api.do("GET", path, "")
	if res := api.do("PATCH", path, `{"phone":"010-3"}`, "If-Match", cur.Header.Get("ETag")); res.StatusCode != http.StatusOK {
		t.Errorf("with the current ETag: %d", res.StatusCode)
	}
}

// TestAPIIdempotentRetry: a POST retried with the same key returns the
// first answer and creates one record.
func TestAPIIdempotentRetry(t *testing.T) {
	f := newFixture(t)
	api := f.apiAs(f.sales1, models.RoleSales, true)
	count := func() int {
		var n int
		if err := f.db.Read.QueryRow(`SELECT count(*) FROM customers WHERE name = '重试客户'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	first := api.do("POST", "/api/v1/customers", `{"name":"重试客户"}`, "Idempotency-Key", "k-1")
	if first.StatusCode != http.StatusCreated {
		t.Fatalf("first: %d %s", first.StatusCode, first.Body)
	}
	// Concurrent retries too: the key serialises them.
	var wg sync.WaitGroup
	results := make([]*response, 4)
	for i := range results {
		wg.Go(func() {
			results[i] = api.do("POST", "/api/v1/customers", `{"name":"重试客户"}`, "Idempotency-Key", "k-1")
		})
	}
	wg.Wait()
	for _, r := range results {
		if r.StatusCode != http.StatusCreated || r.Body != first.Body || r.Header.Get("Location") != first.Header.Get("Location") ||
			r.Header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retry: %d %q %s", r.StatusCode, r.Header.Get("Location"), r.Body)
		}
	}
	if n := count(); n != 1 {
		t.Errorf("%d records after retries, want 1", n)
	}
	if res := api.do("POST", "/api/v1/customers", `{"name":"重试客户"}`, "Idempotency-Key", "k-2"); res.StatusCode != http.StatusCreated {
		t.Errorf("another key: %d", res.StatusCode)
	}
	if n := count(); n != 2 {
		t.Errorf("%d records after a new key, want 2", n)
	}
	if res := api.do("POST", "/api/v1/prospects", `{"name":"重试客户"}`, "Idempotency-Key", "k-1"); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("the key on another endpoint: %d", res.StatusCode)
	}
}

// TestAPIProblems: the domain's field errors in the token owner's
// language; bad JSON, unknown fields and big bodies refused.
func TestAPIProblems(t *testing.T) {
	f := newFixture(t)
	api := f.apiAs(f.sales1, models.RoleSales, true)
	res := api.do("POST", "/api/v1/customers", `{"name":"","email":"not-an-address"}`)
	p := decode[problemJSON](t, res)
	if res.StatusCode != http.StatusUnprocessableEntity || p.Errors["name"] != "必填" || p.Errors["email"] == "" {
		t.Errorf("zh: %d %+v", res.StatusCode, p)
	}
	if err := f.db.SetUserLang(context.Background(), f.sales1, "en"); err != nil {
		t.Fatal(err)
	}
	p = decode[problemJSON](t, api.do("POST", "/api/v1/customers", `{"name":""}`))
	if p.Errors["name"] != "Required" {
		t.Errorf("en: %+v", p)
	}
	for name, body := range map[string]string{"bad json": `{"name":`, "unknown field": `{"name":"x","nmae":"y"}`, "empty": ``} {
		method := "POST"
		if res := api.do(method, "/api/v1/customers", body); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d %s", name, res.StatusCode, res.Body)
		}
	}
	big := `{"name":"x","notes":"` + strings.Repeat("长", apiMaxBody) + `"}`
	if res := api.do("POST", "/api/v1/customers", big); res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("big body: %d", res.StatusCode)
	}
	if res := api.do("GET", "/api/v1/customers?cursor=zzz", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad cursor: %d", res.StatusCode)
	}
	api.check = false // not a documented path
	if res := api.do("GET", "/api/v1/nothing", ""); res.StatusCode != http.StatusNotFound ||
		!strings.HasPrefix(res.Header.Get("Content-Type"), "application/problem+json") {
		t.Errorf("unknown path: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

// TestAPIRateLimit: past the burst a token gets 429 with Retry-After, and
// is served again once the clock has moved on; another token is not
// affected.
func TestAPIRateLimit(t *testing.T) {
	a := newTestAppWith(t, Config{APIRate: 1, APIBurst: 2})
	id := a.addUser("sales1", models.RoleSales)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	a.db.SetClock(func() time.Time { return now })
	api := a.apiAs(id, models.RoleSales, false)
	for range 2 {
		if res := api.do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusOK {
			t.Fatalf("within the burst: %d", res.StatusCode)
		}
	}
	res := api.do("GET", "/api/v1/me", "")
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" {
		t.Fatalf("past the burst: %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
	}
	if res := a.apiAs(id, models.RoleSales, false).do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusOK {
		t.Errorf("another token: %d", res.StatusCode)
	}
	now = now.Add(time.Second)
	if res := api.do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusOK {
		t.Errorf("a second later: %d", res.StatusCode)
	}
}

// TestAPIHistoryVia: a change through the API is in the record's history
// as made via the token.
func TestAPIHistoryVia(t *testing.T) {
	f := newFixture(t)
	api := f.apiAs(f.sales1, models.RoleSales, true)
	id := f.mine["customer"].id
	if res := api.do("PATCH", "/api/v1/customers/"+strconv.FormatInt(id, 10), `{"phone":"010-88"}`); res.StatusCode != http.StatusOK {
		t.Fatal(res.StatusCode)
	}
	h, err := f.db.History(context.Background(), "customer", id, 1)
	if err != nil || len(h) != 1 || h[0].Via != models.ViaAPIToken+"测试令牌" {
		t.Fatalf("history %+v %v", h, err)
	}
	card := f.login("sales1").get("/customers/" + strconv.FormatInt(id, 10))
	if !strings.Contains(card.Body, "通过 API 令牌「测试令牌」") {
		t.Error("the card's history does not say the change came through the API")
	}
}

// TestAPITokenPages: create on the profile page (secret shown once, then
// usable), listed with last use, revoked; a colleague cannot revoke it;
// the admin sees and revokes everyone's.
func TestAPITokenPages(t *testing.T) {
	f := newFixture(t)
	browser := f.login("sales1")
	res := browser.post("/profile/api-tokens", url.Values{"name": {""}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("no name: %d", res.StatusCode)
	}
	res = browser.post("/profile/api-tokens", url.Values{"name": {"官网表单"}, "access": {"write"}})
	secret := regexp.MustCompile(`ky_[A-Za-z0-9_-]{43}`).FindString(res.Body)
	if res.StatusCode != http.StatusOK || secret == "" {
		t.Fatalf("create: %d, secret %q", res.StatusCode, secret)
	}
	api := &apiClient{t: t, app: f.testApp, token: secret, check: true}
	if res := api.do("POST", "/api/v1/customers", `{"name":"令牌页客户"}`); res.StatusCode != http.StatusCreated {
		t.Errorf("the new token writes: %d", res.StatusCode)
	}
	list := browser.get("/profile/api-tokens")
	if !strings.Contains(list.Body, "官网表单") || strings.Contains(list.Body, secret) || strings.Contains(list.Body, "尚未使用") {
		t.Error("the list shows the token without its secret, with its last use")
	}
	toks, err := f.db.APITokens(context.Background(), models.Actor{ID: f.sales1, Role: models.RoleSales}, false)
	if err != nil || len(toks) != 1 {
		t.Fatal(toks, err)
	}
	path := fmt.Sprintf("/profile/api-tokens/%d/revoke", toks[0].ID)
	if res := f.login("sales2").post(path, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("a colleague revokes: %d", res.StatusCode)
	}
	if all := f.login("admin").get("/admin/api-tokens"); !strings.Contains(all.Body, "官网表单") {
		t.Error("the admin does not see the token")
	}
	if res := f.login("admin").post(fmt.Sprintf("/admin/api-tokens/%d/revoke", toks[0].ID), nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("admin revokes: %d", res.StatusCode)
	}
	if res := api.do("GET", "/api/v1/me", ""); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("revoked token: %d", res.StatusCode)
	}
	if res := f.login("sales1").get("/api-docs"); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "/api/v1/customers/{id}") {
		t.Errorf("docs page: %d", res.StatusCode)
	}
}

// TestAPICursorWalk walks 10,000 records page by page while another client
// inserts: every record that existed throughout is seen exactly once, and
// no record twice, in the id order and in a name order.
func TestAPICursorWalk(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	const n = 10_000
	existing := map[int64]bool{f.mine["customer"].id: true, f.theirs["customer"].id: true}
	// Bulk writes the category columns as given: real items, not NULL.
	item := map[string]int64{}
	for _, typ := range []string{"industry", "source", "grade", "region", "sales_stage"} {
		items, err := f.db.AuxItemsOf(ctx, typ)
		if err != nil || len(items) == 0 {
			t.Fatal(typ, err)
		}
		item[typ] = items[0].ID
	}
	err := f.db.WithBulk(ctx, func(b *models.Bulk) error {
		code, err := b.Numbers("customer", n)
		if err != nil {
			return err
		}
		for i := range n {
			// Names in a shuffled order, so the name order is not the id order.
			id, err := b.Customer(&models.Customer{Kind: "customer", Code: code(i), Name: fmt.Sprintf("游标客户%05d", (i*7919)%n),
				IndustryID: item["industry"], SourceID: item["source"], GradeID: item["grade"], RegionID: item["region"],
				StageID: item["sales_stage"], OwnerID: f.sales1, Status: "active", CreatedAt: b.Now, UpdatedAt: b.Now})
			if err != nil {
				return err
			}
			existing[id] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, query := range []string{"limit=200", "limit=200&sort=name&dir=desc"} {
		t.Run(query, func(t *testing.T) {
			walker := f.apiAs(f.manager, models.RoleManager, false)
			walker.check = false // 10,000 records: the schema is checked by the other tests
			writer := f.apiAs(f.sales2, models.RoleSales, true)
			writer.check = false
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					// Names that sort among the walked ones, before and after the cursor.
					writer.do("POST", "/api/v1/customers", fmt.Sprintf(`{"name":"游标客户%05d插入%d"}`, (i*3571)%n, i))
				}
			})
			seen := map[int64]int{}
			cursor, pages := "", 0
			for {
				res := walker.do("GET", "/api/v1/customers?"+query+"&cursor="+url.QueryEscape(cursor), "")
				if res.StatusCode != http.StatusOK {
					t.Fatalf("page %d: %d %s", pages, res.StatusCode, res.Body)
				}
				page := decode[apiPage[apiCustomer]](t, res)
				for _, c := range page.Data {
					seen[c.ID]++
				}
				pages++
				if page.NextCursor == nil {
					break
				}
				cursor = *page.NextCursor
			}
			close(stop)
			wg.Wait()
			for id, k := range seen {
				if k != 1 {
					t.Errorf("record %d seen %d times", id, k)
				}
			}
			missing := 0
			for id := range existing {
				if seen[id] != 1 {
					missing++
				}
			}
			if missing > 0 {
				t.Errorf("%d records that existed throughout were not seen", missing)
			}
			if len(seen) <= len(existing) && query == "limit=200" {
				t.Logf("no concurrent insert landed in the walk (%d seen)", len(seen))
			}
			t.Logf("%s: %d pages, %d records seen, %d existed throughout", query, pages, len(seen), len(existing))
		})
	}
}

// activityPlanArticle makes an activity record and a plan of sales1, and a
// knowledge article.
func (f *fixture) activityPlanArticle(t *testing.T) (activity, plan, article int64) {
	t.Helper()
	ctx := context.Background()
	s1 := models.Actor{ID: f.sales1, Role: models.RoleSales}
	a := models.Activity{Date: "2026-12-01", Subject: "拜访", Content: "介绍产品", CustomerID: f.mine["customer"].id, OwnerID: f.sales1}
	if err := f.db.SaveActivity(ctx, s1, &a); err != nil {
		t.Fatal(err)
	}
	p := models.Plan{Date: "2026-12-10", Subject: "回访", CustomerID: f.mine["customer"].id, OwnerID: f.sales1, RemindMinutes: -1}
	if err := f.db.SavePlan(ctx, s1, &p); err != nil {
		t.Fatal(err)
	}
	art := models.Article{Title: "打印机卡纸", Symptom: "卡纸", Solution: "清理纸路"}
	if err := f.db.SaveArticle(ctx, models.Actor{ID: f.service, Role: models.RoleService}, &art); err != nil {
		t.Fatal(err)
	}
	return a.ID, p.ID, art.ID
}

// TestAPISearch: the search page's index and row rules: a salesperson
// finds their own customer, not a colleague's.
func TestAPISearch(t *testing.T) {
	f := newFixture(t)
	f.sync()
	type hits struct {
		Data  []apiSearchHit `json:"data"`
		Total int            `json:"total"`
	}
	api := f.apiAs(f.sales1, models.RoleSales, false)
	find := func(name string) []apiSearchHit {
		res := api.do("GET", "/api/v1/search?kind=customer&q="+url.QueryEscape(name), "")
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%d %s", res.StatusCode, res.Body)
		}
		return decode[hits](t, res).Data
	}
	if h := find(f.mine["customer"].name); len(h) == 0 || h[0].ID != f.mine["customer"].id {
		t.Errorf("own customer: %+v", h)
	}
	for _, hit := range find(f.theirs["customer"].name) {
		if hit.ID == f.theirs["customer"].id {
			t.Errorf("a salesperson found a colleague's customer: %+v", hit)
		}
	}
	if res := api.do("GET", "/api/v1/search", ""); res.StatusCode != http.StatusBadRequest {
		t.Errorf("no q: %d", res.StatusCode)
	}
}
