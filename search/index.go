package search

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2"

	"keyuan/models"
)

// versionKey is where the index keeps its MappingVersion.
var versionKey = []byte("keyuan.mapping_version")

// docID is the index id of a record, e.g. "issue:12".
func docID(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

func parseDocID(s string) (models.SearchRef, bool) {
	kind, num, ok := strings.Cut(s, ":")
	id, err := strconv.ParseInt(num, 10, 64)
	return models.SearchRef{Kind: kind, ID: id}, ok && err == nil
}

// ownerAll marks records every role may see (knowledge articles).
const ownerAll = "all"

func toIndexDoc(d models.SearchDoc) indexDoc {
	owner := ownerAll
	if d.Owner != 0 {
		owner = strconv.FormatInt(d.Owner, 10)
	}
	parent := ""
	if d.ParentID != 0 {
		parent = docID(d.ParentKind, d.ParentID)
	}
	body := d.Text
	if d.Kind == "article" || d.Kind == "issue" {
		body = plainMarkdown(body) // solutions are Markdown; snippets read better without the marks
	}
	py, pyPre := pinyinKeys(d.Kind, d.Title, d.Keys)
	return indexDoc{Kind: d.Kind, Owner: owner, Status: d.Status, Title: d.Title, Body: body, Keys: expandKeys(d.Keys),
		Code: d.Code, Sub: d.Sub, Parent: parent, Py: strings.Join(py, " "), PyPre: strings.Join(pyPre, " "), Date: d.Date, KW: d.Keywords}
}

// expandKeys adds the forms a phone number is typed in: digits only, and
// the local number without the area code.
func expandKeys(keys []string) []string {
	out := make([]string, 0, len(keys)+2)
	for _, k := range keys {
		out = append(out, k)
		digits := strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, k)
		if len(digits) >= 5 && digits != k && strings.IndexFunc(k, unicode.IsLetter) < 0 {
			out = append(out, digits)
			if i := strings.LastIndexAny(k, "- "); i > 0 && len(k)-i > 5 {
				out = append(out, k[i+1:])
			}
		}
	}
	return out
}

// createIndex makes an empty index at path with the current mapping.
func createIndex(path string) (bleve.Index, error) {
	m, err := newMapping()
	if err != nil {
		return nil, err
	}
	idx, err := bleve.New(path, m)
	if err != nil {
		return nil, err
	}
	if err := idx.SetInternal(versionKey, []byte(strconv.Itoa(MappingVersion))); err != nil {
		idx.Close()
		return nil, err
	}
	return idx, nil
}

// errMissing and errOutdated are the states of an index on disk that call
// for a rebuild but are nobody's fault.
var (
	errMissing  = errors.New("index missing")
	errOutdated = errors.New("index mapping outdated")
)

// openIndex opens the index at path and checks its mapping version. It
// returns errMissing or errOutdated (with the index closed) for the known
// reasons to rebuild; any other error means the index is unreadable.
func openIndex(path string) (bleve.Index, error) {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, errMissing
	}
	idx, err := bleve.Open(path)
	if err != nil {
		return nil, err
	}
	v, err := idx.GetInternal(versionKey)
	if err != nil {
		idx.Close()
		return nil, fmt.Errorf("read mapping version: %w", err)
	}
	n, err := strconv.Atoi(string(v))
	switch {
	case err != nil || n > MappingVersion:
		// Not ours, or written by a newer program: unknown, so not "outdated".
		idx.Close()
		return nil, fmt.Errorf("index mapping version %q is not one this program knows", v)
	case n < MappingVersion:
		idx.Close()
		return nil, errOutdated
	}
	return idx, nil
}

var (
	mdLink    = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)`)
	mdHeading = regexp.MustCompile(`(?m)^\s{0,3}(#{1,6}|>)\s*`)
	mdMarks   = strings.NewReplacer("**", "", "__", "", "~~", "", "`", "")
)

// plainMarkdown strips the Markdown marks that would show as clutter in a
// search snippet: emphasis, code ticks, headings, quotes, link targets.
func plainMarkdown(s string) string {
	s = mdLink.ReplaceAllString(s, "$1")
	s = mdHeading.ReplaceAllString(s, "")
	return mdMarks.Replace(s)
}
