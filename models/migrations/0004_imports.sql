-- Import wizard: one row per upload, and the outcome of every row that was
-- not simply created (updated, skipped, failed), for the report.
CREATE TABLE import_jobs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('customer', 'prospect', 'contact')),
    file_name   TEXT NOT NULL,
    path        TEXT NOT NULL,
    format      TEXT NOT NULL CHECK (format IN ('csv', 'xlsx')),
    sheet       TEXT NOT NULL DEFAULT '',
    sheets      TEXT NOT NULL DEFAULT '[]',
    encoding    TEXT NOT NULL DEFAULT '',
    header      TEXT NOT NULL DEFAULT '[]',
    mapping     TEXT NOT NULL DEFAULT '[]',
    value_map   TEXT NOT NULL DEFAULT '{}',
    dup_mode    TEXT NOT NULL DEFAULT 'skip' CHECK (dup_mode IN ('skip', 'update', 'create')),
    match_by    TEXT NOT NULL DEFAULT '[]',
    status      TEXT NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'ready', 'running', 'done', 'failed', 'cancelled')),
    total       INTEGER NOT NULL DEFAULT 0,
    processed   INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    skipped     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0,
    error       TEXT NOT NULL DEFAULT '',
    started_at  TEXT,
    finished_at TEXT,
    created_at  TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    updated_at  TEXT NOT NULL,
    updated_by  INTEGER
);
CREATE INDEX import_jobs_user ON import_jobs(created_by, id);

CREATE TABLE import_results (
    job_id    INTEGER NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    row_no    INTEGER NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('updated', 'skipped', 'failed')),
    reason    TEXT NOT NULL DEFAULT '',
    record_id INTEGER,
    PRIMARY KEY (job_id, row_no)
) WITHOUT ROWID;
