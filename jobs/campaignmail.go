package jobs

import (
	"context"
	"html"
	"log/slog"
	"net/url"
	"strings"

	"keyuan/mail"
	"keyuan/models"
	"keyuan/views"
)

// CampaignMailer renders and queues campaign invitations. The send button,
// the scheduled send, the test message and the preview all go through it,
// so what a preview shows is what a recipient gets.
type CampaignMailer struct {
	DB      *models.DB
	Catalog views.Catalog
	BaseURL string
	Log     *slog.Logger
}

// MessageHost is the domain of the Message-IDs we write: the public URL's.
func MessageHost(baseURL string) string {
	if u, err := url.Parse(baseURL); err == nil && u.Hostname() != "" {
		return u.Hostname()
	}
	return "keyuan.local"
}

// MergeFields are one recipient's values for the template.
func MergeFields(m *models.Campaign, inv models.Invitee) mail.MergeFields {
	date := m.StartDate
	if m.EndDate != m.StartDate {
		date += " – " + m.EndDate
	}
	return mail.MergeFields{CustomerName: inv.Company, ContactName: inv.Name, ContactTitle: inv.ContactTitle,
		Salesperson: inv.Salesperson, CampaignName: m.Name, CampaignDate: date, CampaignPlace: m.Place}
}

// Render is the invitation to one recipient: the template filled in, then
// the unsubscribe line (text and HTML) and the open pixel for token, with
// the footer written in lang.
func (cm *CampaignMailer) Render(ctx context.Context, lang string, m *models.Campaign, tpl *mail.Template,
	inv models.Invitee, token string) (models.RenderedMail, error) {
	r, err := tpl.RenderContext(ctx, MergeFields(m, inv))
	if err != nil {
		return models.RenderedMail{}, err
	}
	unsub := UnsubscribeURL(cm.BaseURL, token)
	if lang != "" {
		unsub += "?lang=" + url.QueryEscape(lang) // the page behind the link speaks the mail's language
	}
	line := cm.Catalog.T(lang, "campaign.unsubscribe_line")
	out := models.RenderedMail{Subject: r.Subject, Text: strings.TrimRight(r.Text, "\n") + "\n\n--\n" + line + " " + unsub + "\n"}
	if r.HTML != "" {
		footer := `<p style="margin-top:24px;font-size:12px;color:#888">` + html.EscapeString(line) +
			` <a href="` + html.EscapeString(unsub) + `">` + html.EscapeString(unsub) + `</a></p>` +
			`<img src="` + html.EscapeString(OpenPixelURL(cm.BaseURL, token)) + `" width="1" height="1" alt="">`
		out.HTML = insertBeforeBodyEnd(r.HTML, footer)
	}
	return out, nil
}

// insertBeforeBodyEnd puts footer inside the body of a whole HTML document
// (after </html> a client may drop it), or at the end of a fragment.
func insertBeforeBodyEnd(doc, footer string) string {
	if i := strings.LastIndex(strings.ToLower(doc), "</body>"); i >= 0 {
		return doc[:i] + footer + doc[i:]
	}
	return doc + footer
}

// Queue renders and queues one message per target not mailed yet, as actor
// a; the footer is written in lang.
func (cm *CampaignMailer) Queue(ctx context.Context, lang string, a models.Actor, m *models.Campaign, tpl *mail.Template) (models.QueueResult, error) {
	return cm.DB.QueueCampaignMail(ctx, a, m.ID, MessageHost(cm.BaseURL), func(inv models.Invitee, msg models.OutboxMessage) (models.RenderedMail, error) {
		return cm.Render(ctx, lang, m, tpl, inv, msg.Token)
	})
}

// QueueDue queues the campaigns whose scheduled time has come, as their
// owners (or as the system when the owner has left). The outbox loop calls
// it before each round.
func (cm *CampaignMailer) QueueDue(ctx context.Context) error {
	due, err := cm.DB.DueCampaigns(ctx, cm.DB.Now())
	if err != nil {
		return err
	}
	for _, d := range due {
		owner, err := cm.DB.UserByID(ctx, d.OwnerID)
		if err != nil {
			return err
		}
		a := cm.DB.ActorFor(owner)
		if !owner.Active {
			a = models.SystemActor()
		}
		m, err := cm.DB.GetCampaign(ctx, a, d.ID)
		if err != nil {
			return err
		}
		tpl, err := mail.ParseTemplate(m.MailSubject, m.MailText, m.MailHTML)
		if err != nil {
			cm.Log.Warn("scheduled campaign has a broken template", "campaign", m.ID, "err", err)
			continue
		}
		// The footer is in the owner's language: the scheduler has no request.
		res, err := cm.Queue(ctx, userLang(owner), a, m, tpl)
		if err != nil {
			return err
		}
		cm.Log.Info("scheduled campaign queued", "campaign", m.ID, "queued", res.Queued)
	}
	return nil
}
