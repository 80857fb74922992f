package search

import (
	"context"
	"slices"
	"testing"

	"keyuan/models"
)

func TestPinyinKeys(t *testing.T) {
	whole, prefixes := pinyinKeys("contact", "张伟", []string{"张伟", "13800138000"})
	slices.Sort(whole)
	if !slices.Equal(whole, []string{"zhangwei", "zw"}) {
		t.Errorf("张伟: %q", whole)
	}
	for _, p := range []string{"zh", "zha", "zhang", "zhangw", "zhangwei", "zw"} {
		if !slices.Contains(prefixes, p) {
			t.Errorf("张伟: prefix %q missing from %q", p, prefixes)
		}
	}
	// Polyphonic surnames: 曾 is also zeng, 单 also shan.
	for name, want := range map[string]string{"曾小贤": "zengxiaoxian", "单田芳": "shantianfang"} {
		if whole, _ := pinyinKeys("contact", name, nil); !slices.Contains(whole, want) {
			t.Errorf("%s: %q lacks %s", name, whole, want)
		}
	}
	// A company: its name, its name without the city, its short name; Latin
	// letters kept; brackets dropped.
	whole, _ = pinyinKeys("customer", "北京华信科技有限公司", []string{"KH00001", "华信科技", "010-12345678"})
	for _, w := range []string{"bjhxkjyxgs", "beijinghuaxinkejiyouxiangongsi", "hxkjyxgs", "hxkj", "huaxinkeji"} {
		if !slices.Contains(whole, w) {
			t.Errorf("华信: %s missing from %q", w, whole)
		}
	}
	if whole, _ := pinyinKeys("prospect", "ABC科技（上海）", nil); !slices.Contains(whole, "abckejishanghai") || !slices.Contains(whole, "akjsh") {
		t.Errorf("ABC: %q", whole)
	}
	// A city's reading (长沙 changsha, 重庆 chongqing), and few forms for
	// a long name full of characters with rare readings.
	whole, prefixes = pinyinKeys("customer", "长沙和信软件有限公司", nil)
	if !slices.Contains(whole, "changshahexinruanjianyouxiangongsi") || !slices.Contains(whole, "changshahexin") {
		t.Errorf("长沙: %q", whole)
	}
	if len(whole) > 16 || len(prefixes) > 60 {
		t.Errorf("长沙和信: %d whole forms, %d prefixes: %q", len(whole), len(prefixes), whole)
	}
	if whole, prefixes := pinyinKeys("article", "打印机卡纸", nil); whole != nil || prefixes != nil {
		t.Error("articles get no pinyin")
	}
	if got := pinyinWords("Zhang wei 张伟 x 13800"); !slices.Equal(got, []string{"zhang", "wei", "zhangwei"}) {
		t.Errorf("words: %q", got)
	}
}

// Customers and contacts are found by full pinyin and by initials; a name
// typed in Chinese still ranks its exact match first, and a Chinese query
// gets nothing from pinyin.
func TestSearchByPinyin(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	svc := f.open()
	add := func(name, short string, contacts ...string) {
		c := &models.Customer{Kind: "customer", Name: name, ShortName: short, OwnerID: 1}
		var ks []models.Contact
		for _, n := range contacts {
			ks = append(ks, models.Contact{Name: n})
		}
		if err := f.db.CreateCustomer(ctx, admin, c, ks); err != nil {
			t.Fatal(err)
		}
	}
	add("北京华信科技有限公司", "华信科技", "张伟", "曾小贤")
	add("上海华衡科技有限公司", "华衡科技", "张卫东")
	add("广州宏达贸易有限公司", "", "周文", "赵伟")
	add("深圳张江物流有限公司", "", "李娜")
	add("广州宏远贸易有限公司", "", "李明")
	if err := svc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q, kind, want string
	}{
		{"zhangwei", "contact", "张伟"},
		{"zhang wei", "contact", "张伟"},
		{"ZhangWei", "contact", "张伟"},
		{"zhangwe", "contact", "张伟"},
		{"zengxiaoxian", "contact", "曾小贤"},
		{"zxx", "contact", "曾小贤"},
		{"zwd", "contact", "张卫东"},
		{"bjhx", "customer", "北京华信科技有限公司"},
		{"hhkj", "customer", "上海华衡科技有限公司"},
		{"huaheng", "customer", "上海华衡科技有限公司"},
		{"hxkj", "customer", "北京华信科技有限公司"},
		{"guangzhouhongda", "customer", "广州宏达贸易有限公司"},
		{"guangzhouhongyuan", "customer", "广州宏远贸易有限公司"},
		{"gzhy", "customer", "广州宏远贸易有限公司"},
	} {
		res := f.search(admin, Query{Text: c.q, Kinds: []string{c.kind}, Size: 5})
		if got := titles(res); len(got) == 0 || got[0] != c.want {
			t.Errorf("%q: want %s first, got %q", c.q, c.want, got)
		}
	}
	// zw: the initials of 张伟, 周文 and 赵伟, then 张卫东 whose initials
	// only start with zw.
	if got := titles(f.search(admin, Query{Text: "zw", Kinds: []string{"contact"}, Size: 10})); len(got) != 4 ||
		!slices.Contains(got[:3], "张伟") || got[3] != "张卫东" {
		t.Errorf("zw: %q", got)
	}
	// Typed in Chinese, the name's own words rank first: 张江物流 is not
	// beaten by a contact whose pinyin starts with zhang.
	if got := titles(f.search(admin, Query{Text: "张江", Size: 5})); len(got) == 0 || got[0] != "深圳张江物流有限公司" {
		t.Errorf("张江: %q", got)
	}
	// An exact Chinese name outranks pinyin matches of a mixed query.
	if got := titles(f.search(admin, Query{Text: "张伟 zhangweidong", Kinds: []string{"contact"}, Size: 5})); len(got) < 2 || got[0] != "张伟" {
		t.Errorf("mixed: %q", got)
	}
	// No pinyin of articles, and no pinyin from Chinese queries.
	if got := titles(f.search(admin, Query{Text: "lina", Size: 5})); len(got) != 1 || got[0] != "李娜" {
		t.Errorf("lina: %q", got)
	}
}
