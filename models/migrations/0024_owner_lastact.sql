-- A salesperson's customer list sorted by latest activity (issue 16,
-- BENCHMARKS.md "Teams"): SQLite walked the global (kind, last activity)
-- index and kept one owner's rows, 1 in 100 on the benchmark data (5-8 ms).
-- This index holds each owner's rows in that order, as
-- customers_kind_owner does for the name.
CREATE INDEX customers_kind_owner_lastact ON customers(kind, owner_id, last_activity_date, id);
