// Package search keeps a Bleve full-text index of customers, prospects,
// contacts, customer issues and knowledge articles in step with the
// database, and answers searches with the role rules applied.
//
// The index is derived data. Every committed change leaves a row in the
// database's index queue (in the same transaction); the worker here applies
// the queue in batches, re-reading each record through models, so a crash
// after a commit loses nothing. A missing, outdated or unreadable index is
// rebuilt from the database in the background.
package search

import (
	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/lang/cjk"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/single"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/whitespace"
	"github.com/blevesearch/bleve/v2/mapping"
)

// MappingVersion is stored inside the index. Bump it whenever the mapping or
// the documents change: an index of an older version is rebuilt at start-up.
//
// 3: an article's category is in its status field ("c" + the item id), so
// a category filter is part of the query, not a filter of its first hits.
// 4: the pinyin of customers', prospects' and contacts' names (pinyin.go),
// a date for the after:/before: filters (filters.go), and an article's
// keywords in a field of their own, weighted like the title.
const MappingVersion = 4

const (
	// textAnalyzer finds Chinese by any two adjacent characters (CJK
	// bigrams, lone characters as unigrams) and English by word, lower-cased,
	// with plurals folded: "printers" finds "printer".
	textAnalyzer = "keyuan_text"
	// keyAnalyzer keeps a code, phone number, e-mail or name whole and
	// lower-cased, for prefix queries.
	keyAnalyzer = "keyuan_key"
	// wordsAnalyzer splits the pinyin fields at spaces: each holds all of
	// a record's forms in one string, because Bleve makes a field object
	// per array element, and a hundred of them per company made a rebuild
	// three times slower and its heap several times larger.
	wordsAnalyzer = "keyuan_words"
)

// Field names of the index documents.
const (
	fieldKind   = "kind"
	fieldOwner  = "owner"
	fieldStatus = "status"
	fieldTitle  = "title"
	fieldBody   = "body"
	fieldKeys   = "keys"
	fieldCode   = "code"
	fieldSub    = "sub"
	fieldParent = "parent"
	// fieldPinyin and fieldPinyinPrefix: see pinyin.go.
	fieldPinyin       = "py"
	fieldPinyinPrefix = "pyp"
	fieldDate         = "date"
	fieldKeywords     = "kw"
)

// indexDoc is one record as the index sees it.
type indexDoc struct {
	Kind   string   `json:"kind"`
	Owner  string   `json:"owner"`
	Status string   `json:"status"`
	Title  string   `json:"title"`
	Body   string   `json:"body"`
	Keys   []string `json:"keys"`
	Code   string   `json:"code"`
	Sub    string   `json:"sub"`
	Parent string   `json:"parent"`
	Py     string   `json:"py"`   // space-separated (wordsAnalyzer)
	PyPre  string   `json:"pyp"`  // space-separated (wordsAnalyzer)
	Date   string   `json:"date"` // RFC 3339; "" is not indexed
	KW     string   `json:"kw"`
}

func newMapping() (mapping.IndexMapping, error) {
	im := bleve.NewIndexMapping()
	if err := im.AddCustomAnalyzer(textAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []any{cjk.WidthName, lowercase.Name, en.PossessiveName, cjk.BigramName, en.PluralStemmerName},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(keyAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     single.Name,
		"token_filters": []any{cjk.WidthName, lowercase.Name},
	}); err != nil {
		return nil, err
	}
	if err := im.AddCustomAnalyzer(wordsAnalyzer, map[string]any{
		"type":          custom.Name,
		"tokenizer":     whitespace.Name,
		"token_filters": []any{},
	}); err != nil {
		return nil, err
	}
	im.DefaultAnalyzer = textAnalyzer
	im.IndexDynamic = false
	im.StoreDynamic = false
	im.DocValuesDynamic = false

	keyword := func(store, docValues bool) *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Store = store
		f.DocValues = docValues
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		return f
	}
	text := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = textAnalyzer
		f.Store = true
		// No term vectors: hits are highlighted by re-analysing their
		// stored text, which is cheaper than reading locations for every
		// match and keeps the index smaller.
		f.IncludeTermVectors = false
		f.IncludeInAll = false
		f.DocValues = false
		return f
	}
	storedOnly := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Index = false
		f.Store = true
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	keys := bleve.NewTextFieldMapping()
	keys.Analyzer = keyAnalyzer
	keys.Store = false
	keys.IncludeInAll = false
	keys.IncludeTermVectors = false
	keys.DocValues = false

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt(fieldKind, keyword(true, true))
	doc.AddFieldMappingsAt(fieldOwner, keyword(false, false))
	doc.AddFieldMappingsAt(fieldStatus, keyword(true, false))
	doc.AddFieldMappingsAt(fieldTitle, text())
	kw := text()
	kw.Store = false // found by, not shown
	doc.AddFieldMappingsAt(fieldKeywords, kw)
	doc.AddFieldMappingsAt(fieldBody, text())
	doc.AddFieldMappingsAt(fieldKeys, keys)
	doc.AddFieldMappingsAt(fieldCode, storedOnly())
	doc.AddFieldMappingsAt(fieldSub, storedOnly())
	doc.AddFieldMappingsAt(fieldParent, storedOnly())
	words := func() *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = wordsAnalyzer
		f.Store = false
		f.IncludeInAll = false
		f.IncludeTermVectors = false
		f.DocValues = false
		return f
	}
	doc.AddFieldMappingsAt(fieldPinyin, words())
	doc.AddFieldMappingsAt(fieldPinyinPrefix, words())
	date := bleve.NewDateTimeFieldMapping()
	date.Store = false
	date.IncludeInAll = false
	date.IncludeTermVectors = false
	date.DocValues = true // a search of filters alone lists the newest first
	doc.AddFieldMappingsAt(fieldDate, date)
	im.DefaultMapping = doc
	return im, im.Validate()
}
