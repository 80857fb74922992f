package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Migrations are numbered SQL files, applied in order, each in its own
// transaction. A migration that has shipped is never edited: add a new one.
// The SHA-256 of each applied file is kept in schema_version, and a start
// with a file that no longer matches stops with a clear message — an edit
// would otherwise reach new databases only, and nobody would notice.
//
//go:embed migrations/*.sql
var migrationFS embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func (m migration) checksum() string {
	sum := sha256.Sum256([]byte(m.sql))
	return hex.EncodeToString(sum[:])
}

func loadMigrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok {
			return nil, fmt.Errorf("migration %s: name must be NNNN_description.sql", e.Name())
		}
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		body, err := migrationFS.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: expected version %d", m.name, i+1)
		}
	}
	return out, nil
}

func (db *DB) migrate(ctx context.Context) error {
	all, err := loadMigrations()
	if err != nil {
		return err
	}
	return db.applyMigrations(ctx, all)
}

// applyMigrations checks the applied migrations against their files and
// applies the new ones.
func (db *DB) applyMigrations(ctx context.Context, all []migration) error {
	if _, err := db.Write.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, checksum TEXT)`); err != nil {
		return fmt.Errorf("create schema_version: %w", err)
	}
	// Databases made before checksums were kept get the column now.
	var hasChecksum bool
	if err := db.Write.QueryRowContext(ctx,
		`SELECT COUNT(*) > 0 FROM pragma_table_info('schema_version') WHERE name = 'checksum'`).Scan(&hasChecksum); err != nil {
		return fmt.Errorf("read schema_version: %w", err)
	}
	if !hasChecksum {
		if _, err := db.Write.ExecContext(ctx, `ALTER TABLE schema_version ADD COLUMN checksum TEXT`); err != nil {
			return fmt.Errorf("add schema_version.checksum: %w", err)
		}
	}
	var current int
	err := db.Write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&current)
	if err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if current > len(all) {
		return fmt.Errorf("%w: the database is at schema version %d, this program knows %d; use a newer Keyuan",
			ErrSchemaTooNew, current, len(all))
	}
	if err := db.checkApplied(ctx, all[:current]); err != nil {
		return err
	}
	for _, m := range all {
		if m.version <= current {
			continue
		}
		if err := db.applyMigration(ctx, m); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return nil
}

// foreignKeysOff is the first line of a migration that rebuilds a table
// other tables refer to (SQLite's "making other kinds of table schema
// changes"): with foreign keys on, dropping the old table would first delete
// its rows and fire every ON DELETE of the tables that refer to it.
const foreignKeysOff = "-- keyuan:foreign-keys-off"

// applyMigration runs one migration in a transaction. One with the
// foreignKeysOff line runs with foreign keys off (the pragma is a no-op
// inside a transaction, so it is set around it; the writer pool is one
// connection) and must leave no broken reference behind.
func (db *DB) applyMigration(ctx context.Context, m migration) error {
	keysOff := strings.HasPrefix(m.sql, foreignKeysOff)
	if keysOff {
		if _, err := db.Write.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
			return err
		}
		defer db.Write.ExecContext(ctx, `PRAGMA foreign_keys = ON`)
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		if keysOff {
			var table string
			err := tx.QueryRowContext(ctx, `SELECT "table" FROM pragma_foreign_key_check LIMIT 1`).Scan(&table)
			if err == nil {
				return fmt.Errorf("a reference from %s is broken", table)
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO schema_version (version, checksum) VALUES (?, ?)`, m.version, m.checksum())
		return err
	})
}

// ErrSchemaTooNew is a database written by a newer Keyuan.
var ErrSchemaTooNew = errors.New("database schema is newer than this program")

// checkApplied compares the applied migrations with their files. Rows from
// before checksums were kept are trusted once and stamped: the edits made
// before then (0006, 0007) are put right by migration 0011, whichever text
// a database got.
func (db *DB) checkApplied(ctx context.Context, applied []migration) error {
	rows, err := db.Write.QueryContext(ctx, `SELECT version, COALESCE(checksum, '') FROM schema_version`)
	if err != nil {
		return fmt.Errorf("read schema_version: %w", err)
	}
	stored := map[int]string{}
	for rows.Next() {
		var v int
		var sum string
		if err := rows.Scan(&v, &sum); err != nil {
			rows.Close()
			return err
		}
		stored[v] = sum
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range applied {
		sum, ok := stored[m.version]
		switch {
		case !ok || sum == "":
			if _, err := db.Write.ExecContext(ctx, `UPDATE schema_version SET checksum = ? WHERE version = ?`,
				m.checksum(), m.version); err != nil {
				return fmt.Errorf("stamp migration %s: %w", m.name, err)
			}
		case sum != m.checksum():
			return fmt.Errorf("migration %s was changed after it was applied to this database "+
				"(checksum %.12s…, file %.12s…): a shipped migration must not be edited — restore it and put the change in a new migration",
				m.name, sum, m.checksum())
		}
	}
	return nil
}

// SchemaVersion reports the newest applied migration.
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_version`).Scan(&v)
	return v, err
}
