package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"keyuan/demo"
	"keyuan/models"
	"keyuan/static"
	"keyuan/views"
)

// Benchmarks of the activity screens on the large data set: 100,000
// customers, 20 salespeople, 1,000,000 activity records and 50,000 plans
// (`keyuan gen --customers 100000 --activities 1000000 --plans 50000`).
// The database is built on first use (about two minutes) and kept at
// $KEYUAN_BENCH_DATA (default: keyuan-bench-activities in the temp folder);
// the write benchmarks delete what they added when they end.
//
//	go test ./handlers -run '^$' -bench Activities -benchtime 200x
//
// Every request goes through the whole router (session, role checks,
// query, template) into a recorder; each reports its median and 95th
// percentile as ms/p50 and ms/p95.

var benchOnce struct {
	sync.Once
	db  *models.DB
	err error
}

func benchDataDir() string {
	if d := os.Getenv("KEYUAN_BENCH_DATA"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "keyuan-bench-activities")
}

func benchDB(b *testing.B) *models.DB {
	b.Helper()
	benchOnce.Do(func() {
		ctx := context.Background()
		path := filepath.Join(benchDataDir(), "keyuan.db")
		_, statErr := os.Stat(path)
		db, err := models.Open(ctx, path)
		if err != nil {
			benchOnce.err = err
			return
		}
		db.Loc, _ = time.LoadLocation("Asia/Shanghai")
		if errors.Is(statErr, os.ErrNotExist) {
			b.Logf("generating the benchmark data set in %s (once, about two minutes)", path)
			if _, err := db.EnsureAdmin(ctx, testPassword); err != nil {
				benchOnce.err = err
				return
			}
			benchOnce.err = demo.Generate(ctx, db, demo.Options{Customers: 100_000, Sales: 20, Seed: 1,
				Activities: 1_000_000, Plans: 50_000})
		}
		benchOnce.db = db
	})
	if benchOnce.err != nil {
		b.Fatal(benchOnce.err)
	}
	return benchOnce.db
}

// benchServer is the application over the benchmark database.
func benchServer(b *testing.B) (*models.DB, http.Handler) {
	b.Helper()
	db := benchDB(b)
	assets, err := static.Load()
	if err != nil {
		b.Fatal(err)
	}
	cat, err := views.LoadCatalog()
	if err != nil {
		b.Fatal(err)
	}
	eng, err := views.New(cat, assets.URL, db.Location())
	if err != nil {
		b.Fatal(err)
	}
	srv := New(Config{BaseURL: "http://example.test", SessionKey: []byte("0123456789abcdef0123456789abcdef"),
		Location: db.Location(), LoginLimit: 1000, LoginWindow: time.Minute},
		Deps{DB: db, Views: eng, Assets: assets, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	return db, srv.Handler()
}

// benchLogin signs in (creating a manager account when asked for one) and
// returns the session cookie.
func benchLogin(b *testing.B, db *models.DB, h http.Handler, username string) *http.Cookie {
	b.Helper()
	ctx := context.Background()
	pw := "keyuan-demo"
	if username == "bench-manager" {
		pw = testPassword
		if _, err := db.CreateUser(ctx, 0, models.NewUser{Username: username, DisplayName: "基准主管", Role: models.RoleManager,
			Password: pw}); err != nil && !errors.Is(err, models.ErrConflict) {
			b.Fatal(err)
		}
	}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(url.Values{"username": {username}, "password": {pw}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie {
			return c
		}
	}
	b.Fatalf("login %s: %d", username, rec.Code)
	return nil
}

func userID(b *testing.B, db *models.DB, username string) int64 {
	b.Helper()
	var id int64
	if err := db.Read.QueryRow(`SELECT id FROM users WHERE username = ?`, username).Scan(&id); err != nil {
		b.Fatal(err)
	}
	return id
}

// keepSize deletes, when the benchmark ends, the records and plans it
// added, so repeated runs measure the same data set.
func keepSize(b *testing.B, db *models.DB) {
	b.Helper()
	var maxActivity, maxPlan, maxAudit int64
	if err := db.Read.QueryRow(`SELECT (SELECT COALESCE(MAX(id), 0) FROM activities), (SELECT COALESCE(MAX(id), 0) FROM plans),
		(SELECT COALESCE(MAX(id), 0) FROM audit_log)`).Scan(&maxActivity, &maxPlan, &maxAudit); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		for _, q := range []string{`DELETE FROM plans WHERE id > ?2`, `DELETE FROM activities WHERE id > ?1`, `DELETE FROM audit_log WHERE id > ?3`} {
			if _, err := db.Write.Exec(q, maxActivity, maxPlan, maxAudit); err != nil {
				b.Error(err)
			}
		}
	})
}

// timed runs one request per iteration and reports the percentiles.
func timed(b *testing.B, h http.Handler, want int, newReq func(i int) *http.Request) {
	b.Helper()
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req := newReq(i)
		rec := httptest.NewRecorder()
		start := time.Now()
		h.ServeHTTP(rec, req)
		durations = append(durations, time.Since(start))
		if rec.Code != want {
			b.Fatalf("status %d, want %d: %.300s", rec.Code, want, rec.Body.String())
		}
	}
	b.StopTimer()
	sort.Slice(durations, func(i, j int) bool { return durations[i] < durations[j] })
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(durations[len(durations)/2]), "ms/p50")
	b.ReportMetric(ms(durations[len(durations)*95/100]), "ms/p95")
}

