package chart

import (
	"fmt"
	"html"
	"strings"
)

// HTML draws c for e-mail: horizontal bars as table cells with a width and
// a background colour, which every mail client shows (Gmail and Outlook
// show no SVG), and which narrow to a phone's width instead of scrolling.
// Every kind is drawn as bars: a line's points and a pie's slices read as
// well side by side, and the table below the chart has the figures. An
// empty chart is "".
func HTML(c Chart) string {
	if len(c.Labels) == 0 || len(c.Series) == 0 {
		return ""
	}
	if c.Format == nil {
		c.Format = defaultFormat
	}
	if len(c.Series) > MaxSeries {
		c.Series = c.Series[:MaxSeries]
	}
	n := min(len(c.Labels), MaxBars)
	m := maxValue(c, n)
	var b strings.Builder
	font := `font-family:` + html.EscapeString(Font) + `;font-size:12px;color:` + ink
	fmt.Fprintf(&b, `<table role="presentation" width="100%%" cellpadding="0" cellspacing="0" border="0" style="max-width:600px;border-collapse:collapse;%s">`, font)
	if c.Title != "" {
		fmt.Fprintf(&b, `<caption style="text-align:left;font-weight:bold;padding:0 0 6px">%s</caption>`, html.EscapeString(c.Title))
	}
	if len(c.Series) > 1 {
		b.WriteString(`<tr><td colspan="2" style="padding:0 0 6px">`)
		for k, ser := range c.Series {
			fmt.Fprintf(&b, `<span style="display:inline-block;margin-right:12px"><span style="display:inline-block;width:10px;height:10px;background:%s"></span> %s</span>`,
				Palette[k%len(Palette)], html.EscapeString(ser.Name))
		}
		b.WriteString(`</td></tr>`)
	}
	for i := range n {
		fmt.Fprintf(&b, `<tr><td width="34%%" valign="top" style="padding:3px 8px 3px 0;text-align:right;word-break:break-all">%s</td><td style="padding:3px 0">`,
			html.EscapeString(c.Labels[i]))
		for k, ser := range c.Series {
			v := value(ser, i)
			pct := int(max(0, v/m*85)) // leave room beside the longest bar for its value
			color := Palette[k%len(Palette)]
			b.WriteString(`<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse"><tr>`)
			if pct > 0 {
				fmt.Fprintf(&b, `<td width="%d%%" bgcolor="%s" style="background:%s;height:12px;font-size:0;line-height:0">&nbsp;</td>`, pct, color, color)
			}
			fmt.Fprintf(&b, `<td style="padding-left:4px;font-size:11px;color:%s;white-space:nowrap">%s</td></tr></table>`,
				ink3, html.EscapeString(c.Format(v)))
		}
		b.WriteString(`</td></tr>`)
	}
	b.WriteString(`</table>`)
	return b.String()
}
