package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// API: customer issues (客户问题) and their handling records, with the
// rules of models.CreateIssue, UpdateIssue and AddHandling.

type apiIssue struct {
	ID           int64  `json:"id"`
	Code         string `json:"code"`
	CustomerID   int64  `json:"customer_id"`
	CustomerName string `json:"customer_name"`
	ContactID    *int64 `json:"contact_id"`
	ReportedAt   string `json:"reported_at"`
	Channel      string `json:"channel"`
	TypeID       *int64 `json:"type_id"`
	Priority     string `json:"priority"`
	Subject      string `json:"subject"`
	Description  string `json:"description"`
	AssigneeID   *int64 `json:"assignee_id"`
	AssigneeName string `json:"assignee_name"`
	Status       string `json:"status"`
	DueAt        string `json:"due_at"`
	ResolvedAt   string `json:"resolved_at"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
}

func apiIssueOf(i *models.Issue) apiIssue {
	return apiIssue{ID: i.ID, Code: i.Code, CustomerID: i.CustomerID, CustomerName: i.CustomerName, ContactID: idOrNil(i.ContactID),
		ReportedAt: i.ReportedAt, Channel: i.Channel, TypeID: idOrNil(i.TypeID), Priority: i.Priority, Subject: i.Subject,
		Description: i.Description, AssigneeID: idOrNil(i.AssigneeID), AssigneeName: i.AssigneeName, Status: i.Status,
		DueAt: i.DueAt, ResolvedAt: i.ResolvedAt, CreatedAt: i.CreatedAt, UpdatedAt: i.UpdatedAt}
}

type apiIssueInput struct {
	CustomerID  *int64  `json:"customer_id"` // on create only
	ContactID   **int64 `json:"contact_id"`
	ReportedAt  *string `json:"reported_at"`
	Channel     *string `json:"channel"`
	TypeID      **int64 `json:"type_id"`
	Priority    *string `json:"priority"`
	Subject     *string `json:"subject"`
	Description *string `json:"description"`
	AssigneeID  **int64 `json:"assignee_id"`
	Status      *string `json:"status"` // on update only
}

func (in *apiIssueInput) apply(i *models.Issue, creating bool) {
	if creating {
		set(&i.CustomerID, in.CustomerID)
	} else {
		set(&i.Status, in.Status)
	}
	setID(&i.ContactID, in.ContactID)
	if in.ReportedAt != nil {
		i.ReportedAt = *in.ReportedAt
		// Stored in UTC like every stamp, so that they sort as text; a
		// malformed one is left for Issue.Validate to refuse.
		if t, err := time.Parse(time.RFC3339, i.ReportedAt); err == nil {
			i.ReportedAt = t.UTC().Format(time.RFC3339)
		}
	}
	set(&i.Channel, in.Channel)
	setID(&i.TypeID, in.TypeID)
	set(&i.Priority, in.Priority)
	set(&i.Subject, in.Subject)
	set(&i.Description, in.Description)
	setID(&i.AssigneeID, in.AssigneeID)
}

func (s *Server) apiListIssues(c *gin.Context) {
	// The issue screen's lists and filters.
	f := models.IssueFilter{View: c.Query("view"), CustomerID: parseID(c.Query("customer")), TypeID: parseID(c.Query("type"))}
	if models.ValidIssueStatus(c.Query("status")) {
		f.Status = c.Query("status")
	}
	if models.ValidIssuePriority(c.Query("priority")) {
		f.Priority = c.Query("priority")
	}
	apiIDPage(s, c, func(after int64, limit int) ([]models.Issue, error) {
		return s.db.IssuesAfter(c.Request.Context(), actor(c), f, after, limit)
	}, func(i *models.Issue) int64 { return i.ID }, apiIssueOf)
}

func (s *Server) getIssueAs(c *gin.Context, id int64) (*models.Issue, error) {
	return s.db.GetIssue(c.Request.Context(), actor(c), id)
}

func (s *Server) apiIssueParam(c *gin.Context) (*models.Issue, bool) {
	return apiParam(s, c, s.getIssueAs)
}

func (s *Server) apiGetIssue(c *gin.Context) {
	if i, ok := s.apiIssueParam(c); ok {
		apiRecord(c, http.StatusOK, apiIssueOf(i))
	}
}

func (s *Server) apiSavedIssue(c *gin.Context, status int, id int64) {
	apiSavedRecord(s, c, status, "/api/v1/issues", id, s.getIssueAs, apiIssueOf)
}

func (s *Server) apiCreateIssue(c *gin.Context) {
	var in apiIssueInput
	if !s.readJSON(c, &in) {
		return
	}
	i := models.Issue{Priority: "normal"}
	in.apply(&i, true)
	if err := s.db.CreateIssue(c.Request.Context(), actor(c), &i); err != nil {
		s.apiFail(c, err)
		return
	}
	s.apiSavedIssue(c, http.StatusCreated, i.ID)
}

func (s *Server) apiUpdateIssue(c *gin.Context) {
	old, ok := s.apiIssueParam(c)
	if !ok || s.ifMatchFails(c, apiIssueOf(old)) {
		return
	}
	var in apiIssueInput
	if !s.readJSON(c, &in) {
		return
	}
	i := *old
	in.apply(&i, false)
	if err := s.db.UpdateIssue(c.Request.Context(), actor(c), &i); err != nil {
		s.apiFail(c, err)
		return
	}
	s.apiSavedIssue(c, http.StatusOK, i.ID)
}

func (s *Server) apiDeleteIssue(c *gin.Context) {
	apiDeleteRecordOf(s, c, "issue", s.getIssueAs, apiIssueOf, func(i *models.Issue) int64 { return i.ID })
}

type apiHandling struct {
	ID          int64  `json:"id"`
	IssueID     int64  `json:"issue_id"`
	HandledOn   string `json:"handled_on"`
	HandlerID   int64  `json:"handler_id"`
	HandlerName string `json:"handler_name"`
	MethodID    *int64 `json:"method_id"`
	Content     string `json:"content"`
	Result      string `json:"result"`
	CreatedAt   string `json:"created_at"`
}

func apiHandlingOf(h *models.Handling) apiHandling {
	return apiHandling{ID: h.ID, IssueID: h.IssueID, HandledOn: h.HandledOn, HandlerID: h.HandlerID, HandlerName: h.HandlerName,
		MethodID: idOrNil(h.MethodID), Content: h.Content, Result: h.Result, CreatedAt: h.CreatedAt}
}

func (s *Server) apiHandlings(c *gin.Context) {
	i, ok := s.apiIssueParam(c)
	if !ok {
		return
	}
	list, err := s.db.Handlings(c.Request.Context(), i.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	out := make([]apiHandling, len(list))
	for k := range list {
		out[k] = apiHandlingOf(&list[k])
	}
	c.JSON(http.StatusOK, apiPage[apiHandling]{Data: out})
}

// apiAddHandling records a handling by the token's owner, and may move the
// issue on (new_status: handling, resolved or closed), as the card's form.
func (s *Server) apiAddHandling(c *gin.Context) {
	i, ok := s.apiIssueParam(c)
	if !ok {
		return
	}
	var in struct {
		HandledOn string `json:"handled_on"`
		MethodID  *int64 `json:"method_id"`
		Content   string `json:"content"`
		Result    string `json:"result"`
		NewStatus string `json:"new_status"`
	}
	if !s.readJSON(c, &in) {
		return
	}
	if in.HandledOn == "" {
		in.HandledOn = s.now().Format(time.DateOnly)
	}
	h := models.Handling{IssueID: i.ID, HandledOn: in.HandledOn, MethodID: valOr0(in.MethodID), Content: in.Content, Result: in.Result}
	ctx := c.Request.Context()
	if err := s.db.AddHandling(ctx, actor(c), &h, in.NewStatus); err != nil {
		s.apiFail(c, err)
		return
	}
	list, err := s.db.Handlings(ctx, i.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	for k := range list {
		if list[k].ID == h.ID {
			c.Header("Location", "/api/v1/issues/"+strconv.FormatInt(i.ID, 10)+"/handlings")
			c.JSON(http.StatusCreated, apiHandlingOf(&list[k]))
			return
		}
	}
	s.fail(c, models.ErrNotFound)
}
