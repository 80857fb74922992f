package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
)

// Customer issues (客户问题): lists, the form with similar issues as you
// type, the card with handling records and "fetch from knowledge base", and
// archiving into the knowledge base.

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
	if p, err := strconv.Atoi(q.Get("page")); err == nil && p > 0 && p <= 100_000 {
		f.Page = p
	}
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
	if isFragment(c) && c.GetHeader("HX-Target") == "results" {
		s.renderBlock(c, http.StatusOK, "issues/list", "results", p)
		return
	}
	s.render(c, http.StatusOK, "issues/list", p)
}

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
	ctx := c.Request.Context()
	i := &f.Issue
	errs := fieldErrors{}
	if i.Subject == "" {
		errs["subject"] = "validation.required"
	}
	checkLen(errs, "subject", i.Subject, 200)
	checkLen(errs, "description", i.Description, 10000)
	if i.CustomerID == 0 {
		errs["customer"] = "validation.required"
	} else if _, err := s.db.IssueCustomer(ctx, actor(c), i.CustomerID); err != nil {
		errs["customer"] = "validation.invalid_choice"
	}
	if i.ContactID != 0 {
		if _, err := s.db.GetContact(ctx, actor(c), i.CustomerID, i.ContactID); err != nil {
			errs["contact"] = "validation.invalid_choice"
		}
	}
	if !models.ValidIssueChannel(i.Channel) {
		errs["channel"] = "validation.invalid_choice"
	}
	if !models.ValidIssuePriority(i.Priority) {
		errs["priority"] = "validation.invalid_choice"
	}
	if err := s.db.CheckAux(ctx, errs, "type", "issue_type", i.TypeID); err != nil {
		return nil, err
	}
	if i.AssigneeID != 0 {
		if u, err := s.db.UserByID(ctx, i.AssigneeID); err != nil || !u.Active || !u.Role.Can(models.PermServiceHandle) {
			errs["assignee"] = "validation.invalid_choice"
		}
	}
	if f.ReportedAt == "" {
		i.ReportedAt = ""
	} else if t, err := time.ParseInLocation(datetimeLocal, f.ReportedAt, s.cfg.Location); err != nil || t.Year() < 2000 || t.Year() > 2200 {
		errs["reported_at"] = "validation.datetime"
	} else {
		i.ReportedAt = t.UTC().Format(time.RFC3339)
	}
	if editing {
		if i.Status == "" || !models.ValidIssueStatus(i.Status) {
			errs["status"] = "validation.invalid_choice"
		}
	} else {
		i.Status = "new"
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
	if data.Staff, err = s.db.ActiveUsersWith(ctx, models.PermServiceHandle); err != nil {
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
	title := s.t(c, "issue.new.title")
	if editing {
		title = s.t(c, "issue.edit.title", f.Issue.Code)
	}
	if !editing {
		data.Similar = s.similar(c, f.Issue.Subject+"\n"+f.Issue.Description)
	}
	p := s.newPage(c, title, "issues", data)
	p.Errors = errs
	s.render(c, status, "issues/form", p)
}

func (s *Server) newIssue(c *gin.Context) {
	now := s.now()
	f := issueForm{Issue: models.Issue{Priority: "normal", Channel: "phone", CustomerID: parseID(c.Query("customer")),
		AssigneeID: actor(c).ID}, ReportedAt: now.Format(datetimeLocal)}
	if actor(c).IsManager() {
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
	s.flash(c, "flash.saved")
	redirect(c, "/issues/"+strconv.FormatInt(f.Issue.ID, 10))
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
	s.flash(c, "flash.saved")
	redirect(c, "/issues/"+strconv.FormatInt(old.ID, 10))
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
}

func (s *Server) similar(c *gin.Context, text string) *similarData {
	d := &similarData{Query: strings.TrimSpace(text)}
	if d.Query == "" || s.search == nil {
		return d
	}
	res, err := s.search.Search(c.Request.Context(), actor(c), search.Query{Text: d.Query, Similar: true, Size: 5,
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
	return d
}

// similarIssues answers the form's panel as the description is typed.
func (s *Server) similarIssues(c *gin.Context) {
	text := truncate(c.Query("subject"), 200) + "\n" + truncate(c.Query("description"), search.MaxSimilarRunes)
	p := s.newPage(c, "", "issues", &issueFormData{Similar: s.similar(c, text)})
	s.renderBlock(c, http.StatusOK, "issues/form", "similar", p)
}

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
	data.History = s.describeIssueHistory(c, iss, entries, p)
	p.Errors = errs
	s.render(c, status, "issues/card", p)
}

// describeIssueHistory reuses the customer card's history lines and names
// the issue's own fields.
func (s *Server) describeIssueHistory(c *gin.Context, iss *models.Issue, entries []models.AuditEntry, p *page) []historyLine {
	ctx := c.Request.Context()
	lines := s.describeHistory(c, entries, p.Aux)
	for li, e := range entries {
		for ci, ch := range e.Changes {
			hc := &lines[li].Changes[ci]
			switch ch.Field {
			case "issue_type":
				hc.Old, hc.New = p.Aux.Name(parseID(ch.Old)), p.Aux.Name(parseID(ch.New))
			case "assignee":
				hc.Old, hc.New = s.userName(ctx, ch.Old), s.userName(ctx, ch.New)
			case "customer":
				hc.New = iss.CustomerName // an issue never changes customer
			case "contact":
				hc.Old, hc.New = s.contactName(c, iss.CustomerID, ch.Old), s.contactName(c, iss.CustomerID, ch.New)
			case "priority":
				hc.Old, hc.New = s.tIf(c, "issue.priority.", ch.Old), s.tIf(c, "issue.priority.", ch.New)
			case "channel":
				hc.Old, hc.New = s.tIf(c, "issue.channel.", ch.Old), s.tIf(c, "issue.channel.", ch.New)
			case "status":
				hc.Old, hc.New = s.tIf(c, "issue.status.", ch.Old), s.tIf(c, "issue.status.", ch.New)
			case "reported_at":
				hc.Old, hc.New = s.localTime(ch.Old), s.localTime(ch.New)
			}
		}
	}
	return lines
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

func (s *Server) userName(ctx context.Context, v string) string {
	id := parseID(v)
	if id == 0 {
		return ""
	}
	if u, err := s.db.UserByID(ctx, id); err == nil {
		return u.DisplayName
	}
	return v
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
	errs := fieldErrors{}
	if !models.ValidDate(h.HandledOn) {
		errs["handled_on"] = "validation.date"
	}
	if h.Content == "" {
		errs["content"] = "validation.required"
	}
	checkLen(errs, "content", h.Content, 20000)
	checkLen(errs, "result", h.Result, 500)
	if err := s.db.CheckAux(ctx, errs, "method", "handling_method", h.MethodID); err != nil {
		s.fail(c, err)
		return
	}
	if newStatus != "" && newStatus != "handling" && newStatus != "resolved" && newStatus != "closed" {
		errs["new_status"] = "validation.invalid_choice"
	}
	if iss.Status == "archived" {
		errs["content"] = "issue.archived_no_handling"
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
	redirect(c, "/issues/"+strconv.FormatInt(iss.ID, 10)+"#handlings")
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

// Archive (归档).

type archiveData struct {
	Issue   *models.Issue
	Article models.Article
	// Existing is a very similar article already in the knowledge base:
	// the form offers to update it instead of adding a near-duplicate.
	Existing   *models.Article
	Similarity int // percent
	Updating   bool
}

// archiveDraft builds the draft article from an issue and its handling.
func archiveDraft(iss *models.Issue, hs []models.Handling) models.Article {
	var sol strings.Builder
	for _, h := range hs {
		if strings.TrimSpace(h.Content) == "" {
			continue
		}
		if sol.Len() > 0 {
			sol.WriteString("\n\n")
		}
		sol.WriteString(strings.TrimSpace(h.Content))
		if h.Result != "" {
			sol.WriteString("\n\n> " + h.Result)
		}
	}
	return models.Article{Title: iss.Subject, Symptom: iss.Description, Solution: sol.String(), CategoryID: iss.TypeID}
}

// similarArticleThreshold is how alike (0–1, bigram Dice) an existing
// article must be for archiving to suggest updating it instead.
const similarArticleThreshold = 0.5

func (s *Server) findSimilarArticle(c *gin.Context, iss *models.Issue) (*models.Article, float64, error) {
	if s.search == nil {
		return nil, 0, nil
	}
	ctx := c.Request.Context()
	res, err := s.search.Search(ctx, actor(c), search.Query{Text: iss.Subject + "\n" + iss.Description, Similar: true,
		Kinds: []string{"article"}, Size: 3})
	if errors.Is(err, search.ErrRebuilding) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	var best *models.Article
	bestSim := 0.0
	for _, h := range res.Hits {
		a, err := s.db.GetArticle(ctx, h.ID)
		if errors.Is(err, models.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		sim := max(search.Similarity(iss.Subject, a.Title), search.Similarity(iss.Subject+iss.Description, a.Title+a.Symptom))
		if sim > bestSim {
			best, bestSim = a, sim
		}
	}
	if bestSim < similarArticleThreshold {
		return nil, bestSim, nil
	}
	return best, bestSim, nil
}

func (s *Server) archiveForm(c *gin.Context) {
	iss, ok := s.loadIssue(c)
	if !ok {
		return
	}
	if iss.Status != "resolved" {
		s.flash(c, "issue.archive_needs_resolved")
		redirect(c, "/issues/"+strconv.FormatInt(iss.ID, 10))
		return
	}
	ctx := c.Request.Context()
	hs, err := s.db.Handlings(ctx, iss.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	data := &archiveData{Issue: iss, Article: archiveDraft(iss, hs)}
	if into := parseID(c.Query("into")); into != 0 {
		// Update an existing article: its text first, this issue's solution added.
		a, err := s.db.GetArticle(ctx, into)
		if err != nil {
			s.fail(c, err)
			return
		}
		draft := data.Article
		data.Article = *a
		if draft.Solution != "" {
			data.Article.Solution = strings.TrimRight(a.Solution, "\n") + "\n\n" + fmt.Sprintf(s.t(c, "archive.added_from"), iss.Code) + "\n\n" + draft.Solution
		}
		data.Updating = true
	} else {
		existing, sim, err := s.findSimilarArticle(c, iss)
		if err != nil {
			s.fail(c, err)
			return
		}
		data.Existing, data.Similarity = existing, int(sim*100+0.5)
	}
	s.render(c, http.StatusOK, "issues/archive", s.newPage(c, s.t(c, "archive.title", iss.Code), "issues", data))
}

func (s *Server) archiveIssue(c *gin.Context) {
	iss, ok := s.loadIssue(c)
	if !ok {
		return
	}
	a := articleFormFrom(c)
	a.ID = formID(c.PostForm("article_id"))
	if errs, err := s.validateArticle(c, &a); err != nil {
		s.fail(c, err)
		return
	} else if errs.Any() {
		p := s.newPage(c, s.t(c, "archive.title", iss.Code), "issues", &archiveData{Issue: iss, Article: a, Updating: a.ID != 0})
		p.Errors = errs
		s.render(c, http.StatusUnprocessableEntity, "issues/archive", p)
		return
	}
	err := s.db.ArchiveIssue(c.Request.Context(), actor(c), iss.ID, &a)
	if errors.Is(err, models.ErrConflict) {
		s.flash(c, "issue.archive_needs_resolved")
		redirect(c, "/issues/"+strconv.FormatInt(iss.ID, 10))
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "issue.archived")
	redirect(c, "/kb/"+strconv.FormatInt(a.ID, 10))
}
