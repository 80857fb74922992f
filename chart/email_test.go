package chart

import (
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"
)

// TestEmailChartIsTablesOnly: the e-mail chart is plain tables that every
// client draws (no SVG, no style blocks, no script), escapes its labels,
// sizes bars by value, and fits a phone (percent widths, no fixed width).
func TestEmailChartIsTablesOnly(t *testing.T) {
	c := Chart{Kind: Bar, Title: "本周业务活动", Labels: []string{"张伟", `<script>alert(1)</script>`, "王芳"},
		Series: []Series{{Name: "记录", Values: []float64{40, 20, 0}}}}
	out := HTML(c)
	for _, bad := range []string{"<svg", "<style", "<script", `width="600"`} {
		if strings.Contains(out, bad) {
			t.Errorf("the e-mail chart has %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;script&gt;") {
		t.Error("a label is not escaped")
	}
	if !strings.Contains(out, `width="85%"`) || !strings.Contains(out, `width="42%"`) {
		t.Errorf("bars are not sized by value:\n%s", out)
	}
	if strings.Count(out, `bgcolor=`) != 2 {
		t.Error("a zero value should draw no bar")
	}
	if _, err := xhtml.Parse(strings.NewReader(out)); err != nil {
		t.Fatal(err)
	}
	if HTML(Chart{Kind: Pie}) != "" {
		t.Error("an empty chart is not empty")
	}
	two := HTML(Chart{Kind: Line, Labels: []string{"1月"}, Series: []Series{{Name: "甲", Values: []float64{1}}, {Name: "乙", Values: []float64{2}}}})
	if !strings.Contains(two, "甲") || !strings.Contains(two, "乙") {
		t.Error("two series without a legend")
	}
}
