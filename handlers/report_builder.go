package handlers

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// The builder of user-defined reports (新增报表类型): choose a data source,
// related sources along the relations the schema defines, columns or a
// group-by with aggregates, filters, sort, limit and chart. Every change
// posts the whole form to /reports/builder, which answers with the builder
// and a preview of the result (htmx), so the choices on offer always fit
// what was chosen before. The definition is checked by the whitelist in
// models; what it refuses comes back as a 400 with the reason.

// Builder rows: how many filters, groups and statistics a form can hold.
const (
	maxFilterRows      = 20
	maxGroupRows       = 2
	maxAggRows         = 4
	builderPreviewRows = 100
)

// builderForm is what the builder posts: the report's name and category,
// its definition, and the builder's own state (unfinished filter rows).
type builderForm struct {
	Name       string
	Category   string
	Def        models.ReportDef
	FilterRows []models.ReportFilter // including rows whose field is not chosen yet
	AggRows    []models.ReportAgg
	PrevSource string
	Op         string // a structural change asked for: add_filter, remove_filter, add_agg, remove_agg
	OpIndex    int
}

// defErrorText is the message of a refused definition, in lang.
func defErrorText(lang string, t func(lang, key string, args ...any) string, de *models.ReportDefError) string {
	msg := t(lang, de.Key)
	if de.Arg != "" {
		msg = t(lang, "report.err.with_arg", msg, de.Arg)
	}
	return msg
}

// builderFormFrom reads the posted builder. A "definition" field with JSON
// replaces the builder's fields (for scripts and tests); it is parsed
// strictly, so unknown keys are refused.
func builderFormFrom(c *gin.Context) (builderForm, error) {
	f := builderForm{Name: truncate(strings.TrimSpace(c.PostForm("name")), 200),
		Category: truncate(strings.TrimSpace(c.PostForm("category")), 100), PrevSource: c.PostForm("prev_source")}
	f.Op, f.OpIndex = c.PostForm("op"), -1
	if op, i, ok := strings.Cut(f.Op, ":"); ok {
		n, err := strconv.Atoi(i)
		if err != nil {
			return f, errBadRequest
		}
		f.Op, f.OpIndex = op, n
	}
	if js := strings.TrimSpace(c.PostForm("definition")); js != "" {
		def, err := models.ParseReportDef([]byte(js))
		if err != nil {
			return f, err
		}
		f.Def, f.FilterRows, f.AggRows = def, def.Filters, def.Aggregates
		return f, nil
	}
	d := &f.Def
	d.Source = c.PostForm("source")
	d.Joins = c.PostFormArray("join")
	d.Columns = c.PostFormArray("col")
	for i := range min(formCount(c, "nf"), maxFilterRows) {
		p := "f" + strconv.Itoa(i) + "_"
		row := models.ReportFilter{Field: c.PostForm(p + "field"), Op: c.PostForm(p + "op"), Value: strings.TrimSpace(c.PostForm(p + "value")),
			Value2: strings.TrimSpace(c.PostForm(p + "value2")), Values: c.PostFormArray(p + "values")}
		f.FilterRows = append(f.FilterRows, row)
		if row.Field != "" {
			d.Filters = append(d.Filters, row)
		}
	}
	for i := range maxGroupRows {
		p := "g" + strconv.Itoa(i) + "_"
		if field := c.PostForm(p + "field"); field != "" {
			d.GroupBy = append(d.GroupBy, models.ReportGroup{Field: field, Bucket: c.PostForm(p + "bucket")})
		}
	}
	for i := range min(formCount(c, "na"), maxAggRows) {
		p := "a" + strconv.Itoa(i) + "_"
		row := models.ReportAgg{Func: c.PostForm(p + "func"), Field: c.PostForm(p + "field")}
		f.AggRows = append(f.AggRows, row)
		if row.Func != "" {
			d.Aggregates = append(d.Aggregates, row)
		}
	}
	if v := c.PostForm("sort"); v != "" {
		col, err := strconv.Atoi(v)
		if err != nil {
			col = -1 // refused by the whitelist as a bad sort
		}
		d.Sort = &models.ReportSort{Column: col, Desc: c.PostForm("desc") == "1"}
	}
	if v := strings.TrimSpace(c.PostForm("limit")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			n = -1
		}
		d.Limit = n
	}
	d.Chart = c.PostForm("chart")
	return f, nil
}

