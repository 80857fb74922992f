package models

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
)

// Article is a knowledge article (服务知识库). Solution is Markdown.
type Article struct {
	ID              int64
	Code            string
	Title           string
	Symptom         string
	Solution        string
	CategoryID      int64 // an issue type
	Keywords        string
	SourceIssueID   int64
	SourceIssueCode string
	Views           int
	Helped          int
	CreatedAt       string
	UpdatedAt       string
	CreatedByName   string
	UpdatedByName   string
}

const articleColumns = `a.id, a.code, a.title, a.symptom, a.solution, COALESCE(a.category_id, 0), a.keywords,
	COALESCE(a.source_issue_id, 0), COALESCE(i.code, ''), a.views, a.helped, a.created_at, a.updated_at,
	COALESCE(cb.display_name, ''), COALESCE(ub.display_name, '')`

const articleFrom = ` FROM articles a LEFT JOIN issues i ON i.id = a.source_issue_id
	LEFT JOIN users cb ON cb.id = a.created_by LEFT JOIN users ub ON ub.id = a.updated_by`

func scanArticle(row interface{ Scan(...any) error }) (*Article, error) {
	var a Article
	err := row.Scan(&a.ID, &a.Code, &a.Title, &a.Symptom, &a.Solution, &a.CategoryID, &a.Keywords, &a.SourceIssueID,
		&a.SourceIssueCode, &a.Views, &a.Helped, &a.CreatedAt, &a.UpdatedAt, &a.CreatedByName, &a.UpdatedByName)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &a, err
}

// GetArticle returns an article. Every role reads the knowledge base.
func (db *DB) GetArticle(ctx context.Context, id int64) (*Article, error) {
	return scanArticle(db.Read.QueryRowContext(ctx, `SELECT `+articleColumns+articleFrom+` WHERE a.id = ?`, id))
}

// ArticlesByIDs returns the listed articles in the order of ids; missing
// ones are skipped.
func (db *DB) ArticlesByIDs(ctx context.Context, ids []int64) ([]Article, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+articleColumns+articleFrom+` WHERE a.id IN (`+placeholders(len(ids))+`)`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byID := map[int64]Article{}
	for rows.Next() {
		a, err := scanArticle(rows)
		if err != nil {
			return nil, err
		}
		byID[a.ID] = *a
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Article, 0, len(ids))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			out = append(out, a)
		}
	}
	return out, nil
}

// ArticleFilter selects the knowledge base list when no search text is given.
type ArticleFilter struct {
	CategoryID int64
	Sort       string // "updated", "helped", "views"
	Page       int
	PerPage    int
}

var articleSorts = map[string]string{"updated": "a.updated_at DESC, a.id DESC", "helped": "a.helped DESC, a.id DESC",
	"views": "a.views DESC, a.id DESC"}

// sql is the list's WHERE clause, order and arguments.
func (f ArticleFilter) sql() (cond, order string, args []any) {
	order, ok := articleSorts[f.Sort]
	if !ok {
		order = articleSorts["updated"]
	}
	var w where
	w.eq("a.category_id", f.CategoryID)
	cond, args = w.sql()
	return cond, order, args
}

// ListArticles returns one page of the knowledge base.
func (db *DB) ListArticles(ctx context.Context, f ArticleFilter) (ArticlePage, error) {
	fixPage(&f.Page, &f.PerPage, 30, 200)
	where, order, args := f.sql()
	page := ArticlePage{Page: f.Page, PerPage: f.PerPage}
	err := fetchPage(ctx, db, &page, `SELECT COUNT(*) FROM articles a WHERE `+where,
		`SELECT `+articleColumns+articleFrom+` WHERE `+where+` ORDER BY `+order+` LIMIT ? OFFSET ?`, args, scanArticle)
	return page, err
}

// EachArticle streams the knowledge base (everyone may read it), for exports.
func (db *DB) EachArticle(ctx context.Context, f ArticleFilter, fn func(a *Article) error) error {
	where, order, args := f.sql()
	return streamRows(ctx, db, `SELECT `+articleColumns+articleFrom+` WHERE `+where+` ORDER BY `+order, args, scanArticle, fn)
}

func articlePairs(old, a *Article) []fieldPair {
	n := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	return []fieldPair{{"title", old.Title, a.Title}, {"symptom", old.Symptom, a.Symptom}, {"solution", old.Solution, a.Solution},
		{"category", n(old.CategoryID), n(a.CategoryID)}, {"keywords", old.Keywords, a.Keywords},
		{"source_issue", n(old.SourceIssueID), n(a.SourceIssueID)}}
}

