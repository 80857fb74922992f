package search

import (
	"context"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"

	"keyuan/models"
)

// Limits on what a search may ask for, so no input can make one expensive.
const (
	MaxQueryRunes   = 200 // the search box
	MaxSimilarRunes = 300 // a description typed into the issue form
	maxPrefixTerms  = 4
	maxFrom         = 1000
	maxSize         = 100
	// coverageBoost weighs a field that holds every word of the query.
	coverageBoost = 3
	// commonDocs (a variable below): a word of the query found in more documents of a field
	// than this is left out of that field's "any word" part (it stays in
	// the "every word" part). A full company name is mostly such words
	// (有限, 公司, 科技): looking for any of them scored most of a 400,000
	// document index, 400–600 ms, to rank the one company that has them all
	// first. Their weight in the ranking was next to nothing anyway (a word
	// in a quarter of the documents says little). Small indexes have no
	// such words, so their ranking is unchanged.
	// keywordsBoost weighs an article's keywords, the words its author
	// chose for finding it: like the title.
	keywordsBoost = 2
)

// commonDocs is a variable so that a test can make words common in a small
// index.
var commonDocs uint64 = 5000

// Query is one search. Text is what the user typed, taken literally: no
// query syntax, so `+-:*"~^()` are only punctuation.
type Query struct {
	Text  string
	Kinds []string // empty: every kind
	// IssueStatuses restricts issue hits to these statuses (e.g. resolved
	// and archived ones for "similar issues").
	IssueStatuses []string
	Size          int
	From          int
	CountByKind   bool // also count hits per kind
	// Similar treats Text as a description to match against, not a
	// search box entry: longer, and no prefix matching of codes.
	Similar bool
	// ArticleCategory restricts article hits to one category (an
	// issue_type item), inside the query, so totals and pages are right.
	ArticleCategory int64

	filters queryFilters // read from Text by Search (filters.go)
}

// Hit is one result, ready to show. Title and Snippet are HTML in which
// everything is escaped except the <mark> tags around matching words.
type Hit struct {
	models.SearchRef
	Score      float64
	Title      template.HTML
	Snippet    template.HTML
	Code       string
	Sub        string
	Status     string
	ParentKind string
	ParentID   int64
}

// Results is a page of hits the actor may see.
type Results struct {
	Hits   []Hit
	Total  int
	ByKind map[string]int
	Took   time.Duration
	// Loose is set when nothing matched the query's words and these are
	// the results of the looser fallback query (see looseText).
	Loose bool
	// Filters are the filters read from the query (filters.go); the rest
	// of the query was searched as text.
	Filters []Filter
}

// normalize trims the text to limits and drops control characters.
func normalizeText(s string, limit int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > limit {
		s = string([]rune(s)[:limit])
	}
	return s
}

// hasSearchable reports whether s has a letter or digit to search for.
func hasSearchable(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }) >= 0
}

// prefixTerms picks the words of the query that may be the start of a code,
// phone number, e-mail or name: long enough that the prefix does not expand
// to half the dictionary.
func prefixTerms(text string) []string {
	var out []string
	for _, w := range strings.Fields(strings.ToLower(text)) {
		if len(out) == maxPrefixTerms {
			break
		}
		w = strings.Map(func(r rune) rune {
			if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-@._+", r) {
				return r
			}
			return -1
		}, w)
		n := utf8.RuneCountInString(w)
		cjk := strings.IndexFunc(w, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
		if (cjk && n >= 2) || n >= 3 {
			out = append(out, w)
		}
	}
	return out
}

func termsOr(field string, values ...string) query.Query {
	qs := make([]query.Query, len(values))
	for i, v := range values {
		t := bleve.NewTermQuery(v)
		t.SetField(field)
		qs[i] = t
	}
	if len(qs) == 1 {
		return qs[0]
	}
	return bleve.NewDisjunctionQuery(qs...)
}

