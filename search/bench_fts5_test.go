//go:build sqlite_fts5

package search

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// ftsWords keeps the words FTS5's trigram tokenizer can match: three
// characters or more.
func ftsWords(words []string) []string {
	var out []string
	for _, w := range words {
		if utf8.RuneCountInString(w) >= 3 {
			out = append(out, w)
		}
	}
	return out
}

// BenchmarkCompareFTS5 runs the fixed query set through Bleve and through an
// SQLite FTS5 trigram table over the same documents, in the same run, and
// reports both latencies and their ratio on the queries FTS5 can answer.
// It also shows two-character Chinese words: Bleve finds them, trigram FTS5
// cannot. Build with -tags sqlite_fts5.
func BenchmarkCompareFTS5(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	start := time.Now()
	n, err := e.db.BuildFTS5(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("FTS5 table: %d rows (built or found in %s)", n, time.Since(start).Round(time.Millisecond))
	var answerable [][]string
	for _, q := range benchQueries {
		if len(ftsWords(q)) == len(q) {
			answerable = append(answerable, q)
		}
	}
	// Warm both up.
	for _, q := range answerable {
		if _, err := bleveFirstPage(ctx, e.svc, q); err != nil {
			b.Fatal(err)
		}
		if _, err := e.db.SearchFTS5(ctx, q, 10); err != nil {
			b.Fatal(err)
		}
	}
	var bl, ft []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := answerable[i%len(answerable)]
		t0 := time.Now()
		if _, err := bleveFirstPage(ctx, e.svc, q); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := e.db.SearchFTS5(ctx, q, 10); err != nil {
			b.Fatal(err)
		}
		bl, ft = append(bl, t1.Sub(t0)), append(ft, time.Since(t1))
	}
	b.StopTimer()
	bm, fm := percentile(bl, 0.5), percentile(ft, 0.5)
	b.ReportMetric(bm, "bleve-ms-median")
	b.ReportMetric(percentile(bl, 0.95), "bleve-ms-p95")
	b.ReportMetric(fm, "fts5-ms-median")
	b.ReportMetric(percentile(ft, 0.95), "fts5-ms-p95")
	if fm > 0 {
		b.ReportMetric(bm/fm, "bleve/fts5")
	}
	// Two-character Chinese words.
	var bleveHits, ftsHits int
	for _, w := range []string{"发票", "卡纸", "断网", "漏水", "王伟"} {
		res, err := bleveFirstPage(ctx, e.svc, []string{w})
		if err != nil {
			b.Fatal(err)
		}
		bleveHits += len(res.Hits)
		rows, err := e.db.SearchFTS5(ctx, []string{w}, 10)
		if err != nil {
			b.Fatal(err)
		}
		ftsHits += len(rows)
	}
	b.ReportMetric(float64(bleveHits), "bleve-2char-hits")
	b.ReportMetric(float64(ftsHits), "fts5-2char-hits")
	b.Logf("answerable by FTS5: %d of %d queries: %s", len(answerable), len(benchQueries), strings.TrimSpace(strings.Repeat("x", 0)))
}
