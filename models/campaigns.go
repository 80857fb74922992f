package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// Campaign statuses, in their usual order.
var CampaignStatuses = []string{"planning", "inviting", "done", "cancelled"}

// Campaign is a marketing campaign plan (市场活动计划) with its results.
type Campaign struct {
	ID           int64
	Code         string
	Name         string
	TypeID       int64
	StartDate    string
	EndDate      string
	Place        string
	Budget       int64 // fen
	OwnerID      int64
	OwnerName    string
	Description  string
	Status       string
	ActualCost   int64 // fen
	Summary      string
	Leads        int
	Opps         int
	MailSubject  string
	MailText     string
	MailHTML     string
	SendAt       string
	Paused       bool
	MailProblem  string // why the mail server stopped this campaign's sending ("" when it did not)
	CreatedAt    string
	UpdatedAt    string
	TargetCount  int
	AttendedSum  int // head count of attendees
	NotifiedSum  int
	AttendedRows int
	// RespondedRows are targets who came or answered (feedback).
	RespondedRows int
}

// ResponseRate is targets who came or answered over notified targets, in percent.
func (m *Campaign) ResponseRate() float64 { return percent(m.RespondedRows, m.NotifiedSum) }

const campaignColumns = `m.id, m.code, m.name, COALESCE(m.type_id, 0), m.start_date, m.end_date, m.place, m.budget, m.owner_id,
	u.display_name, m.description, m.status, m.actual_cost, m.summary, m.leads, m.opportunities, m.mail_subject, m.mail_text,
	m.mail_html, COALESCE(m.send_at, ''), m.paused, m.created_at, m.updated_at,
	(SELECT COUNT(*) FROM campaign_targets t WHERE t.campaign_id = m.id),
	(SELECT COALESCE(SUM(CASE WHEN t.attended THEN MAX(t.head_count, 1) ELSE 0 END), 0) FROM campaign_targets t WHERE t.campaign_id = m.id),
	(SELECT COALESCE(SUM(t.notified), 0) FROM campaign_targets t WHERE t.campaign_id = m.id),
	(SELECT COALESCE(SUM(t.attended), 0) FROM campaign_targets t WHERE t.campaign_id = m.id),
	(SELECT COUNT(*) FROM campaign_targets t WHERE t.campaign_id = m.id AND (t.attended = 1 OR t.feedback <> '')),
	m.mail_problem`

func scanCampaign(row interface{ Scan(...any) error }) (*Campaign, error) {
	var m Campaign
	err := row.Scan(&m.ID, &m.Code, &m.Name, &m.TypeID, &m.StartDate, &m.EndDate, &m.Place, &m.Budget, &m.OwnerID,
		&m.OwnerName, &m.Description, &m.Status, &m.ActualCost, &m.Summary, &m.Leads, &m.Opps, &m.MailSubject, &m.MailText,
		&m.MailHTML, &m.SendAt, &m.Paused, &m.CreatedAt, &m.UpdatedAt, &m.TargetCount, &m.AttendedSum, &m.NotifiedSum, &m.AttendedRows, &m.RespondedRows,
		&m.MailProblem)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &m, err
}

// AttendanceRate is attendees (rows) over notified targets, in percent.
func (m *Campaign) AttendanceRate() float64 { return percent(m.AttendedRows, m.NotifiedSum) }

// CostPerAttendee is the actual cost over the head count, in fen.
func (m *Campaign) CostPerAttendee() int64 {
	if m.AttendedSum == 0 {
		return 0
	}
	return m.ActualCost / int64(m.AttendedSum)
}

func percent(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) * 100 / float64(b)
}

// CampaignFilter selects the campaign list.
type CampaignFilter struct {
	Q       string
	Status  string
	TypeID  int64
	OwnerID int64
	From    string // start date on or after
	To      string // start date on or before
	// ByID lists in id order after the id AfterID (the API's keyset pages)
	// instead of newest first.
	ByID    bool
	AfterID int64
}

