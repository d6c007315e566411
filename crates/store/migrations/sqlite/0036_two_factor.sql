-- Two-factor sign-in (TOTP, RFC 6238) and re-authentication (docs/adr/0027).
-- A user's base32 secret is kept from the enrolment page on; two-factor is on
-- once `totp_enabled_at` is set (a code was confirmed). `totp_last_step` is
-- the last 30-second step whose code was accepted: a code is refused unless
-- its step is later, so no code works twice.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMPTZ;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Ten single-use recovery codes per user, shown once; only their SHA-256 is
-- kept (each code holds 80 random bits).
CREATE TABLE recovery_codes (
    user_id UUID NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, code_hash)
);

-- A session's stage: `full`, or a pending half-session after the password
-- (`two_factor`: a code is due; `enrol`: two-factor must be set up first)
-- that opens no page but its own. `reauthenticated_at`: when the password
-- (and code) were last typed, for sensitive actions.
ALTER TABLE sessions ADD COLUMN stage TEXT NOT NULL DEFAULT 'full';
ALTER TABLE sessions ADD COLUMN reauthenticated_at TIMESTAMPTZ;
