package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// fillNameKeys gives rows written before migration 0013 (or by an older
// binary) their name key. It runs at every start; after the first it finds
// nothing, through the partial index customers_name_key_todo.
func (db *DB) fillNameKeys(ctx context.Context) error {
	return db.fillFromName(ctx, "customers", "name_key IS NULL", "name_key = ?", func(name string) []any {
		return []any{NameKey(name)}
	})
}

// DupMember is one record of a group of possible duplicates.
type DupMember struct {
	ID                              int64
	Code, Name, Phone, Email, Owner string
}

// DupGroup is a set of records of one kind sharing a name key, a phone or
// an e-mail address.
type DupGroup struct {
	Reason  string // name, phone or email
	Key     string
	Members []DupMember
}

// DupReasons are why records are grouped as possible duplicates.
var DupReasons = []string{"name", "phone", "email"}

// DuplicateGroups lists groups of possible duplicates of kind, up to limit
// groups per reason, for managers (team.manage). Each reason is one GROUP
// BY over its index.
func (db *DB) DuplicateGroups(ctx context.Context, actor Actor, kind string, limit int) ([]DupGroup, error) {
	if !actor.Can(PermCustomersManage) {
		return nil, ErrNotFound
	}
	var out []DupGroup
	for _, r := range []struct{ reason, expr, cond string }{
		{"name", "name_key", "name_key <> ''"},
		{"phone", "phone", "phone <> ''"},
		{"email", "email COLLATE NOCASE", "email <> ''"},
	} {
		rows, err := db.Read.QueryContext(ctx, `SELECT `+r.expr+`, json_group_array(id) FROM customers
			WHERE kind = ? AND status <> 'converted' AND `+r.cond+`
			GROUP BY `+r.expr+` HAVING COUNT(*) > 1 ORDER BY COUNT(*) DESC, MIN(id) LIMIT ?`, kind, limit)
		if err != nil {
			return nil, err
		}
		var groups []DupGroup
		var idLists []string
		for rows.Next() {
			var g DupGroup
			var ids string
			if err := rows.Scan(&g.Key, &ids); err != nil {
				rows.Close()
				return nil, err
			}
			g.Reason = r.reason
			groups = append(groups, g)
			idLists = append(idLists, ids)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return nil, err
		}
		for i := range groups {
			var ids []int64
			if err := json.Unmarshal([]byte(idLists[i]), &ids); err != nil {
				return nil, err
			}
			slices.Sort(ids)
			if groups[i].Members, err = db.dupMembers(ctx, ids); err != nil {
				return nil, err
			}
		}
		out = append(out, groups...)
	}
	return out, nil
}

