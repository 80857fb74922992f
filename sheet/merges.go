package sheet

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"path"
	"regexp"
	"sort"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Merged cells in XLSX keep their value only in the top-left cell. A region
// or an industry merged down several rows means that value for every row it
// covers, so the reader fills the rows below with it (in the range's first
// column: a note merged across columns stays one value). Across columns only
// the header is filled: "联系人" merged over two columns names both, as
// "联系人" and "联系人 (2)". A title merged across the top stays one cell, so
// the header detection still sees it as a title.
//
// excelize can list merged cells, but only by loading the whole worksheet
// into memory; a 100,000-row sheet would cost hundreds of megabytes. The
// <mergeCells> element sits after the rows, so readMerges streams the sheet's
// XML once with a byte search instead, bounded by the unzip limit.

// maxMerges bounds the merged ranges honoured in one sheet.
const maxMerges = 20_000

type mergeRange struct {
	c1, r1, c2, r2 int
	value          string
}

type mergeSet struct {
	all     []*mergeRange // sorted by first row
	pending []*mergeRange // not yet reached
	active  []*mergeRange // covering the rows being read
}

// across names the header cells that a range merged across columns covers.
func (m *mergeSet) across(rowNum int, cells []string) {
	if m == nil {
		return
	}
	for _, g := range m.all {
		if g.r1 > rowNum {
			break
		}
		if g.r1 != rowNum || g.c1 > len(cells) || cells[g.c1-1] == "" {
			continue
		}
		for c := g.c1 + 1; c <= g.c2 && c <= len(cells); c++ {
			if cells[c-1] == "" {
				cells[c-1] = cells[g.c1-1]
			}
		}
	}
}

// fill completes row number rowNum (1-based) from the merged ranges and
// returns how many cells it filled.
func (m *mergeSet) fill(rowNum int, cols *[]string) int {
	if m == nil {
		return 0
	}
	for len(m.pending) > 0 && m.pending[0].r1 <= rowNum {
		g := m.pending[0]
		m.pending = m.pending[1:]
		if g.r1 == rowNum && g.c1 <= len(*cols) {
			g.value = (*cols)[g.c1-1]
		}
		m.active = append(m.active, g)
	}
	n := 0
	keep := m.active[:0]
	for _, g := range m.active {
		if g.r2 < rowNum {
			continue
		}
		keep = append(keep, g)
		if g.value == "" || rowNum == g.r1 {
			continue
		}
		for len(*cols) < g.c1 {
			*cols = append(*cols, "")
		}
		if (*cols)[g.c1-1] == "" {
			(*cols)[g.c1-1] = g.value
			n++
		}
	}
	m.active = keep
	return n
}

var mergeRef = regexp.MustCompile(`<(?:\w+:)?mergeCell\s[^>]*?ref="([A-Za-z]{1,3}[0-9]{1,7}):([A-Za-z]{1,3}[0-9]{1,7})"`)

// inspectWorkbook reads what the cell stream does not tell: the merged
// ranges of the sheet, and whether any cell style shows whole numbers
// differently from how they are stored (see garbles).
func inspectWorkbook(filePath, sheet string, limits Limits) (*mergeSet, bool, error) {
	zr, err := zip.OpenReader(filePath)
	if err != nil {
		return nil, false, err
	}
	defer zr.Close()
	garbled, err := garblingStyles(&zr.Reader)
	if err != nil {
		return nil, false, err
	}
	merges, err := readMerges(&zr.Reader, sheet, limits)
	return merges, garbled, err
}

// garblingStyles reports whether a cell style uses a number format that
// loses the digits of a whole number: scientific (1.38E+10). Thousands
// separators (13,800,138,000) keep every digit and are left to the fields
// that read numbers.
func garblingStyles(zr *zip.Reader) (bool, error) {
	var styles struct {
		NumFmts []struct {
			ID   int    `xml:"numFmtId,attr"`
			Code string `xml:"formatCode,attr"`
		} `xml:"numFmts>numFmt"`
		Xfs []struct {
			NumFmtID int `xml:"numFmtId,attr"`
		} `xml:"cellXfs>xf"`
	}
	if err := readXMLPart(zr, "xl/styles.xml", &styles); err != nil {
		return false, nil // a workbook without styles shows numbers plainly
	}
	garbling := map[int]bool{11: true, 48: true}
	for _, f := range styles.NumFmts {
		c := strings.ToUpper(f.Code)
		if strings.Contains(c, "E+") || strings.Contains(c, "E-") {
			garbling[f.ID] = true
		}
	}
	for _, x := range styles.Xfs {
		if garbling[x.NumFmtID] {
			return true, nil
		}
	}
	return false, nil
}

