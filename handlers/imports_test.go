package handlers

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"keyuan/jobs"
	"keyuan/models"
	"keyuan/sheet"
)

// upload posts a file to the import wizard and returns the response.
func (c *client) upload(kind, name string, content []byte) *response {
	c.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("kind", kind); err != nil {
		c.t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := fw.Write(content); err != nil {
		c.t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.app.ts.URL+"/import", &body)
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return c.do(req)
}

// importJobID reads the job id from a wizard redirect such as /import/3/map.
func importJobID(t testing.TB, res *response) int64 {
	t.Helper()
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("upload: status %d: %s", res.StatusCode, res.Body)
	}
	parts := strings.Split(res.Header.Get("Location"), "/")
	id, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		t.Fatalf("redirect %q", res.Header.Get("Location"))
	}
	return id
}

// runImport uploads a file, keeps the guessed mapping, applies dupMode and
// runs the import to its end. It returns the finished job.
func (a *testApp) runImport(c *client, kind, name string, content []byte, dupMode string) *models.ImportJob {
	a.t.Helper()
	id := importJobID(a.t, c.upload(kind, name, content))
	job, err := a.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		a.t.Fatal(err)
	}
	form := url.Values{"dup_mode": {dupMode}, "match_by": {"code", "name", "phone", "email"}}
	for i, key := range job.Mapping {
		form.Set("col"+strconv.Itoa(i), key)
	}
	res := c.post(fmt.Sprintf("/import/%d/map", id), form)
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("map: status %d: %s", res.StatusCode, res.Body)
	}
	if res := c.get(fmt.Sprintf("/import/%d/preview", id)); res.StatusCode != http.StatusOK {
		a.t.Fatalf("preview: status %d", res.StatusCode)
	}
	if res := c.post(fmt.Sprintf("/import/%d/start", id), nil); res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("start: status %d: %s", res.StatusCode, res.Body)
	}
	a.importer.Wait()
	job, err = a.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		a.t.Fatal(err)
	}
	return job
}

