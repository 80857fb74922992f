package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/chart"
	"keyuan/jobs"
	"keyuan/models"
	"keyuan/views"
)

// E-mailing reports on a schedule, and the managers' digest: the screens
// that set them up, and the rendering of the messages, which the jobs in
// package jobs call through jobs.ReportRenderer.

var _ jobs.ReportRenderer = (*Server)(nil)

type scheduleForm struct {
	Frequency string
	Hour      string
	Weekday   string
	Monthday  string
	Cron      string
	Period    string
	Users     []int64
}

type reportSchedulesData struct {
	Report     *models.Report
	Title      string
	Schedules  []models.ReportSchedule
	Candidates []models.User
	Form       scheduleForm
	Periods    []string
	Hours      []int
	Weekdays   []int
	Monthdays  []int
}

// recipients are the active users who may open the report: only they can
// be sent it.
func (s *Server) recipients(ctx context.Context, r *models.Report) ([]models.User, error) {
	users, err := s.db.ActiveUsersByRole(ctx)
	if err != nil {
		return nil, err
	}
	var out []models.User
	for _, u := range users {
		ok, err := s.db.UserCanOpenReport(ctx, u.ID, r.ID)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Server) scheduledReport(c *gin.Context) (*models.Report, bool) {
	r, ok := s.report(c)
	if !ok {
		return nil, false
	}
	if !r.CanSchedule(actor(c)) {
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
		return nil, false
	}
	return r, true
}

func (s *Server) reportSchedules(c *gin.Context) {
	r, ok := s.scheduledReport(c)
	if !ok {
		return
	}
	period := ""
	if r.IsBuiltin() {
		period = "last_7_days"
	}
	s.renderSchedules(c, http.StatusOK, r, scheduleForm{Frequency: "weekly", Hour: "8", Weekday: "1", Monthday: "1",
		Period: period, Users: []int64{actor(c).ID}}, nil)
}

func (s *Server) renderSchedules(c *gin.Context, status int, r *models.Report, f scheduleForm, errs fieldErrors) {
	ctx := c.Request.Context()
	list, err := s.db.ReportSchedules(ctx, r.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	cands, err := s.recipients(ctx, r)
	if err != nil {
		s.fail(c, err)
		return
	}
	title := s.reportTitle(c, r)
	data := &reportSchedulesData{Report: r, Title: title, Schedules: list, Candidates: cands, Form: f, Weekdays: []int{1, 2, 3, 4, 5, 6, 0}}
	if r.IsBuiltin() {
		data.Periods = models.Periods
	}
	for h := range 24 {
		data.Hours = append(data.Hours, h)
	}
	for d := 1; d <= 28; d++ {
		data.Monthdays = append(data.Monthdays, d)
	}
	p := s.newPage(c, s.t(c, "report.schedule.title", title), "reports", data)
	p.Errors = errs
	s.render(c, status, "reports/schedules", p)
}

func (s *Server) createReportSchedule(c *gin.Context) {
	r, ok := s.scheduledReport(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	f := scheduleForm{Frequency: c.PostForm("frequency"), Hour: c.PostForm("hour"), Weekday: c.PostForm("weekday"),
		Monthday: c.PostForm("monthday"), Cron: truncate(strings.TrimSpace(c.PostForm("cron")), 100), Period: c.PostForm("period")}
	errs := fieldErrors{}
	for _, v := range c.PostFormArray("user") {
		id := parseID(v)
		ok, err := s.db.UserCanOpenReport(ctx, id, r.ID)
		if err != nil {
			s.fail(c, err)
			return
		}
		if !ok {
			errs["users"] = "report.schedule.not_a_report_user"
		}
		f.Users = append(f.Users, id)
	}
	if len(f.Users) == 0 {
		errs["users"] = "report.schedule.no_recipients"
	}
	sch := models.ReportSchedule{ReportID: r.ID, Frequency: f.Frequency, Period: f.Period, Active: true, Recipients: f.Users}
	if !slices.Contains(models.ScheduleFrequencies, f.Frequency) {
		errs["frequency"] = "validation.invalid_choice"
	}
	num := func(field, v string, lo, hi int) int {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errs[field] = "validation.invalid_choice"
		}
		return n
	}
	sch.Hour = num("hour", f.Hour, 0, 23)
	sch.Weekday = num("weekday", f.Weekday, 0, 6)
	sch.Monthday = num("monthday", f.Monthday, 1, 28)
	if r.IsBuiltin() {
		if !models.ValidPeriod(f.Period) {
			errs["period"] = "validation.invalid_choice"
		}
	} else {
		sch.Period = ""
	}
	if f.Frequency != "cron" {
		f.Cron = ""
	} else if f.Cron == "" {
		errs["cron"] = "validation.required"
	}
	if !errs.Any() {
		spec, err := jobs.ScheduleSpec(f.Frequency, sch.Hour, sch.Weekday, sch.Monthday, f.Cron)
		switch {
		case errors.Is(err, jobs.ErrTooOften):
			errs["cron"] = "report.schedule.too_often"
		case err != nil:
			errs["cron"] = "report.schedule.bad_cron"
		}
		sch.Cron = spec
	}
	if errs.Any() {
		s.renderSchedules(c, http.StatusUnprocessableEntity, r, f, errs)
		return
	}
	next, err := jobs.NextRun(sch.Cron, s.now(), s.cfg.Location)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.db.SaveReportSchedule(ctx, actor(c), &sch, next); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "report.schedule.saved")
	redirect(c, "/reports/"+strconv.FormatInt(r.ID, 10)+"/schedules")
}

func (s *Server) deleteReportSchedule(c *gin.Context) {
	r, ok := s.scheduledReport(c)
	if !ok {
		return
	}
	sid, ok := idParam(c, "sid")
	if !ok {
		s.notFound(c)
		return
	}
	if err := s.db.DeleteReportSchedule(c.Request.Context(), actor(c), r.ID, sid); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "report.schedule.deleted")
	redirect(c, "/reports/"+strconv.FormatInt(r.ID, 10)+"/schedules")
}

