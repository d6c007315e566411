-- The search box (docs/adr/0031). Each person's search terms
-- (homeward_domain::search::person_terms: folded name words in Latin,
-- identifiers and phone digits): a query word is the beginning of a term,
-- found by a range scan of the primary key (`term >= $w AND term < $next`),
-- never by reading every person. The terms compare byte by byte
-- (COLLATE "C"), so that the range is exactly the words with that beginning
-- whatever the database's collation. Written with the person
-- (homeward_store::search::index); people loaded in bulk or created before
-- this migration get theirs from homeward_store::search::backfill (a marker
-- term '~search:N' says which scheme wrote them). Deleted with the person.
CREATE TABLE person_search_terms (
    term TEXT COLLATE "C" NOT NULL,
    person_id UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    PRIMARY KEY (term, person_id)
);
-- Replacing a person's terms, the cascade on delete, and the check of a
-- query's other words for one candidate.
CREATE INDEX person_search_terms_person ON person_search_terms (person_id, term);

-- Case numbers by their beginning (`tor2012000123` for TOR-2012-000123),
-- by year and sequence (`2012000123`) and by the sequence alone (`000123`,
-- `123`). Kept by a trigger, so that every writer of cases (forms, imports,
-- the demo loader) keeps them.
CREATE TABLE case_search_terms (
    term TEXT COLLATE "C" NOT NULL,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    PRIMARY KEY (term, case_id)
);
CREATE INDEX case_search_terms_case ON case_search_terms (case_id);

CREATE FUNCTION case_search_terms_of(n TEXT) RETURNS TABLE (term TEXT)
LANGUAGE sql IMMUTABLE AS $$
    SELECT DISTINCT t FROM unnest(ARRAY[
        lower(replace(n, '-', '')),
        split_part(n, '-', 2) || split_part(n, '-', 3),
        split_part(n, '-', 3),
        ltrim(split_part(n, '-', 3), '0')
    ]) AS t WHERE t <> ''
$$;

CREATE FUNCTION case_search_terms_write() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        DELETE FROM case_search_terms WHERE case_id = NEW.id;
    END IF;
    INSERT INTO case_search_terms (term, case_id)
    SELECT s.term, NEW.id FROM case_search_terms_of(NEW.case_number) s;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_search_terms_insert AFTER INSERT ON cases
FOR EACH ROW EXECUTE FUNCTION case_search_terms_write();
CREATE TRIGGER case_search_terms_update AFTER UPDATE OF case_number ON cases
FOR EACH ROW EXECUTE FUNCTION case_search_terms_write();

INSERT INTO case_search_terms (term, case_id)
SELECT s.term, c.id FROM cases c, LATERAL case_search_terms_of(c.case_number) s;
