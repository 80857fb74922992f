-- The two list-counter triggers as migration 0007 first shipped them (before commit 0f46776).

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
