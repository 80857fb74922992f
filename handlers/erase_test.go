package handlers

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keyuan/models"
)

// personTraces lists where any of the values still stands: every text
// column of every table, and the mail files.
func personTraces(t *testing.T, app *testApp, values ...string) []string {
	t.Helper()
	var found []string
	rows, err := app.db.Read.Query(`SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND (upper(c.type) LIKE '%TEXT%' OR c.type = '')`)
	if err != nil {
		t.Fatal(err)
	}
	var cols [][2]string
	for rows.Next() {
		var tb, col string
		rows.Scan(&tb, &col)
		cols = append(cols, [2]string{tb, col})
	}
	rows.Close()
	for _, v := range values {
		for _, c := range cols {
			var n int
			app.db.Read.QueryRow(`SELECT COUNT(*) FROM "`+c[0]+`" WHERE instr("`+c[1]+`", ?) > 0`, v).Scan(&n)
			if n > 0 {
				found = append(found, c[0]+"."+c[1]+" holds "+v)
			}
		}
		files, _ := filepath.Glob(filepath.Join(app.srv.cfg.DataDir, "mail", "*.eml"))
		for _, f := range files {
			if b, _ := os.ReadFile(f); strings.Contains(string(b), v) {
				found = append(found, filepath.Base(f)+" holds "+v)
			}
		}
	}
	return found
}

// TestErasePersonLeavesNoTrace (PIPL): after an admin erases a customer,
// its people's names, phones and addresses are nowhere — records, campaign
// lists, outbox, mail files, history — while its activity records stay.
func TestErasePersonLeavesNoTrace(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	cu := &models.Customer{Kind: "customer", Name: "抹除测试有限公司", Phone: "021-66668888", Email: "office@erase-test.cn",
		Address: "上海市抹除路88号", OwnerID: 1}
	contact := models.Contact{Name: "王抹除", Title: "采购经理", Mobile: "13912345678", Email: "wang.erase@example.cn"}
	if err := app.db.CreateCustomer(ctx, admin, cu, []models.Contact{contact}); err != nil {
		t.Fatal(err)
	}
	cu.Phone = "021-66669999" // a change: the old and new numbers are in the history
	if err := app.db.UpdateCustomer(ctx, admin, cu); err != nil {
		t.Fatal(err)
	}
	if err := app.db.SaveActivity(ctx, admin, &models.Activity{Date: "2026-03-02", CustomerID: cu.ID, Subject: "拜访"}); err != nil {
		t.Fatal(err)
	}
	m := &models.Campaign{Name: "抹除测试活动", StartDate: "2026-04-01", EndDate: "2026-04-01", OwnerID: 1}
	if err := app.db.SaveCampaign(ctx, admin, m); err != nil {
		t.Fatal(err)
	}
	if _, err := app.db.AddTargetCustomers(ctx, admin, m.ID, []int64{cu.ID}); err != nil {
		t.Fatal(err)
	}
	c := app.login("admin")
	res := c.post("/campaigns/"+id(m.ID)+"/send", url.Values{"subject": {"{{.联系人}}您好"}, "text": {"尊敬的{{.联系人}}"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("send: %d", res.StatusCode)
	}
	app.app.Scheduler.Settle()
	if _, err := app.outbox.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	secrets := []string{"王抹除", "13912345678", "wang.erase@example.cn", "021-66668888", "021-66669999", "office@erase-test.cn", "抹除路"}
	if len(personTraces(t, app, secrets...)) < 5 {
		t.Fatal("the set-up did not copy the person's data around")
	}
	card := "/customers/" + id(cu.ID)

	app.addUser("zhang", models.RoleSales)
	if res := app.login("zhang").post(card+"/erase", url.Values{"confirm_code": {cu.Code}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("a salesperson's erase: %d", res.StatusCode)
	}
	if res := c.post(card+"/erase", url.Values{"confirm_code": {"WRONG"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("wrong code: %d", res.StatusCode)
	}
	if len(personTraces(t, app, "王抹除")) == 0 {
		t.Fatal("a wrong code erased")
	}
	if res := c.post(card+"/erase", url.Values{"confirm_code": {cu.Code}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("erase: %d", res.StatusCode)
	}
	if left := personTraces(t, app, secrets...); len(left) > 0 {
		t.Errorf("personal data left after the erasure:\n%s", strings.Join(left, "\n"))
	}
	var activities int
	app.db.Read.QueryRow(`SELECT COUNT(*) FROM activities WHERE customer_id = ?`, cu.ID).Scan(&activities)
	if activities != 1 {
		t.Errorf("business records gone: %d activities", activities)
	}
	if body := c.get(card).Body; !strings.Contains(body, "删除个人信息") || !strings.Contains(body, cu.Code) {
		t.Error("the card's history does not record the erasure with the code")
	}
	if res := c.post(card+"/erase", url.Values{"confirm_code": {cu.Code}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("erasing twice: %d", res.StatusCode)
	}
}
