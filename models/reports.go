package models

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"
)

// Reports (CRM报表): the built-in analyses and the user-defined reports,
// who may open each (设置报表用户), and running them.

// Report is a built-in analysis or a user-defined report.
type Report struct {
	ID         int64
	Builtin    string // the key of a built-in analysis; "" for a user-defined report
	Name       string // of a user-defined report (built-ins take theirs from the messages)
	Category   string
	Definition ReportDef
	OwnerID    int64
	OwnerName  string
	Roles      []Role  // report users by role
	UserIDs    []int64 // report users by name
	Schedules  int
	CreatedAt  string
	UpdatedAt  string
}

// IsBuiltin reports whether r is a built-in analysis.
func (r *Report) IsBuiltin() bool { return r.Builtin != "" }

// CategoryKey is the built-in category of a built-in analysis, "" for a
// user-defined report (whose Category is the user's text).
func (r *Report) CategoryKey() string {
	if b := findBuiltin(r.Builtin); b != nil {
		return b.category
	}
	return ""
}

// DefaultPeriod is the period a built-in analysis opens with.
func (r *Report) DefaultPeriod() string {
	if b := findBuiltin(r.Builtin); b != nil {
		return b.period
	}
	return "all"
}

// HasOwnerFilter reports whether the report offers the salesperson filter.
func (r *Report) HasOwnerFilter() bool {
	b := findBuiltin(r.Builtin)
	return b != nil && b.owner
}

// CanEdit: a user-defined report is changed or deleted by its owner and
// by admins; built-ins never change.
func (r *Report) CanEdit(a Actor) bool {
	return !r.IsBuiltin() && (a.Can(PermReportsManage) || a.ID == r.OwnerID)
}

// CanShare: admins set the report users of every report, owners those of
// their own.
func (r *Report) CanShare(a Actor) bool {
	return a.Can(PermReportsManage) || (!r.IsBuiltin() && a.ID == r.OwnerID)
}

// CanSchedule: admins, managers and the owner may e-mail a report they
// can open on a schedule.
func (r *Report) CanSchedule(a Actor) bool {
	return a.LeadsPeople() || (!r.IsBuiltin() && a.ID == r.OwnerID)
}

// reportAccess is the condition under which actor may open report r: an
// admin always, the owner, a listed user, a user of a listed role.
func reportAccess(a Actor) (string, []any) {
	if a.Can(PermReportsManage) {
		return "1", nil
	}
	return `(r.owner_id = ? OR EXISTS (SELECT 1 FROM report_users ru WHERE ru.report_id = r.id AND ru.user_id = ?)
		OR EXISTS (SELECT 1 FROM report_roles rr WHERE rr.report_id = r.id AND rr.role = ?))`, []any{a.ID, a.ID, string(a.Role)}
}

const reportColumns = `r.id, COALESCE(r.builtin, ''), r.name, r.category, r.definition, COALESCE(r.owner_id, 0),
	COALESCE(u.display_name, ''), r.created_at, r.updated_at,
	(SELECT COUNT(*) FROM report_schedules s WHERE s.report_id = r.id AND s.active = 1)`

func scanReport(row interface{ Scan(...any) error }) (*Report, error) {
	var r Report
	var def string
	err := row.Scan(&r.ID, &r.Builtin, &r.Name, &r.Category, &def, &r.OwnerID, &r.OwnerName, &r.CreatedAt, &r.UpdatedAt, &r.Schedules)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if !r.IsBuiltin() {
		// A stored definition was valid JSON when it was saved; should it
		// not parse, the report shows as empty rather than failing the list.
		r.Definition, _ = ParseReportDef([]byte(def))
	}
	return &r, nil
}

