package handlers

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"keyuan/models"
)

// auxID returns the id of the item with code in list typ.
func (a *testApp) auxID(typ, code string) int64 {
	a.t.Helper()
	items, err := a.db.AuxItemsOf(context.Background(), typ)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, it := range items {
		if it.Code == code {
			return it.ID
		}
	}
	a.t.Fatalf("no %s item %s", typ, code)
	return 0
}

func (a *testApp) countCustomers(kind string) int {
	a.t.Helper()
	p, err := a.db.ListCustomers(context.Background(), models.Actor{Role: models.RoleAdmin}, models.CustomerFilter{Kind: kind})
	if err != nil {
		a.t.Fatal(err)
	}
	return p.Total
}

// fieldError is how a form shows the error of one field, right under it;
// msg may be the start of the message.
func fieldError(field, msg string) string {
	return fmt.Sprintf(`<p class="field-error" id="err-%s">%s`, field, msg)
}

// inputValue is how a form shows what was typed into a text input.
func inputValue(name, value string) string {
	return fmt.Sprintf(`name="%s" value="%s"`, name, value)
}

func id64(id int64) string { return strconv.FormatInt(id, 10) }

func TestCustomerFormValidation(t *testing.T) {
	f := newFixture(t)
	admin := f.login("admin")
	valid := func() url.Values {
		return url.Values{"name": {"南京宏达建材有限公司"}, "phone": {"025-8888 6666"}, "email": {"info@hongda.example"},
			"website": {"https://hongda.example"}, "owner": {id64(f.sales1)}, "status": {"active"}}
	}
	grade := f.auxID("grade", "A")
	tests := []struct {
		name  string
		set   url.Values
		field string
		msg   string
		kept  []string // values that must be in the re-rendered form
	}{
		{"name missing", url.Values{"name": {""}}, "name", "必填", []string{inputValue("email", "info@hongda.example")}},
		{"name too long", url.Values{"name": {strings.Repeat("长", 201)}}, "name", "内容太长", []string{inputValue("name", strings.Repeat("长", 201))}},
		{"bad e-mail", url.Values{"email": {"not-an-email"}}, "email", "请输入有效的电子邮箱",
			[]string{inputValue("email", "not-an-email"), inputValue("name", "南京宏达建材有限公司")}},
		{"e-mail with a display name", url.Values{"email": {"Bob <bob@example.com>"}}, "email", "请输入有效的电子邮箱", nil},
		{"bad phone", url.Values{"phone": {"call me"}}, "phone", "电话只能包含数字", []string{inputValue("phone", "call me")}},
		{"bad website", url.Values{"website": {"javascript:alert(1)"}}, "website", "请输入以 http:// 或 https:// 开头的网址",
			[]string{inputValue("website", "javascript:alert(1)")}},
		{"industry from another list", url.Values{"industry": {id64(grade)}}, "industry", "请选择列表中的选项", nil},
		{"unknown grade", url.Values{"grade": {"99999"}}, "grade", "请选择列表中的选项", nil},
		{"trait from another list", url.Values{"traits": {id64(grade)}}, "traits", "请选择列表中的选项", nil},
		{"service user as owner", url.Values{"owner": {id64(f.service)}}, "owner", "请选择列表中的选项", nil},
		{"unknown owner", url.Values{"owner": {"424242"}}, "owner", "请选择列表中的选项", nil},
		{"bad contact e-mail", url.Values{"contact_name": {"王伟"}, "contact_email": {"wang@"}}, "contact_email", "请输入有效的电子邮箱",
			[]string{inputValue("contact_email", "wang@"), inputValue("contact_name", "王伟")}},
		{"contact without a name", url.Values{"contact_mobile": {"13800000000"}}, "contact_name", "必填",
			[]string{inputValue("contact_mobile", "13800000000")}},
	}
	for _, kind := range []string{"customer", "prospect"} {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				admin.postRefused(t, kindBase[kind], overlay(valid(), tt.set), tt.field, tt.msg, tt.kept)
			})
		}
	}
	t.Run("edit form keeps what was typed", func(t *testing.T) {
		rec := f.mine["customer"]
		form := valid()
		form.Set("name", "改过的名字")
		form.Set("email", "still bad")
		res := admin.post("/customers/"+id64(rec.id), form)
		if res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("status %d", res.StatusCode)
		}
		for _, want := range []string{fieldError("email", "请输入有效的电子邮箱"), inputValue("name", "改过的名字"), inputValue("email", "still bad"), rec.code} {
			if !strings.Contains(res.Body, want) {
				t.Errorf("missing %s", want)
			}
		}
		if got := admin.get("/customers/" + id64(rec.id)); !strings.Contains(got.Body, rec.name) {
			t.Error("the record changed")
		}
	})
}

