package search

import (
	"slices"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// StarterSynonyms is the built-in list of groups of words that customers and
// articles use for the same thing. Each group is a set: a query containing
// one member also looks for the others. It is applied at query time, so a
// change needs no reindex.
var StarterSynonyms = [][]string{
	{"登不上", "无法登录", "登录不了", "登陆不上", "不能登录", "登录失败"},
	{"打款", "付款", "汇款", "转账", "支付"},
	{"坏了", "故障", "损坏", "不工作"},
	{"退钱", "退款"},
	{"发票", "开票"},
	{"没网", "断网", "网络不通", "上不了网"},
	{"密码忘了", "忘记密码"},
	{"死机", "卡死", "无响应"},
	{"快递", "物流"},
	{"没反应", "无响应"},
	{"打不开", "无法打开"},
	{"发货", "出货"},
}

// synonymBoost is the weight of a synonym relative to the words typed (1):
// an article that uses the customer's own words ranks above one that only
// uses a synonym.
const synonymBoost = 0.4

// maxSynonymQueries caps how many synonyms one query adds, so a query made
// of many group members stays cheap.
const maxSynonymQueries = 8

// synonymsOf returns the other members of every group one of whose members
// occurs in text, in group order, without duplicates and without words that
// already occur in text.
func synonymsOf(groups [][]string, text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, g := range groups {
		hit := false
		for _, w := range g {
			if w != "" && strings.Contains(text, w) {
				hit = true
				break
			}
		}
		if !hit {
			continue
		}
		for _, w := range g {
			if w == "" || seen[w] || strings.Contains(text, w) {
				continue
			}
			seen[w] = true
			out = append(out, w)
			if len(out) == maxSynonymQueries {
				return out
			}
		}
	}
	return out
}

// synonymCoverageBoost weighs a field that holds every word of the query
// once a group member in it is replaced by a synonym (登不上 → 无法登录): a
// complete match through a synonym, below a complete match of the words
// typed (coverageBoost) but above a field sharing a fragment of them.
const synonymCoverageBoost = 2

// synonymRewrites returns text with one group member replaced by each of
// its synonyms, at most maxSynonymQueries of them.
func synonymRewrites(groups [][]string, text string) []string {
	var out []string
	seen := map[string]bool{text: true}
	for _, g := range groups {
		for _, m := range g {
			if m == "" || !strings.Contains(text, m) {
				continue
			}
			for _, w := range g {
				r := strings.Replace(text, m, w, 1)
				if w == "" || seen[r] {
					continue
				}
				seen[r] = true
				out = append(out, r)
				if len(out) == maxSynonymQueries {
					return out
				}
			}
		}
	}
	return out
}

// synonymQueries looks for each synonym as a whole word (all of its bigrams)
// in the title or body, at synonymBoost, and for the query with a synonym
// in place of the member it holds as a complete match, at
// synonymCoverageBoost.
func synonymQueries(groups [][]string, text string) []query.Query {
	var out []query.Query
	and := func(text, field string, boost float64) {
		m := bleve.NewMatchQuery(text)
		m.SetField(field)
		m.Analyzer = textAnalyzer
		m.SetOperator(query.MatchQueryOperatorAnd)
		m.SetBoost(boost)
		out = append(out, m)
	}
	rewrites := synonymRewrites(groups, text)
	for _, w := range synonymsOf(groups, text) {
		if slices.Contains(rewrites, w) {
			continue // the query was the group's word alone: its rewrite is this word
		}
		for _, field := range []string{fieldTitle, fieldBody} {
			and(w, field, synonymBoost)
		}
	}
	for _, r := range rewrites {
		for _, field := range []string{fieldTitle, fieldBody} {
			and(r, field, synonymCoverageBoost)
		}
	}
	return out
}

// SetSynonyms replaces the synonym groups applied to later searches (for an
// admin-edited list); nil restores StarterSynonyms.
func (s *Service) SetSynonyms(groups [][]string) {
	if groups == nil {
		s.synonyms.Store(nil)
		return
	}
	s.synonyms.Store(&groups)
}

// Synonyms returns the groups in use.
func (s *Service) Synonyms() [][]string {
	if p := s.synonyms.Load(); p != nil {
		return *p
	}
	return StarterSynonyms
}
