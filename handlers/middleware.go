package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// securityHeaders sets headers that keep pages from being framed, sniffed
// or running scripts from anywhere but our own static files.
func securityHeaders(c *gin.Context) {
	setSecurityHeaders(c.Writer.Header())
	c.Next()
}

// setSecurityHeaders sets the headers every response carries, also those
// answered outside the route table (the cross-origin refusal).
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "+
		"img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")
}

// limitBody caps request bodies and parses urlencoded forms up front, so a
// body that is too big becomes a 413 and a malformed one a 400 before any
// handler reads it. Multipart uploads are parsed by their own handlers with
// their own limits.
func (s *Server) limitBody(c *gin.Context) {
	// A query string is a filter, never a document: a 905 KB one was
	// echoed into every link of a list (a 15 MB page).
	if len(c.Request.URL.RawQuery) > maxQueryBytes {
		s.errorPage(c, http.StatusRequestURITooLong, "error.too_large")
		return
	}
	cleanQuery(c.Request.URL)
	if c.Request.Body == nil || c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	// One limit for every body, multipart included, enforced while it is
	// read; only the import upload has its own, larger one. A body that
	// says it is larger is refused before a byte of it is read.
	limit := s.cfg.MaxBodyBytes
	if c.Request.URL.Path == "/import" {
		limit = maxUploadBytes + 1<<20 // the file and the form around it
	}
	upload := isAttachmentUpload(c.Request) && strings.HasPrefix(c.ContentType(), "multipart/")
	if upload {
		limit = maxAttachmentRequest // several files, streamed to disk by the handler
	}
	if c.Request.ContentLength > limit {
		c.Header("Connection", "close")
		s.errorPage(c, http.StatusRequestEntityTooLarge, "error.too_large")
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	if upload || strings.HasPrefix(c.ContentType(), "multipart/") && c.Request.URL.Path == "/import" {
		c.Next() // the upload handler parses its own file, within its limit
		return
	}
	parse := c.Request.ParseForm
	if strings.HasPrefix(c.ContentType(), "multipart/") {
		parse = func() error { return c.Request.ParseMultipartForm(limit) }
	}
	if err := parse(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.errorPage(c, http.StatusRequestEntityTooLarge, "error.too_large")
			return
		}
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	// Parsing filled Form from the query and the body: clean both (see
	// cleantext.go).
	cleanValues(c.Request.PostForm)
	cleanValues(c.Request.Form)
	c.Next()
}

// loadSession finds the logged-in user, if any, and the UI language.
func (s *Server) loadSession(c *gin.Context) {
	sess, err := s.sessions.Get(c.Request, sessionCookie)
	if err != nil {
		s.fail(c, fmt.Errorf("load session: %w", err))
		return
	}
	c.Set(ctxSession, sess)
	lang := ""
	if uid, ok := sess.Values["uid"].(int64); ok && !sess.IsNew {
		u, err := s.db.UserByID(c.Request.Context(), uid)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			s.fail(c, err)
			return
		}
		if u != nil && u.Active {
			c.Set(ctxUser, u)
			c.Set(ctxActor, s.db.ActorFor(u))
			lang = u.Lang
		}
	}
	if !views.ValidLanguage(lang) {
		lang = views.MatchLanguage(c.GetHeader("Accept-Language"))
	}
	c.Set(ctxLang, lang)
	c.Next()
}

// maxQueryBytes bounds a request's query string. A list filter is a few
// hundred bytes; the longest real one is the "similar issues" lookup, which
// sends an issue's description (up to 10,000 characters, 90 KB encoded).
const maxQueryBytes = 128 << 10

// requireLogin sends anonymous visitors to the login page, remembering where
// they were going.
func (s *Server) requireLogin(c *gin.Context) {
	if currentUser(c) != nil {
		// A signed-in page or fragment is the user's: never kept by a
		// browser or a proxy for the next person at that computer.
		c.Header("Cache-Control", "no-store")
		c.Next()
		return
	}
	next := c.Request.URL.RequestURI()
	if c.Request.Method != http.MethodGet {
		next = "/"
	}
	redirect(c, "/login?next="+url.QueryEscape(next))
	c.Abort()
}

// requireLeadsPeople lets through those whose reports reach beyond their own
// records (a team or everyone): the digest and the team's views.
func (s *Server) requireLeadsPeople(c *gin.Context) {
	if currentUser(c) != nil && actor(c).LeadsPeople() {
		c.Next()
		return
	}
	s.errorPage(c, http.StatusForbidden, "error.forbidden")
}

// require lets only users with permission p through (models/permissions.go).
func (s *Server) require(p models.Permission) gin.HandlerFunc {
	return func(c *gin.Context) {
		if currentUser(c) != nil && actor(c).Can(p) {
			c.Next()
			return
		}
		s.errorPage(c, http.StatusForbidden, "error.forbidden")
	}
}

// recovery turns a panic into a logged 500 with the friendly page.
func (s *Server) recovery(c *gin.Context, recovered any) {
	s.log.Error("panic", "method", c.Request.Method, "path", c.Request.URL.Path, "panic", recovered)
	s.errorPage(c, http.StatusInternalServerError, "error.internal")
}

// toastTrigger builds an HX-Trigger header that shows a toast. Non-ASCII is
// escaped because header values travel as Latin-1.
func toastTrigger(msg, level string) string {
	var b strings.Builder
	b.WriteString(`{"toast":{"level":"`)
	b.WriteString(level)
	b.WriteString(`","message":"`)
	for _, r := range msg {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r > 0x7e:
			if r > 0xffff {
				r = '?'
			}
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteString(`"}}`)
	return b.String()
}

const flashCookie = "keyuan_flash"

// flash shows a message key on the next page the user sees.
func (s *Server) flash(c *gin.Context, key string) {
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(key), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, MaxAge: 60})
}

// popFlash returns the pending message, translated, and clears it. Only
// known message keys are shown, so a crafted cookie cannot inject text.
func (s *Server) popFlash(c *gin.Context) string {
	ck, err := c.Request.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return ""
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: flashCookie, Value: "", Path: "/", MaxAge: -1})
	key, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return ""
	}
	// "key|12|3" carries numbers for the message (digits only: the cookie
	// is the browser's to change).
	parts := strings.Split(key, "|")
	if len(parts) > 3 || !s.views.Catalog.Has(s.lang(c), parts[0]) {
		return ""
	}
	var nums []any
	for _, p := range parts[1:] {
		n, err := strconv.Atoi(p)
		if err != nil {
			return ""
		}
		nums = append(nums, n)
	}
	return s.t(c, parts[0], nums...)
}
