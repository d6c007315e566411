-- "The case's latest evaluation (survey) in the period" (docs/adr/0036):
-- each evaluation and survey keeps when the case's next one was made, in
-- the order the reports use (evaluated_at, id; surveyed_on, recorded_at,
-- id), NULL for the latest. A period's latest ones are then those whose
-- next one is missing or after the period: one index range, instead of a
-- probe for a later row per row (a year at a million cases: 240,000
-- evaluations, 93,000 surveys). Triggers recompute a case's chain from its
-- rows after every insert, delete and change of date or case, so every
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

CREATE TRIGGER eligibility_evaluations_next_insert AFTER INSERT ON eligibility_evaluations
BEGIN
    UPDATE eligibility_evaluations SET next_evaluated_at = (
        SELECT MIN(e2.evaluated_at) FROM eligibility_evaluations e2
        WHERE e2.case_id = eligibility_evaluations.case_id
          AND (e2.evaluated_at > eligibility_evaluations.evaluated_at
               OR (e2.evaluated_at = eligibility_evaluations.evaluated_at AND e2.id > eligibility_evaluations.id)))
    WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER eligibility_evaluations_next_update AFTER UPDATE OF evaluated_at, case_id ON eligibility_evaluations
BEGIN
    UPDATE eligibility_evaluations SET next_evaluated_at = (
        SELECT MIN(e2.evaluated_at) FROM eligibility_evaluations e2
        WHERE e2.case_id = eligibility_evaluations.case_id
          AND (e2.evaluated_at > eligibility_evaluations.evaluated_at
               OR (e2.evaluated_at = eligibility_evaluations.evaluated_at AND e2.id > eligibility_evaluations.id)))
    WHERE case_id IN (OLD.case_id, NEW.case_id);
END;

CREATE TRIGGER eligibility_evaluations_next_delete AFTER DELETE ON eligibility_evaluations
BEGIN
    UPDATE eligibility_evaluations SET next_evaluated_at = (
        SELECT MIN(e2.evaluated_at) FROM eligibility_evaluations e2
        WHERE e2.case_id = eligibility_evaluations.case_id
          AND (e2.evaluated_at > eligibility_evaluations.evaluated_at
               OR (e2.evaluated_at = eligibility_evaluations.evaluated_at AND e2.id > eligibility_evaluations.id)))
    WHERE case_id = OLD.case_id;
END;

CREATE TRIGGER rss_surveys_next_insert AFTER INSERT ON rss_surveys
BEGIN
    UPDATE rss_surveys SET next_surveyed_on = (
        SELECT MIN(s2.surveyed_on) FROM rss_surveys s2
        WHERE s2.case_id = rss_surveys.case_id
          AND (s2.surveyed_on > rss_surveys.surveyed_on
               OR (s2.surveyed_on = rss_surveys.surveyed_on AND (s2.recorded_at > rss_surveys.recorded_at
                   OR (s2.recorded_at = rss_surveys.recorded_at AND s2.id > rss_surveys.id)))))
    WHERE case_id = NEW.case_id;
END;

CREATE TRIGGER rss_surveys_next_update AFTER UPDATE OF surveyed_on, recorded_at, case_id ON rss_surveys
BEGIN
    UPDATE rss_surveys SET next_surveyed_on = (
        SELECT MIN(s2.surveyed_on) FROM rss_surveys s2
        WHERE s2.case_id = rss_surveys.case_id
          AND (s2.surveyed_on > rss_surveys.surveyed_on
               OR (s2.surveyed_on = rss_surveys.surveyed_on AND (s2.recorded_at > rss_surveys.recorded_at
                   OR (s2.recorded_at = rss_surveys.recorded_at AND s2.id > rss_surveys.id)))))
    WHERE case_id IN (OLD.case_id, NEW.case_id);
END;

CREATE TRIGGER rss_surveys_next_delete AFTER DELETE ON rss_surveys
BEGIN
    UPDATE rss_surveys SET next_surveyed_on = (
        SELECT MIN(s2.surveyed_on) FROM rss_surveys s2
        WHERE s2.case_id = rss_surveys.case_id
          AND (s2.surveyed_on > rss_surveys.surveyed_on
               OR (s2.surveyed_on = rss_surveys.surveyed_on AND (s2.recorded_at > rss_surveys.recorded_at
                   OR (s2.recorded_at = rss_surveys.recorded_at AND s2.id > rss_surveys.id)))))
    WHERE case_id = OLD.case_id;
END;

-- The period panels read these indexes alone.
DROP INDEX IF EXISTS eligibility_evaluations_at;
CREATE INDEX eligibility_evaluations_at ON eligibility_evaluations (evaluated_at, case_id, eligible, tier, currency, amount_minor, next_evaluated_at);
DROP INDEX IF EXISTS rss_surveys_surveyed_on;
CREATE INDEX rss_surveys_surveyed_on ON rss_surveys (surveyed_on, case_id, next_surveyed_on, economic, social, psychosocial, composite);
