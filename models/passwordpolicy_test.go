package models

import (
	"fmt"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestPasswordPolicy: new passwords are long enough, not common (alone or
// padded with digits and symbols), and do not contain the username.
func TestPasswordPolicy(t *testing.T) {
	for _, tt := range []struct {
		pw, username, want string
	}{
		{"short1!", "wang", "validation.password_short"},
		{"五个汉字太短了", "wang", "validation.password_short"},
		{"这是一句足够长的中文密码吧", "wang", ""},
		{"1234567890", "wang", "validation.password_common"},
		{"qwertyuiop", "wang", "validation.password_common"},
		{"QwertyUiop", "wang", "validation.password_common"},
		{"woaini1314", "wang", "validation.password_common"},
		{"password2026!", "wang", "validation.password_common"},
		{"2026!!Dragon##", "wang", "validation.password_common"},
		{"13800138000", "wang", "validation.password_common"},
		{"zhang.wei-2026-x", "zhang.wei", "validation.password_username"},
		{"ZHANG.WEI-2026-x", "zhang.wei", "validation.password_username"},
		{"correct horse battery staple", "wang", ""},
		{"keyuan-demo", "zhangwei", ""},
		{string(make([]byte, 73)), "wang", "validation.password_long"},
	} {
		if got := CheckPassword(tt.pw, tt.username); got != tt.want {
			t.Errorf("CheckPassword(%q, %q) = %q, want %q", tt.pw, tt.username, got, tt.want)
		}
	}
	if n := len(commonPasswords()); n < 30000 {
		t.Errorf("the embedded list has %d passwords", n)
	}
}

// TestEnsureAdminRefusesWeakPassword: the first admin's password from
// KEYUAN_ADMIN_PASSWORD is a new password like any other.
func TestEnsureAdminRefusesWeakPassword(t *testing.T) {
	db := newTestDB(t)
	if _, err := db.EnsureAdmin(t.Context(), "admin12345"); err == nil {
		t.Fatal("a weak first admin password was accepted")
	}
	if n, _ := db.CountUsers(t.Context()); n != 0 {
		t.Errorf("%d users after the refusal", n)
	}
	pw, err := db.EnsureAdmin(t.Context(), "")
	if err != nil || CheckPassword(pw, "admin") != "" {
		t.Errorf("generated password %q (%v) breaks the policy", pw, err)
	}
}

// TestSecurityLogPurge: lines older than the keep time go, newer ones stay.
func TestSecurityLogPurge(t *testing.T) {
	db := newTestDB(t)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	for _, age := range []time.Duration{400 * 24 * time.Hour, 10 * 24 * time.Hour} {
		db.SetClock(func() time.Time { return now.Add(-age) })
		if err := db.LogSecurityEvent(t.Context(), SecurityEvent{Kind: EventLoginFailed, Username: "x", IP: "10.0.0.1"}); err != nil {
			t.Fatal(err)
		}
	}
	db.SetClock(func() time.Time { return now })
	if n, err := db.PurgeSecurityEvents(t.Context(), SecurityLogKeep); err != nil || n != 1 {
		t.Errorf("purged %d (%v), want 1", n, err)
	}
	if page, _ := db.SecurityEvents(t.Context(), SecurityFilter{}); page.Total != 1 {
		t.Errorf("%d left, want 1", page.Total)
	}
}

// TestIdempotentResultsPurged: the API's stored answers go once they are a
// day old, as IdempotentResult already ignores them.
func TestIdempotentResultsPurged(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	e.setClock(now)
	tok, _, err := e.db.CreateAPIToken(e.ctx, e.sales1, NewAPIToken{Name: "脚本", Writable: true})
	if err != nil {
		t.Fatal(err)
	}
	for i, age := range []time.Duration{25 * time.Hour, time.Hour} {
		e.setClock(now.Add(-age))
		if err := e.db.SaveIdempotentResult(e.ctx, tok.ID, fmt.Sprint("key", i), IdempotentResult{Method: "POST", Path: "/x", Status: 201, Body: []byte("{}")}); err != nil {
			t.Fatal(err)
		}
	}
	e.setClock(now)
	if n, err := e.db.PurgeIdempotentResults(e.ctx); err != nil || n != 1 {
		t.Errorf("purged %d (%v), want 1", n, err)
	}
	if _, err := e.db.IdempotentResult(e.ctx, tok.ID, "key1"); err != nil {
		t.Errorf("the recent answer went: %v", err)
	}
}

// TestUserEnumerationByTiming: an unknown username is checked against a
// dummy hash of the same bcrypt cost as real passwords (it was a lower one,
// 17 ms against 230 ms, which told unknown users apart); compared by cost,
// not by the clock.
func TestUserEnumerationByTiming(t *testing.T) {
	e := newEnv(t)
	var hash string
	if err := e.db.Read.QueryRow(`SELECT password_hash FROM users WHERE id = ?`, e.sales1.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	real, err := bcrypt.Cost([]byte(hash))
	if err != nil {
		t.Fatal(err)
	}
	dummy, err := bcrypt.Cost(dummyHash())
	if err != nil || dummy != real {
		t.Errorf("the dummy hash costs %d (%v), real ones %d", dummy, err, real)
	}
	if _, err := e.db.Authenticate(e.ctx, "nobody-here", "whatever-password"); err != ErrNotFound {
		t.Errorf("unknown user: %v", err)
	}
}
