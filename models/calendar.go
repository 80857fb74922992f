package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"sort"
	"strings"
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
	Team     []int64 // only these people (a team's calendar); nil: no such filter
	PerDay   int
}

// Calendar returns the days of a period that have entries. Each day's
// count comes from an index alone; the entries listed are found per day
// through the same index (a correlated LIMIT), so a busy team month costs
// little more than a quiet one: only the rows shown are read.
func (db *DB) Calendar(ctx context.Context, actor Actor, q CalendarQuery) (map[string]*CalDay, error) {
	if q.OwnerID != 0 && !actor.Sees(ModActivities, q.OwnerID) {
		return nil, ErrNotFound
	}
	if actor.Scope(ModActivities) == ScopeOwn {
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
	ownerCond, ownerArgs := q.ownerCond(actor, "owner_id")
	args := append([]any{q.From, q.To}, ownerArgs...)
	for _, src := range []string{
		`SELECT date, COUNT(*) FROM activities WHERE date BETWEEN ? AND ?` + ownerCond + ` GROUP BY date`,
		`SELECT date, COUNT(*) FROM plans WHERE date BETWEEN ? AND ?` + ownerCond + andRule(personalTaskRule(actor, "plans")) +
			` AND status = 'planned' GROUP BY date`,
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
	if q.PerDay <= 0 || len(days) == 0 {
		return days, nil
	}
	// Only the days that have entries, as a VALUES list.
	busy := make([]string, 0, len(days))
	for d := range days {
		busy = append(busy, d)
	}
	sort.Strings(busy)
	values := strings.TrimSuffix(strings.Repeat("(?),", len(busy)), ",")
	eargs := make([]any, 0, len(busy)+2)
	for _, d := range busy {
		eargs = append(eargs, d)
	}
	ownerCond, ownerArgs = q.ownerCond(actor, "x.owner_id")
	eargs = append(append(eargs, ownerArgs...), q.PerDay)
	queries := []struct{ kind, sql string }{
		{"activity", `WITH days(d) AS (VALUES ` + values + `)
			SELECT a.id, a.date, a.start_time, a.end_time, a.subject, c.name, u.display_name, COALESCE(a.method_id, 0)
			FROM days JOIN activities a ON a.id IN (SELECT x.id FROM activities x WHERE x.date = days.d` + ownerCond + `
				ORDER BY x.start_time, x.id LIMIT ?)
			JOIN customers c ON c.id = a.customer_id JOIN users u ON u.id = a.owner_id`},
		{"plan", `WITH days(d) AS (VALUES ` + values + `)
			SELECT p.id, p.date, p.time, '', p.subject, COALESCE(c.name, ''), u.display_name, COALESCE(p.method_id, 0)
			FROM days JOIN plans p ON p.id IN (SELECT x.id FROM plans x WHERE x.date = days.d` + ownerCond + `
				AND x.status = 'planned'` + andRule(personalTaskRule(actor, "x")) + ` ORDER BY x.time, x.id LIMIT ?)
			LEFT JOIN customers c ON c.id = p.customer_id JOIN users u ON u.id = p.owner_id`},
	}
	for _, src := range queries {
		rows, err := db.Read.QueryContext(ctx, src.sql, eargs...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			e := CalEntry{Kind: src.kind}
			if err := rows.Scan(&e.ID, &e.Date, &e.Time, &e.EndTime, &e.Subject, &e.CustomerName, &e.OwnerName, &e.MethodID); err != nil {
				rows.Close()
				return nil, err
			}
			d := day(e.Date)
			d.Entries = append(d.Entries, e)
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
	return queryList(ctx, db.Read, `SELECT `+planColumns+planJoins+`
		WHERE p.owner_id = ? AND p.date BETWEEN ? AND ? AND p.status <> 'cancelled' ORDER BY p.date, p.time, p.id LIMIT ?`, []any{userID, from, to, limit}, scanPlan)
}

// ownerCond limits the owner column col to the query's person, or else to
// the actor's scope (a team scope's whole calendar is its members'), and
// to the query's team (ids from the database, inlined).
func (q CalendarQuery) ownerCond(actor Actor, col string) (string, []any) {
	var cond string
	var args []any
	if q.OwnerID != 0 {
		cond, args = " AND "+col+" = ?", []any{q.OwnerID}
	} else {
		cond = actor.ownerAnd(ModActivities, col)
	}
	if q.Team != nil {
		cond += " AND " + inIDs(col, q.Team)
	}
	return cond, args
}
