-- Before departure: referral facts, eligibility evaluations, counselling, consent, attachments.
-- Keep in step with ../sqlite/0003_before_departure.sql.
CREATE TABLE referrals (
    case_id UUID PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    claim_filed_on DATE,
    claim_outcome TEXT,
    irb_decided_on DATE,
    designated_country_of_origin BOOLEAN,
    federal_court_leave_filed_on DATE,
    prra_applied_on DATE,
    prra_decided_on DATE,
    removal_order BOOLEAN,
    compliant_with_conditions BOOLEAN,
    criminality TEXT,
    residence_region TEXT,
    prior_avrr_assistance BOOLEAN,
    referred_by UUID REFERENCES users (id),
    contact_due_at TIMESTAMPTZ NOT NULL,
    contacted_at TIMESTAMPTZ,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX referrals_contact_due ON referrals (contact_due_at);

CREATE TABLE eligibility_evaluations (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    evaluated_at TIMESTAMPTZ NOT NULL,
    application_date DATE NOT NULL,
    rule_set TEXT NOT NULL,
    eligible BOOLEAN NOT NULL,
    determined BOOLEAN NOT NULL,
    amount_minor BIGINT,
    currency TEXT,
    tier TEXT,
    result_json TEXT NOT NULL,
    actor_id UUID REFERENCES users (id)
);
CREATE INDEX eligibility_evaluations_case ON eligibility_evaluations (case_id, evaluated_at);

CREATE TABLE counselling_sessions (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    held_on DATE NOT NULL,
    duration_minutes INTEGER NOT NULL,
    language TEXT NOT NULL,
    interpreter TEXT,
    topics TEXT NOT NULL DEFAULT '[]',
    notes TEXT,
    counsellor_id UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX counselling_sessions_case ON counselling_sessions (case_id, held_on);

CREATE TABLE consents (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL,
    given_at TIMESTAMPTZ NOT NULL,
    recorded_by UUID REFERENCES users (id),
    withdrawn_at TIMESTAMPTZ,
    withdrawn_by UUID REFERENCES users (id),
    withdrawal_reason TEXT
);
CREATE INDEX consents_case ON consents (case_id, purpose);

CREATE TABLE attachments (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL UNIQUE,
    uploaded_by UUID REFERENCES users (id),
    uploaded_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_case ON attachments (case_id, kind);
