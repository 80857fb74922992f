package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ValueChoice says what a category value found in a file becomes: an
// existing item, a new item created when the import starts, or nothing.
type ValueChoice struct {
	ItemID int64 `json:"item,omitempty"`
	Create bool  `json:"create,omitempty"`
}

// ImportJob is one upload going through the wizard and then the importer.
type ImportJob struct {
	ID            int64
	Kind          string
	FileName      string
	Path          string
	Format        string
	Sheet         string
	HeaderLine    int    // 1-based line of the header; 0 before the file was read
	MergedCells   int    // cells filled from merged cells above them
	Staged        bool   // the file is parsed into import_rows
	DateOrder     string // text dates with the year last: "mdy" or "dmy"
	Sheets        []string
	Encoding      string
	Header        []string
	Mapping       []string                          // field key per column, "" to ignore
	Values        map[string]map[string]ValueChoice // field key → value in the file → choice
	DupMode       string                            // skip, update or create
	MatchBy       []string                          // code, name, phone, email
	Status        string
	Total         int
	Processed     int
	Created       int
	Updated       int
	Skipped       int
	Failed        int
	Error         string
	StartedAt     string
	FinishedAt    string
	CreatedAt     string
	CreatedBy     int64
	CreatedByName string
}

// Percent is how far the import has come, 0–100.
func (j *ImportJob) Percent() int {
	if j.Status == "done" {
		return 100
	}
	if j.Total <= 0 {
		return 0
	}
	return min(100, j.Processed*100/j.Total)
}

// Finished reports whether the job has stopped for good.
func (j *ImportJob) Finished() bool {
	return j.Status == "done" || j.Status == "failed" || j.Status == "cancelled"
}

// Mapped reports whether some column maps to field key.
func (j *ImportJob) Mapped(key string) bool {
	for _, m := range j.Mapping {
		if m == key {
			return true
		}
	}
	return false
}

// ImportResult is the outcome of one row that was not simply created.
type ImportResult struct {
	Row      int
	Outcome  string // updated, skipped, failed
	Reason   string // a message key, or "key|detail"
	RecordID int64
}

const importColumns = `j.id, j.kind, j.file_name, j.path, j.format, j.sheet, j.sheets, j.encoding, j.header, j.mapping, j.value_map,
	j.dup_mode, j.match_by, j.status, j.total, j.processed, j.created, j.updated, j.skipped, j.failed, j.error,
	COALESCE(j.started_at, ''), COALESCE(j.finished_at, ''), j.created_at, j.created_by, u.display_name,
	j.header_line, j.merged_cells, j.staged, j.date_order`

func scanImportJob(row interface{ Scan(...any) error }) (*ImportJob, error) {
	var j ImportJob
	var sheets, header, mapping, values, match string
	err := row.Scan(&j.ID, &j.Kind, &j.FileName, &j.Path, &j.Format, &j.Sheet, &sheets, &j.Encoding, &header, &mapping, &values,
		&j.DupMode, &match, &j.Status, &j.Total, &j.Processed, &j.Created, &j.Updated, &j.Skipped, &j.Failed, &j.Error,
		&j.StartedAt, &j.FinishedAt, &j.CreatedAt, &j.CreatedBy, &j.CreatedByName, &j.HeaderLine, &j.MergedCells, &j.Staged, &j.DateOrder)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	for _, x := range []struct {
		src string
		dst any
	}{{sheets, &j.Sheets}, {header, &j.Header}, {mapping, &j.Mapping}, {values, &j.Values}, {match, &j.MatchBy}} {
		if err := json.Unmarshal([]byte(x.src), x.dst); err != nil {
			return nil, fmt.Errorf("import job %d: %w", j.ID, err)
		}
	}
	if j.Values == nil {
		j.Values = map[string]map[string]ValueChoice{}
	}
	return &j, nil
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain slices and maps are marshalled here
	}
	return string(b)
}

// CreateImportJob records a new upload as a draft.
func (db *DB) CreateImportJob(ctx context.Context, actor Actor, j *ImportJob) error {
	now := db.nowStamp()
	res, err := db.Write.ExecContext(ctx, `INSERT INTO import_jobs (kind, file_name, path, format, sheet, header_line, sheets,
		encoding, header, mapping, match_by, status, created_at, created_by, updated_at, updated_by)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?)`,
		j.Kind, j.FileName, j.Path, j.Format, j.Sheet, j.HeaderLine, mustJSON(j.Sheets), j.Encoding, mustJSON(j.Header),
		mustJSON(j.Mapping), mustJSON(j.MatchBy), now, actor.ID, now, actor.ID)
	if err != nil {
		return err
	}
	j.ID, err = res.LastInsertId()
	j.Status = "draft"
	return err
}

