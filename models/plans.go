package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// DefaultRemindMinutes is the reminder of a plan made by an activity
// record's next activity.
const DefaultRemindMinutes = 15

// RemindChoices are the reminder lead times a form offers (-1: none).
var RemindChoices = []int{-1, 0, 5, 15, 30, 60, 120, 1440}

// allDayRemindTime is when a plan without a time "starts" for its reminder.
const allDayRemindTime = "09:00"

// PlanStatuses and PlanOrigins are the allowed values, in display order.
var (
	PlanStatuses = []string{"planned", "done", "cancelled"}
	PlanOrigins  = []string{"manual", "batch", "activity"}
)

// Plan is an activity plan (业务活动计划).
type Plan struct {
	ID                 int64
	Code               string
	Date               string
	Time               string // HH:MM, "" for the whole day
	OwnerID            int64
	OwnerName          string
	CustomerID         int64
	CustomerKind       string
	CustomerCode       string
	CustomerName       string
	ContactID          int64
	ContactName        string
	MethodID           int64
	Subject            string
	Content            string
	Status             string
	Origin             string
	SourceActivityID   int64
	SourceActivityCode string
	DoneActivityID     int64
	DoneActivityCode   string
	RemindMinutes      int // -1: no reminder
	NotifiedAt         string
	EmailedAt          string
	CreatedAt          string
	UpdatedAt          string
	CreatedByName      string
	UpdatedByName      string
}

