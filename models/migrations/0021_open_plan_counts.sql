-- Open plans per owner and day, kept up to date by triggers (issue 19,
-- start pages).
--
-- The manager's start page and digest show each salesperson's overdue
-- plans (still planned, dated before today), and the salesperson's page
-- their own. Counting them walked every open past plan of the team in
-- plans_open_owner_date (37,000 index entries on the benchmark data, 4 ms
-- of a 5 ms page). Summing this table walks one row per owner and day
-- instead (1,800 on the same data): plans pile up on days, days do not.
-- A row whose count falls to zero is removed.
CREATE TABLE open_plan_counts (
    owner_id INTEGER NOT NULL,
    date     TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (owner_id, date)
) WITHOUT ROWID;

CREATE TRIGGER plans_open_count_insert AFTER INSERT ON plans
WHEN NEW.status = 'planned' BEGIN
    INSERT INTO open_plan_counts VALUES (NEW.owner_id, NEW.date, 1) ON CONFLICT DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER plans_open_count_delete AFTER DELETE ON plans
WHEN OLD.status = 'planned' BEGIN
    UPDATE open_plan_counts SET n = n - 1 WHERE owner_id = OLD.owner_id AND date = OLD.date;
    DELETE FROM open_plan_counts WHERE owner_id = OLD.owner_id AND date = OLD.date AND n <= 0;
END;

CREATE TRIGGER plans_open_count_update AFTER UPDATE OF status, owner_id, date ON plans
WHEN OLD.status IS NOT NEW.status OR OLD.owner_id IS NOT NEW.owner_id OR OLD.date IS NOT NEW.date BEGIN
    UPDATE open_plan_counts SET n = n - 1 WHERE OLD.status = 'planned' AND owner_id = OLD.owner_id AND date = OLD.date;
    DELETE FROM open_plan_counts WHERE owner_id = OLD.owner_id AND date = OLD.date AND n <= 0;
    INSERT INTO open_plan_counts SELECT NEW.owner_id, NEW.date, 1 WHERE NEW.status = 'planned'
        ON CONFLICT DO UPDATE SET n = n + 1;
END;

INSERT INTO open_plan_counts (owner_id, date, n)
    SELECT owner_id, date, COUNT(*) FROM plans WHERE status = 'planned' GROUP BY owner_id, date;
