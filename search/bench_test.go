package search

// Benchmarks of the search index over a large corpus: 100,000 customers
// (with their contacts), 50,000 knowledge articles and 50,000 issues. The
// corpus is generated once and kept in $KEYUAN_BENCH_DIR (default: a folder
// in the temp dir), so later runs start at once. KEYUAN_BENCH_SCALE=0.1
// makes everything ten times smaller for a quick try. See
// BENCHMARKS-search.md for the commands and figures.

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"keyuan/demo"
	"keyuan/models"
)

type benchEnv struct {
	db      *models.DB
	dir     string
	svc     *Service
	docs    int
	sizes   demo.Options
	gen     time.Duration
	initial time.Duration
}

var (
	benchOnce sync.Once
	bench     benchEnv
	benchErr  error
)

// benchQueries are the fixed query set: Chinese and English, as words. Bleve
// gets the words joined by spaces; FTS5 gets them quoted and OR-ed.
var benchQueries = [][]string{
	{"打印机", "卡纸"}, {"路由器", "无法登录"}, {"服务器", "升级失败"}, {"显示器", "画面闪烁"}, {"财务软件", "数据不同步"},
	{"客户端软件", "速度很慢"}, {"考勤机", "连接不上网络"}, {"投影仪", "没有反应"}, {"硬盘录像机", "自动重启"},
	{"小票打印机"}, {"华信科技"}, {"上海鼎盛"}, {"重启设备"}, {"恢复出厂设置"},
	{"printer"}, {"router", "cannot", "connect"}, {"firmware"}, {"laptop", "restart"}, {"backup", "job"}, {"scanner", "noise"},
	{"发票"}, {"卡纸"}, {"断网"}, {"漏水"}, {"王伟"},
}

func benchScale() float64 {
	if v, err := strconv.ParseFloat(os.Getenv("KEYUAN_BENCH_SCALE"), 64); err == nil && v > 0 {
		return v
	}
	return 1
}

func benchSetup(b *testing.B) *benchEnv {
	b.Helper()
	benchOnce.Do(func() { benchErr = bench.setup() })
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return &bench
}

func (e *benchEnv) setup() error {
	ctx := context.Background()
	models.SetBcryptCostForTests()
	scale := benchScale()
	e.sizes = demo.Options{Customers: int(100000 * scale), Articles: int(50000 * scale), Issues: int(50000 * scale),
		Sales: 20, Seed: 1}
	e.dir = os.Getenv("KEYUAN_BENCH_DIR")
	if e.dir == "" {
		e.dir = filepath.Join(os.TempDir(), "keyuan-search-bench")
	}
	marker := filepath.Join(e.dir, fmt.Sprintf("corpus-%d-%d-%d", e.sizes.Customers, e.sizes.Articles, e.sizes.Issues))
	fresh := false
	if _, err := os.Stat(marker); err != nil {
		if err := os.RemoveAll(e.dir); err != nil {
			return err
		}
		fresh = true
	}
	db, err := models.Open(ctx, filepath.Join(e.dir, "bench.db"))
	if err != nil {
		return err
	}
	e.db = db
	if fresh {
		if _, err := db.EnsureAdmin(ctx, "keyuan-test-pw-2026"); err != nil {
			return err
		}
		start := time.Now()
		if err := demo.Generate(ctx, db, e.sizes); err != nil {
			return err
		}
		e.gen = time.Since(start)
	}
	if e.docs, err = db.CountSearchDocs(ctx); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := Open(ctx, db, filepath.Join(e.dir, "search"), log, Options{})
	if err != nil {
		return err
	}
	if r := svc.NeedsRebuild(); r != "" {
		start := time.Now()
		if err := svc.RebuildNow(ctx, r); err != nil {
			return err
		}
		e.initial = time.Since(start)
	}
	e.svc = svc
	if fresh {
		return os.WriteFile(marker, nil, 0o644)
	}
	return nil
}

var benchAdmin = models.Actor{ID: 1, Role: models.RoleAdmin}

// latencies runs each query n times in turn and returns every duration.
func latencies(n int, run func(q []string) error) ([]time.Duration, error) {
	var out []time.Duration
	for i := 0; i < n; i++ {
		for _, q := range benchQueries {
			start := time.Now()
			if err := run(q); err != nil {
				return nil, err
			}
			out = append(out, time.Since(start))
		}
	}
	return out, nil
}

