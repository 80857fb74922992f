package handlers

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"keyuan/models"
)

// titledSheet is a customer list as people keep it in Excel: a title merged
// across the top, an export date, a blank row, then the header, and a region
// merged down over three customers.
func titledSheet(t *testing.T) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := "Sheet1"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(f.SetCellValue(sh, "A1", "客户清单"))
	must(f.MergeCell(sh, "A1", "D1"))
	must(f.SetCellValue(sh, "A2", "导出日期：2026-11-30"))
	must(f.SetSheetRow(sh, "A4", &[]any{"客户名称", "地区", "电话", "备注"}))
	must(f.SetSheetRow(sh, "A5", &[]any{"华东机电有限公司", "华东", "021-55550101", "老客户"}))
	must(f.SetSheetRow(sh, "A6", &[]any{"苏州精工科技有限公司", nil, "0512-66668888"}))
	must(f.SetSheetRow(sh, "A7", &[]any{"杭州云图信息有限公司", nil, "0571-88889999"}))
	must(f.MergeCell(sh, "B5", "B7"))
	must(f.SetSheetRow(sh, "A8", &[]any{"北方物流有限公司", "华北", "010-66667777"}))
	var buf bytes.Buffer
	must(f.Write(&buf))
	return buf.Bytes()
}

// TestImportSheetWithTitleRowsAndMergedRegion: the title rows are not
// imported as customers, the header is found on line 4, the merged region
// reaches every row it covers, and the preview says it was filled.
func TestImportSheetWithTitleRowsAndMergedRegion(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	before := countCustomers(t, app.db)
	id := importJobID(t, c.upload("customer", "客户清单.xlsx", titledSheet(t)))
	job, err := app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	if job.HeaderLine != 4 || strings.Join(job.Header, "|") != "客户名称|地区|电话|备注" {
		t.Fatalf("header line %d: %q", job.HeaderLine, job.Header)
	}
	page := c.get(fmt.Sprintf("/import/%d/map", id))
	if !strings.Contains(page.Body, "第 4 行：客户名称 | 地区 | 电话 | 备注") || !strings.Contains(page.Body, "第 1 行：客户清单") {
		t.Errorf("the map page does not offer the header rows")
	}
	form := url.Values{"dup_mode": {"skip"}, "match_by": {"name"}, "header_line": {"4"}}
	for i, key := range job.Mapping {
		form.Set(fmt.Sprintf("col%d", i), key)
	}
	if res := c.post(fmt.Sprintf("/import/%d/map", id), form); res.StatusCode != 303 {
		t.Fatalf("map: %d: %s", res.StatusCode, res.Body)
	}
	if res := c.get(fmt.Sprintf("/import/%d/preview", id)); !strings.Contains(res.Body, "有 2 个单元格来自上方的合并单元格") {
		t.Errorf("the preview does not say that merged cells were filled")
	}
	if res := c.post(fmt.Sprintf("/import/%d/start", id), nil); res.StatusCode != 303 {
		t.Fatalf("start: %d", res.StatusCode)
	}
	app.importer.Wait()
	if got := countCustomers(t, app.db) - before; got != 4 {
		t.Fatalf("%d customers created, want 4", got)
	}
	aux, err := app.db.AuxLookupFor(context.Background(), "zh")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"华东机电有限公司", "苏州精工科技有限公司", "杭州云图信息有限公司"} {
		if cu := customerByName(t, app.db, "customer", name); aux.Name(cu.RegionID) != "华东" {
			t.Errorf("%s: region %q, want 华东", name, aux.Name(cu.RegionID))
		}
	}
}

// TestImportChooseAnotherHeaderRow: a person can overrule the guess; the
// columns are read again from the chosen line.
func TestImportChooseAnotherHeaderRow(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	data := "说明：以下为 2026 年客户\n名称,城市\n客户名称,电话\n华东机电,021-55550101\n"
	id := importJobID(t, c.upload("customer", "a.csv", []byte(data)))
	job, err := app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	if job.HeaderLine != 2 {
		t.Fatalf("guessed header line %d, want 2", job.HeaderLine)
	}
	res := c.post(fmt.Sprintf("/import/%d/map", id), url.Values{"header_line": {"3"}})
	if res.StatusCode != 303 {
		t.Fatalf("switch: %d: %s", res.StatusCode, res.Body)
	}
	job, err = app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	if job.HeaderLine != 3 || strings.Join(job.Header, "|") != "客户名称|电话" || job.Mapping[0] != "name" || job.Mapping[1] != "phone" {
		t.Fatalf("after choosing line 3: line %d header %q mapping %q", job.HeaderLine, job.Header, job.Mapping)
	}
	if res := c.post(fmt.Sprintf("/import/%d/map", id), url.Values{"header_line": {"99"}}); res.StatusCode != 422 ||
		!strings.Contains(res.Body, "不能作为标题行") {
		t.Errorf("a line past the end: %d", res.StatusCode)
	}
}

