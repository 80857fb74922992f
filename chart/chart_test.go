package chart

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

// elements parses an SVG document and counts its elements by name; it
// fails the test when the document is not well-formed XML.
func elements(t *testing.T, doc string) map[string]int {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	out := map[string]int{}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, doc)
		}
		if se, ok := tok.(xml.StartElement); ok {
			out[se.Name.Local]++
		}
	}
}

func sample(kind string) Chart {
	return Chart{Kind: kind, Title: "按业务员统计 <活动>", Labels: []string{"张伟", "李娜", `<script>alert("x")</script>`, "上海浦东远航物流有限公司华东区销售一部"},
		Series: []Series{{Name: "记录数", Values: []float64{12, 7, 3, 0}}, {Name: "客户数 & 其他", Values: []float64{5, 4, 2, 0}}}}
}

func TestChartsAreWellFormedAndEscaped(t *testing.T) {
	for _, kind := range []string{Bar, Line, Pie} {
		for _, width := range []int{360, 720} {
			doc := SVG(sample(kind), width)
			els := elements(t, doc)
			if strings.Contains(doc, "<script") || strings.Contains(doc, `alert("x")`) {
				t.Errorf("%s at %d: a label is not escaped", kind, width)
			}
			if !strings.Contains(doc, "&lt;script&gt;") && kind != Pie {
				t.Errorf("%s at %d: the escaped label is missing", kind, width)
			}
			if !strings.Contains(doc, "PingFang SC") || !strings.Contains(doc, "Noto Sans CJK SC") {
				t.Errorf("%s: no Chinese font stack", kind)
			}
			if !strings.Contains(doc, `role="img"`) || !strings.Contains(doc, "按业务员统计 &lt;活动&gt;") {
				t.Errorf("%s: no accessible title", kind)
			}
			switch kind {
			case Bar:
				// one bar per label and series, plus the two legend swatches
				if els["rect"] != 4*2+2 {
					t.Errorf("bar at %d: %d rects, want 10", width, els["rect"])
				}
			case Line:
				if els["polyline"] != 2 || els["circle"] != 8 {
					t.Errorf("line at %d: %d lines, %d points", width, els["polyline"], els["circle"])
				}
			case Pie:
				// zero values get no slice: three slices and three legend swatches
				if els["path"] != 3 || els["rect"] != 3 {
					t.Errorf("pie at %d: %d slices, %d legend entries", width, els["path"], els["rect"])
				}
			}
		}
	}
}

func TestLongLabelsAreShortenedWithTheFullTextKept(t *testing.T) {
	doc := SVG(sample(Bar), 360)
	if !strings.Contains(doc, "…") {
		t.Error("the long company name was not shortened at 360 px")
	}
	if !strings.Contains(doc, "<title>上海浦东远航物流有限公司华东区销售一部</title>") {
		t.Error("the shortened label lost its full text")
	}
}

func TestPieGathersTheSmallestSlices(t *testing.T) {
	c := Chart{Kind: Pie, Other: "其他"}
	for i := range 12 {
		c.Labels = append(c.Labels, strings.Repeat("行", i+1))
	}
	c.Series = []Series{{Name: "客户", Values: []float64{12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}}}
	doc := SVG(c, 720)
	if n := elements(t, doc)["path"]; n != MaxSlices {
		t.Errorf("%d slices, want %d", n, MaxSlices)
	}
	// the rest: 5+4+3+2+1 = 15 of 78
	if !strings.Contains(doc, "其他: 15 (19.2%)") {
		t.Errorf("no slice gathers the rest:\n%s", doc)
	}
	if !strings.Contains(doc, ">78</text>") {
		t.Error("the ring does not show the total")
	}
}

func TestEmptyAndDegenerateCharts(t *testing.T) {
	if SVG(Chart{Kind: Bar}, 720) != "" {
		t.Error("a chart without labels should be empty")
	}
	for _, kind := range []string{Bar, Line, Pie} {
		c := Chart{Kind: kind, Labels: []string{"甲"}, Series: []Series{{Name: "零", Values: []float64{0}}}}
		elements(t, SVG(c, 240))
	}
}

func TestTextWidth(t *testing.T) {
	if w := TextWidth("客源CRM", 12); math.Abs(w-(12*2+3*12*0.68)) > 1e-9 {
		t.Errorf("width %v", w)
	}
	if got := fit("上海浦东远航物流有限公司", 60, 12); got != "上海浦东…" {
		t.Errorf("fit = %q", got)
	}
}

func TestTicks(t *testing.T) {
	got := ticks(87, 4)
	want := []float64{25, 50, 75}
	if len(got) != len(want) {
		t.Fatalf("ticks(87) = %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ticks(87) = %v", got)
		}
	}
}
