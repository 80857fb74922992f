package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"keyuan/jobs"
	"keyuan/mail"
	"keyuan/models"
	"keyuan/views"
)

// mailForm is the invitation editor's content, kept as typed.
type mailForm struct {
	Subject, Text, HTML string
	SendAt              string // local "2006-01-02T15:04" from the datetime-local input
}

func mailFormFrom(c *gin.Context) mailForm {
	return mailForm{Subject: strings.TrimSpace(c.PostForm("subject")), Text: c.PostForm("text"), HTML: c.PostForm("html"),
		SendAt: strings.TrimSpace(c.PostForm("send_at"))}
}

type campaignMailData struct {
	Campaign *models.Campaign
	Form     mailForm
	Fields   []string
	Stats    models.CampaignMailStats
	Targets  []models.Target // for the preview's recipient picker
	Preview  *models.RenderedMail
	PreviewT *models.Target
	Result   *models.QueueResult
	SMTP     bool
	// Warnings about the invitation: links that lead nowhere in a mail, and
	// a public URL without https (one-click unsubscribe needs it).
	RelativeLinks bool
	PlainHTTP     bool
}

// parseMailForm checks the template and the schedule; errors carry a
// message key and, for template errors, the part and line.
func (s *Server) parseMailForm(c *gin.Context, f mailForm) (*mail.Template, time.Time, fieldErrors) {
	errs := fieldErrors{}
	var sendAt time.Time
	checkLen(errs, "subject", f.Subject, 300)
	checkLen(errs, "text", f.Text, 50000)
	checkLen(errs, "html", f.HTML, 100000)
	if errs.Any() {
		return nil, sendAt, errs
	}
	tpl, err := mail.ParseTemplate(f.Subject, f.Text, f.HTML)
	var te *mail.TemplateError
	if errors.As(err, &te) {
		errs[te.Part] = "campaign.template_error|" + strconv.Itoa(te.Line)
		c.Set("template_error_detail", te.Err.Error())
	} else if err != nil {
		errs["text"] = "campaign.template_error|1"
	}
	if f.SendAt != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", f.SendAt, s.cfg.Location)
		if err != nil || t.Year() > 2200 {
			errs["send_at"] = "validation.date"
		} else {
			sendAt = t
		}
	}
	return tpl, sendAt, errs
}

func (s *Server) campaignMailData(c *gin.Context, m *models.Campaign, f mailForm) (*campaignMailData, error) {
	ctx := c.Request.Context()
	data := &campaignMailData{Campaign: m, Form: f, Fields: mail.MergeFieldNames(s.lang(c) == "en")}
	var err error
	if data.Stats, err = s.db.MailStats(ctx, m.ID); err != nil {
		return nil, err
	}
	page, err := s.db.ListTargets(ctx, actor(c), m.ID, "", "", 1, 100)
	if err != nil {
		return nil, err
	}
	data.Targets = page.Rows
	smtp, _, err := s.mail.Current(ctx)
	if err != nil {
		return nil, err
	}
	data.SMTP = smtp.Enabled()
	data.RelativeLinks = relativeLinks(f.HTML)
	// One-click unsubscribe (RFC 8058) is honoured by mail providers only
	// over https.
	data.PlainHTTP = strings.HasPrefix(s.cfg.BaseURL, "http://")
	return data, nil
}

