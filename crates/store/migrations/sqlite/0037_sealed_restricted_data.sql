-- Restricted data is sealed at rest (ADR 0027): the vulnerability's kind is
-- now ciphertext, so equality search goes through a keyed hash of it.
-- Keep in step with ../postgres/0037_sealed_restricted_data.sql.
ALTER TABLE vulnerabilities ADD COLUMN kind_hash TEXT;
CREATE INDEX vulnerabilities_kind_hash ON vulnerabilities (kind_hash, case_id);
