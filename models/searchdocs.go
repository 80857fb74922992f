package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// SearchKinds are the kinds of record the search index holds, in the order
// results are grouped.
var SearchKinds = []string{"customer", "prospect", "contact", "issue", "article"}

// SearchDoc is what the search index keeps of one record: the text to find
// it by and the little that a result line shows. The index is derived data;
// this is read fresh from the tables whenever the record changes.
type SearchDoc struct {
	Kind   string
	ID     int64
	Title  string   // name or subject
	Text   string   // the body text
	Keys   []string // codes, phone numbers, e-mail addresses, names: found by prefix
	Owner  int64    // owner of the customer it belongs to; 0 for knowledge articles
	Status string
	Code   string
	Sub    string // a short line under the title: code, customer name
	// Parent is the card a contact opens on: its customer or prospect.
	ParentKind string
	ParentID   int64
	// Keywords are an article's words for finding it (the service
	// manager's tool: the words customers use); "" for other kinds.
	Keywords string
	// Date is when the record came in (RFC 3339, UTC): an issue's
	// reported time, the others' creation; the search's after:/before:
	// filters read it.
	Date string
}

// SearchRef names one indexed record.
type SearchRef struct {
	Kind string
	ID   int64
}

// QueueItem is one pending change for the search index.
type QueueItem struct {
	Seq int64
	SearchRef
}

// enqueue records, in the caller's transaction, that the index must re-read
// these records. If the transaction rolls back, so does the queue row; if the
// process dies after the commit, the row is still there at the next start.
func enqueue(ctx context.Context, tx *sql.Tx, kind string, ids ...int64) error {
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_queue (kind, ref_id) VALUES (?, ?)`, kind, id); err != nil {
			return fmt.Errorf("queue %s %d for the index: %w", kind, id, err)
		}
	}
	return nil
}

// enqueueCustomerTree queues a customer or prospect together with the
// records whose index entry carries its name or owner: its contacts and
// issues.
func enqueueCustomerTree(ctx context.Context, tx *sql.Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO search_queue (kind, ref_id)
		SELECT kind, id FROM customers WHERE id = ?1
		UNION ALL SELECT 'contact', id FROM contacts WHERE customer_id = ?1
		UNION ALL SELECT 'issue', id FROM issues WHERE customer_id = ?1`, id)
	if err != nil {
		return fmt.Errorf("queue customer %d for the index: %w", id, err)
	}
	return nil
}

// QueuedChanges returns the oldest pending index changes.
func (db *DB) QueuedChanges(ctx context.Context, limit int) ([]QueueItem, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, kind, ref_id FROM search_queue ORDER BY id LIMIT ?`, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []QueueItem
	for rows.Next() {
		var q QueueItem
		if err := rows.Scan(&q.Seq, &q.Kind, &q.ID); err != nil {
			return nil, err
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// DeleteQueued removes the queue rows up to and including seq, once the
// index has applied them.
func (db *DB) DeleteQueued(ctx context.Context, seq int64) error {
	_, err := db.Write.ExecContext(ctx, `DELETE FROM search_queue WHERE id <= ?`, seq)
	return err
}

// QueueState returns the number of pending changes and the newest one's seq.
func (db *DB) QueueState(ctx context.Context) (pending int, last int64, err error) {
	err = db.Read.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(id), 0) FROM search_queue`).Scan(&pending, &last)
	return pending, last, err
}

