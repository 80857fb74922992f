package jobs

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"keyuan/mail"
	"keyuan/models"
)

// faultServer is a real SMTP server (emersion/go-smtp) on loopback whose
// faults a test scripts at every stage of the conversation: it can refuse
// the login, the sender, a recipient, the DATA command or the message after
// its body, answer DATA too slowly, or drop the connection after so many
// messages. Each knob is read when the stage is reached, so a test can
// mend the server and see the queue drain.
type faultServer struct {
	Port int
	srv  *smtp.Server
	ln   net.Listener

	mu        sync.Mutex
	accepted  map[string]int // Message-ID → copies accepted
	authErr   error          // AUTH: e.g. 535
	mailErr   error          // MAIL FROM: e.g. 530 or 550
	rcptErr   func(to string) error
	afterData func(n int) error   // after the body; n counts the bodies received
	dropAfter int                 // close the connection after the n-th message (0: never)
	slowData  time.Duration       // wait before answering the body
	onAccept  func(n int)         // after each accepted message
	conns     map[*smtp.Conn]bool // open connections, to drop them
	seen      int                 // messages accepted in all
	bodies    int                 // message bodies received, refused ones too
}

func newFaultServer(t *testing.T) *faultServer {
	t.Helper()
	s := &faultServer{accepted: map[string]int{}, conns: map[*smtp.Conn]bool{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		s.mu.Lock()
		s.conns[c] = true
		s.mu.Unlock()
		return &faultSession{s: s, conn: c}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.ln, s.Port = ln, ln.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(ln)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// set changes knobs under the lock.
func (s *faultServer) set(f func(s *faultServer)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

// copies returns how many copies of each message were accepted.
func (s *faultServer) copies() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.accepted))
	for k, v := range s.accepted {
		out[k] = v
	}
	return out
}

type faultSession struct {
	s    *faultServer
	conn *smtp.Conn
	to   []string
}

// AUTH: go-mail logs in over an unencrypted connection only with a
// challenge-response mechanism, so the server offers CRAM-MD5 (RFC 2195),
// which this test server answers without checking: it accepts, or refuses
// with authErr.
func (x *faultSession) AuthMechanisms() []string { return []string{"CRAM-MD5"} }
func (x *faultSession) Auth(string) (sasl.Server, error) {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	return &cramServer{err: x.s.authErr}, nil
}

type cramServer struct {
	challenged bool
	err        error
}

func (c *cramServer) Next([]byte) ([]byte, bool, error) {
	if !c.challenged {
		c.challenged = true
		return []byte("<1896.697170952@localhost>"), false, nil
	}
	return nil, true, c.err
}
func (x *faultSession) Reset()        { x.to = nil }
func (x *faultSession) Logout() error { return nil }
func (x *faultSession) Mail(string, *smtp.MailOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	return x.s.mailErr
}
func (x *faultSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	f := x.s.rcptErr
	x.s.mu.Unlock()
	if f != nil {
		if err := f(to); err != nil {
			return err
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *faultSession) Data(r io.Reader) error {
	x.s.mu.Lock()
	slow := x.s.slowData
	x.s.mu.Unlock()
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if slow > 0 {
		time.Sleep(slow) // the client's timeout is shorter: it gives up first
		return smtpErr(451, "too late")
	}
	id := ""
	for _, line := range strings.Split(string(b), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Message-ID: "); ok {
			id = v
		}
	}
	x.s.mu.Lock()
	x.s.bodies++
	if x.s.afterData != nil {
		if err := x.s.afterData(x.s.bodies); err != nil {
			x.s.mu.Unlock()
			return err
		}
	}
	x.s.seen++
	x.s.accepted[id]++
	n, drop, on := x.s.seen, x.s.dropAfter, x.s.onAccept
	x.s.mu.Unlock()
	if on != nil {
		on(n)
	}
	if drop > 0 && n%drop == 0 {
		// The server goes away right after accepting: the client never
		// hears the reply, so it cannot know this one arrived.
		x.conn.Close()
	}
	return nil
}

// clock is a test clock for the database: Deliver's backoffs are waited out
// by moving it, not by sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock(db *models.DB) *clock {
	c := &clock{now: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	db.SetClock(c.Now)
	return c
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func faultOutbox(db *models.DB, s *faultServer, user string, timeout time.Duration) *Outbox {
	cfg := OutboxConfig{BatchSize: 50, Lease: time.Minute,
		Retry: models.RetryPolicy{MaxAttempts: 8, Base: time.Minute, Max: time.Hour},
		From:  "crm@example.test", FromName: "客源CRM", BaseURL: "http://crm.example.test"}
	sender := mail.SMTPSender{Config: mail.SMTPConfig{Host: "127.0.0.1", Port: s.Port, TLS: "none", Username: user,
		Password: "secret", Timeout: timeout}}
	return NewOutbox(db, slog.New(slog.NewTextHandler(io.Discard, nil)), func(context.Context) (mail.Sender, OutboxConfig, error) {
		return sender, cfg, nil
	})
}

// TestSMTPFaultsByStage: each fault a real mail server produces, at each
// stage of the conversation, has the outcome it means — and once the server
// is mended, everything still queued arrives exactly once.
func TestSMTPFaultsByStage(t *testing.T) {
	const n = 6
	type want struct {
		sent, failed, suppressed int
		paused, problem          bool
	}
	cases := []struct {
		name    string
		raw     string        // a hand-written server answering DATA with this line (go-smtp cannot)
		user    string        // log in as this user ("" for no AUTH)
		timeout time.Duration // the client's SMTP timeout
		fault   func(s *faultServer)
		want    want
	}{
		{name: "server down", fault: func(s *faultServer) { s.ln.Close() }, want: want{}},
		{name: "drops the connection after 2 messages", fault: func(s *faultServer) { s.dropAfter = 2 }, want: want{sent: 1}},
		{name: "drops the connection after DATA", fault: func(s *faultServer) { s.dropAfter = 1 }, want: want{}},
		{name: "answers DATA too slowly", timeout: 300 * time.Millisecond,
			fault: func(s *faultServer) { s.slowData = time.Second }, want: want{}},
		{name: "530 at MAIL FROM", fault: func(s *faultServer) { s.mailErr = smtpErr(530, "authentication required") },
			want: want{paused: true, problem: true}},
		{name: "550 at MAIL FROM", fault: func(s *faultServer) { s.mailErr = smtpErr(550, "sender rejected") },
			want: want{paused: true, problem: true}},
		{name: "535 at AUTH", user: "crm", fault: func(s *faultServer) { s.authErr = smtpErr(535, "bad credentials") },
			want: want{paused: true, problem: true}},
		{name: "554 to the DATA command", raw: "554 5.7.1 sending refused by policy",
			want: want{paused: true, problem: true}},
		{name: "421 at RCPT for everyone", fault: func(s *faultServer) {
			s.rcptErr = func(string) error { return smtpErr(421, "try later") }
		}, want: want{}},
		{name: "550 at RCPT for one address", fault: func(s *faultServer) {
			s.rcptErr = func(to string) error {
				if strings.HasPrefix(to, "person2@") {
					return smtpErr(550, "no such user")
				}
				return nil
			}
		}, want: want{sent: n - 1, failed: 1, suppressed: 1}},
		{name: "554 after DATA for one message", fault: func(s *faultServer) {
			s.afterData = func(k int) error {
				if k == 3 {
					return smtpErr(554, "message looks like spam")
				}
				return nil
			}
		}, want: want{sent: n - 1, failed: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db := newTestDB(t)
			clk := newClock(db)
			campaign := campaignWith(t, db, n, "example.cn", func(i int) string { return fmt.Sprintf("客户%d", i) })
			srv := newFaultServer(t)
			if tc.fault != nil {
				srv.set(tc.fault)
			}
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			ob := faultOutbox(db, srv, tc.user, timeout)
			if tc.raw != "" {
				ob = faultOutbox(db, &faultServer{Port: rawSMTP(t, tc.raw)}, tc.user, timeout)
			}
			st, err := ob.Deliver(context.Background())
			c := outboxCounts(t, db)
			var suppressed int
			db.Read.QueryRow(`SELECT COUNT(*) FROM mail_suppressions`).Scan(&suppressed)
			if st.Sent != tc.want.sent || c["failed"] != tc.want.failed || suppressed != tc.want.suppressed {
				rows, _ := db.Read.Query(`SELECT status, last_error FROM outbox`)
				for rows.Next() {
					var a, b string
					rows.Scan(&a, &b)
					t.Log(a, b)
				}
				rows.Close()
				t.Fatalf("after the fault: %+v (err %v), outbox %v, %d suppressed; want %+v", st, err, c, suppressed, tc.want)
			}
			if c["sending"] != 0 {
				t.Fatalf("%d messages left sending", c["sending"])
			}
			var paused bool
			var reason string
			db.Read.QueryRow(`SELECT paused, mail_problem FROM campaigns WHERE id = ?`, campaign).Scan(&paused, &reason)
			if paused != tc.want.paused || (paused && reason == "") {
				t.Errorf("campaign paused %v (%q), want %v", paused, reason, tc.want.paused)
			}
			problem, err := db.CurrentMailProblem(context.Background())
			if err != nil || (problem != nil) != tc.want.problem {
				t.Errorf("mail problem %+v (%v), want %v", problem, err, tc.want.problem)
			}
			if tc.want.problem {
				var told int
				db.Read.QueryRow(`SELECT COUNT(*) FROM notifications WHERE kind = 'mail_problem'`).Scan(&told)
				if told != 1 {
					t.Errorf("%d admin notifications, want 1", told)
				}
			}

			// The server is mended (and the campaign resumed): everything
			// still queued arrives, each message exactly once.
			if tc.name == "server down" || tc.raw != "" {
				srv = newFaultServer(t) // a new server process on another port
				ob = faultOutbox(db, srv, tc.user, timeout)
			}
			srv.set(func(s *faultServer) {
				s.authErr, s.mailErr, s.rcptErr, s.afterData, s.dropAfter, s.slowData = nil, nil, nil, nil, 0, 0
				if tc.want.failed > 0 { // the refusals stand: those stay failed
					s.rcptErr = nil
				}
			})
			if paused {
				if err := db.SetCampaignPaused(context.Background(), admin, campaign, false); err != nil {
					t.Fatal(err)
				}
			}
			for round := 0; round < 10 && outboxCounts(t, db)["queued"] > 0; round++ {
				clk.Add(time.Hour)
				if _, err := ob.Deliver(context.Background()); err != nil {
					t.Fatalf("round %d after mending: %v", round, err)
				}
			}
			c = outboxCounts(t, db)
			if c["sent"] != n-tc.want.failed || c["failed"] != tc.want.failed || c["queued"] != 0 {
				t.Fatalf("after mending: outbox %v", c)
			}
			copies := srv.copies()
			if tc.name != "server down" {
				for id, k := range copies {
					// A connection dropped right after the server took the
					// message is the one case where SMTP cannot tell: that
					// message alone may arrive twice.
					if k > 2 || (k == 2 && !strings.Contains(tc.name, "drops")) {
						t.Errorf("%s arrived %d times", id, k)
					}
				}
			}
			if problem, _ := db.CurrentMailProblem(context.Background()); problem != nil {
				t.Errorf("the mail problem stays after mail flows again: %+v", problem)
			}
		})
	}
}

// rawSMTP is a hand-written SMTP server for the one stage go-smtp cannot
// fail: it accepts every command and answers DATA itself with dataReply.
func rawSMTP(t *testing.T, dataReply string) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				tp := textproto.NewConn(c)
				tp.PrintfLine("220 localhost ESMTP")
				for {
					line, err := tp.ReadLine()
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.Fields(line + " x")[0]); cmd {
					case "EHLO", "HELO":
						tp.PrintfLine("250-localhost")
						tp.PrintfLine("250 8BITMIME")
					case "DATA":
						tp.PrintfLine("%s", dataReply)
					case "QUIT":
						tp.PrintfLine("221 bye")
						return
					default:
						tp.PrintfLine("250 ok")
					}
				}
			}(c)
		}
	}()
	return ln.Addr().(*net.TCPAddr).Port
}
