-- The import wizard finds the header below title rows (or a person picks
-- it): the line it is on, and how many cells were filled from merged cells
-- above them, shown in the preview.
ALTER TABLE import_jobs ADD COLUMN header_line INTEGER NOT NULL DEFAULT 0;
ALTER TABLE import_jobs ADD COLUMN merged_cells INTEGER NOT NULL DEFAULT 0;
