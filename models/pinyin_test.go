package models

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestPinyinKeys(t *testing.T) {
	for name, want := range map[string]string{"张伟": "zhangwei zw", "北京华信科技": "beijinghuaxinkeji bjhxkj",
		"ABC": "", "上海 ABC 宏达": "shanghaiabchongda shabchd"} {
		if got := PinyinSearchForms(name); got != want {
			t.Errorf("PinyinSearchForms(%q) = %q, want %q", name, got, want)
		}
	}
	names := []string{"上海天润", "上海启明", "上海宏达", "北京华信", "ABC 公司"}
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(PinyinSortKey(a), PinyinSortKey(b)) })
	if got := strings.Join(names, " "); got != "ABC 公司 北京华信 上海宏达 上海启明 上海天润" {
		t.Errorf("pinyin order: %s", got)
	}
	for q, want := range map[string]string{"Zhang Wei": "zhangwei", "zw": "zw", "z": "", "张伟": "", "bj华信": ""} {
		if got := pinyinQuery(q); got != want {
			t.Errorf("pinyinQuery(%q) = %q, want %q", q, got, want)
		}
	}
	if !nameMatches("zw", "zhang.wei", "张伟") || !nameMatches("zhangw", "x", "张伟") || nameMatches("lw", "x", "张伟") {
		t.Error("a user is not found by their display name's pinyin")
	}
}

// TestPinyinInListsAndPickers: the customer list sorts by pinyin, and its
// search box, the contact list and the counterpart picker find names by
// full pinyin and by initials; a salesperson's pinyin search keeps to
// their own customers.
func TestPinyinInListsAndPickers(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct{ name, contact string }{{"上海天润", "王芳"}, {"上海启明", "李娜"}, {"上海宏达", "张伟"},
		{"北京华信", "刘洋"}} {
		cu := Customer{Kind: "customer", Name: c.name, OwnerID: e.sales1.ID}
		if err := e.db.CreateCustomer(e.ctx, e.sales1, &cu, []Contact{{Name: c.contact, IsPrimary: true}}); err != nil {
			t.Fatal(err)
		}
	}
	other := Customer{Kind: "customer", Name: "北京和信", OwnerID: e.sales2.ID}
	if err := e.db.CreateCustomer(e.ctx, e.sales2, &other, nil); err != nil {
		t.Fatal(err)
	}
	names := func(a Actor, f CustomerFilter) string {
		t.Helper()
		f.Kind = "customer"
		res, err := e.db.ListCustomers(e.ctx, a, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, r := range res.Rows {
			out = append(out, r.Name)
		}
		return strings.Join(out, " ")
	}
	if got := names(e.admin, CustomerFilter{Sort: "name"}); got != "北京和信 北京华信 上海宏达 上海启明 上海天润" {
		t.Errorf("sorted by name: %s", got)
	}
	for q, want := range map[string]string{"bjhx": "北京和信 北京华信", "beijinghuaxin": "北京华信", "shqm": "上海启明",
		"zhangwei": "上海宏达", "ZW": "上海宏达", "sh": "上海宏达 上海启明 上海天润"} {
		if got := names(e.admin, CustomerFilter{Q: q, Sort: "name"}); got != want {
			t.Errorf("search %q: %q, want %q", q, got, want)
		}
	}
	if got := names(e.sales1, CustomerFilter{Q: "bjhx", Sort: "name"}); got != "北京华信" {
		t.Errorf("a salesperson's pinyin search: %q", got)
	}
	contacts, err := e.db.ListContacts(e.ctx, e.admin, ContactFilter{Q: "ln"})
	if err != nil {
		t.Fatal(err)
	}
	if len(contacts.Rows) != 1 || contacts.Rows[0].Name != "李娜" {
		t.Errorf("contact search by initials: %+v", contacts.Rows)
	}
	picks, err := e.db.SearchCounterparts(e.ctx, e.sales1, "shtr", 10)
	if err != nil || len(picks) != 1 || picks[0].Name != "上海天润" {
		t.Errorf("picker by initials: %+v %v", picks, err)
	}
	// A renamed customer is found by its new name's pinyin.
	c, err := e.db.GetCustomer(e.ctx, e.admin, "customer", other.ID)
	if err != nil {
		t.Fatal(err)
	}
	c.Name = "广州和信"
	if err := e.db.UpdateCustomer(e.ctx, e.admin, c); err != nil {
		t.Fatal(err)
	}
	if got := names(e.admin, CustomerFilter{Q: "gzhx"}); got != "广州和信" {
		t.Errorf("after a rename: %q", got)
	}
}

// TestPinyinFilledOnOpen: rows written before the columns existed (NULL)
// get their pinyin when the database opens.
func TestPinyinFilledOnOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SeedDefaults(t.Context()); err != nil {
		t.Fatal(err)
	}
	uid, err := db.CreateUser(t.Context(), 0, NewUser{Username: "s", DisplayName: "s", Role: RoleSales, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	c := Customer{Kind: "customer", Name: "北京华信", OwnerID: uid}
	if err := db.CreateCustomer(t.Context(), Actor{ID: uid, Role: RoleSales}, &c, []Contact{{Name: "张伟", IsPrimary: true}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.Exec(`UPDATE customers SET name_pinyin = NULL, name_py = NULL; UPDATE contacts SET name_py = NULL`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var sortKey, forms, contact string
	if err := db.Read.QueryRow(`SELECT c.name_pinyin, c.name_py, k.name_py FROM customers c JOIN contacts k ON k.customer_id = c.id`).
		Scan(&sortKey, &forms, &contact); err != nil {
		t.Fatal(err)
	}
	if sortKey != "bei jing hua xin " || forms != "beijinghuaxin bjhx" || contact != "zhangwei zw" {
		t.Errorf("filled: %q %q %q", sortKey, forms, contact)
	}
}
