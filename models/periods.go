package models

import (
	"strconv"
	"strings"
	"time"
)

// Periods are the relative periods a report can cover, resolved against
// "today" when the report runs: a saved report or a scheduled e-mail about
// "last 30 days" always means the 30 days before the day it runs.
var Periods = []string{"today", "yesterday", "this_week", "last_week", "this_month", "last_month", "this_quarter",
	"last_quarter", "this_year", "last_year", "last_7_days", "last_30_days", "last_90_days", "last_365_days", "all"}

// ValidPeriod reports whether p is one of Periods.
func ValidPeriod(p string) bool {
	for _, x := range Periods {
		if x == p {
			return true
		}
	}
	return false
}

// DateRange is a range of days, both ends included, as YYYY-MM-DD; an
// empty end is open.
type DateRange struct {
	From, To string
}

// Open reports whether the range has no bounds at all.
func (r DateRange) Open() bool { return r.From == "" && r.To == "" }

func day(t time.Time) string { return t.Format("2006-01-02") }

// ResolvePeriod turns a relative period into days, counting from today
// (a time in the business's time zone). ok is false for an unknown period.
func ResolvePeriod(p string, today time.Time) (DateRange, bool) {
	d := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, today.Location())
	monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	month := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, d.Location())
	quarter := time.Date(d.Year(), time.Month((int(d.Month())-1)/3*3+1), 1, 0, 0, 0, 0, d.Location())
	year := time.Date(d.Year(), 1, 1, 0, 0, 0, 0, d.Location())
	span := func(from, to time.Time) (DateRange, bool) { return DateRange{From: day(from), To: day(to)}, true }
	switch p {
	case "today":
		return span(d, d)
	case "yesterday":
		return span(d.AddDate(0, 0, -1), d.AddDate(0, 0, -1))
	case "this_week":
		return span(monday, monday.AddDate(0, 0, 6))
	case "last_week":
		return span(monday.AddDate(0, 0, -7), monday.AddDate(0, 0, -1))
	case "this_month":
		return span(month, month.AddDate(0, 1, -1))
	case "last_month":
		return span(month.AddDate(0, -1, 0), month.AddDate(0, 0, -1))
	case "this_quarter":
		return span(quarter, quarter.AddDate(0, 3, -1))
	case "last_quarter":
		return span(quarter.AddDate(0, -3, 0), quarter.AddDate(0, 0, -1))
	case "this_year":
		return span(year, year.AddDate(1, 0, -1))
	case "last_year":
		return span(year.AddDate(-1, 0, 0), year.AddDate(0, 0, -1))
	case "all":
		return DateRange{}, true
	}
	if n, ok := strings.CutPrefix(p, "last_"); ok {
		if days, ok := strings.CutSuffix(n, "_days"); ok {
			if k, err := strconv.Atoi(days); err == nil && k >= 1 && k <= 3660 {
				return span(d.AddDate(0, 0, 1-k), d)
			}
		}
	}
	return DateRange{}, false
}

// ValidDay reports whether s is a real calendar day as YYYY-MM-DD.
func ValidDay(s string) bool {
	t, err := time.Parse("2006-01-02", s)
	return err == nil && day(t) == s
}

// dayStart is the UTC stamp of midnight at the start of day d in loc, for
// comparing days with *_at stamps.
func dayStart(d string, loc *time.Location) string {
	t, err := time.ParseInLocation("2006-01-02", d, loc)
	if err != nil {
		return d
	}
	return stamp(t)
}

// nextDayStart is the UTC stamp of the midnight that ends day d in loc.
func nextDayStart(d string, loc *time.Location) string {
	t, err := time.ParseInLocation("2006-01-02", d, loc)
	if err != nil {
		return d
	}
	return stamp(t.AddDate(0, 0, 1))
}
