package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
	"keyuan/views"
)

// The issue form: new, create, edit, update, the customer and contact
// pickers and the similar issues shown as you type.

// issueForm is what the issue form posts, kept as typed.
type issueForm struct {
	Issue      models.Issue
	ReportedAt string // datetime-local, in the business's time zone
}

func (s *Server) issueFormFrom(c *gin.Context) issueForm {
	f := issueForm{Issue: models.Issue{
		CustomerID:  formID(c.PostForm("customer")),
		ContactID:   formID(c.PostForm("contact")),
		Channel:     c.PostForm("channel"),
		TypeID:      formID(c.PostForm("type")),
		Priority:    c.PostForm("priority"),
		Subject:     strings.TrimSpace(c.PostForm("subject")),
		Description: strings.TrimSpace(c.PostForm("description")),
		AssigneeID:  formID(c.PostForm("assignee")),
		Status:      c.PostForm("status"),
	}, ReportedAt: strings.TrimSpace(c.PostForm("reported_at"))}
	return f
}

const datetimeLocal = "2006-01-02T15:04"

func (s *Server) validateIssue(c *gin.Context, f *issueForm, editing bool) (fieldErrors, error) {
	i := &f.Issue
	if !editing {
		i.Status = "new"
	}
	errs, err := s.db.CheckIssue(c.Request.Context(), actor(c), i, editing)
	if err != nil {
		return nil, err
	}
	// The form's local date and time are read here.
	if f.ReportedAt == "" {
		i.ReportedAt = ""
	} else if t, err := time.ParseInLocation(datetimeLocal, f.ReportedAt, s.cfg.Location); err != nil || t.Year() < 2000 || t.Year() > 2200 {
		errs["reported_at"] = "validation.datetime"
	} else {
		i.ReportedAt = t.UTC().Format(time.RFC3339)
	}
	return errs, nil
}

type issueFormData struct {
	Form       issueForm
	Editing    bool
	Customer   *models.Customer
	Customers  []models.CustomerRow
	Contacts   []models.Contact
	Staff      []models.User
	Channels   []string
	Priorities []string
	Statuses   []string
	Similar    *similarData
}

func (s *Server) renderIssueForm(c *gin.Context, status int, f issueForm, editing bool, errs fieldErrors) {
	ctx := c.Request.Context()
	a := actor(c)
	data := &issueFormData{Form: f, Editing: editing, Channels: models.IssueChannels, Priorities: models.IssuePriorities,
		Statuses: models.IssueStatuses}
	var err error
	if data.Staff, err = s.db.ActiveUsersWith(ctx, models.PermServiceEdit); err != nil {
		s.fail(c, err)
		return
	}
	if f.Issue.CustomerID != 0 {
		if cu, err := s.db.IssueCustomer(ctx, a, f.Issue.CustomerID); err == nil {
			data.Customer = cu
			if data.Contacts, err = s.db.Contacts(ctx, cu.ID); err != nil {
				s.fail(c, err)
				return
			}
		}
	}
	title := s.formTitle(c, "issue", editing, f.Issue.Code)
	if !editing {
		data.Similar = s.similar(c, f.Issue.Subject+"\n"+f.Issue.Description)
	}
	s.renderForm(c, status, "issues/form", errs, title, "issues", data)
}

func (s *Server) newIssue(c *gin.Context) {
	now := s.now()
	f := issueForm{Issue: models.Issue{Priority: "normal", Channel: "phone", CustomerID: parseID(c.Query("customer")),
		AssigneeID: actor(c).ID}, ReportedAt: now.Format(datetimeLocal)}
	if actor(c).Can(models.PermServiceManage) || !actor(c).HandlesService() {
		f.Issue.AssigneeID = 0 // managers and admins dispatch; service staff take their own
	}
	s.renderIssueForm(c, http.StatusOK, f, false, nil)
}

func (s *Server) createIssue(c *gin.Context) {
	f := s.issueFormFrom(c)
	if errs, err := s.validateIssue(c, &f, false); err != nil {
		s.fail(c, err)
		return
	} else if errs.Any() {
		s.renderIssueForm(c, http.StatusUnprocessableEntity, f, false, errs)
		return
	}
	if err := s.db.CreateIssue(c.Request.Context(), actor(c), &f.Issue); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("issue", f.Issue.ID))
}

