//! The job worker: claims due jobs from the database, runs them, and
//! records each attempt. One per process, in two lanes that each run one job
//! at a time: messages (the CBSA webhook, which must not wait) and bulk work
//! (exports, which may take minutes). Any number of processes may share one
//! database.

use super::{case_export, cbsa_webhook, person_import};

/// The job kinds this build's worker runs.
pub const KINDS: &[&str] = &[cbsa_webhook::KIND, case_export::KIND, person_import::KIND];
use homeward_store::exports;
use homeward_store::jobs::{self, Attempt, Backoff, Job, Status};
use homeward_store::{Error, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{watch, Notify};

/// Wakes the worker of this process at once, for example after a
/// transaction that enqueued a job has committed. Cheap to clone; a wake-up
/// sent while the worker is busy is kept until it next waits.
#[derive(Clone, Debug, Default)]
pub struct Wake(Arc<[Notify; 2]>);

impl Wake {
    /// Lets the worker's lanes look for due jobs now.
    pub fn wake(&self) {
        for lane in self.0.iter() {
            lane.notify_one();
        }
    }
}

/// The kinds the message lane runs; every other kind goes to the bulk lane.
pub const MESSAGE_KINDS: &[&str] = &[cbsa_webhook::KIND];

/// The kinds of the bulk lane: every known kind that is not a message.
pub fn bulk_kinds() -> Vec<&'static str> {
    KINDS
        .iter()
        .copied()
        .filter(|k| !MESSAGE_KINDS.contains(k))
        .collect()
}

/// Tells the worker to stop. Cheap to clone; once triggered it stays so. The
/// worker finishes the attempt it is running (at most the webhook timeout),
/// records it, and returns.
#[derive(Clone, Debug)]
pub struct Shutdown(Arc<watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Shutdown(Arc::new(watch::channel(false).0))
    }
}

impl Shutdown {
    /// Asks every holder to stop.
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    /// Whether [`Shutdown::trigger`] was called.
    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once [`Shutdown::trigger`] was called.
    pub async fn wait(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|stop| *stop).await;
    }
}

/// How the worker runs.
#[derive(Clone, Debug)]
pub struct WorkerConfig {
    /// Names this worker in leases and attempts (default: [`worker_id`]).
    pub worker_id: String,
    /// How often to look for due jobs when not woken (default 1 s).
    pub poll_interval: Duration,
    /// How long a claim holds a job; longer than any attempt can take
    /// (default 60 s). A job whose worker died is taken again after it.
    pub lease: Duration,
    /// Waiting between attempts (default 10 s doubling to 1 h).
    pub backoff: Backoff,
    /// The CBSA webhook; `None` makes its jobs fail "not configured".
    pub webhook: Option<cbsa_webhook::WebhookConfig>,
    /// Wakes the worker at once.
    pub wake: Wake,
    /// Stops the worker.
    pub shutdown: Shutdown,
    /// How often to fail exhausted jobs and clear old payloads (default 1 h).
    pub housekeeping_interval: Duration,
    /// How often to seal new audit entries into the hash chain (default
    /// 5 s; a round with nothing to seal is one read).
    pub audit_seal_interval: Duration,
    /// Payloads of jobs done longer ago than this are replaced by `null`
    /// (they are copies of personal data); `None` keeps them. Default 30 days.
    pub redact_done_after: Option<Duration>,
    /// Delete records past their programme's retention period (docs/adr/0026)
    /// every `retention_interval` (default off; once a day).
    pub retention_enabled: bool,
    pub retention_interval: Duration,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            worker_id: worker_id(),
            poll_interval: Duration::from_secs(1),
            lease: Duration::from_secs(60),
            backoff: Backoff::default(),
            webhook: None,
            wake: Wake::default(),
            shutdown: Shutdown::default(),
            housekeeping_interval: Duration::from_secs(3600),
            audit_seal_interval: Duration::from_secs(5),
            redact_done_after: Some(Duration::from_secs(30 * 24 * 3600)),
            retention_enabled: false,
            retention_interval: Duration::from_secs(24 * 3600),
        }
    }
}