// buildQuery turns q into a Bleve query: the words in titles and bodies, the
// prefixes in keys, restricted to the kinds asked for and, for a
// salesperson, to their own records (the database checks again after).
//
// Ranking model. The words typed are looked for in the title (weight 2), an
// article's keywords (2: the words its author chose for finding it) and the
// body (1), each as a disjunction of the query's bigrams, so a document
// matching more of the query scores more (Bleve scales a disjunction by the
// share of its clauses that match). On top, per field: holding every bigram
// of the query adds a coverage bonus (weight 3), larger than the title's
// weight, so a short title that is only a fragment of the query cannot beat
// a document that matches all of it. (A "two thirds of the query" tier
// was tried: one query better on the quality fixture, for 1.6 times the
// CPU of a search, so not kept.) Synonyms (see synonyms.go) count as a
// complete match at weight 2 when the query with a synonym in place of its
// word is covered, and as words at 0.4; Latin words are also looked up as
// the pinyin of names (pinyin.go), below Chinese matches.
//
// common holds, per field, the words of the query too common to look for
// on their own (see commonDocs); nil leaves none out.
func buildQuery(q Query, actor models.Actor, synonyms [][]string, common *commonTerms) query.Query {
	if !hasSearchable(q.Text) {
		// Filters alone: every record they allow.
		return withFilters(bleve.NewMatchAllQuery(), q, actor)
	}
	var should []query.Query
	for _, f := range []struct {
		field string
		boost float64
	}{{fieldTitle, 2}, {fieldKeywords, keywordsBoost}, {fieldBody, 1}} {
		if common == nil || len(common.byField[f.field]) == 0 {
			m := bleve.NewMatchQuery(q.Text)
			m.SetField(f.field)
			m.Analyzer = textAnalyzer
			m.SetBoost(f.boost)
			should = append(should, m)
		} else if some := common.anyOf(f.field, f.boost); some != nil {
			should = append(should, some)
		}
		all := bleve.NewMatchQuery(q.Text)
		all.SetField(f.field)
		all.Analyzer = textAnalyzer
		all.SetOperator(query.MatchQueryOperatorAnd)
		all.SetBoost(coverageBoost)
		should = append(should, all)
	}
	should = append(should, synonymQueries(synonyms, q.Text)...)
	if !q.Similar {
		for _, p := range prefixTerms(q.Text) {
			pq := bleve.NewPrefixQuery(p)
			pq.SetField(fieldKeys)
			pq.SetBoost(4)
			should = append(should, pq)
		}
		should = append(should, pinyinQueries(q.Text)...)
	}
	return withFilters(bleve.NewDisjunctionQuery(should...), q, actor)
}

// commonTerms are the query's analysed words and, per field, those found in
// more than commonDocs documents.
type commonTerms struct {
	terms   []string
	byField map[string]map[string]bool
}

// findCommonTerms looks up how many documents of the title and body hold
// each word of text: a dictionary lookup per word and field.
func findCommonTerms(ctx context.Context, idx bleve.Index, text string) (*commonTerms, error) {
	an := idx.Mapping().AnalyzerNamed(textAnalyzer)
	if an == nil {
		return nil, nil
	}
	c := &commonTerms{byField: map[string]map[string]bool{}}
	for _, tok := range an.Analyze([]byte(text)) {
		c.terms = append(c.terms, string(tok.Term))
	}
	adv, err := idx.Advanced()
	if err != nil {
		return nil, err
	}
	r, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	for _, field := range []string{fieldTitle, fieldBody} {
		for _, t := range c.terms {
			tfr, err := r.TermFieldReader(ctx, []byte(t), field, false, false, false)
			if err != nil {
				return nil, err
			}
			n := tfr.Count()
			if err := tfr.Close(); err != nil {
				return nil, err
			}
			if n > commonDocs {
				if c.byField[field] == nil {
					c.byField[field] = map[string]bool{}
				}
				c.byField[field][t] = true
			}
		}
	}
	return c, nil
}

// anyOf is the "any word" part of field without its common words, as the
// match query builds it (a disjunction of term queries); nil when every
// word is common.
func (c *commonTerms) anyOf(field string, boost float64) query.Query {
	var qs []query.Query
	for _, t := range c.terms {
		if c.byField[field][t] {
			continue
		}
		tq := bleve.NewTermQuery(t)
		tq.SetField(field)
		tq.SetBoost(boost)
		qs = append(qs, tq)
	}
	if len(qs) == 0 {
		return nil
	}
	d := bleve.NewDisjunctionQuery(qs...)
	d.SetMin(1)
	d.SetBoost(boost)
	return d
}

