package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Filters typed into the search box restrict the results and are shown;
// what is not a filter is searched as text, never an error page; the help
// text documents them; names are found by pinyin.
func TestSearchBoxFiltersAndPinyin(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("admin")
	get := func(q string) *response {
		t.Helper()
		res := c.get("/search?q=" + url.QueryEscape(q))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%q: %d", q, res.StatusCode)
		}
		res.Body = strings.NewReplacer("<mark>", "", "</mark>", "").Replace(res.Body)
		return res
	}
	res := get("打印机 type:issue owner:sales1")
	if !strings.Contains(res.Body, "海风的打印机经常卡纸") || strings.Contains(res.Body, "打印机经常卡纸怎么办") ||
		!strings.Contains(res.Body, "共找到 1 条") || !strings.Contains(res.Body, "类型: issue") || !strings.Contains(res.Body, "负责人: sales1") {
		t.Errorf("filtered search: found 1 %v, filter shown %v", strings.Contains(res.Body, "共找到 1 条"), strings.Contains(res.Body, "类型: issue"))
	}
	res = get("类型：问题 状态:open")
	if !strings.Contains(res.Body, "海风的打印机经常卡纸") || !strings.Contains(res.Body, "蓝山的投影仪没有信号") || !strings.Contains(res.Body, "共找到 2 条") {
		t.Error("filters alone do not list the open issues")
	}
	for _, q := range []string{"打印机 owner:nobody", "status:", "after:2026-02-30 打印机", "type:invoice", "a:b:c", "：：", "owner:"} {
		if res := get(q); strings.Contains(res.Body, `class="filters-applied"`) {
			t.Errorf("%q: shown as a filter", q)
		}
	}
	if res := get(""); !strings.Contains(res.Body, "搜索技巧") || !strings.Contains(res.Body, "status:") || !strings.Contains(res.Body, "after:") {
		t.Error("no help text for the filters")
	}
	// 联系人青岛 (the fixture's contact of 青岛海风贸易) by its initials.
	if res := get("lxrqd"); !strings.Contains(res.Body, "联系人青岛") {
		t.Error("contact not found by pinyin initials")
	}
	if res := get("qingdaohaifeng"); !strings.Contains(res.Body, "青岛海风贸易有限公司") {
		t.Error("customer not found by full pinyin")
	}
}
