// Package chart draws bar, line and pie charts as SVG on the server, so a
// report's chart needs no script in the page (the Content-Security-Policy
// allows none inline) and looks the same in an e-mail. Labels are Chinese
// as often as not: they are measured as such, shortened with an ellipsis
// when they do not fit (the full text stays in a tooltip), and always
// escaped.
package chart

import (
	"fmt"
	"html"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Kinds of chart.
const (
	Bar  = "bar"
	Line = "line"
	Pie  = "pie"
)

// Series is one row of values, one per label.
type Series struct {
	Name   string
	Values []float64
}

// Chart is what to draw.
type Chart struct {
	Kind   string
	Title  string // read by screen readers
	Labels []string
	Series []Series
	// Format writes a value for people; the default shows up to two decimals.
	Format func(v float64) string
	// Other labels the slice that gathers the smallest values of a pie.
	Other string
}

// Limits keep a chart readable; the table below it shows everything.
const (
	MaxBars   = 30
	MaxSeries = 4
	MaxSlices = 8
)

// Font is the font stack of the labels: Chinese fonts of macOS, Windows and
// Linux before the generic family.
const Font = `-apple-system, 'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif`

// Palette colours the series and slices, in order.
var Palette = []string{"#0f766e", "#3182ce", "#d69e2e", "#e53e3e", "#805ad5", "#38a169", "#dd6b20", "#718096", "#d53f8c"}

const (
	fontSize = 12
	ink      = "#1f2933"
	ink3     = "#7b8794"
	grid     = "#e4e7eb"
)

// SVG draws c for a width in CSS pixels. An empty chart (no labels or no
// series) is "".
func SVG(c Chart, width int) string {
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		return ""
	}
	if c.Format == nil {
		c.Format = defaultFormat
	}
	if len(c.Series) > MaxSeries {
		c.Series = c.Series[:MaxSeries]
	}
	width = max(width, 240)
	switch c.Kind {
	case Line:
		return line(c, width)
	case Pie:
		return pie(c, width)
	}
	return bar(c, width)
}

func defaultFormat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// TextWidth estimates the drawn width of s at size px: CJK and other wide
// characters take a full em, Latin letters and digits about half of one.
func TextWidth(s string, size float64) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case r >= 0x1100 && (unicode.Is(unicode.Han, r) || unicode.In(r, unicode.Hangul, unicode.Hiragana, unicode.Katakana) ||
			(r >= 0xff00 && r <= 0xffef) || (r >= 0x3000 && r <= 0x303f)):
			w += size
		case r == ' ' || r == '.' || r == ',' || r == ':' || r == 'i' || r == 'l' || r == '|':
			w += size * 0.3
		case unicode.IsUpper(r) || r == 'm' || r == 'w' || r == '%':
			w += size * 0.68
		default:
			w += size * 0.56
		}
	}
	return w
}

// fit shortens s with an ellipsis to at most w px.
func fit(s string, w, size float64) string {
	if TextWidth(s, size) <= w {
		return s
	}
	rs := []rune(s)
	for n := len(rs) - 1; n > 0; n-- {
		t := string(rs[:n]) + "…"
		if TextWidth(t, size) <= w {
			return t
		}
	}
	return "…"
}

type svg struct {
	b    strings.Builder
	w, h int
}

func (s *svg) f(format string, args ...any) { fmt.Fprintf(&s.b, format, args...) }

// text writes a label, escaped, with its full text as a tooltip when it was
// shortened.
func (s *svg) text(x, y float64, anchor, fill, full string, maxW float64, extra string) {
	shown := full
	if maxW > 0 {
		shown = fit(full, maxW, fontSize)
	}
	s.f(`<text x="%.1f" y="%.1f" text-anchor="%s" fill="%s"%s>`, x, y, anchor, fill, extra)
	if shown != full {
		s.f(`<title>%s</title>`, html.EscapeString(full))
	}
	s.f(`%s</text>`, html.EscapeString(shown))
}

func (s *svg) done(title string) string {
	return fmt.Sprintf(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" `+
		`font-family="%s" font-size="%d" class="chart-svg"><title>%s</title>%s</svg>`,
		s.w, s.h, s.w, s.h, html.EscapeString(title), Font, fontSize, html.EscapeString(title), s.b.String())
}

// legend draws the series names in a row from (x, y); it returns the
// height it used.
func (s *svg) legend(names []string, x, y float64, maxW float64) float64 {
	if len(names) < 2 {
		return 0
	}
	cx, cy := x, y
	for i, n := range names {
		w := TextWidth(n, fontSize) + 26
		if cx+w > x+maxW && cx > x {
			cx, cy = x, cy+18
		}
		s.f(`<rect x="%.1f" y="%.1f" width="10" height="10" rx="2" fill="%s"/>`, cx, cy+2, Palette[i%len(Palette)])
		s.text(cx+14, cy+11, "start", ink, n, maxW-14, "")
		cx += w
	}
	return cy - y + 22
}

