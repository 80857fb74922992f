package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"keyuan/models"
)

// RestoreResult is what a restore did.
type RestoreResult struct {
	Manifest Manifest
	// MovedAside is the folder the data before the restore was moved to
	// ("" when the data folder held no database).
	MovedAside string
}

// dataEntries are what a restore replaces in the data folder, and so moves
// aside first: the database with its WAL files, the attachments, and the
// search index (derived from the database: without it the next start
// rebuilds it from the restored data).
var dataEntries = []string{dbName, dbName + "-wal", dbName + "-shm", filesDir, "search"}

// Restore replaces the data in dataDir with an archive's. The caller makes
// sure no server uses the folder (it holds the server's lock). The archive
// is unpacked and checked completely, and its database migrated to this
// program's schema, before anything in the folder is touched; then the
// current database, files and search index are moved to a folder
// before-restore-<time> beside them (never deleted) and the restored ones
// put in their place. On any error before that move the folder is as it was.
func Restore(ctx context.Context, archive, dataDir string, now time.Time) (RestoreResult, error) {
	var res RestoreResult
	release, err := Lock(dataDir)
	if err != nil {
		return res, err
	}
	defer release()
	clearTemp(dataDir)
	work, err := os.MkdirTemp(dataDir, tempPrefix)
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(work)
	m, err := Extract(ctx, archive, work)
	if err != nil {
		return res, err
	}
	res.Manifest = m
	// An older schema is brought up to date now, on the unpacked copy, so a
	// migration that fails leaves the current data where it is.
	db, err := models.Open(ctx, filepath.Join(work, dbName))
	if err != nil {
		return res, fmt.Errorf("restore: the backup's database cannot be opened: %w", err)
	}
	if err := db.Close(); err != nil {
		return res, err
	}

	aside := filepath.Join(dataDir, "before-restore-"+now.UTC().Format("20060102-150405")+"Z")
	if err := os.Mkdir(aside, 0o750); err != nil {
		return res, fmt.Errorf("restore: %w", err)
	}
	var moved []string
	undo := func() {
		for _, name := range moved {
			_ = os.Rename(filepath.Join(aside, name), filepath.Join(dataDir, name))
		}
		_ = os.Remove(aside)
	}
	for _, name := range dataEntries {
		err := os.Rename(filepath.Join(dataDir, name), filepath.Join(aside, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			undo()
			return res, fmt.Errorf("restore: move the current data aside: %w", err)
		}
		moved = append(moved, name)
	}
	if len(moved) == 0 {
		_ = os.Remove(aside)
	} else {
		res.MovedAside = aside
	}
	for _, name := range []string{dbName, dbName + "-wal", dbName + "-shm", filesDir} {
		err := os.Rename(filepath.Join(work, name), filepath.Join(dataDir, name))
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, fmt.Errorf("restore: put the restored data in place (the data before it is in %s): %w", aside, err)
		}
	}
	return res, syncDir(dataDir)
}

// clearTemp removes what a killed backup or restore left in dir. Callers
// hold the backup lock, so none of it is in use.
func clearTemp(dir string) {
	matches, _ := filepath.Glob(filepath.Join(dir, tempPrefix+"*"))
	for _, p := range matches {
		_ = os.RemoveAll(p)
	}
}
