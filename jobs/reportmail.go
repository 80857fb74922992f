package jobs

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"keyuan/chart"
	"keyuan/models"
	"keyuan/views"
)

// ReportMailer renders the e-mail of the scheduled reports and the
// managers' digests, with the templates of views/ and the charts of chart/;
// the digest settings page shows the same DigestView as its preview.
type ReportMailer struct {
	DB      *models.DB
	Views   *views.Engine
	BaseURL string // for the links in the messages
}

func day(t time.Time) string { return t.Format("2006-01-02") }

// formatter formats report values in lang.
func (m *ReportMailer) formatter(ctx context.Context, lang string) (views.ReportFormatter, error) {
	aux, err := m.DB.AuxLookupFor(ctx, lang)
	return m.Views.Catalog.NewReportFormatter(lang, aux, m.DB.Location()), err
}

// DigestView is a digest ready to show in the page and in the e-mail.
type DigestView struct {
	Title      string
	From, To   string
	Digest     *models.Digest
	Activities int
	Overdue    int
	Chart      template.HTML
	Lang       string
	BaseURL    string
	// MailProblem is set while the mail server refuses our sender: the
	// digest (which may itself go by another route, or be read late) says so.
	MailProblem *models.MailProblem
	// BackupFailed is the result of the last backup run when it failed.
	BackupFailed string
}

// ActivitiesURL and friends are links into the application.
func (v *DigestView) ActivitiesURL(owner int64) string {
	return v.BaseURL + "/activities?" + url.Values{"from": {v.From}, "to": {v.To}, "owner": {strconv.FormatInt(owner, 10)}}.Encode()
}

// OverdueURL lists a salesperson's plans still open after their day.
func (v *DigestView) OverdueURL(owner int64) string {
	// Overdue is before today: today's plans are not due yet, and the list
	// the link opens must hold exactly the plans the digest counted.
	to := v.Digest.Today
	if t, err := time.Parse("2006-01-02", to); err == nil {
		to = day(t.AddDate(0, 0, -1))
	}
	return v.BaseURL + "/plans?" + url.Values{"status": {"planned"}, "to": {to}, "owner": {strconv.FormatInt(owner, 10)}}.Encode()
}

// IssueURL opens a customer issue.
func (v *DigestView) IssueURL(id int64) string {
	return v.BaseURL + views.Path("issue", id)
}

// NewIssues is how many issues came in during the period.
func (v *DigestView) NewIssues() int {
	n := 0
	for _, c := range v.Digest.NewIssues {
		n += c.Count
	}
	return n
}

// CampaignURL opens a campaign.
func (v *DigestView) CampaignURL(id int64) string {
	return v.BaseURL + views.Path("campaign", id)
}

// DigestView gathers the digest of the period before at for user u.
func (m *ReportMailer) DigestView(ctx context.Context, u *models.User, frequency string, at time.Time, lang string) (*DigestView, error) {
	today := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, at.Location())
	from, to := today.AddDate(0, 0, -1), today.AddDate(0, 0, -1)
	if frequency == "weekly" {
		from = today.AddDate(0, 0, -7)
	}
	d, err := m.DB.BuildDigest(ctx, m.DB.ActorFor(u), day(from), day(to), at)
	if err != nil {
		return nil, err
	}
	t := func(k string, args ...any) string { return m.Views.Catalog.T(lang, k, args...) }
	v := &DigestView{From: day(from), To: day(to), Digest: d, Lang: lang, BaseURL: m.BaseURL}
	if v.MailProblem, err = m.DB.CurrentMailProblem(ctx); err != nil {
		return nil, err
	}
	if run, err := m.DB.LastJobRun(ctx, BackupJob); err != nil {
		return nil, err
	} else if run != nil && !run.Running && !run.OK {
		v.BackupFailed = run.Result
	}
	v.Title = t("report.digest.subject_daily", v.From)
	if frequency == "weekly" {
		v.Title = t("report.digest.subject_weekly", v.From, v.To)
	}
	c := chart.Chart{Kind: chart.Bar, Title: t("report.digest.activities")}
	ser := chart.Series{Name: t("report.col.records")}
	for _, a := range d.Activities {
		v.Activities += a.Records
		c.Labels = append(c.Labels, a.OwnerName)
		ser.Values = append(ser.Values, float64(a.Records))
	}
	for _, o := range d.OverduePlans {
		v.Overdue += o.Count
	}
	c.Series = []chart.Series{ser}
	// Mail clients show tables, not SVG (Gmail, Outlook); package chart
	// builds them from numbers and escaped names.
	v.Chart = template.HTML(chart.HTML(c))
	return v, nil
}

