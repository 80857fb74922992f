package sheet

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Neutralize defuses spreadsheet formula injection: a cell that a
// spreadsheet would run as a formula (=, +, -, @, tab or CR first, also after
// leading spaces) gets a leading apostrophe.
func Neutralize(v string) string {
	trimmed := strings.TrimLeft(v, " ")
	if trimmed == "" {
		return v
	}
	switch trimmed[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return "'" + v
	}
	return v
}

// Writer writes a table row by row; every text cell is neutralized.
type Writer interface {
	WriteRow(cells ...string) error
	// WriteValues writes a row of typed cells: numbers (int, int64,
	// float64) stay numbers in XLSX, so a spreadsheet can add them up;
	// strings are neutralized; nil is an empty cell.
	WriteValues(cells ...any) error
	// Close finishes the file (for XLSX, writes it out).
	Close() error
}

// ContentType and Extension of each format, for downloads.
func ContentType(f Format) string {
	if f == XLSX {
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/csv; charset=utf-8"
}

// NewWriter starts a table in format f on w.
func NewWriter(w io.Writer, f Format, sheetName string) (Writer, error) {
	if f == XLSX {
		return newXLSXWriter(w, sheetName)
	}
	return newCSVWriter(w)
}

type csvWriter struct{ w *csv.Writer }

// newCSVWriter writes UTF-8 with a BOM, so Excel reads Chinese correctly.
func newCSVWriter(w io.Writer) (*csvWriter, error) {
	if _, err := w.Write([]byte("\xEF\xBB\xBF")); err != nil {
		return nil, err
	}
	return &csvWriter{w: csv.NewWriter(w)}, nil
}

func (c *csvWriter) WriteRow(cells ...string) error {
	out := make([]string, len(cells))
	for i, v := range cells {
		out[i] = Neutralize(v)
	}
	return c.w.Write(out)
}

func (c *csvWriter) WriteValues(cells ...any) error {
	out := make([]string, len(cells))
	for i, v := range cells {
		switch v.(type) {
		case int, int64, float64:
			out[i] = valueText(v) // a number, never a formula: -5 stays -5
		default:
			out[i] = Neutralize(valueText(v))
		}
	}
	return c.w.Write(out)
}

// valueText is a typed cell as CSV text: numbers plainly, without
// thousands separators, so they read back as numbers.
func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

func (c *csvWriter) Close() error {
	c.w.Flush()
	return c.w.Error()
}

// xlsxWriter streams rows through excelize's StreamWriter, which spills to
// a temporary file past a few megabytes, so memory stays bounded.
type xlsxWriter struct {
	out io.Writer
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int
	buf []any
}

func newXLSXWriter(w io.Writer, sheetName string) (*xlsxWriter, error) {
	f := excelize.NewFile()
	if sheetName == "" {
		sheetName = "Sheet1"
	}
	if err := f.SetSheetName("Sheet1", sheetName); err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxWriter{out: w, f: f, sw: sw}, nil
}

func (x *xlsxWriter) WriteRow(cells ...string) error {
	x.row++
	x.buf = x.buf[:0]
	for _, v := range cells {
		x.buf = append(x.buf, Neutralize(v))
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.buf)
}

func (x *xlsxWriter) WriteValues(cells ...any) error {
	x.row++
	x.buf = x.buf[:0]
	for _, v := range cells {
		switch n := v.(type) {
		case int, int64, float64:
			x.buf = append(x.buf, n)
		case nil:
			x.buf = append(x.buf, nil)
		default:
			x.buf = append(x.buf, Neutralize(valueText(v)))
		}
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, x.buf)
}

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	return x.f.Write(x.out)
}
