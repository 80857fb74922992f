-- Totals of the customer and prospect lists, kept up to date by triggers.
--
-- The list shows an exact total on every page. Counting it with COUNT(*)
-- walks one index entry per matching row: 0.3 ms for one industry of 100,000
-- customers and 3 ms for all of them, on every page view, which was most of
-- the database time of a list page (BENCHMARKS.md, issue 2). Most views are
-- "every record" or "one category", optionally of one owner, so their totals
-- are kept here instead and read with one primary-key lookup
-- (models.CustomerFilter.countKey). Any other filter still counts.
--
-- For every customer row there is a +1 in twelve counters: for every owner
-- (owner_id 0) and for its own owner, the total (dim '') and one per category
-- with the item it has (value 0 for none). The triggers live in the database,
-- so every write path keeps them right, including ones added later.
CREATE TABLE customer_counts (
    kind     TEXT NOT NULL,
    owner_id INTEGER NOT NULL, -- 0: every owner
    dim      TEXT NOT NULL,    -- '', 'industry', 'grade', 'region', 'source' or 'stage'
    value    INTEGER NOT NULL, -- the item id; 0 for the total and for "none"
    n        INTEGER NOT NULL,
    PRIMARY KEY (kind, owner_id, dim, value)
) WITHOUT ROWID;

-- SQLite has no functions in SQL, so the triggers and the backfill at the
-- end each spell out the twelve counters of a row; keep them in step.
CREATE TRIGGER customers_count_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_counts (kind, owner_id, dim, value, n)
    SELECT NEW.kind, o.id, d.dim, d.value, 1
    FROM (SELECT 0 AS id UNION ALL SELECT NEW.owner_id) o,
         (SELECT '' AS dim, 0 AS value
          UNION ALL SELECT 'industry', COALESCE(NEW.industry_id, 0)
          UNION ALL SELECT 'grade', COALESCE(NEW.grade_id, 0)
          UNION ALL SELECT 'region', COALESCE(NEW.region_id, 0)
          UNION ALL SELECT 'source', COALESCE(NEW.source_id, 0)
          UNION ALL SELECT 'stage', COALESCE(NEW.stage_id, 0)) d
    WHERE true
    ON CONFLICT (kind, owner_id, dim, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER customers_count_delete AFTER DELETE ON customers BEGIN
    UPDATE customer_counts SET n = n - 1
    WHERE kind = OLD.kind AND owner_id IN (0, OLD.owner_id) AND (dim, value) IN (
        VALUES ('', 0), ('industry', COALESCE(OLD.industry_id, 0)), ('grade', COALESCE(OLD.grade_id, 0)),
               ('region', COALESCE(OLD.region_id, 0)), ('source', COALESCE(OLD.source_id, 0)),
               ('stage', COALESCE(OLD.stage_id, 0)));
END;

-- An update that moves a row between counters takes it out of the old ones
-- and adds it to the new ones; other updates (the activity write-back, notes,
-- status) do not touch the counters.
CREATE TRIGGER customers_count_update AFTER UPDATE OF kind, owner_id, industry_id, grade_id, region_id, source_id, stage_id
ON customers
WHEN (OLD.kind, OLD.owner_id, OLD.industry_id, OLD.grade_id, OLD.region_id, OLD.source_id, OLD.stage_id)
     IS NOT (NEW.kind, NEW.owner_id, NEW.industry_id, NEW.grade_id, NEW.region_id, NEW.source_id, NEW.stage_id)
BEGIN
    UPDATE customer_counts SET n = n - 1
    WHERE kind = OLD.kind AND owner_id IN (0, OLD.owner_id) AND (dim, value) IN (
        VALUES ('', 0), ('industry', COALESCE(OLD.industry_id, 0)), ('grade', COALESCE(OLD.grade_id, 0)),
               ('region', COALESCE(OLD.region_id, 0)), ('source', COALESCE(OLD.source_id, 0)),
               ('stage', COALESCE(OLD.stage_id, 0)));
    INSERT INTO customer_counts (kind, owner_id, dim, value, n)
    SELECT NEW.kind, o.id, d.dim, d.value, 1
    FROM (SELECT 0 AS id UNION ALL SELECT NEW.owner_id) o,
         (SELECT '' AS dim, 0 AS value
          UNION ALL SELECT 'industry', COALESCE(NEW.industry_id, 0)
          UNION ALL SELECT 'grade', COALESCE(NEW.grade_id, 0)
          UNION ALL SELECT 'region', COALESCE(NEW.region_id, 0)
          UNION ALL SELECT 'source', COALESCE(NEW.source_id, 0)
          UNION ALL SELECT 'stage', COALESCE(NEW.stage_id, 0)) d
    WHERE true
    ON CONFLICT (kind, owner_id, dim, value) DO UPDATE SET n = n + 1;
END;

-- The rows that exist already.
INSERT INTO customer_counts (kind, owner_id, dim, value, n)
          SELECT kind, 0, '', 0, COUNT(*) FROM customers GROUP BY kind
UNION ALL SELECT kind, owner_id, '', 0, COUNT(*) FROM customers GROUP BY kind, owner_id
UNION ALL SELECT kind, 0, 'industry', COALESCE(industry_id, 0), COUNT(*) FROM customers GROUP BY kind, industry_id
UNION ALL SELECT kind, owner_id, 'industry', COALESCE(industry_id, 0), COUNT(*) FROM customers GROUP BY kind, owner_id, industry_id
UNION ALL SELECT kind, 0, 'grade', COALESCE(grade_id, 0), COUNT(*) FROM customers GROUP BY kind, grade_id
UNION ALL SELECT kind, owner_id, 'grade', COALESCE(grade_id, 0), COUNT(*) FROM customers GROUP BY kind, owner_id, grade_id
UNION ALL SELECT kind, 0, 'region', COALESCE(region_id, 0), COUNT(*) FROM customers GROUP BY kind, region_id
UNION ALL SELECT kind, owner_id, 'region', COALESCE(region_id, 0), COUNT(*) FROM customers GROUP BY kind, owner_id, region_id
UNION ALL SELECT kind, 0, 'source', COALESCE(source_id, 0), COUNT(*) FROM customers GROUP BY kind, source_id
UNION ALL SELECT kind, owner_id, 'source', COALESCE(source_id, 0), COUNT(*) FROM customers GROUP BY kind, owner_id, source_id
UNION ALL SELECT kind, 0, 'stage', COALESCE(stage_id, 0), COUNT(*) FROM customers GROUP BY kind, stage_id
UNION ALL SELECT kind, owner_id, 'stage', COALESCE(stage_id, 0), COUNT(*) FROM customers GROUP BY kind, owner_id, stage_id;
