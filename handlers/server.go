// Package handlers is the web application: it turns HTTP requests into calls
// on models and renders views. routes.go lists every route; app.go builds
// the whole application (views, index, mail, jobs, web) for main.go and the
// tests alike.
package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/backup"
	"keyuan/jobs"
	"keyuan/models"
	"keyuan/search"
	"keyuan/static"
	"keyuan/views"
)

// Config holds the settings handlers need, passed in by main.
type Config struct {
	BaseURL      string
	DataDir      string
	SessionKey   []byte
	Location     *time.Location
	MaxBodyBytes int64
	Version      string
	// LoginLimit is how many failed logins one IP may make per LoginWindow.
	LoginLimit  int
	LoginWindow time.Duration
	// TrashDays is how long the recycle bin keeps a deleted record.
	TrashDays int
	// TrustedProxies are believed about the client's address and https.
	TrustedProxies Proxies
	// APIRate is how many API requests a second one token may make on
	// average, APIBurst how many at once (default 10 and 100).
	APIRate  float64
	APIBurst int
}

// Deps are the parts NewApp builds and hands to the handlers.
type Deps struct {
	DB          *models.DB
	Views       *views.Engine
	Assets      *static.Assets
	Log         *slog.Logger
	Importer    *jobs.Importer
	Outbox      *jobs.Outbox
	Mail        *jobs.MailSettings
	Invitations *jobs.CampaignMailer
	Reports     *jobs.ReportMailer
	Scheduler   *jobs.Scheduler
	Search      search.Searcher
	// Backups makes and lists backups; one over DataDir when nil.
	Backups *backup.Service
}

// Server holds everything the handlers depend on.
type Server struct {
	cfg      Config
	db       *models.DB
	views    *views.Engine
	assets   *static.Assets
	sessions *SessionStore
	throttle *loginThrottle
	log      *slog.Logger
	importer *jobs.Importer
	outbox   *jobs.Outbox
	mail     *jobs.MailSettings
	jobs     *jobs.Scheduler
	backups  *backup.Service
	search   search.Searcher

	invitations  *jobs.CampaignMailer
	reportMailer *jobs.ReportMailer

	apiLimiter *rateLimiter
	idem       idempotency
}

// New builds a Server.
func New(cfg Config, d Deps) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 2 << 20
	}
	if cfg.LoginLimit == 0 {
		cfg.LoginLimit = 10
		cfg.LoginWindow = 15 * time.Minute
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	if cfg.TrashDays <= 0 {
		cfg.TrashDays = models.DefaultTrashDays
	}
	// The cookie is Secure when the public URL is https, or when this
	// request came over https (directly, or through a trusted proxy).
	httpsURL := strings.HasPrefix(cfg.BaseURL, "https://")
	secure := func(r *http.Request) bool { return httpsURL || cfg.TrustedProxies.HTTPS(r) }
	if cfg.APIRate <= 0 {
		cfg.APIRate, cfg.APIBurst = 10, 100
	}
	if d.Backups == nil {
		d.Backups = backup.NewService(backup.Config{DataDir: cfg.DataDir, Database: d.DB.Path, AppVersion: cfg.Version}, d.DB.Now)
	}
	return &Server{
		cfg:      cfg,
		db:       d.DB,
		views:    d.Views,
		assets:   d.Assets,
		sessions: NewSessionStore(d.DB, cfg.SessionKey, secure),
		throttle: newLoginThrottle(cfg.LoginLimit, cfg.LoginWindow, d.DB.Now),
		log:      d.Log,
		importer: d.Importer,
		outbox:   d.Outbox,
		mail:     d.Mail,
		jobs:     d.Scheduler,
		backups:  d.Backups,
		search:   d.Search,

		invitations:  d.Invitations,
		reportMailer: d.Reports,
		apiLimiter:   newRateLimiter(cfg.APIRate, max(cfg.APIBurst, 1)),
	}
}

