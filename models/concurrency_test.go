package models

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// loadStats is what a concurrent load did.
type loadStats struct {
	writes, reads atomic.Int64
	locked        atomic.Int64 // errors that are SQLite's "database is locked" or "busy"

	mu   sync.Mutex
	errs map[string]int // every error, by message
}

func (s *loadStats) fail(err error) {
	var se sqlite3.Error
	if errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked) ||
		strings.Contains(err.Error(), "database is locked") {
		s.locked.Add(1)
	}
	s.mu.Lock()
	s.errs[err.Error()]++
	s.mu.Unlock()
}

// errorSummary lists the distinct errors with their counts.
func (s *loadStats) errorSummary() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var lines []string
	for msg, n := range s.errs {
		lines = append(lines, fmt.Sprintf("%6d × %s", n, msg))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// runLoad runs writers goroutines that create and update customers (each
// create with a contact, in one transaction) and readers goroutines that
// page through filtered lists, all at once for d, and counts what they did
// and every error.
func runLoad(e *testEnv, writers, readers int, d time.Duration) *loadStats {
	st := &loadStats{errs: map[string]int{}}
	ctx, cancel := context.WithTimeout(e.ctx, d)
	defer cancel()
	industries, err := e.db.AuxItemsOf(e.ctx, "industry")
	if err != nil {
		e.t.Fatal(err)
	}
	writersAs := []Actor{e.sales1, e.sales2, e.manager, e.admin}
	readersAs := []Actor{e.admin, e.sales1, e.manager, e.sales2}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			actor := writersAs[w%len(writersAs)]
			var mine []*Customer
			for i := 0; ctx.Err() == nil; i++ {
				var err error
				if i%2 == 0 || len(mine) == 0 {
					c := &Customer{Kind: "customer", Name: fmt.Sprintf("并发测试%d-%d有限公司", w, i), Phone: fmt.Sprintf("021-%08d", w*1e7+i),
						IndustryID: industries[i%len(industries)].ID, OwnerID: actor.ID}
					err = e.db.CreateCustomer(context.Background(), actor, c, []Contact{{Name: "王伟", Mobile: "13800000000", IsPrimary: true}})
					if err == nil {
						mine = append(mine, c)
					}
				} else {
					c := mine[i%len(mine)]
					c.Name += "改"
					c.IndustryID = industries[(i+1)%len(industries)].ID
					err = e.db.UpdateCustomer(context.Background(), actor, c)
				}
				if err != nil {
					st.fail(err)
					continue
				}
				st.writes.Add(1)
			}
		})
	}
	for r := range readers {
		wg.Go(func() {
			actor := readersAs[r%len(readersAs)]
			sorts := CustomerSortKeys
			for i := 0; ctx.Err() == nil; i++ {
				f := CustomerFilter{Kind: "customer", Sort: sorts[i%len(sorts)], Desc: i%3 == 0, Page: 1 + i%4}
				if i%2 == 1 {
					f.IndustryID = industries[i%len(industries)].ID
				}
				// The background context: a read cut short by the end of the
				// run is not an error of the database.
				if _, err := e.db.ListCustomers(context.Background(), actor, f); err != nil {
					st.fail(err)
					continue
				}
				st.reads.Add(1)
			}
		})
	}
	wg.Wait()
	return st
}

// TestConcurrentWritersAndReaders: four writers and four readers at once get
// no error at all, "database is locked" least of all: writers queue on the
// one writer connection, readers read beside them in WAL mode.
//
// KEYUAN_SOAK=10s runs it for that long instead of 2 s, for BENCHMARKS.md.
func TestConcurrentWritersAndReaders(t *testing.T) {
	d := 2 * time.Second
	if v := os.Getenv("KEYUAN_SOAK"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			t.Fatalf("KEYUAN_SOAK=%q: %v", v, err)
		}
	}
	e := newEnv(t)
	if err := GenerateForTests(e.ctx, e.db, GenOptions{Customers: 2000, Sales: 0, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	const writers, readers = 4, 4
	start := time.Now()
	st := runLoad(e, writers, readers, d)
	secs := time.Since(start).Seconds()
	t.Logf("%d writers, %d readers for %s: %d writes (%.0f/s), %d reads (%.0f/s), %d locked",
		writers, readers, d, st.writes.Load(), float64(st.writes.Load())/secs, st.reads.Load(), float64(st.reads.Load())/secs, st.locked.Load())
	if s := st.errorSummary(); s != "" {
		t.Errorf("errors under concurrent load (%d of them \"database is locked\"):\n%s", st.locked.Load(), s)
	}
	if st.writes.Load() == 0 || st.reads.Load() == 0 {
		t.Errorf("no progress: %d writes, %d reads", st.writes.Load(), st.reads.Load())
	}
}
