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
