package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/blevesearch/bleve/v2"

	"keyuan/models"
)

// ErrRebuilding is returned by Search while there is no index to answer
// from because it is being rebuilt; the screens say so instead of failing.
var ErrRebuilding = errors.New("search index is being rebuilt")

// Searcher is what the rest of the application needs from search. Service
// (Bleve, in-process) implements it; an external engine could too.
type Searcher interface {
	Search(ctx context.Context, actor models.Actor, q Query) (*Results, error)
	Status() Status
	Rebuild()
}

// States and Reasons are the values of Status.State and Status.Reason.
var (
	States  = []string{"ready", "rebuilding", "starting", "failed"}
	Reasons = []string{"missing", "outdated", "unreadable", "requested", "manual"}
)

// Status is what the admin page shows about the index.
type Status struct {
	State      string // "ready", "rebuilding", "starting", "failed", "disk_full"
	Reason     string // why the last rebuild started: missing, outdated, unreadable, requested, manual
	Done       int    // documents indexed so far in a rebuild
	Total      int    // documents to index in a rebuild
	StartedAt  time.Time
	FinishedAt time.Time
	Took       time.Duration // of the last rebuild
	Docs       uint64        // documents in the index
	Pending    int           // queued changes not yet applied
	MovedAside string        // where an unreadable index was moved, if one was
	LastError  string
	DiskFree   uint64 // bytes free where the index lives
	DiskLow    bool   // under Options.MinFree: the worker waits for room
}

// DiskFreeText is the free space where the index lives, for people.
func (s Status) DiskFreeText() string {
	switch f := float64(s.DiskFree); {
	case f >= 1<<30:
		return fmt.Sprintf("%.1f GB", f/(1<<30))
	case f >= 1<<20:
		return fmt.Sprintf("%.0f MB", f/(1<<20))
	}
	return fmt.Sprintf("%d KB", s.DiskFree>>10)
}

// TookText is the duration of the last rebuild, rounded for people.
func (s Status) TookText() string { return s.Took.Round(time.Millisecond).String() }

// Percent is the rebuild progress, 0–100.
func (s Status) Percent() int {
	if s.Total <= 0 {
		return 0
	}
	return min(100, s.Done*100/s.Total)
}

// Options tune a Service; zero values pick the defaults.
type Options struct {
	BatchSize    int           // documents per index batch (default 1000)
	PollInterval time.Duration // queue check when nothing signals (default 2 s)
	// MinFree is the free disk space below which the worker stops writing
	// to the index and waits (default 64 MB): Bleve writing into a full
	// disk fails half-way and can panic on the retry.
	MinFree uint64
	// FreeSpace reports the free bytes of the index's file system (default
	// statfs); tests put a full disk here.
	FreeSpace func(dir string) (uint64, error)
}

// FreeSpace returns the bytes free to unprivileged users on the file system
// of path.
func FreeSpace(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}

// Service owns the index: it opens or rebuilds it, applies the queue and
// answers searches.
type Service struct {
	db   *models.DB
	dir  string
	log  *slog.Logger
	opts Options

	mu  sync.RWMutex // guards idx; held for reading during a search
	idx bleve.Index

	applyMu sync.Mutex // one queue application at a time

	stMu   sync.Mutex
	status Status

	synonyms atomic.Pointer[[][]string] // groups applied at query time; nil: StarterSynonyms

	rebuildReason string // set before Start; read by the worker
	started       bool
	rebuildCh     chan struct{}
	stop          chan struct{}
	done          chan struct{}
}

// indexPath is the live index inside dir; buildPath is where a rebuild
// writes before the new index replaces the live one.
func (s *Service) indexPath() string { return filepath.Join(s.dir, "index") }
func (s *Service) buildPath() string { return filepath.Join(s.dir, "index.building") }

