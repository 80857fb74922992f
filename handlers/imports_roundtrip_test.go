package handlers

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"keyuan/models"
)

// hostile values as people type them or as attacks arrive: formulas,
// phones with a leading +, quotes, separators, line breaks.
var roundTripNames = []string{
	"=HYPERLINK(\"http://evil.example\",\"点我\")",
	"+86 上海宏达",
	"-负号开头贸易有限公司",
	"@SUM(A1) 科技",
	"含有,逗号;分号\t制表符的公司",
	"“引号”与\"双引号\"公司",
	"普通公司",
}

// TestExportImportRoundTrip: a file exported from the customer or prospect
// list, in CSV or XLSX, imports back into an empty database unchanged: the
// CSV's formula-defusing apostrophe comes off, nothing else changes.
func TestExportImportRoundTrip(t *testing.T) {
	for _, kind := range []string{"customer", "prospect"} {
		for _, format := range []string{"csv", "xlsx"} {
			t.Run(kind+"-"+format, func(t *testing.T) {
				src := newTestApp(t)
				admin := models.Actor{ID: 1, Role: models.RoleAdmin}
				for i, n := range roundTripNames {
					cu := &models.Customer{Kind: kind, Name: n, OwnerID: 1, Status: "active",
						Phone: "+86 21 5555 010" + fmt.Sprint(i), Notes: "=1+1 第" + fmt.Sprint(i) + "行\n第二行"}
					if err := src.db.CreateCustomer(context.Background(), admin, cu, nil); err != nil {
						t.Fatal(err)
					}
				}
				base := "/customers"
				if kind == "prospect" {
					base = "/prospects"
				}
				file := src.login("admin").get(base + "/export." + format + "?sort=code")
				if file.StatusCode != 200 {
					t.Fatalf("export: %d", file.StatusCode)
				}
				dst := newTestApp(t)
				c := dst.login("admin")
				job := dst.runImport(c, kind, "export."+format, []byte(file.Body), "skip")
				if job.Created != len(roundTripNames) || job.Failed != 0 {
					results, _ := dst.db.ImportResults(context.Background(), job.ID, -1)
					t.Fatalf("created %d failed %d: %+v", job.Created, job.Failed, results)
				}
				for i, n := range roundTripNames {
					cu := customerByName(t, dst.db, kind, n)
					if want := "+86 21 5555 010" + fmt.Sprint(i); cu.Phone != want {
						t.Errorf("%q: phone %q, want %q", n, cu.Phone, want)
					}
					if want := "=1+1 第" + fmt.Sprint(i) + "行\n第二行"; cu.Notes != want {
						t.Errorf("%q: notes %q, want %q", n, cu.Notes, want)
					}
				}
			})
		}
	}
}

// TestContactsExportImportRoundTrip: the contact list's export imports back
// onto the same customers with the same values.
func TestContactsExportImportRoundTrip(t *testing.T) {
	app := newTestApp(t)
	ctx := context.Background()
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	cu := &models.Customer{Kind: "customer", Name: "南京蓝海科技有限公司", OwnerID: 1, Status: "active"}
	contacts := []models.Contact{
		{Name: "=王芳", Title: "+采购经理", Mobile: "13800138000", Email: "wang@example.com", Birthday: "1985-11-23"},
		{Name: "李雷", Title: "总经理;董事", Phone: "+86 25 8888 0101"},
	}
	if err := app.db.CreateCustomer(ctx, admin, cu, contacts); err != nil {
		t.Fatal(err)
	}
	c := app.login("admin")
	for _, format := range []string{"csv", "xlsx"} {
		file := c.get("/contacts/export." + format)
		if _, err := app.db.Write.Exec(`DELETE FROM contacts WHERE customer_id = ?`, cu.ID); err != nil {
			t.Fatal(err)
		}
		job := app.runImport(c, "contact", "contacts."+format, []byte(file.Body), "skip")
		if job.Created != 2 || job.Failed != 0 {
			results, _ := app.db.ImportResults(ctx, job.ID, -1)
			t.Fatalf("%s: created %d failed %d: %+v", format, job.Created, job.Failed, results)
		}
		got, err := app.db.Contacts(ctx, cu.ID)
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]models.Contact{}
		for _, g := range got {
			byName[g.Name] = g
		}
		for _, want := range contacts {
			g := byName[want.Name]
			if g.Title != want.Title || g.Mobile != want.Mobile || g.Phone != want.Phone || g.Email != want.Email ||
				g.Birthday != want.Birthday {
				t.Errorf("%s: %q came back as %+v", format, want.Name, g)
			}
		}
	}
}

