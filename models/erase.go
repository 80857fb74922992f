package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
)

// Erasure on request (PIPL 个人信息删除). An admin erases a person for good:
// a contact, or a customer or prospect with all its contacts. Their personal
// fields are replaced by a marker everywhere they were copied — the records,
// campaign target lists, the outbox (address, name, bodies), the history,
// the webhook events, staged import rows, the recycle bin — while the business records
// (activities, issues, opportunities) stay, so reports count as before. The
// erasure is written into the record's history with its code and no
// personal data. Mail files on disk are the caller's to remove (the
// returned addresses), after the commit.

// ErasedMarker replaces erased personal text.
const ErasedMarker = "[已删除个人信息]"

// Erasure is what an erasure found and removed.
type Erasure struct {
	Code   string
	Emails []string // the addresses erased: mail files that hold them must go too
}

type erasePerson struct{ name, title, phone, mobile, email string }

// ErasePerson erases kind ("customer", "prospect" or "contact") id. Only
// admins may; anyone else gets ErrNotFound. Erasing twice is harmless.
func (db *DB) ErasePerson(ctx context.Context, actor Actor, kind string, id int64) (*Erasure, error) {
	if !actor.Can(PermSettingsManage) {
		return nil, ErrNotFound
	}
	out := &Erasure{}
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		var customerID int64
		var customerKind string
		var people []erasePerson
		var contactIDs []int64
		var names []string // free text to replace in this record's own copies
		switch kind {
		case "customer", "prospect":
			var c erasePerson
			var address, notes string
			err := tx.QueryRowContext(ctx, `SELECT code, name, phone, email, address, notes FROM customers WHERE id = ? AND kind = ?`,
				id, kind).Scan(&out.Code, &c.name, &c.phone, &c.email, &address, &notes)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
			customerID, customerKind = id, kind
			people = append(people, c)
			names = append(names, c.name, address, notes)
			rows, err := tx.QueryContext(ctx, `SELECT id, name, title, phone, mobile, email FROM contacts WHERE customer_id = ?`, id)
			if err != nil {
				return err
			}
			for rows.Next() {
				var k erasePerson
				var cid int64
				if err := rows.Scan(&cid, &k.name, &k.title, &k.phone, &k.mobile, &k.email); err != nil {
					rows.Close()
					return err
				}
				contactIDs, people = append(contactIDs, cid), append(people, k)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			erased := ErasedMarker + " " + out.Code
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET name = ?, short_name = '', phone = '', email = '', address = '',
				website = '', notes = '', last_activity_content = '', name_pinyin = ?, name_py = ? WHERE id = ?`,
				erased, PinyinSortKey(erased), PinyinSearchForms(erased), id); err != nil {
				return err
			}
		case "contact":
			var k erasePerson
			err := tx.QueryRowContext(ctx, `SELECT k.customer_id, c.kind, c.code, k.name, k.title, k.phone, k.mobile, k.email
				FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE k.id = ?`, id).
				Scan(&customerID, &customerKind, &out.Code, &k.name, &k.title, &k.phone, &k.mobile, &k.email)
			if errors.Is(err, sql.ErrNoRows) {
				return ErrNotFound
			}
			if err != nil {
				return err
			}
			contactIDs, people = []int64{id}, []erasePerson{k}
		default:
			return ErrNotFound
		}
		if len(contactIDs) > 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE contacts SET name = ?, title = '', phone = '', mobile = '', email = '',
				birthday = NULL, name_py = ? WHERE id IN (`+idList(contactIDs)+`)`, ErasedMarker, PinyinSearchForms(ErasedMarker)); err != nil {
				return err
			}
		}
		// Distinctive values (addresses, phone numbers) are replaced in every
		// text column of every table: wherever they were copied, they are
		// this person's. Names are replaced only in this record's own copies
		// below, since another person may share a name.
		var distinct []string
		for _, p := range people {
			names = append(names, p.name, p.title)
			for _, v := range []string{p.email, p.phone, p.mobile} {
				if len([]rune(strings.TrimSpace(v))) >= 6 {
					distinct = append(distinct, strings.TrimSpace(v))
				}
			}
			if p.email != "" {
				out.Emails = append(out.Emails, p.email)
			}
		}
		// The suppression list keys on the address itself: the erased
		// address leaves it (with no address left, nothing can be mailed).
		for _, e := range out.Emails {
			if _, err := tx.ExecContext(ctx, `DELETE FROM mail_suppressions WHERE lower(email) = lower(?)`, e); err != nil {
				return err
			}
		}
		if err := scrubEverywhere(ctx, tx, distinct); err != nil {
			return err
		}
		// This record's own copies: its campaign targets and their mail,
		// its history, the staged import rows it came from.
		targets := `SELECT id FROM campaign_targets WHERE customer_id = ?1` + map[bool]string{true: ` OR contact_id IN (` + idList(contactIDs) + `)`, false: ``}[len(contactIDs) > 0]
		if kind != "contact" {
			if _, err := tx.ExecContext(ctx, `UPDATE campaign_targets SET name = ?2, email = '' WHERE customer_id = ?1`, customerID, ErasedMarker); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, `UPDATE campaign_targets SET name = ?2, email = '' WHERE contact_id = ?1`, id, ErasedMarker); err != nil {
			return err
		}
		for _, n := range names {
			n = strings.TrimSpace(n)
			if n == "" {
				continue
			}
			for _, q := range []string{
				`UPDATE outbox SET to_name = REPLACE(to_name, ?2, ?3), subject = REPLACE(subject, ?2, ?3), body_text = REPLACE(body_text, ?2, ?3),
					body_html = REPLACE(body_html, ?2, ?3) WHERE target_id IN (` + targets + `)`,
				`UPDATE audit_log SET changes = REPLACE(changes, ?2, ?3) WHERE entity IN ('customer', 'prospect') AND entity_id = ?1`,
				// Webhook events about the record (its contacts' too) carry names.
				`UPDATE webhook_deliveries SET data = REPLACE(data, ?2, ?3) WHERE json_extract(data, '$.type') IN ('customer', 'prospect')
					AND json_extract(data, '$.id') = ?1`,
				`UPDATE import_rows SET cells = REPLACE(cells, ?2, ?3) WHERE (job_id, line) IN
					(SELECT job_id, row_no FROM import_results WHERE record_id = ?1)`,
				`UPDATE comments SET body = REPLACE(body, ?2, ?3) WHERE customer_id = ?1`,
				`UPDATE comment_versions SET body = REPLACE(body, ?2, ?3) WHERE comment_id IN (SELECT id FROM comments WHERE customer_id = ?1)`,
			} {
				if _, err := tx.ExecContext(ctx, q, customerID, n, ErasedMarker); err != nil {
					return err
				}
			}
		}
		// The record's own history: every personal value it ever had, old
		// ones included, not only those it has now.
		if err := scrubHistory(ctx, tx, customerID); err != nil {
			return err
		}
		// The person's files (a scanned ID card, a signed contract) go:
		// the rows here, the content when the caller cleans up unused files.
		fileCond := `customer_id = ?1`
		if kind == "contact" {
			fileCond = `0`
		}
		if len(contactIDs) > 0 {
			fileCond += ` OR contact_id IN (` + idList(contactIDs) + `)`
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM attachments WHERE `+fileCond, customerID); err != nil {
			return err
		}
		// Deleted records of this person in the recycle bin go for good.
		if _, err := tx.ExecContext(ctx, `DELETE FROM trash WHERE id IN (SELECT t.id FROM trash t, json_each(t.data, '$.rows') r
			WHERE (json_extract(r.value, '$.t') = 'contacts' AND json_extract(r.value, '$.v.customer_id') = ?1)
			   OR (json_extract(r.value, '$.t') = 'customers' AND json_extract(r.value, '$.v.id') = ?1))`, customerID); err != nil {
			return err
		}
		// Records merged into this one keep a JSON copy with their personal
		// fields (customer_merges): the copy goes; the redirect stays.
		if kind != "contact" {
			if _, err := tx.ExecContext(ctx, `UPDATE customer_merges SET name = ?2, data = '{}' WHERE survivor_id = ?1 OR old_id = ?1`,
				customerID, ErasedMarker); err != nil {
				return err
			}
		}
		if err := enqueueCustomerTree(ctx, tx, customerID); err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), actor.ID, customerKind, customerID, "erase",
			[]Change{{Field: "code", New: out.Code}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// scrubEverywhere replaces each value in every text column of every table.
func scrubEverywhere(ctx context.Context, tx *sql.Tx, values []string) error {
	if len(values) == 0 {
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c
		WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT IN ('schema_version', 'sessions')
		  AND (upper(c.type) LIKE '%TEXT%' OR c.type = '')`)
	if err != nil {
		return err
	}
	type col struct{ table, name string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.name); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, v := range values {
		for _, c := range cols {
			q := `UPDATE "` + c.table + `" SET "` + c.name + `" = REPLACE("` + c.name + `", ?1, ?2) WHERE instr("` + c.name + `", ?1) > 0`
			if _, err := tx.ExecContext(ctx, q, v, ErasedMarker); err != nil {
				if isConstraint(err) { // a unique column (message ids, tokens) never holds personal data
					continue
				}
				return err
			}
		}
	}
	return nil
}

