package handlers

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mattn/go-sqlite3"

	"keyuan/demo"
	"keyuan/models"
)

// countingDriverName is the SQLite driver wrapped so that every statement
// run through it is logged to the statementLog of its database file.
const countingDriverName = "sqlite3-counting"

var registerCountingDriver sync.Once

// statementLogs maps a database path to the log of statements run on it.
var statementLogs sync.Map // string → *statementLog

// statementLog records the SQL run against one database file.
type statementLog struct {
	mu    sync.Mutex
	stmts []string
}

func (l *statementLog) add(query string) {
	l.mu.Lock()
	l.stmts = append(l.stmts, strings.Join(strings.Fields(query), " "))
	l.mu.Unlock()
}

// take returns the statements logged since the last take and clears the log.
func (l *statementLog) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.stmts
	l.stmts = nil
	return s
}

// openCountingDB opens (creating if needed) the database at path through
// the counting driver and returns it with its statement log.
func openCountingDB(path string) (*models.DB, *statementLog, error) {
	registerCountingDriver.Do(func() { sql.Register(countingDriverName, countingDriver{}) })
	log := &statementLog{}
	statementLogs.Store(path, log)
	db, err := models.OpenWithDriver(context.Background(), countingDriverName, path)
	return db, log, err
}

// countingDriver opens SQLite connections that log their statements.
type countingDriver struct{}

func (countingDriver) Open(dsn string) (driver.Conn, error) {
	path := strings.TrimPrefix(dsn, "file:")
	path, _, _ = strings.Cut(path, "?")
	v, ok := statementLogs.Load(path)
	if !ok {
		return nil, fmt.Errorf("counting driver: no statement log for %s", path)
	}
	c, err := (&sqlite3.SQLiteDriver{}).Open(dsn)
	if err != nil {
		return nil, err
	}
	return &countingConn{SQLiteConn: c.(*sqlite3.SQLiteConn), log: v.(*statementLog)}, nil
}

// countingConn is a SQLite connection whose statements are logged. The
// methods database/sql calls for a statement are overridden; the rest
// (transactions, ping, close) are the SQLite connection's own.
type countingConn struct {
	*sqlite3.SQLiteConn
	log *statementLog
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.log.add(query)
	return c.SQLiteConn.QueryContext(ctx, query, args)
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.log.add(query)
	return c.SQLiteConn.ExecContext(ctx, query, args)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	s, err := c.SQLiteConn.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countingStmt{SQLiteStmt: s.(*sqlite3.SQLiteStmt), query: query, log: c.log}, nil
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

// countingStmt is a prepared statement that logs each execution.
type countingStmt struct {
	*sqlite3.SQLiteStmt
	query string
	log   *statementLog
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.log.add(s.query)
	return s.SQLiteStmt.QueryContext(ctx, args)
}

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.log.add(s.query)
	return s.SQLiteStmt.ExecContext(ctx, args)
}

// TestCustomerListQueryCount proves that a page of the customer list costs
// the same few queries whatever the page and however many rows it shows:
// no query per row. (Its speed is measured by BenchmarkCustomerList.)
func TestCustomerListQueryCount(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "count.db")
	db, log, err := openCountingDB(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db.Close()
		statementLogs.Delete(path)
	})
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureAdmin(ctx, testPassword); err != nil {
		t.Fatal(err)
	}
	// 130 customers: pages of 50, 50 and 30 rows, and page 1,000 empty.
	if err := demo.Generate(ctx, db, demo.Options{Customers: 130, Sales: 3, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	app, err := newLoggedInApp(db)
	if err != nil {
		t.Fatal(err)
	}
	industries, err := db.AuxItemsOf(ctx, "industry")
	if err != nil {
		t.Fatal(err)
	}
	app.get("/customers") // the first request fills the aux-item cache; the others are steady state
	log.take()

	tests := []struct {
		target string
		rows   int
	}{
		{"/customers?sort=name", 50},
		{"/customers?sort=name&page=2", 50},
		{"/customers?sort=name&page=3", 30},
		{"/customers?sort=name&page=1000", 0},
		{fmt.Sprintf("/customers?industry=%d&sort=activity&dir=desc", industries[0].ID), -1},
		{fmt.Sprintf("/customers?industry=%d&sort=activity&dir=desc&page=1000", industries[0].ID), 0},
		{"/prospects?sort=name&page=1000", 0},
	}
	var want []string
	for _, tt := range tests {
		rec := app.get(tt.target)
		if rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d", tt.target, rec.Code)
		}
		if n := strings.Count(rec.Body.String(), `name="id"`); tt.rows >= 0 && n != tt.rows {
			t.Fatalf("%s: %d rows, want %d", tt.target, n, tt.rows)
		}
		got := log.take()
		if want == nil {
			want = got
			// Session, user, count, page, owners.
			if len(got) == 0 || len(got) > 6 {
				t.Fatalf("%s: %d statements, want 1 to 6:\n%s", tt.target, len(got), strings.Join(got, "\n"))
			}
			continue
		}
		if len(got) != len(want) {
			t.Errorf("%s: %d statements, page 1 ran %d:\n%s", tt.target, len(got), len(want), strings.Join(got, "\n"))
		}
	}
}
