package models

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// JobRun is one run of a scheduled job.
type JobRun struct {
	ID         int64
	Job        string
	Trigger    string // schedule or manual
	StartedAt  string
	FinishedAt string
	Duration   time.Duration
	OK         bool
	Running    bool
	Result     string
}

// keepJobRuns is how many runs of each job the history keeps.
const keepJobRuns = 200

// StartJobRun records that a job started.
func (db *DB) StartJobRun(ctx context.Context, job, trigger string) (int64, error) {
	res, err := db.Write.ExecContext(ctx, `INSERT INTO job_runs (job, trigger, started_at) VALUES (?, ?, ?)`, job, trigger, db.nowStamp())
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// FinishJobRun records a job's outcome and trims its old history.
func (db *DB) FinishJobRun(ctx context.Context, id int64, d time.Duration, ok bool, result string) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		var job string
		err := tx.QueryRowContext(ctx, `UPDATE job_runs SET finished_at = ?, duration_ms = ?, ok = ?, result = ? WHERE id = ?
			RETURNING job`, db.nowStamp(), d.Milliseconds(), ok, truncateRunes(result, 1000), id).Scan(&job)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM job_runs WHERE job = ? AND id <= (SELECT id FROM job_runs WHERE job = ?
			ORDER BY id DESC LIMIT 1 OFFSET ?)`, job, job, keepJobRuns)
		return err
	})
}

func scanJobRun(row interface{ Scan(...any) error }) (*JobRun, error) {
	var r JobRun
	var finished sql.NullString
	var ms sql.NullInt64
	var ok sql.NullBool
	err := row.Scan(&r.ID, &r.Job, &r.Trigger, &r.StartedAt, &finished, &ms, &ok, &r.Result)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	r.FinishedAt, r.Duration, r.OK, r.Running = finished.String, time.Duration(ms.Int64)*time.Millisecond, ok.Bool, !finished.Valid
	return &r, err
}

// LastJobRun returns a job's newest run (nil when it never ran).
func (db *DB) LastJobRun(ctx context.Context, job string) (*JobRun, error) {
	r, err := scanJobRun(db.Read.QueryRowContext(ctx, `SELECT id, job, trigger, started_at, finished_at, duration_ms, ok, result
		FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT 1`, job))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return r, err
}

// JobRuns lists a job's newest runs.
func (db *DB) JobRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	return queryList(ctx, db.Read, `SELECT id, job, trigger, started_at, finished_at, duration_ms, ok, result
		FROM job_runs WHERE job = ? ORDER BY id DESC LIMIT ?`, []any{job, limit}, scanJobRun)
}
