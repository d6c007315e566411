-- The default order (last updated first) under each filter: status, country,
-- both, or none. Each index also holds the tie-breaker (id) and the columns
-- the record scopes test, so a page is cut from the index alone, without
-- reading each skipped case's row (a counsellor's list went from 1.3 s to
-- 19 ms p99 at 100k cases; bench/RESULTS.md).
DROP INDEX cases_updated;
CREATE INDEX cases_updated ON cases (updated_at, id, status, counsellor_id, created_by);
DROP INDEX cases_status_updated;
CREATE INDEX cases_status_updated ON cases (status, updated_at, id, counsellor_id, created_by);
DROP INDEX cases_country_updated;
CREATE INDEX cases_country_updated ON cases (country_of_return, updated_at, id, status, counsellor_id, created_by);
DROP INDEX cases_status_country_updated;
CREATE INDEX cases_status_country_updated ON cases (status, country_of_return, updated_at, id, counsellor_id, created_by);

-- Planner statistics for the new index shapes (see 0002 for why they are set).
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'cases';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('cases', 'sqlite_autoindex_cases_1', '1000000 1'),
    ('cases', 'sqlite_autoindex_cases_2', '1000000 1'),
    ('cases', 'cases_updated', '1000000 1 1 1 1 1'),
    ('cases', 'cases_status_updated', '1000000 80000 1 1 1 1'),
    ('cases', 'cases_counsellor_updated', '1000000 200000 1'),
    ('cases', 'cases_created_by', '1000000 200000'),
    ('cases', 'cases_country_updated', '1000000 80000 1 1 1 1 1'),
    ('cases', 'cases_principal', '1000000 1'),
    ('cases', 'cases_status_country_updated', '1000000 80000 8000 1 1 1 1'),
    ('cases', 'cases_status_id', '1000000 80000 1'),
    ('cases', 'cases_referred', '1000000 1');
ANALYZE sqlite_schema;
