-- The default order (last updated first) under each filter: status, country,
-- both, or none. Each index also carries the tie-breaker (id) and the columns
-- the record scopes test, so a page is an index-only scan; without them the
-- planner, costing heap reads as random, walks the all-cases index and
-- filters rather than use the filter's own index.
DROP INDEX cases_updated;
CREATE INDEX cases_updated ON cases (updated_at) INCLUDE (id, status, counsellor_id, created_by);
DROP INDEX cases_status_updated;
CREATE INDEX cases_status_updated ON cases (status, updated_at) INCLUDE (id, counsellor_id, created_by);
DROP INDEX cases_country_updated;
CREATE INDEX cases_country_updated ON cases (country_of_return, updated_at) INCLUDE (id, status, counsellor_id, created_by);
DROP INDEX cases_status_country_updated;
CREATE INDEX cases_status_country_updated ON cases (status, country_of_return, updated_at) INCLUDE (id, counsellor_id, created_by);