// readMerges lists the merged ranges of the named sheet.
func readMerges(zr *zip.Reader, sheet string, limits Limits) (*mergeSet, error) {
	name, err := sheetPart(zr, sheet)
	if err != nil || name == "" {
		return nil, err
	}
	var part *zip.File
	for _, f := range zr.File {
		if f.Name == name {
			part = f
		}
	}
	if part == nil {
		return nil, nil
	}
	rc, err := part.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()

	set := &mergeSet{}
	src := io.LimitReader(rc, limits.MaxUnzipped)
	buf := make([]byte, 1<<20)
	var carry []byte
	for {
		n, rerr := io.ReadFull(src, buf)
		chunk := append(carry, buf[:n]...)
		// A <mergeCell …/> is short; keep the tail for the next chunk so
		// one cut in two is still found.
		end := len(chunk)
		if rerr == nil {
			end = max(0, len(chunk)-512)
		}
		for i := bytes.Index(chunk[:end], []byte("mergeCell ")); i >= 0; {
			from := max(0, i-16)
			to := min(len(chunk), i+512)
			if m := mergeRef.FindSubmatch(chunk[from:to]); m != nil {
				if g := parseRange(string(m[1]), string(m[2])); g != nil && len(set.pending) < maxMerges {
					set.pending = append(set.pending, g)
				}
			}
			next := bytes.Index(chunk[i+1:end], []byte("mergeCell "))
			if next < 0 {
				break
			}
			i += 1 + next
		}
		carry = append(carry[:0], chunk[end:]...)
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return nil, rerr
		}
	}
	sort.Slice(set.pending, func(i, j int) bool { return set.pending[i].r1 < set.pending[j].r1 })
	set.all = append([]*mergeRange(nil), set.pending...)
	return set, nil
}

func parseRange(a, b string) *mergeRange {
	c1, r1, err1 := excelize.CellNameToCoordinates(strings.ToUpper(a))
	c2, r2, err2 := excelize.CellNameToCoordinates(strings.ToUpper(b))
	if err1 != nil || err2 != nil {
		return nil
	}
	if c2 < c1 {
		c1, c2 = c2, c1
	}
	if r2 < r1 {
		r1, r2 = r2, r1
	}
	return &mergeRange{c1: c1, r1: r1, c2: c2, r2: r2}
}

// sheetPart finds the zip entry of a sheet by its name, through the
// workbook and its relationships.
func sheetPart(zr *zip.Reader, sheet string) (string, error) {
	var book struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	var rels struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := readXMLPart(zr, "xl/workbook.xml", &book); err != nil {
		return "", err
	}
	if err := readXMLPart(zr, "xl/_rels/workbook.xml.rels", &rels); err != nil {
		return "", err
	}
	for _, s := range book.Sheets {
		if s.Name != sheet {
			continue
		}
		for _, r := range rels.Rels {
			if r.ID == s.RID {
				if strings.HasPrefix(r.Target, "/") {
					return strings.TrimPrefix(r.Target, "/"), nil
				}
				return path.Clean("xl/" + r.Target), nil
			}
		}
	}
	return "", nil
}

// readXMLPart decodes a small part of the package (at most 4 MB).
func readXMLPart(zr *zip.Reader, name string, v any) error {
	for _, f := range zr.File {
		if !strings.EqualFold(f.Name, name) {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		err = xml.NewDecoder(io.LimitReader(rc, 4<<20)).Decode(v)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}
	return fmt.Errorf("%s missing", name)
}

// checkZipParts refuses a package whose declared sizes break the limits
// (see maxSharedStrings), before excelize unzips anything. The zip reader
// checks later that no part unzips to more than it declared.
func checkZipParts(path string, limits Limits) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return &Problem{Code: ProblemNotXLSX, Err: err}
	}
	defer zr.Close()
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if strings.EqualFold(f.Name, "xl/sharedStrings.xml") && f.UncompressedSize64 > maxSharedStrings {
			return &Problem{Code: ProblemTooLarge, Err: fmt.Errorf("shared strings of %d bytes", f.UncompressedSize64)}
		}
		if f.UncompressedSize64 > ratioFloor && f.UncompressedSize64 > maxZipRatio*max(f.CompressedSize64, 1) {
			return &Problem{Code: ProblemTooLarge, Err: fmt.Errorf("%s unzips %d:1", f.Name, f.UncompressedSize64/max(f.CompressedSize64, 1))}
		}
	}
	if total > uint64(limits.MaxUnzipped) {
		return &Problem{Code: ProblemTooLarge, Err: fmt.Errorf("unzips to %d bytes", total)}
	}
	return nil
}
