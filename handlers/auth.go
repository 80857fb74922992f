package handlers

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/gorilla/sessions"

	"keyuan/models"
)

// loginThrottle counts failed logins per client IP in a sliding window.
type loginThrottle struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	fails  map[string][]time.Time
}

func newLoginThrottle(limit int, window time.Duration) *loginThrottle {
	return &loginThrottle{limit: limit, window: window, fails: map[string][]time.Time{}}
}

func (t *loginThrottle) recent(ip string, now time.Time) []time.Time {
	kept := t.fails[ip][:0]
	for _, at := range t.fails[ip] {
		if now.Sub(at) < t.window {
			kept = append(kept, at)
		}
	}
	if len(kept) == 0 {
		delete(t.fails, ip)
		return nil
	}
	t.fails[ip] = kept
	return kept
}

// blocked reports whether ip has used up its failed attempts.
func (t *loginThrottle) blocked(ip string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.recent(ip, time.Now())) >= t.limit
}

func (t *loginThrottle) fail(ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := time.Now()
	t.fails[ip] = append(t.recent(ip, now), now)
	if len(t.fails) > 100000 { // bound memory under a spray of addresses
		t.fails = map[string][]time.Time{}
	}
}

func (t *loginThrottle) reset(ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, ip)
}

// clientIP is the peer address; proxies' headers are not trusted, so a
// client cannot dodge the throttle by inventing X-Forwarded-For.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext keeps only same-site paths, so a login link cannot send the user
// to another site ("//evil", "/\evil", "https://…" are all refused).
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") ||
		strings.HasPrefix(next, "/\\") || strings.ContainsAny(next, "\r\n\t") {
		return "/"
	}
	return next
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
	form := loginForm{Username: strings.TrimSpace(c.PostForm("username")), Next: safeNext(c.PostForm("next"))}
	ip := clientIP(c.Request)
	p := s.newPage(c, s.t(c, "login.title"), "", form)
	if s.throttle.blocked(ip) {
		p.Errors = fieldErrors{"form": "login.throttled"}
		s.render(c, http.StatusTooManyRequests, "login", p)
		return
	}
	u, err := s.db.Authenticate(c.Request.Context(), form.Username, c.PostForm("password"))
	if errors.Is(err, models.ErrNotFound) {
		s.throttle.fail(ip)
		p.Errors = fieldErrors{"form": "login.failed"}
		s.render(c, http.StatusUnauthorized, "login", p)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.throttle.reset(ip)
	// A fresh session id at every login defeats session fixation.
	sess := sessions.NewSession(s.sessions, sessionCookie)
	sess.Options = s.sessions.options()
	sess.Values["uid"] = u.ID
	if err := sess.Save(c.Request, c.Writer); err != nil {
		s.fail(c, err)
		return
	}
	redirect(c, form.Next)
}

func (s *Server) logout(c *gin.Context) {
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
