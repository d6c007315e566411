-- Duplicate detection (docs/adr/0029). The blocking keys of each person
-- (phonetic codes of their names with the year of birth, pairs of name codes,
-- identifiers; homeward_domain::duplicates::Profile::keys): two people are
-- compared only when they share a key, found through the primary key, never
-- by reading every person. Written whenever a person is created or changed;
-- people created before (or by bulk loads) get theirs from
-- homeward_store::duplicates::backfill, which looks for the marker key of the
-- current scheme ('~scheme:N') and is run by `homeward duplicates` and at
-- `serve` start. Deleted with the person.
CREATE TABLE person_match_keys (
    match_key TEXT NOT NULL,
    person_id UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    PRIMARY KEY (match_key, person_id)
);
CREATE INDEX person_match_keys_person ON person_match_keys (person_id);
