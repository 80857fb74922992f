-- Placeholder for migration 0014, which another branch (accounts) uses.
-- The API branch was given 0015; this empty file only keeps the numbers
-- contiguous until the lead merges, and is to be DELETED at that merge.
SELECT 1;
