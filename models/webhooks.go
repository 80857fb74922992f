package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook kinds: signed JSON, or a chat robot that gets short Chinese text.
const (
	WebhookGeneric  = "generic"
	WebhookWeCom    = "wecom"    // 企业微信群机器人
	WebhookDingTalk = "dingtalk" // 钉钉自定义机器人
	WebhookFeishu   = "feishu"   // 飞书自定义机器人
)

// WebhookKinds lists the kinds in the order of the form.
var WebhookKinds = []string{WebhookGeneric, WebhookWeCom, WebhookDingTalk, WebhookFeishu}

// WebhookEvents lists every event a webhook may receive. The record events
// come from the history (recordAudit), so every change the screens, the
// importer or the API make is seen; the notices from the jobs that give them.
var WebhookEvents = []string{
	"customer.created", "customer.updated", "customer.deleted",
	"prospect.created", "prospect.updated", "prospect.deleted",
	"contact.created", "contact.updated", "contact.deleted",
	"opportunity.created", "opportunity.updated", "opportunity.deleted", "opportunity.won", "opportunity.lost",
	"issue.created", "issue.updated", "issue.deleted", "issue.assigned", "issue.resolved", "issue.overdue",
	"plan.due", "campaign.finished", "import.finished", "digest.sent",
}

// Notices are the kinds of notice a user routes to channels on the profile
// page, with the event that carries each one to chat robots.
var Notices = []string{"plan_reminder", "issue_assigned", "issue_overdue", "digest", "mention"}

// NoticeChannels are where a notice may go.
var NoticeChannels = []string{"bell", "email", "chat"}

// NoticeOffers lists the channels each notice really has: the profile page
// offers only these (an issue assignment sends no e-mail, the digest is
// not a bell notice).
var NoticeOffers = map[string][]string{
	"plan_reminder":  {"bell", "email", "chat"},
	"issue_assigned": {"bell", "chat"},
	"issue_overdue":  {"bell", "chat"},
	"digest":         {"email", "chat"},
	"mention":        {"bell", "email"}, // a colleague's @name in a comment
}

var noticeEvents = map[string]string{"plan.due": "plan_reminder", "issue.assigned": "issue_assigned",
	"issue.overdue": "issue_overdue", "digest.sent": "digest"}

// Webhook is one registered receiver.
type Webhook struct {
	ID          int64
	Name        string
	URL         string
	Kind        string
	Events      []string
	Secret      string
	Paused      bool
	PauseReason string
	Failures    int
	CreatedAt   string
	UpdatedAt   string
}

// IsChat tells a chat robot from a generic receiver.
func (w *Webhook) IsChat() bool { return w.Kind != WebhookGeneric }

// Has reports whether the webhook receives event.
func (w *Webhook) Has(event string) bool { return slices.Contains(w.Events, event) }

// Validate checks a webhook's fields.
func (w *Webhook) Validate() FieldErrors {
	errs := FieldErrors{}
	w.Name = strings.TrimSpace(w.Name)
	w.URL = strings.TrimSpace(w.URL)
	if w.Name == "" {
		errs["name"] = "validation.required"
	} else if len([]rune(w.Name)) > 100 {
		errs["name"] = "validation.too_long"
	}
	u, err := url.Parse(w.URL)
	switch {
	case w.URL == "":
		errs["url"] = "validation.required"
	case len(w.URL) > 2000:
		errs["url"] = "validation.too_long"
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		errs["url"] = "webhook.err.url"
	}
	if !slices.Contains(WebhookKinds, w.Kind) {
		errs["kind"] = "validation.invalid_choice"
	}
	if len(w.Events) == 0 {
		errs["events"] = "webhook.err.events"
	}
	for _, e := range w.Events {
		if !slices.Contains(WebhookEvents, e) {
			errs["events"] = "validation.invalid_choice"
		}
	}
	if len(w.Secret) > 200 {
		errs["secret"] = "validation.too_long"
	}
	if w.Kind == WebhookDingTalk && w.Secret != "" && !strings.HasPrefix(w.Secret, "SEC") {
		// DingTalk's 加签 secrets start with SEC; another value is a paste error.
		errs["secret"] = "webhook.err.dingtalk_secret"
	}
	if len(errs) == 0 {
		return nil
	}
	return errs
}

