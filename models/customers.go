package models

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Customer is a customer or a prospect (Kind tells which).
type Customer struct {
	ID                  int64
	Kind                string // "customer" or "prospect"
	Code                string
	Name                string
	ShortName           string
	IndustryID          int64
	SourceID            int64
	GradeID             int64
	RegionID            int64
	StageID             int64
	TraitIDs            []int64
	Address             string
	Phone               string
	Email               string
	Website             string
	OwnerID             int64
	OwnerName           string
	Status              string
	Notes               string
	ConvertedToID       int64
	LastActivityDate    string
	LastActivityContent string
	CreatedAt           string
	UpdatedAt           string
	CreatedByName       string
	UpdatedByName       string
}

// Contact is a person at a customer.
type Contact struct {
	ID         int64
	CustomerID int64
	Name       string
	Title      string
	Phone      string
	Mobile     string
	Email      string
	Birthday   string
	IsPrimary  bool
}

// CustomerStatuses are the statuses a user may set; "converted" is only set
// by converting a prospect.
var CustomerStatuses = []string{"active", "inactive"}

// CustomerFilter selects and orders a customer or prospect list. Every field
// comes from the query string; only whitelisted values reach SQL.
type CustomerFilter struct {
	Kind       string
	Q          string
	IndustryID int64
	SourceID   int64
	GradeID    int64
	RegionID   int64
	StageID    int64
	TraitID    int64
	OwnerID    int64
	Status     string
	// LastFrom and LastTo bound the latest activity date (YYYY-MM-DD); a
	// record with no activity counts as before any date.
	LastFrom string
	LastTo   string
	Sort     string
	Desc     bool
	Page     int
	PerPage  int
	IDs      []int64 // restrict to these rows (ticked rows for a batch action)
}

// customerSorts maps the sort names a URL may carry to ORDER BY terms.
var customerSorts = map[string]string{
	"name":     "c.name_pinyin", // pinyin order (models/pinyin.go)
	"code":     "c.code",
	"updated":  "c.updated_at",
	"created":  "c.id",
	"activity": "c.last_activity_date",
	"owner":    "c.owner_id",
}

// CustomerSortKeys lists the accepted sort names.
var CustomerSortKeys = []string{"name", "code", "updated", "created", "activity", "owner"}

// ValidCustomerSort reports whether s is a known sort name.
func ValidCustomerSort(s string) bool { _, ok := customerSorts[s]; return ok }

// where builds the WHERE clause shared by the list, count, export and batch
// queries, including the row rule for salespeople.
func (f CustomerFilter) where(actor Actor) (string, []any) {
	var w where
	w.add("c.kind = ?", f.Kind)
	w.owner(actor, ModCustomers, "c.owner_id")
	for _, c := range f.categories() {
		w.eq(c.column, c.id)
	}
	w.eq("c.owner_id", f.OwnerID)
	if f.TraitID != 0 {
		w.add("EXISTS (SELECT 1 FROM customer_traits t WHERE t.customer_id = c.id AND t.item_id = ?)", f.TraitID)
	}
	w.eq("c.status", f.Status)
	if f.LastFrom != "" {
		w.add("c.last_activity_date >= ?", f.LastFrom)
	}
	if f.LastTo != "" {
		w.add("COALESCE(c.last_activity_date, '') <= ?", f.LastTo)
	}
	// The contacts' subquery takes the pattern twice, so the list is
	// written out rather than built by w.like.
	if q := strings.TrimSpace(f.Q); q != "" {
		like := "%" + escapeLike(q) + "%"
		// Typed in Latin letters, it may be a name's pinyin or initials.
		py, pyArgs := pinyinLike(q, "c.name_py")
		kpy, kpyArgs := pinyinLike(q, "k.name_py")
		args := append([]any{like, like, like, like, like}, pyArgs...)
		args = append(append(args, like, like), kpyArgs...)
		w.add(`(c.name LIKE ? ESCAPE '\' OR c.short_name LIKE ? ESCAPE '\' OR c.code LIKE ? ESCAPE '\'
			OR c.phone LIKE ? ESCAPE '\' OR c.email LIKE ? ESCAPE '\'`+py+`
			OR EXISTS (SELECT 1 FROM contacts k WHERE k.customer_id = c.id AND (k.name LIKE ? ESCAPE '\' OR k.mobile LIKE ? ESCAPE '\'`+kpy+`)))`,
			args...)
	}
	if len(f.IDs) > 0 {
		ids := make([]any, len(f.IDs))
		for i, id := range f.IDs {
			ids[i] = id
		}
		w.add("c.id IN ("+placeholders(len(f.IDs))+")", ids...)
	}
	return w.sql()
}