// GetImportJob returns a job its creator (or an admin) may see.
func (db *DB) GetImportJob(ctx context.Context, actor Actor, id int64) (*ImportJob, error) {
	q := `SELECT ` + importColumns + ` FROM import_jobs j JOIN users u ON u.id = j.created_by WHERE j.id = ?`
	args := []any{id}
	if !actor.Can(PermSettingsManage) {
		q += ` AND j.created_by = ?`
		args = append(args, actor.ID)
	}
	return scanImportJob(db.Read.QueryRowContext(ctx, q, args...))
}

// ImportJobs lists the actor's recent jobs (everyone's for an admin).
func (db *DB) ImportJobs(ctx context.Context, actor Actor, limit int) ([]ImportJob, error) {
	q := `SELECT ` + importColumns + ` FROM import_jobs j JOIN users u ON u.id = j.created_by`
	var args []any
	if !actor.Can(PermSettingsManage) {
		q += ` WHERE j.created_by = ?`
		args = append(args, actor.ID)
	}
	q += ` ORDER BY j.id DESC LIMIT ?`
	args = append(args, limit)
	return queryList(ctx, db.Read, q, args, scanImportJob)
}

// SaveImportSetup stores the wizard's choices; only a job not yet started
// can change. Status becomes ready.
func (db *DB) SaveImportSetup(ctx context.Context, actor Actor, j *ImportJob) error {
	if j.DateOrder != "dmy" {
		j.DateOrder = "mdy"
	}
	res, err := db.Write.ExecContext(ctx, `UPDATE import_jobs SET sheet = ?, header_line = ?, merged_cells = ?, header = ?,
		mapping = ?, value_map = ?, dup_mode = ?, match_by = ?, total = ?, date_order = ?, status = 'ready', updated_at = ?,
		updated_by = ? WHERE id = ? AND status IN ('draft', 'ready') AND (created_by = ? OR ? = 'admin')`,
		j.Sheet, j.HeaderLine, j.MergedCells, mustJSON(j.Header), mustJSON(j.Mapping), mustJSON(j.Values), j.DupMode,
		mustJSON(j.MatchBy), j.Total, j.DateOrder, db.nowStamp(), actor.ID, j.ID, actor.ID, string(actor.Role))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	return nil
}

// StartImportJob moves a ready job to running; ErrConflict when it is not
// ready (already started, say, by a double click).
func (db *DB) StartImportJob(ctx context.Context, actor Actor, id int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		res, err := tx.ExecContext(ctx, `UPDATE import_jobs SET status = 'running', started_at = ?, processed = 0, updated_at = ?
			WHERE id = ? AND status = 'ready' AND (created_by = ? OR ? = 'admin')`, now, now, id, actor.ID, string(actor.Role))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrConflict
		}
		return recordAudit(ctx, tx, now, actor.ID, "import", id, "import_start", nil)
	})
}

// ImportCounts are the running totals of a job.
type ImportCounts struct {
	Processed, Created, Updated, Skipped, Failed int
}

// FinishImportJob records the end of a run: done, failed or cancelled.
func (db *DB) FinishImportJob(ctx context.Context, id, by int64, status, errMsg string, n ImportCounts) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE import_jobs SET status = ?, error = ?, processed = ?, created = ?, updated = ?,
			skipped = ?, failed = ?, finished_at = ?, updated_at = ? WHERE id = ?`,
			status, errMsg, n.Processed, n.Created, n.Updated, n.Skipped, n.Failed, now, now, id); err != nil {
			return err
		}
		// The staged lines served the wizard and the run; the report keeps
		// the outcome of every row that was not created.
		if _, err := tx.ExecContext(ctx, `DELETE FROM import_rows WHERE job_id = ?`, id); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, by, "import", id, "import_"+status, []Change{
			{Field: "created", New: strconv.Itoa(n.Created)}, {Field: "updated", New: strconv.Itoa(n.Updated)},
			{Field: "skipped", New: strconv.Itoa(n.Skipped)}, {Field: "failed", New: strconv.Itoa(n.Failed)},
		})
	})
}

// FailInterruptedImports marks jobs left running by a stopped process as
// failed: their finished batches are in, the rest is not.
func (db *DB) FailInterruptedImports(ctx context.Context) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE import_jobs SET status = 'failed', error = 'import.interrupted', finished_at = ?
		WHERE status = 'running'`, db.nowStamp())
	return err
}

