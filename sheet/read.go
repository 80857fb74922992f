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
	"math"
	"os"
	"strconv"
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

// Limits on the parts of an XLSX package, read from its directory before
// anything is unzipped: a shared-strings table past maxSharedStrings, or a
// large part that unzips to more than maxZipRatio times its packed size (a
// real sheet packs about 10:1; a zip bomb 1000:1), is refused at once.
const (
	maxSharedStrings = 64 << 20
	maxZipRatio      = 200
	ratioFloor       = 16 << 20 // small parts may pack as tightly as they like
)

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
	ahead    []bufferedRow // rows read while looking for the header
	merges   *mergeSet     // XLSX: merged ranges
	lineOf   func() int    // CSV: the file line of the last record (blank lines are skipped)
	deferred error         // met while looking ahead for the header; Next returns it in its place
	Encoding string        // "utf-8", "utf-8-bom", "gbk" or "" for XLSX
	Sheets   []string      // XLSX: every sheet's name
	Sheet    string        // XLSX: the sheet being read

	// HeaderLine is the 1-based line (CSV) or row (XLSX) of the header.
	HeaderLine int
	// Candidates are the first non-blank lines, for a person to pick
	// another header row when the guess is wrong.
	Candidates []Candidate
	// Merged counts the cells filled from a merged cell above or to the
	// left (XLSX), so the preview can say so.
	Merged int
}

// Candidate is a line that could be the header.
type Candidate struct {
	Line  int
	Cells []string
}

type bufferedRow struct {
	line  int
	cells []string
}

// Header returns the header row: the column names, one per column, made
// unique, with a generated name ("列C") where the file has none.
func (r *Reader) Header() []string { return r.header }

// Line is the 1-based line (CSV) or row (XLSX) of the last row returned.
func (r *Reader) Line() int { return r.line }

