package handlers

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/jobs"
	"keyuan/models"
	"keyuan/views"
)

// E-mailing reports on a schedule, and the managers' digest: the screens
// that set them up. The messages are rendered by jobs.ReportMailer, which
// also draws the digest preview shown here.

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
	r, ok := s.reportFor(c, (*models.Report).CanSchedule)
	if !ok {
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
	s.renderForm(c, status, "reports/schedules", errs, s.t(c, "report.schedule.title", title), "reports", data)
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
	redirect(c, views.Path("report", r.ID)+"/schedules")
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
	redirect(c, views.Path("report", r.ID)+"/schedules")
}

// --- the managers' digest --------------------------------------------------------

type digestData struct {
	Setting     models.DigestSetting
	Frequencies []string
	Hours       []int
	Preview     *jobs.DigestView
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
	view, err := s.reportMailer.DigestView(c.Request.Context(), u, "daily", s.now(), s.lang(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Preview = view
	s.renderForm(c, status, "reports/digest", errs, s.t(c, "report.digest.title"), "digest", data)
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
	s.saved(c, "/reports/digest")
}
