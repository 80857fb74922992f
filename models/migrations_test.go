package models

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// schemaObjects lists every index and trigger with its SQL, the part of a
// schema that a later migration must be able to put right.
func schemaObjects(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	rows, err := db.Query(`SELECT type || ' ' || name, COALESCE(sql, '') FROM sqlite_master
		WHERE type IN ('index', 'trigger', 'table') AND name NOT LIKE 'sqlite_%' AND name != 'schema_version'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			t.Fatal(err)
		}
		out[name] = strings.Join(strings.Fields(text), " ")
	}
	return out
}

// TestMigrationsRealignEditedOnes builds a database the way Keyuan did before
// 0006 and 0007 were edited (their first committed effect, no checksums), then
// opens it with the current program: its indexes and triggers must equal a
// fresh database's.
func TestMigrationsRealignEditedOnes(t *testing.T) {
	ctx := context.Background()
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite3", dsn(old, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TABLE schema_version (version INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	// 0006 first shipped without the index on issues(reported_at); 0007 with
	// another text of two triggers (testdata/0007_first_triggers.sql).
	firstTriggers, err := os.ReadFile(filepath.Join("testdata", "0007_first_triggers.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:10] {
		text := m.sql
		if m.version == 6 {
			text = strings.Replace(text, "CREATE INDEX issues_reported ON issues(reported_at);", "", 1)
		}
		if _, err := raw.Exec(text); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
		if m.version == 7 {
			if _, err := raw.Exec(`DROP TRIGGER customers_count_insert; DROP TRIGGER customers_count_update;` + string(firstTriggers)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := raw.Exec(`INSERT INTO schema_version (version) VALUES (?)`, m.version); err != nil {
			t.Fatal(err)
		}
	}
	before := schemaObjects(t, raw)
	raw.Close()
	if _, ok := before["index issues_reported"]; ok {
		t.Fatal("the old 0006 text should not have the index: the test data is wrong")
	}
	if before["trigger customers_count_insert"] == "" || strings.Contains(before["trigger customers_count_insert"], "VALUES (NEW.kind, 0, '', 0, 1)") {
		t.Fatal("the old 0007 triggers were not put in place: the test data is wrong")
	}

	upgraded, err := Open(ctx, old)
	if err != nil {
		t.Fatal(err)
	}
	defer upgraded.Close()
	fresh, err := Open(ctx, filepath.Join(t.TempDir(), "fresh.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	got, want := schemaObjects(t, upgraded.Write), schemaObjects(t, fresh.Write)
	for name, text := range want {
		if got[name] != text {
			t.Errorf("%s differs from a fresh database's:\n got  %.200s\n want %.200s", name, got[name], text)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s exists only in the upgraded database", name)
		}
	}
	var unstamped int
	if err := upgraded.Write.QueryRow(`SELECT COUNT(*) FROM schema_version WHERE checksum IS NULL`).Scan(&unstamped); err != nil {
		t.Fatal(err)
	}
	if unstamped != 0 {
		t.Errorf("%d applied migrations have no checksum after the start", unstamped)
	}
}

// TestMigrationEditedAfterApplyStopsStart: a shipped migration whose file
// changed is named at start-up instead of silently reaching new databases
// only.
func TestMigrationEditedAfterApplyStopsStart(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	all, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	edited := append([]migration(nil), all...)
	edited[4].sql += "\n-- a harmless-looking edit\n"
	err = db.applyMigrations(ctx, edited)
	if err == nil || !strings.Contains(err.Error(), all[4].name) || !strings.Contains(err.Error(), "changed after it was applied") {
		t.Fatalf("an edited migration was accepted: %v", err)
	}
	// A database from a newer program is refused, not half-used.
	err = db.applyMigrations(ctx, all[:len(all)-1])
	if !errors.Is(err, ErrSchemaTooNew) {
		t.Errorf("a newer schema: %v, want ErrSchemaTooNew", err)
	}
	db.Close()
	again, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("the unchanged files no longer open the database: %v", err)
	}
	again.Close()
}
