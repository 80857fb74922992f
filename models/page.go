package models

import (
	"context"
	"database/sql"
)

// Page is one page of a list, with the total over all pages.
type Page[T any] struct {
	Rows    []T
	Total   int
	Page    int
	PerPage int
}

// Pages is the number of pages (at least 1).
func (p Page[T]) Pages() int {
	if p.PerPage <= 0 {
		return 1
	}
	return max(1, (p.Total+p.PerPage-1)/p.PerPage)
}

// The lists' pages.
type (
	ActivityPage = Page[ActivityRow]
	ArticlePage  = Page[Article]
	TargetPage   = Page[Target]
	ContactPage  = Page[ContactRow]
	CustomerPage = Page[CustomerRow]
	IssuePage    = Page[Issue]
	PlanPage     = Page[Plan]
)

// fixPage makes a list's page number and size usable: pages count from 1,
// and a size outside 1…limit becomes def.
func fixPage(page, perPage *int, def, limit int) {
	if *perPage <= 0 || *perPage > limit {
		*perPage = def
	}
	*page = max(*page, 1)
}

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner = interface{ Scan(...any) error }

// queryList runs a query and returns every row, as scan reads it.
func queryList[T any](ctx context.Context, q querier, query string, args []any,
	scan func(rowScanner) (*T, error)) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

// fetchPage fills page: count is the list's COUNT(*) statement, list its
// SELECT ending in "LIMIT ? OFFSET ?", both over args; scan reads a row.
func fetchPage[T any](ctx context.Context, db *DB, page *Page[T], count, list string, args []any,
	scan func(rowScanner) (*T, error)) error {
	if err := db.Read.QueryRowContext(ctx, count, args...).Scan(&page.Total); err != nil {
		return err
	}
	rows, err := db.Read.QueryContext(ctx, list, append(args, page.PerPage, (page.Page-1)*page.PerPage)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return err
		}
		page.Rows = append(page.Rows, *r)
	}
	return rows.Err()
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}
