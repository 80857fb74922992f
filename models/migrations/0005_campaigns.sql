-- Marketing campaigns (市场活动管理): plans, targets, results, and the outbox
-- that delivers invitations.

CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    type_id       INTEGER REFERENCES aux_items(id),
    start_date    TEXT NOT NULL,
    end_date      TEXT NOT NULL,
    place         TEXT NOT NULL DEFAULT '',
    budget        INTEGER NOT NULL DEFAULT 0, -- in fen (0.01 yuan)
    owner_id      INTEGER NOT NULL REFERENCES users(id),
    description   TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'planning' CHECK (status IN ('planning', 'inviting', 'done', 'cancelled')),
    -- Results (市场活动成果)
    actual_cost   INTEGER NOT NULL DEFAULT 0, -- in fen
    summary       TEXT NOT NULL DEFAULT '',
    leads         INTEGER NOT NULL DEFAULT 0,
    opportunities INTEGER NOT NULL DEFAULT 0,
    -- Invitation e-mail
    mail_subject  TEXT NOT NULL DEFAULT '',
    mail_text     TEXT NOT NULL DEFAULT '',
    mail_html     TEXT NOT NULL DEFAULT '',
    send_at       TEXT,               -- a scheduled send, RFC 3339 UTC
    paused        INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    created_by    INTEGER,
    updated_at    TEXT NOT NULL,
    updated_by    INTEGER
);
CREATE INDEX campaigns_owner ON campaigns(owner_id, start_date);
CREATE INDEX campaigns_start ON campaigns(start_date);
CREATE INDEX campaigns_send_at ON campaigns(send_at) WHERE send_at IS NOT NULL;

-- One row per invited person: a contact of a customer or prospect, or the
-- customer itself when it has no contacts.
CREATE TABLE campaign_targets (
    id           INTEGER PRIMARY KEY,
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    name         TEXT NOT NULL DEFAULT '',
    email        TEXT NOT NULL DEFAULT '',
    mail_status  TEXT NOT NULL DEFAULT '' CHECK (mail_status IN ('', 'queued', 'sending', 'sent', 'failed', 'opened', 'unsubscribed')),
    mail_error   TEXT NOT NULL DEFAULT '',
    notified     INTEGER NOT NULL DEFAULT 0,
    notified_how TEXT NOT NULL DEFAULT '' CHECK (notified_how IN ('', 'email', 'phone', 'visit', 'other')),
    notified_at  TEXT,
    attended     INTEGER NOT NULL DEFAULT 0,
    head_count   INTEGER NOT NULL DEFAULT 0,
    feedback     TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    created_by   INTEGER,
    updated_at   TEXT NOT NULL,
    updated_by   INTEGER
);
CREATE UNIQUE INDEX campaign_targets_person ON campaign_targets(campaign_id, customer_id, COALESCE(contact_id, 0));
CREATE INDEX campaign_targets_customer ON campaign_targets(customer_id, campaign_id);

-- Addresses that are never mailed again: unsubscribed or bounced for good.
CREATE TABLE mail_suppressions (
    email  TEXT PRIMARY KEY COLLATE NOCASE,
    reason TEXT NOT NULL CHECK (reason IN ('unsubscribed', 'bounced')),
    detail TEXT NOT NULL DEFAULT '',
    at     TEXT NOT NULL
);

-- The outbox: one row per message. A row is claimed with a lease before it
-- is sent, so two senders never send it at once, and a lease that expires
-- (a crash, a restart) gives the row back.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY,
    campaign_id   INTEGER REFERENCES campaigns(id) ON DELETE CASCADE,
    target_id     INTEGER REFERENCES campaign_targets(id) ON DELETE CASCADE,
    to_email      TEXT NOT NULL,
    to_name       TEXT NOT NULL DEFAULT '',
    subject       TEXT NOT NULL,
    body_text     TEXT NOT NULL,
    body_html     TEXT NOT NULL DEFAULT '',
    message_id    TEXT NOT NULL UNIQUE,
    token         TEXT NOT NULL UNIQUE, -- for the unsubscribe link and the open pixel
    status        TEXT NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,
    lease_until   TEXT,
    lease_owner   TEXT,
    last_error    TEXT NOT NULL DEFAULT '',
    sent_at       TEXT,
    opened_at     TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox(status, next_attempt, id);
CREATE INDEX outbox_sent ON outbox(sent_at) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_campaign ON outbox(campaign_id, status);
