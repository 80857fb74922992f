package search

import (
	"html"
	"html/template"
	"sort"
	"strings"
	"unicode/utf8"
)

// span is a byte range [start, end) of a matched term in a text.
type span struct{ start, end int }

// mergeSpans sorts spans and joins overlapping or touching ones: CJK bigrams
// overlap ("打印" and "印机" in 打印机), and one <mark> around the whole
// word reads better than two.
func mergeSpans(spans []span, textLen int) []span {
	var clean []span
	for _, s := range spans {
		if s.start >= 0 && s.end <= textLen && s.start < s.end {
			clean = append(clean, s)
		}
	}
	sort.Slice(clean, func(i, j int) bool { return clean[i].start < clean[j].start })
	var out []span
	for _, s := range clean {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// highlight returns text as HTML with the spans marked. Everything that is
// not one of our own <mark> tags is escaped. With window set it shows at
// most limit characters around the densest cluster of matches; otherwise it
// shows the text from the start, cut at limit.
func highlight(text string, spans []span, limit int, window bool) template.HTML {
	spans = mergeSpans(spans, len(text))
	from, to := 0, len(text)
	if utf8.RuneCountInString(text) > limit {
		from = 0
		if window && len(spans) > 0 {
			from = windowStart(text, spans, limit)
		}
		to = advanceRunes(text, from, limit)
	}
	var b strings.Builder
	if from > 0 {
		b.WriteString("…")
	}
	pos := from
	for _, s := range spans {
		if s.end <= from || s.start >= to {
			continue
		}
		st, en := max(s.start, from), min(s.end, to)
		b.WriteString(html.EscapeString(text[pos:st]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(text[st:en]))
		b.WriteString("</mark>")
		pos = en
	}
	b.WriteString(html.EscapeString(text[pos:to]))
	if to < len(text) {
		b.WriteString("…")
	}
	return template.HTML(b.String()) // #nosec: built from escaped text and our own tags only
}

// windowStart picks the start of a limit-character window holding the most
// matches, backed up a little so the first match has some context.
func windowStart(text string, spans []span, limit int) int {
	best, bestCount := spans[0].start, 0
	for i, s := range spans {
		end := advanceRunes(text, s.start, limit)
		n := 0
		for _, t := range spans[i:] {
			if t.end > end {
				break
			}
			n++
		}
		if n > bestCount {
			best, bestCount = s.start, n
		}
	}
	// Up to 12 characters of context before the first match.
	start := best
	for i := 0; i < 12 && start > 0; i++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	return start
}

// advanceRunes returns the byte offset n runes after from (or the end).
func advanceRunes(text string, from, n int) int {
	pos := from
	for i := 0; i < n && pos < len(text); i++ {
		_, size := utf8.DecodeRuneInString(text[pos:])
		pos += size
	}
	return pos
}
