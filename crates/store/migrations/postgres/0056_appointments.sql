-- Counselling appointments (issue 22): the next meeting set with the person,
-- shown on their own page; cancelled ones are kept, marked.
CREATE TABLE appointments (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    starts_at TIMESTAMPTZ NOT NULL,
    place TEXT NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    cancelled_at TIMESTAMPTZ
);
CREATE INDEX appointments_case ON appointments (case_id, starts_at);
