package handlers

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"南京蓝海科技":               "南京蓝海科技",
		"tab\tand\nline":       "tab\tand\nline",
		"crlf\r\nline\rold":    "crlf\nline\nold",
		"nul\x00byte":          "nulbyte",
		"esc\x1b[31mred":       "esc[31mred",
		"bad\xff\xfeutf8":      "badutf8",
		"c1\u0085\u009fend":    "c1end",
		"del\x7f":              "del",
		"\ufffd kept as typed": "\ufffd kept as typed",
	} {
		if got := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
		if got := cleanText(want); got != want {
			t.Errorf("clean text %q changed to %q", want, got)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	for _, s := range []string{"", "abc", "\x00", "\xff", "\r\n", "南京\u0085"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := cleanText(s)
		if !utf8.ValidString(c) || !isCleanText(c) || cleanText(c) != c || strings.ContainsRune(c, 0) || strings.Contains(c, "\r") {
			t.Fatalf("cleanText(%q) = %q is not clean", s, c)
		}
	})
}

// TestDirtyInputIsStoredClean: NUL, control characters and invalid UTF-8
// sent in a form are dropped before anything is stored, on every route (the
// cleaning is one middleware), and the CSV export is valid UTF-8 without NUL.
func TestDirtyInputIsStoredClean(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	dirty := "脏\x00数据\x1b[0m\xff\xfe有限公司"
	form := url.Values{"name": {dirty}, "notes": {"第一行\r\n第二行\x07"}, "status": {"active"}, "owner": {"1"}}
	res := c.post("/customers", form)
	if res.StatusCode != 303 {
		t.Fatalf("create: %d: %s", res.StatusCode, res.Body)
	}
	cu := customerByName(t, app.db, "customer", "脏数据[0m有限公司")
	if cu.Notes != "第一行\n第二行" {
		t.Errorf("notes %q", cu.Notes)
	}
	export := c.get("/customers/export.csv").Body
	if !utf8.ValidString(export) || strings.ContainsRune(export, 0) || strings.Contains(export, "\x1b") {
		t.Errorf("the export is not clean text")
	}
	// A dirty query is cleaned too, and never an error.
	if res := c.get("/customers?q=" + url.QueryEscape("脏\x00\xff")); res.StatusCode != 200 {
		t.Errorf("dirty query: %d", res.StatusCode)
	}
}

// TestSelectValueNotANumber: industry=bogus is refused like an unknown id
// (it used to clear the field silently).
func TestSelectValueNotANumber(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	for _, v := range []string{"bogus", "-5", "99999", "1 OR 1=1"} {
		form := url.Values{"name": {"选择值测试" + v}, "industry": {v}, "status": {"active"}, "owner": {"1"}}
		if res := c.post("/customers", form); res.StatusCode != 422 {
			t.Errorf("industry=%q: status %d, want 422", v, res.StatusCode)
		}
	}
}

// TestBatchRedirectBounded: the batch action's way back to the list never
// carries an unbounded filter into the Location header.
func TestBatchRedirectBounded(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	long := "q=" + strings.Repeat("长", 40_000)
	res := c.post("/customers/batch", url.Values{"action": {"owner"}, "filter": {long}, "new_owner": {"1"}})
	if loc := res.Header.Get("Location"); len(loc) > 4096 {
		t.Errorf("Location of %d bytes", len(loc))
	}
	if res.StatusCode >= 500 {
		t.Errorf("status %d", res.StatusCode)
	}
}

// BenchmarkCleanForm cleans a customer form of clean Chinese text, the
// common case on every POST.
func BenchmarkCleanForm(b *testing.B) {
	form := url.Values{"name": {"南京蓝海科技有限公司"}, "short_name": {"蓝海"}, "address": {"南京市鼓楼区中山路 100 号 12 楼"},
		"phone": {"025-88886666"}, "email": {"info@lanhai.example.cn"}, "website": {"https://lanhai.example.cn"},
		"notes": {strings.Repeat("年底回访，重点跟进新产品的报价与交付。\n", 10)}, "industry": {"3"}, "grade": {"2"}, "owner": {"5"}}
	b.ReportAllocs()
	for b.Loop() {
		cleanValues(form)
	}
}
