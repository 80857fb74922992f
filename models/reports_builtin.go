package models

import (
	"context"
	"database/sql"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The built-in analyses (CRM报表). Each is one hand-written query per
// period that applies the same row rules as the lists: a salesperson's run
// covers their own records only. They read the period's rows from covering
// indexes (0006_reports.sql), which keeps a year over a million activity
// records well under the 300 ms the product promises.

// BuiltinParams are what a built-in analysis runs with.
type BuiltinParams struct {
	Actor   Actor
	Range   DateRange // the period; open ends are unbounded
	OwnerID int64     // only this salesperson's records (0: everyone the actor sees)
	Team    []int64   // only these people's records (a team filter; nil: no filter)
	Today   time.Time // in the business's time zone: what "overdue" is measured against
}

type builtinReport struct {
	key      string
	category string
	columns  []ReportColumn
	groups   int // leading label columns
	chart    string
	charted  []int // the value columns the chart draws
	owner    bool  // offers the salesperson filter
	period   string
	run      func(db *DB, ctx context.Context, p BuiltinParams) ([][]any, error)
}

func col(key, typ string) ReportColumn {
	return ReportColumn{Key: key, Labels: []string{"report.col." + key}, Type: typ}
}

func sumCol(key, typ string) ReportColumn {
	c := col(key, typ)
	c.Sum = true
	return c
}

func auxCol(key, typ string) ReportColumn {
	c := col(key, TypeAux)
	c.Aux = typ
	return c
}

// BuiltinCategories are the categories of the built-in analyses, in order.
var BuiltinCategories = []string{"activities", "customers", "opportunities", "campaigns", "service"}

var builtinReports []*builtinReport

func findBuiltin(key string) *builtinReport {
	for _, b := range builtinReports {
		if b.key == key {
			return b
		}
	}
	return nil
}

func init() {
	// By salesperson also counts the customers reached; by method and by
	// stage do not: a distinct count per group over a year of records is
	// the one thing that would not fit in the time the analyses have.
	activityBy := func(key, group string, label ReportColumn, customers bool) *builtinReport {
		cols := []ReportColumn{label, sumCol("records", TypeInt), sumCol("share", TypePercent)}
		if customers {
			cols = []ReportColumn{label, sumCol("records", TypeInt), col("customers", TypeInt), sumCol("share", TypePercent)}
		}
		return &builtinReport{key: key, category: "activities", owner: true, period: "this_month", chart: "bar",
			columns: cols, groups: 1, charted: []int{1},
			run: func(db *DB, ctx context.Context, p BuiltinParams) ([][]any, error) {
				return db.activitiesBy(ctx, p, group, customers)
			}}
	}
	customersBy := func(key, column, aux string) *builtinReport {
		return &builtinReport{key: key, category: "customers", owner: true, period: "this_year", chart: "pie",
			columns: []ReportColumn{auxCol(aux, aux), sumCol("customer_count", TypeInt), sumCol("new_customers", TypeInt),
				sumCol("contacted", TypeInt), sumCol("share", TypePercent)},
			groups: 1, charted: []int{1},
			run: func(db *DB, ctx context.Context, p BuiltinParams) ([][]any, error) {
				return db.customersBy(ctx, p, column)
			}}
	}
	builtinReports = []*builtinReport{
		activityBy("activities_by_salesperson", "owner", col("salesperson", TypeText), true),
		activityBy("activities_by_method", "method", auxCol("activity_method", "activity_method"), false),
		activityBy("activities_by_stage", "stage", auxCol("sales_stage", "sales_stage"), false),
		{key: "activities_by_customer", category: "activities", owner: true, period: "this_month", chart: "bar",
			columns: []ReportColumn{col("customer", TypeText), col("code", TypeText), sumCol("records", TypeInt),
				col("last_date", TypeDate), sumCol("share", TypePercent)},
			groups: 1, charted: []int{2}, run: (*DB).activitiesByCustomer},
		{key: "activities_by_competitor", category: "activities", owner: true, period: "this_month", chart: "bar",
			columns: []ReportColumn{col("competitor", TypeText), sumCol("mentions", TypeInt), col("customers", TypeInt),
				sumCol("share", TypePercent)},
			groups: 1, charted: []int{1}, run: (*DB).activitiesByCompetitor},
		{key: "plan_completion", category: "activities", owner: true, period: "this_month", chart: "bar",
			columns: []ReportColumn{col("salesperson", TypeText), sumCol("plans", TypeInt), sumCol("done", TypeInt),
				sumCol("cancelled", TypeInt), sumCol("overdue", TypeInt), sumCol("upcoming", TypeInt), col("completion_rate", TypePercent)},
			groups: 1, charted: []int{6}, run: (*DB).planCompletion},
		customersBy("customers_by_industry", "industry_id", "industry"),
		customersBy("customers_by_grade", "grade_id", "grade"),
		customersBy("customers_by_region", "region_id", "region"),
		customersBy("customers_by_source", "source_id", "source"),
		{key: "pipeline_by_stage", category: "opportunities", owner: true, period: "all", chart: "bar",
			columns: []ReportColumn{auxCol("sales_stage", "sales_stage"), sumCol("opportunity_count", TypeInt),
				sumCol("amount", TypeMoney), sumCol("weighted_amount", TypeMoney)},
			groups: 1, charted: []int{2, 3}, run: (*DB).pipelineByStage},
		{key: "campaign_results", category: "campaigns", owner: true, period: "this_year", chart: "bar",
			columns: []ReportColumn{col("campaign", TypeText), col("start_date", TypeDate), sumCol("budget", TypeMoney),
				sumCol("actual_cost", TypeMoney), sumCol("targets", TypeInt), sumCol("notified", TypeInt),
				sumCol("responded", TypeInt), sumCol("attendees", TypeInt), col("response_rate", TypePercent),
				col("attendance_rate", TypePercent), col("cost_per_attendee", TypeMoney)},
			groups: 1, charted: []int{8, 9}, run: (*DB).campaignResults},
		issuesBy("issues_by_type", "type", auxCol("issue_type", "issue_type")),
		issuesBy("issues_by_priority", "priority", ReportColumn{Key: "priority", Labels: []string{"report.col.priority"},
			Type: TypeEnum, EnumKey: "issue.priority."}),
	}
}

func issuesBy(key, group string, label ReportColumn) *builtinReport {
	return &builtinReport{key: key, category: "service", period: "this_month", chart: "bar",
		columns: []ReportColumn{label, sumCol("issues", TypeInt), sumCol("open_issues", TypeInt), sumCol("resolved", TypeInt),
			col("avg_hours", TypeFloat), col("p90_hours", TypeFloat)},
		groups: 1, charted: []int{1},
		run: func(db *DB, ctx context.Context, p BuiltinParams) ([][]any, error) {
			return db.issuesBy(ctx, p, group)
		}}
}

// between adds the conditions of range r on a day column.
func between(conds []string, args []any, column string, r DateRange) ([]string, []any) {
	if r.From != "" {
		conds, args = append(conds, column+" >= ?"), append(args, r.From)
	}
	if r.To != "" {
		conds, args = append(conds, column+" <= ?"), append(args, r.To)
	}
	return conds, args
}

// salesScope is the row rule of activities, plans and opportunities for a
// built-in analysis, plus its salesperson filter.
func salesScope(p BuiltinParams, column string) ([]string, []any) {
	if !p.Actor.Can(PermActivitiesSee) {
		return []string{"0"}, nil
	}
	return p.scoped(ModActivities, column), nil
}

// scoped is a built-in analysis's row rule on the owner column of module
// m, with its person and team filters: ids from the database, inlined like
// the row rules' (Actor.ownerRule).
func (p BuiltinParams) scoped(m Module, column string) []string {
	conds := []string{"1"}
	if rule := p.Actor.ownerRule(m, column); rule != "" {
		conds = append(conds, rule)
	}
	// A filter for someone outside one's scope is ignored (the row rule
	// already says no).
	if p.OwnerID != 0 && p.Actor.Sees(m, p.OwnerID) {
		conds = append(conds, column+" = "+strconv.FormatInt(p.OwnerID, 10))
	}
	if p.Team != nil {
		conds = append(conds, inIDs(column, p.Team))
	}
	return conds
}

// queryRows runs q and returns its rows as int64, float64, string or nil
// values.
func (db *DB) queryRows(ctx context.Context, q string, args ...any) ([][]any, error) {
	var out [][]any
	err := db.eachRow(ctx, q, args, func(row []any) error {
		out = append(out, row)
		return nil
	})
	return out, err
}

// eachRow streams the rows of q to fn, each a fresh slice.
func (db *DB) eachRow(ctx context.Context, q string, args []any, fn func(row []any) error) error {
	rows, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	return EachRow(rows, fn)
}

// EachRow passes each row of rows to fn as a fresh slice of int64,
// float64, string or nil, whatever the query's columns: for reports, the
// recycle bin's snapshots and the tests' table dumps.
func EachRow(rows *sql.Rows, fn func(row []any) error) error {
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		for i, v := range vals {
			if b, ok := v.([]byte); ok {
				vals[i] = string(b)
			}
		}
		if err := fn(vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

// withShare appends to each row its share (percent) of the total of column
// i, and returns the rows.
func withShare(rows [][]any, i int) [][]any {
	var total int64
	for _, r := range rows {
		total += asInt(r[i])
	}
	for j, r := range rows {
		share := 0.0
		if total > 0 {
			share = float64(asInt(r[i])) * 100 / float64(total)
		}
		rows[j] = append(r, share)
	}
	return rows
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}

func asFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

func (db *DB) activitiesBy(ctx context.Context, p BuiltinParams, group string, customers bool) ([][]any, error) {
	conds, args := salesScope(p, "owner_id")
	conds, args = between(conds, args, "date", p.Range)
	column := map[string]string{"owner": "owner_id", "method": "method_id", "stage": "stage_id"}[group]
	distinct := ""
	if customers {
		distinct = ", COUNT(DISTINCT customer_id) AS c"
	}
	inner := `SELECT ` + column + ` AS k, COUNT(*) AS n` + distinct + ` FROM activities
		WHERE ` + strings.Join(conds, " AND ") + ` GROUP BY ` + column
	var q string
	if group == "owner" {
		q = `SELECT u.display_name, g.n, g.c FROM (` + inner + `) g JOIN users u ON u.id = g.k ORDER BY g.n DESC, u.display_name`
	} else {
		q = `SELECT COALESCE(g.k, 0), g.n FROM (` + inner + `) g ORDER BY g.n DESC, g.k`
	}
	rows, err := db.queryRows(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return withShare(rows, 1), nil
}

// byCustomerLimit is how many customers the analysis lists: the most
// visited ones.
const byCustomerLimit = 100

func (db *DB) activitiesByCustomer(ctx context.Context, p BuiltinParams) ([][]any, error) {
	scope, scopeArgs := salesScope(p, "owner_id")
	conds, args := between(slices.Clone(scope), slices.Clone(scopeArgs), "date", p.Range)
	var total int64
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM activities WHERE `+strings.Join(conds, " AND "), args...).Scan(&total); err != nil {
		return nil, err
	}
	if scope[0] == "1" {
		// Everyone's records: walking the (customer_id, date) index in
		// customer order groups them without sorting a year of records;
		// the unary plus keeps SQLite from choosing the date index instead.
		conds, args = between(slices.Clone(scope), slices.Clone(scopeArgs), "+date", p.Range)
	}
	where := strings.Join(conds, " AND ")
	args = append(args, byCustomerLimit)
	rows, err := db.queryRows(ctx, `SELECT c.name, c.code, g.n, g.last FROM (
			SELECT customer_id, COUNT(*) AS n, MAX(date) AS last FROM activities
			WHERE `+where+` GROUP BY customer_id ORDER BY n DESC, customer_id LIMIT ?) g
		JOIN customers c ON c.id = g.customer_id ORDER BY g.n DESC, c.name`, args...)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		share := 0.0
		if total > 0 {
			share = float64(asInt(r[2])) * 100 / float64(total)
		}
		rows[i] = append(r, share)
	}
	return rows, nil
}

func (db *DB) activitiesByCompetitor(ctx context.Context, p BuiltinParams) ([][]any, error) {
	conds, args := salesScope(p, "a.owner_id")
	conds, args = between(conds, args, "a.date", p.Range)
	rows, err := db.queryRows(ctx, `SELECT x.name, g.n, g.c FROM (
			SELECT m.competitor_id AS k, COUNT(*) AS n, COUNT(DISTINCT a.customer_id) AS c
			FROM activities a JOIN activity_competitors m ON m.activity_id = a.id
			WHERE `+strings.Join(conds, " AND ")+` GROUP BY m.competitor_id) g
		JOIN competitors x ON x.id = g.k ORDER BY g.n DESC, x.name`, args...)
	if err != nil {
		return nil, err
	}
	return withShare(rows, 1), nil
}

func (db *DB) planCompletion(ctx context.Context, p BuiltinParams) ([][]any, error) {
	conds, args := salesScope(p, "owner_id")
	conds, args = between(conds, args, "date", p.Range)
	today := p.Today.Format("2006-01-02")
	rows, err := db.queryRows(ctx, `SELECT u.display_name, g.n, g.done, g.cancelled, g.overdue, g.n - g.done - g.cancelled - g.overdue
		FROM (SELECT owner_id, COUNT(*) AS n, SUM(status = 'done') AS done, SUM(status = 'cancelled') AS cancelled,
				SUM(status = 'planned' AND date < ?) AS overdue
			FROM plans WHERE `+strings.Join(conds, " AND ")+` GROUP BY owner_id) g
		JOIN users u ON u.id = g.owner_id ORDER BY u.display_name`, append([]any{today}, args...)...)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		rows[i] = append(r, CompletionRate(asInt(r[2]), asInt(r[1]), asInt(r[3])))
	}
	return rows, nil
}

// CompletionRate is done plans over the plans that were not cancelled, in
// percent.
func CompletionRate(done, all, cancelled int64) float64 {
	if all-cancelled <= 0 {
		return 0
	}
	return float64(done) * 100 / float64(all-cancelled)
}

func (db *DB) customersBy(ctx context.Context, p BuiltinParams, column string) ([][]any, error) {
	conds := append(p.scoped(ModCustomers, "owner_id"), "kind = 'customer'")
	var args []any
	// New: created in the period; contacted: the latest activity falls in it.
	newCond, contactCond := "1", "last_activity_date IS NOT NULL"
	var sel []any
	if p.Range.From != "" {
		newCond += " AND created_at >= ?"
		contactCond += " AND last_activity_date >= ?"
	}
	if p.Range.To != "" {
		newCond += " AND created_at < ?"
		contactCond += " AND last_activity_date <= ?"
	}
	loc := p.Today.Location()
	if p.Range.From != "" {
		sel = append(sel, dayStart(p.Range.From, loc))
	}
	if p.Range.To != "" {
		sel = append(sel, nextDayStart(p.Range.To, loc))
	}
	if p.Range.From != "" {
		sel = append(sel, p.Range.From)
	}
	if p.Range.To != "" {
		sel = append(sel, p.Range.To)
	}
	rows, err := db.queryRows(ctx, `SELECT COALESCE(`+column+`, 0), COUNT(*), SUM(`+newCond+`), SUM(`+contactCond+`)
		FROM customers WHERE `+strings.Join(conds, " AND ")+` GROUP BY `+column+` ORDER BY 2 DESC, 1`, append(sel, args...)...)
	if err != nil {
		return nil, err
	}
	return withShare(rows, 1), nil
}

func (db *DB) pipelineByStage(ctx context.Context, p BuiltinParams) ([][]any, error) {
	conds, args := salesScope(p, "o.owner_id")
	conds = append(conds, "o.status = 'open'")
	conds, args = between(conds, args, "o.expected_close", p.Range)
	return db.queryRows(ctx, `SELECT COALESCE(o.stage_id, 0), COUNT(*), SUM(o.amount_fen), SUM(o.amount_fen * o.probability / 100)
		FROM opportunities o LEFT JOIN aux_items s ON s.id = o.stage_id
		WHERE `+strings.Join(conds, " AND ")+` GROUP BY o.stage_id ORDER BY MIN(COALESCE(s.sort_order, -1)), o.stage_id`, args...)
}

// campaignResultsLimit bounds the campaigns of one period.
const campaignResultsLimit = 500

func (db *DB) campaignResults(ctx context.Context, p BuiltinParams) ([][]any, error) {
	scope, args := campaignScope(p.Actor)
	conds := append(p.scoped(ModCampaigns, "m.owner_id"), scope)
	conds, args = between(conds, args, "m.start_date", p.Range)
	args = append(args, campaignResultsLimit)
	rows, err := db.queryRows(ctx, `SELECT m.name, m.start_date, m.budget, m.actual_cost, COUNT(t.id), COALESCE(SUM(t.notified), 0),
			COALESCE(SUM(t.attended = 1 OR t.feedback <> ''), 0),
			COALESCE(SUM(CASE WHEN t.attended THEN MAX(t.head_count, 1) ELSE 0 END), 0), COALESCE(SUM(t.attended), 0)
		FROM campaigns m LEFT JOIN campaign_targets t ON t.campaign_id = m.id
		WHERE `+strings.Join(conds, " AND ")+` GROUP BY m.id ORDER BY m.start_date DESC, m.id DESC LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	for i, r := range rows {
		// The same figures as the campaign card (Campaign.ResponseRate and
		// friends): rates over notified targets, cost over the head count.
		m := Campaign{ActualCost: asInt(r[3]), NotifiedSum: int(asInt(r[5])), RespondedRows: int(asInt(r[6])),
			AttendedSum: int(asInt(r[7])), AttendedRows: int(asInt(r[8]))}
		rows[i] = append(r[:8], m.ResponseRate(), m.AttendanceRate(), m.CostPerAttendee())
	}
	return rows, nil
}

// issuesBy counts a period's issues (by the time they were reported) per
// type or priority, with the hours from report to resolution: their mean
// and their 90th percentile (nearest rank), which SQL has no function for.
func (db *DB) issuesBy(ctx context.Context, p BuiltinParams, group string) ([][]any, error) {
	conds := []string{"1"}
	var args []any
	from := "issues i"
	if owner := p.scoped(ModService, "c.owner_id"); len(owner) > 1 {
		from = "issues i JOIN customers c ON c.id = i.customer_id"
		conds = append(conds, owner...)
	}
	loc := p.Today.Location()
	if p.Range.From != "" {
		conds, args = append(conds, "i.reported_at >= ?"), append(args, dayStart(p.Range.From, loc))
	}
	if p.Range.To != "" {
		conds, args = append(conds, "i.reported_at < ?"), append(args, nextDayStart(p.Range.To, loc))
	}
	key := "COALESCE(i.type_id, 0)"
	if group == "priority" {
		key = "i.priority"
	}
	type acc struct {
		key               any
		n, open, resolved int64
		hours             []float64
	}
	var order []*acc
	by := map[any]*acc{}
	err := db.eachRow(ctx, `SELECT `+key+`, i.status IN ('new', 'handling'),
			CASE WHEN i.resolved_at IS NOT NULL THEN (julianday(i.resolved_at) - julianday(i.reported_at)) * 24 END
		FROM `+from+` WHERE `+strings.Join(conds, " AND "), args, func(row []any) error {
		a := by[row[0]]
		if a == nil {
			a = &acc{key: row[0]}
			by[row[0]] = a
			order = append(order, a)
		}
		a.n++
		a.open += asInt(row[1])
		if h, ok := row[2].(float64); ok {
			a.resolved++
			a.hours = append(a.hours, h)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if group == "priority" {
		rank := map[any]int{}
		for i, p := range IssuePriorities {
			rank[p] = i
		}
		slices.SortStableFunc(order, func(a, b *acc) int { return rank[a.key] - rank[b.key] })
	} else {
		slices.SortStableFunc(order, func(a, b *acc) int { return int(b.n - a.n) })
	}
	out := make([][]any, 0, len(order))
	for _, a := range order {
		row := []any{a.key, a.n, a.open, a.resolved, nil, nil}
		if len(a.hours) > 0 {
			sum := 0.0
			for _, h := range a.hours {
				sum += h
			}
			row[4], row[5] = sum/float64(len(a.hours)), Percentile(a.hours, 90)
		}
		out = append(out, row)
	}
	return out, nil
}

// Percentile is the p-th percentile of xs by the nearest-rank method: the
// smallest value that at least p percent of the values do not exceed. It
// sorts xs.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	slices.Sort(xs)
	rank := int(math.Ceil(p / 100 * float64(len(xs))))
	return xs[max(rank, 1)-1]
}
