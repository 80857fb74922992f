package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// Personal API tokens: the profile page creates (the secret is shown once),
// lists and revokes one's own; admins list and revoke everyone's.

type apiTokensData struct {
	Tokens []models.APIToken
	Secret string // the new token's secret, on the answer to its creation only
	Form   models.NewAPIToken
	All    bool // the admin's list of everyone's tokens
	Now    string
}

func (s *Server) renderAPITokens(c *gin.Context, status int, data *apiTokensData, errs fieldErrors) {
	list, err := s.db.APITokens(c.Request.Context(), actor(c), data.All)
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Tokens = list
	data.Now = s.db.Now().UTC().Format("2006-01-02T15:04:05Z07:00")
	p := s.newPage(c, s.t(c, "api.tokens.title"), "", data)
	p.Errors = errs
	s.render(c, status, "api_tokens", p)
}

func (s *Server) apiTokensPage(c *gin.Context) {
	s.renderAPITokens(c, http.StatusOK, &apiTokensData{}, nil)
}

func (s *Server) adminAPITokens(c *gin.Context) {
	s.renderAPITokens(c, http.StatusOK, &apiTokensData{All: true}, nil)
}

func (s *Server) createAPIToken(c *gin.Context) {
	n := models.NewAPIToken{Name: c.PostForm("name"), Writable: c.PostForm("access") == "write", Expires: c.PostForm("expires")}
	_, secret, err := s.db.CreateAPIToken(c.Request.Context(), actor(c), n)
	if fe, ok := err.(models.FieldErrors); ok {
		s.renderAPITokens(c, http.StatusUnprocessableEntity, &apiTokensData{Form: n}, fe)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	// Shown on this answer only: it is stored hashed and cannot be shown again.
	c.Header("Cache-Control", "no-store")
	s.renderAPITokens(c, http.StatusOK, &apiTokensData{Secret: secret}, nil)
}

func (s *Server) revokeAPIToken(c *gin.Context) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return
	}
	if err := s.db.RevokeAPIToken(c.Request.Context(), actor(c), id); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "api.tokens.revoked")
	if c.FullPath() == "/admin/api-tokens/:id/revoke" {
		redirect(c, "/admin/api-tokens")
		return
	}
	redirect(c, "/profile/api-tokens")
}
