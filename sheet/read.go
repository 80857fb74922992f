// Package sheet reads and writes tabular files: CSV (UTF-8, UTF-8 with BOM
// or GBK) and XLSX. Reading streams row by row with hard limits, so a huge,
// hostile or broken file costs bounded memory and ends in a clear error.
package sheet

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Limits bound what a file may contain.
type Limits struct {
	MaxRows      int   // data rows after the header
	MaxColumns   int   // cells per row
	MaxCellRunes int   // characters per cell
	MaxUnzipped  int64 // XLSX: total bytes after unzipping (zip bomb guard)
}

// DefaultLimits fit any real customer list and stop abuse.
var DefaultLimits = Limits{MaxRows: 200_000, MaxColumns: 100, MaxCellRunes: 10_000, MaxUnzipped: 512 << 20}

// Problem is a reason a whole file cannot be read. Code is a message key
// suffix the UI translates; Line is 1-based where it applies.
type Problem struct {
	Code string
	Line int
	Err  error
}

func (p *Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("sheet: %s at line %d: %v", p.Code, p.Line, p.Err)
	}
	return fmt.Sprintf("sheet: %s: %v", p.Code, p.Err)
}

func (p *Problem) Unwrap() error { return p.Err }

// Problem codes.
const (
	ProblemEmpty        = "empty"         // no header row
	ProblemEncoding     = "encoding"      // neither UTF-8 nor GBK
	ProblemQuoting      = "quoting"       // CSV quotes do not close
	ProblemTooManyRows  = "too_many_rows" // over Limits.MaxRows
	ProblemTooManyCols  = "too_many_cols" // over Limits.MaxColumns
	ProblemNotXLSX      = "not_xlsx"      // not a readable workbook
	ProblemTooLarge     = "too_large"     // unzips past Limits.MaxUnzipped
	ProblemNoSheet      = "no_sheet"      // the chosen sheet does not exist
	ProblemFormat       = "format"        // unknown file type
	ProblemCellTooLarge = "cell_too_long" // a cell over Limits.MaxCellRunes
)

// Format is a file type.
type Format string

const (
	CSV  Format = "csv"
	XLSX Format = "xlsx"
)

// DetectFormat tells CSV from XLSX by the first bytes (an XLSX is a zip),
// falling back to the file name.
func DetectFormat(head []byte, name string) Format {
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return XLSX
	}
	if strings.HasSuffix(strings.ToLower(name), ".xlsx") {
		return XLSX
	}
	return CSV
}

// Reader yields the rows of one table: Header first, then Next until io.EOF.
type Reader struct {
	header   []string
	next     func() ([]string, error)
	closer   func() error
	limits   Limits
	line     int
	rows     int
	Encoding string   // "utf-8", "utf-8-bom", "gbk" or "" for XLSX
	Sheets   []string // XLSX: every sheet's name
	Sheet    string   // XLSX: the sheet being read
}

// Header returns the first row.
func (r *Reader) Header() []string { return r.header }

// Line is the 1-based line (CSV) or row (XLSX) of the last row returned.
func (r *Reader) Line() int { return r.line }

// Next returns the next data row, padded or trimmed to the header's width
// only by the caller; io.EOF after the last. Blank rows are skipped.
func (r *Reader) Next() ([]string, error) {
	for {
		row, err := r.next()
		if err != nil {
			return nil, err
		}
		r.line++
		if isBlank(row) {
			continue
		}
		r.rows++
		if r.rows > r.limits.MaxRows {
			return nil, &Problem{Code: ProblemTooManyRows, Line: r.line, Err: fmt.Errorf("more than %d rows", r.limits.MaxRows)}
		}
		if len(row) > r.limits.MaxColumns {
			return nil, &Problem{Code: ProblemTooManyCols, Line: r.line, Err: fmt.Errorf("%d columns", len(row))}
		}
		for i, c := range row {
			row[i] = strings.TrimSpace(c)
		}
		return row, nil
	}
}

// Close releases the file.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	return r.closer()
}

// CellTooLong reports the index of the first cell over the limit, or -1.
func (r *Reader) CellTooLong(row []string) int {
	for i, c := range row {
		if len(c) > r.limits.MaxCellRunes && utf8.RuneCountInString(c) > r.limits.MaxCellRunes {
			return i
		}
	}
	return -1
}

