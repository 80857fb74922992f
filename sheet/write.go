package sheet

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// Neutralize defuses spreadsheet formula injection in CSV: a cell that a
// spreadsheet would run as a formula (=, +, -, @, tab or CR first, also after
// leading spaces) gets a leading apostrophe. XLSX needs no such prefix: a
// string cell there is never evaluated.
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

// Typed cells for WriteValues. In XLSX each becomes a real number cell with a
// number format, so a spreadsheet can sort, filter and add them up; in CSV
// each is written as plain text that Excel and LibreOffice read back as the
// same value.
type (
	// Date is a calendar date as the models keep it, "2006-01-02". An empty
	// Date is an empty cell; one that does not parse is written as text.
	Date string
	// DateTime is a moment, shown in the business's time zone to the minute.
	DateTime time.Time
	// Clock is a time of day as the models keep it, "15:04".
	Clock string
	// Money is an amount in fen (1/100 yuan), shown as yuan with two decimals.
	Money int64
	// Percent is a share written as a percentage: 0.6 shows as 60.0%.
	Percent float64
)

// Writer writes a table row by row. The first row written is the header.
type Writer interface {
	// WriteRow writes a row of text cells; an empty string is an empty cell.
	WriteRow(cells ...string) error
	// WriteValues writes a row of typed cells: numbers (int, int64,
	// float64) and the types above stay numbers or dates in XLSX; strings
	// are text; nil and "" are empty cells.
	WriteValues(cells ...any) error
	// Close finishes the file (for XLSX, writes it out).
	Close() error
}

// ContentType of each format, for downloads.
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

// csvWriter writes RFC 4180 CSV, UTF-8 with a BOM (so Excel reads Chinese
// correctly) and CRLF line ends. It quotes more than encoding/csv does: a
// value with a semicolon or a tab is quoted too, because LibreOffice offers
// comma, semicolon and tab as separators at once and would split it.
type csvWriter struct {
	w   *bufio.Writer
	buf []string
}

func newCSVWriter(w io.Writer) (*csvWriter, error) {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString("\xEF\xBB\xBF"); err != nil {
		return nil, err
	}
	return &csvWriter{w: bw}, nil
}

func (c *csvWriter) WriteRow(cells ...string) error {
	c.buf = c.buf[:0]
	for _, v := range cells {
		c.buf = append(c.buf, Neutralize(v))
	}
	return c.writeLine(c.buf)
}

func (c *csvWriter) WriteValues(cells ...any) error {
	c.buf = c.buf[:0]
	for _, v := range cells {
		c.buf = append(c.buf, csvText(v))
	}
	return c.writeLine(c.buf)
}

// csvText is a typed cell as CSV text. Numbers are written plainly, without
// thousands separators, so they read back as numbers; a number is never a
// formula (-5 stays -5), text is neutralized.
func csvText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return Neutralize(x)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case Date:
		return Neutralize(string(x))
	case Clock:
		return Neutralize(string(x))
	case DateTime:
		if time.Time(x).IsZero() {
			return ""
		}
		return time.Time(x).Format("2006-01-02 15:04")
	case Money:
		return moneyText(int64(x))
	case Percent:
		return strconv.FormatFloat(math.Round(float64(x)*1000)/10, 'f', -1, 64) + "%"
	}
	return Neutralize(fmt.Sprint(v))
}

// moneyText writes fen as yuan with two decimals and no separators.
func moneyText(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

// needsQuotes: RFC 4180's separators, quote and line ends, plus semicolon and
// tab (see csvWriter), and leading or trailing spaces that a reader trims.
func needsQuotes(v string) bool {
	if v == "" {
		return false
	}
	if v[0] == ' ' || v[len(v)-1] == ' ' {
		return true
	}
	return strings.ContainsAny(v, ",;\t\"\r\n")
}

func (c *csvWriter) writeLine(cells []string) error {
	for i, v := range cells {
		if i > 0 {
			c.w.WriteByte(',')
		}
		if !needsQuotes(v) {
			c.w.WriteString(v)
			continue
		}
		c.w.WriteByte('"')
		c.w.WriteString(strings.ReplaceAll(v, `"`, `""`))
		c.w.WriteByte('"')
	}
	_, err := c.w.WriteString("\r\n")
	return err
}

func (c *csvWriter) Close() error { return c.w.Flush() }

// The XLSX writer holds back the first rows to fit the column widths to them,
// then streams the rest through excelize's StreamWriter, which spills to a
// temporary file past a few megabytes, so memory stays bounded.
const (
	widthSampleRows = 200 // rows read to fit the column widths
	minColWidth     = 6
	maxColWidth     = 60
)

type xlsxWriter struct {
	out    io.Writer
	f      *excelize.File
	sw     *excelize.StreamWriter
	styles xlsxStyles

	row     int       // rows written to the stream
	pending [][]any   // rows held back until the widths are known
	widths  []float64 // widest content per column, in character widths
	started bool      // widths, panes and held rows are written
}

type xlsxStyles struct {
	header, date, dateTime, clock, money, percent int
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
	styles, err := newXLSXStyles(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	sw, err := f.NewStreamWriter(sheetName)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxWriter{out: w, f: f, sw: sw, styles: styles}, nil
}

func newXLSXStyles(f *excelize.File) (xlsxStyles, error) {
	var s xlsxStyles
	var err error
	add := func(dst *int, st *excelize.Style) {
		if err == nil {
			*dst, err = f.NewStyle(st)
		}
	}
	custom := func(format string) *excelize.Style { return &excelize.Style{CustomNumFmt: &format} }
	add(&s.header, &excelize.Style{
		Font:      &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"EEF2F6"}},
		Border:    []excelize.Border{{Type: "bottom", Color: "9AA5B1", Style: 1}},
		Alignment: &excelize.Alignment{Vertical: "center"},
	})
	add(&s.date, custom("yyyy-mm-dd"))
	add(&s.dateTime, custom("yyyy-mm-dd hh:mm"))
	add(&s.clock, custom("hh:mm"))
	add(&s.money, custom("#,##0.00"))
	add(&s.percent, custom("0.0%"))
	return s, err
}