// text is the digest as plain text, for the text part of the e-mail.
func (v *DigestView) text(lang string, tr func(lang, key string, args ...any) string) string {
	t := func(k string, args ...any) string { return tr(lang, k, args...) }
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", v.Title)
	if v.MailProblem != nil {
		fmt.Fprintf(&b, "%s %s/admin/mail\n\n", t("report.digest.mail_problem", v.MailProblem.Message), v.BaseURL)
	}
	if v.BackupFailed != "" {
		fmt.Fprintf(&b, "%s %s/admin/backups\n\n", t("backup.digest_failed", v.BackupFailed), v.BaseURL)
	}
	fmt.Fprintf(&b, "%s: %s\n", t("report.digest.activities"), t("report.digest.records", v.Activities))
	for _, a := range v.Digest.Activities {
		fmt.Fprintf(&b, "  %s: %d · %s\n", a.OwnerName, a.Records, v.ActivitiesURL(a.OwnerID))
	}
	fmt.Fprintf(&b, "\n%s: %s\n", t("report.digest.overdue"), t("report.digest.plans", v.Overdue))
	for _, o := range v.Digest.OverduePlans {
		fmt.Fprintf(&b, "  %s: %d · %s\n", o.OwnerName, o.Count, v.OverdueURL(o.OwnerID))
	}
	fmt.Fprintf(&b, "\n%s: %s\n", t("report.digest.new_issues"), t("report.digest.issues", v.NewIssues()))
	for _, c := range v.Digest.NewIssues {
		fmt.Fprintf(&b, "  %s: %d\n", t("issue.priority."+c.Priority), c.Count)
	}
	fmt.Fprintf(&b, "\n%s: %s\n", t("report.digest.overdue_issues"), t("report.digest.issues", v.Digest.OverdueTotal))
	for _, x := range v.Digest.OverdueIssues {
		fmt.Fprintf(&b, "  %s %s（%s）· %s\n", x.Code, x.Subject, x.CustomerName, v.IssueURL(x.ID))
	}
	fmt.Fprintf(&b, "\n%s\n", t("report.digest.campaigns"))
	for _, m := range v.Digest.Campaigns {
		fmt.Fprintf(&b, "  %s (%s): %d / %d / %d · %s\n", m.Name, t("campaign.status."+m.Status), m.Targets, m.Notified, m.Attended,
			v.CampaignURL(m.ID))
	}
	return b.String()
}

func userLang(u *models.User) string {
	if views.ValidLanguage(u.Lang) {
		return u.Lang
	}
	return views.Languages[0]
}

// renderMail renders one block of the mail templates.
func (m *ReportMailer) render(lang, block string, data any) (string, error) {
	var b bytes.Buffer
	if err := m.Views.Render(&b, lang, "reports/mail", block, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// DigestMail renders a manager's digest for the period that fired at due.
func (m *ReportMailer) DigestMail(ctx context.Context, to *models.User, d models.DigestSetting, due time.Time) (*models.OutgoingMail, error) {
	lang := userLang(to)
	v, err := m.DigestView(ctx, to, d.Frequency, due.In(m.DB.Location()), lang)
	if err != nil {
		return nil, err
	}
	body, err := m.render(lang, "digest_mail", v)
	if err != nil {
		return nil, err
	}
	// The chat robots post into a Chinese group: the summary is Chinese.
	summary := fmt.Sprintf("%s：活动记录 %d 条，逾期计划 %d 个，新问题 %d 个，逾期问题 %d 个", v.Title, v.Activities, v.Overdue,
		v.NewIssues(), v.Digest.OverdueTotal)
	return &models.OutgoingMail{To: to.Email, ToName: to.DisplayName, Subject: v.Title, Text: v.text(lang, m.Views.Catalog.T),
		HTML: body, Summary: summary, Link: "/reports/digest"}, nil
}

// ReportMailData is what the scheduled report e-mail shows.
type ReportMailData struct {
	Title   string
	Period  string
	Table   *views.ReportTable
	Link    string
	BaseURL string
}

// ScheduledReportMail runs the report as the recipient, for the period
// the schedule names counted from the day it fired.
func (m *ReportMailer) ScheduledReportMail(ctx context.Context, to *models.User, sch models.ReportSchedule, due time.Time) (*models.OutgoingMail, error) {
	lang := userLang(to)
	t := func(k string, args ...any) string { return m.Views.Catalog.T(lang, k, args...) }
	r, err := m.DB.GetReport(ctx, m.DB.ActorFor(to), sch.ReportID)
	if err != nil {
		return nil, err
	}
	local := due.In(m.DB.Location())
	today := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, m.DB.Location())
	var rng models.DateRange
	q := url.Values{}
	if r.IsBuiltin() {
		period := sch.Period
		if !models.ValidPeriod(period) {
			period = r.DefaultPeriod()
		}
		rng, _ = models.ResolvePeriod(period, today)
		q.Set("period", "custom")
		q.Set("from", rng.From)
		q.Set("to", rng.To)
		if rng.Open() {
			q = url.Values{"period": {"all"}}
		}
	}
	res, err := m.DB.RunReport(ctx, m.DB.ActorFor(to), r, models.RunOptions{Range: rng, Today: today})
	if err != nil {
		return nil, err
	}
	f, err := m.formatter(ctx, lang)
	if err != nil {
		return nil, err
	}
	title := models.ReportName(r, func(k string) string { return t(k) })
	data := &ReportMailData{Title: title, Table: f.Table(res, title, ""), BaseURL: m.BaseURL,
		Link: m.BaseURL + views.Path("report", r.ID)}
	if len(q) > 0 {
		data.Link += "?" + q.Encode()
	}
	switch {
	case rng.From != "" && rng.To != "":
		data.Period = rng.From + " – " + rng.To
	case r.IsBuiltin():
		data.Period = t("report.period.all")
	default:
		data.Period = day(today)
	}
	body, err := m.render(lang, "report_mail", data)
	if err != nil {
		return nil, err
	}
	text := title + "\n" + data.Period + "\n\n" + textTable(data.Table) + "\n" + t("report.mail.open") + ": " + data.Link + "\n"
	return &models.OutgoingMail{To: to.Email, ToName: to.DisplayName, Subject: t("report.mail.subject", title, data.Period),
		Text: text, HTML: body}, nil
}

// textTable writes a table as plain text for the text part of an e-mail:
// one line per row, cells separated by " | ".
func textTable(t *views.ReportTable) string {
	var b strings.Builder
	line := func(cells []views.ReportCell) {
		parts := make([]string, len(cells))
		for i, c := range cells {
			parts[i] = c.Text
		}
		fmt.Fprintln(&b, strings.Join(parts, " | "))
	}
	line(t.Headers)
	for _, r := range t.Rows {
		line(r)
	}
	if t.Totals != nil {
		line(t.Totals)
	}
	return b.String()
}
