-- The programme dashboard (docs/adr/0020): the monthly departure target an
-- administrator sets, and indexes so that each panel starts from the time of
-- the events it counts and reads only its period's rows.
ALTER TABLE programmes ADD COLUMN monthly_departure_target BIGINT;
-- Reintegration spending of a period: purchases by when they were paid.
CREATE INDEX IF NOT EXISTS purchases_paid_at ON purchases (paid_at, case_id) WHERE paid_at IS NOT NULL;
-- Entitlement tiers of a period: evaluations by when they were made.
CREATE INDEX IF NOT EXISTS eligibility_evaluations_at ON eligibility_evaluations (evaluated_at, case_id);
-- Overdue first contacts: only referrals still waiting, by when contact was due.
CREATE INDEX IF NOT EXISTS referrals_uncontacted_due ON referrals (contact_due_at, case_id) WHERE contacted_at IS NULL;
