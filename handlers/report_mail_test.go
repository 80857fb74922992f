package handlers

import (
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyuan/jobs"
	"keyuan/models"
)

// eml is a delivered message, decoded: subject, plain text and HTML.
type eml struct {
	To, Subject, Text, HTML string
}

// readEMLs decodes every .eml file the outbox wrote into dir.
func readEMLs(t *testing.T, dir string) []eml {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.eml"))
	if err != nil {
		t.Fatal(err)
	}
	var out []eml
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var e eml
		dec := new(mime.WordDecoder)
		if e.Subject, err = dec.DecodeHeader(m.Header.Get("Subject")); err != nil {
			t.Fatal(err)
		}
		e.To = m.Header.Get("To")
		var walk func(h map[string][]string, body io.Reader)
		walk = func(h map[string][]string, body io.Reader) {
			get := func(k string) string {
				if v := h[k]; len(v) > 0 {
					return v[0]
				}
				return ""
			}
			ctype, params, err := mime.ParseMediaType(get("Content-Type"))
			if err != nil {
				t.Fatalf("content type %q: %v", get("Content-Type"), err)
			}
			if strings.HasPrefix(ctype, "multipart/") {
				r := multipart.NewReader(body, params["boundary"])
				for {
					p, err := r.NextRawPart()
					if err == io.EOF {
						return
					}
					if err != nil {
						t.Fatal(err)
					}
					walk(p.Header, p)
				}
			}
			switch strings.ToLower(get("Content-Transfer-Encoding")) {
			case "quoted-printable":
				body = quotedprintable.NewReader(body)
			case "base64":
				body = base64.NewDecoder(base64.StdEncoding, body)
			}
			b, err := io.ReadAll(body)
			if err != nil {
				t.Fatal(err)
			}
			if ctype == "text/html" {
				e.HTML += string(b)
			} else {
				e.Text += string(b)
			}
		}
		walk(m.Header, m.Body)
		out = append(out, e)
	}
	return out
}

