package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyuan/models"
)

func TestNumberingRulesPage(t *testing.T) {
	app := newTestApp(t)
	app.db.SetClock(func() time.Time { return time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC) })
	c := app.login("admin")
	res := c.get("/settings/numbering")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d", res.StatusCode)
	}
	for _, kind := range models.DocKinds {
		if !strings.Contains(res.Body, `id="rule-`+kind+`"`) {
			t.Errorf("no rule form for %s", kind)
		}
	}
	for _, want := range []string{"KH00001", "QZ00001", "HD20260305001", "SC20260001", "WT2026030001"} {
		if !strings.Contains(res.Body, want) {
			t.Errorf("preview %s missing", want)
		}
	}
}

func TestNumberingPreview(t *testing.T) {
	app := newTestApp(t)
	app.db.SetClock(func() time.Time { return time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC) })
	c := app.login("admin")
	tests := []struct {
		query url.Values
		want  string
	}{
		{url.Values{"prefix": {"KX"}, "date_part": {"YYYYMMDD"}, "width": {"4"}, "reset": {"daily"}}, "KX202603050001"},
		{url.Values{"prefix": {""}, "date_part": {""}, "width": {"1"}, "reset": {"never"}}, ">1<"},
		{url.Values{"prefix": {"中文"}, "date_part": {""}, "width": {"3"}, "reset": {"never"}}, "—"},
		{url.Values{"prefix": {"A"}, "date_part": {""}, "width": {"0"}, "reset": {"never"}}, "—"},
	}
	for _, tt := range tests {
		t.Run(tt.query.Encode(), func(t *testing.T) {
			before := app.snapshot()
			res := c.get("/settings/numbering/customer/preview?"+tt.query.Encode(), "HX-Request", "true")
			if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, tt.want) {
				t.Errorf("status %d body %q, want %q", res.StatusCode, res.Body, tt.want)
			}
			if strings.Contains(res.Body, "<html") {
				t.Error("the preview is a full page")
			}
			if app.snapshot() != before {
				t.Error("previewing changed data")
			}
		})
	}
}

