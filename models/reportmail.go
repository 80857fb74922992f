package models

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Scheduled reports and the managers' digest. A schedule (or a manager's
// digest setting) keeps the UTC time it fires next; the job that finds it
// due sends the period named by that time once to each recipient — the
// report_sends row and the outbox message commit together — and then moves
// the time on.

// ScheduleFrequencies are the ways a report is e-mailed on a schedule.
var ScheduleFrequencies = []string{"daily", "weekly", "monthly", "cron"}

// DigestFrequencies are the choices of the managers' digest.
var DigestFrequencies = []string{"off", "daily", "weekly"}

// ReportSchedule e-mails a report to chosen users.
type ReportSchedule struct {
	ID         int64
	ReportID   int64
	Frequency  string
	Hour       int
	Weekday    int // 0 Sunday … 6 Saturday
	Monthday   int
	Cron       string // the cron expression it fires by (for every frequency)
	Period     string // the relative period a built-in analysis covers
	Active     bool
	NextRunAt  string
	Recipients []int64
	Names      []string // the recipients' names, in order
	CreatedAt  string
}

// ReportSchedules lists a report's schedules.
func (db *DB) ReportSchedules(ctx context.Context, reportID int64) ([]ReportSchedule, error) {
	return db.schedules(ctx, `s.report_id = ?`, reportID)
}

// DueReportSchedules lists the active schedules whose time has come.
func (db *DB) DueReportSchedules(ctx context.Context, now time.Time) ([]ReportSchedule, error) {
	return db.schedules(ctx, `s.active = 1 AND s.next_run_at IS NOT NULL AND s.next_run_at <= ?`, stamp(now))
}

