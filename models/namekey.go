package models

import (
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// NameKey reduces a company name to the part that tells companies apart, so
// 南京蓝海科技有限公司, 南京蓝海科技有限责任公司 and 蓝海科技(南京)有限公司 share
// one key, and so do "ACME Co., Ltd." and "Acme Co Ltd". It folds full-width
// to half-width and case, drops spaces, punctuation and brackets (keeping a
// bracketed place name out of the key), the legal suffixes at the end and the
// province and city prefixes at the start. A name that would reduce to
// nothing keeps its folded form, so "北京有限公司" is not everybody's twin.
// The key is stored in customers.name_key (migration 0013) at every write.
func NameKey(name string) string {
	s := foldName(name)
	folded := s
	// A place in brackets (蓝海科技(南京)) is a prefix written elsewhere.
	s = dropBracketedPlaces(s)
	// Latin suffixes are whole words ("Tesco" keeps its "co").
	words := strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for len(words) > 1 && latinSuffixes[words[len(words)-1]] {
		words = words[:len(words)-1]
	}
	s = strings.Join(words, "")
	for changed := true; changed; {
		changed = false
		for _, suf := range legalSuffixes {
			if t, ok := strings.CutSuffix(s, suf); ok && t != "" {
				s, changed = t, true
				break
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for _, p := range placePrefixes {
			if t, ok := strings.CutPrefix(s, p); ok && len([]rune(t)) >= 2 {
				s, changed = t, true
				break
			}
		}
	}
	if s == "" {
		return stripPunct(folded)
	}
	return s
}

func foldName(name string) string {
	s := width.Fold.String(strings.TrimSpace(name))
	s = strings.NewReplacer("【", "(", "】", ")", "〔", "(", "〕", ")", "[", "(", "]", ")", "{", "(", "}", ")",
		"《", "", "》", "", "&", "and").Replace(s)
	return strings.ToLower(s)
}

// dropBracketedPlaces removes "(南京)" or "(江苏省南京市)" anywhere in s, when
// the bracket holds only place names; other bracketed text stays as words.
func dropBracketedPlaces(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '(')
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], ')')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		inner := s[i+1 : i+j]
		b.WriteString(s[:i])
		if !onlyPlaces(inner) {
			b.WriteString(inner)
		}
		s = s[i+j+1:]
	}
}

func onlyPlaces(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return true
	}
	for s != "" {
		found := false
		for _, p := range placePrefixes {
			if t, ok := strings.CutPrefix(s, p); ok {
				s, found = t, true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

func stripPunct(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

// legalSuffixes, longest first where one ends another; they are cut from the
// end repeatedly (…集团股份有限公司 loses both).
var legalSuffixes = []string{
	"股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "责任公司", "分公司", "总公司", "子公司", "公司",
	"集团", "控股", "股份", "总厂", "分厂", "工厂", "厂", "分店", "总店", "门店", "店", "事务所", "工作室", "商行",
}

var latinSuffixes = map[string]bool{"corporation": true, "incorporated": true, "limited": true, "company": true,
	"group": true, "holdings": true, "corp": true, "inc": true, "ltd": true, "llc": true, "plc": true, "gmbh": true,
	"co": true}

// placePrefixes are provinces, their capitals and other large cities, each
// with its 省/市/自治区 form first so the longer form is cut whole.
var placePrefixes = func() []string {
	provinces := []string{"河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽", "福建", "江西", "山东",
		"河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西", "甘肃", "青海", "台湾"}
	regions := []string{"内蒙古", "广西壮族", "广西", "西藏", "宁夏回族", "宁夏", "新疆维吾尔", "新疆"}
	cities := []string{"北京", "上海", "天津", "重庆", "香港", "澳门", "石家庄", "太原", "沈阳", "大连", "长春",
		"哈尔滨", "南京", "苏州", "无锡", "常州", "南通", "徐州", "杭州", "宁波", "温州", "嘉兴", "绍兴", "金华",
		"合肥", "福州", "厦门", "泉州", "南昌", "济南", "青岛", "烟台", "郑州", "洛阳", "武汉", "长沙", "广州",
		"深圳", "珠海", "佛山", "东莞", "中山", "惠州", "汕头", "海口", "三亚", "成都", "贵阳", "昆明", "西安",
		"兰州", "西宁", "银川", "乌鲁木齐", "呼和浩特", "南宁", "拉萨", "桂林", "柳州", "包头", "保定", "唐山",
		"潍坊", "临沂", "淄博", "扬州", "镇江", "泰州", "盐城", "台州", "湖州", "芜湖", "宜昌", "襄阳", "株洲",
		"绵阳", "遵义", "大理", "咸阳", "昆山", "义乌", "江阴"}
	var out []string
	for _, p := range provinces {
		out = append(out, p+"省", p)
	}
	for _, r := range regions {
		out = append(out, r+"自治区", r)
	}
	for _, c := range cities {
		out = append(out, c+"市", c)
	}
	out = append(out, "中国", "china")
	return out
}()