/// `hostname-pid-random`: unique per worker, and says where it ran.
pub fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "homeward".into());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// Starts the worker on the current runtime. It runs until
/// `config.shutdown` is triggered.
pub fn spawn_worker(store: Store, config: WorkerConfig) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let bulk = bulk_kinds();
        let mut bulk_config = config.clone();
        // Leases name their holder: each lane is its own worker.
        bulk_config.worker_id = format!("{}-bulk", config.worker_id);
        tokio::join!(
            run(store.clone(), config, MESSAGE_KINDS, 0, true),
            run(store, bulk_config, &bulk, 1, false),
        );
    })
}

async fn run(store: Store, config: WorkerConfig, kinds: &[&str], lane: usize, keeps_house: bool) {
    let client = cbsa_webhook::client();
    if let Err(e) = &client {
        tracing::error!(error = %e, "the job worker cannot build its HTTP client; webhook jobs will be retried");
    }
    let client = client.ok();
    tracing::info!(worker = %config.worker_id, "job worker started");
    let mut next_housekeeping = Instant::now();
    let mut next_seal = Instant::now();
    let mut next_retention = Instant::now();
    while !config.shutdown.is_triggered() {
        if keeps_house && Instant::now() >= next_seal {
            // A bounded round: a first backfill of millions must not hold
            // up the webhooks of this lane.
            if let Err(e) = homeward_store::audit::seal_up_to(&store, 20_000).await {
                tracing::warn!(error = %e, "sealing the audit trail failed");
            }
            next_seal = Instant::now() + config.audit_seal_interval;
        }
        if keeps_house && Instant::now() >= next_housekeeping {
            housekeeping(&store, &config).await;
            next_housekeeping = Instant::now() + config.housekeeping_interval;
        }
        if keeps_house && config.retention_enabled && Instant::now() >= next_retention {
            retention(&store).await;
            next_retention = Instant::now() + config.retention_interval;
        }
        match jobs::claim(&store, &config.worker_id, kinds, config.lease).await {
            Ok(Some(job)) => {
                run_one(&store, &config, client.as_ref(), job).await;
                continue;
            }
            Ok(None) => {
                // The bulk lane, when idle, scores again the people created
                // or changed since (an import marks each row it writes), a
                // bounded batch at a time so a job waits at most one batch.
                if !keeps_house && refresh_duplicates(&store).await {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "claiming a job failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(config.poll_interval) => {}
            _ = config.wake.0[lane].notified() => {}
            _ = config.shutdown.wait() => break,
        }
    }
    tracing::info!(worker = %config.worker_id, "job worker stopped");
}

async fn run_one(store: &Store, config: &WorkerConfig, client: Option<&reqwest::Client>, job: Job) {
    let started = Instant::now();
    let attempt = match (job.kind.as_str(), client) {
        (cbsa_webhook::KIND, Some(client)) => {
            cbsa_webhook::deliver(client, config.webhook.as_ref(), &job).await
        }
        (cbsa_webhook::KIND, None) => Attempt::Retry {
            http_status: None,
            error: "no HTTP client in this process".into(),
        },
        (case_export::KIND, _) => {
            case_export::run(store, &config.worker_id, config.lease, &job).await
        }
        (person_import::KIND, _) => {
            person_import::run(store, &config.worker_id, config.lease, &job).await
        }
        (other, _) => Attempt::GiveUp {
            http_status: None,
            error: format!("no handler for job kind {other}"),
        },
    };
    let outcome = match &attempt {
        Attempt::Ok { .. } => "ok",
        Attempt::Retry { .. } => "retry",
        Attempt::GiveUp { .. } => "failed",
    };
    metrics::counter!("homeward_job_attempts_total", "kind" => job.kind.clone(), "outcome" => outcome)
        .increment(1);
    let error = match &attempt {
        Attempt::Ok { .. } => None,
        Attempt::Retry { error, .. } | Attempt::GiveUp { error, .. } => Some(error.clone()),
    };
    let ms = started.elapsed().as_millis() as u64;
    match jobs::finish(store, job.id, &config.worker_id, attempt, &config.backoff).await {
        Ok(Status::Done) => {
            tracing::info!(job = %job.id, kind = %job.kind, attempt = job.attempt, ms, "job done")
        }
        Ok(Status::Failed) => tracing::error!(
            job = %job.id, kind = %job.kind, attempt = job.attempt, error = error.as_deref().unwrap_or(""),
            "job failed for good; an admin can retry it (homeward jobs retry ID)"
        ),
        Ok(_) => tracing::warn!(
            job = %job.id, kind = %job.kind, attempt = job.attempt, error = error.as_deref().unwrap_or(""),
            "job attempt failed; it will be retried"
        ),
        Err(Error::Conflict) => tracing::warn!(
            job = %job.id, kind = %job.kind, attempt = job.attempt,
            "the job's lease ran out before this attempt finished; another worker has it"
        ),
        Err(e) => tracing::warn!(
            job = %job.id, kind = %job.kind, error = %e,
            "recording a job attempt failed; the job runs again after its lease"
        ),
    }
}

/// Deletes the records of people past their programme's retention period.
async fn retention(store: &Store) {
    let today = homeward_store::now().date_naive();
    let plan = match homeward_store::retention::plan(store, today).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "retention: finding who is due failed");
            return;
        }
    };
    if plan.households.is_empty() {
        return;
    }
    match homeward_store::retention::purge(store, None, &plan).await {
        Ok(o) => tracing::info!(
            persons = o.persons,
            cases = o.cases,
            kept = o.skipped,
            file_errors = o.file_errors,
            "retention run done"
        ),
        Err(e) => tracing::warn!(error = %e, "retention run failed"),
    }
}