// --- the managers' digest --------------------------------------------------------

type digestData struct {
	Setting     models.DigestSetting
	Frequencies []string
	Hours       []int
	Preview     *digestView
}

func (s *Server) digestSettings(c *gin.Context) {
	d, err := s.db.GetDigestSetting(c.Request.Context(), actor(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderDigest(c, http.StatusOK, d, nil)
}

func (s *Server) renderDigest(c *gin.Context, status int, d models.DigestSetting, errs fieldErrors) {
	data := &digestData{Setting: d, Frequencies: models.DigestFrequencies}
	for h := range 24 {
		data.Hours = append(data.Hours, h)
	}
	// A preview of yesterday's digest, as the e-mail would show it.
	u := currentUser(c)
	view, err := s.digestView(c.Request.Context(), u, "daily", s.now(), s.lang(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Preview = view
	p := s.newPage(c, s.t(c, "report.digest.title"), "digest", data)
	p.Errors = errs
	s.render(c, status, "reports/digest", p)
}

func (s *Server) saveDigestSettings(c *gin.Context) {
	d := models.DigestSetting{UserID: actor(c).ID, Frequency: c.PostForm("frequency")}
	errs := fieldErrors{}
	if !slices.Contains(models.DigestFrequencies, d.Frequency) {
		errs["frequency"] = "validation.invalid_choice"
	}
	h, err := strconv.Atoi(c.PostForm("hour"))
	if err != nil || h < 0 || h > 23 {
		errs["hour"] = "validation.invalid_choice"
	}
	d.Hour = h
	if errs.Any() {
		s.renderDigest(c, http.StatusUnprocessableEntity, d, errs)
		return
	}
	next, err := jobs.NextRun(jobs.DigestSpec(d.Frequency, d.Hour), s.now(), s.cfg.Location)
	if err != nil {
		s.fail(c, err)
		return
	}
	if err := s.db.SaveDigestSetting(c.Request.Context(), actor(c), d, next); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "flash.saved")
	redirect(c, "/reports/digest")
}

// digestView is a digest ready to show in the page and in the e-mail.
type digestView struct {
	Title      string
	From, To   string
	Digest     *models.Digest
	Activities int
	Overdue    int
	Chart      template.HTML
	Lang       string
	BaseURL    string
	// MailProblem is set while the mail server refuses our sender: the
	// digest (which may itself go by another route, or be read late) says so.
	MailProblem *models.MailProblem
	// BackupFailed is the result of the last backup run when it failed.
	BackupFailed string
}

// ActivitiesURL and friends are links into the application.
func (v *digestView) ActivitiesURL(owner int64) string {
	return v.BaseURL + "/activities?" + url.Values{"from": {v.From}, "to": {v.To}, "owner": {strconv.FormatInt(owner, 10)}}.Encode()
}

// OverdueURL lists a salesperson's plans still open after their day.
func (v *digestView) OverdueURL(owner int64) string {
	return v.BaseURL + "/plans?" + url.Values{"status": {"planned"}, "to": {v.Digest.Today}, "owner": {strconv.FormatInt(owner, 10)}}.Encode()
}

// IssueURL opens a customer issue.
func (v *digestView) IssueURL(id int64) string {
	return v.BaseURL + "/issues/" + strconv.FormatInt(id, 10)
}

// NewIssues is how many issues came in during the period.
func (v *digestView) NewIssues() int {
	n := 0
	for _, c := range v.Digest.NewIssues {
		n += c.Count
	}
	return n
}

// CampaignURL opens a campaign.
func (v *digestView) CampaignURL(id int64) string {
	return v.BaseURL + "/campaigns/" + strconv.FormatInt(id, 10)
}

// digestView gathers the digest of the period before at for user u.
func (s *Server) digestView(ctx context.Context, u *models.User, frequency string, at time.Time, lang string) (*digestView, error) {
	today := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, at.Location())
	from, to := today.AddDate(0, 0, -1), today.AddDate(0, 0, -1)
	if frequency == "weekly" {
		from = today.AddDate(0, 0, -7)
	}
	d, err := s.db.BuildDigest(ctx, u.Actor(), day(from), day(to), at)
	if err != nil {
		return nil, err
	}
	t := func(k string, args ...any) string { return s.views.Catalog.T(lang, k, args...) }
	v := &digestView{From: day(from), To: day(to), Digest: d, Lang: lang, BaseURL: s.cfg.BaseURL}
	if v.MailProblem, err = s.db.CurrentMailProblem(ctx); err != nil {
		return nil, err
	}
	if run, err := s.db.LastJobRun(ctx, jobs.BackupJob); err != nil {
		return nil, err
	} else if run != nil && !run.Running && !run.OK {
		v.BackupFailed = run.Result
	}
	v.Title = t("report.digest.subject_daily", v.From)
	if frequency == "weekly" {
		v.Title = t("report.digest.subject_weekly", v.From, v.To)
	}
	c := chart.Chart{Kind: chart.Bar, Title: t("report.digest.activities")}
	ser := chart.Series{Name: t("report.col.records")}
	for _, a := range d.Activities {
		v.Activities += a.Records
		c.Labels = append(c.Labels, a.OwnerName)
		ser.Values = append(ser.Values, float64(a.Records))
	}
	for _, o := range d.OverduePlans {
		v.Overdue += o.Count
	}
	c.Series = []chart.Series{ser}
	// The SVG is built from numbers and escaped names by package chart.
	v.Chart = template.HTML(chart.SVG(c, 600))
	return v, nil
}

// text is the digest as plain text, for the text part of the e-mail.
func (v *digestView) text(lang string, tr func(lang, key string, args ...any) string) string {
	t := func(k string, args ...any) string { return tr(lang, k, args...) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", v.Title)
	if v.MailProblem != nil {
		fmt.Fprintf(&b, "%s %s/admin/mail\n\n", t("report.digest.mail_problem", v.MailProblem.Message), v.BaseURL)
	}
	if v.BackupFailed != "" {
		fmt.Fprintf(&b, "%s %s/admin/backups\n\n", t("backup.digest_failed", v.BackupFailed), v.BaseURL)
	}
	fmt.Fprintf(&b, "%s: %s\n", t("report.digest.activities"), t("report.digest.records", v.Activities))
	for _, a := range v.Digest.Activities {
		fmt.Fprintf(&b, "  %s: %d · %s\n", a.OwnerName, a.Records, v.ActivitiesURL(a.OwnerID))
	}
	fmt.Fprintf(&b, "\n%s: %s\n", t("report.digest.overdue"), t("report.digest.plans", v.Overdue))
	for _, o := range v.Digest.OverduePlans {
		fmt.Fprintf(&b, "  %s: %d · %s\n", o.OwnerName, o.Count, v.OverdueURL(o.OwnerID))
	}
	fmt.Fprintf(&b, "\n%s: %s\n", t("report.digest.new_issues"), t("report.digest.issues", v.NewIssues()))
	for _, c := range v.Digest.NewIssues {
		fmt.Fprintf(&b, "  %s: %d\n", t("issue.priority."+c.Priority), c.Count)
	}
	fmt.Fprintf(&b, "\n%s: %s\n", t("report.digest.overdue_issues"), t("report.digest.issues", v.Digest.OverdueTotal))
	for _, x := range v.Digest.OverdueIssues {
		fmt.Fprintf(&b, "  %s %s（%s）· %s\n", x.Code, x.Subject, x.CustomerName, v.IssueURL(x.ID))
	}
	fmt.Fprintf(&b, "\n%s\n", t("report.digest.campaigns"))
	for _, m := range v.Digest.Campaigns {
		fmt.Fprintf(&b, "  %s (%s): %d / %d / %d · %s\n", m.Name, t("campaign.status."+m.Status), m.Targets, m.Notified, m.Attended,
			v.CampaignURL(m.ID))
	}
	return b.String()
}

func (s *Server) userLang(u *models.User) string {
	if views.ValidLanguage(u.Lang) {
		return u.Lang
	}
	return views.Languages[0]
}

// renderMail renders one block of the mail templates.
func (s *Server) renderMail(lang, block string, data any) (string, error) {
	var b bytes.Buffer
	if err := s.views.Render(&b, lang, "reports/mail", block, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// DigestMail renders a manager's digest for the period that fired at due.
func (s *Server) DigestMail(ctx context.Context, to *models.User, d models.DigestSetting, due time.Time) (*models.OutgoingMail, error) {
	lang := s.userLang(to)
	v, err := s.digestView(ctx, to, d.Frequency, due.In(s.cfg.Location), lang)
	if err != nil {
		return nil, err
	}
	body, err := s.renderMail(lang, "digest_mail", v)
	if err != nil {
		return nil, err
	}
	return &models.OutgoingMail{To: to.Email, ToName: to.DisplayName, Subject: v.Title, Text: v.text(lang, s.views.Catalog.T),
		HTML: body}, nil
}

// reportMailData is what the scheduled report e-mail shows.
type reportMailData struct {
	Title   string
	Period  string
	Table   *reportTable
	Link    string
	BaseURL string
}

// ScheduledReportMail runs the report as the recipient, for the period
// the schedule names counted from the day it fired.
func (s *Server) ScheduledReportMail(ctx context.Context, to *models.User, sch models.ReportSchedule, due time.Time) (*models.OutgoingMail, error) {
	lang := s.userLang(to)
	t := func(k string, args ...any) string { return s.views.Catalog.T(lang, k, args...) }
	r, err := s.db.GetReport(ctx, to.Actor(), sch.ReportID)
	if err != nil {
		return nil, err
	}
	local := due.In(s.cfg.Location)
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, s.cfg.Location)
	var rng models.DateRange
	q := url.Values{}
	if r.IsBuiltin() {
		period := sch.Period
		if !models.ValidPeriod(period) {
			period = r.DefaultPeriod()
		}
		rng, _ = models.ResolvePeriod(period, today)
		q.Set("period", "custom")
		q.Set("from", rng.From)
		q.Set("to", rng.To)
		if rng.Open() {
			q = url.Values{"period": {"all"}}
		}
	}
	res, err := s.db.RunReport(ctx, to.Actor(), r, models.RunOptions{Range: rng, Today: today})
	if err != nil {
		return nil, err
	}
	f, err := s.formatter(ctx, lang)
	if err != nil {
		return nil, err
	}
	title := models.ReportName(r, func(k string) string { return t(k) })
	data := &reportMailData{Title: title, Table: f.table(res, title, ""), BaseURL: s.cfg.BaseURL,
		Link: s.cfg.BaseURL + "/reports/" + strconv.FormatInt(r.ID, 10)}
	if len(q) > 0 {
		data.Link += "?" + q.Encode()
	}
	switch {
	case rng.From != "" && rng.To != "":
		data.Period = rng.From + " – " + rng.To
	case r.IsBuiltin():
		data.Period = t("report.period.all")
	default:
		data.Period = day(today)
	}
	body, err := s.renderMail(lang, "report_mail", data)
	if err != nil {
		return nil, err
	}
	text := title + "\n" + data.Period + "\n\n" + textTable(data.Table) + "\n" + t("report.mail.open") + ": " + data.Link + "\n"
	return &models.OutgoingMail{To: to.Email, ToName: to.DisplayName, Subject: t("report.mail.subject", title, data.Period),
		Text: text, HTML: body}, nil
}

// textTable writes a table as plain text for the text part of an e-mail:
// one line per row, cells separated by " | ".
func textTable(t *reportTable) string {
	var b strings.Builder
	line := func(cells []reportCell) {
		parts := make([]string, len(cells))
		for i, c := range cells {
			parts[i] = c.Text
		}
		fmt.Fprintln(&b, strings.Join(parts, " | "))
	}
	line(t.Headers)
	for _, r := range t.Rows {
		line(r)
	}
	if t.Totals != nil {
		line(t.Totals)
	}
	return b.String()
}
