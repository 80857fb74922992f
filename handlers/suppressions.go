package handlers

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// The do-not-mail list (基础设置 → 邮件设置 → 停发地址): addresses that bounced
// for good or unsubscribed. An administrator can allow one again, e.g. after
// a bounce from a mailbox that was full or an address that has been mended.

type suppressionsData struct {
	Filter models.SuppressionFilter
	Items  []models.Suppression
}

func (s *Server) suppressions(c *gin.Context) {
	f := models.SuppressionFilter{Q: strings.TrimSpace(c.Query("q")), Limit: 500}
	switch r := c.Query("reason"); r {
	case "bounced", "unsubscribed":
		f.Reason = r
	}
	if len([]rune(f.Q)) > 254 {
		f.Q = string([]rune(f.Q)[:254])
	}
	items, err := s.db.Suppressions(c.Request.Context(), f)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/suppressions", s.newPage(c, s.t(c, "suppress.title"), "settings",
		&suppressionsData{Filter: f, Items: items}))
}

// allowAddress lifts one suppression; the audit history records who did.
func (s *Server) allowAddress(c *gin.Context) {
	email := strings.TrimSpace(c.PostForm("email"))
	err := s.db.AllowAddress(c.Request.Context(), actor(c), email)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "suppress.allowed")
	back := "/admin/mail/suppressions"
	if q := c.PostForm("q"); q != "" && len(q) <= 254 {
		back += "?q=" + url.QueryEscape(q)
	}
	redirect(c, back)
}