// categoryFilter is one category condition of a filter: the column it
// tests, its dimension in customer_counts (migration 0007) and the item id
// asked for (0: any).
type categoryFilter struct {
	column, dim string
	id          int64
}

func (f CustomerFilter) categories() []categoryFilter {
	return []categoryFilter{{"c.industry_id", "industry", f.IndustryID}, {"c.source_id", "source", f.SourceID},
		{"c.grade_id", "grade", f.GradeID}, {"c.region_id", "region", f.RegionID}, {"c.stage_id", "stage", f.StageID}}
}

// countKey names the counter of customer_counts (migration 0007) that holds
// the total of f for actor, when there is one: every record, or one category,
// of every owner or of one. Other filters (text, trait, status, several
// categories, ticked rows, activity dates) report false and are counted.
//
// The owners are those whose counters add up to the total: one (0 stands
// for everyone), or each member of a team scope.
func (f CustomerFilter) countKey(actor Actor) (owners []int64, dim string, value int64, ok bool) {
	if f.Q != "" || f.TraitID != 0 || f.Status != "" || f.LastFrom != "" || f.LastTo != "" || len(f.IDs) > 0 {
		return nil, "", 0, false
	}
	owners = []int64{f.OwnerID}
	switch actor.Scope(ModCustomers) {
	case ScopeTeam:
		switch {
		case f.OwnerID == 0:
			owners = actor.TeamIDs() // the team's total: the sum of its members' counters
		case !actor.Sees(ModCustomers, f.OwnerID):
			return nil, "", 0, false // outside the team: none, and the count says so
		}
	case ScopeOwn:
		if f.OwnerID != 0 && f.OwnerID != actor.ID {
			return nil, "", 0, false // a colleague's records: none, and the count says so
		}
		owners = []int64{actor.ID}
	}
	for _, c := range f.categories() {
		if c.id == 0 {
			continue
		}
		if dim != "" {
			return nil, "", 0, false
		}
		dim, value = c.dim, c.id
	}
	return owners, dim, value, true
}

// countCustomers returns how many rows of f actor sees: one lookup in
// customer_counts when the filter has a counter, else COUNT(*).
func (db *DB) countCustomers(ctx context.Context, actor Actor, f CustomerFilter) (int, error) {
	var n int
	if owners, dim, value, ok := f.countKey(actor); ok {
		// Owner ids come from the database (the team), inlined.
		err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM customer_counts
			WHERE kind = ? AND owner_id IN (`+formatIDs(owners)+`) AND dim = ? AND value = ?`, f.Kind, dim, value).Scan(&n)
		return n, err
	}
	where, args := f.where(actor)
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM customers c WHERE `+where, args...).Scan(&n)
	return n, err
}

func (f CustomerFilter) orderBy() string {
	col, ok := customerSorts[f.Sort]
	if !ok {
		col = customerSorts["name"]
	}
	dir := " ASC"
	if f.Desc {
		dir = " DESC"
	}
	if col == "c.id" {
		return col + dir
	}
	return col + dir + ", c.id" + dir
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// CustomerRow is one line of a list: the columns the list shows.
type CustomerRow struct {
	ID               int64
	Code             string
	Name             string
	IndustryID       int64
	GradeID          int64
	RegionID         int64
	StageID          int64
	Phone            string
	OwnerID          int64
	OwnerName        string
	Status           string
	LastActivityDate string
	PrimaryContact   string
}

// ListCustomers returns one page of a list in two queries (count and page),
// whatever the page number.
func (db *DB) ListCustomers(ctx context.Context, actor Actor, f CustomerFilter) (CustomerPage, error) {
	fixPage(&f.Page, &f.PerPage, 50, 200)
	page := CustomerPage{Page: f.Page, PerPage: f.PerPage}
	var err error
	if page.Total, err = db.countCustomers(ctx, actor, f); err != nil {
		return page, err
	}
	where, args := f.where(actor)
	// The inner query finds the page's ids from an index alone; only those
	// 50 rows are then read in full. This keeps deep pages cheap (a plain
	// LIMIT/OFFSET reads every skipped row: 44 ms on page 1,000 instead of
	// 1.5 ms), and joining the ids as a table costs less than "id IN (...)".
	// Only the columns the list shows: mattn/go-sqlite3 reads each column of
	// each row with its own cgo calls, so every extra column costs 50 reads.
	q := `SELECT c.id, c.code, c.name, COALESCE(c.industry_id, 0), COALESCE(c.grade_id, 0),
			COALESCE(c.region_id, 0), COALESCE(c.stage_id, 0), c.phone, c.owner_id, u.display_name, c.status,
			COALESCE(c.last_activity_date, ''),
			COALESCE((SELECT k.name FROM contacts k WHERE k.customer_id = c.id ORDER BY k.is_primary DESC, k.id LIMIT 1), '')
		FROM (SELECT c.id FROM customers c WHERE ` + where + ` ORDER BY ` + f.orderBy() + ` LIMIT ? OFFSET ?) page
		JOIN customers c ON c.id = page.id JOIN users u ON u.id = c.owner_id
		ORDER BY ` + f.orderBy()
	args = append(args, f.PerPage, (f.Page-1)*f.PerPage)
	rows, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return page, err
	}
	defer rows.Close()
	page.Rows = make([]CustomerRow, 0, f.PerPage)
	for rows.Next() {
		var r CustomerRow
		if err := rows.Scan(&r.ID, &r.Code, &r.Name, &r.IndustryID, &r.GradeID, &r.RegionID, &r.StageID,
			&r.Phone, &r.OwnerID, &r.OwnerName, &r.Status, &r.LastActivityDate, &r.PrimaryContact); err != nil {
			return page, err
		}
		page.Rows = append(page.Rows, r)
	}
	return page, rows.Err()
}

