package models

import "strings"

// where builds the WHERE clause of a list: conditions joined by AND, with
// their arguments in order. The lists state their own columns; this keeps
// the "if set, add" steps from being written out again in each.
type where struct {
	conds []string
	args  []any
}

// add adds a condition and its arguments.
func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// eq adds "col = v" when v is set (not "" or 0).
func (w *where) eq(col string, v any) {
	switch v := v.(type) {
	case string:
		if v == "" {
			return
		}
	case int64:
		if v == 0 {
			return
		}
	}
	w.add(col+" = ?", v)
}

// between adds the date range from … to (either may be empty) on col.
func (w *where) between(col, from, to string) {
	if from != "" {
		w.add(col+" >= ?", from)
	}
	if to != "" {
		w.add(col+" <= ?", to)
	}
}

// like adds a search for q in any of the expressions (a LIKE each, the
// same pattern), when q is not blank. An expression with its own "?" (a
// subquery) takes the pattern there instead.
func (w *where) like(q string, exprs ...string) {
	q = strings.TrimSpace(q)
	if q == "" {
		return
	}
	pattern := "%" + escapeLike(q) + "%"
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		parts[i] = e
		if !strings.Contains(e, "?") {
			parts[i] = e + ` LIKE ? ESCAPE '\'`
		}
		w.args = append(w.args, pattern)
	}
	w.conds = append(w.conds, "("+strings.Join(parts, " OR ")+")")
}

// sql is the clause ("1 = 1" when empty) and its arguments.
func (w *where) sql() (string, []any) {
	if len(w.conds) == 0 {
		return "1 = 1", w.args
	}
	return strings.Join(w.conds, " AND "), w.args
}
