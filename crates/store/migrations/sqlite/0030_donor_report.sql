-- The donor report starts each of its queries from the time of the event it
-- counts, so a period reads only its own rows (docs/adr/0017).
CREATE INDEX IF NOT EXISTS cases_referred_at ON cases (referred_at, country_of_return);
CREATE INDEX IF NOT EXISTS case_transitions_to_status_at ON case_transitions (to_status, at, case_id);
CREATE INDEX IF NOT EXISTS itineraries_departed_at ON itineraries (departed_at, case_id) WHERE departed_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS rss_surveys_surveyed_on ON rss_surveys (surveyed_on, case_id);
