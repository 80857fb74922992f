package handlers

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/chart"
	"keyuan/models"
	"keyuan/sheet"
)

// CRM reports (CRM报表): the list of reports one may open, a report with
// its period, filters, table and chart, its downloads, and its report
// users (设置报表用户). The builder of user-defined reports is in
// report_builder.go, schedules and the digest in report_mail.go.

type reportListGroup struct {
	Label   string
	Reports []reportListItem
}

type reportListItem struct {
	models.Report
	Title string
}

type reportListData struct {
	Groups  []reportListGroup
	Manager bool
}

func (s *Server) listReports(c *gin.Context) {
	a := actor(c)
	list, err := s.db.ListReports(c.Request.Context(), a)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &reportListData{Manager: a.IsManager()}
	index := map[string]int{}
	add := func(label string, r models.Report) {
		i, ok := index[label]
		if !ok {
			i = len(data.Groups)
			index[label] = i
			data.Groups = append(data.Groups, reportListGroup{Label: label})
		}
		data.Groups[i].Reports = append(data.Groups[i].Reports, reportListItem{Report: r, Title: s.reportTitle(c, &r)})
	}
	for _, cat := range models.BuiltinCategories {
		for _, r := range list {
			if r.CategoryKey() == cat {
				add(s.t(c, "report.category."+cat), r)
			}
		}
	}
	for _, r := range list {
		if !r.IsBuiltin() {
			label := r.Category
			if label == "" {
				label = s.t(c, "report.category.custom")
			}
			add(label, r)
		}
	}
	s.render(c, http.StatusOK, "reports/list", s.newPage(c, s.t(c, "report.list.title"), "reports", data))
}

func (s *Server) reportTitle(c *gin.Context, r *models.Report) string {
	return models.ReportName(r, func(k string) string { return s.t(c, k) })
}

// report loads the report named in the URL, or answers 404 (also for a
// report the user may not open).
func (s *Server) report(c *gin.Context) (*models.Report, bool) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return nil, false
	}
	r, err := s.db.GetReport(c.Request.Context(), actor(c), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return r, true
}

// reportParams are the choices above a report: period, salesperson, chart.
type reportParams struct {
	Period string
	From   string
	To     string
	Owner  int64
	Chart  string
}

// reportParamsFrom reads the query string. An unknown period, a bad date or
// chart type is a 400: these come from our own form, so a wrong one is a
// hand-made URL.
func (s *Server) reportParamsFrom(c *gin.Context, r *models.Report, q url.Values) (reportParams, models.DateRange, error) {
	p := reportParams{Period: q.Get("period"), From: q.Get("from"), To: q.Get("to"), Chart: q.Get("chart")}
	if p.Period == "" {
		p.Period = r.DefaultPeriod()
	}
	var rng models.DateRange
	switch {
	case p.Period == "custom":
		if (p.From != "" && !validDay(p.From)) || (p.To != "" && !validDay(p.To)) || (p.From != "" && p.To != "" && p.From > p.To) {
			return p, rng, errBadRequest
		}
		rng = models.DateRange{From: p.From, To: p.To}
	case models.ValidPeriod(p.Period):
		rng, _ = models.ResolvePeriod(p.Period, s.today())
		p.From, p.To = "", ""
	default:
		return p, rng, errBadRequest
	}
	if p.Chart != "" && !slices.Contains(models.ReportCharts, p.Chart) {
		return p, rng, errBadRequest
	}
	if id := q.Get("owner"); id != "" && r.HasOwnerFilter() && actor(c).IsManager() {
		p.Owner = parseID(id)
		if p.Owner == 0 {
			return p, rng, errBadRequest
		}
	}
	return p, rng, nil
}

// reportCell is one formatted cell.
type reportCell struct {
	Text string
	Num  bool
}

// reportTable is a report ready to show: headers, formatted rows, totals
// and the chart in a wide and a narrow drawing (CSS shows one).
type reportTable struct {
	Headers     []reportCell
	Rows        [][]reportCell
	Totals      []reportCell
	Truncated   bool
	ChartWide   template.HTML
	ChartNarrow template.HTML
	ChartEmail  template.HTML
	Chart       string
	Chartable   bool // grouped, with numbers to draw: a chart can be chosen
	Count       int
}

// reportFormatter formats values for one language.
type reportFormatter struct {
	t    func(key string, args ...any) string
	aux  models.AuxLookup
	loc  *time.Location
	lang string
}

