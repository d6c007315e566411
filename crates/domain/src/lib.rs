//! Homeward's domain: the types and rules of an AVRR programme.
//!
//! Everything here is pure: no I/O, no async. The store remembers what this
//! crate decides, and the web layer translates it for people and programs.

pub mod airports;
pub mod appointment;
pub mod booking;
pub mod break_glass;
pub mod case_input;
pub mod case_number;
pub mod consent;
pub mod dashboard;
pub mod deidentify;
pub mod duplicates;
pub mod eligibility;
pub mod feedback;
pub mod files;
pub mod followups;
pub mod home;
pub mod import;
pub mod iso_names;
pub mod itinerary;
pub mod merge;
pub mod money;
pub mod password;
pub mod person;
pub mod programme;
pub mod readiness;
pub mod referral;
pub mod reintegration;
pub mod report;
pub mod retention;
pub mod returnee_access;
pub mod role;
pub mod rss;
pub mod search;
pub mod totp;
pub mod validation;
pub mod workflow;

pub use case_number::CaseNumber;
pub use role::{Action, Resource, Role, Scope};
pub use validation::{FieldError, Invalid};
pub use workflow::{CaseStatus, TransitionContext, TransitionError};
