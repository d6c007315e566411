-- API tokens a person can recognise, expire and revoke (issue 26): a name,
-- an optional expiry, who revoked it, and whether it outlives a password
-- change (service accounts). last_used_at and revoked_at existed already.
ALTER TABLE api_tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE api_tokens ADD COLUMN expires_at TIMESTAMPTZ;
ALTER TABLE api_tokens ADD COLUMN keep_on_password_change BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE api_tokens ADD COLUMN revoked_by UUID REFERENCES users (id) ON DELETE SET NULL;
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);
