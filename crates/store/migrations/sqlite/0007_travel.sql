-- Travel and departure: itineraries (segments in UTC, travellers with their
-- tickets), their history (no-show, postponement, rebooking), notifications
-- to users, and the PDF letters made from case data.
-- Keep in step with ../postgres/0007_travel.sql.
CREATE TABLE itineraries (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    -- booked, departed, no_show, postponed, cancelled, rebooked
    status TEXT NOT NULL,
    booking_reference TEXT,
    fare_minor BIGINT,
    fare_currency TEXT,
    departure_assistance BOOLEAN NOT NULL DEFAULT TRUE,
    transit_assistance BOOLEAN NOT NULL DEFAULT FALSE,
    arrival_reception BOOLEAN NOT NULL DEFAULT FALSE,
    escort TEXT,
    notes TEXT,
    replaces_id UUID REFERENCES itineraries (id),
    -- The first departure and the last arrival, kept for lists and tasks.
    departs_at TIMESTAMPTZ NOT NULL,
    arrives_at TIMESTAMPTZ NOT NULL,
    origin TEXT NOT NULL,
    destination TEXT NOT NULL,
    departed_at TIMESTAMPTZ,
    departure_confirmed_by UUID REFERENCES users (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX itineraries_case ON itineraries (case_id, created_at);
CREATE INDEX itineraries_status_departs ON itineraries (status, departs_at);

CREATE TABLE itinerary_segments (
    itinerary_id UUID NOT NULL REFERENCES itineraries (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    carrier TEXT NOT NULL,
    flight_number TEXT NOT NULL,
    from_airport TEXT NOT NULL,
    to_airport TEXT NOT NULL,
    departs_at TIMESTAMPTZ NOT NULL,
    arrives_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (itinerary_id, position)
);
CREATE INDEX itinerary_segments_flight ON itinerary_segments (departs_at, carrier, flight_number);

CREATE TABLE itinerary_travellers (
    itinerary_id UUID NOT NULL REFERENCES itineraries (id) ON DELETE CASCADE,
    person_id UUID NOT NULL REFERENCES persons (id),
    ticket_number TEXT,
    PRIMARY KEY (itinerary_id, person_id)
);
CREATE INDEX itinerary_travellers_person ON itinerary_travellers (person_id);

CREATE TABLE itinerary_events (
    id UUID PRIMARY KEY,
    itinerary_id UUID NOT NULL REFERENCES itineraries (id) ON DELETE CASCADE,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    -- booked, departed, no_show, postponed, cancelled, rebooked
    kind TEXT NOT NULL,
    reason TEXT,
    actor_id UUID REFERENCES users (id),
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX itinerary_events_case ON itinerary_events (case_id, at);

CREATE TABLE notifications (
    id UUID PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    case_id UUID REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    -- Only what the recipient's role may see, as JSON.
    payload TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

CREATE TABLE letters (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    lang TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size BIGINT NOT NULL,
    -- The case's version when the letter was made.
    data_version BIGINT NOT NULL,
    content BLOB NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX letters_case ON letters (case_id, kind, created_at);
