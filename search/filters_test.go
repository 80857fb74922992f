package search

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

func TestParseFilters(t *testing.T) {
	users := []models.User{{ID: 7, Username: "zhangwei", DisplayName: "张伟"}, {ID: 8, Username: "lina", DisplayName: "李娜"}}
	loc := time.FixedZone("CST", 8*3600)
	rest, f := parseFilters("打印机 type:issue 状态：open OWNER:张伟 负责人:lina after:2026-01-01 before:2026-01-31 卡纸", users, loc)
	if rest != "打印机 卡纸" {
		t.Errorf("rest %q", rest)
	}
	if !slices.Equal(f.kinds, []string{"issue"}) || !slices.Equal(f.statuses, []string{"new", "handling"}) ||
		!slices.Equal(f.owners, []string{"7", "8"}) {
		t.Errorf("filters %+v", f)
	}
	if want := time.Date(2026, 1, 1, 0, 0, 0, 0, loc); !f.after.Equal(want) {
		t.Errorf("after %v", f.after)
	}
	if want := time.Date(2026, 2, 1, 0, 0, 0, 0, loc); !f.before.Equal(want) {
		t.Errorf("before %v (want the end of the day)", f.before)
	}
	if len(f.applied) != 6 {
		t.Errorf("applied %v", f.applied)
	}
	// Unknown keys and unreadable values stay text.
	for _, text := range []string{"http://example.cn", "color:red", "type:invoice", "status:maybe", "owner:nobody",
		"after:yesterday", "after:2026-13-01", "type:", ":issue", "before:1800-01-01"} {
		if rest, f := parseFilters(text, users, loc); rest != text || f.any() {
			t.Errorf("%q: rest %q, filters %v", text, rest, f.applied)
		}
	}
	if _, f := parseFilters("类型:知识库 type:客户 kind:CONTACT", nil, loc); !slices.Equal(f.kinds, []string{"article", "customer", "contact"}) {
		t.Errorf("Chinese types: %v", f.kinds)
	}
}

// Filters typed into the box restrict the query itself: totals are those
// of the filtered set, a filter alone lists what it allows, newest first,
// and bad filters are searched as text, never an error.
func TestSearchFiltersInTheQuery(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.open()
	day := time.Date(2026, 1, 10, 4, 0, 0, 0, time.UTC)
	f.db.SetClock(func() time.Time { return day })
	zw, err := f.db.CreateUser(ctx, 1, models.NewUser{Username: "zhangwei", DisplayName: "张伟", Role: models.RoleSales, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	own := &models.Customer{Kind: "customer", Name: "张伟的打印机客户", OwnerID: zw}
	other := &models.Customer{Kind: "customer", Name: "别人的打印机客户", OwnerID: 1}
	for _, c := range []*models.Customer{own, other} {
		if err := f.db.CreateCustomer(ctx, admin, c, nil); err != nil {
			t.Fatal(err)
		}
	}
	issue := func(cust int64, subject string, at time.Time) *models.Issue {
		f.db.SetClock(func() time.Time { return at })
		i := &models.Issue{CustomerID: cust, Subject: subject, Priority: "normal", Channel: "phone"}
		if err := f.db.CreateIssue(ctx, admin, i); err != nil {
			t.Fatal(err)
		}
		return i
	}
	issue(own.ID, "打印机卡纸（去年）", time.Date(2025, 12, 20, 2, 0, 0, 0, time.UTC))
	issue(own.ID, "打印机卡纸（今年）", time.Date(2026, 1, 5, 2, 0, 0, 0, time.UTC))
	done := issue(other.ID, "打印机卡纸（已解决）", time.Date(2026, 1, 6, 2, 0, 0, 0, time.UTC))
	f.db.SetClock(func() time.Time { return day })
	if err := f.db.AddHandling(ctx, admin, &models.Handling{IssueID: done.ID, HandledOn: "2026-01-06", HandlerID: 1,
		Content: "更换搓纸轮", Result: "已恢复"}, "resolved"); err != nil {
		t.Fatal(err)
	}
	a := &models.Article{Title: "打印机经常卡纸怎么办", Symptom: "卡纸"}
	if err := f.db.SaveArticle(ctx, admin, a); err != nil {
		t.Fatal(err)
	}
	if err := svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	search := func(text string) ([]string, *Results) {
		t.Helper()
		res := f.search(admin, Query{Text: text, Size: 20, CountByKind: true})
		got := titles(res)
		slices.Sort(got)
		return got, res
	}
	for text, want := range map[string][]string{
		"打印机 type:issue":                                   {"打印机卡纸（今年）", "打印机卡纸（去年）", "打印机卡纸（已解决）"},
		"打印机 type:issue status:open":                       {"打印机卡纸（今年）", "打印机卡纸（去年）"},
		"打印机 status:已解决":                                   {"打印机卡纸（已解决）"},
		"打印机 owner:张伟":                                     {"张伟的打印机客户", "打印机卡纸（今年）", "打印机卡纸（去年）"},
		"打印机 owner:zhangwei type:客户":                       {"张伟的打印机客户"},
		"卡纸 type:issue after:2026-01-01":                   {"打印机卡纸（今年）", "打印机卡纸（已解决）"},
		"卡纸 type:issue before:2025-12-20":                  {"打印机卡纸（去年）"},
		"卡纸 type:issue after:2026-01-06 before:2026-01-06": {"打印机卡纸（已解决）"},
		"type:article":                                     {"打印机经常卡纸怎么办"},
	} {
		got, res := search(text)
		if !slices.Equal(got, want) {
			t.Errorf("%q: got %q, want %q", text, got, want)
		}
		if res.Total != len(want) {
			t.Errorf("%q: total %d, want %d", text, res.Total, len(want))
		}
		if len(res.Filters) == 0 {
			t.Errorf("%q: no filters reported", text)
		}
	}
	// A filter alone lists the newest first.
	res := f.search(admin, Query{Text: "type:issue", Size: 20})
	if got := titles(res); !slices.Equal(got, []string{"打印机卡纸（已解决）", "打印机卡纸（今年）", "打印机卡纸（去年）"}) {
		t.Errorf("filters alone: %q", got)
	}
	// The tab's kind and the typed type: together.
	if res := f.search(admin, Query{Text: "打印机 type:issue", Kinds: []string{"customer"}, Size: 5}); len(res.Hits) != 0 {
		t.Errorf("tab customer, type:issue: %q", titles(res))
	}
	// Bad filters are text: nothing matches owner:nobody, and no error.
	for _, text := range []string{"打印机 owner:nobody", "after:yesterday", "status:", "type:invoice 打印机"} {
		if _, err := svc.Search(ctx, admin, Query{Text: text, Size: 5}); err != nil {
			t.Errorf("%q: %v", text, err)
		}
	}
	if res := f.search(admin, Query{Text: "打印机 owner:nobody", Size: 5}); len(res.Filters) != 0 {
		t.Errorf("unknown owner applied as a filter: %v", res.Filters)
	}
	// A salesperson's own rule still applies under an owner: filter.
	sales := models.Actor{ID: zw, Role: models.RoleSales}
	if got := titles(f.search(sales, Query{Text: "打印机 owner:admin", Size: 5})); len(got) != 0 {
		t.Errorf("salesperson sees another owner's records: %q", got)
	}
	if !strings.Contains(stripMarks(string(f.search(admin, Query{Text: "卡纸 type:issue", Size: 1}).Hits[0].Title)), "卡纸") {
		t.Error("the text part is not highlighted")
	}
}
