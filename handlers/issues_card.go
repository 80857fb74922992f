package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
	"keyuan/views"
)

// The issue card: handling records, history and "fetch from the knowledge
// base".

type issueCardData struct {
	Issue      *models.Issue
	Handlings  []models.Handling
	History    []historyLine
	Handling   models.Handling
	NewStatus  string
	KB         *kbPanelData
	CanHandle  bool
	Overdue    bool
	HandleErrs fieldErrors
}

// kbPanelData is "fetch from knowledge base" (取服务知识库) on the card.
type kbPanelData struct {
	IssueID    int64
	Query      string
	Hits       []search.Hit
	Articles   map[int64]models.Article
	Rebuilding bool
}

func (s *Server) kbPanel(c *gin.Context, issueID int64, q string) (*kbPanelData, error) {
	d := &kbPanelData{IssueID: issueID, Query: truncate(strings.TrimSpace(q), search.MaxQueryRunes), Articles: map[int64]models.Article{}}
	if d.Query == "" || s.search == nil {
		return d, nil
	}
	res, err := s.search.Search(c.Request.Context(), actor(c), search.Query{Text: d.Query, Kinds: []string{"article"}, Size: 5})
	if errors.Is(err, search.ErrRebuilding) {
		d.Rebuilding = true
		return d, nil
	}
	if err != nil {
		return nil, err
	}
	d.Hits = res.Hits
	ids := make([]int64, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	arts, err := s.db.ArticlesByIDs(c.Request.Context(), ids)
	if err != nil {
		return nil, err
	}
	for _, a := range arts {
		d.Articles[a.ID] = a
	}
	return d, nil
}

func (s *Server) renderIssueCard(c *gin.Context, status int, iss *models.Issue, h models.Handling, newStatus string, errs fieldErrors) {
	ctx := c.Request.Context()
	a := actor(c)
	data := &issueCardData{Issue: iss, Handling: h, NewStatus: newStatus, CanHandle: a.HandlesService(),
		Overdue: iss.Overdue(s.now()), HandleErrs: errs}
	var err error
	if data.Handlings, err = s.db.Handlings(ctx, iss.ID); err != nil {
		s.fail(c, err)
		return
	}
	if data.CanHandle && iss.Status != "archived" {
		if data.KB, err = s.kbPanel(c, iss.ID, iss.Subject); err != nil {
			s.fail(c, err)
			return
		}
	}
	entries, err := s.db.History(ctx, "issue", iss.ID, 50)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, iss.Code+" "+iss.Subject, "issues", data)
	if data.History, err = s.withComments(c, "issue", iss.ID, s.describeIssueHistory(c, iss, entries, p)); err != nil {
		s.fail(c, err)
		return
	}
	p.Errors = errs
	s.render(c, status, "issues/card", p)
}

// describeIssueHistory reuses the customer card's history lines and names
// the issue's own fields.
func (s *Server) describeIssueHistory(c *gin.Context, iss *models.Issue, entries []models.AuditEntry, p *page) []historyLine {
	// The issue's own fields are put in words first; describeHistory does
	// the shared ones (status, assignee) and drops what a creation did not set.
	for li := range entries {
		for ci := range entries[li].Changes {
			ch := &entries[li].Changes[ci]
			switch ch.Field {
			case "issue_type":
				ch.Old, ch.New = p.Aux.Name(parseID(ch.Old)), p.Aux.Name(parseID(ch.New))
			case "customer":
				ch.Old, ch.New = "", iss.CustomerName // an issue never changes customer
			case "contact":
				ch.Old, ch.New = s.contactName(c, iss.CustomerID, ch.Old), s.contactName(c, iss.CustomerID, ch.New)
			case "priority":
				ch.Old, ch.New = s.tIf(c, "issue.priority.", ch.Old), s.tIf(c, "issue.priority.", ch.New)
			case "channel":
				ch.Old, ch.New = s.tIf(c, "issue.channel.", ch.Old), s.tIf(c, "issue.channel.", ch.New)
			case "reported_at":
				ch.Old, ch.New = s.localTime(ch.Old), s.localTime(ch.New)
			}
		}
	}
	return s.describeHistory(c, "issue", entries, p.Aux)
}

// contactName names a contact of the customer (a deleted one keeps its id).
func (s *Server) contactName(c *gin.Context, customerID int64, v string) string {
	id := parseID(v)
	if id == 0 {
		return ""
	}
	if k, err := s.db.GetContact(c.Request.Context(), actor(c), customerID, id); err == nil {
		return k.Name
	}
	return v
}

func (s *Server) tIf(c *gin.Context, prefix, v string) string {
	if v == "" {
		return ""
	}
	return s.t(c, prefix+v)
}

func (s *Server) localTime(v string) string {
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return v
	}
	return t.In(s.cfg.Location).Format("2006-01-02 15:04")
}

func (s *Server) showIssue(c *gin.Context) {
	iss, ok := s.loadIssue(c)
	if !ok {
		return
	}
	h := models.Handling{HandledOn: s.now().Format("2006-01-02")}
	s.renderIssueCard(c, http.StatusOK, iss, h, "", nil)
}

// addHandling records a handling (处理) from the card's form.
func (s *Server) addHandling(c *gin.Context) {
	iss, ok := s.loadIssue(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	h := models.Handling{
		IssueID:   iss.ID,
		HandledOn: strings.TrimSpace(c.PostForm("handled_on")),
		MethodID:  formID(c.PostForm("method")),
		Content:   strings.TrimSpace(c.PostForm("content")),
		Result:    strings.TrimSpace(c.PostForm("result")),
		ArticleID: formID(c.PostForm("article_id")),
	}
	newStatus := c.PostForm("new_status")
	errs, err := s.db.CheckHandling(ctx, iss, &h, newStatus)
	if err != nil {
		s.fail(c, err)
		return
	}
	if errs.Any() {
		s.renderIssueCard(c, http.StatusUnprocessableEntity, iss, h, newStatus, errs)
		return
	}
	if err := s.db.AddHandling(ctx, actor(c), &h, newStatus); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "issue.handling_saved")
	redirect(c, views.Path("issue", iss.ID)+"#handlings")
}

// issueKB answers the card's "fetch from knowledge base" search in place.
func (s *Server) issueKB(c *gin.Context) {
	iss, ok := s.loadIssue(c)
	if !ok {
		return
	}
	kb, err := s.kbPanel(c, iss.ID, c.Query("kb_q"))
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderBlock(c, http.StatusOK, "issues/card", "kb_results", s.newPage(c, "", "issues", &issueCardData{Issue: iss, KB: kb}))
}
