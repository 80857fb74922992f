package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"time"
)

// APIToken is a personal API token (issue 14). The secret is shown once at
// creation; only its SHA-256 is stored, with a short prefix to tell tokens
// apart in a list.
type APIToken struct {
	ID         int64
	UserID     int64
	UserName   string
	Name       string
	Prefix     string
	Writable   bool
	ExpiresAt  string // RFC 3339, "" for never
	CreatedAt  string
	LastUsedAt string
	RevokedAt  string
}

// Active reports whether the token still authenticates at t.
func (t *APIToken) Active(now time.Time) bool {
	return t.RevokedAt == "" && (t.ExpiresAt == "" || t.ExpiresAt > stamp(now))
}

// APITokenPrefix starts every secret, so a leaked one is recognisable (and
// secret scanners can be taught the shape).
const APITokenPrefix = "ky_"

// MaxAPITokenName is the longest token name.
const MaxAPITokenName = 60

// NewAPIToken is what the profile form asks for.
type NewAPIToken struct {
	Name     string
	Writable bool
	// Expires is a date (YYYY-MM-DD, the business's calendar day, valid to
	// its end in UTC) or "" for never.
	Expires string
}

// Validate checks a new token's fields against now.
func (n NewAPIToken) Validate(now time.Time) FieldErrors {
	errs := FieldErrors{}
	switch {
	case strings.TrimSpace(n.Name) == "":
		errs["name"] = "validation.required"
	case TooLong(n.Name, MaxAPITokenName):
		errs["name"] = "validation.too_long"
	}
	if n.Expires != "" {
		d, err := time.Parse(time.DateOnly, n.Expires)
		if err != nil {
			errs["expires"] = "validation.date"
		} else if !d.After(now.UTC().Truncate(24 * time.Hour)) {
			errs["expires"] = "api.token_expiry_past"
		}
	}
	return errs
}

func hashAPIToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// CreateAPIToken makes a token for actor and returns it with its secret,
// which is never stored and cannot be shown again.
func (db *DB) CreateAPIToken(ctx context.Context, actor Actor, n NewAPIToken) (*APIToken, string, error) {
	n.Name = strings.TrimSpace(n.Name)
	if errs := n.Validate(db.Now()); errs.Any() {
		return nil, "", errs
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", err
	}
	secret := APITokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := &APIToken{UserID: actor.ID, Name: n.Name, Prefix: secret[:len(APITokenPrefix)+6], Writable: n.Writable,
		CreatedAt: db.nowStamp()}
	if n.Expires != "" {
		d, _ := time.Parse(time.DateOnly, n.Expires)
		t.ExpiresAt = stamp(d.Add(24 * time.Hour))
	}
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, prefix, writable, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, actor.ID, t.Name, hashAPIToken(secret), t.Prefix, t.Writable, nullStr(t.ExpiresAt), t.CreatedAt)
		if err != nil {
			return err
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return logSecurityEvent(ctx, tx, t.CreatedAt, SecurityEvent{Kind: EventTokenCreated, UserID: actor.ID,
			Detail: t.Name + " (" + t.Prefix + "…)"})
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

const apiTokenColumns = `t.id, t.user_id, u.display_name, t.name, t.prefix, t.writable, COALESCE(t.expires_at, ''), t.created_at,
	COALESCE(t.last_used_at, ''), COALESCE(t.revoked_at, '')`

func scanAPIToken(row interface{ Scan(...any) error }) (*APIToken, error) {
	var t APIToken
	err := row.Scan(&t.ID, &t.UserID, &t.UserName, &t.Name, &t.Prefix, &t.Writable, &t.ExpiresAt, &t.CreatedAt, &t.LastUsedAt, &t.RevokedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &t, err
}

// APITokens lists the actor's own tokens, or everyone's (all) for an admin,
// newest first.
func (db *DB) APITokens(ctx context.Context, actor Actor, all bool) ([]APIToken, error) {
	q := `SELECT ` + apiTokenColumns + ` FROM api_tokens t JOIN users u ON u.id = t.user_id`
	var args []any
	if !all || !actor.Can(PermSettingsManage) {
		q += ` WHERE t.user_id = ?`
		args = append(args, actor.ID)
	}
	return queryList(ctx, db.Read, q+` ORDER BY t.id DESC`, args, scanAPIToken)
}

// RevokeAPIToken ends a token at once. Its owner may revoke it, and an
// admin any token; to anyone else it is ErrNotFound.
func (db *DB) RevokeAPIToken(ctx context.Context, actor Actor, id int64) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		q := `UPDATE api_tokens SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL`
		args := []any{db.nowStamp(), actor.ID, id}
		if !actor.Can(PermSettingsManage) {
			q += ` AND user_id = ?`
			args = append(args, actor.ID)
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		var owner int64
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT user_id, name FROM api_tokens WHERE id = ?`, id).Scan(&owner, &name); err != nil {
			return err
		}
		e := SecurityEvent{Kind: EventTokenRevoked, UserID: owner, Detail: name}
		if owner != actor.ID {
			e.ByID = actor.ID
		}
		return logSecurityEvent(ctx, tx, db.nowStamp(), e)
	})
}

// AuthenticateAPIToken finds the active token whose secret this is and its
// active user; anything else (unknown, revoked, expired, disabled user) is
// ErrNotFound. The last use is written at most once a minute per token, so
// a busy script does not turn every read into a write.
func (db *DB) AuthenticateAPIToken(ctx context.Context, secret string) (*APIToken, *User, error) {
	if !strings.HasPrefix(secret, APITokenPrefix) {
		return nil, nil, ErrNotFound
	}
	t, err := scanAPIToken(db.Read.QueryRowContext(ctx, `SELECT `+apiTokenColumns+`
		FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ?`, hashAPIToken(secret)))
	if err != nil {
		return nil, nil, err
	}
	now := db.Now()
	if !t.Active(now) {
		return nil, nil, ErrNotFound
	}
	u, err := db.UserByID(ctx, t.UserID)
	if err != nil {
		return nil, nil, err
	}
	if !u.Active {
		return nil, nil, ErrNotFound
	}
	if t.LastUsedAt == "" || t.LastUsedAt < stamp(now.Add(-time.Minute)) {
		t.LastUsedAt = stamp(now)
		if _, err := db.Write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, t.LastUsedAt, t.ID); err != nil {
			return nil, nil, err
		}
	}
	return t, u, nil
}

// IdempotentResult is the stored first answer to a POST with an
// Idempotency-Key.
type IdempotentResult struct {
	Method, Path string
	Status       int
	Location     string
	Body         []byte
}

// IdempotentResult returns the stored answer for (token, key), or
// ErrNotFound. Answers older than a day are forgotten.
func (db *DB) IdempotentResult(ctx context.Context, tokenID int64, key string) (*IdempotentResult, error) {
	var r IdempotentResult
	err := db.Read.QueryRowContext(ctx, `SELECT method, path, status, location, body FROM api_idempotency
		WHERE token_id = ? AND key = ? AND created_at > ?`, tokenID, key, stamp(db.Now().Add(-24*time.Hour))).
		Scan(&r.Method, &r.Path, &r.Status, &r.Location, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	return &r, err
}

// SaveIdempotentResult stores the first answer for (token, key), replacing
// one older than a day.
func (db *DB) SaveIdempotentResult(ctx context.Context, tokenID int64, key string, r IdempotentResult) error {
	_, err := db.Write.ExecContext(ctx, `INSERT OR REPLACE INTO api_idempotency (token_id, key, method, path, status, location, body, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tokenID, key, r.Method, r.Path, r.Status, r.Location, r.Body, db.nowStamp())
	return err
}

// PurgeIdempotentResults deletes the stored answers older than a day,
// which IdempotentResult no longer returns (the hourly clean-up job).
func (db *DB) PurgeIdempotentResults(ctx context.Context) (int64, error) {
	res, err := db.Write.ExecContext(ctx, `DELETE FROM api_idempotency WHERE created_at <= ?`, stamp(db.Now().Add(-24*time.Hour)))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

type viaKey struct{}

// WithVia marks the changes made with ctx as coming through a channel other
// than the screens (e.g. "API token 网站表单"); the history shows it.
func WithVia(ctx context.Context, via string) context.Context {
	return context.WithValue(ctx, viaKey{}, via)
}

func viaOf(ctx context.Context) string {
	v, _ := ctx.Value(viaKey{}).(string)
	return v
}

// ViaAPIToken starts the history's "via" of a change made through the API;
// the token's name follows.
const ViaAPIToken = "api_token:"
