package models

import (
	"context"
	"database/sql"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Comments (评论) on customers, prospects, opportunities, issues and
// articles: plain text (links are made clickable when shown), @mentions of
// colleagues who may see the record, each of whom gets a notification.
// The author may change or delete a comment for CommentEditWindow; the
// earlier texts are kept in comment_versions.

// CommentKinds maps a record kind to its column in comments.
var CommentKinds = map[string]string{
	"customer": "customer_id", "prospect": "customer_id", "opportunity": "opportunity_id",
	"issue": "issue_id", "article": "article_id",
}

// CommentEditWindow is how long the author may change or delete a comment.
const CommentEditWindow = 15 * time.Minute

// MaxComment is the longest comment, in characters.
const MaxComment = 5000

// Comment is one comment of a thread.
type Comment struct {
	ID         int64
	Body       string
	AuthorID   int64
	AuthorName string
	CreatedAt  string
	EditedAt   string
	Deleted    bool
	Editable   bool // by the viewer, now
}

// Comments lists the newest limit comments of a record's thread (all when
// limit is 0), oldest first, and how many there are; Editable is set for
// the viewer's own comments still within the window.
func (db *DB) Comments(ctx context.Context, viewer Actor, kind string, id int64, limit int) ([]Comment, int, error) {
	col, ok := CommentKinds[kind]
	if !ok {
		return nil, 0, ErrNotFound
	}
	var total int
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM comments WHERE `+col+` = ?`, id).Scan(&total); err != nil {
		return nil, 0, err
	}
	if limit <= 0 {
		limit = -1 // SQLite: no limit
	}
	// Newest first, as the index reads them, turned round below: an outer
	// ORDER BY sorted the rows again in a temporary b-tree (a third of the
	// query's time).
	rows, err := db.Read.QueryContext(ctx, `SELECT m.id, CASE WHEN m.deleted_at IS NULL THEN m.body ELSE '' END,
		m.author_id, u.display_name, m.created_at, COALESCE(m.edited_at, ''), m.deleted_at IS NOT NULL
		FROM comments m JOIN users u ON u.id = m.author_id WHERE m.`+col+` = ? ORDER BY m.id DESC LIMIT ?`, id, limit)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []Comment
	now := db.Now()
	for rows.Next() {
		var m Comment
		if err := rows.Scan(&m.ID, &m.Body, &m.AuthorID, &m.AuthorName, &m.CreatedAt, &m.EditedAt, &m.Deleted); err != nil {
			return nil, 0, err
		}
		m.Editable = !m.Deleted && m.AuthorID == viewer.ID && db.withinWindow(m.CreatedAt, now)
		out = append(out, m)
	}
	slices.Reverse(out)
	return out, total, rows.Err()
}

func (db *DB) withinWindow(created string, now time.Time) bool {
	t, err := time.Parse(time.RFC3339, created)
	return err == nil && now.Sub(t) <= CommentEditWindow
}

// mentionRe finds @name: a display name or login without spaces.
var mentionRe = regexp.MustCompile(`@([\p{L}\p{N}_.\-]+)`)

// checkComment is the field rule for a comment's text.
func checkComment(body string) FieldErrors {
	switch {
	case strings.TrimSpace(body) == "":
		return FieldErrors{"body": "comments.err_empty"}
	case TooLong(body, MaxComment):
		return FieldErrors{"body": "comments.err_long"}
	}
	return nil
}

// AddComment saves a comment on a record actor may see and notifies the
// colleagues it mentions who may see the record too; the others are not
// told (the comment would lead them to a record they may not open).
func (db *DB) AddComment(ctx context.Context, actor Actor, kind string, id int64, body, link string) (int64, error) {
	col, ok := CommentKinds[kind]
	if !ok {
		return 0, ErrNotFound
	}
	body = strings.TrimSpace(body)
	if errs := checkComment(body); errs != nil {
		return 0, errs
	}
	if _, err := db.RecordAccess(ctx, actor, kind, id); err != nil {
		return 0, err
	}
	mentioned, err := db.mentionedUsers(ctx, actor, kind, id, body)
	if err != nil {
		return 0, err
	}
	var cid int64
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		res, err := tx.ExecContext(ctx, `INSERT INTO comments (body, `+col+`, author_id, created_at) VALUES (?, ?, ?, ?)`,
			body, id, actor.ID, now)
		if err != nil {
			return err
		}
		if cid, err = res.LastInsertId(); err != nil {
			return err
		}
		for _, u := range mentioned {
			if bell, err := wantsNotice(ctx, tx, u, "mention", "bell"); err != nil {
				return err
			} else if !bell {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO notifications (user_id, kind, message, link, created_at)
				VALUES (?, 'mention', ?, ?, ?)`, u, firstLine(body, 200), link, now); err != nil {
				return err
			}
		}
		// No history entry: the thread is the comments' own record, and
		// 200 "commented" lines would push the changes out of the history.
		return nil
	})
	return cid, err
}

// MentionMailTo are the colleagues that body mentions who may see the
// record and chose to hear of mentions by e-mail (and have an address).
func (db *DB) MentionMailTo(ctx context.Context, actor Actor, kind string, id int64, body string) ([]User, error) {
	ids, err := db.mentionedUsers(ctx, actor, kind, id, strings.TrimSpace(body))
	if err != nil {
		return nil, err
	}
	var out []User
	for _, uid := range ids {
		wants, err := db.WantsNotice(ctx, uid, "mention", "email")
		if err != nil {
			return nil, err
		}
		u, err := db.UserByID(ctx, uid)
		if err != nil {
			return nil, err
		}
		if wants && u.Email != "" {
			out = append(out, *u)
		}
	}
	return out, nil
}

func firstLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// mentionedUsers are the active users named in body (by login or display
// name) who may see the record, without the author.
func (db *DB) mentionedUsers(ctx context.Context, actor Actor, kind string, id int64, body string) ([]int64, error) {
	var out []int64
	seen := map[int64]bool{}
	for _, m := range mentionRe.FindAllStringSubmatch(body, 20) {
		var u Actor
		var role string
		err := db.Read.QueryRowContext(ctx, `SELECT id, role FROM users WHERE active = 1 AND (username = ?1 OR display_name = ?1)
			ORDER BY id LIMIT 1`, m[1]).Scan(&u.ID, &role)
		if err != nil {
			if err == sql.ErrNoRows {
				continue
			}
			return nil, err
		}
		u.Role = Role(role)
		if u.ID == actor.ID || seen[u.ID] {
			continue
		}
		if _, err := db.RecordAccess(ctx, u, kind, id); err != nil {
			if err == ErrNotFound {
				continue // they may not see it: no notification
			}
			return nil, err
		}
		seen[u.ID] = true
		out = append(out, u.ID)
	}
	return out, nil
}

// MentionCandidate is one entry of the @ autocomplete.
type MentionCandidate struct {
	Username    string
	DisplayName string
}

// MentionCandidates are the active colleagues matching prefix who may see
// the record.
func (db *DB) MentionCandidates(ctx context.Context, actor Actor, kind string, id int64, prefix string) ([]MentionCandidate, error) {
	if _, err := db.RecordAccess(ctx, actor, kind, id); err != nil {
		return nil, err
	}
	// Users are few: all active ones are read and matched here, by login
	// name, display name, or the display name's pinyin or initials (@zw →
	// 张伟).
	rows, err := db.Read.QueryContext(ctx, `SELECT id, role, username, display_name FROM users WHERE active = 1
		ORDER BY display_name`)
	if err != nil {
		return nil, err
	}
	type cand struct {
		a Actor
		m MentionCandidate
	}
	var all []cand
	for rows.Next() {
		var c cand
		var role string
		if err := rows.Scan(&c.a.ID, &role, &c.m.Username, &c.m.DisplayName); err != nil {
			rows.Close()
			return nil, err
		}
		if !nameMatches(prefix, c.m.Username, c.m.DisplayName) {
			continue
		}
		// The candidate as the permission table sees them (their role as
		// it is now, their team): may they open the record?
		c.a = db.ActorFor(&User{ID: c.a.ID, Role: Role(role)})
		all = append(all, c)
	}
	rows.Close()
	var out []MentionCandidate
	for _, c := range all {
		if c.a.ID == actor.ID {
			continue
		}
		if _, err := db.RecordAccess(ctx, c.a, kind, id); err == nil {
			out = append(out, c.m)
		}
		if len(out) == 10 {
			break
		}
	}
	return out, nil
}

// ownComment finds a comment actor wrote and may still change.
func (db *DB) ownComment(ctx context.Context, tx *sql.Tx, actor Actor, id int64) (body string, err error) {
	var author int64
	var created string
	var deleted bool
	err = tx.QueryRowContext(ctx, `SELECT body, author_id, created_at, deleted_at IS NOT NULL FROM comments WHERE id = ?`, id).
		Scan(&body, &author, &created, &deleted)
	if err != nil {
		return "", notFound(err)
	}
	if author != actor.ID || deleted {
		return "", ErrNotFound
	}
	if !db.withinWindow(created, db.Now()) {
		return "", ErrConflict
	}
	return body, nil
}

// EditComment changes the text of one's own comment within the window,
// keeping the old text.
func (db *DB) EditComment(ctx context.Context, actor Actor, id int64, body string) error {
	body = strings.TrimSpace(body)
	if errs := checkComment(body); errs != nil {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.ownComment(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `INSERT INTO comment_versions (comment_id, body, replaced_at) VALUES (?, ?, ?)`, id, old, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE comments SET body = ?, edited_at = ? WHERE id = ?`, body, now, id)
		return err
	})
}

// DeleteComment withdraws one's own comment within the window; the text
// stays in its history.
func (db *DB) DeleteComment(ctx context.Context, actor Actor, id int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		old, err := db.ownComment(ctx, tx, actor, id)
		if err != nil {
			return err
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `INSERT INTO comment_versions (comment_id, body, replaced_at) VALUES (?, ?, ?)`, id, old, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE comments SET body = '', deleted_at = ? WHERE id = ?`, now, id)
		return err
	})
}

// CommentRecord is the record a comment is on, for the redirect after an
// edit.
func (db *DB) CommentRecord(ctx context.Context, id int64) (kind string, recordID int64, err error) {
	var cust, opp, issue, article sql.NullInt64
	var ck sql.NullString
	err = db.Read.QueryRowContext(ctx, `SELECT m.customer_id, c.kind, m.opportunity_id, m.issue_id, m.article_id
		FROM comments m LEFT JOIN customers c ON c.id = m.customer_id WHERE m.id = ?`, id).Scan(&cust, &ck, &opp, &issue, &article)
	if err != nil {
		return "", 0, notFound(err)
	}
	switch {
	case cust.Valid:
		return ck.String, cust.Int64, nil
	case opp.Valid:
		return "opportunity", opp.Int64, nil
	case issue.Valid:
		return "issue", issue.Int64, nil
	}
	return "article", article.Int64, nil
}
