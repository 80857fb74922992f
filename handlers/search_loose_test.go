package handlers

import (
	"net/url"
	"strings"
	"testing"
)

// A query whose words match nothing shows the looser results and says so.
func TestGlobalSearchSaysWhenResultsAreLoose(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("admin")
	res := c.get("/search?q=" + url.QueryEscape("卡机打经"))
	if res.StatusCode != 200 || !strings.Contains(res.Body, "没有完全匹配") || !strings.Contains(res.Body, "卡纸") {
		t.Errorf("loose search: %d, notice %v", res.StatusCode, strings.Contains(res.Body, "没有完全匹配"))
	}
	res = c.get("/search?q=" + url.QueryEscape("打印机卡纸"))
	if strings.Contains(res.Body, "没有完全匹配") {
		t.Error("exact search is marked loose")
	}
}

// The similar panel offers more than its first five hits on demand.
func TestSimilarPanelShowsMoreOnDemand(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("admin")
	q := "/issues/similar?description=" + url.QueryEscape("打印机 发票 密码 网络 快递 空调 投影仪 蓝屏")
	res := c.get(q)
	if res.StatusCode != 200 {
		t.Fatalf("similar: %d", res.StatusCode)
	}
	first := strings.Count(res.Body, `class="hit"`)
	if first != 5 || !strings.Contains(res.Body, "显示更多") || !strings.Contains(res.Body, `hx-vals='{"size": "15"}'`) {
		t.Fatalf("first panel: %d hits, more button %v\n%s", first, strings.Contains(res.Body, "显示更多"), res.Body[strings.Index(res.Body, "</ul>"):])
	}
	res = c.get(q + "&size=15")
	if n := strings.Count(res.Body, `class="hit"`); n <= first {
		t.Errorf("more: %d hits, want more than %d", n, first)
	}
	if res := c.get(q + "&size=100000"); res.StatusCode != 200 || strings.Count(res.Body, `class="hit"`) > 25 {
		t.Errorf("huge size: %d", res.StatusCode)
	}
}