func TestSaveNumberingRule(t *testing.T) {
	app := newTestApp(t)
	app.db.SetClock(func() time.Time { return time.Date(2026, 3, 5, 2, 0, 0, 0, time.UTC) })
	c := app.login("admin")
	res := c.post("/settings/numbering/customer", url.Values{"prefix": {"CU"}, "date_part": {"YYYY"}, "width": {"3"}, "reset": {"yearly"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/numbering" {
		t.Fatalf("save: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	res = c.post("/settings/numbering/prospect", url.Values{"prefix": {"PX"}, "date_part": {""}, "width": {"2"}, "reset": {"never"}}, "HX-Request", "true")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.Body, `id="rule-prospect"`) || !strings.Contains(res.Body, "✓") ||
		strings.Contains(res.Body, "<html") {
		t.Errorf("htmx save: %d\n%s", res.StatusCode, res.Body)
	}
	if r := c.post("/customers", url.Values{"name": {"新规则客户"}}); r.StatusCode != http.StatusSeeOther {
		t.Fatal(r.StatusCode)
	}
	if card := c.get("/customers/1"); !strings.Contains(card.Body, "CU2026001") {
		t.Error("the new rule does not number the next customer")
	}
}

func TestNumberingRuleValidation(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	valid := url.Values{"prefix": {"KH"}, "date_part": {""}, "width": {"5"}, "reset": {"never"}}
	tests := []struct {
		name  string
		set   url.Values
		field string
		msg   string
		kept  string
	}{
		{"non-ASCII prefix", url.Values{"prefix": {"客户"}}, "prefix", "前缀只能包含字母、数字", `name="prefix" value="客户"`},
		{"prefix with a space", url.Values{"prefix": {"K H"}}, "prefix", "前缀只能包含字母、数字", `name="prefix" value="K H"`},
		{"prefix too long", url.Values{"prefix": {"ABCDEFGHIJK"}}, "prefix", "前缀只能包含字母、数字", `value="ABCDEFGHIJK"`},
		{"width 0", url.Values{"width": {"0"}}, "width", "请输入 1 到 12 之间的数字", ""},
		{"width 13", url.Values{"width": {"13"}}, "width", "请输入 1 到 12 之间的数字", `name="width" value="13"`},
		{"width not a number", url.Values{"width": {"five"}}, "width", "请输入 1 到 12 之间的数字", ""},
		{"unknown date part", url.Values{"date_part": {"YY"}}, "date_part", "请选择列表中的选项", ""},
		{"unknown reset", url.Values{"reset": {"weekly"}}, "reset", "请选择列表中的选项", ""},
		{"yearly reset without a year", url.Values{"reset": {"yearly"}}, "reset", "按此周期重置时，日期部分须包含该周期", ""},
		{"daily reset with only a month", url.Values{"date_part": {"YYYYMM"}, "reset": {"daily"}}, "reset", "按此周期重置时，日期部分须包含该周期", ""},
	}
	for _, tt := range tests {
		for _, hx := range []bool{false, true} {
			name := tt.name
			var headers []string
			if hx {
				name += " (htmx)"
				headers = []string{"HX-Request", "true"}
			}
			t.Run(name, func(t *testing.T) {
				var kept []string
				if tt.kept != "" {
					kept = []string{tt.kept}
				}
				res := c.postRefused(t, "/settings/numbering/customer", overlay(valid, tt.set), tt.field, tt.msg, kept, headers...)
				if hx == strings.Contains(res.Body, "<html") {
					t.Errorf("htmx=%v but full page=%v", hx, !hx)
				}
				if !hx && !strings.Contains(res.Body, `id="rule-activity"`) {
					t.Error("the full page lost the other rules")
				}
			})
		}
	}
}

func TestAuxItemsScreens(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	for _, typ := range models.AuxTypes {
		if res := c.get("/settings/aux/" + typ); res.StatusCode != http.StatusOK {
			t.Errorf("%s: %d", typ, res.StatusCode)
		}
	}
	res := c.post("/settings/aux/industry", url.Values{"code": {"AGR"}, "name_zh": {"农业"}, "name_en": {"Agriculture"}, "sort_order": {"5"}, "active": {"1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/settings/aux/industry" {
		t.Fatalf("create: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	list := c.get("/settings/aux/industry")
	if !strings.Contains(list.Body, "农业") || !strings.Contains(list.Body, "Agriculture") {
		t.Error("new item not listed")
	}
	if form := c.get("/customers/new"); !strings.Contains(form.Body, ">农业</option>") {
		t.Error("the customer form does not offer the new item")
	}
}

func TestAuxItemValidation(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	it := app.auxID("industry", "IT")
	valid := url.Values{"code": {"NEW"}, "name_zh": {"新项目"}, "name_en": {"New"}, "sort_order": {"10"}, "active": {"1"}}
	tests := []struct {
		name, path string
		set        url.Values
		field, msg string
		kept       []string
	}{
		{"code missing", "/settings/aux/industry", url.Values{"code": {""}}, "code", "必填", []string{inputValue("name_zh", "新项目")}},
		{"code taken", "/settings/aux/industry", url.Values{"code": {"IT"}}, "code", "该编码已在此清单中使用",
			[]string{inputValue("code", "IT"), inputValue("name_zh", "新项目"), inputValue("name_en", "New")}},
		{"code taken on edit", "/settings/aux/industry/" + id64(it), url.Values{"code": {"FIN"}}, "code", "该编码已在此清单中使用",
			[]string{inputValue("code", "FIN")}},
		{"code too long", "/settings/aux/industry", url.Values{"code": {strings.Repeat("C", 21)}}, "code", "内容太长", nil},
		{"Chinese name missing", "/settings/aux/industry", url.Values{"name_zh": {" "}}, "name_zh", "必填", []string{inputValue("code", "NEW")}},
		{"English name too long", "/settings/aux/industry", url.Values{"name_en": {strings.Repeat("e", 61)}}, "name_en", "内容太长", nil},
		{"sort order not a number", "/settings/aux/industry", url.Values{"sort_order": {"first"}}, "sort_order", "请输入整数", nil},
		{"sort order too big", "/settings/aux/industry", url.Values{"sort_order": {"99999999"}}, "sort_order", "请输入整数", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.postRefused(t, tt.path, overlay(valid, tt.set), tt.field, tt.msg, tt.kept)
		})
	}
}

func TestDeleteAuxItemThroughRouter(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	ctx := context.Background()
	unused := models.AuxItem{Type: "region", Code: "GAT", NameZH: "港澳台", Active: true}
	if err := app.db.SaveAuxItem(ctx, 1, &unused); err != nil {
		t.Fatal(err)
	}
	res := c.post("/settings/aux/region/"+id64(unused.ID)+"/delete", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if _, err := app.db.AuxItem(ctx, unused.ID); err == nil {
		t.Error("the unused item is still there")
	}
	for _, tc := range []struct{ typ, code, field string }{{"industry", "IT", "industry"}, {"trait", "LOYAL", "traits"}} {
		t.Run("in use: "+tc.typ, func(t *testing.T) {
			id := app.auxID(tc.typ, tc.code)
			if r := c.post("/customers", url.Values{"name": {"使用者" + tc.typ}, tc.field: {id64(id)}}); r.StatusCode != http.StatusSeeOther {
				t.Fatal(r.StatusCode)
			}
			before := app.snapshot()
			res := c.post("/settings/aux/"+tc.typ+"/"+id64(id)+"/delete", nil)
			if res.StatusCode != http.StatusSeeOther {
				t.Fatalf("delete: %d", res.StatusCode)
			}
			if app.snapshot() != before {
				t.Error("an item in use was deleted")
			}
			if next := c.get(res.Header.Get("Location")); !strings.Contains(next.Body, "该项目已被记录使用，不能删除") {
				t.Error("no clear message after refusing the delete")
			}
		})
	}
}

// TestDeactivatedAuxItem: a deactivated item stays on the records that have
// it (also through an edit), but new choices cannot pick it.
func TestDeactivatedAuxItem(t *testing.T) {
	app := newTestApp(t)
	c := app.login("admin")
	fin, loyal := app.auxID("industry", "FIN"), app.auxID("trait", "LOYAL")
	res := c.post("/customers", url.Values{"name": {"某银行"}, "industry": {id64(fin)}, "traits": {id64(loyal)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatal(res.StatusCode)
	}
	card := res.Header.Get("Location")
	for _, it := range []struct {
		typ, code, zh string
		id            int64
	}{{"industry", "FIN", "金融", fin}, {"trait", "LOYAL", "忠诚度高", loyal}} {
		r := c.post("/settings/aux/"+it.typ+"/"+id64(it.id), url.Values{"code": {it.code}, "name_zh": {it.zh}, "sort_order": {"1"}}) // active unticked
		if r.StatusCode != http.StatusSeeOther {
			t.Fatalf("deactivate %s: %d", it.typ, r.StatusCode)
		}
	}
	if list := c.get("/settings/aux/industry"); !strings.Contains(list.Body, `<tr class="inactive">`) {
		t.Error("the list does not mark the item inactive")
	}
	if r := c.get(card); !strings.Contains(r.Body, "金融") || !strings.Contains(r.Body, "忠诚度高") {
		t.Error("the card lost the deactivated items")
	}
	newForm := c.get("/customers/new")
	if strings.Contains(newForm.Body, ">金融</option>") || strings.Contains(newForm.Body, "忠诚度高") {
		t.Error("a new record is offered deactivated items")
	}
	edit := c.get(card + "/edit")
	if !strings.Contains(edit.Body, `value="`+id64(fin)+`" selected>金融`) ||
		!strings.Contains(edit.Body, `value="`+id64(loyal)+`" checked> 忠诚度高`) {
		t.Error("the edit form does not show the record's deactivated items as chosen")
	}
	// Saving the record as it is keeps both items.
	res = c.post(card, url.Values{"name": {"某银行"}, "industry": {id64(fin)}, "traits": {id64(loyal)}, "phone": {"010-1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("saving a record with deactivated items: %d\n%s", res.StatusCode, res.Body)
	}
	cu, err := app.db.GetCustomer(context.Background(), models.Actor{Role: models.RoleAdmin}, "customer", 1)
	if err != nil || cu.IndustryID != fin || len(cu.TraitIDs) != 1 || cu.TraitIDs[0] != loyal {
		t.Errorf("after save: %+v %v", cu, err)
	}
	// A new record cannot pick them.
	for field, id := range map[string]int64{"industry": fin, "traits": loyal} {
		res := c.post("/customers", url.Values{"name": {"新银行" + field}, field: {id64(id)}})
		if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.Body, fieldError(field, "请选择列表中的选项")) {
			t.Errorf("new record with a deactivated %s: %d", field, res.StatusCode)
		}
	}
}