func (w *repWorld) outboxCount(t *testing.T) int {
	t.Helper()
	var n int
	if err := w.db.Read.QueryRow(`SELECT COUNT(*) FROM outbox`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestScheduledReportMailedOncePerPeriod: a manager schedules the activity
// analysis; the job run twice for the period, and again after the schedule
// is put back to that period (as a crash between queueing and moving on
// would leave it), queues one message; the outbox delivers it as an .eml
// with the chart and a link into the application.
func TestScheduledReportMailedOncePerPeriod(t *testing.T) {
	w := newRepWorld(t)
	ctx := context.Background()
	if _, err := w.db.Write.Exec(`UPDATE users SET email = 'zhuguan@example.test', display_name = '周主管' WHERE id = ?`, w.mgr); err != nil {
		t.Fatal(err)
	}
	res := w.login("zhuguan").post("/reports/"+id(w.activityRep)+"/schedules", url.Values{"frequency": {"daily"}, "hour": {"8"},
		"weekday": {"1"}, "monthday": {"1"}, "period": {"all"}, "user": {id(w.mgr)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: %d\n%.2000s", res.StatusCode, res.Body)
	}
	list, err := w.db.ReportSchedules(ctx, w.activityRep)
	if err != nil || len(list) != 1 {
		t.Fatalf("schedules %v %v", list, err)
	}
	sch := list[0]
	due, err := time.Parse(time.RFC3339, sch.NextRunAt)
	if err != nil {
		t.Fatal(err)
	}
	if local := due.In(w.db.Location()); local.Hour() != 8 || local.Minute() != 0 || !due.After(time.Now()) {
		t.Fatalf("first run at %v, want the next 08:00 in the business's time zone", local)
	}
	w.db.SetClock(func() time.Time { return due.Add(time.Minute) })
	cfg := jobs.ReportMailConfig{Renderer: w.app.Reports, Host: "example.test", Loc: w.db.Location()}
	run := jobs.ScheduledReports(w.db, cfg)
	before := w.outboxCount(t)
	for i, want := range []string{"due 1, queued 1, skipped 0", "due 0, queued 0, skipped 0"} {
		out, err := run(ctx)
		if err != nil || out != want {
			t.Fatalf("run %d: %q %v, want %q", i+1, out, err, want)
		}
	}
	if _, err := w.db.Write.Exec(`UPDATE report_schedules SET next_run_at = ? WHERE id = ?`, sch.NextRunAt, sch.ID); err != nil {
		t.Fatal(err)
	}
	if out, err := run(ctx); err != nil || out != "due 1, queued 0, skipped 1" {
		t.Fatalf("run for a period already sent: %q %v", out, err)
	}
	if n := w.outboxCount(t) - before; n != 1 {
		t.Fatalf("%d messages queued for one period, want 1", n)
	}
	st, err := w.outbox.Deliver(ctx)
	if err != nil || st.Sent != 1 {
		t.Fatalf("deliver: %+v %v", st, err)
	}
	mails := readEMLs(t, w.mail.FileDir())
	if len(mails) != 1 {
		t.Fatalf("%d .eml files", len(mails))
	}
	m := mails[0]
	link := "http://example.test/reports/" + id(w.activityRep) + "?period=all"
	for what, ok := range map[string]bool{
		"the recipient":              strings.Contains(m.To, "zhuguan@example.test"),
		"the report's name":          strings.Contains(m.Subject, "业务员活动统计"),
		"the chart as table bars":    strings.Contains(m.HTML, `bgcolor="#0f766e"`) && !strings.Contains(m.HTML, "<svg"),
		"zhang's records":            strings.Contains(m.HTML, ">zhang<") || strings.Contains(m.HTML, "zhang</text>"),
		"a link into the app (HTML)": strings.Contains(m.HTML, `href="`+strings.ReplaceAll(link, "&", "&amp;")+`"`),
		"a link into the app (text)": strings.Contains(m.Text, link),
		"the table in the text part": strings.Contains(m.Text, "业务员 | 活动记录"),
	} {
		if !ok {
			t.Errorf("the e-mail lacks %s:\n%s\n%s\n%s", what, m.Subject, m.Text, m.HTML)
		}
	}
}

// TestScheduledReportRunsAsTheRecipient: each recipient gets the report as
// run with their own rights, and a recipient who lost access gets nothing.
func TestScheduledReportRunsAsTheRecipient(t *testing.T) {
	w := newRepWorld(t)
	ctx := context.Background()
	if _, err := w.db.Write.Exec(`UPDATE users SET email = username || '@example.test'`); err != nil {
		t.Fatal(err)
	}
	zhang := w.login("zhang")
	if res := zhang.post("/reports/"+id(w.custom)+"/users", url.Values{"user": {id(w.li)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("share: %d", res.StatusCode)
	}
	res := zhang.post("/reports/"+id(w.custom)+"/schedules", url.Values{"frequency": {"cron"}, "cron": {"30 7 * * 1-5"},
		"hour": {"8"}, "weekday": {"1"}, "monthday": {"1"}, "user": {id(w.zhang), id(w.li)}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("schedule: %d\n%.3000s", res.StatusCode, res.Body)
	}
	// A recipient must be a report user; a schedule too often is refused.
	for _, form := range []url.Values{
		{"frequency": {"daily"}, "hour": {"8"}, "weekday": {"1"}, "monthday": {"1"}, "user": {id(w.mgr)}},
		{"frequency": {"cron"}, "cron": {"*/5 * * * *"}, "hour": {"8"}, "weekday": {"1"}, "monthday": {"1"}, "user": {id(w.zhang)}},
		{"frequency": {"cron"}, "cron": {"every day"}, "hour": {"8"}, "weekday": {"1"}, "monthday": {"1"}, "user": {id(w.zhang)}},
	} {
		if res := zhang.post("/reports/"+id(w.custom)+"/schedules", form); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("schedule %v: %d, want 422", form, res.StatusCode)
		}
	}
	// li loses access before the schedule fires (and the world's own
	// schedule is out of the way).
	if _, err := w.db.Write.Exec(`DELETE FROM report_users WHERE user_id = ?`, w.li); err != nil {
		t.Fatal(err)
	}
	if _, err := w.db.Write.Exec(`DELETE FROM report_schedules WHERE id = ?`, w.schedule); err != nil {
		t.Fatal(err)
	}
	list, err := w.db.ReportSchedules(ctx, w.custom)
	if err != nil {
		t.Fatal(err)
	}
	var sch models.ReportSchedule
	for _, s := range list {
		if s.Frequency == "cron" {
			sch = s
		}
	}
	due, err := time.Parse(time.RFC3339, sch.NextRunAt)
	if err != nil {
		t.Fatal(err)
	}
	w.db.SetClock(func() time.Time { return due })
	cfg := jobs.ReportMailConfig{Renderer: w.app.Reports, Host: "example.test", Loc: w.db.Location()}
	if out, err := jobs.ScheduledReports(w.db, cfg)(ctx); err != nil || out != "due 1, queued 1, skipped 1" {
		t.Fatalf("run: %q %v", out, err)
	}
	if _, err := w.outbox.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	mails := readEMLs(t, w.mail.FileDir())
	if len(mails) != 1 || !strings.Contains(mails[0].To, "zhang@") {
		t.Fatalf("mails %+v", mails)
	}
	if !strings.Contains(mails[0].HTML, "上海华信科技有限公司") || strings.Contains(mails[0].HTML, "北京鼎盛贸易有限公司") {
		t.Error("zhang's copy does not hold exactly zhang's customers")
	}
}

// TestManagerDigestOncePerPeriod: a manager's daily digest covers
// yesterday, is queued once per day however often the job runs, and links
// into the application.
func TestManagerDigestOncePerPeriod(t *testing.T) {
	w := newRepWorld(t)
	ctx := context.Background()
	if _, err := w.db.Write.Exec(`UPDATE users SET email = 'zhuguan@example.test' WHERE id = ?`, w.mgr); err != nil {
		t.Fatal(err)
	}
	c := w.login("zhuguan")
	if res := c.post("/reports/digest", url.Values{"frequency": {"daily"}, "hour": {"8"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("switch on: %d", res.StatusCode)
	}
	for _, form := range []url.Values{{"frequency": {"hourly"}, "hour": {"8"}}, {"frequency": {"daily"}, "hour": {"24"}}} {
		if res := c.post("/reports/digest", form); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("digest %v: %d, want 422", form, res.StatusCode)
		}
	}
	// The fixture's activity record is dated 2026-03-02: fire on the 3rd.
	due := time.Date(2026, 3, 3, 8, 0, 0, 0, w.db.Location())
	if _, err := w.db.Write.Exec(`UPDATE digest_settings SET next_run_at = ?`, due.UTC().Format(time.RFC3339)); err != nil {
		t.Fatal(err)
	}
	w.db.SetClock(func() time.Time { return due.Add(90 * time.Second) })
	cfg := jobs.ReportMailConfig{Renderer: w.app.Reports, Host: "example.test", Loc: w.db.Location()}
	run := jobs.ManagerDigests(w.db, cfg)
	for i, want := range []string{"due 1, queued 1", "due 0, queued 0"} {
		if out, err := run(ctx); err != nil || out != want {
			t.Fatalf("run %d: %q %v, want %q", i+1, out, err, want)
		}
	}
	d, err := w.db.GetDigestSetting(ctx, w.mgr)
	if err != nil || !strings.HasPrefix(d.NextRunAt, "2026-03-04T00:00:00") {
		t.Errorf("next digest at %q (%v), want 08:00 the next day", d.NextRunAt, err)
	}
	if _, err := w.outbox.Deliver(ctx); err != nil {
		t.Fatal(err)
	}
	mails := readEMLs(t, w.mail.FileDir())
	if len(mails) != 1 {
		t.Fatalf("%d digests delivered", len(mails))
	}
	m := mails[0]
	activities := "http://example.test/activities?" + url.Values{"from": {"2026-03-02"}, "owner": {id(w.zhang)}, "to": {"2026-03-02"}}.Encode()
	for what, ok := range map[string]bool{
		"the day in the subject":         strings.Contains(m.Subject, "2026-03-02"),
		"the chart, without SVG":         strings.Contains(m.HTML, `bgcolor="#0f766e"`) && !strings.Contains(m.HTML, "<svg"),
		"zhang's record, linked (HTML)":  strings.Contains(m.HTML, strings.ReplaceAll(activities, "&", "&amp;")),
		"zhang's record, linked (text)":  strings.Contains(m.Text, activities),
		"the sections":                   strings.Contains(m.HTML, "逾期未完成的计划") && strings.Contains(m.HTML, "超时未处理的客户问题"),
		"the link to the digest setting": strings.Contains(m.HTML, "http://example.test/reports/digest"),
	} {
		if !ok {
			t.Errorf("the digest lacks %s:\n%s\n%s\n%s", what, m.Subject, m.Text, m.HTML)
		}
	}
}
