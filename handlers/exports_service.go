package handlers

import (
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/sheet"
)

// exportIssues downloads an issue list (its view and filters), under the
// same row rules as the list.
func (s *Server) exportIssues(c *gin.Context) {
	f := issueFilterFrom(c.Request.URL.Query())
	aux, w, ok := s.startExport(c, "issues")
	if !ok {
		return
	}
	if err := w.WriteRow(s.labels(c, "field.code", "field.customer", "field.contact", "field.reported_at", "field.channel",
		"field.issue_type", "field.priority", "field.subject", "field.description", "field.assignee", "field.status",
		"field.due_at", "field.resolved_at", "field.article")...); err != nil {
		return
	}
	local := func(stamp string) any {
		if stamp == "" {
			return nil
		}
		t, err := time.Parse(time.RFC3339, stamp)
		if err != nil {
			return stamp
		}
		return sheet.DateTime(t.In(s.cfg.Location))
	}
	err := s.db.EachIssue(c.Request.Context(), actor(c), f, func(i *models.Issue) error {
		return w.WriteValues(i.Code, i.CustomerName, i.ContactName, local(i.ReportedAt), s.t(c, "issue.channel."+i.Channel),
			aux.Name(i.TypeID), s.t(c, "issue.priority."+i.Priority), i.Subject, i.Description, i.AssigneeName,
			s.t(c, "issue.status."+i.Status), local(i.DueAt), local(i.ResolvedAt), i.ArticleCode)
	})
	s.finishDownload(w, "issues", err)
}

// exportArticles downloads the knowledge base (a category, in the list's order).
func (s *Server) exportArticles(c *gin.Context) {
	q := c.Request.URL.Query()
	f := models.ArticleFilter{CategoryID: parseID(q.Get("category")), Sort: q.Get("sort")}
	aux, w, ok := s.startExport(c, "articles")
	if !ok {
		return
	}
	if err := w.WriteRow(s.labels(c, "field.code", "field.article_title", "field.symptom", "field.solution", "field.category",
		"field.keywords", "field.source_issue", "field.views", "kb.helped")...); err != nil {
		return
	}
	err := s.db.EachArticle(c.Request.Context(), f, func(a *models.Article) error {
		return w.WriteValues(a.Code, a.Title, a.Symptom, a.Solution, aux.Name(a.CategoryID), a.Keywords, a.SourceIssueCode,
			a.Views, a.Helped)
	})
	s.finishDownload(w, "articles", err)
}