// Open opens the index under dir, or notes why it must be rebuilt. It never
// blocks on a rebuild: Start does that in the background. An index Bleve
// cannot read is moved aside, not deleted.
func Open(ctx context.Context, db *models.DB, dir string, log *slog.Logger, opts Options) (*Service, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.MinFree == 0 {
		opts.MinFree = 64 << 20
	}
	if opts.FreeSpace == nil {
		opts.FreeSpace = FreeSpace
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 2 * time.Second
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("search dir: %w", err)
	}
	s := &Service{db: db, dir: dir, log: log, opts: opts, rebuildCh: make(chan struct{}, 1),
		stop: make(chan struct{}), done: make(chan struct{})}
	// A rebuild that died half-way left this behind; it is ours and incomplete.
	if err := os.RemoveAll(s.buildPath()); err != nil {
		return nil, err
	}
	// The admin's synonym list, if one was saved (else the starter list).
	if groups, saved, err := db.SearchSynonyms(ctx); err != nil {
		return nil, err
	} else if saved {
		s.SetSynonyms(groups)
	}
	s.status.State = "starting"
	idx, err := openIndex(s.indexPath())
	switch {
	case err == nil:
		s.idx = idx
		req, err := db.SearchRebuildRequested(ctx)
		if err != nil {
			idx.Close()
			return nil, err
		}
		if req != "" {
			s.rebuildReason = "requested"
		}
	case errors.Is(err, errMissing):
		s.rebuildReason = "missing"
	case errors.Is(err, errOutdated):
		s.rebuildReason = "outdated"
	default:
		aside := fmt.Sprintf("%s.unreadable-%s", s.indexPath(), s.db.Now().Format("20060102T150405"))
		log.Error("search index unreadable; moving it aside and rebuilding", "err", err, "moved_to", aside)
		if rerr := os.Rename(s.indexPath(), aside); rerr != nil {
			return nil, fmt.Errorf("move unreadable index aside: %w (after: %v)", rerr, err)
		}
		s.status.MovedAside = aside
		s.status.LastError = err.Error()
		s.rebuildReason = "unreadable"
	}
	if s.idx != nil {
		s.status.State = "ready"
	}
	return s, nil
}

// Start runs the worker until Close: first any pending rebuild, then the
// queue, whenever the database signals a commit (or every PollInterval).
func (s *Service) Start() {
	s.started = true
	go s.run()
}

func (s *Service) run() {
	defer close(s.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	reason := s.rebuildReason
	tick := time.NewTicker(s.opts.PollInterval)
	defer tick.Stop()
	backoff := time.Duration(0)
	panics := 0
	for {
		// With the disk (almost) full, writing would fail half-way: the
		// worker writes nothing and looks again at the next tick.
		if !s.diskLow() {
			if reason != "" {
				if err := s.safely(func() error { return s.rebuild(ctx, reason) }); err != nil {
					if ctx.Err() != nil {
						return
					}
					s.log.Error("search index rebuild failed", "err", err)
					backoff = min(max(backoff*2, time.Second), time.Minute)
				} else {
					reason = ""
					backoff = 0
				}
			}
			if reason == "" {
				var n int
				err := s.safely(func() (err error) { n, err = s.applyQueue(ctx); return err })
				if err != nil {
					if ctx.Err() != nil {
						return
					}
					s.log.Error("search index update failed", "err", err)
					s.setError(err)
					backoff = min(max(backoff*2, time.Second), time.Minute)
					if errors.Is(err, errPanic) {
						// An index that panicked may be damaged: after a
						// few, build a fresh one from the database.
						if panics++; panics >= 3 {
							reason, panics = "unreadable", 0
						}
					}
				} else if n >= s.opts.BatchSize {
					continue // more waiting
				} else {
					backoff = 0
				}
			}
		}
		var wait <-chan time.Time
		if backoff > 0 {
			wait = time.After(backoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.rebuildCh:
			reason = "manual"
		case <-s.db.Changed():
		case <-tick.C:
		case <-wait:
		}
	}
}

// Close stops the worker (a rebuild in progress is abandoned and redone at
// the next start) and closes the index.
func (s *Service) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	if !s.started {
		return s.closeIndex()
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		return errors.New("search worker did not stop")
	}
	return s.closeIndex()
}

func (s *Service) closeIndex() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.idx == nil {
		return nil
	}
	err := s.idx.Close()
	s.idx = nil
	return err
}

