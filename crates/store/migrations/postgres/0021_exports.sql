-- Case list exports (see docs/adr/0016-case-exports-as-jobs.md): each
-- request, the job that writes it and where its file waits for its owner.
-- Keep in step with ../sqlite/0021_exports.sql.
CREATE TABLE exports (
    id UUID PRIMARY KEY,
    owner_id UUID NOT NULL REFERENCES users (id),
    -- The case list's filters at the time of the request (JSON).
    filter_json TEXT NOT NULL,
    -- Column ids, comma separated, in the order written.
    columns TEXT NOT NULL,
    -- csv or xlsx.
    format TEXT NOT NULL,
    hxl BOOLEAN NOT NULL,
    -- Language of the header row.
    lang TEXT NOT NULL,
    -- queued, running, done or failed.
    status TEXT NOT NULL,
    rows_written BIGINT NOT NULL DEFAULT 0,
    total_rows BIGINT,
    -- Relative to the data folder; set once written.
    file_path TEXT,
    error TEXT,
    job_id UUID,
    created_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX exports_owner_created ON exports (owner_id, created_at);
