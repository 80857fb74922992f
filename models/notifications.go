package models

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Notification is one line under the bell. A plan reminder carries the plan;
// any other kind (a mail problem for administrators) its message and link.
type Notification struct {
	ID        int64
	Kind      string // "plan_reminder" or "mail_problem"
	PlanID    int64
	Plan      Plan
	Message   string
	Link      string
	Read      bool
	CreatedAt string
}

// UnreadNotifications counts the user's unread notifications.
func (db *DB) UnreadNotifications(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = ? AND read_at IS NULL`, userID).Scan(&n)
	return n, err
}

// Notifications lists the user's newest notifications with their plans.
func (db *DB) Notifications(ctx context.Context, userID int64, limit int) ([]Notification, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT n.id, n.kind, n.read_at IS NOT NULL, n.created_at, `+planColumns+`
		FROM notifications n JOIN plans p ON p.id = n.plan_id JOIN users u ON u.id = p.owner_id LEFT JOIN customers c ON c.id = p.customer_id
		LEFT JOIN contacts k ON k.id = p.contact_id LEFT JOIN activities sa ON sa.id = p.source_activity_id
		LEFT JOIN activities da ON da.id = p.done_activity_id
		LEFT JOIN users cb ON cb.id = p.created_by LEFT JOIN users ub ON ub.id = p.updated_by
		WHERE n.user_id = ? AND n.plan_id IS NOT NULL ORDER BY n.id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		p := &n.Plan
		if err := rows.Scan(&n.ID, &n.Kind, &n.Read, &n.CreatedAt, &p.ID, &p.Code, &p.Date, &p.Time, &p.OwnerID, &p.OwnerName,
			&p.CustomerID, &p.CustomerKind, &p.CustomerCode, &p.CustomerName, &p.ContactID, &p.ContactName, &p.MethodID,
			&p.Subject, &p.Content, &p.Status, &p.Origin, &p.SourceActivityID, &p.SourceActivityCode, &p.DoneActivityID,
			&p.DoneActivityCode, &p.RemindMinutes, &p.NotifiedAt, &p.EmailedAt, &p.CreatedAt, &p.UpdatedAt,
			&p.CreatedByName, &p.UpdatedByName); err != nil {
			return nil, err
		}
		n.PlanID = p.ID
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	others, err := db.Read.QueryContext(ctx, `SELECT id, kind, read_at IS NOT NULL, created_at, message, link FROM notifications
		WHERE user_id = ? AND plan_id IS NULL ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, err
	}
	defer others.Close()
	for others.Next() {
		var n Notification
		if err := others.Scan(&n.ID, &n.Kind, &n.Read, &n.CreatedAt, &n.Message, &n.Link); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	slices.SortFunc(out, func(a, b Notification) int { return cmp.Compare(b.ID, a.ID) })
	return out[:min(len(out), limit)], others.Err()
}

// ReadNotification marks one of the user's notifications read and returns
// the plan it is about, or (for other kinds) its link.
func (db *DB) ReadNotification(ctx context.Context, userID, id int64) (int64, string, error) {
	var planID sql.NullInt64
	var link string
	err := db.Write.QueryRowContext(ctx, `UPDATE notifications SET read_at = COALESCE(read_at, ?) WHERE id = ? AND user_id = ?
		RETURNING plan_id, link`, db.nowStamp(), id, userID).Scan(&planID, &link)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	return planID.Int64, link, err
}

