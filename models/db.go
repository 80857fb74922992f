// Package models is the domain below the web: every SQL statement, the rules
// of each record (Validate and the Check functions, returning FieldErrors),
// the permission table (permissions.go) and the row rules in the queries,
// the one clock (clock.go) and the checksummed migrations. Handlers, jobs
// and the importer call its functions with a context, an Actor and plain
// values; nothing outside this package knows the schema. See ARCHITECTURE.md.
package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3" // registers the "sqlite3" driver
)

// DB is the application's SQLite database: one writer connection, so writers
// queue in Go instead of failing with "database is locked", and a pool of
// readers that WAL lets run beside the writer.
type DB struct {
	Write *sql.DB
	Read  *sql.DB
	Path  string
	// Loc is the business's time zone.
	Loc *time.Location

	// clock is the application's one source of "now" (see Now).
	clock atomic.Pointer[func() time.Time]

	aux atomic.Pointer[auxSnapshot]
	// access is the roles and teams (roles.go).
	access atomic.Pointer[accessTable]
	// changed is signalled after every committed write transaction, so the
	// search indexer wakes up at once instead of polling.
	changed chan struct{}
}

// Domain errors that handlers map to HTTP statuses in one place.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
	ErrInUse    = errors.New("in use")
)

// dsn builds a connection string that applies the pragmas to every
// connection the pool opens; a one-off PRAGMA exec would only reach one.
func dsn(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	// Each connection has a page cache of its own: 32 MB for the writer, 8 MB
	// for each reader. At 32 MB each, the readers' caches filled up under
	// load to 130 MB of the server's memory (scripts/bench-memory.sh), for
	// pages the operating system's cache holds anyway.
	q.Set("_cache_size", "-32000")
	if readOnly {
		q.Set("_cache_size", "-8000")
	}
	// Each connection keeps its prepared statements: the same few queries
	// run again and again, and preparing them is a large part of their cost.
	q.Set("_stmt_cache_size", "128")
	if readOnly {
		// query_only guards the reader pool against a stray write.
		q.Set("_query_only", "true")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database file and applies migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	return OpenWithDriver(ctx, "sqlite3", path)
}

// OpenWithDriver is Open through another registered database/sql driver that
// accepts the same connection strings as "sqlite3": tests wrap the SQLite
// driver with it, e.g. to count the statements a request runs.
func OpenWithDriver(ctx context.Context, driverName, path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	w, err := sql.Open(driverName, dsn(path, false))
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxIdleTime(0)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	// Statement journals in memory, not in temporary files: an insert whose
	// trigger upserts the list counters (migration 0007) needs one, and on
	// disk that was 40 pwrite calls per inserted customer. mattn/go-sqlite3
	// has no connection-string option for it; the writer pool holds its one
	// connection for good (a reopened one would only be slower).
	if _, err := w.ExecContext(ctx, `PRAGMA temp_store = MEMORY`); err != nil {
		w.Close()
		return nil, err
	}
	db := &DB{Write: w, Path: path, changed: make(chan struct{}, 1)}
	if err := db.migrate(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.seedRoles(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.fillNameKeys(ctx); err != nil {
		w.Close()
		return nil, err
	}
	if err := db.fillPinyin(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open(driverName, dsn(path, true))
	if err != nil {
		w.Close()
		return nil, err
	}
	n := max(4, runtime.NumCPU()*2)
	r.SetMaxOpenConns(n)
	r.SetMaxIdleConns(n)
	r.SetConnMaxIdleTime(0)
	db.Read = r
	return db, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.Read.Close(), db.Write.Close())
}

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.Read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}

// WithTx runs fn inside a write transaction. The transaction is committed
// when fn returns nil and rolled back otherwise.
func (db *DB) WithTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	select {
	case db.changed <- struct{}{}:
	default: // a wake-up is already pending
	}
	return nil
}

// Changed is signalled (without blocking writers) after write transactions
// commit; its one reader is the search indexer.
func (db *DB) Changed() <-chan struct{} { return db.changed }

// stamp formats t the way every *_at column stores it: RFC 3339 in UTC,
// which sorts correctly as text.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func (db *DB) nowStamp() string { return stamp(db.Now()) }

// nullInt turns 0 into NULL for optional foreign keys.
func nullInt(v int64) any {
	if v == 0 {
		return nil
	}
	return v
}

// nullStr turns "" into NULL for optional dates.
func nullStr(v string) any {
	if v == "" {
		return nil
	}
	return v
}

// IsDiskFull reports whether err is a write that failed for want of disk
// space: SQLite's SQLITE_FULL, or ENOSPC from the file system.
func IsDiskFull(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) && se.Code == sqlite3.ErrFull {
		return true
	}
	return errors.Is(err, syscall.ENOSPC)
}