// linkValue finds the values of href and src attributes.
var (
	linkValue = regexp.MustCompile(`(?i)\b(?:href|src)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))`)
	hasScheme = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`)
)

// relativeLinks reports whether an invitation's HTML has a link or image
// without a scheme (not a #fragment or a merge field): in a mail it leads
// nowhere.
func relativeLinks(htmlText string) bool {
	for _, m := range linkValue.FindAllStringSubmatch(htmlText, -1) {
		v := strings.TrimSpace(m[1] + m[2] + m[3])
		if v != "" && !hasScheme.MatchString(v) && !strings.HasPrefix(v, "#") && !strings.HasPrefix(v, "{{") {
			return true
		}
	}
	return false
}

func (s *Server) renderCampaignMail(c *gin.Context, status int, data *campaignMailData, errs fieldErrors) {
	p := s.newPage(c, s.t(c, "campaign.mail.title"), "campaigns", data)
	p.Errors = errs
	if detail, ok := c.Get("template_error_detail"); ok {
		p.Flash = s.t(c, "campaign.template_detail", detail)
	}
	s.render(c, status, "campaigns/mail", p)
}

func (s *Server) campaignMail(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	f := mailForm{Subject: m.MailSubject, Text: m.MailText, HTML: m.MailHTML}
	if f.Subject == "" && f.Text == "" {
		f.Subject = s.t(c, "campaign.default_subject")
		f.Text = s.t(c, "campaign.default_text")
	}
	if m.SendAt != "" {
		if t, err := time.Parse(time.RFC3339, m.SendAt); err == nil {
			f.SendAt = t.In(s.cfg.Location).Format("2006-01-02T15:04")
		}
	}
	data, err := s.campaignMailData(c, m, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	data.Result = queueResultFrom(c.Request.URL.Query())
	s.renderCampaignMail(c, http.StatusOK, data, nil)
}

// saveCampaignMail stores the template (and schedule) after checking it.
func (s *Server) saveCampaignMail(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	f := mailFormFrom(c)
	_, sendAt, errs := s.parseMailForm(c, f)
	if !sendAt.IsZero() && sendAt.Before(s.now()) {
		errs["send_at"] = "campaign.send_at_past"
	}
	if errs.Any() {
		data, err := s.campaignMailData(c, m, f)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.renderCampaignMail(c, http.StatusUnprocessableEntity, data, errs)
		return
	}
	at := ""
	if !sendAt.IsZero() {
		at = sendAt.UTC().Format(time.RFC3339)
	}
	if err := s.db.SaveCampaignMail(c.Request.Context(), actor(c), m.ID, f.Subject, f.Text, f.HTML, at); err != nil {
		s.fail(c, err)
		return
	}
	if at != "" {
		s.flash(c, "campaign.scheduled")
	} else {
		s.flash(c, "flash.saved")
	}
	redirect(c, views.Path("campaign", m.ID, "mail"))
}

// previewCampaignMail renders the form's (unsaved) template for one target.
func (s *Server) previewCampaignMail(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	f := mailFormFrom(c)
	tpl, _, errs := s.parseMailForm(c, f)
	data, err := s.campaignMailData(c, m, f)
	if err != nil {
		s.fail(c, err)
		return
	}
	p := s.newPage(c, "", "campaigns", data)
	p.Errors = errs
	if tpl != nil {
		inv := models.Invitee{Name: s.t(c, "campaign.sample_contact"), Company: s.t(c, "campaign.sample_company"),
			Salesperson: currentUser(c).DisplayName}
		if tid := formID(c.PostForm("target")); tid != 0 {
			if t, err := s.db.GetTarget(c.Request.Context(), actor(c), m.ID, tid); err == nil {
				// The recipient exactly as the real send builds it.
				if inv, err = s.db.Invitee(c.Request.Context(), actor(c), m.ID, t.ID); err != nil {
					s.fail(c, err)
					return
				}
				data.PreviewT = t
			}
		}
		// Rendered as the send renders it, footer included.
		r, err := s.invitations.Render(c.Request.Context(), s.lang(c), m, tpl, inv, "preview")
		if err == nil {
			data.Preview = &r
		}
	}
	s.renderBlock(c, http.StatusOK, "campaigns/mail", "preview", p)
}

// testCampaignMail sends the form's invitation to the current user now.
func (s *Server) testCampaignMail(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	u := currentUser(c)
	f := mailFormFrom(c)
	tpl, _, errs := s.parseMailForm(c, f)
	toast := func(key, level string, args ...any) {
		c.Header("HX-Trigger", toastTrigger(s.t(c, key, args...), level))
		c.Status(http.StatusNoContent)
	}
	if errs.Any() {
		toast("campaign.test_template_error", "error")
		return
	}
	if u.Email == "" {
		toast("campaign.test_no_email", "error")
		return
	}
	token := "test-" + models.RandomToken(12)
	fin, err := s.invitations.Render(c.Request.Context(), s.lang(c), m, tpl, models.Invitee{Name: u.DisplayName,
		Company: s.t(c, "campaign.sample_company"), Salesperson: u.DisplayName}, token)
	if err != nil {
		toast("campaign.test_template_error", "error")
		return
	}
	sender, lim, err := s.mail.Sender(c.Request.Context())
	if err != nil {
		s.fail(c, err)
		return
	}
	env := &mail.Envelope{MessageID: token + "@" + jobs.MessageHost(s.cfg.BaseURL), From: lim.From, FromName: lim.FromName, ToName: u.DisplayName, To: u.Email,
		Subject: "[TEST] " + fin.Subject, Text: fin.Text, HTML: fin.HTML}
	ctx, cancel := context.WithTimeout(c.Request.Context(), 30*time.Second)
	defer cancel()
	session, err := sender.Open(ctx)
	if err == nil {
		err = session.Send(ctx, env)
		session.Close()
	}
	if err != nil {
		s.log.Warn("test mail", "err", err)
		toast("campaign.test_failed", "error", err.Error())
		return
	}
	toast("campaign.test_sent", "info", u.Email)
}

// sendCampaign queues the invitation for every target not mailed yet.
func (s *Server) sendCampaign(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	// The send button submits the editor, so what is on screen is what
	// goes out; it is saved first. A bare POST sends the saved template.
	f := mailFormFrom(c)
	f.SendAt = ""
	if f.Subject == "" && f.Text == "" {
		f = mailForm{Subject: m.MailSubject, Text: m.MailText, HTML: m.MailHTML}
	}
	tpl, _, errs := s.parseMailForm(c, f)
	if !errs.Any() {
		if err := s.db.SaveCampaignMail(c.Request.Context(), actor(c), m.ID, f.Subject, f.Text, f.HTML, ""); err != nil {
			s.fail(c, err)
			return
		}
		m.MailSubject, m.MailText, m.MailHTML = f.Subject, f.Text, f.HTML
	}
	if errs.Any() {
		data, err := s.campaignMailData(c, m, f)
		if err != nil {
			s.fail(c, err)
			return
		}
		s.renderCampaignMail(c, http.StatusUnprocessableEntity, data, errs)
		return
	}
	res, err := s.invitations.Queue(c.Request.Context(), s.lang(c), actor(c), m, tpl)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.deliverNow()
	// Post/redirect/get: a refresh of the page that follows shows the
	// result again but sends nothing. The numbers travel in the query.
	q := url.Values{"queued": {strconv.Itoa(res.Queued)}, "no_email": {strconv.Itoa(res.NoEmail)},
		"invalid": {strconv.Itoa(res.Invalid)}, "suppressed": {strconv.Itoa(res.Suppressed)}, "duplicate": {strconv.Itoa(res.Duplicate)}}
	redirect(c, views.Path("campaign", m.ID, "mail")+"?"+q.Encode())
}

// queueResultFrom reads a send's result from the query of the page a send
// redirects to (nil when there was none).
func queueResultFrom(q url.Values) *models.QueueResult {
	if q.Get("queued") == "" {
		return nil
	}
	n := func(k string) int {
		v, err := strconv.Atoi(q.Get(k))
		if err != nil || v < 0 {
			return 0
		}
		return v
	}
	return &models.QueueResult{Queued: n("queued"), NoEmail: n("no_email"), Invalid: n("invalid"), Suppressed: n("suppressed"),
		Duplicate: n("duplicate")}
}

func (s *Server) pauseCampaign(c *gin.Context)  { s.setPaused(c, true) }
func (s *Server) resumeCampaign(c *gin.Context) { s.setPaused(c, false) }

func (s *Server) setPaused(c *gin.Context, paused bool) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	if err := s.db.SetCampaignPaused(c.Request.Context(), actor(c), m.ID, paused); err != nil {
		s.fail(c, err)
		return
	}
	if !paused {
		s.deliverNow()
	}
	redirect(c, views.Path("campaign", m.ID, "mail"))
}

// campaignProgress is the sending progress block, polled by htmx.
func (s *Server) campaignProgress(c *gin.Context) {
	m, ok := s.campaign(c)
	if !ok {
		return
	}
	data, err := s.campaignMailData(c, m, mailForm{})
	if err != nil {
		s.fail(c, err)
		return
	}
	s.renderBlock(c, http.StatusOK, "campaigns/mail", "progress", s.newPage(c, "", "campaigns", data))
}

// deliverNow runs the delivery job at once (after "send now" or "resume")
// instead of waiting for its next turn; a run already going is enough.
func (s *Server) deliverNow() {
	if s.jobs == nil {
		return
	}
	if err := s.jobs.RunNow(jobs.DeliverMailJob); err != nil && !errors.Is(err, jobs.ErrRunning) {
		s.log.Warn("deliver now", "err", err)
	}
}

// Public links in the messages: unsubscribe and the open pixel.

type unsubscribeData struct {
	Token string
	Lang  string // the mail's language, kept on the confirm button
	Email string
	Done  bool
}

// unsubscribePage asks to confirm; a GET never changes anything, because
// mail scanners follow links.
func (s *Server) unsubscribePage(c *gin.Context) {
	token := c.Param("token")
	if len(token) > 64 {
		s.notFound(c)
		return
	}
	lang := s.mailLanguage(c)
	s.render(c, http.StatusOK, "unsubscribe", s.newPage(c, s.t(c, "unsubscribe.title"), "", &unsubscribeData{Token: token, Lang: lang}))
}

// mailLanguage makes a page that a campaign mail links to speak the
// language of that mail (its links carry ?lang=), not the browser's: the
// reader chose nothing here. It returns the language when the link had one.
func (s *Server) mailLanguage(c *gin.Context) string {
	lang := c.Query("lang")
	if !views.ValidLanguage(lang) {
		return ""
	}
	c.Set(ctxLang, lang)
	return lang
}

// unsubscribe handles the confirm button and RFC 8058 one-click POSTs.
func (s *Server) unsubscribe(c *gin.Context) {
	s.mailLanguage(c)
	token := c.Param("token")
	email, err := s.db.Unsubscribe(c.Request.Context(), token)
	if errors.Is(err, models.ErrNotFound) || len(token) > 64 {
		s.notFound(c)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "unsubscribe", s.newPage(c, s.t(c, "unsubscribe.title"), "", &unsubscribeData{Email: maskEmail(email), Done: true}))
}

// maskEmail shows enough of an address to recognise it: w***@example.com.
func maskEmail(e string) string {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" {
		return "***"
	}
	return string([]rune(local)[:1]) + "***@" + domain
}

// transparentGIF is a 1×1 transparent GIF.
var transparentGIF = []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff\x21\xf9\x04\x01\x00\x00\x00\x00\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00\x3b")

func (s *Server) openPixel(c *gin.Context) {
	token := strings.TrimSuffix(c.Param("file"), ".gif")
	if len(token) <= 64 {
		if err := s.db.MarkOpened(c.Request.Context(), token); err != nil {
			s.log.Error("record open", "err", err)
		}
	}
	c.Header("Cache-Control", "no-store")
	c.Data(http.StatusOK, "image/gif", transparentGIF)
}

// Admin: outgoing mail settings and the .eml files.

type mailAdminData struct {
	Problem     *models.MailProblem // the server refused our sender: sending is paused
	SMTP        mail.SMTPConfig
	PerMinute   int
	PerHour     int
	HasPassword bool
	Files       []mailFile
	FileDir     string
}

type mailFile struct {
	Name string
	Size int64
	At   string
}

func (s *Server) mailAdminData(c *gin.Context) (*mailAdminData, error) {
	cfg, lim, err := s.mail.Current(c.Request.Context())
	if err != nil {
		return nil, err
	}
	data := &mailAdminData{SMTP: cfg, PerMinute: lim.PerMinute, PerHour: lim.PerHour, HasPassword: cfg.Password != "",
		FileDir: s.mail.FileDir()}
	data.SMTP.Password = "" // never shown back
	if data.Problem, err = s.db.CurrentMailProblem(c.Request.Context()); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(s.mail.FileDir())
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".eml") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		data.Files = append(data.Files, mailFile{Name: e.Name(), Size: info.Size(),
			At: info.ModTime().In(s.cfg.Location).Format("2006-01-02 15:04:05")})
	}
	sort.Slice(data.Files, func(i, j int) bool { return data.Files[i].Name > data.Files[j].Name })
	if len(data.Files) > 200 {
		data.Files = data.Files[:200]
	}
	return data, nil
}

func (s *Server) mailAdmin(c *gin.Context) {
	data, err := s.mailAdminData(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/mail", s.newPage(c, s.t(c, "mailadmin.title"), "settings", data))
}

func (s *Server) saveMailAdmin(c *gin.Context) {
	cfg := mail.SMTPConfig{Host: strings.TrimSpace(c.PostForm("host")), TLS: c.PostForm("tls"),
		Username: strings.TrimSpace(c.PostForm("username")), Password: c.PostForm("password"),
		From: strings.TrimSpace(c.PostForm("from")), FromName: strings.TrimSpace(c.PostForm("from_name"))}
	errs := fieldErrors{}
	port, err := strconv.Atoi(strings.TrimSpace(c.PostForm("port")))
	if err != nil || port < 1 || port > 65535 {
		errs["port"] = "validation.number"
	}
	cfg.Port = port
	switch cfg.TLS {
	case "starttls", "tls", "none":
	default:
		errs["tls"] = "validation.invalid_choice"
	}
	if cfg.From != "" && !models.ValidEmail(cfg.From) {
		errs["from"] = "validation.email"
	}
	if strings.ContainsAny(cfg.Host, " /\\@") || len(cfg.Host) > 253 {
		errs["host"] = "mailadmin.host_invalid"
	}
	checkLen(errs, "from_name", cfg.FromName, 100)
	perMinute, err1 := strconv.Atoi(strings.TrimSpace(c.PostForm("per_minute")))
	perHour, err2 := strconv.Atoi(strings.TrimSpace(c.PostForm("per_hour")))
	if err1 != nil || perMinute < 0 {
		errs["per_minute"] = "validation.number"
	}
	if err2 != nil || perHour < 0 {
		errs["per_hour"] = "validation.number"
	}
	if errs.Any() {
		data, err := s.mailAdminData(c)
		if err != nil {
			s.fail(c, err)
			return
		}
		data.SMTP, data.PerMinute, data.PerHour = cfg, perMinute, perHour
		data.SMTP.Password = ""
		p := s.newPage(c, s.t(c, "mailadmin.title"), "settings", data)
		p.Errors = errs
		s.render(c, http.StatusUnprocessableEntity, "admin/mail", p)
		return
	}
	if err := s.mail.Save(c.Request.Context(), cfg, perMinute, perHour); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/admin/mail")
}

// mailFileView shows one .eml file as text.
func (s *Server) mailFileView(c *gin.Context) {
	name := c.Param("name")
	if name != filepath.Base(name) || !strings.HasSuffix(name, ".eml") || strings.HasPrefix(name, ".") {
		s.notFound(c)
		return
	}
	b, err := os.ReadFile(filepath.Join(s.mail.FileDir(), name))
	if err != nil {
		s.notFound(c)
		return
	}
	c.Header("Content-Type", "text/plain; charset=utf-8")
	c.Header("Content-Disposition", `inline; filename="`+name+`"`)
	c.String(http.StatusOK, "%s", b)
}
