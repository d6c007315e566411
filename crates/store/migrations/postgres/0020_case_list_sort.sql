-- The case list's sort orders at a million cases (bench/RESULTS.md): sorting
-- by name, case number, referral date or status read every matching case and
-- sorted them (0.1-2 s a page at 100k). Each order now has an index under
-- each of the list's filters (none, status, country, both) whose keys end in
-- the tie-breaker (id) and which carries the columns the record scopes test,
-- so a page is an index-only scan walked in order, like the default order's
-- (0005). Keep in step with ../sqlite/0020_case_list_sort.sql.

-- The principal's name, copied onto the case so that it can be indexed with
-- the case's filters (an index cannot span cases and persons). Kept equal to
-- persons.display_name by the triggers below; the bulk loader (demo.rs)
-- writes it itself with the insert trigger disabled.
ALTER TABLE cases ADD COLUMN principal_name TEXT NOT NULL DEFAULT '';
UPDATE cases c SET principal_name = p.display_name FROM persons p WHERE p.id = c.principal_person_id;

CREATE FUNCTION cases_principal_name() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- A missing person is left to the foreign key to report.
    NEW.principal_name := COALESCE((SELECT p.display_name FROM persons p WHERE p.id = NEW.principal_person_id), '');
    RETURN NEW;
END
$$;

CREATE TRIGGER cases_principal_name_insert BEFORE INSERT ON cases
FOR EACH ROW EXECUTE FUNCTION cases_principal_name();

CREATE TRIGGER cases_principal_name_update BEFORE UPDATE OF principal_person_id, principal_name ON cases
FOR EACH ROW EXECUTE FUNCTION cases_principal_name();

CREATE FUNCTION persons_display_name_cases() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cases SET principal_name = NEW.display_name WHERE principal_person_id = NEW.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER persons_display_name_cases AFTER UPDATE OF display_name ON persons
FOR EACH ROW WHEN (OLD.display_name IS DISTINCT FROM NEW.display_name)
EXECUTE FUNCTION persons_display_name_cases();

-- Case number.
CREATE INDEX cases_number ON cases (case_number, id) INCLUDE (status, counsellor_id, created_by);
CREATE INDEX cases_status_number ON cases (status, case_number, id) INCLUDE (counsellor_id, created_by);
CREATE INDEX cases_country_number ON cases (country_of_return, case_number, id) INCLUDE (status, counsellor_id, created_by);
CREATE INDEX cases_status_country_number ON cases (status, country_of_return, case_number, id) INCLUDE (counsellor_id, created_by);
-- Principal's name.
CREATE INDEX cases_name ON cases (principal_name, id) INCLUDE (status, counsellor_id, created_by);
CREATE INDEX cases_status_name ON cases (status, principal_name, id) INCLUDE (counsellor_id, created_by);
CREATE INDEX cases_country_name ON cases (country_of_return, principal_name, id) INCLUDE (status, counsellor_id, created_by);
CREATE INDEX cases_status_country_name ON cases (status, country_of_return, principal_name, id) INCLUDE (counsellor_id, created_by);
-- Referral date.
DROP INDEX cases_referred;
CREATE INDEX cases_referred ON cases (referred_at, id) INCLUDE (status, counsellor_id, created_by);
CREATE INDEX cases_status_referred ON cases (status, referred_at, id) INCLUDE (counsellor_id, created_by);
CREATE INDEX cases_country_referred ON cases (country_of_return, referred_at, id) INCLUDE (status, counsellor_id, created_by);
CREATE INDEX cases_status_country_referred ON cases (status, country_of_return, referred_at, id) INCLUDE (counsellor_id, created_by);
-- Status (then id): one index without the country filter, one with it.
DROP INDEX cases_status_id;
CREATE INDEX cases_status_id ON cases (status, id) INCLUDE (counsellor_id, created_by);
CREATE INDEX cases_country_status ON cases (country_of_return, status, id) INCLUDE (counsellor_id, created_by);
