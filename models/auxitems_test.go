package models

import (
	"errors"
	"strings"
	"testing"
)

func TestDefaultAuxItemsCoverEveryType(t *testing.T) {
	e := newEnv(t)
	for _, typ := range AuxTypes {
		items, err := e.db.AuxItemsOf(e.ctx, typ)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 {
			t.Errorf("list %s is empty after SeedDefaults", typ)
		}
	}
	// Seeding again must not duplicate anything.
	before, _ := e.db.AuxItemsOf(e.ctx, "industry")
	if err := e.db.SeedDefaults(e.ctx); err != nil {
		t.Fatal(err)
	}
	after, _ := e.db.AuxItemsOf(e.ctx, "industry")
	if len(after) != len(before) {
		t.Errorf("SeedDefaults twice: %d industries, then %d", len(before), len(after))
	}
}

func TestSaveAuxItem(t *testing.T) {
	e := newEnv(t)
	a := AuxItem{Type: "industry", Code: "AGR", NameZH: "农业", NameEN: "Agriculture", SortOrder: 5, Active: true}
	if err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &a); err != nil {
		t.Fatal(err)
	}
	if a.ID == 0 {
		t.Fatal("no id after create")
	}
	got, err := e.db.AuxItem(e.ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != a {
		t.Errorf("stored %+v, want %+v", got, a)
	}
	same, err1 := e.db.CheckAuxItem(e.ctx, "industry", a.ID)
	other, err2 := e.db.CheckAuxItem(e.ctx, "grade", a.ID)
	if err1 != nil || err2 != nil || !same || other {
		t.Error("CheckAuxItem does not respect the item's type")
	}
	// Renaming shows at once (the cache is dropped on write).
	a.NameZH = "现代农业"
	if err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &a); err != nil {
		t.Fatal(err)
	}
	if n := e.db.AuxName(e.ctx, a.ID, "zh"); n != "现代农业" {
		t.Errorf("name after rename = %q", n)
	}
	if n := e.db.AuxName(e.ctx, a.ID, "en"); n != "Agriculture" {
		t.Errorf("English name = %q", n)
	}
	hist, err := e.db.History(e.ctx, "aux_item", a.ID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[0].Action != "update" || len(hist[0].Changes) != 1 || hist[0].Changes[0].Field != "name_zh" {
		t.Errorf("history = %+v, want create then an update of name_zh only", hist)
	}
}

