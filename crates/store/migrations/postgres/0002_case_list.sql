-- The case list at a million cases (measured by bench/): exact totals without
-- counting every case, and indexes for the list's filters and sort orders.
-- Keep in step with ../sqlite/0002_case_list.sql.

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
    status, COALESCE(country_of_return, ''), programme_id,
    COALESCE(counsellor_id, '00000000-0000-0000-0000-000000000000'),
    COALESCE(created_by, '00000000-0000-0000-0000-000000000000'));

INSERT INTO case_counts (status, country_of_return, programme_id, counsellor_id, created_by, n)
SELECT status, country_of_return, programme_id, counsellor_id, created_by, COUNT(*)
FROM cases GROUP BY status, country_of_return, programme_id, counsellor_id, created_by;

CREATE FUNCTION case_counts_add(s TEXT, co TEXT, pr UUID, cn UUID, cb UUID, d BIGINT) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO case_counts AS k (status, country_of_return, programme_id, counsellor_id, created_by, n)
    VALUES (s, co, pr, cn, cb, d)
    ON CONFLICT (status, COALESCE(country_of_return, ''), programme_id,
        COALESCE(counsellor_id, '00000000-0000-0000-0000-000000000000'),
        COALESCE(created_by, '00000000-0000-0000-0000-000000000000'))
    DO UPDATE SET n = k.n + EXCLUDED.n
$$;

CREATE FUNCTION case_counts_track() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        PERFORM case_counts_add(OLD.status, OLD.country_of_return, OLD.programme_id, OLD.counsellor_id, OLD.created_by, -1);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM case_counts_add(NEW.status, NEW.country_of_return, NEW.programme_id, NEW.counsellor_id, NEW.created_by, 1);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_counts_insert_delete AFTER INSERT OR DELETE ON cases
FOR EACH ROW EXECUTE FUNCTION case_counts_track();

CREATE TRIGGER case_counts_update AFTER UPDATE OF status, country_of_return, programme_id, counsellor_id, created_by ON cases
FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.country_of_return IS DISTINCT FROM NEW.country_of_return
    OR OLD.programme_id IS DISTINCT FROM NEW.programme_id OR OLD.counsellor_id IS DISTINCT FROM NEW.counsellor_id
    OR OLD.created_by IS DISTINCT FROM NEW.created_by)
EXECUTE FUNCTION case_counts_track();

-- Both filters with the default order, and the sort orders that had no index.
CREATE INDEX cases_status_country_updated ON cases (status, country_of_return, updated_at);
CREATE INDEX cases_status_id ON cases (status, id);
CREATE INDEX cases_referred ON cases (referred_at);
