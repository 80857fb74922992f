-- Totals of the activity-record list, kept up to date by triggers (issue 19).
--
-- The list shows an exact total. With no filter but the row rule (a
-- salesperson sees their own records, a manager everyone's), COUNT(*) walked
-- every record: 1,000,000 index entries for a manager, on every page view.
-- Those two totals are kept here and read with one primary-key lookup
-- (models.ActivityFilter.counted); any other filter still counts, over the
-- date or customer indexes that narrow it.
CREATE TABLE activity_counts (
    owner_id INTEGER PRIMARY KEY, -- 0: every owner
    n        INTEGER NOT NULL
);

CREATE TRIGGER activities_count_insert AFTER INSERT ON activities BEGIN
    INSERT INTO activity_counts VALUES (0, 1) ON CONFLICT DO UPDATE SET n = n + 1;
    INSERT INTO activity_counts VALUES (NEW.owner_id, 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER activities_count_delete AFTER DELETE ON activities BEGIN
    UPDATE activity_counts SET n = n - 1 WHERE owner_id IN (0, OLD.owner_id);
END;

CREATE TRIGGER activities_count_owner AFTER UPDATE OF owner_id ON activities
WHEN NEW.owner_id IS NOT OLD.owner_id BEGIN
    UPDATE activity_counts SET n = n - 1 WHERE owner_id = OLD.owner_id;
    INSERT INTO activity_counts VALUES (NEW.owner_id, 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;

INSERT INTO activity_counts (owner_id, n) SELECT 0, COUNT(*) FROM activities;
INSERT INTO activity_counts (owner_id, n) SELECT owner_id, COUNT(*) FROM activities GROUP BY owner_id;