// now is the business's present, from the one clock (models.DB.Now).
func (s *Server) now() time.Time { return s.db.Now().In(s.cfg.Location) }

// page is what every template receives.
type page struct {
	Lang    string
	User    *models.User
	Actor   models.Actor // the user as the permission table sees them (can, the menu)
	Title   string
	Nav     string // the active module, for the navigation
	Path    string
	Query   url.Values
	Flash   string
	Errors  fieldErrors
	Aux     models.AuxLookup
	Data    any
	Version string
}

// fieldErrors maps a form field to a message key: the models' one shape of
// a refused input, shown next to the fields.
type fieldErrors = models.FieldErrors

func checkLen(errs fieldErrors, field, v string, n int) {
	if models.TooLong(v, n) {
		errs[field] = "validation.too_long"
	}
}

// Request-scoped values set by the middleware.
const (
	ctxUser    = "user"
	ctxActor   = "actor"
	ctxLang    = "lang"
	ctxSession = "session"
)

func currentUser(c *gin.Context) *models.User {
	if u, ok := c.Get(ctxUser); ok {
		return u.(*models.User)
	}
	return nil
}

// actor is the signed-in user as an actor, made once per request by the
// middleware (DB.ActorFor: their role as it is now, their team).
func actor(c *gin.Context) models.Actor {
	if a, ok := c.Get(ctxActor); ok {
		return a.(models.Actor)
	}
	return models.Actor{}
}

func (s *Server) lang(c *gin.Context) string {
	if l := c.GetString(ctxLang); l != "" {
		return l
	}
	return views.MatchLanguage(c.GetHeader("Accept-Language"))
}

// t translates for the current request.
func (s *Server) t(c *gin.Context, key string, args ...any) string {
	return s.views.Catalog.T(s.lang(c), key, args...)
}

func (s *Server) newPage(c *gin.Context, title, nav string, data any) *page {
	lang := s.lang(c)
	aux, err := s.db.AuxLookupFor(c.Request.Context(), lang)
	if err != nil {
		s.log.Error("load auxiliary items", "err", err)
	}
	return &page{
		Lang: lang, User: currentUser(c), Actor: actor(c), Title: title, Nav: nav, Path: c.Request.URL.Path,
		Query: c.Request.URL.Query(), Aux: aux, Data: data, Version: s.cfg.Version,
		Flash: s.popFlash(c),
	}
}

// renderForm writes a form page (newPage's title, nav and data) with the
// field errors of the last try.
func (s *Server) renderForm(c *gin.Context, status int, name string, errs fieldErrors, title, nav string, data any) {
	p := s.newPage(c, title, nav, data)
	p.Errors = errs
	s.render(c, status, name, p)
}

// saved tells the user their change was saved and sends the browser on to
// path (post/redirect/get, so a reload does not post again).
func (s *Server) saved(c *gin.Context, path string) {
	s.flash(c, "flash.saved")
	redirect(c, path)
}

// isFragment tells whether htmx asked for part of a page. A boosted request
// swaps the whole body, so it gets the full page.
func isFragment(c *gin.Context) bool {
	return c.GetHeader("HX-Request") == "true" && c.GetHeader("HX-Boosted") != "true"
}

// render writes a full page, or only its "content" block for htmx.
func (s *Server) render(c *gin.Context, status int, name string, p *page) {
	block := "layout"
	if isFragment(c) {
		block = "content"
	}
	s.renderBlock(c, status, name, block, p)
}

// renderTargeted writes a full page, or only the block that fills the
// element htmx targets (HX-Target) when the request asks for that element.
func (s *Server) renderTargeted(c *gin.Context, status int, name string, p *page, target, block string) {
	if isFragment(c) && c.GetHeader("HX-Target") == target {
		s.renderBlock(c, status, name, block, p)
		return
	}
	s.render(c, status, name, p)
}

