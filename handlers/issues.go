package handlers

import (
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// Customer issues (客户问题): the lists here; the form with similar issues
// as you type in issues_form.go, the card with handling records and "fetch
// from knowledge base" in issues_card.go, archiving into the knowledge base
// in issues_archive.go.

func issueFilterFrom(q url.Values) models.IssueFilter {
	f := models.IssueFilter{View: q.Get("view"), CustomerID: parseID(q.Get("customer")), TypeID: parseID(q.Get("type")), PerPage: 50}
	if !containsString(models.IssueViews, f.View) {
		f.View = "open"
	}
	if st := q.Get("status"); models.ValidIssueStatus(st) {
		f.Status = st
	}
	if p := q.Get("priority"); models.ValidIssuePriority(p) {
		f.Priority = p
	}
	f.Page = queryPage(q, 100_000, f.Page)
	return f
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

type issueListData struct {
	Filter     models.IssueFilter
	Result     models.IssuePage
	Counts     map[string]int
	Views      []string
	Statuses   []string
	Priorities []string
	Customer   *models.Customer
	CanHandle  bool
	Now        time.Time
}

func (s *Server) listIssues(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	f := issueFilterFrom(c.Request.URL.Query())
	data := &issueListData{Filter: f, Views: models.IssueViews, Statuses: models.IssueStatuses, Priorities: models.IssuePriorities,
		CanHandle: a.HandlesService(), Now: s.now()}
	if f.CustomerID != 0 {
		cu, err := s.db.IssueCustomer(ctx, a, f.CustomerID)
		if err != nil {
			s.fail(c, err)
			return
		}
		data.Customer = cu
	}
	var err error
	if data.Result, err = s.db.ListIssues(ctx, a, f); err != nil {
		s.fail(c, err)
		return
	}
	if data.Counts, err = s.db.IssueCounts(ctx, a); err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "issue.list.title"), "issues", data)
	s.renderTargeted(c, http.StatusOK, "issues/list", p, "results", "results")
}

func (s *Server) loadIssue(c *gin.Context) (*models.Issue, bool) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return nil, false
	}
	iss, err := s.db.GetIssue(c.Request.Context(), actor(c), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return iss, true
}

// Archive (归档).