// Rebuild asks the worker to rebuild the index from the database. The old
// index keeps answering until the new one is complete.
func (s *Service) Rebuild() {
	select {
	case s.rebuildCh <- struct{}{}:
	default:
	}
}

// Status reports the index state for the admin page.
func (s *Service) Status() Status {
	s.stMu.Lock()
	st := s.status
	s.stMu.Unlock()
	s.mu.RLock()
	if s.idx != nil {
		if n, err := s.idx.DocCount(); err == nil {
			st.Docs = n
		}
	}
	s.mu.RUnlock()
	if pending, _, err := s.db.QueueState(context.Background()); err == nil {
		st.Pending = pending
	}
	return st
}

// errPanic marks an error that was a panic inside the index library.
var errPanic = errors.New("panic in the search index")

// safely runs f, turning a panic (Bleve's zapx has panicked on a retry
// after "no space left on device") into an error with its stack: the
// worker logs it, backs off and goes on, and the server stays up.
func (s *Service) safely(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v\n%s", errPanic, r, debug.Stack())
		}
	}()
	return f()
}

// diskLow checks the free space of the index's file system and records it
// for the admin page; true when it is under MinFree.
func (s *Service) diskLow() bool {
	free, err := s.opts.FreeSpace(s.dir)
	if err != nil {
		return false // cannot tell: let the write say
	}
	low := free < s.opts.MinFree
	s.stMu.Lock()
	s.status.DiskFree, s.status.DiskLow = free, low
	if low {
		if s.status.State != "disk_full" {
			s.log.Warn("search index paused: disk almost full", "free", free, "dir", s.dir)
		}
		s.status.State = "disk_full"
	} else if s.status.State == "disk_full" {
		s.status.State = "ready"
	}
	s.stMu.Unlock()
	return low
}

func (s *Service) setError(err error) {
	s.stMu.Lock()
	s.status.LastError = err.Error()
	s.stMu.Unlock()
}

// Sync applies every queued change now. Tests and the reindex command use
// it; the server leaves it to the worker.
func (s *Service) Sync(ctx context.Context) error {
	for {
		n, err := s.applyQueue(ctx)
		if err != nil {
			return err
		}
		if n < s.opts.BatchSize {
			return nil
		}
	}
}

// applyQueue applies up to one batch of queued changes: it re-reads each
// record, indexes what exists, removes what does not, and only then deletes
// the queue rows. It returns how many queue rows it handled.
func (s *Service) applyQueue(ctx context.Context) (int, error) {
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.idx == nil {
		return 0, nil
	}
	items, err := s.db.QueuedChanges(ctx, s.opts.BatchSize)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	byKind := map[string][]int64{}
	seen := map[models.SearchRef]bool{}
	for _, it := range items {
		if !seen[it.SearchRef] {
			seen[it.SearchRef] = true
			byKind[it.Kind] = append(byKind[it.Kind], it.ID)
		}
	}
	b := s.idx.NewBatch()
	for kind, ids := range byKind {
		docs, err := s.db.SearchDocs(ctx, kind, ids)
		if err != nil {
			return 0, err
		}
		found := map[int64]bool{}
		for _, d := range docs {
			found[d.ID] = true
			if err := b.Index(docID(d.Kind, d.ID), toIndexDoc(d)); err != nil {
				return 0, err
			}
		}
		for _, id := range ids {
			if !found[id] {
				b.Delete(docID(kind, id))
			}
		}
	}
	if err := s.idx.Batch(b); err != nil {
		return 0, fmt.Errorf("apply index batch: %w", err)
	}
	if err := s.db.DeleteQueued(ctx, items[len(items)-1].Seq); err != nil {
		return 0, err
	}
	return len(items), nil
}

