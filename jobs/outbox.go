package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"keyuan/mail"
	"keyuan/models"
)

// OutboxConfig tunes delivery.
type OutboxConfig struct {
	BatchSize int           // messages claimed per round
	PerMinute int           // 0: no limit
	PerHour   int           // 0: no limit
	Lease     time.Duration // how long a claimed message is ours
	Retry     models.RetryPolicy
	From      string // sender address
	FromName  string
	BaseURL   string // for the unsubscribe link in List-Unsubscribe
}

// DefaultOutboxConfig suits a small business's mail server.
var DefaultOutboxConfig = OutboxConfig{
	BatchSize: 200, PerMinute: 600, PerHour: 10000, Lease: 2 * time.Minute,
	Retry: models.RetryPolicy{MaxAttempts: 8, Base: time.Minute, Max: time.Hour},
}

// Outbox delivers queued messages: claim a batch with a lease, send each
// over one reused connection, record the outcomes, repeat until the queue
// is empty or the rate limit is reached.
type Outbox struct {
	db      *models.DB
	log     *slog.Logger
	owner   string // this process's lease name
	sender  func(ctx context.Context) (mail.Sender, OutboxConfig, error)
	problem bool // a mail problem may be recorded: clear it on the next success
}

// NewOutbox builds the deliverer. sender returns the current sender and
// limits, so admin changes to the SMTP settings apply at the next round.
func NewOutbox(db *models.DB, log *slog.Logger, sender func(ctx context.Context) (mail.Sender, OutboxConfig, error)) *Outbox {
	return &Outbox{db: db, log: log, owner: "keyuan-" + models.RandomToken(6), sender: sender, problem: true}
}

// TakeOverLeases returns to the queue what a previous process of this data
// folder left "sending", at start-up, so nothing waits for a lease to run
// out (see models.DB.TakeOverLeases). Call it before the first Deliver.
func (o *Outbox) TakeOverLeases(ctx context.Context) error {
	n, err := o.db.TakeOverLeases(ctx)
	if n > 0 {
		o.log.Info("outbox: took over messages a previous run left sending", "messages", n)
	}
	return err
}

// OutboxJobs are the scheduled jobs of the outbox: deliver what is due,
// and queue the campaigns whose send time has come.
func OutboxJobs(o *Outbox, queueDue func(context.Context) error) []Job {
	return []Job{
		{Name: DeliverMailJob, Schedule: "@every 15s", Enabled: true, Run: func(ctx context.Context) (string, error) {
			st, err := o.Deliver(ctx)
			return fmt.Sprintf("sent %d, retrying %d, failed %d", st.Sent, st.Retry, st.Failed), err
		}},
		{Name: "queue_scheduled_campaigns", Schedule: "@every 1m", Enabled: true, Run: func(ctx context.Context) (string, error) {
			return "", queueDue(ctx)
		}},
	}
}

// DeliverMailJob is the job that delivers the outbox; "send now" runs it at once.
const DeliverMailJob = "deliver_mail"

// DeliveryStats is what one Deliver call did.
type DeliveryStats struct {
	Sent, Retry, Failed int
}

// Deliver sends what is due now, recording each message's outcome as soon
// as the server has answered, so that a sender killed at any moment sends
// at most the one message in flight twice. What a failure means decides
// what follows (see mail.Outcome): a connection that breaks or a 4xx puts
// the message back with a growing wait and stops the round (the rest of the
// batch goes back untried); a bounce fails the message and suppresses the
// address; a rejected message fails alone; a refusal of our sender or login
// pauses the campaign, holds the rest, and tells the administrators.
// A cancelled ctx stops it between messages; the unsent rest goes back to
// the queue.
func (o *Outbox) Deliver(ctx context.Context) (DeliveryStats, error) {
	var st DeliveryStats
	sender, cfg, err := o.sender(ctx)
	if err != nil {
		return st, err
	}
	var session mail.Session
	defer func() {
		if session != nil {
			session.Close()
		}
	}()
	// Bookkeeping outlives a cancelled round: what was sent must be
	// written down, or it would be sent again.
	record := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		n, err := o.allowance(ctx, cfg)
		if err != nil || n == 0 {
			return st, err
		}
		rows, err := o.db.ClaimOutbox(ctx, o.owner, n, o.db.Now().Add(cfg.Lease))
		if err != nil || len(rows) == 0 {
			return st, err
		}
		for i, r := range rows {
			rest := rows[i:]
			if ctx.Err() != nil {
				return st, errors.Join(ctx.Err(), o.release(record, rest, o.db.Now()))
			}
			if session == nil {
				if session, err = sender.Open(ctx); err != nil {
					session = nil
					return st, o.stop(record, rest, r, err, cfg)
				}
			}
			err := session.Send(ctx, envelope(r, cfg))
			if err != nil && errors.Is(err, context.Canceled) {
				return st, errors.Join(err, o.release(record, rest, o.db.Now()))
			}
			outcome := mail.OutcomeOf(err)
			if err != nil && (outcome == mail.Halt || (outcome == mail.Retry && connectionLost(err))) {
				// Every message after this one would meet the same fate.
				session.Close()
				session = nil
				return st, o.stop(record, rest, r, err, cfg)
			}
			res := models.DeliveryResult{ID: r.ID, TargetID: r.TargetID, ToEmail: r.ToEmail, Attempts: r.Attempts}
			if err != nil {
				res.Err = err.Error()
				res.Temporary = outcome == mail.Retry
				res.Suppress = outcome == mail.Bounce
				if outcome == mail.Retry {
					// A 4xx may leave the conversation in any state:
					// start the next message on a fresh connection.
					session.Close()
					session = nil
				}
			}
			if _, err := o.db.FinishDeliveries(record, o.owner, []models.DeliveryResult{res}, cfg.Retry); err != nil {
				return st, errors.Join(err, o.release(record, rows[i+1:], o.db.Now()))
			}
			switch {
			case res.Err == "":
				st.Sent++
				o.mailFlows(record)
			case res.Temporary && r.Attempts < cfg.Retry.MaxAttempts:
				st.Retry++
			default:
				st.Failed++
			}
		}
	}
	return st, ctx.Err()
}

