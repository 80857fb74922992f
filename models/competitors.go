package models

import (
	"context"
	"database/sql"
	"errors"
)

// Competitor is an entry of the competitor list (竞争对手).
type Competitor struct {
	ID         int64
	Name       string
	Strengths  string
	Weaknesses string
	Notes      string
	Active     bool
	Mentions   int // how many activity records (that the reader may see) mention it
	CreatedAt  string
	UpdatedAt  string
}

// Competitors lists the competitors by name with their mention counts as
// actor sees them; activeOnly leaves out deactivated ones.
func (db *DB) Competitors(ctx context.Context, actor Actor, activeOnly bool) ([]Competitor, error) {
	mentionCond, args := "", []any{}
	if rule := actor.ownerRule(ModActivities, "a.owner_id"); rule != "" {
		mentionCond = " AND EXISTS (SELECT 1 FROM activities a WHERE a.id = m.activity_id AND " + rule + ")"
	}
	query := `SELECT p.id, p.name, p.strengths, p.weaknesses, p.notes, p.active, p.created_at, p.updated_at,
		(SELECT COUNT(*) FROM activity_competitors m WHERE m.competitor_id = p.id` + mentionCond + `)
		FROM competitors p`
	if activeOnly {
		query += ` WHERE p.active = 1`
	}
	return queryList(ctx, db.Read, query+` ORDER BY p.name`, args, func(row rowScanner) (*Competitor, error) {
		var c Competitor
		return &c, row.Scan(&c.ID, &c.Name, &c.Strengths, &c.Weaknesses, &c.Notes, &c.Active, &c.CreatedAt, &c.UpdatedAt, &c.Mentions)
	})
}

// CompetitorNames lists the competitors by name without mention counts,
// for pickers and filters.
func (db *DB) CompetitorNames(ctx context.Context) ([]Competitor, error) {
	return queryList(ctx, db.Read, `SELECT id, name, active FROM competitors ORDER BY name`, nil,
		func(row rowScanner) (*Competitor, error) {
			var c Competitor
			return &c, row.Scan(&c.ID, &c.Name, &c.Active)
		})
}

// GetCompetitor returns one competitor.
func (db *DB) GetCompetitor(ctx context.Context, id int64) (*Competitor, error) {
	var c Competitor
	err := db.Read.QueryRowContext(ctx, `SELECT id, name, strengths, weaknesses, notes, active, created_at, updated_at
		FROM competitors WHERE id = ?`, id).Scan(&c.ID, &c.Name, &c.Strengths, &c.Weaknesses, &c.Notes, &c.Active, &c.CreatedAt, &c.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &c, err
}

// SaveCompetitor creates (ID 0) or updates a competitor; ErrConflict when
// the name is taken.
func (db *DB) SaveCompetitor(ctx context.Context, actor Actor, c *Competitor) error {
	if !actor.EditsActivities() {
		return ErrNotFound
	}
	if errs := c.Validate(); errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if c.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO competitors (name, strengths, weaknesses, notes, active, created_at, created_by,
				updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.Name, c.Strengths, c.Weaknesses, c.Notes, c.Active,
				now, nullInt(actor.ID), now, nullInt(actor.ID))
			if isUniqueViolation(err) {
				return ErrConflict
			}
			if err != nil {
				return err
			}
			if c.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			return recordAudit(ctx, tx, now, actor.ID, "competitor", c.ID, "create", []Change{{Field: "name", New: c.Name}})
		}
		var old Competitor
		err := tx.QueryRowContext(ctx, `SELECT name, strengths, weaknesses, notes, active FROM competitors WHERE id = ?`, c.ID).
			Scan(&old.Name, &old.Strengths, &old.Weaknesses, &old.Notes, &old.Active)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE competitors SET name = ?, strengths = ?, weaknesses = ?, notes = ?, active = ?,
			updated_at = ?, updated_by = ? WHERE id = ?`, c.Name, c.Strengths, c.Weaknesses, c.Notes, c.Active, now, nullInt(actor.ID), c.ID)
		if isUniqueViolation(err) {
			return ErrConflict
		}
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "competitor", c.ID, "update", diff([]fieldPair{
			{"name", old.Name, c.Name}, {"strengths", old.Strengths, c.Strengths}, {"weaknesses", old.Weaknesses, c.Weaknesses},
			{"notes", old.Notes, c.Notes}, {"active", boolText(old.Active), boolText(c.Active)}}))
	})
}

// CompetitorMention is an activity record that names a competitor.
type CompetitorMention struct {
	ActivityID   int64
	Code         string
	Date         string
	OwnerName    string
	CustomerName string
	Subject      string
	Note         string
}

// CompetitorMentions lists the newest records mentioning competitor id that
// actor may see.
func (db *DB) CompetitorMentions(ctx context.Context, actor Actor, id int64, limit int) ([]CompetitorMention, error) {
	query := `SELECT a.id, a.code, a.date, u.display_name, c.name, a.subject, m.note FROM activity_competitors m
		JOIN activities a ON a.id = m.activity_id JOIN users u ON u.id = a.owner_id JOIN customers c ON c.id = a.customer_id
		WHERE m.competitor_id = ?`
	args := []any{id}
	query += actor.ownerAnd(ModActivities, "a.owner_id")
	args = append(args, limit)
	rows, err := db.Read.QueryContext(ctx, query+` ORDER BY a.date DESC, a.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CompetitorMention
	for rows.Next() {
		var m CompetitorMention
		if err := rows.Scan(&m.ActivityID, &m.Code, &m.Date, &m.OwnerName, &m.CustomerName, &m.Subject, &m.Note); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}
