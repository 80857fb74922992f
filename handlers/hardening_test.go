package handlers

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// countingReader counts what the server read of a request body.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// TestMultipartBodySkipsLimit is the hole: a multipart body was read and
// spooled to disk whatever its size, even by the anonymous POST /login. Now
// one limit holds for every body: a 100 MB multipart login is refused with
// 413 having read (almost) nothing of it.
func TestMultipartBodySkipsLimit(t *testing.T) {
	app := newTestApp(t)
	var head bytes.Buffer
	mw := multipart.NewWriter(&head)
	mw.WriteField("username", "admin")
	fw, _ := mw.CreateFormFile("junk", "junk.bin")
	fw.Write([]byte("x"))
	body := &countingReader{r: io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(zeros{}, 100<<20))}
	req, err := http.NewRequest(http.MethodPost, app.ts.URL+"/login", body)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(head.Len()) + 100<<20
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("status %d, want 413", res.StatusCode)
	}
	if body.n > 8<<20 {
		t.Errorf("the server read %d MB of the body", body.n>>20)
	}
	// Without a declared length it is cut off while reading.
	c := app.login("admin")
	req, _ = http.NewRequest(http.MethodPost, app.ts.URL+"/profile/lang", io.MultiReader(bytes.NewReader(head.Bytes()), io.LimitReader(zeros{}, 10<<20)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if res := c.do(req); res.StatusCode != http.StatusRequestEntityTooLarge && res.StatusCode != http.StatusBadRequest {
		t.Errorf("chunked multipart: status %d", res.StatusCode)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestQueryStringEchoedIntoLinks: a 905 KB query string was echoed into every
// link of a list; now a query over 128 KB is refused.
func TestQueryStringEchoedIntoLinks(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	res := c.get("/customers?q=" + strings.Repeat("a", 905<<10))
	if res.StatusCode != http.StatusRequestURITooLong || len(res.Body) > 100<<10 {
		t.Errorf("status %d, %d bytes", res.StatusCode, len(res.Body))
	}
}

// TestAuthenticatedPagesNotCached and the cross-origin refusal carries the
// same security headers as every other response.
func TestAuthenticatedPagesNotCachedAndHeadersEverywhere(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	for _, path := range []string{"/", "/customers", "/notifications/count"} {
		if res := c.get(path); res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, res.Header.Get("Cache-Control"))
		}
	}
	req, _ := http.NewRequest(http.MethodPost, app.ts.URL+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	res := c.do(req)
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site POST: %d", res.StatusCode)
	}
	for _, h := range []string{"Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy"} {
		if res.Header.Get(h) == "" {
			t.Errorf("the cross-origin 403 lacks %s", h)
		}
	}
}

// TestLoginAgainEndsOldSession: a new login in a browser ends the session
// the browser had before, on the server: its cookie no longer works.
func TestLoginAgainEndsOldSession(t *testing.T) {
	app := newTestApp(t)
	app.addUser("lina", "sales")
	c := app.login("admin")
	var old string
	app.db.Read.QueryRow(`SELECT id FROM sessions ORDER BY rowid DESC LIMIT 1`).Scan(&old)
	u, _ := url.Parse(app.ts.URL)
	cookies := c.http.Jar.Cookies(u)
	res := c.post("/login", url.Values{"username": {"lina"}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("second login: %d", res.StatusCode)
	}
	var n int
	app.db.Read.QueryRow(`SELECT COUNT(*) FROM sessions WHERE id = ?`, old).Scan(&n)
	if n != 0 || old == "" {
		t.Fatalf("the old session %q is still on the server", old)
	}
	// The old cookie, replayed, is no login.
	stale := app.anon()
	stale.http.Jar.SetCookies(u, cookies)
	if res := stale.get("/"); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the old cookie still works: %d", res.StatusCode)
	}
}
