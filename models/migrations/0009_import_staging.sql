-- The import wizard parses an upload once, into these rows: every non-blank
-- line of the chosen sheet, the lines above the header included (so another
-- header row can be chosen without parsing again). The mapping, the preview
-- and the import read from here; a finished job's rows are removed.
CREATE TABLE import_rows (
    job_id INTEGER NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    line   INTEGER NOT NULL,
    cells  TEXT NOT NULL, -- a JSON array of strings
    PRIMARY KEY (job_id, line)
) WITHOUT ROWID;
ALTER TABLE import_jobs ADD COLUMN staged INTEGER NOT NULL DEFAULT 0;
-- How to read text dates with the year last (3/5/1990): mdy or dmy.
ALTER TABLE import_jobs ADD COLUMN date_order TEXT NOT NULL DEFAULT 'mdy' CHECK (date_order IN ('mdy', 'dmy'));

-- A row imported with a warning (a bad optional value left empty) is
-- reported too: outcome 'created' joins the others.
CREATE TABLE import_results_new (
    job_id    INTEGER NOT NULL REFERENCES import_jobs(id) ON DELETE CASCADE,
    row_no    INTEGER NOT NULL,
    outcome   TEXT NOT NULL CHECK (outcome IN ('created', 'updated', 'skipped', 'failed')),
    reason    TEXT NOT NULL DEFAULT '',
    record_id INTEGER,
    PRIMARY KEY (job_id, row_no)
) WITHOUT ROWID;
INSERT INTO import_results_new SELECT job_id, row_no, outcome, reason, record_id FROM import_results;
DROP TABLE import_results;
ALTER TABLE import_results_new RENAME TO import_results;