func campaignScope(actor Actor) (string, []any) {
	if !actor.UsesCampaigns() {
		return "0", nil
	}
	if rule := actor.ownerRule(ModCampaigns, "m.owner_id"); rule != "" {
		return rule, nil
	}
	return "1", nil
}

// ListCampaigns lists the campaigns actor may see, newest first.
func (db *DB) ListCampaigns(ctx context.Context, actor Actor, f CampaignFilter, limit int) ([]Campaign, error) {
	var w where
	scope, scopeArgs := campaignScope(actor)
	w.add(scope, scopeArgs...)
	w.eq("m.status", f.Status)
	w.eq("m.type_id", f.TypeID)
	w.eq("m.owner_id", f.OwnerID)
	w.between("m.start_date", f.From, f.To)
	w.like(f.Q, "m.name", "m.code", "m.place")
	order := "m.start_date DESC, m.id DESC"
	if f.ByID {
		w.add("m.id > ?", f.AfterID)
		order = "m.id"
	}
	cond, args := w.sql()
	args = append(args, limit)
	return queryList(ctx, db.Read, `SELECT `+campaignColumns+` FROM campaigns m JOIN users u ON u.id = m.owner_id
		WHERE `+cond+` ORDER BY `+order+` LIMIT ?`, args, scanCampaign)
}

// GetCampaign returns a campaign actor may see.
func (db *DB) GetCampaign(ctx context.Context, actor Actor, id int64) (*Campaign, error) {
	return db.getCampaign(ctx, db.Read, actor, id)
}

func (db *DB) getCampaign(ctx context.Context, q querier, actor Actor, id int64) (*Campaign, error) {
	scope, args := campaignScope(actor)
	return scanCampaign(q.QueryRowContext(ctx, `SELECT `+campaignColumns+` FROM campaigns m JOIN users u ON u.id = m.owner_id
		WHERE m.id = ? AND `+scope, append([]any{id}, args...)...))
}

func campaignPairs(old, m *Campaign) []fieldPair {
	i := func(v int64) string { return strconv.FormatInt(v, 10) }
	return []fieldPair{{"name", old.Name, m.Name}, {"campaign_type", i(old.TypeID), i(m.TypeID)},
		{"start_date", old.StartDate, m.StartDate}, {"end_date", old.EndDate, m.EndDate}, {"place", old.Place, m.Place},
		{"budget", FormatFen(old.Budget), FormatFen(m.Budget)}, {"owner", i(old.OwnerID), i(m.OwnerID)},
		{"description", old.Description, m.Description}, {"status", old.Status, m.Status}}
}

// SaveCampaign creates (ID 0) or updates a campaign's plan. A salesperson
// owns what they create and cannot hand it over.
func (db *DB) SaveCampaign(ctx context.Context, actor Actor, m *Campaign) error {
	if !actor.UsesCampaigns() {
		return ErrNotFound
	}
	if errs, err := db.CheckCampaign(ctx, actor, m); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if m.ID == 0 {
			code, err := db.NextNumber(ctx, tx, "campaign")
			if err != nil {
				return err
			}
			if m.Status == "" {
				m.Status = "planning"
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO campaigns (code, name, type_id, start_date, end_date, place, budget, owner_id,
				description, status, created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				code, m.Name, nullInt(m.TypeID), m.StartDate, m.EndDate, m.Place, m.Budget, m.OwnerID, m.Description, m.Status,
				now, actor.ID, now, actor.ID)
			if err != nil {
				return err
			}
			m.Code = code
			if m.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			return recordAudit(ctx, tx, now, actor.ID, "campaign", m.ID, "create", diff(campaignPairs(&Campaign{}, m)))
		}
		old, err := db.getCampaign(ctx, tx, actor, m.ID)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE campaigns SET name = ?, type_id = ?, start_date = ?, end_date = ?, place = ?, budget = ?,
			owner_id = ?, description = ?, status = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			m.Name, nullInt(m.TypeID), m.StartDate, m.EndDate, m.Place, m.Budget, m.OwnerID, m.Description, m.Status, now, actor.ID, m.ID)
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "campaign", m.ID, "update", diff(campaignPairs(old, m)))
	})
}

