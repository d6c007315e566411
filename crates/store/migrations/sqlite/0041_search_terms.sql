-- The search box (docs/adr/0031). Each person's search terms
-- (homeward_domain::search::person_terms: folded name words in Latin,
-- identifiers and phone digits): a query word is the beginning of a term,
-- found by a range scan of the primary key (`term >= $w AND term < $next`),
-- never by reading every person. Written with the person
-- (homeward_store::search::index); people loaded in bulk or created before
-- this migration get theirs from homeward_store::search::backfill (a marker
-- term '~search:N' says which scheme wrote them). Deleted with the person.
CREATE TABLE person_search_terms (
    term TEXT NOT NULL,
    person_id UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    PRIMARY KEY (term, person_id)
) WITHOUT ROWID;
-- Replacing a person's terms, the cascade on delete, and the check of a
-- query's other words for one candidate.
CREATE INDEX person_search_terms_person ON person_search_terms (person_id, term);

-- Case numbers by their beginning (`tor2012000123` for TOR-2012-000123),
-- by year and sequence (`2012000123`) and by the sequence alone (`000123`,
-- `123`). Kept by triggers, so that every writer of cases (forms, imports,
-- the demo loader) keeps them.
CREATE TABLE case_search_terms (
    term TEXT NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    PRIMARY KEY (term, case_id)
) WITHOUT ROWID;
CREATE INDEX case_search_terms_case ON case_search_terms (case_id);

CREATE TRIGGER case_search_terms_insert AFTER INSERT ON cases
BEGIN
    INSERT OR IGNORE INTO case_search_terms (term, case_id)
    SELECT t, NEW.id FROM (
        SELECT lower(replace(NEW.case_number, '-', '')) AS t
        UNION SELECT replace(substr(NEW.case_number, instr(NEW.case_number, '-') + 1), '-', '')
        UNION SELECT substr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1),
                            instr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1), '-') + 1)
        UNION SELECT ltrim(substr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1),
                            instr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1), '-') + 1), '0')
    ) WHERE t <> '';
END;

CREATE TRIGGER case_search_terms_update AFTER UPDATE OF case_number ON cases
BEGIN
    DELETE FROM case_search_terms WHERE case_id = NEW.id;
    INSERT OR IGNORE INTO case_search_terms (term, case_id)
    SELECT t, NEW.id FROM (
        SELECT lower(replace(NEW.case_number, '-', '')) AS t
        UNION SELECT replace(substr(NEW.case_number, instr(NEW.case_number, '-') + 1), '-', '')
        UNION SELECT substr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1),
                            instr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1), '-') + 1)
        UNION SELECT ltrim(substr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1),
                            instr(substr(NEW.case_number, instr(NEW.case_number, '-') + 1), '-') + 1), '0')
    ) WHERE t <> '';
END;

INSERT OR IGNORE INTO case_search_terms (term, case_id)
SELECT t, id FROM (
    SELECT id, lower(replace(case_number, '-', '')) AS t FROM cases
    UNION SELECT id, replace(substr(case_number, instr(case_number, '-') + 1), '-', '') FROM cases
    UNION SELECT id, substr(substr(case_number, instr(case_number, '-') + 1),
                     instr(substr(case_number, instr(case_number, '-') + 1), '-') + 1) FROM cases
    UNION SELECT id, ltrim(substr(substr(case_number, instr(case_number, '-') + 1),
                     instr(substr(case_number, instr(case_number, '-') + 1), '-') + 1), '0') FROM cases
) WHERE t <> '';