func frameList(v []string) string {
	if len(v) == 0 {
		return ""
	}
	return "," + strings.Join(v, ",") + ","
}

func unframeList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

const webhookColumns = `id, name, url, kind, events, secret, paused, pause_reason, failures, created_at, updated_at`

func scanWebhook(row interface{ Scan(...any) error }) (Webhook, error) {
	var w Webhook
	var events string
	err := row.Scan(&w.ID, &w.Name, &w.URL, &w.Kind, &events, &w.Secret, &w.Paused, &w.PauseReason, &w.Failures,
		&w.CreatedAt, &w.UpdatedAt)
	w.Events = unframeList(events)
	return w, err
}

// Webhooks lists every webhook (settings.admin only: the caller's route).
func (db *DB) Webhooks(ctx context.Context) ([]Webhook, error) { return allWebhooks(ctx, db.Read) }

func allWebhooks(ctx context.Context, q querier) ([]Webhook, error) {
	return queryList(ctx, q, `SELECT `+webhookColumns+` FROM webhooks ORDER BY id`, nil, func(row rowScanner) (*Webhook, error) {
		w, err := scanWebhook(row)
		return &w, err
	})
}

// GetWebhook reads one webhook; ErrNotFound if there is none.
func (db *DB) GetWebhook(ctx context.Context, id int64) (Webhook, error) {
	w, err := scanWebhook(db.Read.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return w, ErrNotFound
	}
	return w, err
}

// SaveWebhook creates (ID 0) or changes a webhook, with its history line.
func (db *DB) SaveWebhook(ctx context.Context, actor Actor, w *Webhook) error {
	if errs := w.Validate(); errs != nil {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if w.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO webhooks (name, url, kind, events, secret, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, w.Name, w.URL, w.Kind, frameList(w.Events), w.Secret, now, now)
			if err != nil {
				return err
			}
			w.ID, _ = res.LastInsertId()
			return recordAudit(ctx, tx, now, actor.ID, "webhook", w.ID, "create", []Change{{Field: "url", New: w.URL}})
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET name = ?, url = ?, kind = ?, events = ?, secret = ?, updated_at = ?
			WHERE id = ?`, w.Name, w.URL, w.Kind, frameList(w.Events), w.Secret, now, w.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return recordAudit(ctx, tx, now, actor.ID, "webhook", w.ID, "update", []Change{{Field: "url", New: w.URL}})
	})
}

// SetWebhookPaused pauses or resumes a webhook. Resuming forgets the
// failures that paused it; the deliveries that waited go out.
func (db *DB) SetWebhookPaused(ctx context.Context, actor Actor, id int64, paused bool) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		res, err := tx.ExecContext(ctx, `UPDATE webhooks SET paused = ?, pause_reason = '', failures = 0, updated_at = ? WHERE id = ?`,
			paused, now, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		action := "resume"
		if paused {
			action = "pause"
		}
		return recordAudit(ctx, tx, now, actor.ID, "webhook", id, action, nil)
	})
}

// DeleteWebhook removes a webhook with its delivery log.
func (db *DB) DeleteWebhook(ctx context.Context, actor Actor, id int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		var u string
		err := tx.QueryRowContext(ctx, `DELETE FROM webhooks WHERE id = ? RETURNING url`, id).Scan(&u)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), actor.ID, "webhook", id, "delete", []Change{{Field: "url", Old: u}})
	})
}

// WebhookDelivery is one event for one webhook: a line of the delivery log.
type WebhookDelivery struct {
	ID           int64
	WebhookID    int64
	EventID      string
	Event        string
	Data         string // JSON
	OccurredAt   string
	Status       string
	Attempts     int
	NextAttempt  string
	ResponseCode int
	LastError    string
	DeliveredAt  string
	UpdatedAt    string
}

const deliveryColumns = `id, webhook_id, event_id, event, data, occurred_at, status, attempts, next_attempt, response_code,
	last_error, COALESCE(delivered_at, ''), updated_at`

func scanDelivery(row interface{ Scan(...any) error }) (WebhookDelivery, error) {
	var d WebhookDelivery
	err := row.Scan(&d.ID, &d.WebhookID, &d.EventID, &d.Event, &d.Data, &d.OccurredAt, &d.Status, &d.Attempts, &d.NextAttempt,
		&d.ResponseCode, &d.LastError, &d.DeliveredAt, &d.UpdatedAt)
	return d, err
}

// WebhookDeliveries is a webhook's delivery log, newest first.
func (db *DB) WebhookDeliveries(ctx context.Context, webhookID int64, limit int) ([]WebhookDelivery, error) {
	return queryList(ctx, db.Read, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE webhook_id = ?
		ORDER BY id DESC LIMIT ?`, []any{webhookID, limit}, func(row rowScanner) (*WebhookDelivery, error) {
		d, err := scanDelivery(row)
		return &d, err
	})
}