// ReadAllNotifications marks all of the user's notifications read.
func (db *DB) ReadAllNotifications(ctx context.Context, userID int64) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE notifications SET read_at = ? WHERE user_id = ? AND read_at IS NULL`, db.nowStamp(), userID)
	return err
}

// Reminder is a plan whose reminder is due, with what the message needs.
type Reminder struct {
	Plan
	OwnerEmail   string
	OwnerLang    string
	NeedsNotice  bool
	NeedsEmail   bool
	EmailAttempt int
}

// reminderWindow is how late a reminder may still go out: a server that
// was down for days does not flood people with stale reminders.
const reminderWindow = 24 * time.Hour

// DueReminders lists plans whose reminder time has come and that still owe
// a notification or an e-mail.
func (db *DB) DueReminders(ctx context.Context, now time.Time, limit int) ([]Reminder, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT `+planColumns+`, u.email, u.lang, p.notified_at IS NULL, p.emailed_at IS NULL,
			p.email_attempts
		`+planJoins+`
		WHERE p.remind_at IS NOT NULL AND p.status = 'planned' AND (p.notified_at IS NULL OR p.emailed_at IS NULL)
			AND p.remind_at <= ? AND p.remind_at > ? AND u.active = 1
		ORDER BY p.remind_at LIMIT ?`, stamp(now), stamp(now.Add(-reminderWindow)), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Reminder
	for rows.Next() {
		var r Reminder
		p := &r.Plan
		if err := rows.Scan(&p.ID, &p.Code, &p.Date, &p.Time, &p.OwnerID, &p.OwnerName, &p.CustomerID, &p.CustomerKind,
			&p.CustomerCode, &p.CustomerName, &p.ContactID, &p.ContactName, &p.MethodID, &p.Subject, &p.Content, &p.Status,
			&p.Origin, &p.SourceActivityID, &p.SourceActivityCode, &p.DoneActivityID, &p.DoneActivityCode, &p.RemindMinutes,
			&p.NotifiedAt, &p.EmailedAt, &p.CreatedAt, &p.UpdatedAt, &p.CreatedByName, &p.UpdatedByName,
			&r.OwnerEmail, &r.OwnerLang, &r.NeedsNotice, &r.NeedsEmail, &r.EmailAttempt); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// NotifyPlan gives the plan's owner an in-app reminder. The mark and the
// notification commit together, so it happens exactly once: false when it
// had already been done.
func (db *DB) NotifyPlan(ctx context.Context, planID int64) (bool, error) {
	done := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		var owner int64
		err := tx.QueryRowContext(ctx, `UPDATE plans SET notified_at = ? WHERE id = ? AND notified_at IS NULL AND status = 'planned'
			RETURNING owner_id`, now, planID).Scan(&owner)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		// The owner may have chosen not to get plan reminders under the
		// bell (profile → notices); the plan is marked notified all the same.
		bell, err := wantsNotice(ctx, tx, owner, "plan_reminder", "bell")
		if err != nil {
			return err
		}
		// A rescheduled plan reminds again: its old notification becomes unread and new.
		if bell {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, plan_id, created_at) VALUES (?, 'plan_reminder', ?, ?)
			ON CONFLICT (plan_id, kind) WHERE plan_id IS NOT NULL DO UPDATE SET user_id = excluded.user_id, read_at = NULL,
			created_at = excluded.created_at`, owner, planID, now); err != nil {
				return err
			}
		}
		done = true
		return planDueEvent(ctx, tx, now, planID, owner)
	})
	return done, err
}

// ClaimPlanEmail marks the plan's reminder e-mail as taken before it is
// sent, so a crash or a second worker can never send it twice (at worst a
// crash right after the claim loses one e-mail). False when already claimed.
func (db *DB) ClaimPlanEmail(ctx context.Context, planID int64) (bool, error) {
	res, err := db.Write.ExecContext(ctx, `UPDATE plans SET emailed_at = ?, email_attempts = email_attempts + 1, email_result = 'sending'
		WHERE id = ? AND emailed_at IS NULL AND status = 'planned'`, db.nowStamp(), planID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// maxEmailAttempts is how often a failing reminder e-mail is tried.
const maxEmailAttempts = 5

// FinishPlanEmail records how sending went. A failure releases the claim
// for a later try until maxEmailAttempts is reached.
func (db *DB) FinishPlanEmail(ctx context.Context, planID int64, result string, sendErr error) error {
	if sendErr == nil {
		_, err := db.Write.ExecContext(ctx, `UPDATE plans SET email_result = ? WHERE id = ?`, result, planID)
		return err
	}
	_, err := db.Write.ExecContext(ctx, `UPDATE plans SET email_result = ?,
		emailed_at = CASE WHEN email_attempts < ? THEN NULL ELSE emailed_at END WHERE id = ?`,
		truncateRunes(fmt.Sprintf("error: %v", sendErr), 300), maxEmailAttempts, planID)
	return err
}

// planDueEvent queues "plan.due" for the webhooks, with what a chat
// message needs to say (subject, customer, time), for the plan's owner.
func planDueEvent(ctx context.Context, tx *sql.Tx, now string, planID, owner int64) error {
	var code, subject, date, tm, customer, ownerName string
	if err := tx.QueryRowContext(ctx, `SELECT p.code, p.subject, p.date, p.time, COALESCE(c.name, ''), u.display_name FROM plans p
		LEFT JOIN customers c ON c.id = p.customer_id JOIN users u ON u.id = p.owner_id WHERE p.id = ?`, planID).Scan(
		&code, &subject, &date, &tm, &customer, &ownerName); err != nil {
		return err
	}
	return emitEvent(ctx, tx, now, "plan.due", map[string]any{"type": "plan", "id": planID, "code": code, "title": subject,
		"date": date, "time": tm, "customer": customer, "owner_id": owner, "owner": ownerName}, owner)
}
