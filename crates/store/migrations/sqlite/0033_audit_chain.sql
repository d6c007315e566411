-- The audit trail as a hash chain (docs/adr/0022). Entries are inserted
-- unsealed, as before, by every transaction; the sealer later gives each a
-- gapless `seq` and `hash = SHA-256(previous hash || the entry's fields)`.
-- Only the sealer touches the chain head, so writers never wait on it.
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_seq ON audit_log (seq);
-- What the sealer looks for: only the few unsealed entries, in id order.
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;
-- Person filters of the auditor's view.
CREATE INDEX audit_log_case ON audit_log (case_id, id);
CREATE INDEX audit_log_entity_id ON audit_log (entity_id);
-- The last sealed entry: one row, locked by the sealer alone. `seq` 0 and
-- an all-zero hash stand for the empty chain.
CREATE TABLE audit_chain_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL,
    sealed_at TIMESTAMPTZ
);
INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
