package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// The admin edits the synonym list; a saved list applies to the next search
// without a restart, and a bad list is refused with the line at fault and
// the form showing what was typed.
func TestAdminEditsSearchSynonyms(t *testing.T) {
	f := newServiceFixture(t)
	c := f.app.login("admin")
	res := c.get("/admin/search/synonyms")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "登不上, 无法登录") || !strings.Contains(res.Body, "内置的初始同义词表") {
		t.Fatalf("synonym page: %d, starter list shown %v", res.StatusCode, strings.Contains(res.Body, "登不上, 无法登录"))
	}
	if res := c.get("/settings"); !strings.Contains(res.Body, `href="/admin/search/synonyms"`) {
		t.Error("no tile on the settings page")
	}
	if res := c.get("/admin/search"); !strings.Contains(res.Body, `href="/admin/search/synonyms"`) {
		t.Error("no link on the search index page")
	}

	const q = "/search?kind=article&q="
	found := func(word string) bool {
		t.Helper()
		res := c.get(q + url.QueryEscape(word))
		return strings.Contains(res.Body, "打印机经常卡纸怎么办") && !strings.Contains(res.Body, "没有完全匹配")
	}
	if found("吃纸") {
		t.Fatal("吃纸 finds the paper-jam article before any synonym says so")
	}

	for name, bad := range map[string]struct{ text, msg string }{
		"one word":   {"登不上, 无法登录\n吃纸", "第 2 行：只有一个词"},
		"empty":      {"登不上, 无法登录\n\n，、；", "第 3 行：这一组里没有词"},
		"long line":  {"卡纸, " + strings.Repeat("很长的说法", 50), "第 1 行：太长了：每行最多 200 个字"},
		"long word":  {"卡纸, " + strings.Repeat("长", 31), "每个词最多 30 个字"},
		"only space": {"吃纸", "第 1 行：只有一个词"},
	} {
		t.Run(name, func(t *testing.T) {
			res := c.post("/admin/search/synonyms", url.Values{"synonyms": {bad.text}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, bad.msg) {
				t.Errorf("%d, want 422 with %q", res.StatusCode, bad.msg)
			}
			if first := strings.SplitN(bad.text, "\n", 2)[0]; !strings.Contains(res.Body, first) {
				t.Errorf("typed text not shown again")
			}
		})
	}
	if found("吃纸") {
		t.Fatal("a refused list was applied")
	}

	res = c.post("/admin/search/synonyms", url.Values{"synonyms": {"吃纸、卡纸、夹纸\r\n\r\n登不上 无法登录\n打款，付款, 打款"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", res.StatusCode)
	}
	res = c.get("/admin/search/synonyms")
	if !strings.Contains(res.Body, "吃纸, 卡纸, 夹纸\n登不上, 无法登录\n打款, 付款<") || strings.Contains(res.Body, "内置的初始同义词表") {
		t.Errorf("saved list not shown as saved:\n%s", res.Body[strings.Index(res.Body, "<textarea"):strings.Index(res.Body, "</textarea>")])
	}
	if !found("吃纸") {
		t.Error("the saved synonym does not apply without a restart")
	}
	// The starter list is replaced, not added to: 退钱 → 退款 is gone.
	if res := c.get(q + url.QueryEscape("退钱")); strings.Contains(res.Body, "如何退货退款") && !strings.Contains(res.Body, "没有完全匹配") {
		t.Error("a starter group still applies after the admin's list replaced it")
	}
	// Other roles may not edit it.
	if res := f.app.login("kefu").post("/admin/search/synonyms", url.Values{"synonyms": {"a, b"}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("service staff saving synonyms: %d", res.StatusCode)
	}
}