// withFilters restricts text to the kinds, statuses and category asked for
// and, for a salesperson, to their own records.
func withFilters(text query.Query, q Query, actor models.Actor) query.Query {
	var filters []query.Query
	kinds := q.Kinds
	if len(kinds) == 0 {
		kinds = models.SearchKinds
	}
	var kindQs []query.Query
	for _, k := range kinds {
		kq := termsOr(fieldKind, k)
		if k == "issue" && len(q.IssueStatuses) > 0 {
			kq = bleve.NewConjunctionQuery(kq, termsOr(fieldStatus, q.IssueStatuses...))
		}
		if k == "article" && q.ArticleCategory != 0 {
			kq = bleve.NewConjunctionQuery(kq, termsOr(fieldStatus, "c"+strconv.FormatInt(q.ArticleCategory, 10)))
		}
		kindQs = append(kindQs, kq)
	}
	if len(q.Kinds) > 0 || len(q.IssueStatuses) > 0 || q.ArticleCategory != 0 {
		if len(kindQs) == 1 {
			filters = append(filters, kindQs[0])
		} else {
			filters = append(filters, bleve.NewDisjunctionQuery(kindQs...))
		}
	}
	if owners, ok := actor.SearchOwners(); ok {
		terms := []string{ownerAll}
		for _, id := range owners {
			terms = append(terms, strconv.FormatInt(id, 10))
		}
		filters = append(filters, termsOr(fieldOwner, terms...))
	}
	filters = append(filters, q.filters.queries()...)
	if len(filters) == 0 {
		return text
	}
	// The restrictions join the text query as a conjunction, not as a
	// Bleve filter: a conjunction leaps through both posting lists, where a
	// filter looks at every text match in turn (slow for a salesperson's
	// search for a common word). Their tiny boost keeps them out of the
	// ranking.
	for _, f := range filters {
		if b, ok := f.(query.BoostableQuery); ok {
			b.SetBoost(1e-9)
		}
	}
	return bleve.NewConjunctionQuery(append([]query.Query{text}, filters...)...)
}