func (s *Server) formatter(ctx context.Context, lang string) (reportFormatter, error) {
	aux, err := s.db.AuxLookupFor(ctx, lang)
	return reportFormatter{t: func(k string, args ...any) string { return s.views.Catalog.T(lang, k, args...) }, aux: aux,
		loc: s.cfg.Location, lang: lang}, err
}

// header is a column's label: its relation steps and field, and its
// aggregate ("金额（合计）").
func (f reportFormatter) header(col models.ReportColumn) string {
	parts := make([]string, len(col.Labels))
	for i, k := range col.Labels {
		parts[i] = f.t(k)
	}
	label := strings.Join(parts, " · ")
	if col.Bucket != "" {
		label = f.t("report.bucket_col."+col.Bucket, label)
	}
	if col.Agg != "" && !(col.Agg == "count" && len(col.Labels) == 1 && col.Labels[0] == "report.field.rows") {
		label = f.t("report.agg_col."+col.Agg, label)
	}
	return label
}

// cell formats one value of a column.
func (f reportFormatter) cell(col models.ReportColumn, v any) reportCell {
	switch col.Type {
	case models.TypeInt:
		return reportCell{Text: groupDigits(strconv.FormatInt(toInt(v), 10)), Num: true}
	case models.TypeFloat:
		if v == nil {
			return reportCell{Num: true}
		}
		return reportCell{Text: strconv.FormatFloat(toFloat(v), 'f', 2, 64), Num: true}
	case models.TypeMoney:
		if v == nil {
			return reportCell{Num: true}
		}
		return reportCell{Text: models.FormatFen(int64(math.Round(toFloat(v)))), Num: true}
	case models.TypePercent:
		if v == nil {
			return reportCell{Num: true}
		}
		return reportCell{Text: strconv.FormatFloat(toFloat(v), 'f', 1, 64) + "%", Num: true}
	case models.TypeAux:
		if id := toInt(v); id != 0 {
			if n := f.aux.Name(id); n != "" {
				return reportCell{Text: n}
			}
		}
		return reportCell{Text: f.t("report.none")}
	case models.TypeEnum:
		if s, ok := v.(string); ok && s != "" && col.EnumKey != "" {
			return reportCell{Text: f.t(col.EnumKey + s)}
		}
	case models.TypeBool:
		if v == nil {
			return reportCell{}
		}
		if toInt(v) != 0 {
			return reportCell{Text: f.t("report.yes")}
		}
		return reportCell{Text: f.t("report.no")}
	case models.TypeDatetime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return reportCell{Text: t.In(f.loc).Format("2006-01-02 15:04")}
			}
		}
	}
	switch x := v.(type) {
	case nil:
		return reportCell{}
	case string:
		return reportCell{Text: x}
	}
	return reportCell{Text: fmt.Sprint(v)}
}

