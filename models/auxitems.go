package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
)

// AuxTypes are the typed category lists (辅助项目), in display order.
var AuxTypes = []string{"industry", "source", "grade", "trait", "region", "sales_stage",
	"activity_method", "handling_method", "issue_type", "campaign_type"}

// ValidAuxType reports whether t is one of AuxTypes.
func ValidAuxType(t string) bool {
	for _, x := range AuxTypes {
		if x == t {
			return true
		}
	}
	return false
}

// AuxItem is one entry of a category list.
type AuxItem struct {
	ID        int64
	Type      string
	Code      string
	NameZH    string
	NameEN    string
	SortOrder int
	Active    bool
}

// AuxItemMaxLen are the lengths of an item's fields, in characters.
var AuxItemMaxLen = map[string]int{"code": 20, "name_zh": 60, "name_en": 60}

// Validate checks an item's own fields.
func (a *AuxItem) Validate() FieldErrors {
	errs := FieldErrors{}
	if a.Code == "" {
		errs["code"] = "validation.required"
	}
	if a.NameZH == "" {
		errs["name_zh"] = "validation.required"
	}
	errs.tooLong("code", a.Code, AuxItemMaxLen["code"])
	errs.tooLong("name_zh", a.NameZH, AuxItemMaxLen["name_zh"])
	errs.tooLong("name_en", a.NameEN, AuxItemMaxLen["name_en"])
	if a.SortOrder < -100000 || a.SortOrder > 100000 {
		errs["sort_order"] = "validation.number"
	}
	return errs
}

// Name returns the item's name in lang, falling back to Chinese.
func (a AuxItem) Name(lang string) string {
	if lang == "en" && a.NameEN != "" {
		return a.NameEN
	}
	return a.NameZH
}

// auxSnapshot is an in-memory copy of all auxiliary items. They are few and
// read on every list page, so they are cached and the cache is dropped on
// every write.
type auxSnapshot struct {
	byID   map[int64]AuxItem
	byType map[string][]AuxItem
}