func get(path string, cookie *http.Cookie, headers ...string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.AddCookie(cookie)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return req
}

func BenchmarkActivitiesCalendarMonthOneSalesperson(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	timed(b, h, 200, func(int) *http.Request { return get("/calendar?view=month&date=2026-05-15", cookie) })
}

func BenchmarkActivitiesCalendarMonthFragment(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	timed(b, h, 200, func(int) *http.Request {
		return get("/calendar?view=month&date=2026-05-15", cookie, "HX-Request", "true", "HX-Target", "calendar")
	})
}

func BenchmarkActivitiesCalendarTeamWeek(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "bench-manager")
	timed(b, h, 200, func(int) *http.Request { return get("/calendar?view=week&date=2026-05-13&who=team", cookie) })
}

func BenchmarkActivitiesCalendarTeamMonth(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "bench-manager")
	timed(b, h, 200, func(int) *http.Request { return get("/calendar?view=month&date=2026-05-13&who=team", cookie) })
}

func BenchmarkActivitiesCalendarYearOneSalesperson(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	timed(b, h, 200, func(int) *http.Request { return get("/calendar?view=year&date=2026-05-13", cookie) })
}

func BenchmarkActivitiesListFirstPage(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	timed(b, h, 200, func(int) *http.Request { return get("/activities?from=2026-05-01&to=2026-05-31", cookie) })
}

// BenchmarkActivitiesListAllManager is the activity list with no filter as a
// manager: a million records, whose total came from COUNT(*) before
// migration 0015 and now from activity_counts.
func BenchmarkActivitiesListAllManager(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "bench-manager")
	timed(b, h, 200, func(int) *http.Request { return get("/activities", cookie) })
}

// BenchmarkActivitiesListAllSalesperson is the same for one salesperson
// (about 50,000 records).
func BenchmarkActivitiesListAllSalesperson(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	timed(b, h, 200, func(int) *http.Request { return get("/activities", cookie) })
}

// BenchmarkHomeSalesperson, …Manager and …Service are the start pages of
// the three roles (issue 19), to hold against the customer list page.
func BenchmarkHomeSalesperson(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	timed(b, h, 200, func(int) *http.Request { return get("/", cookie) })
}

func BenchmarkHomeManager(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "bench-manager")
	timed(b, h, 200, func(int) *http.Request { return get("/", cookie) })
}

// BenchmarkHomeSalespersonDataEnd and …ManagerDataEnd are the start pages
// on the last day of the generated records (2026-06-30), where the team's
// week is full of records and most open plans are still to come, rather
// than months after them, where every open plan is overdue.
func BenchmarkHomeSalespersonDataEnd(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	benchAtDataEnd(b, db)
	timed(b, h, 200, func(int) *http.Request { return get("/", cookie) })
}