func percentile(ds []time.Duration, p float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := min(len(s)-1, int(p*float64(len(s))))
	return float64(s[i].Microseconds()) / 1000
}

func bleveFirstPage(ctx context.Context, svc *Service, words []string) (*Results, error) {
	return svc.Search(ctx, benchAdmin, Query{Text: strings.Join(words, " "), Size: 10})
}

// BenchmarkSearchFirstPage: one op is one query of the fixed set, first page
// of 10 with highlighted title and snippet, role check included.
func BenchmarkSearchFirstPage(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	// Warm up once, as a running server would be.
	if _, err := latencies(1, func(q []string) error { _, err := bleveFirstPage(ctx, e.svc, q); return err }); err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := benchQueries[i%len(benchQueries)]
		start := time.Now()
		res, err := bleveFirstPage(ctx, e.svc, q)
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
		if len(res.Hits) == 0 {
			b.Fatalf("query %v found nothing", q)
		}
	}
	b.StopTimer()
	b.ReportMetric(percentile(all, 0.5), "ms-median")
	b.ReportMetric(percentile(all, 0.95), "ms-p95")
	b.ReportMetric(float64(e.docs), "docs")
	if e.initial > 0 {
		// This run built the index (a new corpus or mapping version).
		b.ReportMetric(float64(e.docs)/e.initial.Seconds(), "rebuild-docs/s")
	}
}

// BenchmarkSearchGrouped is the full search page's request: a page of hits
// and the counts per kind for its tabs.
func BenchmarkSearchGrouped(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := benchQueries[i%len(benchQueries)]
		start := time.Now()
		if _, err := e.svc.Search(ctx, benchAdmin, Query{Text: strings.Join(q, " "), Size: 20, CountByKind: true}); err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(percentile(all, 0.5), "ms-median")
	b.ReportMetric(percentile(all, 0.95), "ms-p95")
}

// BenchmarkSuggest is the top bar's request as you type: the best 24 hits,
// to be grouped by kind.
func BenchmarkSuggest(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := benchQueries[i%len(benchQueries)]
		start := time.Now()
		if _, err := e.svc.Search(ctx, benchAdmin, Query{Text: strings.Join(q, " "), Size: 24}); err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(percentile(all, 0.5), "ms-median")
	b.ReportMetric(percentile(all, 0.95), "ms-p95")
}

// BenchmarkSearchAsSalesperson adds the owner filter a salesperson's
// searches carry.
func BenchmarkSearchAsSalesperson(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	var sales int64
	if err := e.db.Read.QueryRow(`SELECT id FROM users WHERE role = 'sales' ORDER BY id LIMIT 1`).Scan(&sales); err != nil {
		b.Fatal(err)
	}
	actor := models.Actor{ID: sales, Role: models.RoleSales}
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := benchQueries[i%len(benchQueries)]
		start := time.Now()
		if _, err := e.svc.Search(ctx, actor, Query{Text: strings.Join(q, " "), Size: 10}); err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
	}
	b.StopTimer()
	b.ReportMetric(percentile(all, 0.5), "ms-median")
	b.ReportMetric(percentile(all, 0.95), "ms-p95")
}

// peakHeap samples the heap while fn runs and returns the largest HeapInuse.
func peakHeap(fn func() error) (uint64, error) {
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	err := fn()
	close(done)
	wg.Wait()
	return peak, err
}

// BenchmarkRebuild indexes the whole corpus from the database into a fresh
// index (run with -benchtime=1x: one rebuild is the measurement).
func BenchmarkRebuild(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var took time.Duration
	var peak uint64
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(e.dir, "rebuild-bench")
		if err := os.RemoveAll(dir); err != nil {
			b.Fatal(err)
		}
		svc, err := Open(ctx, e.db, dir, log, Options{})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		start := time.Now()
		p, err := peakHeap(func() error { return svc.RebuildNow(ctx, "manual") })
		if err != nil {
			b.Fatal(err)
		}
		took += time.Since(start)
		peak = max(peak, p)
		if err := svc.Close(); err != nil {
			b.Fatal(err)
		}
		os.RemoveAll(dir)
	}
	b.ReportMetric(float64(e.docs)*float64(b.N)/took.Seconds(), "docs/s")
	b.ReportMetric(float64(peak)/(1<<20), "MB-peak-heap")
}

