-- Questions and complaints (issue 22): what a returnee sends from their page
-- or says to staff, with the day an answer is due and the answer. The text
-- and the answer are sealed (keys::SEALED_COLUMNS); how many days a
-- programme gives itself to answer.
CREATE TABLE feedback (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    person_id UUID NOT NULL REFERENCES persons (id),
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    body TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    due_on DATE NOT NULL,
    recorded_by UUID REFERENCES users (id),
    answer TEXT,
    answered_at TIMESTAMPTZ,
    answered_by UUID REFERENCES users (id)
);
CREATE INDEX feedback_case ON feedback (case_id, received_at);
CREATE INDEX feedback_open ON feedback (due_on) WHERE answered_at IS NULL;
ALTER TABLE programmes ADD COLUMN feedback_due_days INTEGER NOT NULL DEFAULT 30;
