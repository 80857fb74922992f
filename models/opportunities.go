package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
)

// OpportunityStatuses are the allowed statuses, in display order.
var OpportunityStatuses = []string{"open", "won", "lost"}

// Opportunity is a sales opportunity (商机).
type Opportunity struct {
	ID            int64
	Code          string
	Name          string
	CustomerID    int64
	CustomerKind  string
	CustomerName  string
	OwnerID       int64
	OwnerName     string
	AmountFen     int64
	ExpectedClose string
	StageID       int64
	Probability   int
	Status        string
	CloseReason   string
	ClosedAt      string
	Notes         string
	CreatedAt     string
	UpdatedAt     string
	CreatedByName string
	UpdatedByName string
}

const opportunityColumns = `o.id, o.code, o.name, o.customer_id, c.kind, c.name, o.owner_id, u.display_name, o.amount_fen,
	COALESCE(o.expected_close, ''), COALESCE(o.stage_id, 0), o.probability, o.status, o.close_reason, COALESCE(o.closed_at, ''),
	o.notes, o.created_at, o.updated_at, COALESCE(cb.display_name, ''), COALESCE(ub.display_name, '')`

const opportunityJoins = ` FROM opportunities o JOIN customers c ON c.id = o.customer_id JOIN users u ON u.id = o.owner_id
	LEFT JOIN users cb ON cb.id = o.created_by LEFT JOIN users ub ON ub.id = o.updated_by`

func scanOpportunity(row interface{ Scan(...any) error }) (*Opportunity, error) {
	var o Opportunity
	err := row.Scan(&o.ID, &o.Code, &o.Name, &o.CustomerID, &o.CustomerKind, &o.CustomerName, &o.OwnerID, &o.OwnerName,
		&o.AmountFen, &o.ExpectedClose, &o.StageID, &o.Probability, &o.Status, &o.CloseReason, &o.ClosedAt, &o.Notes,
		&o.CreatedAt, &o.UpdatedAt, &o.CreatedByName, &o.UpdatedByName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &o, err
}

func (db *DB) getOpportunity(ctx context.Context, q querier, actor Actor, id int64) (*Opportunity, error) {
	query := `SELECT ` + opportunityColumns + opportunityJoins + ` WHERE o.id = ?`
	args := []any{id}
	if rule := actor.salesRule("o"); rule != "" {
		query += " AND " + rule
	}
	return scanOpportunity(q.QueryRowContext(ctx, query, args...))
}

// GetOpportunity returns an opportunity actor may see.
func (db *DB) GetOpportunity(ctx context.Context, actor Actor, id int64) (*Opportunity, error) {
	return db.getOpportunity(ctx, db.Read, actor, id)
}

func opportunityPairs(old, o *Opportunity) []fieldPair {
	return []fieldPair{
		{"name", old.Name, o.Name}, {"counterpart", old.CustomerName, o.CustomerName},
		{"owner", idText(old.OwnerID), idText(o.OwnerID)}, {"amount", FormatFen(old.AmountFen), FormatFen(o.AmountFen)},
		{"expected_close", old.ExpectedClose, o.ExpectedClose}, {"stage", idText(old.StageID), idText(o.StageID)},
		{"probability", strconv.Itoa(old.Probability), strconv.Itoa(o.Probability)}, {"notes", old.Notes, o.Notes},
	}
}

// SaveOpportunity creates (ID 0) or updates the editable fields of an
// opportunity; status changes go through CloseOpportunity.
func (db *DB) SaveOpportunity(ctx context.Context, actor Actor, o *Opportunity) error {
	if !actor.EditsActivities() {
		return ErrNotFound
	}
	if errs, err := db.CheckOpportunity(ctx, actor, o); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		cp, err := db.counterpart(ctx, tx, actor, o.CustomerID)
		if err != nil {
			return err
		}
		o.CustomerName, o.CustomerKind = cp.Name, cp.Kind
		now := db.nowStamp()
		if o.ID == 0 {
			if o.Code, err = db.NextNumber(ctx, tx, "opportunity"); err != nil {
				return err
			}
			o.Status = "open"
			res, err := tx.ExecContext(ctx, `INSERT INTO opportunities (code, name, customer_id, owner_id, amount_fen, expected_close,
				stage_id, probability, status, notes, created_at, created_by, updated_at, updated_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?, ?, ?, ?)`,
				o.Code, o.Name, o.CustomerID, o.OwnerID, o.AmountFen, nullStr(o.ExpectedClose), nullInt(o.StageID), o.Probability,
				o.Notes, now, nullInt(actor.ID), now, nullInt(actor.ID))
			if err != nil {
				return err
			}
			if o.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			return recordAudit(ctx, tx, now, actor.ID, "opportunity", o.ID, "create",
				append([]Change{{Field: "code", New: o.Code}}, diff(opportunityPairs(&Opportunity{}, o))...))
		}
		old, err := db.getOpportunity(ctx, tx, actor, o.ID)
		if err != nil {
			return err
		}
		o.Code, o.Status = old.Code, old.Status
		_, err = tx.ExecContext(ctx, `UPDATE opportunities SET name = ?, customer_id = ?, owner_id = ?, amount_fen = ?,
			expected_close = ?, stage_id = ?, probability = ?, notes = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			o.Name, o.CustomerID, o.OwnerID, o.AmountFen, nullStr(o.ExpectedClose), nullInt(o.StageID), o.Probability, o.Notes,
			now, nullInt(actor.ID), o.ID)
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "opportunity", o.ID, "update", diff(opportunityPairs(old, o)))
	})
}

// MoveOpportunity sets an open opportunity's stage (the pipeline board).
func (db *DB) MoveOpportunity(ctx context.Context, actor Actor, id, stageID int64) error {
	if !actor.EditsActivities() {
		return ErrNotFound
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.getOpportunity(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		if old.Status != "open" {
			return ErrConflict
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE opportunities SET stage_id = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			nullInt(stageID), now, nullInt(actor.ID), id); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "opportunity", id, "update",
			diff([]fieldPair{{"stage", idText(old.StageID), idText(stageID)}}))
	})
}

// CheckClosing checks an opportunity's closing: won, lost (with a reason)
// or open again; a reason is at most 1,000 characters.
func CheckClosing(status, reason string) FieldErrors {
	errs := FieldErrors{}
	switch {
	case status != "won" && status != "lost" && status != "open":
		errs["reason"] = "validation.invalid_choice"
	case status == "lost" && strings.TrimSpace(reason) == "":
		errs["reason"] = "opportunity.reason_required"
	}
	errs.tooLong("reason", reason, 1000)
	return errs
}

// CloseOpportunity marks an opportunity won or lost with a reason, or
// reopens it (status "open"); FieldErrors when CheckClosing refuses.
func (db *DB) CloseOpportunity(ctx context.Context, actor Actor, id int64, status, reason string) error {
	if errs := CheckClosing(status, reason); errs.Any() {
		return errs
	}
	if !actor.EditsActivities() {
		return ErrNotFound
	}
	if errs := CheckClosing(status, reason); errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.getOpportunity(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		now := db.nowStamp()
		closedAt := any(now)
		prob, stage := old.Probability, old.StageID
		switch status {
		case "won":
			prob = 100
			stage = db.closingStage(ctx, wonStageCode, stage)
		case "lost":
			prob = 0
			stage = db.closingStage(ctx, lostStageCode, stage)
		default:
			closedAt, reason = nil, ""
		}
		if _, err := tx.ExecContext(ctx, `UPDATE opportunities SET status = ?, close_reason = ?, closed_at = ?, probability = ?,
			stage_id = ?, updated_at = ?, updated_by = ? WHERE id = ?`, status, reason, closedAt, prob, nullInt(stage), now,
			nullInt(actor.ID), id); err != nil {
			return err
		}
		// A won deal moves its customer to the won stage too, as a record
		// with that stage would (the write-back rule).
		if status == "won" && stage != old.StageID {
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET stage_id = ? WHERE id = ?`, stage, old.CustomerID); err != nil {
				return err
			}
			if err := enqueue(ctx, tx, old.CustomerKind, old.CustomerID); err != nil {
				return err
			}
		}
		return recordAudit(ctx, tx, now, actor.ID, "opportunity", id, "update", diff([]fieldPair{
			{"status", old.Status, status}, {"close_reason", old.CloseReason, reason},
			{"probability", strconv.Itoa(old.Probability), strconv.Itoa(prob)},
			{"stage", strconv.FormatInt(old.StageID, 10), strconv.FormatInt(stage, 10)}}))
	})
}

