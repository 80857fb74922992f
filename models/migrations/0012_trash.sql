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

-- A customer's card looks up the prospect it was converted from; without an
-- index that scanned the whole customers table on every view (30 ms at 100k).
CREATE INDEX customers_converted_to ON customers(converted_to_id) WHERE converted_to_id IS NOT NULL;
