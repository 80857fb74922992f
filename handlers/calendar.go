package handlers

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/models"
	"keyuan/views"
)

// Calendar (日历): day, week, month and year views of open plans and
// activity records, for me, one salesperson or the team. Weeks start on
// Monday. Every link carries view, date and who, and htmx swaps #calendar.

func parseDay(s string) (time.Time, error) { return time.Parse("2006-01-02", s) }

// calendarViews and how many entries each lists per day.
var calendarViews = map[string]int{"day": 500, "week": 12, "month": 3, "year": 0}

type calCell struct {
	Date    string
	Day     int
	InMonth bool
	Today   bool
	Weekend bool
	Weekday int // 1 Monday … 7 Sunday
	Level   int // year view: 0–4, how busy the day is
	DayURL  string
	*models.CalDay
}

type calMonth struct {
	Title string
	URL   string // the month view
	Weeks [][]calCell
}

type calView struct {
	Name, URL string
}

type calendarData struct {
	View     string
	Date     string
	Who      string
	Title    string
	Prev     string
	Next     string
	Today    string
	Weekdays []int
	Weeks    [][]calCell // month
	Days     []calCell   // week and day
	Months   []calMonth  // year
	Users    []models.User
	Teams    []models.Team // a calendar per team, for those who see every team
	TeamView bool          // several people's entries: each names its owner
	Manager  bool
	Views    []calView
	Empty    bool
	PrevURL  string
	NextURL  string
	TodayURL string
}

// calURL is a calendar link; the templates get them ready-made, which
// keeps a month of cells cheap to render.
func calURL(view, date, who string) string {
	return "/calendar?view=" + view + "&date=" + date + "&who=" + url.QueryEscape(who)
}

func mondayOf(t time.Time) time.Time { return t.AddDate(0, 0, -((int(t.Weekday()) + 6) % 7)) }

// monthGrid returns the Monday-first weeks that cover the month of first.
func monthGrid(first time.Time) []time.Time {
	start := mondayOf(first)
	last := first.AddDate(0, 1, -1)
	var out []time.Time
	for d := start; !d.After(last) || d.Weekday() != time.Monday; d = d.AddDate(0, 0, 1) {
		out = append(out, d)
	}
	return out
}

