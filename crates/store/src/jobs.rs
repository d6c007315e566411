//! The job queue: background work kept in the database, so it survives
//! restarts and is shared by every `homeward` process on one database
//! (see `docs/adr/0011-job-queue-in-the-database.md`).
//!
//! A job is enqueued inside the transaction of the change that causes it, so
//! it exists if and only if that change was committed. A worker *claims* a due
//! job, which gives it a lease (`locked_by`, `locked_until`) and counts one
//! attempt; it then *finishes* it: done, rescheduled with exponential backoff,
//! or failed for good. A worker that dies leaves its lease to run out, after
//! which any worker claims the job again, so delivery is at least once.
//!
//! Every attempt is a row in `job_attempts`: `running` while the lease is
//! held, then `ok`, `retry` or `failed`, or `lost` when its lease ran out
//! before the worker finished it.

use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use homeward_domain::Invalid;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use uuid::Uuid;

/// How many attempts a job gets unless its enqueuer says otherwise. With the
/// default backoff (10 s doubling to a cap of 1 h) that is about three days of
/// retries, enough to ride out a receiver that is down over a weekend.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 72;

/// Longest error text kept per attempt.
const ERROR_LIMIT: usize = 2000;

/// What the error of an attempt whose lease ran out says.
const LOST: &str = "the worker's lease ran out before it finished (stopped, or too slow)";

/// Waiting times between attempts: `base · 2^(n-1)` after the n-th failed
/// attempt, capped, then scattered by ±20 % so that jobs that failed together
/// do not all come back at the same moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Default for Backoff {
    /// 10 s, 20 s, 40 s, ... up to 1 h.
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(3600),
        }
    }
}

impl Backoff {
    /// The wait after the `attempt`-th attempt (1-based) failed.
    pub fn delay(&self, attempt: i32) -> Duration {
        let doublings = attempt.saturating_sub(1).clamp(0, 30) as u32;
        let d = self.base.saturating_mul(1u32 << doublings).min(self.cap);
        d.mul_f64(rand::thread_rng().gen_range(0.8..1.2))
    }
}

/// A job to enqueue, with every option.
#[derive(Debug, Clone)]
pub struct NewJob<'a> {
    /// What to do; selects the handler (`cbsa_webhook`, ...).
    pub kind: &'a str,
    /// The handler's input.
    pub payload: &'a serde_json::Value,
    /// Not run before this time.
    pub run_at: DateTime<Utc>,
    /// At most one job is ever enqueued with the same key.
    pub dedupe_key: Option<&'a str>,
    /// Attempts before the job is given up (at least 1).
    pub max_attempts: i32,
}

/// A claimed job, handed to its handler.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    /// The number of this attempt, from 1.
    pub attempt: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// The claim's lease runs out at this time.
    pub locked_until: DateTime<Utc>,
    pub dedupe_key: Option<String>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: Uuid,
    kind: String,
    payload: String,
    attempts: i32,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    dedupe_key: Option<String>,
}

/// How an attempt ended, as the handler saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    /// Done (for HTTP: the receiver answered 2xx).
    Ok { http_status: Option<u16> },
    /// Try again later, unless the job has used all its attempts.
    Retry {
        http_status: Option<u16>,
        error: String,
    },
    /// Failed for good: trying again cannot help (an admin may still retry).
    GiveUp {
        http_status: Option<u16>,
        error: String,
    },
}

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Waiting for its time (`run_at`) or for a worker; includes retries.
    Pending,
    /// Claimed by a worker whose lease has not run out.
    Running,
    /// Finished successfully.
    Done,
    /// Given up; stays visible until an admin retries it.
    Failed,
}