// SetImportProgress stores how far phase one (checking) has come.
func (db *DB) SetImportProgress(ctx context.Context, id int64, n ImportCounts) error {
	_, err := db.Write.ExecContext(ctx, `UPDATE import_jobs SET processed = ?, created = ?, updated = ?, skipped = ?, failed = ?
		WHERE id = ?`, n.Processed, n.Created, n.Updated, n.Skipped, n.Failed, id)
	return err
}

// AddImportResults stores row outcomes (outside any batch: failed checks).
func (db *DB) AddImportResults(ctx context.Context, jobID int64, results []ImportResult) error {
	if len(results) == 0 {
		return nil
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error { return addImportResults(ctx, tx, jobID, results) })
}

func addImportResults(ctx context.Context, tx *sql.Tx, jobID int64, results []ImportResult) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO import_results (job_id, row_no, outcome, reason, record_id) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range results {
		if _, err := stmt.ExecContext(ctx, jobID, r.Row, r.Outcome, r.Reason, nullInt(r.RecordID)); err != nil {
			return err
		}
	}
	return nil
}

// ImportResults returns a job's row outcomes in row order (limit < 0: all).
func (db *DB) ImportResults(ctx context.Context, jobID int64, limit int) ([]ImportResult, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT row_no, outcome, reason, COALESCE(record_id, 0) FROM import_results
		WHERE job_id = ? ORDER BY row_no LIMIT ?`, jobID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ImportResult
	for rows.Next() {
		var r ImportResult
		if err := rows.Scan(&r.Row, &r.Outcome, &r.Reason, &r.RecordID); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// CreateImportValues creates the category items a job chose to create and
// rewrites its value map to point at them. Items that exist by then (same
// name) are reused.
func (db *DB) CreateImportValues(ctx context.Context, actor Actor, j *ImportJob) error {
	aux, err := db.AuxLookupFor(ctx, "zh")
	if err != nil {
		return err
	}
	for field, values := range j.Values {
		f, ok := ImportFieldByKey(j.Kind, field)
		if !ok || f.AuxType == "" {
			continue
		}
		for v, choice := range values {
			if !choice.Create {
				continue
			}
			if !actor.CreatesAuxItems() {
				values[v] = ValueChoice{} // leave empty: only admins add items
				continue
			}
			if id := aux.MatchAuxValue(f.AuxType, v); id != 0 {
				values[v] = ValueChoice{ItemID: id}
				continue
			}
			item := AuxItem{Type: f.AuxType, Code: importCode(v), NameZH: truncateRunes(v, AuxItemMaxLen["name_zh"]), Active: true, SortOrder: 1000}
			for attempt := 0; ; attempt++ {
				err := db.SaveAuxItem(ctx, actor.ID, &item)
				if errors.Is(err, ErrConflict) && attempt < 20 {
					item.ID, item.Code = 0, fmt.Sprintf("%s-%d", importCode(v), attempt+2)
					continue
				}
				if err != nil {
					return err
				}
				break
			}
			values[v] = ValueChoice{ItemID: item.ID}
		}
	}
	return nil
}

// importCode derives an item code from a name: ASCII letters and digits
// kept, anything else hashed into a short stable suffix.
func importCode(name string) string {
	var b strings.Builder
	var h uint32 = 2166136261
	for _, r := range name {
		h = (h ^ uint32(r)) * 16777619
		if r < 128 && (r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') && b.Len() < 10 {
			b.WriteRune(r)
		}
	}
	return fmt.Sprintf("%sI%05X", strings.ToUpper(b.String()), h&0xFFFFF)
}

// DupIndex finds existing records by code, name (its NameKey), phone and e-mail, for
// duplicate handling during an import. Rows created by the import are added
// as they commit, so a file's own repeats are caught too.
type DupIndex struct {
	ByCode, ByName, ByPhone, ByEmail map[string]int64
	Owner                            map[int64]int64
}

// NewDupIndex loads every live record of kind ("customer" or "prospect").
func (db *DB) NewDupIndex(ctx context.Context, kind string) (*DupIndex, error) {
	ix := &DupIndex{ByCode: map[string]int64{}, ByName: map[string]int64{}, ByPhone: map[string]int64{},
		ByEmail: map[string]int64{}, Owner: map[int64]int64{}}
	rows, err := db.Read.QueryContext(ctx, `SELECT id, code, name, phone, email, owner_id FROM customers
		WHERE kind = ? AND status <> 'converted' ORDER BY id`, kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id, owner int64
		var code, name, phone, email string
		if err := rows.Scan(&id, &code, &name, &phone, &email, &owner); err != nil {
			return nil, err
		}
		ix.Add(id, owner, code, name, phone, email)
	}
	return ix, rows.Err()
}

// Add remembers a record; the first record with a key wins.
func (ix *DupIndex) Add(id, owner int64, code, name, phone, email string) {
	for _, p := range []struct {
		m map[string]int64
		k string
	}{{ix.ByCode, code}, {ix.ByName, NameKey(name)}, {ix.ByPhone, phone}, {ix.ByEmail, strings.ToLower(email)}} {
		if p.k == "" {
			continue
		}
		if _, ok := p.m[p.k]; !ok {
			p.m[p.k] = id
		}
	}
	ix.Owner[id] = owner
}

// Match returns the first record matching c by the given keys, and which key.
func (ix *DupIndex) Match(c *Customer, by []string) (int64, string) {
	for _, key := range by {
		var id int64
		switch key {
		case "code":
			id = ix.ByCode[c.Code]
		case "name":
			if k := NameKey(c.Name); k != "" {
				id = ix.ByName[k]
			}
		case "phone":
			if c.Phone != "" {
				id = ix.ByPhone[c.Phone]
			}
		case "email":
			if c.Email != "" {
				id = ix.ByEmail[strings.ToLower(c.Email)]
			}
		}
		if id != 0 {
			return id, key
		}
	}
	return 0, ""
}

// ImportRow is one checked row ready to be written.
type ImportRow struct {
	Row      int
	Action   string // create or update
	Customer Customer
	Contact  Contact  // customer imports: an optional first contact; contact imports: the contact
	TargetID int64    // update: the record (customer or contact) to update
	Warnings []string // "key|field|escaped original" for values left empty
}

// ImportBatch writes a batch of rows in one transaction: all of them or,
// on an error, none. It returns the ids created (or updated), in order.
func (db *DB) ImportBatch(ctx context.Context, actor Actor, kind string, rows []ImportRow) ([]int64, error) {
	ids := make([]int64, len(rows))
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		for i := range rows {
			r := &rows[i]
			var err error
			switch {
			case kind == "contact":
				ids[i], err = db.importContact(ctx, tx, actor, r)
			case r.Action == "update":
				ids[i], err = db.importUpdateCustomer(ctx, tx, actor, r)
			default:
				var contacts []Contact
				if r.Contact.Name != "" {
					r.Contact.IsPrimary = true
					contacts = []Contact{r.Contact}
				}
				err = db.CreateCustomerTx(ctx, tx, actor, &r.Customer, contacts)
				ids[i] = r.Customer.ID
			}
			if err != nil {
				return fmt.Errorf("row %d: %w", r.Row, err)
			}
		}
		return nil
	})
	return ids, err
}

// importUpdateCustomer overlays the row's non-empty values on the record.
func (db *DB) importUpdateCustomer(ctx context.Context, tx *sql.Tx, actor Actor, r *ImportRow) (int64, error) {
	cur, err := db.getCustomer(ctx, tx, actor, r.Customer.Kind, r.TargetID)
	if err != nil {
		return 0, err
	}
	n := r.Customer
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setID := func(dst *int64, v int64) {
		if v != 0 {
			*dst = v
		}
	}
	set(&cur.Name, n.Name)
	set(&cur.ShortName, n.ShortName)
	set(&cur.Address, n.Address)
	set(&cur.Phone, n.Phone)
	set(&cur.Email, n.Email)
	set(&cur.Website, n.Website)
	set(&cur.Notes, n.Notes)
	setID(&cur.IndustryID, n.IndustryID)
	setID(&cur.SourceID, n.SourceID)
	setID(&cur.GradeID, n.GradeID)
	setID(&cur.RegionID, n.RegionID)
	setID(&cur.StageID, n.StageID)
	setID(&cur.OwnerID, n.OwnerID)
	if len(n.TraitIDs) > 0 {
		cur.TraitIDs = n.TraitIDs
	}
	if err := db.updateCustomerTx(ctx, tx, actor, cur); err != nil {
		return 0, err
	}
	if r.Contact.Name != "" {
		var exists int
		err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE customer_id = ? AND name = ?`, cur.ID, r.Contact.Name).Scan(&exists)
		if err != nil {
			return 0, err
		}
		if exists == 0 {
			r.Contact.CustomerID = cur.ID
			if err := db.insertContact(ctx, tx, actor, &r.Contact); err != nil {
				return 0, err
			}
		}
	}
	return cur.ID, nil
}

