package handlers

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"keyuan/models"
)

// TestRecycleBinThroughTheScreens: a salesperson deletes a customer from its
// card; it leaves the list, the export and the search; a colleague can
// neither delete nor restore it; the bin shows it and restores it whole.
func TestRecycleBinThroughTheScreens(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	zhang := app.addUser("zhang", models.RoleSales)
	app.addUser("li", models.RoleSales)
	c := &models.Customer{Kind: "customer", Name: "回收站测试贸易有限公司", Phone: "021-5555"}
	if err := app.db.CreateCustomer(ctx, models.Actor{ID: zhang, Role: models.RoleSales}, c,
		[]models.Contact{{Name: "周联系", Mobile: "13900000001"}}); err != nil {
		t.Fatal(err)
	}
	app.sync()
	card := "/customers/" + strconv.FormatInt(c.ID, 10)
	z, li := app.login("zhang"), app.login("li")

	if res := li.post(card+"/delete", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a colleague's delete: %d", res.StatusCode)
	}
	if res := z.get(card); !strings.Contains(res.Body, `action="`+card+`/delete"`) || !strings.Contains(res.Body, "data-confirm") {
		t.Fatal("the card has no delete button with a confirmation")
	}
	if res := z.post(card+"/delete", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/customers" {
		t.Fatalf("delete: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	app.sync()
	if res := z.get(card); res.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted card: %d", res.StatusCode)
	}
	for _, p := range []string{"/customers", "/customers/export.csv", "/contacts", "/search?q=" + url.QueryEscape("回收站测试")} {
		if res := z.get(p); strings.Contains(res.Body, "回收站测试贸易") || strings.Contains(res.Body, "周联系") {
			t.Errorf("%s still shows the deleted customer", p)
		}
	}
	bin := z.get("/trash")
	if !strings.Contains(bin.Body, "回收站测试贸易有限公司") || !strings.Contains(bin.Body, c.Code) {
		t.Fatalf("the bin does not list it:\n%.1500s", bin.Body)
	}
	if res := li.get("/trash"); strings.Contains(res.Body, "回收站测试贸易") {
		t.Error("a colleague's bin shows it")
	}
	m := regexp.MustCompile(`action="/trash/(\d+)/restore"`).FindStringSubmatch(bin.Body)
	if m == nil {
		t.Fatal("no restore button")
	}
	if res := li.post("/trash/"+m[1]+"/restore", nil); res.StatusCode != http.StatusNotFound {
		t.Fatalf("a colleague's restore: %d", res.StatusCode)
	}
	if res := z.post("/trash/"+m[1]+"/restore", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != card {
		t.Fatalf("restore: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	app.sync()
	if res := z.get(card); res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "周联系") {
		t.Fatalf("the restored card: %d", res.StatusCode)
	}
	if res := z.get("/search?q=" + url.QueryEscape("回收站测试")); !strings.Contains(res.Body, "回收站测试贸易") {
		t.Error("the restored customer is not found by search again")
	}
}

// TestBatchDeleteAsksWithTheCount: a batch delete first shows how many
// records will go, and only the confirmed post deletes them.
func TestBatchDeleteAsksWithTheCount(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	zhang := app.addUser("zhang", models.RoleSales)
	var ids []string
	for i := range 3 {
		c := &models.Customer{Kind: "customer", Name: "批量删除" + strconv.Itoa(i)}
		if err := app.db.CreateCustomer(ctx, models.Actor{ID: zhang, Role: models.RoleSales}, c, nil); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, strconv.FormatInt(c.ID, 10))
	}
	z := app.login("zhang")
	ask := z.post("/customers/batch", url.Values{"action": {"delete"}, "id": ids[:2]})
	if ask.StatusCode != http.StatusOK || !strings.Contains(ask.Body, "删除 2 条记录") {
		t.Fatalf("confirmation: %d\n%.1000s", ask.StatusCode, ask.Body)
	}
	var n int
	app.db.Read.QueryRow(`SELECT COUNT(*) FROM customers`).Scan(&n)
	if n != 3 {
		t.Fatal("the question already deleted")
	}
	res := z.post("/customers/batch", url.Values{"action": {"delete"}, "confirm": {"1"}, "id": ids[:2]})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("confirmed: %d", res.StatusCode)
	}
	app.db.Read.QueryRow(`SELECT COUNT(*) FROM customers`).Scan(&n)
	if n != 1 {
		t.Errorf("%d customers left, want 1", n)
	}
	if list := z.get("/customers"); !strings.Contains(list.Body, "已将 2 条记录移入回收站") {
		t.Error("no message with the count")
	}
}
