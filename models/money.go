package models

import (
	"strconv"
	"strings"
)

// Money is stored as integer fen (0.01 yuan), so sums are exact.

// FormatFen renders an amount in fen as yuan with two decimals and
// thousands separators, e.g. 123456789 → "1,234,567.89".
func FormatFen(fen int64) string {
	neg := fen < 0
	if neg {
		fen = -fen
	}
	yuan, cents := fen/100, fen%100
	s := strconv.FormatInt(yuan, 10)
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String() + "." + strconv.FormatInt(cents/10, 10) + strconv.FormatInt(cents%10, 10)
	if neg {
		return "-" + out
	}
	return out
}

// ParseFen reads an amount in yuan ("1234.5", "1,234.50") as fen; ok is
// false for anything else, negative amounts and amounts over 10^13 yuan.
func ParseFen(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", "，", "", " ", "").Replace(strings.TrimSpace(s))
	s = strings.TrimPrefix(strings.TrimPrefix(s, "¥"), "￥")
	if s == "" {
		return 0, true
	}
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || len(whole) > 13 {
		return 0, false
	}
	for _, r := range whole + frac {
		if r < '0' || r > '9' {
			return 0, false
		}
	}
	y, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	for len(frac) < 2 {
		frac += "0"
	}
	c, err := strconv.ParseInt(frac, 10, 64)
	if err != nil {
		return 0, false
	}
	return y*100 + c, true
}
