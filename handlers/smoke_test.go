package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSmokeCreateCustomer(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	res := c.post("/customers", url.Values{"name": {"上海测试有限公司"}, "phone": {"021-12345678"}, "contact_name": {"王伟"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	loc := res.Header.Get("Location")
	res = c.get(loc)
	if res.StatusCode != 200 || !strings.Contains(res.Body, "上海测试有限公司") || !strings.Contains(res.Body, "王伟") {
		t.Fatalf("card: %d", res.StatusCode)
	}
	res = c.get("/customers?q=" + url.QueryEscape("测试"))
	if !strings.Contains(res.Body, "上海测试有限公司") {
		t.Fatal("list does not find it")
	}
}
