-- Outgoing webhooks and chat notices (issue 14). A webhook is a URL that
-- receives events; events is a comma-framed list (",customer.created,")
-- so one LIKE finds the subscribers. kind is generic (signed JSON) or a chat
-- robot (wecom, dingtalk, feishu) that gets short Chinese text.
CREATE TABLE webhooks (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    url          TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'generic',
    events       TEXT NOT NULL DEFAULT '',
    secret       TEXT NOT NULL DEFAULT '',
    paused       INTEGER NOT NULL DEFAULT 0,
    pause_reason TEXT NOT NULL DEFAULT '',
    failures     INTEGER NOT NULL DEFAULT 0, -- deliveries given up in a row
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);

-- One event for one webhook, queued in the transaction of the change (like
-- the outbox) and delivered at least once: event_id is the same on every
-- attempt so the receiver can drop repeats. The rows are the delivery log.
CREATE TABLE webhook_deliveries (
    id            INTEGER PRIMARY KEY,
    webhook_id    INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id      TEXT NOT NULL,
    event         TEXT NOT NULL,
    data          TEXT NOT NULL, -- JSON
    occurred_at   TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'queued', -- queued, sending, delivered, failed
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,
    lease_owner   TEXT,
    lease_until   TEXT,
    response_code INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT NOT NULL DEFAULT '',
    delivered_at  TEXT,
    updated_at    TEXT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries(webhook_id, id);

-- Which channels a user's notices go to. A missing row is the default
-- (every channel); channels is a comma-framed list like ",bell,email,".
CREATE TABLE notice_prefs (
    user_id  INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    notice   TEXT NOT NULL, -- plan_reminder, issue_assigned, issue_overdue, digest
    channels TEXT NOT NULL,
    PRIMARY KEY (user_id, notice)
);

-- When an open issue's due time passed and its assignee was told (bell,
-- chat): once per issue. A later due time (the issue was re-planned) tells
-- again, so the time told about is kept.
ALTER TABLE issues ADD COLUMN overdue_noticed_for TEXT NOT NULL DEFAULT '';
