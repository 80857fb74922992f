package models

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// Model-level benchmarks on the large data set that the handlers'
// benchmarks build (see handlers/bench_activities_test.go): 100,000
// customers, 1,000,000 activity records. They need that database at
// $KEYUAN_BENCH_DATA (default: keyuan-bench-activities in the temp folder)
// and generate it when it is missing. What they add is deleted at the end.
//
//	go test ./models -run '^$' -bench Activities -benchtime 20x

func benchDB(b *testing.B) *DB {
	b.Helper()
	dir := os.Getenv("KEYUAN_BENCH_DATA")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "keyuan-bench-activities")
	}
	ctx := context.Background()
	path := filepath.Join(dir, "keyuan.db")
	_, statErr := os.Stat(path)
	db, err := Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.Loc, _ = time.LoadLocation("Asia/Shanghai")
	if errors.Is(statErr, os.ErrNotExist) {
		b.Logf("generating the benchmark data set in %s (once, about two minutes)", path)
		if _, err := db.EnsureAdmin(ctx, "keyuan-test-pw-2026"); err != nil {
			b.Fatal(err)
		}
		if err := GenerateForTests(ctx, db, GenOptions{Customers: 100_000, Sales: 20, Seed: 1, Activities: 1_000_000, Plans: 50_000}); err != nil {
			b.Fatal(err)
		}
	}
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
	return db
}

func reportPercentiles(b *testing.B, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) float64 { return float64(x.Microseconds()) / 1000 }
	b.ReportMetric(ms(d[len(d)/2]), "ms/p50")
	b.ReportMetric(ms(d[len(d)*95/100]), "ms/p95")
}

// BenchmarkActivitiesBatchPlans10000 plans 10,000 customers over four
// weeks, at most 500 a day, weekends skipped, in one transaction.
func BenchmarkActivitiesBatchPlans10000(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	ids, err := db.CustomerIDs(ctx, Actor{Role: RoleAdmin}, CustomerFilter{Kind: "customer", Sort: "name"}, 10_000)
	if err != nil || len(ids) != 10_000 {
		b.Fatalf("ids: %d %v", len(ids), err)
	}
	admin := Actor{ID: 1, Role: RoleAdmin}
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		from := time.Date(2032, 1, 5, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 28*i)
		dates, err := DistributeDates(from.Format("2006-01-02"), from.AddDate(0, 0, 27).Format("2006-01-02"), len(ids), 500, true)
		if err != nil {
			b.Fatal(err)
		}
		n, err := db.CreateBatchPlans(ctx, admin, BatchPlan{CustomerIDs: ids, Dates: dates, Time: "10:00",
			Subject: "新品发布会邀请", RemindMinutes: 60})
		if err != nil || n != 10_000 {
			b.Fatalf("batch: %d %v", n, err)
		}
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, d)
}

// BenchmarkActivitiesSaveActivity saves a record with write-back and a
// next-activity plan (both numbered) in one transaction.
func BenchmarkActivitiesSaveActivity(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	var owner, customer int64
	if err := db.Read.QueryRow(`SELECT owner_id, id FROM customers WHERE status = 'active' ORDER BY id LIMIT 1`).Scan(&owner, &customer); err != nil {
		b.Fatal(err)
	}
	sales := Actor{ID: owner, Role: RoleSales}
	today := db.LocalNow().Format("2006-01-02")
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		a := &Activity{Date: today, StartTime: "09:00", EndTime: "10:00", CustomerID: customer, Subject: "上门拜访",
			Content: "介绍新产品", NextSubject: "送报价单", NextDate: today, NextTime: "15:00"}
		if err := db.SaveActivity(ctx, sales, a); err != nil {
			b.Fatal(err)
		}
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, d)
}

// BenchmarkActivitiesCalendarTeamWeekQuery is the query behind the team week.
func BenchmarkActivitiesCalendarTeamWeekQuery(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	var d []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		days, err := db.Calendar(ctx, Actor{ID: 1, Role: RoleAdmin}, CalendarQuery{From: "2026-05-11", To: "2026-05-17", PerDay: 12})
		if err != nil || len(days) != 7 {
			b.Fatalf("%d %v", len(days), err)
		}
		d = append(d, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, d)
}