// TestImportCategoryItemsOnlyByAdmins: a salesperson's import does not add
// items to the category lists: an unknown value is left empty, and asking
// for a new item is refused.
func TestImportCategoryItemsOnlyByAdmins(t *testing.T) {
	app := newTestApp(t)
	app.addUser("zhang", models.RoleSales)
	c := app.login("zhang")
	job := app.runImport(c, "customer", "a.csv", []byte("客户名称,行业\n华东机电,全新的行业\n"), "skip")
	if job.Created != 1 {
		t.Fatalf("created %d", job.Created)
	}
	var n int
	if err := app.db.Read.QueryRow(`SELECT COUNT(*) FROM aux_items WHERE name_zh = '全新的行业'`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d items named 全新的行业 (%v)", n, err)
	}
	if cu := customerByName(t, app.db, "customer", "华东机电"); cu.IndustryID != 0 {
		t.Errorf("industry %d", cu.IndustryID)
	}
	// Asking for a new item by hand is refused.
	id := importJobID(t, c.upload("customer", "b.csv", []byte("客户名称,行业\n北方物流,另一个新行业\n")))
	j, err := app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"dup_mode": {"skip"}, "match_by": {"name"}}
	for i, key := range j.Mapping {
		form.Set(fmt.Sprintf("col%d", i), key)
	}
	if res := c.post(fmt.Sprintf("/import/%d/map", id), form); res.StatusCode != 303 {
		t.Fatalf("map: %d", res.StatusCode)
	}
	if page := c.get(fmt.Sprintf("/import/%d/preview", id)).Body; strings.Contains(page, `value="new"`) {
		t.Error("the preview offers a salesperson to create items")
	}
	if res := c.post(fmt.Sprintf("/import/%d/values", id), url.Values{"v_industry_0": {"new"}}); res.StatusCode != 422 {
		t.Errorf("new item by a salesperson: %d", res.StatusCode)
	}
}

// TestImportProspectThatIsACustomer: importing prospects that already exist
// as customers skips them, with the reason.
func TestImportProspectThatIsACustomer(t *testing.T) {
	app := newTestApp(t)
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	if err := app.db.CreateCustomer(context.Background(), admin, &models.Customer{Kind: "customer", Name: "华东机电", OwnerID: 1,
		Status: "active"}, nil); err != nil {
		t.Fatal(err)
	}
	c := app.login("admin")
	job := app.runImport(c, "prospect", "p.csv", []byte("客户名称\n华东机电\n北方物流\n"), "update")
	if job.Created != 1 || job.Skipped != 1 {
		t.Fatalf("created %d skipped %d", job.Created, job.Skipped)
	}
	results, err := app.db.ImportResults(context.Background(), job.ID, -1)
	if err != nil || len(results) != 1 || results[0].Reason != "import.outcome.exists_as_customer" {
		t.Fatalf("%+v %v", results, err)
	}
}

// TestImportDateOrderChosen: text dates with the year last are read in the
// order chosen on the mapping page; other forms need no choice.
func TestImportDateOrderChosen(t *testing.T) {
	app := newTestApp(t)
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	cu := &models.Customer{Kind: "customer", Name: "华东机电", OwnerID: 1, Status: "active"}
	if err := app.db.CreateCustomer(context.Background(), admin, cu, nil); err != nil {
		t.Fatal(err)
	}
	c := app.login("admin")
	data := "客户名称,姓名,生日\n华东机电,王芳,3/5/1990\n华东机电,李雷,1985年11月23日\n华东机电,张伟,31374\n"
	id := importJobID(t, c.upload("contact", "k.csv", []byte(data)))
	j, err := app.db.GetImportJob(context.Background(), admin, id)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"dup_mode": {"skip"}, "match_by": {"name"}, "date_order": {"dmy"}}
	for i, key := range j.Mapping {
		form.Set(fmt.Sprintf("col%d", i), key)
	}
	if res := c.post(fmt.Sprintf("/import/%d/map", id), form); res.StatusCode != 303 {
		t.Fatalf("map: %d: %s", res.StatusCode, res.Body)
	}
	if res := c.post(fmt.Sprintf("/import/%d/start", id), nil); res.StatusCode != 303 {
		t.Fatalf("start: %d", res.StatusCode)
	}
	app.importer.Wait()
	got, err := app.db.Contacts(context.Background(), cu.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"王芳": "1990-05-03", "李雷": "1985-11-23", "张伟": "1985-11-23"}
	for _, k := range got {
		if k.Birthday != want[k.Name] {
			t.Errorf("%s: birthday %q, want %q", k.Name, k.Birthday, want[k.Name])
		}
	}
	if len(got) != 3 {
		t.Errorf("%d contacts", len(got))
	}
	if res := c.post(fmt.Sprintf("/import/%d/map", id), url.Values{"date_order": {"ymd; DROP"}}); res.StatusCode == 500 {
		t.Error("a bad date order gives 500")
	}
}
