-- CRM reports (CRM报表): built-in analyses and user-defined reports with the
-- users and roles who may open them, scheduled e-mail of reports, the
-- managers' digest, and the record of what was sent for which period.

-- One row per report. A built-in analysis has its key in builtin and its
-- name in the message files; a user-defined report (新增报表类型) has a
-- name, a category and its definition as JSON (models/reportdef.go).
CREATE TABLE reports (
    id         INTEGER PRIMARY KEY,
    builtin    TEXT UNIQUE,
    name       TEXT NOT NULL DEFAULT '',
    category   TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL DEFAULT '{}',
    owner_id   INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL,
    created_by INTEGER,
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);
CREATE INDEX reports_owner ON reports(owner_id) WHERE owner_id IS NOT NULL;

-- Report users (设置报表用户): the roles and the users who may open a
-- report, besides admins and the report's owner.
CREATE TABLE report_roles (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    role      TEXT NOT NULL CHECK (role IN ('manager', 'sales', 'service')),
    PRIMARY KEY (report_id, role)
) WITHOUT ROWID;

CREATE TABLE report_users (
    report_id INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    user_id   INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (report_id, user_id)
) WITHOUT ROWID;
CREATE INDEX report_users_user ON report_users(user_id, report_id);

-- E-mailing a report on a schedule. The schedule is a cron expression in
-- the business's time zone (daily, weekly and monthly are written as one);
-- next_run_at is the next firing in UTC, and also names the period a
-- delivery belongs to. period is the relative period a built-in analysis
-- covers when it is sent (e.g. last_7_days).
CREATE TABLE report_schedules (
    id          INTEGER PRIMARY KEY,
    report_id   INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,
    frequency   TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly', 'cron')),
    hour        INTEGER NOT NULL DEFAULT 8 CHECK (hour BETWEEN 0 AND 23),
    weekday     INTEGER NOT NULL DEFAULT 1 CHECK (weekday BETWEEN 0 AND 6),
    monthday    INTEGER NOT NULL DEFAULT 1 CHECK (monthday BETWEEN 1 AND 28),
    cron        TEXT NOT NULL,
    period      TEXT NOT NULL DEFAULT '',
    active      INTEGER NOT NULL DEFAULT 1,
    next_run_at TEXT,
    created_at  TEXT NOT NULL,
    created_by  INTEGER,
    updated_at  TEXT NOT NULL,
    updated_by  INTEGER
);
CREATE INDEX report_schedules_report ON report_schedules(report_id, id);
CREATE INDEX report_schedules_due ON report_schedules(next_run_at) WHERE active = 1 AND next_run_at IS NOT NULL;

CREATE TABLE report_schedule_users (
    schedule_id INTEGER NOT NULL REFERENCES report_schedules(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (schedule_id, user_id)
) WITHOUT ROWID;

-- The managers' digest: one row per manager who switched it on.
CREATE TABLE digest_settings (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    frequency   TEXT NOT NULL CHECK (frequency IN ('off', 'daily', 'weekly')),
    hour        INTEGER NOT NULL DEFAULT 8 CHECK (hour BETWEEN 0 AND 23),
    next_run_at TEXT,
    updated_at  TEXT NOT NULL
);
CREATE INDEX digest_settings_due ON digest_settings(next_run_at) WHERE frequency <> 'off' AND next_run_at IS NOT NULL;

-- What was sent: one row per (scheduled report or digest, recipient,
-- period), inserted in the same transaction as its outbox message, so a
-- period is mailed once even when the job runs twice or the process
-- restarts in between.
CREATE TABLE report_sends (
    kind      TEXT NOT NULL CHECK (kind IN ('report', 'digest')),
    ref_id    INTEGER NOT NULL, -- the schedule, or the manager for a digest
    user_id   INTEGER NOT NULL,
    period    TEXT NOT NULL,
    outbox_id INTEGER REFERENCES outbox(id) ON DELETE SET NULL,
    result    TEXT NOT NULL CHECK (result IN ('queued', 'no_address')),
    at        TEXT NOT NULL,
    PRIMARY KEY (kind, ref_id, user_id, period)
) WITHOUT ROWID;

-- The activity analyses read a period's records from this index alone.
CREATE INDEX activities_report ON activities(date, owner_id, customer_id, method_id, stage_id);
-- Plan completion counts a period's plans per salesperson and status.
CREATE INDEX plans_report ON plans(date, owner_id, status);

-- The built-in analyses, in display order, with the roles that open them
-- by default; an admin changes these under 设置报表用户.
INSERT INTO reports (builtin, created_at, updated_at) VALUES
    ('activities_by_salesperson', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('activities_by_method',      '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('activities_by_stage',       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('activities_by_customer',    '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('activities_by_competitor',  '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('plan_completion',           '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('customers_by_industry',     '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('customers_by_grade',        '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('customers_by_region',       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('customers_by_source',       '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('pipeline_by_stage',         '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('campaign_results',          '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('issues_by_type',            '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z'),
    ('issues_by_priority',        '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');

INSERT INTO report_roles (report_id, role)
    SELECT id, 'manager' FROM reports WHERE builtin IS NOT NULL
    UNION ALL
    SELECT id, 'sales' FROM reports WHERE builtin IN ('activities_by_salesperson', 'activities_by_method', 'activities_by_stage',
        'activities_by_customer', 'activities_by_competitor', 'plan_completion', 'customers_by_industry', 'customers_by_grade',
        'customers_by_region', 'customers_by_source', 'pipeline_by_stage', 'campaign_results')
    UNION ALL
    SELECT id, 'service' FROM reports WHERE builtin IN ('customers_by_industry', 'customers_by_grade', 'customers_by_region',
        'customers_by_source', 'issues_by_type', 'issues_by_priority');
