-- A case's departures before a period, looked up per departure of the
-- period (reports::FIRST_DEPARTURES) without reading the table's rows.
CREATE INDEX IF NOT EXISTS itineraries_case_departed ON itineraries (case_id, departed_at) WHERE departed_at IS NOT NULL;
