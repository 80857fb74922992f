package handlers

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"

	"keyuan/backup"
	"keyuan/jobs"
	"keyuan/mail"
	"keyuan/models"
	"keyuan/search"
	"keyuan/static"
	"keyuan/views"
)

// App is the whole application over an opened database, built in one
// order — views, search index, mail, jobs, then the web — by NewApp, which
// main.go and the tests both call, so they cannot drift apart.
type App struct {
	DB          *models.DB
	Views       *views.Engine
	Index       *search.Service
	Importer    *jobs.Importer
	Mail        *jobs.MailSettings
	Outbox      *jobs.Outbox
	Webhooks    *jobs.Webhooks
	Invitations *jobs.CampaignMailer
	Reports     *jobs.ReportMailer
	Scheduler   *jobs.Scheduler
	Backups     *backup.Service
	Server      *Server
}

// AppConfig is what the application is built from besides the database.
type AppConfig struct {
	Web     Config          // DataDir holds search/ and mail/
	SMTP    mail.SMTPConfig // the command line's; the mail settings page may override it
	JobsOff []string        // scheduled jobs listed but never run on schedule
	Search  search.Options
	Log     *slog.Logger
	// Backup configures the backups (DataDir, the database and the version
	// come from the rest); BackupAt is the nightly time, HH:MM.
	Backup   backup.Config
	BackupAt string
}

// NewApp builds the application. Nothing runs until Start; Close releases
// what NewApp opened (not the database, which the caller opened).
func NewApp(ctx context.Context, db *models.DB, cfg AppConfig) (*App, error) {
	app, err := newApp(ctx, db, cfg)
	if err != nil {
		app.Close(context.Background()) // what was built so far
		return nil, err
	}
	return app, nil
}

func newApp(ctx context.Context, db *models.DB, cfg AppConfig) (app *App, err error) {
	log := cfg.Log
	app = &App{DB: db}
	assets, err := static.Load()
	if err != nil {
		return app, err
	}
	catalog, err := views.LoadCatalog()
	if err != nil {
		return app, err
	}
	if app.Views, err = views.New(catalog, assets.URL, db.Location()); err != nil {
		return app, err
	}
	// Custom roles are named by the admin who made them.
	app.Views.SetRoleNames(func(r models.Role) string {
		d, err := db.RoleDef(r)
		if err != nil {
			return ""
		}
		return d.Name
	})
	// The index opens at once; a rebuild it needs runs after Start, in the
	// background, while the server already answers.
	if app.Index, err = search.Open(ctx, db, filepath.Join(cfg.Web.DataDir, "search"), log, cfg.Search); err != nil {
		return app, err
	}
	if app.Importer, err = jobs.NewImporter(ctx, db, log); err != nil {
		return app, err
	}
	app.Mail = jobs.NewMailSettings(db, cfg.SMTP, jobs.DefaultOutboxConfig, filepath.Join(cfg.Web.DataDir, "mail"), cfg.Web.BaseURL)
	app.Outbox = jobs.NewOutbox(db, log, app.Mail.Sender)
	wcfg := jobs.DefaultWebhookConfig
	wcfg.BaseURL = cfg.Web.BaseURL
	app.Webhooks = jobs.NewWebhooks(db, log, wcfg)
	app.Invitations = &jobs.CampaignMailer{DB: db, Catalog: catalog, BaseURL: cfg.Web.BaseURL, Log: log}
	app.Reports = &jobs.ReportMailer{DB: db, Views: app.Views, BaseURL: cfg.Web.BaseURL}
	bcfg := cfg.Backup
	bcfg.DataDir, bcfg.Database, bcfg.AppVersion = cfg.Web.DataDir, db.Path, cfg.Web.Version
	app.Backups = backup.NewService(bcfg, db.Now)
	list, err := jobs.StandardJobs(ctx, jobs.StandardConfig{DB: db, Catalog: catalog, Outbox: app.Outbox, Mail: app.Mail,
		Webhooks: app.Webhooks, Invitations: app.Invitations, Reports: app.Reports, BaseURL: cfg.Web.BaseURL, Off: cfg.JobsOff,
		Backups: app.Backups, BackupAt: cfg.BackupAt, TrashDays: cfg.Web.TrashDays,
		FilesDir: filepath.Join(cfg.Web.DataDir, "files")})
	if err != nil {
		return app, err
	}
	if app.Scheduler, err = jobs.New(db, log, db.Location(), list); err != nil {
		return app, err
	}
	app.Server = New(cfg.Web, Deps{DB: db, Views: app.Views, Assets: assets, Log: log, Importer: app.Importer,
		Outbox: app.Outbox, Mail: app.Mail, Invitations: app.Invitations, Reports: app.Reports,
		Scheduler: app.Scheduler, Search: app.Index, Backups: app.Backups})
	return app, nil
}

// Start runs the background work: a new server takes over the outbox
// leases of a killed one (the data-folder lock says none is alive), the
// search worker starts, and the scheduled jobs.
func (a *App) Start(ctx context.Context) error {
	if err := a.Outbox.TakeOverLeases(ctx); err != nil {
		return err
	}
	if err := a.Webhooks.TakeOverLeases(ctx); err != nil {
		return err
	}
	a.Index.Start()
	a.Scheduler.Start()
	return nil
}

// Close stops the jobs (waiting for running ones until ctx ends), the
// imports and the search index.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	if a.Scheduler != nil {
		errs = append(errs, a.Scheduler.Stop(ctx))
	}
	if a.Importer != nil {
		a.Importer.Shutdown()
	}
	if a.Index != nil {
		errs = append(errs, a.Index.Close())
	}
	return errors.Join(errs...)
}