func (db *DB) dupMembers(ctx context.Context, ids []int64) ([]DupMember, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT c.id, c.code, c.name, c.phone, c.email, u.display_name
		FROM customers c JOIN users u ON u.id = c.owner_id
		WHERE c.id IN (SELECT value FROM json_each(?)) ORDER BY c.id`, idJSON(ids))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []DupMember
	for rows.Next() {
		var m DupMember
		if err := rows.Scan(&m.ID, &m.Code, &m.Name, &m.Phone, &m.Email, &m.Owner); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

func idJSON(ids []int64) string {
	b, _ := json.Marshal(ids) // a slice of integers always marshals
	return string(b)
}

// MergeFields are the fields a merge chooses, field by field, from one of
// the records; the rest (contacts, activities …) is the union of all.
var MergeFields = []string{"name", "short_name", "industry", "source", "grade", "region", "stage", "traits",
	"address", "phone", "email", "website", "owner", "status", "notes"}

// MergeCandidates loads the records of a merge in the order given, for the
// merge screen; ErrNotFound if one is missing, converted or not the actor's
// to merge (team.manage).
func (db *DB) MergeCandidates(ctx context.Context, actor Actor, kind string, ids []int64) ([]*Customer, error) {
	return db.mergeCandidates(ctx, db.Read, actor, kind, ids)
}

func (db *DB) mergeCandidates(ctx context.Context, q querier, actor Actor, kind string, ids []int64) ([]*Customer, error) {
	if !actor.Can(PermCustomersManage) {
		return nil, ErrNotFound
	}
	if len(ids) < 2 || len(ids) > 3 {
		return nil, FieldErrors{"ids": "merge.err.count"}
	}
	seen := map[int64]bool{}
	var out []*Customer
	for _, id := range ids {
		if seen[id] {
			return nil, FieldErrors{"ids": "merge.err.count"}
		}
		seen[id] = true
		c, err := db.getCustomer(ctx, q, actor, kind, id)
		if err != nil {
			return nil, err
		}
		if c.Status == "converted" {
			return nil, ErrNotFound
		}
		out = append(out, c)
	}
	return out, nil
}

// MergeCustomers merges the records ids (two or three customers, or
// prospects, of kind) into survivor, one of them. pick names, per field of
// MergeFields, the record whose value is kept (the survivor's when absent).
// In one transaction: the survivor takes the picked values; every row that
// referred to another record (contacts, activities, plans, opportunities,
// issues, campaign targets and their mail, conversions) moves to the
// survivor, and so does its history; the others are deleted, remembered in
// customer_merges so their address and code lead to the survivor. A failure
// at any step changes nothing.
func (db *DB) MergeCustomers(ctx context.Context, actor Actor, kind string, ids []int64, survivor int64, pick map[string]int64) error {
	if !slices.Contains(ids, survivor) {
		return FieldErrors{"survivor": "merge.err.survivor"}
	}
	for f, id := range pick {
		if !slices.Contains(MergeFields, f) || !slices.Contains(ids, id) {
			return FieldErrors{"pick": "merge.err.survivor"}
		}
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		recs, err := db.mergeCandidates(ctx, tx, actor, kind, ids)
		if err != nil {
			return err
		}
		byID := map[int64]*Customer{}
		for _, r := range recs {
			byID[r.ID] = r
		}
		merged := *byID[survivor]
		merged.TraitIDs = slices.Clone(merged.TraitIDs)
		for f, id := range pick {
			takeField(&merged, byID[id], f)
		}
		now := db.nowStamp()
		var others []int64
		var codes []string
		for _, id := range ids {
			if id != survivor {
				others = append(others, id)
				codes = append(codes, byID[id].Code)
			}
		}
		for _, old := range others {
			if err := db.moveCustomerRefs(ctx, tx, kind, old, survivor, now, actor.ID); err != nil {
				return err
			}
		}
		// The survivor's values last: a name or phone taken from another
		// record is free only once that record is gone.
		if err := db.updateCustomerTx(ctx, tx, actor, &merged); err != nil {
			return err
		}
		if err := refreshLastActivityOf(ctx, tx, survivor); err != nil {
			return err
		}
		if err := enqueueCustomerTree(ctx, tx, survivor); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, kind, survivor, "merge", []Change{{Field: "merged", New: strings.Join(codes, ", ")}})
	})
}

func takeField(dst, src *Customer, field string) {
	switch field {
	case "name":
		dst.Name = src.Name
	case "short_name":
		dst.ShortName = src.ShortName
	case "industry":
		dst.IndustryID = src.IndustryID
	case "source":
		dst.SourceID = src.SourceID
	case "grade":
		dst.GradeID = src.GradeID
	case "region":
		dst.RegionID = src.RegionID
	case "stage":
		dst.StageID = src.StageID
	case "traits":
		dst.TraitIDs = slices.Clone(src.TraitIDs)
	case "address":
		dst.Address = src.Address
	case "phone":
		dst.Phone = src.Phone
	case "email":
		dst.Email = src.Email
	case "website":
		dst.Website = src.Website
	case "owner":
		dst.OwnerID = src.OwnerID
	case "status":
		dst.Status = src.Status
	case "notes":
		dst.Notes = src.Notes
	}
}

// moveCustomerRefs points everything that refers to old at survivor, then
// deletes old and remembers it. References are read from the schema, so a
// table added later moves too; the ones with a unique key are handled first.
func (db *DB) moveCustomerRefs(ctx context.Context, tx *sql.Tx, kind string, old, survivor int64, now string, userID int64) error {
	snap, err := readRows(ctx, tx, "customers", "id = "+strconv.FormatInt(old, 10))
	if err != nil {
		return err
	}
	if len(snap) != 1 {
		return ErrNotFound
	}
	// A campaign that targets both as a company (no contact): the
	// survivor's target keeps the best result, the other's mail follows it.
	rows, err := tx.QueryContext(ctx, `SELECT o.id, s.id FROM campaign_targets o JOIN campaign_targets s
		ON s.campaign_id = o.campaign_id AND s.customer_id = ? AND s.contact_id IS NULL
		WHERE o.customer_id = ? AND o.contact_id IS NULL`, survivor, old)
	if err != nil {
		return err
	}
	var clashes [][2]int64
	for rows.Next() {
		var p [2]int64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			rows.Close()
			return err
		}
		clashes = append(clashes, p)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return err
	}
	for _, p := range clashes {
		for _, q := range []string{
			`UPDATE campaign_targets SET (notified, notified_how, notified_at, attended, head_count, feedback) =
				(SELECT MAX(s.notified, o.notified), CASE WHEN s.notified_how <> '' THEN s.notified_how ELSE o.notified_how END,
				        COALESCE(s.notified_at, o.notified_at), MAX(s.attended, o.attended), MAX(s.head_count, o.head_count),
				        CASE WHEN o.feedback = '' THEN s.feedback WHEN s.feedback = '' THEN o.feedback ELSE s.feedback || char(10) || o.feedback END
				 FROM campaign_targets s, campaign_targets o WHERE s.id = ?2 AND o.id = ?1) WHERE id = ?2`,
			`UPDATE outbox SET target_id = ?2 WHERE target_id = ?1`,
			`DELETE FROM campaign_targets WHERE id = ?1`,
		} {
			if _, err := tx.ExecContext(ctx, q, p[0], p[1]); err != nil {
				return err
			}
		}
	}
	// The survivor's primary contact stays the primary one.
	if _, err := tx.ExecContext(ctx, `UPDATE contacts SET is_primary = 0 WHERE customer_id = ?
		AND EXISTS (SELECT 1 FROM contacts WHERE customer_id = ? AND is_primary = 1)`, old, survivor); err != nil {
		return err
	}
	fks, err := foreignKeys(ctx, tx)
	if err != nil {
		return err
	}
	for _, fk := range fks {
		if fk.ref != "customers" || fk.table == "customer_traits" {
			continue
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE "%s" SET "%s" = ? WHERE "%s" = ?`, fk.table, fk.column, fk.column),
			survivor, old); err != nil {
			return fmt.Errorf("merge: move %s.%s: %w", fk.table, fk.column, err)
		}
	}
	// The history of the merged-away record reads on the survivor.
	if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET entity_id = ? WHERE entity = ? AND entity_id = ?`, survivor, kind, old); err != nil {
		return err
	}
	if err := recordAudit(ctx, tx, now, userID, kind, old, "merged", []Change{{Field: "merged_into",
		New: strconv.FormatInt(survivor, 10)}}); err != nil {
		return err
	}
	data, err := json.Marshal(snap[0].Values)
	if err != nil {
		return err
	}
	v := snap[0].Values
	if _, err := tx.ExecContext(ctx, `INSERT INTO customer_merges (old_id, kind, code, name, survivor_id, data, merged_by, merged_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, old, kind, v["code"], v["name"], survivor, string(data), nullInt(userID), now); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customer_merges SET survivor_id = ? WHERE survivor_id = ?`, survivor, old); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM customers WHERE id = ?`, old); err != nil {
		return fmt.Errorf("merge: remove %d: %w", old, err)
	}
	return enqueue(ctx, tx, kind, old)
}

// refreshLastActivityOf sets a customer's latest activity (date and
// subject) from its records, after records moved or went: with none left,
// there is no date and no text (the text column is NOT NULL, so ”).
func refreshLastActivityOf(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE customers SET
		last_activity_date = (SELECT a.date FROM activities a WHERE a.customer_id = customers.id ORDER BY a.date DESC, a.id DESC LIMIT 1),
		last_activity_content = COALESCE((SELECT a.subject FROM activities a WHERE a.customer_id = customers.id
			ORDER BY a.date DESC, a.id DESC LIMIT 1), '')
		WHERE id = ?`, id)
	return err
}

// MergedInto returns the record that a merged-away record of kind (by id,
// or by code when id is 0) now lives in; ErrNotFound when it was not merged.
func (db *DB) MergedInto(ctx context.Context, kind string, id int64, code string) (int64, error) {
	var survivor int64
	err := db.Read.QueryRowContext(ctx, `SELECT survivor_id FROM customer_merges
		WHERE kind = ? AND (old_id = ? OR (? = 0 AND code = ?)) ORDER BY old_id DESC LIMIT 1`, kind, id, id, code).Scan(&survivor)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return survivor, err
}
