package models

import "context"

// RequestSearchRebuild asks the search index to rebuild itself from the
// database at its next start, for changes made without the index queue
// (bulk generation, restores).
func (db *DB) RequestSearchRebuild(ctx context.Context) error {
	return db.SetSetting(ctx, searchRebuildKey, db.nowStamp())
}

// SearchRebuildRequested returns the pending rebuild request ("" for none).
func (db *DB) SearchRebuildRequested(ctx context.Context) (string, error) {
	return db.Setting(ctx, searchRebuildKey)
}

// ClearSearchRebuild drops the request if it is still the one that was
// seen (a newer request made during the rebuild stays).
func (db *DB) ClearSearchRebuild(ctx context.Context, seen string) error {
	_, err := db.Write.ExecContext(ctx, `DELETE FROM settings WHERE key = ? AND value = ?`, searchRebuildKey, seen)
	return err
}

const searchRebuildKey = "search.rebuild_requested"
