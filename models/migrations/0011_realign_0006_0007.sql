-- Migrations 0006 and 0007 were edited after they had shipped: databases made
-- before those edits lack the index on issues(reported_at) and keep the first,
-- slower text of two list-counter triggers. This brings every database in line
-- with a fresh one (the triggers' effect is the same; only their text differs).
CREATE INDEX IF NOT EXISTS issues_reported ON issues(reported_at);

DROP TRIGGER IF EXISTS customers_count_insert;
DROP TRIGGER IF EXISTS customers_count_update;

CREATE TRIGGER customers_count_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_counts VALUES (NEW.kind, 0, '', 0, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'industry', COALESCE(NEW.industry_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'grade', COALESCE(NEW.grade_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'region', COALESCE(NEW.region_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'source', COALESCE(NEW.source_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'stage', COALESCE(NEW.stage_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, '', 0, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'industry', COALESCE(NEW.industry_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'grade', COALESCE(NEW.grade_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'region', COALESCE(NEW.region_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'source', COALESCE(NEW.source_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'stage', COALESCE(NEW.stage_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;

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
    INSERT INTO customer_counts VALUES (NEW.kind, 0, '', 0, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'industry', COALESCE(NEW.industry_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'grade', COALESCE(NEW.grade_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'region', COALESCE(NEW.region_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'source', COALESCE(NEW.source_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, 0, 'stage', COALESCE(NEW.stage_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, '', 0, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'industry', COALESCE(NEW.industry_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'grade', COALESCE(NEW.grade_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'region', COALESCE(NEW.region_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'source', COALESCE(NEW.source_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO customer_counts VALUES (NEW.kind, NEW.owner_id, 'stage', COALESCE(NEW.stage_id, 0), 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;