// SaveCampaignResults stores the results of a campaign (市场活动成果).
func (db *DB) SaveCampaignResults(ctx context.Context, actor Actor, m *Campaign) error {
	if errs := m.ValidateResults(); errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.getCampaign(ctx, tx, actor, m.ID)
		if err != nil {
			return err
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE campaigns SET actual_cost = ?, summary = ?, leads = ?, opportunities = ?,
			updated_at = ?, updated_by = ? WHERE id = ?`, m.ActualCost, m.Summary, m.Leads, m.Opps, now, actor.ID, m.ID); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "campaign", m.ID, "update", diff([]fieldPair{
			{"actual_cost", FormatFen(old.ActualCost), FormatFen(m.ActualCost)}, {"summary", old.Summary, m.Summary},
			{"leads", strconv.Itoa(old.Leads), strconv.Itoa(m.Leads)}, {"opportunities", strconv.Itoa(old.Opps), strconv.Itoa(m.Opps)},
		}))
	})
}

// TargetFilter picks customers and prospects for a campaign's target list.
type TargetFilter struct {
	Customer CustomerFilter // Kind "" means both kinds
	Contacts string         // "primary" (one person per company) or "all"
}

func (f TargetFilter) kinds() []string {
	if f.Customer.Kind == "customer" || f.Customer.Kind == "prospect" {
		return []string{f.Customer.Kind}
	}
	return []string{"customer", "prospect"}
}

// personColumns turn a company and its contact into a person to invite.
const personColumns = `c.id AS cid, k.id AS kid, COALESCE(k.name, c.name) AS name,
	COALESCE(NULLIF(k.email, ''), c.email) AS email, c.name AS company`

// targetFrom is the FROM … WHERE that turns the filter's companies into
// people: their primary contact, every contact, or the company itself when
// it has no contact. Row rules of the actor apply through CustomerFilter.where.
func (f TargetFilter) targetFrom(actor Actor, kind string) (string, []any) {
	cf := f.Customer
	cf.Kind = kind
	cf.Status = "active"
	where, args := cf.where(actor)
	join := `LEFT JOIN contacts k ON k.customer_id = c.id AND k.id = (SELECT k2.id FROM contacts k2 WHERE k2.customer_id = c.id
		ORDER BY k2.is_primary DESC, k2.id LIMIT 1)`
	if f.Contacts == "all" {
		join = `LEFT JOIN contacts k ON k.customer_id = c.id`
	}
	return ` FROM customers c ` + join + ` WHERE ` + where, args
}

// TargetCandidate is one person a filter would add.
type TargetCandidate struct {
	CustomerID  int64
	ContactID   int64
	Name, Email string
	Company     string
}

// PreviewTargets counts the people a filter would add (and how many have an
// e-mail address) and returns the first few.
func (db *DB) PreviewTargets(ctx context.Context, actor Actor, f TargetFilter, n int) (total, withEmail int, first []TargetCandidate, err error) {
	for _, kind := range f.kinds() {
		from, args := f.targetFrom(actor, kind)
		var t, e int
		err = db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(x.email <> ''), 0) FROM (SELECT `+personColumns+from+`) x`,
			args...).Scan(&t, &e)
		if err != nil {
			return
		}
		total, withEmail = total+t, withEmail+e
		if len(first) < n {
			var rows *sql.Rows
			rows, err = db.Read.QueryContext(ctx, `SELECT `+personColumns+from+` ORDER BY c.name, c.id LIMIT ?`, append(args, n-len(first))...)
			if err != nil {
				return
			}
			for rows.Next() {
				var c TargetCandidate
				var contact sql.NullInt64
				if err = rows.Scan(&c.CustomerID, &contact, &c.Name, &c.Email, &c.Company); err != nil {
					rows.Close()
					return
				}
				c.ContactID = contact.Int64
				first = append(first, c)
			}
			rows.Close()
			if err = rows.Err(); err != nil {
				return
			}
		}
	}
	return
}

