package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// Mention is a competitor named in an activity record, with a note.
type Mention struct {
	CompetitorID int64
	Name         string
	Note         string
}

// Activity is an activity record (业务活动记录).
type Activity struct {
	ID           int64
	Code         string
	Date         string // YYYY-MM-DD
	StartTime    string // HH:MM or ""
	EndTime      string
	OwnerID      int64 // the salesperson
	OwnerName    string
	CustomerID   int64 // the counterpart: a customer or a prospect
	CustomerKind string
	CustomerCode string
	CustomerName string
	ContactID    int64
	ContactName  string
	MethodID     int64
	StageID      int64
	Subject      string
	Content      string
	Result       string
	NextSubject  string
	NextDate     string
	NextTime     string
	Mentions     []Mention
	// PlanID is, on create, the plan this record completes.
	PlanID int64
	// NextPlanID and NextPlanCode name the plan this record's next activity made.
	NextPlanID    int64
	NextPlanCode  string
	CreatedAt     string
	UpdatedAt     string
	CreatedByName string
	UpdatedByName string
}

// HasNext reports whether next activity, next date and next time are all
// filled in: only then does saving the record plan the next activity.
func (a *Activity) HasNext() bool {
	return strings.TrimSpace(a.NextSubject) != "" && a.NextDate != "" && a.NextTime != ""
}

// Counterpart is the customer or prospect an activity, plan or opportunity is about.
type Counterpart struct {
	ID        int64
	Kind      string
	Code      string
	Name      string
	OwnerID   int64
	OwnerName string
	Status    string
}

// GetCounterpart returns a customer or prospect (either kind) that actor may
// see and that can still get new records: a converted prospect cannot.
func (db *DB) GetCounterpart(ctx context.Context, actor Actor, id int64) (*Counterpart, error) {
	return db.counterpart(ctx, db.Read, actor, id)
}

// CounterpartAnyStatus is GetCounterpart that also finds converted prospects,
// for showing what old records are about.
func (db *DB) CounterpartAnyStatus(ctx context.Context, actor Actor, id int64) (*Counterpart, error) {
	return db.lookupCounterpart(ctx, db.Read, actor, id, true)
}

func (db *DB) counterpart(ctx context.Context, q querier, actor Actor, id int64) (*Counterpart, error) {
	return db.lookupCounterpart(ctx, q, actor, id, false)
}