func maxValue(c Chart, n int) float64 {
	m := 0.0
	for _, ser := range c.Series {
		for i, v := range ser.Values {
			if i < n && v > m && !math.IsInf(v, 0) {
				m = v
			}
		}
	}
	if m <= 0 {
		return 1
	}
	return m
}

func value(ser Series, i int) float64 {
	if i >= len(ser.Values) || math.IsNaN(ser.Values[i]) || math.IsInf(ser.Values[i], 0) {
		return 0
	}
	return ser.Values[i]
}

func names(c Chart) []string {
	out := make([]string, len(c.Series))
	for i, s := range c.Series {
		out[i] = s.Name
	}
	return out
}

// bar draws horizontal bars, one row per label: long Chinese names read
// better down the side than slanted under an axis.
func bar(c Chart, width int) string {
	n := min(len(c.Labels), MaxBars)
	s := &svg{w: width}
	top := 4.0
	top += s.legend(names(c), 4, top, float64(width-8))
	barH := 16.0
	if len(c.Series) > 1 {
		barH = 12
	}
	rowH := barH*float64(len(c.Series)) + 10
	labelW := 0.0
	for _, l := range c.Labels[:n] {
		labelW = max(labelW, TextWidth(l, fontSize))
	}
	labelW = min(labelW, float64(width)*0.36)
	m := maxValue(c, n)
	valueW := 0.0
	for _, ser := range c.Series {
		for i := range n {
			valueW = max(valueW, TextWidth(c.Format(value(ser, i)), fontSize))
		}
	}
	x0 := labelW + 12
	plot := float64(width) - x0 - valueW - 10
	if plot < 40 {
		plot = 40
	}
	for _, t := range ticks(m, 4) {
		x := x0 + t/m*plot
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x, top, x, top+rowH*float64(n), grid)
	}
	for i := range n {
		y := top + rowH*float64(i)
		s.text(x0-6, y+rowH/2+4, "end", ink, c.Labels[i], labelW, "")
		for k, ser := range c.Series {
			v := value(ser, i)
			w := max(0, v/m*plot)
			by := y + 5 + barH*float64(k)
			color := Palette[k%len(Palette)]
			s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" rx="2" fill="%s"><title>%s</title></rect>`,
				x0, by, w, barH-2, color, html.EscapeString(c.Labels[i]+" · "+ser.Name+": "+c.Format(v)))
			s.text(x0+w+4, by+barH-3, "start", ink3, c.Format(v), 0, ` font-size="11"`)
		}
	}
	s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x0, top, x0, top+rowH*float64(n), ink3)
	s.h = int(math.Ceil(top + rowH*float64(n) + 6))
	return s.done(c.Title)
}

// ticks returns up to about n round values between 0 and m.
func ticks(m float64, n int) []float64 {
	if m <= 0 {
		return nil
	}
	raw := m / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := mag
	for _, k := range []float64{1, 2, 2.5, 5, 10} {
		if k*mag >= raw {
			step = k * mag
			break
		}
	}
	var out []float64
	for v := step; v <= m*1.0001; v += step {
		out = append(out, v)
	}
	return out
}

// line draws one line per series over the labels (usually days or months).
func line(c Chart, width int) string {
	n := len(c.Labels)
	s := &svg{w: width}
	top := 6.0
	top += s.legend(names(c), 4, top, float64(width-8))
	height := math.Max(200, math.Min(300, float64(width)*0.45))
	m := maxValue(c, n)
	tks := ticks(m, 4)
	if len(tks) > 0 && tks[len(tks)-1] < m {
		// The axis ends on a round value above the highest point.
		step := tks[0]
		m = math.Ceil(m/step) * step
		tks = append(tks, m)
	}
	axisW := 0.0
	for _, t := range append(tks, 0) {
		axisW = math.Max(axisW, TextWidth(c.Format(t), fontSize))
	}
	x0, x1 := axisW+10, float64(width)-12
	y0, y1 := top+8, top+height-28 // plot top and bottom
	for _, t := range append([]float64{0}, tks...) {
		y := y1 - t/m*(y1-y0)
		s.f(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"/>`, x0, y, x1, y, grid)
		s.text(x0-4, y+4, "end", ink3, c.Format(t), 0, "")
	}
	xAt := func(i int) float64 {
		if n == 1 {
			return (x0 + x1) / 2
		}
		return x0 + 6 + float64(i)*(x1-x0-12)/float64(n-1)
	}
	labelW := 0.0
	for _, l := range c.Labels {
		labelW = math.Max(labelW, TextWidth(l, fontSize))
	}
	every := 1
	if n > 1 {
		slot := (x1 - x0) / float64(n)
		every = int(math.Ceil((math.Min(labelW, 90) + 8) / slot))
	}
	for i, l := range c.Labels {
		if i%every != 0 && i != n-1 {
			continue
		}
		if i == n-1 && i%every != 0 && n > 1 && float64(n-1-(n-1)/every*every) < float64(every)/2 {
			continue // too close to the label before it
		}
		s.text(xAt(i), y1+18, "middle", ink3, l, 90, "")
	}
	for k, ser := range c.Series {
		color := Palette[k%len(Palette)]
		var pts []string
		for i := range n {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xAt(i), y1-value(ser, i)/m*(y1-y0)))
		}
		s.f(`<polyline points="%s" fill="none" stroke="%s" stroke-width="2" stroke-linejoin="round"/>`, strings.Join(pts, " "), color)
		if n <= 60 {
			for i := range n {
				v := value(ser, i)
				s.f(`<circle cx="%.1f" cy="%.1f" r="3" fill="#fff" stroke="%s" stroke-width="2"><title>%s</title></circle>`,
					xAt(i), y1-v/m*(y1-y0), color, html.EscapeString(c.Labels[i]+" · "+ser.Name+": "+c.Format(v)))
			}
		}
	}
	s.h = int(math.Ceil(top + height))
	return s.done(c.Title)
}

