//! Person imports (docs/adr/0033): job kind [`KIND`], enqueued by
//! [`homeward_store::import::jobs::Upload::finish`] with the payload
//! `{"import_id": "<uuid>"}`. The handler runs the import, keeping its
//! progress (and the job's lease) up to date; how the import ended (done,
//! refused, failed) is kept with the import for its owner to see.

use homeward_store::import::jobs::{self, JobLease};
use homeward_store::jobs::{Attempt, Job};
use homeward_store::Store;
use std::time::Duration;
use uuid::Uuid;

/// The job kind.
pub const KIND: &str = jobs::JOB_KIND;

/// Runs the import named by the job. The job has one attempt (a second
/// would create again the rows without an external id): an import that
/// ends `refused` or `failed` is still a finished job, its outcome is the
/// import's; only a payload naming no import, or an import whose end could
/// not be recorded, fails the job.
pub async fn run(store: &Store, worker: &str, lease: Duration, job: &Job) -> Attempt {
    let id = job
        .payload
        .get("import_id")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok());
    let Some(id) = id else {
        return Attempt::GiveUp {
            http_status: None,
            error: "the payload names no import".into(),
        };
    };
    let lease = JobLease {
        job_id: job.id,
        worker: worker.to_string(),
        lease,
    };
    match jobs::execute(store, id, Some(&lease)).await {
        Ok(i) => {
            tracing::info!(import = %id, status = %i.status, rows = i.rows_done, "person import finished");
            Attempt::Ok { http_status: None }
        }
        Err(e) => Attempt::GiveUp {
            http_status: None,
            error: e.to_string(),
        },
    }
}