func (s *Server) editIssue(c *gin.Context) {
	iss, ok := s.loadIssue(c)
	if !ok {
		return
	}
	f := issueForm{Issue: *iss}
	if t, err := time.Parse(time.RFC3339, iss.ReportedAt); err == nil {
		f.ReportedAt = t.In(s.cfg.Location).Format(datetimeLocal)
	}
	s.renderIssueForm(c, http.StatusOK, f, true, nil)
}

func (s *Server) updateIssue(c *gin.Context) {
	old, ok := s.loadIssue(c)
	if !ok {
		return
	}
	f := s.issueFormFrom(c)
	f.Issue.ID, f.Issue.Code, f.Issue.CustomerID = old.ID, old.Code, old.CustomerID
	if old.Status == "archived" {
		f.Issue.Status = "archived"
	}
	if errs, err := s.validateIssue(c, &f, true); err != nil {
		s.fail(c, err)
		return
	} else if errs.Any() {
		s.renderIssueForm(c, http.StatusUnprocessableEntity, f, true, errs)
		return
	}
	if err := s.db.UpdateIssue(c.Request.Context(), actor(c), &f.Issue); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("issue", old.ID))
}

// customerOptions answers the issue form's customer picker (htmx): the
// customers matching what was typed, by the same row rules as the list.
func (s *Server) customerOptions(c *gin.Context) {
	q := truncate(strings.TrimSpace(c.Query("customer_q")), 100)
	data := &issueFormData{}
	if q != "" {
		res, err := s.db.ListCustomers(c.Request.Context(), actor(c), models.CustomerFilter{Kind: "customer", Q: q, PerPage: 15})
		if err != nil {
			s.fail(c, err)
			return
		}
		data.Customers = res.Rows
	}
	s.renderBlock(c, http.StatusOK, "issues/form", "customer_options", s.newPage(c, "", "issues", data))
}

// contactOptions answers the contact <select> when the customer changes.
func (s *Server) contactOptions(c *gin.Context) {
	ctx := c.Request.Context()
	data := &issueFormData{}
	if id := parseID(c.Query("customer")); id != 0 {
		if _, err := s.db.IssueCustomer(ctx, actor(c), id); err == nil {
			var err error
			if data.Contacts, err = s.db.Contacts(ctx, id); err != nil {
				s.fail(c, err)
				return
			}
		}
	}
	s.renderBlock(c, http.StatusOK, "issues/form", "contact_options", s.newPage(c, "", "issues", data))
}

// similarData is the "similar issues" panel: the best knowledge articles and
// resolved issues for what has been typed.
type similarData struct {
	Query      string
	Hits       []search.Hit
	Rebuilding bool
	// More is how many hits the "show more" button asks for; 0 when all
	// are shown.
	More int
}

// Sizes of the similar panel: a few as the description is typed, more on
// demand, so an answer ranked sixth can still be seen.
const (
	similarFirst = 5
	similarStep  = 10
	similarMax   = 25
)

func (s *Server) similar(c *gin.Context, text string) *similarData {
	d := &similarData{Query: strings.TrimSpace(text)}
	if d.Query == "" || s.search == nil {
		return d
	}
	size := similarFirst
	if n, err := strconv.Atoi(c.Query("size")); err == nil {
		size = min(max(n, similarFirst), similarMax)
	}
	res, err := s.search.Search(c.Request.Context(), actor(c), search.Query{Text: d.Query, Similar: true, Size: size,
		Kinds: []string{"article", "issue"}, IssueStatuses: []string{"resolved", "archived"}})
	if errors.Is(err, search.ErrRebuilding) {
		d.Rebuilding = true
		return d
	}
	if err != nil {
		s.log.Error("similar issues", "err", err)
		return d
	}
	d.Hits = res.Hits
	if res.Total > len(d.Hits) && size < similarMax {
		d.More = min(size+similarStep, similarMax)
	}
	return d
}

// similarIssues answers the form's panel as the description is typed.
func (s *Server) similarIssues(c *gin.Context) {
	text := truncate(c.Query("subject"), 200) + "\n" + truncate(c.Query("description"), search.MaxSimilarRunes)
	p := s.newPage(c, "", "issues", &issueFormData{Similar: s.similar(c, text)})
	s.renderBlock(c, http.StatusOK, "issues/form", "similar", p)
}
