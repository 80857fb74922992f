package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyuan/jobs"
	"keyuan/models"
	"keyuan/search"
)

// testApp is the real application, built by NewApp exactly as main.go
// builds it, on a fresh SQLite file, served by an httptest server. Its
// background work is not started: tests call sync and run jobs themselves.
type testApp struct {
	t        testing.TB
	app      *App
	db       *models.DB
	srv      *Server
	ts       *httptest.Server
	importer *jobs.Importer
	outbox   *jobs.Outbox
	mail     *jobs.MailSettings
	index    *search.Service // a real Bleve index; its worker does not run, tests call sync
}

func init() { models.SetBcryptCostForTests() }

const testPassword = "keyuan-test-pw-2026"

func newTestApp(t *testing.T) *testApp {
	t.Helper()
	return newTestAppWith(t, Config{})
}

// newTestAppWith is newTestApp for any test kind (fuzz targets too), with
// settings that override the defaults (zero fields keep them).
func newTestAppWith(t testing.TB, override Config) *testApp {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Loc, _ = time.LoadLocation("Asia/Shanghai")
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureAdmin(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testLogWriter(), nil))
	cfg := Config{BaseURL: "http://example.test", DataDir: t.TempDir(), SessionKey: []byte("0123456789abcdef0123456789abcdef"),
		Location: db.Location(), LoginLimit: override.LoginLimit, LoginWindow: override.LoginWindow,
		TrustedProxies: override.TrustedProxies, APIRate: override.APIRate, APIBurst: override.APIBurst}
	app, err := NewApp(ctx, db, AppConfig{Web: cfg, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close(context.Background()) })
	if err := app.Index.RebuildNow(ctx, app.Index.NeedsRebuild()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(app.Server.Handler())
	t.Cleanup(ts.Close)
	return &testApp{t: t, app: app, db: db, srv: app.Server, ts: ts, importer: app.Importer, outbox: app.Outbox, mail: app.Mail,
		index: app.Index}
}

// sync applies the index queue now, as the worker would shortly.
func (a *testApp) sync() {
	a.t.Helper()
	if err := a.index.Sync(context.Background()); err != nil {
		a.t.Fatal(err)
	}
}

// addUser creates an active user with testPassword and returns its id.
func (a *testApp) addUser(username string, role models.Role) int64 {
	a.t.Helper()
	id, err := a.db.CreateUser(context.Background(), 0, models.NewUser{Username: username, DisplayName: username,
		Role: role, Password: testPassword})
	if err != nil {
		a.t.Fatal(err)
	}
	return id
}

// client is a logged-in browser-like HTTP client (cookie jar, no redirects
// followed, so tests see each status).
type client struct {
	t    testing.TB
	app  *testApp
	http *http.Client
}

func (a *testApp) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: a.t, app: a, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// login signs in as username and fails the test when that does not work.
func (a *testApp) login(username string) *client {
	a.t.Helper()
	c := a.anon()
	res := c.post("/login", url.Values{"username": {username}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		a.t.Fatalf("login %s: status %d", username, res.StatusCode)
	}
	return c
}

// response is a finished request with its body read.
type response struct {
	*http.Response
	Body string
}

func (c *client) do(req *http.Request) *response {
	c.t.Helper()
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return &response{Response: res, Body: string(b)}
}

func (c *client) get(path string, headers ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.app.ts.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values, headers ...string) *response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.app.ts.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return c.do(req)
}

// testLogWriter discards the server's log unless KEYUAN_TEST_LOG is set.
func testLogWriter() io.Writer {
	if os.Getenv("KEYUAN_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}

// overlay is a copy of form with the values of set laid over it.
func overlay(form, set url.Values) url.Values {
	out := url.Values{}
	for k, v := range form {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	return out
}

// postRefused posts form to path and checks that the rules refuse it the
// way a person needs: 422, msg (or its start) next to field, every string
// of kept (what was typed) still in the form, and nothing saved. Headers
// are sent with the post (an htmx request, say).
func (c *client) postRefused(t *testing.T, path string, form url.Values, field, msg string, kept []string,
	headers ...string) *response {
	t.Helper()
	before := c.app.snapshot()
	res := c.post(path, form, headers...)
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d, want 422", res.StatusCode)
	}
	if !strings.Contains(res.Body, fieldError(field, msg)) {
		t.Errorf("no %q error next to %s", msg, field)
	}
	for _, k := range kept {
		if !strings.Contains(res.Body, k) {
			t.Errorf("the form lost what was typed: %s", k)
		}
	}
	if after := c.app.snapshot(); after != before {
		t.Errorf("an invalid form saved something:\n%s", diffLines(before, after))
	}
	return res
}
