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