// CustomerIDs returns the ids of every row matching f that actor may see, in
// list order (for "all that match the filter" batch actions and exports).
func (db *DB) CustomerIDs(ctx context.Context, actor Actor, f CustomerFilter, limit int) ([]int64, error) {
	where, args := f.where(actor)
	args = append(args, limit)
	rows, err := db.Read.QueryContext(ctx, `SELECT c.id FROM customers c WHERE `+where+` ORDER BY `+f.orderBy()+` LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// EachCustomer streams every row matching f to fn, for exports. Traits come
// in the same query, so an export costs one query whatever its size.
func (db *DB) EachCustomer(ctx context.Context, actor Actor, f CustomerFilter, fn func(c *Customer) error) error {
	where, args := f.where(actor)
	rows, err := db.Read.QueryContext(ctx, `SELECT `+customerColumns+`,
		COALESCE((SELECT group_concat(t.item_id) FROM customer_traits t WHERE t.customer_id = c.id), '')
		FROM customers c JOIN users u ON u.id = c.owner_id
		LEFT JOIN users cb ON cb.id = c.created_by LEFT JOIN users ub ON ub.id = c.updated_by
		WHERE `+where+` ORDER BY `+f.orderBy(), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var traits string
		c, err := scanCustomer(rows, &traits)
		if err != nil {
			return err
		}
		for _, t := range strings.Split(traits, ",") {
			if id, err := strconv.ParseInt(t, 10, 64); err == nil {
				c.TraitIDs = append(c.TraitIDs, id)
			}
		}
		slices.Sort(c.TraitIDs)
		if err := fn(c); err != nil {
			return err
		}
	}
	return rows.Err()
}

const customerColumns = `c.id, c.kind, c.code, c.name, c.short_name, COALESCE(c.industry_id, 0), COALESCE(c.source_id, 0),
	COALESCE(c.grade_id, 0), COALESCE(c.region_id, 0), COALESCE(c.stage_id, 0), c.address, c.phone, c.email, c.website,
	c.owner_id, u.display_name, c.status, c.notes, COALESCE(c.converted_to_id, 0), COALESCE(c.last_activity_date, ''),
	c.last_activity_content, c.created_at, c.updated_at, COALESCE(cb.display_name, ''), COALESCE(ub.display_name, '')`

// scanCustomer scans customerColumns, then any extra columns into extra.
func scanCustomer(row interface{ Scan(...any) error }, extra ...any) (*Customer, error) {
	var c Customer
	dest := append([]any{&c.ID, &c.Kind, &c.Code, &c.Name, &c.ShortName, &c.IndustryID, &c.SourceID, &c.GradeID, &c.RegionID,
		&c.StageID, &c.Address, &c.Phone, &c.Email, &c.Website, &c.OwnerID, &c.OwnerName, &c.Status, &c.Notes,
		&c.ConvertedToID, &c.LastActivityDate, &c.LastActivityContent, &c.CreatedAt, &c.UpdatedAt, &c.CreatedByName, &c.UpdatedByName},
		extra...)
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &c, err
}

func (db *DB) getCustomer(ctx context.Context, q querier, actor Actor, kind string, id int64) (*Customer, error) {
	query := `SELECT ` + customerColumns + ` FROM customers c JOIN users u ON u.id = c.owner_id
		LEFT JOIN users cb ON cb.id = c.created_by LEFT JOIN users ub ON ub.id = c.updated_by
		WHERE c.id = ? AND c.kind = ?`
	args := []any{id, kind}
	query += actor.ownerAnd(ModCustomers, "c.owner_id")
	c, err := scanCustomer(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, err
	}
	rows, err := q.QueryContext(ctx, `SELECT item_id FROM customer_traits WHERE customer_id = ? ORDER BY item_id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		c.TraitIDs = append(c.TraitIDs, t)
	}
	return c, rows.Err()
}