// renderBlock writes one named block of a page template.
func (s *Server) renderBlock(c *gin.Context, status int, name, block string, p *page) {
	c.Header("Vary", "HX-Request")
	c.Header("Content-Type", "text/html; charset=utf-8")
	c.Status(status)
	err := s.views.Render(c.Writer, p.Lang, name, block, p)
	switch {
	case err == nil:
	case errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET):
		// The browser went away (a closed tab, a load test ending): not our fault.
		s.log.Debug("client gone", "page", name, "err", err)
	default:
		s.log.Error("render", "page", name, "block", block, "err", err)
		if !c.Writer.Written() {
			c.String(http.StatusInternalServerError, "internal error")
		}
	}
}

// Known errors map to statuses here and only here.
var errBadRequest = errors.New("bad request")

// fail is the one error exit of every handler: known domain errors become
// their status with a friendly page; anything else is logged as a 500.
func (s *Server) fail(c *gin.Context, err error) {
	// A report definition the whitelist refuses says what is wrong with it.
	var de *models.ReportDefError
	if errors.As(err, &de) {
		s.errorMessage(c, http.StatusBadRequest, defErrorText(s.lang(c), s.views.Catalog.T, de))
		return
	}
	status, key := http.StatusInternalServerError, "error.internal"
	switch {
	case errors.Is(err, models.ErrNotFound):
		status, key = http.StatusNotFound, "error.not_found"
	case errors.Is(err, models.ErrConflict):
		status, key = http.StatusConflict, "error.conflict"
	case errors.Is(err, models.ErrInUse):
		status, key = http.StatusConflict, "error.in_use"
	case errors.Is(err, models.ErrInvalid):
		// A form shows its field errors itself; one that reaches here had
		// no form to go back to (a bare request).
		status, key = http.StatusUnprocessableEntity, "error.bad_request"
	case errors.Is(err, errBadRequest):
		status, key = http.StatusBadRequest, "error.bad_request"
	case errors.Is(err, context.Canceled):
		status, key = 499, "error.internal"
	case models.IsDiskFull(err):
		// Nothing of this request was written (its transaction rolled
		// back); what was saved before is safe. Say so, not "error".
		status, key = http.StatusInsufficientStorage, "error.disk_full"
		s.log.Error("disk full", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
		s.errorPage(c, status, key)
		return
	default:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status, key = http.StatusRequestEntityTooLarge, "error.too_large"
		}
	}
	if status >= 500 {
		s.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	s.errorPage(c, status, key)
}

func (s *Server) errorPage(c *gin.Context, status int, key string) {
	s.errorMessage(c, status, s.t(c, key))
}

// errorMessage is errorPage with a message already translated.
func (s *Server) errorMessage(c *gin.Context, status int, msg string) {
	if c.GetBool(ctxAPI) {
		s.apiProblem(c, status, msg, nil)
		return
	}
	p := s.newPage(c, s.t(c, "error.title"), "", map[string]any{"Status": status, "Message": msg})
	if isFragment(c) {
		// Let htmx show the message as a toast instead of swapping it in.
		c.Header("HX-Reswap", "none")
		c.Header("HX-Trigger", toastTrigger(msg, "error"))
	}
	s.render(c, status, "error", p)
	c.Abort()
}

// notFound is the 404 for routes and records alike.
func (s *Server) notFound(c *gin.Context) { s.errorPage(c, http.StatusNotFound, "error.not_found") }

// idParam parses a positive integer route parameter; anything else is a 404.
func idParam(c *gin.Context, name string) (int64, bool) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	return id, err == nil && id > 0
}

// redirect sends the browser on; for htmx requests it uses HX-Redirect.
func redirect(c *gin.Context, to string) {
	if c.GetHeader("HX-Request") == "true" {
		c.Header("HX-Redirect", to)
		c.Status(http.StatusNoContent)
		return
	}
	c.Redirect(http.StatusSeeOther, to)
}
