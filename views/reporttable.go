package views

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"

	"keyuan/chart"
	"keyuan/models"
	"keyuan/sheet"
)

// A report ready to show, in a page or an e-mail: the same formatting for
// the report screen, the builder's preview and the scheduled report mail.

// NewReportFormatter formats report values in lang.
func (c Catalog) NewReportFormatter(lang string, aux models.AuxLookup, loc *time.Location) ReportFormatter {
	return ReportFormatter{T: func(k string, args ...any) string { return c.T(lang, k, args...) }, aux: aux, loc: loc, lang: lang}
}

// ReportCell is one formatted cell.
type ReportCell struct {
	Text string
	Num  bool
}

// ReportTable is a report ready to show: headers, formatted rows, totals
// and the chart in a wide and a narrow drawing (CSS shows one).
type ReportTable struct {
	Headers     []ReportCell
	Rows        [][]ReportCell
	Totals      []ReportCell
	Truncated   bool
	ChartWide   template.HTML
	ChartNarrow template.HTML
	ChartEmail  template.HTML
	Chart       string
	Chartable   bool // grouped, with numbers to draw: a chart can be chosen
	Count       int
}

// ReportFormatter formats values for one language.
type ReportFormatter struct {
	T    func(key string, args ...any) string
	aux  models.AuxLookup
	loc  *time.Location
	lang string
}

// Header is a column's label: its relation steps and field, and its
// aggregate ("金额（合计）").
func (f ReportFormatter) Header(col models.ReportColumn) string {
	parts := make([]string, len(col.Labels))
	for i, k := range col.Labels {
		parts[i] = f.T(k)
	}
	label := strings.Join(parts, " · ")
	if col.Bucket != "" {
		label = f.T("report.bucket_col."+col.Bucket, label)
	}
	if col.Agg != "" && !(col.Agg == "count" && len(col.Labels) == 1 && col.Labels[0] == "report.field.rows") {
		label = f.T("report.agg_col."+col.Agg, label)
	}
	return label
}

// Cell formats one value of a column.
func (f ReportFormatter) Cell(col models.ReportColumn, v any) ReportCell {
	switch col.Type {
	case models.TypeInt:
		return ReportCell{Text: groupDigits(strconv.FormatInt(toInt(v), 10)), Num: true}
	case models.TypeFloat:
		if v == nil {
			return ReportCell{Num: true}
		}
		return ReportCell{Text: strconv.FormatFloat(toFloat(v), 'f', 2, 64), Num: true}
	case models.TypeMoney:
		if v == nil {
			return ReportCell{Num: true}
		}
		return ReportCell{Text: models.FormatFen(int64(math.Round(toFloat(v)))), Num: true}
	case models.TypePercent:
		if v == nil {
			return ReportCell{Num: true}
		}
		return ReportCell{Text: strconv.FormatFloat(toFloat(v), 'f', 1, 64) + "%", Num: true}
	case models.TypeAux:
		if id := toInt(v); id != 0 {
			if n := f.aux.Name(id); n != "" {
				return ReportCell{Text: n}
			}
		}
		return ReportCell{Text: f.T("report.none")}
	case models.TypeEnum:
		if s, ok := v.(string); ok && s != "" && col.EnumKey != "" {
			return ReportCell{Text: f.T(col.EnumKey + s)}
		}
	case models.TypeBool:
		if v == nil {
			return ReportCell{}
		}
		if toInt(v) != 0 {
			return ReportCell{Text: f.T("report.yes")}
		}
		return ReportCell{Text: f.T("report.no")}
	case models.TypeDatetime:
		if s, ok := v.(string); ok {
			if t, err := time.Parse(time.RFC3339, s); err == nil {
				return ReportCell{Text: t.In(f.loc).Format("2006-01-02 15:04")}
			}
		}
	}
	switch x := v.(type) {
	case nil:
		return ReportCell{}
	case string:
		return ReportCell{Text: x}
	}
	return ReportCell{Text: fmt.Sprint(v)}
}

// Value is a cell as a spreadsheet value: numbers stay numbers (money in
// yuan), the rest is the text people see.
func (f ReportFormatter) Value(col models.ReportColumn, v any) any {
	if v == nil {
		return nil
	}
	switch col.Type {
	case models.TypeInt:
		return toInt(v)
	case models.TypeFloat:
		return math.Round(toFloat(v)*100) / 100
	case models.TypeMoney:
		return sheet.Money(math.Round(toFloat(v)))
	case models.TypePercent:
		return math.Round(toFloat(v)*10) / 10
	}
	return f.Cell(col, v).Text
}

func toInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	case bool:
		if x {
			return 1
		}
	}
	return 0
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// CompactNumber writes a large number briefly, the way the language
// counts: 171.8万 and 3.2亿 in Chinese, 171.8k and 1.7M in English.
func CompactNumber(lang string, v float64) string {
	a := math.Abs(v)
	short := func(x float64, unit string) string {
		s := strconv.FormatFloat(x, 'f', 1, 64)
		return strings.TrimSuffix(s, ".0") + unit
	}
	if lang == "zh" {
		switch {
		case a >= 1e8:
			return short(v/1e8, "亿")
		case a >= 1e4:
			return short(v/1e4, "万")
		}
	} else {
		switch {
		case a >= 1e9:
			return short(v/1e9, "B")
		case a >= 1e6:
			return short(v/1e6, "M")
		case a >= 1e4:
			return short(v/1e3, "k")
		}
	}
	if v == math.Trunc(v) {
		return groupDigits(strconv.FormatInt(int64(v), 10))
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// groupDigits writes 1234567 as 1,234,567.
func groupDigits(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Table formats a result; kind overrides the report's chart ("" keeps it).
func (f ReportFormatter) Table(res *models.ReportResult, title, kind string) *ReportTable {
	out := &ReportTable{Truncated: res.Truncated, Chart: res.Chart, Count: len(res.Rows),
		Chartable: res.Groups > 0 && len(res.Charted) > 0}
	if kind != "" {
		out.Chart = kind
	}
	for _, col := range res.Columns {
		out.Headers = append(out.Headers, ReportCell{Text: f.Header(col), Num: col.Type != models.TypeText && col.Type != models.TypeAux &&
			col.Type != models.TypeEnum && col.Type != models.TypeDate && col.Type != models.TypeDatetime && col.Type != models.TypeBool})
	}
	for _, row := range res.Rows {
		cells := make([]ReportCell, len(row))
		for i, v := range row {
			cells[i] = f.Cell(res.Columns[i], v)
		}
		out.Rows = append(out.Rows, cells)
	}
	if totals := res.Totals(); totals != nil {
		out.Totals = make([]ReportCell, len(totals))
		for i, v := range totals {
			if v != nil {
				out.Totals[i] = f.Cell(res.Columns[i], v)
			}
		}
		out.Totals[0] = ReportCell{Text: f.T("report.total")}
	}
	if out.Chart != "table" && res.Groups > 0 && len(res.Charted) > 0 && len(res.Rows) > 0 {
		c := f.Chart(res, title, out.Chart)
		// The SVG is built from numbers and escaped labels by package chart.
		out.ChartWide = template.HTML(chart.SVG(c, 720))
		out.ChartNarrow = template.HTML(chart.SVG(c, 360))
		out.ChartEmail = template.HTML(chart.HTML(c)) // mail clients show tables, not SVG
	} else {
		out.Chart = "table"
	}
	return out
}

// Chart turns a grouped result into chart data: the group columns label
// the points, the charted columns are the series.
func (f ReportFormatter) Chart(res *models.ReportResult, title, kind string) chart.Chart {
	c := chart.Chart{Kind: kind, Title: title, Other: f.T("report.other")}
	rows := res.Rows
	if kind != chart.Line && len(rows) > chart.MaxBars {
		rows = rows[:chart.MaxBars]
	}
	for _, row := range rows {
		parts := make([]string, res.Groups)
		for i := range res.Groups {
			parts[i] = f.Cell(res.Columns[i], row[i]).Text
		}
		c.Labels = append(c.Labels, strings.Join(parts, " / "))
	}
	charted := res.Charted
	if kind == chart.Pie {
		charted = charted[:1]
	}
	first := res.Columns[charted[0]]
	// A chart labels its points briefly (1,718,000.00 yuan is 171.8万);
	// the table below has the exact figures.
	c.Format = func(v float64) string {
		switch first.Type {
		case models.TypeMoney:
			return CompactNumber(f.lang, v/100)
		case models.TypePercent:
			return strconv.FormatFloat(v, 'f', 1, 64) + "%"
		case models.TypeFloat:
			if math.Abs(v) < 10_000 {
				return strconv.FormatFloat(v, 'f', 1, 64)
			}
		}
		return CompactNumber(f.lang, v)
	}
	for _, i := range charted {
		// One chart shows one unit: series of another type than the first
		// (a count beside an amount) are left to the table.
		if res.Columns[i].Type != first.Type {
			continue
		}
		ser := chart.Series{Name: f.Header(res.Columns[i])}
		for _, row := range rows {
			ser.Values = append(ser.Values, toFloat(row[i]))
		}
		c.Series = append(c.Series, ser)
	}
	return c
}
