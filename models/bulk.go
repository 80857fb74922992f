package models

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// Bulk writes generated records — the demo data and the benchmark sets made
// by package demo — in one transaction through prepared statements. It
// bypasses the index queue and the audit history on purpose (a million rows
// would flood both): the caller asks for a search rebuild afterwards with
// RequestSearchRebuild. Nothing else should write through it.
type Bulk struct {
	ctx   context.Context
	db    *DB
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
	// Now is the transaction's created/updated stamp.
	Now string
}

// WithBulk runs fn in one transaction.
func (db *DB) WithBulk(ctx context.Context, fn func(b *Bulk) error) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		b := &Bulk{ctx: ctx, db: db, tx: tx, stmts: map[string]*sql.Stmt{}, Now: db.nowStamp()}
		defer func() {
			for _, st := range b.stmts {
				st.Close()
			}
		}()
		return fn(b)
	})
}

func (b *Bulk) exec(query string, args ...any) (sql.Result, error) {
	st, ok := b.stmts[query]
	if !ok {
		var err error
		if st, err = b.tx.PrepareContext(b.ctx, query); err != nil {
			return nil, err
		}
		b.stmts[query] = st
	}
	return st.ExecContext(b.ctx, args...)
}

func (b *Bulk) insert(query string, args ...any) (int64, error) {
	res, err := b.exec(query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Numbers reserves n consecutive numbers of kind with one counter update
// and returns a function that formats the i-th of them: exactly the numbers
// n calls of NextNumber would hand out (row by row was a third of the
// generator's time).
func (b *Bulk) Numbers(kind string, n int) (func(i int) string, error) {
	r, err := b.db.numberingRule(b.ctx, b.tx, kind)
	if err != nil {
		return nil, fmt.Errorf("numbering rule %q: %w", kind, err)
	}
	now := b.db.LocalNow()
	var last int64
	err = b.tx.QueryRowContext(b.ctx, `INSERT INTO numbering_counters (kind, period, last) VALUES (?, ?, ?)
		ON CONFLICT (kind, period) DO UPDATE SET last = last + excluded.last RETURNING last`, kind, r.period(now), n).Scan(&last)
	if err != nil {
		return nil, err
	}
	first := last - int64(n) + 1
	return func(i int) string { return r.Format(now, first+int64(i)) }, nil
}

// NumberOn is the next number of kind as it would have been given on day
// (its date part and its reset period): a generated record dated in the past
// is numbered by its own date, not the day it was loaded, so codes read like
// a real history and a day's serial does not overflow its width.
func (b *Bulk) NumberOn(kind string, day time.Time) (string, error) {
	r, err := b.db.numberingRule(b.ctx, b.tx, kind)
	if err != nil {
		return "", fmt.Errorf("numbering rule %q: %w", kind, err)
	}
	var n int64
	err = b.tx.QueryRowContext(b.ctx, `INSERT INTO numbering_counters (kind, period, last) VALUES (?, ?, 1)
		ON CONFLICT (kind, period) DO UPDATE SET last = last + 1 RETURNING last`, kind, r.period(day)).Scan(&n)
	if err != nil {
		return "", err
	}
	return r.Format(day, n), nil
}

// NumberList is n numbers of kind, as NextNumber would give them one by one.
func (b *Bulk) NumberList(kind string, n int) ([]string, error) {
	return b.db.nextNumbers(b.ctx, b.tx, kind, n)
}

// NextNumber is the next number of kind.
func (b *Bulk) NextNumber(kind string) (string, error) { return b.db.NextNumber(b.ctx, b.tx, kind) }

// Customer inserts a customer or prospect as given (code, stamps, latest
// activity included) and returns its id.
func (b *Bulk) Customer(c *Customer) (int64, error) {
	return b.insert(`INSERT INTO customers (kind, code, name, short_name, industry_id, source_id, grade_id,
		region_id, stage_id, address, phone, email, website, owner_id, status, notes, last_activity_date, last_activity_content,
		created_at, updated_at, name_key, name_pinyin, name_py) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Kind, c.Code, c.Name, c.ShortName, c.IndustryID, c.SourceID, c.GradeID, c.RegionID, c.StageID, c.Address, c.Phone,
		c.Email, c.Website, c.OwnerID, c.Status, c.Notes, nullStr(c.LastActivityDate), c.LastActivityContent, c.CreatedAt, c.UpdatedAt,
		NameKey(c.Name), PinyinSortKey(c.Name), PinyinSearchForms(c.Name))
}

// Contact inserts a contact, stamped at.
func (b *Bulk) Contact(k *Contact, at string) error {
	_, err := b.exec(`INSERT INTO contacts (customer_id, name, title, phone, mobile, email, birthday,
		is_primary, created_at, updated_at, name_py) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.CustomerID, k.Name, k.Title, k.Phone, k.Mobile, k.Email, nullStr(k.Birthday), k.IsPrimary, at, at, PinyinSearchForms(k.Name))
	return err
}

// Trait gives a customer a trait.
func (b *Bulk) Trait(customerID, itemID int64) error {
	_, err := b.exec(`INSERT OR IGNORE INTO customer_traits (customer_id, item_id) VALUES (?, ?)`, customerID, itemID)
	return err
}

// Competitor inserts (or finds) a competitor by name.
func (b *Bulk) Competitor(name, strengths, weaknesses string) (int64, error) {
	var id int64
	err := b.tx.QueryRowContext(b.ctx, `INSERT INTO competitors (name, strengths, weaknesses, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`,
		name, strengths, weaknesses, b.Now, b.Now).Scan(&id)
	return id, err
}

// Activity inserts an activity record, stamped now, and returns its id.
func (b *Bulk) Activity(a *Activity) (int64, error) {
	return b.insert(`INSERT INTO activities (code, date, start_time, end_time, owner_id, customer_id,
		method_id, stage_id, subject, content, result, next_subject, next_date, next_time, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Code, a.Date, a.StartTime, a.EndTime, a.OwnerID, a.CustomerID, a.MethodID, a.StageID, a.Subject, a.Content,
		a.Result, a.NextSubject, nullStr(a.NextDate), a.NextTime, b.Now, b.Now)
}

// Mention names a competitor in an activity record.
func (b *Bulk) Mention(activityID, competitorID int64, note string) error {
	_, err := b.exec(`INSERT INTO activity_competitors (activity_id, competitor_id, note) VALUES (?, ?, ?)`,
		activityID, competitorID, note)
	return err
}

// Plan inserts a plan, stamped now; with remind its reminder time is set
// from RemindMinutes, else none is owed.
func (b *Bulk) Plan(p *Plan, remind bool) error {
	var remindAt any
	if remind {
		remindAt = b.db.remindAt(p)
	}
	_, err := b.exec(`INSERT INTO plans (code, date, time, owner_id, customer_id, method_id, subject, content,
		status, origin, source_activity_id, remind_minutes, remind_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.Code, p.Date, p.Time, p.OwnerID, p.CustomerID, p.MethodID, p.Subject, p.Content, p.Status, p.Origin,
		nullInt(p.SourceActivityID), p.RemindMinutes, remindAt, b.Now, b.Now)
	return err
}

// Opportunity inserts an opportunity, stamped now.
func (b *Bulk) Opportunity(o *Opportunity) error {
	_, err := b.exec(`INSERT INTO opportunities (code, name, customer_id, owner_id, amount_fen, expected_close,
		stage_id, probability, status, close_reason, closed_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Code, o.Name, o.CustomerID, o.OwnerID, o.AmountFen, o.ExpectedClose, o.StageID, o.Probability, o.Status,
		o.CloseReason, nullStr(o.ClosedAt), b.Now, b.Now)
	return err
}

// Article inserts a knowledge article as given (stamps included).
func (b *Bulk) Article(a *Article) error {
	_, err := b.exec(`INSERT INTO articles (code, title, symptom, solution, category_id, keywords,
		views, helped, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Code, a.Title, a.Symptom, a.Solution, a.CategoryID, a.Keywords, a.Views, a.Helped, a.CreatedAt, a.UpdatedAt)
	return err
}

// Issue inserts an issue reported at i.ReportedAt (its due time follows
// from the priority) and returns its id.
func (b *Bulk) Issue(i *Issue) (int64, error) {
	return b.insert(`INSERT INTO issues (code, customer_id, reported_at, channel, type_id, priority, subject,
		description, assignee_id, status, due_at, resolved_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		i.Code, i.CustomerID, i.ReportedAt, i.Channel, i.TypeID, i.Priority, i.Subject, i.Description,
		nullInt(i.AssigneeID), i.Status, dueAt(i.ReportedAt, i.Priority), nullStr(i.ResolvedAt), i.ReportedAt, i.ReportedAt)
}

// Handling inserts a handling record of an issue, stamped at.
func (b *Bulk) Handling(h *Handling, at string) error {
	_, err := b.exec(`INSERT INTO issue_handlings (issue_id, handled_on, handler_id, content, result, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, h.IssueID, h.HandledOn, h.HandlerID, h.Content, h.Result, at)
	return err
}

// CustomerOwners lists the customers (of kind, or every kind for "") that
// are not converted, with their owners, by id: what generated records are
// spread over.
func (db *DB) CustomerOwners(ctx context.Context, kind string) (ids, owners []int64, err error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, owner_id FROM customers
		WHERE status <> 'converted' AND (? = '' OR kind = ?) ORDER BY id`, kind, kind)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, owner int64
		if err := rows.Scan(&id, &owner); err != nil {
			return nil, nil, err
		}
		ids, owners = append(ids, id), append(owners, owner)
	}
	return ids, owners, rows.Err()
}

// UserIDsWith lists the ids of the users (active or not) whose role has p,
// by id.
func (db *DB) UserIDsWith(ctx context.Context, p Permission) ([]int64, error) {
	all, err := db.Users(ctx)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, u := range all {
		if db.RoleCan(u.Role, p) {
			ids = append(ids, u.ID)
		}
	}
	slices.Sort(ids)
	return ids, nil
}

// RefreshLastActivities writes each customer's latest activity record back
// onto it, after a bulk load, as saving the record would (writeBack): its
// date, its text and its sales stage, when it has one.
func (db *DB) RefreshLastActivities(ctx context.Context) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE customers SET (last_activity_date, last_activity_content, stage_id) =
		(SELECT a.date, a.subject, COALESCE(a.stage_id, customers.stage_id) FROM activities a WHERE a.customer_id = customers.id
			ORDER BY a.date DESC, a.id DESC LIMIT 1)
		WHERE EXISTS (SELECT 1 FROM activities a WHERE a.customer_id = customers.id)`)
	return err
}