// Search runs q for actor. Every hit is checked against the database before
// it is shown, so a record the actor may not see never appears, not even
// when the index lags behind a change of owner.
func (s *Service) Search(ctx context.Context, actor models.Actor, q Query) (*Results, error) {
	elapsed := models.Stopwatch()
	limit := MaxQueryRunes
	if q.Similar {
		limit = MaxSimilarRunes
	}
	q.Text = normalizeText(q.Text, limit)
	q.Size = min(max(q.Size, 1), maxSize)
	q.From = min(max(q.From, 0), maxFrom)
	res := &Results{}
	if !q.Similar {
		text, f, err := s.filtersOf(ctx, q.Text)
		if err != nil {
			return nil, err
		}
		q.Text, q.filters, res.Filters = text, f, f.applied
		if f.restrict(&q) {
			return res, nil // the tab's kind is not one the query's type: allows
		}
	}
	if !hasSearchable(q.Text) && !q.filters.any() {
		return res, nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.idx == nil {
		return nil, ErrRebuilding
	}
	// A description matched for similar issues keeps every word: it is
	// long, and its common words (打印, 网络) are often what it is about.
	var common *commonTerms
	if !q.Similar {
		var err error
		if common, err = findCommonTerms(ctx, s.idx, q.Text); err != nil {
			return nil, err
		}
	}
	req := bleve.NewSearchRequestOptions(buildQuery(q, actor, s.Synonyms(), common), q.Size, q.From, false)
	req.Fields = []string{fieldKind, fieldStatus, fieldTitle, fieldBody, fieldCode, fieldSub, fieldParent}
	if q.CountByKind {
		req.AddFacet(fieldKind, bleve.NewFacetRequest(fieldKind, len(models.SearchKinds)))
	}
	if !hasSearchable(q.Text) {
		req.SortBy([]string{"-" + fieldDate, "_id"}) // filters alone: newest first
	}
	sr, err := s.idx.SearchInContext(ctx, req)
	if err != nil {
		return nil, err
	}
	if sr.Total == 0 && common != nil && len(common.byField) > 0 {
		// Nothing holds the rarer words, nor every word: the common words
		// alone are what the query has (slow, as it always was).
		req.Query = buildQuery(q, actor, s.Synonyms(), nil)
		if sr, err = s.idx.SearchInContext(ctx, req); err != nil {
			return nil, err
		}
	}
	if sr.Total == 0 && !q.Similar && hasSearchable(q.Text) {
		// Nothing has the query's words: look for documents holding its
		// characters instead, and say so.
		if lq := looseQuery(q, actor); lq != nil {
			req.Query = lq
			if sr, err = s.idx.SearchInContext(ctx, req); err != nil {
				return nil, err
			}
			res.Loose = sr.Total > 0
		}
	}
	return s.results(ctx, actor, q, sr, res, elapsed)
}

// maxLooseRunes caps the characters of the fallback query: each is a
// prefix query over the index's bigrams.
const maxLooseRunes = 8

// looseQuery is the fallback when the query's words match nothing: every
// Chinese character of the query as the start of a bigram, or as a lone
// character, in the title or body, so that a document holding most of the
// characters ranks first (登不上 finds 无法登录 by 登). nil when the query
// has fewer than two Chinese characters.
func looseQuery(q Query, actor models.Actor) query.Query {
	var chars []string
	seen := map[rune]bool{}
	for _, r := range q.Text {
		if unicode.Is(unicode.Han, r) && !seen[r] && len(chars) < maxLooseRunes {
			seen[r] = true
			chars = append(chars, string(r))
		}
	}
	if len(chars) < 2 {
		return nil
	}
	var should []query.Query
	for _, c := range chars {
		for _, field := range []string{fieldTitle, fieldBody} {
			p := bleve.NewPrefixQuery(c)
			p.SetField(field)
			should = append(should, p)
		}
	}
	loose := bleve.NewDisjunctionQuery(should...)
	// At least two thirds of the characters: a common character or two
	// alone are not a "similar" result.
	loose.SetMin(float64(max(2, (2*len(chars)+2)/3)))
	return withFilters(loose, q, actor)
}

func (s *Service) results(ctx context.Context, actor models.Actor, q Query, sr *bleve.SearchResult, res *Results, elapsed func() time.Duration) (*Results, error) {
	refs := make([]models.SearchRef, 0, len(sr.Hits))
	for _, h := range sr.Hits {
		if ref, ok := parseDocID(h.ID); ok {
			refs = append(refs, ref)
		}
	}
	visible, err := s.db.VisibleSearchRefs(ctx, actor, refs)
	if err != nil {
		return nil, err
	}
	hl := newHighlighter(s.idx.Mapping().AnalyzerNamed(textAnalyzer), q.Text)
	dropped := map[string]int{}
	for _, h := range sr.Hits {
		ref, ok := parseDocID(h.ID)
		if !ok || !visible[ref] {
			dropped[ref.Kind]++
			continue
		}
		res.Hits = append(res.Hits, hl.hit(ref, h))
	}
	res.Total = int(sr.Total)
	for _, n := range dropped {
		res.Total -= n
	}
	res.Total = max(res.Total, len(res.Hits))
	if q.CountByKind {
		res.ByKind = map[string]int{}
		if f, ok := sr.Facets[fieldKind]; ok && f.Terms != nil {
			for _, t := range f.Terms.Terms() {
				res.ByKind[t.Term] = max(0, t.Count-dropped[t.Term])
			}
		}
	}
	res.Took = elapsed()
	return res, nil
}

func storedString(h *search.DocumentMatch, field string) string {
	s, _ := h.Fields[field].(string)
	return s
}

// highlighter marks the words of a query in the text of a hit. It analyses
// the text with the index's own analyser, so what is marked is exactly what
// matched: the CJK bigrams and English words of the query.
type highlighter struct {
	an    analysis.Analyzer
	terms map[string]bool
}

func newHighlighter(an analysis.Analyzer, query string) *highlighter {
	h := &highlighter{an: an, terms: map[string]bool{}}
	if an == nil {
		return h
	}
	for _, tok := range an.Analyze([]byte(query)) {
		h.terms[string(tok.Term)] = true
	}
	return h
}

// spans returns the byte ranges of text where a query term occurs. The
// terms are CJK bigrams, single Han characters and lower-case words; finding
// them with a substring search over an ASCII-lower-cased copy gives the same
// ranges as analysing the text (byte offsets line up because only ASCII
// letters change), at a fraction of the cost.
func (h *highlighter) spans(text string) []span {
	if len(h.terms) == 0 || text == "" {
		return nil
	}
	lower := asciiLower(text)
	var out []span
	for t := range h.terms {
		word := isASCIIWord(t)
		for from := 0; from < len(lower); {
			i := strings.Index(lower[from:], t)
			if i < 0 {
				break
			}
			start := from + i
			from = start + len(t)
			if word && start > 0 && isWordByte(lower[start-1]) {
				continue // inside another word
			}
			out = append(out, span{start, start + len(t)})
		}
	}
	return out
}

func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func isWordByte(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

func isASCIIWord(t string) bool {
	for i := 0; i < len(t); i++ {
		if !isWordByte(t[i]) {
			return false
		}
	}
	return t != ""
}

func (h *highlighter) hit(ref models.SearchRef, m *search.DocumentMatch) Hit {
	hit := Hit{SearchRef: ref, Score: m.Score, Code: storedString(m, fieldCode), Sub: storedString(m, fieldSub),
		Status: storedString(m, fieldStatus)}
	if p, ok := parseDocID(storedString(m, fieldParent)); ok {
		hit.ParentKind, hit.ParentID = p.Kind, p.ID
	}
	title, body := storedString(m, fieldTitle), storedString(m, fieldBody)
	hit.Title = highlight(title, h.spans(title), 120, false)
	hit.Snippet = highlight(body, h.spans(body), 110, true)
	return hit
}
