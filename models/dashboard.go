package models

import (
	"context"
	"time"
)

// The start page of each role (issue 19): what matters today, every number
// a way into the list that explains it.

// IdleDays is how long without an activity record makes a customer "not
// contacted lately" on a salesperson's start page.
const IdleDays = 30

// StageTotal is the open opportunities at one sales stage (0: none set).
type StageTotal struct {
	StageID   int64
	Count     int
	AmountFen int64
}

// Pipeline is the open opportunities actor may see, by stage.
func (db *DB) Pipeline(ctx context.Context, actor Actor) ([]StageTotal, error) {
	w := OpportunityFilter{Status: "open"}.where(actor) // the list's row rule
	cond, args := w.sql()
	return queryList(ctx, db.Read, `SELECT COALESCE(o.stage_id, 0), COUNT(*), COALESCE(SUM(o.amount_fen), 0)
		FROM opportunities o WHERE `+cond+` GROUP BY COALESCE(o.stage_id, 0) ORDER BY 3 DESC`, args,
		func(row rowScanner) (*StageTotal, error) {
			var s StageTotal
			return &s, row.Scan(&s.StageID, &s.Count, &s.AmountFen)
		})
}

// IdleCustomers counts the active customers actor may see whose latest
// activity record is on or before day (or who have none).
//
// Counted directly, that walks every active customer of a salesperson
// (5,000 index entries on the benchmark data, a quarter of the start page).
// It is all customers (a counter, customer_counts) less the inactive ones
// and less the active ones contacted after day: two short index ranges,
// since few customers are inactive and few were contacted in the last
// month. A customer (not a prospect) is active or inactive: "converted" is
// a prospect's status.
func (db *DB) IdleCustomers(ctx context.Context, actor Actor, day string) (int, error) {
	t, err := time.Parse("2006-01-02", day)
	if err != nil {
		return 0, ErrInvalid
	}
	all, err := db.countCustomers(ctx, actor, CustomerFilter{Kind: "customer"})
	if err != nil {
		return 0, err
	}
	inactive, err := db.countCustomers(ctx, actor, CustomerFilter{Kind: "customer", Status: "inactive"})
	if err != nil {
		return 0, err
	}
	recent, err := db.countCustomers(ctx, actor, CustomerFilter{Kind: "customer", Status: "active",
		LastFrom: t.AddDate(0, 0, 1).Format("2006-01-02")})
	if err != nil {
		return 0, err
	}
	return all - inactive - recent, nil
}

// ServiceBoard is the service staff's start page.
type ServiceBoard struct {
	Mine       []DigestIssueCount // my open issues by priority, urgent first
	MineTotal  int
	Unassigned int
	Overdue    int
	Archived   []Article // the latest articles filed from issues
}

// BuildServiceBoard gathers the service start page for actor.
func (db *DB) BuildServiceBoard(ctx context.Context, actor Actor) (*ServiceBoard, error) {
	b := &ServiceBoard{}
	mine, err := db.IssuesByPriority(ctx, actor, IssueFilter{View: "mine"})
	if err != nil {
		return nil, err
	}
	for _, p := range IssuePriorities {
		b.Mine = append(b.Mine, DigestIssueCount{Priority: p, Count: mine[p]})
		b.MineTotal += mine[p]
	}
	// The issue screen's own counts of its lists.
	lists, err := db.IssueCounts(ctx, actor)
	if err != nil {
		return nil, err
	}
	b.Unassigned, b.Overdue = lists["unassigned"], lists["overdue"]
	b.Archived, err = queryList(ctx, db.Read, `SELECT `+articleColumns+articleFrom+`
		WHERE a.source_issue_id IS NOT NULL ORDER BY a.created_at DESC, a.id DESC LIMIT 5`, nil, scanArticle)
	return b, err
}

// WeekStart is the Monday of the week of day.
func WeekStart(day time.Time) time.Time {
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}
