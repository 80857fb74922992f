package search

import (
	"keyuan/models"
	"slices"
	"strings"
	"unicode"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// Pinyin. Chinese users find people and companies by typing the pinyin of
// a name or its initials on a Latin keyboard: zhangwei or zw for 张伟,
// bjhx for 北京华信科技. The index keeps, for the names of customers,
// prospects and contacts:
//
//   - fieldPinyin: the whole forms, full pinyin and initials (zhangwei, zw);
//   - fieldPinyinPrefix: every prefix of those forms from 2 up to
//     pinyinPrefixMax letters (zh, zha, …, zhangwei).
//
// A Latin word of the query is then one term lookup in each field: an exact
// whole form scores above a prefix, and both score below the title and body
// matches of Chinese text, so a name typed in Chinese ranks first. Prefixes
// are indexed rather than found with a prefix query because "zh" would
// expand to thousands of terms in a big index.

// pinyinPrefixMax caps the indexed prefixes; a longer query word is looked
// up by its first pinyinPrefixMax letters (and by its whole form). 8 keeps
// the prefixes mostly shared between names (see pinyinKeys).
const pinyinPrefixMax = 8

// Polyphonic characters (曾 ceng/zeng, 单 dan/chan/shan, 长沙 changsha,
// 重庆 chongqing) get their second and third readings in extra forms, but
// only the first polyAt characters of a name (a person's surname, a
// company's city) and at most maxPolyVariants extra forms: the library
// lists rare readings too (信 shen, 有 wei), and every reading of every
// character would multiply the forms of a company name by dozens.
const (
	polyAt          = 2
	maxPolyVariants = 3
)

// Boosts of the pinyin lookups, below the title (2) and coverage (3) of
// Chinese matches.
const (
	pinyinWholeBoost  = 1.5
	pinyinPrefixBoost = 1
)

// pinyinUnits splits a name into what is typed for it: each Han character
// as its readings, each run of Latin letters and digits as itself,
// lower-cased. Other characters (brackets, spaces, punctuation) are not
// typed and are dropped.
func pinyinUnits(name string) [][]string {
	var units [][]string
	var word []rune
	flush := func() {
		if len(word) > 0 {
			units = append(units, []string{strings.ToLower(string(word))})
			word = word[:0]
		}
	}
	for _, r := range name {
		switch {
		case unicode.Is(unicode.Han, r):
			flush()
			if rs := models.PinyinReadings(r); len(rs) > 0 {
				units = append(units, rs)
			}
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			word = append(word, r)
		default:
			flush()
		}
	}
	flush()
	return units
}

// unitVariants returns the readings to spell the units with: the most
// common reading of each, then that with one of the first polyphonic
// characters read another way.
func unitVariants(units [][]string) [][]string {
	first := make([]string, len(units))
	for i, u := range units {
		first[i] = u[0]
	}
	out := [][]string{first}
	for i, u := range units[:min(len(units), polyAt)] {
		for _, alt := range u[1:min(len(u), 3)] {
			if len(out) > maxPolyVariants {
				return out
			}
			v := append([]string(nil), first...)
			v[i] = alt
			out = append(out, v)
		}
	}
	return out
}

// pinyinForms adds to whole the full pinyin and, unless fullOnly, the
// initials of name, in each reading variant (only the most common reading
// when poly is false).
func pinyinForms(name string, whole map[string]bool, poly, fullOnly bool) {
	units := pinyinUnits(name)
	if len(units) == 0 {
		return
	}
	variants := [][]string{nil}
	if poly {
		variants = unitVariants(units)
	} else {
		variants[0] = make([]string, len(units))
		for i, u := range units {
			variants[0][i] = u[0]
		}
	}
	for _, v := range variants {
		var full, initials strings.Builder
		for _, s := range v {
			full.WriteString(s)
			initials.WriteByte(s[0])
		}
		whole[full.String()] = true
		if len(v) > 1 && !fullOnly {
			whole[initials.String()] = true
		}
	}
}

// hasHan reports whether s holds a Han character.
func hasHan(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.Is(unicode.Han, r) }) >= 0
}

// pinyinKeys returns the whole pinyin forms and their prefixes of a
// record's names. A company's name is also spelt without its first two
// characters, which are mostly the city (北京华信科技 is found by hxkj).
// Prefixes stop at pinyinPrefixMax letters: longer ones are mostly unique
// to one company, and millions of unique terms made a rebuild of the 400k
// corpus three times slower and its heap seven times larger.
func pinyinKeys(kind, title string, keys []string) (whole, prefixes []string) {
	if kind != "customer" && kind != "prospect" && kind != "contact" {
		return nil, nil
	}
	set := map[string]bool{}
	names := []string{title}
	for _, k := range keys {
		if hasHan(k) {
			names = append(names, k)
		}
	}
	for _, n := range names {
		if !hasHan(n) {
			continue
		}
		pinyinForms(n, set, true, false)
		if r := []rune(n); kind != "contact" && len(r) >= 6 {
			pinyinForms(string(r[2:]), set, false, false)
			// The full pinyin of the name's first four characters (city
			// and name, mostly), so that a longer typed start
			// (guangzhouhongda) ranks its company above the others whose
			// first pinyinPrefixMax letters agree.
			pinyinForms(string(r[:4]), set, true, true)
		}
	}
	pre := map[string]bool{}
	for w := range set {
		whole = append(whole, w)
		for i := 2; i <= min(len(w), pinyinPrefixMax); i++ {
			pre[w[:i]] = true
		}
	}
	for p := range pre {
		prefixes = append(prefixes, p)
	}
	return whole, prefixes
}

// maxPinyinWords caps the Latin words of a query looked up as pinyin.
const maxPinyinWords = 4

// pinyinWords returns the words of the query that may be pinyin: Latin
// letters only, at least two. Several such words are also joined (zhang
// wei → zhangwei).
func pinyinWords(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !(r >= 'a' && r <= 'z') && !(r >= 'A' && r <= 'Z')
	}) {
		if len(w) >= 2 && len(out) < maxPinyinWords && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	if len(out) > 1 {
		out = append(out, strings.Join(out, ""))
	}
	return out
}

// pinyinQueries looks up each pinyin word of the query as a whole form and
// as a prefix.
func pinyinQueries(text string) []query.Query {
	var out []query.Query
	for _, w := range pinyinWords(text) {
		t := bleve.NewTermQuery(w)
		t.SetField(fieldPinyin)
		t.SetBoost(pinyinWholeBoost)
		p := bleve.NewTermQuery(w[:min(len(w), pinyinPrefixMax)])
		p.SetField(fieldPinyinPrefix)
		p.SetBoost(pinyinPrefixBoost)
		out = append(out, t, p)
	}
	return out
}