// GetCustomer returns a customer or prospect actor may see; ErrNotFound
// otherwise, so a colleague's record looks exactly like a missing one.
func (db *DB) GetCustomer(ctx context.Context, actor Actor, kind string, id int64) (*Customer, error) {
	return db.getCustomer(ctx, db.Read, actor, kind, id)
}

// Contacts lists a customer's contacts, primary first.
func (db *DB) Contacts(ctx context.Context, customerID int64) ([]Contact, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, customer_id, name, title, phone, mobile, email, COALESCE(birthday, ''), is_primary
		FROM contacts WHERE customer_id = ? ORDER BY is_primary DESC, id`, customerID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var k Contact
		if err := rows.Scan(&k.ID, &k.CustomerID, &k.Name, &k.Title, &k.Phone, &k.Mobile, &k.Email, &k.Birthday, &k.IsPrimary); err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// Duplicate is an existing record that looks like the one being saved.
type Duplicate struct {
	ID        int64
	Kind      string
	Code      string
	Name      string
	OwnerName string
	Reason    string // name, phone or email
	Visible   bool   // whether the actor may open it
}

// FindDuplicates finds customers and prospects with the same name (by
// NameKey: 南京蓝海科技有限公司 finds 蓝海科技(南京)有限责任公司), phone or
// e-mail as c (other than c itself). Salespeople see colleagues' names here
// on purpose: the spec grants read-only names for de-duplication.
func (db *DB) FindDuplicates(ctx context.Context, actor Actor, c *Customer) ([]Duplicate, error) {
	// One indexed lookup per key, joined: an OR of the three would scan.
	var conds []string
	var args []any
	key := NameKey(c.Name)
	if key != "" {
		conds = append(conds, "SELECT id FROM customers WHERE kind IN ('customer', 'prospect') AND name_key = ?")
		args = append(args, key)
	}
	if p := strings.TrimSpace(c.Phone); p != "" {
		conds = append(conds, "SELECT id FROM customers WHERE phone = ? AND phone <> ''")
		args = append(args, p)
	}
	if e := strings.TrimSpace(c.Email); e != "" {
		conds = append(conds, "SELECT id FROM customers WHERE email = ? COLLATE NOCASE AND email <> ''")
		args = append(args, e)
	}
	if len(conds) == 0 {
		return nil, nil
	}
	args = append(args, c.ID)
	rows, err := db.Read.QueryContext(ctx, `SELECT c.id, c.kind, c.code, c.name, c.phone, c.email, c.owner_id, u.display_name
		FROM customers c JOIN users u ON u.id = c.owner_id
		WHERE c.id IN (`+strings.Join(conds, " UNION ")+`) AND c.id <> ? AND c.status <> 'converted' ORDER BY c.id LIMIT 10`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Duplicate
	for rows.Next() {
		var d Duplicate
		var phone, email string
		var owner int64
		if err := rows.Scan(&d.ID, &d.Kind, &d.Code, &d.Name, &phone, &email, &owner, &d.OwnerName); err != nil {
			return nil, err
		}
		switch {
		case key != "" && NameKey(d.Name) == key:
			d.Reason = "name"
		case phone != "" && phone == strings.TrimSpace(c.Phone):
			d.Reason = "phone"
		default:
			d.Reason = "email"
		}
		d.Visible = actor.Sees(ModCustomers, owner)
		out = append(out, d)
	}
	return out, rows.Err()
}

func customerPairs(old, c *Customer) []fieldPair {
	i := func(v int64) string {
		if v == 0 {
			return ""
		}
		return strconv.FormatInt(v, 10)
	}
	return []fieldPair{
		{"name", old.Name, c.Name}, {"short_name", old.ShortName, c.ShortName},
		{"industry", i(old.IndustryID), i(c.IndustryID)}, {"source", i(old.SourceID), i(c.SourceID)},
		{"grade", i(old.GradeID), i(c.GradeID)}, {"region", i(old.RegionID), i(c.RegionID)},
		{"stage", i(old.StageID), i(c.StageID)}, {"traits", idList(old.TraitIDs), idList(c.TraitIDs)},
		{"address", old.Address, c.Address}, {"phone", old.Phone, c.Phone}, {"email", old.Email, c.Email},
		{"website", old.Website, c.Website}, {"owner", i(old.OwnerID), i(c.OwnerID)},
		{"status", old.Status, c.Status}, {"notes", old.Notes, c.Notes},
	}
}

// sortedIDs returns ids in ascending order without repeats: the order in
// which a form posts ticked boxes is no change, and a repeat is no second trait.
func sortedIDs(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

func idList(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// CreateCustomer inserts c (a customer or prospect) with its contacts,
// numbering it in the same transaction. It sets c.ID and c.Code.
func (db *DB) CreateCustomer(ctx context.Context, actor Actor, c *Customer, contacts []Contact) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		return db.CreateCustomerTx(ctx, tx, actor, c, contacts)
	})
}

// CreateCustomerTx is CreateCustomer inside the caller's transaction.
func (db *DB) CreateCustomerTx(ctx context.Context, tx *sql.Tx, actor Actor, c *Customer, contacts []Contact) error {
	return db.createCustomerTx(ctx, tx, actor, c, contacts, nil)
}

// auxChoiceOK accepts no item, an active item of list typ, or the inactive
// one the record already has (keep): a deactivated item stays on existing
// records but new choices cannot pick it. Only a database failure is an
// error; an unknown item is a refusal.
func (db *DB) auxChoiceOK(ctx context.Context, typ string, id int64, keep ...int64) (bool, error) {
	if id == 0 {
		return true, nil
	}
	a, err := db.AuxItem(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return a.Type == typ && (a.Active || slices.Contains(keep, id)), nil
}

// CheckCustomer is every rule a customer (or prospect) and its new contacts
// must pass, those that need the database included (it first applies the
// owner rules, see ownCustomer): category items that
// are active (or the inactive one the record already has), an owner who may
// own records and is active (or already the owner). old is the stored
// record when updating (or the prospect a customer is converted from), nil
// when creating. The refusals come back as FieldErrors — a contact's under
// "contact_" — and a database failure as the error. The forms call it to
// show the errors, and the create and update functions call it again.
func (db *DB) CheckCustomer(ctx context.Context, actor Actor, c *Customer, contacts []Contact, old *Customer) (FieldErrors, error) {
	ownCustomer(actor, c)
	if old == nil {
		old = &Customer{}
	}
	if c.Status == "" { // not given: as it was, or active
		c.Status = cmp.Or(old.Status, "active")
	}
	errs := c.Validate()
	for i := range contacts {
		errs.Merge("contact_", contacts[i].Validate())
	}
	for _, ref := range []struct {
		field, typ string
		id, keep   int64
	}{{"industry", "industry", c.IndustryID, old.IndustryID}, {"source", "source", c.SourceID, old.SourceID},
		{"grade", "grade", c.GradeID, old.GradeID}, {"region", "region", c.RegionID, old.RegionID},
		{"stage", "sales_stage", c.StageID, old.StageID}} {
		ok, err := db.auxChoiceOK(ctx, ref.typ, ref.id, ref.keep)
		if err != nil {
			return nil, err
		}
		if !ok {
			errs[ref.field] = "validation.invalid_choice"
		}
	}
	for _, t := range c.TraitIDs {
		ok, err := db.auxChoiceOK(ctx, "trait", t, old.TraitIDs...)
		if err != nil {
			return nil, err
		}
		if !ok {
			errs["traits"] = "validation.invalid_choice"
		}
	}
	// The acting user may own their own records (they are signed in, so
	// active); another owner is looked up.
	if c.OwnerID != 0 && !(c.OwnerID == actor.ID && actor.Can(PermCustomersCreate)) {
		u, err := db.UserByID(ctx, c.OwnerID)
		switch {
		case errors.Is(err, ErrNotFound):
			errs["owner"] = "validation.invalid_choice"
		case err != nil:
			return nil, err
		case !db.RoleCan(u.Role, PermCustomersCreate) || (!u.Active && c.OwnerID != old.OwnerID):
			// The current owner stays valid after being disabled, so editing
			// another field does not force a reassignment.
			errs["owner"] = "validation.invalid_choice"
		case c.OwnerID != old.OwnerID && !actor.Sees(ModCustomers, c.OwnerID):
			// A supervisor hands customers on inside their team.
			errs["owner"] = "validation.invalid_choice"
		}
	}
	return errs, nil
}

// ownCustomer applies the owner rules before a check: a salesperson's
// records are always their own, and a record without an owner is the
// actor's.
func ownCustomer(actor Actor, c *Customer) {
	if !actor.SeesBeyondOwn(ModCustomers) || c.OwnerID == 0 {
		c.OwnerID = actor.ID
	}
}

// createCustomerTx creates c; origin is the prospect a customer is converted
// from (its inactive items and owner stay valid), else nil.
func (db *DB) createCustomerTx(ctx context.Context, tx *sql.Tx, actor Actor, c *Customer, contacts []Contact, origin *Customer) error {
	if !actor.EditsCustomers() {
		return ErrNotFound
	}
	if errs, err := db.CheckCustomer(ctx, actor, c, contacts, origin); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	c.TraitIDs = sortedIDs(c.TraitIDs)
	code, err := db.NextFreeNumber(ctx, tx, c.Kind, "customers")
	if err != nil {
		return err
	}
	now := db.nowStamp()
	if c.Status == "" {
		c.Status = "active"
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO customers (kind, code, name, short_name, industry_id, source_id, grade_id,
		region_id, stage_id, address, phone, email, website, owner_id, status, notes, created_at, created_by, updated_at, updated_by, name_key,
		name_pinyin, name_py)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.Kind, code, c.Name, c.ShortName, nullInt(c.IndustryID), nullInt(c.SourceID), nullInt(c.GradeID),
		nullInt(c.RegionID), nullInt(c.StageID), c.Address, c.Phone, c.Email, c.Website, c.OwnerID, c.Status, c.Notes,
		now, nullInt(actor.ID), now, nullInt(actor.ID), NameKey(c.Name), PinyinSortKey(c.Name), PinyinSearchForms(c.Name))
	if err != nil {
		return err
	}
	if c.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	c.Code = code
	if err := setTraits(ctx, tx, c.ID, c.TraitIDs); err != nil {
		return err
	}
	for i := range contacts {
		contacts[i].CustomerID = c.ID
		if err := db.insertContact(ctx, tx, actor, &contacts[i]); err != nil {
			return err
		}
	}
	if err := enqueueCustomerTree(ctx, tx, c.ID); err != nil {
		return err
	}
	changes := diff(customerPairs(&Customer{}, c))
	return recordAudit(ctx, tx, now, actor.ID, c.Kind, c.ID, "create", append([]Change{{Field: "code", New: code}}, changes...))
}

func setTraits(ctx context.Context, tx *sql.Tx, id int64, traits []int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM customer_traits WHERE customer_id = ?`, id); err != nil {
		return err
	}
	for _, t := range traits {
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO customer_traits (customer_id, item_id) VALUES (?, ?)`, id, t); err != nil {
			return err
		}
	}
	return nil
}

// UpdateCustomer saves the editable fields of c. A salesperson can only
// update their own record and cannot give it away.
func (db *DB) UpdateCustomer(ctx context.Context, actor Actor, c *Customer) error {
	if !actor.EditsCustomers() {
		return ErrNotFound
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		return db.updateCustomerTx(ctx, tx, actor, c)
	})
}

// updateCustomerTx is UpdateCustomer inside the caller's transaction.
func (db *DB) updateCustomerTx(ctx context.Context, tx *sql.Tx, actor Actor, c *Customer) error {
	old, err := db.getCustomer(ctx, tx, actor, c.Kind, c.ID)
	if err != nil {
		return err
	}
	if old.Status == "converted" {
		c.Status = "converted"
	}
	if errs, err := db.CheckCustomer(ctx, actor, c, nil, old); err != nil {
		return err
	} else if errs.Any() {
		return errs
	}
	c.TraitIDs = sortedIDs(c.TraitIDs)
	now := db.nowStamp()
	_, err = tx.ExecContext(ctx, `UPDATE customers SET name = ?, short_name = ?, industry_id = ?, source_id = ?, grade_id = ?,
		region_id = ?, stage_id = ?, address = ?, phone = ?, email = ?, website = ?, owner_id = ?, status = ?, notes = ?,
		updated_at = ?, updated_by = ?, name_key = ?, name_pinyin = ?, name_py = ? WHERE id = ?`,
		c.Name, c.ShortName, nullInt(c.IndustryID), nullInt(c.SourceID), nullInt(c.GradeID), nullInt(c.RegionID),
		nullInt(c.StageID), c.Address, c.Phone, c.Email, c.Website, c.OwnerID, c.Status, c.Notes, now, nullInt(actor.ID),
		NameKey(c.Name), PinyinSortKey(c.Name), PinyinSearchForms(c.Name), c.ID)
	if err != nil {
		return err
	}
	if err := setTraits(ctx, tx, c.ID, c.TraitIDs); err != nil {
		return err
	}
	if err := enqueueCustomerTree(ctx, tx, c.ID); err != nil {
		return err
	}
	return recordAudit(ctx, tx, now, actor.ID, c.Kind, c.ID, "update", diff(customerPairs(old, c)))
}

// ChangeOwner gives the listed records to owner. Only managers and admins
// may; rows the actor cannot see are skipped. It returns how many changed.
func (db *DB) ChangeOwner(ctx context.Context, actor Actor, kind string, ids []int64, owner int64) (int, error) {
	if !actor.Can(PermCustomersManage) {
		return 0, ErrNotFound
	}
	n := 0
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		for _, id := range ids {
			var old int64
			err := tx.QueryRowContext(ctx, `SELECT owner_id FROM customers WHERE id = ? AND kind = ?`, id, kind).Scan(&old)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if old == owner {
				continue
			}
			if _, err := tx.ExecContext(ctx, `UPDATE customers SET owner_id = ?, updated_at = ?, updated_by = ? WHERE id = ?`,
				owner, now, nullInt(actor.ID), id); err != nil {
				return err
			}
			if err := enqueueCustomerTree(ctx, tx, id); err != nil {
				return err
			}
			if err := recordAudit(ctx, tx, now, actor.ID, kind, id, "update", []Change{{Field: "owner",
				Old: strconv.FormatInt(old, 10), New: strconv.FormatInt(owner, 10)}}); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

func (db *DB) insertContact(ctx context.Context, tx *sql.Tx, actor Actor, k *Contact) error {
	now := db.nowStamp()
	res, err := tx.ExecContext(ctx, `INSERT INTO contacts (customer_id, name, title, phone, mobile, email, birthday, is_primary,
		created_at, created_by, updated_at, updated_by, name_py) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.CustomerID, k.Name, k.Title, k.Phone, k.Mobile, k.Email, nullStr(k.Birthday), k.IsPrimary, now, nullInt(actor.ID), now, nullInt(actor.ID),
		PinyinSearchForms(k.Name))
	if err != nil {
		return err
	}
	k.ID, err = res.LastInsertId()
	if err != nil {
		return err
	}
	if k.IsPrimary {
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET is_primary = 0 WHERE customer_id = ? AND id <> ?`, k.CustomerID, k.ID); err != nil {
			return err
		}
	}
	// A new contact is searchable, and its customer's other records are
	// unchanged, so only the contact is queued.
	return enqueue(ctx, tx, "contact", k.ID)
}

// customerEditable checks inside tx that actor may change customer id and
// returns its kind.
func (db *DB) customerEditable(ctx context.Context, tx *sql.Tx, actor Actor, id int64) (string, error) {
	if !actor.EditsCustomers() {
		return "", ErrNotFound
	}
	var kind string
	var owner int64
	err := tx.QueryRowContext(ctx, `SELECT kind, owner_id FROM customers WHERE id = ?`, id).Scan(&kind, &owner)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !actor.Sees(ModCustomers, owner)) {
		return "", ErrNotFound
	}
	return kind, err
}

// SaveContact creates (ID 0) or updates a contact of a customer actor may edit.
func (db *DB) SaveContact(ctx context.Context, actor Actor, k *Contact) error {
	if errs := k.Validate(); errs.Any() {
		return errs
	}
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		kind, err := db.customerEditable(ctx, tx, actor, k.CustomerID)
		if err != nil {
			return err
		}
		if k.ID == 0 {
			if err := db.insertContact(ctx, tx, actor, k); err != nil {
				return err
			}
			return recordAudit(ctx, tx, db.nowStamp(), actor.ID, kind, k.CustomerID, "contact_add", []Change{{Field: "contact", New: k.Name}})
		}
		var old Contact
		err = tx.QueryRowContext(ctx, `SELECT name, title, phone, mobile, email, COALESCE(birthday, ''), is_primary FROM contacts
			WHERE id = ? AND customer_id = ?`, k.ID, k.CustomerID).Scan(&old.Name, &old.Title, &old.Phone, &old.Mobile, &old.Email, &old.Birthday, &old.IsPrimary)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE contacts SET name = ?, title = ?, phone = ?, mobile = ?, email = ?, birthday = ?,
			is_primary = ?, updated_at = ?, updated_by = ?, name_py = ? WHERE id = ?`, k.Name, k.Title, k.Phone, k.Mobile, k.Email, nullStr(k.Birthday),
			k.IsPrimary, now, nullInt(actor.ID), PinyinSearchForms(k.Name), k.ID); err != nil {
			return err
		}
		if k.IsPrimary {
			if _, err := tx.ExecContext(ctx, `UPDATE contacts SET is_primary = 0 WHERE customer_id = ? AND id <> ?`, k.CustomerID, k.ID); err != nil {
				return err
			}
		}
		if err := enqueue(ctx, tx, "contact", k.ID); err != nil {
			return err
		}
		changes := diff([]fieldPair{{"contact.name", old.Name, k.Name}, {"contact.title", old.Title, k.Title},
			{"contact.phone", old.Phone, k.Phone}, {"contact.mobile", old.Mobile, k.Mobile}, {"contact.email", old.Email, k.Email},
			{"contact.birthday", old.Birthday, k.Birthday}, {"contact.primary", boolText(old.IsPrimary), boolText(k.IsPrimary)}})
		return recordAudit(ctx, tx, now, actor.ID, kind, k.CustomerID, "update", changes)
	})
}

