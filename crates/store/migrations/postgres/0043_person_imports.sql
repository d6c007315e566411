-- Person imports run as background jobs (issue 8, docs/adr/0033): the
-- upload waits sealed under the data folder until the job has read it; the
-- row keeps the progress, the counts and where the report of invalid rows
-- is, for its owner only. No personal value is kept here: the file name is
-- not stored and the report is a sealed file that expires.
-- Keep in step with ../sqlite/0043_person_imports.sql.
CREATE TABLE person_imports (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES users (id),
    job_id UUID,
    -- queued, running, done, refused (the file as a whole) or failed.
    status TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    -- The column renaming given with the upload (column names only).
    mapping TEXT NOT NULL,
    bytes_total BIGINT NOT NULL,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    -- Data rows in the file, counted before the import starts.
    total_rows BIGINT,
    rows_done BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    unchanged BIGINT NOT NULL DEFAULT 0,
    invalid BIGINT NOT NULL DEFAULT 0,
    problems BIGINT NOT NULL DEFAULT 0,
    -- Why the file was refused or the job failed: a stable code, the
    -- reason in English and what it names (the header's columns), never a
    -- row's value.
    error_code TEXT,
    error TEXT,
    error_detail TEXT,
    -- Relative to the data folder; NULL once deleted.
    upload_path TEXT,
    report_path TEXT,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    -- When the report is deleted.
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX person_imports_owner_created ON person_imports (owner_id, created_at);
