package models

import (
	"context"
	"strings"
)

// ContactRow is a contact with its customer, for the contacts list.
type ContactRow struct {
	Contact
	CustomerKind string
	CustomerCode string
	CustomerName string
	OwnerName    string
}

// ContactFilter selects the contacts list.
type ContactFilter struct {
	Q       string
	Kind    string // "customer", "prospect" or "" for both
	Page    int
	PerPage int
}

func (f ContactFilter) where(actor Actor) (string, []any) {
	conds := []string{"c.status <> 'converted'"}
	var args []any
	if rule := actor.ownerRule(ModCustomers, "c.owner_id"); rule != "" {
		conds = append(conds, rule)
	}
	if f.Kind == "customer" || f.Kind == "prospect" {
		conds = append(conds, "c.kind = ?")
		args = append(args, f.Kind)
	}
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + escapeLike(q) + "%"
		py, pyArgs := pinyinLike(q, "k.name_py", "c.name_py")
		conds = append(conds, `(k.name LIKE ? ESCAPE '\' OR k.mobile LIKE ? ESCAPE '\' OR k.phone LIKE ? ESCAPE '\'
			OR k.email LIKE ? ESCAPE '\' OR c.name LIKE ? ESCAPE '\'`+py+`)`)
		for range 5 {
			args = append(args, like)
		}
		args = append(args, pyArgs...)
	}
	return strings.Join(conds, " AND "), args
}

const contactRowColumns = `k.id, k.customer_id, k.name, k.title, k.phone, k.mobile, k.email, COALESCE(k.birthday, ''), k.is_primary,
	c.kind, c.code, c.name, u.display_name`

func scanContactRow(row interface{ Scan(...any) error }) (ContactRow, error) {
	var r ContactRow
	err := row.Scan(&r.ID, &r.CustomerID, &r.Name, &r.Title, &r.Phone, &r.Mobile, &r.Email, &r.Birthday, &r.IsPrimary,
		&r.CustomerKind, &r.CustomerCode, &r.CustomerName, &r.OwnerName)
	return r, err
}

// ListContacts returns a page of the contacts of customers and prospects
// the actor may see, by name.
func (db *DB) ListContacts(ctx context.Context, actor Actor, f ContactFilter) (ContactPage, error) {
	fixPage(&f.Page, &f.PerPage, 50, 200)
	where, args := f.where(actor)
	page := ContactPage{Page: f.Page, PerPage: f.PerPage}
	from := ` FROM contacts k JOIN customers c ON c.id = k.customer_id JOIN users u ON u.id = c.owner_id WHERE ` + where
	if err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*)`+from, args...).Scan(&page.Total); err != nil {
		return page, err
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+contactRowColumns+from+` ORDER BY k.name, k.id LIMIT ? OFFSET ?`,
		append(args, f.PerPage, (f.Page-1)*f.PerPage)...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := scanContactRow(rows)
		if err != nil {
			return page, err
		}
		page.Rows = append(page.Rows, r)
	}
	return page, rows.Err()
}

// EachContact streams every contact matching f that the actor may see.
func (db *DB) EachContact(ctx context.Context, actor Actor, f ContactFilter, fn func(r ContactRow) error) error {
	where, args := f.where(actor)
	return streamRows(ctx, db, `SELECT `+contactRowColumns+` FROM contacts k JOIN customers c ON c.id = k.customer_id
		JOIN users u ON u.id = c.owner_id WHERE `+where+` ORDER BY k.name, k.id`, args, scanContactRow, fn)
}
