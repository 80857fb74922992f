-- Personal tasks (issue 19): a plan without a customer ("prepare the
-- quarterly report"), a to-do of its owner. SQLite cannot drop a NOT NULL
-- constraint, so plans is rebuilt with customer_id nullable, its rows, ids,
-- indexes and triggers kept.
--
-- Migrations run in a transaction with foreign keys on, where they cannot be
-- switched off: dropping the old table deletes its rows first, and that
-- deletes the notifications of plans (ON DELETE CASCADE). They are kept
-- aside and put back once the new table has the old one's name. The drop
-- fires no triggers, so open_plan_counts stays as it is.
CREATE TABLE plans_new (
    id                 INTEGER PRIMARY KEY,
    code               TEXT NOT NULL UNIQUE,
    date               TEXT NOT NULL,
    time               TEXT NOT NULL DEFAULT '',
    owner_id           INTEGER NOT NULL REFERENCES users(id),
    customer_id        INTEGER REFERENCES customers(id), -- NULL: a personal task
    contact_id         INTEGER REFERENCES contacts(id) ON DELETE SET NULL,
    method_id          INTEGER REFERENCES aux_items(id),
    subject            TEXT NOT NULL,
    content            TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'planned' CHECK (status IN ('planned', 'done', 'cancelled')),
    origin             TEXT NOT NULL CHECK (origin IN ('manual', 'batch', 'activity')),
    source_activity_id INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    done_activity_id   INTEGER REFERENCES activities(id) ON DELETE SET NULL,
    remind_minutes     INTEGER CHECK (remind_minutes BETWEEN 0 AND 10080),
    remind_at          TEXT,
    notified_at        TEXT,
    emailed_at         TEXT,
    email_attempts     INTEGER NOT NULL DEFAULT 0,
    email_result       TEXT NOT NULL DEFAULT '',
    created_at         TEXT NOT NULL,
    created_by         INTEGER,
    updated_at         TEXT NOT NULL,
    updated_by         INTEGER
);

INSERT INTO plans_new (id, code, date, time, owner_id, customer_id, contact_id, method_id, subject, content, status, origin,
        source_activity_id, done_activity_id, remind_minutes, remind_at, notified_at, emailed_at, email_attempts,
        email_result, created_at, created_by, updated_at, updated_by)
    SELECT id, code, date, time, owner_id, customer_id, contact_id, method_id, subject, content, status, origin,
        source_activity_id, done_activity_id, remind_minutes, remind_at, notified_at, emailed_at, email_attempts,
        email_result, created_at, created_by, updated_at, updated_by FROM plans;

CREATE TEMP TABLE plan_notifications_kept AS SELECT * FROM notifications WHERE plan_id IS NOT NULL;
DROP TABLE plans;
ALTER TABLE plans_new RENAME TO plans;
INSERT INTO notifications SELECT * FROM plan_notifications_kept;
DROP TABLE plan_notifications_kept;

CREATE UNIQUE INDEX plans_source_activity ON plans(source_activity_id) WHERE source_activity_id IS NOT NULL;
CREATE INDEX plans_done_activity ON plans(done_activity_id) WHERE done_activity_id IS NOT NULL;
CREATE INDEX plans_owner_date ON plans(owner_id, date, time, status);
CREATE INDEX plans_date       ON plans(date, time, status);
CREATE INDEX plans_customer   ON plans(customer_id, status, date);
CREATE INDEX plans_reminders ON plans(remind_at)
    WHERE remind_at IS NOT NULL AND status = 'planned' AND (notified_at IS NULL OR emailed_at IS NULL);
CREATE INDEX plans_report ON plans(date, owner_id, status);
CREATE INDEX plans_open_owner_date ON plans(owner_id, date, time, status) WHERE status = 'planned';

-- The triggers of the open_plan_counts migration, as they were.
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
