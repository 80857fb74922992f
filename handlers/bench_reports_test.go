package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyuan/demo"
	"keyuan/models"
	"keyuan/static"
	"keyuan/views"
)

// Benchmarks of the reports on the large data set: 100,000 customers, 20
// salespeople, 1,000,000 activity records, 50,000 plans, 20,000
// opportunities, 50,000 issues and 300 campaigns with 15,000 targets. The
// database is built on first use (a few minutes) and kept at
// $KEYUAN_BENCH_REPORTS (default: keyuan-bench-reports in the temp folder).
//
//	go test ./handlers -run '^$' -bench Report -benchtime 20x
//
// Every request goes through the whole router (session, report users, row
// rules, query, chart, template) into a recorder and reports its median and
// 95th percentile (ms/p50, ms/p95). The period is one year: 2025-07-01 to
// 2026-06-30, the last year of the generated history.

const benchYear = "period=custom&from=2025-07-01&to=2026-06-30"

var repBench struct {
	sync.Once
	db  *models.DB
	h   http.Handler
	err error
}

func repBenchDir() string {
	if d := os.Getenv("KEYUAN_BENCH_REPORTS"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "keyuan-bench-reports")
}

func repBenchApp(b *testing.B) (*models.DB, http.Handler) {
	b.Helper()
	repBench.Do(func() {
		ctx := context.Background()
		path := filepath.Join(repBenchDir(), "keyuan.db")
		_, statErr := os.Stat(path)
		db, err := models.Open(ctx, path)
		if err != nil {
			repBench.err = err
			return
		}
		db.Loc, _ = time.LoadLocation("Asia/Shanghai")
		if errors.Is(statErr, os.ErrNotExist) {
			b.Logf("generating the report benchmark data set in %s (once, a few minutes)", path)
			if repBench.err = generateReportBench(ctx, db); repBench.err != nil {
				return
			}
		}
		if repBench.err = addBenchCampaigns(ctx, db); repBench.err != nil {
			return
		}
		assets, err := static.Load()
		if err != nil {
			repBench.err = err
			return
		}
		cat, err := views.LoadCatalog()
		if err != nil {
			repBench.err = err
			return
		}
		eng, err := views.New(cat, assets.URL, db.Location())
		if err != nil {
			repBench.err = err
			return
		}
		srv := New(Config{BaseURL: "http://example.test", SessionKey: []byte("0123456789abcdef0123456789abcdef"),
			Location: db.Location(), LoginLimit: 1000, LoginWindow: time.Minute},
			Deps{DB: db, Views: eng, Assets: assets, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		repBench.db, repBench.h = db, srv.Handler()
	})
	if repBench.err != nil {
		b.Fatal(repBench.err)
	}
	return repBench.db, repBench.h
}

func generateReportBench(ctx context.Context, db *models.DB) error {
	if _, err := db.EnsureAdmin(ctx, testPassword); err != nil {
		return err
	}
	return demo.Generate(ctx, db, demo.Options{Customers: 100_000, Sales: 20, Seed: 1, Activities: 1_000_000,
		Plans: 50_000, Opportunities: 20_000, Issues: 50_000})
}

// addBenchCampaigns adds, once, what gen does not make: 300 campaigns over
// the three years, owned by the salespeople in turn, 50 targets each.
func addBenchCampaigns(ctx context.Context, db *models.DB) error {
	var n int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM campaigns WHERE code LIKE 'SCB%'`).Scan(&n); err != nil || n > 0 {
		return err
	}
	var sales []int64
	rows, err := db.Read.QueryContext(ctx, `SELECT id FROM users WHERE role = 'sales' ORDER BY id`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		sales = append(sales, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i := 1; i <= 300; i++ {
		if _, err := db.Write.ExecContext(ctx, `INSERT INTO campaigns (code, name, start_date, end_date, budget, actual_cost, owner_id,
			status, created_at, updated_at) VALUES (?, ?, date('2023-07-01', ?), date('2023-07-01', ?), ?, ?, ?, 'done',
			'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')`, fmt.Sprintf("SCB%d", i), fmt.Sprintf("活动 %d", i),
			fmt.Sprintf("+%d days", i*3), fmt.Sprintf("+%d days", i*3+1), 100000*(i%50+1), 80000*(i%40+1), sales[i%len(sales)]); err != nil {
			return err
		}
	}
	_, err = db.Write.ExecContext(ctx, `INSERT INTO campaign_targets (campaign_id, customer_id, name, notified, attended, head_count,
			feedback, created_at, updated_at)
		SELECT m.id, c.id, c.name, (c.id % 4) <> 0, (c.id % 3) = 0, 1 + c.id % 3, CASE WHEN c.id % 5 = 0 THEN '有兴趣' ELSE '' END,
			'2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'
		FROM campaigns m JOIN customers c ON c.id BETWEEN m.id * 300 AND m.id * 300 + 49 WHERE m.code LIKE 'SCB%'`)
	return err
}

// repBenchUser signs in as username (bench-manager is created as a
// manager; generated salespeople have the password keyuan-demo).
func repBenchUser(b *testing.B, db *models.DB, h http.Handler, username string) *http.Cookie {
	b.Helper()
	return benchLogin(b, db, h, username)
}

// BenchmarkReportBuiltin runs every built-in analysis over one year as a
// manager (everyone's records) and the activity analyses as a salesperson.
func BenchmarkReportBuiltin(b *testing.B) {
	db, h := repBenchApp(b)
	manager := repBenchUser(b, db, h, "bench-manager")
	sales := repBenchUser(b, db, h, "zhangwei")
	for _, key := range models.BuiltinKeys() {
		id, err := db.BuiltinReportID(context.Background(), key)
		if err != nil {
			b.Fatal(err)
		}
		path := fmt.Sprintf("/reports/%d?%s", id, benchYear)
		b.Run(key, func(b *testing.B) {
			timed(b, h, http.StatusOK, func(int) *http.Request { return get(path, manager) })
		})
		if key == "activities_by_salesperson" || key == "activities_by_customer" || key == "plan_completion" {
			b.Run(key+"/salesperson", func(b *testing.B) {
				timed(b, h, http.StatusOK, func(int) *http.Request { return get(path, sales) })
			})
		}
	}
}

// benchReport saves (once) a user-defined report for the benchmarks.
func benchReport(b *testing.B, db *models.DB, name string, def models.ReportDef) int64 {
	b.Helper()
	ctx := context.Background()
	var id int64
	err := db.Read.QueryRowContext(ctx, `SELECT id FROM reports WHERE name = ?`, name).Scan(&id)
	if err == nil {
		return id
	}
	r := &models.Report{Name: name, Category: "基准", Definition: def}
	if err := db.SaveReport(ctx, models.Actor{ID: 1, Role: models.RoleAdmin}, r); err != nil {
		b.Fatal(err)
	}
	if err := db.SetReportUsers(ctx, models.Actor{ID: 1, Role: models.RoleAdmin}, r.ID, []models.Role{models.RoleManager, models.RoleSales}, nil); err != nil {
		b.Fatal(err)
	}
	return r.ID
}

// BenchmarkReportCustomJoinGroup: a year of activity records joined to
// their customers and grouped by the customer's industry (a user-defined
// report with one join and a group-by), as a manager and as a salesperson.
func BenchmarkReportCustomJoinGroup(b *testing.B) {
	db, h := repBenchApp(b)
	id := benchReport(b, db, "基准：行业活动", models.ReportDef{Source: "activities", Joins: []string{"customer"},
		Filters: []models.ReportFilter{{Field: "date", Op: "between", Value: "2025-07-01", Value2: "2026-06-30"}},
		GroupBy: []models.ReportGroup{{Field: "customer.industry"}}, Aggregates: []models.ReportAgg{{Func: "count"}}, Chart: "bar"})
	path := fmt.Sprintf("/reports/%d", id)
	for _, who := range []string{"bench-manager", "zhangwei"} {
		cookie := repBenchUser(b, db, h, who)
		b.Run(who, func(b *testing.B) {
			timed(b, h, http.StatusOK, func(int) *http.Request { return get(path, cookie) })
		})
	}
}

// discard is a ResponseWriter that counts the body and keeps none of it,
// so the memory measured is the server's, not the recorder's.
type discard struct {
	header http.Header
	status int
	n      int64
}

func (d *discard) Header() http.Header         { return d.header }
func (d *discard) WriteHeader(status int)      { d.status = status }
func (d *discard) Write(p []byte) (int, error) { d.n += int64(len(p)); return len(p), nil }

// BenchmarkReportExport downloads every customer (100,000 rows, six
// columns, one of them through a join) as XLSX and as CSV. It reports the
// size and the peak heap while the download runs, sampled every 5 ms: the
// writer streams, so the peak stays far below the file's size in cells.
func BenchmarkReportExport(b *testing.B) {
	db, h := repBenchApp(b)
	cookie := repBenchUser(b, db, h, "bench-manager")
	customers := models.ReportDef{Source: "customers", Joins: []string{"owner"},
		Columns: []string{"code", "name", "industry", "grade", "phone", "owner.name"}}
	// A year of activity records (333,157 rows): no limit, a date filter.
	activities := models.ReportDef{Source: "activities", Joins: []string{"customer", "owner"},
		Columns: []string{"code", "date", "subject", "method", "customer.name", "owner.name"},
		Filters: []models.ReportFilter{{Field: "date", Op: "between", Value: "2025-07-01", Value2: "2026-06-30"}}}
	for _, tc := range []struct {
		format string
		rows   int
		def    models.ReportDef
	}{{"xlsx", 100_000, customers}, {"csv", 100_000, customers}, {"xlsx", 25_000, customers}, {"xlsx", 50_000, customers},
		{"xlsx", 333_157, activities}} {
		if tc.def.Source == "customers" {
			tc.def.Limit = tc.rows
		}
		id := benchReport(b, db, fmt.Sprintf("基准：%s %d", tc.def.Source, tc.rows), tc.def)
		path := fmt.Sprintf("/reports/%d/export.%s", id, tc.format)
		b.Run(fmt.Sprintf("%s/%d", tc.format, tc.rows), func(b *testing.B) {
			runtime.GC()
			var base runtime.MemStats
			runtime.ReadMemStats(&base)
			var peak atomic.Uint64
			stop := make(chan struct{})
			done := make(chan struct{})
			go func() {
				defer close(done)
				var m runtime.MemStats
				for {
					select {
					case <-stop:
						return
					case <-time.After(5 * time.Millisecond):
					}
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
				}
			}()
			var size int64
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				w := &discard{header: http.Header{}, status: 200}
				h.ServeHTTP(w, get(path, cookie))
				if w.status != http.StatusOK || w.n < 100_000 {
					b.Fatalf("status %d, %d bytes", w.status, w.n)
				}
				size = w.n
			}
			b.StopTimer()
			close(stop)
			<-done
			b.ReportMetric(float64(size)/(1<<20), "MB-file")
			b.ReportMetric(float64(int64(peak.Load())-int64(base.HeapInuse))/(1<<20), "MB-peak-heap")
		})
	}
}