// GetContact returns a contact of a customer actor may see.
func (db *DB) GetContact(ctx context.Context, actor Actor, customerID, id int64) (*Contact, error) {
	query := `SELECT k.id, k.customer_id, k.name, k.title, k.phone, k.mobile, k.email, COALESCE(k.birthday, ''), k.is_primary
		FROM contacts k JOIN customers c ON c.id = k.customer_id WHERE k.id = ? AND k.customer_id = ?`
	args := []any{id, customerID}
	query += actor.ownerAnd(ModCustomers, "c.owner_id")
	var k Contact
	err := db.Read.QueryRowContext(ctx, query, args...).Scan(&k.ID, &k.CustomerID, &k.Name, &k.Title, &k.Phone, &k.Mobile, &k.Email, &k.Birthday, &k.IsPrimary)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &k, err
}

// DeleteContact removes a contact of a customer actor may edit.
func (db *DB) DeleteContact(ctx context.Context, actor Actor, customerID, id int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		kind, err := db.customerEditable(ctx, tx, actor, customerID)
		if err != nil {
			return err
		}
		var name string
		err = tx.QueryRowContext(ctx, `DELETE FROM contacts WHERE id = ? AND customer_id = ? RETURNING name`, id, customerID).Scan(&name)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := enqueue(ctx, tx, "contact", id); err != nil {
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), actor.ID, kind, customerID, "contact_delete", []Change{{Field: "contact", Old: name}})
	})
}

