-- Monitoring after return: the follow-up schedule created at arrival from the
-- programme's schedule, every contact attempt, and RSS surveys with the
-- questionnaire that scored them. Keep in step with ../sqlite/0013_monitoring.sql.

-- The programme's follow-up schedule as JSON ({"offsets_months": [...],
-- "grace_days": n}, domain followups::Schedule); NULL means the defaults.
ALTER TABLE programmes ADD COLUMN followup_schedule TEXT;

CREATE TABLE followups (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    -- Months after arrival it was planned for (0 = on arrival).
    offset_months INTEGER NOT NULL,
    -- Moved by a rescheduled contact; scheduled_on keeps the planned day.
    due_on DATE NOT NULL,
    scheduled_on DATE NOT NULL,
    -- The latest attempt (every attempt is in followup_attempts).
    held_on DATE,
    outcome TEXT,
    contact_mode TEXT,
    notes TEXT,
    recorded_by UUID REFERENCES users (id),
    recorded_at TIMESTAMPTZ,
    -- Set when an outcome completes it (reached, refused).
    completed_at TIMESTAMPTZ,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX followups_case ON followups (case_id, due_on);
-- The overdue tasks look only at open follow-ups.
CREATE INDEX followups_open_due ON followups (due_on) WHERE completed_at IS NULL;

CREATE TABLE followup_attempts (
    id UUID PRIMARY KEY,
    followup_id UUID NOT NULL REFERENCES followups (id) ON DELETE CASCADE,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    held_on DATE NOT NULL,
    outcome TEXT NOT NULL,
    contact_mode TEXT NOT NULL,
    notes TEXT,
    -- The follow-up's due date before this attempt, and after it if rescheduled.
    due_before DATE NOT NULL,
    rescheduled_to DATE,
    recorded_by UUID REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX followup_attempts_followup ON followup_attempts (followup_id, recorded_at);

CREATE TABLE rss_surveys (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    surveyed_on DATE NOT NULL,
    -- id@version of the questionnaire that scored it.
    questionnaire TEXT NOT NULL,
    economic DOUBLE PRECISION NOT NULL,
    social DOUBLE PRECISION NOT NULL,
    psychosocial DOUBLE PRECISION NOT NULL,
    composite DOUBLE PRECISION NOT NULL,
    -- {indicator id: answer value}
    answers_json TEXT NOT NULL,
    recorded_by UUID REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX rss_surveys_case ON rss_surveys (case_id, surveyed_on);
