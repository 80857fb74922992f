-- Open plans per owner, kept up to date by triggers (issue 19, start pages).
--
-- The manager's start page and digest show each salesperson's overdue
-- plans (still planned, dated before today). Counting them walked every
-- open past plan of the team in plans_open_owner_date (37,000 index entries
-- on the benchmark data, 4 ms of a 5 ms page). Overdue is now this count
-- minus the open plans from today on, which are few (plans are made for
-- the coming days) and counted over the same index.
CREATE TABLE open_plan_counts (
    owner_id INTEGER PRIMARY KEY,
    n        INTEGER NOT NULL
);

CREATE TRIGGER plans_open_count_insert AFTER INSERT ON plans
WHEN NEW.status = 'planned' BEGIN
    INSERT INTO open_plan_counts VALUES (NEW.owner_id, 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER plans_open_count_delete AFTER DELETE ON plans
WHEN OLD.status = 'planned' BEGIN
    UPDATE open_plan_counts SET n = n - 1 WHERE owner_id = OLD.owner_id;
END;

CREATE TRIGGER plans_open_count_update AFTER UPDATE OF status, owner_id ON plans
WHEN OLD.status IS NOT NEW.status OR OLD.owner_id IS NOT NEW.owner_id BEGIN
    UPDATE open_plan_counts SET n = n - 1 WHERE OLD.status = 'planned' AND owner_id = OLD.owner_id;
    INSERT INTO open_plan_counts SELECT NEW.owner_id, 1 WHERE NEW.status = 'planned'
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

INSERT INTO open_plan_counts (owner_id, n)
    SELECT owner_id, COUNT(*) FROM plans WHERE status = 'planned' GROUP BY owner_id;