// stop ends a round on a failure that concerns the server, not message r:
// r counts an attempt and waits its backoff (a refusal of our sender holds
// it, and pauses its campaign); the rest of the batch goes back untried.
func (o *Outbox) stop(ctx context.Context, rest []models.OutboxRow, r models.OutboxRow, cause error, cfg OutboxConfig) error {
	now := o.db.Now()
	if mail.OutcomeOf(cause) == mail.Halt {
		o.problem = true
		o.log.Error("mail server refuses our sender: delivery paused", "err", cause)
		if err := o.db.HaltMail(ctx, r.CampaignID, cause.Error()); err != nil {
			return errors.Join(cause, err)
		}
		// Held, not failed: the messages wait for an administrator to
		// mend the settings (or resume the campaign).
		return fmt.Errorf("mail paused: %w", errors.Join(cause, o.release(ctx, rest, now.Add(haltWait))))
	}
	res := models.DeliveryResult{ID: r.ID, TargetID: r.TargetID, ToEmail: r.ToEmail, Attempts: r.Attempts,
		Err: cause.Error(), Temporary: true}
	if _, err := o.db.FinishDeliveries(ctx, o.owner, []models.DeliveryResult{res}, cfg.Retry); err != nil {
		return errors.Join(cause, err)
	}
	wait := cfg.Retry.Backoff(1)
	return fmt.Errorf("mail server unreachable, retrying in %s: %w", wait, errors.Join(cause, o.release(ctx, rest[1:], now.Add(wait))))
}

// haltWait is how long held mail waits before it is tried again after the
// server refused our sender (the settings may have been mended meanwhile).
const haltWait = 15 * time.Minute

// release gives claimed but untried messages back to the queue.
func (o *Outbox) release(ctx context.Context, rows []models.OutboxRow, at time.Time) error {
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return o.db.ReleaseOutbox(ctx, o.owner, ids, at)
}

// mailFlows clears a recorded mail problem once the server accepts mail.
func (o *Outbox) mailFlows(ctx context.Context) {
	if !o.problem {
		return
	}
	if err := o.db.ClearMailProblem(ctx); err != nil {
		o.log.Warn("clear mail problem", "err", err)
		return
	}
	o.problem = false
}

// connectionLost tells a send that failed without a reply from the server
// (a broken connection, EOF, a timeout) from a 4xx the server answered.
func connectionLost(err error) bool {
	var de *mail.DeliveryError
	return errors.As(err, &de) && de.Code == 0
}

// allowance is how many messages the rate limits allow now.
func (o *Outbox) allowance(ctx context.Context, cfg OutboxConfig) (int, error) {
	n := cfg.BatchSize
	for _, lim := range []struct {
		max    int
		window time.Duration
	}{{cfg.PerMinute, time.Minute}, {cfg.PerHour, time.Hour}} {
		if lim.max <= 0 {
			continue
		}
		sent, err := o.db.SentSince(ctx, o.db.Now().Add(-lim.window))
		if err != nil {
			return 0, err
		}
		n = min(n, max(0, lim.max-sent))
	}
	return n, nil
}

// envelope adds the sender to a stored message and, to campaign mail, the
// one-click unsubscribe headers (RFC 8058). Mail to staff (reminders,
// digests) has no unsubscribe: it is work, not marketing.
func envelope(r models.OutboxRow, cfg OutboxConfig) *mail.Envelope {
	e := &mail.Envelope{MessageID: r.MessageID, From: cfg.From, FromName: cfg.FromName, ToName: r.ToName, To: r.ToEmail,
		Subject: r.Subject, Text: r.Text, HTML: r.HTML}
	if r.CampaignID != 0 {
		e.Headers = map[string]string{
			"List-Unsubscribe":      "<" + UnsubscribeURL(cfg.BaseURL, r.Token) + ">",
			"List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
			// One list per campaign (RFC 2919): clients group and filter by it.
			"List-Id": "<campaign-" + strconv.FormatInt(r.CampaignID, 10) + "." + MessageHost(cfg.BaseURL) + ">",
		}
	}
	return e
}

// OutboxMailer is the mail.Mailer of the application's own messages
// (reminders, digests): it queues them in the outbox, which delivers them
// with retries over SMTP, or to .eml files when no server is configured.
type OutboxMailer struct {
	DB   *models.DB
	Host string // Message-ID domain
}

// Send queues one message per recipient.
func (m OutboxMailer) Send(ctx context.Context, msg mail.Message) error {
	host := m.Host
	if host == "" {
		host = "keyuan.local"
	}
	for _, to := range msg.To {
		if err := m.DB.EnqueueMail(ctx, to.Address, to.Name, msg.Subject, msg.Text, msg.HTML, host); err != nil {
			return err
		}
	}
	return nil
}

// UnsubscribeURL and OpenPixelURL are the per-message links.
func UnsubscribeURL(base, token string) string { return base + "/u/" + token }

// OpenPixelURL is the 1×1 image that records the first open.
func OpenPixelURL(base, token string) string { return base + "/o/" + token + ".gif" }
