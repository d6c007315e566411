-- Reintegration money: the vendors a mission buys from, each case's
-- reintegration budget (the row approvals lock, so two approvals on one case
-- run one after the other), and in-kind purchases with the exchange rate
-- they were converted at. Keep in step with ../sqlite/0008_purchases.sql.
CREATE TABLE vendors (
    id UUID PRIMARY KEY,
    country TEXT NOT NULL,
    name TEXT NOT NULL,
    categories TEXT NOT NULL DEFAULT '[]',
    contact TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_by UUID REFERENCES users (id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX vendors_country ON vendors (country, name);

CREATE TABLE reintegration_budgets (
    case_id UUID PRIMARY KEY REFERENCES cases (id) ON DELETE CASCADE,
    entitlement_minor BIGINT NOT NULL,
    currency TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE purchases (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    vendor_id UUID REFERENCES vendors (id),
    category TEXT NOT NULL,
    description TEXT NOT NULL,
    local_minor BIGINT NOT NULL,
    local_currency TEXT NOT NULL,
    -- Programme currency per unit of local currency, exactly as entered.
    rate_numerator BIGINT NOT NULL,
    rate_denominator BIGINT NOT NULL,
    rate_source TEXT,
    rate_date DATE,
    rate_entered_by UUID REFERENCES users (id),
    rate_entered_at TIMESTAMPTZ NOT NULL,
    programme_minor BIGINT NOT NULL,
    programme_currency TEXT NOT NULL,
    -- requested, approved, rejected, cancelled, paid, delivered
    status TEXT NOT NULL,
    reason TEXT,
    requested_by UUID NOT NULL REFERENCES users (id),
    requested_at TIMESTAMPTZ NOT NULL,
    decided_by UUID REFERENCES users (id),
    decided_at TIMESTAMPTZ,
    paid_by UUID REFERENCES users (id),
    paid_at TIMESTAMPTZ,
    receipt_attachment_id UUID REFERENCES attachments (id),
    delivered_by UUID REFERENCES users (id),
    delivered_at TIMESTAMPTZ,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX purchases_case ON purchases (case_id, status);
CREATE INDEX purchases_status ON purchases (status, requested_at);
