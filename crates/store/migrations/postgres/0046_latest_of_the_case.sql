-- "The case's latest evaluation (survey) in the period" (docs/adr/0036):
-- each evaluation and survey keeps when the case's next one was made, in
-- the order the reports use (evaluated_at, id; surveyed_on, recorded_at,
-- id), NULL for the latest. A period's latest ones are then those whose
-- next one is missing or after the period: one index range, instead of a
-- probe for a later row per row. Triggers recompute a case's chain from
-- its rows after every insert, delete and change of date or case, so every
-- writer keeps it and a corrected or deleted row leaves it right.
ALTER TABLE eligibility_evaluations ADD COLUMN next_evaluated_at TIMESTAMPTZ;
ALTER TABLE rss_surveys ADD COLUMN next_surveyed_on DATE;

UPDATE eligibility_evaluations SET next_evaluated_at = n.next_at
FROM (SELECT id, LEAD(evaluated_at) OVER (PARTITION BY case_id ORDER BY evaluated_at, id) AS next_at
      FROM eligibility_evaluations) n
WHERE eligibility_evaluations.id = n.id AND n.next_at IS NOT NULL;

UPDATE rss_surveys SET next_surveyed_on = n.next_on
FROM (SELECT id, LEAD(surveyed_on) OVER (PARTITION BY case_id ORDER BY surveyed_on, recorded_at, id) AS next_on
      FROM rss_surveys) n
WHERE rss_surveys.id = n.id AND n.next_on IS NOT NULL;

CREATE FUNCTION eligibility_evaluations_next_of(c UUID) RETURNS void
LANGUAGE sql AS $$
    UPDATE eligibility_evaluations e SET next_evaluated_at = (
        SELECT MIN(e2.evaluated_at) FROM eligibility_evaluations e2
        WHERE e2.case_id = e.case_id
          AND (e2.evaluated_at > e.evaluated_at OR (e2.evaluated_at = e.evaluated_at AND e2.id > e.id)))
    WHERE e.case_id = c;
$$;

CREATE FUNCTION eligibility_evaluations_next() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM eligibility_evaluations_next_of(OLD.case_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM eligibility_evaluations_next_of(NEW.case_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER eligibility_evaluations_next_insert AFTER INSERT ON eligibility_evaluations
FOR EACH ROW EXECUTE FUNCTION eligibility_evaluations_next();
CREATE TRIGGER eligibility_evaluations_next_update AFTER UPDATE OF evaluated_at, case_id ON eligibility_evaluations
FOR EACH ROW WHEN (OLD.evaluated_at IS DISTINCT FROM NEW.evaluated_at OR OLD.case_id IS DISTINCT FROM NEW.case_id)
EXECUTE FUNCTION eligibility_evaluations_next();
CREATE TRIGGER eligibility_evaluations_next_delete AFTER DELETE ON eligibility_evaluations
FOR EACH ROW EXECUTE FUNCTION eligibility_evaluations_next();

CREATE FUNCTION rss_surveys_next_of(c UUID) RETURNS void
LANGUAGE sql AS $$
    UPDATE rss_surveys s SET next_surveyed_on = (
        SELECT MIN(s2.surveyed_on) FROM rss_surveys s2
        WHERE s2.case_id = s.case_id
          AND (s2.surveyed_on > s.surveyed_on OR (s2.surveyed_on = s.surveyed_on AND (s2.recorded_at > s.recorded_at
               OR (s2.recorded_at = s.recorded_at AND s2.id > s.id)))))
    WHERE s.case_id = c;
$$;

CREATE FUNCTION rss_surveys_next() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM rss_surveys_next_of(OLD.case_id);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM rss_surveys_next_of(NEW.case_id);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER rss_surveys_next_insert AFTER INSERT ON rss_surveys
FOR EACH ROW EXECUTE FUNCTION rss_surveys_next();
CREATE TRIGGER rss_surveys_next_update AFTER UPDATE OF surveyed_on, recorded_at, case_id ON rss_surveys
FOR EACH ROW WHEN (OLD.surveyed_on IS DISTINCT FROM NEW.surveyed_on OR OLD.recorded_at IS DISTINCT FROM NEW.recorded_at
    OR OLD.case_id IS DISTINCT FROM NEW.case_id)
EXECUTE FUNCTION rss_surveys_next();
CREATE TRIGGER rss_surveys_next_delete AFTER DELETE ON rss_surveys
FOR EACH ROW EXECUTE FUNCTION rss_surveys_next();

-- The period panels read these indexes alone.
DROP INDEX IF EXISTS eligibility_evaluations_at;
CREATE INDEX eligibility_evaluations_at ON eligibility_evaluations (evaluated_at, case_id, eligible, tier, currency, amount_minor, next_evaluated_at);
DROP INDEX IF EXISTS rss_surveys_surveyed_on;
CREATE INDEX rss_surveys_surveyed_on ON rss_surveys (surveyed_on, case_id, next_surveyed_on, economic, social, psychosocial, composite);
