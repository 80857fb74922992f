package handlers

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// The customer and prospect lists: filter, sort, rows written in Go for
// speed (the header beside them, in the same data).

// customerFilterFrom reads a list filter from query values. Unknown sort
// names and malformed numbers are ignored, never passed on.
func customerFilterFrom(q url.Values, kind string) models.CustomerFilter {
	f := models.CustomerFilter{
		Kind:       kind,
		Q:          truncate(strings.TrimSpace(q.Get("q")), 100),
		IndustryID: parseID(q.Get("industry")),
		SourceID:   parseID(q.Get("source")),
		GradeID:    parseID(q.Get("grade")),
		RegionID:   parseID(q.Get("region")),
		StageID:    parseID(q.Get("stage")),
		TraitID:    parseID(q.Get("trait")),
		OwnerID:    parseID(q.Get("owner")),
		Sort:       q.Get("sort"),
		Desc:       q.Get("dir") == "desc",
		PerPage:    50,
	}
	if !models.ValidCustomerSort(f.Sort) {
		f.Sort = "name"
	}
	switch st := q.Get("status"); st {
	case "active", "inactive", "converted":
		f.Status = st
	}
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 0 && p <= 1_000_000 {
		f.Page = p
	}
	return f
}

// customerListData is what the list template shows. What the template
// would otherwise work out cell by cell (category names, which option of a
// filter is chosen) is prepared here, in plain structs without methods:
// html/template makes every function and method call through reflection and
// looks for a method before every field. The rows themselves, most of the
// page, are written in Go (writeCustomerRow).
type customerListData struct {
	K       customerKind
	Filter  models.CustomerFilter
	Result  models.CustomerPage
	Rows    []template.HTML     // Result.Rows, written by writeCustomerRow
	Selects []filterSelect      // the category filters, in display order
	Owners  []filterOption      // for the owner filter and the batch picker; none for a salesperson
	Heads   map[string]sortHead // the sortable column headings, by sort name
	Sorts   []string
	Manager bool
}

// sortHead is the heading of a sortable column. Its link sorts the list by
// the column, from the first page, or turns the order round when the list is
// sorted by it already.
type sortHead struct {
	Label, Class string // message key, CSS class
	URL          string
	Active, Desc bool
}

// customerSortHeads are the list's sortable columns: sort name, label
// message key, CSS class.
var customerSortHeads = [][3]string{
	{"code", "field.code", "hide-sm"}, {"name", "field.name", ""},
	{"activity", "field.last_activity_date", ""}, {"owner", "field.owner", ""},
}

// rowBadges are the translated status badges of a list row.
type rowBadges struct{ Inactive, Converted string }

// writeCustomerRow writes one <tr> of the list. The rows are most of the
// page and html/template spends about a microsecond on every value it prints
// (a reflective call to its escaper), 16 µs a row; this writes the same
// markup in under 2 µs. Every value is escaped with
// template.HTMLEscapeString, which is safe in text and in quoted attributes;
// the only URL is the card's, made from the kind's base and a number.
func writeCustomerRow(b *strings.Builder, k customerKind, r models.CustomerRow, aux models.AuxLookup, badges rowBadges) {
	esc := template.HTMLEscapeString
	id := strconv.FormatInt(r.ID, 10)
	b.WriteString(`<tr><td class="col-check"><input type="checkbox" name="id" value="` + id + `" aria-label="` + esc(r.Name) + `"></td>`)
	b.WriteString(`<td class="mono hide-sm">` + esc(r.Code) + `</td>`)
	b.WriteString(`<td><a href="` + k.base + "/" + id + `" class="row-link">` + esc(r.Name) + `</a>`)
	switch r.Status {
	case "inactive":
		b.WriteString(` <span class="badge badge-muted">` + esc(badges.Inactive) + `</span>`)
	case "converted":
		b.WriteString(` <span class="badge badge-ok">` + esc(badges.Converted) + `</span>`)
	}
	b.WriteString(`<div class="sub"><span class="mono show-sm">` + esc(r.Code) + ` · </span>` + esc(r.Phone) + `</div></td>`)
	b.WriteString(`<td class="hide-sm">` + esc(aux.Name(r.IndustryID)) + `</td>`)
	b.WriteString(`<td class="hide-sm">` + esc(aux.Name(r.GradeID)) + `</td>`)
	b.WriteString(`<td class="hide-md">` + esc(aux.Name(r.RegionID)) + `</td>`)
	b.WriteString(`<td class="hide-md">`)
	if stage := aux.Name(r.StageID); stage != "" {
		b.WriteString(`<span class="badge">` + esc(stage) + `</span>`)
	}
	b.WriteString(`</td><td class="hide-sm">` + esc(r.PrimaryContact) + `</td>`)
	b.WriteString(`<td>` + esc(r.LastActivityDate) + `</td><td>` + esc(r.OwnerName) + `</td></tr>`)
}

