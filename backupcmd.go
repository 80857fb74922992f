package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"keyuan/backup"
	"keyuan/jobs"
	"keyuan/models"
)

// backupSettings are the server's nightly backup settings.
type backupSettings struct {
	At       string // HH:MM, business time
	KeepDays int
	CopyTo   string
}

// backupFlags are the serve flags of the nightly backup.
func backupFlags(fs *flag.FlagSet, b *backupSettings) error {
	b.KeepDays = backup.DefaultKeepDays
	if v := os.Getenv("KEYUAN_BACKUP_KEEP"); v != "" {
		if err := (*keepDays)(&b.KeepDays).Set(v); err != nil {
			return fmt.Errorf("KEYUAN_BACKUP_KEEP: %w", err)
		}
	}
	fs.StringVar(&b.At, "backup-at", envDefault("KEYUAN_BACKUP_AT", jobs.DefaultBackupAt), "time of the nightly backup, HH:MM in business time [KEYUAN_BACKUP_AT]")
	fs.Var((*keepDays)(&b.KeepDays), "backup-keep", "days of nightly backups to keep, at least 1 [KEYUAN_BACKUP_KEEP]")
	fs.StringVar(&b.CopyTo, "backup-copy-to", envDefault("KEYUAN_BACKUP_COPY_TO", ""), "a second folder (e.g. a mounted NAS) each backup is copied to [KEYUAN_BACKUP_COPY_TO]")
	return nil
}

// keepDays is a number of days to keep backups: 0 would delete the backup
// just made along with every other, so at least 1.
type keepDays int

func (k *keepDays) String() string { return strconv.Itoa(int(*k)) }

func (k *keepDays) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 {
		return fmt.Errorf("%q is not a number of days (1 or more)", s)
	}
	*k = keepDays(n)
	return nil
}

// backupCmd writes one backup archive, whether the server runs or not: the
// snapshot is SQLite's online backup, consistent while the server writes.
// It takes the backup lock (not the server's), so it never overlaps the
// nightly backup or a restore.
func backupCmd(args []string) error {
	var cfg config
	var to string
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.StringVar(&to, "to", "", "the archive to write, or a folder for it (default DATA/backups/keyuan-<time>.tar.gz)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("backup: unexpected argument %q (use --to FILE)", fs.Arg(0))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The command line has no database clock of its own to ask.
	now := time.Now().UTC()
	dest := filepath.Join(cfg.DataDir, "backups", backup.ArchiveName(now))
	if to != "" {
		dest = to
		if st, err := os.Stat(to); err == nil && st.IsDir() {
			dest = filepath.Join(to, backup.ArchiveName(now))
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.DataDir, "keyuan.db")); err != nil {
		return fmt.Errorf("backup: no database in %s (%w)", cfg.DataDir, err)
	}
	release, err := backup.Lock(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer release()
	elapsed := models.Stopwatch()
	// Each phase's time goes to the log (--log-level debug), for whoever
	// wonders where a long backup spends it.
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	phase, phaseTime := backup.Phase(""), models.Stopwatch()
	progress := func(p backup.Progress) {
		if p.Phase != phase {
			if phase != "" {
				log.Debug("backup phase done", "phase", phase, "took", phaseTime().Round(time.Millisecond))
			}
			phase, phaseTime = p.Phase, models.Stopwatch()
		}
	}
	m, err := backup.Create(ctx, backup.Options{DataDir: cfg.DataDir, Dest: dest, AppVersion: version, Now: now, Progress: progress,
		Nice: backup.DefaultNice})
	if err != nil {
		return err
	}
	log.Debug("backup phase done", "phase", phase, "took", phaseTime().Round(time.Millisecond))
	st, err := os.Stat(dest)
	if err != nil {
		return err
	}
	fmt.Printf("backed up to %s (%.1f MB, schema %d, %d customers, %d files) in %s\n", dest, float64(st.Size())/1e6,
		m.SchemaVersion, m.Counts["customers"], len(m.Files), elapsed().Round(time.Millisecond))
	return nil
}

// restoreCmd replaces the data folder's database and files with a backup's.
// Only with the server stopped: it takes the server's lock, which a running
// server holds.
func restoreCmd(args []string) error {
	var cfg config
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: keyuan restore FILE [--data DIR]")
		fs.PrintDefaults()
	}
	// The archive may come before or after the flags.
	var file string
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if file == "" && len(rest) > 0 {
		file, rest = rest[0], rest[1:]
	}
	if file == "" || len(rest) > 0 {
		return errors.New("restore: name one backup file: keyuan restore FILE [--data DIR]")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer unlock()
	res, err := backup.Restore(ctx, file, cfg.DataDir, time.Now().UTC())
	if err != nil {
		if res.MovedAside == "" {
			return fmt.Errorf("restore %s: %w; the data folder is unchanged", file, err)
		}
		return fmt.Errorf("restore %s: %w", file, err)
	}
	m := res.Manifest
	fmt.Printf("restored the backup of %s (Keyuan %s, schema %d) into %s:\n", m.CreatedAt.Format(time.RFC3339),
		m.AppVersion, m.SchemaVersion, cfg.DataDir)
	for _, n := range []string{"customers", "contacts", "activities", "issues", "users"} {
		if c, ok := m.Counts[n]; ok {
			fmt.Printf("  %-12s %d\n", n, c)
		}
	}
	if res.MovedAside != "" {
		fmt.Printf("the data it replaced is in %s (nothing was deleted)\n", res.MovedAside)
	}
	fmt.Println("the search index is rebuilt when the server starts")
	return nil
}