// Redeliver queues a logged delivery again as a new line with the same
// event id, so a receiver that did get it the first time can drop it.
func (db *DB) Redeliver(ctx context.Context, actor Actor, webhookID, deliveryID int64) error {
	now := db.Now()
	res, err := db.Write.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event, data, occurred_at,
		next_attempt, updated_at) SELECT webhook_id, event_id, event, data, occurred_at, ?, ? FROM webhook_deliveries
		WHERE id = ? AND webhook_id = ?`, stampMilli(now), stamp(now), deliveryID, webhookID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// auditEvents maps a history line to the webhook events it stands for.
// Contacts' changes are written into their customer's history.
func auditEvents(entity, action string, changes []Change) []string {
	var out []string
	switch entity {
	case "customer", "prospect", "opportunity", "issue":
		switch action {
		case "create":
			out = append(out, entity+".created")
		case "update", "handle":
			out = append(out, entity+".updated")
		case "delete", "erase":
			out = append(out, entity+".deleted")
		case "contact_add":
			out = append(out, "contact.created")
		case "contact_delete":
			out = append(out, "contact.deleted")
		}
		for _, c := range changes {
			switch {
			case entity == "opportunity" && c.Field == "status" && (c.New == "won" || c.New == "lost"):
				out = append(out, "opportunity."+c.New)
			case entity == "issue" && c.Field == "assignee" && c.New != "" && c.New != "0":
				out = append(out, "issue.assigned")
			case entity == "issue" && c.Field == "status" && c.New == "resolved":
				out = append(out, "issue.resolved")
			case strings.HasPrefix(c.Field, "contact.") && action == "update" && !slices.Contains(out, "contact.updated"):
				out = append(out, "contact.updated")
			}
		}
	case "campaign":
		for _, c := range changes {
			if c.Field == "status" && c.New == "done" {
				out = append(out, "campaign.finished")
			}
		}
	case "import":
		if strings.HasPrefix(action, "import_") && action != "import_start" {
			out = append(out, "import.finished")
		}
	}
	return out
}

// recordTitles names the table holding a record's code and title.
var recordTitles = map[string]string{
	"customer": `SELECT code, name FROM customers WHERE id = ?`, "prospect": `SELECT code, name FROM customers WHERE id = ?`,
	"opportunity": `SELECT code, name FROM opportunities WHERE id = ?`, "issue": `SELECT code, subject FROM issues WHERE id = ?`,
	"plan": `SELECT code, subject FROM plans WHERE id = ?`, "campaign": `SELECT code, name FROM campaigns WHERE id = ?`,
}

// webhookEventsFromAudit queues the events a history line stands for, in
// the transaction of the change: the change and its deliveries commit or
// roll back together. Without any webhook this is one query on an empty
// table.
func webhookEventsFromAudit(ctx context.Context, tx *sql.Tx, at string, userID int64, entity string, id int64, action string,
	changes []Change) error {
	events := auditEvents(entity, action, changes)
	if len(events) == 0 {
		return nil
	}
	hooks, err := allWebhooks(ctx, tx)
	if err != nil {
		return err
	}
	if len(hooks) == 0 && !slices.Contains(events, "issue.assigned") {
		return nil
	}
	data := map[string]any{"type": entity, "id": id, "action": action, "by": userID, "changes": changes}
	if q, ok := recordTitles[entity]; ok {
		var code, title string
		if tx.QueryRowContext(ctx, q, id).Scan(&code, &title) == nil {
			data["code"], data["title"] = code, title
		} else if len(changes) > 0 && changes[0].Field == "code" {
			data["code"] = changes[0].Old // deleted: the history line keeps the code
		}
	}
	var notify int64
	if slices.Contains(events, "issue.assigned") {
		var assignee int64
		var name string
		if tx.QueryRowContext(ctx, `SELECT COALESCE(i.assignee_id, 0), COALESCE(u.display_name, '') FROM issues i
			LEFT JOIN users u ON u.id = i.assignee_id WHERE i.id = ?`, id).Scan(&assignee, &name) == nil {
			data["assignee_id"], data["assignee"] = assignee, name
			notify = assignee
		}
	}
	if notify != 0 && notify != userID {
		// The assignee's bell, if they want it there (not when they took
		// the issue themself).
		bell, err := wantsNotice(ctx, tx, notify, "issue_assigned", "bell")
		if err != nil {
			return err
		}
		if bell {
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, message, link, created_at)
				VALUES (?, 'issue_assigned', ?, ?, ?)`, notify, strings.TrimSpace(fmt.Sprint(data["code"], " ", data["title"])),
				"/issues/"+strconv.FormatInt(id, 10), at); err != nil {
				return err
			}
		}
	}
	if len(hooks) == 0 {
		return nil
	}
	for _, e := range events {
		if err := queueEvent(ctx, tx, hooks, at, e, data, notify); err != nil {
			return err
		}
	}
	return nil
}

