-- The case page at a million cases (measured by bench/, see bench/RESULTS.md):
-- an itinerary's history was read by scanning every itinerary event (0.5 s
-- a page view at 1M cases). Keep in step with ../postgres/0011_case_page.sql.
CREATE INDEX itinerary_events_itinerary ON itinerary_events (itinerary_id, at);