// value is a cell as a spreadsheet value: numbers stay numbers (money in
// yuan), the rest is the text people see.
func (f reportFormatter) value(col models.ReportColumn, v any) any {
	if v == nil {
		return nil
	}
	switch col.Type {
	case models.TypeInt:
		return toInt(v)
	case models.TypeFloat:
		return math.Round(toFloat(v)*100) / 100
	case models.TypeMoney:
		return sheet.Money(math.Round(toFloat(v)))
	case models.TypePercent:
		return math.Round(toFloat(v)*10) / 10
	}
	return f.cell(col, v).Text
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// compactNumber writes a large number briefly, the way the language
// counts: 171.8万 and 3.2亿 in Chinese, 171.8k and 1.7M in English.
func compactNumber(lang string, v float64) string {
	a := math.Abs(v)
	short := func(x float64, unit string) string {
		s := strconv.FormatFloat(x, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0") + unit
	}
	if lang == "zh" {
		switch {
		case a >= 1e8:
			return short(v/1e8, "亿")
		case a >= 1e4:
			return short(v/1e4, "万")
		}
	} else {
		switch {
		case a >= 1e9:
			return short(v/1e9, "B")
		case a >= 1e6:
			return short(v/1e6, "M")
		case a >= 1e4:
			return short(v/1e3, "k")
		}
	}
	if v == math.Trunc(v) {
		return groupDigits(strconv.FormatInt(int64(v), 10))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// table formats a result; kind overrides the report's chart ("" keeps it).
func (f reportFormatter) table(res *models.ReportResult, title, kind string) *reportTable {
	out := &reportTable{Truncated: res.Truncated, Chart: res.Chart, Count: len(res.Rows),
		Chartable: res.Groups > 0 && len(res.Charted) > 0}
	if kind != "" {
		out.Chart = kind
	}
	for _, col := range res.Columns {
		out.Headers = append(out.Headers, reportCell{Text: f.header(col), Num: col.Type != models.TypeText && col.Type != models.TypeAux &&
			col.Type != models.TypeEnum && col.Type != models.TypeDate && col.Type != models.TypeDatetime && col.Type != models.TypeBool})
	}
	for _, row := range res.Rows {
		cells := make([]reportCell, len(row))
		for i, v := range row {
			cells[i] = f.cell(res.Columns[i], v)
		}
		out.Rows = append(out.Rows, cells)
	}
	if totals := res.Totals(); totals != nil {
		out.Totals = make([]reportCell, len(totals))
		for i, v := range totals {
			if v != nil {
				out.Totals[i] = f.cell(res.Columns[i], v)
			}
		}
		out.Totals[0] = reportCell{Text: f.t("report.total")}
	}
	if out.Chart != "table" && res.Groups > 0 && len(res.Charted) > 0 && len(res.Rows) > 0 {
		c := f.chart(res, title, out.Chart)
		// The SVG is built from numbers and escaped labels by package chart.
		out.ChartWide = template.HTML(chart.SVG(c, 720))
		out.ChartNarrow = template.HTML(chart.SVG(c, 360))
		out.ChartEmail = template.HTML(chart.SVG(c, 600))
	} else {
		out.Chart = "table"
	}
	return out
}

// chart turns a grouped result into chart data: the group columns label
// the points, the charted columns are the series.
func (f reportFormatter) chart(res *models.ReportResult, title, kind string) chart.Chart {
	c := chart.Chart{Kind: kind, Title: title, Other: f.t("report.other")}
	rows := res.Rows
	if kind != chart.Line && len(rows) > chart.MaxBars {
		rows = rows[:chart.MaxBars]
	}
	for _, row := range rows {
		parts := make([]string, res.Groups)
		for i := range res.Groups {
			parts[i] = f.cell(res.Columns[i], row[i]).Text
		}
		c.Labels = append(c.Labels, strings.Join(parts, " / "))
	}
	charted := res.Charted
	if kind == chart.Pie {
		charted = charted[:1]
	}
	first := res.Columns[charted[0]]
	// A chart labels its points briefly (1,718,000.00 yuan is 171.8万);
	// the table below has the exact figures.
	c.Format = func(v float64) string {
		switch first.Type {
		case models.TypeMoney:
			return compactNumber(f.lang, v/100)
		case models.TypePercent:
			return strconv.FormatFloat(v, 'f', 1, 64) + "%"
		case models.TypeFloat:
			if math.Abs(v) < 10_000 {
				return strconv.FormatFloat(v, 'f', 1, 64)
			}
		}
		return compactNumber(f.lang, v)
	}
	for _, i := range charted {
		// One chart shows one unit: series of another type than the first
		// (a count beside an amount) are left to the table.
		if res.Columns[i].Type != first.Type {
			continue
		}
		ser := chart.Series{Name: f.header(res.Columns[i])}
		for _, row := range rows {
			ser.Values = append(ser.Values, toFloat(row[i]))
		}
		c.Series = append(c.Series, ser)
	}
	return c
}

type reportShowData struct {
	Report    *models.Report
	Title     string
	Params    reportParams
	Range     models.DateRange
	Periods   []string
	Owners    []models.User
	Table     *reportTable
	Charts    []string
	CanEdit   bool
	CanShare  bool
	CanSched  bool
	ExportURL string
}

func (s *Server) showReport(c *gin.Context) {
	r, ok := s.report(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a := actor(c)
	params, rng, err := s.reportParamsFrom(c, r, c.Request.URL.Query())
	if err != nil {
		s.fail(c, err)
		return
	}
	res, err := s.db.RunReport(ctx, a, r, models.RunOptions{Range: rng, OwnerID: params.Owner, Today: s.today()})
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.formatter(ctx, s.lang(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	title := s.reportTitle(c, r)
	data := &reportShowData{Report: r, Title: title, Params: params, Range: rng, Periods: models.Periods,
		Table: f.table(res, title, params.Chart), Charts: models.ReportCharts, CanEdit: r.CanEdit(a), CanShare: r.CanShare(a),
		CanSched: r.CanSchedule(a)}
	if r.HasOwnerFilter() && a.IsManager() {
		if data.Owners, err = s.salespeople(c); err != nil {
			s.fail(c, err)
			return
		}
	}
	p := s.newPage(c, title, "reports", data)
	if isFragment(c) && c.GetHeader("HX-Target") == "report-result" {
		s.renderBlock(c, http.StatusOK, "reports/show", "result", p)
		return
	}
	s.render(c, http.StatusOK, "reports/show", p)
}

// exportReport downloads every row of a report (not only the rows a page
// shows) as CSV or XLSX, streaming: rows are written as the query yields
// them.
func (s *Server) exportReport(c *gin.Context) {
	r, ok := s.report(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	params, rng, err := s.reportParamsFrom(c, r, c.Request.URL.Query())
	if err != nil {
		s.fail(c, err)
		return
	}
	f, err := s.formatter(ctx, s.lang(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	var w sheet.Writer
	var cols []models.ReportColumn
	var cells []any
	opt := models.RunOptions{Range: rng, OwnerID: params.Owner, Today: s.today(), MaxRows: models.ExportRows}
	err = s.db.EachReportRow(ctx, actor(c), r, opt, func(shape *models.ReportResult) error {
		cols = shape.Columns
		cells = make([]any, len(cols))
		header := make([]string, len(cols))
		for i, col := range cols {
			header[i] = f.header(col)
			switch col.Type {
			case models.TypeMoney:
				header[i] = f.t("report.unit.yuan", header[i])
			case models.TypePercent:
				header[i] = f.t("report.unit.percent", header[i])
			}
		}
		base := "report-" + strconv.FormatInt(r.ID, 10)
		var err error
		if w, err = s.startDownload(c, base, exportFormat(c)); err != nil {
			return err
		}
		return w.WriteRow(header...)
	}, func(row []any) error {
		for i, v := range row {
			cells[i] = f.value(cols[i], v)
		}
		return w.WriteValues(cells...)
	})
	if w == nil {
		if err != nil {
			s.fail(c, err)
		}
		return
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Headers are gone; all we can do is log and cut the download short.
		s.log.Error("export report", "report", r.ID, "err", err)
	}
}

type reportUsersData struct {
	Report *models.Report
	Title  string
	Roles  []models.Role
	Users  []models.User
}

func (s *Server) reportUsers(c *gin.Context) {
	r, ok := s.report(c)
	if !ok {
		return
	}
	if !r.CanShare(actor(c)) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	users, err := s.db.ActiveUsersByRole(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	title := s.reportTitle(c, r)
	data := &reportUsersData{Report: r, Title: title, Roles: models.RolesWithout(models.PermReportsAll)}
	for _, u := range users {
		if !u.Role.Can(models.PermReportsAll) {
			data.Users = append(data.Users, u)
		}
	}
	s.render(c, http.StatusOK, "reports/users", s.newPage(c, s.t(c, "report.users.title", title), "reports", data))
}

func (s *Server) saveReportUsers(c *gin.Context) {
	r, ok := s.report(c)
	if !ok {
		return
	}
	if !r.CanShare(actor(c)) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	var roles []models.Role
	for _, v := range c.PostFormArray("role") {
		role := models.Role(v)
		if !role.Valid() || role.Can(models.PermReportsAll) {
			s.fail(c, errBadRequest)
			return
		}
		roles = append(roles, role)
	}
	var ids []int64
	for _, v := range c.PostFormArray("user") {
		id := parseID(v)
		if id == 0 {
			s.fail(c, errBadRequest)
			return
		}
		ids = append(ids, id)
	}
	if err := s.db.SetReportUsers(c.Request.Context(), actor(c), r.ID, roles, ids); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			err = errBadRequest // the report exists (above): the user does not
		}
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.saved")
	redirect(c, "/reports/"+strconv.FormatInt(r.ID, 10))
}

func (s *Server) deleteReport(c *gin.Context) {
	r, ok := s.report(c)
	if !ok {
		return
	}
	if !r.CanEdit(actor(c)) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return
	}
	if err := s.db.DeleteReport(c.Request.Context(), actor(c), r.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "report.deleted")
	redirect(c, "/reports")
}

// HasRole reports whether the report is open to role.
func (d *reportUsersData) HasRole(role models.Role) bool {
	return slices.Contains(d.Report.Roles, role)
}
