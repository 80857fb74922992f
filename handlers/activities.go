package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// Business activity management (业务活动管理): activity records. Plans,
// batch planning, the calendar, competitors, opportunities and
// notifications have their own files.

// validDay and validClock are the models' date and time rules.
var (
	validDay   = models.ValidDayInRange
	validClock = models.ValidClock
)

// today is the current date in the business's time zone.
func (s *Server) today() time.Time {
	now := s.now()
	return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, s.cfg.Location)
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// salespeople are the users a record or plan may belong to.
func (s *Server) salespeople(c *gin.Context) ([]models.User, error) {
	return s.db.ActiveUsersWith(c.Request.Context(), models.PermCustomersCreate)
}

// ownerChoices are the salespeople a list or the calendar can be narrowed
// to: none for someone who sees only their own records.
func (s *Server) ownerChoices(c *gin.Context) ([]models.User, error) {
	return s.peopleInScope(c, models.ModActivities)
}

// peopleInScope are the salespeople whose records of module m the actor
// sees, for a person filter or an owner picker: none for someone who sees
// only their own, their team for a team scope, everyone for the rest.
func (s *Server) peopleInScope(c *gin.Context, m models.Module) ([]models.User, error) {
	a := actor(c)
	if !a.SeesBeyondOwn(m) {
		return nil, nil
	}
	users, err := s.salespeople(c)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(users, func(u models.User) bool { return !a.Sees(m, u.ID) }), nil
}

// counterpartLabel names the form's counterpart, when the rules found it.
func (s *Server) counterpartLabel(c *gin.Context, customerID int64, label *string, errs fieldErrors) {
	if customerID == 0 || errs["customer"] != "" {
		return
	}
	if cp, err := s.db.GetCounterpart(c.Request.Context(), actor(c), customerID); err == nil {
		*label = cp.Name
	}
}

// salesFilterFrom reads what the activity-record and plan lists share of
// their filters; from and to are the dates when the query names none, and
// malformed values are dropped.
func salesFilterFrom(q url.Values, from, to string) models.SalesFilter {
	return models.SalesFilter{
		OwnerID:    parseID(q.Get("owner")),
		CustomerID: parseID(q.Get("customer")),
		Q:          truncate(strings.TrimSpace(q.Get("q")), 100),
		From:       queryDay(q, "from", from),
		To:         queryDay(q, "to", to),
		Page:       queryPage(q, 1_000_000, 1),
		PerPage:    50,
	}
}

// activityFilterFrom reads the list filter; malformed values are dropped.
func activityFilterFrom(q url.Values) models.ActivityFilter {
	return models.ActivityFilter{
		SalesFilter:  salesFilterFrom(q, "", ""),
		MethodID:     parseID(q.Get("method")),
		StageID:      parseID(q.Get("stage")),
		CompetitorID: parseID(q.Get("competitor")),
	}
}

type activityListData struct {
	Filter      models.ActivityFilter
	Result      models.ActivityPage
	Owners      []models.User
	Competitors []models.Competitor
	Customer    *models.Counterpart
}