// ListReports lists the reports actor may open: built-ins in their order,
// then user-defined reports by category and name.
func (db *DB) ListReports(ctx context.Context, actor Actor) ([]Report, error) {
	cond, args := reportAccess(actor)
	rows, err := db.Read.QueryContext(ctx, `SELECT `+reportColumns+` FROM reports r LEFT JOIN users u ON u.id = r.owner_id
		WHERE `+cond+` ORDER BY r.builtin IS NULL, r.category, r.name, r.id`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Report
	for rows.Next() {
		r, err := scanReport(rows)
		if err != nil {
			return nil, err
		}
		if r.IsBuiltin() && findBuiltin(r.Builtin) == nil {
			continue // an analysis this version does not have
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// GetReport returns a report actor may open, with its report users;
// ErrNotFound otherwise, so a report one may not open looks missing.
func (db *DB) GetReport(ctx context.Context, actor Actor, id int64) (*Report, error) {
	cond, args := reportAccess(actor)
	r, err := scanReport(db.Read.QueryRowContext(ctx, `SELECT `+reportColumns+` FROM reports r LEFT JOIN users u ON u.id = r.owner_id
		WHERE r.id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return nil, err
	}
	if r.IsBuiltin() && findBuiltin(r.Builtin) == nil {
		return nil, ErrNotFound
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT role FROM report_roles WHERE report_id = ? ORDER BY role`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var role Role
		if err := rows.Scan(&role); err != nil {
			return nil, err
		}
		r.Roles = append(r.Roles, role)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	urows, err := db.Read.QueryContext(ctx, `SELECT user_id FROM report_users WHERE report_id = ? ORDER BY user_id`, id)
	if err != nil {
		return nil, err
	}
	defer urows.Close()
	for urows.Next() {
		var uid int64
		if err := urows.Scan(&uid); err != nil {
			return nil, err
		}
		r.UserIDs = append(r.UserIDs, uid)
	}
	return r, urows.Err()
}

// BuiltinReportID returns the id of a built-in analysis by its key.
func (db *DB) BuiltinReportID(ctx context.Context, key string) (int64, error) {
	var id int64
	err := db.Read.QueryRowContext(ctx, `SELECT id FROM reports WHERE builtin = ?`, key).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// ReportCategories lists the categories of the user-defined reports actor
// may open, for the category field's suggestions.
func (db *DB) ReportCategories(ctx context.Context, actor Actor) ([]string, error) {
	cond, args := reportAccess(actor)
	rows, err := db.Read.QueryContext(ctx, `SELECT DISTINCT r.category FROM reports r WHERE r.builtin IS NULL AND r.category <> ''
		AND `+cond+` ORDER BY r.category`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveReport creates (ID 0, owned by actor) or updates a user-defined
// report. The definition must compile for actor (CompileReport, strict).
func (db *DB) SaveReport(ctx context.Context, actor Actor, r *Report) error {
	if _, err := CompileReport(r.Definition, CompileOptions{Actor: actor, Today: db.LocalNow(), Strict: true}); err != nil {
		return err
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if r.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO reports (name, category, definition, owner_id, created_at, created_by, updated_at, updated_by)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Name, r.Category, r.Definition.JSON(), actor.ID, now, actor.ID, now, actor.ID)
			if err != nil {
				return err
			}
			r.ID, err = res.LastInsertId()
			r.OwnerID = actor.ID
			return err
		}
		old, err := db.editableReport(ctx, tx, actor, r.ID)
		if err != nil {
			return err
		}
		r.OwnerID = old
		_, err = tx.ExecContext(ctx, `UPDATE reports SET name = ?, category = ?, definition = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			r.Name, r.Category, r.Definition.JSON(), now, actor.ID, r.ID)
		return err
	})
}

// editableReport checks, inside a transaction, that actor may change the
// user-defined report id, and returns its owner.
func (db *DB) editableReport(ctx context.Context, tx *sql.Tx, actor Actor, id int64) (int64, error) {
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(owner_id, 0) FROM reports WHERE id = ? AND builtin IS NULL`, id).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.Can(PermReportsManage) && owner != actor.ID) {
		return 0, ErrNotFound
	}
	return owner, err
}

// SetReportUsers replaces the roles and users who may open a report.
// Admins may do so for any report, owners for their own.
func (db *DB) SetReportUsers(ctx context.Context, actor Actor, id int64, roles []Role, userIDs []int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		var builtin sql.NullString
		var owner int64
		err := tx.QueryRowContext(ctx, `SELECT builtin, COALESCE(owner_id, 0) FROM reports WHERE id = ?`, id).Scan(&builtin, &owner)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		r := Report{Builtin: builtin.String, OwnerID: owner}
		if !r.CanShare(actor) {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM report_roles WHERE report_id = ?`, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM report_users WHERE report_id = ?`, id); err != nil {
			return err
		}
		for _, role := range roles {
			if !db.RoleExists(role) || db.RoleCan(role, PermReportsManage) {
				continue // they open every report anyway
			}
			if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO report_roles (report_id, role) VALUES (?, ?)`, id, string(role)); err != nil {
				return err
			}
		}
		for _, uid := range userIDs {
			res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO report_users (report_id, user_id) SELECT ?, id FROM users WHERE id = ?`, id, uid)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				return ErrNotFound // no such user
			}
		}
		now := db.nowStamp()
		_, err = tx.ExecContext(ctx, `UPDATE reports SET updated_at = ?, updated_by = ? WHERE id = ?`, now, actor.ID, id)
		return err
	})
}

// UserCanOpenReport reports whether user id may open the report (for
// choosing the recipients of a schedule).
func (db *DB) UserCanOpenReport(ctx context.Context, userID, reportID int64) (bool, error) {
	u, err := db.UserByID(ctx, userID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !u.Active {
		return false, nil
	}
	_, err = db.GetReport(ctx, db.ActorFor(u), reportID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// --- running -------------------------------------------------------------------

// ReportResult is what a report shows: columns, rows, how to chart them.
// Row values are int64, float64, string or nil, as the column types say.
type ReportResult struct {
	Columns   []ReportColumn
	Rows      [][]any
	Groups    int    // leading columns that label a row
	Chart     string // table, bar, line or pie
	Charted   []int  // the value columns the chart draws
	Truncated bool   // more rows matched than are shown
	Range     DateRange
}

// Totals sums the columns that add up (counts, sums, shares) over the
// rows; nil when a total would say nothing (a single row, no groups).
func (r *ReportResult) Totals() []any {
	if r.Groups == 0 || len(r.Rows) < 2 {
		return nil
	}
	out := make([]any, len(r.Columns))
	has := false
	for i, c := range r.Columns {
		if !c.Sum {
			continue
		}
		has = true
		switch c.Type {
		case TypeFloat, TypePercent:
			var t float64
			for _, row := range r.Rows {
				t += asFloat(row[i])
			}
			out[i] = t
		default:
			var t int64
			for _, row := range r.Rows {
				t += asInt(row[i])
			}
			out[i] = t
		}
	}
	if !has {
		return nil
	}
	return out
}

// RunOptions are what a report runs with.
type RunOptions struct {
	Range   DateRange // the period of a built-in analysis
	OwnerID int64     // the salesperson filter of a built-in analysis
	TeamID  int64     // the team filter of a built-in analysis
	Today   time.Time // in the business's time zone
	MaxRows int       // cap on the rows of a user-defined report (0: DisplayRows)
}

// DisplayRows is how many rows of a user-defined report a page shows.
const DisplayRows = 1000

// ExportRows caps a download.
const ExportRows = 1000000

// RunReport runs r as actor: row rules apply inside every report.
func (db *DB) RunReport(ctx context.Context, actor Actor, r *Report, opt RunOptions) (*ReportResult, error) {
	var res *ReportResult
	err := db.EachReportRow(ctx, actor, r, opt, func(shape *ReportResult) error {
		res = shape
		return nil
	}, func(row []any) error {
		res.Rows = append(res.Rows, row)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if opt.MaxRows == 0 {
		opt.MaxRows = DisplayRows
	}
	if !r.IsBuiltin() && len(res.Rows) > opt.MaxRows {
		res.Rows, res.Truncated = res.Rows[:opt.MaxRows], true
	}
	return res, nil
}

// EachReportRow runs r and streams its rows to row (for exports, whose size
// is not bounded by memory); start gets the result's shape, without rows,
// before the first row, once the report is known to run. A user-defined
// report reads one row more than MaxRows, so RunReport can tell that it
// was cut.
func (db *DB) EachReportRow(ctx context.Context, actor Actor, r *Report, opt RunOptions, start func(shape *ReportResult) error,
	row func(row []any) error) error {
	if opt.Today.IsZero() {
		opt.Today = db.LocalNow()
	}
	if b := findBuiltin(r.Builtin); b != nil {
		res := &ReportResult{Columns: b.columns, Groups: b.groups, Chart: b.chart, Charted: b.charted, Range: opt.Range}
		rows, err := b.run(db, ctx, BuiltinParams{Actor: actor, Range: opt.Range, OwnerID: opt.OwnerID, Team: db.teamMembers(opt.TeamID), Today: opt.Today})
		if err != nil {
			return err
		}
		if err := start(res); err != nil {
			return err
		}
		for _, r := range rows {
			if err := row(r); err != nil {
				return err
			}
		}
		return nil
	}
	if r.IsBuiltin() {
		return ErrNotFound // a built-in this version does not know
	}
	cr, err := CompileReport(r.Definition, CompileOptions{Actor: actor, Today: opt.Today})
	if err != nil {
		return err
	}
	res := &ReportResult{Columns: cr.Columns, Groups: cr.Groups, Chart: cr.Chart}
	for i := cr.Groups; i < len(cr.Columns); i++ {
		if numeric(cr.Columns[i].Type) {
			res.Charted = append(res.Charted, i)
		}
	}
	if res.Chart != "table" && len(res.Charted) == 0 {
		res.Chart = "table"
	}
	limit := opt.MaxRows
	if limit == 0 {
		limit = DisplayRows
	}
	if cr.Limit > 0 && cr.Limit <= limit {
		limit = cr.Limit
	} else {
		limit++ // one more, to know whether rows were left out
	}
	rows, err := db.Read.QueryContext(ctx, cr.SQL+" LIMIT ?", append(slices.Clone(cr.Args), limit)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if err := start(res); err != nil {
		return err
	}
	return EachRow(rows, row)
}

func numeric(typ string) bool {
	return typ == TypeInt || typ == TypeFloat || typ == TypeMoney || typ == TypePercent
}

// PrepareReportSQL compiles def for actor and asks SQLite to prepare the
// statement without running it, which proves the SQL is well formed.
func (db *DB) PrepareReportSQL(ctx context.Context, def ReportDef, opt CompileOptions) error {
	cr, err := CompileReport(def, opt)
	if err != nil {
		return err
	}
	stmt, err := db.Read.PrepareContext(ctx, cr.SQL+" LIMIT ?")
	if err != nil {
		return err
	}
	return stmt.Close()
}

// ReportName is a report's name for people: a built-in's comes from the
// messages (through t), a user-defined one is what its owner typed.
func ReportName(r *Report, t func(key string) string) string {
	if r.IsBuiltin() {
		return t("report.builtin." + r.Builtin)
	}
	return strings.TrimSpace(r.Name)
}

// BuiltinKeys lists the built-in analyses in their order.
func BuiltinKeys() []string {
	out := make([]string, len(builtinReports))
	for i, b := range builtinReports {
		out[i] = b.key
	}
	return out
}