/// People scored per round by [`refresh_duplicates`] (a few ms each).
const DUPLICATES_BATCH: i64 = 200;

/// Refreshes the stored duplicate candidates of up to [`DUPLICATES_BATCH`]
/// people marked pending (docs/adr/0032); true when a full batch was done,
/// so more may be waiting.
async fn refresh_duplicates(store: &Store) -> bool {
    match homeward_store::duplicates::refresh_pending(store, DUPLICATES_BATCH).await {
        Ok(n) => n as i64 == DUPLICATES_BATCH,
        Err(e) => {
            tracing::warn!(error = %e, "refreshing duplicate candidates failed");
            false
        }
    }
}

async fn housekeeping(store: &Store, config: &WorkerConfig) {
    match exports::purge_expired(store, homeward_store::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "expired export files deleted"),
        Err(e) => tracing::warn!(error = %e, "deleting expired export files failed"),
    }
    match homeward_store::import::jobs::purge_expired(store, homeward_store::now()).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(files = n, "expired import reports and used uploads deleted"),
        Err(e) => tracing::warn!(error = %e, "deleting expired import reports failed"),
    }
    match jobs::fail_exhausted(store).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            jobs = n,
            "jobs failed: their worker stopped on the last attempt"
        ),
        Err(e) => tracing::warn!(error = %e, "job housekeeping failed"),
    }
    if let Some(after) = config.redact_done_after {
        let before = chrono::TimeDelta::from_std(after)
            .ok()
            .and_then(|age| homeward_store::now().checked_sub_signed(age));
        let Some(before) = before else {
            return;
        };
        if let Err(e) = jobs::redact_done(store, before).await {
            tracing::warn!(error = %e, "clearing old job payloads failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every kind runs in exactly one lane: an export never holds up the
    /// CBSA webhook, and no kind is left without a worker.
    #[test]
    fn lanes_share_the_kinds_out() {
        let bulk = bulk_kinds();
        for k in KINDS {
            assert!(
                MESSAGE_KINDS.contains(k) != bulk.contains(k),
                "{k} must be in exactly one lane"
            );
        }
        assert!(MESSAGE_KINDS.contains(&cbsa_webhook::KIND));
        assert!(bulk.contains(&case_export::KIND));
    }
}