func TestSaveAuxItemConflicts(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		item AuxItem
		want error
	}{
		{"same code in the same list", AuxItem{Type: "industry", Code: "IT", NameZH: "重复"}, ErrConflict},
		{"same code in another list is fine", AuxItem{Type: "grade", Code: "IT", NameZH: "另一清单"}, nil},
		{"new code", AuxItem{Type: "industry", Code: "NEW", NameZH: "新行业"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &tt.item)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
	t.Run("renaming a code onto another", func(t *testing.T) {
		it, err := e.db.AuxItem(e.ctx, e.aux("industry", "MFG"))
		if err != nil {
			t.Fatal(err)
		}
		it.Code = "IT"
		if err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &it); !errors.Is(err, ErrConflict) {
			t.Fatalf("err = %v, want ErrConflict", err)
		}
		if got, _ := e.db.AuxItem(e.ctx, it.ID); got.Code != "MFG" {
			t.Errorf("code changed to %q despite the conflict", got.Code)
		}
	})
	t.Run("updating with the wrong type", func(t *testing.T) {
		it, _ := e.db.AuxItem(e.ctx, e.aux("industry", "MFG"))
		it.Type = "grade"
		if err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &it); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
}

func TestDeleteAuxItem(t *testing.T) {
	e := newEnv(t)
	t.Run("unused", func(t *testing.T) {
		a := AuxItem{Type: "region", Code: "GAT", NameZH: "港澳台", Active: true}
		if err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &a); err != nil {
			t.Fatal(err)
		}
		if err := e.db.DeleteAuxItem(e.ctx, e.admin.ID, "region", a.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.db.AuxItem(e.ctx, a.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("item still there: %v", err)
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		id := e.aux("region", "HB")
		if err := e.db.DeleteAuxItem(e.ctx, e.admin.ID, "industry", id); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
	})
	// Every column that points at an item keeps it from being deleted.
	inUse := []struct {
		typ, code string
		set       func(c *Customer, id int64)
	}{
		{"industry", "IT", func(c *Customer, id int64) { c.IndustryID = id }},
		{"source", "WEB", func(c *Customer, id int64) { c.SourceID = id }},
		{"grade", "A", func(c *Customer, id int64) { c.GradeID = id }},
		{"region", "HD", func(c *Customer, id int64) { c.RegionID = id }},
		{"sales_stage", "S2", func(c *Customer, id int64) { c.StageID = id }},
		{"trait", "LOYAL", func(c *Customer, id int64) { c.TraitIDs = []int64{id} }},
	}
	for _, tt := range inUse {
		t.Run("in use as "+tt.typ, func(t *testing.T) {
			id := e.aux(tt.typ, tt.code)
			c := Customer{Kind: "prospect", Name: "使用" + tt.typ}
			tt.set(&c, id)
			e.create(e.sales1, c)
			if err := e.db.DeleteAuxItem(e.ctx, e.admin.ID, tt.typ, id); !errors.Is(err, ErrInUse) {
				t.Fatalf("err = %v, want ErrInUse", err)
			}
			if _, err := e.db.AuxItem(e.ctx, id); err != nil {
				t.Errorf("item gone after refused delete: %v", err)
			}
		})
	}
}

func TestDeactivateAuxItemKeepsRecords(t *testing.T) {
	e := newEnv(t)
	id := e.aux("industry", "FIN")
	c := e.create(e.sales1, Customer{Name: "某银行", IndustryID: id})
	it, err := e.db.AuxItem(e.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	it.Active = false
	if err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &it); err != nil {
		t.Fatal(err)
	}
	if got := e.get("customer", c.ID); got.IndustryID != id {
		t.Errorf("customer's industry became %d after deactivation", got.IndustryID)
	}
	lookup, err := e.db.AuxLookupFor(e.ctx, "zh")
	if err != nil {
		t.Fatal(err)
	}
	if lookup.Name(id) != "金融" {
		t.Errorf("name of inactive item = %q, want 金融", lookup.Name(id))
	}
	has := func(items []AuxItem, id int64) bool {
		for _, a := range items {
			if a.ID == id {
				return true
			}
		}
		return false
	}
	if has(lookup.Options("industry"), id) {
		t.Error("a new record is offered an inactive item")
	}
	if !has(lookup.Options("industry", id), id) {
		t.Error("a record that has the inactive item no longer sees it among its options")
	}
	if !has(lookup.Options("industry", id), e.aux("industry", "IT")) {
		t.Error("keeping an inactive value hides the active ones")
	}
	en, err := e.db.AuxLookupFor(e.ctx, "en")
	if err != nil {
		t.Fatal(err)
	}
	if en.Name(id) != "Finance" || en.Lang() != "en" {
		t.Errorf("English lookup: %q %q", en.Name(id), en.Lang())
	}
}

// TestAuxItemValidate: the list items' rules live in models, so the settings
// form and anything else that saves an item are refused alike.
func TestAuxItemValidate(t *testing.T) {
	e := newEnv(t)
	long := strings.Repeat("长", 61)
	for _, tt := range []struct {
		item  AuxItem
		field string
		key   string
	}{
		{AuxItem{Type: "industry", NameZH: "制造"}, "code", "validation.required"},
		{AuxItem{Type: "industry", Code: "MFG"}, "name_zh", "validation.required"},
		{AuxItem{Type: "industry", Code: "MFG", NameZH: long}, "name_zh", "validation.too_long"},
		{AuxItem{Type: "industry", Code: strings.Repeat("X", 21), NameZH: "制造"}, "code", "validation.too_long"},
		{AuxItem{Type: "industry", Code: "MFG", NameZH: "制造", NameEN: long}, "name_en", "validation.too_long"},
		{AuxItem{Type: "industry", Code: "MFG", NameZH: "制造", SortOrder: 100001}, "sort_order", "validation.number"},
	} {
		err := e.db.SaveAuxItem(e.ctx, e.admin.ID, &tt.item)
		errs, ok := AsFieldErrors(err)
		if !ok || errs[tt.field] != tt.key {
			t.Errorf("%+v: got %v, want %s=%s", tt.item, err, tt.field, tt.key)
		}
		if tt.item.ID != 0 {
			t.Errorf("%+v was saved", tt.item)
		}
	}
}
