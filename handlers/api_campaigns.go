package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// API: marketing campaigns, read only: the campaign with its results, and
// its targets with theirs.

type apiCampaign struct {
	ID            int64  `json:"id"`
	Code          string `json:"code"`
	Name          string `json:"name"`
	TypeID        *int64 `json:"type_id"`
	StartDate     string `json:"start_date"`
	EndDate       string `json:"end_date"`
	Place         string `json:"place"`
	BudgetFen     int64  `json:"budget_fen"`
	OwnerID       int64  `json:"owner_id"`
	OwnerName     string `json:"owner_name"`
	Description   string `json:"description"`
	Status        string `json:"status"`
	ActualCostFen int64  `json:"actual_cost_fen"`
	Summary       string `json:"summary"`
	Leads         int    `json:"leads"`
	Opportunities int    `json:"opportunities"`
	Targets       int    `json:"targets"`
	Notified      int    `json:"notified"`
	Attendees     int    `json:"attendees"`
	CreatedAt     string `json:"created_at"`
	UpdatedAt     string `json:"updated_at"`
}

func apiCampaignOf(m *models.Campaign) apiCampaign {
	return apiCampaign{ID: m.ID, Code: m.Code, Name: m.Name, TypeID: idOrNil(m.TypeID), StartDate: m.StartDate, EndDate: m.EndDate,
		Place: m.Place, BudgetFen: m.Budget, OwnerID: m.OwnerID, OwnerName: m.OwnerName, Description: m.Description,
		Status: m.Status, ActualCostFen: m.ActualCost, Summary: m.Summary, Leads: m.Leads, Opportunities: m.Opps,
		Targets: m.TargetCount, Notified: m.NotifiedSum, Attendees: m.AttendedSum, CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

func (s *Server) apiListCampaigns(c *gin.Context) {
	f := models.CampaignFilter{Q: truncate(c.Query("q"), 100), TypeID: parseID(c.Query("type")), OwnerID: parseID(c.Query("owner")),
		From: c.Query("from"), To: c.Query("to"), Status: c.Query("status"), ByID: true}
	if !s.apiDatesOK(c, f.From, f.To) {
		return
	}
	apiIDPage(s, c, func(after int64, limit int) ([]models.Campaign, error) {
		f.AfterID = after
		return s.db.ListCampaigns(c.Request.Context(), actor(c), f, limit)
	}, func(m *models.Campaign) int64 { return m.ID }, apiCampaignOf)
}

func (s *Server) apiGetCampaign(c *gin.Context) {
	apiOne(s, c, func(id int64) (*models.Campaign, error) { return s.db.GetCampaign(c.Request.Context(), actor(c), id) }, apiCampaignOf)
}

type apiTarget struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customer_id"`
	Company    string `json:"company"`
	ContactID  *int64 `json:"contact_id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	MailStatus string `json:"mail_status"`
	Notified   bool   `json:"notified"`
	Attended   bool   `json:"attended"`
	HeadCount  int    `json:"head_count"`
	Feedback   string `json:"feedback"`
}

// apiCampaignTargets lists a campaign's targets and their results, in
// pages of up to 200 (page=1, 2, …), as the targets screen.
func (s *Server) apiCampaignTargets(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.db.GetCampaign(ctx, actor(c), id); err != nil {
		s.fail(c, err)
		return
	}
	limit, ok := apiLimit(c)
	if !ok {
		s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_limit"), nil)
		return
	}
	page := queryPage(c.Request.URL.Query(), 1_000_000, 1)
	tp, err := s.db.ListTargets(ctx, actor(c), id, c.Query("status"), truncate(c.Query("q"), 100), page, limit)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]apiTarget, len(tp.Rows))
	for i, t := range tp.Rows {
		out[i] = apiTarget{ID: t.ID, CustomerID: t.CustomerID, Company: t.Company, ContactID: idOrNil(t.ContactID), Name: t.Name,
			Email: t.Email, MailStatus: t.MailStatus, Notified: t.Notified, Attended: t.Attended, HeadCount: t.HeadCount,
			Feedback: t.Feedback}
	}
	c.JSON(http.StatusOK, gin.H{"data": out, "total": tp.Total, "page": page})
}
