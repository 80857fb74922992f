package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The recycle bin (回收站). Deleting a record moves it — and every row that
// hangs on it by a foreign key — out of the live tables into one row of
// trash, as a JSON snapshot, in one transaction. Nothing else has to know:
// a row that is not in its table shows in no list, search, report, calendar,
// feed or export. Links to the record from rows that stay (a plan's "done
// by" record, an article's source issue) are cleared by the database
// (ON DELETE SET NULL) and written down, so a restore puts them back.
//
// Which rows go with a record follows the schema: a row that refers to a
// deleted row with ON DELETE CASCADE, or with no action (it could not stay
// without it), goes too; one that refers with ON DELETE SET NULL stays and
// loses the link. So a customer takes its contacts, activity records, plans,
// opportunities, issues (with their handling records) and campaign targets;
// a contact leaves the records that named it, without the name.

// TrashKinds are the records that can be deleted, with their tables.
var TrashKinds = map[string]string{
	"customer": "customers", "prospect": "customers", "contact": "contacts", "activity": "activities",
	"plan": "plans", "opportunity": "opportunities", "campaign": "campaigns", "issue": "issues",
	"article": "articles", "report": "reports",
}

// DefaultTrashDays is how long the bin keeps a record before the purge job
// forgets it.
const DefaultTrashDays = 30

// TrashEntry is one deleted record in the bin.
type TrashEntry struct {
	ID            int64
	Kind          string
	RecordID      int64
	Code          string
	Label         string
	Rows          int // rows moved, the record included
	DeletedBy     int64
	DeletedByName string
	DeletedAt     string
}

type trashRow struct {
	Table  string         `json:"t"`
	Values map[string]any `json:"v"`
}

// trashLink is a link from a row that stayed to a deleted row.
type trashLink struct {
	Table  string `json:"t"`
	RowID  int64  `json:"r"`
	Column string `json:"c"`
	Value  int64  `json:"v"`
	Ref    string `json:"ref"` // the table Value refers to
}

type trashData struct {
	Rows  []trashRow  `json:"rows"`
	Links []trashLink `json:"links"`
}

// foreignKey is one foreign key of the schema, read from SQLite itself so
// that a new table takes part without code.
type foreignKey struct {
	table, column, ref, onDelete string
}

// trashLinkOnly are references that are links, not dependents, although
// the schema has no ON DELETE action for them: a converted prospect stays
// when its customer is deleted.
var trashLinkOnly = map[string]bool{"customers.converted_to_id": true}

func foreignKeys(ctx context.Context, q querier) ([]foreignKey, error) {
	rows, err := q.QueryContext(ctx, `SELECT m.name, p."from", p."table", p.on_delete
		FROM sqlite_master m, pragma_foreign_key_list(m.name) p WHERE m.type = 'table' ORDER BY m.name, p.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var fk foreignKey
		if err := rows.Scan(&fk.table, &fk.column, &fk.ref, &fk.onDelete); err != nil {
			return nil, err
		}
		out = append(out, fk)
	}
	return out, rows.Err()
}

// hasID reports whether table has an integer id column (every record
// table; the join tables have none and nothing refers to them).
func hasID(ctx context.Context, q querier, table string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'id'`, table).Scan(&n)
	return n > 0, err
}