func (db *DB) lookupCounterpart(ctx context.Context, q querier, actor Actor, id int64, converted bool) (*Counterpart, error) {
	query := `SELECT c.id, c.kind, c.code, c.name, c.owner_id, u.display_name, c.status FROM customers c
		JOIN users u ON u.id = c.owner_id WHERE c.id = ?`
	if !converted {
		query += ` AND c.status <> 'converted'`
	}
	args := []any{id}
	query += actor.ownerAnd(ModCustomers, "c.owner_id")
	var cp Counterpart
	err := q.QueryRowContext(ctx, query, args...).Scan(&cp.ID, &cp.Kind, &cp.Code, &cp.Name, &cp.OwnerID, &cp.OwnerName, &cp.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &cp, err
}

// SearchCounterparts finds customers and prospects by name, code or phone
// for the counterpart picker, within actor's rows. The kind condition lets
// a salesperson's search walk the (kind, owner, name) index.
func (db *DB) SearchCounterparts(ctx context.Context, actor Actor, q string, limit int) ([]Counterpart, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	like := escapeLike(q) + "%"
	contains := "%" + escapeLike(q) + "%"
	query := `SELECT c.id, c.kind, c.code, c.name, c.owner_id, u.display_name, c.status FROM customers c
		JOIN users u ON u.id = c.owner_id
		WHERE c.kind IN ('customer', 'prospect') AND c.status <> 'converted'
			AND (c.name LIKE ? ESCAPE '\' OR c.short_name LIKE ? ESCAPE '\' OR c.code LIKE ? ESCAPE '\' OR c.phone LIKE ? ESCAPE '\'`
	args := []any{contains, contains, like, like}
	py, pyArgs := pinyinLike(q, "c.name_py")
	query += py + ")"
	args = append(args, pyArgs...)
	query += actor.ownerAnd(ModCustomers, "c.owner_id")
	query += ` ORDER BY c.kind, c.name_pinyin, c.id LIMIT ?`
	args = append(args, limit)
	rows, err := db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Counterpart
	for rows.Next() {
		var cp Counterpart
		if err := rows.Scan(&cp.ID, &cp.Kind, &cp.Code, &cp.Name, &cp.OwnerID, &cp.OwnerName, &cp.Status); err != nil {
			return nil, err
		}
		out = append(out, cp)
	}
	return out, rows.Err()
}

// ContactBelongs reports whether contact id (0: none) is a contact of customer.
func (db *DB) ContactBelongs(ctx context.Context, customerID, contactID int64) (bool, error) {
	return contactBelongs(ctx, db.Read, customerID, contactID)
}

func contactBelongs(ctx context.Context, q querier, customerID, contactID int64) (bool, error) {
	if contactID == 0 {
		return true, nil
	}
	var one int
	err := q.QueryRowContext(ctx, `SELECT 1 FROM contacts WHERE id = ? AND customer_id = ?`, contactID, customerID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// checkContact is ErrNotFound unless contact id (0: none) is a contact of
// customer: a write must not link a record to another customer's contact.
func checkContact(ctx context.Context, q querier, customerID, contactID int64) error {
	ok, err := contactBelongs(ctx, q, customerID, contactID)
	if err == nil && !ok {
		return ErrNotFound
	}
	return err
}

const activityColumns = `a.id, a.code, a.date, a.start_time, a.end_time, a.owner_id, u.display_name, a.customer_id, c.kind,
	c.code, c.name, COALESCE(a.contact_id, 0), COALESCE(k.name, ''), COALESCE(a.method_id, 0), COALESCE(a.stage_id, 0),
	a.subject, a.content, a.result, a.next_subject, COALESCE(a.next_date, ''), a.next_time,
	COALESCE(np.id, 0), COALESCE(np.code, ''), a.created_at, a.updated_at, COALESCE(cb.display_name, ''), COALESCE(ub.display_name, '')`

const activityJoins = ` FROM activities a JOIN users u ON u.id = a.owner_id JOIN customers c ON c.id = a.customer_id
	LEFT JOIN contacts k ON k.id = a.contact_id LEFT JOIN plans np ON np.source_activity_id = a.id
	LEFT JOIN users cb ON cb.id = a.created_by LEFT JOIN users ub ON ub.id = a.updated_by`

func scanActivity(row interface{ Scan(...any) error }) (*Activity, error) {
	var a Activity
	err := row.Scan(&a.ID, &a.Code, &a.Date, &a.StartTime, &a.EndTime, &a.OwnerID, &a.OwnerName, &a.CustomerID, &a.CustomerKind,
		&a.CustomerCode, &a.CustomerName, &a.ContactID, &a.ContactName, &a.MethodID, &a.StageID, &a.Subject, &a.Content,
		&a.Result, &a.NextSubject, &a.NextDate, &a.NextTime, &a.NextPlanID, &a.NextPlanCode, &a.CreatedAt, &a.UpdatedAt,
		&a.CreatedByName, &a.UpdatedByName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &a, err
}

func (db *DB) getActivity(ctx context.Context, q querier, actor Actor, id int64) (*Activity, error) {
	query := `SELECT ` + activityColumns + activityJoins + ` WHERE a.id = ?`
	args := []any{id}
	if rule := actor.salesRule("a"); rule != "" {
		query += " AND " + rule
	}
	a, err := scanActivity(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT m.competitor_id, p.name, m.note FROM activity_competitors m
		JOIN competitors p ON p.id = m.competitor_id WHERE m.activity_id = ? ORDER BY p.name`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m Mention
		if err := rows.Scan(&m.CompetitorID, &m.Name, &m.Note); err != nil {
			return nil, err
		}
		a.Mentions = append(a.Mentions, m)
	}
	return a, rows.Err()
}

// GetActivity returns an activity record actor may see; ErrNotFound otherwise.
func (db *DB) GetActivity(ctx context.Context, actor Actor, id int64) (*Activity, error) {
	return db.getActivity(ctx, db.Read, actor, id)
}

func activityPairs(old, a *Activity) []fieldPair {
	i := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	mentions := func(ms []Mention) string {
		parts := make([]string, len(ms))
		for j, m := range ms {
			parts[j] = m.Name
			if m.Note != "" {
				parts[j] += "（" + m.Note + "）"
			}
		}
		return strings.Join(parts, "、")
	}
	return []fieldPair{
		{"date", old.Date, a.Date}, {"start_time", old.StartTime, a.StartTime}, {"end_time", old.EndTime, a.EndTime},
		{"owner", i(old.OwnerID), i(a.OwnerID)}, {"counterpart", old.CustomerName, a.CustomerName},
		{"contact", old.ContactName, a.ContactName}, {"method", i(old.MethodID), i(a.MethodID)},
		{"stage", i(old.StageID), i(a.StageID)}, {"subject", old.Subject, a.Subject}, {"content", old.Content, a.Content},
		{"result", old.Result, a.Result}, {"competitors", mentions(old.Mentions), mentions(a.Mentions)},
		{"next_subject", old.NextSubject, a.NextSubject}, {"next_date", old.NextDate, a.NextDate},
		{"next_time", old.NextTime, a.NextTime},
	}
}

// SaveActivity creates (ID 0) or updates an activity record in one
// transaction, which also
//   - writes the latest activity date, content and sales stage back to the
//     counterpart (when this record is its latest);
//   - completes the plan named by PlanID (on create);
//   - applies the next-activity rule (see applyNextActivity).
//
// A salesperson's records are always their own, about their own counterparts.
func (db *DB) SaveActivity(ctx context.Context, actor Actor, a *Activity) error {
	if !actor.EditsActivities() {
		return ErrNotFound
	}
	if errs, err := db.CheckActivity(ctx, actor, a); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		cp, err := db.counterpart(ctx, tx, actor, a.CustomerID)
		if err != nil {
			return err
		}
		a.CustomerKind, a.CustomerCode, a.CustomerName = cp.Kind, cp.Code, cp.Name
		a.ContactName = ""
		if a.ContactID != 0 {
			err := tx.QueryRowContext(ctx, `SELECT name FROM contacts WHERE id = ? AND customer_id = ?`, a.ContactID, a.CustomerID).Scan(&a.ContactName)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
		}
		if err := db.mentionNames(ctx, tx, a.Mentions); err != nil {
			return err
		}
		now := db.nowStamp()
		old := &Activity{}
		if a.ID == 0 {
			if a.Code, err = db.NextNumber(ctx, tx, "activity"); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO activities (code, date, start_time, end_time, owner_id, customer_id,
				contact_id, method_id, stage_id, subject, content, result, next_subject, next_date, next_time,
				created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.Code, a.Date, a.StartTime, a.EndTime, a.OwnerID, a.CustomerID, nullInt(a.ContactID), nullInt(a.MethodID),
				nullInt(a.StageID), a.Subject, a.Content, a.Result, a.NextSubject, nullStr(a.NextDate), a.NextTime,
				now, nullInt(actor.ID), now, nullInt(actor.ID))
			if err != nil {
				return err
			}
			if a.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		} else {
			if old, err = db.getActivity(ctx, tx, actor, a.ID); err != nil {
				return err
			}
			a.Code = old.Code
			_, err = tx.ExecContext(ctx, `UPDATE activities SET date = ?, start_time = ?, end_time = ?, owner_id = ?, customer_id = ?,
				contact_id = ?, method_id = ?, stage_id = ?, subject = ?, content = ?, result = ?, next_subject = ?, next_date = ?,
				next_time = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
				a.Date, a.StartTime, a.EndTime, a.OwnerID, a.CustomerID, nullInt(a.ContactID), nullInt(a.MethodID),
				nullInt(a.StageID), a.Subject, a.Content, a.Result, a.NextSubject, nullStr(a.NextDate), a.NextTime,
				now, nullInt(actor.ID), a.ID)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM activity_competitors WHERE activity_id = ?`, a.ID); err != nil {
				return err
			}
		}
		for _, m := range a.Mentions {
			if _, err := tx.ExecContext(ctx, `INSERT INTO activity_competitors (activity_id, competitor_id, note) VALUES (?, ?, ?)`,
				a.ID, m.CompetitorID, m.Note); err != nil {
				return err
			}
		}
		action := "update"
		changes := diff(activityPairs(old, a))
		if old.ID == 0 {
			action = "create"
			changes = append([]Change{{Field: "code", New: a.Code}}, changes...)
			if a.PlanID != 0 {
				if err := db.completePlan(ctx, tx, actor, a.PlanID, a.ID, now); err != nil {
					return err
				}
			}
		}
		if err := recordAudit(ctx, tx, now, actor.ID, "activity", a.ID, action, changes); err != nil {
			return err
		}
		if err := db.writeBack(ctx, tx, actor.ID, a, now); err != nil {
			return err
		}
		a.NextPlanID, a.NextPlanCode, err = db.applyNextActivity(ctx, tx, actor.ID, a, now)
		return err
	})
}

// mentionNames fills in competitor names, which also proves they exist.
func (db *DB) mentionNames(ctx context.Context, tx *sql.Tx, ms []Mention) error {
	for i := range ms {
		err := tx.QueryRowContext(ctx, `SELECT name FROM competitors WHERE id = ?`, ms[i].CompetitorID).Scan(&ms[i].Name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// writeBack copies the record's date, content and sales stage to its
// counterpart when the record is at least as recent as what the counterpart
// shows, so editing an old record never overwrites newer news.
func (db *DB) writeBack(ctx context.Context, tx *sql.Tx, by int64, a *Activity, now string) error {
	content := a.Content
	if strings.TrimSpace(content) == "" {
		content = a.Subject
	}
	var oldStage int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(stage_id, 0) FROM customers WHERE id = ? AND COALESCE(last_activity_date, '') <= ?`,
		a.CustomerID, a.Date).Scan(&oldStage)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // the counterpart has a newer activity
	}
	if err != nil {
		return err
	}
	stage := oldStage
	if a.StageID != 0 {
		stage = a.StageID
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET last_activity_date = ?, last_activity_content = ?, stage_id = ? WHERE id = ?`,
		a.Date, truncateRunes(content, 500), nullInt(stage), a.CustomerID); err != nil {
		return err
	}
	// The latest activity is part of the customer's searchable text.
	if err := enqueue(ctx, tx, a.CustomerKind, a.CustomerID); err != nil {
		return err
	}
	if stage == oldStage {
		return nil
	}
	return recordAudit(ctx, tx, now, by, a.CustomerKind, a.CustomerID, "activity_writeback", []Change{
		{Field: "stage", Old: idText(oldStage), New: idText(stage)}, {Field: "activity", New: a.Code}})
}

// applyNextActivity is the next-activity rule (下次活动): if and only if
// next activity, next date and next time are all filled in, the record's
// plan for that date and time is created, or — when this record made one
// before and it is still planned — updated, never duplicated. When one of
// the three is blank, nothing happens to any plan. A plan already done or
// cancelled is left as it is. It returns the record's plan, if any.
func (db *DB) applyNextActivity(ctx context.Context, tx *sql.Tx, by int64, a *Activity, now string) (int64, string, error) {
	var id int64
	var code, status string
	err := tx.QueryRowContext(ctx, `SELECT id, code, status FROM plans WHERE source_activity_id = ?`, a.ID).Scan(&id, &code, &status)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, "", err
	}
	if !a.HasNext() || (id != 0 && status != "planned") {
		return id, code, nil
	}
	p := &Plan{ID: id, Code: code, Date: a.NextDate, Time: a.NextTime, OwnerID: a.OwnerID, CustomerID: a.CustomerID,
		ContactID: a.ContactID, MethodID: a.MethodID, Subject: strings.TrimSpace(a.NextSubject), Status: "planned",
		Origin: "activity", SourceActivityID: a.ID, RemindMinutes: DefaultRemindMinutes}
	if id == 0 {
		err = db.insertPlan(ctx, tx, by, p, now)
		return p.ID, p.Code, err
	}
	var old Plan
	err = tx.QueryRowContext(ctx, `SELECT date, time, owner_id, customer_id, COALESCE(contact_id, 0), subject, COALESCE(remind_minutes, -1)
		FROM plans WHERE id = ?`, id).Scan(&old.Date, &old.Time, &old.OwnerID, &old.CustomerID, &old.ContactID, &old.Subject, &old.RemindMinutes)
	if err != nil {
		return 0, "", err
	}
	if old.Date == p.Date && old.Time == p.Time && old.OwnerID == p.OwnerID && old.CustomerID == p.CustomerID &&
		old.ContactID == p.ContactID && old.Subject == p.Subject {
		return id, code, nil
	}
	p.RemindMinutes = old.RemindMinutes
	remindAt := db.remindAt(p)
	_, err = tx.ExecContext(ctx, `UPDATE plans SET date = ?, time = ?, owner_id = ?, customer_id = ?, contact_id = ?, subject = ?,
		remind_at = ?,
		notified_at = CASE WHEN remind_at IS ? THEN notified_at END,
		emailed_at = CASE WHEN remind_at IS ? THEN emailed_at END,
		updated_at = ?, updated_by = ? WHERE id = ?`,
		p.Date, p.Time, p.OwnerID, p.CustomerID, nullInt(p.ContactID), p.Subject, remindAt, remindAt, remindAt, now, nullInt(by), id)
	if err != nil {
		return 0, "", err
	}
	return id, code, recordAudit(ctx, tx, now, by, "plan", id, "update", diff([]fieldPair{
		{"date", old.Date, p.Date}, {"time", old.Time, p.Time}, {"owner", idText(old.OwnerID), idText(p.OwnerID)},
		{"subject", old.Subject, p.Subject}}))
}

func idText(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

func truncateRunes(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}

// SalesFilter is what the activity-record and plan lists are both narrowed
// by. Zero values mean "any".
type SalesFilter struct {
	From, To   string
	OwnerID    int64
	CustomerID int64
	Q          string
	Page       int
	PerPage    int
}

// where starts the WHERE clause of either list (t is its table's alias):
// the row rule for salespeople, then the shared filters.
func (f SalesFilter) where(actor Actor, t string) *where {
	w := &where{}
	if f.CustomerID != 0 {
		// One customer's history (its card): whoever may see the customer
		// sees all of it.
		if rule := actor.salesRule(t); rule != "" {
			w.add(rule)
		}
	} else {
		w.owner(actor, ModActivities, t+".owner_id")
	}
	w.between(t+".date", f.From, f.To)
	w.eq(t+".owner_id", f.OwnerID)
	w.eq(t+".customer_id", f.CustomerID)
	w.like(f.Q, t+".subject", t+".code", t+`.customer_id IN (SELECT id FROM customers WHERE name LIKE ? ESCAPE '\')`)
	return w
}

// ActivityFilter selects an activity list.
type ActivityFilter struct {
	SalesFilter
	MethodID     int64
	StageID      int64
	CompetitorID int64
}

func (f ActivityFilter) where(actor Actor) (string, []any) {
	w := f.SalesFilter.where(actor, "a")
	w.eq("a.method_id", f.MethodID)
	w.eq("a.stage_id", f.StageID)
	if f.CompetitorID != 0 {
		w.add("a.id IN (SELECT activity_id FROM activity_competitors WHERE competitor_id = ?)", f.CompetitorID)
	}
	return w.sql()
}

// counted tells whether the list's total is kept in activity_counts
// (migration 0015), and under which owner (0: everyone's): when nothing
// narrows the list but the row rule and an owner.
func (f ActivityFilter) counted(actor Actor) (owner int64, ok bool) {
	if f.From != "" || f.To != "" || f.CustomerID != 0 || strings.TrimSpace(f.Q) != "" || f.MethodID != 0 ||
		f.StageID != 0 || f.CompetitorID != 0 {
		return 0, false
	}
	switch actor.Scope(ModActivities) {
	case ScopeAll:
		return f.OwnerID, true
	case ScopeTeam:
		// One member's list is their counter; the whole team's is counted.
		if f.OwnerID != 0 && actor.Sees(ModActivities, f.OwnerID) {
			return f.OwnerID, true
		}
		return 0, false
	}
	if f.OwnerID != 0 && f.OwnerID != actor.ID {
		return 0, false // the row rule and the filter contradict each other: count them
	}
	return actor.ID, true
}

// countActivities is the list's total.
func (db *DB) countActivities(ctx context.Context, actor Actor, f ActivityFilter) (int, error) {
	var n int
	if owner, ok := f.counted(actor); ok {
		err := db.Read.QueryRowContext(ctx, `SELECT COALESCE((SELECT n FROM activity_counts WHERE owner_id = ?), 0)`, owner).Scan(&n)
		return n, err
	}
	where, args := f.where(actor)
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities a WHERE `+where, args...).Scan(&n)
	return n, err
}

// ActivityRow is one line of the activity list.
type ActivityRow struct {
	ID           int64
	Code         string
	Date         string
	StartTime    string
	EndTime      string
	OwnerName    string
	CustomerID   int64
	CustomerKind string
	CustomerName string
	MethodID     int64
	StageID      int64
	Subject      string
	NextDate     string
	NextSubject  string
}

// ListActivities returns one page of records, newest first.
func (db *DB) ListActivities(ctx context.Context, actor Actor, f ActivityFilter) (ActivityPage, error) {
	fixPage(&f.Page, &f.PerPage, 50, 200)
	page := ActivityPage{Page: f.Page, PerPage: f.PerPage}
	var err error
	if page.Total, err = db.countActivities(ctx, actor, f); err != nil {
		return page, err
	}
	where, args := f.where(actor)
	args = append(args, f.PerPage, (f.Page-1)*f.PerPage)
	rows, err := db.Read.QueryContext(ctx, `SELECT a.id, a.code, a.date, a.start_time, a.end_time, u.display_name, a.customer_id,
			c.kind, c.name, COALESCE(a.method_id, 0), COALESCE(a.stage_id, 0), a.subject, COALESCE(a.next_date, ''), a.next_subject
		FROM activities a JOIN users u ON u.id = a.owner_id JOIN customers c ON c.id = a.customer_id
		WHERE a.id IN (SELECT a.id FROM activities a WHERE `+where+` ORDER BY a.date DESC, a.start_time DESC, a.id DESC LIMIT ? OFFSET ?)
		ORDER BY a.date DESC, a.start_time DESC, a.id DESC`, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		var r ActivityRow
		if err := rows.Scan(&r.ID, &r.Code, &r.Date, &r.StartTime, &r.EndTime, &r.OwnerName, &r.CustomerID, &r.CustomerKind,
			&r.CustomerName, &r.MethodID, &r.StageID, &r.Subject, &r.NextDate, &r.NextSubject); err != nil {
			return page, err
		}
		page.Rows = append(page.Rows, r)
	}
	return page, rows.Err()
}
