package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
	"keyuan/views"
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
	data := &reportListData{Manager: a.LeadsPeople()}
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
// reportFor is report for an action the user must be allowed: may says
// whether (CanEdit, CanShare, CanSchedule); a report they may open but not
// change is a 403.
func (s *Server) reportFor(c *gin.Context, may func(*models.Report, models.Actor) bool) (*models.Report, bool) {
	r, ok := s.report(c)
	if !ok {
		return nil, false
	}
	if !may(r, actor(c)) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return nil, false
	}
	return r, true
}

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
	Team   int64
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
	if id := q.Get("owner"); id != "" && r.HasOwnerFilter() && actor(c).LeadsPeople() {
		p.Owner = parseID(id)
		if p.Owner == 0 {
			return p, rng, errBadRequest
		}
	}
	// The team filter is for those who see every team.
	if id := q.Get("team"); id != "" && r.HasOwnerFilter() && actor(c).Scope(models.ModReports) == models.ScopeAll {
		p.Team = parseID(id)
		if p.Team == 0 {
			return p, rng, errBadRequest
		}
	}
	return p, rng, nil
}

// formatter formats report values in lang.
func (s *Server) formatter(ctx context.Context, lang string) (views.ReportFormatter, error) {
	aux, err := s.db.AuxLookupFor(ctx, lang)
	return s.views.Catalog.NewReportFormatter(lang, aux, s.cfg.Location), err
}

type reportShowData struct {
	Report    *models.Report
	Title     string
	Params    reportParams
	Range     models.DateRange
	Periods   []string
	Owners    []models.User
	Teams     []models.Team
	Table     *views.ReportTable
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
	res, err := s.db.RunReport(ctx, a, r, models.RunOptions{Range: rng, OwnerID: params.Owner, TeamID: params.Team, Today: s.today()})
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
		Table: f.Table(res, title, params.Chart), Charts: models.ReportCharts, CanEdit: r.CanEdit(a), CanShare: r.CanShare(a),
		CanSched: r.CanSchedule(a)}
	if r.HasOwnerFilter() && a.LeadsPeople() {
		if data.Owners, err = s.peopleInScope(c, models.ModReports); err != nil {
			s.fail(c, err)
			return
		}
		if a.Scope(models.ModReports) == models.ScopeAll {
			if data.Teams, err = s.db.Teams(ctx); err != nil {
				s.fail(c, err)
				return
			}
		}
	}
	p := s.newPage(c, title, "reports", data)
	s.renderTargeted(c, http.StatusOK, "reports/show", p, "report-result", "result")
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
	opt := models.RunOptions{Range: rng, OwnerID: params.Owner, TeamID: params.Team, Today: s.today(), MaxRows: models.ExportRows}
	err = s.db.EachReportRow(ctx, actor(c), r, opt, func(shape *models.ReportResult) error {
		cols = shape.Columns
		cells = make([]any, len(cols))
		header := make([]string, len(cols))
		for i, col := range cols {
			header[i] = f.Header(col)
			switch col.Type {
			case models.TypeMoney:
				header[i] = f.T("report.unit.yuan", header[i])
			case models.TypePercent:
				header[i] = f.T("report.unit.percent", header[i])
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
			cells[i] = f.Value(cols[i], v)
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
	r, ok := s.reportFor(c, (*models.Report).CanShare)
	if !ok {
		return
	}
	users, err := s.db.ActiveUsersByRole(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	title := s.reportTitle(c, r)
	data := &reportUsersData{Report: r, Title: title}
	for _, role := range s.db.RoleKeys() {
		if !s.db.RoleCan(role, models.PermReportsManage) {
			data.Roles = append(data.Roles, role)
		}
	}
	for _, u := range users {
		if !s.db.RoleCan(u.Role, models.PermReportsManage) {
			data.Users = append(data.Users, u)
		}
	}
	s.render(c, http.StatusOK, "reports/users", s.newPage(c, s.t(c, "report.users.title", title), "reports", data))
}

func (s *Server) saveReportUsers(c *gin.Context) {
	r, ok := s.reportFor(c, (*models.Report).CanShare)
	if !ok {
		return
	}
	var roles []models.Role
	for _, v := range c.PostFormArray("role") {
		role := models.Role(v)
		if !s.db.RoleExists(role) || s.db.RoleCan(role, models.PermReportsManage) {
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
	s.saved(c, views.Path("report", r.ID))
}

func (s *Server) deleteReport(c *gin.Context) {
	r, ok := s.reportFor(c, (*models.Report).CanEdit)
	if !ok {
		return
	}
	if _, err := s.db.DeleteRecord(c.Request.Context(), actor(c), "report", r.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "trash.moved")
	redirect(c, "/reports")
}

// HasRole reports whether the report is open to role.
func (d *reportUsersData) HasRole(role models.Role) bool {
	return slices.Contains(d.Report.Roles, role)
}
