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
    term TEXT COLLATE "C" NOT NULL,
    person_id UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    PRIMARY KEY (country, term, person_id)
);
CREATE INDEX person_country_terms_person ON person_country_terms (person_id, country);

-- The countries a person is on a case for, their terms copied for each;
-- rows for countries they are no longer on a case for removed.
CREATE FUNCTION person_country_terms_refresh(p UUID) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM person_country_terms k WHERE k.person_id = p
      AND k.country NOT IN (SELECT c.country_of_return FROM case_members m
                            JOIN cases c ON c.id = m.case_id
                            WHERE m.person_id = p AND c.country_of_return IS NOT NULL);
    INSERT INTO person_country_terms (country, term, person_id)
    SELECT DISTINCT c.country_of_return, t.term, t.person_id
    FROM case_members m JOIN cases c ON c.id = m.case_id
    JOIN person_search_terms t ON t.person_id = m.person_id
    WHERE m.person_id = p AND c.country_of_return IS NOT NULL AND substr(t.term, 1, 1) <> '~'
    ON CONFLICT DO NOTHING;
$$;

CREATE FUNCTION person_country_terms_of_term() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF substr(NEW.term, 1, 1) <> '~' THEN
            INSERT INTO person_country_terms (country, term, person_id)
            SELECT DISTINCT c.country_of_return, NEW.term, NEW.person_id
            FROM case_members m JOIN cases c ON c.id = m.case_id
            WHERE m.person_id = NEW.person_id AND c.country_of_return IS NOT NULL
            ON CONFLICT DO NOTHING;
        END IF;
    ELSE
        DELETE FROM person_country_terms WHERE person_id = OLD.person_id AND term = OLD.term;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER person_country_terms_term_insert AFTER INSERT ON person_search_terms
FOR EACH ROW EXECUTE FUNCTION person_country_terms_of_term();
CREATE TRIGGER person_country_terms_term_delete AFTER DELETE ON person_search_terms
FOR EACH ROW EXECUTE FUNCTION person_country_terms_of_term();

-- A new membership only adds (one index lookup each, as the bulk loader
-- inserts millions); a removed or moved one (a merge and its undo) removes
-- what no other case justifies.
CREATE FUNCTION person_country_terms_of_member() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO person_country_terms (country, term, person_id)
        SELECT c.country_of_return, t.term, t.person_id
        FROM cases c JOIN person_search_terms t ON t.person_id = NEW.person_id
        WHERE c.id = NEW.case_id AND c.country_of_return IS NOT NULL
          AND substr(t.term, 1, 1) <> '~'
        ON CONFLICT DO NOTHING;
        RETURN NULL;
    END IF;
    PERFORM person_country_terms_refresh(OLD.person_id);
    IF TG_OP = 'UPDATE' THEN
        PERFORM person_country_terms_refresh(NEW.person_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER person_country_terms_member_insert AFTER INSERT ON case_members
FOR EACH ROW EXECUTE FUNCTION person_country_terms_of_member();
CREATE TRIGGER person_country_terms_member_delete AFTER DELETE ON case_members
FOR EACH ROW EXECUTE FUNCTION person_country_terms_of_member();
CREATE TRIGGER person_country_terms_member_update AFTER UPDATE OF person_id, case_id ON case_members
FOR EACH ROW EXECUTE FUNCTION person_country_terms_of_member();

CREATE FUNCTION person_country_terms_of_case() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.country_of_return IS DISTINCT FROM NEW.country_of_return THEN
        PERFORM person_country_terms_refresh(m.person_id)
        FROM case_members m WHERE m.case_id = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER person_country_terms_case_country AFTER UPDATE OF country_of_return ON cases
FOR EACH ROW EXECUTE FUNCTION person_country_terms_of_case();

INSERT INTO person_country_terms (country, term, person_id)
SELECT DISTINCT c.country_of_return, t.term, t.person_id
FROM person_search_terms t
JOIN case_members m ON m.person_id = t.person_id
JOIN cases c ON c.id = m.case_id
WHERE c.country_of_return IS NOT NULL AND substr(t.term, 1, 1) <> '~'
ON CONFLICT DO NOTHING;