// queueEvent queues one event for every webhook that receives it. A notice
// about user notify goes to chat robots only if that user wants notices of
// its kind in chat. A paused webhook's deliveries wait for its resumption.
func queueEvent(ctx context.Context, tx *sql.Tx, hooks []Webhook, at, event string, data map[string]any, notify int64) error {
	body, err := json.Marshal(data)
	if err != nil {
		return err
	}
	eventID := "evt_" + RandomToken(12)
	// Due at once; next_attempt has milliseconds like the claim's "now".
	due := at
	if t, err := time.Parse(time.RFC3339, at); err == nil {
		due = stampMilli(t)
	}
	var chatOK *bool
	for _, w := range hooks {
		if !w.Has(event) {
			continue
		}
		if w.IsChat() && notify != 0 {
			if chatOK == nil {
				ok, err := wantsNotice(ctx, tx, notify, noticeEvents[event], "chat")
				if err != nil {
					return err
				}
				chatOK = &ok
			}
			if !*chatOK {
				continue
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event, data, occurred_at,
			next_attempt, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, w.ID, eventID, event, string(body), at, due, at); err != nil {
			return err
		}
	}
	return nil
}

// EmitEvent queues an event that is not a history line (a plan reminder,
// a digest) in its own transaction. notify is the user the notice is for
// (0 for none).
func (db *DB) EmitEvent(ctx context.Context, event string, data map[string]any, notify int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		return emitEvent(ctx, tx, db.nowStamp(), event, data, notify)
	})
}

func emitEvent(ctx context.Context, tx *sql.Tx, at, event string, data map[string]any, notify int64) error {
	hooks, err := allWebhooks(ctx, tx)
	if err != nil || len(hooks) == 0 {
		return err
	}
	return queueEvent(ctx, tx, hooks, at, event, data, notify)
}

// wantsNotice reads a user's choice of channel for a kind of notice; no
// choice saved means every channel.
func wantsNotice(ctx context.Context, q querier, userID int64, notice, channel string) (bool, error) {
	var channels string
	err := q.QueryRowContext(ctx, `SELECT channels FROM notice_prefs WHERE user_id = ? AND notice = ?`, userID, notice).Scan(&channels)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	return strings.Contains(channels, ","+channel+","), err
}

// WantsNotice tells whether the user wants notices of this kind on channel.
func (db *DB) WantsNotice(ctx context.Context, userID int64, notice, channel string) (bool, error) {
	return wantsNotice(ctx, db.Read, userID, notice, channel)
}

