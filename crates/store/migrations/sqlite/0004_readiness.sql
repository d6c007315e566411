-- Before departure: vulnerability screening, fitness to travel, travel documents.
-- Keep in step with ../postgres/0004_readiness.sql.
CREATE TABLE vulnerabilities (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id UUID NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    details TEXT,
    follow_up TEXT,
    recorded_by UUID REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX vulnerabilities_case ON vulnerabilities (case_id);

CREATE TABLE fitness_checks (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id UUID NOT NULL REFERENCES persons (id),
    status TEXT NOT NULL,
    checked_at TIMESTAMPTZ,
    medical_escort BOOLEAN NOT NULL DEFAULT FALSE,
    special_assistance TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    recorded_by UUID REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX fitness_checks_case ON fitness_checks (case_id, person_id, recorded_at);

CREATE TABLE travel_documents (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id UUID NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    number TEXT,
    issuing_country TEXT,
    expires_on DATE,
    etd_requested_on DATE,
    etd_issued_on DATE,
    consulate TEXT,
    recorded_by UUID REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX travel_documents_case ON travel_documents (case_id, person_id);