func (s *Server) calendar(c *gin.Context) {
	ctx := c.Request.Context()
	a := actor(c)
	view := c.DefaultQuery("view", "week")
	perDay, ok := calendarViews[view]
	if !ok {
		s.errorPage(c, http.StatusBadRequest, "error.bad_request")
		return
	}
	today := s.today()
	anchor := today
	if d := c.Query("date"); d != "" {
		t, err := parseDay(d)
		if err != nil || !validDay(d) {
			s.errorPage(c, http.StatusBadRequest, "calendar.bad_date")
			return
		}
		anchor = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, s.cfg.Location)
	}
	// who: "me", "team" (everyone the user sees), "team-<id>" (one team,
	// for those who see every team) or a user id; salespeople only ever see
	// their own.
	who := c.DefaultQuery("who", "me")
	var owner int64
	var team []int64
	switch {
	case who == "me":
		owner = a.ID
	case who == "team", who == "all":
		who = "team"
		if !a.SeesBeyondOwn(models.ModActivities) {
			s.notFound(c)
			return
		}
	case strings.HasPrefix(who, "team-"):
		id := parseID(strings.TrimPrefix(who, "team-"))
		if id == 0 || a.Scope(models.ModActivities) != models.ScopeAll {
			s.notFound(c)
			return
		}
		t, err := s.db.GetTeam(ctx, id)
		if err != nil {
			s.fail(c, err)
			return
		}
		team = append(t.MemberIDs, t.SupervisorID)
	default:
		owner = parseID(who)
		if owner == 0 || !a.Sees(models.ModActivities, owner) {
			s.notFound(c)
			return
		}
		if owner == a.ID {
			who = "me"
		}
	}
	var from, to time.Time
	data := &calendarData{View: view, Date: day(anchor), Who: who, Today: day(today), Manager: a.SeesBeyondOwn(models.ModActivities), TeamView: who == "team" || team != nil,
		Weekdays: []int{1, 2, 3, 4, 5, 6, 7}}
	for _, v := range []string{"day", "week", "month", "year"} {
		data.Views = append(data.Views, calView{Name: v, URL: calURL(v, data.Date, who)})
	}
	switch view {
	case "day":
		from, to = anchor, anchor
		data.Prev, data.Next = day(anchor.AddDate(0, 0, -1)), day(anchor.AddDate(0, 0, 1))
		data.Title = s.t(c, "calendar.title.day", day(anchor), s.t(c, "weekday."+strconv.Itoa((int(anchor.Weekday())+6)%7+1)))
	case "week":
		from = mondayOf(anchor)
		to = from.AddDate(0, 0, 6)
		data.Prev, data.Next = day(from.AddDate(0, 0, -7)), day(from.AddDate(0, 0, 7))
		data.Title = s.t(c, "calendar.title.week", day(from), day(to))
	case "month":
		first := time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, s.cfg.Location)
		grid := monthGrid(first)
		from, to = grid[0], grid[len(grid)-1]
		data.Prev, data.Next = day(first.AddDate(0, -1, 0)), day(first.AddDate(0, 1, 0))
		data.Title = s.t(c, "month_year."+strconv.Itoa(int(first.Month())), first.Year())
	case "year":
		from = time.Date(anchor.Year(), 1, 1, 0, 0, 0, 0, s.cfg.Location)
		to = from.AddDate(1, 0, -1)
		data.Prev, data.Next = day(from.AddDate(-1, 0, 0)), day(from.AddDate(1, 0, 0))
		data.Title = s.t(c, "calendar.title.year", from.Year())
	}
	days, err := s.db.Calendar(ctx, a, models.CalendarQuery{From: day(from), To: day(to), OwnerID: owner, Team: team, PerDay: perDay})
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Empty = len(days) == 0
	data.PrevURL, data.NextURL, data.TodayURL = calURL(view, data.Prev, who), calURL(view, data.Next, who), calURL(view, data.Today, who)
	cell := func(t time.Time, month time.Month) calCell {
		d := day(t)
		x := calCell{Date: d, Day: t.Day(), InMonth: t.Month() == month, Today: d == data.Today,
			Weekend: t.Weekday() == time.Saturday || t.Weekday() == time.Sunday, Weekday: (int(t.Weekday())+6)%7 + 1,
			DayURL: calURL("day", d, who), CalDay: days[d]}
		if x.CalDay == nil {
			x.CalDay = &models.CalDay{Date: d}
		}
		switch n := x.Total; {
		case n == 0:
		case n <= 2:
			x.Level = 1
		case n <= 5:
			x.Level = 2
		case n <= 10:
			x.Level = 3
		default:
			x.Level = 4
		}
		return x
	}
	weeks := func(first time.Time) [][]calCell {
		var out [][]calCell
		for i, t := range monthGrid(first) {
			if i%7 == 0 {
				out = append(out, nil)
			}
			out[len(out)-1] = append(out[len(out)-1], cell(t, first.Month()))
		}
		return out
	}
	switch view {
	case "day", "week":
		for t := from; !t.After(to); t = t.AddDate(0, 0, 1) {
			data.Days = append(data.Days, cell(t, t.Month()))
		}
	case "month":
		data.Weeks = weeks(time.Date(anchor.Year(), anchor.Month(), 1, 0, 0, 0, 0, s.cfg.Location))
	case "year":
		for m := 0; m < 12; m++ {
			first := from.AddDate(0, m, 0)
			data.Months = append(data.Months, calMonth{Title: s.t(c, "month."+strconv.Itoa(int(first.Month()))),
				URL: calURL("month", day(first), who), Weeks: weeks(first)})
		}
	}
	if data.Users, err = s.ownerChoices(c); err != nil {
		s.fail(c, err)
		return
	}
	if a.Scope(models.ModActivities) == models.ScopeAll {
		if data.Teams, err = s.db.Teams(ctx); err != nil {
			s.fail(c, err)
			return
		}
	}
	p := s.newPage(c, s.t(c, "calendar.title"), "calendar", data)
	s.renderTargeted(c, http.StatusOK, "calendar", p, "calendar", "calendar")
}

// iCalendar feed: a private URL per user (/ical/<token>.ics) that phone
// calendars subscribe to. Only a hash of the token is stored.

