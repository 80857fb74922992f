package models

import "context"

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

// rowScanner is a *sql.Row or *sql.Rows.
type rowScanner = interface{ Scan(...any) error }

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
