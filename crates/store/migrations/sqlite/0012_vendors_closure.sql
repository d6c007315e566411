-- Vendors a purchase goes to, and case closures with their reason code and
-- any reopening. One row per closure, kept when the case is reopened, so the
-- history shows every closure. `from_status` is where the case was closed
-- from: only a case closed after return (reintegrating, monitoring) reopens,
-- back to that status. Keep in step with ../postgres/0012_vendors_closure.sql.
CREATE TABLE case_closures (
    id UUID PRIMARY KEY,
    case_id UUID NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    from_status TEXT NOT NULL,
    -- one of reintegration::CLOSURE_REASONS
    reason TEXT NOT NULL,
    note TEXT,
    closed_by UUID REFERENCES users (id),
    closed_at TIMESTAMPTZ NOT NULL,
    reopened_by UUID REFERENCES users (id),
    reopened_at TIMESTAMPTZ,
    reopen_reason TEXT
);
CREATE INDEX case_closures_case ON case_closures (case_id, closed_at);
-- At most one closure in force per case.
CREATE UNIQUE INDEX case_closures_open ON case_closures (case_id) WHERE reopened_at IS NULL;

-- Purchases by vendor (payments per vendor, a vendor's history).
CREATE INDEX purchases_vendor ON purchases (vendor_id);