type slice struct {
	label string
	v     float64
}

// pie draws the first series as a ring with a legend of labels, values and
// shares: beside the ring when there is room, below it on a phone.
func pie(c Chart, width int) string {
	var sl []slice
	total := 0.0
	for i, l := range c.Labels {
		v := value(c.Series[0], i)
		if v > 0 {
			sl = append(sl, slice{l, v})
			total += v
		}
	}
	s := &svg{w: width}
	if total == 0 {
		s.h = 40
		s.text(float64(width)/2, 24, "middle", ink3, "—", 0, "")
		return s.done(c.Title)
	}
	if len(sl) > MaxSlices {
		rest := 0.0
		for _, x := range sl[MaxSlices-1:] {
			rest += x.v
		}
		other := c.Other
		if other == "" {
			other = "…"
		}
		sl = append(sl[:MaxSlices-1], slice{other, rest})
	}
	wide := width >= 520
	d := math.Min(220, float64(width)-40)
	if wide {
		d = math.Min(240, float64(width)*0.4)
	}
	r := d / 2
	cx, cy := 10+r, 10+r
	if !wide {
		cx = float64(width) / 2
	}
	angle := -math.Pi / 2
	for i, x := range sl {
		color := Palette[i%len(Palette)]
		tip := html.EscapeString(fmt.Sprintf("%s: %s (%.1f%%)", x.label, c.Format(x.v), x.v*100/total))
		if len(sl) == 1 {
			s.f(`<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"><title>%s</title></circle>`, cx, cy, r, color, tip)
			break
		}
		a2 := angle + x.v/total*2*math.Pi
		large := 0
		if a2-angle > math.Pi {
			large = 1
		}
		s.f(`<path d="M%.2f,%.2f L%.2f,%.2f A%.2f,%.2f 0 %d 1 %.2f,%.2f Z" fill="%s" stroke="#fff" stroke-width="1.5"><title>%s</title></path>`,
			cx, cy, cx+r*math.Cos(angle), cy+r*math.Sin(angle), r, r, large, cx+r*math.Cos(a2), cy+r*math.Sin(a2), color, tip)
		angle = a2
	}
	s.f(`<circle cx="%.1f" cy="%.1f" r="%.1f" fill="#fff"/>`, cx, cy, r*0.55)
	s.f(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="%s" font-size="16" font-weight="600">%s</text>`,
		cx, cy+6, ink, html.EscapeString(c.Format(total)))
	lx, ly := 20+d+16, 16.0
	lw := float64(width) - lx - 8
	if !wide {
		lx, ly, lw = 12, d+34, float64(width)-24
	}
	for i, x := range sl {
		y := ly + float64(i)*22
		s.f(`<rect x="%.1f" y="%.1f" width="12" height="12" rx="2" fill="%s"/>`, lx, y-10, Palette[i%len(Palette)])
		share := fmt.Sprintf("%s · %.1f%%", c.Format(x.v), x.v*100/total)
		shareW := TextWidth(share, fontSize)
		s.text(lx+18, y, "start", ink, x.label, lw-shareW-30, "")
		s.text(lx+lw, y, "end", ink3, share, 0, "")
	}
	legendBottom := ly + float64(len(sl))*22
	s.h = int(math.Ceil(math.Max(d+20, legendBottom)))
	if !wide {
		s.h = int(math.Ceil(legendBottom))
	}
	return s.done(c.Title)
}
