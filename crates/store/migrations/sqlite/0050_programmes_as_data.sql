-- Programmes as data (issue 21): each programme's office zone, referring
-- authority, accepted regions, clocks, languages and letterhead, and its
-- eligibility rules as versioned documents. The GTA pilot's values are
-- filled in by `programmes::ensure_defaults`; the defaults here are its own.
ALTER TABLE programmes ADD COLUMN host_country TEXT NOT NULL DEFAULT 'CA';
ALTER TABLE programmes ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'America/Toronto';
ALTER TABLE programmes ADD COLUMN authority_name TEXT NOT NULL DEFAULT 'Canada Border Services Agency';
ALTER TABLE programmes ADD COLUMN authority_short_name TEXT NOT NULL DEFAULT 'CBSA';
-- JSON arrays of text.
ALTER TABLE programmes ADD COLUMN referral_facts TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programmes ADD COLUMN regions TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programmes ADD COLUMN languages TEXT NOT NULL DEFAULT '[]';
ALTER TABLE programmes ADD COLUMN contact_hours BIGINT NOT NULL DEFAULT 24;
ALTER TABLE programmes ADD COLUMN departure_target_days BIGINT NOT NULL DEFAULT 30;
ALTER TABLE programmes ADD COLUMN letterhead TEXT;
ALTER TABLE programmes ADD COLUMN signatory TEXT;

-- One row per version of a programme's rules; rows are never changed, so
-- an evaluation's `rule_set` (`code@version`) always names what decided it.
CREATE TABLE programme_rules (
    programme_id UUID NOT NULL REFERENCES programmes (id) ON DELETE CASCADE,
    version BIGINT NOT NULL,
    effective_from DATE NOT NULL,
    document TEXT NOT NULL,
    added_by UUID REFERENCES users (id) ON DELETE SET NULL,
    added_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (programme_id, version)
);
