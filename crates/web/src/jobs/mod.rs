//! Background jobs: the worker that runs the database job queue
//! ([`homeward_store::jobs`]) in this process, and the handler of each kind.
//!
//! Work is enqueued with [`homeward_store::jobs::enqueue`] inside the
//! transaction that causes it; after the commit, [`Wake::wake`] lets this
//! process's worker start at once instead of at its next poll. Any process on
//! the same database may run the job: delivery is at least once.

pub mod case_export;
pub mod cbsa_webhook;
pub mod person_import;
pub mod worker;

pub use cbsa_webhook::{sign, verify, WebhookConfig};
pub use worker::KINDS;
pub use worker::{spawn_worker, worker_id, Shutdown, Wake, WorkerConfig};
