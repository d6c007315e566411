-- Arrival in the country of return and the reintegration plan (components
-- by dimension and category, each with a budget in the programme currency;
-- approved by a supervisor). Keep in step with ../postgres/0010_plans.sql.
CREATE TABLE arrivals (
    case_id UUID PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    arrived_on DATE NOT NULL,
    place TEXT NOT NULL,
    recorded_by UUID REFERENCES users (id),
    recorded_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE reintegration_plans (
    case_id UUID PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    -- draft, approved
    status TEXT NOT NULL,
    approved_by UUID REFERENCES users (id),
    approved_at TIMESTAMPTZ,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE plan_components (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    dimension TEXT NOT NULL,
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    budget_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX plan_components_case ON plan_components (case_id, created_at);
