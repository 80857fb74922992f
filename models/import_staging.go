package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
)

// StagedLine is one non-blank line of an upload, as the wizard parsed it.
type StagedLine struct {
	Line  int
	Cells []string
}

// StageImportRows replaces the staged lines of a job by those next yields,
// until it returns ok false, in one transaction, and marks the job staged
// with its header line, merged-cell count and header. next's error aborts
// and stages nothing.
func (db *DB) StageImportRows(ctx context.Context, actor Actor, j *ImportJob, next func() (StagedLine, bool, error)) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_rows WHERE job_id = ?`, j.ID); err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO import_rows (job_id, line, cells) VALUES (?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for {
			l, ok, err := next()
			if err != nil {
				return err
			}
			if !ok {
				break
			}
			cells, err := json.Marshal(l.Cells)
			if err != nil {
				return err
			}
			if _, err := stmt.ExecContext(ctx, j.ID, l.Line, string(cells)); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET staged = 1, sheet = ?, header_line = ?, merged_cells = ?,
			header = ?, mapping = ?, updated_at = ?, updated_by = ?
			WHERE id = ? AND status IN ('draft', 'ready') AND (created_by = ? OR ? = 'admin')`,
			j.Sheet, j.HeaderLine, j.MergedCells, mustJSON(j.Header), mustJSON(j.Mapping), db.nowStamp(), actor.ID,
			j.ID, actor.ID, string(actor.Role))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		j.Staged = true
		return nil
	})
}

// EachStagedLine calls fn for the staged lines of a job after line from,
// in order.
func (db *DB) EachStagedLine(ctx context.Context, jobID int64, from int, fn func(StagedLine) error) error {
	rows, err := db.Read.QueryContext(ctx, `SELECT line, cells FROM import_rows WHERE job_id = ? AND line > ? ORDER BY line`,
		jobID, from)
	if err != nil {
		return err
	}
	defer rows.Close()
	var raw []byte
	for rows.Next() {
		var l StagedLine
		if err := rows.Scan(&l.Line, &raw); err != nil {
			return err
		}
		if err := json.Unmarshal(raw, &l.Cells); err != nil {
			return fmt.Errorf("import %d line %d: %w", jobID, l.Line, err)
		}
		if err := fn(l); err != nil {
			return err
		}
	}
	return rows.Err()
}

// FirstStagedLines returns the first n staged lines of a job, to offer a
// header row.
func (db *DB) FirstStagedLines(ctx context.Context, jobID int64, n int) ([]StagedLine, error) {
	var out []StagedLine
	stop := fmt.Errorf("enough")
	err := db.EachStagedLine(ctx, jobID, 0, func(l StagedLine) error {
		if len(out) == n {
			return stop
		}
		out = append(out, l)
		return nil
	})
	if err == stop {
		err = nil
	}
	return out, err
}

// DeleteDraftImportJob removes a job whose upload could not be staged.
func (db *DB) DeleteDraftImportJob(ctx context.Context, id int64) error {
	_, err := db.Write.ExecContext(ctx, `DELETE FROM import_jobs WHERE id = ? AND status = 'draft'`, id)
	return err
}
