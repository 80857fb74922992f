package jobs

import (
	"context"
	"fmt"
	"html"
	"net/mail"

	keymail "keyuan/mail"
	"keyuan/models"
	"keyuan/views"
)

// ReminderConfig is what the plan reminder job needs besides the database.
type ReminderConfig struct {
	Mailer  keymail.Mailer
	From    mail.Address
	BaseURL string
	// T translates a message key into a language ("" is the default).
	T func(lang, key string, args ...any) string
}

// reminderBatch bounds one run; the rest waits for the next minute.
const reminderBatch = 500

// PlanReminders is the job that finds plans whose reminder time has come
// and gives each salesperson an in-app notification and an e-mail, each
// exactly once: the notification commits together with its mark, and the
// e-mail is claimed in the database before it is sent.
func PlanReminders(db *models.DB, cfg ReminderConfig) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		due, err := db.DueReminders(ctx, db.Now(), reminderBatch)
		if err != nil {
			return "", err
		}
		notified, mailed, failed := 0, 0, 0
		for _, r := range due {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			if r.NeedsNotice {
				ok, err := db.NotifyPlan(ctx, r.ID)
				if err != nil {
					return "", err
				}
				if ok {
					notified++
				}
			}
			if !r.NeedsEmail {
				continue
			}
			claimed, err := db.ClaimPlanEmail(ctx, r.ID)
			if err != nil {
				return "", err
			}
			if !claimed {
				continue
			}
			wanted, err := db.WantsNotice(ctx, r.OwnerID, "plan_reminder", "email")
			if err != nil {
				return "", err
			}
			if !wanted { // the owner turned reminder e-mail off (profile → notices)
				if err := db.FinishPlanEmail(ctx, r.ID, "not_wanted", nil); err != nil {
					return "", err
				}
				continue
			}
			if r.OwnerEmail == "" {
				if err := db.FinishPlanEmail(ctx, r.ID, "no_address", nil); err != nil {
					return "", err
				}
				continue
			}
			sendErr := cfg.Mailer.Send(ctx, reminderMessage(cfg, r))
			result := "sent"
			if sendErr != nil {
				failed++
			} else {
				mailed++
			}
			// Record the outcome even if shutdown cancelled ctx meanwhile.
			if err := db.FinishPlanEmail(context.WithoutCancel(ctx), r.ID, result, sendErr); err != nil {
				return "", err
			}
		}
		out := fmt.Sprintf("due %d, notified %d, e-mailed %d", len(due), notified, mailed)
		if failed > 0 {
			return out, fmt.Errorf("%s, %d e-mails failed", out, failed)
		}
		return out, nil
	}
}

func reminderMessage(cfg ReminderConfig, r models.Reminder) keymail.Message {
	lang := r.OwnerLang
	when := r.Date
	if r.Time != "" {
		when += " " + r.Time
	}
	link := cfg.BaseURL + views.Path("plan", r.ID)
	customer := r.CustomerName
	if r.CustomerID == 0 {
		customer = cfg.T(lang, "plan.personal") // a personal task
	}
	subject := cfg.T(lang, "reminder.mail.subject", when, r.Subject, customer)
	text := cfg.T(lang, "reminder.mail.body", r.OwnerName, when, customer, r.Subject, r.Content, r.Code, link)
	htmlBody := "<pre style=\"font-family:inherit;white-space:pre-wrap\">" + html.EscapeString(text) + "</pre>"
	return keymail.Message{
		From:    cfg.From,
		To:      []mail.Address{{Name: r.OwnerName, Address: r.OwnerEmail}},
		Subject: subject,
		Text:    text,
		HTML:    htmlBody,
		Headers: map[string]string{"X-Keyuan-Plan": r.Code, "Auto-Submitted": "auto-generated"},
	}
}

// SessionCleanup is the job that deletes expired login sessions, security
// log entries older than models.SecurityLogKeep and the API's stored
// answers to idempotent retries once they are a day old.
func SessionCleanup(db *models.DB) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		n, err := db.DeleteExpiredSessions(ctx)
		if err != nil {
			return "", err
		}
		old, err := db.PurgeSecurityEvents(ctx, models.SecurityLogKeep)
		if err != nil {
			return "", err
		}
		answers, err := db.PurgeIdempotentResults(ctx)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("deleted %d expired sessions, %d security log entries older than a year, %d API answers older than a day",
			n, old, answers), nil
	}
}