// remindAt is the UTC stamp at which p's reminder is due, or nil.
func (db *DB) remindAt(p *Plan) any {
	if p.RemindMinutes < 0 || p.Status == "done" || p.Status == "cancelled" {
		return nil
	}
	hm := p.Time
	if hm == "" {
		hm = allDayRemindTime
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", p.Date+" "+hm, db.Location())
	if err != nil {
		return nil
	}
	return stamp(t.Add(-time.Duration(p.RemindMinutes) * time.Minute))
}

func remindValue(m int) any {
	if m < 0 {
		return nil
	}
	return m
}

func (db *DB) insertPlan(ctx context.Context, tx *sql.Tx, by int64, p *Plan, now string) error {
	code, err := db.NextNumber(ctx, tx, "plan")
	if err != nil {
		return err
	}
	p.Code = code
	if p.Status == "" {
		p.Status = "planned"
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO plans (code, date, time, owner_id, customer_id, contact_id, method_id, subject,
		content, status, origin, source_activity_id, remind_minutes, remind_at, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Code, p.Date, p.Time, p.OwnerID, nullInt(p.CustomerID), nullInt(p.ContactID), nullInt(p.MethodID), p.Subject, p.Content,
		p.Status, p.Origin, nullInt(p.SourceActivityID), remindValue(p.RemindMinutes), db.remindAt(p), now, nullInt(by), now, nullInt(by))
	if err != nil {
		return err
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return recordAudit(ctx, tx, now, by, "plan", p.ID, "create", []Change{{Field: "code", New: p.Code},
		{Field: "origin", New: p.Origin}, {Field: "date", New: p.Date}, {Field: "time", New: p.Time}, {Field: "subject", New: p.Subject}})
}

// A plan without a customer (a personal task, migration *_personal_plans.sql) has none to
// join: customers are LEFT JOINed and read as 0 and empty text.
const planColumns = `p.id, p.code, p.date, p.time, p.owner_id, u.display_name, COALESCE(p.customer_id, 0), COALESCE(c.kind, ''),
	COALESCE(c.code, ''), COALESCE(c.name, ''),
	COALESCE(p.contact_id, 0), COALESCE(k.name, ''), COALESCE(p.method_id, 0), p.subject, p.content, p.status, p.origin,
	COALESCE(p.source_activity_id, 0), COALESCE(sa.code, ''), COALESCE(p.done_activity_id, 0), COALESCE(da.code, ''),
	COALESCE(p.remind_minutes, -1), COALESCE(p.notified_at, ''), COALESCE(p.emailed_at, ''),
	p.created_at, p.updated_at, COALESCE(cb.display_name, ''), COALESCE(ub.display_name, '')`

const planJoins = ` FROM plans p JOIN users u ON u.id = p.owner_id LEFT JOIN customers c ON c.id = p.customer_id
	LEFT JOIN contacts k ON k.id = p.contact_id LEFT JOIN activities sa ON sa.id = p.source_activity_id
	LEFT JOIN activities da ON da.id = p.done_activity_id
	LEFT JOIN users cb ON cb.id = p.created_by LEFT JOIN users ub ON ub.id = p.updated_by`

// planBriefColumns and planBriefJoins read what a list of plans on a start
// page shows, in scanPlan's order: the codes of the records that made and
// completed a plan, its content and who wrote it are left empty, which saves
// four lookups a row (two in the million activity records).
const planBriefColumns = `p.id, p.code, p.date, p.time, p.owner_id, u.display_name, COALESCE(p.customer_id, 0), COALESCE(c.kind, ''),
	COALESCE(c.code, ''), COALESCE(c.name, ''),
	COALESCE(p.contact_id, 0), COALESCE(k.name, ''), COALESCE(p.method_id, 0), p.subject, '', p.status, p.origin,
	COALESCE(p.source_activity_id, 0), '', COALESCE(p.done_activity_id, 0), '',
	COALESCE(p.remind_minutes, -1), COALESCE(p.notified_at, ''), COALESCE(p.emailed_at, ''),
	p.created_at, p.updated_at, '', ''`

const planBriefJoins = ` FROM plans p JOIN users u ON u.id = p.owner_id LEFT JOIN customers c ON c.id = p.customer_id
	LEFT JOIN contacts k ON k.id = p.contact_id`

func scanPlan(row interface{ Scan(...any) error }) (*Plan, error) {
	var p Plan
	err := row.Scan(&p.ID, &p.Code, &p.Date, &p.Time, &p.OwnerID, &p.OwnerName, &p.CustomerID, &p.CustomerKind, &p.CustomerCode,
		&p.CustomerName, &p.ContactID, &p.ContactName, &p.MethodID, &p.Subject, &p.Content, &p.Status, &p.Origin,
		&p.SourceActivityID, &p.SourceActivityCode, &p.DoneActivityID, &p.DoneActivityCode, &p.RemindMinutes,
		&p.NotifiedAt, &p.EmailedAt, &p.CreatedAt, &p.UpdatedAt, &p.CreatedByName, &p.UpdatedByName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &p, err
}

func (db *DB) getPlan(ctx context.Context, q querier, actor Actor, id int64) (*Plan, error) {
	query := `SELECT ` + planColumns + planJoins + ` WHERE p.id = ?`
	args := []any{id}
	query += actor.ownerAnd(ModActivities, "p.owner_id")
	if rule := personalTaskRule(actor, "p"); rule != "" {
		query += " AND " + rule
	}
	return scanPlan(q.QueryRowContext(ctx, query, args...))
}

// andRule is " AND rule", or "" for no rule.
func andRule(rule string) string {
	if rule == "" {
		return ""
	}
	return " AND " + rule
}

// personalTaskRule is the row rule of a plan without a customer (a personal
// task) beyond the activities scope: its owner's and whoever sees every
// activity's, not a team's. "" for an own or an all scope, which say so
// already: the condition needs each plan's row, which the owner and date
// indexes do not hold.
func personalTaskRule(actor Actor, t string) string {
	if actor.Scope(ModActivities) != ScopeTeam {
		return ""
	}
	return "(" + t + ".customer_id IS NOT NULL OR " + t + ".owner_id = " + strconv.FormatInt(actor.ID, 10) + ")"
}

// GetPlan returns a plan actor may see; ErrNotFound otherwise.
func (db *DB) GetPlan(ctx context.Context, actor Actor, id int64) (*Plan, error) {
	return db.getPlan(ctx, db.Read, actor, id)
}

// SavePlan creates (ID 0, origin manual) or updates a plan. Only planned and
// cancelled can be chosen; "done" comes from completing the plan.
func (db *DB) SavePlan(ctx context.Context, actor Actor, p *Plan) error {
	if !actor.EditsActivities() {
		return ErrNotFound
	}
	if errs, err := db.CheckPlan(ctx, actor, p); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if p.CustomerID != 0 { // else a personal task (CheckPlan: no contact either)
			if _, err := db.counterpart(ctx, tx, actor, p.CustomerID); err != nil {
				return err
			}
			if err := checkContact(ctx, tx, p.CustomerID, p.ContactID); err != nil {
				return err
			}
		}
		now := db.nowStamp()
		if p.ID == 0 {
			p.Origin = "manual"
			p.Status = "planned"
			return db.insertPlan(ctx, tx, actor.ID, p, now)
		}
		old, err := db.getPlan(ctx, tx, actor, p.ID)
		if err != nil {
			return err
		}
		if old.Status == "done" {
			p.Status = "done" // the record that completed it stays the truth
		} else if p.Status != "cancelled" {
			p.Status = "planned"
		}
		p.Code, p.Origin = old.Code, old.Origin
		remindAt := db.remindAt(p)
		_, err = tx.ExecContext(ctx, `UPDATE plans SET date = ?, time = ?, owner_id = ?, customer_id = ?, contact_id = ?, method_id = ?,
			subject = ?, content = ?, status = ?, remind_minutes = ?, remind_at = ?,
			notified_at = CASE WHEN remind_at IS ? THEN notified_at END,
			emailed_at = CASE WHEN remind_at IS ? THEN emailed_at END,
			updated_at = ?, updated_by = ? WHERE id = ?`,
			p.Date, p.Time, p.OwnerID, nullInt(p.CustomerID), nullInt(p.ContactID), nullInt(p.MethodID), p.Subject, p.Content, p.Status,
			remindValue(p.RemindMinutes), remindAt, remindAt, remindAt, now, nullInt(actor.ID), p.ID)
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "plan", p.ID, "update", diff([]fieldPair{
			{"date", old.Date, p.Date}, {"time", old.Time, p.Time}, {"owner", idText(old.OwnerID), idText(p.OwnerID)},
			{"counterpart", idText(old.CustomerID), idText(p.CustomerID)}, {"method", idText(old.MethodID), idText(p.MethodID)},
			{"subject", old.Subject, p.Subject}, {"content", old.Content, p.Content}, {"status", old.Status, p.Status},
			{"remind_minutes", strconv.Itoa(old.RemindMinutes), strconv.Itoa(p.RemindMinutes)}}))
	})
}

// CancelPlan marks a planned plan cancelled.
func (db *DB) CancelPlan(ctx context.Context, actor Actor, id int64) error {
	return db.endPlan(ctx, actor, id, "cancelled", func(*Plan) bool { return true })
}

// CompleteTask marks a personal task (a planned plan without a customer)
// done. A plan with a customer is completed by the activity record that
// carries it out (completePlan); ErrConflict for one, or for a plan that is
// not open.
func (db *DB) CompleteTask(ctx context.Context, actor Actor, id int64) error {
	return db.endPlan(ctx, actor, id, "done", func(p *Plan) bool { return p.CustomerID == 0 })
}

// endPlan gives a planned plan that may end this way (allowed) its final
// status; ErrConflict for a plan that is not open or may not.
func (db *DB) endPlan(ctx context.Context, actor Actor, id int64, status string, allowed func(*Plan) bool) error {
	if !actor.EditsActivities() {
		return ErrNotFound
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		p, err := db.getPlan(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if p.Status != "planned" || !allowed(p) {
			return ErrConflict
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE plans SET status = ?, remind_at = NULL, updated_at = ?, updated_by = ?
			WHERE id = ?`, status, now, nullInt(actor.ID), id); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "plan", id, "update", []Change{{Field: "status", Old: "planned", New: status}})
	})
}

// completePlan marks plan id done by activity record activityID, inside the
// record's transaction.
func (db *DB) completePlan(ctx context.Context, tx *sql.Tx, actor Actor, id, activityID int64, now string) error {
	p, err := db.getPlan(ctx, tx, actor, id)
	if err != nil {
		return err
	}
	if p.Status != "planned" {
		return ErrConflict
	}
	if _, err := tx.ExecContext(ctx, `UPDATE plans SET status = 'done', done_activity_id = ?, remind_at = NULL,
		updated_at = ?, updated_by = ? WHERE id = ?`, activityID, now, nullInt(actor.ID), id); err != nil {
		return err
	}
	return recordAudit(ctx, tx, now, actor.ID, "plan", id, "update", []Change{{Field: "status", Old: "planned", New: "done"}})
}

// PlanFilter selects a plan list.
type PlanFilter struct {
	SalesFilter
	Status string
	Origin string
}

// where builds the WHERE clause of the plan list and export.
func (f PlanFilter) where(actor Actor) (string, []any) {
	w := f.SalesFilter.where(actor, "p")
	if rule := personalTaskRule(actor, "p"); rule != "" {
		w.add(rule)
	}
	w.eq("p.status", f.Status)
	w.eq("p.origin", f.Origin)
	return w.sql()
}

// EachPlan streams every plan matching f that actor may see, in list order.
func (db *DB) EachPlan(ctx context.Context, actor Actor, f PlanFilter, fn func(p *Plan) error) error {
	where, args := f.where(actor)
	return streamRows(ctx, db, `SELECT `+planColumns+planJoins+` WHERE `+where+` ORDER BY p.date, p.time, p.id`, args, scanPlan, fn)
}

// ListPlans returns one page of plans in date and time order.
func (db *DB) ListPlans(ctx context.Context, actor Actor, f PlanFilter) (PlanPage, error) {
	fixPage(&f.Page, &f.PerPage, 50, 500)
	where, args := f.where(actor)
	page := PlanPage{Page: f.Page, PerPage: f.PerPage}
	// The page's ids are found first on the plans alone, then joined.
	err := fetchPage(ctx, db, &page, `SELECT COUNT(*) FROM plans p WHERE `+where, `SELECT `+planColumns+planJoins+`
		WHERE p.id IN (SELECT p.id FROM plans p WHERE `+where+` ORDER BY p.date, p.time, p.id LIMIT ? OFFSET ?)
		ORDER BY p.date, p.time, p.id`, args, scanPlan)
	return page, err
}

// OverduePlans lists planned plans of actor's own before today, oldest first.
func (db *DB) OverduePlans(ctx context.Context, actor Actor, ownerID int64, today string, limit int) ([]Plan, error) {
	return db.PlansOnly(ctx, actor, PlanFilter{SalesFilter: SalesFilter{To: prevDay(today), OwnerID: ownerID, PerPage: limit}, Status: "planned"})
}

// CountOverduePlans counts the planned plans of ownerID before today that
// actor may see, from open_plan_counts (migration *_open_plan_counts.sql): one row per day
// instead of one per plan.
func (db *DB) CountOverduePlans(ctx context.Context, actor Actor, ownerID int64, today string) (int, error) {
	if ownerID != actor.ID && !actor.Sees(ModActivities, ownerID) {
		return 0, nil
	}
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM open_plan_counts WHERE owner_id = ? AND date < ?`,
		ownerID, today).Scan(&n)
	return n, err
}

// PlansOnly is the first PerPage plans of a list without its total, for the
// start pages, which show a day's plans and do not page, in brief
// (planBriefColumns).
func (db *DB) PlansOnly(ctx context.Context, actor Actor, f PlanFilter) ([]Plan, error) {
	fixPage(&f.Page, &f.PerPage, 50, 500)
	where, args := f.where(actor)
	return queryList(ctx, db.Read, `SELECT `+planBriefColumns+planBriefJoins+`
		WHERE p.id IN (SELECT p.id FROM plans p WHERE `+where+` ORDER BY p.date, p.time, p.id LIMIT ?)
		ORDER BY p.date, p.time, p.id`, append(args, f.PerPage), scanPlan)
}

func prevDay(d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	return t.AddDate(0, 0, -1).Format("2006-01-02")
}

// NextPlan returns the counterpart's earliest open plan from today on
// (nil when there is none) that actor may see.
func (db *DB) NextPlan(ctx context.Context, actor Actor, customerID int64, today string) (*Plan, error) {
	query := `SELECT ` + planColumns + planJoins + ` WHERE p.customer_id = ? AND p.status = 'planned' AND p.date >= ?`
	args := []any{customerID, today}
	query += actor.ownerAnd(ModActivities, "p.owner_id")
	p, err := scanPlan(db.Read.QueryRowContext(ctx, query+` ORDER BY p.date, p.time, p.id LIMIT 1`, args...))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// PlanCompletedBy returns the plan that activity record activityID
// completed (nil when none) if actor may see it.
func (db *DB) PlanCompletedBy(ctx context.Context, actor Actor, activityID int64) (*Plan, error) {
	query := `SELECT ` + planColumns + planJoins + ` WHERE p.done_activity_id = ?`
	args := []any{activityID}
	query += actor.ownerAnd(ModActivities, "p.owner_id")
	p, err := scanPlan(db.Read.QueryRowContext(ctx, query, args...))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	return p, err
}

// Batch planning (批量计划).

// BatchPlan is what a batch of plans shares; each customer gets one plan on
// the date at the same index of Dates.
type BatchPlan struct {
	CustomerIDs   []int64
	Dates         []string
	Time          string // the first visit of each day ("" all day)
	Spacing       int    // minutes between the visits of one day; 0 gives all the same time
	MethodID      int64
	Subject       string
	Content       string
	RemindMinutes int
}

// BatchSpacings are the gaps between a day's batch-planned visits the form
// offers, in minutes.
var BatchSpacings = []int{0, 30, 60, 90, 120}

// workdayEnd is when a day's spread of visits starts over from the first
// time: nobody plans a visit for 21:00.
const workdayEnd = "18:00"

// SpreadTimes gives the plans of each date times from first on, spacing
// minutes apart, starting over after the working day. An empty first (all
// day) or a zero spacing gives every plan first.
func SpreadTimes(dates []string, first string, spacing int) []string {
	out := make([]string, len(dates))
	t0, err := time.Parse("15:04", first)
	end, _ := time.Parse("15:04", workdayEnd)
	n := 0
	for i, d := range dates {
		if i > 0 && d != dates[i-1] {
			n = 0
		}
		out[i] = first
		if err == nil && spacing > 0 {
			t := t0.Add(time.Duration(n*spacing) * time.Minute)
			if t.After(end) || t.Day() != t0.Day() {
				n, t = 0, t0
			}
			out[i] = t.Format("15:04")
		}
		n++
	}
	return out
}

// ActiveCustomers keeps the ids of customers and prospects that are active
// (not deactivated or converted), in order: a batch of plans skips the
// rest.
func (db *DB) ActiveCustomers(ctx context.Context, ids []int64) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	active := map[int64]bool{}
	for start := 0; start < len(ids); start += 900 {
		chunk := ids[start:min(len(ids), start+900)]
		rows, err := db.Read.QueryContext(ctx, `SELECT id FROM customers WHERE status = 'active' AND id IN (`+idList(chunk)+`)`)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			active[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	out := make([]int64, 0, len(ids))
	for _, id := range ids {
		if active[id] {
			out = append(out, id)
		}
	}
	return out, nil
}

// ErrBatchTooLarge is returned when the dates cannot hold the customers.
var ErrBatchTooLarge = errors.New("batch: not enough room in the date range")

// DistributeDates spreads n plans over the days from start to end
// (inclusive, YYYY-MM-DD), in order: at most maxPerDay a day when maxPerDay
// is positive (filling each day before the next), otherwise as evenly as
// possible (earlier days take the remainder). With skipWeekends, Saturdays
// and Sundays get nothing. It returns the date of each plan.
func DistributeDates(start, end string, n, maxPerDay int, skipWeekends bool) ([]string, error) {
	s, err := time.Parse("2006-01-02", start)
	if err != nil {
		return nil, fmt.Errorf("batch: start date: %w", err)
	}
	e, err := time.Parse("2006-01-02", end)
	if err != nil {
		return nil, fmt.Errorf("batch: end date: %w", err)
	}
	if e.Before(s) {
		return nil, fmt.Errorf("batch: end date before start date")
	}
	var days []string
	for d := s; !d.After(e); d = d.AddDate(0, 0, 1) {
		if skipWeekends && (d.Weekday() == time.Saturday || d.Weekday() == time.Sunday) {
			continue
		}
		days = append(days, d.Format("2006-01-02"))
	}
	if len(days) == 0 || (maxPerDay > 0 && len(days)*maxPerDay < n) {
		return nil, ErrBatchTooLarge
	}
	out := make([]string, 0, n)
	if maxPerDay > 0 {
		for i := range n {
			out = append(out, days[i/maxPerDay])
		}
		return out, nil
	}
	per, extra := n/len(days), n%len(days)
	for i, d := range days {
		k := per
		if i < extra {
			k++
		}
		for range k {
			out = append(out, d)
		}
	}
	return out, nil
}

// nextNumbers allocates n consecutive numbers of kind in one statement, for
// batches; they follow the same rule and counter as NextNumber.
func (db *DB) nextNumbers(ctx context.Context, tx *sql.Tx, kind string, n int) ([]string, error) {
	r, err := db.numberingRule(ctx, tx, kind)
	if err != nil {
		return nil, fmt.Errorf("numbering rule %q: %w", kind, err)
	}
	now := db.LocalNow()
	var last int64
	err = tx.QueryRowContext(ctx, `INSERT INTO numbering_counters (kind, period, last) VALUES (?, ?, ?)
		ON CONFLICT (kind, period) DO UPDATE SET last = last + excluded.last RETURNING last`, kind, r.period(now), n).Scan(&last)
	if err != nil {
		return nil, err
	}
	out := make([]string, n)
	for i := range n {
		out[i] = r.Format(now, last-int64(n)+1+int64(i))
	}
	return out, nil
}

// CreateBatchPlans creates one plan per customer in one transaction: all or
// nothing. Each plan belongs to its customer's owner; a customer actor may
// not see, or a converted prospect, fails the whole batch with ErrNotFound.
func (db *DB) CreateBatchPlans(ctx context.Context, actor Actor, b BatchPlan) (int, error) {
	if !actor.EditsActivities() || len(b.CustomerIDs) == 0 || len(b.CustomerIDs) != len(b.Dates) {
		return 0, ErrNotFound
	}
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		codes, err := db.nextNumbers(ctx, tx, "plan", len(b.CustomerIDs))
		if err != nil {
			return err
		}
		owner, err := tx.PrepareContext(ctx, `SELECT owner_id FROM customers WHERE id = ? AND status <> 'converted'`)
		if err != nil {
			return err
		}
		defer owner.Close()
		ins, err := tx.PrepareContext(ctx, `INSERT INTO plans (code, date, time, owner_id, customer_id, method_id, subject,
			content, status, origin, remind_minutes, remind_at, created_at, created_by, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'planned', 'batch', ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer ins.Close()
		audit, err := tx.PrepareContext(ctx, `INSERT INTO audit_log (at, user_id, entity, entity_id, action, changes)
			VALUES (?, ?, 'plan', ?, 'create', ?)`)
		if err != nil {
			return err
		}
		defer audit.Close()
		now := db.nowStamp()
		by := nullInt(actor.ID)
		p := Plan{RemindMinutes: b.RemindMinutes, Status: "planned"}
		times := SpreadTimes(b.Dates, b.Time, b.Spacing)
		changes := `[{"f":"origin","n":"batch"}]`
		for i, id := range b.CustomerIDs {
			var ownerID int64
			err := owner.QueryRowContext(ctx, id).Scan(&ownerID)
			if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.Sees(ModCustomers, ownerID)) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
			p.Date, p.Time = b.Dates[i], times[i]
			res, err := ins.ExecContext(ctx, codes[i], b.Dates[i], times[i], ownerID, id, nullInt(b.MethodID), b.Subject, b.Content,
				remindValue(b.RemindMinutes), db.remindAt(&p), now, by, now, by)
			if err != nil {
				return err
			}
			pid, err := res.LastInsertId()
			if err != nil {
				return err
			}
			if _, err := audit.ExecContext(ctx, now, by, pid, changes); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return len(b.CustomerIDs), nil
}
