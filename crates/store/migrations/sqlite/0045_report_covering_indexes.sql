-- The dashboard's period panels (docs/adr/0034): each index now holds every
-- column its panel reads, so a period is read from the index alone, and the
-- "latest of the case" checks (tiers, surveys) probe an index that holds the
-- tie-breakers too. Same names, more columns.
DROP INDEX IF EXISTS eligibility_evaluations_at;
CREATE INDEX eligibility_evaluations_at ON eligibility_evaluations (evaluated_at, case_id, eligible, tier, currency, amount_minor, id);
DROP INDEX IF EXISTS eligibility_evaluations_case;
CREATE INDEX eligibility_evaluations_case ON eligibility_evaluations (case_id, evaluated_at, id);
DROP INDEX IF EXISTS purchases_paid_at;
CREATE INDEX purchases_paid_at ON purchases (paid_at, case_id, status, category, programme_currency, programme_minor) WHERE paid_at IS NOT NULL;
DROP INDEX IF EXISTS rss_surveys_surveyed_on;
CREATE INDEX rss_surveys_surveyed_on ON rss_surveys (surveyed_on, case_id, recorded_at, id, economic, social, psychosocial, composite);
DROP INDEX IF EXISTS rss_surveys_case;
CREATE INDEX rss_surveys_case ON rss_surveys (case_id, surveyed_on, recorded_at, id);
-- The donor report's cost per return: from each departed case to the fares
-- of its departures and to its paid purchases, without reading their rows.
DROP INDEX IF EXISTS itineraries_case_departed;
CREATE INDEX itineraries_case_departed ON itineraries (case_id, departed_at, fare_currency, fare_minor) WHERE departed_at IS NOT NULL;
DROP INDEX IF EXISTS purchases_case;
CREATE INDEX purchases_case ON purchases (case_id, status, paid_at, programme_currency, programme_minor);
