-- The job queue (see docs/adr/0011-job-queue-in-the-database.md): background
-- work that must survive restarts and be shared by several processes.
-- Keep in step with ../sqlite/0006_jobs.sql.
CREATE TABLE jobs (
    id UUID PRIMARY KEY,
    kind TEXT NOT NULL,
    -- JSON, interpreted by the handler of the kind.
    payload TEXT NOT NULL,
    -- Not run before this time (also the time of the next retry).
    run_at TIMESTAMPTZ NOT NULL,
    -- Attempts started so far (a claim counts one).
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    -- The worker holding the job, and until when its lease runs.
    locked_by TEXT,
    locked_until TIMESTAMPTZ,
    last_error TEXT,
    done_at TIMESTAMPTZ,
    failed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL,
    -- An event enqueues at most one job with a given key.
    dedupe_key TEXT UNIQUE
);
-- Claiming: the due, unfinished jobs in order.
CREATE INDEX jobs_pending ON jobs (run_at) WHERE done_at IS NULL AND failed_at IS NULL;
-- The admin list, newest first.
CREATE INDEX jobs_created ON jobs (created_at);

CREATE TABLE job_attempts (
    id UUID PRIMARY KEY,
    job_id UUID NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt INTEGER NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    worker TEXT NOT NULL,
    -- running, ok, retry, failed, or lost (the worker's lease ran out first).
    outcome TEXT NOT NULL,
    http_status INTEGER,
    error TEXT,
    UNIQUE (job_id, attempt)
);
