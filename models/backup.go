package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// The SQL of backup and restore lives here, like all SQL; the backup
// package packs and checks the archives around it.

// SnapshotFile copies the database at src into a new file dest, consistent
// as of one moment, while other connections (the server's) go on writing.
// It uses SQLite's online backup API in a single step: the whole copy is
// one read transaction, so it never restarts for a concurrent write (a
// stepwise copy does) and writers are not held up (WAL lets them append).
// It opens its own connections, so it works beside a running server and
// without one, and never migrates the source.
func SnapshotFile(ctx context.Context, src, dest string) error {
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("database %s: %w", src, err)
	}
	if _, err := os.Stat(dest); err == nil {
		return fmt.Errorf("snapshot %s: file exists", dest)
	}
	q := url.Values{}
	q.Set("_busy_timeout", "10000")
	q.Set("_query_only", "true")
	srcDB, err := sql.Open("sqlite3", "file:"+src+"?"+q.Encode())
	if err != nil {
		return err
	}
	defer srcDB.Close()
	destDB, err := sql.Open("sqlite3", "file:"+dest+"?_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer destDB.Close()
	srcConn, err := srcDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer srcConn.Close()
	destConn, err := destDB.Conn(ctx)
	if err != nil {
		return err
	}
	defer destConn.Close()

	copyOnce := func() (done bool, err error) {
		err = destConn.Raw(func(d any) error {
			return srcConn.Raw(func(s any) error {
				dc, ok1 := d.(*sqlite3.SQLiteConn)
				sc, ok2 := s.(*sqlite3.SQLiteConn)
				if !ok1 || !ok2 {
					return errors.New("snapshot: not a SQLite connection")
				}
				b, err := dc.Backup("main", sc, "main")
				if err != nil {
					return err
				}
				done, err = b.Step(-1)
				return errors.Join(err, b.Finish())
			})
		})
		return done, err
	}
	// A step can meet a passing lock (a checkpoint, the first write to a
	// new WAL); it is retried a few times before giving up.
	for try := 0; ; try++ {
		done, err := copyOnce()
		if err == nil && done {
			break
		}
		if err == nil {
			err = errors.New("snapshot: backup step did not finish")
		}
		var se sqlite3.Error
		busy := errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
		if !busy || try >= 20 || ctx.Err() != nil {
			return fmt.Errorf("snapshot of %s: %w", src, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	// The copy carries the source's WAL mode; as a file at rest it should
	// be whole by itself, without -wal and -shm files beside it.
	if _, err := destConn.ExecContext(ctx, `PRAGMA journal_mode = DELETE`); err != nil {
		return fmt.Errorf("snapshot journal mode: %w", err)
	}
	return nil
}

// FileInfo is what InspectFile learns about a database file.
type FileInfo struct {
	SchemaVersion int
	// Counts is the number of rows of each table.
	Counts map[string]int64
}

// ErrNotKeyuanDB is a file that is not a Keyuan database (not SQLite at all,
// damaged, or another program's).
var ErrNotKeyuanDB = errors.New("not a Keyuan database")

// InspectFile checks a database file that no server uses (a snapshot or a
// file about to be restored): PRAGMA integrity_check, Keyuan's schema
// version table, and the row count of every table. It opens the file read
// only and changes nothing.
func InspectFile(ctx context.Context, path string) (FileInfo, error) {
	var info FileInfo
	if _, err := os.Stat(path); err != nil {
		return info, err
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_busy_timeout=10000")
	if err != nil {
		return info, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	// Reading the file through a memory map instead of a read call per
	// page: the check visits every page, most more than once.
	if _, err := db.ExecContext(ctx, `PRAGMA mmap_size = 1073741824`); err != nil {
		return info, fmt.Errorf("%w: %v", ErrNotKeyuanDB, err)
	}
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return info, fmt.Errorf("%w: %v", ErrNotKeyuanDB, err)
	}
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return info, err
		}
		if line != "ok" && len(problems) < 5 {
			problems = append(problems, line)
		}
	}
	if err := rows.Close(); err != nil {
		return info, err
	}
	if err := rows.Err(); err != nil {
		return info, fmt.Errorf("%w: %v", ErrNotKeyuanDB, err)
	}
	if len(problems) > 0 {
		return info, fmt.Errorf("%w: integrity check failed: %s", ErrNotKeyuanDB, strings.Join(problems, "; "))
	}
	if err := db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&info.SchemaVersion); err != nil {
		return info, fmt.Errorf("%w: no schema version (%v)", ErrNotKeyuanDB, err)
	}
	tables, err := db.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		return info, err
	}
	var names []string
	for tables.Next() {
		var n string
		if err := tables.Scan(&n); err != nil {
			tables.Close()
			return info, err
		}
		names = append(names, n)
	}
	if err := tables.Close(); err != nil {
		return info, err
	}
	info.Counts = make(map[string]int64, len(names))
	for _, n := range names {
		var c int64
		// Table names come from sqlite_schema, quoted as identifiers.
		if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+strings.ReplaceAll(n, `"`, `""`)+`"`).Scan(&c); err != nil {
			// A virtual table (FTS) whose module is missing cannot be
			// counted; it is derived data, so it is only left out.
			continue
		}
		info.Counts[n] = c
	}
	return info, nil
}

// KnownSchemaVersion is the newest schema version this program knows: a
// database newer than that cannot be opened by it.
func KnownSchemaVersion() (int, error) {
	all, err := loadMigrations()
	if err != nil {
		return 0, err
	}
	return len(all), nil
}
