-- The returnee's own page (issue 22): a personal code per adult on a case,
-- stored hashed, revocable; the page's sessions; how long after closure
-- a programme's codes still open it.
CREATE TABLE returnee_access (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id UUID NOT NULL REFERENCES persons (id),
    code_hash TEXT NOT NULL UNIQUE,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL,
    revoked_at TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX returnee_access_case ON returnee_access (case_id, person_id);
CREATE TABLE returnee_sessions (
    token_hash TEXT PRIMARY KEY,
    access_id UUID NOT NULL REFERENCES returnee_access (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX returnee_sessions_access ON returnee_sessions (access_id);
ALTER TABLE programmes ADD COLUMN returnee_access_days INTEGER NOT NULL DEFAULT 365;
