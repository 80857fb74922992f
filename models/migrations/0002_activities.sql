-- Business activity management (业务活动管理): competitors, activity records
-- with the competitors they mention, activity plans, opportunities; in-app
-- notifications, iCalendar feed tokens and the history of scheduled jobs.
-- Dates are YYYY-MM-DD and times HH:MM text in the business's time zone;
-- *_at stamps are RFC 3339 in UTC, as in 0001.

CREATE TABLE competitors (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE COLLATE NOCASE,
    strengths  TEXT NOT NULL DEFAULT '',
    weaknesses TEXT NOT NULL DEFAULT '',
    notes      TEXT NOT NULL DEFAULT '',
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by INTEGER,
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);

-- Activity records (业务活动记录). owner_id is the salesperson; customer_id
-- the counterpart, a customer or a prospect.
CREATE TABLE activities (
    id           INTEGER PRIMARY KEY,
    code         TEXT NOT NULL UNIQUE,
    date         TEXT NOT NULL,
    start_time   TEXT NOT NULL DEFAULT '',
    end_time     TEXT NOT NULL DEFAULT '',
    owner_id     INTEGER NOT NULL REFERENCES users(id),
    customer_id  INTEGER NOT NULL REFERENCES customers(id),
    contact_id   INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    method_id    INTEGER REFERENCES aux_items(id),
    stage_id     INTEGER REFERENCES aux_items(id),
    subject      TEXT NOT NULL,
    content      TEXT NOT NULL DEFAULT '',
    result       TEXT NOT NULL DEFAULT '',
    next_subject TEXT NOT NULL DEFAULT '',
    next_date    TEXT,
    next_time    TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    created_by   INTEGER,
    updated_at   TEXT NOT NULL,
    updated_by   INTEGER
);
-- Calendar and list: one salesperson's or everybody's records of a period,
-- in time order; the calendar counts a period's records from these alone.
CREATE INDEX activities_owner_date ON activities(owner_id, date, start_time);
CREATE INDEX activities_date       ON activities(date, start_time);
CREATE INDEX activities_customer   ON activities(customer_id, date);

CREATE TABLE activity_competitors (
    activity_id   INTEGER NOT NULL REFERENCES activities(id) ON DELETE CASCADE,
    competitor_id INTEGER NOT NULL REFERENCES competitors(id),
    note          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (activity_id, competitor_id)
) WITHOUT ROWID;
CREATE INDEX activity_competitors_competitor ON activity_competitors(competitor_id, activity_id);

-- Activity plans (业务活动计划). origin tells how a plan came to be; a plan
-- made by an activity record's "next activity" points back at that record
-- (at most one plan per record), and a completed plan at the record that
-- completed it. remind_at is the UTC moment of the reminder (NULL: none);
-- notified_at and emailed_at make each reminder go out once.
CREATE TABLE plans (
    id                 INTEGER PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    date               TEXT NOT NULL,
    time               TEXT NOT NULL DEFAULT '',
    owner_id           INTEGER NOT NULL REFERENCES users(id),
    customer_id        INTEGER NOT NULL REFERENCES customers(id),
    contact_id         INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    method_id          INTEGER REFERENCES aux_items(id),
    subject            TEXT NOT NULL,
    content            TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled')),
    origin             TEXT NOT NULL CHECK (origin IN ('manual', 'batch', 'activity')),
    source_activity_id INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    done_activity_id   INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    remind_minutes     INTEGER CHECK (remind_minutes BETWEEN 0 AND 10080),
    remind_at          TEXT,
    notified_at        TEXT,
    emailed_at         TEXT,
    email_attempts     INTEGER NOT NULL DEFAULT 0,
    email_result       TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    created_by         INTEGER,
    updated_at         TEXT NOT NULL,
    updated_by         INTEGER
);
CREATE UNIQUE INDEX plans_source_activity ON plans(source_activity_id) WHERE source_activity_id IS NOT NULL;
CREATE INDEX plans_done_activity ON plans(done_activity_id) WHERE done_activity_id IS NOT NULL;
-- status is in the calendar indexes so open plans of a period are found
-- from the index alone.
CREATE INDEX plans_owner_date ON plans(owner_id, date, time, status);
CREATE INDEX plans_date       ON plans(date, time, status);
CREATE INDEX plans_customer   ON plans(customer_id, status, date);
-- The reminder job's queue: only plans that still owe a reminder.
CREATE INDEX plans_reminders ON plans(remind_at)
    WHERE remind_at IS NOT NULL AND status = 'planned' AND (notified_at IS NULL OR emailed_at IS NULL);

-- Opportunities (商机). Amounts are in fen (1/100 yuan).
CREATE TABLE opportunities (
    id             INTEGER PRIMARY KEY,
    code           TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    customer_id    INTEGER NOT NULL REFERENCES customers(id),
    owner_id       INTEGER NOT NULL REFERENCES users(id),
    amount_fen     INTEGER NOT NULL DEFAULT 0 CHECK (amount_fen >= 0),
    expected_close TEXT,
    stage_id       INTEGER REFERENCES aux_items(id),
    probability    INTEGER NOT NULL DEFAULT 0 CHECK (probability BETWEEN 0 AND 100),
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
    close_reason   TEXT NOT NULL DEFAULT '',
    closed_at      TEXT,
    notes          TEXT NOT NULL DEFAULT '',
    created_at     TEXT NOT NULL,
    created_by     INTEGER,
    updated_at     TEXT NOT NULL,
    updated_by     INTEGER
);
CREATE INDEX opportunities_status_stage ON opportunities(status, stage_id, expected_close);
CREATE INDEX opportunities_owner        ON opportunities(owner_id, status, stage_id);
CREATE INDEX opportunities_customer     ON opportunities(customer_id, status);

-- In-app notifications (the bell). One reminder notification per plan.
CREATE TABLE notifications (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    plan_id    INTEGER REFERENCES plans(id) ON DELETE CASCADE,
    read_at    TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX notifications_user ON notifications(user_id, id);
CREATE INDEX notifications_unread ON notifications(user_id) WHERE read_at IS NULL;
CREATE UNIQUE INDEX notifications_plan ON notifications(plan_id, kind) WHERE plan_id IS NOT NULL;

-- iCalendar feed tokens: only a SHA-256 hash of the secret is kept.
CREATE TABLE calendar_tokens (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

-- One row per run of a scheduled job.
CREATE TABLE job_runs (
    id          INTEGER PRIMARY KEY,
    job         TEXT NOT NULL,
    trigger     TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    duration_ms INTEGER,
    ok          INTEGER,
    result      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX job_runs_job ON job_runs(job, id);