// CountSearchDocs counts the records a full rebuild indexes.
func (db *DB) CountSearchDocs(ctx context.Context) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT (SELECT COUNT(*) FROM customers) + (SELECT COUNT(*) FROM contacts)
		+ (SELECT COUNT(*) FROM issues) + (SELECT COUNT(*) FROM articles)`).Scan(&n)
	return n, err
}

// searchDocSQL selects the columns of SearchDoc for one kind; "%s" is
// replaced by the extra WHERE condition.
var searchDocSQL = map[string]string{
	"customer": `SELECT c.id, c.kind, c.name, c.short_name || ' ' || c.address || ' ' || c.notes || ' ' || c.last_activity_content || ' ' ||
			COALESCE((SELECT group_concat(f.name, ' ') FROM attachments f WHERE f.customer_id = c.id), ''),
		c.code, c.short_name, c.phone, c.email, '', c.owner_id, c.status, c.code, c.code, '', 0, c.created_at, ''
		FROM customers c WHERE c.kind = 'customer' AND %s ORDER BY c.id`,
	"prospect": `SELECT c.id, c.kind, c.name, c.short_name || ' ' || c.address || ' ' || c.notes || ' ' || c.last_activity_content || ' ' ||
			COALESCE((SELECT group_concat(f.name, ' ') FROM attachments f WHERE f.customer_id = c.id), ''),
		c.code, c.short_name, c.phone, c.email, '', c.owner_id, c.status, c.code, c.code, '', 0, c.created_at, ''
		FROM customers c WHERE c.kind = 'prospect' AND %s ORDER BY c.id`,
	"contact": `SELECT k.id, 'contact', k.name, k.title || ' ' || c.name || ' ' ||
			COALESCE((SELECT group_concat(f.name, ' ') FROM attachments f WHERE f.contact_id = k.id), ''),
		k.name, k.mobile, k.phone, k.email, '', c.owner_id, '', '', c.name, c.kind, c.id, k.created_at, ''
		FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE %s ORDER BY k.id`,
	"issue": `SELECT i.id, 'issue', i.subject, i.description || ' ' ||
			COALESCE((SELECT group_concat(h.content || ' ' || h.result, ' ') FROM issue_handlings h WHERE h.issue_id = i.id), '') || ' ' ||
			COALESCE((SELECT group_concat(f.name, ' ') FROM attachments f WHERE f.issue_id = i.id
				OR f.handling_id IN (SELECT h.id FROM issue_handlings h WHERE h.issue_id = i.id)), ''),
		i.code, c.name, '', '', '', c.owner_id, i.status, i.code, i.code || ' · ' || c.name, '', 0, i.reported_at, ''
		FROM issues i JOIN customers c ON c.id = i.customer_id WHERE %s ORDER BY i.id`,
	"article": `SELECT a.id, 'article', a.title, a.symptom || ' ' || a.solution || ' ' ||
			COALESCE((SELECT group_concat(f.name, ' ') FROM attachments f WHERE f.article_id = a.id), ''),
		a.code, '', '', '', '', 0, 'c' || COALESCE(a.category_id, 0), a.code, a.code, '', 0, a.created_at, a.keywords
		FROM articles a WHERE %s ORDER BY a.id`,
}

var searchIDColumn = map[string]string{"customer": "c.id", "prospect": "c.id", "contact": "k.id", "issue": "i.id", "article": "a.id"}

func scanSearchDoc(rows *sql.Rows) (SearchDoc, error) {
	var d SearchDoc
	var k1, k2, k3, k4, k5 string
	err := rows.Scan(&d.ID, &d.Kind, &d.Title, &d.Text, &k1, &k2, &k3, &k4, &k5, &d.Owner, &d.Status, &d.Code, &d.Sub,
		&d.ParentKind, &d.ParentID, &d.Date, &d.Keywords)
	for _, k := range []string{k1, k2, k3, k4, k5} {
		if k = strings.TrimSpace(k); k != "" {
			d.Keys = append(d.Keys, k)
		}
	}
	d.Text = strings.TrimSpace(d.Text)
	return d, err
}

// SearchDocs reads the current state of the listed records of one kind.
// Records that no longer exist are simply absent from the result: the
// caller removes them from the index.
func (db *DB) SearchDocs(ctx context.Context, kind string, ids []int64) ([]SearchDoc, error) {
	q, ok := searchDocSQL[kind]
	if !ok {
		return nil, fmt.Errorf("search docs: unknown kind %q", kind)
	}
	if len(ids) == 0 {
		return nil, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := db.Read.QueryContext(ctx, fmt.Sprintf(q, searchIDColumn[kind]+" IN ("+placeholders(len(ids))+")"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []SearchDoc
	for rows.Next() {
		d, err := scanSearchDoc(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// EachSearchDoc streams every record of one kind with an id above after, in
// id order, for a full rebuild. fn returning an error stops the walk.
func (db *DB) EachSearchDoc(ctx context.Context, kind string, after int64, limit int, fn func(SearchDoc) error) error {
	q, ok := searchDocSQL[kind]
	if !ok {
		return fmt.Errorf("search docs: unknown kind %q", kind)
	}
	rows, err := db.Read.QueryContext(ctx, fmt.Sprintf(q, searchIDColumn[kind]+" > ?")+" LIMIT ?", after, limit)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanSearchDoc(rows)
		if err != nil {
			return err
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	return rows.Err()
}

// The kind is tested with a unary plus: without it SQLite walked the index
// of (kind, owner, status, latest activity) over every customer (9 ms at
// 100,000, most of a search) instead of looking the page's ids up.
// visibleSQL finds which of a list of ids of one kind exist; the row rule
// of the module on the owner column (if any) keeps those the actor may see.
var visibleSQL = map[string]struct {
	query  string
	module Module
	owner  string
}{
	"customer": {`SELECT c.id FROM customers c WHERE c.id IN (%s) AND +c.kind = 'customer'`, ModCustomers, "c.owner_id"},
	"prospect": {`SELECT c.id FROM customers c WHERE c.id IN (%s) AND +c.kind = 'prospect'`, ModCustomers, "c.owner_id"},
	"contact":  {`SELECT k.id FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE k.id IN (%s)`, ModCustomers, "c.owner_id"},
	"issue":    {`SELECT i.id FROM issues i JOIN customers c ON c.id = i.customer_id WHERE i.id IN (%s)`, ModService, "c.owner_id"},
	"article":  {`SELECT a.id FROM articles a WHERE a.id IN (%s)`, ModService, ""},
}

// VisibleSearchRefs keeps the refs that exist and that actor may see. Search
// hits pass through here, so the role rules hold even where the index lags
// behind the database.
func (db *DB) VisibleSearchRefs(ctx context.Context, actor Actor, refs []SearchRef) (map[SearchRef]bool, error) {
	byKind := map[string][]string{}
	for _, r := range refs {
		if _, ok := visibleSQL[r.Kind]; ok {
			byKind[r.Kind] = append(byKind[r.Kind], strconv.FormatInt(r.ID, 10)) // integers only: safe to inline
		}
	}
	out := make(map[SearchRef]bool, len(refs))
	if len(byKind) == 0 {
		return out, nil
	}
	query, args := visibleSearchSQL(actor, byKind)
	rows, err := db.Read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r SearchRef
		if err := rows.Scan(&r.Kind, &r.ID); err != nil {
			return nil, err
		}
		out[r] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// visibleSearchSQL is VisibleSearchRefs' statement for the ids of each kind.
func visibleSearchSQL(actor Actor, byKind map[string][]string) (string, []any) {
	// One statement for all kinds: a page of hits costs one round trip.
	var parts []string
	var args []any
	for _, kind := range SearchKinds {
		ids, ok := byKind[kind]
		if !ok {
			continue
		}
		q := visibleSQL[kind]
		part := strings.Replace(fmt.Sprintf(q.query, strings.Join(ids, ",")), "SELECT ", "SELECT '"+kind+"', ", 1)
		if q.owner != "" {
			part += actor.ownerAnd(q.module, q.owner)
		}
		parts = append(parts, part)
	}
	return strings.Join(parts, " UNION ALL "), args
}