// formCount reads a row count of the builder; a missing or odd one is 0.
func formCount(c *gin.Context, name string) int {
	n, err := strconv.Atoi(c.PostForm(name))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// normalize makes the builder's state consistent after a change: a new
// source starts afresh, choices that the new relations or field types no
// longer allow are dropped or reset. Only the builder does this; a saved or
// posted definition is checked as it is.
func normalize(a models.Actor, f *builderForm) {
	d := &f.Def
	sources := models.ReportSourceKeys(a)
	if !slices.Contains(sources, d.Source) || (f.PrevSource != "" && f.PrevSource != d.Source) {
		if !slices.Contains(sources, d.Source) {
			d.Source = sources[0]
		}
		*d = models.ReportDef{Source: d.Source, Chart: "table"}
		f.FilterRows, f.AggRows = nil, nil
		// A new source starts with its first few fields listed.
		for _, fi := range models.ReportFields(d.Source, nil, a) {
			if len(d.Columns) < 3 {
				d.Columns = append(d.Columns, fi.Path)
			}
		}
	}
	var joins []string
	for _, r := range models.ReportRelations(d.Source, a) {
		if slices.Contains(d.Joins, r.Path) {
			joins = append(joins, r.Path)
		}
	}
	d.Joins = joins
	fields := map[string]models.ReportFieldInfo{}
	for _, fi := range models.ReportFields(d.Source, d.Joins, a) {
		fields[fi.Path] = fi
	}
	switch f.Op {
	case "add_filter":
		if len(f.FilterRows) < maxFilterRows {
			f.FilterRows = append(f.FilterRows, models.ReportFilter{})
		}
	case "remove_filter":
		if f.OpIndex >= 0 && f.OpIndex < len(f.FilterRows) {
			f.FilterRows = slices.Delete(f.FilterRows, f.OpIndex, f.OpIndex+1)
		}
	case "add_agg":
		if len(f.AggRows) < maxAggRows {
			f.AggRows = append(f.AggRows, models.ReportAgg{Func: "sum"})
		}
	case "remove_agg":
		if f.OpIndex >= 0 && f.OpIndex < len(f.AggRows) {
			f.AggRows = slices.Delete(f.AggRows, f.OpIndex, f.OpIndex+1)
		}
	}
	d.Filters = nil
	for i, row := range f.FilterRows {
		fi, ok := fields[row.Field]
		if !ok {
			f.FilterRows[i] = models.ReportFilter{}
			continue
		}
		if !slices.Contains(fi.Ops(), row.Op) {
			f.FilterRows[i] = models.ReportFilter{Field: row.Field, Op: fi.Ops()[0]}
		}
		d.Filters = append(d.Filters, f.FilterRows[i])
	}
	var groups []models.ReportGroup
	for _, g := range d.GroupBy {
		fi, ok := fields[g.Field]
		if !ok {
			continue
		}
		if !fi.IsDate() || !slices.Contains(models.ReportBuckets, g.Bucket) {
			g.Bucket = ""
		}
		groups = append(groups, g)
	}
	d.GroupBy = groups
	grouped := len(groups) > 0
	d.Aggregates = nil
	if grouped {
		d.Columns = nil
		if len(f.AggRows) == 0 {
			f.AggRows = []models.ReportAgg{{Func: "count"}}
		}
		for i, row := range f.AggRows {
			if !slices.Contains(models.ReportAggFuncs, row.Func) {
				row.Func = "count"
			}
			if fi, ok := fields[row.Field]; ok {
				if !slices.Contains(fi.Aggs(), row.Func) {
					row.Field = ""
				}
			} else {
				row.Field = ""
			}
			f.AggRows[i] = row
			d.Aggregates = append(d.Aggregates, row)
		}
	} else {
		f.AggRows = nil
		var cols []string
		for _, c := range d.Columns {
			if _, ok := fields[c]; ok {
				cols = append(cols, c)
			}
		}
		d.Columns = cols
		if d.Chart != "table" {
			d.Chart = "table"
		}
	}
	outputs := len(d.Columns)
	if grouped {
		outputs = len(d.GroupBy) + len(d.Aggregates)
	}
	if d.Sort != nil && (d.Sort.Column < 0 || d.Sort.Column >= outputs) {
		d.Sort = nil
	}
	if d.Limit < 0 || d.Limit > models.MaxReportLimit {
		d.Limit = 0
	}
	if !slices.Contains(models.ReportCharts, d.Chart) {
		d.Chart = "table"
	}
}

// option is a choice of a <select>.
type option struct {
	Value, Label string
}

type builderField struct {
	Path, Label, Type string
	IsDate            bool
}

type builderFilterRow struct {
	Index   int
	Row     models.ReportFilter
	Ops     []option
	Input   string // text, number, money, date, period, days, choice, none
	Choices []option
	Multi   bool
	Between bool
}

type builderGroupRow struct {
	Index  int
	Group  models.ReportGroup
	IsDate bool
}

type builderAggRow struct {
	Index  int
	Agg    models.ReportAgg
	Fields []builderField
}

type builderRelation struct {
	Path, Label string
	Checked     bool
}

type builderData struct {
	ID           int64
	Name         string
	Category     string
	Categories   []string
	Def          models.ReportDef
	Sources      []option
	Relations    []builderRelation
	Fields       []builderField
	Filters      []builderFilterRow
	Groups       []builderGroupRow
	Aggs         []builderAggRow
	AggFuncs     []option
	Buckets      []option
	Outputs      []option
	Sort         int
	Grouped      bool
	Limit        string
	Preview      *views.ReportTable
	PreviewError string
	Action       string
}

// builderData prepares the builder for the template: every choice with its
// label in the user's language.
func (s *Server) builderData(c *gin.Context, id int64, f builderForm) *builderData {
	a := actor(c)
	d := f.Def
	data := &builderData{ID: id, Name: f.Name, Category: f.Category, Def: d, Sort: -1, Grouped: len(d.GroupBy) > 0,
		Action: "/reports"}
	if id != 0 {
		data.Action = views.Path("report", id)
	}
	if d.Limit > 0 {
		data.Limit = strconv.Itoa(d.Limit)
	}
	if d.Sort != nil {
		data.Sort = d.Sort.Column
	}
	label := func(keys []string) string {
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = s.t(c, k)
		}
		return strings.Join(parts, " · ")
	}
	for _, k := range models.ReportSourceKeys(a) {
		data.Sources = append(data.Sources, option{k, s.t(c, "report.source."+k)})
	}
	for _, r := range models.ReportRelations(d.Source, a) {
		data.Relations = append(data.Relations, builderRelation{Path: r.Path, Label: label(r.Labels), Checked: slices.Contains(d.Joins, r.Path)})
	}
	infos := map[string]models.ReportFieldInfo{}
	for _, fi := range models.ReportFields(d.Source, d.Joins, a) {
		infos[fi.Path] = fi
		data.Fields = append(data.Fields, builderField{Path: fi.Path, Label: label(fi.Labels), Type: fi.Type, IsDate: fi.IsDate()})
	}
	aux, err := s.db.AuxLookupFor(c.Request.Context(), s.lang(c))
	if err != nil {
		s.log.Error("load auxiliary items", "err", err)
	}
	for i, row := range f.FilterRows {
		fr := builderFilterRow{Index: i, Row: row, Input: "none"}
		if fi, ok := infos[row.Field]; ok {
			for _, op := range fi.Ops() {
				fr.Ops = append(fr.Ops, option{op, s.t(c, "report.op."+op)})
			}
			fr.Between = row.Op == "between"
			fr.Multi = row.Op == "in"
			switch {
			case row.Op == "empty" || row.Op == "not_empty" || fi.Type == models.TypeBool:
				fr.Input = "none"
			case row.Op == "period":
				fr.Input = "choice"
				for _, p := range models.Periods {
					if p != "all" {
						fr.Choices = append(fr.Choices, option{p, s.t(c, "report.period."+p)})
					}
				}
			case row.Op == "last_days" || row.Op == "next_days":
				fr.Input = "days"
			case fi.IsDate():
				fr.Input = "date"
			case fi.Type == models.TypeAux:
				fr.Input = "choice"
				for _, it := range aux.Options(fi.Aux) {
					fr.Choices = append(fr.Choices, option{strconv.FormatInt(it.ID, 10), it.Name(s.lang(c))})
				}
			case fi.Type == models.TypeEnum:
				fr.Input = "choice"
				for _, v := range fi.Enum {
					fr.Choices = append(fr.Choices, option{v, s.t(c, fi.EnumKey+v)})
				}
			case fi.Type == models.TypeInt || fi.Type == models.TypeFloat:
				fr.Input = "number"
			case fi.Type == models.TypeMoney:
				fr.Input = "money"
			default:
				fr.Input = "text"
			}
		}
		data.Filters = append(data.Filters, fr)
	}
	for i := range maxGroupRows {
		g := builderGroupRow{Index: i}
		if i < len(d.GroupBy) {
			g.Group = d.GroupBy[i]
			g.IsDate = infos[g.Group.Field].IsDate()
		}
		if i == 0 || len(d.GroupBy) >= i {
			data.Groups = append(data.Groups, g)
		}
	}
	for _, fn := range models.ReportAggFuncs {
		data.AggFuncs = append(data.AggFuncs, option{fn, s.t(c, "report.agg."+fn)})
	}
	for _, b := range models.ReportBuckets {
		data.Buckets = append(data.Buckets, option{b, s.t(c, "report.bucket."+b)})
	}
	if data.Grouped {
		for i, row := range f.AggRows {
			ar := builderAggRow{Index: i, Agg: row}
			for _, fi := range models.ReportFields(d.Source, d.Joins, a) {
				if slices.Contains(fi.Aggs(), row.Func) {
					ar.Fields = append(ar.Fields, builderField{Path: fi.Path, Label: label(fi.Labels), Type: fi.Type})
				}
			}
			data.Aggs = append(data.Aggs, ar)
		}
	}
	// The columns a result is sorted by, in their order.
	if data.Grouped {
		for i, g := range d.GroupBy {
			data.Outputs = append(data.Outputs, option{strconv.Itoa(i), label(infos[g.Field].Labels)})
		}
		for i, ag := range d.Aggregates {
			name := s.t(c, "report.field.rows")
			if fi, ok := infos[ag.Field]; ok {
				name = label(fi.Labels)
			}
			data.Outputs = append(data.Outputs, option{strconv.Itoa(len(d.GroupBy) + i), s.t(c, "report.agg_col."+ag.Func, name)})
		}
	} else {
		for i, col := range d.Columns {
			data.Outputs = append(data.Outputs, option{strconv.Itoa(i), label(infos[col].Labels)})
		}
	}
	return data
}

