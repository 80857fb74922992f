package jobs

import (
	"keyuan/models"
	"strings"
	"testing"
)

func TestNormDate(t *testing.T) {
	cases := []struct{ in, order, want string }{
		{"1985-11-23", DateOrderMDY, "1985-11-23"},
		{"1985/11/23", DateOrderMDY, "1985-11-23"},
		{"1985.1.3", DateOrderMDY, "1985-01-03"},
		{"1985年11月23日", DateOrderMDY, "1985-11-23"},
		{"1985-11-23 00:00:00", DateOrderMDY, "1985-11-23"},
		{"1985/11/23 0:00", DateOrderMDY, "1985-11-23"},
		{"11-23-85", DateOrderMDY, "1985-11-23"}, // Excel's format 14 as excelize writes it by default
		{"3/5/1990", DateOrderMDY, "1990-03-05"},
		{"3/5/1990", DateOrderDMY, "1990-05-03"},
		{"23/11/1985", DateOrderMDY, "1985-11-23"}, // only one reading
		{"11/23/1985", DateOrderDMY, "1985-11-23"},
		{"1/2/05", DateOrderMDY, "2005-01-02"},
		{"31374", DateOrderMDY, "1985-11-23"},
		{"2/30/1990", DateOrderMDY, "2/30/1990"},
		{"next week", DateOrderMDY, "next week"},
		{"1234", DateOrderMDY, "1234"},
		{"", DateOrderMDY, ""},
	}
	for _, c := range cases {
		if got := normDate(c.in, c.order); got != c.want {
			t.Errorf("normDate(%q, %s) = %q, want %q", c.in, c.order, got, c.want)
		}
	}
}

// TestDigestOverdueLinkEndsYesterday: the digest counts plans before today
// as overdue; its link listed today's too.
func TestDigestOverdueLinkEndsYesterday(t *testing.T) {
	v := &DigestView{BaseURL: "http://crm.test", Digest: &models.Digest{Today: "2026-03-10"}}
	if u := v.OverdueURL(7); !strings.Contains(u, "to=2026-03-09") {
		t.Errorf("overdue link %s", u)
	}
}
