package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"
)

// QueueResult counts what queueing a campaign's invitations did.
type QueueResult struct {
	Queued     int // messages put in the outbox
	NoEmail    int // targets without an address
	Invalid    int // addresses that cannot be mailed (flagged failed)
	Suppressed int // unsubscribed or bounced before
	Duplicate  int // an address already mailed in this campaign
}

// Invitee is what rendering one invitation needs.
type Invitee struct {
	TargetID     int64
	Name         string
	Email        string
	Company      string
	ContactTitle string
	Salesperson  string
}

// The recipient of an invitation, the same for the preview and the real
// send: the contact's name, title and address, the customer's name, and the
// customer's own salesperson (not the campaign's owner).
const (
	inviteeColumns = `t.id, t.name, t.email, c.name, COALESCE(k.title, ''), u.display_name`
	inviteeFrom    = `FROM campaign_targets t
			JOIN customers c ON c.id = t.customer_id JOIN users u ON u.id = c.owner_id
			LEFT JOIN contacts k ON k.id = t.contact_id`
)

// Invitee returns one target of a campaign as the invitation sees it, for a
// preview; ErrNotFound for a target of another campaign or one the actor's
// campaign scope does not reach.
func (db *DB) Invitee(ctx context.Context, actor Actor, campaignID, targetID int64) (Invitee, error) {
	var inv Invitee
	if _, err := db.getCampaign(ctx, db.Read, actor, campaignID); err != nil {
		return inv, err
	}
	err := db.Read.QueryRowContext(ctx, `SELECT `+inviteeColumns+` `+inviteeFrom+` WHERE t.campaign_id = ? AND t.id = ?`,
		campaignID, targetID).Scan(&inv.TargetID, &inv.Name, &inv.Email, &inv.Company, &inv.ContactTitle, &inv.Salesperson)
	if errors.Is(err, sql.ErrNoRows) {
		return inv, ErrNotFound
	}
	return inv, err
}

// Rendered invitation parts, returned by the caller's render function.
type RenderedMail struct {
	Subject, Text, HTML string
}

// OutboxMessage is a queued message's identity, given to the render
// function so it can add the unsubscribe link and the open pixel.
type OutboxMessage struct {
	Token     string
	MessageID string
}

// stampMilli is stamp with milliseconds, in a fixed width so that text
// comparison stays time order; leases and retry times need sub-second steps.
func stampMilli(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// QueueCampaignMail queues one message per target not mailed yet, in one
// transaction: all of them or none. Only the campaign's owner, managers and
// admins get here (GetCampaign's scope). Addresses that are invalid,
// suppressed or repeated are flagged on their target, never silently
// dropped. host names the Message-ID domain.
func (db *DB) QueueCampaignMail(ctx context.Context, actor Actor, campaignID int64, host string,
	render func(inv Invitee, msg OutboxMessage) (RenderedMail, error)) (QueueResult, error) {
	var res QueueResult
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		res = QueueResult{}
		if _, err := db.getCampaign(ctx, tx, actor, campaignID); err != nil {
			return err
		}
		now := db.nowStamp()
		seen := map[string]bool{}
		rows, err := tx.QueryContext(ctx, `SELECT lower(to_email) FROM outbox WHERE campaign_id = ? AND status <> 'cancelled'`, campaignID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e string
			if err := rows.Scan(&e); err != nil {
				rows.Close()
				return err
			}
			seen[e] = true
		}
		rows.Close()
		rows, err = tx.QueryContext(ctx, `SELECT `+inviteeColumns+`, COALESCE(s.reason, '') `+inviteeFrom+`
			LEFT JOIN mail_suppressions s ON s.email = t.email
			WHERE t.campaign_id = ? AND t.mail_status = '' ORDER BY t.id`, campaignID)
		if err != nil {
			return err
		}
		type pending struct {
			inv        Invitee
			suppressed string
		}
		var list []pending
		for rows.Next() {
			var p pending
			if err := rows.Scan(&p.inv.TargetID, &p.inv.Name, &p.inv.Email, &p.inv.Company, &p.inv.ContactTitle,
				&p.inv.Salesperson, &p.suppressed); err != nil {
				rows.Close()
				return err
			}
			list = append(list, p)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		ins, err := tx.PrepareContext(ctx, `INSERT INTO outbox (campaign_id, target_id, to_email, to_name, subject, body_text, body_html,
			message_id, token, status, next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		mark, err := tx.PrepareContext(ctx, `UPDATE campaign_targets SET mail_status = ?, mail_error = ?, updated_at = ? WHERE id = ?`)
		if err != nil {
			return err
		}
		defer mark.Close()
		for _, p := range list {
			email := strings.TrimSpace(p.inv.Email)
			status, reason := "queued", ""
			switch {
			case email == "":
				res.NoEmail++
				continue
			case !ValidEmail(email):
				status, reason = "failed", "campaign.err.invalid_address"
				res.Invalid++
			case p.suppressed == "unsubscribed":
				status, reason = "unsubscribed", "campaign.err.unsubscribed"
				res.Suppressed++
			case p.suppressed != "":
				status, reason = "failed", "campaign.err.bounced_before"
				res.Suppressed++
			case seen[strings.ToLower(email)]:
				status, reason = "", "campaign.err.duplicate_address"
				res.Duplicate++
			}
			if status == "queued" {
				seen[strings.ToLower(email)] = true
				msg := OutboxMessage{Token: RandomToken(16)}
				msg.MessageID = msg.Token + "@" + host
				r, err := render(p.inv, msg)
				if err != nil {
					return err
				}
				if _, err := ins.ExecContext(ctx, campaignID, p.inv.TargetID, email, p.inv.Name, r.Subject, r.Text, r.HTML,
					msg.MessageID, msg.Token, stampMilli(db.Now()), now); err != nil {
					return err
				}
				res.Queued++
			}
			if _, err := mark.ExecContext(ctx, status, reason, now, p.inv.TargetID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET status = CASE WHEN status = 'planning' THEN 'inviting' ELSE status END,
			send_at = NULL, updated_at = ?, updated_by = ? WHERE id = ?`, now, actor.ID, campaignID); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "campaign", campaignID, "mail_queued", []Change{{Field: "queued", New: strconv.Itoa(res.Queued)}})
	})
	return res, err
}