impl Status {
    /// The name used in filters and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
        }
    }

    /// Parses [`Status::as_str`].
    pub fn parse(s: &str) -> Option<Status> {
        [
            Status::Pending,
            Status::Running,
            Status::Done,
            Status::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A job as the admin view shows it. The payload is left out: it may hold
/// personal data the admin role must not see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobSummary {
    pub id: Uuid,
    pub kind: String,
    pub status: Status,
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it runs next (if pending), or last became due.
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub done_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub dedupe_key: Option<String>,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    id: Uuid,
    kind: String,
    attempts: i32,
    max_attempts: i32,
    run_at: DateTime<Utc>,
    locked_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
    last_error: Option<String>,
    done_at: Option<DateTime<Utc>>,
    failed_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    dedupe_key: Option<String>,
}

impl SummaryRow {
    fn into_summary(self, now: DateTime<Utc>) -> JobSummary {
        let status = if self.done_at.is_some() {
            Status::Done
        } else if self.failed_at.is_some() {
            Status::Failed
        } else if self.locked_until.is_some_and(|t| t > now) {
            Status::Running
        } else {
            Status::Pending
        };
        JobSummary {
            id: self.id,
            kind: self.kind,
            status,
            attempts: self.attempts,
            max_attempts: self.max_attempts,
            run_at: self.run_at,
            locked_by: self.locked_by,
            locked_until: self.locked_until,
            last_error: self.last_error,
            done_at: self.done_at,
            failed_at: self.failed_at,
            created_at: self.created_at,
            dedupe_key: self.dedupe_key,
        }
    }
}

const SUMMARY_COLUMNS: &str = "id, kind, attempts, max_attempts, run_at, locked_by, locked_until, \
     last_error, done_at, failed_at, created_at, dedupe_key";

/// One attempt at a job.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AttemptRow {
    pub attempt: i32,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub worker: String,
    /// running, ok, retry, failed or lost.
    pub outcome: String,
    pub http_status: Option<i32>,
    pub error: Option<String>,
}

/// Which jobs [`list`] returns.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct JobFilter {
    pub kind: Option<String>,
    pub status: Option<Status>,
    /// At most this many, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
}

fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(t)
}

/// `t + d`, with absurd durations held to a century.
fn after(t: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    let century = TimeDelta::days(36_525);
    let d = TimeDelta::from_std(d).unwrap_or(century).min(century);
    micros(t.checked_add_signed(d).unwrap_or(t))
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(ERROR_LIMIT) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Enqueues a job inside the caller's transaction, with
/// [`DEFAULT_MAX_ATTEMPTS`]. With a `dedupe_key` that was used before,
/// nothing is enqueued and the existing job's id is returned.
pub async fn enqueue(
    tx: &mut Tx,
    kind: &str,
    payload: &serde_json::Value,
    run_at: DateTime<Utc>,
    dedupe_key: Option<&str>,
) -> Result<Uuid> {
    enqueue_job(
        tx,
        &NewJob {
            kind,
            payload,
            run_at,
            dedupe_key,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        },
    )
    .await
}

/// [`enqueue`] with every option.
pub async fn enqueue_job(tx: &mut Tx, job: &NewJob<'_>) -> Result<Uuid> {
    let mut inv = Invalid::default();
    if job.kind.trim().is_empty() {
        inv.add("kind", "required");
    }
    if job.max_attempts < 1 {
        inv.add("max_attempts", "out-of-range");
    }
    inv.into_result()?;
    let id = Uuid::new_v4();
    let payload = job.payload.to_string();
    let inserted: Option<Uuid> = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, created_at, dedupe_key) \
         VALUES ($1, $2, $3, $4, 0, $5, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id")
        .bind(id).bind(job.kind).bind(&payload).bind(micros(job.run_at)).bind(job.max_attempts)
        .bind(crate::now()).bind(job.dedupe_key).fetch_optional(c).await)?;
    match inserted {
        Some(id) => Ok(id),
        None => Ok(
            on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM jobs WHERE dedupe_key = $1")
            .bind(job.dedupe_key).fetch_one(c).await)?,
        ),
    }
}

