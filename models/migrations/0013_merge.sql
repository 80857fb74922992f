-- Duplicates and merges (issue 12).
--
-- name_key is the company name reduced by models.NameKey (full-width,
-- brackets, place prefixes and legal suffixes gone), written in Go at every
-- write of a name; rows from before this migration get it at the next start
-- (models.DB.fillNameKeys). The index serves the form's duplicate check and
-- the managers' "possible duplicates" list, whose GROUP BY reads only the
-- index (kind, key, status: no row lookups; 100k rows in a few ms). The same
-- shape for phone and e-mail.
ALTER TABLE customers ADD COLUMN name_key TEXT;
CREATE INDEX customers_name_key ON customers(kind, name_key, status);
CREATE INDEX customers_kind_phone ON customers(kind, phone, status) WHERE phone <> '';
CREATE INDEX customers_kind_email ON customers(kind, email COLLATE NOCASE, status) WHERE email <> '';
CREATE INDEX customers_name_key_todo ON customers(id) WHERE name_key IS NULL;

-- A merged-away customer or prospect leaves its row (so every list, count,
-- report, export and search stays right without a filter) and is remembered
-- here: its code and id lead to the survivor, and data keeps its values.
CREATE TABLE customer_merges (
    old_id      INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    survivor_id INTEGER NOT NULL, -- no foreign key: a survivor in the recycle bin is simply not found
    data        TEXT NOT NULL,    -- the merged-away row as JSON
    merged_by   INTEGER REFERENCES users(id),
    merged_at   TEXT NOT NULL
);
CREATE INDEX customer_merges_survivor ON customer_merges(survivor_id);
CREATE INDEX customer_merges_code ON customer_merges(code);
