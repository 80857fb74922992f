package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	keymail "keyuan/mail"
	"keyuan/models"
)

func init() { models.SetBcryptCostForTests() }

func testDB(t *testing.T) *models.DB {
	t.Helper()
	db, err := models.Open(context.Background(), filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Loc, _ = time.LoadLocation("Asia/Shanghai")
	if err := db.SeedDefaults(context.Background()); err != nil {
		t.Fatal(err)
	}
	return db
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPanickingJobKeepsRunning(t *testing.T) {
	db := testDB(t)
	var runs atomic.Int32
	s, err := New(db, quiet, time.UTC, []Job{{Name: "boom", Schedule: "@every 1s", Enabled: true,
		Run: func(context.Context) (string, error) { runs.Add(1); panic("boom") }}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	defer s.Stop(context.Background())
	// With Recover outside SkipIfStillRunning, the first panic would leave
	// the job marked running and every later tick skipped.
	waitFor(t, "a second scheduled run after a panic", func() bool { return runs.Load() >= 2 })
	last, err := db.LastJobRun(context.Background(), "boom")
	if err != nil || last == nil {
		t.Fatalf("last run: %v %v", last, err)
	}
	waitFor(t, "the run to be recorded", func() bool {
		last, _ = db.LastJobRun(context.Background(), "boom")
		return last != nil && !last.Running
	})
	if last.OK || !strings.Contains(last.Result, "panic: boom") || last.Trigger != "schedule" {
		t.Fatalf("last run = %+v", last)
	}
}

func TestRunNowNoOverlapAndStop(t *testing.T) {
	db := testDB(t)
	release := make(chan struct{})
	var runs atomic.Int32
	s, err := New(db, quiet, time.UTC, []Job{{Name: "slow", Schedule: "@every 1h", Enabled: false,
		Run: func(ctx context.Context) (string, error) {
			runs.Add(1)
			select {
			case <-release:
				return "done", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}}})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if err := s.RunNow("nope"); !errors.Is(err, ErrUnknownJob) {
		t.Fatalf("unknown job: %v", err)
	}
	if err := s.RunNow("slow"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the job to start", func() bool { return runs.Load() == 1 })
	if err := s.RunNow("slow"); !errors.Is(err, ErrRunning) {
		t.Fatalf("second run while running: %v", err)
	}
	info, err := s.Jobs(context.Background())
	if err != nil || len(info) != 1 || !info[0].Running || info[0].Enabled {
		t.Fatalf("info = %+v %v", info, err)
	}
	// Stop cancels the running job's context and waits for it.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	last, err := db.LastJobRun(context.Background(), "slow")
	if err != nil || last == nil || last.Running || last.OK || last.Trigger != "manual" {
		t.Fatalf("last = %+v %v", last, err)
	}
}

// failingMailer fails its first n sends.
type failingMailer struct {
	keymail.Mailer
	fail atomic.Int32
}

func (f *failingMailer) Send(ctx context.Context, m keymail.Message) error {
	if f.fail.Add(-1) >= 0 {
		return errors.New("temporary failure")
	}
	return f.Mailer.Send(ctx, m)
}

func TestPlanRemindersOnceAcrossRestarts(t *testing.T) {
	ctx := context.Background()
	db := testDB(t)
	uid, err := db.CreateUser(ctx, 0, models.NewUser{Username: "zhang", DisplayName: "张伟", Email: "zhang@example.com",
		Role: models.RoleSales, Password: "keyuan-test-pw-2026"})
	if err != nil {
		t.Fatal(err)
	}
	sales := models.Actor{ID: uid, Role: models.RoleSales}
	c := &models.Customer{Kind: "customer", Name: "上海华信科技有限公司"}
	if err := db.CreateCustomer(ctx, sales, c, nil); err != nil {
		t.Fatal(err)
	}
	p := &models.Plan{Date: "2026-03-10", Time: "10:00", CustomerID: c.ID, Subject: "回访报价", RemindMinutes: 15}
	if err := db.SavePlan(ctx, sales, p); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	fm, err := keymail.NewFileMailer(dir)
	if err != nil {
		t.Fatal(err)
	}
	mailer := &failingMailer{Mailer: fm}
	mailer.fail.Store(1)
	now := time.Date(2026, 3, 10, 1, 40, 0, 0, time.UTC) // 09:40 in Shanghai: not yet due
	cfg := ReminderConfig{Mailer: mailer, From: mail.Address{Name: "客源CRM", Address: "crm@example.com"}, BaseURL: "http://crm.test",
		T: func(lang, key string, args ...any) string { return key + fmt.Sprint(args...) }}
	db.SetClock(func() time.Time { return now })
	emls := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		return len(files)
	}
	// Each "restart" is a fresh job function over the same database.
	steps := []struct {
		at                  time.Time
		wantUnread, wantEml int
		wantErr             bool
	}{
		{now, 0, 0, false},
		{now.Add(6 * time.Minute), 1, 0, true}, // due: notified; the e-mail fails and is released
		{now.Add(7 * time.Minute), 1, 1, false},
		{now.Add(8 * time.Minute), 1, 1, false},
		{now.Add(9 * time.Minute), 1, 1, false},
	}
	for i, st := range steps {
		now = st.at
		_, err := PlanReminders(db, cfg)(ctx)
		if (err != nil) != st.wantErr {
			t.Fatalf("step %d: err = %v", i, err)
		}
		unread, _ := db.UnreadNotifications(ctx, uid)
		if unread != st.wantUnread || emls() != st.wantEml {
			t.Fatalf("step %d: unread %d, e-mails %d; want %d, %d", i, unread, emls(), st.wantUnread, st.wantEml)
		}
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	raw, _ := os.ReadFile(files[0])
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil || !strings.Contains(m.Header.Get("To"), "zhang@example.com") || m.Header.Get("X-Keyuan-Plan") != p.Code {
		t.Fatalf("message: %v %v", m.Header, err)
	}
}