// NoticePrefs returns the user's channels per notice (defaults filled in).
func (db *DB) NoticePrefs(ctx context.Context, userID int64) (map[string][]string, error) {
	out := map[string][]string{}
	for _, n := range Notices {
		out[n] = slices.Clone(NoticeOffers[n])
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT notice, channels FROM notice_prefs WHERE user_id = ?`, userID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var n, ch string
		if err := rows.Scan(&n, &ch); err != nil {
			return nil, err
		}
		out[n] = unframeList(ch)
	}
	return out, rows.Err()
}

// SaveNoticePrefs stores the user's channels for every notice; unknown
// notices and channels are refused.
func (db *DB) SaveNoticePrefs(ctx context.Context, userID int64, prefs map[string][]string) error {
	for n, chans := range prefs {
		if !slices.Contains(Notices, n) {
			return FieldErrors{"notices": "validation.invalid_choice"}
		}
		for _, c := range chans {
			if !slices.Contains(NoticeOffers[n], c) {
				return FieldErrors{"notices": "validation.invalid_choice"}
			}
		}
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		for _, n := range Notices {
			var keep []string
			for _, c := range NoticeChannels { // a stable order
				if slices.Contains(prefs[n], c) {
					keep = append(keep, c)
				}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notice_prefs (user_id, notice, channels) VALUES (?, ?, ?)
				ON CONFLICT (user_id, notice) DO UPDATE SET channels = excluded.channels`, userID, n, ","+strings.Join(keep, ",")+","); err != nil {
				return err
			}
		}
		return nil
	})
}

// DueWebhookDelivery is a claimed delivery with what sending it needs.
type DueWebhookDelivery struct {
	WebhookDelivery
	Hook Webhook
}

// ClaimWebhookDeliveries leases up to n due deliveries to owner: queued
// ones whose time has come and sending ones whose lease ran out (a
// deliverer that died mid-request). Paused webhooks' deliveries wait.
func (db *DB) ClaimWebhookDeliveries(ctx context.Context, owner string, n int, leaseUntil time.Time) ([]DueWebhookDelivery, error) {
	var out []DueWebhookDelivery
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		now := stampMilli(db.Now())
		rows, err := tx.QueryContext(ctx, `SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
			WHERE w.paused = 0 AND ((d.status = 'queued' AND d.next_attempt <= ?) OR (d.status = 'sending' AND d.lease_until < ?))
			ORDER BY d.id LIMIT ?`, now, now, n)
		if err != nil {
			return err
		}
		var ids []int64
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		for _, id := range ids {
			d, err := scanDelivery(tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1,
				lease_owner = ?, lease_until = ?, updated_at = ? WHERE id = ? RETURNING `+deliveryColumns,
				owner, stampMilli(leaseUntil), stamp(db.Now()), id))
			if err != nil {
				return err
			}
			w, err := scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks WHERE id = ?`, d.WebhookID))
			if err != nil {
				return err
			}
			out = append(out, DueWebhookDelivery{WebhookDelivery: d, Hook: w})
		}
		return nil
	})
	return out, err
}