func BenchmarkHomeManagerDataEnd(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "bench-manager")
	benchAtDataEnd(b, db)
	timed(b, h, 200, func(int) *http.Request { return get("/", cookie) })
}

// benchAtDataEnd moves the shared database's clock to 2026-06-30 10:00 for
// one benchmark.
func benchAtDataEnd(b *testing.B, db *models.DB) {
	at := time.Date(2026, 6, 30, 10, 0, 0, 0, db.Location())
	db.SetClock(func() time.Time { return at })
	b.Cleanup(func() { db.SetClock(nil) })
}

func BenchmarkHomeCustomerListSalesperson(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	timed(b, h, 200, func(int) *http.Request { return get("/customers", cookie) })
}

func BenchmarkHomeCustomerListManager(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "bench-manager")
	timed(b, h, 200, func(int) *http.Request { return get("/customers", cookie) })
}

// BenchmarkActivitiesSave posts the activity form: validation, the record,
// its number, write-back to the customer, the next-activity plan (with its
// number) and the history, then the redirect.
func BenchmarkActivitiesSave(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "zhangwei")
	keepSize(b, db)
	owner := userID(b, db, "zhangwei")
	var customer, contact int64
	if err := db.Read.QueryRow(`SELECT c.id, k.id FROM customers c JOIN contacts k ON k.customer_id = c.id
		WHERE c.owner_id = ? AND c.status = 'active' ORDER BY c.id LIMIT 1`, owner).Scan(&customer, &contact); err != nil {
		b.Fatal(err)
	}
	methods, _ := db.AuxItemsOf(context.Background(), "activity_method")
	stages, _ := db.AuxItemsOf(context.Background(), "sales_stage")
	// Today: a date the form accepts, after every generated record, so the
	// write-back always happens.
	today := time.Now().In(db.Location())
	form := url.Values{"date": {today.Format("2006-01-02")}, "start_time": {"09:00"}, "end_time": {"10:00"},
		"customer": {strconv.FormatInt(customer, 10)}, "contact": {strconv.FormatInt(contact, 10)},
		"method": {strconv.FormatInt(methods[0].ID, 10)}, "stage": {strconv.FormatInt(stages[2].ID, 10)},
		"subject": {"上门拜访，介绍新产品"}, "content": {"客户对新产品很感兴趣，要求下周提供详细方案。"},
		"next_subject": {"送报价单"}, "next_date": {today.AddDate(0, 0, 7).Format("2006-01-02")}, "next_time": {"10:00"}}.Encode()
	timed(b, h, http.StatusSeeOther, func(int) *http.Request {
		req := httptest.NewRequest(http.MethodPost, "/activities", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie)
		return req
	})
}

// BenchmarkActivitiesBatchPlanByFilter confirms a batch for every customer
// of one industry (about 10,000 of the 100,000), as a manager would from
// the customer list with "all that match the filter".
func BenchmarkActivitiesBatchPlanByFilter(b *testing.B) {
	db, h := benchServer(b)
	cookie := benchLogin(b, db, h, "bench-manager")
	keepSize(b, db)
	industries, _ := db.AuxItemsOf(context.Background(), "industry")
	filter := "industry=" + strconv.FormatInt(industries[0].ID, 10)
	var n int
	if err := db.Read.QueryRow(`SELECT COUNT(*) FROM customers WHERE kind = 'customer' AND industry_id = ?`, industries[0].ID).Scan(&n); err != nil {
		b.Fatal(err)
	}
	defer b.ReportMetric(float64(n), "customers") // after timed, whose ResetTimer clears metrics
	timed(b, h, http.StatusSeeOther, func(i int) *http.Request {
		start := time.Date(2032, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, i, 0)
		form := url.Values{"kind": {"customer"}, "all": {"1"}, "filter": {filter}, "from": {start.Format("2006-01-02")},
			"to": {start.AddDate(0, 0, 27).Format("2006-01-02")}, "max_per_day": {"600"}, "skip_weekends": {"1"},
			"subject": {"新品发布会邀请"}, "remind": {"60"}, "time": {"10:00"}, "step": {"confirm"}}.Encode()
		req := httptest.NewRequest(http.MethodPost, "/plans/batch", strings.NewReader(form))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(cookie)
		return req
	})
}