/// The condition of a job any worker may claim now.
fn claimable(q: &mut Sql, now: DateTime<Utc>, kinds: &[&str]) {
    q.push("done_at IS NULL AND failed_at IS NULL AND attempts < max_attempts AND run_at <= ")
        .bind(Param::Time(now))
        .push(" AND (locked_until IS NULL OR locked_until <= ")
        .bind(Param::Time(now))
        .push(") AND kind IN (");
    for (i, k) in kinds.iter().enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(Param::Text((*k).to_string()));
    }
    q.push(")");
}

/// Takes one due job of one of `kinds` for `worker`, for `lease`; `None` when
/// there is none. Atomic across processes: on PostgreSQL the row is taken
/// with `FOR UPDATE SKIP LOCKED`, on SQLite the single `UPDATE` runs under
/// `BEGIN IMMEDIATE`. A job whose previous worker's lease ran out is claimed
/// again (that attempt is then recorded as `lost`).
pub async fn claim(
    store: &Store,
    worker: &str,
    kinds: &[&str],
    lease: Duration,
) -> Result<Option<Job>> {
    if kinds.is_empty() {
        return Ok(None);
    }
    let now = crate::now();
    // A cheap read first, so an idle poll takes no write lock.
    let mut probe = Sql::new("SELECT id FROM jobs WHERE ");
    claimable(&mut probe, now, kinds);
    probe.push(" LIMIT 1");
    let any: Option<Uuid> = on_db!(&store.db, p => bind_params!(sqlx::query_scalar::<_, Uuid>(&probe.text), probe.params).fetch_optional(p).await)?;
    if any.is_none() {
        return Ok(None);
    }

    let until = after(now, lease);
    let mut q = Sql::new("UPDATE jobs SET locked_by = ");
    q.bind(Param::Text(worker.to_string()))
        .push(", locked_until = ")
        .bind(Param::Time(until))
        .push(", attempts = attempts + 1 WHERE id = (SELECT id FROM jobs WHERE ");
    claimable(&mut q, now, kinds);
    q.push(" ORDER BY run_at, created_at LIMIT 1");
    if store.is_postgres() {
        q.push(" FOR UPDATE SKIP LOCKED");
    }
    q.push(") RETURNING id, kind, payload, attempts, max_attempts, run_at, created_at, dedupe_key");
    let mut tx = store.begin().await?;
    let row: Option<JobRow> = on_tx!(&mut tx, c => bind_params!(sqlx::query_as::<_, JobRow>(&q.text), q.params).fetch_optional(c).await)?;
    let Some(row) = row else {
        // Someone else took it between the probe and the claim; the
        // transaction rolls back when dropped.
        return Ok(None);
    };
    let lost = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE job_attempts SET outcome = 'lost', finished_at = $1, error = $2 WHERE job_id = $3 AND outcome = 'running'")
        .bind(now).bind(LOST).bind(row.id).execute(c).await.map(|r| r.rows_affected()))?;
    if lost > 0 {
        on_tx!(&mut tx, c => sqlx::query("UPDATE jobs SET last_error = $1 WHERE id = $2")
            .bind(LOST).bind(row.id).execute(c).await.map(|r| r.rows_affected()))?;
    }
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO job_attempts (id, job_id, attempt, started_at, worker, outcome) VALUES ($1, $2, $3, $4, $5, 'running')")
        .bind(Uuid::new_v4()).bind(row.id).bind(row.attempts).bind(now).bind(worker)
        .execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    let payload = serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null);
    Ok(Some(Job {
        id: row.id,
        kind: row.kind,
        payload,
        attempt: row.attempts,
        max_attempts: row.max_attempts,
        run_at: row.run_at,
        created_at: row.created_at,
        locked_until: until,
        dedupe_key: row.dedupe_key,
    }))
}