func (db *DB) importContact(ctx context.Context, tx *sql.Tx, actor Actor, r *ImportRow) (int64, error) {
	k := r.Contact
	kind, err := db.customerEditable(ctx, tx, actor, k.CustomerID)
	if err != nil {
		return 0, err
	}
	if r.Action == "update" {
		k.ID = r.TargetID
		_, err := tx.ExecContext(ctx, `UPDATE contacts SET name = ?, title = CASE WHEN ? <> '' THEN ? ELSE title END,
			phone = CASE WHEN ? <> '' THEN ? ELSE phone END, mobile = CASE WHEN ? <> '' THEN ? ELSE mobile END,
			email = CASE WHEN ? <> '' THEN ? ELSE email END, birthday = COALESCE(?, birthday), updated_at = ?, updated_by = ?,
			name_py = ? WHERE id = ? AND customer_id = ?`, k.Name, k.Title, k.Title, k.Phone, k.Phone, k.Mobile, k.Mobile, k.Email, k.Email,
			nullStr(k.Birthday), db.nowStamp(), nullInt(actor.ID), PinyinSearchForms(k.Name), k.ID, k.CustomerID)
		if err != nil {
			return 0, err
		}
		if err := enqueue(ctx, tx, "contact", k.ID); err != nil {
			return 0, err
		}
		return k.ID, recordAudit(ctx, tx, db.nowStamp(), actor.ID, kind, k.CustomerID, "update", []Change{{Field: "contact.name", New: k.Name}})
	}
	if err := db.insertContact(ctx, tx, actor, &k); err != nil {
		return 0, err
	}
	return k.ID, recordAudit(ctx, tx, db.nowStamp(), actor.ID, kind, k.CustomerID, "contact_add", []Change{{Field: "contact", New: k.Name}})
}

