package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// Competitors (竞争对手): a shared list; salespeople see only the mentions
// in their own activity records.

func (s *Server) listCompetitors(c *gin.Context) {
	list, err := s.db.Competitors(c.Request.Context(), actor(c), false)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "competitors/list", s.newPage(c, s.t(c, "competitor.list.title"), "competitors", list))
}

type competitorCardData struct {
	Competitor *models.Competitor
	Mentions   []models.CompetitorMention
}

func (s *Server) showCompetitor(c *gin.Context) {
	cp, id, ok := loadShared(s, c, s.db.GetCompetitor)
	if !ok {
		return
	}
	data := &competitorCardData{Competitor: cp}
	var err error
	if data.Mentions, err = s.db.CompetitorMentions(c.Request.Context(), actor(c), id, 100); err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "competitors/show", s.newPage(c, cp.Name, "competitors", data))
}

func (s *Server) renderCompetitorForm(c *gin.Context, status int, cp models.Competitor, errs fieldErrors) {
	title := s.formTitle(c, "competitor", cp.ID != 0, cp.Name)
	s.renderForm(c, status, "competitors/form", errs, title, "competitors", cp)
}

func (s *Server) newCompetitor(c *gin.Context) {
	s.renderCompetitorForm(c, http.StatusOK, models.Competitor{Active: true}, nil)
}

func (s *Server) editCompetitor(c *gin.Context) {
	cp, _, ok := loadShared(s, c, s.db.GetCompetitor)
	if !ok {
		return
	}
	s.renderCompetitorForm(c, http.StatusOK, *cp, nil)
}

func (s *Server) createCompetitor(c *gin.Context) { s.saveCompetitor(c, 0) }

func (s *Server) updateCompetitor(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	if _, err := s.db.GetCompetitor(c.Request.Context(), id); err != nil {
		s.fail(c, err)
		return
	}
	s.saveCompetitor(c, id)
}

func (s *Server) saveCompetitor(c *gin.Context, id int64) {
	cp := models.Competitor{ID: id, Name: strings.TrimSpace(c.PostForm("name")),
		Strengths: strings.TrimSpace(c.PostForm("strengths")), Weaknesses: strings.TrimSpace(c.PostForm("weaknesses")),
		Notes: strings.TrimSpace(c.PostForm("notes")), Active: c.PostForm("active") == "1" || id == 0}
	if errs := cp.Validate(); errs.Any() {
		s.renderCompetitorForm(c, http.StatusUnprocessableEntity, cp, errs)
		return
	}
	err := s.db.SaveCompetitor(c.Request.Context(), actor(c), &cp)
	if errors.Is(err, models.ErrConflict) {
		s.renderCompetitorForm(c, http.StatusUnprocessableEntity, cp, fieldErrors{"name": "competitor.name_taken"})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, views.Path("competitor", cp.ID))
}
