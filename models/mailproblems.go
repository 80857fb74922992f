package models

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// The setting that holds the current mail problem ("" when mail flows):
// when it began, then the server's words.
const mailProblemKey = "mail_problem"

// MailProblem is a refusal of our sender or server that stopped delivery.
type MailProblem struct {
	Since   string // RFC 3339
	Message string // the server's reply, as it gave it
}

// HaltMail records that the mail server refused our sender or login: the
// campaign (if the message was one's) is paused with the reason, the
// problem is kept for the admin pages and the digest, and every active
// administrator gets one notification (not one per delivery round).
func (db *DB) HaltMail(ctx context.Context, campaignID int64, problem string) error {
	problem = truncateRunes(problem, 500)
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if campaignID != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET paused = 1, mail_problem = ? WHERE id = ?`,
				problem, campaignID); err != nil {
				return err
			}
			if err := recordAudit(ctx, tx, now, 0, "campaign", campaignID, "mail_halted",
				[]Change{{Field: "mail_problem", New: problem}}); err != nil {
				return err
			}
		}
		var current string
		err := tx.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = ?`, mailProblemKey).Scan(&current)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if current != "" {
			return nil // already known and told
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value) VALUES (?, ?)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value`, mailProblemKey, now+"|"+problem); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, message, link, created_at)
			SELECT id, 'mail_problem', ?, '/admin/mail', ? FROM users WHERE role = 'admin' AND active = 1`, problem, now)
		return err
	})
}

// CurrentMailProblem returns the problem that stopped delivery, if any.
func (db *DB) CurrentMailProblem(ctx context.Context) (*MailProblem, error) {
	v, err := db.Setting(ctx, mailProblemKey)
	if err != nil || v == "" {
		return nil, err
	}
	since, msg, _ := strings.Cut(v, "|")
	return &MailProblem{Since: since, Message: msg}, nil
}

// ClearMailProblem forgets the mail problem: the server accepted mail again.
func (db *DB) ClearMailProblem(ctx context.Context) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE settings SET value = '' WHERE key = ? AND value <> ''`, mailProblemKey)
	return err
}

// Suppression is an address that is not mailed any more.
type Suppression struct {
	Email  string
	Reason string // bounced or unsubscribed
	Detail string // the server's reply, for a bounce
	At     string
}

// SuppressionFilter selects the suppression list.
type SuppressionFilter struct {
	Q      string // part of the address
	Reason string // "", "bounced" or "unsubscribed"
	Limit  int
}

// Suppressions lists suppressed addresses, newest first.
func (db *DB) Suppressions(ctx context.Context, f SuppressionFilter) ([]Suppression, error) {
	q := `SELECT email, reason, detail, at FROM mail_suppressions WHERE 1 = 1`
	var args []any
	if f.Q != "" {
		q += ` AND email LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(f.Q)+"%")
	}
	if f.Reason != "" {
		q += ` AND reason = ?`
		args = append(args, f.Reason)
	}
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	q += ` ORDER BY at DESC, email LIMIT ?`
	args = append(args, limit)
	return db.suppressionRows(ctx, q, args...)
}

// suppressionRows runs a query of email, reason, detail, at.
func (db *DB) suppressionRows(ctx context.Context, q string, args ...any) ([]Suppression, error) {
	rows, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Suppression
	for rows.Next() {
		var s Suppression
		if err := rows.Scan(&s.Email, &s.Reason, &s.Detail, &s.At); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// AllowAddress lifts a suppression (an administrator's decision, e.g. after
// a bounce caused by a full mailbox), with an audit entry. ErrNotFound when
// the address is not suppressed.
func (db *DB) AllowAddress(ctx context.Context, actor Actor, email string) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		var reason string
		err := tx.QueryRowContext(ctx, `DELETE FROM mail_suppressions WHERE email = ? COLLATE NOCASE RETURNING reason`, email).Scan(&reason)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), actor.ID, "mail_suppression", 0, "mail_allowed",
			[]Change{{Field: "email", Old: email}, {Field: "reason", Old: reason}})
	})
}

// CampaignBounces lists the addresses of a campaign that bounced, with the
// server's reply.
func (db *DB) CampaignBounces(ctx context.Context, campaignID int64) ([]Suppression, error) {
	return db.suppressionRows(ctx, `SELECT t.email, 'bounced', t.mail_error, COALESCE(s.at, '')
		FROM campaign_targets t LEFT JOIN mail_suppressions s ON s.email = t.email COLLATE NOCASE
		WHERE t.campaign_id = ? AND t.mail_status = 'failed' ORDER BY t.email`, campaignID)
}
