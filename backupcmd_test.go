package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"keyuan/models"
)

// TestBackupAndRestoreCommands: `backup` works beside a running server;
// `restore` refuses while the server holds the data folder and leaves it
// as it was; once the server has stopped, it restores.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KEYUAN_ADMIN_PASSWORD", "backup-cmd-test-pw")
	t.Setenv("KEYUAN_LOG_LEVEL", "warn")
	if err := gen([]string{"--data", dir, "--customers", "40", "--sales", "2"}); err != nil {
		t.Fatalf("gen: %v", err)
	}
	for _, cmd := range []func([]string) error{backupCmd, restoreCmd} {
		if err := cmd([]string{"-h"}); !errors.Is(err, flag.ErrHelp) {
			t.Errorf("-h: %v", err)
		}
	}
	if err := restoreCmd([]string{"--data", dir}); err == nil || !strings.Contains(err.Error(), "name one backup file") {
		t.Errorf("restore without a file: %v", err)
	}

	stop := startServe(t, dir)

	// Beside the running server: a backup works, into a folder of one's
	// choosing; a restore is refused and changes nothing.
	out := t.TempDir()
	if err := backupCmd([]string{"--data", dir, "--to", out}); err != nil {
		t.Fatalf("backup beside the server: %v", err)
	}
	archives, _ := filepath.Glob(filepath.Join(out, "keyuan-*.tar.gz"))
	if len(archives) != 1 {
		t.Fatalf("archives in --to folder: %v", archives)
	}
	err := restoreCmd([]string{archives[0], "--data", dir})
	if err == nil || !strings.Contains(err.Error(), "another Keyuan server is using the data folder") {
		t.Errorf("restore beside a running server: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "search")); err != nil {
		t.Errorf("the refused restore touched the index: %v", err)
	}
	if asides, _ := filepath.Glob(filepath.Join(dir, "before-restore-*")); len(asides) > 0 {
		t.Errorf("the refused restore moved data aside: %v", asides)
	}

	stop()
	// Stopped: the restore goes through (flags before the file work too),
	// the index is gone so the next start rebuilds it, the old data is kept.
	if err := restoreCmd([]string{"--data", dir, archives[0]}); err != nil {
		t.Fatalf("restore with the server stopped: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "search")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("search index after restore: %v", err)
	}
	asides, _ := filepath.Glob(filepath.Join(dir, "before-restore-*", "keyuan.db"))
	if len(asides) != 1 {
		t.Errorf("the replaced database was not kept: %v", asides)
	}
	db, err := models.Open(context.Background(), filepath.Join(dir, "keyuan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, err := db.CountCustomers(context.Background()); err != nil || n != 40 {
		t.Errorf("restored database: %d customers (%v), want 40", n, err)
	}
	if err := restoreCmd([]string{filepath.Join(out, "nope.tar.gz"), "--data", dir}); err == nil ||
		!strings.Contains(err.Error(), "the data folder is unchanged") {
		t.Errorf("restore of a missing file: %v", err)
	}
}

// TestBackupFlags: the nightly backup's settings refuse what they cannot
// mean, from the flag and from the variable, and serve stops at once.
func TestBackupFlags(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"--backup-keep", "0"}, {"--backup-keep", "two"}, {"--backup-at", "25:00"}} {
		err := serve(append([]string{"--data", dir, "--listen", "127.0.0.1:0"}, args...))
		if err == nil || !(strings.Contains(err.Error(), "number of days") || strings.Contains(err.Error(), "HH:MM")) {
			t.Errorf("serve %v: %v", args, err)
		}
	}
	t.Setenv("KEYUAN_BACKUP_KEEP", "-3")
	if err := serve([]string{"--data", dir}); err == nil || !strings.Contains(err.Error(), "KEYUAN_BACKUP_KEEP") {
		t.Errorf("KEYUAN_BACKUP_KEEP=-3: %v", err)
	}
}