// rebuild writes a complete new index from the database next to the live
// one and swaps it in. Changes committed meanwhile wait in the queue and are
// applied to the new index afterwards.
func (s *Service) rebuild(ctx context.Context, reason string) error {
	elapsed := models.Stopwatch()
	total, err := s.db.CountSearchDocs(ctx)
	if err != nil {
		return err
	}
	requested, err := s.db.SearchRebuildRequested(ctx)
	if err != nil {
		return err
	}
	// Everything queued up to now is covered by reading the tables below.
	_, covered, err := s.db.QueueState(ctx)
	if err != nil {
		return err
	}
	s.stMu.Lock()
	s.status.State, s.status.Reason, s.status.Done, s.status.Total, s.status.StartedAt = "rebuilding", reason, 0, total, s.db.Now()
	s.stMu.Unlock()
	s.log.Info("rebuilding search index", "reason", reason, "documents", total)

	if err := os.RemoveAll(s.buildPath()); err != nil {
		return err
	}
	idx, err := createIndex(s.buildPath())
	if err != nil {
		return err
	}
	done := 0
	err = func() error {
		for _, kind := range models.SearchKinds {
			var after int64
			for {
				b := idx.NewBatch()
				n := 0
				err := s.db.EachSearchDoc(ctx, kind, after, s.opts.BatchSize, func(d models.SearchDoc) error {
					after = d.ID
					n++
					return b.Index(docID(d.Kind, d.ID), toIndexDoc(d))
				})
				if err != nil {
					return err
				}
				if n > 0 {
					if err := idx.Batch(b); err != nil {
						return err
					}
				}
				done += n
				s.stMu.Lock()
				s.status.Done = done
				s.stMu.Unlock()
				if ctx.Err() != nil {
					return ctx.Err()
				}
				if n < s.opts.BatchSize {
					break
				}
			}
		}
		return nil
	}()
	if cerr := idx.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.RemoveAll(s.buildPath())
		s.stMu.Lock()
		s.status.State, s.status.LastError = "failed", err.Error()
		s.stMu.Unlock()
		return err
	}

	// Swap: the live index (if any) is one this program opened and knows,
	// so it may go; unreadable ones were moved aside at Open.
	s.applyMu.Lock()
	defer s.applyMu.Unlock()
	s.mu.Lock()
	if s.idx != nil {
		s.idx.Close()
		s.idx = nil
	}
	swapErr := func() error {
		if err := os.RemoveAll(s.indexPath()); err != nil {
			return err
		}
		if err := os.Rename(s.buildPath(), s.indexPath()); err != nil {
			return err
		}
		live, err := openIndex(s.indexPath())
		if err != nil {
			return err
		}
		s.idx = live
		return nil
	}()
	s.mu.Unlock()
	if swapErr != nil {
		s.stMu.Lock()
		s.status.State, s.status.LastError = "failed", swapErr.Error()
		s.stMu.Unlock()
		return swapErr
	}
	if err := s.db.DeleteQueued(ctx, covered); err != nil {
		return err
	}
	if requested != "" {
		if err := s.db.ClearSearchRebuild(ctx, requested); err != nil {
			return err
		}
	}
	took := elapsed()
	s.stMu.Lock()
	s.status.State, s.status.FinishedAt, s.status.Took, s.status.LastError = "ready", s.db.Now(), took, ""
	s.stMu.Unlock()
	s.log.Info("search index rebuilt", "documents", done, "took", took.Round(time.Millisecond))
	return nil
}

// RebuildNow rebuilds synchronously, for the reindex command and tests.
// The worker must not be running.
func (s *Service) RebuildNow(ctx context.Context, reason string) error {
	return s.rebuild(ctx, reason)
}

// NeedsRebuild reports why the index must be rebuilt at start ("" if not).
func (s *Service) NeedsRebuild() string { return s.rebuildReason }