func (x *xlsxWriter) WriteRow(cells ...string) error {
	row := make([]any, len(cells))
	for i, v := range cells {
		row[i] = v
	}
	return x.add(row)
}

func (x *xlsxWriter) WriteValues(cells ...any) error {
	return x.add(append([]any(nil), cells...))
}

// add converts a row to cells, measures it while the widths are still being
// fitted, and writes it.
func (x *xlsxWriter) add(values []any) error {
	header := x.row == 0 && len(x.pending) == 0
	cells := make([]any, len(values))
	for i, v := range values {
		cells[i] = x.cell(v, header)
		if !x.started {
			x.measure(i, v)
		}
	}
	if x.started {
		return x.write(cells)
	}
	x.pending = append(x.pending, cells)
	if len(x.pending) >= widthSampleRows {
		return x.start()
	}
	return nil
}

// cell turns a typed value into what the stream writer takes: nil for an
// empty cell, a number or time with its number format, or plain text.
func (x *xlsxWriter) cell(v any, header bool) any {
	styled := func(style int, value any) any { return excelize.Cell{StyleID: style, Value: value} }
	if header {
		return styled(x.styles.header, fmt.Sprint(valueOrEmpty(v)))
	}
	switch t := v.(type) {
	case nil:
		return nil
	case string:
		if t == "" {
			return nil
		}
		return t
	case int, int64, float64:
		return t
	case Date:
		if t == "" {
			return nil
		}
		d, err := time.Parse("2006-01-02", string(t))
		if err != nil {
			return string(t)
		}
		return styled(x.styles.date, d)
	case DateTime:
		tt := time.Time(t)
		if tt.IsZero() {
			return nil
		}
		// Excel has no time zones: write the wall-clock time as shown.
		wall := time.Date(tt.Year(), tt.Month(), tt.Day(), tt.Hour(), tt.Minute(), 0, 0, time.UTC)
		return styled(x.styles.dateTime, wall)
	case Clock:
		if t == "" {
			return nil
		}
		c, err := time.Parse("15:04", string(t))
		if err != nil {
			return string(t)
		}
		return styled(x.styles.clock, float64(c.Hour()*60+c.Minute())/(24*60))
	case Money:
		return styled(x.styles.money, float64(t)/100)
	case Percent:
		return styled(x.styles.percent, float64(t))
	}
	return fmt.Sprint(v)
}

func valueOrEmpty(v any) any {
	if v == nil {
		return ""
	}
	return v
}

// measure widens column i to fit v as it will be shown.
func (x *xlsxWriter) measure(i int, v any) {
	for len(x.widths) <= i {
		x.widths = append(x.widths, 0)
	}
	var w float64
	switch t := v.(type) {
	case nil:
	case string:
		w = textWidth(t)
	case Date:
		w = 10
	case DateTime:
		w = 16
	case Clock:
		w = 5
	case Money:
		w = float64(len(moneyText(int64(t)))) * 1.25 // with thousands separators
	case Percent:
		w = 6
	default:
		w = float64(len(fmt.Sprint(t)))
	}
	if x.row == 0 && len(x.pending) == 0 {
		w += 2 // the header is bold
	}
	if w > x.widths[i] {
		x.widths[i] = w
	}
}

// textWidth counts the width of the longest line of s in Excel's character
// widths: East Asian wide characters count double.
func textWidth(s string) float64 {
	widest, cur := 0.0, 0.0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch {
		case r == '\n':
			cur = 0
			continue
		case isWide(r):
			cur += 2
		default:
			cur++
		}
		if cur > widest {
			widest = cur
		}
	}
	return widest
}

// isWide reports characters that take two columns: CJK ideographs and
// punctuation, kana, hangul and full-width forms.
func isWide(r rune) bool {
	switch {
	case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
		r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60,
		r >= 0xFFE0 && r <= 0xFFE6, r >= 0x20000 && r <= 0x3FFFD:
		return true
	}
	return false
}

// start writes what must precede the rows in a stream (column widths and
// the frozen header), then the rows held back.
func (x *xlsxWriter) start() error {
	x.started = true
	for i, w := range x.widths {
		w = math.Max(minColWidth, math.Min(maxColWidth, w+2))
		if err := x.sw.SetColWidth(i+1, i+1, w); err != nil {
			return err
		}
	}
	if err := x.sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}}); err != nil {
		return err
	}
	for _, cells := range x.pending {
		if err := x.write(cells); err != nil {
			return err
		}
	}
	x.pending = nil
	return nil
}

func (x *xlsxWriter) write(cells []any) error {
	x.row++
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, cells)
}

func (x *xlsxWriter) Close() error {
	defer x.f.Close()
	if !x.started {
		if err := x.start(); err != nil {
			return err
		}
	}
	if err := x.sw.Flush(); err != nil {
		return fmt.Errorf("xlsx flush: %w", err)
	}
	return x.f.Write(x.out)
}
