package models

import (
	"slices"
	"strings"
	"testing"
)

func TestCheckSynonyms(t *testing.T) {
	groups, errs, _ := CheckSynonyms("登不上，无法登录、登录不了\r\n\n log in ; sign in|Log In \n打款 付款\t汇款\n坏了,,故障,…")
	if errs != nil {
		t.Fatalf("refused: %v", errs)
	}
	want := [][]string{{"登不上", "无法登录", "登录不了"}, {"log in", "sign in"}, {"打款", "付款", "汇款"}, {"坏了", "故障"}}
	if !slices.EqualFunc(groups, want, slices.Equal) {
		t.Errorf("got %q", groups)
	}
	if again, _, _ := CheckSynonyms(FormatSynonyms(groups)); !slices.EqualFunc(again, groups, slices.Equal) {
		t.Errorf("format does not read back: %q", again)
	}
	for text, want := range map[string]struct {
		key  string
		line int
	}{
		"甲, 乙\n丙":                             {"synonyms.err_one_word", 2},
		"甲 甲":                                 {"synonyms.err_one_word", 1},
		"\n\n，；、":                             {"synonyms.err_empty", 3},
		"甲, " + strings.Repeat("乙", 31):       {"synonyms.err_long", 1},
		strings.Repeat("甲乙 ", 70):             {"synonyms.err_long", 1},
		strings.Repeat("甲, 乙\n", 500) + "丙 丁": {"synonyms.err_too_many", 501},
	} {
		_, errs, line := CheckSynonyms(text)
		if errs["synonyms"] != want.key || line != want.line {
			t.Errorf("%.20q: %v line %d, want %s line %d", text, errs, line, want.key, want.line)
		}
	}
}
