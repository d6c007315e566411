-- The case list's sort orders at a million cases (bench/RESULTS.md): sorting
-- by name, case number, referral date or status read every matching case and
-- sorted them (0.1-2 s a page at 100k). Each order now has an index under
-- each of the list's filters (none, status, country, both) that holds the
-- tie-breaker (id) and the columns the record scopes test, so a page is cut
-- from an index walked in order, like the default order's (0005).
-- Keep in step with ../postgres/0020_case_list_sort.sql.

-- The principal's name, copied onto the case so that it can be indexed with
-- the case's filters (an index cannot span cases and persons). Kept equal to
-- persons.display_name by the triggers below; the bulk loader (demo.rs)
-- writes it itself with the insert trigger set aside.
ALTER TABLE cases ADD COLUMN principal_name TEXT NOT NULL DEFAULT '';
UPDATE cases SET principal_name = IFNULL((SELECT p.display_name FROM persons p WHERE p.id = cases.principal_person_id), '');

CREATE TRIGGER cases_principal_name_insert AFTER INSERT ON cases
WHEN NEW.principal_name IS NOT (SELECT p.display_name FROM persons p WHERE p.id = NEW.principal_person_id)
BEGIN
    UPDATE cases SET principal_name = IFNULL((SELECT p.display_name FROM persons p WHERE p.id = NEW.principal_person_id), '')
    WHERE id = NEW.id;
END;

CREATE TRIGGER cases_principal_name_update AFTER UPDATE OF principal_person_id, principal_name ON cases
WHEN NEW.principal_name IS NOT (SELECT p.display_name FROM persons p WHERE p.id = NEW.principal_person_id)
BEGIN
    UPDATE cases SET principal_name = IFNULL((SELECT p.display_name FROM persons p WHERE p.id = NEW.principal_person_id), '')
    WHERE id = NEW.id;
END;

CREATE TRIGGER persons_display_name_cases AFTER UPDATE OF display_name ON persons
WHEN OLD.display_name IS NOT NEW.display_name
BEGIN
    UPDATE cases SET principal_name = NEW.display_name WHERE principal_person_id = NEW.id;
END;

-- Case number (unique, but id is kept as the tie-breaker the query names).
CREATE INDEX cases_number ON cases (case_number, id, status, counsellor_id, created_by);
CREATE INDEX cases_status_number ON cases (status, case_number, id, counsellor_id, created_by);
CREATE INDEX cases_country_number ON cases (country_of_return, case_number, id, status, counsellor_id, created_by);
CREATE INDEX cases_status_country_number ON cases (status, country_of_return, case_number, id, counsellor_id, created_by);
-- Principal's name.
CREATE INDEX cases_name ON cases (principal_name, id, status, counsellor_id, created_by);
CREATE INDEX cases_status_name ON cases (status, principal_name, id, counsellor_id, created_by);
CREATE INDEX cases_country_name ON cases (country_of_return, principal_name, id, status, counsellor_id, created_by);
CREATE INDEX cases_status_country_name ON cases (status, country_of_return, principal_name, id, counsellor_id, created_by);
-- Referral date.
DROP INDEX cases_referred;
CREATE INDEX cases_referred ON cases (referred_at, id, status, counsellor_id, created_by);
CREATE INDEX cases_status_referred ON cases (status, referred_at, id, counsellor_id, created_by);
CREATE INDEX cases_country_referred ON cases (country_of_return, referred_at, id, status, counsellor_id, created_by);
CREATE INDEX cases_status_country_referred ON cases (status, country_of_return, referred_at, id, counsellor_id, created_by);
-- Status (then id): one index without the country filter, one with it.
DROP INDEX cases_status_id;
CREATE INDEX cases_status_id ON cases (status, id, counsellor_id, created_by);
CREATE INDEX cases_country_status ON cases (country_of_return, status, id, counsellor_id, created_by);

-- Planner statistics for the new and rebuilt indexes (see 0002 for why they
-- are set): a dozen statuses and countries, names shared by a few cases.
ANALYZE sqlite_schema;
DELETE FROM sqlite_stat1 WHERE tbl = 'cases' AND idx IN ('cases_referred', 'cases_status_id');
INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
    ('cases', 'cases_number', '1000000 1 1 1 1 1'),
    ('cases', 'cases_status_number', '1000000 80000 1 1 1 1'),
    ('cases', 'cases_country_number', '1000000 80000 1 1 1 1 1'),
    ('cases', 'cases_status_country_number', '1000000 80000 8000 1 1 1 1'),
    ('cases', 'cases_name', '1000000 3 1 1 1 1'),
    ('cases', 'cases_status_name', '1000000 80000 2 1 1 1'),
    ('cases', 'cases_country_name', '1000000 80000 2 1 1 1 1'),
    ('cases', 'cases_status_country_name', '1000000 80000 8000 1 1 1 1'),
    ('cases', 'cases_referred', '1000000 1 1 1 1 1'),
    ('cases', 'cases_status_referred', '1000000 80000 1 1 1 1'),
    ('cases', 'cases_country_referred', '1000000 80000 1 1 1 1 1'),
    ('cases', 'cases_status_country_referred', '1000000 80000 8000 1 1 1 1'),
    ('cases', 'cases_status_id', '1000000 80000 1 1 1'),
    ('cases', 'cases_country_status', '1000000 80000 8000 1 1 1');
ANALYZE sqlite_schema;
