package models

import (
	"errors"
	"slices"
	"sort"
	"strconv"
	"testing"
)

// changedFields lists the field names of one audit entry, sorted.
func changedFields(a AuditEntry) []string {
	var out []string
	for _, c := range a.Changes {
		out = append(out, c.Field)
	}
	sort.Strings(out)
	return out
}

func (e *testEnv) history(kind string, id int64) []AuditEntry {
	e.t.Helper()
	h, err := e.db.History(e.ctx, kind, id, 100)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

func TestCreateCustomerAudit(t *testing.T) {
	e := newEnv(t)
	c := e.create(e.sales1, Customer{Name: "杭州星辰科技有限公司", Phone: "0571-88886666", IndustryID: e.aux("industry", "IT"),
		TraitIDs: []int64{e.aux("trait", "FAST")}}, Contact{Name: "李娜", Mobile: "13800000000", IsPrimary: true})
	h := e.history("customer", c.ID)
	if len(h) != 1 || h[0].Action != "create" || h[0].UserID != e.sales1.ID {
		t.Fatalf("history = %+v, want one create by sales1", h)
	}
	want := []string{"code", "industry", "name", "owner", "phone", "status", "traits"}
	if got := changedFields(h[0]); !slices.Equal(got, want) {
		t.Errorf("create logged %v, want the filled-in fields %v", got, want)
	}
	got := e.get("customer", c.ID)
	if got.CreatedByName != "sales1" || got.Status != "active" || got.OwnerID != e.sales1.ID {
		t.Errorf("stored %+v", got)
	}
	contacts, err := e.db.Contacts(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(contacts) != 1 || contacts[0].Name != "李娜" || !contacts[0].IsPrimary {
		t.Errorf("contacts = %+v", contacts)
	}
}

func TestUpdateCustomerAuditsChangedFieldsOnly(t *testing.T) {
	e := newEnv(t)
	fast, loyal, price := e.aux("trait", "FAST"), e.aux("trait", "LOYAL"), e.aux("trait", "PRICE")
	base := Customer{Name: "成都博远贸易有限公司", Phone: "028-1234567", Email: "info@boyuan.example",
		GradeID: e.aux("grade", "B"), TraitIDs: []int64{fast, loyal}, Notes: "老客户"}
	tests := []struct {
		name   string
		change func(c *Customer)
		want   []string // changed fields; nil means no history line at all
	}{
		{"nothing", func(c *Customer) {}, nil},
		{"phone", func(c *Customer) { c.Phone = "028-7654321" }, []string{"phone"}},
		{"grade and notes", func(c *Customer) { c.GradeID = e.aux("grade", "A"); c.Notes = "重点客户" }, []string{"grade", "notes"}},
		{"clear e-mail", func(c *Customer) { c.Email = "" }, []string{"email"}},
		{"traits", func(c *Customer) { c.TraitIDs = []int64{fast, price} }, []string{"traits"}},
		// A form posts ticked boxes in display order, not id order; the
		// same set of traits is no change.
		{"same traits in another order", func(c *Customer) { c.TraitIDs = []int64{loyal, fast} }, nil},
		{"same trait twice", func(c *Customer) { c.TraitIDs = []int64{fast, loyal, fast} }, nil},
		{"owner", func(c *Customer) { c.OwnerID = e.sales2.ID }, []string{"owner"}},
		{"status", func(c *Customer) { c.Status = "inactive" }, []string{"status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.create(e.sales1, base)
			upd := *e.get("customer", c.ID)
			tt.change(&upd)
			if err := e.db.UpdateCustomer(e.ctx, e.manager, &upd); err != nil {
				t.Fatal(err)
			}
			h := e.history("customer", c.ID)
			if tt.want == nil {
				if len(h) != 1 {
					t.Fatalf("an update that changed nothing logged %+v", h[0])
				}
				return
			}
			if len(h) != 2 || h[0].Action != "update" || h[0].UserID != e.manager.ID {
				t.Fatalf("history = %+v, want an update by the manager on top of the create", h)
			}
			if got := changedFields(h[0]); !slices.Equal(got, tt.want) {
				t.Errorf("logged %v, want %v (%+v)", got, tt.want, h[0].Changes)
			}
			stored := e.get("customer", c.ID)
			if stored.UpdatedByName != "manager" {
				t.Errorf("updated by %q", stored.UpdatedByName)
			}
		})
	}
	t.Run("old and new values", func(t *testing.T) {
		c := e.create(e.sales1, base)
		upd := *e.get("customer", c.ID)
		upd.Phone = "028-0000000"
		if err := e.db.UpdateCustomer(e.ctx, e.sales1, &upd); err != nil {
			t.Fatal(err)
		}
		ch := e.history("customer", c.ID)[0].Changes[0]
		if ch != (Change{Field: "phone", Old: "028-1234567", New: "028-0000000"}) {
			t.Errorf("change = %+v", ch)
		}
	})
}

func TestConvertProspect(t *testing.T) {
	e := newEnv(t)
	loyal := e.aux("trait", "LOYAL")
	p := e.create(e.sales1, Customer{Kind: "prospect", Name: "苏州嘉禾电子有限公司", Phone: "0512-6666888",
		RegionID: e.aux("region", "HD"), TraitIDs: []int64{loyal}},
		Contact{Name: "王伟", IsPrimary: true}, Contact{Name: "张敏"})
	if p.Code != "QZ00001" {
		t.Fatalf("prospect code %q, want QZ00001", p.Code)
	}
	e.create(e.sales1, Customer{Name: "已有客户"}) // takes KH00001

	custID, err := e.db.ConvertProspect(e.ctx, e.sales1, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	cu := e.get("customer", custID)
	if cu.Code != "KH00002" {
		t.Errorf("customer code %q, want the next customer number KH00002", cu.Code)
	}
	if cu.Name != p.Name || cu.Phone != p.Phone || cu.RegionID != p.RegionID || cu.OwnerID != e.sales1.ID ||
		!slices.Equal(cu.TraitIDs, []int64{loyal}) || cu.Status != "active" {
		t.Errorf("customer does not carry the prospect's fields: %+v", cu)
	}
	pr := e.get("prospect", p.ID)
	if pr.Status != "converted" || pr.ConvertedToID != custID {
		t.Errorf("prospect status %q converted_to %d, want converted → %d", pr.Status, pr.ConvertedToID, custID)
	}
	moved, err := e.db.Contacts(e.ctx, custID)
	if err != nil {
		t.Fatal(err)
	}
	left, err := e.db.Contacts(e.ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(moved) != 2 || len(left) != 0 {
		t.Errorf("contacts: %d on the customer, %d left on the prospect; want 2 and 0", len(moved), len(left))
	}
	fromID, fromCode, err := e.db.ConvertedFrom(e.ctx, custID)
	if err != nil || fromID != p.ID || fromCode != "QZ00001" {
		t.Errorf("ConvertedFrom = %d %q %v", fromID, fromCode, err)
	}
	if h := e.history("prospect", p.ID); h[0].Action != "convert" || h[0].Changes[0].New != "KH00002" {
		t.Errorf("prospect history %+v", h[0])
	}
	if h := e.history("customer", custID); h[0].Action != "converted_from" || h[0].Changes[0].New != "QZ00001" {
		t.Errorf("customer history %+v", h[0])
	}

	if _, err := e.db.ConvertProspect(e.ctx, e.sales1, p.ID); !errors.Is(err, ErrConflict) {
		t.Errorf("second conversion: err = %v, want ErrConflict", err)
	}
	all, err := e.db.ListCustomers(e.ctx, e.admin, CustomerFilter{Kind: "customer"})
	if err != nil {
		t.Fatal(err)
	}
	if all.Total != 2 {
		t.Errorf("%d customers after converting twice, want 2", all.Total)
	}
	if _, err := e.db.ConvertProspect(e.ctx, e.admin, custID); !errors.Is(err, ErrNotFound) {
		t.Errorf("converting a customer: err = %v, want ErrNotFound", err)
	}
}

func TestFindDuplicates(t *testing.T) {
	e := newEnv(t)
	own := e.create(e.sales1, Customer{Name: "青岛国泰机械有限公司", Phone: "0532-5550001", Email: "Sales@GuoTai.example"})
	other := e.create(e.sales2, Customer{Kind: "prospect", Name: "厦门蓝海食品有限公司", Phone: "0592-5550002"})
	converted := e.create(e.sales1, Customer{Kind: "prospect", Name: "已转换潜客", Phone: "0000-1"})
	if _, err := e.db.ConvertProspect(e.ctx, e.sales1, converted.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		c      Customer
		want   []int64
		reason string
	}{
		{"same name", Customer{Name: "青岛国泰机械有限公司"}, []int64{own.ID}, "name"},
		{"same name with spaces", Customer{Name: "  青岛国泰机械有限公司 "}, []int64{own.ID}, "name"},
		{"same phone", Customer{Name: "别的名字", Phone: "0592-5550002"}, []int64{other.ID}, "phone"},
		{"same e-mail in other case", Customer{Name: "别的名字", Email: "sales@guotai.EXAMPLE"}, []int64{own.ID}, "email"},
		{"nothing alike", Customer{Name: "全新公司", Phone: "010-1", Email: "new@example.com"}, nil, ""},
		{"empty fields match nothing", Customer{}, nil, ""},
		{"the record itself is not its duplicate", Customer{ID: own.ID, Name: own.Name, Email: own.Email}, nil, ""},
		{"a converted prospect is not a duplicate of its customer", Customer{Name: "已转换潜客"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dups, err := e.db.FindDuplicates(e.ctx, e.sales1, &tt.c)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, d := range dups {
				// the customer converted from 已转换潜客 has the same name; skip it
				if d.Name == "已转换潜客" && d.Kind == "customer" {
					continue
				}
				ids = append(ids, d.ID)
				if d.Reason != tt.reason {
					t.Errorf("reason %q, want %q", d.Reason, tt.reason)
				}
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("duplicates %v, want %v", ids, tt.want)
			}
		})
	}
	t.Run("a colleague's record is named but not openable", func(t *testing.T) {
		dups, err := e.db.FindDuplicates(e.ctx, e.sales1, &Customer{Phone: "0592-5550002"})
		if err != nil || len(dups) != 1 {
			t.Fatalf("dups %v err %v", dups, err)
		}
		if dups[0].Visible || dups[0].Name != "厦门蓝海食品有限公司" || dups[0].OwnerName != "sales2" {
			t.Errorf("sales1 sees %+v", dups[0])
		}
		dups, _ = e.db.FindDuplicates(e.ctx, e.manager, &Customer{Phone: "0592-5550002"})
		if len(dups) != 1 || !dups[0].Visible {
			t.Errorf("manager sees %+v", dups)
		}
	})
}

// TestSalespersonRowRules: a salesperson cannot read or change a colleague's
// record through any model function, and the record stays as it was.
func TestSalespersonRowRules(t *testing.T) {
	e := newEnv(t)
	theirs := e.create(e.sales2, Customer{Name: "同事的客户", Phone: "010-2"}, Contact{Name: "同事联系人", IsPrimary: true})
	theirProspect := e.create(e.sales2, Customer{Kind: "prospect", Name: "同事的潜客"}, Contact{Name: "潜客联系人"})
	mine := e.create(e.sales1, Customer{Name: "我的客户"})
	contacts, err := e.db.Contacts(e.ctx, theirs.ID)
	if err != nil || len(contacts) != 1 {
		t.Fatal(contacts, err)
	}
	cid := contacts[0].ID
	snapshot := func() string {
		var s string
		for _, c := range []struct {
			kind string
			id   int64
		}{{"customer", theirs.ID}, {"prospect", theirProspect.ID}} {
			x := e.get(c.kind, c.id)
			ks, _ := e.db.Contacts(e.ctx, c.id)
			s += x.Name + x.Phone + x.Status + x.UpdatedAt + strconv.FormatInt(x.OwnerID, 10) + strconv.Itoa(len(ks))
			for _, k := range ks {
				s += k.Name + k.Email
			}
		}
		return s
	}
	before := snapshot()
	ops := []struct {
		name string
		op   func(a Actor) error
	}{
		{"get", func(a Actor) error { _, err := e.db.GetCustomer(e.ctx, a, "customer", theirs.ID); return err }},
		{"get prospect", func(a Actor) error { _, err := e.db.GetCustomer(e.ctx, a, "prospect", theirProspect.ID); return err }},
		{"update", func(a Actor) error {
			c := *theirs
			c.Phone = "999"
			return e.db.UpdateCustomer(e.ctx, a, &c)
		}},
		{"convert", func(a Actor) error { _, err := e.db.ConvertProspect(e.ctx, a, theirProspect.ID); return err }},
		{"get contact", func(a Actor) error { _, err := e.db.GetContact(e.ctx, a, theirs.ID, cid); return err }},
		{"add contact", func(a Actor) error {
			return e.db.SaveContact(e.ctx, a, &Contact{CustomerID: theirs.ID, Name: "插入"})
		}},
		{"edit contact", func(a Actor) error {
			return e.db.SaveContact(e.ctx, a, &Contact{ID: cid, CustomerID: theirs.ID, Name: "改名"})
		}},
		{"edit contact through own customer", func(a Actor) error {
			return e.db.SaveContact(e.ctx, a, &Contact{ID: cid, CustomerID: mine.ID, Name: "改名"})
		}},
		{"delete contact", func(a Actor) error { return e.db.DeleteContact(e.ctx, a, theirs.ID, cid) }},
		{"delete contact through own customer", func(a Actor) error { return e.db.DeleteContact(e.ctx, a, mine.ID, cid) }},
		{"change owner", func(a Actor) error {
			_, err := e.db.ChangeOwner(e.ctx, a, "customer", []int64{theirs.ID}, a.ID)
			return err
		}},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			if err := op.op(e.sales1); !errors.Is(err, ErrNotFound) {
				t.Errorf("err = %v, want ErrNotFound", err)
			}
			if after := snapshot(); after != before {
				t.Errorf("data changed:\n%s\n%s", before, after)
			}
		})
	}
	t.Run("change owner of own records", func(t *testing.T) {
		if _, err := e.db.ChangeOwner(e.ctx, e.sales1, "customer", []int64{mine.ID}, e.sales2.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("sales giving a record away: err = %v, want a refusal", err)
		}
		if got := e.get("customer", mine.ID); got.OwnerID != e.sales1.ID {
			t.Error("owner changed")
		}
	})
	t.Run("service may read but not change", func(t *testing.T) {
		if _, err := e.db.GetCustomer(e.ctx, e.service, "customer", theirs.ID); err != nil {
			t.Errorf("service reading a card: %v", err)
		}
		c := *theirs
		c.Phone = "999"
		if err := e.db.UpdateCustomer(e.ctx, e.service, &c); !errors.Is(err, ErrNotFound) {
			t.Errorf("service update: err = %v", err)
		}
		if err := e.db.SaveContact(e.ctx, e.service, &Contact{CustomerID: theirs.ID, Name: "x"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("service add contact: err = %v", err)
		}
		if _, err := e.db.ConvertProspect(e.ctx, e.service, theirProspect.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("service convert: err = %v", err)
		}
		if before != snapshot() {
			t.Error("data changed")
		}
	})
	t.Run("lists and exports hold only own rows", func(t *testing.T) {
		f := CustomerFilter{Kind: "customer", OwnerID: e.sales2.ID}
		page, err := e.db.ListCustomers(e.ctx, e.sales1, f)
		if err != nil || page.Total != 0 {
			t.Errorf("filtering by a colleague: %d rows, err %v", page.Total, err)
		}
		page, err = e.db.ListCustomers(e.ctx, e.sales1, CustomerFilter{Kind: "customer"})
		if err != nil || page.Total != 1 || page.Rows[0].ID != mine.ID {
			t.Errorf("own list: %+v, err %v", page, err)
		}
		ids, err := e.db.CustomerIDs(e.ctx, e.sales1, CustomerFilter{Kind: "customer", IDs: []int64{theirs.ID, mine.ID}}, 100)
		if err != nil || !slices.Equal(ids, []int64{mine.ID}) {
			t.Errorf("ids %v err %v", ids, err)
		}
		var names []string
		err = e.db.EachCustomer(e.ctx, e.sales1, CustomerFilter{Kind: "customer"}, func(c *Customer) error {
			names = append(names, c.Name)
			return nil
		})
		if err != nil || !slices.Equal(names, []string{"我的客户"}) {
			t.Errorf("export rows %v err %v", names, err)
		}
	})
	t.Run("a salesperson's new record is their own", func(t *testing.T) {
		c := e.create(e.sales1, Customer{Name: "想给同事", OwnerID: e.sales2.ID})
		if got := e.get("customer", c.ID); got.OwnerID != e.sales1.ID {
			t.Errorf("owner %d, want sales1", got.OwnerID)
		}
		upd := *e.get("customer", c.ID)
		upd.OwnerID = e.sales2.ID
		if err := e.db.UpdateCustomer(e.ctx, e.sales1, &upd); err != nil {
			t.Fatal(err)
		}
		if got := e.get("customer", c.ID); got.OwnerID != e.sales1.ID {
			t.Errorf("a salesperson gave a record away by editing it")
		}
	})
}

func TestChangeOwner(t *testing.T) {
	e := newEnv(t)
	a := e.create(e.sales1, Customer{Name: "甲"})
	b := e.create(e.sales1, Customer{Name: "乙"})
	p := e.create(e.sales1, Customer{Kind: "prospect", Name: "丙"})
	n, err := e.db.ChangeOwner(e.ctx, e.manager, "customer", []int64{a.ID, b.ID, p.ID, 999999}, e.sales2.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("changed %d, want 2 (the prospect and the missing id are skipped)", n)
	}
	for _, id := range []int64{a.ID, b.ID} {
		if got := e.get("customer", id); got.OwnerID != e.sales2.ID {
			t.Errorf("customer %d owner %d", id, got.OwnerID)
		}
		h := e.history("customer", id)
		if h[0].Action != "update" || h[0].Changes[0].Field != "owner" {
			t.Errorf("history %+v", h[0])
		}
	}
	if got := e.get("prospect", p.ID); got.OwnerID != e.sales1.ID {
		t.Error("a prospect changed owner through the customer batch")
	}
	// Giving records to their current owner changes nothing.
	if n, err := e.db.ChangeOwner(e.ctx, e.admin, "customer", []int64{a.ID}, e.sales2.ID); err != nil || n != 0 {
		t.Errorf("n = %d err = %v", n, err)
	}
}

func TestListCustomersFilters(t *testing.T) {
	e := newEnv(t)
	it, fin := e.aux("industry", "IT"), e.aux("industry", "FIN")
	loyal := e.aux("trait", "LOYAL")
	e.create(e.sales1, Customer{Name: "A公司", IndustryID: it, GradeID: e.aux("grade", "A"), TraitIDs: []int64{loyal}},
		Contact{Name: "赵强", Mobile: "13900000001"})
	e.create(e.sales2, Customer{Name: "B公司", IndustryID: fin, RegionID: e.aux("region", "HN"), Email: "b@example.com"})
	e.create(e.sales1, Customer{Name: "C_100%公司", SourceID: e.aux("source", "WEB"), StageID: e.aux("sales_stage", "S3"), Status: "inactive"})
	e.create(e.sales1, Customer{Kind: "prospect", Name: "P公司", IndustryID: it})
	tests := []struct {
		name string
		f    CustomerFilter
		want []string
	}{
		{"all", CustomerFilter{}, []string{"A公司", "B公司", "C_100%公司"}},
		{"industry", CustomerFilter{IndustryID: it}, []string{"A公司"}},
		{"grade", CustomerFilter{GradeID: e.aux("grade", "A")}, []string{"A公司"}},
		{"region", CustomerFilter{RegionID: e.aux("region", "HN")}, []string{"B公司"}},
		{"source", CustomerFilter{SourceID: e.aux("source", "WEB")}, []string{"C_100%公司"}},
		{"stage", CustomerFilter{StageID: e.aux("sales_stage", "S3")}, []string{"C_100%公司"}},
		{"trait", CustomerFilter{TraitID: loyal}, []string{"A公司"}},
		{"owner", CustomerFilter{OwnerID: e.sales2.ID}, []string{"B公司"}},
		{"status", CustomerFilter{Status: "inactive"}, []string{"C_100%公司"}},
		{"text in name", CustomerFilter{Q: "B公"}, []string{"B公司"}},
		{"text in e-mail", CustomerFilter{Q: "b@example"}, []string{"B公司"}},
		{"text in contact", CustomerFilter{Q: "赵强"}, []string{"A公司"}},
		{"text in contact mobile", CustomerFilter{Q: "13900000001"}, []string{"A公司"}},
		{"percent is literal", CustomerFilter{Q: "100%"}, []string{"C_100%公司"}},
		{"underscore is literal", CustomerFilter{Q: "_"}, []string{"C_100%公司"}},
		{"sorted by name descending", CustomerFilter{Sort: "name", Desc: true}, []string{"C_100%公司", "B公司", "A公司"}},
		{"unknown sort falls back to name", CustomerFilter{Sort: "name; DROP TABLE customers"}, []string{"A公司", "B公司", "C_100%公司"}},
		{"second page", CustomerFilter{PerPage: 2, Page: 2}, []string{"C_100%公司"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.Kind = "customer"
			page, err := e.db.ListCustomers(e.ctx, e.manager, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, r := range page.Rows {
				names = append(names, r.Name)
			}
			if !slices.Equal(names, tt.want) {
				t.Errorf("rows %v, want %v", names, tt.want)
			}
		})
	}
}

func TestSaveContactKeepsOnePrimary(t *testing.T) {
	e := newEnv(t)
	c := e.create(e.sales1, Customer{Name: "联系人测试"}, Contact{Name: "甲", IsPrimary: true})
	k := Contact{CustomerID: c.ID, Name: "乙", Email: "yi@example.com", IsPrimary: true}
	if err := e.db.SaveContact(e.ctx, e.sales1, &k); err != nil {
		t.Fatal(err)
	}
	list, err := e.db.Contacts(e.ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "乙" || !list[0].IsPrimary || list[1].IsPrimary {
		t.Errorf("contacts %+v, want 乙 as the only primary", list)
	}
	k.Title = "经理"
	if err := e.db.SaveContact(e.ctx, e.sales1, &k); err != nil {
		t.Fatal(err)
	}
	h := e.history("customer", c.ID)
	if h[0].Action != "update" || !slices.Equal(changedFields(h[0]), []string{"contact.title"}) {
		t.Errorf("contact edit logged %+v", h[0])
	}
	if err := e.db.DeleteContact(e.ctx, e.sales1, c.ID, k.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.db.DeleteContact(e.ctx, e.sales1, c.ID, k.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting twice: %v", err)
	}
}