// EnqueueMail queues one message that belongs to no campaign (a reminder,
// a digest). It is delivered like campaign mail, with retries.
func (db *DB) EnqueueMail(ctx context.Context, to, toName, subject, text, html, host string) error {
	token := RandomToken(16)
	now := db.Now()
	_, err := db.Write.ExecContext(ctx, `INSERT INTO outbox (to_email, to_name, subject, body_text, body_html, message_id, token,
		status, next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?)`,
		to, toName, subject, text, html, token+"@"+host, token, stampMilli(now), stamp(now))
	return err
}

// SaveCampaignMail stores the invitation template and the scheduled send
// time ("" for none).
func (db *DB) SaveCampaignMail(ctx context.Context, actor Actor, campaignID int64, subject, text, html, sendAt string) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.getCampaign(ctx, tx, actor, campaignID); err != nil {
			return err
		}
		now := db.nowStamp()
		_, err := tx.ExecContext(ctx, `UPDATE campaigns SET mail_subject = ?, mail_text = ?, mail_html = ?, send_at = ?,
			updated_at = ?, updated_by = ? WHERE id = ?`, subject, text, html, nullStr(sendAt), now, actor.ID, campaignID)
		return err
	})
}

// SetCampaignPaused pauses or resumes a campaign's sending. Resuming clears
// the mail problem that paused it.
func (db *DB) SetCampaignPaused(ctx context.Context, actor Actor, campaignID int64, paused bool) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.getCampaign(ctx, tx, actor, campaignID); err != nil {
			return err
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET paused = ?, mail_problem = CASE WHEN ? THEN mail_problem ELSE '' END,
			updated_at = ?, updated_by = ? WHERE id = ?`, paused, paused, now, actor.ID, campaignID); err != nil {
			return err
		}
		action := "mail_resumed"
		if paused {
			action = "mail_paused"
		}
		return recordAudit(ctx, tx, now, actor.ID, "campaign", campaignID, action, nil)
	})
}

// DueCampaign is a campaign whose scheduled send time has come.
type DueCampaign struct {
	ID      int64
	OwnerID int64
}

// DueCampaigns lists campaigns with a send time at or before now.
func (db *DB) DueCampaigns(ctx context.Context, now time.Time) ([]DueCampaign, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, owner_id FROM campaigns WHERE send_at IS NOT NULL AND send_at <= ?
		AND status IN ('planning', 'inviting') ORDER BY send_at`, stamp(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DueCampaign
	for rows.Next() {
		var d DueCampaign
		if err := rows.Scan(&d.ID, &d.OwnerID); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// OutboxRow is a claimed message to deliver.
type OutboxRow struct {
	ID         int64
	CampaignID int64
	TargetID   int64
	ToEmail    string
	ToName     string
	Subject    string
	Text       string
	HTML       string
	MessageID  string
	Token      string
	Attempts   int
}

// SentSince counts messages delivered at or after t (for rate limits).
func (db *DB) SentSince(ctx context.Context, t time.Time) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE sent_at >= ?`, stamp(t)).Scan(&n)
	return n, err
}

// ClaimOutbox leases up to n due messages to owner until leaseUntil: queued
// ones whose next attempt has come, and ones whose lease has expired (a
// sender that crashed). Messages of paused campaigns wait; messages to an
// address suppressed since queueing are cancelled instead.
func (db *DB) ClaimOutbox(ctx context.Context, owner string, n int, leaseUntil time.Time) ([]OutboxRow, error) {
	var out []OutboxRow
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		now := stampMilli(db.Now())
		rows, err := tx.QueryContext(ctx, `SELECT o.id, COALESCE(o.campaign_id, 0), COALESCE(o.target_id, 0), o.to_email, o.to_name,
			o.subject, o.body_text, o.body_html, o.message_id, o.token, o.attempts,
			o.campaign_id IS NOT NULL AND EXISTS (SELECT 1 FROM mail_suppressions s WHERE s.email = o.to_email)
			FROM outbox o LEFT JOIN campaigns m ON m.id = o.campaign_id
			WHERE ((o.status = 'queued' AND o.next_attempt <= ?) OR (o.status = 'sending' AND o.lease_until < ?))
			AND COALESCE(m.paused, 0) = 0 ORDER BY o.id LIMIT ?`, now, now, n)
		if err != nil {
			return err
		}
		var cancel []OutboxRow
		for rows.Next() {
			var r OutboxRow
			var suppressed bool
			if err := rows.Scan(&r.ID, &r.CampaignID, &r.TargetID, &r.ToEmail, &r.ToName, &r.Subject, &r.Text, &r.HTML,
				&r.MessageID, &r.Token, &r.Attempts, &suppressed); err != nil {
				rows.Close()
				return err
			}
			if suppressed {
				cancel = append(cancel, r)
			} else {
				out = append(out, r)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range cancel {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'cancelled', last_error = 'suppressed', lease_owner = NULL,
				lease_until = NULL WHERE id = ?`, r.ID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = 'unsubscribed', mail_error = 'campaign.err.unsubscribed'
				WHERE id = ?`, r.TargetID); err != nil {
				return err
			}
		}
		if len(out) == 0 {
			return nil
		}
		ids := make([]any, 0, len(out)+3)
		ids = append(ids, owner, stampMilli(leaseUntil))
		targets := make([]any, 0, len(out))
		for i := range out {
			ids = append(ids, out[i].ID)
			targets = append(targets, out[i].TargetID)
			out[i].Attempts++
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sending', lease_owner = ?, lease_until = ?, attempts = attempts + 1
			WHERE id IN (`+placeholders(len(out))+`)`, ids...); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = 'sending' WHERE mail_status IN ('queued', 'sending')
			AND id IN (`+placeholders(len(targets))+`)`, targets...)
		return err
	})
	return out, err
}

// DeliveryResult is the outcome of sending one claimed message.
type DeliveryResult struct {
	ID        int64
	TargetID  int64
	ToEmail   string
	Attempts  int
	Err       string // "" when the server accepted the message
	Temporary bool   // try again later (until the policy's attempts run out)
	Suppress  bool   // the address refused mail for good (a bounce): never mail it again
}

// RetryPolicy decides when a temporary failure is tried again.
type RetryPolicy struct {
	MaxAttempts int
	Base        time.Duration // first wait; doubles each attempt
	Max         time.Duration
}

// Backoff is the wait before attempt n+1 after n failed attempts.
func (p RetryPolicy) Backoff(attempts int) time.Duration {
	d := p.Base
	for i := 1; i < attempts && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// FinishDeliveries records the outcomes of a batch in one transaction.
// Each update requires that owner still holds the lease, so a sender whose
// lease expired (and whose message another sender took over) changes
// nothing. It returns how many results were recorded.
func (db *DB) FinishDeliveries(ctx context.Context, owner string, results []DeliveryResult, policy RetryPolicy) (int, error) {
	recorded := 0
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		recorded = 0
		now := db.Now()
		nowS := stamp(now)
		for _, r := range results {
			var res sql.Result
			var err error
			targetStatus, targetErr := "", ""
			switch {
			case r.Err == "":
				res, err = tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = ?, last_error = '', lease_owner = NULL,
					lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'sending'`, nowS, r.ID, owner)
				targetStatus = "sent"
			case r.Temporary && r.Attempts < policy.MaxAttempts:
				res, err = tx.ExecContext(ctx, `UPDATE outbox SET status = 'queued', next_attempt = ?, last_error = ?, lease_owner = NULL,
					lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'sending'`,
					stampMilli(now.Add(policy.Backoff(r.Attempts))), r.Err, r.ID, owner)
				targetStatus = "queued"
			default:
				res, err = tx.ExecContext(ctx, `UPDATE outbox SET status = 'failed', last_error = ?, lease_owner = NULL,
					lease_until = NULL WHERE id = ? AND lease_owner = ? AND status = 'sending'`, r.Err, r.ID, owner)
				targetStatus, targetErr = "failed", r.Err
			}
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue // the lease was lost: someone else owns this message now
			}
			recorded++
			if targetStatus == "sent" {
				_, err = tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = CASE WHEN mail_status IN ('opened', 'unsubscribed')
					THEN mail_status ELSE 'sent' END, mail_error = '', notified = 1,
					notified_how = CASE WHEN notified THEN notified_how ELSE 'email' END, notified_at = COALESCE(notified_at, ?)
					WHERE id = ?`, nowS, r.TargetID)
			} else {
				_, err = tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = ?, mail_error = ? WHERE id = ?`,
					targetStatus, targetErr, r.TargetID)
			}
			if err != nil {
				return err
			}
			if r.Suppress && r.Err != "" {
				// The mailbox refused mail for good: never mail this
				// address again, from any campaign.
				if err := suppress(ctx, tx, r.ToEmail, "bounced", r.Err, nowS); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return recorded, err
}

