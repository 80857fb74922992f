-- The start pages (issue 19). A salesperson's "customers not contacted for
-- 30 days" counts their active customers by latest activity date: this
-- index answers it from the index alone (about 5,000 entries of one owner
-- among 100,000 customers) instead of reading each of those rows.
CREATE INDEX customers_owner_status_lastact ON customers(kind, owner_id, status, last_activity_date);

-- Overdue plans (the salesperson's start page, the manager's per person and
-- the digest) are those still planned before today: a partial index holds
-- only the planned ones (with their status, so that it covers the queries),
-- where plans_owner_date walks every past plan (a quarter of them, on the
-- benchmark data).
CREATE INDEX plans_open_owner_date ON plans(owner_id, date, time, status) WHERE status = 'planned';
