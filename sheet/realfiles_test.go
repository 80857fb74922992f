package sheet

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// Files as people keep them: title rows above the header, merged titles and
// regions, Excel's own date formats, phone numbers stored as numbers. Each
// fixture is made here with excelize the way Excel saves it (number formats
// by id, merged ranges, a shared-strings table).

func openRows(t *testing.T, path string, f Format, headerLine int) (*Reader, [][]string) {
	t.Helper()
	r, err := OpenAt(path, f, "", headerLine, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	r.Close()
	return r, rows
}

func TestHeaderBelowTitleRows(t *testing.T) {
	data := "客户清单\r\n导出日期：2026-11-30,,\r\n\r\n客户名称,地区,电话\r\n华东机电,华东,021-55550101\r\n北方物流,华北,010-1\r\n"
	r, rows := openRows(t, writeTemp(t, "t.csv", []byte(data)), CSV, 0)
	if got := strings.Join(r.Header(), "|"); got != "客户名称|地区|电话" {
		t.Fatalf("header %q", got)
	}
	if r.HeaderLine != 4 || len(rows) != 2 || rows[0][0] != "华东机电" {
		t.Fatalf("header line %d, rows %q", r.HeaderLine, rows)
	}
	if len(r.Candidates) < 3 || r.Candidates[0].Cells[0] != "客户清单" {
		t.Errorf("candidates %v", r.Candidates)
	}
	// A person who knows better picks line 2: it becomes the header.
	r, rows = openRows(t, writeTemp(t, "t.csv", []byte(data)), CSV, 2)
	if r.HeaderLine != 2 || len(rows) != 3 {
		t.Errorf("chosen header: line %d, %d rows", r.HeaderLine, len(rows))
	}
	if _, err := OpenAt(writeTemp(t, "t.csv", []byte(data)), CSV, "", 3, DefaultLimits); problemCode(err) != ProblemEmpty {
		t.Errorf("a blank chosen header line: %v", err)
	}
}

// A header without a name for some columns still maps: they get "列C".
func TestColumnsWithoutHeaderAreNamed(t *testing.T) {
	data := "客户名称,,电话,客户名称\n甲,x,1,y\n"
	r, _ := openRows(t, writeTemp(t, "h.csv", []byte(data)), CSV, 0)
	if got := strings.Join(r.Header(), "|"); got != "客户名称|列B|电话|客户名称 (2)" {
		t.Errorf("header %q", got)
	}
}

func TestXLSXMergedTitleAndRegions(t *testing.T) {
	f := excelize.NewFile()
	sh := "Sheet1"
	set := func(cell string, v any) {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	merge := func(a, b string) {
		if err := f.MergeCell(sh, a, b); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "客户清单（2026年11月）")
	merge("A1", "F1")
	for i, h := range []string{"客户名称", "地区", "行业", "联系人", "", "电话"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 2)
		set(cell, h)
	}
	merge("D2", "E2") // 联系人 over two columns: name and mobile
	names := []string{"华东机电", "苏州精工", "杭州云图", "北方物流"}
	for i, n := range names {
		set("A"+itoa(i+3), n)
		set("D"+itoa(i+3), "联系人"+itoa(i))
		set("E"+itoa(i+3), "1380013800"+itoa(i))
	}
	set("B3", "华东")
	merge("B3", "B5") // one region for three rows
	set("C3", "制造业")
	merge("C3", "C4")
	set("B6", "华北")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	r, rows := openRows(t, writeTemp(t, "m.xlsx", buf.Bytes()), XLSX, 0)
	if got := strings.Join(r.Header(), "|"); got != "客户名称|地区|行业|联系人|联系人 (2)|电话" {
		t.Fatalf("header %q (line %d)", got, r.HeaderLine)
	}
	if len(rows) != 4 {
		t.Fatalf("rows %q", rows)
	}
	regions := []string{rows[0][1], rows[1][1], rows[2][1], rows[3][1]}
	if strings.Join(regions, ",") != "华东,华东,华东,华北" {
		t.Errorf("regions %q", regions)
	}
	if rows[1][2] != "制造业" || (len(rows[2]) > 2 && rows[2][2] != "") {
		t.Errorf("industry %q %q", rows[1], rows[2])
	}
	if r.Merged != 3 {
		t.Errorf("merged cells filled %d, want 3", r.Merged)
	}
}

func TestXLSXDatesAndNumbersAsExcelStoresThem(t *testing.T) {
	f := excelize.NewFile()
	sh := "Sheet1"
	styled := func(cell string, v any, numFmt int, custom string) {
		t.Helper()
		st := &excelize.Style{NumFmt: numFmt}
		if custom != "" {
			st = &excelize.Style{CustomNumFmt: &custom}
		}
		id, err := f.NewStyle(st)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
		if err := f.SetCellStyle(sh, cell, cell, id); err != nil {
			t.Fatal(err)
		}
	}
	for i, h := range []string{"生日", "登记时间", "中文日期", "手机", "电话", "文本日期", "金额"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		if err := f.SetCellValue(sh, cell, h); err != nil {
			t.Fatal(err)
		}
	}
	styled("A2", 31374, 14, "")                  // 1985-11-23, Excel's short date
	styled("B2", 46356.5868055556, 22, "")       // 2026-11-30 14:05
	styled("C2", 31374, 0, `yyyy"年"m"月"d"日"`)    // 1985年11月23日
	styled("D2", 13800138000, 11, "")            // 1.38E+10 on screen
	styled("E2", 75526668888, 0, "000000000000") // 075526668888 on screen
	styled("F2", "1990/3/5", 0, "")              // typed as text
	styled("G2", 12800.5, 0, "#,##0.00")         // money stays as shown
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, rows := openRows(t, writeTemp(t, "d.xlsx", buf.Bytes()), XLSX, 0)
	if len(rows) != 1 {
		t.Fatalf("rows %q", rows)
	}
	want := []string{"1985-11-23", "2026-11-30 14:05", "1985年11月23日", "13800138000", "075526668888", "1990/3/5", "12,800.50"}
	for i, w := range want {
		if rows[0][i] != w {
			t.Errorf("column %d: %q, want %q", i+1, rows[0][i], w)
		}
	}
}

// Our own export imports back unchanged: the CSV's formula-defusing
// apostrophe comes off, the XLSX never had one.
func TestExportReadsBackUnchanged(t *testing.T) {
	values := []string{"+86 21 5555 0101", "=HYPERLINK(\"http://evil\")", "-2", "@SUM(A1)", "'quoted'", "a;b", "x\"y", "普通公司"}
	for _, f := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, f, "客户")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRow("客户名称"); err != nil {
			t.Fatal(err)
		}
		for _, v := range values {
			if err := w.WriteRow(v); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, rows := openRows(t, writeTemp(t, "x."+string(f), buf.Bytes()), f, 0)
		if len(rows) != len(values) {
			t.Fatalf("%s: %d rows", f, len(rows))
		}
		for i, v := range values {
			if rows[i][0] != v {
				t.Errorf("%s: %q came back as %q", f, v, rows[i][0])
			}
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestXLSXBombRefusedBeforeUnzipping: a package whose sheet packs at 1000:1
// is refused from its directory, within the default limits, without the
// 64 MB being unzipped first.
func TestXLSXBombRefusedBeforeUnzipping(t *testing.T) {
	bomb := zipBomb(t, 64<<20)
	start := testing.AllocsPerRun(1, func() {
		_, err := Open(writeTemp(t, "bomb.xlsx", bomb), XLSX, "", DefaultLimits)
		if code := problemCode(err); code != ProblemTooLarge {
			t.Fatalf("err %v (code %q), want %s", err, code, ProblemTooLarge)
		}
	})
	if start > 10_000 {
		t.Errorf("%.0f allocations to refuse a bomb: it was unzipped", start)
	}
}
