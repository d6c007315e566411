-- The case list at a million cases (measured by bench/): exact totals without
-- counting every case, indexes for the list's filters and sort orders, and
-- planner statistics. Keep in step with ../postgres/0002_case_list.sql.

-- How many cases share each combination of the columns that the list's
-- filters (other than free text) and every record scope test. Kept by the
-- triggers below, so a total is a sum over a few hundred rows.
CREATE TABLE case_counts (
    status TEXT NOT NULL,
    country_of_return TEXT,
    programme_id UUID NOT NULL,
    counsellor_id UUID,
    created_by UUID,
    n BIGINT NOT NULL
);
CREATE UNIQUE INDEX case_counts_key ON case_counts (
    status, IFNULL(country_of_return, ''), programme_id, IFNULL(counsellor_id, ''), IFNULL(created_by, ''));

INSERT INTO case_counts (status, country_of_return, programme_id, counsellor_id, created_by, n)
SELECT status, country_of_return, programme_id, counsellor_id, created_by, COUNT(*)
FROM cases GROUP BY status, country_of_return, programme_id, counsellor_id, created_by;

CREATE TRIGGER case_counts_insert AFTER INSERT ON cases
BEGIN
    INSERT INTO case_counts (status, country_of_return, programme_id, counsellor_id, created_by, n)
    SELECT NEW.status, NEW.country_of_return, NEW.programme_id, NEW.counsellor_id, NEW.created_by, 0
    WHERE NOT EXISTS (SELECT 1 FROM case_counts WHERE status = NEW.status
        AND IFNULL(country_of_return, '') = IFNULL(NEW.country_of_return, '') AND programme_id = NEW.programme_id
        AND IFNULL(counsellor_id, '') = IFNULL(NEW.counsellor_id, '') AND IFNULL(created_by, '') = IFNULL(NEW.created_by, ''));
    UPDATE case_counts SET n = n + 1 WHERE status = NEW.status
        AND IFNULL(country_of_return, '') = IFNULL(NEW.country_of_return, '') AND programme_id = NEW.programme_id
        AND IFNULL(counsellor_id, '') = IFNULL(NEW.counsellor_id, '') AND IFNULL(created_by, '') = IFNULL(NEW.created_by, '');
END;

CREATE TRIGGER case_counts_delete AFTER DELETE ON cases
BEGIN
    UPDATE case_counts SET n = n - 1 WHERE status = OLD.status
        AND IFNULL(country_of_return, '') = IFNULL(OLD.country_of_return, '') AND programme_id = OLD.programme_id
        AND IFNULL(counsellor_id, '') = IFNULL(OLD.counsellor_id, '') AND IFNULL(created_by, '') = IFNULL(OLD.created_by, '');
END;

CREATE TRIGGER case_counts_update AFTER UPDATE OF status, country_of_return, programme_id, counsellor_id, created_by ON cases
WHEN OLD.status IS NOT NEW.status OR OLD.country_of_return IS NOT NEW.country_of_return
    OR OLD.programme_id IS NOT NEW.programme_id OR OLD.counsellor_id IS NOT NEW.counsellor_id
    OR OLD.created_by IS NOT NEW.created_by
BEGIN
    UPDATE case_counts SET n = n - 1 WHERE status = OLD.status
        AND IFNULL(country_of_return, '') = IFNULL(OLD.country_of_return, '') AND programme_id = OLD.programme_id
        AND IFNULL(counsellor_id, '') = IFNULL(OLD.counsellor_id, '') AND IFNULL(created_by, '') = IFNULL(OLD.created_by, '');
    INSERT INTO case_counts (status, country_of_return, programme_id, counsellor_id, created_by, n)
    SELECT NEW.status, NEW.country_of_return, NEW.programme_id, NEW.counsellor_id, NEW.created_by, 0
    WHERE NOT EXISTS (SELECT 1 FROM case_counts WHERE status = NEW.status
        AND IFNULL(country_of_return, '') = IFNULL(NEW.country_of_return, '') AND programme_id = NEW.programme_id
        AND IFNULL(counsellor_id, '') = IFNULL(NEW.counsellor_id, '') AND IFNULL(created_by, '') = IFNULL(NEW.created_by, ''));
    UPDATE case_counts SET n = n + 1 WHERE status = NEW.status
        AND IFNULL(country_of_return, '') = IFNULL(NEW.country_of_return, '') AND programme_id = NEW.programme_id
        AND IFNULL(counsellor_id, '') = IFNULL(NEW.counsellor_id, '') AND IFNULL(created_by, '') = IFNULL(NEW.created_by, '');
END;

-- Both filters with the default order, and the sort orders that had no index.
CREATE INDEX cases_status_country_updated ON cases (status, country_of_return, updated_at);
CREATE INDEX cases_status_id ON cases (status, id);
CREATE INDEX cases_referred ON cases (referred_at);

-- Planner statistics for a large database. Without any, SQLite guesses that an
-- equality on an indexed column matches about ten rows, so for a supervisor's
-- team or a counsellor's own cases it fetches every case in scope through the
-- counsellor and creator indexes and sorts them all, instead of walking the
-- sort order and stopping after one page. These figures describe the shape of
-- the data (rows, then rows per distinct key prefix): a dozen statuses and
-- countries, a team of about five counsellors. `ANALYZE` replaces them with
-- measured ones.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'cases';
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('cases', 'sqlite_autoindex_cases_1', '1000000 1'),
    ('cases', 'sqlite_autoindex_cases_2', '1000000 1'),
    ('cases', 'cases_updated', '1000000 1'),
    ('cases', 'cases_status_updated', '1000000 80000 1'),
    ('cases', 'cases_counsellor_updated', '1000000 200000 1'),
    ('cases', 'cases_created_by', '1000000 200000'),
    ('cases', 'cases_country_updated', '1000000 80000 1'),
    ('cases', 'cases_principal', '1000000 1'),
    ('cases', 'cases_status_country_updated', '1000000 80000 8000 1'),
    ('cases', 'cases_status_id', '1000000 80000 1'),
    ('cases', 'cases_referred', '1000000 1');
ANALYZE sqlite_schema;
