-- Exceptions (issue 22): a supervisor opens a case outside their scope for
-- a short time, with a reason; the auditor lists every grant.
CREATE TABLE break_glass (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    user_id UUID NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    granted_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX break_glass_user ON break_glass (user_id, expires_at);
CREATE INDEX break_glass_granted ON break_glass (granted_at);