// filterSelect is a category filter: its query parameter, the message key of
// its label and its options.
type filterSelect struct {
	Name, Label string
	Options     []filterOption
}

// filterOption is an option of a filter, Selected when the filter is set to it.
type filterOption struct {
	ID       int64
	Name     string
	Selected bool
}

// customerListFilters are the category filters of the list, in display order.
var customerListFilters = []struct {
	auxType, param, label string
	value                 func(models.CustomerFilter) int64
}{
	{"industry", "industry", "field.industry", func(f models.CustomerFilter) int64 { return f.IndustryID }},
	{"grade", "grade", "field.grade", func(f models.CustomerFilter) int64 { return f.GradeID }},
	{"region", "region", "field.region", func(f models.CustomerFilter) int64 { return f.RegionID }},
	{"source", "source", "field.source", func(f models.CustomerFilter) int64 { return f.SourceID }},
	{"sales_stage", "stage", "field.stage", func(f models.CustomerFilter) int64 { return f.StageID }},
	{"trait", "trait", "field.traits", func(f models.CustomerFilter) int64 { return f.TraitID }},
}

// newCustomerListData prepares a page of the list for the template. query is
// the request's query string, owners the users a manager may filter by and
// hand records to (nil for a salesperson).
func newCustomerListData(k customerKind, f models.CustomerFilter, res models.CustomerPage, query url.Values,
	aux models.AuxLookup, owners []models.User, manager bool, badges rowBadges) *customerListData {
	d := &customerListData{K: k, Filter: f, Result: res, Sorts: models.CustomerSortKeys, Manager: manager,
		Rows: make([]template.HTML, len(res.Rows)), Selects: make([]filterSelect, len(customerListFilters)),
		Heads: make(map[string]sortHead, len(customerSortHeads))}
	for _, h := range customerSortHeads {
		active := f.Sort == h[0]
		dir := ""
		if active && !f.Desc {
			dir = "desc"
		}
		d.Heads[h[0]] = sortHead{Label: h[1], Class: h[2], Active: active, Desc: f.Desc,
			URL: k.base + "?" + views.WithQuery(query, "sort", h[0], "dir", dir, "page", "")}
	}
	var sb strings.Builder
	for i, r := range res.Rows {
		sb.Reset()
		writeCustomerRow(&sb, k, r, aux, badges)
		d.Rows[i] = template.HTML(sb.String())
	}
	for i, cf := range customerListFilters {
		v := cf.value(f)
		sel := filterSelect{Name: cf.param, Label: cf.label}
		for _, it := range aux.Options(cf.auxType, v) {
			sel.Options = append(sel.Options, filterOption{ID: it.ID, Name: it.Name(aux.Lang()), Selected: it.ID == v})
		}
		d.Selects[i] = sel
	}
	for _, u := range owners {
		d.Owners = append(d.Owners, filterOption{ID: u.ID, Name: u.DisplayName, Selected: u.ID == f.OwnerID})
	}
	return d
}

func (s *Server) listCustomers(c *gin.Context, k customerKind) {
	ctx := c.Request.Context()
	a := actor(c)
	f := customerFilterFrom(c.Request.URL.Query(), k.kind)
	res, err := s.db.ListCustomers(ctx, a, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	var owners []models.User
	if a.SeesAllCustomers() {
		if owners, err = s.db.ActiveUsersWith(ctx, models.PermRecordsOwn); err != nil {
			s.fail(c, err)
			return
		}
	}
	p := s.newPage(c, s.t(c, k.Key("list.title")), k.nav, nil)
	p.Data = newCustomerListData(k, f, res, p.Query, p.Aux, owners, a.IsManager(),
		rowBadges{Inactive: s.t(c, "status.inactive"), Converted: s.t(c, "status.converted")})
	if isFragment(c) && c.GetHeader("HX-Target") == "results" {
		s.renderBlock(c, http.StatusOK, "customers/list", "results", p)
		return
	}
	s.render(c, http.StatusOK, "customers/list", p)
}
