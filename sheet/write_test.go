package sheet

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// exportSample writes the same typed table in format f: a header, a row of
// every kind of cell, and a row of empty values.
func exportSample(t *testing.T, f Format) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewWriter(&buf, f, "客户")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 30, 14, 5, 0, 0, time.FixedZone("CST", 8*3600))
	rows := [][]any{
		{"南京蓝海科技有限责任公司", Date("1985-11-23"), DateTime(at), Clock("09:30"), Money(1280050), Percent(0.6), 42, "=1+1", "a;b", "x\ty", `say "hi"`, "line\nbreak"},
		{"", Date(""), DateTime(time.Time{}), Clock(""), Money(0), Percent(0), nil, "", "", "", "", ""},
	}
	if err := w.WriteRow("名称", "生日", "登记时间", "开始时间", "金额（元）", "概率", "数量", "公式", "分号", "制表", "引号", "换行"); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if err := w.WriteValues(r...); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestXLSXExportLooksFinished reads an export back with excelize: a bold,
// frozen header, widths fitted to the content (Chinese counted double), real
// date and number cells with formats, empty cells empty, text never prefixed.
func TestXLSXExportLooksFinished(t *testing.T) {
	x, err := excelize.OpenReader(bytes.NewReader(exportSample(t, XLSX)))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	const sh = "客户"

	panes, err := x.GetPanes(sh)
	if err != nil {
		t.Fatal(err)
	}
	if !panes.Freeze || panes.YSplit != 1 || panes.TopLeftCell != "A2" {
		t.Errorf("header not frozen: %+v", panes)
	}
	style, err := x.GetCellStyle(sh, "A1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := x.GetStyle(style)
	if err != nil {
		t.Fatal(err)
	}
	if st.Font == nil || !st.Font.Bold {
		t.Errorf("header A1 is not bold: %+v", st.Font)
	}

	// 12 Chinese characters are 24 columns wide, plus a margin.
	if w, _ := x.GetColWidth(sh, "A"); w < 24 || w > 30 {
		t.Errorf("column A width %.1f, want about 26 for a 12-character Chinese name", w)
	}
	if w, _ := x.GetColWidth(sh, "B"); w < 10 {
		t.Errorf("date column width %.1f cuts the date off", w)
	}

	formats := map[string]string{"B2": "yyyy-mm-dd", "C2": "yyyy-mm-dd hh:mm", "D2": "hh:mm", "E2": "#,##0.00", "F2": "0.0%"}
	for cell, want := range formats {
		typ, err := x.GetCellType(sh, cell)
		if err != nil {
			t.Fatal(err)
		}
		if typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
			t.Errorf("%s is of type %v, want a number", cell, typ)
		}
		id, err := x.GetCellStyle(sh, cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := x.GetStyle(id)
		if err != nil {
			t.Fatal(err)
		}
		if st.CustomNumFmt == nil || *st.CustomNumFmt != want {
			t.Errorf("%s number format %v, want %q", cell, st.CustomNumFmt, want)
		}
	}
	raw := func(cell string) string {
		v, err := x.GetCellValue(sh, cell, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for cell, want := range map[string]string{
		"B2": "31374",              // 1985-11-23 as an Excel serial
		"C2": "46356.586805555555", // 2026-11-30 14:05, the wall-clock time
		"E2": "12800.5",
		"F2": "0.6",
		"G2": "42",
		"H2": "=1+1", // text, not a formula, and not prefixed
	} {
		if got := raw(cell); !strings.HasPrefix(got, want[:min(len(want), 12)]) {
			t.Errorf("%s raw value %q, want %q", cell, got, want)
		}
	}
	if f, err := x.GetCellFormula(sh, "H2"); err != nil || f != "" {
		t.Errorf("H2 became a formula %q (%v)", f, err)
	}
	if got, _ := x.GetCellValue(sh, "E2"); got != "12,800.50" {
		t.Errorf("E2 shows %q, want 12,800.50", got)
	}
	// The empty row: every cell empty, not an empty string or a zero date.
	for _, cell := range []string{"A3", "B3", "C3", "D3", "G3", "H3"} {
		typ, err := x.GetCellType(sh, cell)
		if err != nil {
			t.Fatal(err)
		}
		if v := raw(cell); v != "" || (typ != excelize.CellTypeUnset) {
			t.Errorf("%s should be empty, is %q of type %v", cell, v, typ)
		}
	}
}

// TestCSVExportQuoting reads the CSV with a strict reader, and checks the
// quoting that LibreOffice needs: it splits on comma, semicolon and tab at
// once, so a value holding any of them must be quoted.
func TestCSVExportQuoting(t *testing.T) {
	data := exportSample(t, CSV)
	if !bytes.HasPrefix(data, []byte("\xEF\xBB\xBF")) {
		t.Fatal("no BOM")
	}
	body := string(data[3:])
	for _, want := range []string{`"a;b"`, "\"x\ty\"", `"say ""hi"""`, "\"line\nbreak\"", "\r\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("CSV lacks %q:\n%s", want, body)
		}
	}
	r := csv.NewReader(strings.NewReader(body))
	r.FieldsPerRecord = 12
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("strict reader: %v", err)
	}
	want := []string{"南京蓝海科技有限责任公司", "1985-11-23", "2026-11-30 14:05", "09:30", "12800.50", "60%", "42", "'=1+1", "a;b", "x\ty", `say "hi"`, "line\nbreak"}
	if strings.Join(recs[1], "|") != strings.Join(want, "|") {
		t.Errorf("row\n%q\nwant\n%q", recs[1], want)
	}
	// Split the way LibreOffice does with every separator ticked: a quoted
	// field stays one field, so the row keeps its 12 columns.
	if n := libreOfficeFields(strings.SplitN(body, "\r\n", 2)[1]); n != 12 {
		t.Errorf("LibreOffice would see %d columns, want 12", n)
	}
	wantEmpty := []string{"", "", "", "", "0.00", "0%", "", "", "", "", "", ""}
	if strings.Join(recs[2], "|") != strings.Join(wantEmpty, "|") {
		t.Errorf("empty row written as %q, want %q", recs[2], wantEmpty)
	}
}

// libreOfficeFields counts the fields of the first record of s when comma,
// semicolon and tab all separate and double quotes group.
func libreOfficeFields(s string) int {
	n, quoted := 1, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			quoted = !quoted
		case !quoted && (c == ',' || c == ';' || c == '\t'):
			n++
		case !quoted && (c == '\r' || c == '\n'):
			return n
		}
	}
	return n
}
