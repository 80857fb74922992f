package jobs

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/robfig/cron/v3"

	"keyuan/models"
)

// Scheduled reports and the managers' digest. Each schedule keeps the time
// it fires next; when that time has come, the job mails the period it
// names to each recipient — recorded in the same transaction as the outbox
// message, so a period goes out once even if the job runs twice or the
// process restarts in between — and then moves the time on.

// ReportRenderer renders the mail of one recipient; the web application
// implements it with its templates, charts and translations.
type ReportRenderer interface {
	// ScheduledReportMail runs the schedule's report as the recipient (the
	// row rules apply) for the period that fired at due.
	ScheduledReportMail(ctx context.Context, to *models.User, s models.ReportSchedule, due time.Time) (*models.OutgoingMail, error)
	// DigestMail is a manager's digest for the period that fired at due.
	DigestMail(ctx context.Context, to *models.User, d models.DigestSetting, due time.Time) (*models.OutgoingMail, error)
}

// ReportMailConfig is what the report mail jobs need.
type ReportMailConfig struct {
	Renderer ReportRenderer
	Host     string // Message-ID domain
	Loc      *time.Location
}

// Job names of the report mail.
const (
	ScheduledReportsJob = "scheduled_reports"
	ManagerDigestJob    = "manager_digest"
)

// ReportJobs are the scheduled jobs that mail reports and digests. They run
// every minute; a schedule fires at most once a minute anyway.
func ReportJobs(db *models.DB, cfg ReportMailConfig) []Job {
	return []Job{
		{Name: ScheduledReportsJob, Schedule: "@every 1m", Enabled: true, Run: ScheduledReports(db, cfg)},
		{Name: ManagerDigestJob, Schedule: "@every 1m", Enabled: true, Run: ManagerDigests(db, cfg)},
	}
}

// ScheduleSpec is the cron expression of a report schedule: daily at hour,
// weekly on weekday (0 Sunday) at hour, monthly on monthday at hour, or
// the expression given. An expression that does not parse, or that fires
// more often than hourly, is an error.
func ScheduleSpec(frequency string, hour, weekday, monthday int, expr string) (string, error) {
	h := strconv.Itoa(hour)
	var spec string
	switch frequency {
	case "daily":
		spec = "0 " + h + " * * *"
	case "weekly":
		spec = "0 " + h + " * * " + strconv.Itoa(weekday)
	case "monthly":
		spec = "0 " + h + " " + strconv.Itoa(monthday) + " * *"
	case "cron":
		spec = expr
	default:
		return "", fmt.Errorf("unknown frequency %q", frequency)
	}
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return "", err
	}
	// Mail, not a heartbeat: two firings closer than an hour are refused.
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for range 24 {
		next := sched.Next(t)
		if next.IsZero() {
			return "", errors.New("the schedule never fires")
		}
		if after := sched.Next(next); !after.IsZero() && after.Sub(next) < time.Hour {
			return "", ErrTooOften
		}
		t = next
	}
	return spec, nil
}

// ErrTooOften refuses a schedule that would mail more often than hourly.
var ErrTooOften = errors.New("fires more often than once an hour")

// NextRun is the first firing of spec after t, in loc.
func NextRun(spec string, t time.Time, loc *time.Location) (time.Time, error) {
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return time.Time{}, err
	}
	next := sched.Next(t.In(loc))
	if next.IsZero() {
		return next, errors.New("the schedule never fires")
	}
	return next, nil
}

// DigestSpec is the cron expression of a digest: daily, or on Mondays, at hour.
func DigestSpec(frequency string, hour int) string {
	if frequency == "weekly" {
		return "0 " + strconv.Itoa(hour) + " * * 1"
	}
	return "0 " + strconv.Itoa(hour) + " * * *"
}