// ContactTarget is a customer that a contact import may attach to.
type ContactTarget struct {
	CustomerID int64
	Contacts   map[string]int64 // existing contacts by name, mobile and e-mail
}

// ContactTargets loads, for a contact import, the customers and prospects
// the actor may edit, by code and by name.
func (db *DB) ContactTargets(ctx context.Context, actor Actor) (byCode, byName map[string]int64, err error) {
	byCode, byName = map[string]int64{}, map[string]int64{}
	if !actor.EditsCustomers() {
		return byCode, byName, nil
	}
	q := `SELECT id, code, name FROM customers WHERE status <> 'converted'`
	var args []any
	q += actor.ownerAnd(ModCustomers, "owner_id")
	rows, err := db.Read.QueryContext(ctx, q+` ORDER BY kind, id`, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var code, name string
		if err := rows.Scan(&id, &code, &name); err != nil {
			return nil, nil, err
		}
		byCode[code] = id
		if _, ok := byName[name]; !ok {
			byName[name] = id
		}
	}
	return byCode, byName, rows.Err()
}

// ExistingContacts maps "customerID|key" (name, mobile, lower-case e-mail)
// to contact ids, for duplicate handling of contact imports.
func (db *DB) ExistingContacts(ctx context.Context) (map[string]int64, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, customer_id, name, mobile, email FROM contacts ORDER BY id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id, cid int64
		var name, mobile, email string
		if err := rows.Scan(&id, &cid, &name, &mobile, &email); err != nil {
			return nil, err
		}
		AddContactKeys(out, id, cid, name, mobile, email)
	}
	return out, rows.Err()
}

// ContactKeyPrefix scopes contact keys to their customer.
func ContactKeyPrefix(customerID int64) string { return strconv.FormatInt(customerID, 10) + "|" }

// AddContactKeys remembers a contact under each of its keys.
func AddContactKeys(m map[string]int64, id, customerID int64, name, mobile, email string) {
	for _, k := range []string{"n:" + name, "m:" + mobile, "e:" + strings.ToLower(email)} {
		if len(k) > 2 {
			key := ContactKeyPrefix(customerID) + k
			if _, ok := m[key]; !ok {
				m[key] = id
			}
		}
	}
}
