package handlers

import (
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
	"keyuan/views"
)

// customerKind is what differs between the customer and prospect screens.
type customerKind struct {
	kind string // models kind
	base string // URL prefix
	nav  string
}

var customerKinds = map[string]customerKind{
	"customer": {kind: "customer", base: "/customers", nav: "customers"},
	"prospect": {kind: "prospect", base: "/prospects", nav: "prospects"},
}

// h adapts a handler that needs the kind to a gin handler.
func (k customerKind) h(fn func(*gin.Context, customerKind)) gin.HandlerFunc {
	return func(c *gin.Context) { fn(c, k) }
}

// Key builds a message key for this kind, e.g. customer.list.title.
func (k customerKind) Key(suffix string) string { return k.kind + "." + suffix }

// Base is the URL prefix of this kind's screens.
func (k customerKind) Base() string { return k.base }

// Kind is "customer" or "prospect".
func (k customerKind) Kind() string { return k.kind }

// parseID reads a positive id from a query (a list filter); anything else
// is 0, so an unparsable filter value is ignored rather than hiding rows.
func parseID(s string) int64 {
	id, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || id < 0 {
		return 0
	}
	return id
}

// maxBackQuery bounds the list query a redirect carries back (a real filter
// is a few hundred bytes).
const maxBackQuery = 2048

// formID reads a chosen id from a form's select. An empty value is 0
// (nothing chosen). Anything else that is not a positive number
// (industry=bogus, -5) is -1: an id that exists nowhere, so the form's check
// refuses it exactly like an unknown id (99999), with a 422 and the form
// again, instead of silently clearing the field.
func formID(s string) int64 {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0
	}
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return -1
	}
	return id
}

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

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
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

// customerForm is what the create and edit forms post, kept as typed so a
// failed save shows the form again exactly as it was.
type customerForm struct {
	Customer          models.Customer
	Contact           models.Contact // the first contact, on create only
	Duplicates        []models.Duplicate
	ConfirmDuplicates bool
}

func customerFormFrom(c *gin.Context) customerForm {
	f := customerForm{Customer: models.Customer{
		Name:       strings.TrimSpace(c.PostForm("name")),
		ShortName:  strings.TrimSpace(c.PostForm("short_name")),
		IndustryID: formID(c.PostForm("industry")),
		SourceID:   formID(c.PostForm("source")),
		GradeID:    formID(c.PostForm("grade")),
		RegionID:   formID(c.PostForm("region")),
		StageID:    formID(c.PostForm("stage")),
		Address:    strings.TrimSpace(c.PostForm("address")),
		Phone:      strings.TrimSpace(c.PostForm("phone")),
		Email:      strings.TrimSpace(c.PostForm("email")),
		Website:    strings.TrimSpace(c.PostForm("website")),
		OwnerID:    formID(c.PostForm("owner")),
		Status:     c.PostForm("status"),
		Notes:      strings.TrimSpace(c.PostForm("notes")),
	}}
	for _, t := range c.PostFormArray("traits") {
		if id := parseID(t); id != 0 {
			f.Customer.TraitIDs = append(f.Customer.TraitIDs, id)
		}
	}
	f.Contact = contactFormFrom(c, "contact_")
	f.Contact.IsPrimary = true
	f.ConfirmDuplicates = c.PostForm("confirm_duplicates") == "1"
	return f
}

func contactFormFrom(c *gin.Context, prefix string) models.Contact {
	return models.Contact{
		Name:      strings.TrimSpace(c.PostForm(prefix + "name")),
		Title:     strings.TrimSpace(c.PostForm(prefix + "title")),
		Phone:     strings.TrimSpace(c.PostForm(prefix + "phone")),
		Mobile:    strings.TrimSpace(c.PostForm(prefix + "mobile")),
		Email:     strings.TrimSpace(c.PostForm(prefix + "email")),
		Birthday:  strings.TrimSpace(c.PostForm(prefix + "birthday")),
		IsPrimary: c.PostForm(prefix+"primary") == "1",
	}
}

// checkLen adds errKey for field when v is longer than n characters.
// checkCustomer runs the rules of models.CheckCustomer on the form. The
// form's first contact counts only when something of it was typed. ok is
// false when the database failed (the error page is sent).
func (s *Server) checkCustomer(c *gin.Context, f *customerForm, old *models.Customer) (errs fieldErrors, ok bool) {
	var contacts []models.Contact
	if old == nil && f.Contact.Name+f.Contact.Title+f.Contact.Mobile+f.Contact.Email != "" {
		contacts = []models.Contact{f.Contact}
	}
	errs, err := s.db.CheckCustomer(c.Request.Context(), actor(c), &f.Customer, contacts, old)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return errs, true
}

