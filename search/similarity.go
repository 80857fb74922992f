package search

import (
	"strings"
	"unicode"
)

// terms splits text the way the index sees it, roughly: overlapping pairs of
// Han characters and lower-cased words of letters and digits.
func terms(text string) map[string]bool {
	out := map[string]bool{}
	var word []rune
	var prevHan rune
	flush := func() {
		if len(word) > 0 {
			out[string(word)] = true
			word = word[:0]
		}
	}
	for _, r := range strings.ToLower(text) {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			if prevHan != 0 {
				out[string([]rune{prevHan, r})] = true
			}
			prevHan = r
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			word = append(word, r)
		default:
			flush()
		}
		prevHan = 0
	}
	flush()
	return out
}

// Similarity is the Dice coefficient (0–1) of the terms of a and b: 1 for
// the same words, 0 for none in common. Archiving uses it to tell a very
// similar existing article from one that merely shares a word.
func Similarity(a, b string) float64 {
	ta, tb := terms(a), terms(b)
	if len(ta) == 0 || len(tb) == 0 {
		return 0
	}
	common := 0
	for t := range ta {
		if tb[t] {
			common++
		}
	}
	return 2 * float64(common) / float64(len(ta)+len(tb))
}
