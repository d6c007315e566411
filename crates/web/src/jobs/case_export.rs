//! Case list and de-identified exports: job kind [`KIND`], enqueued by
//! [`homeward_store::exports::create`] and
//! [`homeward_store::deidentified::create`] with the payload
//! `{"export_id": "<uuid>"}`. The handler streams the rows to the file and
//! keeps the export's progress (and the job's lease) up to date.

use crate::i18n::{Lang, Tr};
use homeward_store::deidentified;
use homeward_store::exports::{self, JobLease};
use homeward_store::jobs::{Attempt, Job};
use homeward_store::{Error, Store};
use std::time::Duration;
use uuid::Uuid;

/// The job kind.
pub const KIND: &str = exports::JOB_KIND;

/// Writes the export named by the job. Bad payloads, and exports whose
/// owner may no longer have them, fail for good; anything else is retried
/// (a new attempt writes the file again from the start).
pub async fn run(store: &Store, worker: &str, lease: Duration, job: &Job) -> Attempt {
    let id = job
        .payload
        .get("export_id")
        .and_then(|v| v.as_str())
        .and_then(|s| Uuid::parse_str(s).ok());
    let Some(id) = id else {
        return Attempt::GiveUp {
            http_status: None,
            error: "the payload names no export".into(),
        };
    };
    let labels = |lang: &str, key: &str| Tr::new(Lang::parse(lang).unwrap_or(Lang::En)).t(key);
    let lease = JobLease {
        job_id: job.id,
        worker,
        lease,
    };
    // De-identified exports share the table and this job kind; the
    // export's kind says which writer it needs.
    let written = match deidentified::is_deidentified(store, id).await {
        Ok(true) => deidentified::write(store, id, &labels, &lease).await,
        Ok(false) => exports::write(store, id, &labels, &lease).await,
        Err(e) => Err(e),
    };
    match written {
        Ok(_) => Attempt::Ok { http_status: None },
        Err(e) => {
            let error = e.to_string();
            let for_good = matches!(e, Error::NotFound | Error::Forbidden | Error::Invalid(_))
                || job.attempt >= job.max_attempts;
            if !for_good {
                return Attempt::Retry {
                    http_status: None,
                    error,
                };
            }
            if let Err(e) = exports::mark_failed(store, id, &error).await {
                tracing::warn!(export = %id, error = %e, "marking an export failed did not work");
            }
            Attempt::GiveUp {
                http_status: None,
                error,
            }
        }
    }
}
