package models

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
