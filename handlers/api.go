package handlers

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// The REST API's core (issue 14): token authentication, problem+json
// errors, the body cap, the per-token rate limit, ETags and If-Match,
// Idempotency-Key. The endpoints are in api_*.go; they call the same
// models functions as the screens, so the API can do nothing the screens
// may not. Routes are in routes.go with the rest.

const (
	ctxAPI   = "api"      // the request is an API request: errors are problem+json
	ctxToken = "apitoken" // the *models.APIToken that authenticated it
)

// apiMaxBody caps an API request body; no record is anywhere near it.
const apiMaxBody = 256 << 10

// problemJSON is an RFC 9457 problem. Errors carries the domain's field
// errors (models.FieldErrors), translated to the token owner's language.
type problemJSON struct {
	Type   string            `json:"type"`
	Title  string            `json:"title"`
	Status int               `json:"status"`
	Detail string            `json:"detail,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`
}

// apiProblem answers with a problem document and stops the chain.
func (s *Server) apiProblem(c *gin.Context, status int, detail string, errs models.FieldErrors) {
	p := problemJSON{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail}
	if len(errs) > 0 {
		p.Type = "/api/v1/problems/validation"
		p.Errors = make(map[string]string, len(errs))
		for field, key := range errs {
			p.Errors[field] = s.t(c, key)
		}
	}
	body, _ := json.Marshal(p)
	c.Data(status, "application/problem+json", body)
	c.Abort()
}

// apiStart marks a request as an API request (so every error of the shared
// helpers — require, fail, notFound — comes as problem+json) and caps its
// body. No session is loaded: cookies never authenticate the API.
func (s *Server) apiStart(c *gin.Context) {
	c.Set(ctxAPI, true)
	if c.Request.ContentLength > apiMaxBody {
		c.Header("Connection", "close")
		s.apiProblem(c, http.StatusRequestEntityTooLarge, s.t(c, "error.too_large"), nil)
		return
	}
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, apiMaxBody)
	}
	c.Next()
}

