// Command keyuan is Keyuan CRM (客源CRM): a self-hosted CRM for small
// businesses in one executable.
//
//	keyuan [serve] [flags]   run the web server (default)
//	keyuan gen [flags]       fill a database with a large synthetic data set
//	keyuan reindex [flags]   rebuild the search index from the database
//	keyuan backup [flags]    write a backup archive, beside a running server or not
//	keyuan restore FILE      replace the data with a backup's (server stopped)
//
// Every flag also reads an environment variable (KEYUAN_ + flag name in
// capitals, dashes as underscores); a flag given on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // the binary carries its own time zone data

	"keyuan/backup"
	"keyuan/demo"
	"keyuan/handlers"
	"keyuan/mail"
	"keyuan/models"
	"keyuan/search"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

type config struct {
	SMTP      mail.SMTPConfig
	Listen    string
	DataDir   string
	BaseURL   string
	TimeZone  string
	LogLevel  string
	Demo      bool
	AdminPass string
	JobsOff   string
	// TrashDays is how long the recycle bin keeps deleted records.
	TrashDays int
	// TrustedProxies are the reverse proxies whose X-Forwarded-* and
	// Forwarded headers are believed.
	TrustedProxies string
	// ShutdownGrace is how long requests in flight may run on after a stop
	// is asked for; longer ones (a big download) are then ended.
	ShutdownGrace time.Duration
	Backup        backupSettings
}

func main() {
	args := os.Args[1:]
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(args)
	case "gen":
		err = gen(args)
	case "reindex":
		err = reindex(args)
	case "backup":
		err = backupCmd(args)
	case "restore":
		err = restoreCmd(args)
	default:
		err = fmt.Errorf("unknown command %q (commands: serve, gen, reindex, backup, restore)", cmd)
	}
	if errors.Is(err, flag.ErrHelp) {
		return // the flag package has printed the usage
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "keyuan:", err)
		os.Exit(1)
	}
}

// envBool reads a boolean environment variable ("1", "true", "yes", …).
func envBool(name string) (bool, error) {
	v, ok := os.LookupEnv(name)
	if !ok || v == "" {
		return false, nil
	}
	switch strings.ToLower(v) {
	case "yes", "on":
		return true, nil
	case "no", "off":
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("%s=%q is not a yes/no value", name, v)
	}
	return b, nil
}

