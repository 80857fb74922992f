package handlers

// Benchmarks of the customer list against 100,000 generated customers, the
// "Speed" targets of issue 2. They run only with -bench, e.g.
//
//	go test ./handlers -run '^$' -bench CustomerList -benchtime 2s -count 10
//
// The data set is generated once per test process (10-20 s) into a temporary
// directory that TestMain removes.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"keyuan/demo"
	"keyuan/models"
	"keyuan/static"
	"keyuan/views"
)

// benchCustomers is the size of the data set the speed targets name.
const benchCustomers = 100_000

// TestMain only exists to remove the benchmark data set, which outlives any
// single benchmark; it does nothing when no benchmark ran.
func TestMain(m *testing.M) {
	code := m.Run()
	if benchData.dir != "" {
		if a := benchData.app; a != nil {
			a.db.Close()
			a.counted.db.Close()
		}
		os.RemoveAll(benchData.dir)
	}
	if teamBench.dir != "" {
		if a := teamBench.app; a != nil {
			a.db.Close()
		}
		os.RemoveAll(teamBench.dir)
	}
	os.Exit(code)
}

// benchApp is the application over the 100k data set, logged in as admin.
type benchApp struct {
	db       *models.DB
	srv      *Server
	handler  http.Handler
	cookie   string // the admin's session cookie, "name=value"
	industry int64  // an industry id, for a category filter

	// counted is the same application on a second handle on the database
	// that logs every statement to log, for counting queries per request.
	counted *benchApp
	log     *statementLog
}

var benchData struct {
	once sync.Once
	dir  string
	app  *benchApp
	err  error
}

// loadBenchApp generates the data set on first use and returns the shared
// application.
func loadBenchApp(b *testing.B) *benchApp {
	b.Helper()
	benchData.once.Do(func() {
		benchData.dir, benchData.err = os.MkdirTemp("", "keyuan-bench-")
		if benchData.err != nil {
			return
		}
		start := time.Now()
		benchData.app, benchData.err = newBenchApp(context.Background(), filepath.Join(benchData.dir, "keyuan.db"))
		if benchData.err == nil {
			b.Logf("generated %d customers in %s", benchCustomers, time.Since(start).Round(time.Millisecond))
		}
	})
	if benchData.err != nil {
		b.Fatal(benchData.err)
	}
	return benchData.app
}

func newBenchApp(ctx context.Context, path string) (*benchApp, error) {
	db, err := models.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	if err := db.SeedDefaults(ctx); err != nil {
		return nil, err
	}
	if _, err := db.EnsureAdmin(ctx, testPassword); err != nil {
		return nil, err
	}
	if err := demo.Generate(ctx, db, demo.Options{Customers: benchCustomers, Sales: 20, Seed: 1}); err != nil {
		return nil, err
	}
	a, err := newLoggedInApp(db)
	if err != nil {
		return nil, err
	}
	industries, err := db.AuxItemsOf(ctx, "industry")
	if err != nil || len(industries) == 0 {
		return nil, fmt.Errorf("no industries: %v", err)
	}
	a.industry = industries[0].ID
	cdb, log, err := openCountingDB(path)
	if err != nil {
		return nil, err
	}
	if a.counted, err = newLoggedInApp(cdb); err != nil {
		return nil, err
	}
	a.log = log
	return a, nil
}

// newLoggedInApp serves db with the admin logged in.
func newLoggedInApp(db *models.DB) (*benchApp, error) {
	srv, err := newServerFor(db)
	if err != nil {
		return nil, err
	}
	h := srv.Handler()
	cookie, err := loginCookie(h, "admin", testPassword)
	if err != nil {
		return nil, err
	}
	return &benchApp{db: db, srv: srv, handler: h, cookie: cookie}, nil
}

// queries serves target on the counting handle and returns how many SQL
// statements the request ran, once the aux-item cache is warm.
func (a *benchApp) queries(target string) int {
	a.counted.get(target)
	a.log.take()
	a.counted.get(target)
	return len(a.log.take())
}

// newServerFor builds the real Server over db, as main does, with logs
// discarded.
func newServerFor(db *models.DB) (*Server, error) {
	assets, err := static.Load()
	if err != nil {
		return nil, err
	}
	cat, err := views.LoadCatalog()
	if err != nil {
		return nil, err
	}
	eng, err := views.New(cat, assets.URL, db.Location())
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return New(Config{BaseURL: "http://example.test", SessionKey: []byte("0123456789abcdef0123456789abcdef"),
		Location: db.Location()}, Deps{DB: db, Views: eng, Assets: assets, Log: log}), nil
}

// loginCookie signs in through the login form and returns the session
// cookie as a Cookie header value.
func loginCookie(h http.Handler, username, password string) (string, error) {
	form := url.Values{"username": {username}, "password": {password}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		return "", fmt.Errorf("login %s: status %d", username, rec.Code)
	}
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("login %s: no session cookie", username)
}

// get serves one GET through the router and returns the recorder.
func (a *benchApp) get(target string) *httptest.ResponseRecorder { return a.getAs(target, a.cookie) }

// getAs serves target to the session of cookie.
func (a *benchApp) getAs(target, cookie string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Header.Set("Cookie", cookie)
	rec := httptest.NewRecorder()
	a.handler.ServeHTTP(rec, req)
	return rec
}