func TestEnglishUserGetsEnglishMessages(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	if res := c.post("/profile/lang", url.Values{"lang": {"en"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("set language: %d", res.StatusCode)
	}
	res := c.post("/customers", url.Values{"name": {""}, "email": {"nope"}, "contact_name": {"Bob"}, "contact_email": {"bob@"}})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, want := range []string{`<html lang="en"`, fieldError("email", "Enter a valid e-mail address"),
		fieldError("name", "Required"), fieldError("contact_email", "Enter a valid e-mail address"), "New customer"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("missing %s", want)
		}
	}
	if strings.Contains(res.Body, "请输入有效的电子邮箱") || strings.Contains(res.Body, "新增客户") {
		t.Error("Chinese text on an English user's page")
	}
	// The browser's language applies only while the user has not chosen one.
	res = c.get("/customers/new", "Accept-Language", "zh-CN,zh;q=0.9")
	if !strings.Contains(res.Body, "New customer") {
		t.Error("the user's language setting lost to Accept-Language")
	}
	other := app.anon()
	if res := other.get("/login", "Accept-Language", "en-US,en;q=0.9"); !strings.Contains(res.Body, "Sign in") {
		t.Error("anonymous English browser does not get English")
	}
	if res := other.get("/login"); !strings.Contains(res.Body, "登录") {
		t.Error("the default language is not Chinese")
	}
}

func TestDuplicateWarningOnCreate(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	first := url.Values{"name": {"广州金桥物流有限公司"}, "phone": {"020-3333 4444"}, "email": {"Hello@JinQiao.example"}}
	if res := c.post("/customers", first); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("first: %d", res.StatusCode)
	}
	tests := []struct {
		name   string
		form   url.Values
		reason string
	}{
		{"same name", url.Values{"name": {"广州金桥物流有限公司"}}, "名称相同"},
		{"same phone", url.Values{"name": {"另一家"}, "phone": {"020-3333 4444"}}, "电话相同"},
		{"same e-mail in other case", url.Values{"name": {"又一家"}, "email": {"hello@jinqiao.EXAMPLE"}}, "邮箱相同"},
	}
	for _, kind := range []string{"customer", "prospect"} {
		for _, tt := range tests {
			t.Run(kind+"/"+tt.name, func(t *testing.T) {
				n := app.countCustomers(kind)
				res := c.post(kindBase[kind], tt.form)
				if res.StatusCode != http.StatusConflict {
					t.Fatalf("status %d, want the warning (409)", res.StatusCode)
				}
				for _, want := range []string{"可能重复", "KH00001", "广州金桥物流有限公司", tt.reason,
					`name="confirm_duplicates" value="1"`, "仍然保存", inputValue("name", tt.form.Get("name"))} {
					if !strings.Contains(res.Body, want) {
						t.Errorf("warning lacks %s", want)
					}
				}
				if app.countCustomers(kind) != n {
					t.Fatal("saved despite the warning")
				}
				confirmed := url.Values{"confirm_duplicates": {"1"}}
				for k, v := range tt.form {
					confirmed[k] = v
				}
				if res := c.post(kindBase[kind], confirmed); res.StatusCode != http.StatusSeeOther {
					t.Fatalf("save anyway: %d", res.StatusCode)
				}
				if app.countCustomers(kind) != n+1 {
					t.Error("save anyway did not save")
				}
			})
		}
	}
	t.Run("editing a record is not its own duplicate", func(t *testing.T) {
		res := c.get("/customers/duplicates?id=1&name=" + url.QueryEscape("广州金桥物流有限公司") + "&phone=020-1")
		if strings.Contains(res.Body, "KH00001") {
			t.Error("the record is listed as its own duplicate")
		}
	})
}