// ReleaseOutbox gives claimed messages that were never tried back to the
// queue, due at retryAt, without counting the attempt their claim counted:
// the rest of a batch when the server went away or refused our sender.
func (db *DB) ReleaseOutbox(ctx context.Context, owner string, ids []int64, retryAt time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		args := []any{stampMilli(retryAt), owner}
		for _, id := range ids {
			args = append(args, id)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = 'queued' WHERE mail_status = 'sending'
			AND id IN (SELECT target_id FROM outbox WHERE lease_owner = ? AND status = 'sending' AND id IN (`+placeholders(len(ids))+`))`,
			args[1:]...); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'queued', next_attempt = ?, attempts = MAX(attempts - 1, 0),
			lease_owner = NULL, lease_until = NULL WHERE lease_owner = ? AND status = 'sending' AND id IN (`+placeholders(len(ids))+`)`,
			args...)
		return err
	})
}

// TakeOverLeases returns to the queue, due now, every message a previous
// process of this data folder left "sending" (it was killed, or the machine
// stopped). Only one server runs per data folder (main holds a lock), so
// such leases are nobody's: waiting for them to expire would only delay
// the mail. Each may have reached the server before the kill; sending it
// again is the one duplicate that SMTP cannot rule out.
func (db *DB) TakeOverLeases(ctx context.Context) (int, error) {
	res, err := db.Write.ExecContext(ctx, `UPDATE outbox SET status = 'queued', next_attempt = ?, lease_owner = NULL,
		lease_until = NULL WHERE status = 'sending'`, stampMilli(db.Now()))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// suppress records an address that must not be mailed again and cancels
// what is still queued for it.
func suppress(ctx context.Context, tx *sql.Tx, email, reason, detail, now string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO mail_suppressions (email, reason, detail, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (email) DO UPDATE SET reason = CASE WHEN excluded.reason = 'unsubscribed' THEN 'unsubscribed' ELSE reason END`,
		email, reason, detail, now); err != nil {
		return err
	}
	targetStatus := "failed"
	if reason == "unsubscribed" {
		targetStatus = "unsubscribed"
	}
	if _, err := tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = ?, mail_error = ?
		WHERE id IN (SELECT target_id FROM outbox WHERE to_email = ? COLLATE NOCASE AND status = 'queued')`,
		targetStatus, "campaign.err."+reason, email); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'cancelled', last_error = ? WHERE to_email = ? COLLATE NOCASE
		AND status = 'queued'`, reason, email)
	return err
}

// Unsubscribe suppresses the address a message went to, for good. It
// returns the address; ErrNotFound for an unknown token.
func (db *DB) Unsubscribe(ctx context.Context, token string) (string, error) {
	var email string
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var target sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT to_email, target_id FROM outbox WHERE token = ?`, token).Scan(&email, &target)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := db.nowStamp()
		if err := suppress(ctx, tx, email, "unsubscribed", "", now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = 'unsubscribed' WHERE id = ?`, target)
		return err
	})
	return email, err
}

// MarkOpened records the first time a message was opened (the pixel).
func (db *DB) MarkOpened(ctx context.Context, token string) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		var target sql.NullInt64
		err := tx.QueryRowContext(ctx, `UPDATE outbox SET opened_at = ? WHERE token = ? AND opened_at IS NULL AND status = 'sent'
			RETURNING target_id`, db.nowStamp(), token).Scan(&target)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // unknown, unsent or already opened: nothing to record
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaign_targets SET mail_status = 'opened' WHERE id = ? AND mail_status = 'sent'`, target)
		return err
	})
}

// Suppressed reports whether an address may no longer be mailed.
func (db *DB) Suppressed(ctx context.Context, email string) (bool, error) {
	var one int
	err := db.Read.QueryRowContext(ctx, `SELECT 1 FROM mail_suppressions WHERE email = ?`, email).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}