func (s *Server) listActivities(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	f := activityFilterFrom(c.Request.URL.Query())
	res, err := s.db.ListActivities(ctx, a, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &activityListData{Filter: f, Result: res}
	if data.Owners, err = s.ownerChoices(c); err != nil {
		s.fail(c, err)
		return
	}
	if data.Competitors, err = s.db.CompetitorNames(ctx); err != nil {
		s.fail(c, err)
		return
	}
	if f.CustomerID != 0 {
		// A counterpart the actor may not see simply filters to nothing.
		if cu, err := s.db.CounterpartAnyStatus(ctx, a, f.CustomerID); err == nil {
			data.Customer = cu
		}
	}
	p := s.newPage(c, s.t(c, "activity.list.title"), "activities", data)
	s.renderTargeted(c, http.StatusOK, "activities/list", p, "results", "results")
}

// activityForm is the activity record form as typed.
type activityForm struct {
	Activity      models.Activity
	CustomerLabel string
	Plan          *models.Plan // the plan being completed
}

func activityFormFrom(c *gin.Context) activityForm {
	a := models.Activity{
		Date:        strings.TrimSpace(c.PostForm("date")),
		StartTime:   strings.TrimSpace(c.PostForm("start_time")),
		EndTime:     strings.TrimSpace(c.PostForm("end_time")),
		OwnerID:     formID(c.PostForm("owner")),
		CustomerID:  formID(c.PostForm("customer")),
		ContactID:   formID(c.PostForm("contact")),
		MethodID:    formID(c.PostForm("method")),
		StageID:     formID(c.PostForm("stage")),
		Subject:     strings.TrimSpace(c.PostForm("subject")),
		Content:     strings.TrimSpace(c.PostForm("content")),
		Result:      strings.TrimSpace(c.PostForm("result")),
		NextSubject: strings.TrimSpace(c.PostForm("next_subject")),
		NextDate:    strings.TrimSpace(c.PostForm("next_date")),
		NextTime:    strings.TrimSpace(c.PostForm("next_time")),
		PlanID:      formID(c.PostForm("plan")),
	}
	seen := map[int64]bool{}
	for _, v := range c.PostFormArray("competitor") {
		id := parseID(v)
		if id == 0 || seen[id] || len(a.Mentions) >= 50 {
			continue
		}
		seen[id] = true
		a.Mentions = append(a.Mentions, models.Mention{CompetitorID: id,
			Note: strings.TrimSpace(c.PostForm("competitor_note_" + strconv.FormatInt(id, 10)))})
	}
	return activityForm{Activity: a, CustomerLabel: truncate(strings.TrimSpace(c.PostForm("customer_label")), 200)}
}

type activityFormData struct {
	salesFormParts
	Form        activityForm
	Competitors []models.Competitor
	Mentions    map[int64]models.Mention
	Editing     bool
}

func (s *Server) renderActivityForm(c *gin.Context, status int, f activityForm, editing bool, errs fieldErrors) {
	parts, ok := s.salesFormParts(c, f.Activity.CustomerID, true, errs)
	if !ok {
		return
	}
	data := &activityFormData{salesFormParts: parts, Form: f, Editing: editing, Mentions: map[int64]models.Mention{}}
	for _, m := range f.Activity.Mentions {
		data.Mentions[m.CompetitorID] = m
	}
	all, err := s.db.CompetitorNames(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	for _, cp := range all {
		if cp.Active || hasMention(f.Activity.Mentions, cp.ID) {
			data.Competitors = append(data.Competitors, cp)
		}
	}
	s.renderForm(c, status, "activities/form", errs, s.formTitle(c, "activity", editing, f.Activity.Code), "activities", data)
}

func hasMention(ms []models.Mention, id int64) bool {
	for _, m := range ms {
		if m.CompetitorID == id {
			return true
		}
	}
	return false
}

// newActivity opens the form, prefilled from ?customer= or from the plan
// being completed (?plan=).
func (s *Server) newActivity(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	now := s.now()
	f := activityForm{Activity: models.Activity{Date: day(now), StartTime: now.Truncate(30 * time.Minute).Format("15:04"), OwnerID: a.ID}}
	if id := parseID(c.Query("plan")); id != 0 {
		p, err := s.db.GetPlan(ctx, a, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		if p.Status != "planned" {
			s.flash(c, "plan.not_open")
			redirect(c, views.Path("plan", p.ID))
			return
		}
		f.Plan = p
		act := &f.Activity
		act.PlanID, act.CustomerID, act.ContactID, act.MethodID, act.OwnerID = p.ID, p.CustomerID, p.ContactID, p.MethodID, p.OwnerID
		act.Subject, act.Content = p.Subject, p.Content
		if p.Time != "" {
			act.StartTime = p.Time
		}
		f.CustomerLabel = p.CustomerName
	} else if id, label, ok := s.queryCounterpart(c); !ok {
		return
	} else {
		f.Activity.CustomerID, f.CustomerLabel = id, label
	}
	s.renderActivityForm(c, http.StatusOK, f, false, nil)
}

func (s *Server) saveActivity(c *gin.Context, id int64) {
	ctx := c.Request.Context()
	a := actor(c)
	var old *models.Activity
	if id != 0 {
		var err error
		if old, err = s.db.GetActivity(ctx, a, id); err != nil {
			s.fail(c, err)
			return
		}
	}
	f := activityFormFrom(c)
	f.Activity.ID = id
	if old != nil {
		f.Activity.Code, f.Activity.PlanID = old.Code, 0
		if f.Activity.OwnerID == 0 {
			f.Activity.OwnerID = old.OwnerID
		}
	} else if f.Activity.PlanID != 0 {
		p, err := s.db.GetPlan(ctx, a, f.Activity.PlanID)
		if err != nil {
			s.fail(c, err)
			return
		}
		f.Plan = p
	}
	// SaveActivity checks the record by the models' rules before it writes.
	if err := s.db.SaveActivity(ctx, a, &f.Activity); err != nil {
		if errs, ok := models.AsFieldErrors(err); ok {
			s.counterpartLabel(c, f.Activity.CustomerID, &f.CustomerLabel, errs)
			s.renderActivityForm(c, http.StatusUnprocessableEntity, f, id != 0, errs)
			return
		}
		s.fail(c, err)
		return
	}
	key := "flash.saved"
	if f.Activity.HasNext() && f.Activity.NextPlanID != 0 {
		key = "activity.saved_with_plan"
	}
	s.flash(c, key)
	redirect(c, views.Path("activity", f.Activity.ID))
}

type activityCardData struct {
	Activity *models.Activity
	Plan     *models.Plan // the plan this record completed
	History  []historyLine
	CanEdit  bool
}

func (s *Server) showActivity(c *gin.Context) {
	act, id, ok := loadRecord(s, c, s.db.GetActivity)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	a := actor(c)
	var err error
	data := &activityCardData{Activity: act, CanEdit: a.EditsActivities()}
	if data.Plan, err = s.db.PlanCompletedBy(ctx, a, id); err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, act.Subject, "activities", data)
	s.renderCalendarCard(c, "activities/show", "activity", id, p, &data.History, nil)
}

// renderCalendarCard writes an activity record's or a plan's card: only its
// detail block when the calendar opens it in its side panel, otherwise the
// whole card with the record's history (its values first put in terms a
// person reads by prepare, when given).
func (s *Server) renderCalendarCard(c *gin.Context, name, kind string, id int64, p *page, history *[]historyLine,
	prepare func(*gin.Context, []models.AuditEntry) []models.AuditEntry) {
	if isFragment(c) && c.GetHeader("HX-Target") == "cal-detail" {
		s.renderBlock(c, http.StatusOK, name, "detail", p)
		return
	}
	entries, err := s.db.History(c.Request.Context(), kind, id, 50)
	if err != nil {
		s.fail(c, err)
		return
	}
	if prepare != nil {
		entries = prepare(c, entries)
	}
	*history = s.describeHistory(c, kind, entries, p.Aux)
	s.render(c, http.StatusOK, name, p)
}

func (s *Server) editActivity(c *gin.Context) {
	act, _, ok := loadRecord(s, c, s.db.GetActivity)
	if !ok {
		return
	}
	s.renderActivityForm(c, http.StatusOK, activityForm{Activity: *act, CustomerLabel: act.CustomerName}, true, nil)
}

// Counterpart picker (htmx): search customers and prospects, and a
// counterpart's contacts.

func (s *Server) searchCounterparts(c *gin.Context) {
	q := truncate(strings.TrimSpace(c.Query("customer_label")), 100)
	list, err := s.db.SearchCounterparts(c.Request.Context(), actor(c), q, 12)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, "", "activities", map[string]any{"Q": q, "List": list})
	s.renderBlock(c, http.StatusOK, "activities/form", "counterparts", p)
}

func (s *Server) counterpartContacts(c *gin.Context) {
	ctx := c.Request.Context()
	id := parseID(c.Query("customer"))
	var contacts []models.Contact
	if id != 0 {
		if _, err := s.db.GetCounterpart(ctx, actor(c), id); err != nil {
			s.fail(c, err)
			return
		}
		var err error
		if contacts, err = s.db.Contacts(ctx, id); err != nil {
			s.fail(c, err)
			return
		}
	}
	p := s.newPage(c, "", "activities", map[string]any{"Contacts": contacts, "Selected": int64(0)})
	s.renderBlock(c, http.StatusOK, "activities/form", "contact_options", p)
}
