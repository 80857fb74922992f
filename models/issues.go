package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Issue statuses: new → handling → resolved → archived, or closed.
var (
	IssueStatuses   = []string{"new", "handling", "resolved", "archived", "closed"}
	IssuePriorities = []string{"urgent", "high", "normal", "low"}
	IssueChannels   = []string{"phone", "email", "wechat", "visit", "web", "other"}
)

// priorityResponse is how long an issue of each priority may stay open
// before it counts as overdue.
var priorityResponse = map[string]time.Duration{
	"urgent": 4 * time.Hour,
	"high":   24 * time.Hour,
	"normal": 3 * 24 * time.Hour,
	"low":    7 * 24 * time.Hour,
}

// ValidIssuePriority, ValidIssueChannel and ValidIssueStatus check form values.
func ValidIssuePriority(p string) bool { _, ok := priorityResponse[p]; return ok }
func ValidIssueChannel(c string) bool  { return c == "" || containsStr(IssueChannels, c) }
func ValidIssueStatus(s string) bool   { return containsStr(IssueStatuses, s) }

func containsStr(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// Issue is a customer issue (客户问题).
type Issue struct {
	ID            int64
	Code          string
	CustomerID    int64
	CustomerCode  string
	CustomerName  string
	CustomerOwner int64
	ContactID     int64
	ContactName   string
	ReportedAt    string // RFC 3339, UTC
	Channel       string
	TypeID        int64
	Priority      string
	Subject       string
	Description   string
	AssigneeID    int64
	AssigneeName  string
	Status        string
	DueAt         string
	ResolvedAt    string
	ArticleID     int64
	ArticleCode   string
	CreatedAt     string
	UpdatedAt     string
	CreatedByName string
	UpdatedByName string
}

// Open reports whether the issue still needs work.
func (i *Issue) Open() bool { return i.Status == "new" || i.Status == "handling" }

// Overdue reports whether an open issue is past its response time at now.
func (i *Issue) Overdue(now time.Time) bool { return i.Open() && i.DueAt < stamp(now) }

// dueAt is reported plus the response time of the priority.
func dueAt(reported, priority string) string {
	t, err := time.Parse(time.RFC3339, reported)
	if err != nil {
		return reported
	}
	return stamp(t.Add(priorityResponse[priority]))
}

const issueColumns = `i.id, i.code, i.customer_id, c.code, c.name, c.owner_id, COALESCE(i.contact_id, 0), COALESCE(k.name, ''),
	i.reported_at, i.channel, COALESCE(i.type_id, 0), i.priority, i.subject, i.description, COALESCE(i.assignee_id, 0),
	COALESCE(u.display_name, ''), i.status, i.due_at, COALESCE(i.resolved_at, ''), COALESCE(i.article_id, 0),
	COALESCE(a.code, ''), i.created_at, i.updated_at, COALESCE(cb.display_name, ''), COALESCE(ub.display_name, '')`

const issueFrom = ` FROM issues i JOIN customers c ON c.id = i.customer_id
	LEFT JOIN contacts k ON k.id = i.contact_id LEFT JOIN users u ON u.id = i.assignee_id
	LEFT JOIN articles a ON a.id = i.article_id
	LEFT JOIN users cb ON cb.id = i.created_by LEFT JOIN users ub ON ub.id = i.updated_by`

func scanIssue(row interface{ Scan(...any) error }) (*Issue, error) {
	var i Issue
	err := row.Scan(&i.ID, &i.Code, &i.CustomerID, &i.CustomerCode, &i.CustomerName, &i.CustomerOwner, &i.ContactID, &i.ContactName,
		&i.ReportedAt, &i.Channel, &i.TypeID, &i.Priority, &i.Subject, &i.Description, &i.AssigneeID, &i.AssigneeName,
		&i.Status, &i.DueAt, &i.ResolvedAt, &i.ArticleID, &i.ArticleCode, &i.CreatedAt, &i.UpdatedAt, &i.CreatedByName, &i.UpdatedByName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &i, err
}

// issueRule is the row rule for issues: those of the customers in the
// actor's service scope (a salesperson: their own customers').
func issueRule(actor Actor) (string, []any) {
	return actor.ownerAnd(ModService, "c.owner_id"), nil
}

func (db *DB) getIssue(ctx context.Context, q querier, actor Actor, id int64) (*Issue, error) {
	rule, args := issueRule(actor)
	return scanIssue(q.QueryRowContext(ctx, `SELECT `+issueColumns+issueFrom+` WHERE i.id = ?`+rule, append([]any{id}, args...)...))
}

// GetIssue returns an issue actor may see; ErrNotFound otherwise.
func (db *DB) GetIssue(ctx context.Context, actor Actor, id int64) (*Issue, error) {
	return db.getIssue(ctx, db.Read, actor, id)
}

// IssueFilter selects an issue list.
type IssueFilter struct {
	View       string // "open", "mine", "unassigned", "overdue", "all"
	CustomerID int64
	Status     string
	Priority   string
	TypeID     int64
	Page       int
	PerPage    int
}

// IssueViews are the lists the issue screen offers.
var IssueViews = []string{"mine", "unassigned", "overdue", "open", "all"}

// priorityRank orders urgent first.
const priorityRank = `CASE i.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END`

// issueWhere builds the WHERE clause and order of an issue list, with the
// actor's row rule.
func (db *DB) issueWhere(actor Actor, f IssueFilter) (string, string, []any) {
	rule, args := issueRule(actor)
	conds := []string{"1 = 1" + rule}
	order := "i.id DESC"
	open := "i.status IN ('new', 'handling')"
	switch f.View {
	case "mine":
		conds = append(conds, open, "i.assignee_id = ?")
		args = append(args, actor.ID)
		order = priorityRank + ", i.due_at, i.id"
	case "unassigned":
		conds = append(conds, open, "i.assignee_id IS NULL")
		order = priorityRank + ", i.due_at, i.id"
	case "overdue":
		conds = append(conds, open, "i.due_at < ?")
		args = append(args, db.nowStamp())
		order = priorityRank + ", i.due_at, i.id"
	case "open":
		conds = append(conds, open)
		order = priorityRank + ", i.due_at, i.id"
	}
	w := where{conds: conds, args: args}
	w.eq("i.customer_id", f.CustomerID)
	w.eq("i.status", f.Status)
	w.eq("i.priority", f.Priority)
	w.eq("i.type_id", f.TypeID)
	cond, args := w.sql()
	return cond, order, args
}

// EachIssue streams every issue of a list (no paging), for exports.
func (db *DB) EachIssue(ctx context.Context, actor Actor, f IssueFilter, fn func(i *Issue) error) error {
	where, order, args := db.issueWhere(actor, f)
	return streamRows(ctx, db, `SELECT `+issueColumns+issueFrom+` WHERE `+where+` ORDER BY `+order, args, scanIssue, fn)
}

// IssuesByPriority is how many issues of a list there are per priority,
// for the start page's numbers (one grouped count).
func (db *DB) IssuesByPriority(ctx context.Context, actor Actor, f IssueFilter) (map[string]int, error) {
	where, _, args := db.issueWhere(actor, f)
	out := map[string]int{}
	err := streamRows(ctx, db, `SELECT i.priority, COUNT(*) FROM issues i JOIN customers c ON c.id = i.customer_id
		WHERE `+where+` GROUP BY i.priority`, args, func(row interface{ Scan(...any) error }) (DigestIssueCount, error) {
		var n DigestIssueCount
		return n, row.Scan(&n.Priority, &n.Count)
	}, func(n DigestIssueCount) error {
		out[n.Priority] = n.Count
		return nil
	})
	return out, err
}

// ListIssues returns one page of a list.
func (db *DB) ListIssues(ctx context.Context, actor Actor, f IssueFilter) (IssuePage, error) {
	fixPage(&f.Page, &f.PerPage, 50, 200)
	where, order, args := db.issueWhere(actor, f)
	page := IssuePage{Page: f.Page, PerPage: f.PerPage}
	err := fetchPage(ctx, db, &page, `SELECT COUNT(*) FROM issues i JOIN customers c ON c.id = i.customer_id WHERE `+where,
		`SELECT `+issueColumns+issueFrom+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args, scanIssue)
	return page, err
}

// IssuesAfter is a list for the API: the same filters and row rule, in
// id order, up to limit issues after the id afterID (keyset pages).
func (db *DB) IssuesAfter(ctx context.Context, actor Actor, f IssueFilter, afterID int64, limit int) ([]Issue, error) {
	where, _, args := db.issueWhere(actor, f)
	args = append(args, afterID, limit)
	return queryList(ctx, db.Read, `SELECT `+issueColumns+issueFrom+` WHERE `+where+` AND i.id > ? ORDER BY i.id LIMIT ?`, args, scanIssue)
}

// IssueCounts counts the issues behind each list of the issue screen.
func (db *DB) IssueCounts(ctx context.Context, actor Actor) (map[string]int, error) {
	rule, args := issueRule(actor)
	var mine, unassigned, overdue, open int
	err := db.Read.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(i.assignee_id = ?), 0), COALESCE(SUM(i.assignee_id IS NULL), 0), COALESCE(SUM(i.due_at < ?), 0), COUNT(*)
		FROM issues i JOIN customers c ON c.id = i.customer_id WHERE i.status IN ('new', 'handling')`+rule,
		append([]any{actor.ID, db.nowStamp()}, args...)...).Scan(&mine, &unassigned, &overdue, &open)
	return map[string]int{"mine": mine, "unassigned": unassigned, "overdue": overdue, "open": open}, err
}

// checkIssueRefs verifies inside tx that the customer is a customer actor
// may see and the contact belongs to it.
func checkIssueRefs(ctx context.Context, tx *sql.Tx, actor Actor, i *Issue) error {
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT owner_id FROM customers WHERE id = ? AND kind = 'customer'`, i.CustomerID).Scan(&owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.Sees(ModCustomers, owner)) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	return checkContact(ctx, tx, i.CustomerID, i.ContactID)
}

