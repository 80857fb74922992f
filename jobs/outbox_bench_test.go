package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	gomail "github.com/wneessen/go-mail"

	"keyuan/demo"
	"keyuan/mail"
	"keyuan/models"
)

// benchCampaign generates customers (each with contacts and an address)
// until n active ones exist, and a campaign with one target per active
// customer. Returns the campaign id.
func benchCampaign(b *testing.B, db *models.DB, n int) int64 {
	b.Helper()
	ctx := context.Background()
	if err := demo.Generate(ctx, db, demo.Options{Customers: n, Sales: 4, Seed: 7}); err != nil {
		b.Fatal(err)
	}
	// The generator makes about one customer in twenty inactive; campaigns
	// skip those, so make them all active for round numbers.
	if _, err := db.Write.Exec(`UPDATE customers SET status = 'active'`); err != nil {
		b.Fatal(err)
	}
	m := &models.Campaign{Name: "压测活动", StartDate: "2026-12-08", EndDate: "2026-12-08", Place: "上海", OwnerID: 1}
	if err := db.SaveCampaign(ctx, admin, m); err != nil {
		b.Fatal(err)
	}
	added, err := db.AddTargetsByFilter(ctx, admin, m.ID, models.TargetFilter{Customer: models.CustomerFilter{Kind: "customer"}, Contacts: "primary"})
	if err != nil || added != n {
		b.Fatalf("added %d of %d: %v", added, n, err)
	}
	return m.ID
}

func queue(b *testing.B, db *models.DB, campaign int64) models.QueueResult {
	b.Helper()
	tpl, err := mail.ParseTemplate("诚邀{{.客户名称}}参加{{.活动名称}}", "尊敬的{{.联系人}}{{.职务}}：\n诚邀贵司于{{.活动日期}}莅临{{.活动地点}}。\n{{.业务员}}", "<p>尊敬的{{.联系人}}</p>")
	if err != nil {
		b.Fatal(err)
	}
	res, err := db.QueueCampaignMail(context.Background(), admin, campaign, "crm.example.test",
		func(inv models.Invitee, msg models.OutboxMessage) (models.RenderedMail, error) {
			r, err := tpl.Render(mail.MergeFields{CustomerName: inv.Company, ContactName: inv.Name, ContactTitle: inv.ContactTitle,
				Salesperson: inv.Salesperson, CampaignName: "新品发布会", CampaignDate: "2026-12-08", CampaignPlace: "上海"})
			return models.RenderedMail{Subject: r.Subject, Text: r.Text + "\n退订：" + UnsubscribeURL("http://x", msg.Token),
				HTML: r.HTML}, err
		})
	if err != nil {
		b.Fatal(err)
	}
	return res
}

// BenchmarkQueue10k queues 10,000 invitations (render, checks, one outbox
// row and one target update each) in one transaction.
//
//	go test ./jobs -run '^$' -bench Queue10k -benchtime 3x
func BenchmarkQueue10k(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := newTestDB(b)
		campaign := benchCampaign(b, db, 10_000)
		b.StartTimer()
		start := time.Now()
		res := queue(b, db, campaign)
		b.ReportMetric(time.Since(start).Seconds(), "s/queue")
		if res.Queued != 10_000 {
			b.Fatalf("queued %d", res.Queued)
		}
	}
}

// BenchmarkDeliver10k delivers 10,000 queued invitations to the in-process
// SMTP server with the rate limit off, queue bookkeeping included; in the
// same run, a raw go-mail client sends the same number of messages over one
// reused connection, for the ratio.
//
//	go test ./jobs -run '^$' -bench Deliver10k -benchtime 1x
func BenchmarkDeliver10k(b *testing.B) {
	const n = 10_000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		db := newTestDB(b)
		campaign := benchCampaign(b, db, n)
		queue(b, db, campaign)
		srv := newSMTPServer(&testing.T{})
		cfg := OutboxConfig{BatchSize: 500, Lease: 5 * time.Minute, Retry: fastRetry.Retry, From: "crm@example.test", BaseURL: "http://x"}
		sender := mail.SMTPSender{Config: mail.SMTPConfig{Host: "127.0.0.1", Port: srv.Port, TLS: "none"}}
		ob := NewOutbox(db, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) (mail.Sender, OutboxConfig, error) {
			return sender, cfg, nil
		})
		b.StartTimer()
		start := time.Now()
		st, err := ob.Deliver(context.Background())
		elapsed := time.Since(start)
		b.StopTimer()
		if err != nil || st.Sent != n || len(srv.Messages()) != n {
			b.Fatalf("sent %d, server got %d: %v", st.Sent, len(srv.Messages()), err)
		}
		ours := float64(n) / elapsed.Seconds()

		// The same messages through go-mail alone, no queue.
		raw := newSMTPServer(&testing.T{})
		client, err := gomail.NewClient("127.0.0.1", gomail.WithPort(raw.Port), gomail.WithTLSPolicy(gomail.NoTLS))
		if err != nil {
			b.Fatal(err)
		}
		if err := client.DialWithContext(context.Background()); err != nil {
			b.Fatal(err)
		}
		rows, err := db.Read.Query(`SELECT to_email, to_name, subject, body_text, body_html, message_id FROM outbox ORDER BY id`)
		if err != nil {
			b.Fatal(err)
		}
		var msgs []*gomail.Msg
		for rows.Next() {
			var e mail.Envelope
			rows.Scan(&e.To, &e.ToName, &e.Subject, &e.Text, &e.HTML, &e.MessageID)
			e.From = "crm@example.test"
			m, err := e.Build()
			if err != nil {
				b.Fatal(err)
			}
			msgs = append(msgs, m)
		}
		rows.Close()
		rawStart := time.Now()
		for _, m := range msgs {
			if err := client.Send(m); err != nil {
				b.Fatal(err)
			}
		}
		rawElapsed := time.Since(rawStart)
		client.Close()
		rawRate := float64(n) / rawElapsed.Seconds()
		b.ReportMetric(ours, "msgs/s")
		b.ReportMetric(rawRate, "raw-gomail-msgs/s")
		b.ReportMetric(ours/rawRate, "ratio")
		fmt.Fprintf(io.Discard, "%v", campaign)
	}
}
