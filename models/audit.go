package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// Change is one field's old and new value in the audit log.
type Change struct {
	Field string `json:"f"`
	Old   string `json:"o,omitempty"`
	New   string `json:"n,omitempty"`
}

// AuditEntry is one line of a record's history.
type AuditEntry struct {
	ID       int64
	At       string
	UserID   int64
	UserName string
	Action   string
	Changes  []Change
	// Via is the channel of a change not made on the screens, e.g. "API
	// token 网站表单" (models.WithVia); "" for the screens.
	Via string
}

type fieldPair struct {
	field, old, new string
}

// diff keeps the pairs whose value changed.
func diff(pairs []fieldPair) []Change {
	var out []Change
	for _, p := range pairs {
		if p.old != p.new {
			out = append(out, Change{Field: p.field, Old: p.old, New: p.new})
		}
	}
	return out
}

// recordAudit writes one history line in the caller's transaction. An update
// that changed nothing leaves no line.
func recordAudit(ctx context.Context, tx *sql.Tx, at string, userID int64, entity string, entityID int64, action string, changes []Change) error {
	if action == "update" && len(changes) == 0 {
		return nil
	}
	if changes == nil {
		changes = []Change{}
	}
	body, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log (at, user_id, entity, entity_id, action, changes, via) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		at, nullInt(userID), entity, entityID, action, string(body), viaOf(ctx))
	if err != nil {
		return err
	}
	// The one place every change is written down is also where webhooks
	// learn of it, in the same transaction (see webhooks.go).
	return webhookEventsFromAudit(ctx, tx, at, userID, entity, entityID, action, changes)
}

// History returns a record's audit log, newest first.
func (db *DB) History(ctx context.Context, entity string, id int64, limit int) ([]AuditEntry, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT a.id, a.at, COALESCE(a.user_id, 0), COALESCE(u.display_name, ''), a.action, a.changes, a.via
		FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
		WHERE a.entity = ? AND a.entity_id = ? ORDER BY a.id DESC LIMIT ?`, entity, id, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var body string
		if err := rows.Scan(&e.ID, &e.At, &e.UserID, &e.UserName, &e.Action, &body, &e.Via); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &e.Changes); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func isUniqueViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey
	}
	return false
}

func isForeignKeyViolation(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.ExtendedCode == sqlite3.ErrConstraintForeignKey
	}
	return strings.Contains(err.Error(), "FOREIGN KEY")
}
