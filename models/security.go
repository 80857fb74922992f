package models

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// The kinds of security event. Each is a message key "security.kind.<kind>"
// in the UI.
const (
	EventLoginOK          = "login_ok"
	EventLoginFailed      = "login_failed"
	EventLoginLocked      = "login_locked"
	EventLogout           = "logout"
	EventPasswordChanged  = "password_changed"
	EventPasswordReset    = "password_reset"
	EventTwoFactorOn      = "2fa_enabled"
	EventTwoFactorOff     = "2fa_disabled"
	EventTwoFactorReset   = "2fa_reset"
	EventTwoFactorFailed  = "2fa_failed"
	EventRecoveryCodeUsed = "recovery_code_used"
	EventUserCreated      = "user_created"
	EventRoleChanged      = "role_changed"
	EventUserDisabled     = "user_disabled"
	EventUserEnabled      = "user_enabled"
	EventTwoFactorPolicy  = "2fa_policy"
	EventTokenCreated     = "token_created"
	EventTokenRevoked     = "token_revoked"
)

// SecurityEventKinds lists the kinds, for the security log's filter.
var SecurityEventKinds = []string{EventLoginOK, EventLoginFailed, EventLoginLocked, EventLogout,
	EventPasswordChanged, EventPasswordReset, EventTwoFactorOn, EventTwoFactorOff, EventTwoFactorReset,
	EventTwoFactorFailed, EventRecoveryCodeUsed, EventUserCreated, EventRoleChanged, EventUserDisabled,
	EventUserEnabled, EventTwoFactorPolicy, EventTokenCreated, EventTokenRevoked}

// loginKinds are the events of a user's login history.
var loginKinds = []string{EventLoginOK, EventLoginFailed, EventLoginLocked, EventTwoFactorFailed, EventRecoveryCodeUsed}

// SecurityEvent is one line of the security log.
type SecurityEvent struct {
	ID        int64
	At        string
	Kind      string
	UserID    int64  // whose account (0: a name no user has)
	Username  string // the login name, as typed for a failed login
	ByID      int64  // who did it, when another user (an admin)
	ByName    string
	IP        string
	UserAgent string
	Detail    string
}

// Where a security event came from: the client's address and browser.
type EventSource struct {
	IP        string
	UserAgent string
}

// LogSecurityEvent writes one line of the security log. Its texts are
// bounded, whatever a client sends.
func (db *DB) LogSecurityEvent(ctx context.Context, e SecurityEvent) error {
	return logSecurityEvent(ctx, db.Write, db.nowStamp(), e)
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func logSecurityEvent(ctx context.Context, x execer, now string, e SecurityEvent) error {
	_, err := x.ExecContext(ctx, `INSERT INTO security_events (at, kind, user_id, username, by_id, ip, user_agent, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, now, e.Kind, nullInt(e.UserID), truncateRunes(e.Username, 100),
		nullInt(e.ByID), truncateRunes(e.IP, 64), truncateRunes(e.UserAgent, 300), truncateRunes(e.Detail, 300))
	return err
}

// AccountEvents are the security-log lines that an admin's edit of user
// old into u makes: a role change, disabling, enabling.
func AccountEvents(old, u *User, by int64) []SecurityEvent {
	var out []SecurityEvent
	if old.Role != u.Role {
		out = append(out, SecurityEvent{Kind: EventRoleChanged, UserID: u.ID, Username: old.Username, ByID: by,
			Detail: string(old.Role) + " → " + string(u.Role)})
	}
	if old.Active != u.Active {
		kind := EventUserDisabled
		if u.Active {
			kind = EventUserEnabled
		}
		out = append(out, SecurityEvent{Kind: kind, UserID: u.ID, Username: old.Username, ByID: by})
	}
	return out
}

// SecurityFilter selects lines of the security log.
type SecurityFilter struct {
	UserID  int64
	Kind    string
	Kinds   []string // any of these (a login history)
	Page    int
	PerPage int
}

// SecurityPage is one page of the security log.
type SecurityPage = Page[SecurityEvent]

// SecurityEvents lists the log, newest first.
func (db *DB) SecurityEvents(ctx context.Context, f SecurityFilter) (SecurityPage, error) {
	fixPage(&f.Page, &f.PerPage, 50, 200)
	var w where
	w.eq("e.user_id", f.UserID)
	w.eq("e.kind", f.Kind)
	if len(f.Kinds) > 0 {
		args := make([]any, len(f.Kinds))
		for i, k := range f.Kinds {
			args[i] = k
		}
		w.add("e.kind IN ("+placeholders(len(f.Kinds))+")", args...)
	}
	cond, args := w.sql()
	page := SecurityPage{Page: f.Page, PerPage: f.PerPage}
	err := fetchPage(ctx, db, &page, `SELECT COUNT(*) FROM security_events e WHERE `+cond,
		`SELECT e.id, e.at, e.kind, COALESCE(e.user_id, 0), e.username, COALESCE(e.by_id, 0), COALESCE(b.display_name, ''),
			e.ip, e.user_agent, e.detail
		FROM security_events e LEFT JOIN users b ON b.id = e.by_id
		WHERE `+cond+` ORDER BY e.id DESC LIMIT ? OFFSET ?`, args, scanSecurityEvent)
	return page, err
}

func scanSecurityEvent(row rowScanner) (*SecurityEvent, error) {
	var e SecurityEvent
	return &e, row.Scan(&e.ID, &e.At, &e.Kind, &e.UserID, &e.Username, &e.ByID, &e.ByName, &e.IP, &e.UserAgent, &e.Detail)
}

// LoginHistory is a user's latest logins, failed ones included.
func (db *DB) LoginHistory(ctx context.Context, userID int64, limit int) ([]SecurityEvent, error) {
	page, err := db.SecurityEvents(ctx, SecurityFilter{UserID: userID, Kinds: loginKinds, PerPage: limit})
	return page.Rows, err
}

// SecurityLogKeep is how long the security log is kept: a year, enough to
// look back on a suspicion, short enough not to keep personal data (IP
// addresses) for ever.
const SecurityLogKeep = 365 * 24 * time.Hour

// PurgeSecurityEvents deletes log lines older than keep.
func (db *DB) PurgeSecurityEvents(ctx context.Context, keep time.Duration) (int64, error) {
	res, err := db.Write.ExecContext(ctx, `DELETE FROM security_events WHERE at < ?`, stamp(db.Now().Add(-keep)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// BrowserName sums up a User-Agent for a person: the browser and the
// system, as far as a few well-known markers tell.
func BrowserName(ua string) string {
	browser := ""
	for _, b := range []struct{ marker, name string }{
		{"MicroMessenger", "WeChat"}, {"Edg/", "Edge"}, {"OPR/", "Opera"}, {"Firefox/", "Firefox"},
		{"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.marker) {
			browser = b.name
			break
		}
	}
	system := ""
	for _, s := range []struct{ marker, name string }{
		{"Windows", "Windows"}, {"iPhone", "iPhone"}, {"iPad", "iPad"}, {"Android", "Android"},
		{"Mac OS X", "macOS"}, {"Linux", "Linux"},
	} {
		if strings.Contains(ua, s.marker) {
			system = s.name
			break
		}
	}
	switch {
	case browser != "" && system != "":
		return browser + " · " + system
	case browser != "" || system != "":
		return browser + system
	}
	return truncateRunes(ua, 40)
}