func issuePairs(old, i *Issue) []fieldPair {
	n := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	return []fieldPair{
		{"customer", n(old.CustomerID), n(i.CustomerID)}, {"contact", n(old.ContactID), n(i.ContactID)},
		{"reported_at", old.ReportedAt, i.ReportedAt}, {"channel", old.Channel, i.Channel},
		{"issue_type", n(old.TypeID), n(i.TypeID)}, {"priority", old.Priority, i.Priority},
		{"subject", old.Subject, i.Subject}, {"description", old.Description, i.Description},
		{"assignee", n(old.AssigneeID), n(i.AssigneeID)}, {"status", old.Status, i.Status},
	}
}

// CreateIssue registers an issue, numbering it in the same transaction.
func (db *DB) CreateIssue(ctx context.Context, actor Actor, i *Issue) error {
	if !actor.Can(PermServiceCreate) {
		return ErrNotFound
	}
	if errs, err := db.CheckIssue(ctx, actor, i, false); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if err := checkIssueRefs(ctx, tx, actor, i); err != nil {
			return err
		}
		code, err := db.NextFreeNumber(ctx, tx, "issue", "issues")
		if err != nil {
			return err
		}
		now := db.nowStamp()
		if i.ReportedAt == "" {
			i.ReportedAt = now
		}
		if i.Status == "" {
			i.Status = "new"
		}
		i.DueAt = dueAt(i.ReportedAt, i.Priority)
		res, err := tx.ExecContext(ctx, `INSERT INTO issues (code, customer_id, contact_id, reported_at, channel, type_id, priority,
			subject, description, assignee_id, status, due_at, created_at, created_by, updated_at, updated_by)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			code, i.CustomerID, nullInt(i.ContactID), i.ReportedAt, i.Channel, nullInt(i.TypeID), i.Priority, i.Subject,
			i.Description, nullInt(i.AssigneeID), i.Status, i.DueAt, now, nullInt(actor.ID), now, nullInt(actor.ID))
		if err != nil {
			return err
		}
		if i.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		i.Code = code
		if err := enqueue(ctx, tx, "issue", i.ID); err != nil {
			return err
		}
		changes := append([]Change{{Field: "code", New: code}}, diff(issuePairs(&Issue{}, i))...)
		return recordAudit(ctx, tx, now, actor.ID, "issue", i.ID, "create", changes)
	})
}

// UpdateIssue saves the editable fields of an issue. An archived issue
// keeps its status; archiving happens only through ArchiveIssue.
func (db *DB) UpdateIssue(ctx context.Context, actor Actor, i *Issue) error {
	if !actor.HandlesService() {
		return ErrNotFound
	}
	if errs, err := db.CheckIssue(ctx, actor, i, true); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.getIssue(ctx, tx, actor, i.ID)
		if err != nil {
			return err
		}
		i.CustomerID = old.CustomerID
		if err := checkIssueRefs(ctx, tx, actor, i); err != nil {
			return err
		}
		if old.Status == "archived" || i.Status == "archived" {
			i.Status = old.Status
		}
		i.DueAt = dueAt(i.ReportedAt, i.Priority)
		resolved := old.ResolvedAt
		now := db.nowStamp()
		if i.Status == "resolved" && old.Status != "resolved" {
			resolved = now
		}
		_, err = tx.ExecContext(ctx, `UPDATE issues SET contact_id = ?, reported_at = ?, channel = ?, type_id = ?, priority = ?,
			subject = ?, description = ?, assignee_id = ?, status = ?, due_at = ?, resolved_at = ?, updated_at = ?, updated_by = ?
			WHERE id = ?`, nullInt(i.ContactID), i.ReportedAt, i.Channel, nullInt(i.TypeID), i.Priority, i.Subject, i.Description,
			nullInt(i.AssigneeID), i.Status, i.DueAt, nullStr(resolved), now, nullInt(actor.ID), i.ID)
		if err != nil {
			return err
		}
		if err := enqueue(ctx, tx, "issue", i.ID); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "issue", i.ID, "update", diff(issuePairs(old, i)))
	})
}

// CustomerOpenIssues lists a customer's open issues, most urgent first, for
// its card.
func (db *DB) CustomerOpenIssues(ctx context.Context, actor Actor, customerID int64, limit int) ([]Issue, error) {
	rule, args := issueRule(actor)
	return queryList(ctx, db.Read, `SELECT `+issueColumns+issueFrom+` WHERE i.customer_id = ? AND i.status IN ('new', 'handling')`+rule+`
		ORDER BY `+priorityRank+`, i.due_at, i.id LIMIT ?`, append(append([]any{customerID}, args...), limit), scanIssue)
}

// Handling is one handling record (处理) of an issue.
type Handling struct {
	ID          int64
	IssueID     int64
	HandledOn   string // YYYY-MM-DD
	HandlerID   int64
	HandlerName string
	MethodID    int64
	Content     string
	Result      string
	ArticleID   int64 // the knowledge article it was fetched from, if any
	ArticleCode string
	CreatedAt   string
}

// Handlings lists an issue's handling records, oldest first.
func (db *DB) Handlings(ctx context.Context, issueID int64) ([]Handling, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT h.id, h.issue_id, h.handled_on, h.handler_id, u.display_name, COALESCE(h.method_id, 0),
		h.content, h.result, COALESCE(h.article_id, 0), COALESCE(a.code, ''), h.created_at
		FROM issue_handlings h JOIN users u ON u.id = h.handler_id LEFT JOIN articles a ON a.id = h.article_id
		WHERE h.issue_id = ? ORDER BY h.handled_on, h.id`, issueID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Handling
	for rows.Next() {
		var h Handling
		if err := rows.Scan(&h.ID, &h.IssueID, &h.HandledOn, &h.HandlerID, &h.HandlerName, &h.MethodID, &h.Content, &h.Result,
			&h.ArticleID, &h.ArticleCode, &h.CreatedAt); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// AddHandling records a handling of an issue and moves the issue on: a new
// issue becomes "handling"; newStatus (resolved or closed, or "" to keep)
// may end it. The handler is the actor.
func (db *DB) AddHandling(ctx context.Context, actor Actor, h *Handling, newStatus string) error {
	if !actor.HandlesService() {
		return ErrNotFound
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.getIssue(ctx, tx, actor, h.IssueID)
		if err != nil {
			return err
		}
		if old.Status == "archived" {
			return ErrConflict
		}
		if errs, err := db.CheckHandling(ctx, old, h, newStatus); err != nil {
			return err
		} else if errs.Any() {
			return errs
		}
		if h.ArticleID != 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM articles WHERE id = ?`, h.ArticleID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				h.ArticleID = 0
			} else if err != nil {
				return err
			}
		}
		now := db.nowStamp()
		h.HandlerID = actor.ID
		res, err := tx.ExecContext(ctx, `INSERT INTO issue_handlings (issue_id, handled_on, handler_id, method_id, content, result,
			article_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			h.IssueID, h.HandledOn, actor.ID, nullInt(h.MethodID), h.Content, h.Result, nullInt(h.ArticleID), now, nullInt(actor.ID))
		if err != nil {
			return err
		}
		if h.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		status := old.Status
		switch {
		case newStatus == "resolved" || newStatus == "closed" || newStatus == "handling":
			status = newStatus
		case status == "new":
			status = "handling"
		}
		resolved := old.ResolvedAt
		if status == "resolved" && old.Status != "resolved" {
			resolved = now
		}
		assignee := old.AssigneeID
		if assignee == 0 {
			assignee = actor.ID // whoever handles an unassigned issue takes it
		}
		if _, err := tx.ExecContext(ctx, `UPDATE issues SET status = ?, resolved_at = ?, assignee_id = ?, updated_at = ?, updated_by = ?
			WHERE id = ?`, status, nullStr(resolved), assignee, now, nullInt(actor.ID), h.IssueID); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, "issue", h.IssueID); err != nil {
			return err
		}
		changes := diff([]fieldPair{{"status", old.Status, status},
			{"assignee", strconv.FormatInt(old.AssigneeID, 10), strconv.FormatInt(assignee, 10)}})
		return recordAudit(ctx, tx, now, actor.ID, "issue", h.IssueID, "handle", append([]Change{{Field: "handling", New: excerpt(h.Content, 200)}}, changes...))
	})
}

// excerpt shortens s to n characters, marking the cut with "…".
func excerpt(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ArchiveIssue files a resolved issue into the knowledge base (归档): it
// saves art as a new article, or, when art.ID is set, updates that existing
// article instead; the article links back to the issue and the issue becomes
// archived. All in one transaction.
func (db *DB) ArchiveIssue(ctx context.Context, actor Actor, issueID int64, art *Article) error {
	if !actor.HandlesService() {
		return ErrNotFound
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		iss, err := db.getIssue(ctx, tx, actor, issueID)
		if err != nil {
			return err
		}
		if iss.Status != "resolved" {
			return ErrConflict
		}
		art.SourceIssueID = issueID
		if art.ID == 0 {
			if err := db.insertArticle(ctx, tx, actor, art); err != nil {
				return err
			}
		} else if err := db.updateArticle(ctx, tx, actor, art); err != nil {
			return err
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE issues SET status = 'archived', article_id = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
			art.ID, now, nullInt(actor.ID), issueID); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, "issue", issueID); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "issue", issueID, "archive", []Change{{Field: "status", Old: iss.Status, New: "archived"},
			{Field: "article", New: art.Code}})
	})
}

// IssueCustomer returns the customer an issue may be registered for: a
// customer (not a prospect) that actor may see.
func (db *DB) IssueCustomer(ctx context.Context, actor Actor, id int64) (*Customer, error) {
	c, err := db.getCustomer(ctx, db.Read, actor, "customer", id)
	if err != nil {
		return nil, fmt.Errorf("issue customer %d: %w", id, err)
	}
	return c, nil
}
