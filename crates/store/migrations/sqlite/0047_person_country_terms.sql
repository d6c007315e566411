-- The search box for a mission officer (docs/adr/0038): the search terms of
-- the people on cases returning to each country, so that a query word is a
-- range of (country, term) and every candidate is in the officer's scope.
-- Read from person_search_terms alone, a common word's first 1,000 terms
-- were mostly other countries' people: each was checked against the scope
-- (three lookups) and a rare person of the officer's country could stay
-- behind the cap. Derived rows only, kept by triggers from the three things
-- they follow: a person's terms, case membership, a case's country.
-- Scheme markers ('~search:N') are not copied.
CREATE TABLE person_country_terms (
    country TEXT NOT NULL,
    term TEXT NOT NULL,
    person_id UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    PRIMARY KEY (country, term, person_id)
) WITHOUT ROWID;
CREATE INDEX person_country_terms_person ON person_country_terms (person_id, country);

CREATE TRIGGER person_country_terms_term_insert AFTER INSERT ON person_search_terms
WHEN substr(NEW.term, 1, 1) <> '~'
BEGIN
    INSERT OR IGNORE INTO person_country_terms (country, term, person_id)
    SELECT DISTINCT c.country_of_return, NEW.term, NEW.person_id
    FROM case_members m JOIN cases c ON c.id = m.case_id
    WHERE m.person_id = NEW.person_id AND c.country_of_return IS NOT NULL;
END;

CREATE TRIGGER person_country_terms_term_delete AFTER DELETE ON person_search_terms
WHEN substr(OLD.term, 1, 1) <> '~'
BEGIN
    DELETE FROM person_country_terms WHERE person_id = OLD.person_id AND term = OLD.term;
END;

CREATE TRIGGER person_country_terms_member_insert AFTER INSERT ON case_members
BEGIN
    INSERT OR IGNORE INTO person_country_terms (country, term, person_id)
    SELECT c.country_of_return, t.term, t.person_id
    FROM cases c JOIN person_search_terms t ON t.person_id = NEW.person_id
    WHERE c.id = NEW.case_id AND c.country_of_return IS NOT NULL
      AND substr(t.term, 1, 1) <> '~';
END;

CREATE TRIGGER person_country_terms_member_delete AFTER DELETE ON case_members
BEGIN
    DELETE FROM person_country_terms WHERE person_id = OLD.person_id
      AND country NOT IN (SELECT c.country_of_return FROM case_members m
                          JOIN cases c ON c.id = m.case_id
                          WHERE m.person_id = OLD.person_id AND c.country_of_return IS NOT NULL);
END;

-- A merge moves memberships to the kept person; its undo moves them back.
CREATE TRIGGER person_country_terms_member_update AFTER UPDATE OF person_id, case_id ON case_members
BEGIN
    DELETE FROM person_country_terms WHERE person_id = OLD.person_id
      AND country NOT IN (SELECT c.country_of_return FROM case_members m
                          JOIN cases c ON c.id = m.case_id
                          WHERE m.person_id = OLD.person_id AND c.country_of_return IS NOT NULL);
    INSERT OR IGNORE INTO person_country_terms (country, term, person_id)
    SELECT c.country_of_return, t.term, t.person_id
    FROM cases c JOIN person_search_terms t ON t.person_id = NEW.person_id
    WHERE c.id = NEW.case_id AND c.country_of_return IS NOT NULL
      AND substr(t.term, 1, 1) <> '~';
END;

CREATE TRIGGER person_country_terms_case_country AFTER UPDATE OF country_of_return ON cases
WHEN OLD.country_of_return IS NOT NEW.country_of_return
BEGIN
    DELETE FROM person_country_terms
    WHERE person_id IN (SELECT person_id FROM case_members WHERE case_id = NEW.id)
      AND country NOT IN (SELECT c.country_of_return FROM case_members m
                          JOIN cases c ON c.id = m.case_id
                          WHERE m.person_id = person_country_terms.person_id
                            AND c.country_of_return IS NOT NULL);
    INSERT OR IGNORE INTO person_country_terms (country, term, person_id)
    SELECT NEW.country_of_return, t.term, t.person_id
    FROM case_members m JOIN person_search_terms t ON t.person_id = m.person_id
    WHERE m.case_id = NEW.id AND NEW.country_of_return IS NOT NULL
      AND substr(t.term, 1, 1) <> '~';
END;

INSERT OR IGNORE INTO person_country_terms (country, term, person_id)
SELECT DISTINCT c.country_of_return, t.term, t.person_id
FROM person_search_terms t
JOIN case_members m ON m.person_id = t.person_id
JOIN cases c ON c.id = m.case_id
WHERE c.country_of_return IS NOT NULL AND substr(t.term, 1, 1) <> '~';
