package handlers

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"keyuan/demo"
	"keyuan/jobs"
	"keyuan/mail"
	"keyuan/models"
)

// discardSMTP is an in-process SMTP server that accepts and drops mail.
type discardSMTP struct{ n atomic.Int64 }

func (d *discardSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return d, nil }
func (d *discardSMTP) Reset()                                      {}
func (d *discardSMTP) Logout() error                               { return nil }
func (d *discardSMTP) Mail(string, *smtp.MailOptions) error        { return nil }
func (d *discardSMTP) Rcpt(string, *smtp.RcptOptions) error        { return nil }
func (d *discardSMTP) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	d.n.Add(1)
	return err
}

func p95(d []time.Duration) time.Duration {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)*95/100]
}

// BenchmarkListWhileSending measures the customer list page (category
// filter and sort, 50 rows) on 20,000 customers, first idle and then while
// a campaign delivers about 19,000 invitations to an in-process SMTP server
// with the rate limit off. It reports both 95th percentiles and their ratio.
//
//	go test ./handlers -run '^$' -bench ListWhileSending -benchtime 1x
func BenchmarkListWhileSending(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		t := &testing.T{}
		app := newTestApp(t)
		ctx := context.Background()
		if err := demo.Generate(ctx, app.db, demo.Options{Customers: 20_000, Sales: 4, Seed: 3}); err != nil {
			b.Fatal(err)
		}
		admin := models.Actor{ID: 1, Role: models.RoleAdmin}
		m := &models.Campaign{Name: "压测", StartDate: "2026-12-01", EndDate: "2026-12-01", OwnerID: 1}
		if err := app.db.SaveCampaign(ctx, admin, m); err != nil {
			b.Fatal(err)
		}
		if _, err := app.db.AddTargetsByFilter(ctx, admin, m.ID, models.TargetFilter{Customer: models.CustomerFilter{Kind: "customer"}}); err != nil {
			b.Fatal(err)
		}
		tpl, _ := mail.ParseTemplate("邀请{{.客户名称}}", "尊敬的{{.联系人}}", "")
		res, err := app.app.Invitations.Queue(ctx, "zh", admin, m, tpl)
		if err != nil {
			b.Fatal(err)
		}
		industries, _ := app.db.AuxItemsOf(ctx, "industry")
		target := "/customers?sort=name&industry=" + strconv.FormatInt(industries[0].ID, 10)
		handler := app.srv.Handler()
		ck := benchLogin(b, app.db, handler, "bench-manager")
		cookie := ck.Name + "=" + ck.Value
		sample := func() time.Duration {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.Header.Set("Cookie", cookie)
			rec := httptest.NewRecorder()
			start := time.Now()
			handler.ServeHTTP(rec, req)
			d := time.Since(start)
			if rec.Code != http.StatusOK {
				b.Fatalf("list: %d", rec.Code)
			}
			return d
		}
		var idle []time.Duration
		for range 400 {
			idle = append(idle, sample())
		}

		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		backend := &discardSMTP{}
		srv := smtp.NewServer(backend)
		srv.Domain, srv.AllowInsecureAuth = "localhost", true
		go srv.Serve(l)
		port := l.Addr().(*net.TCPAddr).Port
		cfg := jobs.OutboxConfig{BatchSize: 500, Lease: 5 * time.Minute, Retry: models.RetryPolicy{MaxAttempts: 3, Base: time.Second, Max: time.Second},
			From: "crm@example.test", BaseURL: "http://example.test"}
		ob := jobs.NewOutbox(app.db, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) (mail.Sender, jobs.OutboxConfig, error) {
			return mail.SMTPSender{Config: mail.SMTPConfig{Host: "127.0.0.1", Port: port, TLS: "none"}}, cfg, nil
		})
		done := make(chan error, 1)
		b.StartTimer()
		go func() {
			_, err := ob.Deliver(ctx)
			done <- err
		}()
		var busy []time.Duration
	loop:
		for {
			select {
			case err := <-done:
				if err != nil {
					b.Fatal(err)
				}
				break loop
			default:
				busy = append(busy, sample())
			}
		}
		b.StopTimer()
		srv.Close()
		if got := backend.n.Load(); got != int64(res.Queued) {
			b.Fatalf("delivered %d of %d", got, res.Queued)
		}
		pi, pb := p95(idle), p95(busy)
		b.ReportMetric(float64(pi.Microseconds())/1000, "p95-idle-ms")
		b.ReportMetric(float64(pb.Microseconds())/1000, "p95-sending-ms")
		b.ReportMetric(float64(pb)/float64(pi), "ratio")
		b.ReportMetric(float64(len(busy)), "samples-while-sending")
	}
}