func isBlank(row []string) bool {
	for _, c := range row {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

// Open opens a file of the given format. For XLSX, sheet picks the sheet
// by name ("" for the first).
func Open(path string, format Format, sheet string, limits Limits) (*Reader, error) {
	switch format {
	case CSV:
		return openCSV(path, limits)
	case XLSX:
		return openXLSX(path, sheet, limits)
	}
	return nil, &Problem{Code: ProblemFormat, Err: fmt.Errorf("format %q", format)}
}

// detectEncoding reads the whole file once: valid UTF-8 (with or without
// BOM) wins; otherwise it must decode cleanly as GB18030 (a superset of GBK).
func detectEncoding(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(3)
	bom := bytes.Equal(head, []byte{0xEF, 0xBB, 0xBF})
	valid := true
	var carry []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := br.Read(buf)
		chunk := append(carry, buf[:n]...)
		// Keep an incomplete rune at the end for the next chunk.
		cut := len(chunk)
		for i := len(chunk) - 1; i >= 0 && i >= len(chunk)-3; i-- {
			if utf8.RuneStart(chunk[i]) {
				if !utf8.FullRune(chunk[i:]) {
					cut = i
				}
				break
			}
		}
		if !utf8.Valid(chunk[:cut]) {
			valid = false
			break
		}
		carry = append(carry[:0], chunk[cut:]...)
		if err == io.EOF {
			if len(carry) > 0 {
				valid = false
			}
			break
		}
		if err != nil {
			return "", err
		}
	}
	if valid {
		if bom {
			return "utf-8-bom", nil
		}
		return "utf-8", nil
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err
	}
	dec := simplifiedchinese.GB18030.NewDecoder()
	r := transform.NewReader(bufio.NewReader(f), dec)
	out := bufio.NewReader(r)
	for {
		c, _, err := out.ReadRune()
		if err == io.EOF {
			return "gbk", nil
		}
		if err != nil {
			return "", &Problem{Code: ProblemEncoding, Err: err}
		}
		// The decoder turns undecodable bytes into U+FFFD; control bytes
		// other than tab and line ends mean this is no text file at all.
		if c == utf8.RuneError || (c < 0x20 && c != '\t' && c != '\n' && c != '\r') {
			return "", &Problem{Code: ProblemEncoding, Err: errors.New("neither UTF-8 nor GBK")}
		}
	}
}

// lineEnds turns CRLF and lone CR into LF, so files mixing Windows, Unix
// and old Mac line ends read the same.
type lineEnds struct{ transform.NopResetter }

func (lineEnds) Transform(dst, src []byte, atEOF bool) (nDst, nSrc int, err error) {
	for nSrc < len(src) {
		if nDst >= len(dst) {
			return nDst, nSrc, transform.ErrShortDst
		}
		c := src[nSrc]
		if c == '\r' {
			if nSrc+1 >= len(src) && !atEOF {
				return nDst, nSrc, transform.ErrShortSrc
			}
			dst[nDst] = '\n'
			nDst++
			nSrc++
			if nSrc < len(src) && src[nSrc] == '\n' {
				nSrc++
			}
			continue
		}
		dst[nDst] = c
		nDst++
		nSrc++
	}
	return nDst, nSrc, nil
}

func openCSV(path string, limits Limits) (*Reader, error) {
	enc, err := detectEncoding(path)
	if err != nil {
		return nil, err
	}
	r, err := openCSVWith(path, enc, limits, ',')
	if err != nil {
		return nil, err
	}
	// Some tools write semicolon- or tab-separated files; a single header
	// cell containing one of them is the tell.
	if h := r.header; len(h) == 1 && strings.ContainsAny(h[0], ";\t") {
		r.Close()
		return openCSVWith(path, enc, limits, rune(h[0][strings.IndexAny(h[0], ";\t")]))
	}
	return r, nil
}

func openCSVWith(path, enc string, limits Limits, comma rune) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	var src io.Reader = bufio.NewReaderSize(f, 64<<10)
	if enc == "utf-8-bom" {
		if _, err := io.CopyN(io.Discard, src, 3); err != nil {
			f.Close()
			return nil, err
		}
	}
	if enc == "gbk" {
		src = transform.NewReader(src, simplifiedchinese.GB18030.NewDecoder())
	}
	cr := csv.NewReader(transform.NewReader(src, lineEnds{}))
	cr.FieldsPerRecord = -1
	cr.Comma = comma
	r := &Reader{closer: f.Close, limits: limits, Encoding: enc}
	r.next = func() ([]string, error) {
		row, err := cr.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &Problem{Code: ProblemQuoting, Line: pe.StartLine, Err: err}
		}
		return row, err
	}
	if err := r.readHeader(); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

func (r *Reader) readHeader() error {
	for {
		row, err := r.next()
		if err == io.EOF {
			return &Problem{Code: ProblemEmpty, Err: errors.New("no header row")}
		}
		if err != nil {
			return err
		}
		r.line++
		if isBlank(row) {
			continue
		}
		if len(row) > r.limits.MaxColumns {
			return &Problem{Code: ProblemTooManyCols, Line: r.line, Err: fmt.Errorf("%d columns", len(row))}
		}
		for i, c := range row {
			row[i] = strings.TrimSpace(strings.TrimPrefix(c, "\uFEFF"))
		}
		r.header = row
		return nil
	}
}

func openXLSX(path, sheet string, limits Limits) (*Reader, error) {
	xml := min(int64(16<<20), limits.MaxUnzipped)
	f, err := excelize.OpenFile(path, excelize.Options{UnzipSizeLimit: limits.MaxUnzipped, UnzipXMLSizeLimit: xml})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") || strings.Contains(err.Error(), "size limit") {
			return nil, &Problem{Code: ProblemTooLarge, Err: err}
		}
		return nil, &Problem{Code: ProblemNotXLSX, Err: err}
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, &Problem{Code: ProblemNoSheet, Err: errors.New("workbook has no sheets")}
	}
	if sheet == "" {
		sheet = sheets[0]
	}
	found := false
	for _, s := range sheets {
		found = found || s == sheet
	}
	if !found {
		f.Close()
		return nil, &Problem{Code: ProblemNoSheet, Err: fmt.Errorf("no sheet %q", sheet)}
	}
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		if strings.Contains(err.Error(), "size limit") {
			return nil, &Problem{Code: ProblemTooLarge, Err: err}
		}
		return nil, &Problem{Code: ProblemNotXLSX, Err: err}
	}
	r := &Reader{limits: limits, Sheets: sheets, Sheet: sheet}
	r.closer = func() error { return errors.Join(rows.Close(), f.Close()) }
	r.next = func() ([]string, error) {
		if !rows.Next() {
			if err := rows.Error(); err != nil {
				return nil, &Problem{Code: ProblemNotXLSX, Line: r.line + 1, Err: err}
			}
			return nil, io.EOF
		}
		cols, err := rows.Columns()
		if err != nil {
			return nil, &Problem{Code: ProblemNotXLSX, Line: r.line + 1, Err: err}
		}
		return cols, nil
	}
	if err := r.readHeader(); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}