func (db *DB) insertArticle(ctx context.Context, tx *sql.Tx, actor Actor, a *Article) error {
	code, err := db.NextFreeNumber(ctx, tx, "article", "articles")
	if err != nil {
		return err
	}
	now := db.nowStamp()
	res, err := tx.ExecContext(ctx, `INSERT INTO articles (code, title, symptom, solution, category_id, keywords, source_issue_id,
		created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		code, a.Title, a.Symptom, a.Solution, nullInt(a.CategoryID), a.Keywords, nullInt(a.SourceIssueID),
		now, nullInt(actor.ID), now, nullInt(actor.ID))
	if err != nil {
		return err
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	a.Code = code
	if err := enqueue(ctx, tx, "article", a.ID); err != nil {
		return err
	}
	changes := append([]Change{{Field: "code", New: code}}, diff(articlePairs(&Article{}, a))...)
	return recordAudit(ctx, tx, now, actor.ID, "article", a.ID, "create", changes)
}

func (db *DB) updateArticle(ctx context.Context, tx *sql.Tx, actor Actor, a *Article) error {
	old, err := scanArticle(tx.QueryRowContext(ctx, `SELECT `+articleColumns+articleFrom+` WHERE a.id = ?`, a.ID))
	if err != nil {
		return err
	}
	if a.SourceIssueID == 0 {
		a.SourceIssueID = old.SourceIssueID
	}
	a.Code = old.Code
	now := db.nowStamp()
	if _, err := tx.ExecContext(ctx, `UPDATE articles SET title = ?, symptom = ?, solution = ?, category_id = ?, keywords = ?,
		source_issue_id = ?, updated_at = ?, updated_by = ? WHERE id = ?`, a.Title, a.Symptom, a.Solution, nullInt(a.CategoryID),
		a.Keywords, nullInt(a.SourceIssueID), now, nullInt(actor.ID), a.ID); err != nil {
		return err
	}
	if err := enqueue(ctx, tx, "article", a.ID); err != nil {
		return err
	}
	return recordAudit(ctx, tx, now, actor.ID, "article", a.ID, "update", diff(articlePairs(old, a)))
}

// SaveArticle creates (ID 0) or updates an article.
func (db *DB) SaveArticle(ctx context.Context, actor Actor, a *Article) error {
	if !actor.HandlesService() {
		return ErrNotFound
	}
	if errs, err := db.CheckArticle(ctx, a); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		if a.ID == 0 {
			return db.insertArticle(ctx, tx, actor, a)
		}
		return db.updateArticle(ctx, tx, actor, a)
	})
}

// CountArticleView adds one to an article's view count. Views are not
// indexed, so no queue row.
func (db *DB) CountArticleView(ctx context.Context, id int64) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE articles SET views = views + 1 WHERE id = ?`, id)
	return err
}

// MarkArticleHelped records that the article helped actor; each user counts
// once. It reports whether this was a new vote.
func (db *DB) MarkArticleHelped(ctx context.Context, actor Actor, id int64) (bool, error) {
	added := false
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO article_helped (article_id, user_id, at)
			SELECT id, ?, ? FROM articles WHERE id = ? ON CONFLICT DO NOTHING`, actor.ID, db.nowStamp(), id)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil || n == 0 {
			var one int
			if err := tx.QueryRowContext(ctx, `SELECT 1 FROM articles WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			return err
		}
		added = true
		_, err = tx.ExecContext(ctx, `UPDATE articles SET helped = helped + 1 WHERE id = ?`, id)
		return err
	})
	return added, err
}

// HelpedBy reports whether actor already said the article helped.
func (db *DB) HelpedBy(ctx context.Context, actor Actor, id int64) (bool, error) {
	var one int
	err := db.Read.QueryRowContext(ctx, `SELECT 1 FROM article_helped WHERE article_id = ? AND user_id = ?`, id, actor.ID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// ArticleIssues lists the issues whose handling used an article or that were
// archived into it, as "source" links on the article card.
func (db *DB) ArticleIssues(ctx context.Context, actor Actor, articleID int64, limit int) ([]Issue, error) {
	rule, args := issueRule(actor)
	args = append(append([]any{articleID, articleID}, args...), limit)
	return queryList(ctx, db.Read, `SELECT `+issueColumns+issueFrom+` WHERE (i.article_id = ?
		OR i.id IN (SELECT issue_id FROM issue_handlings WHERE article_id = ?))`+rule+` ORDER BY i.id DESC LIMIT ?`, args, scanIssue)
}