type customerFormData struct {
	K       customerKind
	Form    customerForm
	Owners  []models.User
	Editing bool
	Manager bool
}

func (s *Server) renderCustomerForm(c *gin.Context, k customerKind, status int, f customerForm, editing bool, errs fieldErrors) {
	a := actor(c)
	data := &customerFormData{K: k, Form: f, Editing: editing, Manager: a.SeesAllCustomers()}
	if a.SeesAllCustomers() {
		owners, err := s.db.ActiveUsersWith(c.Request.Context(), models.PermRecordsOwn)
		if err != nil {
			s.fail(c, err)
			return
		}
		// A disabled owner is not in the list; without an option of their
		// own the browser would submit the first user and silently give the
		// record away.
		if id := f.Customer.OwnerID; editing && id != 0 && !slices.ContainsFunc(owners, func(u models.User) bool { return u.ID == id }) {
			if u, err := s.db.UserByID(c.Request.Context(), id); err == nil {
				owners = append(owners, *u)
			}
		}
		data.Owners = owners
	}
	title := s.t(c, k.Key("new.title"))
	if editing {
		title = s.t(c, k.Key("edit.title"), f.Customer.Name)
	}
	p := s.newPage(c, title, k.nav, data)
	p.Errors = errs
	s.render(c, status, "customers/form", p)
}

func (s *Server) newCustomer(c *gin.Context, k customerKind) {
	if !actor(c).EditsCustomers() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	f := customerForm{Customer: models.Customer{Kind: k.kind, Status: "active", OwnerID: actor(c).ID}}
	s.renderCustomerForm(c, k, http.StatusOK, f, false, nil)
}

func (s *Server) createCustomer(c *gin.Context, k customerKind) {
	a := actor(c)
	if !a.EditsCustomers() {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	ctx := c.Request.Context()
	f := customerFormFrom(c)
	f.Customer.Kind = k.kind
	f.Customer.Status = strings.Replace(f.Customer.Status, "converted", "active", 1)
	if errs, ok := s.checkCustomer(c, &f, nil); !ok {
		return
	} else if errs.Any() {
		s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, false, errs)
		return
	}
	if !f.ConfirmDuplicates {
		dups, err := s.db.FindDuplicates(ctx, a, &f.Customer)
		if err != nil {
			s.fail(c, err)
			return
		}
		if len(dups) > 0 {
			f.Duplicates = dups
			s.renderCustomerForm(c, k, http.StatusConflict, f, false, fieldErrors{"form": "customer.duplicate_confirm"})
			return
		}
	}
	var contacts []models.Contact
	if f.Contact.Name != "" {
		contacts = append(contacts, f.Contact)
	}
	if err := s.db.CreateCustomer(ctx, a, &f.Customer, contacts); err != nil {
		if errs, ok := models.AsFieldErrors(err); ok { // changed since the check (an item deactivated)
			s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, false, errs)
			return
		}
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.saved")
	redirect(c, k.base+"/"+strconv.FormatInt(f.Customer.ID, 10))
}

// checkDuplicates answers the form's live duplicate check (htmx).
func (s *Server) checkDuplicates(c *gin.Context, k customerKind) {
	cu := models.Customer{
		ID:    parseID(c.Query("id")),
		Name:  truncate(strings.TrimSpace(c.Query("name")), 200),
		Phone: truncate(strings.TrimSpace(c.Query("phone")), 40),
		Email: truncate(strings.TrimSpace(c.Query("email")), 254),
	}
	dups, err := s.db.FindDuplicates(c.Request.Context(), actor(c), &cu)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, "", k.nav, &customerFormData{K: k, Form: customerForm{Duplicates: dups}})
	s.renderBlock(c, http.StatusOK, "customers/form", "duplicates", p)
}

type historyLine struct {
	At      string
	User    string
	Action  string
	Changes []historyChange
}

type historyChange struct {
	Field, Old, New string
}

type customerCardData struct {
	K             customerKind
	Customer      *models.Customer
	Contacts      []models.Contact
	History       []historyLine
	ConvertedTo   string
	ConvertedFrom struct {
		ID   int64
		Code string
	}
	CanEdit   bool
	Campaigns []models.CustomerCampaign
	// Business activities of this counterpart (activities.go and friends).
	NextPlan      *models.Plan
	Activities    models.ActivityPage
	Opportunities []models.Opportunity
	CanActivity   bool
	// Issues are the customer's open issues (customers only).
	Issues    []models.Issue
	CanHandle bool
}

