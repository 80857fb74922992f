package models

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// SessionRow is one server-side login session.
type SessionRow struct {
	ID        string
	UserID    int64
	Data      []byte
	ExpiresAt time.Time
}

// CreateSession stores a new session.
func (db *DB) CreateSession(ctx context.Context, s SessionRow) error {
	_, err := db.Write.ExecContext(ctx, `INSERT INTO sessions (id, user_id, data, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		s.ID, s.UserID, s.Data, db.nowStamp(), stamp(s.ExpiresAt))
	return err
}

// SaveSessionData replaces a session's data.
func (db *DB) SaveSessionData(ctx context.Context, id string, data []byte) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE sessions SET data = ? WHERE id = ?`, data, id)
	return err
}

// SessionByID returns a live session; ErrNotFound when it does not exist,
// has expired, or its user was disabled.
func (db *DB) SessionByID(ctx context.Context, id string) (*SessionRow, error) {
	var s SessionRow
	var exp string
	err := db.Read.QueryRowContext(ctx, `SELECT s.id, s.user_id, s.data, s.expires_at FROM sessions s
		JOIN users u ON u.id = s.user_id AND u.active = 1
		WHERE s.id = ? AND s.expires_at > ?`, id, db.nowStamp()).Scan(&s.ID, &s.UserID, &s.Data, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	s.ExpiresAt, err = time.Parse(time.RFC3339, exp)
	return &s, err
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, id string) error {
	_, err := db.Write.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	return err
}

// DeleteExpiredSessions removes sessions past their expiry.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := db.Write.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, db.nowStamp())
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
