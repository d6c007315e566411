-- Case milestones (docs/adr/0034): when each case first reached the
-- statuses the donor report and the dashboard count (registered = intake,
-- approved = eligible, refused = ineligible, withdrawn) and when it first
-- departed (its earliest itinerary departure), kept on the case by
-- triggers, so that every writer (forms, API, imports, the demo loader)
-- keeps them and a period's figures are one index range of cases instead
-- of a walk through transitions and itineraries with a lookup per row.
-- Each trigger recomputes the value from its source rows, so a deleted or
-- corrected row leaves the right value behind.
ALTER TABLE cases ADD COLUMN registered_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN approved_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN refused_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN withdrawn_at TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN departed_at TIMESTAMPTZ;

UPDATE cases c SET
    registered_at = t.registered_at, approved_at = t.approved_at,
    refused_at = t.refused_at, withdrawn_at = t.withdrawn_at
FROM (
    SELECT case_id,
        MIN(at) FILTER (WHERE to_status = 'intake') AS registered_at,
        MIN(at) FILTER (WHERE to_status = 'eligible') AS approved_at,
        MIN(at) FILTER (WHERE to_status = 'ineligible') AS refused_at,
        MIN(at) FILTER (WHERE to_status = 'withdrawn') AS withdrawn_at
    FROM case_transitions
    WHERE to_status IN ('intake', 'eligible', 'ineligible', 'withdrawn')
    GROUP BY case_id
) t
WHERE c.id = t.case_id;

UPDATE cases c SET departed_at = i.departed_at
FROM (
    SELECT case_id, MIN(departed_at) AS departed_at FROM itineraries
    WHERE departed_at IS NOT NULL GROUP BY case_id
) i
WHERE c.id = i.case_id;

CREATE FUNCTION case_milestones_transition() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.to_status = 'intake' THEN
        UPDATE cases SET registered_at = (SELECT MIN(t.at) FROM case_transitions t
            WHERE t.case_id = NEW.case_id AND t.to_status = 'intake') WHERE id = NEW.case_id;
    ELSIF NEW.to_status = 'eligible' THEN
        UPDATE cases SET approved_at = (SELECT MIN(t.at) FROM case_transitions t
            WHERE t.case_id = NEW.case_id AND t.to_status = 'eligible') WHERE id = NEW.case_id;
    ELSIF NEW.to_status = 'ineligible' THEN
        UPDATE cases SET refused_at = (SELECT MIN(t.at) FROM case_transitions t
            WHERE t.case_id = NEW.case_id AND t.to_status = 'ineligible') WHERE id = NEW.case_id;
    ELSIF NEW.to_status = 'withdrawn' THEN
        UPDATE cases SET withdrawn_at = (SELECT MIN(t.at) FROM case_transitions t
            WHERE t.case_id = NEW.case_id AND t.to_status = 'withdrawn') WHERE id = NEW.case_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_milestones_transition_insert AFTER INSERT ON case_transitions
FOR EACH ROW WHEN (NEW.to_status IN ('intake', 'eligible', 'ineligible', 'withdrawn'))
EXECUTE FUNCTION case_milestones_transition();

CREATE FUNCTION case_milestones_itinerary() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE cases SET departed_at = (SELECT MIN(i.departed_at) FROM itineraries i
            WHERE i.case_id = OLD.case_id AND i.departed_at IS NOT NULL) WHERE id = OLD.case_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        UPDATE cases SET departed_at = (SELECT MIN(i.departed_at) FROM itineraries i
            WHERE i.case_id = NEW.case_id AND i.departed_at IS NOT NULL) WHERE id = NEW.case_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER case_milestones_itinerary_insert AFTER INSERT ON itineraries
FOR EACH ROW WHEN (NEW.departed_at IS NOT NULL)
EXECUTE FUNCTION case_milestones_itinerary();
CREATE TRIGGER case_milestones_itinerary_update AFTER UPDATE OF departed_at, case_id ON itineraries
FOR EACH ROW WHEN (OLD.departed_at IS DISTINCT FROM NEW.departed_at OR OLD.case_id IS DISTINCT FROM NEW.case_id)
EXECUTE FUNCTION case_milestones_itinerary();
CREATE TRIGGER case_milestones_itinerary_delete AFTER DELETE ON itineraries
FOR EACH ROW WHEN (OLD.departed_at IS NOT NULL)
EXECUTE FUNCTION case_milestones_itinerary();

-- A period's events, each an index range that holds what the figures need.
-- The departures' index also holds every column the record scopes and the
-- dashboard's filters test, so the dashboard never reads a case row.
CREATE INDEX cases_registered_at ON cases (registered_at, country_of_return) WHERE registered_at IS NOT NULL;
CREATE INDEX cases_approved_at ON cases (approved_at, country_of_return) WHERE approved_at IS NOT NULL;
CREATE INDEX cases_refused_at ON cases (refused_at, country_of_return) WHERE refused_at IS NOT NULL;
CREATE INDEX cases_withdrawn_at ON cases (withdrawn_at, country_of_return) WHERE withdrawn_at IS NOT NULL;
CREATE INDEX cases_departed_at ON cases (departed_at, country_of_return, programme_id, counsellor_id, created_by, status, referred_at, registered_at, id) WHERE departed_at IS NOT NULL;
-- Joins from a period's purchases, evaluations and surveys to their case
-- for the scope and the filters, without reading the case's row.
CREATE INDEX cases_scope ON cases (id, country_of_return, programme_id, counsellor_id, created_by, status);
