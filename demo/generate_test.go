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
