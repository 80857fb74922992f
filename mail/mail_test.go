package mail

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestFileMailerWritesParsableMessage(t *testing.T) {
	dir := t.TempDir()
	fm, err := NewFileMailer(dir)
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{
		From:    mail.Address{Name: "客源CRM", Address: "crm@example.com"},
		To:      []mail.Address{{Name: "张伟", Address: "zhang@example.com"}},
		Subject: "提醒：10:00 拜访上海华信科技有限公司",
		Text:    "计划：回访报价\n时间：2026-03-10 10:00",
		HTML:    "<p>计划：回访报价</p>",
		Headers: map[string]string{"X-Keyuan-Plan": "JH20260310001"},
	}
	if err := fm.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
	if len(files) != 1 {
		t.Fatalf("files = %v", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	m, err := mail.ReadMessage(strings.NewReader(string(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Header.Get("Subject"), "提醒") {
		t.Error("subject is not encoded")
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil || subject != msg.Subject {
		t.Errorf("subject = %q, %v", subject, err)
	}
	to, err := m.Header.AddressList("To")
	if err != nil || to[0].Name != "张伟" || to[0].Address != "zhang@example.com" {
		t.Errorf("to = %v, %v", to, err)
	}
	if m.Header.Get("X-Keyuan-Plan") != "JH20260310001" || m.Header.Get("Message-Id") == "" {
		t.Errorf("headers = %v", m.Header)
	}
	mt, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q %v", mt, err)
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	var bodies []string
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		bodies = append(bodies, string(b))
	}
	if len(bodies) != 2 || !strings.Contains(bodies[0], "计划：回访报价\r\n时间") || bodies[1] != msg.HTML {
		t.Errorf("bodies = %q", bodies)
	}
}

func TestMessageRejectsBadInput(t *testing.T) {
	ok := Message{From: mail.Address{Address: "a@example.com"}, To: []mail.Address{{Address: "b@example.com"}}, Subject: "x", Text: "y"}
	for name, m := range map[string]Message{
		"header injection": func() Message { m := ok; m.Subject = "x\r\nBcc: evil@example.com"; return m }(),
		"no recipient":     func() Message { m := ok; m.To = nil; return m }(),
		"bad recipient":    func() Message { m := ok; m.To = []mail.Address{{Address: "not an address"}}; return m }(),
		"empty body":       func() Message { m := ok; m.Text = ""; return m }(),
	} {
		if _, err := m.Bytes(time.Now()); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := ok.Bytes(time.Now()); err != nil {
		t.Errorf("valid message: %v", err)
	}
}