func (db *DB) schedules(ctx context.Context, cond string, args ...any) ([]ReportSchedule, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT s.id, s.report_id, s.frequency, s.hour, s.weekday, s.monthday, s.cron, s.period,
		s.active, COALESCE(s.next_run_at, ''), s.created_at,
		COALESCE((SELECT group_concat(x.user_id || char(9) || u.display_name, char(10)) FROM
			(SELECT su.user_id FROM report_schedule_users su WHERE su.schedule_id = s.id ORDER BY su.user_id) x
			JOIN users u ON u.id = x.user_id), '')
		FROM report_schedules s WHERE `+cond+` ORDER BY s.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ReportSchedule
	for rows.Next() {
		var s ReportSchedule
		var users string
		if err := rows.Scan(&s.ID, &s.ReportID, &s.Frequency, &s.Hour, &s.Weekday, &s.Monthday, &s.Cron, &s.Period,
			&s.Active, &s.NextRunAt, &s.CreatedAt, &users); err != nil {
			return nil, err
		}
		for _, line := range splitNonEmpty(users, "\n") {
			id, name, _ := strings.Cut(line, "\t")
			uid, err := strconv.ParseInt(id, 10, 64)
			if err != nil {
				return nil, err
			}
			s.Recipients = append(s.Recipients, uid)
			s.Names = append(s.Names, name)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// GetReportSchedule returns one schedule of a report.
func (db *DB) GetReportSchedule(ctx context.Context, reportID, id int64) (*ReportSchedule, error) {
	list, err := db.schedules(ctx, `s.report_id = ? AND s.id = ?`, reportID, id)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, ErrNotFound
	}
	return &list[0], nil
}

// SaveReportSchedule creates (ID 0) or updates a schedule of a report
// actor may schedule, firing next at next.
func (db *DB) SaveReportSchedule(ctx context.Context, actor Actor, s *ReportSchedule, next time.Time) error {
	r, err := db.GetReport(ctx, actor, s.ReportID)
	if err != nil {
		return err
	}
	if !r.CanSchedule(actor) {
		return ErrNotFound
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if s.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO report_schedules (report_id, frequency, hour, weekday, monthday, cron, period,
				active, next_run_at, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				s.ReportID, s.Frequency, s.Hour, s.Weekday, s.Monthday, s.Cron, s.Period, s.Active, stamp(next), now, actor.ID, now, actor.ID)
			if err != nil {
				return err
			}
			if s.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE report_schedules SET frequency = ?, hour = ?, weekday = ?, monthday = ?, cron = ?,
				period = ?, active = ?, next_run_at = ?, updated_at = ?, updated_by = ? WHERE id = ? AND report_id = ?`,
				s.Frequency, s.Hour, s.Weekday, s.Monthday, s.Cron, s.Period, s.Active, stamp(next), now, actor.ID, s.ID, s.ReportID)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return ErrNotFound
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM report_schedule_users WHERE schedule_id = ?`, s.ID); err != nil {
				return err
			}
		}
		for _, uid := range s.Recipients {
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO report_schedule_users (schedule_id, user_id) VALUES (?, ?)`, s.ID, uid); err != nil {
				return err
			}
		}
		s.NextRunAt = stamp(next)
		return nil
	})
}

// DeleteReportSchedule deletes a schedule of a report actor may schedule.
func (db *DB) DeleteReportSchedule(ctx context.Context, actor Actor, reportID, id int64) error {
	r, err := db.GetReport(ctx, actor, reportID)
	if err != nil {
		return err
	}
	if !r.CanSchedule(actor) {
		return ErrNotFound
	}
	res, err := db.Write.ExecContext(ctx, `DELETE FROM report_schedules WHERE id = ? AND report_id = ?`, id, reportID)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// AdvanceReportSchedule moves a schedule from the period it just sent to
// its next firing. It only moves a schedule still at that period, so two
// runs that raced cannot skip one.
func (db *DB) AdvanceReportSchedule(ctx context.Context, id int64, period string, next time.Time) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE report_schedules SET next_run_at = ? WHERE id = ? AND next_run_at = ?`,
		stamp(next), id, period)
	return err
}

// OutgoingMail is a rendered message to one person.
type OutgoingMail struct {
	To, ToName          string
	Subject, Text, HTML string
	// Summary, for a digest, is the one-line Chinese summary the chat
	// robots get (event "digest.sent"), and Link the page it opens.
	Summary, Link string
}

// ReportMailSent reports whether the period was already sent to user.
func (db *DB) ReportMailSent(ctx context.Context, kind string, refID, userID int64, period string) (bool, error) {
	var one int
	err := db.Read.QueryRowContext(ctx, `SELECT 1 FROM report_sends WHERE kind = ? AND ref_id = ? AND user_id = ? AND period = ?`,
		kind, refID, userID, period).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// QueueReportMail records that the period goes to user and queues the
// message in the same transaction; false when it had been sent already. A
// user without an address is recorded too, so the period is not retried.
func (db *DB) QueueReportMail(ctx context.Context, kind string, refID, userID int64, period string, m *OutgoingMail, host string) (bool, error) {
	queued := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		queued = false
		now := db.Now()
		result := "queued"
		if m.To == "" {
			result = "no_address"
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO report_sends (kind, ref_id, user_id, period, result, at) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, kind, refID, userID, period, result, stamp(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		if kind == "digest" {
			// The digest's summary goes to the chat robots (if the manager
			// wants it there), and the e-mail only if they want that.
			if err := emitEvent(ctx, tx, stamp(now), "digest.sent", map[string]any{"type": "digest", "user_id": userID,
				"user": m.ToName, "title": m.Subject, "summary": m.Summary, "link": m.Link}, userID); err != nil {
				return err
			}
			mail, err := wantsNotice(ctx, tx, userID, "digest", "email")
			if err != nil || !mail {
				return err
			}
		}
		if m.To == "" {
			return nil
		}
		token := RandomToken(16)
		var outboxID int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO outbox (to_email, to_name, subject, body_text, body_html, message_id, token,
			status, next_attempt, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?) RETURNING id`,
			m.To, m.ToName, m.Subject, m.Text, m.HTML, token+"@"+host, token, stampMilli(now), stamp(now)).Scan(&outboxID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE report_sends SET outbox_id = ? WHERE kind = ? AND ref_id = ? AND user_id = ? AND period = ?`,
			outboxID, kind, refID, userID, period); err != nil {
			return err
		}
		queued = true
		return nil
	})
	return queued, err
}

// --- the managers' digest ------------------------------------------------------

// DigestSetting is one manager's digest.
type DigestSetting struct {
	UserID    int64
	Frequency string // off, daily or weekly
	Hour      int
	NextRunAt string
}

// GetDigestSetting returns a user's digest setting (off when never set).
func (db *DB) GetDigestSetting(ctx context.Context, userID int64) (DigestSetting, error) {
	d := DigestSetting{UserID: userID, Frequency: "off", Hour: 8}
	err := db.Read.QueryRowContext(ctx, `SELECT frequency, hour, COALESCE(next_run_at, '') FROM digest_settings WHERE user_id = ?`,
		userID).Scan(&d.Frequency, &d.Hour, &d.NextRunAt)
	if errors.Is(err, sql.ErrNoRows) {
		return d, nil
	}
	return d, err
}

// SaveDigestSetting stores a manager's digest choice, firing next at next
// (ignored when off).
func (db *DB) SaveDigestSetting(ctx context.Context, actor Actor, d DigestSetting, next time.Time) error {
	if !actor.LeadsPeople() || !slices.Contains(DigestFrequencies, d.Frequency) {
		return ErrNotFound
	}
	var nextAt any
	if d.Frequency != "off" {
		nextAt = stamp(next)
	}
	_, err := db.Write.ExecContext(ctx, `INSERT INTO digest_settings (user_id, frequency, hour, next_run_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET frequency = excluded.frequency, hour = excluded.hour, next_run_at = excluded.next_run_at,
		updated_at = excluded.updated_at`, actor.ID, d.Frequency, d.Hour, nextAt, db.nowStamp())
	return err
}

// DueDigests lists the digests whose time has come, of active managers and
// admins.
func (db *DB) DueDigests(ctx context.Context, now time.Time) ([]DigestSetting, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT d.user_id, d.frequency, d.hour, d.next_run_at FROM digest_settings d
		JOIN users u ON u.id = d.user_id
		WHERE d.frequency <> 'off' AND d.next_run_at IS NOT NULL AND d.next_run_at <= ? AND u.active = 1 AND u.role IN ('admin', 'manager')
		ORDER BY d.next_run_at, d.user_id`, stamp(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DigestSetting
	for rows.Next() {
		var d DigestSetting
		if err := rows.Scan(&d.UserID, &d.Frequency, &d.Hour, &d.NextRunAt); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// AdvanceDigest moves a digest from the period it sent to its next firing.
func (db *DB) AdvanceDigest(ctx context.Context, userID int64, period string, next time.Time) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE digest_settings SET next_run_at = ? WHERE user_id = ? AND next_run_at = ?`,
		stamp(next), userID, period)
	return err
}

