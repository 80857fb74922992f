-- The recycle bin (回收站): a deleted record and everything that hung on it
-- are moved out of their tables into one row here (a JSON snapshot), so no
-- list, search, report, calendar, feed or export can show them; a restore
-- puts the rows back, a purge after the retention period forgets them.
CREATE TABLE trash (
    id          INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,    -- customer, prospect, contact, activity, plan, opportunity, campaign, issue, article, report
    record_id   INTEGER NOT NULL,
    code        TEXT NOT NULL DEFAULT '',
    label       TEXT NOT NULL DEFAULT '',
    data        TEXT NOT NULL,    -- {"rows": [...], "links": [...]}
    row_count   INTEGER NOT NULL,
    deleted_by  INTEGER REFERENCES users(id),
    deleted_at  TEXT NOT NULL
);
CREATE INDEX trash_deleted_at ON trash(deleted_at);
CREATE INDEX trash_deleted_by ON trash(deleted_by, deleted_at);
