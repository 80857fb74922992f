package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	netmail "net/mail"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"keyuan/mail"
	"keyuan/models"
)

var admin = models.Actor{ID: 1, Role: models.RoleAdmin}

func newTestDB(t testing.TB) *models.DB {
	t.Helper()
	models.SetBcryptCostForTests()
	ctx := context.Background()
	db, err := models.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.SeedDefaults(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnsureAdmin(ctx, "keyuan-test-pw-2026"); err != nil {
		t.Fatal(err)
	}
	return db
}

// campaignWith creates a campaign whose target list holds n customers, each
// with a contact mailbox person<i>@<domain>, and queues the invitations.
// name(i) gives customer i's name.
func campaignWith(t testing.TB, db *models.DB, n int, domain string, name func(i int) string) int64 {
	t.Helper()
	ctx := context.Background()
	tag := models.RandomToken(4)
	for i := 0; i < n; i++ {
		c := &models.Customer{Kind: "customer", Name: name(i) + " " + tag, OwnerID: 1}
		k := []models.Contact{{Name: fmt.Sprintf("联系人%d", i), Email: fmt.Sprintf("person%d@%s", i, domain), IsPrimary: true}}
		if err := db.CreateCustomer(ctx, admin, c, k); err != nil {
			t.Fatal(err)
		}
	}
	m := &models.Campaign{Name: "新品发布会 " + tag, StartDate: "2026-12-08", EndDate: "2026-12-08", Place: "上海", OwnerID: 1}
	if err := db.SaveCampaign(ctx, admin, m); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddTargetsByFilter(ctx, admin, m.ID, models.TargetFilter{Customer: models.CustomerFilter{Q: tag}, Contacts: "primary"}); err != nil {
		t.Fatal(err)
	}
	tpl, err := mail.ParseTemplate("{{.活动名称}}邀请 – {{.客户名称}}", "尊敬的{{.联系人}}：诚邀{{.客户名称}}参加。", "<p>{{.客户名称}}</p>")
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.QueueCampaignMail(ctx, admin, m.ID, "crm.example.test", func(inv models.Invitee, msg models.OutboxMessage) (models.RenderedMail, error) {
		r, err := tpl.Render(mail.MergeFields{CustomerName: inv.Company, ContactName: inv.Name, CampaignName: m.Name})
		return models.RenderedMail{Subject: r.Subject, Text: r.Text + "\n退订：" + UnsubscribeURL("http://crm.example.test", msg.Token), HTML: r.HTML}, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Queued != n {
		t.Fatalf("queued %d of %d: %+v", res.Queued, n, res)
	}
	return m.ID
}

func testOutbox(db *models.DB, srv *smtpServer, cfg OutboxConfig) *Outbox {
	cfg.From, cfg.FromName, cfg.BaseURL = "crm@example.test", "客源CRM", "http://crm.example.test"
	sender := mail.SMTPSender{Config: mail.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: "none"}}
	return NewOutbox(db, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) (mail.Sender, OutboxConfig, error) {
		return sender, cfg, nil
	})
}

// fastRetry retries temporary failures at once, so a test sees them.
var fastRetry = OutboxConfig{BatchSize: 200, Lease: time.Minute, Retry: models.RetryPolicy{MaxAttempts: 5, Base: time.Millisecond, Max: time.Millisecond}}

func outboxCounts(t *testing.T, db *models.DB) map[string]int {
	t.Helper()
	rows, err := db.Read.Query(`SELECT status, COUNT(*) FROM outbox GROUP BY status`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var n int
		rows.Scan(&s, &n)
		out[s] = n
	}
	return out
}

func TestOutboxDeliversThousandExactlyOnce(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	campaign := campaignWith(t, db, 1000, "example.cn", func(i int) string { return fmt.Sprintf("客户%04d", i) })
	ob := testOutbox(db, srv, fastRetry)
	st, err := ob.Deliver(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Sent != 1000 {
		t.Fatalf("sent %d", st.Sent)
	}
	counts := srv.CountByMessageID(t)
	if len(counts) != 1000 {
		t.Fatalf("%d distinct messages received", len(counts))
	}
	for id, n := range counts {
		if n != 1 {
			t.Fatalf("%s received %d times", id, n)
		}
	}
	if c := outboxCounts(t, db); c["sent"] != 1000 || len(c) != 1 {
		t.Fatalf("outbox %v", c)
	}
	// A second round finds nothing to send.
	if st, _ := ob.Deliver(context.Background()); st.Sent != 0 || len(srv.Messages()) != 1000 {
		t.Fatalf("second round sent %d", st.Sent)
	}
	stats, err := db.MailStats(context.Background(), campaign)
	if err != nil || stats.Sent != 1000 || stats.Done() != 100 {
		t.Fatalf("stats %+v %v", stats, err)
	}
	// Delivery marks the target notified, by e-mail.
	var notified int
	db.Read.QueryRow(`SELECT COUNT(*) FROM campaign_targets WHERE notified = 1 AND notified_how = 'email'`).Scan(&notified)
	if notified != 1000 {
		t.Fatalf("notified %d", notified)
	}
}

func TestOutboxMessageFormat(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	// The customer's name tries to inject a header through the subject.
	campaignWith(t, db, 1, "example.cn", func(int) string { return "华信科技\r\nBcc: x@evil.example" })
	if _, err := testOutbox(db, srv, fastRetry).Deliver(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if len(m.To) != 1 || m.To[0] != "person0@example.cn" {
		t.Fatalf("recipients %v: a header injection added one", m.To)
	}
	h := m.Header(t)
	head, _, _ := strings.Cut(string(m.Data), "\r\n\r\n")
	if h.Get("Bcc") != "" || strings.Contains(strings.ToLower(head), "\nbcc:") {
		t.Fatal("a Bcc header got into the message")
	}
	var dec mime.WordDecoder
	subject, err := dec.DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(subject, "新品发布会") || !strings.Contains(subject, "华信科技 Bcc: x@evil.example") {
		t.Errorf("subject %q", subject)
	}
	if !strings.Contains(h.Get("Subject"), "=?UTF-8?") {
		t.Errorf("subject not RFC 2047 encoded: %q", h.Get("Subject"))
	}
	from, err := dec.DecodeHeader(h.Get("From"))
	if err != nil || !strings.Contains(from, "客源CRM") {
		t.Errorf("from %q", from)
	}
	if lu := h.Get("List-Unsubscribe"); !strings.HasPrefix(lu, "<http://crm.example.test/u/") {
		t.Errorf("List-Unsubscribe %q", lu)
	}
	if id := h.Get("List-Id"); !strings.HasPrefix(id, "<campaign-") || !strings.HasSuffix(id, ".crm.example.test>") {
		t.Errorf("List-Id %q", id)
	}
	if h.Get("List-Unsubscribe-Post") != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", h.Get("List-Unsubscribe-Post"))
	}
	var stored string
	db.Read.QueryRow(`SELECT message_id FROM outbox`).Scan(&stored)
	if h.Get("Message-Id") != "<"+stored+">" || !strings.HasSuffix(stored, "@crm.example.test") {
		t.Errorf("Message-ID %q, stored %q", h.Get("Message-Id"), stored)
	}
	body := string(m.Data)
	if !strings.Contains(body, "text/plain") || !strings.Contains(body, "text/html") {
		t.Error("missing a plain-text or HTML part")
	}
}

func TestOutboxRetriesTemporaryFailure(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	srv.reply = func(rcpt string, attempt int) error {
		if attempt == 1 {
			return smtpErr(421, "try again later")
		}
		return nil
	}
	clk := newClock(db)
	campaignWith(t, db, 3, "example.cn", func(i int) string { return fmt.Sprintf("客户%d", i) })
	cfg := fastRetry
	cfg.Retry.Base, cfg.Retry.Max = 200*time.Millisecond, time.Second
	ob := testOutbox(db, srv, cfg)
	st, err := ob.Deliver(context.Background())
	if err != nil || st.Retry != 3 || st.Sent != 0 {
		t.Fatalf("first round %+v %v", st, err)
	}
	if st, _ := ob.Deliver(context.Background()); st.Sent != 0 {
		t.Fatalf("sent %d before the backoff had passed", st.Sent)
	}
	clk.Add(250 * time.Millisecond) // the backoff
	st, err = ob.Deliver(context.Background())
	if err != nil || st.Sent != 3 {
		t.Fatalf("second round %+v %v", st, err)
	}
	for id, n := range srv.CountByMessageID(t) {
		if n != 1 {
			t.Fatalf("%s delivered %d times", id, n)
		}
	}
	var attempts int
	db.Read.QueryRow(`SELECT MIN(attempts) FROM outbox`).Scan(&attempts)
	if attempts != 2 {
		t.Fatalf("attempts %d", attempts)
	}
}

func TestOutboxPermanentFailureSuppressesAddress(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	srv.reply = func(rcpt string, attempt int) error {
		if strings.HasPrefix(rcpt, "person1@") {
			return smtpErr(550, "no such user")
		}
		return nil
	}
	campaignWith(t, db, 3, "example.cn", func(i int) string { return fmt.Sprintf("客户%d", i) })
	ob := testOutbox(db, srv, fastRetry)
	st, err := ob.Deliver(context.Background())
	if err != nil || st.Sent != 2 || st.Failed != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if srv.tries["person1@example.cn"] != 1 {
		t.Fatalf("tried %d times", srv.tries["person1@example.cn"])
	}
	var reason, mailErr string
	db.Read.QueryRow(`SELECT reason FROM mail_suppressions WHERE email = 'person1@example.cn'`).Scan(&reason)
	db.Read.QueryRow(`SELECT mail_error FROM campaign_targets WHERE email = 'person1@example.cn'`).Scan(&mailErr)
	if reason != "bounced" || !strings.Contains(mailErr, "550") {
		t.Fatalf("suppression %q, target error %q", reason, mailErr)
	}
	// Another campaign never mails that address again.
	res := queueAnother(t, db, "person1@example.cn")
	if res.Queued != 0 || res.Suppressed != 1 {
		t.Fatalf("second campaign: %+v", res)
	}
}

// queueAnother queues a new campaign to one existing address.
func queueAnother(t *testing.T, db *models.DB, email string) models.QueueResult {
	t.Helper()
	ctx := context.Background()
	m := &models.Campaign{Name: "第二场", StartDate: "2026-12-20", EndDate: "2026-12-20", OwnerID: 1}
	if err := db.SaveCampaign(ctx, admin, m); err != nil {
		t.Fatal(err)
	}
	var customer int64
	db.Read.QueryRow(`SELECT customer_id FROM contacts WHERE email = ?`, email).Scan(&customer)
	if _, err := db.AddTargetCustomers(ctx, admin, m.ID, []int64{customer}); err != nil {
		t.Fatal(err)
	}
	res, err := db.QueueCampaignMail(ctx, admin, m.ID, "x", func(models.Invitee, models.OutboxMessage) (models.RenderedMail, error) {
		return models.RenderedMail{Subject: "s", Text: "t"}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestOutboxSurvivesCancelAndAbandonedLease(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	clk := newClock(db)
	campaignWith(t, db, 300, "example.cn", func(i int) string { return fmt.Sprintf("客户%03d", i) })
	cfg := fastRetry
	cfg.BatchSize = 50
	cfg.Lease = 300 * time.Millisecond

	// 1. A sender dies after 70 messages: its context is cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	srv.onData = func(n int) {
		if n == 70 {
			cancel()
		}
	}
	if _, err := testOutbox(db, srv, cfg).Deliver(ctx); err == nil {
		t.Fatal("a cancelled round reported no error")
	}
	srv.onData = nil

	// 2. Another sender claims a batch and vanishes without a word.
	if _, err := db.ClaimOutbox(context.Background(), "ghost", 40, db.Now().Add(cfg.Lease)); err != nil {
		t.Fatal(err)
	}

	// 3. A fresh sender (a restart) delivers the rest once the leases expire.
	clk.Add(cfg.Lease + 50*time.Millisecond)
	fresh := testOutbox(db, srv, cfg)
	for i := 0; i < 5; i++ {
		if _, err := fresh.Deliver(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	counts := srv.CountByMessageID(t)
	if len(counts) != 300 {
		t.Fatalf("%d of 300 delivered", len(counts))
	}
	twice := 0
	for _, n := range counts {
		if n > 2 {
			t.Fatalf("a message was delivered %d times", n)
		}
		if n == 2 {
			twice++
		}
	}
	// At most the one message in flight when the sender died goes twice.
	if twice > 1 {
		t.Fatalf("%d messages delivered twice", twice)
	}
	if c := outboxCounts(t, db); c["sent"] != 300 || c["sending"] != 0 || c["queued"] != 0 {
		t.Fatalf("outbox %v", c)
	}
}

func TestOutboxPausedCampaignWaits(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	id := campaignWith(t, db, 5, "example.cn", func(i int) string { return fmt.Sprintf("客户%d", i) })
	ctx := context.Background()
	if err := db.SetCampaignPaused(ctx, admin, id, true); err != nil {
		t.Fatal(err)
	}
	ob := testOutbox(db, srv, fastRetry)
	if st, _ := ob.Deliver(ctx); st.Sent != 0 {
		t.Fatalf("paused campaign sent %d", st.Sent)
	}
	if err := db.SetCampaignPaused(ctx, admin, id, false); err != nil {
		t.Fatal(err)
	}
	if st, _ := ob.Deliver(ctx); st.Sent != 5 {
		t.Fatalf("resumed campaign sent %d", st.Sent)
	}
}

func TestOutboxRateLimit(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	campaignWith(t, db, 30, "example.cn", func(i int) string { return fmt.Sprintf("客户%d", i) })
	cfg := fastRetry
	cfg.PerMinute = 12
	ob := testOutbox(db, srv, cfg)
	st, err := ob.Deliver(context.Background())
	if err != nil || st.Sent != 12 {
		t.Fatalf("sent %d (%v), want the per-minute limit of 12", st.Sent, err)
	}
}

func TestUnsubscribeStopsQueuedMail(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	campaignWith(t, db, 2, "example.cn", func(i int) string { return fmt.Sprintf("客户%d", i) })
	var token string
	db.Read.QueryRow(`SELECT token FROM outbox WHERE to_email = 'person0@example.cn'`).Scan(&token)
	if _, err := db.Unsubscribe(context.Background(), token); err != nil {
		t.Fatal(err)
	}
	if st, _ := testOutbox(db, srv, fastRetry).Deliver(context.Background()); st.Sent != 1 {
		t.Fatalf("sent %d, want only the other address", st.Sent)
	}
	for _, m := range srv.Messages() {
		if m.To[0] == "person0@example.cn" {
			t.Fatal("mailed an unsubscribed address")
		}
	}
	if res := queueAnother(t, db, "person0@example.cn"); res.Queued != 0 || res.Suppressed != 1 {
		t.Fatalf("another campaign queued an unsubscribed address: %+v", res)
	}
}

func TestOutboxMailerDeliversStaffMailWithoutUnsubscribe(t *testing.T) {
	db := newTestDB(t)
	srv := newSMTPServer(t)
	m := OutboxMailer{DB: db, Host: "crm.example.test"}
	err := m.Send(context.Background(), mail.Message{To: []netmail.Address{{Name: "张伟", Address: "zhangwei@example.cn"}},
		Subject: "提醒：10:00 拜访华信科技", Text: "计划内容"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := testOutbox(db, srv, fastRetry).Deliver(context.Background()); err != nil || st.Sent != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	h := srv.Messages()[0].Header(t)
	if h.Get("List-Unsubscribe") != "" {
		t.Error("staff mail carries an unsubscribe header")
	}
	var dec mime.WordDecoder
	if subject, _ := dec.DecodeHeader(h.Get("Subject")); subject != "提醒：10:00 拜访华信科技" {
		t.Errorf("subject %q", subject)
	}
}
