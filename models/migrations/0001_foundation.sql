-- Foundation: users, sessions, audit log, numbering rules, auxiliary items,
-- customers and prospects with their contacts.
-- Timestamps are RFC 3339 text in UTC; dates are YYYY-MM-DD text.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name  TEXT NOT NULL,
    email         TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'sales', 'service')),
    lang          TEXT NOT NULL DEFAULT '' CHECK (lang IN ('', 'zh', 'en')),
    active        INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    created_by    INTEGER,
    updated_at    TEXT NOT NULL,
    updated_by    INTEGER
);

-- Server-side sessions: the cookie only carries the id, so deleting a row
-- ends the session everywhere (logout, password change, disabled user).
CREATE TABLE sessions (
    id         TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    data       BLOB NOT NULL DEFAULT x'',
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE audit_log (
    id        INTEGER PRIMARY KEY,
    at        TEXT NOT NULL,
    user_id   INTEGER,
    entity    TEXT NOT NULL,
    entity_id INTEGER NOT NULL,
    action    TEXT NOT NULL,
    changes   TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX audit_log_entity ON audit_log(entity, entity_id, id);

-- Numbering rules (CRM参数设定): one row per document kind.
CREATE TABLE numbering_rules (
    kind       TEXT PRIMARY KEY,
    prefix     TEXT NOT NULL,
    date_part  TEXT NOT NULL CHECK (date_part IN ('', 'YYYY', 'YYYYMM', 'YYYYMMDD')),
    width      INTEGER NOT NULL CHECK (width BETWEEN 1 AND 12),
    reset      TEXT NOT NULL CHECK (reset IN ('never', 'yearly', 'monthly', 'daily')),
    updated_at TEXT NOT NULL,
    updated_by INTEGER
);

-- The last serial handed out per kind and reset period.
CREATE TABLE numbering_counters (
    kind   TEXT NOT NULL,
    period TEXT NOT NULL,
    last   INTEGER NOT NULL,
    PRIMARY KEY (kind, period)
) WITHOUT ROWID;

INSERT INTO numbering_rules (kind, prefix, date_part, width, reset, updated_at) VALUES
    ('customer',    'KH', '',         5, 'never',  '2026-01-01T00:00:00Z'),
    ('prospect',    'QZ', '',         5, 'never',  '2026-01-01T00:00:00Z'),
    ('activity',    'HD', 'YYYYMMDD', 3, 'daily',  '2026-01-01T00:00:00Z'),
    ('plan',        'JH', 'YYYYMMDD', 3, 'daily',  '2026-01-01T00:00:00Z'),
    ('campaign',    'SC', 'YYYY',     4, 'yearly', '2026-01-01T00:00:00Z'),
    ('issue',       'WT', 'YYYYMM',   4, 'monthly','2026-01-01T00:00:00Z'),
    ('article',     'ZS', '',         5, 'never',  '2026-01-01T00:00:00Z'),
    ('opportunity', 'SJ', 'YYYY',     4, 'yearly', '2026-01-01T00:00:00Z');

-- Auxiliary items (辅助项目): every typed category list.
CREATE TABLE aux_items (
    id         INTEGER PRIMARY KEY,
    type       TEXT NOT NULL,
    code       TEXT NOT NULL,
    name_zh    TEXT NOT NULL,
    name_en    TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL DEFAULT 0,
    active     INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL,
    created_by INTEGER,
    updated_at TEXT NOT NULL,
    updated_by INTEGER,
    UNIQUE (type, code)
);
CREATE INDEX aux_items_type ON aux_items(type, sort_order, id);

-- Customers and prospects share one table and one shape; kind tells them
-- apart. A converted prospect keeps its row, status 'converted', and points
-- at the customer it became.
CREATE TABLE customers (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('customer', 'prospect')),
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    short_name      TEXT NOT NULL DEFAULT '',
    industry_id     INTEGER REFERENCES aux_items(id),
    source_id       INTEGER REFERENCES aux_items(id),
    grade_id        INTEGER REFERENCES aux_items(id),
    region_id       INTEGER REFERENCES aux_items(id),
    stage_id        INTEGER REFERENCES aux_items(id),
    address         TEXT NOT NULL DEFAULT '',
    phone           TEXT NOT NULL DEFAULT '',
    email           TEXT NOT NULL DEFAULT '',
    website         TEXT NOT NULL DEFAULT '',
    owner_id        INTEGER NOT NULL REFERENCES users(id),
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'converted')),
    notes           TEXT NOT NULL DEFAULT '',
    converted_to_id INTEGER REFERENCES customers(id),
    -- Written back by activity records: the latest activity.
    last_activity_date    TEXT,
    last_activity_content TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    created_by      INTEGER,
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER
);
-- The list pages filter by kind plus one category and sort; these indexes
-- let SQLite walk rows in the sort order without a temporary B-tree.
CREATE INDEX customers_kind_name     ON customers(kind, name, id);
CREATE INDEX customers_kind_owner    ON customers(kind, owner_id, name, id);
CREATE INDEX customers_kind_industry ON customers(kind, industry_id, name, id);
CREATE INDEX customers_kind_grade    ON customers(kind, grade_id, name, id);
CREATE INDEX customers_kind_region   ON customers(kind, region_id, name, id);
CREATE INDEX customers_kind_source   ON customers(kind, source_id, name, id);
CREATE INDEX customers_kind_stage    ON customers(kind, stage_id, name, id);
CREATE INDEX customers_kind_updated  ON customers(kind, updated_at, id);
CREATE INDEX customers_kind_lastact  ON customers(kind, last_activity_date, id);
CREATE INDEX customers_phone ON customers(phone) WHERE phone <> '';
CREATE INDEX customers_email ON customers(email COLLATE NOCASE) WHERE email <> '';

CREATE TABLE customer_traits (
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    item_id     INTEGER NOT NULL REFERENCES aux_items(id),
    PRIMARY KEY (customer_id, item_id)
) WITHOUT ROWID;
CREATE INDEX customer_traits_item ON customer_traits(item_id, customer_id);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    mobile      TEXT NOT NULL DEFAULT '',
    email       TEXT NOT NULL DEFAULT '',
    birthday    TEXT,
    is_primary  INTEGER NOT NULL DEFAULT 0,
    created_at  TEXT NOT NULL,
    created_by  INTEGER,
    updated_at  TEXT NOT NULL,
    updated_by  INTEGER
);
CREATE INDEX contacts_customer ON contacts(customer_id, is_primary DESC, id);
CREATE INDEX contacts_mobile ON contacts(mobile) WHERE mobile <> '';
CREATE INDEX contacts_email ON contacts(email COLLATE NOCASE) WHERE email <> '';

-- Settings that the admin changes in the UI (key/value).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
