package handlers

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// Activity plans (业务活动计划).

func planFilterFrom(q url.Values, today time.Time) models.PlanFilter {
	var f models.PlanFilter
	for _, st := range models.PlanStatuses {
		if q.Get("status") == st {
			f.Status = st
		}
	}
	for _, o := range models.PlanOrigins {
		if q.Get("origin") == o {
			f.Origin = o
		}
	}
	var from, to string
	switch q.Get("period") {
	case "today":
		from, to = day(today), day(today)
	case "week":
		start := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		from, to = day(start), day(start.AddDate(0, 0, 6))
	case "month":
		start := time.Date(today.Year(), today.Month(), 1, 0, 0, 0, 0, today.Location())
		from, to = day(start), day(start.AddDate(0, 1, -1))
	}
	f.SalesFilter = salesFilterFrom(q, from, to)
	return f
}

type planListData struct {
	Filter   models.PlanFilter
	Result   models.PlanPage
	Owners   []models.User
	Statuses []string
	Origins  []string
	Today    string
	// Yesterday ends the overdue plans: today's are not due yet.
	Yesterday string
}

func (s *Server) listPlans(c *gin.Context) {
	a := actor(c)
	q := c.Request.URL.Query()
	if len(q) == 0 {
		q = url.Values{"status": {"planned"}, "from": {day(s.today())}}
	}
	f := planFilterFrom(q, s.today())
	res, err := s.db.ListPlans(c.Request.Context(), a, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &planListData{Filter: f, Result: res, Statuses: models.PlanStatuses, Origins: models.PlanOrigins, Today: day(s.today()),
		Yesterday: day(s.today().AddDate(0, 0, -1))}
	if data.Owners, err = s.ownerChoices(c); err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "plan.list.title"), "plans", data)
	p.Query = q
	s.renderTargeted(c, http.StatusOK, "plans/list", p, "results", "results")
}

type todayData struct {
	Today   string
	Plans   []models.Plan
	Overdue []models.Plan // the oldest homeOverdue of them
	// OverdueTotal is every overdue plan; the list of them ends Yesterday.
	OverdueTotal int
	Yesterday    string
	Activity     models.ActivityPage
	// The salesperson's pipeline, and their customers not contacted since
	// IdleSince.
	Pipeline  []models.StageTotal
	Idle      int
	IdleSince string
	// The three lists, written by writePlanItems and writeActivityItems.
	OverdueList, PlanList, ActivityList template.HTML
}

// homeOverdue is how many overdue plans the start page lists; the rest are
// a link away (a page of 50 rows cost a third of the page's time).
const homeOverdue = 10

// todayPlans is "My plans today" (我的今日计划): the salesperson's start page.
func (s *Server) todayPlans(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	today := day(s.today())
	data := &todayData{Today: today}
	var err error
	if data.Plans, err = s.db.PlansOnly(ctx, a, models.PlanFilter{SalesFilter: models.SalesFilter{From: today, To: today, OwnerID: a.ID, PerPage: 200}}); err != nil {
		s.fail(c, err)
		return
	}
	if data.Overdue, err = s.db.OverduePlans(ctx, a, a.ID, today, homeOverdue); err != nil {
		s.fail(c, err)
		return
	}
	if data.OverdueTotal, err = s.db.CountOverduePlans(ctx, a, a.ID, today); err != nil {
		s.fail(c, err)
		return
	}
	data.Yesterday = day(s.today().AddDate(0, 0, -1))
	if data.Activity, err = s.db.ListActivities(ctx, a, models.ActivityFilter{SalesFilter: models.SalesFilter{From: today, To: today, OwnerID: a.ID, PerPage: 50}}); err != nil {
		s.fail(c, err)
		return
	}
	if data.Pipeline, err = s.db.Pipeline(ctx, a); err != nil {
		s.fail(c, err)
		return
	}
	data.IdleSince = day(s.today().AddDate(0, 0, -models.IdleDays))
	if data.Idle, err = s.db.IdleCustomers(ctx, a, data.IdleSince); err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "plan.today.title"), "home", data)
	tr := func(key string) string { return s.t(c, key) }
	var sb strings.Builder
	writePlanItems(&sb, data.Overdue, p.Aux, tr)
	data.OverdueList = template.HTML(sb.String())
	sb.Reset()
	writePlanItems(&sb, data.Plans, p.Aux, tr)
	data.PlanList = template.HTML(sb.String())
	sb.Reset()
	writeActivityItems(&sb, data.Activity.Rows, p.Aux, tr)
	data.ActivityList = template.HTML(sb.String())
	s.render(c, http.StatusOK, "plans/today", p)
}

type planForm struct {
	Plan          models.Plan
	CustomerLabel string
}

func planFormFrom(c *gin.Context) planForm {
	p := models.Plan{
		Date:       strings.TrimSpace(c.PostForm("date")),
		Time:       strings.TrimSpace(c.PostForm("time")),
		OwnerID:    formID(c.PostForm("owner")),
		CustomerID: formID(c.PostForm("customer")),
		ContactID:  formID(c.PostForm("contact")),
		MethodID:   formID(c.PostForm("method")),
		Subject:    strings.TrimSpace(c.PostForm("subject")),
		Content:    strings.TrimSpace(c.PostForm("content")),
		Status:     c.PostForm("status"),
	}
	p.RemindMinutes = parseRemind(c.PostForm("remind"))
	return planForm{Plan: p, CustomerLabel: truncate(strings.TrimSpace(c.PostForm("customer_label")), 200)}
}