// TestImportParsesTheUploadOnce: after the upload, the wizard and the import
// read only the staged rows: with the file gone from the disk, the mapping
// page, the preview and the run still work, and a finished job leaves no
// staged rows behind.
func TestImportParsesTheUploadOnce(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	id := importJobID(t, c.upload("customer", "a.csv", []byte("客户名称,电话\n华东机电,021-55550101\n北方物流,010-66667777\n")))
	job, err := app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	if !job.Staged {
		t.Fatal("the upload was not staged")
	}
	if err := os.Remove(job.Path); err != nil {
		t.Fatal(err)
	}
	if res := c.get(fmt.Sprintf("/import/%d/map", id)); res.StatusCode != 200 || !strings.Contains(res.Body, "华东机电") {
		t.Fatalf("map page without the file: %d", res.StatusCode)
	}
	form := url.Values{"dup_mode": {"skip"}, "match_by": {"name"}, "col0": {"name"}, "col1": {"phone"}}
	if res := c.post(fmt.Sprintf("/import/%d/map", id), form); res.StatusCode != 303 {
		t.Fatalf("map: %d: %s", res.StatusCode, res.Body)
	}
	if res := c.get(fmt.Sprintf("/import/%d/preview", id)); res.StatusCode != 200 || !strings.Contains(res.Body, "北方物流") {
		t.Fatalf("preview without the file: %d", res.StatusCode)
	}
	if res := c.post(fmt.Sprintf("/import/%d/start", id), nil); res.StatusCode != 303 {
		t.Fatalf("start: %d", res.StatusCode)
	}
	app.importer.Wait()
	job, err = app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != "done" || job.Created != 2 {
		t.Fatalf("job %s, created %d (%s)", job.Status, job.Created, job.Error)
	}
	var left int
	if err := app.db.Read.QueryRow(`SELECT COUNT(*) FROM import_rows WHERE job_id = ?`, id).Scan(&left); err != nil || left != 0 {
		t.Errorf("%d staged rows left (%v)", left, err)
	}
}

// TestImportWarnsInsteadOfFailing: a bad optional value is left empty and the
// row imported; the preview and the report say which value, and a phone that
// probably lost its leading 0 is flagged.
func TestImportWarnsInsteadOfFailing(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	data := "客户名称,电话,邮箱,联系人,手机\n华东机电,75526668888,not-an-email,王芳,13800138000\n北方物流,010-66667777,,李雷,call me\n"
	id := importJobID(t, c.upload("customer", "w.csv", []byte(data)))
	job, err := app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"dup_mode": {"skip"}, "match_by": {"name"}}
	for i, key := range job.Mapping {
		form.Set(fmt.Sprintf("col%d", i), key)
	}
	if res := c.post(fmt.Sprintf("/import/%d/map", id), form); res.StatusCode != 303 {
		t.Fatalf("map: %d: %s", res.StatusCode, res.Body)
	}
	preview := c.get(fmt.Sprintf("/import/%d/preview", id)).Body
	for _, want := range []string{"可能丢失了开头的 0", "已留空导入，原值“not-an-email”", "已留空导入，原值“call me”"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	if res := c.post(fmt.Sprintf("/import/%d/start", id), nil); res.StatusCode != 303 {
		t.Fatalf("start: %d", res.StatusCode)
	}
	app.importer.Wait()
	job, err = app.db.GetImportJob(context.Background(), models.Actor{Role: models.RoleAdmin}, id)
	if err != nil {
		t.Fatal(err)
	}
	if job.Created != 2 || job.Failed != 0 {
		t.Fatalf("created %d failed %d", job.Created, job.Failed)
	}
	if cu := customerByName(t, app.db, "customer", "华东机电"); cu.Email != "" || cu.Phone != "75526668888" {
		t.Errorf("email %q phone %q", cu.Email, cu.Phone)
	}
	report := c.get(fmt.Sprintf("/import/%d/report", id)).Body
	if !strings.Contains(report, "not-an-email") || !strings.Contains(report, "可能丢失了开头的 0") {
		t.Errorf("report:\n%s", report)
	}
}
