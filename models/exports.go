package models

import (
	"context"
	"strings"
)

// Streams for the list exports: every row a filter selects that the actor
// may see, in list order, one query whatever the size.

// EachActivity streams activity records, with the competitors they mention
// joined into one text ("对手A：备注；对手B").
func (db *DB) EachActivity(ctx context.Context, actor Actor, f ActivityFilter, fn func(a *Activity, competitors string) error) error {
	where, args := f.where(actor)
	rows, err := db.Read.QueryContext(ctx, `SELECT `+activityColumns+`,
		COALESCE((SELECT group_concat(p.name || CASE WHEN m.note <> '' THEN '：' || m.note ELSE '' END, '；')
			FROM activity_competitors m JOIN competitors p ON p.id = m.competitor_id WHERE m.activity_id = a.id), '')
		`+activityJoins+` WHERE `+where+` ORDER BY a.date DESC, a.start_time DESC, a.id DESC`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var competitors string
		a, err := scanActivity(extraScan{rows, []any{&competitors}})
		if err != nil {
			return err
		}
		if err := fn(a, strings.TrimSpace(competitors)); err != nil {
			return err
		}
	}
	return rows.Err()
}

// streamRows runs a query and hands each row, as scan reads it, to fn: the
// loop every export stream shares.
func streamRows[T any](ctx context.Context, db *DB, query string, args []any,
	scan func(interface{ Scan(...any) error }) (T, error), fn func(T) error) error {
	rows, err := db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return err
		}
		if err := fn(v); err != nil {
			return err
		}
	}
	return rows.Err()
}

// extraScan scans a row whose columns are followed by extra ones, for
// scanners written for the columns alone.
type extraScan struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (s extraScan) Scan(dest ...any) error { return s.row.Scan(append(dest, s.extra...)...) }
