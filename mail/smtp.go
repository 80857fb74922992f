package mail

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
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

// Outcome is what a failed delivery means, and so what the outbox does next.
// The SMTP reply code alone does not say it: a 5xx to MAIL FROM means the
// server refuses our sender (every recipient would fail alike), while a 5xx
// to RCPT TO means this one mailbox refuses mail.
type Outcome int

const (
	// Retry: a connection, TLS, timeout or EOF error, or a 4xx reply. Try
	// the message again later; nobody is suppressed.
	Retry Outcome = iota
	// Bounce: a 5xx reply to RCPT TO. The address refuses mail for good:
	// the message fails and the address is suppressed for every campaign.
	Bounce
	// Reject: a 5xx reply after the message itself was sent (its content,
	// size or a policy). That message fails; the address stays mailable.
	Reject
	// Halt: a 5xx reply to AUTH, MAIL FROM or the DATA command, or a server
	// that refuses us at connection. Our sender or server is the problem:
	// stop sending, pause the campaign, tell the administrators, and keep
	// every message queued.
	Halt
)

// DeliveryError is a failed delivery with its meaning.
type DeliveryError struct {
	Outcome Outcome
	Code    int // the SMTP reply code, 0 when the server said nothing
	Err     error
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// OutcomeOf tells what err means for the message; an error that is no
// DeliveryError (a cancelled context, a timeout) is retried.
func OutcomeOf(err error) Outcome {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Outcome
	}
	return Retry
}

// IsTemporary reports whether err is worth retrying later.
func IsTemporary(err error) bool { return OutcomeOf(err) == Retry }

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
		return nil, &DeliveryError{Outcome: Halt, Err: fmt.Errorf("sender %q: %w", e.From, err)}
	}
	if err := m.AddToFormat(oneLine(e.ToName), e.To); err != nil {
		return nil, &DeliveryError{Outcome: Bounce, Err: fmt.Errorf("recipient %q: %w", e.To, err)}
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

// DefaultSMTPTimeout bounds each step of the conversation. Real servers
// take their time over DATA (content scanning): 60 s, as RFC 5321 suggests
// for most replies, rather than go-mail's 15 s.
const DefaultSMTPTimeout = 60 * time.Second

// SMTPSender delivers through an SMTP server with go-mail.
type SMTPSender struct{ Config SMTPConfig }

// Open connects and authenticates once; the session reuses the connection.
func (s SMTPSender) Open(ctx context.Context) (Session, error) {
	c := s.Config
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultSMTPTimeout
	}
	opts := []gomail.Option{gomail.WithPort(c.Port), gomail.WithTimeout(timeout)}
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
		return nil, &DeliveryError{Outcome: Halt, Err: err} // a setting that can never work
	}
	if err := client.DialWithContext(ctx); err != nil {
		return nil, classifyDial(err)
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
		return classifySend(err)
	}
	return nil
}

func (s *smtpSession) Close() error { return s.client.Close() }

// classifyDial gives a connection or login failure its meaning: a server
// that answers 5xx (554 at the greeting, 535 to AUTH) refuses us and will go
// on doing so; anything else — refused, reset, TLS, a timeout, a 4xx — may
// pass.
func classifyDial(err error) error {
	code := replyCode(err)
	if code >= 500 {
		return &DeliveryError{Outcome: Halt, Code: code, Err: err}
	}
	return &DeliveryError{Outcome: Retry, Code: code, Err: err}
}

// classifySend gives a failed send its meaning by the step that failed and
// the reply code. go-mail's own SendError.IsTemp looks only at whether the
// error text starts with '4', so EOF and timeouts came out permanent.
func classifySend(err error) error {
	code := replyCode(err)
	if code < 500 {
		// 4xx, or no reply at all: the connection broke, timed out or
		// was reset. Nothing is known about the recipient: try again.
		return &DeliveryError{Outcome: Retry, Code: code, Err: err}
	}
	var se *gomail.SendError
	if !errors.As(err, &se) {
		return &DeliveryError{Outcome: Reject, Code: code, Err: err}
	}
	switch se.Reason {
	case gomail.ErrSMTPRcptTo:
		return &DeliveryError{Outcome: Bounce, Code: code, Err: err}
	case gomail.ErrSMTPMailFrom, gomail.ErrSMTPData, gomail.ErrGetSender, gomail.ErrNoUnencoded:
		return &DeliveryError{Outcome: Halt, Code: code, Err: err}
	}
	return &DeliveryError{Outcome: Reject, Code: code, Err: err}
}

// replyCode finds the SMTP reply code in err: from a textproto.Error in the
// chain, else from a "NNN " that starts the message or one of its wrapped
// parts; 0 when the server gave none.
func replyCode(err error) int {
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.ErrorCode() != 0 {
		return se.ErrorCode()
	}
	for _, part := range strings.Split(err.Error(), ": ") {
		if len(part) >= 4 && (part[0] == '4' || part[0] == '5') && isDigit(part[1]) && isDigit(part[2]) &&
			(part[3] == ' ' || part[3] == '-') {
			return int(part[0]-'0')*100 + int(part[1]-'0')*10 + int(part[2]-'0')
		}
	}
	return 0
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

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
