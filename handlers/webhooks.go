package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"keyuan/models"
)

// Outgoing webhooks and chat robots (基础设置 → Webhook 与群机器人): admins
// register receivers, see each one's delivery log, pause, resume and
// redeliver. Delivery itself is the jobs.Webhooks deliverer's.

type webhooksData struct {
	Hooks        []models.Webhook
	AllowPrivate bool
}

func (s *Server) webhooks(c *gin.Context) {
	ctx := c.Request.Context()
	hooks, err := s.db.Webhooks(ctx)
	if err != nil {
		s.fail(c, err)
		return
	}
	allow, err := s.db.Setting(ctx, models.WebhookSettingAllowPrivate)
	if err != nil {
		s.fail(c, err)
		return
	}
	s.render(c, http.StatusOK, "admin/webhooks", s.newPage(c, s.t(c, "webhook.title"), "settings",
		&webhooksData{Hooks: hooks, AllowPrivate: allow == "1"}))
}

// saveWebhookSettings stores whether webhooks may reach private and
// loopback addresses (refused by default: SSRF).
func (s *Server) saveWebhookSettings(c *gin.Context) {
	v := ""
	if c.PostForm("allow_private") == "1" {
		v = "1"
	}
	if err := s.db.SetSetting(c.Request.Context(), models.WebhookSettingAllowPrivate, v); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/admin/webhooks")
}

type webhookFormData struct {
	Hook       models.Webhook
	New        bool
	Kinds      []string
	Events     []string
	Deliveries []models.WebhookDelivery
}

func (s *Server) renderWebhookForm(c *gin.Context, status int, w models.Webhook, errs fieldErrors) {
	data := &webhookFormData{Hook: w, New: w.ID == 0, Kinds: models.WebhookKinds, Events: models.WebhookEvents}
	title := s.t(c, "webhook.new")
	if w.ID != 0 {
		title = w.Name
		var err error
		if data.Deliveries, err = s.db.WebhookDeliveries(c.Request.Context(), w.ID, 100); err != nil {
			s.fail(c, err)
			return
		}
	}
	p := s.newPage(c, title, "settings", data)
	p.Errors = errs
	s.render(c, status, "admin/webhook_form", p)
}

func (s *Server) newWebhook(c *gin.Context) {
	s.renderWebhookForm(c, http.StatusOK, models.Webhook{Kind: models.WebhookGeneric}, nil)
}

// webhookFrom reads the form. An empty secret on an existing webhook keeps
// the stored one (the form never shows it back).
func webhookFrom(c *gin.Context, old models.Webhook) models.Webhook {
	w := old
	w.Name = c.PostForm("name")
	w.URL = c.PostForm("url")
	w.Kind = c.PostForm("kind")
	w.Events = c.PostFormArray("events")
	if sec := strings.TrimSpace(c.PostForm("secret")); sec != "" || c.PostForm("clear_secret") == "1" {
		w.Secret = sec
	}
	return w
}

func (s *Server) createWebhook(c *gin.Context) {
	s.saveWebhook(c, models.Webhook{})
}

func (s *Server) webhookParam(c *gin.Context) (models.Webhook, bool) {
	id, ok := idParam(c, "id")
	if !ok {
		s.notFound(c)
		return models.Webhook{}, false
	}
	w, err := s.db.GetWebhook(c.Request.Context(), id)
	if err != nil {
		s.fail(c, err)
		return w, false
	}
	return w, true
}

func (s *Server) editWebhook(c *gin.Context) {
	if w, ok := s.webhookParam(c); ok {
		w.Secret = ""
		s.renderWebhookForm(c, http.StatusOK, w, nil)
	}
}

func (s *Server) updateWebhook(c *gin.Context) {
	if w, ok := s.webhookParam(c); ok {
		s.saveWebhook(c, w)
	}
}

