package jobs

import (
	"strconv"
	"strings"
	"time"
)

// Date orders for text dates whose year comes last, as the mapping step
// offers them: 3/5/1990 is 5 March (dmy) or 3 May (mdy).
const (
	DateOrderMDY = "mdy" // Excel's own m/d/yy, the usual order of such text
	DateOrderDMY = "dmy"
)

// normDate turns a date as spreadsheets hold it into 2006-01-02, or returns
// it as it was when it is none of these (the check then says so):
//
//	1985-11-23, 1985/11/23, 1985.11.23, 1985年11月23日   year first
//	11/23/1985, 11-23-85, 23/11/1985                     year last, in order
//	1985-11-23 00:00:00, 1985/11/23 0:00                 a datetime: its date
//	31374                                                an Excel serial number
//
// A year-last date is read in the order given unless its numbers allow only
// one reading (23/11/1985 is day first whatever the order).
func normDate(v, order string) string {
	s := strings.TrimSpace(v)
	if s == "" {
		return ""
	}
	if d, ok := excelSerial(s); ok {
		return d
	}
	if date, clock, ok := strings.Cut(s, " "); ok && strings.Contains(clock, ":") {
		s = date // a datetime: keep its date
	}
	s = strings.NewReplacer("/", "-", ".", "-", "年", "-", "月", "-", "日", "").Replace(s)
	parts := strings.Split(s, "-")
	if len(parts) != 3 {
		return v
	}
	n := make([]int, 3)
	for i, p := range parts {
		x, err := strconv.Atoi(p)
		if err != nil || p == "" || len(p) > 4 {
			return v
		}
		n[i] = x
	}
	var y, m, d int
	switch {
	case len(parts[0]) == 4:
		y, m, d = n[0], n[1], n[2]
	case len(parts[2]) == 4 || len(parts[2]) == 2:
		y = n[2]
		if len(parts[2]) == 2 { // Excel's rule: 00–29 are 2000s, 30–99 1900s
			y += 1900
			if n[2] < 30 {
				y += 100
			}
		}
		m, d = n[0], n[1]
		if (order == DateOrderDMY && n[1] <= 12) || n[0] > 12 {
			m, d = n[1], n[0]
		}
	default:
		return v
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Year() != y || int(t.Month()) != m || t.Day() != d {
		return v // 2/30/1990 is no date
	}
	return t.Format("2006-01-02")
}

// excelSerial reads a bare five-digit Excel serial number (1927 to 2173),
// which a date column holds when its format was lost.
func excelSerial(s string) (string, bool) {
	if len(s) != 5 {
		return "", false
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 10000 {
		return "", false
	}
	// Excel counts from 1899-12-30 (its 1900 leap-year bug included).
	return time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n).Format("2006-01-02"), true
}
