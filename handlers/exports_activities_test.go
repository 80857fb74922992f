package handlers

import (
	"encoding/csv"
	"keyuan/demo"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The exports of the activity lists hold exactly the rows the user may see.
func TestActivityListExportsFollowRowRules(t *testing.T) {
	w := newActWorld(t)
	read := func(user, path string) [][]string {
		t.Helper()
		res := w.login(user).get(path)
		rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(res.Body, "\uFEFF"))).ReadAll()
		if err != nil {
			t.Fatalf("%s %s: %v", user, path, err)
		}
		return rows
	}
	for _, path := range []string{"/activities/export.csv", "/plans/export.csv", "/opportunities/export.csv"} {
		mine, theirs, boss := read("zhang", path), read("li", path), read("zhuguan", path)
		if len(mine) < 2 {
			t.Errorf("%s: the owner's export has no rows", path)
		}
		if len(theirs) != 1 {
			t.Errorf("%s: a colleague's export has %d rows", path, len(theirs)-1)
		}
		if len(boss) != len(mine) {
			t.Errorf("%s: manager sees %d rows, owner %d", path, len(boss)-1, len(mine)-1)
		}
	}
}

// The issue export of a salesperson holds only their own customers' issues;
// the knowledge base export holds every article.
func TestServiceExportsFollowRowRules(t *testing.T) {
	f := newServiceFixture(t)
	res := f.app.login("sales1").get("/issues/export.csv?view=all")
	if !strings.Contains(res.Body, f.ownIssue.Subject) || strings.Contains(res.Body, f.otherIssue.Subject) {
		t.Fatalf("sales export: %s", res.Body)
	}
	res = f.app.login("kefu").get("/issues/export.csv?view=all")
	if !strings.Contains(res.Body, f.ownIssue.Subject) || !strings.Contains(res.Body, f.otherIssue.Subject) {
		t.Fatal("service export misses issues")
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(f.app.login("sales1").get("/kb/export.csv").Body, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows)-1 != len(demo.SeedArticles) {
		t.Fatalf("%d articles exported, %d in the base", len(rows)-1, len(demo.SeedArticles))
	}
}

// TestOpportunityExportTypedCells: amounts, probabilities and dates in the
// XLSX export are numbers and dates with formats, not text like "12,800.50"
// or "60%", so a spreadsheet can add and sort them.
func TestOpportunityExportTypedCells(t *testing.T) {
	w := newActWorld(t)
	res := w.login("zhang").get("/opportunities/export.xlsx")
	f, err := excelize.OpenReader(strings.NewReader(res.Body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sh := f.GetSheetName(0)
	rows, err := f.GetRows(sh)
	if err != nil || len(rows) < 2 {
		t.Fatalf("%d rows, %v", len(rows), err)
	}
	for _, col := range []struct{ cell, format string }{{"D2", "#,##0.00"}, {"E2", "yyyy-mm-dd"}, {"G2", "0.0%"}} {
		raw, err := f.GetCellValue(sh, col.cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := strconv.ParseFloat(raw, 64); err != nil {
			t.Errorf("%s holds %q, not a number", col.cell, raw)
		}
		id, err := f.GetCellStyle(sh, col.cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.CustomNumFmt == nil || *st.CustomNumFmt != col.format {
			t.Errorf("%s format %v, want %s", col.cell, st.CustomNumFmt, col.format)
		}
	}
	if panes, err := f.GetPanes(sh); err != nil || !panes.Freeze {
		t.Errorf("header not frozen: %+v %v", panes, err)
	}
}
