package jobs

import (
	"context"
	"fmt"
	netmail "net/mail"
	"strings"

	"keyuan/backup"
	"keyuan/models"
	"keyuan/views"
)

// StandardConfig is what the application's scheduled jobs are built from.
type StandardConfig struct {
	DB          *models.DB
	Catalog     views.Catalog
	Outbox      *Outbox
	Webhooks    *Webhooks // nil: no webhook delivery job
	Mail        *MailSettings
	Invitations *CampaignMailer
	Reports     *ReportMailer
	BaseURL     string
	// Off names the jobs that stay listed but are never scheduled.
	Off []string
	// Backups, when set, is backed up nightly at BackupAt (HH:MM, business
	// time; DefaultBackupAt when empty).
	Backups  *backup.Service
	BackupAt string
	// TrashDays is how long the recycle bin keeps a record (0: the default).
	TrashDays int
	// FilesDir is <data>/files, the attachments' content; the clean-up
	// job runs when it is set.
	FilesDir string
}

// StandardJobs is the list of the application's scheduled jobs. Every
// e-mail, reminders included, goes through the outbox: SMTP when configured,
// .eml files otherwise, with retries and a record.
func StandardJobs(ctx context.Context, cfg StandardConfig) ([]Job, error) {
	smtp, _, err := cfg.Mail.Current(ctx)
	if err != nil {
		return nil, err
	}
	from := netmail.Address{Name: smtp.FromName, Address: smtp.From}
	list := []Job{
		{Name: "plan_reminders", Schedule: "@every 1m", Run: PlanReminders(cfg.DB, ReminderConfig{
			Mailer: OutboxMailer{DB: cfg.DB}, From: from, BaseURL: cfg.BaseURL, T: cfg.Catalog.T})},
		{Name: "session_cleanup", Schedule: "17 * * * *", Run: SessionCleanup(cfg.DB)},
		{Name: "purge_trash", Schedule: "40 3 * * *", Run: func(ctx context.Context) (string, error) {
			days := cfg.TrashDays
			if days <= 0 {
				days = models.DefaultTrashDays
			}
			n, err := cfg.DB.PurgeTrash(ctx, days)
			return fmt.Sprintf("purged %d", n), err
		}},
	}
	if cfg.FilesDir != "" {
		// After the bin's purge: content only a purged entry named goes
		// the same night.
		store := models.FileStore{DB: cfg.DB, Dir: cfg.FilesDir}
		list = append(list, Job{Name: "clean_files", Schedule: "55 3 * * *", Run: func(ctx context.Context) (string, error) {
			n, err := store.CleanFiles(ctx)
			return fmt.Sprintf("removed %d", n), err
		}})
	}
	list = append(list, OutboxJobs(cfg.Outbox, cfg.Invitations.QueueDue)...)
	if cfg.Webhooks != nil {
		list = append(list, cfg.Webhooks.Jobs()...)
	}
	list = append(list, ReportJobs(cfg.DB, ReportMailConfig{Renderer: cfg.Reports, Host: MessageHost(cfg.BaseURL),
		Loc: cfg.DB.Location()})...)
	if cfg.Backups != nil {
		at := cfg.BackupAt
		if at == "" {
			at = DefaultBackupAt
		}
		nightly, err := BackupJobs(cfg.Backups, at)
		if err != nil {
			return nil, err
		}
		list = append(list, nightly...)
	}
	off := map[string]bool{}
	for _, name := range cfg.Off {
		off[strings.TrimSpace(name)] = true
	}
	for i := range list {
		list[i].Enabled = !off[list[i].Name]
	}
	return list, nil
}