// TakeOverWebhookLeases returns to the queue what a previous process left
// "sending" (it was killed mid-request): at start-up, when the data-folder
// lock guarantees that process is gone.
func (db *DB) TakeOverWebhookLeases(ctx context.Context) (int64, error) {
	res, err := db.Write.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'queued', lease_owner = NULL, lease_until = NULL
		WHERE status = 'sending'`)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// WebhookResult is the outcome of one attempt.
type WebhookResult struct {
	ID        int64
	WebhookID int64
	Attempts  int
	Code      int    // HTTP status, 0 if none came
	Err       string // "" on success
}

// FinishWebhookDelivery records one attempt's outcome. A failure waits a
// growing time before the next attempt and is given up after
// policy.MaxAttempts; pauseAfter failed attempts in a row pause the
// webhook and tell the administrators (once). It reports whether the
// webhook was paused now.
func (db *DB) FinishWebhookDelivery(ctx context.Context, owner string, r WebhookResult, policy RetryPolicy, pauseAfter int) (bool, error) {
	paused := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		paused = false
		now := db.Now()
		nowS := stamp(now)
		var res sql.Result
		var err error
		switch {
		case r.Err == "":
			res, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'delivered', response_code = ?, last_error = '',
				delivered_at = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'sending'`,
				r.Code, nowS, nowS, r.ID, owner)
		case r.Attempts < policy.MaxAttempts:
			res, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'queued', response_code = ?, last_error = ?,
				next_attempt = ?, lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'sending'`,
				r.Code, r.Err, stampMilli(now.Add(policy.Backoff(r.Attempts))), nowS, r.ID, owner)
		default:
			res, err = tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'failed', response_code = ?, last_error = ?,
				lease_owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'sending'`,
				r.Code, r.Err, nowS, r.ID, owner)
		}
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // the lease was lost: another deliverer owns the row now
		}
		if r.Err == "" {
			_, err = tx.ExecContext(ctx, `UPDATE webhooks SET failures = 0 WHERE id = ?`, r.WebhookID)
			return err
		}
		var failures int
		var name string
		var wasPaused bool
		if err := tx.QueryRowContext(ctx, `UPDATE webhooks SET failures = failures + 1 WHERE id = ? RETURNING failures, name, paused`,
			r.WebhookID).Scan(&failures, &name, &wasPaused); err != nil {
			return err
		}
		if wasPaused || pauseAfter <= 0 || failures < pauseAfter {
			return nil
		}
		reason := truncateRunes(r.Err, 300)
		if _, err := tx.ExecContext(ctx, `UPDATE webhooks SET paused = 1, pause_reason = ?, updated_at = ? WHERE id = ?`,
			reason, nowS, r.WebhookID); err != nil {
			return err
		}
		if err := recordAudit(ctx, tx, nowS, 0, "webhook", r.WebhookID, "auto_pause", []Change{{Field: "error", New: reason}}); err != nil {
			return err
		}
		paused = true
		_, err = tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, message, link, created_at)
			SELECT id, 'webhook_paused', ?, ?, ? FROM users WHERE role = 'admin' AND active = 1`,
			name+" ("+strconv.Itoa(failures)+"): "+reason, "/admin/webhooks/"+strconv.FormatInt(r.WebhookID, 10), nowS)
		return err
	})
	return paused, err
}

// WebhookSettingAllowPrivate is the setting that lets webhooks reach
// private, loopback and link-local addresses ("1"); refused by default.
const WebhookSettingAllowPrivate = "webhooks_allow_private"

// NoticeOverdueIssues tells the assignees of open issues whose due time
// has passed, once per due time: a bell notification (if they want it
// there) and the "issue.overdue" event for the chat robots (if they want it
// there). It returns how many issues it told about.
func (db *DB) NoticeOverdueIssues(ctx context.Context, limit int) (int, error) {
	n := 0
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		n = 0
		now := db.nowStamp()
		rows, err := tx.QueryContext(ctx, `UPDATE issues SET overdue_noticed_for = due_at
			WHERE id IN (SELECT id FROM issues WHERE status IN ('new', 'handling') AND due_at < ? AND overdue_noticed_for <> due_at
				ORDER BY due_at LIMIT ?)
			RETURNING id, code, subject, due_at, COALESCE(assignee_id, 0)`, now, limit)
		if err != nil {
			return err
		}
		type overdue struct {
			id, assignee       int64
			code, subject, due string
		}
		var list []overdue
		for rows.Next() {
			var o overdue
			if err := rows.Scan(&o.id, &o.code, &o.subject, &o.due, &o.assignee); err != nil {
				rows.Close()
				return err
			}
			list = append(list, o)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, o := range list {
			var name string
			if o.assignee != 0 {
				if err := tx.QueryRowContext(ctx, `SELECT display_name FROM users WHERE id = ?`, o.assignee).Scan(&name); err != nil {
					return err
				}
				bell, err := wantsNotice(ctx, tx, o.assignee, "issue_overdue", "bell")
				if err != nil {
					return err
				}
				if bell {
					if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, message, link, created_at)
						VALUES (?, 'issue_overdue', ?, ?, ?)`, o.assignee, o.code+" "+o.subject,
						"/issues/"+strconv.FormatInt(o.id, 10), now); err != nil {
						return err
					}
				}
			}
			if err := emitEvent(ctx, tx, now, "issue.overdue", map[string]any{"type": "issue", "id": o.id, "code": o.code,
				"title": o.subject, "due_at": o.due, "assignee_id": o.assignee, "assignee": name}, o.assignee); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// QueuePing queues a test event ("ping") for one webhook, whatever its
// events, so an administrator can check a new receiver or chat robot.
func (db *DB) QueuePing(ctx context.Context, webhookID int64) error {
	now := db.Now()
	res, err := db.Write.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, event_id, event, data, occurred_at,
		next_attempt, updated_at) SELECT id, ?, 'ping', '{"type":"ping","title":"客缘 CRM 测试消息"}', ?, ?, ? FROM webhooks WHERE id = ?`,
		"evt_"+RandomToken(12), stamp(now), stampMilli(now), stamp(now), webhookID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
