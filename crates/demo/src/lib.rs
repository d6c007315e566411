//! Homeward's demo and benchmark data, kept out of the production library
//! crates: only the binary (`homeward demo`, `homeward serve --demo`), the
//! benchmarks and the tests link it.
//!
//! - [`cases`]: the demo accounts, and the bulk loader of generated cases
//!   with their families, referrals, timelines, evaluations and flights (and
//!   for the benchmarks, optionally, what follows return), up to a million
//!   cases in one transaction;
//! - [`live`]: a second programme whose referrals run up to today, so the
//!   demo's first screens show current work;
//! - [`returns`]: what the missions and finance would have recorded for the
//!   demo's returned cases (arrivals, follow-ups, plans, purchases with
//!   receipt files, surveys, closures), after [`cases::load`].
//!
//! Both write their rows with the store's bulk writer
//! ([`homeward_store::bulk`]) as the store's use cases would have left them,
//! and what the use cases derive (search terms, milestones, sealed names) with
//! the store's own functions.

pub mod cases;
pub mod live;
pub mod returns;
