package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// SMTPConfig is how to reach the outgoing mail server.
type SMTPConfig struct {
	Host     string
	Port     int
	TLS      string // "starttls" (default), "tls" (implicit, usually port 465) or "none"
	Username string
	Password string
	From     string // sender address
	FromName string
	Timeout  time.Duration
}

// Enabled reports whether a server is configured; without one, mail is
// written to .eml files.
func (c SMTPConfig) Enabled() bool { return c.Host != "" }

// Envelope is one message ready to deliver.
type Envelope struct {
	MessageID string // without angle brackets; stable across retries
	FromName  string
	From      string
	ToName    string
	To        string
	Subject   string
	Text      string
	HTML      string
	Headers   map[string]string
}

// Sender opens delivery sessions; a session sends many messages over one
// connection.
type Sender interface {
	Open(ctx context.Context) (Session, error)
}

// Session delivers messages until closed.
type Session interface {
	Send(ctx context.Context, e *Envelope) error
	Close() error
}

// DeliveryError says whether a failed delivery may be retried: a 4xx reply
// or a connection problem is temporary, a 5xx reply is permanent.
type DeliveryError struct {
	Temporary bool
	Err       error
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// IsTemporary reports whether err is worth retrying later.
func IsTemporary(err error) bool {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Temporary
	}
	return true // unknown errors (timeouts, cancelled contexts) are retried
}

// oneLine keeps header values on one line: merge fields come from user
// data, and a line break there would start a new header.
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\r' || r == '\n' }), " ")
}

// Build turns an envelope into a go-mail message: RFC 2047 encoded
// subject and names, a plain-text part and an optional HTML alternative.
func (e *Envelope) Build() (*gomail.Msg, error) {
	m := gomail.NewMsg(gomail.WithCharset(gomail.CharsetUTF8), gomail.WithEncoding(gomail.EncodingQP))
	if err := m.FromFormat(oneLine(e.FromName), e.From); err != nil {
		return nil, &DeliveryError{Err: fmt.Errorf("sender %q: %w", e.From, err)}
	}
	if err := m.AddToFormat(oneLine(e.ToName), e.To); err != nil {
		return nil, &DeliveryError{Err: fmt.Errorf("recipient %q: %w", e.To, err)}
	}
	m.SetMessageIDWithValue(e.MessageID)
	m.SetDate()
	m.Subject(oneLine(e.Subject))
	for k, v := range e.Headers {
		m.SetGenHeader(gomail.Header(oneLine(k)), oneLine(v))
	}
	m.SetBodyString(gomail.TypeTextPlain, e.Text)
	if e.HTML != "" {
		m.AddAlternativeString(gomail.TypeTextHTML, e.HTML)
	}
	return m, nil
}

// SMTPSender delivers through an SMTP server with go-mail.
type SMTPSender struct{ Config SMTPConfig }

// Open connects and authenticates once; the session reuses the connection.
func (s SMTPSender) Open(ctx context.Context) (Session, error) {
	c := s.Config
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(max(c.Timeout, 5*time.Second))}
	switch c.TLS {
	case "none":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case "tls":
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if c.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(c.Username), gomail.WithPassword(c.Password))
	}
	client, err := gomail.NewClient(c.Host, opts...)
	if err != nil {
		return nil, &DeliveryError{Err: err}
	}
	if err := client.DialWithContext(ctx); err != nil {
		return nil, classify(err)
	}
	return &smtpSession{client: client}, nil
}

type smtpSession struct{ client *gomail.Client }

func (s *smtpSession) Send(ctx context.Context, e *Envelope) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m, err := e.Build()
	if err != nil {
		return err
	}
	if err := s.client.Send(m); err != nil {
		return classify(err)
	}
	return nil
}

func (s *smtpSession) Close() error { return s.client.Close() }

// classify maps go-mail and network errors to DeliveryError.
func classify(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return &DeliveryError{Temporary: se.IsTemp(), Err: err}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) {
		return &DeliveryError{Temporary: true, Err: err}
	}
	return &DeliveryError{Temporary: true, Err: err}
}

// FileSender writes each message as an .eml file, for laptops without a
// mail server; the admin can read them in the UI.
type FileSender struct{ Dir string }

// Open makes sure the folder exists.
func (f FileSender) Open(ctx context.Context) (Session, error) {
	if err := os.MkdirAll(f.Dir, 0o750); err != nil {
		return nil, err
	}
	return f, nil
}

// Send writes the message, complete or not at all (written, then renamed).
func (f FileSender) Send(ctx context.Context, e *Envelope) error {
	m, err := e.Build()
	if err != nil {
		return err
	}
	name := time.Now().UTC().Format("20060102-150405.000000") + "-" + safeName(e.MessageID) + ".eml"
	tmp := filepath.Join(f.Dir, "."+name+".tmp")
	if err := m.WriteToFile(tmp); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(f.Dir, name))
}

// Close does nothing: files need no connection.
func (f FileSender) Close() error { return nil }

func safeName(s string) string {
	s, _, _ = strings.Cut(s, "@")
	return strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return r
		}
		return -1
	}, s)
}
