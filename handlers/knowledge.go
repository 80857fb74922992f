package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
	"keyuan/views"
)

// Knowledge base (服务知识库): list and search, card with "this helped" and
// view counts, and the article form.

type kbListData struct {
	Q          string
	CategoryID int64
	Sort       string
	Page       int
	Pages      int
	Result     models.ArticlePage
	// With a search text the list is ranked by relevance and shows
	// highlighted fragments.
	Hits       map[int64]search.Hit
	Searched   bool
	Rebuilding bool
	CanEdit    bool
}

const kbPerPage = 20

func (s *Server) listArticles(c *gin.Context) {
	ctx := c.Request.Context()
	q := c.Request.URL.Query()
	d := &kbListData{Q: truncate(strings.TrimSpace(q.Get("q")), search.MaxQueryRunes), CategoryID: parseID(q.Get("category")),
		Sort: q.Get("sort"), Page: 1, CanEdit: actor(c).HandlesService()}
	d.Page = queryPage(q, 50, d.Page)
	if ok, err := s.db.CheckAuxItem(ctx, "issue_type", d.CategoryID); err != nil {
		s.fail(c, err)
		return
	} else if !ok {
		d.CategoryID = 0 // a malformed filter is dropped
	}
	if d.Q != "" && s.search != nil {
		d.Searched = true
		res, err := s.searchArticles(c, d)
		switch {
		case errors.Is(err, search.ErrRebuilding):
			d.Rebuilding = true
		case err != nil:
			s.fail(c, err)
			return
		default:
			d.Result = res
		}
	} else {
		res, err := s.db.ListArticles(ctx, models.ArticleFilter{CategoryID: d.CategoryID, Sort: d.Sort, Page: d.Page, PerPage: kbPerPage})
		if err != nil {
			s.fail(c, err)
			return
		}
		d.Result = res
	}
	d.Pages = min(50, d.Result.Pages())
	p := s.newPage(c, s.t(c, "kb.list.title"), "kb", d)
	s.renderTargeted(c, http.StatusOK, "kb/list", p, "results", "results")
}

// searchArticles ranks articles by relevance, the category filter inside
// the search, so its totals and pages are right.
func (s *Server) searchArticles(c *gin.Context, d *kbListData) (models.ArticlePage, error) {
	page := models.ArticlePage{Page: d.Page, PerPage: kbPerPage}
	d.Hits = map[int64]search.Hit{}
	res, err := s.search.Search(c.Request.Context(), actor(c), search.Query{Text: d.Q, Kinds: []string{"article"},
		Size: kbPerPage, From: (d.Page - 1) * kbPerPage, ArticleCategory: d.CategoryID})
	if err != nil {
		return page, err
	}
	ids := make([]int64, 0, len(res.Hits))
	for _, h := range res.Hits {
		d.Hits[h.ID] = h
		ids = append(ids, h.ID)
	}
	arts, err := s.db.ArticlesByIDs(c.Request.Context(), ids)
	if err != nil {
		return page, err
	}
	page.Total = res.Total
	page.Rows = arts
	return page, nil
}

func articleFormFrom(c *gin.Context) models.Article {
	return models.Article{
		Title:      strings.TrimSpace(c.PostForm("title")),
		Symptom:    strings.TrimSpace(c.PostForm("symptom")),
		Solution:   strings.TrimSpace(c.PostForm("solution")),
		CategoryID: formID(c.PostForm("category")),
		Keywords:   strings.TrimSpace(c.PostForm("keywords")),
	}
}

func (s *Server) validateArticle(c *gin.Context, a *models.Article) (fieldErrors, error) {
	return s.db.CheckArticle(c.Request.Context(), a)
}

func (s *Server) renderArticleForm(c *gin.Context, status int, a models.Article, errs fieldErrors) {
	title := s.formTitle(c, "kb", a.ID != 0, a.Code)
	s.renderForm(c, status, "kb/form", errs, title, "kb", map[string]any{"Article": a})
}

func (s *Server) newArticle(c *gin.Context) {
	s.renderArticleForm(c, http.StatusOK, models.Article{}, nil)
}

func (s *Server) createArticle(c *gin.Context) { s.saveArticle(c, nil) }

func (s *Server) loadArticle(c *gin.Context) (*models.Article, bool) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return nil, false
	}
	a, err := s.db.GetArticle(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return nil, false
	}
	return a, true
}

func (s *Server) editArticle(c *gin.Context) {
	a, ok := s.loadArticle(c)
	if !ok {
		return
	}
	s.renderArticleForm(c, http.StatusOK, *a, nil)
}

func (s *Server) updateArticle(c *gin.Context) {
	old, ok := s.loadArticle(c)
	if !ok {
		return
	}
	s.saveArticle(c, old)
}

func (s *Server) saveArticle(c *gin.Context, old *models.Article) {
	a := articleFormFrom(c)
	if old != nil {
		a.ID, a.Code = old.ID, old.Code
	}
	if errs, err := s.validateArticle(c, &a); err != nil {
		s.fail(c, err)
		return
	} else if errs.Any() {
		s.renderArticleForm(c, http.StatusUnprocessableEntity, a, errs)
		return
	}
	if err := s.db.SaveArticle(c.Request.Context(), actor(c), &a); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("article", a.ID))
}

type articleCardData struct {
	Article *models.Article
	Helped  bool
	Issues  []models.Issue
	CanEdit bool
}

func (s *Server) showArticle(c *gin.Context) {
	a, ok := s.loadArticle(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	// A reload by the same person counts again; views are a rough measure.
	if err := s.db.CountArticleView(ctx, a.ID); err != nil {
		s.fail(c, err)
		return
	}
	a.Views++
	d := &articleCardData{Article: a, CanEdit: actor(c).HandlesService()}
	var err error
	if d.Helped, err = s.db.HelpedBy(ctx, actor(c), a.ID); err != nil {
		s.fail(c, err)
		return
	}
	if d.Issues, err = s.db.ArticleIssues(ctx, actor(c), a.ID, 20); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "kb/card", s.newPage(c, a.Title, "kb", d))
}

// articleHelped counts "this helped" once per user; htmx swaps the button.
func (s *Server) articleHelped(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	ctx := c.Request.Context()
	if _, err := s.db.MarkArticleHelped(ctx, actor(c), id); err != nil {
		s.fail(c, err)
		return
	}
	if !isFragment(c) {
		redirect(c, views.Path("article", id))
		return
	}
	a, err := s.db.GetArticle(ctx, id)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderBlock(c, http.StatusOK, "kb/card", "helped", s.newPage(c, "", "kb", &articleCardData{Article: a, Helped: true}))
}