// readRows reads whole rows of table matching where.
func readRows(ctx context.Context, q querier, table, where string) ([]trashRow, error) {
	rows, err := q.QueryContext(ctx, `SELECT * FROM "`+table+`" WHERE `+where)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out []trashRow
	err = EachRow(rows, func(vals []any) error {
		r := trashRow{Table: table, Values: make(map[string]any, len(cols))}
		for i, c := range cols {
			r.Values[c] = vals[i]
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// collectTrash gathers the record's rows and what hangs on them, parents
// before children, and the links from rows that stay.
func collectTrash(ctx context.Context, tx *sql.Tx, table string, id int64) (*trashData, error) {
	fks, err := foreignKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	data := &trashData{}
	taken := map[string]map[int64]bool{}
	type pending struct {
		table string
		ids   []int64
	}
	queue := []pending{{table, []int64{id}}}
	var links []trashLink
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		rows, err := readRows(ctx, tx, p.table, "id IN ("+idList(p.ids)+")")
		if err != nil {
			return nil, err
		}
		var fresh []int64
		for _, r := range rows {
			rid := toInt64(r.Values["id"])
			if taken[p.table][rid] {
				continue
			}
			if taken[p.table] == nil {
				taken[p.table] = map[int64]bool{}
			}
			taken[p.table][rid] = true
			data.Rows = append(data.Rows, r)
			fresh = append(fresh, rid)
		}
		if len(fresh) == 0 {
			continue
		}
		for _, fk := range fks {
			if fk.ref != p.table {
				continue
			}
			cond := `"` + fk.column + `" IN (` + idList(fresh) + `)`
			withID, err := hasID(ctx, tx, fk.table)
			if err != nil {
				return nil, err
			}
			if fk.onDelete == "SET NULL" || trashLinkOnly[fk.table+"."+fk.column] {
				if !withID {
					continue
				}
				lrows, err := tx.QueryContext(ctx, `SELECT id, "`+fk.column+`" FROM "`+fk.table+`" WHERE `+cond)
				if err != nil {
					return nil, err
				}
				for lrows.Next() {
					l := trashLink{Table: fk.table, Column: fk.column, Ref: p.table}
					if err := lrows.Scan(&l.RowID, &l.Value); err != nil {
						lrows.Close()
						return nil, err
					}
					links = append(links, l)
				}
				lrows.Close()
				continue
			}
			if !withID {
				// A join table: its rows go with the record; nothing refers to them.
				rows, err := readRows(ctx, tx, fk.table, cond)
				if err != nil {
					return nil, err
				}
				data.Rows = append(data.Rows, rows...)
				continue
			}
			var child []int64
			crows, err := tx.QueryContext(ctx, `SELECT id FROM "`+fk.table+`" WHERE `+cond)
			if err != nil {
				return nil, err
			}
			for crows.Next() {
				var cid int64
				if err := crows.Scan(&cid); err != nil {
					crows.Close()
					return nil, err
				}
				child = append(child, cid)
			}
			crows.Close()
			if len(child) > 0 {
				queue = append(queue, pending{fk.table, child})
			}
		}
	}
	// Parents first (a contact before the record that names it): the
	// delete goes backwards through the list, the restore forwards.
	rank := tableOrder(fks, data.Rows)
	slices.SortStableFunc(data.Rows, func(a, b trashRow) int { return rank[a.Table] - rank[b.Table] })
	// A link from a row that is itself going is no link to keep.
	for _, l := range links {
		if !taken[l.Table][l.RowID] {
			data.Links = append(data.Links, l)
		}
	}
	return data, nil
}

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case float64:
		return int64(v)
	case json.Number:
		n, _ := v.Int64()
		return n
	}
	return 0
}

// searchKind is the index's kind of a row, "" for rows not indexed.
func searchKind(r trashRow) string {
	switch r.Table {
	case "customers":
		k, _ := r.Values["kind"].(string)
		return k
	case "contacts":
		return "contact"
	case "issues":
		return "issue"
	case "articles":
		return "article"
	}
	return ""
}

// trashTarget checks that actor may delete (and so restore) the record and
// returns its code and a readable label. A record the actor may not touch
// is ErrNotFound.
func (db *DB) trashTarget(ctx context.Context, actor Actor, kind string, id int64) (code, label string, err error) {
	switch kind {
	case "customer", "prospect":
		if !actor.EditsCustomers() {
			return "", "", ErrNotFound
		}
		c, err := db.GetCustomer(ctx, actor, kind, id)
		if err != nil {
			return "", "", err
		}
		return c.Code, c.Name, nil
	case "activity":
		a, err := db.GetActivity(ctx, actor, id)
		if err != nil || !actor.EditsActivities() {
			return "", "", cmpErr(err)
		}
		return a.Code, a.Subject, nil
	case "plan":
		p, err := db.GetPlan(ctx, actor, id)
		if err != nil || !actor.EditsActivities() {
			return "", "", cmpErr(err)
		}
		return p.Code, p.Subject, nil
	case "opportunity":
		o, err := db.GetOpportunity(ctx, actor, id)
		if err != nil || !actor.EditsActivities() {
			return "", "", cmpErr(err)
		}
		return o.Code, o.Name, nil
	case "campaign":
		m, err := db.GetCampaign(ctx, actor, id)
		if err != nil || !actor.UsesCampaigns() {
			return "", "", cmpErr(err)
		}
		return m.Code, m.Name, nil
	case "issue":
		i, err := db.GetIssue(ctx, actor, id)
		if err != nil || !actor.HandlesService() {
			return "", "", cmpErr(err)
		}
		return i.Code, i.Subject, nil
	case "article":
		a, err := db.GetArticle(ctx, id)
		if err != nil || !actor.HandlesService() {
			return "", "", cmpErr(err)
		}
		return a.Code, a.Title, nil
	case "report":
		r, err := db.GetReport(ctx, actor, id)
		if err != nil || !r.CanEdit(actor) {
			return "", "", cmpErr(err)
		}
		return "", r.Name, nil
	case "contact":
		var k Contact
		err := db.Read.QueryRowContext(ctx, `SELECT customer_id, name FROM contacts WHERE id = ?`, id).Scan(&k.CustomerID, &k.Name)
		if errors.Is(err, sql.ErrNoRows) {
			return "", "", ErrNotFound
		}
		if err != nil {
			return "", "", err
		}
		if _, err := db.GetContact(ctx, actor, k.CustomerID, id); err != nil || !actor.EditsCustomers() {
			return "", "", cmpErr(err)
		}
		return "", k.Name, nil
	}
	return "", "", ErrNotFound
}

// cmpErr is err, or ErrNotFound when there was none (the actor may read the
// record but not delete it: to them it is not there to delete).
func cmpErr(err error) error {
	if err != nil {
		return err
	}
	return ErrNotFound
}

// DeleteRecord moves a record and what hangs on it into the recycle bin,
// in one transaction, and returns the bin entry's id.
func (db *DB) DeleteRecord(ctx context.Context, actor Actor, kind string, id int64) (int64, error) {
	table, ok := TrashKinds[kind]
	if !ok {
		return 0, ErrNotFound
	}
	code, label, err := db.trashTarget(ctx, actor, kind, id)
	if err != nil {
		return 0, err
	}
	var entry int64
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		data, err := collectTrash(ctx, tx, table, id)
		if err != nil {
			return err
		}
		if len(data.Rows) == 0 {
			return ErrNotFound
		}
		blob, err := json.Marshal(data)
		if err != nil {
			return err
		}
		now := db.nowStamp()
		res, err := tx.ExecContext(ctx, `INSERT INTO trash (kind, record_id, code, label, data, row_count, deleted_by, deleted_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, kind, id, code, label, string(blob), len(data.Rows), nullInt(actor.ID), now)
		if err != nil {
			return err
		}
		if entry, err = res.LastInsertId(); err != nil {
			return err
		}
		// Children first: a row that refers without an ON DELETE action
		// must be gone before the row it refers to.
		for i := len(data.Rows) - 1; i >= 0; i-- {
			if err := deleteTrashRow(ctx, tx, data.Rows[i]); err != nil {
				return err
			}
		}
		for _, r := range data.Rows {
			if k := searchKind(r); k != "" {
				if err := enqueue(ctx, tx, k, toInt64(r.Values["id"])); err != nil {
					return err
				}
			}
		}
		if err := db.refreshLastActivity(ctx, tx, data); err != nil {
			return err
		}
		return recordTrashAudit(ctx, tx, now, actor.ID, kind, id, label, code, "delete", data.contactCustomer())
	})
	return entry, err
}

// recordTrashAudit writes a delete, restore or purge into the history. A
// contact's goes into its customer's history (customerID), as its other
// changes do.
func recordTrashAudit(ctx context.Context, tx *sql.Tx, now string, userID int64, kind string, id int64, label, code, action string,
	customerID int64) error {
	if kind == "contact" {
		var customerKind string
		if err := tx.QueryRowContext(ctx, `SELECT kind FROM customers WHERE id = ?`, customerID).Scan(&customerKind); err != nil {
			return err
		}
		change, a := Change{Field: "contact", Old: label}, "contact_delete"
		if action == "restore" {
			change, a = Change{Field: "contact", New: label}, "contact_add"
		}
		return recordAudit(ctx, tx, now, userID, customerKind, customerID, a, []Change{change})
	}
	return recordAudit(ctx, tx, now, userID, kind, id, action, []Change{{Field: "code", Old: code}})
}

// contactCustomer is the customer of the contact at the root of data.
func (d *trashData) contactCustomer() int64 {
	for _, r := range d.Rows {
		if r.Table == "contacts" {
			return toInt64(r.Values["customer_id"])
		}
	}
	return 0
}

func deleteTrashRow(ctx context.Context, tx *sql.Tx, r trashRow) error {
	if id, ok := r.Values["id"]; ok {
		_, err := tx.ExecContext(ctx, `DELETE FROM "`+r.Table+`" WHERE id = ?`, id)
		return err
	}
	// A join table row: every column names it.
	var conds []string
	var args []any
	for c, v := range r.Values {
		if v == nil {
			conds = append(conds, `"`+c+`" IS NULL`)
			continue
		}
		conds = append(conds, `"`+c+`" = ?`)
		args = append(args, v)
	}
	slices.Sort(conds) // a stable statement text for the statement cache
	_, err := tx.ExecContext(ctx, `DELETE FROM "`+r.Table+`" WHERE `+strings.Join(conds, " AND "), args...)
	return err
}

// refreshLastActivity writes the latest activity back onto the customers
// whose activity records came or went (the lists show it).
func (db *DB) refreshLastActivity(ctx context.Context, tx *sql.Tx, data *trashData) error {
	seen := map[int64]bool{}
	for _, r := range data.Rows {
		if r.Table != "activities" {
			continue
		}
		cid := toInt64(r.Values["customer_id"])
		if seen[cid] {
			continue
		}
		seen[cid] = true
		if err := refreshLastActivityOf(ctx, tx, cid); err != nil {
			return err
		}
	}
	return nil
}

// trashScope is the row rule of the bin: managers and admins see every
// entry, others the ones they deleted.
func trashScope(actor Actor) (string, []any) {
	if rule := actor.ownerRule(ModCustomers, "t.deleted_by"); rule != "" {
		return rule, nil
	}
	return "1 = 1", nil
}

// TrashEntries lists the bin, newest first.
func (db *DB) TrashEntries(ctx context.Context, actor Actor, limit int) ([]TrashEntry, error) {
	scope, args := trashScope(actor)
	rows, err := db.Read.QueryContext(ctx, `SELECT t.id, t.kind, t.record_id, t.code, t.label, t.row_count,
		COALESCE(t.deleted_by, 0), COALESCE(u.display_name, ''), t.deleted_at
		FROM trash t LEFT JOIN users u ON u.id = t.deleted_by WHERE `+scope+` ORDER BY t.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []TrashEntry
	for rows.Next() {
		var e TrashEntry
		if err := rows.Scan(&e.ID, &e.Kind, &e.RecordID, &e.Code, &e.Label, &e.Rows, &e.DeletedBy, &e.DeletedByName,
			&e.DeletedAt); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ErrRestoreConflict is a restore that would clash with what exists now
// (a unique value taken meanwhile).
var ErrRestoreConflict = errors.New("restore conflicts with the current data")

// RestoreTrash puts an entry's rows back, with their links, and returns the
// restored record's kind and id (a new id when its old one was taken
// meanwhile). It changes nothing when any part fails.
func (db *DB) RestoreTrash(ctx context.Context, actor Actor, entryID int64) (kind string, id int64, err error) {
	scope, args := trashScope(actor)
	var blob, label string
	var recordID int64
	err = db.Read.QueryRowContext(ctx, `SELECT t.kind, t.record_id, t.label, t.data FROM trash t WHERE t.id = ? AND `+scope,
		append([]any{entryID}, args...)...).Scan(&kind, &recordID, &label, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return "", 0, ErrNotFound
	}
	if err != nil {
		return "", 0, err
	}
	var data trashData
	dec := json.NewDecoder(strings.NewReader(blob))
	dec.UseNumber()
	if err := dec.Decode(&data); err != nil {
		return "", 0, fmt.Errorf("trash entry %d: %w", entryID, err)
	}
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		fks, err := foreignKeys(ctx, tx)
		if err != nil {
			return err
		}
		// Tables go back parents first (a contact before the activity
		// record that names it); new ids for rows whose id was taken
		// meanwhile, by table, so the rows after them refer to the new ones.
		rank := tableOrder(fks, data.Rows)
		slices.SortStableFunc(data.Rows, func(a, b trashRow) int { return rank[a.Table] - rank[b.Table] })
		remap := map[string]map[int64]int64{}
		for _, r := range data.Rows {
			vals := map[string]any{}
			for c, v := range r.Values {
				if n, ok := v.(json.Number); ok {
					if i, err := n.Int64(); err == nil {
						v = i
					} else if f, err := n.Float64(); err == nil {
						v = f
					}
				}
				vals[c] = v
			}
			for _, fk := range fks {
				if fk.table != r.Table {
					continue
				}
				if v, ok := vals[fk.column].(int64); ok {
					if nv, ok := remap[fk.ref][v]; ok {
						vals[fk.column] = nv
					}
				}
			}
			oldID, hasID := vals["id"].(int64)
			if hasID {
				var taken int
				if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+r.Table+`" WHERE id = ?`, oldID).Scan(&taken); err != nil {
					return err
				}
				if taken > 0 {
					delete(vals, "id")
				}
			}
			cols := make([]string, 0, len(vals))
			for c := range vals {
				cols = append(cols, c)
			}
			slices.Sort(cols)
			ph := make([]string, len(cols))
			argv := make([]any, len(cols))
			for i, c := range cols {
				ph[i], argv[i] = "?", vals[c]
				cols[i] = `"` + c + `"`
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO "`+r.Table+`" (`+strings.Join(cols, ", ")+`) VALUES (`+
				strings.Join(ph, ", ")+`)`, argv...)
			if err != nil {
				if isConstraint(err) {
					return fmt.Errorf("%w: %s: %v", ErrRestoreConflict, r.Table, err)
				}
				return err
			}
			if hasID {
				newID := oldID
				if _, kept := vals["id"]; !kept {
					if newID, err = res.LastInsertId(); err != nil {
						return err
					}
					if remap[r.Table] == nil {
						remap[r.Table] = map[int64]int64{}
					}
					remap[r.Table][oldID] = newID
				}
				if k := searchKind(r); k != "" {
					if err := enqueue(ctx, tx, k, newID); err != nil {
						return err
					}
				}
			}
		}
		for _, l := range data.Links {
			v := l.Value
			if nv, ok := remap[l.Ref][v]; ok {
				v = nv
			}
			if _, err := tx.ExecContext(ctx, `UPDATE "`+l.Table+`" SET "`+l.Column+`" = ? WHERE id = ? AND "`+l.Column+`" IS NULL`,
				v, l.RowID); err != nil {
				return err
			}
		}
		id = recordID
		if nv, ok := remap[TrashKinds[kind]][recordID]; ok {
			id = nv
		}
		if err := db.refreshLastActivity(ctx, tx, &data); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM trash WHERE id = ?`, entryID); err != nil {
			return err
		}
		return recordTrashAudit(ctx, tx, db.nowStamp(), actor.ID, kind, id, label, "", "restore", data.contactCustomer())
	})
	if err != nil {
		return "", 0, err
	}
	return kind, id, nil
}

// tableOrder ranks the tables of rows so that every table comes after the
// tables it refers to (among these).
func tableOrder(fks []foreignKey, rows []trashRow) map[string]int {
	present := map[string]bool{}
	for _, r := range rows {
		present[r.Table] = true
	}
	rank := map[string]int{}
	for len(rank) < len(present) {
		progress := false
		for t := range present {
			if _, done := rank[t]; done {
				continue
			}
			ready := true
			for _, fk := range fks {
				if fk.table == t && fk.ref != t && present[fk.ref] {
					if _, done := rank[fk.ref]; !done {
						ready = false
						break
					}
				}
			}
			if ready {
				rank[t] = len(rank)
				progress = true
			}
		}
		if !progress { // a cycle between tables: keep the rest in any order
			for t := range present {
				if _, done := rank[t]; !done {
					rank[t] = len(rank)
				}
			}
		}
	}
	return rank
}

// isConstraint reports a UNIQUE, CHECK or FOREIGN KEY refusal.
func isConstraint(err error) bool {
	return err != nil && strings.Contains(err.Error(), "constraint failed")
}

// PurgeTrash forgets the entries deleted more than days ago, recording
// each purge in the history, and returns how many went.
func (db *DB) PurgeTrash(ctx context.Context, days int) (int, error) {
	cutoff := db.Now().Add(-time.Duration(days) * 24 * time.Hour).UTC().Format(time.RFC3339)
	n := 0
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, kind, record_id, code FROM trash WHERE deleted_at < ?`, cutoff)
		if err != nil {
			return err
		}
		type gone struct {
			id, record int64
			kind, code string
		}
		var list []gone
		for rows.Next() {
			var g gone
			if err := rows.Scan(&g.id, &g.kind, &g.record, &g.code); err != nil {
				rows.Close()
				return err
			}
			list = append(list, g)
		}
		rows.Close()
		now := db.nowStamp()
		for _, g := range list {
			if _, err := tx.ExecContext(ctx, `DELETE FROM trash WHERE id = ?`, g.id); err != nil {
				return err
			}
			if err := recordAudit(ctx, tx, now, 0, g.kind, g.record, "purge", []Change{{Field: "code", Old: g.code}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