// parseRemind reads a reminder choice; -2 marks an invalid one.
func parseRemind(v string) int {
	if v == "" {
		return -1
	}
	m, err := strconv.Atoi(v)
	if err != nil {
		return -2
	}
	for _, ok := range models.RemindChoices {
		if m == ok {
			return m
		}
	}
	return -2
}

type planFormData struct {
	salesFormParts
	Form          planForm
	RemindChoices []int
	Editing       bool
}

func (s *Server) renderPlanForm(c *gin.Context, status int, f planForm, editing bool, errs fieldErrors) {
	parts, ok := s.salesFormParts(c, f.Plan.CustomerID, true, errs)
	if !ok {
		return
	}
	data := &planFormData{salesFormParts: parts, Form: f, Editing: editing, RemindChoices: models.RemindChoices}
	s.renderForm(c, status, "plans/form", errs, s.formTitle(c, "plan", editing, f.Plan.Code), "plans", data)
}

func (s *Server) newPlan(c *gin.Context) {
	a := actor(c)
	f := planForm{Plan: models.Plan{Date: day(s.today().AddDate(0, 0, 1)), Time: "09:00", OwnerID: a.ID,
		RemindMinutes: models.DefaultRemindMinutes, Status: "planned"}}
	if d := c.Query("date"); validDay(d) {
		f.Plan.Date = d
	}
	id, label, ok := s.queryCounterpart(c)
	if !ok {
		return
	}
	f.Plan.CustomerID, f.CustomerLabel = id, label
	s.renderPlanForm(c, http.StatusOK, f, false, nil)
}

func (s *Server) savePlan(c *gin.Context, id int64) {
	ctx := c.Request.Context()
	a := actor(c)
	f := planFormFrom(c)
	f.Plan.ID = id
	if id != 0 {
		old, err := s.db.GetPlan(ctx, a, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		f.Plan.Code, f.Plan.Origin = old.Code, old.Origin
		if f.Plan.OwnerID == 0 {
			f.Plan.OwnerID = old.OwnerID
		}
		if old.Status == "done" {
			f.Plan.Status = "done"
		}
	}
	picked := models.FieldErrors{}
	if models.CheckPicked(picked, f.Plan.CustomerID, f.CustomerLabel); picked.Any() {
		s.renderPlanForm(c, http.StatusUnprocessableEntity, f, id != 0, picked)
		return
	}
	// SavePlan checks the record by the models' rules before it writes.
	if err := s.db.SavePlan(ctx, a, &f.Plan); err != nil {
		if errs, ok := models.AsFieldErrors(err); ok {
			s.counterpartLabel(c, f.Plan.CustomerID, &f.CustomerLabel, errs)
			s.renderPlanForm(c, http.StatusUnprocessableEntity, f, id != 0, errs)
			return
		}
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("plan", f.Plan.ID))
}

type planCardData struct {
	Plan    *models.Plan
	History []historyLine
	CanEdit bool
}

func (s *Server) showPlan(c *gin.Context) {
	pl, id, ok := loadRecord(s, c, s.db.GetPlan)
	if !ok {
		return
	}
	data := &planCardData{Plan: pl, CanEdit: actor(c).EditsActivities()}
	p := s.newPage(c, pl.Subject, "plans", data)
	s.renderCalendarCard(c, "plans/show", "plan", id, p, &data.History, s.planHistoryValues)
}

func (s *Server) editPlan(c *gin.Context) {
	pl, _, ok := loadRecord(s, c, s.db.GetPlan)
	if !ok {
		return
	}
	s.renderPlanForm(c, http.StatusOK, planForm{Plan: *pl, CustomerLabel: pl.CustomerName}, true, nil)
}

// completeTask marks a personal task (a plan without a customer) done; a
// plan with one is completed by recording the activity.
func (s *Server) completeTask(c *gin.Context) { s.endPlan(c, s.db.CompleteTask, "plan.task_done") }

func (s *Server) cancelPlan(c *gin.Context) { s.endPlan(c, s.db.CancelPlan, "plan.cancelled") }

// endPlan ends the plan of the path with end and goes back to its card,
// saying how it went.
func (s *Server) endPlan(c *gin.Context, end func(context.Context, models.Actor, int64) error, done string) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	err := end(c.Request.Context(), actor(c), id)
	switch {
	case errors.Is(err, models.ErrConflict):
		s.flash(c, "plan.not_open")
	case err != nil:
		s.fail(c, err)
		return
	default:
		s.flash(c, done)
	}
	redirect(c, views.Path("plan", id))
}

// planHistoryValues translates the values that only plans record (origin,
// reminder) before describeHistory, which knows the shared ones.
func (s *Server) planHistoryValues(c *gin.Context, entries []models.AuditEntry) []models.AuditEntry {
	word := func(field, v string) string {
		switch {
		case v == "":
			return ""
		case field == "origin":
			return s.t(c, "plan.origin."+v)
		case field == "remind_minutes":
			return s.t(c, "remind."+v)
		}
		return v
	}
	for i := range entries {
		for j, ch := range entries[i].Changes {
			entries[i].Changes[j].Old, entries[i].Changes[j].New = word(ch.Field, ch.Old), word(ch.Field, ch.New)
		}
	}
	return entries
}
