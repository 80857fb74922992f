package handlers

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// TestSuppressionsPage: the administrator sees the do-not-mail list with
// reasons, filters it, and allows an address again, with an audit entry.
func TestSuppressionsPage(t *testing.T) {
	app := newTestApp(t)
	for _, row := range [][]string{
		{"bounced@example.cn", "bounced", "550 5.1.1 no such user"},
		{"gone@example.cn", "unsubscribed", ""},
	} {
		if _, err := app.db.Write.Exec(`INSERT INTO mail_suppressions (email, reason, detail, at) VALUES (?, ?, ?, '2026-12-01T08:00:00Z')`,
			row[0], row[1], row[2]); err != nil {
			t.Fatal(err)
		}
	}
	c := app.login("admin")
	page := c.get("/admin/mail/suppressions").Body
	for _, want := range []string{"bounced@example.cn", "550 5.1.1 no such user", "永久退信", "gone@example.cn", "已退订"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if page := c.get("/admin/mail/suppressions?reason=unsubscribed").Body; strings.Contains(page, "bounced@example.cn") {
		t.Error("the reason filter shows a bounce")
	}
	if page := c.get("/admin/mail/suppressions?q=" + url.QueryEscape(strings.Repeat("<script>", 100))).Body; strings.Contains(page, "<script><script>") {
		t.Error("the search is not escaped")
	}
	res := c.post("/admin/mail/suppressions/allow", url.Values{"email": {"BOUNCED@example.cn"}})
	if res.StatusCode != 303 {
		t.Fatalf("allow: %d", res.StatusCode)
	}
	var n int
	app.db.Read.QueryRow(`SELECT COUNT(*) FROM mail_suppressions WHERE email = 'bounced@example.cn'`).Scan(&n)
	if n != 0 {
		t.Fatal("still suppressed")
	}
	var audit int
	app.db.Read.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'mail_allowed' AND changes LIKE '%bounced@example.cn%'`).Scan(&audit)
	if audit != 1 {
		t.Errorf("%d audit entries", audit)
	}
	if res := c.post("/admin/mail/suppressions/allow", url.Values{"email": {"never@example.cn"}}); res.StatusCode != 404 {
		t.Errorf("allowing an address that is not stopped: %d", res.StatusCode)
	}
	_ = context.Background()
}

// TestMailProblemShown: when the server refused our sender, the mail page
// says so, and the administrators' bell carries one notice that opens it.
func TestMailProblemShown(t *testing.T) {
	app := newTestApp(t)
	if err := app.db.HaltMail(context.Background(), 0, "530 5.7.0 Authentication required"); err != nil {
		t.Fatal(err)
	}
	c := app.login("admin")
	if page := c.get("/admin/mail").Body; !strings.Contains(page, "530 5.7.0 Authentication required") || !strings.Contains(page, "邮件已暂停发送") {
		t.Error("the mail page does not show the problem")
	}
	page := c.get("/notifications").Body
	if !strings.Contains(page, "邮件服务器拒绝了发件人") {
		t.Fatalf("no notification:\n%s", page)
	}
	var id string
	app.db.Read.QueryRow(`SELECT id FROM notifications WHERE kind = 'mail_problem'`).Scan(&id)
	if res := c.get("/notifications/" + id); res.StatusCode != 303 || res.Header.Get("Location") != "/admin/mail" {
		t.Errorf("opening the notice: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}