// AddTargetsByFilter adds every person the filter selects, in one
// statement per kind; people already on the list stay as they are.
func (db *DB) AddTargetsByFilter(ctx context.Context, actor Actor, campaignID int64, f TargetFilter) (int, error) {
	res, err := db.AddTargets(ctx, actor, campaignID, f)
	return res.Added, err
}

// TargetsAdded is what adding people to a campaign did.
type TargetsAdded struct {
	Added   int
	Already int // matched, but on the list already (each person is invited once)
}

// AddTargets adds the people f matches that actor may see, and tells how
// many were already on the list.
func (db *DB) AddTargets(ctx context.Context, actor Actor, campaignID int64, f TargetFilter) (TargetsAdded, error) {
	var res TargetsAdded
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.getCampaign(ctx, tx, actor, campaignID); err != nil {
			return err
		}
		now := db.nowStamp()
		for _, kind := range f.kinds() {
			from, args := f.targetFrom(actor, kind)
			var matched int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM (SELECT `+personColumns+from+`)`, args...).Scan(&matched); err != nil {
				return err
			}
			r, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO campaign_targets (campaign_id, customer_id, contact_id, name, email,
				created_at, created_by, updated_at, updated_by)
				SELECT ?, x.cid, x.kid, x.name, x.email, ?, ?, ?, ? FROM (SELECT `+personColumns+from+`) x`,
				append([]any{campaignID, now, actor.ID, now, actor.ID}, args...)...)
			if err != nil {
				return err
			}
			n, _ := r.RowsAffected()
			res.Added += int(n)
			res.Already += matched - int(n)
		}
		return recordAudit(ctx, tx, now, actor.ID, "campaign", campaignID, "targets_add", []Change{{Field: "targets", New: strconv.Itoa(res.Added)}})
	})
	return res, err
}

// AddTargetCustomers adds the given customers or prospects (their primary
// contact, or the company) that actor may see.
func (db *DB) AddTargetCustomers(ctx context.Context, actor Actor, campaignID int64, ids []int64) (int, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	f := TargetFilter{Customer: CustomerFilter{IDs: ids}, Contacts: "primary"}
	return db.AddTargetsByFilter(ctx, actor, campaignID, f)
}

// AddTargetCustomersReport is AddTargetCustomers telling also how many
// were on the list already.
func (db *DB) AddTargetCustomersReport(ctx context.Context, actor Actor, campaignID int64, ids []int64) (TargetsAdded, error) {
	if len(ids) == 0 {
		return TargetsAdded{}, nil
	}
	return db.AddTargets(ctx, actor, campaignID, TargetFilter{Customer: CustomerFilter{IDs: ids}, Contacts: "primary"})
}