func (s *Server) icalFeed(c *gin.Context) {
	token := strings.TrimSuffix(c.Param("token"), ".ics")
	u, err := s.db.UserByCalendarToken(c.Request.Context(), token)
	if err != nil {
		s.fail(c, err)
		return
	}
	today := s.today()
	plans, err := s.db.FeedPlans(c.Request.Context(), u.ID, day(today.AddDate(0, 0, -60)), day(today.AddDate(1, 0, 0)), 5000)
	if err != nil {
		s.fail(c, err)
		return
	}
	host := strings.TrimPrefix(strings.TrimPrefix(s.cfg.BaseURL, "https://"), "http://")
	var b icalWriter
	b.line("BEGIN:VCALENDAR")
	b.line("VERSION:2.0")
	b.line("PRODID:-//Keyuan CRM//客源CRM//ZH")
	b.line("CALSCALE:GREGORIAN")
	b.line("METHOD:PUBLISH")
	b.prop("X-WR-CALNAME", s.t(c, "app.name")+" · "+u.DisplayName)
	b.line("X-WR-TIMEZONE:" + s.cfg.Location.String())
	stamp := s.db.Now().UTC().Format("20060102T150405Z")
	for _, p := range plans {
		b.line("BEGIN:VEVENT")
		b.line("UID:plan-" + strconv.FormatInt(p.ID, 10) + "@" + host)
		b.line("DTSTAMP:" + stamp)
		if p.Time == "" {
			d, _ := parseDay(p.Date)
			b.line("DTSTART;VALUE=DATE:" + d.Format("20060102"))
			b.line("DTEND;VALUE=DATE:" + d.AddDate(0, 0, 1).Format("20060102"))
		} else {
			start, _ := time.ParseInLocation("2006-01-02 15:04", p.Date+" "+p.Time, s.cfg.Location)
			b.line("DTSTART:" + start.UTC().Format("20060102T150405Z"))
			b.line("DTEND:" + start.Add(time.Hour).UTC().Format("20060102T150405Z"))
		}
		summary := p.Subject
		if p.CustomerName != "" { // a personal task has no customer
			summary += " · " + p.CustomerName
		}
		b.prop("SUMMARY", summary)
		desc := p.Code
		if p.ContactName != "" {
			desc += "\n" + p.ContactName
		}
		if p.Content != "" {
			desc += "\n" + p.Content
		}
		b.prop("DESCRIPTION", desc)
		b.line("URL:" + s.cfg.BaseURL + views.Path("plan", p.ID))
		b.line("STATUS:CONFIRMED")
		if p.Status == "done" {
			b.line("TRANSP:TRANSPARENT")
		}
		if p.RemindMinutes >= 0 && p.Status == "planned" {
			b.line("BEGIN:VALARM")
			b.line("ACTION:DISPLAY")
			b.prop("DESCRIPTION", p.Subject)
			b.line(fmt.Sprintf("TRIGGER:-PT%dM", p.RemindMinutes))
			b.line("END:VALARM")
		}
		b.line("END:VEVENT")
	}
	b.line("END:VCALENDAR")
	c.Header("Content-Type", "text/calendar; charset=utf-8")
	c.Header("Content-Disposition", `inline; filename="keyuan.ics"`)
	c.Header("Cache-Control", "private, no-store")
	c.String(http.StatusOK, b.String())
}

// icalWriter writes RFC 5545 content lines: CRLF endings, text values
// escaped, lines folded at 75 octets without splitting a UTF-8 character.
type icalWriter struct{ strings.Builder }

func (w *icalWriter) line(s string) {
	limit := 75
	for len(s) > limit {
		cut := limit
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		w.WriteString(s[:cut])
		w.WriteString("\r\n ")
		s = s[cut:]
		limit = 74 // a continuation line starts with the folding space
	}
	w.WriteString(s)
	w.WriteString("\r\n")
}

var icalEscaper = strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\r\n", `\n`, "\n", `\n`, "\r", `\n`)

func (w *icalWriter) prop(name, text string) { w.line(name + ":" + icalEscaper.Replace(text)) }

type feedData struct {
	Created string
	URL     string // only right after a new token was made
}

// calendarFeed shows the user's feed status (a block of the profile page).
func (s *Server) calendarFeed(c *gin.Context) {
	created, err := s.db.CalendarTokenCreated(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderFeed(c, &feedData{Created: created})
}

func (s *Server) renderFeed(c *gin.Context, data *feedData) {
	p := s.newPage(c, s.t(c, "feed.title"), "", data)
	if isFragment(c) {
		s.renderBlock(c, http.StatusOK, "feed", "feed", p)
		return
	}
	s.render(c, http.StatusOK, "feed", p)
}

func (s *Server) newCalendarToken(c *gin.Context) {
	u := currentUser(c)
	token, err := s.db.NewCalendarToken(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	created, err := s.db.CalendarTokenCreated(c.Request.Context(), u.ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderFeed(c, &feedData{Created: created, URL: s.cfg.BaseURL + "/ical/" + token + ".ics"})
}

func (s *Server) revokeCalendarToken(c *gin.Context) {
	if err := s.db.RevokeCalendarToken(c.Request.Context(), currentUser(c).ID); err != nil {
		s.fail(c, err)
		return
	}
	s.renderFeed(c, &feedData{})
}