func gbk(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func xlsxFile(t *testing.T, rows [][]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func customerByName(t *testing.T, db *models.DB, kind, name string) *models.Customer {
	t.Helper()
	var id int64
	if err := db.Read.QueryRow(`SELECT id FROM customers WHERE kind = ? AND name = ?`, kind, name).Scan(&id); err != nil {
		t.Fatalf("customer %q: %v", name, err)
	}
	c, err := db.GetCustomer(context.Background(), models.Actor{Role: models.RoleAdmin}, kind, id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func countCustomers(t *testing.T, db *models.DB) int {
	t.Helper()
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM customers`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportGBKCSVFieldByField(t *testing.T) {
	app := newTestApp(t)
	sales := app.addUser("zhangwei", models.RoleSales)
	c := app.login("admin")
	// GBK, mixed line endings (CRLF, LF, lone CR), a quoted cell with a comma,
	// a known and an unknown industry, traits in one cell.
	text := "客户名称,电话,邮箱,行业,分级,特质,地址,负责人,联系人,职务,手机\r\n" +
		"杭州西湖茶业有限公司,0571-88886666,info@xihu.example.cn,制造业,A级（重点）,价格敏感、重视服务,\"杭州市西湖区, 龙井路1号\",zhangwei,王芳,采购经理,13900001111\n" +
		"苏州新锐电子有限公司,0512-66667777,,半导体,B,,苏州工业园区,,,,\r" +
		",0512-12345678,,,,,,,,,\n" // no name: fails on its own
	job := app.runImport(c, "customer", "客户.csv", gbk(t, text), "skip")
	if job.Status != "done" || job.Encoding != "gbk" {
		t.Fatalf("job %s encoding %q error %q", job.Status, job.Encoding, job.Error)
	}
	if job.Created != 2 || job.Failed != 1 || job.Total != 3 {
		t.Fatalf("created %d failed %d total %d", job.Created, job.Failed, job.Total)
	}
	aux, _ := app.db.AuxLookupFor(context.Background(), "zh")
	x := customerByName(t, app.db, "customer", "杭州西湖茶业有限公司")
	checks := map[string][2]string{
		"phone":    {x.Phone, "0571-88886666"},
		"email":    {x.Email, "info@xihu.example.cn"},
		"industry": {aux.Name(x.IndustryID), "制造业"},
		"grade":    {aux.Name(x.GradeID), "A级（重点）"},
		"address":  {x.Address, "杭州市西湖区, 龙井路1号"},
		"owner":    {strconv.FormatInt(x.OwnerID, 10), strconv.FormatInt(sales, 10)},
	}
	for field, got := range checks {
		if got[0] != got[1] {
			t.Errorf("%s = %q, want %q", field, got[0], got[1])
		}
	}
	if len(x.TraitIDs) != 2 {
		t.Errorf("traits %v", x.TraitIDs)
	}
	contacts, _ := app.db.Contacts(context.Background(), x.ID)
	if len(contacts) != 1 || contacts[0].Name != "王芳" || contacts[0].Title != "采购经理" || contacts[0].Mobile != "13900001111" || !contacts[0].IsPrimary {
		t.Errorf("contacts %+v", contacts)
	}
	// "半导体" was unknown: the wizard offered to create it, and it was.
	y := customerByName(t, app.db, "customer", "苏州新锐电子有限公司")
	aux, _ = app.db.AuxLookupFor(context.Background(), "zh")
	if aux.Name(y.IndustryID) != "半导体" || aux.Name(y.GradeID) != "B级（一般）" || y.OwnerID != 1 {
		t.Errorf("second row: industry %q grade %q owner %d", aux.Name(y.IndustryID), aux.Name(y.GradeID), y.OwnerID)
	}
	// The failed row is in the report with its reason, in the user's language.
	res := c.get(fmt.Sprintf("/import/%d/report", job.ID))
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != "4" || !strings.Contains(rows[1][2], "必填") {
		t.Errorf("report %v", rows)
	}
	// Who imported, and when, is in the audit log.
	hist, _ := app.db.History(context.Background(), "import", job.ID, 10)
	if len(hist) != 2 || hist[0].Action != "import_done" || hist[1].Action != "import_start" || hist[0].UserID != 1 {
		t.Errorf("audit %+v", hist)
	}
}

func TestImportXLSXDuplicatesAndUpdate(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	header := []any{"Name", "Phone", "E-mail", "Industry", "Notes"}
	first := xlsxFile(t, [][]any{header,
		{"Alpha Trading Co.", "021-11112222", "a@alpha.example.com", "Retail", "first"},
		{"Beta Logistics", "021-33334444", "", "Logistics", ""},
		{"Alpha Trading Co.", "", "", "", "same name again in the file"},
	})
	job := app.runImport(c, "customer", "first.xlsx", first, "skip")
	if job.Created != 2 || job.Skipped != 1 {
		t.Fatalf("first: created %d skipped %d (%s %s)", job.Created, job.Skipped, job.Status, job.Error)
	}
	second := xlsxFile(t, [][]any{header,
		{"Alpha Trading Co. Ltd", "021-11112222", "", "Finance", "matched by phone"},
		{"Gamma Foods", "", "g@gamma.example.com", "", ""},
	})
	// skip: the phone match is skipped, Gamma is new.
	job = app.runImport(c, "customer", "second.xlsx", second, "skip")
	if job.Created != 1 || job.Skipped != 1 || job.Updated != 0 {
		t.Fatalf("skip: %+v", job)
	}
	// update: the phone match is updated with the row's non-empty values.
	third := xlsxFile(t, [][]any{header, {"Alpha Trading Co.", "021-11112222", "", "Finance", "updated by import"}})
	job = app.runImport(c, "customer", "third.xlsx", third, "update")
	if job.Updated != 1 || job.Created != 0 {
		t.Fatalf("update: %+v", job)
	}
	a := customerByName(t, app.db, "customer", "Alpha Trading Co.")
	aux, _ := app.db.AuxLookupFor(context.Background(), "en")
	if a.Notes != "updated by import" || aux.Name(a.IndustryID) != "Finance" || a.Email != "a@alpha.example.com" {
		t.Errorf("updated record: notes %q industry %q email %q", a.Notes, aux.Name(a.IndustryID), a.Email)
	}
	// create: duplicates are created anyway.
	job = app.runImport(c, "customer", "fourth.xlsx", third, "create")
	if job.Created != 1 {
		t.Fatalf("create: %+v", job)
	}
	if n := countCustomers(t, app.db); n != 4 {
		t.Errorf("customers %d, want 4", n)
	}
}

func TestImportSalespersonOwnsEverything(t *testing.T) {
	app := newTestApp(t)
	sales := app.addUser("lina", models.RoleSales)
	other := app.addUser("wangqiang", models.RoleSales)
	// A colleague's customer with the same name must not be updated.
	if err := app.db.CreateCustomer(context.Background(), models.Actor{ID: other, Role: models.RoleSales},
		&models.Customer{Kind: "customer", Name: "同名公司"}, nil); err != nil {
		t.Fatal(err)
	}
	c := app.login("lina")
	csvText := "客户名称,负责人,备注\n新客户甲,wangqiang,x\n同名公司,,改一下\n"
	job := app.runImport(c, "customer", "a.csv", []byte(csvText), "update")
	if job.Created != 1 || job.Skipped != 1 {
		t.Fatalf("%+v", job)
	}
	x := customerByName(t, app.db, "customer", "新客户甲")
	if x.OwnerID != sales {
		t.Errorf("owner %d, want the importing salesperson %d", x.OwnerID, sales)
	}
	var notes string
	app.db.Read.QueryRow(`SELECT notes FROM customers WHERE name = '同名公司'`).Scan(&notes)
	if notes != "" {
		t.Errorf("colleague's record changed: %q", notes)
	}
	// Another user's job is not visible.
	if res := app.login("wangqiang").get(fmt.Sprintf("/import/%d", job.ID)); res.StatusCode != http.StatusNotFound {
		t.Errorf("colleague sees the job: %d", res.StatusCode)
	}
}

func TestImportContacts(t *testing.T) {
	app := newTestApp(t)
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	cu := &models.Customer{Kind: "customer", Name: "上海远航物流有限公司", OwnerID: 1}
	if err := app.db.CreateCustomer(context.Background(), admin, cu, nil); err != nil {
		t.Fatal(err)
	}
	c := app.login("admin")
	text := "客户名称,姓名,职务,手机,邮箱,生日\n上海远航物流有限公司,李雷,总经理,13800000000,lilei@example.com,1980/3/5\n不存在的公司,韩梅梅,,,,\n"
	job := app.runImport(c, "contact", "contacts.csv", []byte("\xEF\xBB\xBF"+text), "skip")
	if job.Created != 1 || job.Failed != 1 || job.Encoding != "utf-8-bom" {
		t.Fatalf("%+v", job)
	}
	contacts, _ := app.db.Contacts(context.Background(), cu.ID)
	if len(contacts) != 1 || contacts[0].Name != "李雷" || contacts[0].Birthday != "1980-03-05" || contacts[0].Email != "lilei@example.com" {
		t.Errorf("%+v", contacts)
	}
}

func TestImportBadFiles(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	huge := strings.Repeat("长", 100_000)
	cases := []struct {
		name, file string
		content    []byte
		atUpload   bool   // refused at upload (else at the mapping step or by the job)
		want       string // text on the page
	}{
		{"empty", "a.csv", []byte{}, true, "空"},
		{"blank lines only", "a.csv", []byte("\n\n \n"), true, "没有标题行"},
		{"binary", "a.csv", []byte{0x00, 0x01, 0xFF, 0xFE, 0x80, 0x81, 0x00, 0x9F}, true, "编码"},
		{"not a workbook", "a.xlsx", []byte("PK\x03\x04 this is no zip"), true, "Excel"},
		{"headers only", "a.csv", []byte("客户名称,电话\n"), false, "只有标题行"},
		// The upload is parsed whole when it arrives, so a broken line is
		// told at once.
		{"broken quoting", "a.csv", []byte("客户名称,电话\n\"未闭合的引号,123\n正常,456\n"), true, "引号"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := countCustomers(t, app.db)
			res := c.upload("customer", tc.file, tc.content)
			if tc.atUpload {
				if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tc.want) {
					t.Fatalf("status %d, want 422 with %q", res.StatusCode, tc.want)
				}
				return
			}
			id := importJobID(t, res)
			form := url.Values{"dup_mode": {"skip"}, "match_by": {"name"}, "col0": {"name"}, "col1": {"phone"}}
			res = c.post(fmt.Sprintf("/import/%d/map", id), form)
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, tc.want) {
				t.Fatalf("map: status %d, want 422 with %q", res.StatusCode, tc.want)
			}
			if after := countCustomers(t, app.db); after != before {
				t.Errorf("customers %d → %d: something was half-imported", before, after)
			}
		})
	}
	t.Run("100,000-character cell fails its row only", func(t *testing.T) {
		job := app.runImport(c, "customer", "long.csv", []byte("客户名称,备注\n正常公司,ok\n长备注公司,"+huge+"\n"), "skip")
		if job.Created != 1 || job.Failed != 1 {
			t.Fatalf("%+v", job)
		}
	})
	t.Run("upload over the limit", func(t *testing.T) {
		res := c.upload("customer", "big.csv", bytes.Repeat([]byte("a,b\n"), (maxUploadBytes/4)+1000))
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
	t.Run("service staff may not import", func(t *testing.T) {
		app.addUser("kefu", models.RoleService)
		if res := app.login("kefu").upload("customer", "a.csv", []byte("客户名称\nx\n")); res.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", res.StatusCode)
		}
	})
}

func TestExportCSVAndXLSXMatch(t *testing.T) {
	app := newTestApp(t)
	admin := models.Actor{ID: 1, Role: models.RoleAdmin}
	names := []string{"=HYPERLINK(\"http://evil\")", "  +1+1", "北京正常公司", "@SUM(A1)", "-2"}
	for _, n := range names {
		if err := app.db.CreateCustomer(context.Background(), admin, &models.Customer{Kind: "customer", Name: n, Notes: "\tcmd", OwnerID: 1}, nil); err != nil {
			t.Fatal(err)
		}
	}
	c := app.login("admin")
	res := c.get("/customers/export.csv?sort=code")
	if !strings.HasPrefix(res.Body, "\uFEFF") || !strings.Contains(res.Header.Get("Content-Disposition"), ".csv") {
		t.Fatalf("no BOM or name: %q", res.Header.Get("Content-Disposition"))
	}
	csvRows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	res = c.get("/customers/export.xlsx?sort=code")
	f, err := excelize.OpenReader(strings.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	xlsxRows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	if len(csvRows) != len(names)+1 || len(xlsxRows) != len(csvRows) {
		t.Fatalf("rows: csv %d xlsx %d", len(csvRows), len(xlsxRows))
	}
	for i := range csvRows {
		for j := range csvRows[i] {
			x := ""
			if j < len(xlsxRows[i]) {
				x = xlsxRows[i][j]
			}
			// Only the CSV defuses formulas: an XLSX text cell is never run.
			if csvRows[i][j] != sheet.Neutralize(x) {
				t.Errorf("row %d col %d: csv %q xlsx %q", i, j, csvRows[i][j], x)
			}
		}
	}
	for i, n := range names {
		got := csvRows[i+1][1]
		want := n
		if n != "北京正常公司" {
			want = "'" + n
		}
		if got != want {
			t.Errorf("name %q exported as %q, want %q", n, got, want)
		}
		if notes := csvRows[i+1][len(csvRows[i+1])-1]; notes != "'\tcmd" {
			t.Errorf("notes exported as %q", notes)
		}
	}
}

func TestImportCancel(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	var b strings.Builder
	b.WriteString("客户名称\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "批量公司%05d\n", i)
	}
	id := importJobID(t, c.upload("customer", "many.csv", []byte(b.String())))
	c.post(fmt.Sprintf("/import/%d/map", id), url.Values{"dup_mode": {"create"}, "col0": {"name"}})
	c.post(fmt.Sprintf("/import/%d/start", id), nil)
	c.post(fmt.Sprintf("/import/%d/cancel", id), nil)
	app.importer.Wait()
	job, err := app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	n := countCustomers(t, app.db)
	if job.Status == "cancelled" {
		if n%jobs.ImportBatchSize != 0 {
			t.Errorf("cancelled with %d customers: not whole batches", n)
		}
	} else if job.Status != "done" || n != 5000 {
		t.Errorf("status %s with %d customers", job.Status, n)
	}
	// The progress page stops polling once the job is over.
	res := c.get(fmt.Sprintf("/import/%d", id), "HX-Request", "true", "HX-Target", "import-progress")
	if strings.Contains(res.Body, "every 1s") || !strings.Contains(res.Body, "100%") && job.Status == "done" {
		t.Errorf("finished progress fragment still polls or is not at 100%%")
	}
}

// importRoutes lists every route that names one import job.
func importRoutes(jobID int64) []routeCase {
	p := fmt.Sprintf("/import/%d", jobID)
	return []routeCase{
		{"status", "GET", p, nil}, {"map form", "GET", p + "/map", nil},
		{"map", "POST", p + "/map", url.Values{"dup_mode": {"create"}, "col0": {"name"}}},
		{"preview", "GET", p + "/preview", nil}, {"values", "POST", p + "/values", nil},
		{"start", "POST", p + "/start", nil}, {"cancel", "POST", p + "/cancel", nil}, {"report", "GET", p + "/report", nil},
	}
}

func TestImportJobsArePrivate(t *testing.T) {
	app := newTestApp(t)
	app.addUser("lina", models.RoleSales)
	app.addUser("wangqiang", models.RoleSales)
	id := importJobID(t, app.login("lina").upload("customer", "a.csv", []byte("客户名称\n甲公司\n")))
	c := app.login("wangqiang")
	for _, rc := range importRoutes(id) {
		if res := c.send(rc); res.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", rc.method, rc.path, res.StatusCode)
		}
	}
	job, err := app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil || job.Status != "draft" || countCustomers(t, app.db) != 0 {
		t.Fatalf("a colleague changed the job: %+v %v", job, err)
	}
}
