package sheet

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func writeTemp(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func readAll(t *testing.T, r *Reader) [][]string {
	t.Helper()
	var out [][]string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, row)
	}
}

func problemCode(err error) string {
	var p *Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

func TestCSVEncodingsAndLineEnds(t *testing.T) {
	text := "名称,电话\r\n北京公司,010-1\n上海公司,021-2\r广州公司,\"020-3\"\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, enc string
		data      []byte
	}{
		{"utf-8", "utf-8", []byte(text)},
		{"bom", "utf-8-bom", append([]byte("\xEF\xBB\xBF"), text...)},
		{"gbk", "gbk", gbk},
		{"semicolons", "utf-8", []byte(strings.ReplaceAll(text, ",", ";"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(writeTemp(t, "a.csv", tc.data), CSV, "", DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Encoding != tc.enc {
				t.Errorf("encoding %q, want %q", r.Encoding, tc.enc)
			}
			if h := r.Header(); len(h) != 2 || h[0] != "名称" || h[1] != "电话" {
				t.Errorf("header %q", h)
			}
			rows := readAll(t, r)
			want := [][]string{{"北京公司", "010-1"}, {"上海公司", "021-2"}, {"广州公司", "020-3"}}
			if len(rows) != len(want) {
				t.Fatalf("rows %q", rows)
			}
			for i := range want {
				if strings.Join(rows[i], "|") != strings.Join(want[i], "|") {
					t.Errorf("row %d = %q, want %q", i, rows[i], want[i])
				}
			}
		})
	}
}

func TestCSVProblems(t *testing.T) {
	small := Limits{MaxRows: 3, MaxColumns: 4, MaxCellRunes: 10, MaxUnzipped: 1 << 20}
	for _, tc := range []struct {
		name, data, code string
		atOpen           bool
	}{
		{"empty", "", ProblemEmpty, true},
		{"blank", "\n \n\n", ProblemEmpty, true},
		{"unknown encoding", "\x00\x01\x02\xff\xfe\x80", ProblemEncoding, true},
		{"broken quoting", "a,b\n\"x,y\nz,w\n", ProblemQuoting, false},
		{"too many rows", "a\n1\n2\n3\n4\n", ProblemTooManyRows, false},
		{"too many columns", "a,b,c,d,e\n", ProblemTooManyCols, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Open(writeTemp(t, "a.csv", []byte(tc.data)), CSV, "", small)
			if err == nil {
				defer r.Close()
				for err == nil {
					_, err = r.Next()
				}
				if tc.atOpen {
					t.Fatalf("opened; want %s at open", tc.code)
				}
			}
			if problemCode(err) != tc.code {
				t.Fatalf("err %v, want problem %s", err, tc.code)
			}
		})
	}
	r, err := Open(writeTemp(t, "a.csv", []byte("a\n"+strings.Repeat("长", 11)+"\n")), CSV, "", small)
	if err != nil {
		t.Fatal(err)
	}
	row, err := r.Next()
	if err != nil || r.CellTooLong(row) != 0 {
		t.Fatalf("long cell not flagged: %v", err)
	}
}

func TestXLSXSheets(t *testing.T) {
	f := excelize.NewFile()
	f.SetSheetRow("Sheet1", "A1", &[]any{"名称", "电话"})
	f.SetSheetRow("Sheet1", "A2", &[]any{"北京公司", 10101})
	f.NewSheet("联系人")
	f.SetSheetRow("联系人", "A1", &[]any{"姓名"})
	f.SetSheetRow("联系人", "A2", &[]any{"王芳"})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := writeTemp(t, "a.xlsx", buf.Bytes())
	if DetectFormat(buf.Bytes()[:4], "whatever.csv") != XLSX {
		t.Fatal("zip not detected")
	}
	r, err := Open(path, XLSX, "", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	rows := readAll(t, r)
	r.Close()
	if len(r.Sheets) != 2 || r.Sheet != "Sheet1" || len(rows) != 1 || rows[0][1] != "10101" {
		t.Fatalf("sheets %q rows %q", r.Sheets, rows)
	}
	r, err = Open(path, XLSX, "联系人", DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	rows = readAll(t, r)
	r.Close()
	if len(rows) != 1 || rows[0][0] != "王芳" {
		t.Fatalf("second sheet %q", rows)
	}
	if _, err := Open(path, XLSX, "没有", DefaultLimits); problemCode(err) != ProblemNoSheet {
		t.Fatalf("missing sheet: %v", err)
	}
}

// zipBomb builds a small XLSX whose worksheet unzips to size bytes.
func zipBomb(t *testing.T, size int) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, body)
	}
	add("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`)
	add("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	add("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`)
	w, err := zw.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	pad := bytes.Repeat([]byte(" "), 1<<20)
	for written := 0; written < size; written += len(pad) {
		w.Write(pad)
	}
	io.WriteString(w, `</sheetData></worksheet>`)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSXZipBombRefused(t *testing.T) {
	bomb := zipBomb(t, 64<<20)
	if len(bomb) > 1<<20 {
		t.Fatalf("bomb is %d bytes, expected it to compress well", len(bomb))
	}
	limits := DefaultLimits
	limits.MaxUnzipped = 32 << 20
	_, err := Open(writeTemp(t, "bomb.xlsx", bomb), XLSX, "", limits)
	if code := problemCode(err); code != ProblemTooLarge {
		t.Fatalf("err %v (code %q), want %s", err, code, ProblemTooLarge)
	}
}

func TestNeutralize(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "  =1": "'  =1", "+86 10": "'+86 10", "-5": "'-5", "@SUM(A1)": "'@SUM(A1)",
		"\tx": "'\tx", "\rx": "'\rx", "北京": "北京", "": "", "  ": "  ", "a=b": "a=b",
	} {
		if got := Neutralize(in); got != want {
			t.Errorf("Neutralize(%q) = %q, want %q", in, got, want)
		}
	}
}

// drain reads a file to the end and reports only whether it panicked;
// every error must be a clean one.
func drain(t *testing.T, path string, f Format) {
	r, err := Open(path, f, "", Limits{MaxRows: 1000, MaxColumns: 50, MaxCellRunes: 1000, MaxUnzipped: 8 << 20})
	if err != nil {
		return
	}
	defer r.Close()
	for i := 0; i < 2000; i++ {
		row, err := r.Next()
		if err != nil {
			return
		}
		r.CellTooLong(row)
	}
	t.Fatal("reader did not stop at its row limit")
}

func FuzzCSV(f *testing.F) {
	for _, seed := range []string{"a,b\n1,2\n", "\"a\nb\",c\r\n", "\xEF\xBB\xBFx;y\n", "\xc4\xe3\xba\xc3,\n", "\x00\xff", "\"\"\"", "a\r\r\nb"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, writeTemp(t, "f.csv", data), CSV)
	})
}

func FuzzXLSX(f *testing.F) {
	good := excelize.NewFile()
	good.SetSheetRow("Sheet1", "A1", &[]any{"名称", "电话"})
	var buf bytes.Buffer
	good.Write(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		drain(t, writeTemp(t, "f.xlsx", data), XLSX)
	})
}

// TestWriteValues: typed cells keep numbers as numbers (a negative one is
// not a formula) and neutralize text, in CSV and in XLSX.
func TestWriteValues(t *testing.T) {
	row := []any{"=HYPERLINK(\"x\")", 12, int64(-3), 1.5, nil, " +1"}
	for _, f := range []Format{CSV, XLSX} {
		var buf bytes.Buffer
		w, err := NewWriter(&buf, f, "报表")
		if err != nil {
			t.Fatal(err)
		}
		if err := w.WriteRow("名称", "数量", "差额", "比例", "空", "电话"); err != nil {
			t.Fatal(err)
		}
		if err := w.WriteValues(row...); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		r, err := Open(writeTemp(t, "v."+string(f), buf.Bytes()), f, "", DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		got := readAll(t, r)
		r.Close()
		// CSV defuses formulas with an apostrophe, which the reader takes
		// off again; an XLSX string cell is never evaluated, so it keeps
		// the text as it is. The reader trims cells.
		want := []string{`=HYPERLINK("x")`, "12", "-3", "1.5", "", "+1"}
		if f == CSV && !bytes.Contains(buf.Bytes(), []byte(`,' +1`)) {
			t.Errorf("the CSV does not defuse ' +1: %s", buf.Bytes())
		}
		if len(got) != 1 || strings.Join(got[0], "|") != strings.Join(want, "|") {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
		if f != XLSX {
			continue
		}
		x, err := excelize.OpenReader(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		for cell, want := range map[string]excelize.CellType{"B2": excelize.CellTypeNumber, "C2": excelize.CellTypeNumber,
			"D2": excelize.CellTypeNumber, "A2": excelize.CellTypeSharedString} {
			typ, err := x.GetCellType("报表", cell)
			if err != nil {
				t.Fatal(err)
			}
			// The stream writer writes text inline; either string type is text.
			if want == excelize.CellTypeSharedString && (typ == excelize.CellTypeInlineString || typ == excelize.CellTypeSharedString) {
				continue
			}
			if typ != want && !(want == excelize.CellTypeNumber && typ == excelize.CellTypeUnset) {
				t.Errorf("%s is of type %v, want %v", cell, typ, want)
			}
		}
		x.Close()
	}
}