// describeHistory turns audit entries into readable lines: ids of items and
// users become names, field names become labels.
func (s *Server) describeHistory(c *gin.Context, entries []models.AuditEntry, aux models.AuxLookup) []historyLine {
	ctx := c.Request.Context()
	users := map[int64]string{}
	userName := func(v string) string {
		id := parseID(v)
		if id == 0 {
			return v
		}
		if n, ok := users[id]; ok {
			return n
		}
		n := v
		if u, err := s.db.UserByID(ctx, id); err == nil {
			n = u.DisplayName
		}
		users[id] = n
		return n
	}
	auxNames := func(v string) string {
		var names []string
		for _, part := range strings.Split(v, ",") {
			if id := parseID(part); id != 0 {
				names = append(names, aux.Name(id))
			}
		}
		return strings.Join(names, "、")
	}
	out := make([]historyLine, 0, len(entries))
	for _, e := range entries {
		line := historyLine{At: e.At, User: e.UserName, Action: s.t(c, "history.action."+e.Action)}
		for _, ch := range e.Changes {
			hc := historyChange{Field: s.t(c, "field."+ch.Field), Old: ch.Old, New: ch.New}
			switch ch.Field {
			case "industry", "source", "grade", "region", "stage", "traits", "method":
				hc.Old, hc.New = auxNames(ch.Old), auxNames(ch.New)
			case "owner":
				hc.Old, hc.New = userName(ch.Old), userName(ch.New)
			case "status":
				if ch.Old != "" {
					hc.Old = s.t(c, "status."+ch.Old)
				}
				hc.New = s.t(c, "status."+ch.New)
			}
			line.Changes = append(line.Changes, hc)
		}
		out = append(out, line)
	}
	return out
}

func (s *Server) showCustomer(c *gin.Context, k customerKind) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	a := actor(c)
	cu, err := s.db.GetCustomer(ctx, a, k.kind, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &customerCardData{K: k, Customer: cu, CanEdit: a.EditsCustomers()}
	if data.Contacts, err = s.db.Contacts(ctx, id); err != nil {
		s.fail(c, err)
		return
	}
	entries, err := s.db.History(ctx, k.kind, id, 100)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, cu.Name, k.nav, data)
	data.History = s.describeHistory(c, entries, p.Aux)
	if cu.ConvertedToID != 0 {
		if to, err := s.db.GetCustomer(ctx, models.SystemActor(), "customer", cu.ConvertedToID); err == nil {
			data.ConvertedTo = to.Code
		}
	}
	if data.Campaigns, err = s.db.CustomerCampaigns(ctx, a, id); err != nil {
		s.fail(c, err)
		return
	}
	if k.kind == "customer" {
		if data.ConvertedFrom.ID, data.ConvertedFrom.Code, err = s.db.ConvertedFrom(ctx, id); err != nil {
			s.fail(c, err)
			return
		}
		if data.Issues, err = s.db.CustomerOpenIssues(ctx, a, id, 10); err != nil {
			s.fail(c, err)
			return
		}
		data.CanHandle = a.HandlesService()
	}
	data.CanActivity = a.EditsActivities() && cu.Status != "converted"
	if data.NextPlan, err = s.db.NextPlan(ctx, a, id, day(s.today())); err != nil {
		s.fail(c, err)
		return
	}
	if data.Activities, err = s.db.ListActivities(ctx, a, models.ActivityFilter{CustomerID: id, PerPage: 10}); err != nil {
		s.fail(c, err)
		return
	}
	if data.Opportunities, err = s.db.ListOpportunities(ctx, a, models.OpportunityFilter{CustomerID: id, Limit: 50}); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "customers/card", p)
}