// BenchmarkOpenExisting is start-up with an index already on disk: open it
// and answer a first search.
func BenchmarkOpenExisting(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	for i := 0; i < b.N; i++ {
		if err := e.svc.Close(); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		svc, err := Open(ctx, e.db, filepath.Join(e.dir, "search"), log, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if r := svc.NeedsRebuild(); r != "" {
			b.Fatalf("existing index needs a rebuild: %s", r)
		}
		if _, err := bleveFirstPage(ctx, svc, benchQueries[0]); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "ms-to-first-result")
		e.svc = svc
	}
}

// benchPinyinQueries are names typed as pinyin or initials: contacts (900
// distinct names among 200k contacts in the generated corpus, so each
// matches hundreds) and companies; "zh" is the worst case, a prefix of a
// fifth of all names.
var benchPinyinQueries = []string{"zhangwei", "wangfang", "zw", "lij", "bjhx", "shanghaihuaxin", "hxkj", "chenjing", "liuyang", "zh"}

// benchFilterQueries are searches with filters typed into the box.
var benchFilterQueries = []string{"打印机 type:issue status:open", "发票 after:2025-06-01", "卡纸 type:issue after:2025-03-01 before:2025-09-30",
	"华信 owner:张伟", "type:customer owner:chenjing status:inactive", "断网 status:done", "printer type:article", "type:issue after:2026-01-01"}

// benchTexts runs the first page of each query text in turn, like
// BenchmarkSearchFirstPage.
func benchTexts(b *testing.B, texts []string, wantHits bool) {
	e := benchSetup(b)
	ctx := context.Background()
	for _, q := range texts {
		if _, err := e.svc.Search(ctx, benchAdmin, Query{Text: q, Size: 10}); err != nil {
			b.Fatal(err)
		}
	}
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := texts[i%len(texts)]
		start := time.Now()
		res, err := e.svc.Search(ctx, benchAdmin, Query{Text: q, Size: 10})
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
		if wantHits && len(res.Hits) == 0 {
			b.Fatalf("query %q found nothing", q)
		}
	}
	b.StopTimer()
	b.ReportMetric(percentile(all, 0.5), "ms-median")
	b.ReportMetric(percentile(all, 0.95), "ms-p95")
}

// BenchmarkSearchPinyin: first page of names typed as pinyin.
func BenchmarkSearchPinyin(b *testing.B) { benchTexts(b, benchPinyinQueries, true) }

// BenchmarkSearchFilters: first page of searches with filters in the box.
func BenchmarkSearchFilters(b *testing.B) { benchTexts(b, benchFilterQueries, false) }

// BenchmarkSearchFullName is the global search for a customer's full
// company name (issue 19): 25 names spread over the customers, first page
// of 10 as an admin. Every name is mostly bigrams that nearly every company
// has (有限, 公司, 科技…); the customer itself must come first.
func BenchmarkSearchFullName(b *testing.B) {
	e := benchSetup(b)
	ctx := context.Background()
	type named struct {
		id   int64
		name string
	}
	var names []named
	rows, err := e.db.Read.Query(`SELECT id, name FROM customers WHERE kind = 'customer' AND id % 997 = 1 ORDER BY id LIMIT 25`)
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var n named
		if err := rows.Scan(&n.id, &n.name); err != nil {
			b.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	if len(names) == 0 {
		b.Fatal("no customers")
	}
	var all []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := names[i%len(names)]
		start := time.Now()
		res, err := e.svc.Search(ctx, benchAdmin, Query{Text: n.name, Size: 10})
		if err != nil {
			b.Fatal(err)
		}
		all = append(all, time.Since(start))
		if len(res.Hits) == 0 || res.Hits[0].Kind != "customer" || res.Hits[0].ID != n.id {
			b.Fatalf("%s: the customer is not the first hit (%d hits)", n.name, len(res.Hits))
		}
	}
	b.StopTimer()
	b.ReportMetric(percentile(all, 0.5), "ms-median")
	b.ReportMetric(percentile(all, 0.95), "ms-p95")
}
