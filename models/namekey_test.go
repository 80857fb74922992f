package models

import "testing"

func TestNameKeySame(t *testing.T) {
	for _, group := range [][]string{
		{"南京蓝海科技有限公司", "南京蓝海科技有限责任公司", "蓝海科技(南京)有限公司", "蓝海科技（南京）有限公司",
			"江苏省南京市蓝海科技有限公司", "南京市 蓝海科技 股份有限公司", "【南京】蓝海科技公司", "蓝海科技集团有限公司",
			"蓝海科技", "蓝海科技股份有限公司"},
		{"ACME Co., Ltd.", "Acme Co Ltd", "ＡＣＭＥ　ＣＯ．，ＬＴＤ．", "acme limited", "ACME Inc."},
		{"北京华强电子厂", "华强电子", "北京市华强电子总厂"},
		{"上海·小杨生煎店", "小杨生煎", "上海小杨生煎门店"},
	} {
		want := NameKey(group[0])
		for _, n := range group[1:] {
			if got := NameKey(n); got != want {
				t.Errorf("NameKey(%q) = %q, want %q (as %q)", n, got, want, group[0])
			}
		}
	}
}

func TestNameKeyDifferent(t *testing.T) {
	for _, pair := range [][2]string{
		{"南京蓝海科技有限公司", "南京蓝天科技有限公司"},
		{"Tesco", "Tes"},
		{"北京有限公司", "上海有限公司"},
		{"蓝海科技(南京)有限公司", "蓝海科技(研发中心)有限公司"},
		{"ACME Co., Ltd.", "ACME Trading Co., Ltd."},
	} {
		if a, b := NameKey(pair[0]), NameKey(pair[1]); a == b {
			t.Errorf("NameKey(%q) = NameKey(%q) = %q, want different", pair[0], pair[1], a)
		}
	}
	for _, n := range []string{"北京有限公司", "公司", "(南京)", "  ", "Co."} {
		if n != "  " && NameKey(n) == "" {
			t.Errorf("NameKey(%q) is empty", n)
		}
	}
	if NameKey("  ") != "" {
		t.Errorf("NameKey of spaces = %q", NameKey("  "))
	}
}
