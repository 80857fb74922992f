package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"

	"keyuan/models"
)

// safeNext keeps only same-site paths, so a login link cannot send the user
// to another site ("//evil", "/\evil", "https://…" are all refused).
func safeNext(next string) string {
	// A browser reads a backslash as a slash, and the redirect cleans the
	// path (/./\evil became /\evil, which a browser reads as //evil):
	// refuse any backslash and control character, also once decoded, and
	// judge the path as cleaned.
	if next == "" || !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\\r\n\t\x00") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	cleaned := path.Clean(u.Path)
	if !strings.HasPrefix(cleaned, "/") || strings.HasPrefix(cleaned, "//") || strings.HasPrefix(u.Path, "//") ||
		strings.Contains(u.Path, "\\") {
		return "/"
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	// Hand on the cleaned path, so the redirect cannot clean it into
	// something else.
	out := path.Clean(u.EscapedPath())
	if strings.HasPrefix(out, "//") {
		return "/"
	}
	if strings.HasSuffix(u.Path, "/") && out != "/" {
		out += "/"
	}
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}

type loginForm struct {
	Username string
	Next     string
}

func (s *Server) loginPage(c *gin.Context) {
	if currentUser(c) != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	p := s.newPage(c, s.t(c, "login.title"), "", loginForm{Next: safeNext(c.Query("next"))})
	s.render(c, http.StatusOK, "login", p)
}

func (s *Server) login(c *gin.Context) {
	ctx := c.Request.Context()
	form := loginForm{Username: truncate(strings.TrimSpace(c.PostForm("username")), 100), Next: safeNext(c.PostForm("next"))}
	ip := s.cfg.TrustedProxies.ClientIP(c.Request)
	p := s.newPage(c, s.t(c, "login.title"), "", form)
	if s.throttle.blocked(form.Username, ip) {
		s.logEvent(c, models.SecurityEvent{Kind: models.EventLoginLocked, Username: form.Username})
		p.Errors = fieldErrors{"form": "login.throttled"}
		s.render(c, http.StatusTooManyRequests, "login", p)
		return
	}
	u, err := s.db.Authenticate(ctx, form.Username, c.PostForm("password"))
	if errors.Is(err, models.ErrNotFound) {
		s.throttle.fail(form.Username, ip)
		s.logEvent(c, models.SecurityEvent{Kind: models.EventLoginFailed, Username: form.Username,
			UserID: s.userIDOf(c, form.Username)})
		p.Errors = fieldErrors{"form": "login.failed"}
		s.render(c, http.StatusUnauthorized, "login", p)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	if u.TwoFactor {
		// The password was right; the session starts only after the second
		// factor (login_2fa). The throttle keeps counting until then.
		token, err := s.db.NewLoginChallenge(ctx, u.ID, form.Next)
		if err != nil {
			s.fail(c, err)
			return
		}
		http.SetCookie(c.Writer, s.challengeCookie(c, token, int(models.LoginChallengeTTL.Seconds())))
		redirect(c, "/login/2fa")
		return
	}
	s.throttle.succeed(form.Username, ip)
	s.logEvent(c, models.SecurityEvent{Kind: models.EventLoginOK, UserID: u.ID, Username: u.Username})
	s.startSession(c, u, form.Next)
}

// startSession signs u in on this browser and sends it on to next.
func (s *Server) startSession(c *gin.Context, u *models.User, next string) {
	// A new login ends the session this browser had (another user's,
	// perhaps, on a shared computer) on the server, not just in the cookie.
	if old := sessionID(c); old != "" {
		if err := s.db.DeleteSession(c.Request.Context(), old); err != nil {
			s.fail(c, err)
			return
		}
	}
	// A fresh session id at every login defeats session fixation.
	sess := sessions.NewSession(s.sessions, sessionCookie)
	sess.Options = s.sessions.options(c.Request)
	sess.Values["uid"] = u.ID
	if err := sess.Save(c.Request, c.Writer); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, next)
}

func (s *Server) logout(c *gin.Context) {
	if u := currentUser(c); u != nil {
		s.logEvent(c, models.SecurityEvent{Kind: models.EventLogout, UserID: u.ID, Username: u.Username})
	}
	if v, ok := c.Get(ctxSession); ok {
		sess := v.(*sessions.Session)
		sess.Options.MaxAge = -1
		if err := sess.Save(c.Request, c.Writer); err != nil {
			s.fail(c, err)
			return
		}
	}
	redirect(c, "/login")
}

func (s *Server) healthz(c *gin.Context) {
	if err := s.db.Ping(c.Request.Context()); err != nil {
		c.String(http.StatusServiceUnavailable, "database unreachable")
		return
	}
	c.String(http.StatusOK, "ok")
}

// sessionID is the current session's id ("" when none).
func sessionID(c *gin.Context) string {
	if v, ok := c.Get(ctxSession); ok {
		return v.(*sessions.Session).ID
	}
	return ""
}