// The sales stages a closed deal moves to (the default list's codes).
const (
	wonStageCode  = "S5"
	lostStageCode = "S6"
)

// closingStage is the active sales stage with code, or keep when the admin
// removed or renamed it away.
func (db *DB) closingStage(ctx context.Context, code string, keep int64) int64 {
	items, err := db.AuxItemsOf(ctx, "sales_stage")
	if err != nil {
		return keep
	}
	for _, it := range items {
		if it.Code == code && it.Active {
			return it.ID
		}
	}
	return keep
}

// OpportunityFilter selects opportunities.
type OpportunityFilter struct {
	Status     string
	StageID    int64
	OwnerID    int64
	CustomerID int64
	Q          string
	Limit      int
}

// where is the filter and the row rule, shared by the list screen and
// the API.
func (f OpportunityFilter) where(actor Actor) where {
	var w where
	if f.CustomerID != 0 {
		// One customer's (its card): the history travels with it.
		if rule := actor.salesRule("o"); rule != "" {
			w.add(rule)
		}
	} else {
		w.owner(actor, ModActivities, "o.owner_id")
	}
	w.eq("o.status", f.Status)
	w.eq("o.stage_id", f.StageID)
	w.eq("o.owner_id", f.OwnerID)
	w.eq("o.customer_id", f.CustomerID)
	w.like(f.Q, "o.name", "o.code", "c.name")
	return w
}

// ListOpportunities lists opportunities actor may see, by expected close date.
func (db *DB) ListOpportunities(ctx context.Context, actor Actor, f OpportunityFilter) ([]Opportunity, error) {
	w := f.where(actor)
	if f.Limit <= 0 || f.Limit > 2000 {
		f.Limit = 500
	}
	cond, args := w.sql()
	args = append(args, f.Limit)
	return queryList(ctx, db.Read, `SELECT `+opportunityColumns+opportunityJoins+` WHERE `+cond+
		` ORDER BY o.expected_close IS NULL, o.expected_close, o.id LIMIT ?`, args, scanOpportunity)
}

// OpportunitiesAfter is ListOpportunities for the API: in id order, up to
// limit rows after the id afterID (keyset pages).
func (db *DB) OpportunitiesAfter(ctx context.Context, actor Actor, f OpportunityFilter, afterID int64, limit int) ([]Opportunity, error) {
	w := f.where(actor)
	w.add("o.id > ?", afterID)
	cond, args := w.sql()
	args = append(args, limit)
	return queryList(ctx, db.Read, `SELECT `+opportunityColumns+opportunityJoins+` WHERE `+cond+` ORDER BY o.id LIMIT ?`, args, scanOpportunity)
}

// Amount is the amount as yuan text.
func (o Opportunity) Amount() string { return FormatFen(o.AmountFen) }
