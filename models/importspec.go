package models

import (
	"strings"
	"unicode"
)

// ImportKinds are what the import wizard can import.
var ImportKinds = []string{"customer", "prospect", "contact"}

// ImportField is a target field of an import, with the header names (in
// Chinese and English) that map to it without asking.
type ImportField struct {
	Key      string
	AuxType  string // for category fields: the auxiliary item type
	Multi    bool   // several values in one cell (traits), separated by , ， ; 、 or |
	Required bool
	Synonyms []string
}

var customerImportFields = []ImportField{
	{Key: "code", Synonyms: []string{"编号", "客户编号", "客户代码", "代码", "code", "customercode", "no", "id"}},
	{Key: "name", Required: true, Synonyms: []string{"客户名称", "名称", "公司名称", "客户", "公司", "企业名称", "单位名称", "客户全称",
		"name", "company", "companyname", "customer", "customername", "account", "accountname"}},
	{Key: "short_name", Synonyms: []string{"简称", "客户简称", "shortname", "abbreviation"}},
	{Key: "industry", AuxType: "industry", Synonyms: []string{"行业", "行业别", "所属行业", "industry"}},
	{Key: "source", AuxType: "source", Synonyms: []string{"来源", "客户来源", "source", "leadsource"}},
	{Key: "grade", AuxType: "grade", Synonyms: []string{"分级", "等级", "客户等级", "级别", "客户分级", "grade", "rating", "level"}},
	{Key: "region", AuxType: "region", Synonyms: []string{"地区", "区域", "所在地区", "省份", "region", "area"}},
	{Key: "stage", AuxType: "sales_stage", Synonyms: []string{"销售阶段", "阶段", "stage", "salesstage"}},
	{Key: "traits", AuxType: "trait", Multi: true, Synonyms: []string{"特质", "标签", "客户特质", "traits", "tags"}},
	{Key: "address", Synonyms: []string{"地址", "详细地址", "公司地址", "通讯地址", "address"}},
	{Key: "phone", Synonyms: []string{"电话", "联系电话", "座机", "公司电话", "电话号码", "phone", "telephone", "tel", "phonenumber"}},
	{Key: "email", Synonyms: []string{"邮箱", "电子邮箱", "邮件", "电子邮件", "email", "mail", "emailaddress"}},
	{Key: "website", Synonyms: []string{"网址", "网站", "主页", "公司网站", "website", "web", "url", "homepage"}},
	{Key: "owner", Synonyms: []string{"负责人", "业务员", "负责业务员", "销售", "销售员", "客户经理", "owner", "salesperson", "salesrep", "accountmanager"}},
	{Key: "notes", Synonyms: []string{"备注", "说明", "备注信息", "notes", "note", "remarks", "comment", "comments"}},
	{Key: "contact_name", Synonyms: []string{"联系人", "联系人姓名", "主要联系人", "contact", "contactname"}},
	{Key: "contact_title", Synonyms: []string{"职务", "职位", "联系人职务", "title", "jobtitle", "position"}},
	{Key: "contact_mobile", Synonyms: []string{"手机", "手机号", "手机号码", "联系人手机", "mobile", "cell", "mobilephone", "cellphone"}},
	{Key: "contact_email", Synonyms: []string{"联系人邮箱", "联系人电子邮箱", "contactemail"}},
}

var contactImportFields = []ImportField{
	{Key: "customer_code", Synonyms: []string{"客户编号", "客户代码", "customercode"}},
	{Key: "customer", Synonyms: []string{"客户", "客户名称", "公司", "公司名称", "单位", "customer", "customername", "company", "account"}},
	{Key: "name", Required: true, Synonyms: []string{"姓名", "联系人", "联系人姓名", "名字", "name", "contact", "contactname", "fullname"}},
	{Key: "title", Synonyms: []string{"职务", "职位", "title", "jobtitle", "position"}},
	{Key: "phone", Synonyms: []string{"电话", "座机", "办公电话", "phone", "telephone", "tel", "workphone"}},
	{Key: "mobile", Synonyms: []string{"手机", "手机号", "手机号码", "mobile", "cell", "mobilephone", "cellphone"}},
	{Key: "email", Synonyms: []string{"邮箱", "电子邮箱", "邮件", "email", "mail", "emailaddress"}},
	{Key: "birthday", Synonyms: []string{"生日", "出生日期", "birthday", "dateofbirth", "birthdate", "dob"}},
	{Key: "primary", Synonyms: []string{"主要联系人", "是否主要联系人", "primary", "isprimary", "main"}},
}

// ImportFields returns the target fields of an import kind.
func ImportFields(kind string) []ImportField {
	if kind == "contact" {
		return contactImportFields
	}
	return customerImportFields
}

// ImportFieldByKey finds a field of kind by key.
func ImportFieldByKey(kind, key string) (ImportField, bool) {
	for _, f := range ImportFields(kind) {
		if f.Key == key {
			return f, true
		}
	}
	return ImportField{}, false
}

// normHeader lowercases a header and drops spaces, punctuation and marks
// such as "*" (required) or "(必填)", so "E-mail *" matches "email".
func normHeader(h string) string {
	h = strings.ToLower(h)
	if i := strings.IndexAny(h, "(（"); i > 0 {
		h = h[:i]
	}
	var b strings.Builder
	for _, r := range h {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// GuessMapping maps each column of header to a field key ("" to ignore),
// using each field at most once: exact synonyms first, then headers that
// contain a synonym.
func GuessMapping(kind string, header []string) []string {
	fields := ImportFields(kind)
	out := make([]string, len(header))
	used := map[string]bool{}
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = normHeader(h)
	}
	for pass := 0; pass < 2; pass++ {
		for i, h := range norm {
			if out[i] != "" || h == "" {
				continue
			}
			for _, f := range fields {
				if used[f.Key] {
					continue
				}
				for _, syn := range f.Synonyms {
					if (pass == 0 && h == syn) || (pass == 1 && len([]rune(syn)) >= 2 && strings.Contains(h, syn)) {
						out[i] = f.Key
						used[f.Key] = true
						break
					}
				}
				if out[i] != "" {
					break
				}
			}
		}
	}
	return out
}

// SplitMulti splits a multi-value cell ("价格敏感、重视服务").
func SplitMulti(v string) []string {
	parts := strings.FieldsFunc(v, func(r rune) bool { return strings.ContainsRune(",，;；、|/", r) })
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// MatchAuxValue finds the item of a type whose Chinese or English name or
// code equals v, ignoring case and spaces; 0 when none does.
func (l AuxLookup) MatchAuxValue(typ, v string) int64 {
	key := normValue(v)
	if key == "" || l.snap == nil {
		return 0
	}
	for _, a := range l.snap.byType[typ] {
		if normValue(a.NameZH) == key || normValue(a.NameEN) == key || normValue(a.Code) == key {
			return a.ID
		}
	}
	return 0
}

func normValue(v string) string {
	return strings.ToLower(strings.Join(strings.Fields(v), ""))
}
