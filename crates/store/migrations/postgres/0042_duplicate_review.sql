-- The duplicate review queue (docs/adr/0032). Keep in step with
-- ../sqlite/0042_duplicate_review.sql.
--
-- A merged person is kept (so that a merge can be undone) but points at the
-- person they were merged into; lists, search and duplicate detection leave
-- them out. Deleting the kept person (retention) deletes those merged into
-- them too: they are the same human.
ALTER TABLE persons ADD COLUMN merged_into UUID REFERENCES persons (id) ON DELETE CASCADE;
CREATE INDEX persons_merged_into ON persons (merged_into) WHERE merged_into IS NOT NULL;

-- Candidate pairs as last scored (a < b): refreshed for a person when they
-- are created or changed (duplicate_pending), and in full by
-- `homeward duplicates`.
CREATE TABLE duplicate_candidates (
    a UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    b UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    score DOUBLE PRECISION NOT NULL,
    level TEXT NOT NULL,
    found_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE INDEX duplicate_candidates_b ON duplicate_candidates (b);
CREATE INDEX duplicate_candidates_queue ON duplicate_candidates (level, score);

-- People whose candidates are to be scored again: written in the transaction
-- that creates or changes them (an import writes one row per person, nothing
-- more), drained in batches in the background.
CREATE TABLE duplicate_pending (
    person_id UUID PRIMARY KEY REFERENCES persons (id) ON DELETE CASCADE,
    since TIMESTAMPTZ NOT NULL
);

-- Pairs a supervisor decided are two different people (a < b): never
-- candidates again.
CREATE TABLE person_not_duplicates (
    a UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    b UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    decided_by UUID REFERENCES users (id),
    decided_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE INDEX person_not_duplicates_b ON person_not_duplicates (b);

-- Each merge, with exactly what moved (a JSON document of table names and
-- row ids, no personal values) so that it can be undone.
CREATE TABLE person_merges (
    id UUID PRIMARY KEY,
    kept_id UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    merged_id UUID NOT NULL REFERENCES persons (id) ON DELETE CASCADE,
    moved TEXT NOT NULL,
    merged_by UUID REFERENCES users (id),
    merged_at TIMESTAMPTZ NOT NULL,
    undone_by UUID REFERENCES users (id),
    undone_at TIMESTAMPTZ
);
CREATE INDEX person_merges_at ON person_merges (merged_at);
CREATE INDEX person_merges_kept ON person_merges (kept_id);
CREATE INDEX person_merges_merged ON person_merges (merged_id);