// RemoveTarget takes one person off a campaign's list.
func (db *DB) RemoveTarget(ctx context.Context, actor Actor, campaignID, targetID int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.getCampaign(ctx, tx, actor, campaignID); err != nil {
			return err
		}
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM campaign_targets WHERE id = ? AND campaign_id = ? RETURNING name`, targetID, campaignID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), actor.ID, "campaign", campaignID, "targets_remove", []Change{{Field: "targets", Old: name}})
	})
}

// Target is one person on a campaign's list with their results.
type Target struct {
	ID           int64
	CampaignID   int64
	CustomerID   int64
	CustomerKind string
	Company      string
	ContactID    int64
	Name         string
	Email        string
	MailStatus   string
	MailError    string
	Notified     bool
	NotifiedHow  string
	NotifiedAt   string
	Attended     bool
	HeadCount    int
	Feedback     string
}

const targetColumns = `t.id, t.campaign_id, t.customer_id, c.kind, c.name, COALESCE(t.contact_id, 0), t.name, t.email, t.mail_status,
	t.mail_error, t.notified, t.notified_how, COALESCE(t.notified_at, ''), t.attended, t.head_count, t.feedback`

func scanTarget(row interface{ Scan(...any) error }) (Target, error) {
	var t Target
	err := row.Scan(&t.ID, &t.CampaignID, &t.CustomerID, &t.CustomerKind, &t.Company, &t.ContactID, &t.Name, &t.Email, &t.MailStatus,
		&t.MailError, &t.Notified, &t.NotifiedHow, &t.NotifiedAt, &t.Attended, &t.HeadCount, &t.Feedback)
	return t, err
}

// ListTargets returns a page of a campaign's targets (the campaign must
// already have been checked against the actor), optionally by mail status.
// Only the targets whose customer the actor may see are listed: a campaign
// may invite a colleague's customers, and its owner counts them
// (HiddenTargets) without reading their names and addresses.
func (db *DB) ListTargets(ctx context.Context, actor Actor, campaignID int64, status, q string, page, perPage int) (TargetPage, error) {
	p := TargetPage{Page: max(page, 1), PerPage: perPage}
	conds := []string{"t.campaign_id = ?"}
	args := []any{campaignID}
	if rule := actor.ownerRule(ModCustomers, "c.owner_id"); rule != "" {
		conds = append(conds, rule)
	}
	switch status {
	case "none":
		conds = append(conds, "t.mail_status = ''")
	case "queued", "sending", "sent", "failed", "opened", "unsubscribed":
		conds = append(conds, "t.mail_status = ?")
		args = append(args, status)
	case "attended":
		conds = append(conds, "t.attended = 1")
	}
	if q = strings.TrimSpace(q); q != "" {
		like := "%" + escapeLike(q) + "%"
		conds = append(conds, `(t.name LIKE ? ESCAPE '\' OR t.email LIKE ? ESCAPE '\' OR c.name LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	from := ` FROM campaign_targets t JOIN customers c ON c.id = t.customer_id WHERE ` + strings.Join(conds, " AND ")
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&p.Total); err != nil {
		return p, err
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+targetColumns+from+` ORDER BY c.name, t.id LIMIT ? OFFSET ?`,
		append(args, p.PerPage, (p.Page-1)*p.PerPage)...)
	if err != nil {
		return p, err
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanTarget(rows)
		if err != nil {
			return p, err
		}
		p.Rows = append(p.Rows, t)
	}
	return p, rows.Err()
}

