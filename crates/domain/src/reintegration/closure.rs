//! Closing a case after return, and reopening it.

use super::category::*;
use crate::validation::{self, clean, Invalid};

/// Why a reintegration case is closed (IOM Reintegration Handbook), as
/// `closure-<value>` keys.
pub const CLOSURE_REASONS: [&str; 7] = [
    "support_period_ended",
    "no_longer_meets_criteria",
    "opted_out",
    "left_the_area",
    "died",
    "re_migrated",
    "lost_contact",
];

/// The abrupt exits among [`CLOSURE_REASONS`]: the returnee left the
/// programme without it ending (re-migration, lost contact). Reports count
/// them apart from completed support.
pub const ABRUPT_CLOSURE_REASONS: [&str; 2] = ["re_migrated", "lost_contact"];

/// Whether `reason` is an abrupt exit.
pub fn is_abrupt(reason: &str) -> bool {
    ABRUPT_CLOSURE_REASONS.contains(&reason)
}

/// Checks a closure: a reason of [`CLOSURE_REASONS`] and an optional note.
pub fn validate_closure(reason: Option<&str>, note: Option<&str>) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    match clean(reason) {
        None => inv.add("reason", "required"),
        Some(r) if !CLOSURE_REASONS.contains(&r.as_str()) => inv.add("reason", "invalid-choice"),
        Some(_) => {}
    }
    validation::text(&mut inv, "note", note, false, DESCRIPTION_MAX);
    inv.into_result()
}

/// Checks a reopening: a free-text reason is required (it goes to the audit
/// trail), whatever the closure reason was (a death recorded in error too).
pub fn validate_reopen(reason: Option<&str>) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    validation::text(&mut inv, "reason", reason, true, DESCRIPTION_MAX);
    inv.into_result()
}
