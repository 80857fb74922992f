package search

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"keyuan/models"
)

// Filters typed into the search box, e.g. `打印机 type:issue status:open
// owner:张伟 after:2026-01-01`. They become part of the Bleve query (not a
// filter of its first hits), so totals, counts per kind and pages are
// right. A word with a key this program does not know, or a value it cannot
// read (status:maybe, after:yesterday, owner:nobody), stays part of the
// text: a search box never answers with an error.
//
// Keys (English or Chinese, full-width colon too):
//
//	type:    类型:   customer prospect contact issue article, or 客户 潜在客户 联系人 问题 知识库
//	status:  状态:   an issue or customer status, open (new and handling), done (resolved, archived, closed)
//	owner:   负责人: a user's name or login: the records of customers they own
//	after:   从:     on or after a date (YYYY-MM-DD): issues by their reported day, the others by creation
//	before:  到:     before the end of a date
//
// One key may be given more than once: the values are alternatives
// (type:customer type:contact), except after and before, where the last
// one counts.

// Filter is one filter read from the query, for the page to show.
type Filter struct {
	Key   string // type, status, owner, after, before
	Value string // as typed
}

// filterKeys maps what may be typed before the colon to the filter.
var filterKeys = map[string]string{
	"type": "type", "kind": "type", "类型": "type", "类别": "type",
	"status": "status", "状态": "status",
	"owner": "owner", "负责人": "owner",
	"after": "after", "since": "after", "从": "after", "之后": "after",
	"before": "before", "until": "before", "到": "before", "之前": "before",
}

var typeValues = map[string]string{
	"客户": "customer", "潜在客户": "prospect", "联系人": "contact", "问题": "issue", "客户问题": "issue",
	"知识库": "article", "知识": "article", "文章": "article",
}

// statusValues maps a typed status to the indexed statuses it stands for.
var statusValues = map[string][]string{
	"open": {"new", "handling"}, "未解决": {"new", "handling"}, "待处理": {"new", "handling"},
	"done": {"resolved", "archived", "closed"}, "已完成": {"resolved", "archived", "closed"},
	"新登记": {"new"}, "处理中": {"handling"}, "已解决": {"resolved"}, "已归档": {"archived"}, "已关闭": {"closed"},
	"正常": {"active"}, "停用": {"inactive"},
}

func init() {
	for _, k := range models.SearchKinds {
		typeValues[k] = k
	}
	for _, s := range models.IssueStatuses {
		statusValues[s] = []string{s}
	}
	for _, s := range models.CustomerStatuses {
		statusValues[s] = []string{s}
	}
}

// queryFilters are the filters of one query, resolved.
type queryFilters struct {
	applied  []Filter
	kinds    []string
	statuses []string
	owners   []string // owner field values (user ids)
	after    time.Time
	before   time.Time
}

func (f *queryFilters) any() bool { return len(f.applied) > 0 }

// parseFilters takes the filters out of text and returns the rest. Owner
// names are looked up among the users (a name matches a user's display name
// or login, ignoring case); loc is the business's time zone, in which the
// dates are days.
func parseFilters(text string, users []models.User, loc *time.Location) (string, queryFilters) {
	var f queryFilters
	var rest []string
	for _, word := range strings.Fields(text) {
		if !f.add(word, users, loc) {
			rest = append(rest, word)
		}
	}
	return strings.Join(rest, " "), f
}

// add reads word as a filter; false when it is not one.
func (f *queryFilters) add(word string, users []models.User, loc *time.Location) bool {
	k, v, ok := strings.Cut(strings.Replace(word, "：", ":", 1), ":")
	key := filterKeys[strings.ToLower(k)]
	if !ok || key == "" || v == "" {
		return false
	}
	lv := strings.ToLower(v)
	switch key {
	case "type":
		kind, ok := typeValues[lv]
		if !ok {
			return false
		}
		if !slices.Contains(f.kinds, kind) {
			f.kinds = append(f.kinds, kind)
		}
	case "status":
		st, ok := statusValues[lv]
		if !ok {
			return false
		}
		for _, s := range st {
			if !slices.Contains(f.statuses, s) {
				f.statuses = append(f.statuses, s)
			}
		}
	case "owner":
		found := false
		for _, u := range users {
			if strings.EqualFold(u.DisplayName, v) || strings.EqualFold(u.Username, v) {
				f.owners = append(f.owners, strconv.FormatInt(u.ID, 10))
				found = true
			}
		}
		if !found {
			return false
		}
	case "after", "before":
		if !models.ValidDate(v) {
			return false
		}
		day, _ := time.ParseInLocation("2006-01-02", v, loc)
		if key == "after" {
			f.after = day
		} else {
			f.before = day.AddDate(0, 0, 1) // the whole day
		}
	}
	f.applied = append(f.applied, Filter{Key: key, Value: v})
	return true
}

// restrict adds the filters to q: types narrow the kinds asked for (the
// tab's kind and type: together may leave none).
func (f *queryFilters) restrict(q *Query) (none bool) {
	if len(f.kinds) == 0 {
		return false
	}
	if len(q.Kinds) == 0 {
		q.Kinds = f.kinds
		return false
	}
	var both []string
	for _, k := range q.Kinds {
		if slices.Contains(f.kinds, k) {
			both = append(both, k)
		}
	}
	q.Kinds = both
	return len(both) == 0
}

// queries returns the status, owner and date restrictions as queries, to
// join the text query as a conjunction (see withFilters).
func (f *queryFilters) queries() []query.Query {
	var out []query.Query
	if len(f.statuses) > 0 {
		out = append(out, termsOr(fieldStatus, f.statuses...))
	}
	if len(f.owners) > 0 {
		out = append(out, termsOr(fieldOwner, f.owners...))
	}
	if !f.after.IsZero() || !f.before.IsZero() {
		r := bleve.NewDateRangeQuery(f.after, f.before)
		r.SetField(fieldDate)
		out = append(out, r)
	}
	return out
}

// filtersOf reads the filters of q.Text for s: the users for owner: are
// read only when the text has an owner key.
func (s *Service) filtersOf(ctx context.Context, text string) (string, queryFilters, error) {
	if !strings.ContainsAny(text, ":：") {
		return text, queryFilters{}, nil
	}
	var users []models.User
	if strings.Contains(strings.ToLower(text), "owner") || strings.Contains(text, "负责人") {
		var err error
		if users, err = s.db.Users(ctx); err != nil {
			return "", queryFilters{}, err
		}
	}
	rest, f := parseFilters(text, users, s.db.Location())
	return rest, f, nil
}
