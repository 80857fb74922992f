package models

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
)

// Keyset (cursor) pagination for the API: a page continues after the last
// row of the one before, by (sort value, id), so rows inserted or deleted
// meanwhile never shift a page (no row seen twice, none skipped that
// existed throughout), and a deep page costs what the first one does.

// Cursor is the position after the last row of a page: its sort value and
// id. The zero Cursor is the start.
type Cursor struct {
	Value any   `json:"v"`
	ID    int64 `json:"i"`
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ParseCursor decodes a cursor from a URL; "" is the start.
func ParseCursor(s string) (Cursor, error) {
	var c Cursor
	if s == "" {
		return c, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return c, ErrInvalid
	}
	d := json.NewDecoder(strings.NewReader(string(b)))
	d.UseNumber()
	if err := d.Decode(&c); err != nil || c.ID <= 0 {
		return Cursor{}, ErrInvalid
	}
	if n, ok := c.Value.(json.Number); ok {
		v, err := n.Int64()
		if err != nil {
			return Cursor{}, ErrInvalid
		}
		c.Value = v
	}
	return c, nil
}

// customerKeyset are the sort expressions of the API list, NULLs as ”
// so that the comparison of the keyset condition is total.
var customerKeyset = map[string]string{
	"name":     "c.name",
	"code":     "c.code",
	"updated":  "c.updated_at",
	"created":  "c.id",
	"activity": "COALESCE(c.last_activity_date, '')",
	"owner":    "c.owner_id",
}

// CustomersAfter returns up to limit customers (or prospects) matching f
// that actor may see, in f's order with id as the tie-break, starting after
// the cursor; next is the cursor for the following page, or the zero
// Cursor at the end. The filters and the row rules are the list screen's
// (CustomerFilter.where).
func (db *DB) CustomersAfter(ctx context.Context, actor Actor, f CustomerFilter, after Cursor, limit int) ([]Customer, Cursor, error) {
	col, ok := customerKeyset[f.Sort]
	if !ok {
		col, f.Sort = customerKeyset["created"], "created"
	}
	where, args := f.where(actor)
	op, dir := ">", "ASC"
	if f.Desc {
		op, dir = "<", "DESC"
	}
	if after.ID != 0 {
		if f.Sort == "created" {
			where += ` AND c.id ` + op + ` ?`
			args = append(args, after.ID)
		} else {
			where += ` AND (` + col + `, c.id) ` + op + ` (?, ?)`
			args = append(args, after.Value, after.ID)
		}
	}
	order := col + " " + dir
	if f.Sort != "created" {
		order += ", c.id " + dir
	}
	args = append(args, limit+1)
	rows, err := db.Read.QueryContext(ctx, `SELECT `+customerColumns+`,
		COALESCE((SELECT group_concat(t.item_id) FROM customer_traits t WHERE t.customer_id = c.id), ''), `+col+`
		FROM customers c JOIN users u ON u.id = c.owner_id
		LEFT JOIN users cb ON cb.id = c.created_by LEFT JOIN users ub ON ub.id = c.updated_by
		WHERE `+where+` ORDER BY `+order+` LIMIT ?`, args...)
	if err != nil {
		return nil, Cursor{}, err
	}
	defer rows.Close()
	out := make([]Customer, 0, limit)
	var next Cursor
	for rows.Next() {
		var traits string
		var key any
		c, err := scanCustomer(rows, &traits, &key)
		if err != nil {
			return nil, Cursor{}, err
		}
		if len(out) == limit { // one more exists: the page ends before it
			last := out[len(out)-1]
			next = Cursor{Value: next.Value, ID: last.ID}
			break
		}
		c.TraitIDs = parseIDList(traits)
		out = append(out, *c)
		next.Value = key
	}
	if err := rows.Err(); err != nil {
		return nil, Cursor{}, err
	}
	if next.ID == 0 {
		next = Cursor{}
	}
	return out, next, nil
}

// parseIDList reads a comma-separated id list (group_concat), sorted.
func parseIDList(s string) []int64 {
	var out []int64
	for _, part := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return sortedIDs(out)
}

// ActivitiesAfter lists activity records for the API: the list screen's
// filters and row rule, in id order, up to limit after the id afterID.
// Mentions of competitors are not loaded (GetActivity has them).
func (db *DB) ActivitiesAfter(ctx context.Context, actor Actor, f ActivityFilter, afterID int64, limit int) ([]Activity, error) {
	where, args := f.where(actor)
	args = append(args, afterID, limit)
	return queryList(ctx, db.Read, `SELECT `+activityColumns+activityJoins+` WHERE `+where+` AND a.id > ? ORDER BY a.id LIMIT ?`, args, scanActivity)
}

// PlansAfter lists plans for the API: the list screen's filters and row
// rule, in id order, up to limit after the id afterID.
func (db *DB) PlansAfter(ctx context.Context, actor Actor, f PlanFilter, afterID int64, limit int) ([]Plan, error) {
	where, args := f.where(actor)
	args = append(args, afterID, limit)
	return queryList(ctx, db.Read, `SELECT `+planColumns+planJoins+` WHERE `+where+` AND p.id > ? ORDER BY p.id LIMIT ?`, args, scanPlan)
}

// ArticlesAfter lists the knowledge base (everyone may read it) for the
// API, in id order, up to limit after the id afterID.
func (db *DB) ArticlesAfter(ctx context.Context, categoryID, afterID int64, limit int) ([]Article, error) {
	where, args := "a.id > ?", []any{afterID}
	if categoryID != 0 {
		where += " AND a.category_id = ?"
		args = append(args, categoryID)
	}
	args = append(args, limit)
	return queryList(ctx, db.Read, `SELECT `+articleColumns+articleFrom+` WHERE `+where+` ORDER BY a.id LIMIT ?`, args, scanArticle)
}
