package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"sort"
)

// CalEntry is one item in the calendar: an open plan or an activity record
// (a done plan shows as the record that completed it).
type CalEntry struct {
	Kind         string // "plan" or "activity"
	ID           int64
	Date         string
	Time         string
	EndTime      string
	Subject      string
	CustomerName string
	OwnerName    string
	MethodID     int64
}

// CalDay is one day of the calendar: its first entries and how many it has.
type CalDay struct {
	Date    string
	Entries []CalEntry
	Total   int
}

// More is how many entries the day has beyond those listed.
func (d *CalDay) More() int { return d.Total - len(d.Entries) }

// CalendarQuery selects a calendar period. OwnerID 0 means the whole team
// (only for actors who see everybody's activities). PerDay caps the entries
// listed per day (0: no entries, counts only).
type CalendarQuery struct {
	From, To string
	OwnerID  int64
	PerDay   int
}

// Calendar returns the days of a period that have entries. Each query reads
// the period from an index, ranks each day's entries there, and only then
// reads the few rows it lists, so a busy team month costs little more than
// a quiet one.
func (db *DB) Calendar(ctx context.Context, actor Actor, q CalendarQuery) (map[string]*CalDay, error) {
	if !actor.SeesAllActivities() {
		if q.OwnerID != 0 && q.OwnerID != actor.ID {
			return nil, ErrNotFound
		}
		q.OwnerID = actor.ID
	}
	days := map[string]*CalDay{}
	day := func(d string) *CalDay {
		if x, ok := days[d]; ok {
			return x
		}
		x := &CalDay{Date: d}
		days[d] = x
		return x
	}
	ownerCond, args := "", []any{q.From, q.To}
	if q.OwnerID != 0 {
		ownerCond = " AND owner_id = ?"
		args = append(args, q.OwnerID)
	}
	if q.PerDay <= 0 {
		for _, src := range []string{
			`SELECT date, COUNT(*) FROM activities WHERE date BETWEEN ? AND ?` + ownerCond + ` GROUP BY date`,
			`SELECT date, COUNT(*) FROM plans WHERE date BETWEEN ? AND ?` + ownerCond + ` AND status = 'planned' GROUP BY date`,
		} {
			rows, err := db.Read.QueryContext(ctx, src, args...)
			if err != nil {
				return nil, err
			}
			for rows.Next() {
				var d string
				var n int
				if err := rows.Scan(&d, &n); err != nil {
					rows.Close()
					return nil, err
				}
				day(d).Total += n
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return nil, err
			}
		}
		return days, nil
	}
	args = append(args, q.PerDay)
	queries := []struct{ kind, sql string }{
		{"activity", `WITH r AS (SELECT id, date, ROW_NUMBER() OVER (PARTITION BY date ORDER BY start_time, id) AS rn,
				COUNT(*) OVER (PARTITION BY date) AS n
			FROM activities WHERE date BETWEEN ? AND ?` + ownerCond + `)
			SELECT r.n, a.id, a.date, a.start_time, a.end_time, a.subject, c.name, u.display_name, COALESCE(a.method_id, 0)
			FROM r JOIN activities a ON a.id = r.id JOIN customers c ON c.id = a.customer_id JOIN users u ON u.id = a.owner_id
			WHERE r.rn <= ?`},
		{"plan", `WITH r AS (SELECT id, date, ROW_NUMBER() OVER (PARTITION BY date ORDER BY time, id) AS rn,
				COUNT(*) OVER (PARTITION BY date) AS n
			FROM plans WHERE date BETWEEN ? AND ?` + ownerCond + ` AND status = 'planned')
			SELECT r.n, p.id, p.date, p.time, '', p.subject, c.name, u.display_name, COALESCE(p.method_id, 0)
			FROM r JOIN plans p ON p.id = r.id JOIN customers c ON c.id = p.customer_id JOIN users u ON u.id = p.owner_id
			WHERE r.rn <= ?`},
	}
	counted := map[string]map[string]bool{}
	for _, src := range queries {
		counted[src.kind] = map[string]bool{}
		rows, err := db.Read.QueryContext(ctx, src.sql, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			e := CalEntry{Kind: src.kind}
			var n int
			if err := rows.Scan(&n, &e.ID, &e.Date, &e.Time, &e.EndTime, &e.Subject, &e.CustomerName, &e.OwnerName, &e.MethodID); err != nil {
				rows.Close()
				return nil, err
			}
			d := day(e.Date)
			d.Entries = append(d.Entries, e)
			if !counted[src.kind][e.Date] {
				counted[src.kind][e.Date] = true
				d.Total += n
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	for _, d := range days {
		sort.SliceStable(d.Entries, func(i, j int) bool {
			a, b := d.Entries[i], d.Entries[j]
			if a.Time != b.Time {
				return a.Time < b.Time
			}
			return a.Kind < b.Kind
		})
		if len(d.Entries) > q.PerDay {
			d.Entries = d.Entries[:q.PerDay]
		}
	}
	return days, nil
}

// Calendar feed tokens (iCalendar).

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewCalendarToken replaces the user's feed token with a new one and
// returns it; only its hash is stored, so this is the one time it is seen.
func (db *DB) NewCalendarToken(ctx context.Context, userID int64) (string, error) {
	token := RandomToken(24)
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at`,
			userID, hashToken(token), now); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, userID, "user", userID, "calendar_token", nil)
	})
	return token, err
}

// RevokeCalendarToken ends the user's feed.
func (db *DB) RevokeCalendarToken(ctx context.Context, userID int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM calendar_tokens WHERE user_id = ?`, userID); err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), userID, "user", userID, "calendar_token_revoke", nil)
	})
}

// CalendarTokenCreated tells when the user's feed token was made ("" when none).
func (db *DB) CalendarTokenCreated(ctx context.Context, userID int64) (string, error) {
	var at string
	err := db.Read.QueryRowContext(ctx, `SELECT created_at FROM calendar_tokens WHERE user_id = ?`, userID).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return at, err
}

// UserByCalendarToken returns the active user whose feed token this is.
func (db *DB) UserByCalendarToken(ctx context.Context, token string) (*User, error) {
	if token == "" {
		return nil, ErrNotFound
	}
	return scanUser(db.Read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users
		WHERE active = 1 AND id = (SELECT user_id FROM calendar_tokens WHERE token_hash = ?)`, hashToken(token)))
}

// FeedPlans lists a user's open and done plans from..to for the iCalendar feed.
func (db *DB) FeedPlans(ctx context.Context, userID int64, from, to string, limit int) ([]Plan, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT `+planColumns+planJoins+`
		WHERE p.owner_id = ? AND p.date BETWEEN ? AND ? AND p.status <> 'cancelled' ORDER BY p.date, p.time, p.id LIMIT ?`,
		userID, from, to, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Plan
	for rows.Next() {
		p, err := scanPlan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *p)
	}
	return out, rows.Err()
}