// ScheduledReports mails every due schedule to its recipients.
func ScheduledReports(db *models.DB, cfg ReportMailConfig) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		now := db.Now()
		due, err := db.DueReportSchedules(ctx, now)
		if err != nil {
			return "", err
		}
		queued, skipped := 0, 0
		var failed []error
		for _, s := range due {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			at, err := time.Parse(time.RFC3339, s.NextRunAt)
			if err != nil {
				return "", err
			}
			ok := true
			for _, uid := range s.Recipients {
				q, err := sendOne(ctx, db, cfg, "report", s.ID, uid, s.NextRunAt, func(u *models.User) (*models.OutgoingMail, error) {
					can, err := db.UserCanOpenReport(ctx, u.ID, s.ReportID)
					if err != nil || !can {
						return nil, err // a recipient who lost access gets nothing
					}
					return cfg.Renderer.ScheduledReportMail(ctx, u, s, at.In(cfg.Loc))
				})
				switch {
				case err != nil:
					ok = false
					failed = append(failed, fmt.Errorf("schedule %d, user %d: %w", s.ID, uid, err))
				case q:
					queued++
				default:
					skipped++
				}
			}
			if !ok {
				continue // tried again next minute; what was queued stays queued once
			}
			next, err := NextRun(s.Cron, now, cfg.Loc)
			if err != nil {
				failed = append(failed, fmt.Errorf("schedule %d: %w", s.ID, err))
				continue
			}
			if err := db.AdvanceReportSchedule(ctx, s.ID, s.NextRunAt, next); err != nil {
				return "", err
			}
		}
		out := fmt.Sprintf("due %d, queued %d, skipped %d", len(due), queued, skipped)
		if len(failed) > 0 {
			return out, fmt.Errorf("%s: %w", out, errors.Join(failed...))
		}
		return out, nil
	}
}

// ManagerDigests mails every due digest.
func ManagerDigests(db *models.DB, cfg ReportMailConfig) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		now := db.Now()
		due, err := db.DueDigests(ctx, now)
		if err != nil {
			return "", err
		}
		queued := 0
		var failed []error
		for _, d := range due {
			if err := ctx.Err(); err != nil {
				return "", err
			}
			at, err := time.Parse(time.RFC3339, d.NextRunAt)
			if err != nil {
				return "", err
			}
			q, err := sendOne(ctx, db, cfg, "digest", d.UserID, d.UserID, d.NextRunAt, func(u *models.User) (*models.OutgoingMail, error) {
				return cfg.Renderer.DigestMail(ctx, u, d, at.In(cfg.Loc))
			})
			if err != nil {
				failed = append(failed, fmt.Errorf("digest of user %d: %w", d.UserID, err))
				continue
			}
			if q {
				queued++
			}
			next, err := NextRun(DigestSpec(d.Frequency, d.Hour), now, cfg.Loc)
			if err != nil {
				return "", err
			}
			if err := db.AdvanceDigest(ctx, d.UserID, d.NextRunAt, next); err != nil {
				return "", err
			}
		}
		out := fmt.Sprintf("due %d, queued %d", len(due), queued)
		if len(failed) > 0 {
			return out, fmt.Errorf("%s: %w", out, errors.Join(failed...))
		}
		return out, nil
	}
}

// sendOne renders and queues one recipient's mail of a period unless it
// went out already. render returning nil means "nothing for this user".
func sendOne(ctx context.Context, db *models.DB, cfg ReportMailConfig, kind string, refID, userID int64, period string,
	render func(u *models.User) (*models.OutgoingMail, error)) (bool, error) {
	sent, err := db.ReportMailSent(ctx, kind, refID, userID, period)
	if err != nil || sent {
		return false, err
	}
	u, err := db.UserByID(ctx, userID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !u.Active {
		return false, nil
	}
	m, err := render(u)
	if err != nil || m == nil {
		return false, err
	}
	host := cfg.Host
	if host == "" {
		host = "keyuan.local"
	}
	return db.QueueReportMail(ctx, kind, refID, userID, period, m, host)
}
