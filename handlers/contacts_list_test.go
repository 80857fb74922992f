package handlers

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyuan/models"
)

func TestContactsListAndExportFollowRowRules(t *testing.T) {
	app := newTestApp(t)
	mine := app.addUser("lina", models.RoleSales)
	theirs := app.addUser("wangqiang", models.RoleSales)
	ctx := context.Background()
	for _, x := range []struct {
		owner            int64
		company, contact string
	}{{mine, "我的公司", "张=三"}, {theirs, "别人的公司", "李四"}} {
		err := app.db.CreateCustomer(ctx, models.Actor{ID: x.owner, Role: models.RoleSales},
			&models.Customer{Kind: "customer", Name: x.company}, []models.Contact{{Name: x.contact, Mobile: "13800000000", IsPrimary: true}})
		if err != nil {
			t.Fatal(err)
		}
	}
	c := app.login("lina")
	res := c.get("/contacts")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, "张=三") || strings.Contains(res.Body, "李四") {
		t.Fatalf("list: %d, shows colleague's contact or misses own", res.StatusCode)
	}
	res = c.get("/contacts/export.csv?q=" + url.QueryEscape("公司"))
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != "'张=三" && rows[1][0] != "张=三" || rows[1][8] != "我的公司" {
		t.Fatalf("export %q", rows)
	}
	// The manager sees both; a search narrows them.
	app.addUser("boss", models.RoleManager)
	res = app.login("boss").get("/contacts?q="+url.QueryEscape("李"), "HX-Request", "true", "HX-Target", "results")
	if !strings.Contains(res.Body, "李四") || strings.Contains(res.Body, "张=三") || strings.Contains(res.Body, "<html") {
		t.Fatalf("manager search fragment wrong")
	}
}
