package jobs

import (
	"context"
	"fmt"
	"log/slog"
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
	db     *models.DB
	log    *slog.Logger
	owner  string // this process's lease name
	sender func(ctx context.Context) (mail.Sender, OutboxConfig, error)
}

// NewOutbox builds the deliverer. sender returns the current sender and
// limits, so admin changes to the SMTP settings apply at the next round.
func NewOutbox(db *models.DB, log *slog.Logger, sender func(ctx context.Context) (mail.Sender, OutboxConfig, error)) *Outbox {
	return &Outbox{db: db, log: log, owner: "keyuan-" + models.RandomToken(6), sender: sender}
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

// Deliver sends what is due now. A cancelled ctx stops it between messages;
// messages already claimed keep their lease and are reclaimed when it
// expires, so nothing is lost and nothing stays "sending".
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
	for ctx.Err() == nil {
		n, err := o.allowance(ctx, cfg)
		if err != nil || n == 0 {
			return st, err
		}
		rows, err := o.db.ClaimOutbox(ctx, o.owner, n, time.Now().Add(cfg.Lease))
		if err != nil || len(rows) == 0 {
			return st, err
		}
		results := make([]models.DeliveryResult, 0, len(rows))
		for _, r := range rows {
			if ctx.Err() != nil {
				break // unsent rows keep their lease and come back later
			}
			res := models.DeliveryResult{ID: r.ID, TargetID: r.TargetID, ToEmail: r.ToEmail, Attempts: r.Attempts}
			if session == nil {
				if session, err = sender.Open(ctx); err != nil {
					session = nil
				}
			}
			if session == nil {
				res.Err, res.Temporary = fmt.Sprintf("connect: %v", err), true
			} else if err := session.Send(ctx, envelope(r, cfg)); err != nil {
				res.Err, res.Temporary = err.Error(), mail.IsTemporary(err)
				if res.Temporary {
					// The connection may be broken: start a fresh one.
					session.Close()
					session = nil
				}
			}
			switch {
			case res.Err == "":
				st.Sent++
			case res.Temporary && r.Attempts < cfg.Retry.MaxAttempts:
				st.Retry++
			default:
				st.Failed++
			}
			results = append(results, res)
		}
		// Record with a context that outlives a cancelled round: what was
		// sent must be written down, or it would be sent again.
		if _, err := o.db.FinishDeliveries(context.WithoutCancel(ctx), o.owner, results, cfg.Retry); err != nil {
			return st, err
		}
	}
	return st, ctx.Err()
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
		sent, err := o.db.SentSince(ctx, time.Now().Add(-lim.window))
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
