package jobs

import (
	"bytes"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-smtp"
)

// received is one message the test server accepted.
type received struct {
	From string
	To   []string
	Data []byte
}

// Header parses the message's header.
func (r received) Header(t *testing.T) mail.Header {
	t.Helper()
	m, err := mail.ReadMessage(bytes.NewReader(r.Data))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	return m.Header
}

// smtpServer is a real SMTP server (emersion/go-smtp) on loopback that
// records what it accepts. reply, when set, may refuse a recipient with an
// SMTP error (e.g. 421 or 550) by returning it.
type smtpServer struct {
	t     *testing.T
	Addr  string
	Port  int
	srv   *smtp.Server
	mu    sync.Mutex
	msgs  []received
	reply func(rcpt string, attempt int) error
	tries map[string]int
	// onData runs after each accepted message (e.g. to cancel a sender).
	onData func(n int)
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t, tries: map[string]int{}}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) { return &smtpSession{s: s}, nil }))
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.EnableSMTPUTF8 = true
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	s.Port = l.Addr().(*net.TCPAddr).Port
	go s.srv.Serve(l)
	t.Cleanup(func() { s.srv.Close() })
	return s
}

// Messages returns a copy of what was accepted so far.
func (s *smtpServer) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

// CountByMessageID counts accepted messages per Message-ID.
func (s *smtpServer) CountByMessageID(t *testing.T) map[string]int {
	out := map[string]int{}
	for _, m := range s.Messages() {
		out[m.Header(t).Get("Message-Id")]++
	}
	return out
}

type smtpSession struct {
	s    *smtpServer
	from string
	to   []string
}

func (x *smtpSession) Reset()        { x.from, x.to = "", nil }
func (x *smtpSession) Logout() error { return nil }
func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	x.from = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	x.s.tries[to]++
	n := x.s.tries[to]
	reply := x.s.reply
	x.s.mu.Unlock()
	if reply != nil {
		if err := reply(to, n); err != nil {
			return err
		}
	}
	x.to = append(x.to, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, received{From: x.from, To: x.to, Data: b})
	n := len(x.s.msgs)
	on := x.s.onData
	x.s.mu.Unlock()
	if on != nil {
		on(n)
	}
	return nil
}

func smtpErr(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 0, 0}, Message: msg}
}

func lower(s string) string { return strings.ToLower(s) }
