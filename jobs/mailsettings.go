package jobs

import (
	"context"
	"net/url"
	"strconv"

	"keyuan/mail"
	"keyuan/models"
)

// MailSettings are the outgoing-mail settings: defaults from flags and
// environment, overridden by what the admin saved on the settings page.
type MailSettings struct {
	db       *models.DB
	defaults mail.SMTPConfig
	limits   OutboxConfig
	fileDir  string
	baseURL  string
}

// NewMailSettings keeps the defaults; fileDir is where .eml files go when
// no SMTP server is configured.
func NewMailSettings(db *models.DB, defaults mail.SMTPConfig, limits OutboxConfig, fileDir, baseURL string) *MailSettings {
	return &MailSettings{db: db, defaults: defaults, limits: limits, fileDir: fileDir, baseURL: baseURL}
}

// FileDir is where the .eml files are written.
func (m *MailSettings) FileDir() string { return m.fileDir }

// Setting keys of the mail settings page.
var mailKeys = []string{"smtp_host", "smtp_port", "smtp_tls", "smtp_user", "smtp_password", "mail_from", "mail_from_name",
	"mail_per_minute", "mail_per_hour"}

// Current returns the settings in force.
func (m *MailSettings) Current(ctx context.Context) (mail.SMTPConfig, OutboxConfig, error) {
	cfg, lim := m.defaults, m.limits
	vals := map[string]string{}
	for _, k := range mailKeys {
		v, err := m.db.Setting(ctx, k)
		if err != nil {
			return cfg, lim, err
		}
		vals[k] = v
	}
	set := func(dst *string, k string) {
		if vals[k] != "" {
			*dst = vals[k]
		}
	}
	setInt := func(dst *int, k string) {
		if n, err := strconv.Atoi(vals[k]); err == nil && n >= 0 {
			*dst = n
		}
	}
	set(&cfg.Host, "smtp_host")
	setInt(&cfg.Port, "smtp_port")
	set(&cfg.TLS, "smtp_tls")
	set(&cfg.Username, "smtp_user")
	set(&cfg.Password, "smtp_password")
	set(&cfg.From, "mail_from")
	set(&cfg.FromName, "mail_from_name")
	setInt(&lim.PerMinute, "mail_per_minute")
	setInt(&lim.PerHour, "mail_per_hour")
	if cfg.Port == 0 {
		cfg.Port = 587
	}
	if cfg.From == "" {
		host := "localhost"
		if u, err := url.Parse(m.baseURL); err == nil && u.Hostname() != "" {
			host = u.Hostname()
		}
		cfg.From = "noreply@" + host
	}
	lim.From, lim.FromName, lim.BaseURL = cfg.From, cfg.FromName, m.baseURL
	return cfg, lim, nil
}

// Sender returns the sender in force: SMTP when a server is configured,
// .eml files otherwise.
func (m *MailSettings) Sender(ctx context.Context) (mail.Sender, OutboxConfig, error) {
	cfg, lim, err := m.Current(ctx)
	if err != nil {
		return nil, lim, err
	}
	if cfg.Enabled() {
		return mail.SMTPSender{Config: cfg}, lim, nil
	}
	return mail.FileSender{Dir: m.fileDir}, lim, nil
}

// Save stores the admin's settings; an empty password keeps the old one.
func (m *MailSettings) Save(ctx context.Context, cfg mail.SMTPConfig, perMinute, perHour int) error {
	vals := map[string]string{"smtp_host": cfg.Host, "smtp_port": strconv.Itoa(cfg.Port), "smtp_tls": cfg.TLS,
		"smtp_user": cfg.Username, "mail_from": cfg.From, "mail_from_name": cfg.FromName,
		"mail_per_minute": strconv.Itoa(perMinute), "mail_per_hour": strconv.Itoa(perHour)}
	if cfg.Password != "" {
		vals["smtp_password"] = cfg.Password
	}
	for k, v := range vals {
		if err := m.db.SetSetting(ctx, k, v); err != nil {
			return err
		}
	}
	return nil
}