// prospectMoves re-point what is attached to a prospect at the customer it
// becomes (?1 the prospect, ?2 the customer). A module whose table points at
// customers adds its statement here.
var prospectMoves = []string{
	"UPDATE contacts SET customer_id = ?2 WHERE customer_id = ?1",
	"UPDATE OR IGNORE campaign_targets SET customer_id = ?2 WHERE customer_id = ?1",
	"UPDATE activities SET customer_id = ?2 WHERE customer_id = ?1",
	"UPDATE plans SET customer_id = ?2 WHERE customer_id = ?1",
	"UPDATE opportunities SET customer_id = ?2 WHERE customer_id = ?1",
	"UPDATE attachments SET customer_id = ?2 WHERE customer_id = ?1",
	"UPDATE comments SET customer_id = ?2 WHERE customer_id = ?1",
}

// ConvertProspect turns a prospect into a new customer: the customer gets a
// customer number and the prospect's fields, contacts and everything attached
// to it; the prospect stays, marked converted, pointing at the customer.
func (db *DB) ConvertProspect(ctx context.Context, actor Actor, prospectID int64) (int64, error) {
	if !actor.EditsCustomers() {
		return 0, ErrNotFound
	}
	var customerID int64
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		p, err := db.getCustomer(ctx, tx, actor, "prospect", prospectID)
		if err != nil {
			return err
		}
		if p.Status == "converted" {
			return ErrConflict
		}
		c := *p
		c.ID = 0
		c.Kind = "customer"
		c.Status = "active"
		if err := db.createCustomerTx(ctx, tx, actor.AsSystem(), &c, nil, p); err != nil {
			return err
		}
		customerID = c.ID
		now := db.nowStamp()
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET last_activity_date = ?, last_activity_content = ? WHERE id = ?`,
			nullStr(p.LastActivityDate), p.LastActivityContent, c.ID); err != nil {
			return err
		}
		for _, move := range prospectMoves {
			if _, err := tx.ExecContext(ctx, move, p.ID, c.ID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET status = 'converted', converted_to_id = ?, updated_at = ?, updated_by = ?
			WHERE id = ?`, c.ID, now, nullInt(actor.ID), p.ID); err != nil {
			return err
		}
		// The contacts now belong to the customer: re-index both trees.
		if err := enqueueCustomerTree(ctx, tx, c.ID); err != nil {
			return err
		}
		if err := enqueue(ctx, tx, "prospect", p.ID); err != nil {
			return err
		}
		if err := recordAudit(ctx, tx, now, actor.ID, "prospect", p.ID, "convert", []Change{{Field: "converted_to", New: c.Code}}); err != nil {
			return err
		}
		return recordAudit(ctx, tx, now, actor.ID, "customer", c.ID, "converted_from", []Change{{Field: "prospect", New: p.Code}})
	})
	if err != nil {
		return 0, fmt.Errorf("convert prospect %d: %w", prospectID, err)
	}
	return customerID, nil
}

// ConvertedFrom returns the prospect a customer was converted from, if any.
func (db *DB) ConvertedFrom(ctx context.Context, customerID int64) (id int64, code string, err error) {
	err = db.Read.QueryRowContext(ctx, `SELECT id, code FROM customers WHERE converted_to_id = ? LIMIT 1`, customerID).Scan(&id, &code)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return id, code, err
}