// Digest is what a manager's digest says about a period (From–To) as of
// Today.
type Digest struct {
	From, To      string
	Today         string
	Activities    []DigestActivities
	OverduePlans  []DigestOverdue
	NewIssues     []DigestIssueCount // reported in the period, by priority
	OverdueIssues []DigestIssue      // still open after their response time, most overdue first
	OverdueTotal  int
	Campaigns     []DigestCampaign
}

// DigestIssueCount is how many issues of a priority came in.
type DigestIssueCount struct {
	Priority string
	Count    int
}

// DigestIssue is an open issue past its response time.
type DigestIssue struct {
	ID           int64
	Code         string
	Subject      string
	CustomerName string
	Priority     string
	DueAt        string
}

// digestIssues bounds the overdue issues a digest lists.
const digestIssues = 10

// DigestActivities is one salesperson's activity records of the period.
type DigestActivities struct {
	OwnerID   int64
	OwnerName string
	Records   int
	Customers int
}

// DigestOverdue is one salesperson's plans still open after their day.
type DigestOverdue struct {
	OwnerID   int64
	OwnerName string
	Count     int
	Oldest    string
}

// DigestCampaign is the progress of a campaign that is under way.
type DigestCampaign struct {
	ID        int64
	Name      string
	Status    string
	StartDate string
	EndDate   string
	Targets   int
	Notified  int
	Attended  int
	Queued    int
}

// digestCampaigns bounds the campaigns a digest lists.
const digestCampaigns = 10

// BuildDigest gathers a digest for actor (a manager sees everyone's) of
// the days from–to, as of now.
func (db *DB) BuildDigest(ctx context.Context, actor Actor, from, to string, now time.Time) (*Digest, error) {
	d, err := db.BuildTeamWeek(ctx, actor, from, to, now)
	if err != nil {
		return nil, err
	}
	if err := db.digestIssues(ctx, actor, d, now); err != nil {
		return nil, err
	}
	return d, nil
}

