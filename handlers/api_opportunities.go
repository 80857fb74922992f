package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// API: opportunities (销售机会), with the rules of models.SaveOpportunity
// and CloseOpportunity, as on the screens.

type apiOpportunity struct {
	ID            int64  `json:"id"`
	Code          string `json:"code"`
	Name          string `json:"name"`
	CustomerID    int64  `json:"customer_id"`
	CustomerKind  string `json:"customer_kind"`
	CustomerName  string `json:"customer_name"`
	OwnerID       int64  `json:"owner_id"`
	OwnerName     string `json:"owner_name"`
	AmountFen     int64  `json:"amount_fen"`
	ExpectedClose string `json:"expected_close"`
	StageID       *int64 `json:"stage_id"`
	Probability   int    `json:"probability"`
	Status        string `json:"status"`
	CloseReason   string `json:"close_reason"`
	ClosedAt      string `json:"closed_at"`
	Notes         string `json:"notes"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

func apiOpportunityOf(o *models.Opportunity) apiOpportunity {
	return apiOpportunity{ID: o.ID, Code: o.Code, Name: o.Name, CustomerID: o.CustomerID, CustomerKind: o.CustomerKind,
		CustomerName: o.CustomerName, OwnerID: o.OwnerID, OwnerName: o.OwnerName, AmountFen: o.AmountFen,
		ExpectedClose: o.ExpectedClose, StageID: idOrNil(o.StageID), Probability: o.Probability, Status: o.Status,
		CloseReason: o.CloseReason, ClosedAt: o.ClosedAt, Notes: o.Notes, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
}

type apiOpportunityInput struct {
	Name          *string `json:"name"`
	CustomerID    *int64  `json:"customer_id"`
	OwnerID       *int64  `json:"owner_id"`
	AmountFen     *int64  `json:"amount_fen"`
	ExpectedClose *string `json:"expected_close"`
	StageID       **int64 `json:"stage_id"`
	Probability   *int    `json:"probability"`
	Notes         *string `json:"notes"`
}

func (in *apiOpportunityInput) apply(o *models.Opportunity) {
	set(&o.Name, in.Name)
	set(&o.CustomerID, in.CustomerID)
	set(&o.OwnerID, in.OwnerID)
	set(&o.AmountFen, in.AmountFen)
	set(&o.ExpectedClose, in.ExpectedClose)
	setID(&o.StageID, in.StageID)
	set(&o.Probability, in.Probability)
	set(&o.Notes, in.Notes)
}

func (s *Server) apiListOpportunities(c *gin.Context) {
	// The board's and the list's filters.
	f := models.OpportunityFilter{StageID: parseID(c.Query("stage")), OwnerID: parseID(c.Query("owner")),
		CustomerID: parseID(c.Query("customer")), Q: truncate(c.Query("q"), 100)}
	switch st := c.Query("status"); st {
	case "open", "won", "lost":
		f.Status = st
	}
	apiIDPage(s, c, func(after int64, limit int) ([]models.Opportunity, error) {
		return s.db.OpportunitiesAfter(c.Request.Context(), actor(c), f, after, limit)
	}, func(o *models.Opportunity) int64 { return o.ID }, apiOpportunityOf)
}

func (s *Server) getOpportunityAs(c *gin.Context, id int64) (*models.Opportunity, error) {
	return s.db.GetOpportunity(c.Request.Context(), actor(c), id)
}

func (s *Server) apiOpportunityParam(c *gin.Context) (*models.Opportunity, bool) {
	return apiParam(s, c, s.getOpportunityAs)
}

func (s *Server) apiGetOpportunity(c *gin.Context) {
	if o, ok := s.apiOpportunityParam(c); ok {
		apiRecord(c, http.StatusOK, apiOpportunityOf(o))
	}
}

// apiSavedOpportunity answers the stored opportunity id.
func (s *Server) apiSavedOpportunity(c *gin.Context, status int, id int64) {
	apiSavedRecord(s, c, status, "/api/v1/opportunities", id, s.getOpportunityAs, apiOpportunityOf)
}

func (s *Server) apiCreateOpportunity(c *gin.Context) {
	var in apiOpportunityInput
	if !s.readJSON(c, &in) {
		return
	}
	o := models.Opportunity{OwnerID: actor(c).ID}
	in.apply(&o)
	if err := s.db.SaveOpportunity(c.Request.Context(), actor(c), &o); err != nil {
		s.apiFail(c, err)
		return
	}
	s.apiSavedOpportunity(c, http.StatusCreated, o.ID)
}

func (s *Server) apiUpdateOpportunity(c *gin.Context) {
	old, ok := s.apiOpportunityParam(c)
	if !ok || s.ifMatchFails(c, apiOpportunityOf(old)) {
		return
	}
	var in apiOpportunityInput
	if !s.readJSON(c, &in) {
		return
	}
	o := *old
	in.apply(&o)
	if err := s.db.SaveOpportunity(c.Request.Context(), actor(c), &o); err != nil {
		s.apiFail(c, err)
		return
	}
	s.apiSavedOpportunity(c, http.StatusOK, o.ID)
}

func (s *Server) apiDeleteOpportunity(c *gin.Context) {
	apiDeleteRecordOf(s, c, "opportunity", s.getOpportunityAs, apiOpportunityOf, func(o *models.Opportunity) int64 { return o.ID })
}

// apiCloseOpportunity marks it won or lost (or reopens it), as the card's
// close form does.
func (s *Server) apiCloseOpportunity(c *gin.Context) {
	old, ok := s.apiOpportunityParam(c)
	if !ok || s.ifMatchFails(c, apiOpportunityOf(old)) {
		return
	}
	var in struct {
		Status string `json:"status"`
		Reason string `json:"reason"`
	}
	if !s.readJSON(c, &in) {
		return
	}
	if err := s.db.CloseOpportunity(c.Request.Context(), actor(c), old.ID, in.Status, in.Reason); err != nil {
		s.apiFail(c, err)
		return
	}
	s.apiSavedOpportunity(c, http.StatusOK, old.ID)
}
