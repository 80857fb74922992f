package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// API: writing activity records and plans, with the rules of
// models.SaveActivity and SavePlan, as on the screens (the reads are in
// api_reads.go).

type apiActivityInput struct {
	Date        *string `json:"date"`
	StartTime   *string `json:"start_time"`
	EndTime     *string `json:"end_time"`
	OwnerID     *int64  `json:"owner_id"`
	CustomerID  *int64  `json:"customer_id"`
	ContactID   **int64 `json:"contact_id"`
	MethodID    **int64 `json:"method_id"`
	StageID     **int64 `json:"stage_id"`
	Subject     *string `json:"subject"`
	Content     *string `json:"content"`
	Result      *string `json:"result"`
	NextSubject *string `json:"next_subject"`
	NextDate    *string `json:"next_date"`
	NextTime    *string `json:"next_time"`
}

func (in *apiActivityInput) apply(a *models.Activity) {
	set(&a.Date, in.Date)
	set(&a.StartTime, in.StartTime)
	set(&a.EndTime, in.EndTime)
	set(&a.OwnerID, in.OwnerID)
	set(&a.CustomerID, in.CustomerID)
	setID(&a.ContactID, in.ContactID)
	setID(&a.MethodID, in.MethodID)
	setID(&a.StageID, in.StageID)
	set(&a.Subject, in.Subject)
	set(&a.Content, in.Content)
	set(&a.Result, in.Result)
	set(&a.NextSubject, in.NextSubject)
	set(&a.NextDate, in.NextDate)
	set(&a.NextTime, in.NextTime)
}

// apiSavedRecord answers a record stored under id, read back as the actor,
// with its address when it is new.
func apiSavedRecord[M, J any](s *Server, c *gin.Context, status int, base string, id int64,
	get func(*gin.Context, int64) (*M, error), conv func(*M) J) {
	rec, err := get(c, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	if status == http.StatusCreated {
		c.Header("Location", base+"/"+strconv.FormatInt(id, 10))
	}
	apiRecord(c, status, conv(rec))
}

func (s *Server) getActivityAs(c *gin.Context, id int64) (*models.Activity, error) {
	return s.db.GetActivity(c.Request.Context(), actor(c), id)
}

func (s *Server) getPlanAs(c *gin.Context, id int64) (*models.Plan, error) {
	return s.db.GetPlan(c.Request.Context(), actor(c), id)
}

// apiParam loads the record of the address as the actor (404 for another's).
func apiParam[M any](s *Server, c *gin.Context, get func(*gin.Context, int64) (*M, error)) (*M, bool) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return nil, false
	}
	rec, err := get(c, id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return rec, true
}

func (s *Server) apiCreateActivity(c *gin.Context) {
	var in apiActivityInput
	if !s.readJSON(c, &in) {
		return
	}
	a := models.Activity{OwnerID: actor(c).ID}
	in.apply(&a)
	if err := s.db.SaveActivity(c.Request.Context(), actor(c), &a); err != nil {
		s.apiFail(c, err)
		return
	}
	apiSavedRecord(s, c, http.StatusCreated, "/api/v1/activities", a.ID, s.getActivityAs, apiActivityOf)
}

func (s *Server) apiUpdateActivity(c *gin.Context) {
	old, ok := apiParam(s, c, s.getActivityAs)
	if !ok || s.ifMatchFails(c, apiActivityOf(old)) {
		return
	}
	var in apiActivityInput
	if !s.readJSON(c, &in) {
		return
	}
	a := *old
	a.PlanID = 0 // completing a plan is done when the record is made
	in.apply(&a)
	if err := s.db.SaveActivity(c.Request.Context(), actor(c), &a); err != nil {
		s.apiFail(c, err)
		return
	}
	apiSavedRecord(s, c, http.StatusOK, "/api/v1/activities", a.ID, s.getActivityAs, apiActivityOf)
}

func (s *Server) apiDeleteActivity(c *gin.Context) {
	apiDeleteRecordOf(s, c, "activity", s.getActivityAs, apiActivityOf, func(a *models.Activity) int64 { return a.ID })
}

// apiDeleteRecordOf moves the record of the address to the recycle bin, as
// the card's delete button does.
func apiDeleteRecordOf[M, J any](s *Server, c *gin.Context, kind string, get func(*gin.Context, int64) (*M, error), conv func(*M) J,
	idOf func(*M) int64) {
	old, ok := apiParam(s, c, get)
	if !ok || s.ifMatchFails(c, conv(old)) {
		return
	}
	if _, err := s.db.DeleteRecord(c.Request.Context(), actor(c), kind, idOf(old)); err != nil {
		s.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type apiPlanInput struct {
	Date          *string `json:"date"`
	Time          *string `json:"time"`
	OwnerID       *int64  `json:"owner_id"`
	CustomerID    *int64  `json:"customer_id"`
	ContactID     **int64 `json:"contact_id"`
	MethodID      **int64 `json:"method_id"`
	Subject       *string `json:"subject"`
	Content       *string `json:"content"`
	Status        *string `json:"status"`
	RemindMinutes *int    `json:"remind_minutes"`
}

func (in *apiPlanInput) apply(p *models.Plan) {
	set(&p.Date, in.Date)
	set(&p.Time, in.Time)
	set(&p.OwnerID, in.OwnerID)
	set(&p.CustomerID, in.CustomerID)
	setID(&p.ContactID, in.ContactID)
	setID(&p.MethodID, in.MethodID)
	set(&p.Subject, in.Subject)
	set(&p.Content, in.Content)
	set(&p.Status, in.Status)
	set(&p.RemindMinutes, in.RemindMinutes)
}

func (s *Server) apiCreatePlan(c *gin.Context) {
	var in apiPlanInput
	if !s.readJSON(c, &in) {
		return
	}
	p := models.Plan{OwnerID: actor(c).ID, RemindMinutes: models.DefaultRemindMinutes, Status: "planned"}
	in.apply(&p)
	if err := s.db.SavePlan(c.Request.Context(), actor(c), &p); err != nil {
		s.apiFail(c, err)
		return
	}
	apiSavedRecord(s, c, http.StatusCreated, "/api/v1/plans", p.ID, s.getPlanAs, apiPlanOf)
}

func (s *Server) apiUpdatePlan(c *gin.Context) {
	old, ok := apiParam(s, c, s.getPlanAs)
	if !ok || s.ifMatchFails(c, apiPlanOf(old)) {
		return
	}
	var in apiPlanInput
	if !s.readJSON(c, &in) {
		return
	}
	p := *old
	in.apply(&p)
	if old.Status == "done" {
		p.Status = "done" // a done plan stays done, as on its form
	}
	if err := s.db.SavePlan(c.Request.Context(), actor(c), &p); err != nil {
		s.apiFail(c, err)
		return
	}
	apiSavedRecord(s, c, http.StatusOK, "/api/v1/plans", p.ID, s.getPlanAs, apiPlanOf)
}

func (s *Server) apiDeletePlan(c *gin.Context) {
	apiDeleteRecordOf(s, c, "plan", s.getPlanAs, apiPlanOf, func(p *models.Plan) int64 { return p.ID })
}