func (s *Server) saveWebhook(c *gin.Context, old models.Webhook) {
	w := webhookFrom(c, old)
	err := s.db.SaveWebhook(c.Request.Context(), actor(c), &w)
	var fe models.FieldErrors
	if errors.As(err, &fe) {
		w.Secret = ""
		s.renderWebhookForm(c, http.StatusUnprocessableEntity, w, fe)
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, webhookPath(w.ID))
}

// pauseWebhook pauses (paused=1) or resumes a webhook.
func (s *Server) pauseWebhook(c *gin.Context) {
	w, ok := s.webhookParam(c)
	if !ok {
		return
	}
	paused := c.PostForm("paused") == "1"
	if err := s.db.SetWebhookPaused(c.Request.Context(), actor(c), w.ID, paused); err != nil {
		s.fail(c, err)
		return
	}
	if paused {
		s.flash(c, "webhook.paused_flash")
	} else {
		s.flash(c, "webhook.resumed_flash")
	}
	redirect(c, webhookPath(w.ID))
}

func (s *Server) deleteWebhook(c *gin.Context) {
	w, ok := s.webhookParam(c)
	if !ok {
		return
	}
	if err := s.db.DeleteWebhook(c.Request.Context(), actor(c), w.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "webhook.deleted")
	redirect(c, "/admin/webhooks")
}

// pingWebhook queues a test event for the webhook; the delivery job sends
// it within its next round (every 15 s) and the log shows the answer.
func (s *Server) pingWebhook(c *gin.Context) {
	w, ok := s.webhookParam(c)
	if !ok {
		return
	}
	if err := s.db.QueuePing(c.Request.Context(), w.ID); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "webhook.ping_queued")
	redirect(c, webhookPath(w.ID))
}

// redeliverWebhook queues a logged delivery again, with its event id.
func (s *Server) redeliverWebhook(c *gin.Context) {
	w, ok := s.webhookParam(c)
	if !ok {
		return
	}
	did, ok := idParam(c, "delivery")
	if !ok {
		s.notFound(c)
		return
	}
	if err := s.db.Redeliver(c.Request.Context(), actor(c), w.ID, did); err != nil {
		s.fail(c, err)
		return
	}
	s.flash(c, "webhook.redelivery_queued")
	redirect(c, webhookPath(w.ID))
}

// The notice preferences (profile page): which channels each kind of
// notice goes to. Loaded into the profile page as its own section.

type noticesData struct {
	Notices  []string
	Channels []string
	On       map[string]map[string]bool // notice → channel → chosen
	Offered  map[string]map[string]bool // notice → channel → exists
}

func (s *Server) notices(c *gin.Context) {
	prefs, err := s.db.NoticePrefs(c.Request.Context(), currentUser(c).ID)
	if err != nil {
		s.fail(c, err)
		return
	}
	set := func(m map[string][]string) map[string]map[string]bool {
		out := map[string]map[string]bool{}
		for n, chans := range m {
			out[n] = map[string]bool{}
			for _, ch := range chans {
				out[n][ch] = true
			}
		}
		return out
	}
	p := s.newPage(c, s.t(c, "notice.title"), "", &noticesData{Notices: models.Notices, Channels: models.NoticeChannels,
		On: set(prefs), Offered: set(models.NoticeOffers)})
	if isFragment(c) {
		s.renderBlock(c, http.StatusOK, "notices", "notices", p)
		return
	}
	s.render(c, http.StatusOK, "notices", p)
}

func (s *Server) saveNotices(c *gin.Context) {
	prefs := map[string][]string{}
	for _, n := range models.Notices {
		prefs[n] = c.PostFormArray(n)
	}
	// Only a tampered form sends an unknown channel: fail says so.
	if err := s.db.SaveNoticePrefs(c.Request.Context(), currentUser(c).ID, prefs); err != nil {
		s.fail(c, err)
		return
	}
	s.saved(c, "/profile/notices")
}

// webhookPath is a webhook's page.
func webhookPath(id int64) string { return "/admin/webhooks/" + strconv.FormatInt(id, 10) }
