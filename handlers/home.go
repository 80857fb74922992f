package handlers

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// home is the start page, one per role (issue 19): a salesperson's plans
// today; a manager's team this week; service staff's issues. Every number
// links to the list that explains it.
func (s *Server) home(c *gin.Context) {
	a := actor(c)
	switch {
	case a.Can(models.PermActivitiesCreate) && !a.SeesBeyondOwn(models.ModActivities):
		s.todayPlans(c)
	case a.LeadsPeople():
		s.managerHome(c)
	case a.HandlesService():
		s.serviceHome(c)
	default:
		s.render(c, http.StatusOK, "home", s.newPage(c, s.t(c, "home.title"), "home", nil))
	}
}

type managerHomeData struct {
	Week      *models.Digest // this week so far: activities and overdue plans per person, campaigns
	Pipeline  []models.StageTotal
	WeekStart string
	Today     string
	Yesterday string
}

// managerHome is the team this week: activity records per person, overdue
// plans per person, the pipeline by stage, campaigns in progress.
func (s *Server) managerHome(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	today := s.today()
	data := &managerHomeData{WeekStart: day(models.WeekStart(today)), Today: day(today), Yesterday: day(today.AddDate(0, 0, -1))}
	var err error
	if data.Week, err = s.db.BuildTeamWeek(ctx, a, data.WeekStart, data.Today, s.now()); err != nil {
		s.fail(c, err)
		return
	}
	if data.Pipeline, err = s.db.Pipeline(ctx, a); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "home_manager", s.newPage(c, s.t(c, "home.title"), "home", data))
}

// serviceHome is service staff's issues: their open ones by priority, the
// unassigned and overdue ones, and the latest articles filed from issues.
func (s *Server) serviceHome(c *gin.Context) {
	board, err := s.db.BuildServiceBoard(c.Request.Context(), actor(c))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "home_service", s.newPage(c, s.t(c, "home.title"), "home", board))
}

// The salesperson's start page lists the day's plans and records and the
// oldest overdue plans: on a busy day about ninety rows, which html/template
// spent 25 µs each on (every printed value and every call is a reflective
// call), more than the page's queries. The rows are written here instead,
// as the customer list's are (writeCustomerRow). Every value is escaped with
// template.HTMLEscapeString, safe in text and in quoted attributes; the
// only URLs are records' addresses made from a kind and a number.

// writePlanItems writes a <ul> of plans with their actions. tr translates a
// message key.
func writePlanItems(b *strings.Builder, plans []models.Plan, aux models.AuxLookup, tr func(string) string) {
	esc := template.HTMLEscapeString
	b.WriteString(`<ul class="plan-list">`)
	for i := range plans {
		p := &plans[i]
		id := strconv.FormatInt(p.ID, 10)
		when := p.Time
		if when == "" {
			when = tr("plan.all_day")
		}
		b.WriteString(`<li class="plan-item status-` + esc(p.Status) + `"><div class="plan-when"><strong>` + esc(when) +
			`</strong><span class="muted">` + esc(p.Date) + `</span></div><div class="plan-what"><a href="` +
			views.Path("plan", p.ID) + `" class="row-link">` + esc(p.Subject) + `</a>`)
		if p.Status != "planned" {
			b.WriteString(` <span class="badge badge-` + esc(p.Status) + `">` + esc(tr("plan.status."+p.Status)) + `</span>`)
		}
		b.WriteString(`<div class="sub">`)
		writeCounterpart(b, p.CustomerKind, p.CustomerID, p.CustomerName, tr)
		for _, s := range []string{p.ContactName, aux.Name(p.MethodID)} {
			if s != "" {
				b.WriteString(` · ` + esc(s))
			}
		}
		b.WriteString(`</div></div><div class="plan-actions">`)
		switch {
		case p.Status != "planned":
		case p.CustomerID == 0: // a personal task is done in one step
			b.WriteString(`<form method="post" action="` + views.Path("plan", p.ID, "done") + `"><button type="submit" class="btn btn-sm btn-primary">` +
				esc(tr("plan.complete")) + `</button></form>`)
		default: // a plan with a customer is done by recording the activity
			b.WriteString(`<a class="btn btn-sm btn-primary" href="/activities/new?plan=` + id + `">` + esc(tr("plan.complete")) + `</a>`)
		}
		b.WriteString(`</div></li>`)
	}
	b.WriteString(`</ul>`)
}

// writeActivityItems writes a <ul> of activity records.
func writeActivityItems(b *strings.Builder, rows []models.ActivityRow, aux models.AuxLookup, tr func(string) string) {
	esc := template.HTMLEscapeString
	b.WriteString(`<ul class="plan-list">`)
	for i := range rows {
		a := &rows[i]
		start := a.StartTime
		if start == "" {
			start = "—"
		}
		b.WriteString(`<li class="plan-item"><div class="plan-when"><strong>` + esc(start) + `</strong></div><div class="plan-what"><a href="` +
			views.Path("activity", a.ID) + `" class="row-link">` + esc(a.Subject) + `</a><div class="sub">`)
		writeCounterpart(b, a.CustomerKind, a.CustomerID, a.CustomerName, tr)
		if m := aux.Name(a.MethodID); m != "" {
			b.WriteString(` · ` + esc(m))
		}
		b.WriteString(`</div></div></li>`)
	}
	b.WriteString(`</ul>`)
}

// writeCounterpart is the template's counterpart_link: the customer's or
// prospect's name linked to its card, a prospect marked as one; a personal
// task (no customer) says so.
func writeCounterpart(b *strings.Builder, kind string, id int64, name string, tr func(string) string) {
	if id == 0 {
		b.WriteString(`<span class="muted">` + template.HTMLEscapeString(tr("plan.personal")) + `</span>`)
		return
	}
	if kind != "prospect" {
		kind = "customer"
	}
	b.WriteString(`<a href="` + views.Path(kind, id) + `">` + template.HTMLEscapeString(name) + `</a>`)
	if kind == "prospect" {
		b.WriteString(` <span class="badge badge-muted">` + template.HTMLEscapeString(tr("kind.prospect")) + `</span>`)
	}
}
