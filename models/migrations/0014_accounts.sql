-- Accounts (issue 18): the security log, two-factor login, and the
-- password step of a login that waits for its second factor.

-- The security log: logins (kept also for unknown usernames, as typed),
-- lockouts, and changes to passwords, two-factor login, roles and accounts.
-- Users are never deleted, only disabled; the login name tried is kept as
-- text because a failed login may name no user.
CREATE TABLE security_events (
    id         INTEGER PRIMARY KEY,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    user_id    INTEGER REFERENCES users(id),
    username   TEXT NOT NULL DEFAULT '',
    by_id      INTEGER REFERENCES users(id),
    ip         TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX security_events_user ON security_events(user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX security_events_kind ON security_events(kind, id);
CREATE INDEX security_events_at ON security_events(at);

-- TOTP (RFC 6238): the shared secret once confirmed, and the last time
-- step used, so that a code works once.
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step INTEGER NOT NULL DEFAULT 0;

-- One-time recovery codes, stored as SHA-256 (they are random, so a slow
-- hash adds nothing).
CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at   TEXT,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- A login whose password was right and that waits for its second factor:
-- the browser holds the token, the server its hash, for a few minutes.
CREATE TABLE login_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    next       TEXT NOT NULL DEFAULT '/',
    expires_at TEXT NOT NULL
) WITHOUT ROWID;