/// Records how `worker`'s attempt at a job ended and moves the job on: done;
/// pending again at `now + backoff.delay(attempt)`; or failed, after a
/// [`Attempt::GiveUp`] or when the job has used all its attempts. Refused
/// with [`Error::Conflict`] unless `worker` still holds the job (its lease ran
/// out and another worker claimed it, or the job is already finished), so a
/// slow worker never overwrites another's result. Returns the job's new status.
pub async fn finish(
    store: &Store,
    job_id: Uuid,
    worker: &str,
    attempt: Attempt,
    backoff: &Backoff,
) -> Result<Status> {
    let now = crate::now();
    let mut tx = store.begin().await?;
    type Current = (
        i32,
        i32,
        Option<String>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
    );
    let cur: Option<Current> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT attempts, max_attempts, locked_by, done_at, failed_at FROM jobs WHERE id = $1")
        .bind(job_id).fetch_optional(c).await)?;
    let Some((attempts, max_attempts, locked_by, done_at, failed_at)) = cur else {
        return Err(Error::NotFound);
    };
    if locked_by.as_deref() != Some(worker) || done_at.is_some() || failed_at.is_some() {
        return Err(Error::Conflict);
    }
    let (outcome, status, http_status, error) = match attempt {
        Attempt::Ok { http_status } => ("ok", Status::Done, http_status, None),
        Attempt::Retry { http_status, error } if attempts < max_attempts => {
            ("retry", Status::Pending, http_status, Some(clip(&error)))
        }
        Attempt::Retry { http_status, error } | Attempt::GiveUp { http_status, error } => {
            ("failed", Status::Failed, http_status, Some(clip(&error)))
        }
    };
    let next_run = (status == Status::Pending).then(|| after(now, backoff.delay(attempts)));
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE jobs SET locked_by = NULL, locked_until = NULL, done_at = $1, failed_at = $2, last_error = $3, \
         run_at = COALESCE($4, run_at) \
         WHERE id = $5 AND locked_by = $6 AND attempts = $7 AND done_at IS NULL AND failed_at IS NULL")
        .bind((status == Status::Done).then_some(now))
        .bind((status == Status::Failed).then_some(now))
        .bind(error.as_deref())
        .bind(next_run)
        .bind(job_id).bind(worker).bind(attempts)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE job_attempts SET finished_at = $1, outcome = $2, http_status = $3, error = $4 \
         WHERE job_id = $5 AND attempt = $6")
        .bind(now).bind(outcome).bind(http_status.map(i32::from)).bind(error.as_deref())
        .bind(job_id).bind(attempts)
        .execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(status)
}

/// Makes a failed or pending job due at once (an admin's "retry now"). A job
/// that has used all its attempts gets as many again. Done jobs and jobs a
/// worker is running are refused with [`Error::Conflict`].
pub async fn retry_now(store: &Store, job_id: Uuid) -> Result<()> {
    let now = crate::now();
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE jobs SET failed_at = NULL, run_at = $1, locked_by = NULL, locked_until = NULL, \
         max_attempts = CASE WHEN attempts >= max_attempts THEN attempts + max_attempts ELSE max_attempts END \
         WHERE id = $2 AND done_at IS NULL AND (locked_until IS NULL OR locked_until <= $3)")
        .bind(now).bind(job_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        let exists: Option<Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM jobs WHERE id = $1")
            .bind(job_id).fetch_optional(c).await)?;
        return Err(if exists.is_some() {
            Error::Conflict
        } else {
            Error::NotFound
        });
    }
    // An attempt left running by a worker whose lease ran out is over.
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE job_attempts SET outcome = 'lost', finished_at = $1, error = $2 WHERE job_id = $3 AND outcome = 'running'")
        .bind(now).bind(LOST).bind(job_id).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(())
}

/// The attempts at a job, first first.
pub async fn attempts(store: &Store, job_id: Uuid) -> Result<Vec<AttemptRow>> {
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, AttemptRow>(
        "SELECT attempt, started_at, finished_at, worker, outcome, http_status, error \
         FROM job_attempts WHERE job_id = $1 ORDER BY attempt")
        .bind(job_id).fetch_all(p).await)?)
}

