package models

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"database/sql"
	"encoding/base32"
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
)

// Two-factor login with TOTP (RFC 6238): 6 digits, 30-second steps, SHA-1,
// which every authenticator app (微信/企业微信 mini-programs, Google and
// Microsoft Authenticator, 1Password…) reads from the QR code.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// RecoveryCodeCount codes are made when two-factor login is switched on.
	RecoveryCodeCount = 10
	// LoginChallengeTTL is how long the second step of a login may wait.
	LoginChallengeTTL = 5 * time.Minute
)

// TOTPIssuer names Keyuan in the authenticator app.
const TOTPIssuer = "Keyuan CRM"

// ErrBadCode is a wrong, reused or expired second-factor code.
var ErrBadCode = errors.New("wrong two-factor code")

// NewTOTPKey makes a fresh secret for username, not stored yet: the user
// scans it and proves it with a code (EnableTwoFactor).
func NewTOTPKey(username string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: TOTPIssuer, AccountName: username, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
}

// TOTPKeyOf rebuilds the key of a secret made by NewTOTPKey (the setup
// form sends it back with the first code); an error when secret is not a
// base32 secret of a sensible size.
func TOTPKeyOf(account, secret string) (*otp.Key, error) {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(secret)
	if err != nil || len(raw) < 10 || len(raw) > 64 {
		return nil, errors.New("not a TOTP secret")
	}
	v := url.Values{"secret": {secret}, "issuer": {TOTPIssuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + TOTPIssuer + ":" + account, RawQuery: v.Encode()}
	return otp.NewKeyFromURL(u.String())
}

// totpStep finds the time step whose code is code, within one step of now
// either way (clocks drift); 0 when none.
func totpStep(secret, code string, now time.Time) int64 {
	code = strings.TrimSpace(code)
	if len(code) != int(totpDigits) {
		return 0
	}
	for _, skew := range []int64{0, -1, 1} {
		t := now.Add(time.Duration(skew*totpPeriod) * time.Second)
		want, err := totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits,
			Algorithm: otp.AlgorithmSHA1})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return t.Unix() / totpPeriod
		}
	}
	return 0
}

// TOTPCode is the code of secret at t, as an authenticator app shows it
// (for tests and for the setup page's check).
func TOTPCode(secret string, t time.Time) (string, error) {
	return totp.GenerateCodeCustom(secret, t, totp.ValidateOpts{Period: totpPeriod, Digits: totpDigits,
		Algorithm: otp.AlgorithmSHA1})
}

// EnableTwoFactor switches two-factor login on for a user once code proves
// that their app holds secret. It returns the recovery codes, shown this
// once; only their hashes are kept.
func (db *DB) EnableTwoFactor(ctx context.Context, userID int64, secret, code string, src EventSource) ([]string, error) {
	step := totpStep(secret, code, db.Now())
	if step == 0 {
		return nil, ErrBadCode
	}
	codes := make([]string, RecoveryCodeCount)
	for i := range codes {
		codes[i] = newRecoveryCode()
	}
	err := db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = ?, totp_last_step = ?, updated_at = ?
			WHERE id = ? AND active = 1`, secret, step, now, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if err := replaceRecoveryCodes(ctx, tx, userID, codes); err != nil {
			return err
		}
		return logSecurityEvent(ctx, tx, now, SecurityEvent{Kind: EventTwoFactorOn, UserID: userID, IP: src.IP,
			UserAgent: src.UserAgent})
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// newRecoveryCode is 10 characters from an alphabet without look-alikes,
// shown as xxxxx-xxxxx: about 50 bits.
func newRecoveryCode() string {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	raw := make([]byte, 10)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	var b strings.Builder
	for i := 0; b.Len() < 11; i++ {
		if b.Len() == 5 {
			b.WriteByte('-')
		}
		b.WriteByte(alphabet[int(raw[i])%len(alphabet)])
	}
	return b.String()
}

// normalizeRecoveryCode makes a typed code comparable: lower case, without
// spaces or hyphens.
func normalizeRecoveryCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

func replaceRecoveryCodes(ctx context.Context, tx *sql.Tx, userID int64, codes []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`,
			userID, hashToken(normalizeRecoveryCode(c))); err != nil {
			return err
		}
	}
	return nil
}

