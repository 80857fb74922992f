-- The REST API (issue 14): personal API tokens, the stored first answers
-- of POSTs sent with an Idempotency-Key, and the token a change came
-- through in the history ("via API token <name>").

-- A token is a 32-byte random secret shown once; only its SHA-256 is kept,
-- with the first characters ("prefix") so a list can tell tokens apart.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    writable     INTEGER NOT NULL DEFAULT 0,
    expires_at   TEXT,            -- NULL: never
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    revoked_by   INTEGER REFERENCES users(id)
);
CREATE INDEX api_tokens_user ON api_tokens(user_id, id);

-- The first answer to a POST with an Idempotency-Key, per token: a retry
-- gets it back instead of creating a second record. Kept for a day.
CREATE TABLE api_idempotency (
    token_id   INTEGER NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    method     TEXT NOT NULL,
    path       TEXT NOT NULL,
    status     INTEGER NOT NULL,
    location   TEXT NOT NULL DEFAULT '',
    body       BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (token_id, key)
) WITHOUT ROWID;

ALTER TABLE audit_log ADD COLUMN via TEXT NOT NULL DEFAULT '';