func (s *Server) editCustomer(c *gin.Context, k customerKind) {
	id, ok := idParam(c, "id")
	if !ok || !actor(c).EditsCustomers() {
		s.notFound(c)
		return
	}
	cu, err := s.db.GetCustomer(c.Request.Context(), actor(c), k.kind, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderCustomerForm(c, k, http.StatusOK, customerForm{Customer: *cu}, true, nil)
}

func (s *Server) updateCustomer(c *gin.Context, k customerKind) {
	id, ok := idParam(c, "id")
	if !ok || !actor(c).EditsCustomers() {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	old, err := s.db.GetCustomer(ctx, actor(c), k.kind, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	f := customerFormFrom(c)
	f.Customer.ID, f.Customer.Kind, f.Customer.Code = id, k.kind, old.Code
	if old.Status == "converted" {
		f.Customer.Status = "converted"
	} else if f.Customer.Status == "converted" {
		f.Customer.Status = old.Status
	}
	if errs, ok := s.checkCustomer(c, &f, old); !ok {
		return
	} else if errs.Any() {
		s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, true, errs)
		return
	}
	if err := s.db.UpdateCustomer(ctx, actor(c), &f.Customer); err != nil {
		if errs, ok := models.AsFieldErrors(err); ok {
			s.renderCustomerForm(c, k, http.StatusUnprocessableEntity, f, true, errs)
			return
		}
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.saved")
	redirect(c, k.base+"/"+strconv.FormatInt(id, 10))
}

func (s *Server) convertProspect(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	customerID, err := s.db.ConvertProspect(c.Request.Context(), actor(c), id)
	if errors.Is(err, models.ErrConflict) {
		s.flash(c, "prospect.already_converted")
		redirect(c, "/prospects/"+strconv.FormatInt(id, 10))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "prospect.converted")
	redirect(c, "/customers/"+strconv.FormatInt(customerID, 10))
}

// batchIDs reads the rows a batch action applies to: the ticked ids, or every
// row matching the list's filter when "all" was chosen. Either way only rows
// the actor may see are returned.
func (s *Server) batchIDs(c *gin.Context, k customerKind) (models.CustomerFilter, []int64, error) {
	filterQuery, err := url.ParseQuery(c.PostForm("filter"))
	if err != nil {
		filterQuery = url.Values{}
	}
	f := customerFilterFrom(filterQuery, k.kind)
	const maxBatch, maxTicked = 100_000, 1000
	if c.PostForm("all") != "1" {
		for _, v := range c.PostFormArray("id") {
			if id := parseID(v); id != 0 && len(f.IDs) < maxTicked {
				f.IDs = append(f.IDs, id)
			}
		}
		if len(f.IDs) == 0 {
			return f, nil, nil
		}
		// Re-select through the filter's row rules, so ids the actor may not
		// see drop out here.
		f = models.CustomerFilter{Kind: k.kind, IDs: f.IDs, Sort: f.Sort, Desc: f.Desc}
	}
	ids, err := s.db.CustomerIDs(c.Request.Context(), actor(c), f, maxBatch)
	return f, ids, err
}

func (s *Server) batchCustomers(c *gin.Context, k customerKind) {
	f, ids, err := s.batchIDs(c, k)
	if err != nil {
		s.fail(c, err)
		return
	}
	back := k.base
	// Back to the list as it was filtered; a filter too long for a sane
	// Location header (or not a query at all) goes back to the plain list.
	if fq := c.PostForm("filter"); fq != "" && len(fq) <= maxBackQuery {
		if q, err := url.ParseQuery(fq); err == nil {
			back += "?" + q.Encode()
		}
	}
	if len(ids) == 0 {
		s.flash(c, "batch.none_selected")
		redirect(c, back)
		return
	}
	switch c.PostForm("action") {
	case "owner":
		owner := formID(c.PostForm("new_owner"))
		u, err := s.db.UserByID(c.Request.Context(), owner)
		if err != nil || !u.Active || !u.Role.Can(models.PermRecordsOwn) || !actor(c).IsManager() {
			s.flash(c, "batch.owner_invalid")
			redirect(c, back)
			return
		}
		if _, err := s.db.ChangeOwner(c.Request.Context(), actor(c), k.kind, ids, owner); err != nil {
			s.fail(c, err)
			return
		}
		s.flash(c, "batch.owner_changed")
		redirect(c, back)
	case "plan":
		if !actor(c).EditsActivities() {
			s.errorPage(c, http.StatusForbidden, "error.forbidden")
			return
		}
		s.batchPlanForm(c, k, ids)
	case "export", "export_xlsx":
		// f is the ticked ids or the whole filter: either way the export
		// reads the rows itself, through the same row rules.
		format := sheet.CSV
		if c.PostForm("action") == "export_xlsx" {
			format = sheet.XLSX
		}
		s.writeCustomers(c, k, f, format)
	case "campaign":
		s.addToCampaign(c, f, back)
	default:
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
	}
}
