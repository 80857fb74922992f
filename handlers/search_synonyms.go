package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/search"
)

// Admin: the search synonym list (基础设置 → 搜索同义词). Synonyms apply at
// query time, so a saved list takes effect at the next search, without a
// restart or a reindex.

type synonymsForm struct {
	Text     string
	Starter  bool   // nothing saved yet: the built-in list is shown and in use
	Error    string // what is wrong with the typed list, and on which line
	MaxLine  int
	MaxWord  int
	MaxGroup int
}

// synonymSetter is what the synonym page needs of the search service; the
// test doubles of Searcher need not have it.
type synonymSetter interface{ SetSynonyms([][]string) }

func (s *Server) searchSynonyms(c *gin.Context) {
	groups, saved, err := s.db.SearchSynonyms(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	if !saved {
		groups = search.StarterSynonyms
	}
	s.renderSynonyms(c, http.StatusOK, &synonymsForm{Text: models.FormatSynonyms(groups), Starter: !saved}, nil)
}

func (s *Server) renderSynonyms(c *gin.Context, status int, d *synonymsForm, errs fieldErrors) {
	d.MaxLine, d.MaxWord, d.MaxGroup = models.MaxSynonymLineRunes, models.MaxSynonymWordRunes, models.MaxSynonymGroups
	p := s.newPage(c, s.t(c, "synonyms.title"), "settings", d)
	p.Errors = errs
	s.render(c, status, "admin/synonyms", p)
}

func (s *Server) saveSearchSynonyms(c *gin.Context) {
	text := c.PostForm("synonyms")
	groups, err := s.db.SaveSearchSynonyms(c.Request.Context(), text)
	var fe models.FieldErrors
	if errors.As(err, &fe) {
		_, _, line := models.CheckSynonyms(text)
		var msg string
		switch key := fe["synonyms"]; key {
		case "synonyms.err_long":
			msg = s.t(c, key, models.MaxSynonymLineRunes, models.MaxSynonymWordRunes)
		case "synonyms.err_too_many":
			msg = s.t(c, key, models.MaxSynonymGroups)
		default:
			msg = s.t(c, key)
		}
		s.renderSynonyms(c, http.StatusUnprocessableEntity, &synonymsForm{Text: text, Error: s.t(c, "synonyms.line", line) + msg}, fe)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if set, ok := s.search.(synonymSetter); ok {
		set.SetSynonyms(groups)
	}
	s.flash(c, "synonyms.saved")
	redirect(c, "/admin/search/synonyms")
}
