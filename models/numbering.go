package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DocKinds are the document kinds that have a numbering rule, in display order.
var DocKinds = []string{"customer", "prospect", "activity", "plan", "campaign", "issue", "article", "opportunity"}

// NumberingRule says how the numbers of one document kind are made, e.g.
// prefix "HD", date part "YYYYMMDD", width 3 → HD20101208001.
type NumberingRule struct {
	Kind     string
	Prefix   string
	DatePart string // "", "YYYY", "YYYYMM" or "YYYYMMDD"
	Width    int
	Reset    string // never, yearly, monthly, daily
}

// DateParts and ResetPeriods are the allowed values, in display order.
var (
	DateParts    = []string{"", "YYYY", "YYYYMM", "YYYYMMDD"}
	ResetPeriods = []string{"never", "yearly", "monthly", "daily"}
)

var goLayouts = map[string]string{"": "", "YYYY": "2006", "YYYYMM": "200601", "YYYYMMDD": "20060102"}

var resetLayouts = map[string]string{"never": "", "yearly": "2006", "monthly": "200601", "daily": "20060102"}

// period is the counter bucket for t: numbers restart in each new bucket.
func (r NumberingRule) period(t time.Time) string {
	l := resetLayouts[r.Reset]
	if l == "" {
		return ""
	}
	return t.Format(l)
}

// datePrecision and resetPrecision rank date parts and reset periods by how
// fine a period they name.
var (
	datePrecision  = map[string]int{"": 0, "YYYY": 1, "YYYYMM": 2, "YYYYMMDD": 3}
	resetPrecision = map[string]int{"never": 0, "yearly": 1, "monthly": 2, "daily": 3}
)

// RepeatsNumbers reports whether r would hand out the same number twice: a
// serial that restarts every period repeats unless the date part names that
// period (a yearly reset needs at least YYYY, a daily one YYYYMMDD). Such a
// rule would make every save fail on the unique code once a period turns.
func (r NumberingRule) RepeatsNumbers() bool {
	return resetPrecision[r.Reset] > datePrecision[r.DatePart]
}

// Format renders serial n at time t.
func (r NumberingRule) Format(t time.Time, n int64) string {
	date := ""
	if l := goLayouts[r.DatePart]; l != "" {
		date = t.Format(l)
	}
	return fmt.Sprintf("%s%s%0*d", r.Prefix, date, r.Width, n)
}

// NumberingRules returns every rule in DocKinds order.
func (db *DB) NumberingRules(ctx context.Context) ([]NumberingRule, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT kind, prefix, date_part, width, reset FROM numbering_rules`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byKind := map[string]NumberingRule{}
	for rows.Next() {
		var r NumberingRule
		if err := rows.Scan(&r.Kind, &r.Prefix, &r.DatePart, &r.Width, &r.Reset); err != nil {
			return nil, err
		}
		byKind[r.Kind] = r
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]NumberingRule, 0, len(DocKinds))
	for _, k := range DocKinds {
		if r, ok := byKind[k]; ok {
			out = append(out, r)
		}
	}
	return out, nil
}

func (db *DB) numberingRule(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, kind string) (NumberingRule, error) {
	r := NumberingRule{Kind: kind}
	err := q.QueryRowContext(ctx, `SELECT prefix, date_part, width, reset FROM numbering_rules WHERE kind = ?`, kind).
		Scan(&r.Prefix, &r.DatePart, &r.Width, &r.Reset)
	if errors.Is(err, sql.ErrNoRows) {
		return r, ErrNotFound
	}
	return r, err
}

// SaveNumberingRule updates one rule.
func (db *DB) SaveNumberingRule(ctx context.Context, by int64, r NumberingRule) error {
	if r.RepeatsNumbers() {
		return fmt.Errorf("numbering rule %s: reset %s with date part %q repeats numbers: %w", r.Kind, r.Reset, r.DatePart, ErrConflict)
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.numberingRule(ctx, tx, r.Kind)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE numbering_rules SET prefix = ?, date_part = ?, width = ?, reset = ?,
			updated_at = ?, updated_by = ? WHERE kind = ?`, r.Prefix, r.DatePart, r.Width, r.Reset, db.nowStamp(), nullInt(by), r.Kind)
		if err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "numbering", 0, "update", diff([]fieldPair{
			{r.Kind + ".prefix", old.Prefix, r.Prefix},
			{r.Kind + ".date_part", old.DatePart, r.DatePart},
			{r.Kind + ".width", fmt.Sprint(old.Width), fmt.Sprint(r.Width)},
			{r.Kind + ".reset", old.Reset, r.Reset},
		}))
	})
}

// PreviewNumber shows the number the next document of rule r would get now,
// without allocating it. r may be an unsaved rule being edited.
func (db *DB) PreviewNumber(ctx context.Context, r NumberingRule) (string, error) {
	now := db.LocalNow()
	var last int64
	err := db.Read.QueryRowContext(ctx, `SELECT last FROM numbering_counters WHERE kind = ? AND period = ?`,
		r.Kind, r.period(now)).Scan(&last)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	return r.Format(now, last+1), nil
}

// NextNumber allocates the next number of kind inside tx, so the number and
// the row that carries it commit or roll back together: no gaps, no twins.
func (db *DB) NextNumber(ctx context.Context, tx *sql.Tx, kind string) (string, error) {
	r, err := db.numberingRule(ctx, tx, kind)
	if err != nil {
		return "", fmt.Errorf("numbering rule %q: %w", kind, err)
	}
	now := db.LocalNow()
	var n int64
	err = tx.QueryRowContext(ctx, `INSERT INTO numbering_counters (kind, period, last) VALUES (?, ?, 1)
		ON CONFLICT (kind, period) DO UPDATE SET last = last + 1 RETURNING last`, kind, r.period(now)).Scan(&n)
	if err != nil {
		return "", err
	}
	return r.Format(now, n), nil
}

// maxNumberSkips bounds NextFreeNumber's search; reaching it means the rule
// cannot produce a free number (e.g. width 1 with every digit used).
const maxNumberSkips = 100_000

// NextFreeNumber is NextNumber for documents stored in table (a constant of
// this package, never user input), skipping numbers already in its code
// column. Those exist after a rule change restarts a serial where numbers
// were given before (a daily reset switched to never on the same day, or two
// kinds in one table given the same prefix); without the skip every save
// would fail on the unique code until the counter passed them.
func (db *DB) NextFreeNumber(ctx context.Context, tx *sql.Tx, kind, table string) (string, error) {
	for range maxNumberSkips {
		code, err := db.NextNumber(ctx, tx, kind)
		if err != nil {
			return "", err
		}
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE code = ?`, code).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return code, nil
		}
		if err != nil {
			return "", err
		}
	}
	return "", fmt.Errorf("numbering rule %q gives no free number: %w", kind, ErrConflict)
}

// LocalNow is the current time in the business's time zone, which decides
// date parts of numbers and what "today" is.
func (db *DB) LocalNow() time.Time { return db.Now().In(db.Location()) }

// Location is the business's time zone (UTC unless set).
func (db *DB) Location() *time.Location {
	if db.Loc == nil {
		return time.UTC
	}
	return db.Loc
}