// BuildTeamWeek is the part of a digest that a manager's start page shows:
// activity records and overdue plans per person, campaigns in progress.
func (db *DB) BuildTeamWeek(ctx context.Context, actor Actor, from, to string, now time.Time) (*Digest, error) {
	today := now.In(db.Location()).Format("2006-01-02")
	d := &Digest{From: from, To: to, Today: today}
	p := BuiltinParams{Actor: actor}
	conds, args := salesScope(p, "a.owner_id")
	var err error
	d.Activities, err = queryList(ctx, db.Read, `SELECT u.id, u.display_name, g.n, g.c FROM (
			SELECT a.owner_id AS k, COUNT(*) AS n, COUNT(DISTINCT a.customer_id) AS c FROM activities a
			WHERE `+joinAnd(conds)+` AND a.date >= ? AND a.date <= ? GROUP BY a.owner_id) g
		JOIN users u ON u.id = g.k ORDER BY g.n DESC, u.display_name`, append(args, from, to),
		func(row rowScanner) (*DigestActivities, error) {
			var r DigestActivities
			return &r, row.Scan(&r.OwnerID, &r.OwnerName, &r.Records, &r.Customers)
		})
	if err != nil {
		return nil, err
	}
	// Summed from open_plan_counts (migration *_open_plan_counts.sql): one row per owner and
	// day, where counting walked every open past plan of the team.
	conds, args = salesScope(p, "k.owner_id")
	d.OverduePlans, err = queryList(ctx, db.Read, `SELECT u.id, u.display_name, g.n, g.oldest FROM (
			SELECT k.owner_id AS k, SUM(k.n) AS n, MIN(k.date) AS oldest FROM open_plan_counts k
			WHERE `+joinAnd(conds)+` AND k.date < ? GROUP BY k.owner_id) g
		JOIN users u ON u.id = g.k ORDER BY g.n DESC, u.display_name`, append(args, today),
		func(row rowScanner) (*DigestOverdue, error) {
			var r DigestOverdue
			return &r, row.Scan(&r.OwnerID, &r.OwnerName, &r.Count, &r.Oldest)
		})
	if err != nil {
		return nil, err
	}
	scope, args := campaignScope(actor)
	d.Campaigns, err = queryList(ctx, db.Read, `SELECT m.id, m.name, m.status, m.start_date, m.end_date, COUNT(t.id), COALESCE(SUM(t.notified), 0),
			COALESCE(SUM(CASE WHEN t.attended THEN MAX(t.head_count, 1) ELSE 0 END), 0),
			(SELECT COUNT(*) FROM outbox o WHERE o.campaign_id = m.id AND o.status IN ('queued', 'sending'))
		FROM campaigns m LEFT JOIN campaign_targets t ON t.campaign_id = m.id
		WHERE `+scope+` AND m.status IN ('planning', 'inviting') AND m.end_date >= ?
		GROUP BY m.id ORDER BY m.start_date, m.id LIMIT ?`, append(args, from, digestCampaigns),
		func(row rowScanner) (*DigestCampaign, error) {
			var c DigestCampaign
			return &c, row.Scan(&c.ID, &c.Name, &c.Status, &c.StartDate, &c.EndDate, &c.Targets, &c.Notified, &c.Attended, &c.Queued)
		})
	return d, err
}

func joinAnd(conds []string) string { return strings.Join(conds, " AND ") }

func splitNonEmpty(s, sep string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, sep)
}

// digestIssues adds the period's new issues and the open ones past their
// response time.
func (db *DB) digestIssues(ctx context.Context, actor Actor, d *Digest, now time.Time) error {
	rule, args := issueRule(actor)
	loc := db.Location()
	rows, err := db.Read.QueryContext(ctx, `SELECT i.priority, COUNT(*) FROM issues i JOIN customers c ON c.id = i.customer_id
		WHERE i.reported_at >= ? AND i.reported_at < ?`+rule+` GROUP BY i.priority`,
		append([]any{dayStart(d.From, loc), nextDayStart(d.To, loc)}, args...)...)
	if err != nil {
		return err
	}
	counts := map[string]int{}
	for rows.Next() {
		var p string
		var n int
		if err := rows.Scan(&p, &n); err != nil {
			rows.Close()
			return err
		}
		counts[p] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range IssuePriorities {
		if counts[p] > 0 {
			d.NewIssues = append(d.NewIssues, DigestIssueCount{Priority: p, Count: counts[p]})
		}
	}
	overdue := `FROM issues i JOIN customers c ON c.id = i.customer_id
		WHERE i.status IN ('new', 'handling') AND i.due_at < ?` + rule
	oargs := append([]any{stamp(now)}, args...)
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) `+overdue, oargs...).Scan(&d.OverdueTotal); err != nil {
		return err
	}
	rows, err = db.Read.QueryContext(ctx, `SELECT i.id, i.code, i.subject, c.name, i.priority, i.due_at `+overdue+
		` ORDER BY i.due_at, i.id LIMIT ?`, append(oargs, digestIssues)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x DigestIssue
		if err := rows.Scan(&x.ID, &x.Code, &x.Subject, &x.CustomerName, &x.Priority, &x.DueAt); err != nil {
			return err
		}
		d.OverdueIssues = append(d.OverdueIssues, x)
	}
	return rows.Err()
}