// apiAuth authenticates the Authorization: Bearer token, refuses a write
// with a read-only token, applies the rate limit and marks every change
// made by the request as "via API token <name>" in the history.
func (s *Server) apiAuth(c *gin.Context) {
	secret, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="keyuan"`)
		s.apiProblem(c, http.StatusUnauthorized, s.t(c, "api.unauthorized"), nil)
		return
	}
	tok, u, err := s.db.AuthenticateAPIToken(c.Request.Context(), strings.TrimSpace(secret))
	if errors.Is(err, models.ErrNotFound) {
		c.Header("WWW-Authenticate", `Bearer realm="keyuan", error="invalid_token"`)
		s.apiProblem(c, http.StatusUnauthorized, s.t(c, "api.unauthorized"), nil)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(ctxUser, u)
	c.Set(ctxActor, s.db.ActorFor(u))
	c.Set(ctxToken, tok)
	lang := u.Lang
	if lang == "" {
		lang = views.MatchLanguage(c.GetHeader("Accept-Language"))
	}
	c.Set(ctxLang, lang)
	if wait := s.apiLimiter.take(tok.ID, s.db.Now()); wait > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		s.apiProblem(c, http.StatusTooManyRequests, s.t(c, "api.rate_limited"), nil)
		return
	}
	if c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead && !tok.Writable {
		s.apiProblem(c, http.StatusForbidden, s.t(c, "api.read_only"), nil)
		return
	}
	c.Request = c.Request.WithContext(models.WithVia(c.Request.Context(), models.ViaAPIToken+tok.Name))
	c.Next()
}

func apiToken(c *gin.Context) *models.APIToken {
	t, _ := c.MustGet(ctxToken).(*models.APIToken)
	return t
}

// rateLimiter is a token bucket per API token: rate requests a second, up
// to burst at once. It reads the application's clock, so tests move it.
type rateLimiter struct {
	rate  float64
	burst float64
	mu    sync.Mutex
	b     map[int64]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(rate float64, burst int) *rateLimiter {
	return &rateLimiter{rate: rate, burst: float64(burst), b: map[int64]*bucket{}}
}

// take spends one request of token id; when none is left it returns how
// long until one is.
func (l *rateLimiter) take(id int64, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.b[id]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.b[id] = b
	}
	if now.After(b.at) {
		b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
		b.at = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// etagOf is a record's strong ETag: a hash of its JSON, so any change of
// any field (however close in time) changes it.
func etagOf(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// ifMatchFails answers 412 when the request's If-Match names another
// version than current's. Without If-Match the write goes ahead (as the
// screens' forms do); a client that wants no lost update sends it.
func (s *Server) ifMatchFails(c *gin.Context, current any) bool {
	im := c.GetHeader("If-Match")
	if im == "" || im == "*" {
		return false
	}
	tag := etagOf(current)
	for _, t := range strings.Split(im, ",") {
		if strings.TrimSpace(t) == tag {
			return false
		}
	}
	c.Header("ETag", tag)
	s.apiProblem(c, http.StatusPreconditionFailed, s.t(c, "api.precondition_failed"), nil)
	return true
}

// apiRecord answers a record with its ETag.
func apiRecord(c *gin.Context, status int, v any) {
	c.Header("ETag", etagOf(v))
	c.JSON(status, v)
}

// readJSON decodes the body into v, refusing unknown fields (a typo must
// not be silently dropped); false after answering 400/413.
func (s *Server) readJSON(c *gin.Context, v any) bool {
	d := json.NewDecoder(c.Request.Body)
	d.DisallowUnknownFields()
	err := d.Decode(v)
	if err == nil && d.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return true
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.apiProblem(c, http.StatusRequestEntityTooLarge, s.t(c, "error.too_large"), nil)
		return false
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("empty body")
	}
	s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_json", err.Error()), nil)
	return false
}

// apiFail is fail for the API: field errors become a 422 problem carrying
// them; the rest goes through the one mapping of fail.
func (s *Server) apiFail(c *gin.Context, err error) {
	var fe models.FieldErrors
	if errors.As(err, &fe) {
		s.apiProblem(c, http.StatusUnprocessableEntity, s.t(c, "api.invalid"), fe)
		return
	}
	s.fail(c, err)
}

// idempotency serialises POSTs of one token with one Idempotency-Key and
// replays the stored first answer to a retry.
type idempotency struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex
}

func (i *idempotency) lock(key string) func() {
	i.mu.Lock()
	if i.locks == nil {
		i.locks = map[string]*sync.Mutex{}
	}
	m := i.locks[key]
	if m == nil {
		m = &sync.Mutex{}
		i.locks[key] = m
	}
	i.mu.Unlock()
	m.Lock()
	return func() {
		m.Unlock()
		i.mu.Lock()
		if i.locks[key] == m && m.TryLock() { // nobody else waits: forget it
			delete(i.locks, key)
			m.Unlock()
		}
		i.mu.Unlock()
	}
}

type captureWriter struct {
	gin.ResponseWriter
	buf bytes.Buffer
}

func (w *captureWriter) Write(b []byte) (int, error) {
	w.buf.Write(b)
	return w.ResponseWriter.Write(b)
}

// apiIdempotent handles Idempotency-Key on a POST: the first successful
// answer is stored per token and key, and a retry gets it back (with
// Idempotent-Replayed: true) instead of a second record. The same key on
// another endpoint is a client error (422).
func (s *Server) apiIdempotent(c *gin.Context) {
	key := c.GetHeader("Idempotency-Key")
	if c.Request.Method != http.MethodPost || key == "" {
		c.Next()
		return
	}
	if len(key) > 200 {
		s.apiProblem(c, http.StatusBadRequest, s.t(c, "api.bad_idempotency_key"), nil)
		return
	}
	tok := apiToken(c)
	ctx := c.Request.Context()
	unlock := s.idem.lock(strconv.FormatInt(tok.ID, 10) + " " + key)
	defer unlock()
	prev, err := s.db.IdempotentResult(ctx, tok.ID, key)
	switch {
	case err == nil:
		if prev.Method != c.Request.Method || prev.Path != c.Request.URL.Path {
			s.apiProblem(c, http.StatusUnprocessableEntity, s.t(c, "api.idempotency_reused"), nil)
			return
		}
		if prev.Location != "" {
			c.Header("Location", prev.Location)
		}
		c.Header("Idempotent-Replayed", "true")
		c.Data(prev.Status, "application/json; charset=utf-8", prev.Body)
		c.Abort()
		return
	case !errors.Is(err, models.ErrNotFound):
		s.fail(c, err)
		return
	}
	w := &captureWriter{ResponseWriter: c.Writer}
	c.Writer = w
	c.Next()
	if st := w.Status(); st >= 200 && st < 300 {
		r := models.IdempotentResult{Method: c.Request.Method, Path: c.Request.URL.Path, Status: st,
			Location: w.Header().Get("Location"), Body: w.buf.Bytes()}
		if err := s.db.SaveIdempotentResult(ctx, tok.ID, key, r); err != nil {
			s.log.Error("store idempotent result", "err", err)
		}
	}
}

// apiPage is a list answer: one page and the cursor of the next (null at
// the end).
type apiPage[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func newAPIPage[T any](rows []T, next models.Cursor) apiPage[T] {
	p := apiPage[T]{Data: rows}
	if p.Data == nil {
		p.Data = []T{}
	}
	if next.ID != 0 {
		s := next.String()
		p.NextCursor = &s
	}
	return p
}

// apiLimit reads ?limit= (1–200, default 50).
func apiLimit(c *gin.Context) (int, bool) {
	v := c.Query("limit")
	if v == "" {
		return 50, true
	}
	n, err := strconv.Atoi(v)
	return n, err == nil && n >= 1 && n <= 200
}

func idOrNil(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func valOr0(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// apiNoRoute makes an unknown address under /api/ a problem+json 404.
func (s *Server) apiNoRoute(c *gin.Context) {
	if strings.HasPrefix(c.Request.URL.Path, "/api/") {
		c.Set(ctxAPI, true)
		s.apiProblem(c, http.StatusNotFound, s.t(c, "error.not_found"), nil)
	}
}

// set copies a field that the request names.
func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// setID copies a nullable id that the request names (null: none).
func setID(dst *int64, v **int64) {
	if v != nil {
		*dst = valOr0(*v)
	}
}