func TestCreateAndEditCustomer(t *testing.T) {
	f := newFixture(t)
	sales := f.login("sales1")
	it, loyal, fast := f.auxID("industry", "IT"), f.auxID("trait", "LOYAL"), f.auxID("trait", "FAST")
	res := sales.post("/customers", url.Values{"name": {"深圳智联软件有限公司"}, "industry": {id64(it)},
		"traits": {id64(loyal), id64(fast)}, "owner": {id64(f.sales2)}, "phone": {"0755-1234"},
		"contact_name": {"陈静"}, "contact_mobile": {"13500000000"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d %s", res.StatusCode, res.Body)
	}
	loc := res.Header.Get("Location")
	id, err := strconv.ParseInt(strings.TrimPrefix(loc, "/customers/"), 10, 64)
	if err != nil {
		t.Fatalf("redirect to %q", loc)
	}
	cu, err := f.db.GetCustomer(context.Background(), models.Actor{Role: models.RoleAdmin}, "customer", id)
	if err != nil {
		t.Fatal(err)
	}
	if cu.OwnerID != f.sales1 {
		t.Errorf("a salesperson created a record for a colleague (owner %d)", cu.OwnerID)
	}
	card := sales.get(loc)
	for _, want := range []string{"深圳智联软件有限公司", cu.Code, "信息技术", "忠诚度高", "决策快", "陈静", "13500000000", "已保存", "新建"} {
		if !strings.Contains(card.Body, want) {
			t.Errorf("card lacks %s", want)
		}
	}
	// Edit: change the phone only. The history shows that one change.
	res = sales.post(loc, url.Values{"name": {"深圳智联软件有限公司"}, "industry": {id64(it)},
		"traits": {id64(fast), id64(loyal)}, "phone": {"0755-9999"}, "status": {"active"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != loc {
		t.Fatalf("update: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	hist, err := f.db.History(context.Background(), "customer", id, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || len(hist[0].Changes) != 1 || hist[0].Changes[0].Field != "phone" {
		t.Fatalf("history after changing the phone: %+v", hist)
	}
	card = sales.get(loc)
	if !regexp.MustCompile(`<strong>修改</strong> · sales1 ·`).MatchString(card.Body) ||
		!strings.Contains(card.Body, `<del>0755-1234</del> → <ins>0755-9999</ins>`) {
		t.Error("the card's history does not show who changed the phone from what to what")
	}
}

func TestContactForms(t *testing.T) {
	f := newFixture(t)
	sales := f.login("sales1")
	rec := f.mine["customer"]
	base := "/customers/" + id64(rec.id)
	tests := []struct {
		name  string
		form  url.Values
		field string
		msg   string
		kept  []string
	}{
		{"name missing", url.Values{"title": {"经理"}}, "name", "必填", []string{inputValue("title", "经理")}},
		{"bad e-mail", url.Values{"name": {"赵敏"}, "email": {"zhao@@x"}}, "email", "请输入有效的电子邮箱",
			[]string{inputValue("name", "赵敏"), inputValue("email", "zhao@@x")}},
		{"bad mobile", url.Values{"name": {"赵敏"}, "mobile": {"abc"}}, "mobile", "电话只能包含数字", []string{inputValue("mobile", "abc")}},
		{"bad birthday", url.Values{"name": {"赵敏"}, "birthday": {"1990-02-30"}}, "birthday", "请输入有效日期", []string{inputValue("birthday", "1990-02-30")}},
		{"name too long", url.Values{"name": {strings.Repeat("名", 101)}}, "name", "内容太长", nil},
	}
	for _, tt := range tests {
		for _, path := range []string{base + "/contacts", base + "/contacts/" + id64(rec.contact)} {
			t.Run(tt.name+" "+path, func(t *testing.T) {
				before := f.snapshot()
				res := sales.post(path, tt.form)
				if res.StatusCode != http.StatusUnprocessableEntity {
					t.Fatalf("status %d", res.StatusCode)
				}
				if !strings.Contains(res.Body, fieldError(tt.field, tt.msg)) {
					t.Errorf("no %q next to %s", tt.msg, tt.field)
				}
				for _, k := range tt.kept {
					if !strings.Contains(res.Body, k) {
						t.Errorf("lost %s", k)
					}
				}
				if f.snapshot() != before {
					t.Error("saved anyway")
				}
			})
		}
	}
	t.Run("add, make primary, edit, delete", func(t *testing.T) {
		res := sales.post(base+"/contacts", url.Values{"name": {"孙丽"}, "email": {"sun@example.com"}, "primary": {"1"}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("add: %d", res.StatusCode)
		}
		list, err := f.db.Contacts(context.Background(), rec.id)
		if err != nil || len(list) != 2 || list[0].Name != "孙丽" || !list[0].IsPrimary || list[1].IsPrimary {
			t.Fatalf("contacts %+v %v", list, err)
		}
		cid := id64(list[0].ID)
		if r := sales.get(base + "/contacts/" + cid + "/edit"); !strings.Contains(r.Body, inputValue("email", "sun@example.com")) {
			t.Error("edit form does not show the contact")
		}
		if r := sales.post(base+"/contacts/"+cid, url.Values{"name": {"孙丽"}, "title": {"总监"}}); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit: %d", r.StatusCode)
		}
		if r := sales.post(base+"/contacts/"+cid+"/delete", nil); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("delete: %d", r.StatusCode)
		}
		if r := sales.post(base+"/contacts/"+cid+"/delete", nil); r.StatusCode != http.StatusNotFound {
			t.Errorf("delete twice: %d", r.StatusCode)
		}
		card := sales.get(base)
		for _, want := range []string{"新增联系人", "删除联系人", "联系人职务"} {
			if !strings.Contains(card.Body, want) {
				t.Errorf("history lacks %s", want)
			}
		}
	})
}

func TestConvertProspectThroughRouter(t *testing.T) {
	f := newFixture(t)
	sales := f.login("sales1")
	p := f.mine["prospect"]
	res := sales.post("/prospects/"+id64(p.id)+"/convert", nil)
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/customers/") {
		t.Fatalf("convert: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	card := sales.get(res.Header.Get("Location"))
	for _, want := range []string{p.name, p.contactName, "已转为客户。", "由潜在客户转换而来", p.code} {
		if !strings.Contains(card.Body, want) {
			t.Errorf("customer card lacks %s", want)
		}
	}
	pcard := sales.get("/prospects/" + id64(p.id))
	if !strings.Contains(pcard.Body, "已转为客户：") || strings.Contains(pcard.Body, "/convert") {
		t.Error("the prospect card does not show the conversion, or still offers it")
	}
	n := f.countCustomers("customer")
	res = sales.post("/prospects/"+id64(p.id)+"/convert", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/prospects/"+id64(p.id) {
		t.Errorf("second conversion: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	if f.countCustomers("customer") != n {
		t.Error("converting twice made a second customer")
	}
	if r := sales.get("/prospects/" + id64(p.id)); !strings.Contains(r.Body, "该潜在客户已经转为客户。") {
		t.Error("no message on converting twice")
	}
	if r := sales.post("/prospects/"+id64(f.mine["customer"].id)+"/convert", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("converting a customer: %d", r.StatusCode)
	}
}

func TestBatchChangeOwner(t *testing.T) {
	f := newFixture(t)
	mgr := f.login("manager")
	mine, theirs := f.mine["customer"], f.theirs["customer"]
	ids := url.Values{"action": {"owner"}, "id": {id64(mine.id), id64(theirs.id)}}
	t.Run("invalid new owner", func(t *testing.T) {
		for _, owner := range []string{"", "0", id64(f.service), "999999", "abc"} {
			before := f.snapshot()
			form := url.Values{"new_owner": {owner}}
			for k, v := range ids {
				form[k] = v
			}
			res := mgr.post("/customers/batch", form)
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("owner %q: %d", owner, res.StatusCode)
			}
			if f.snapshot() != before {
				t.Errorf("owner %q: data changed", owner)
			}
		}
		if r := mgr.get("/customers"); !strings.Contains(r.Body, "请选择一个有效的新负责人。") {
			t.Error("no message")
		}
	})
	t.Run("ticked rows", func(t *testing.T) {
		form := url.Values{"new_owner": {id64(f.manager)}, "filter": {"q=x"}}
		for k, v := range ids {
			form[k] = v
		}
		res := mgr.post("/customers/batch", form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/customers?q=x" {
			t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Location"))
		}
		for _, id := range []int64{mine.id, theirs.id} {
			cu, err := f.db.GetCustomer(context.Background(), models.Actor{Role: models.RoleAdmin}, "customer", id)
			if err != nil || cu.OwnerID != f.manager {
				t.Errorf("customer %d: owner %v %v", id, cu, err)
			}
		}
		if p, _ := f.db.GetCustomer(context.Background(), models.Actor{Role: models.RoleAdmin}, "prospect", f.mine["prospect"].id); p.OwnerID != f.sales1 {
			t.Error("a prospect changed owner too")
		}
	})
	t.Run("all matching a filter", func(t *testing.T) {
		res := mgr.post("/prospects/batch", url.Values{"action": {"owner"}, "all": {"1"}, "new_owner": {id64(f.sales1)},
			"filter": {"owner=" + id64(f.sales2)}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatal(res.StatusCode)
		}
		p, _ := f.db.GetCustomer(context.Background(), models.Actor{Role: models.RoleAdmin}, "prospect", f.theirs["prospect"].id)
		if p.OwnerID != f.sales1 {
			t.Error("the filtered prospect kept its owner")
		}
	})
	t.Run("unknown action", func(t *testing.T) {
		if r := mgr.post("/customers/batch", url.Values{"action": {"drop"}, "id": {id64(mine.id)}}); r.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d", r.StatusCode)
		}
	})
	t.Run("nothing ticked", func(t *testing.T) {
		if r := mgr.post("/customers/batch", url.Values{"action": {"export"}}); r.StatusCode != http.StatusSeeOther {
			t.Errorf("status %d", r.StatusCode)
		}
	})
}

// readCSV parses an export, checking the BOM that Excel needs.
func readCSV(t *testing.T, res *response) [][]string {
	t.Helper()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %q", res.StatusCode, res.Header.Get("Content-Type"))
	}
	body, ok := bytes.CutPrefix([]byte(res.Body), []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Error("no UTF-8 BOM")
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestExportCSV(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	it, loyal, fast := app.auxID("industry", "IT"), app.auxID("trait", "LOYAL"), app.auxID("trait", "FAST")
	for _, form := range []url.Values{
		{"name": {"=HYPERLINK(\"http://evil\")"}, "notes": {"@SUM(A1)"}, "industry": {id64(it)}, "traits": {id64(loyal), id64(fast)}},
		{"name": {"普通公司"}, "phone": {"-1234"}},
		{"name": {"别的行业"}, "industry": {id64(app.auxID("industry", "FIN"))}},
	} {
		if res := c.post("/customers", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("create: %d", res.StatusCode)
		}
	}
	rows := readCSV(t, c.get("/customers/export.csv"))
	if len(rows) != 4 {
		t.Fatalf("%d rows, want a header and 3", len(rows))
	}
	if rows[0][0] != "编号" || rows[0][1] != "名称" || rows[0][8] != "特质" {
		t.Errorf("header %v", rows[0])
	}
	byName := map[string][]string{}
	for _, r := range rows[1:] {
		byName[strings.TrimPrefix(r[1], "'")] = r
	}
	evil := byName[`=HYPERLINK("http://evil")`]
	if evil == nil {
		t.Fatalf("rows %v", rows)
	}
	if evil[1] != `'=HYPERLINK("http://evil")` || evil[len(evil)-1] != "'@SUM(A1)" {
		t.Errorf("formula cells not neutralised: %q %q", evil[1], evil[len(evil)-1])
	}
	if evil[3] != "信息技术" {
		t.Errorf("industry %q", evil[3])
	}
	if evil[8] != "决策快、忠诚度高" && evil[8] != "忠诚度高、决策快" {
		t.Errorf("traits column %q, want both traits", evil[8])
	}
	if p := byName["普通公司"][10]; p != "'-1234" {
		t.Errorf("phone %q", p)
	}
	t.Run("the list's export link keeps the filter", func(t *testing.T) {
		list := c.get("/customers?industry=" + id64(it) + "&sort=code")
		m := regexp.MustCompile(`href="(/customers/export\.csv\?[^"]*)"`).FindStringSubmatch(list.Body)
		if m == nil {
			t.Fatal("no export link")
		}
		link := strings.ReplaceAll(m[1], "&amp;", "&")
		rows := readCSV(t, c.get(link))
		if len(rows) != 2 || rows[1][3] != "信息技术" {
			t.Errorf("export from %q has %d rows, want only the filtered one", link, len(rows)-1)
		}
	})
	t.Run("English headers", func(t *testing.T) {
		c.post("/profile/lang", url.Values{"lang": {"en"}})
		rows := readCSV(t, c.get("/customers/export.csv"))
		if rows[0][0] != "Code" || rows[1][14] != "Active" {
			t.Errorf("header %v, status %q", rows[0], rows[1][14])
		}
	})
}

func TestListLinksKeepTheirQuery(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	for i := range 55 {
		app.addRecord(1, "customer", fmt.Sprintf("翻页客户%02d", i))
	}
	list := c.get("/customers?q=" + url.QueryEscape("翻页") + "&sort=code&dir=desc")
	for _, re := range []string{`href="/customers\?([^"]*page=2[^"]*)"`, `href="/customers\?([^"]*sort=name[^"]*)"`} {
		m := regexp.MustCompile(re).FindStringSubmatch(list.Body)
		if m == nil {
			t.Fatalf("no link matching %s", re)
		}
		q, err := url.ParseQuery(strings.ReplaceAll(m[1], "&amp;", "&"))
		if err != nil || q.Get("q") != "翻页" {
			t.Errorf("link %q lost the search (%v)", m[1], err)
		}
	}
}

func TestOversizedBody(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	big := strings.Repeat("x", 2<<20+1)
	for _, path := range []string{"/customers", "/login", "/settings/aux/industry", "/no-such-route"} {
		t.Run(path, func(t *testing.T) {
			before := app.snapshot()
			res := c.post(path, url.Values{"name": {big}, "code": {"BIG"}, "name_zh": {"x"}, "sort_order": {"1"}})
			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413", res.StatusCode)
			}
			if app.snapshot() != before {
				t.Error("an oversized request saved something")
			}
		})
	}
	t.Run("just under the limit is fine", func(t *testing.T) {
		res := c.post("/customers", url.Values{"name": {"正常"}, "notes": {strings.Repeat("x", 1<<20)}})
		if res.StatusCode != http.StatusUnprocessableEntity { // notes too long, but read and validated
			t.Errorf("status %d", res.StatusCode)
		}
	})
}

func TestMalformedIDs(t *testing.T) {
	f := newFixture(t)
	admin := f.login("admin")
	rec := id64(f.mine["customer"].id)
	cases := []routeCase{}
	for _, bad := range []string{"abc", "-1", "0", "1.5", "99999999999999999999", "0x10", "1e3", "%20"} {
		cases = append(cases,
			routeCase{"card " + bad, "GET", "/customers/" + bad, nil},
			routeCase{"prospect card " + bad, "GET", "/prospects/" + bad, nil},
			routeCase{"edit " + bad, "GET", "/customers/" + bad + "/edit", nil},
			routeCase{"update " + bad, "POST", "/customers/" + bad, url.Values{"name": {"x"}}},
			routeCase{"contact edit " + bad, "GET", "/customers/" + rec + "/contacts/" + bad + "/edit", nil},
			routeCase{"contact update " + bad, "POST", "/customers/" + rec + "/contacts/" + bad, url.Values{"name": {"x"}}},
			routeCase{"contact delete " + bad, "POST", "/customers/" + rec + "/contacts/" + bad + "/delete", nil},
			routeCase{"new contact " + bad, "GET", "/customers/" + bad + "/contacts/new", nil},
			routeCase{"convert " + bad, "POST", "/prospects/" + bad + "/convert", nil},
			routeCase{"aux edit " + bad, "GET", "/settings/aux/industry/" + bad + "/edit", nil},
			routeCase{"aux delete " + bad, "POST", "/settings/aux/industry/" + bad + "/delete", nil},
			routeCase{"user edit " + bad, "GET", "/admin/users/" + bad + "/edit", nil},
			routeCase{"user update " + bad, "POST", "/admin/users/" + bad, url.Values{"display_name": {"x"}, "role": {"sales"}}},
		)
	}
	cases = append(cases,
		routeCase{"missing record", "GET", "/customers/999999", nil},
		routeCase{"unknown aux type", "GET", "/settings/aux/planets", nil},
		routeCase{"unknown aux type form", "POST", "/settings/aux/planets", url.Values{"code": {"X"}, "name_zh": {"x"}, "sort_order": {"1"}}},
		routeCase{"unknown numbering kind", "GET", "/settings/numbering/planet/preview", nil},
		routeCase{"unknown numbering kind save", "POST", "/settings/numbering/planet", url.Values{"prefix": {"X"}, "width": {"3"}, "reset": {"never"}}},
		routeCase{"aux item of another type", "GET", "/settings/aux/grade/" + id64(f.auxID("industry", "IT")) + "/edit", nil},
	)
	before := f.snapshot()
	for _, rc := range cases {
		t.Run(rc.name, func(t *testing.T) {
			if res := admin.send(rc); res.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s: status %d, want 404", rc.method, rc.path, res.StatusCode)
			}
		})
	}
	if f.snapshot() != before {
		t.Error("a malformed id changed data")
	}
}

func TestUnknownSortAndFilterValues(t *testing.T) {
	f := newFixture(t)
	admin := f.login("admin")
	queries := []string{
		"sort=" + url.QueryEscape("name; DROP TABLE customers") + "&dir=sideways",
		"sort=" + url.QueryEscape("c.id) UNION SELECT password_hash FROM users --"),
		"sort=password_hash&dir=desc",
		"industry=abc&grade=-3&region=1.5&source=" + url.QueryEscape("1 OR 1=1") + "&stage=99999999999999999999",
		"status=" + url.QueryEscape("active' OR '1'='1") + "&owner=xyz&trait=",
		"page=-1", "page=abc", "page=99999999", "q=" + url.QueryEscape("' OR 1=1 --") + "&q=second",
		"unknown=1&sort[]=name",
	}
	for _, q := range queries {
		t.Run(q, func(t *testing.T) {
			res := admin.get("/customers?" + q)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d", res.StatusCode)
			}
			if strings.Contains(res.Body, "DROP TABLE") && !strings.Contains(res.Body, `name="q"`) {
				t.Error("echoed")
			}
			if strings.Contains(q, "sort=") && !strings.Contains(res.Body, `name="sort" value="name"`) {
				t.Error("an unknown sort was not replaced by the default")
			}
			if exp := admin.get("/customers/export.csv?" + q); exp.StatusCode != http.StatusOK {
				t.Errorf("export: %d", exp.StatusCode)
			}
		})
	}
	if n := f.countCustomers("customer"); n != 2 {
		t.Errorf("%d customers after hostile queries, want 2", n)
	}
	if r := admin.get("/customers?industry=abc"); !strings.Contains(r.Body, f.mine["customer"].name) {
		t.Error("an unparsable filter value hid the rows instead of being ignored")
	}
	if r := admin.get("/customers?status=weird"); !strings.Contains(r.Body, f.mine["customer"].name) {
		t.Error("an unknown status hid the rows instead of being ignored")
	}
}

func TestCustomerFilterFrom(t *testing.T) {
	tests := []struct {
		q    string
		want models.CustomerFilter
	}{
		{"", models.CustomerFilter{Kind: "customer", Sort: "name", PerPage: 50}},
		{"industry=3&grade=4&region=5&source=6&stage=7&trait=8&owner=9&status=inactive&sort=code&dir=desc&page=3&q=+abc+",
			models.CustomerFilter{Kind: "customer", IndustryID: 3, GradeID: 4, RegionID: 5, SourceID: 6, StageID: 7, TraitID: 8,
				OwnerID: 9, Status: "inactive", Sort: "code", Desc: true, Page: 3, Q: "abc", PerPage: 50}},
		{"sort=" + url.QueryEscape("name; DROP TABLE customers") + "&dir=up&status=gone&industry=-4&page=0",
			models.CustomerFilter{Kind: "customer", Sort: "name", PerPage: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.q, func(t *testing.T) {
			v, err := url.ParseQuery(tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := customerFilterFrom(v, "customer")
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
	long := customerFilterFrom(url.Values{"q": {strings.Repeat("长", 500)}}, "customer")
	if n := len([]rune(long.Q)); n != 100 {
		t.Errorf("search text of %d characters, want it cut to 100", n)
	}
}

// TestEditRecordOfDisabledOwner: when a salesperson leaves, their records
// keep them as owner until someone reassigns them; editing another field must
// neither silently give the record to someone else nor be refused.
func TestEditRecordOfDisabledOwner(t *testing.T) {
	f := newFixture(t)
	rec := f.mine["customer"]
	if err := f.db.UpdateUser(context.Background(), 1, models.User{ID: f.sales1, DisplayName: "sales1", Role: models.RoleSales}); err != nil {
		t.Fatal(err)
	}
	mgr := f.login("manager")
	form := mgr.get("/customers/" + id64(rec.id) + "/edit")
	if !strings.Contains(form.Body, `<option value="`+id64(f.sales1)+`" selected>sales1</option>`) {
		t.Fatal("the owner picker does not show the record's current (disabled) owner")
	}
	res := mgr.post("/customers/"+id64(rec.id), url.Values{"name": {rec.name}, "phone": {"010-7777"}, "owner": {id64(f.sales1)}, "status": {"active"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving: %d\n%s", res.StatusCode, res.Body)
	}
	cu, err := f.db.GetCustomer(context.Background(), models.Actor{Role: models.RoleAdmin}, "customer", rec.id)
	if err != nil || cu.OwnerID != f.sales1 || cu.Phone != "010-7777" {
		t.Errorf("after save: %+v %v", cu, err)
	}
	// A disabled user cannot be given new records.
	res = mgr.post("/customers", url.Values{"name": {"给离职员工"}, "owner": {id64(f.sales1)}})
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, fieldError("owner", "请选择列表中的选项")) {
		t.Errorf("new record for a disabled owner: %d", res.StatusCode)
	}
	if form := mgr.get("/customers/new"); strings.Contains(form.Body, `>sales1</option>`) {
		t.Error("a disabled user is offered as owner of a new record")
	}
}

func TestHostileTextIsEscaped(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	evil := `<script>alert("x")</script><img src=x onerror=alert(1)>`
	res := c.post("/customers", url.Values{"name": {evil}, "notes": {evil}, "address": {evil}, "website": {"https://x.example/\"><script>"},
		"contact_name": {evil}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d", res.StatusCode)
	}
	card := res.Header.Get("Location")
	c.post(card, url.Values{"name": {evil + "2"}, "notes": {evil}, "status": {"active"}})
	for _, p := range []string{card, card + "/edit", "/customers", "/customers?q=" + url.QueryEscape(evil),
		"/customers/duplicates?name=" + url.QueryEscape(evil+"2"), "/customers/new"} {
		res := c.get(p)
		if strings.Contains(res.Body, "<script>alert") || strings.Contains(res.Body, "<img src=x") {
			t.Errorf("%s renders the markup unescaped", p)
		}
	}
	// The duplicate warning and a validation failure echo it escaped too.
	for _, form := range []url.Values{{"name": {evil + "2"}}, {"name": {evil}, "email": {evil}}} {
		res := c.post("/customers", form)
		if res.StatusCode < 400 || strings.Contains(res.Body, "<script>alert") {
			t.Errorf("status %d; echoed unescaped: %v", res.StatusCode, strings.Contains(res.Body, "<script>alert"))
		}
	}
}