func (db *DB) auxItems(ctx context.Context) (*auxSnapshot, error) {
	if s := db.aux.Load(); s != nil {
		return s, nil
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT id, type, code, name_zh, name_en, sort_order, active
		FROM aux_items ORDER BY type, sort_order, id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	s := &auxSnapshot{byID: map[int64]AuxItem{}, byType: map[string][]AuxItem{}}
	for rows.Next() {
		var a AuxItem
		if err := rows.Scan(&a.ID, &a.Type, &a.Code, &a.NameZH, &a.NameEN, &a.SortOrder, &a.Active); err != nil {
			return nil, err
		}
		s.byID[a.ID] = a
		s.byType[a.Type] = append(s.byType[a.Type], a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.aux.Store(s)
	return s, nil
}

// InvalidateAuxCache drops the cached items; call after writing aux_items
// outside this file.
func (db *DB) InvalidateAuxCache() { db.aux.Store(nil) }

// AuxItemsOf returns the items of one type, inactive ones included.
func (db *DB) AuxItemsOf(ctx context.Context, typ string) ([]AuxItem, error) {
	s, err := db.auxItems(ctx)
	if err != nil {
		return nil, err
	}
	return s.byType[typ], nil
}

// AuxItem returns one item by id.
func (db *DB) AuxItem(ctx context.Context, id int64) (AuxItem, error) {
	s, err := db.auxItems(ctx)
	if err != nil {
		return AuxItem{}, err
	}
	a, ok := s.byID[id]
	if !ok {
		return AuxItem{}, ErrNotFound
	}
	return a, nil
}

// AuxName returns the display name of item id ("" for 0 or unknown).
func (db *DB) AuxName(ctx context.Context, id int64, lang string) string {
	if id == 0 {
		return ""
	}
	a, err := db.AuxItem(ctx, id)
	if err != nil {
		return ""
	}
	return a.Name(lang)
}

// CheckAuxItem verifies that id is an item of type typ (0 is allowed and
// means none), active or not: for filters and for records that may keep an
// item that was deactivated since. Forms that set a new value also check
// that the item is active (see handlers/customers.go).
func (db *DB) CheckAuxItem(ctx context.Context, typ string, id int64) (bool, error) {
	return db.auxChoiceOK(ctx, typ, id, id) // an item already chosen may be inactive
}

// SaveAuxItem creates (ID 0) or updates an item. FieldErrors when its fields
// break the rules, ErrConflict when the code is already used in that list.
func (db *DB) SaveAuxItem(ctx context.Context, by int64, a *AuxItem) error {
	if errs := a.Validate(); errs.Any() {
		return errs
	}
	defer db.InvalidateAuxCache()
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		if a.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO aux_items (type, code, name_zh, name_en, sort_order, active,
				created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				a.Type, a.Code, a.NameZH, a.NameEN, a.SortOrder, a.Active, now, nullInt(by), now, nullInt(by))
			if err != nil {
				if isUniqueViolation(err) {
					return ErrConflict
				}
				return err
			}
			if a.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			return recordAudit(ctx, tx, now, by, "aux_item", a.ID, "create", []Change{{Field: "name_zh", New: a.NameZH}})
		}
		var old AuxItem
		err := tx.QueryRowContext(ctx, `SELECT type, code, name_zh, name_en, sort_order, active FROM aux_items WHERE id = ?`, a.ID).
			Scan(&old.Type, &old.Code, &old.NameZH, &old.NameEN, &old.SortOrder, &old.Active)
		if err == sql.ErrNoRows || (err == nil && old.Type != a.Type) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE aux_items SET code = ?, name_zh = ?, name_en = ?, sort_order = ?, active = ?,
			updated_at = ?, updated_by = ? WHERE id = ?`, a.Code, a.NameZH, a.NameEN, a.SortOrder, a.Active, now, nullInt(by), a.ID)
		if err != nil {
			if isUniqueViolation(err) {
				return ErrConflict
			}
			return err
		}
		return recordAudit(ctx, tx, now, by, "aux_item", a.ID, "update", diff([]fieldPair{
			{"code", old.Code, a.Code}, {"name_zh", old.NameZH, a.NameZH}, {"name_en", old.NameEN, a.NameEN},
			{"sort_order", strconv.Itoa(old.SortOrder), strconv.Itoa(a.SortOrder)},
			{"active", boolText(old.Active), boolText(a.Active)},
		}))
	})
}

// auxReferences finds uses of an auxiliary item (?1 is its id), one query
// per table that points at aux_items. A module that adds such a column adds
// its query here, so "in use" stays true everywhere.
var auxReferences = []string{
	"SELECT 1 FROM customers WHERE industry_id = ?1 OR source_id = ?1 OR grade_id = ?1 OR region_id = ?1 OR stage_id = ?1 LIMIT 1",
	"SELECT 1 FROM customer_traits WHERE item_id = ?1 LIMIT 1",
	"SELECT 1 FROM campaigns WHERE type_id = ?1 LIMIT 1",
	"SELECT 1 FROM activities WHERE method_id = ?1 OR stage_id = ?1 LIMIT 1",
	"SELECT 1 FROM plans WHERE method_id = ?1 LIMIT 1",
	"SELECT 1 FROM opportunities WHERE stage_id = ?1 LIMIT 1",
	"SELECT 1 FROM issues WHERE type_id = ?1 LIMIT 1",
	"SELECT 1 FROM issue_handlings WHERE method_id = ?1 LIMIT 1",
	"SELECT 1 FROM articles WHERE category_id = ?1 LIMIT 1",
}

// DeleteAuxItem removes an item that nothing uses; ErrInUse otherwise.
func (db *DB) DeleteAuxItem(ctx context.Context, by int64, typ string, id int64) error {
	defer db.InvalidateAuxCache()
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `SELECT name_zh FROM aux_items WHERE id = ? AND type = ?`, id, typ).Scan(&name)
		if err == sql.ErrNoRows {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		for _, q := range auxReferences {
			var one int
			err := tx.QueryRowContext(ctx, q, id).Scan(&one)
			if err == nil {
				return ErrInUse
			}
			if err != sql.ErrNoRows {
				return fmt.Errorf("check use of item: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM aux_items WHERE id = ?`, id); err != nil {
			if isForeignKeyViolation(err) {
				return ErrInUse
			}
			return err
		}
		return recordAudit(ctx, tx, db.nowStamp(), by, "aux_item", id, "delete", []Change{{Field: "name_zh", Old: name}})
	})
}

// AuxLookup resolves item ids to names in one language, from the cache.
type AuxLookup struct {
	snap *auxSnapshot
	lang string
}

// AuxLookupFor returns a lookup for lang.
func (db *DB) AuxLookupFor(ctx context.Context, lang string) (AuxLookup, error) {
	s, err := db.auxItems(ctx)
	return AuxLookup{snap: s, lang: lang}, err
}

// Name returns the name of item id ("" for none).
func (l AuxLookup) Name(id int64) string {
	if l.snap == nil || id == 0 {
		return ""
	}
	a, ok := l.snap.byID[id]
	if !ok {
		return ""
	}
	return a.Name(l.lang)
}

// Options returns the items of a type that a form may offer: the active ones
// plus any inactive one listed in keep (the value a record already has).
func (l AuxLookup) Options(typ string, keep ...int64) []AuxItem {
	if l.snap == nil {
		return nil
	}
	var out []AuxItem
	for _, a := range l.snap.byType[typ] {
		if a.Active || containsID(keep, a.ID) {
			out = append(out, a)
		}
	}
	return out
}

// OptionsFor is Options for templates, which cannot spread a slice into
// variadic arguments: e.g. the traits a record already has.
func (l AuxLookup) OptionsFor(typ string, keep []int64) []AuxItem { return l.Options(typ, keep...) }

// Lang is the lookup's language.
func (l AuxLookup) Lang() string { return l.lang }

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