/// One job, for the admin view.
pub async fn get(store: &Store, job_id: Uuid) -> Result<JobSummary> {
    let now = crate::now();
    let row: Option<SummaryRow> = on_db!(&store.db, p => sqlx::query_as::<_, SummaryRow>(
        &format!("SELECT {SUMMARY_COLUMNS} FROM jobs WHERE id = $1"))
        .bind(job_id).fetch_optional(p).await)?;
    row.map(|r| r.into_summary(now)).ok_or(Error::NotFound)
}

/// Jobs for the admin view (kind, status, attempts, last error), newest first.
pub async fn list(store: &Store, filter: &JobFilter) -> Result<Vec<JobSummary>> {
    let now = crate::now();
    let mut q = Sql::new(&format!("SELECT {SUMMARY_COLUMNS} FROM jobs WHERE 1 = 1"));
    if let Some(kind) = &filter.kind {
        q.push(" AND kind = ").bind(Param::Text(kind.clone()));
    }
    match filter.status {
        None => {}
        Some(Status::Done) => {
            q.push(" AND done_at IS NOT NULL");
        }
        Some(Status::Failed) => {
            q.push(" AND failed_at IS NOT NULL");
        }
        Some(Status::Running) => {
            q.push(" AND done_at IS NULL AND failed_at IS NULL AND locked_until > ")
                .bind(Param::Time(now));
        }
        Some(Status::Pending) => {
            q.push(" AND done_at IS NULL AND failed_at IS NULL AND (locked_until IS NULL OR locked_until <= ")
                .bind(Param::Time(now))
                .push(")");
        }
    }
    q.push(" ORDER BY created_at DESC, id LIMIT ")
        .bind(Param::I64(filter.limit.unwrap_or(100).clamp(1, 1000)));
    let rows: Vec<SummaryRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, SummaryRow>(&q.text), q.params).fetch_all(p).await)?;
    Ok(rows.into_iter().map(|r| r.into_summary(now)).collect())
}

/// Marks failed the jobs whose worker's lease ran out on their last allowed
/// attempt (they cannot be claimed again). Returns how many.
pub async fn fail_exhausted(store: &Store) -> Result<u64> {
    let now = crate::now();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE job_attempts SET outcome = 'lost', finished_at = $1, error = $2 \
         WHERE outcome = 'running' AND job_id IN (SELECT id FROM jobs WHERE done_at IS NULL AND failed_at IS NULL \
         AND attempts >= max_attempts AND locked_until IS NOT NULL AND locked_until <= $1)")
        .bind(now).bind(LOST).execute(c).await.map(|r| r.rows_affected()))?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE jobs SET failed_at = $1, locked_by = NULL, locked_until = NULL, last_error = $2 \
         WHERE done_at IS NULL AND failed_at IS NULL \
         AND attempts >= max_attempts AND locked_until IS NOT NULL AND locked_until <= $1")
        .bind(now).bind(LOST).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n)
}

/// Replaces by JSON `null` the payload of jobs done before `before`: a
/// delivered payload is a copy of personal data that is no longer needed.
/// The job and its attempts stay. Returns how many payloads were cleared.
pub async fn redact_done(store: &Store, before: DateTime<Utc>) -> Result<u64> {
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE jobs SET payload = 'null' WHERE done_at IS NOT NULL AND done_at < $1 AND payload <> 'null'")
        .bind(before).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(n)
}

/// [`retry_now`] asked for by a user: only an administrator may, and the
/// audit trail records it.
pub async fn retry_by(store: &Store, actor: &crate::Actor, job_id: Uuid) -> Result<()> {
    actor.require(
        homeward_domain::Resource::Programme,
        homeward_domain::Action::Manage,
    )?;
    retry_now(store, job_id).await?;
    let mut tx = store.begin().await?;
    crate::audit::record(
        &mut tx,
        Some(actor),
        crate::audit::Entry {
            action: "retry",
            entity: "job",
            entity_id: Some(job_id.to_string()),
            case_id: None,
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await
}