// HiddenTargets counts a campaign's targets whose customer the actor may not
// see: shown as a number, never as rows.
func (db *DB) HiddenTargets(ctx context.Context, actor Actor, campaignID int64) (int, error) {
	rule := actor.ownerRule(ModCustomers, "c.owner_id")
	if rule == "" {
		return 0, nil
	}
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM campaign_targets t JOIN customers c ON c.id = t.customer_id
		WHERE t.campaign_id = ? AND NOT (`+rule+`)`, campaignID).Scan(&n)
	return n, err
}

// GetTarget returns one target of a campaign actor may see.
func (db *DB) GetTarget(ctx context.Context, actor Actor, campaignID, id int64) (*Target, error) {
	if _, err := db.GetCampaign(ctx, actor, campaignID); err != nil {
		return nil, err
	}
	t, err := scanTarget(db.Read.QueryRowContext(ctx, `SELECT `+targetColumns+` FROM campaign_targets t
		JOIN customers c ON c.id = t.customer_id WHERE t.id = ? AND t.campaign_id = ?`, id, campaignID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &t, err
}

// SaveTargetResult records, by hand, whether a person was notified (and
// how), attended (with how many people) and their feedback.
func (db *DB) SaveTargetResult(ctx context.Context, actor Actor, t *Target) error {
	if errs := t.Validate(); errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := db.getCampaign(ctx, tx, actor, t.CampaignID); err != nil {
			return err
		}
		now := db.nowStamp()
		var notifiedAt any
		if t.Notified {
			notifiedAt = now
		}
		res, err := tx.ExecContext(ctx, `UPDATE campaign_targets SET notified = ?, notified_how = ?,
			notified_at = CASE WHEN ? AND notified_at IS NOT NULL THEN notified_at ELSE ? END,
			attended = ?, head_count = ?, feedback = ?, updated_at = ?, updated_by = ? WHERE id = ? AND campaign_id = ?`,
			t.Notified, t.NotifiedHow, t.Notified, notifiedAt, t.Attended, t.HeadCount, t.Feedback, now, actor.ID, t.ID, t.CampaignID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// CampaignMailStats counts a campaign's targets by mail status.
type CampaignMailStats struct {
	Targets, WithEmail, Queued, Sending, Sent, Failed, Opened, Unsubscribed int
}

// Done is the share of queued mail that has reached a final state, 0–100.
func (s CampaignMailStats) Done() int {
	total := s.Queued + s.Sending + s.Sent + s.Failed + s.Opened + s.Unsubscribed
	if total == 0 {
		return 0
	}
	return (s.Sent + s.Failed + s.Opened + s.Unsubscribed) * 100 / total
}

// Active reports whether mail is still on its way.
func (s CampaignMailStats) Active() bool { return s.Queued+s.Sending > 0 }

// MailStats counts a campaign's targets by mail status.
func (db *DB) MailStats(ctx context.Context, campaignID int64) (CampaignMailStats, error) {
	var s CampaignMailStats
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*),
		COALESCE(SUM(email <> ''), 0),
		COALESCE(SUM(mail_status = 'queued'), 0), COALESCE(SUM(mail_status = 'sending'), 0),
		COALESCE(SUM(mail_status = 'sent'), 0), COALESCE(SUM(mail_status = 'failed'), 0),
		COALESCE(SUM(mail_status = 'opened'), 0), COALESCE(SUM(mail_status = 'unsubscribed'), 0)
		FROM campaign_targets WHERE campaign_id = ?`, campaignID).Scan(&s.Targets, &s.WithEmail, &s.Queued, &s.Sending,
		&s.Sent, &s.Failed, &s.Opened, &s.Unsubscribed)
	return s, err
}

// CustomerCampaign is a campaign a customer was invited to, for the card.
type CustomerCampaign struct {
	CampaignID int64
	Code, Name string
	StartDate  string
	Status     string
	Person     string
	Notified   bool
	Attended   bool
	HeadCount  int
	Feedback   string
	MailStatus string
}

// CustomerCampaigns lists the campaigns a customer's people were on; only
// campaigns the actor may see are listed.
func (db *DB) CustomerCampaigns(ctx context.Context, actor Actor, customerID int64) ([]CustomerCampaign, error) {
	scope, args := campaignScope(actor)
	rows, err := db.Read.QueryContext(ctx, `SELECT m.id, m.code, m.name, m.start_date, m.status, t.name, t.notified, t.attended,
		t.head_count, t.feedback, t.mail_status FROM campaign_targets t JOIN campaigns m ON m.id = t.campaign_id
		WHERE t.customer_id = ? AND `+scope+` ORDER BY m.start_date DESC, t.id LIMIT 50`, append([]any{customerID}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CustomerCampaign
	for rows.Next() {
		var c CustomerCampaign
		if err := rows.Scan(&c.CampaignID, &c.Code, &c.Name, &c.StartDate, &c.Status, &c.Person, &c.Notified, &c.Attended,
			&c.HeadCount, &c.Feedback, &c.MailStatus); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