// preview runs the definition as the user and fills in the preview (or the
// reason it cannot run); it returns the refusal, if any.
func (s *Server) preview(c *gin.Context, data *builderData) error {
	ctx := c.Request.Context()
	r := &models.Report{Name: data.Name, Definition: data.Def}
	if _, err := models.CompileReport(data.Def, models.CompileOptions{Actor: actor(c), Today: s.today(), Strict: true}); err != nil {
		var de *models.ReportDefError
		if errors.As(err, &de) {
			data.PreviewError = defErrorText(s.lang(c), s.views.Catalog.T, de)
		}
		return err
	}
	res, err := s.db.RunReport(ctx, actor(c), r, models.RunOptions{Today: s.today(), MaxRows: builderPreviewRows})
	if err != nil {
		return err
	}
	f, err := s.formatter(ctx, s.lang(c))
	if err != nil {
		return err
	}
	title := data.Name
	if title == "" {
		title = s.t(c, "report.new.title")
	}
	data.Preview = f.Table(res, title, "")
	return nil
}

// renderBuilder renders the builder page (or only the builder, for htmx)
// with a preview; a definition the whitelist refuses is a 400 that shows
// the reason in place of the preview.
func (s *Server) renderBuilder(c *gin.Context, status int, id int64, f builderForm, errs fieldErrors) {
	data := s.builderData(c, id, f)
	if err := s.preview(c, data); err != nil {
		var de *models.ReportDefError
		if !errors.As(err, &de) {
			s.fail(c, err)
			return
		}
		if status == http.StatusOK {
			status = http.StatusBadRequest
		}
	}
	cats, err := s.db.ReportCategories(c.Request.Context(), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Categories = cats
	title := s.formTitle(c, "report", id != 0, f.Name)
	p := s.newPage(c, title, "reports_new", data)
	p.Errors = errs
	s.renderTargeted(c, status, "reports/builder", p, "builder", "builder")
}

// newReport opens the builder on a first useful report: the month's
// activity records per salesperson, or, for service staff, customers per
// industry.
func (s *Server) newReport(c *gin.Context) {
	a := actor(c)
	f := builderForm{}
	if slices.Contains(models.ReportSourceKeys(a), "activities") {
		f.Def = models.ReportDef{Source: "activities", Joins: []string{"owner"}, GroupBy: []models.ReportGroup{{Field: "owner.name"}},
			Aggregates: []models.ReportAgg{{Func: "count"}}, Chart: "bar"}
		f.FilterRows = []models.ReportFilter{{Field: "date", Op: "period", Value: "this_month"}}
	} else {
		f.Def = models.ReportDef{Source: "customers", GroupBy: []models.ReportGroup{{Field: "industry"}},
			Aggregates: []models.ReportAgg{{Func: "count"}}, Chart: "pie"}
	}
	f.Def.Filters, f.AggRows = f.FilterRows, f.Def.Aggregates
	s.renderBuilder(c, http.StatusOK, 0, f, nil)
}

func (s *Server) editReport(c *gin.Context) {
	r, ok := s.reportFor(c, (*models.Report).CanEdit)
	if !ok {
		return
	}
	s.renderBuilder(c, http.StatusOK, r.ID, builderForm{Name: r.Name, Category: r.Category, Def: r.Definition,
		FilterRows: r.Definition.Filters, AggRows: r.Definition.Aggregates}, nil)
}

// reportBuilder answers a change in the builder: the builder again, with
// the choices that now fit, and the preview.
func (s *Server) reportBuilder(c *gin.Context) {
	f, err := builderFormFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if c.PostForm("definition") == "" {
		// A definition posted as JSON is checked as it is; the form's
		// state is tidied after each change.
		normalize(actor(c), &f)
	}
	s.renderBuilder(c, http.StatusOK, formID(c.PostForm("id")), f, nil)
}

func (s *Server) createReport(c *gin.Context) { s.saveReport(c, nil) }

func (s *Server) updateReport(c *gin.Context) {
	r, ok := s.reportFor(c, (*models.Report).CanEdit)
	if !ok {
		return
	}
	s.saveReport(c, r)
}

// saveReport stores the builder's report as posted: a missing name is a
// 422, a definition the whitelist refuses a 400, both with the builder as
// it was typed.
func (s *Server) saveReport(c *gin.Context, old *models.Report) {
	var id int64
	if old != nil {
		id = old.ID
	}
	f, err := builderFormFrom(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	errs := fieldErrors{}
	if f.Name == "" {
		errs["name"] = "validation.required"
	}
	checkLen(errs, "name", f.Name, 100)
	checkLen(errs, "category", f.Category, 50)
	if errs.Any() {
		s.renderBuilder(c, http.StatusUnprocessableEntity, id, f, errs)
		return
	}
	r := &models.Report{ID: id, Name: f.Name, Category: f.Category, Definition: f.Def}
	if err := s.db.SaveReport(c.Request.Context(), actor(c), r); err != nil {
		var de *models.ReportDefError
		if errors.As(err, &de) {
			s.renderBuilder(c, http.StatusBadRequest, id, f, nil)
			return
		}
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("report", r.ID))
}
