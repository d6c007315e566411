-- Failed sign-ins, for throttling (docs/adr/0024). One row per failure and
-- scope: `account` (key: the typed email, trimmed and lower-cased, known or
-- not) and `address` (key: the client's IPv4 address or IPv6 /64). Times are
-- Unix milliseconds so both databases compare them the same way. Rows older
-- than the window are deleted as new failures come in; a success deletes the
-- account's rows.
CREATE TABLE sign_in_failures (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    failed_at BIGINT NOT NULL
);
CREATE INDEX sign_in_failures_key ON sign_in_failures (scope, key, failed_at);
CREATE INDEX sign_in_failures_at ON sign_in_failures (failed_at);