// Next returns the next data row, padded or trimmed to the header's width
// only by the caller; io.EOF after the last. Blank rows are skipped.
func (r *Reader) Next() ([]string, error) {
	for {
		var row []string
		if len(r.ahead) > 0 {
			row, r.line = r.ahead[0].cells, r.ahead[0].line
			r.ahead = r.ahead[1:]
		} else if r.deferred != nil {
			return nil, r.deferred
		} else {
			var err error
			if row, err = r.next(); err != nil {
				return nil, err
			}
			r.advance()
		}
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

// advance counts the line of the record just read.
func (r *Reader) advance() {
	r.line++
	if r.lineOf != nil {
		r.line = r.lineOf()
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
func (r *Reader) CellTooLong(row []string) int { return r.limits.CellTooLong(row) }

// CellTooLong reports the index of the first cell over MaxCellRunes, or -1.
func (l Limits) CellTooLong(row []string) int {
	for i, c := range row {
		if len(c) > l.MaxCellRunes && utf8.RuneCountInString(c) > l.MaxCellRunes {
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

// Open opens a file of the given format, finding its header row. For XLSX,
// sheet picks the sheet by name ("" for the first).
func Open(path string, format Format, sheet string, limits Limits) (*Reader, error) {
	return OpenAt(path, format, sheet, 0, limits)
}

// OpenAt is Open with the header on line headerLine (1-based), as a person
// chose it; 0 finds the header.
func OpenAt(path string, format Format, sheet string, headerLine int, limits Limits) (*Reader, error) {
	switch format {
	case CSV:
		return openCSV(path, headerLine, limits)
	case XLSX:
		return openXLSX(path, sheet, headerLine, limits)
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

func openCSV(path string, headerLine int, limits Limits) (*Reader, error) {
	enc, err := detectEncoding(path)
	if err != nil {
		return nil, err
	}
	r, err := openCSVWith(path, enc, headerLine, limits, ',')
	if err != nil {
		// Quotes that do not close with commas may close with semicolons.
		if problemOf(err) == ProblemQuoting {
			if sep := sniffSeparator(path); sep != 0 {
				if r2, err2 := openCSVWith(path, enc, headerLine, limits, sep); err2 == nil {
					return r2, nil
				}
			}
		}
		return nil, err
	}
	// Some tools write semicolon- or tab-separated files; lines of a single
	// cell containing one of them are the tell.
	if sep := otherSeparator(r.Candidates); sep != 0 {
		r.Close()
		return openCSVWith(path, enc, headerLine, limits, sep)
	}
	return r, nil
}

func problemOf(err error) string {
	var p *Problem
	if errors.As(err, &p) {
		return p.Code
	}
	return ""
}

// sniffSeparator looks at the first 64 KB for a semicolon or a tab on a
// line without commas (GBK and UTF-8 alike keep these bytes as they are).
func sniffSeparator(path string) rune {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, head)
	for _, line := range bytes.Split(head[:n], []byte("\n")) {
		if bytes.IndexByte(line, ',') >= 0 {
			continue
		}
		if i := bytes.IndexAny(line, ";\t"); i >= 0 {
			return rune(line[i])
		}
	}
	return 0
}

// otherSeparator returns ';' or tab when no line has a second cell and the
// header or a line after it holds that character; 0 otherwise.
func otherSeparator(lines []Candidate) rune {
	for _, l := range lines {
		if len(l.Cells) > 1 {
			return 0
		}
	}
	for i := len(lines) - 1; i >= 0; i-- {
		if len(lines[i].Cells) == 1 {
			if j := strings.IndexAny(lines[i].Cells[0], ";\t"); j >= 0 {
				return rune(lines[i].Cells[0][j])
			}
		}
	}
	return 0
}

// undoNeutralize takes off the apostrophe that our own CSV export puts
// before a value a spreadsheet would run as a formula, so an export imports
// back unchanged: "'+86 21 5555 0101" is "+86 21 5555 0101".
func undoNeutralize(cell string) string {
	if len(cell) > 1 && cell[0] == '\'' && Neutralize(cell[1:]) == cell {
		return cell[1:]
	}
	return cell
}

func openCSVWith(path, enc string, headerLine int, limits Limits, comma rune) (*Reader, error) {
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
	r.lineOf = func() int { line, _ := cr.FieldPos(0); return line }
	r.next = func() ([]string, error) {
		row, err := cr.Read()
		if err == io.EOF {
			return nil, io.EOF
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			return nil, &Problem{Code: ProblemQuoting, Line: pe.StartLine, Err: err}
		}
		for i, c := range row {
			row[i] = undoNeutralize(c)
		}
		return row, err
	}
	if err := r.readHeader(headerLine); err != nil {
		f.Close()
		return nil, err
	}
	return r, nil
}

// headerLookahead is how many non-blank lines are read to find the header.
const headerLookahead = 30

// readHeader finds the header row (see pickHeader), or takes line
// headerLine when a person chose it, and keeps the lines after it for Next.
func (r *Reader) readHeader(headerLine int) error {
	var seen []bufferedRow
	for len(seen) < headerLookahead {
		row, err := r.next()
		if err == io.EOF {
			break
		}
		if err != nil && len(seen) > 0 && headerLine == 0 {
			// A broken line below the header is that line's problem, told
			// when the rows are read, not the whole file's.
			r.deferred = err
			break
		}
		if err != nil {
			return err
		}
		r.advance()
		if isBlank(row) {
			continue
		}
		if len(row) > r.limits.MaxColumns {
			return &Problem{Code: ProblemTooManyCols, Line: r.line, Err: fmt.Errorf("%d columns", len(row))}
		}
		for i, c := range row {
			row[i] = strings.TrimSpace(strings.TrimPrefix(c, "\uFEFF"))
		}
		seen = append(seen, bufferedRow{line: r.line, cells: row})
		if headerLine > 0 && r.line >= headerLine {
			break
		}
	}
	if len(seen) == 0 {
		return &Problem{Code: ProblemEmpty, Err: errors.New("no header row")}
	}
	at := pickHeader(seen)
	if headerLine > 0 {
		at = -1
		for i, b := range seen {
			if b.line == headerLine {
				at = i
			}
		}
		if at < 0 {
			return &Problem{Code: ProblemEmpty, Line: headerLine, Err: errors.New("the chosen header line is blank or missing")}
		}
	}
	for _, b := range seen {
		r.Candidates = append(r.Candidates, Candidate{Line: b.line, Cells: b.cells})
	}
	r.HeaderLine = seen[at].line
	r.merges.across(r.HeaderLine, seen[at].cells)
	r.header = ColumnNames(seen[at].cells, widest(seen))
	r.ahead = seen[at+1:]
	return nil
}

// pickHeader returns the index of the header among the first non-blank
// lines. Spreadsheets kept by hand often start with a title ("客户清单"), an
// export date or a note, in one or two cells, before the real header; so the
// header is the first line that fills at least half as many cells as the
// widest line, with at least two cells (one when every line has one), whose
// filled cells are labels: text, not numbers or dates, not a long sentence.
func pickHeader(rows []bufferedRow) int {
	w := 0
	for _, b := range rows {
		w = max(w, filled(b.cells))
	}
	need := max(min(2, w), (w+1)/2)
	for i, b := range rows {
		if names, others := labels(b.cells); names >= need && others == 0 {
			return i
		}
	}
	return 0
}

func filled(cells []string) int {
	n := 0
	for _, c := range cells {
		if c != "" {
			n++
		}
	}
	return n
}

func widest(rows []bufferedRow) int {
	w := 0
	for _, b := range rows {
		w = max(w, len(b.cells))
	}
	return w
}

// labels counts the distinct filled cells that read like column names, and
// the filled cells that do not (numbers, dates, sentences, "导出日期：…").
func labels(cells []string) (names, others int) {
	seen := map[string]bool{}
	for _, c := range cells {
		if c == "" || seen[c] {
			continue
		}
		seen[c] = true
		if utf8.RuneCountInString(c) > 40 || strings.ContainsAny(c, "：:") && utf8.RuneCountInString(c) > 12 || looksNumeric(c) {
			others++
			continue
		}
		names++
	}
	return names, others
}

// looksNumeric: a number, a date or a time, as a data cell holds them.
func looksNumeric(c string) bool {
	digits, other := 0, 0
	for _, r := range c {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-./:,()%年月日", r):
		default:
			other++
		}
	}
	return digits > 0 && other == 0
}

// ColumnNames makes a header usable for mapping: every column up to width
// named (a generated "列C" where the file has no name), names unique
// ("联系人 (2)").
func ColumnNames(cells []string, width int) []string {
	out := make([]string, max(len(cells), width))
	seen := map[string]int{}
	for i := range out {
		name := ""
		if i < len(cells) {
			name = cells[i]
		}
		if name == "" {
			col, _ := excelize.ColumnNumberToName(i + 1)
			name = "列" + col
		}
		if n := seen[name]; n > 0 {
			seen[name] = n + 1
			name = fmt.Sprintf("%s (%d)", name, n+1)
		} else {
			seen[name] = 1
		}
		out[i] = name
	}
	return out
}

// xlsxOptions make excelize show Excel's built-in date formats the way a
// Chinese Excel shows them, in an order the importer reads without guessing:
// format 14 (the short date, 1985/11/23 on a Chinese Windows) is 1985-11-23
// instead of excelize's default 11-23-85, and 22 adds the time.
func xlsxOptions(limits Limits) excelize.Options {
	return excelize.Options{
		UnzipSizeLimit:    limits.MaxUnzipped,
		UnzipXMLSizeLimit: min(int64(16<<20), limits.MaxUnzipped),
		ShortDatePattern:  "yyyy-mm-dd",
		LongDatePattern:   "yyyy\"年\"m\"月\"d\"日\"",
		LongTimePattern:   "hh:mm:ss",
		CultureInfo:       excelize.CultureNameZhCN,
	}
}

func openXLSX(path, sheet string, headerLine int, limits Limits) (*Reader, error) {
	if err := checkZipParts(path, limits); err != nil {
		return nil, err
	}
	f, err := excelize.OpenFile(path, xlsxOptions(limits))
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
	merges, garbled, err := inspectWorkbook(path, sheet, limits)
	if err != nil {
		f.Close()
		return nil, &Problem{Code: ProblemNotXLSX, Err: err}
	}
	// Cells come as Excel shows them (dates, zero-padded codes). When a
	// style may garble whole numbers (1.38E+10 for a mobile number), a
	// second cursor walks the sheet in step for the stored values; most
	// workbooks have no such style and are read once.
	shown, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		if strings.Contains(err.Error(), "size limit") {
			return nil, &Problem{Code: ProblemTooLarge, Err: err}
		}
		return nil, &Problem{Code: ProblemNotXLSX, Err: err}
	}
	var stored *excelize.Rows
	if garbled {
		if stored, err = f.Rows(sheet); err != nil {
			shown.Close()
			f.Close()
			return nil, &Problem{Code: ProblemNotXLSX, Err: err}
		}
	}
	r := &Reader{limits: limits, Sheets: sheets, Sheet: sheet, merges: merges}
	r.closer = func() error {
		if stored != nil {
			stored.Close()
		}
		return errors.Join(shown.Close(), f.Close())
	}
	r.next = func() ([]string, error) {
		more := shown.Next()
		if stored != nil {
			more = stored.Next() && more
		}
		if !more {
			err := shown.Error()
			if stored != nil {
				err = errors.Join(err, stored.Error())
			}
			if err != nil {
				return nil, &Problem{Code: ProblemNotXLSX, Line: r.line + 1, Err: err}
			}
			return nil, io.EOF
		}
		cols, err := shown.Columns()
		if err != nil {
			return nil, &Problem{Code: ProblemNotXLSX, Line: r.line + 1, Err: err}
		}
		if stored != nil {
			raw, err := stored.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				return nil, &Problem{Code: ProblemNotXLSX, Line: r.line + 1, Err: err}
			}
			for i := range cols {
				if i < len(raw) {
					cols[i] = cellValue(cols[i], raw[i])
				}
			}
		}
		r.Merged += merges.fill(r.line+1, &cols)
		return cols, nil
	}
	if err := r.readHeader(headerLine); err != nil {
		r.Close()
		return nil, err
	}
	return r, nil
}

// cellValue picks what to import from a cell as shown and as stored: the
// shown text, except for a whole number that a number format turned into
// scientific notation (1.38E+10), where the stored digits are exact. Dates and zero-padded codes ("075526668888"
// from the format 000000000000) stay as shown.
func cellValue(shown, raw string) string {
	if shown == raw || raw == "" {
		return shown
	}
	n, err := strconv.ParseFloat(raw, 64)
	if err != nil || n != math.Trunc(n) || math.Abs(n) >= 1e15 {
		return shown
	}
	if strings.ContainsAny(shown, "Ee") {
		return strconv.FormatFloat(n, 'f', -1, 64)
	}
	return shown
}
