// Package mail sends e-mail through a Mailer. The default Mailer writes each
// message as an .eml file, so everything works on a laptop without an SMTP
// server; a real SMTP Mailer can stand behind the same interface.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Mailer sends one message.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Message is an e-mail. Text, HTML or both may be given; Headers adds
// extra header fields (e.g. List-Unsubscribe).
type Message struct {
	From    mail.Address
	To      []mail.Address
	Subject string
	Text    string
	HTML    string
	Headers map[string]string
}

// ErrInvalid is returned for a message that cannot be sent as it is.
var ErrInvalid = errors.New("mail: invalid message")

func cleanHeader(v string) error {
	if strings.ContainsAny(v, "\r\n") {
		return fmt.Errorf("%w: line break in a header", ErrInvalid)
	}
	return nil
}

// Bytes renders the message in RFC 5322 form with MIME parts: non-ASCII
// subjects are RFC 2047 encoded words, bodies are quoted-printable UTF-8.
func (m Message) Bytes(date time.Time) ([]byte, error) {
	if m.From.Address == "" || len(m.To) == 0 {
		return nil, fmt.Errorf("%w: no sender or recipient", ErrInvalid)
	}
	if m.Text == "" && m.HTML == "" {
		return nil, fmt.Errorf("%w: empty body", ErrInvalid)
	}
	to := make([]string, len(m.To))
	for i, a := range m.To {
		if _, err := mail.ParseAddress(a.Address); err != nil {
			return nil, fmt.Errorf("%w: recipient %q", ErrInvalid, a.Address)
		}
		to[i] = a.String()
	}
	for _, v := range []string{m.Subject, m.From.Name, m.From.Address} {
		if err := cleanHeader(v); err != nil {
			return nil, err
		}
	}
	var b bytes.Buffer
	h := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	h("From", m.From.String())
	h("To", strings.Join(to, ", "))
	h("Subject", mime.BEncoding.Encode("UTF-8", m.Subject))
	h("Date", date.Format(time.RFC1123Z))
	h("Message-ID", "<"+randomID()+"@"+domainOf(m.From.Address)+">")
	h("MIME-Version", "1.0")
	keys := make([]string, 0, len(m.Headers))
	for k := range m.Headers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := cleanHeader(k + m.Headers[k]); err != nil {
			return nil, err
		}
		h(textproto.CanonicalMIMEHeaderKey(k), mime.QEncoding.Encode("UTF-8", m.Headers[k]))
	}
	if m.Text == "" || m.HTML == "" {
		ctype, body := "text/plain", m.Text
		if m.Text == "" {
			ctype, body = "text/html", m.HTML
		}
		h("Content-Type", ctype+"; charset=UTF-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		if err := writeQP(&b, body); err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", `multipart/alternative; boundary="`+mw.Boundary()+`"`)
	b.WriteString("\r\n")
	for _, part := range []struct{ ctype, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		w, err := mw.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.ctype + "; charset=UTF-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		if err := writeQP(w, part.body); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func writeQP(w interface{ Write([]byte) (int, error) }, body string) error {
	qp := quotedprintable.NewWriter(w)
	if _, err := qp.Write([]byte(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))); err != nil {
		return err
	}
	return qp.Close()
}

func randomID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand does not fail on supported platforms
	return hex.EncodeToString(b)
}

func domainOf(addr string) string {
	if _, d, ok := strings.Cut(addr, "@"); ok && d != "" {
		return d
	}
	return "localhost"
}

// FileMailer writes every message as an .eml file in Dir, for laptops and
// tests. Files appear complete or not at all (written, then renamed).
type FileMailer struct {
	Dir string
	Now func() time.Time
}

// NewFileMailer returns a FileMailer writing to dir, creating it.
func NewFileMailer(dir string) (*FileMailer, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("mail dir: %w", err)
	}
	return &FileMailer{Dir: dir, Now: time.Now}, nil
}

// Send writes m to a new file named after the time and a random id.
func (f *FileMailer) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := f.Now()
	body, err := m.Bytes(now)
	if err != nil {
		return err
	}
	name := now.UTC().Format("20060102-150405") + "-" + randomID()[:8] + ".eml"
	tmp := filepath.Join(f.Dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, body, 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(f.Dir, name))
}