// personalFields are the history's fields that hold personal data.
var personalFields = map[string]bool{"name": true, "short_name": true, "phone": true, "email": true, "address": true,
	"website": true, "notes": true, "contact": true, "title": true, "mobile": true, "birthday": true, "contact_name": true}

// scrubHistory replaces the personal values in a customer's history.
func scrubHistory(ctx context.Context, tx *sql.Tx, customerID int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT id, changes FROM audit_log WHERE entity IN ('customer', 'prospect') AND entity_id = ?`, customerID)
	if err != nil {
		return err
	}
	type entry struct {
		id      int64
		changes string
	}
	var list []entry
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.id, &e.changes); err != nil {
			rows.Close()
			return err
		}
		list = append(list, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, e := range list {
		var changes []Change
		if err := json.Unmarshal([]byte(e.changes), &changes); err != nil {
			return err
		}
		dirty := false
		for i := range changes {
			if !personalFields[changes[i].Field] {
				continue
			}
			for _, v := range []*string{&changes[i].Old, &changes[i].New} {
				if *v != "" && *v != ErasedMarker {
					*v, dirty = ErasedMarker, true
				}
			}
		}
		if !dirty {
			continue
		}
		b, err := json.Marshal(changes)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE audit_log SET changes = ? WHERE id = ?`, string(b), e.id); err != nil {
			return err
		}
	}
	return nil
}