// CheckSecondFactor checks a login's second step: a TOTP code (each one
// works once) or an unused recovery code (spent by this). recovery tells
// which was used.
func (db *DB) CheckSecondFactor(ctx context.Context, userID int64, code string) (recovery bool, err error) {
	err = db.WithTx(ctx, func(tx *sql.Tx) error {
		var secret string
		var last int64
		if err := tx.QueryRowContext(ctx, `SELECT totp_secret, totp_last_step FROM users WHERE id = ? AND active = 1`,
			userID).Scan(&secret, &last); errors.Is(err, sql.ErrNoRows) {
			return ErrBadCode
		} else if err != nil {
			return err
		}
		if secret == "" {
			return ErrBadCode
		}
		if step := totpStep(secret, code, db.Now()); step != 0 {
			if step <= last {
				return ErrBadCode // that code was used already
			}
			_, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = ? WHERE id = ?`, step, userID)
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ?
			AND used_at IS NULL`, db.nowStamp(), userID, hashToken(normalizeRecoveryCode(code)))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrBadCode
		}
		recovery = true
		return nil
	})
	return recovery, err
}

// RecoveryCodesLeft counts a user's unused recovery codes.
func (db *DB) RecoveryCodesLeft(ctx context.Context, userID int64) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`,
		userID).Scan(&n)
	return n, err
}

// DisableTwoFactor switches two-factor login off for a user: by themself
// (by = userID, after their password and a code) or by an admin who resets
// it for someone who lost their phone (EventTwoFactorReset).
func (db *DB) DisableTwoFactor(ctx context.Context, by, userID int64, src EventSource) error {
	return db.WithTx(ctx, func(tx *sql.Tx) error {
		now := db.nowStamp()
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = '', totp_last_step = 0, updated_at = ?,
			updated_by = ? WHERE id = ?`, now, nullInt(by), userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		e := SecurityEvent{Kind: EventTwoFactorOff, UserID: userID, IP: src.IP, UserAgent: src.UserAgent}
		if by != userID {
			e.Kind, e.ByID = EventTwoFactorReset, by
		}
		return logSecurityEvent(ctx, tx, now, e)
	})
}

// The setting that makes two-factor login compulsory for the roles that
// see everything (models.Role.MustUseTwoFactor).
const settingRequire2FA = "security.require_2fa"

// TwoFactorRequired tells whether admins and managers must sign in with a
// second factor.
func (db *DB) TwoFactorRequired(ctx context.Context) (bool, error) {
	v, err := db.Setting(ctx, settingRequire2FA)
	return v == "1", err
}

// SetTwoFactorRequired changes that setting, and logs who did.
func (db *DB) SetTwoFactorRequired(ctx context.Context, by int64, required bool, src EventSource) error {
	if err := db.SetSetting(ctx, settingRequire2FA, boolText(required)); err != nil {
		return err
	}
	detail := "off"
	if required {
		detail = "on"
	}
	return db.LogSecurityEvent(ctx, SecurityEvent{Kind: EventTwoFactorPolicy, ByID: by, IP: src.IP,
		UserAgent: src.UserAgent, Detail: detail})
}

// Login challenges: the password step of a login that waits for its second
// factor. The browser holds the token; the row its hash.

// NewLoginChallenge starts the second step of user's login, going to next
// afterwards, and returns the token for the browser.
func (db *DB) NewLoginChallenge(ctx context.Context, userID int64, next string) (string, error) {
	token := RandomToken(24)
	now := db.Now()
	_, err := db.Write.ExecContext(ctx, `DELETE FROM login_challenges WHERE expires_at < ?`, stamp(now))
	if err != nil {
		return "", err
	}
	_, err = db.Write.ExecContext(ctx, `INSERT INTO login_challenges (token_hash, user_id, next, expires_at)
		VALUES (?, ?, ?, ?)`, hashToken(token), userID, next, stamp(now.Add(LoginChallengeTTL)))
	return token, err
}

// LoginChallenge finds a waiting login by its token; ErrNotFound when it
// is unknown or has expired.
func (db *DB) LoginChallenge(ctx context.Context, token string) (userID int64, next string, err error) {
	if token == "" {
		return 0, "", ErrNotFound
	}
	err = db.Read.QueryRowContext(ctx, `SELECT user_id, next FROM login_challenges WHERE token_hash = ? AND expires_at >= ?`,
		hashToken(token), db.nowStamp()).Scan(&userID, &next)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", ErrNotFound
	}
	return userID, next, err
}

// EndLoginChallenge forgets a waiting login (done, or given up).
func (db *DB) EndLoginChallenge(ctx context.Context, token string) error {
	_, err := db.Write.ExecContext(ctx, `DELETE FROM login_challenges WHERE token_hash = ?`, hashToken(token))
	return err
}
