package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// eventSource is where a request came from, for the security log: the
// client's address as the trusted proxies tell it, and its browser.
func (s *Server) eventSource(c *gin.Context) models.EventSource {
	return models.EventSource{IP: s.cfg.TrustedProxies.ClientIP(c.Request), UserAgent: c.Request.UserAgent()}
}

// logEvent writes e to the security log with the request's source. A
// failure to log is reported but does not stop the request: the log must
// never lock people out.
func (s *Server) logEvent(c *gin.Context, e models.SecurityEvent) {
	src := s.eventSource(c)
	e.IP, e.UserAgent = src.IP, src.UserAgent
	if err := s.db.LogSecurityEvent(c.Request.Context(), e); err != nil {
		s.log.Error("security log", "kind", e.Kind, "err", err)
	}
}

// userIDOf is the id of the user with that login name, 0 when there is
// none (a failed login may name anybody).
func (s *Server) userIDOf(c *gin.Context, username string) int64 {
	id, err := s.db.UserIDByName(c.Request.Context(), username)
	if err != nil {
		return 0
	}
	return id
}

type securityLogData struct {
	Filter models.SecurityFilter
	Result models.SecurityPage
	Users  []models.User
	Kinds  []string
	// Require2FA is the setting that admins and managers must use a
	// second factor.
	Require2FA bool
}

// securityLog is the admins' security log: logins, lockouts and changes to
// passwords, two-factor login and roles, filtered by user and kind.
func (s *Server) securityLog(c *gin.Context) {
	ctx := c.Request.Context()
	q := c.Request.URL.Query()
	f := models.SecurityFilter{UserID: parseID(q.Get("user")), Page: queryPage(q, 1_000_000, 1), PerPage: 50}
	for _, k := range models.SecurityEventKinds {
		if q.Get("kind") == k {
			f.Kind = k
		}
	}
	data := &securityLogData{Filter: f, Kinds: models.SecurityEventKinds}
	var err error
	if data.Result, err = s.db.SecurityEvents(ctx, f); err != nil {
		s.fail(c, err)
		return
	}
	if data.Users, err = s.db.Users(ctx); err != nil {
		s.fail(c, err)
		return
	}
	if data.Require2FA, err = s.db.TwoFactorRequired(ctx); err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, s.t(c, "security.title"), "settings", data)
	s.renderTargeted(c, http.StatusOK, "admin/security", p, "results", "results")
}

// saveTwoFactorPolicy switches the rule that admins and managers must sign
// in with a second factor.
func (s *Server) saveTwoFactorPolicy(c *gin.Context) {
	required := c.PostForm("require_2fa") == "1"
	if err := s.db.SetTwoFactorRequired(c.Request.Context(), actor(c).ID, required, s.eventSource(c)); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/admin/security")
}
