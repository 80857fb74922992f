package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
)

// Archiving a resolved issue into the knowledge base (归档).

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
