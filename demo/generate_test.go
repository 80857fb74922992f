package demo

import (
	"context"
	"crypto/sha256"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"keyuan/models"
)

// digest sums the generated rows (not the stamps of the run).
func digest(t *testing.T, db *models.DB) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT code, name, phone, owner_id, status, COALESCE(last_activity_date, '') FROM customers ORDER BY id`,
		`SELECT customer_id, name, mobile, COALESCE(birthday, '') FROM contacts ORDER BY id`,
		`SELECT code, date, customer_id, subject, COALESCE(next_date, '') FROM activities ORDER BY id`,
		`SELECT code, date, time, status, origin, COALESCE(remind_at, '') FROM plans ORDER BY id`,
		`SELECT code, name, amount_fen, status FROM opportunities ORDER BY id`,
		`SELECT code, title, views FROM articles ORDER BY id`,
		`SELECT code, customer_id, priority, status, COALESCE(assignee_id, 0) FROM issues ORDER BY id`,
	} {
		rows, err := db.Read.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		if err := models.EachRow(rows, func(vals []any) error {
			fmt.Fprintln(h, vals...)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func generated(t *testing.T, seed uint64) (*models.DB, string) {
	t.Helper()
	ctx := context.Background()
	db, err := models.Open(ctx, filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Loc, _ = time.LoadLocation("Asia/Shanghai")
	if _, err := db.EnsureAdmin(ctx, "a-long-test-password"); err != nil {
		t.Fatal(err)
	}
	err = Generate(ctx, db, Options{Customers: 200, Prospects: 30, Sales: 3, Seed: seed, Activities: 900, Plans: 80,
		Opportunities: 20, Articles: 10, Issues: 60})
	if err != nil {
		t.Fatal(err)
	}
	return db, digest(t, db)
}

// TestGenerateIsDeterministic: the same seed gives the same data (the
// benchmarks and the demo depend on it), another seed other data, and the
// sizes asked for are the sizes made.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	db, a := generated(t, 5)
	_, b := generated(t, 5)
	_, c := generated(t, 6)
	if a != b {
		t.Error("the same seed gave different data")
	}
	if a == c {
		t.Error("another seed gave the same data")
	}
	var customers, prospects, activities, issues, articles int
	err := db.Read.QueryRow(`SELECT (SELECT COUNT(*) FROM customers WHERE kind = 'customer'), (SELECT COUNT(*) FROM customers WHERE kind = 'prospect'),
		(SELECT COUNT(*) FROM activities), (SELECT COUNT(*) FROM issues), (SELECT COUNT(*) FROM articles)`).
		Scan(&customers, &prospects, &activities, &issues, &articles)
	if err != nil {
		t.Fatal(err)
	}
	if customers != 200 || prospects != 30 || activities != 900 || issues != 60 || articles != 10+len(SeedArticles) {
		t.Errorf("made %d customers, %d prospects, %d records, %d issues, %d articles", customers, prospects, activities, issues, articles)
	}
	if req, err := db.SearchRebuildRequested(context.Background()); err != nil || req == "" {
		t.Errorf("no search rebuild asked for after a bulk load: %q %v", req, err)
	}
}

// TestDemoLastThreeMonths: the demo's data (HistoryDays 90) is a company's
// last three months as of the day it is loaded: records within them, open
// issues reported in the last two days (so most are still within their
// response time), none resolved after that day; every customer's stage is
// its latest record's (the write-back rule); every synthetic issue and
// article is a product fault, as its subject says.
func TestDemoLastThreeMonths(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := models.Open(ctx, filepath.Join(t.TempDir(), "k.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.EnsureAdmin(ctx, "a-long-test-password"); err != nil {
		t.Fatal(err)
	}
	until := time.Date(2026, 12, 4, 0, 0, 0, 0, time.UTC)
	if err := Generate(ctx, db, Options{Customers: 100, Prospects: 40, Sales: 3, Seed: 2026, Activities: 600, Plans: 50,
		Articles: 10, Issues: 80, Until: until, HistoryDays: 90}); err != nil {
		t.Fatal(err)
	}
	var oldest, newest string
	if err := db.Read.QueryRow(`SELECT MIN(date), MAX(date) FROM activities`).Scan(&oldest, &newest); err != nil {
		t.Fatal(err)
	}
	if oldest < "2026-09-05" || newest > "2026-12-04" {
		t.Errorf("records from %s to %s, want the 90 days before 2026-12-04", oldest, newest)
	}
	var openOld, resolvedLate, wrongStage, notFault int
	err = db.Read.QueryRow(`SELECT
		(SELECT COUNT(*) FROM issues WHERE status IN ('new', 'handling') AND reported_at < '2026-12-02'),
		(SELECT COUNT(*) FROM issues WHERE resolved_at > '2026-12-04T00:00:00Z'),
		(SELECT COUNT(*) FROM customers c WHERE stage_id IS NOT (SELECT COALESCE(a.stage_id, c.stage_id) FROM activities a
			WHERE a.customer_id = c.id ORDER BY a.date DESC, a.id DESC LIMIT 1) AND EXISTS (SELECT 1 FROM activities a WHERE a.customer_id = c.id)),
		(SELECT COUNT(*) FROM issues WHERE type_id IS NOT (SELECT id FROM aux_items WHERE type = 'issue_type' AND code = 'FAULT'))`).
		Scan(&openOld, &resolvedLate, &wrongStage, &notFault)
	if err != nil {
		t.Fatal(err)
	}
	// Codes by the record's own date, within their serial's width.
	var misdated, tooLong int
	err = db.Read.QueryRow(`SELECT
		(SELECT COUNT(*) FROM activities WHERE code <> 'HD' || replace(date, '-', '') || substr(code, 11)) +
		(SELECT COUNT(*) FROM issues WHERE substr(code, 3, 6) <> substr(replace(reported_at, '-', ''), 1, 6)),
		(SELECT COUNT(*) FROM activities WHERE length(code) <> 13) + (SELECT COUNT(*) FROM plans WHERE length(code) <> 13)`).
		Scan(&misdated, &tooLong)
	if err != nil {
		t.Fatal(err)
	}
	if misdated != 0 || tooLong != 0 {
		t.Errorf("%d codes not of their record's date, %d longer than the rule's width", misdated, tooLong)
	}
	if openOld != 0 || resolvedLate != 0 || wrongStage != 0 || notFault != 0 {
		t.Errorf("open issues older than two days %d, resolved after today %d, customers whose stage is not their latest record's %d, issues not typed as faults %d",
			openOld, resolvedLate, wrongStage, notFault)
	}
}