// envDefault returns the environment variable's value or def.
func envDefault(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// commonFlags are the settings every command shares (serve, gen, reindex
// and the rest), read the same way from flags and the environment.
func commonFlags(fs *flag.FlagSet, cfg *config) {
	fs.StringVar(&cfg.DataDir, "data", envDefault("KEYUAN_DATA", "./data"), "data directory (database, index, mail) [KEYUAN_DATA]")
	fs.StringVar(&cfg.TimeZone, "tz", envDefault("KEYUAN_TZ", "Asia/Shanghai"), "the business's time zone [KEYUAN_TZ]")
	fs.StringVar(&cfg.LogLevel, "log-level", envDefault("KEYUAN_LOG_LEVEL", "info"), "debug, info, warn or error [KEYUAN_LOG_LEVEL]")
}

func newLogger(level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// openOwnDB takes the data folder for this process alone (a second server,
// or a reindex beside a server, would corrupt the search index) and opens
// its database. release closes the database and frees the folder.
func openOwnDB(ctx context.Context, cfg config) (db *models.DB, release func(), err error) {
	unlock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, nil, err
	}
	if db, err = openDB(ctx, cfg); err != nil {
		unlock()
		return nil, nil, err
	}
	return db, func() { db.Close(); unlock() }, nil
}

func openDB(ctx context.Context, cfg config) (*models.DB, error) {
	loc, err := time.LoadLocation(cfg.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", cfg.TimeZone, err)
	}
	db, err := models.Open(ctx, filepath.Join(cfg.DataDir, "keyuan.db"))
	if err != nil {
		return nil, err
	}
	db.Loc = loc
	if err := db.SeedDefaults(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// softMemoryLimit is the Go heap's soft limit (BENCHMARKS.md, issue 19):
// the largest single jobs (an XLSX import or export of 100,000 rows) stay
// well under it.
const softMemoryLimit = 200 << 20

func serve(args []string) error {
	var cfg config
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.StringVar(&cfg.Listen, "listen", envDefault("KEYUAN_LISTEN", "127.0.0.1:8080"), "address to listen on [KEYUAN_LISTEN]")
	fs.StringVar(&cfg.BaseURL, "base-url", envDefault("KEYUAN_BASE_URL", ""), "public URL, e.g. https://crm.example.com (default http://LISTEN) [KEYUAN_BASE_URL]")
	demo, err := envBool("KEYUAN_DEMO")
	if err != nil {
		return err
	}
	fs.BoolVar(&cfg.Demo, "demo", demo, "load demo data on first start, into an empty database [KEYUAN_DEMO]")
	fs.StringVar(&cfg.SMTP.Host, "smtp-host", envDefault("KEYUAN_SMTP_HOST", ""), "SMTP server; without one, mail is written to DATA/mail as .eml files [KEYUAN_SMTP_HOST]")
	smtpPort, err := strconv.Atoi(envDefault("KEYUAN_SMTP_PORT", "587"))
	if err != nil {
		return fmt.Errorf("KEYUAN_SMTP_PORT: %w", err)
	}
	fs.IntVar(&cfg.SMTP.Port, "smtp-port", smtpPort, "SMTP port [KEYUAN_SMTP_PORT]")
	fs.StringVar(&cfg.SMTP.TLS, "smtp-tls", envDefault("KEYUAN_SMTP_TLS", "starttls"), "starttls, tls or none [KEYUAN_SMTP_TLS]")
	fs.StringVar(&cfg.SMTP.Username, "smtp-user", envDefault("KEYUAN_SMTP_USER", ""), "SMTP user name [KEYUAN_SMTP_USER]")
	fs.StringVar(&cfg.SMTP.From, "mail-from", envDefault("KEYUAN_MAIL_FROM", ""), "sender address, e.g. crm@example.com [KEYUAN_MAIL_FROM]")
	fs.StringVar(&cfg.SMTP.FromName, "mail-from-name", envDefault("KEYUAN_MAIL_FROM_NAME", "客源CRM"), "sender name [KEYUAN_MAIL_FROM_NAME]")
	grace, err := time.ParseDuration(envDefault("KEYUAN_SHUTDOWN_GRACE", "30s"))
	if err != nil {
		return fmt.Errorf("KEYUAN_SHUTDOWN_GRACE: %w", err)
	}
	fs.DurationVar(&cfg.ShutdownGrace, "shutdown-grace", grace, "how long requests in flight may finish after SIGTERM [KEYUAN_SHUTDOWN_GRACE]")
	trashDays, err := strconv.Atoi(envDefault("KEYUAN_TRASH_DAYS", strconv.Itoa(models.DefaultTrashDays)))
	if err != nil || trashDays < 1 {
		return fmt.Errorf("KEYUAN_TRASH_DAYS: a number of days, at least 1")
	}
	fs.IntVar(&cfg.TrashDays, "trash-days", trashDays, "how many days the recycle bin keeps deleted records [KEYUAN_TRASH_DAYS]")
	fs.StringVar(&cfg.JobsOff, "jobs-off", envDefault("KEYUAN_JOBS_OFF", ""), "comma-separated scheduled jobs to disable, e.g. plan_reminders [KEYUAN_JOBS_OFF]")
	if err := backupFlags(fs, &cfg.Backup); err != nil {
		return err
	}
	fs.StringVar(&cfg.TrustedProxies, "trusted-proxies", envDefault("KEYUAN_TRUSTED_PROXIES", ""), "reverse proxies (CIDRs) whose X-Forwarded-For/-Proto and Forwarded headers are believed, e.g. 127.0.0.1,::1 [KEYUAN_TRUSTED_PROXIES]")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.TrashDays < 1 {
		return fmt.Errorf("--trash-days: at least 1")
	}
	proxies, err := handlers.ParseProxies(cfg.TrustedProxies)
	if err != nil {
		return err
	}
	// The password only comes from the environment: flags show in ps.
	cfg.SMTP.Password = os.Getenv("KEYUAN_SMTP_PASSWORD")
	cfg.AdminPass = os.Getenv("KEYUAN_ADMIN_PASSWORD")
	if cfg.BaseURL == "" {
		cfg.BaseURL = "http://" + cfg.Listen
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	// The server's live heap is small and its garbage is many short-lived
	// page renders; collecting less often served about 40% more list pages
	// per second in the load test (BENCHMARKS.md). GOGC still overrides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	// …but under load (16 clients over lists, calendars, reports and search
	// while the index was built) that let the heap grow to five times what
	// was live: 646 MB resident at the peak (scripts/bench-memory.sh). A soft
	// limit makes the collector run more often only when the heap nears it.
	// GOMEMLIMIT still overrides.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(softMemoryLimit)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	db, release, err := openOwnDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer release()
	if pw, err := db.EnsureAdmin(ctx, cfg.AdminPass); err != nil {
		return err
	} else if pw != "" && cfg.AdminPass == "" {
		fmt.Printf("\n  First start: created the administrator account.\n    username: admin\n    password: %s\n  (shown once; change it under 个人设置 / My profile)\n\n", pw)
	}
	if cfg.Demo {
		if err := loadDemo(ctx, db, log); err != nil {
			return err
		}
	}
	key, err := sessionKey(ctx, db)
	if err != nil {
		return err
	}
	var jobsOff []string
	if cfg.JobsOff != "" {
		jobsOff = strings.Split(cfg.JobsOff, ",")
	}
	app, err := handlers.NewApp(ctx, db, handlers.AppConfig{
		Web: handlers.Config{BaseURL: cfg.BaseURL, DataDir: cfg.DataDir, SessionKey: key, Location: db.Location(),
			Version: version, TrustedProxies: proxies, TrashDays: cfg.TrashDays},
		SMTP: cfg.SMTP, JobsOff: jobsOff, Log: log,
		Backup: backup.Config{CopyTo: cfg.Backup.CopyTo, KeepDays: cfg.Backup.KeepDays}, BackupAt: cfg.Backup.At})
	if err != nil {
		return err
	}
	if err := app.Start(ctx); err != nil {
		app.Close(context.Background())
		return err
	}

	httpServer := &http.Server{
		Addr:              cfg.Listen,
		Handler:           app.Server.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // large exports stream for a while
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    1 << 20,
	}
	errc := make(chan error, 1)
	go func() { errc <- httpServer.ListenAndServe() }()
	log.Info("Keyuan CRM is running", "url", cfg.BaseURL, "listen", cfg.Listen, "data", cfg.DataDir, "version", version)

	select {
	case err := <-errc:
		app.Close(context.Background())
		return err
	case <-ctx.Done():
	}
	return stopServer(log, httpServer, app, cfg.ShutdownGrace)
}

// stopServer is a requested stop, which always ends well: requests in flight
// get the grace period, then the longest (a download) are cut off; the
// scheduled jobs are cancelled and waited for, then the imports and the
// index close; the database closes in serve's deferred call after this.
func stopServer(log *slog.Logger, httpServer *http.Server, app *handlers.App, grace time.Duration) error {
	log.Info("shutting down", "grace", grace)
	graceCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := httpServer.Shutdown(graceCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("requests still running after the grace period are ended", "err", err)
		if err := httpServer.Close(); err != nil {
			log.Warn("close connections", "err", err)
		}
	}
	jobsCtx, cancelJobs := context.WithTimeout(context.Background(), max(grace, 10*time.Second))
	defer cancelJobs()
	if err := app.Close(jobsCtx); err != nil {
		log.Error("background work did not stop cleanly; interrupted job runs are recorded as such at the next start", "err", err)
	}
	log.Info("stopped")
	return nil
}

// sessionKey returns the key that signs session cookies: KEYUAN_SESSION_KEY
// when set, otherwise one generated on first start and kept in the
// database, so a restart does not sign everybody out.
func sessionKey(ctx context.Context, db *models.DB) ([]byte, error) {
	if k := os.Getenv("KEYUAN_SESSION_KEY"); k != "" {
		if len(k) < 32 {
			return nil, errors.New("KEYUAN_SESSION_KEY must be at least 32 characters")
		}
		return []byte(k), nil
	}
	k, err := db.Setting(ctx, "session_key")
	if err != nil {
		return nil, err
	}
	if k == "" {
		k = models.RandomToken(48)
		if err := db.SetSetting(ctx, "session_key", k); err != nil {
			return nil, err
		}
	}
	return []byte(k), nil
}

// loadDemo fills an empty database with the demo data set once. A
// database that already holds customers is left alone: demo data must
// never mix with a business's real records.
func loadDemo(ctx context.Context, db *models.DB, log *slog.Logger) error {
	if done, err := db.Setting(ctx, "demo_loaded"); err != nil || done != "" {
		return err
	}
	if n, err := db.CountCustomers(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Warn("--demo ignored: the database already has customers", "customers", n)
		return nil
	}
	log.Info("loading demo data")
	const pw = "keyuan-demo"
	// Service staff first, so the demo issues have someone to handle them.
	for _, u := range []models.NewUser{
		{Username: "zongjingli", DisplayName: "赵总经理", Role: models.RoleManager, Password: pw, Email: "zongjingli@example.com"},
		{Username: "zongjian", DisplayName: "郑总监", Role: models.RoleDirector, Password: pw, Email: "zongjian@example.com"},
		{Username: "zhuguan", DisplayName: "周主管", Role: models.RoleSupervisor, Password: pw, Email: "zhuguan@example.com"},
		{Username: "kefu", DisplayName: "孙客服", Role: models.RoleService, Password: pw, Email: "kefu@example.com"},
	} {
		if _, err := db.CreateUser(ctx, 0, u); err != nil && !errors.Is(err, models.ErrConflict) {
			return err
		}
	}
	today := db.LocalNow()
	if err := demo.Generate(ctx, db, demo.Options{Customers: 300, Prospects: 120, Sales: 4, Seed: 2026, Password: pw,
		Activities: 3000, Plans: 400, Opportunities: 60, Issues: 120, HistoryDays: 90,
		Until: time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC)}); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	if err := demoTeams(ctx, db); err != nil {
		return err
	}
	fmt.Printf("  Demo data loaded. Demo accounts (password %q): zhangwei, lina (销售一部), wangqiang, liuyang (华东团队), "+
		"zhuguan (销售主管 of 销售一部), zongjian (销售总监), zongjingli (总经理), kefu (服务人员)\n", pw)
	// A read-write API token for zhangwei, so the README's curl example
	// works at once; a real user makes theirs on the profile page.
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Username != "zhangwei" {
			continue
		}
		_, secret, err := db.CreateAPIToken(ctx, db.ActorFor(&u), models.NewAPIToken{Name: "演示令牌", Writable: true})
		if err != nil {
			return err
		}
		fmt.Printf("  Demo API token of zhangwei (read-write; shown once): %s\n", secret)
	}
	fmt.Println()
	return db.SetSetting(ctx, "demo_loaded", db.Now().Format(time.RFC3339))
}

func gen(args []string) error {
	var cfg config
	var opt demo.Options
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	fs.IntVar(&opt.Customers, "customers", 100000, "customers to create")
	fs.IntVar(&opt.Prospects, "prospects", 0, "prospects to create")
	fs.IntVar(&opt.Sales, "sales", 20, "salespeople to create")
	fs.Uint64Var(&opt.Seed, "seed", 1, "random seed: the same seed gives the same data")
	fs.IntVar(&opt.Activities, "activities", 0, "activity records to create (about one in ten also gets its next-activity plan)")
	fs.IntVar(&opt.Plans, "plans", 0, "further activity plans to create around the end date")
	fs.IntVar(&opt.Opportunities, "opportunities", 0, "opportunities to create")
	fs.IntVar(&opt.Articles, "articles", 0, "knowledge articles to create (beyond the seed knowledge base)")
	fs.IntVar(&opt.Issues, "issues", 0, "customer issues to create")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	if pw, err := db.EnsureAdmin(ctx, os.Getenv("KEYUAN_ADMIN_PASSWORD")); err != nil {
		return err
	} else if pw != "" && os.Getenv("KEYUAN_ADMIN_PASSWORD") == "" {
		fmt.Printf("created the administrator account: username admin, password %s (shown once)\n", pw)
	}
	elapsed := models.Stopwatch()
	if err := demo.Generate(ctx, db, opt); err != nil {
		return err
	}
	fmt.Printf("generated %d customers, %d prospects, %d activity records, %d plans, %d articles and %d issues for %d salespeople in %s\n",
		opt.Customers, opt.Prospects, opt.Activities, opt.Plans, opt.Articles, opt.Issues, opt.Sales, elapsed().Round(time.Millisecond))
	fmt.Println("the search index is rebuilt at the next start (or now with: keyuan reindex)")
	return nil
}

// reindex rebuilds the search index from the database while the server is
// stopped (Bleve allows one process per index).
func reindex(args []string) error {
	var cfg config
	fs := flag.NewFlagSet("reindex", flag.ContinueOnError)
	commonFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(cfg.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// The index is the server's: rebuild it only while no server runs.
	db, release, err := openOwnDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer release()
	index, err := search.Open(ctx, db, filepath.Join(cfg.DataDir, "search"), log, search.Options{})
	if err != nil {
		return err
	}
	defer index.Close()
	elapsed := models.Stopwatch()
	if err := index.RebuildNow(ctx, "manual"); err != nil {
		return err
	}
	st := index.Status()
	fmt.Printf("indexed %d documents in %s (%.0f documents/s)\n", st.Done, st.Took.Round(time.Millisecond),
		float64(st.Done)/elapsed().Seconds())
	return nil
}

// demoTeams puts the demo salespeople in two teams: 销售一部, led by the
// supervisor zhuguan, and 华东团队, which has no supervisor yet.
func demoTeams(ctx context.Context, db *models.DB) error {
	users, err := db.Users(ctx)
	if err != nil {
		return err
	}
	id := map[string]int64{}
	for _, u := range users {
		id[u.Username] = u.ID
	}
	for _, t := range []models.Team{
		{Name: "销售一部", SupervisorID: id["zhuguan"], MemberIDs: []int64{id["zhangwei"], id["lina"]}},
		{Name: "华东团队", MemberIDs: []int64{id["wangqiang"], id["liuyang"]}},
	} {
		if err := db.SaveTeam(ctx, 0, &t); err != nil {
			return fmt.Errorf("demo team %s: %w", t.Name, err)
		}
	}
	return nil
}