// benchListCases are the lists the targets name: a category filter with a
// sort, 50 rows, on page 1; and page 1,000, which only a list of at least
// 50,000 rows has (a single industry holds about 10,000 of the 100,000), so
// it is the whole customer list sorted by name.
func benchListCases(a *benchApp) []struct{ name, target string } {
	ind := fmt.Sprint(a.industry)
	return []struct{ name, target string }{
		{"industry_by_name_page1", "/customers?industry=" + ind + "&sort=name"},
		{"industry_by_activity_desc_page1", "/customers?industry=" + ind + "&sort=activity&dir=desc"},
		{"all_by_name_page1000", "/customers?sort=name&page=1000"},
	}
}

// BenchmarkCustomerList measures the whole request through the router: the
// session lookup, the user, the list queries, the aux-item cache and the
// rendering of the full page.
func BenchmarkCustomerList(b *testing.B) {
	a := loadBenchApp(b)
	for _, tc := range benchListCases(a) {
		b.Run(tc.name, func(b *testing.B) {
			if rec := a.get(tc.target); rec.Code != http.StatusOK || strings.Count(rec.Body.String(), `name="id"`) != 50 {
				b.Fatalf("%s: status %d, want 200 with 50 rows", tc.target, rec.Code)
			}
			queries := a.queries(tc.target)
			loop(b, func() {
				if rec := a.get(tc.target); rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
			})
			b.ReportMetric(float64(queries), "queries/op") // after the loop, which clears metrics
		})
	}
}

// BenchmarkCustomerListRender renders the same pages from rows already in
// memory, the yardstick of the "at most twice" target: everything the
// handler does once it has the rows, the owners and the aux items (prepare
// the template's data, execute the template), and nothing before.
func BenchmarkCustomerListRender(b *testing.B) {
	a := loadBenchApp(b)
	for _, tc := range benchListCases(a) {
		b.Run(tc.name, func(b *testing.B) {
			render := newMemoryRender(b, a, tc.target)
			loop(b, render)
		})
	}
}

// BenchmarkCustomerListRatio measures the page and its render from memory
// in the same loop, one after the other, and reports both and their ratio.
// On a shared machine whose speed drifts from minute to minute, the two
// separate benchmarks above can run in different weather; here every
// iteration times both back to back.
func BenchmarkCustomerListRatio(b *testing.B) {
	a := loadBenchApp(b)
	for _, tc := range benchListCases(a) {
		b.Run(tc.name, func(b *testing.B) {
			render := newMemoryRender(b, a, tc.target)
			var page, mem time.Duration
			for b.Loop() {
				t0 := time.Now()
				if rec := a.get(tc.target); rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
				}
				t1 := time.Now()
				render()
				page, mem = page+t1.Sub(t0), mem+time.Since(t1)
			}
			b.ReportMetric(float64(page.Nanoseconds())/float64(b.N), "page-ns/op")
			b.ReportMetric(float64(mem.Nanoseconds())/float64(b.N), "render-ns/op")
			b.ReportMetric(float64(page)/float64(mem), "page/render")
		})
	}
}

// newMemoryRender loads the page's rows, owners and aux items once and
// returns a function that renders the page from them, as the handler does.
func newMemoryRender(b *testing.B, a *benchApp, target string) func() {
	b.Helper()
	ctx := context.Background()
	admin, err := a.db.UserByID(ctx, 1)
	if err != nil {
		b.Fatal(err)
	}
	owners, err := a.db.ActiveUsersByRole(ctx, models.RoleSales, models.RoleManager, models.RoleAdmin)
	if err != nil {
		b.Fatal(err)
	}
	aux, err := a.db.AuxLookupFor(ctx, "zh")
	if err != nil {
		b.Fatal(err)
	}
	k := customerKinds["customer"]
	u, err := url.Parse(target)
	if err != nil {
		b.Fatal(err)
	}
	f := customerFilterFrom(u.Query(), k.kind)
	res, err := a.db.ListCustomers(ctx, a.db.ActorFor(admin), f)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Rows) != 50 {
		b.Fatalf("%s: %d rows, want 50", target, len(res.Rows))
	}
	tr := func(key string) string { return key }
	return func() {
		p := &page{Lang: "zh", User: admin, Title: "客户信息", Nav: k.nav, Path: u.Path, Query: u.Query(), Aux: aux}
		p.Data = newCustomerListData(k, f, res, p.Query, aux, owners, true, tr)
		rec := httptest.NewRecorder()
		if err := a.srv.views.Render(rec, p.Lang, "customers/list", "layout", p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStaticLogo is the trivial handler of the load target, through the
// same router.
func BenchmarkStaticLogo(b *testing.B) {
	a := loadBenchApp(b)
	loop(b, func() {
		if rec := a.get("/static/logo.svg"); rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	})
}

// cpuTime is the CPU time the process has used, user and system. Per
// operation it shows the cost of a request even on a busy machine, where
// wall time (ns/op) also counts the time other processes had the CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loop runs op as the benchmark's loop and reports its CPU time per op.
func loop(b *testing.B, op func()) {
	b.ReportAllocs()
	start := cpuTime()
	n := 0
	for b.Loop() {
		op()
		n++
	}
	b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(n), "cpu-ns/op")
}
