//! Exceptions (IOM's data-protection principle 13): a supervisor may open a
//! case outside their record scope by typing why. The grant is for that
//! case, for a short time, and is recorded, listed for the auditor and told
//! to the case's counsellor. The store keeps the grant; these are its rules.

use crate::{Invalid, Role};

/// How long a grant lasts.
pub const GRANT_MINUTES: i64 = 60;
/// The shortest reason accepted: a word or two is not a reason.
pub const MIN_REASON_CHARS: usize = 15;
/// The longest reason accepted.
pub const MAX_REASON_CHARS: usize = 2000;

/// Whether `role` may break the glass: supervisors only, whose work is to
/// step in on cases (a counsellor away, an emergency).
pub fn may_break_glass(role: Role) -> bool {
    role == Role::Supervisor
}

/// Checks the typed reason (`reason`: `required`, `reason-too-short`,
/// `too-long`) and returns it trimmed.
pub fn check_reason(reason: &str) -> Result<String, Invalid> {
    let r = reason.trim();
    let n = r.chars().count();
    let code = if n == 0 {
        "required"
    } else if n < MIN_REASON_CHARS {
        "reason-too-short"
    } else if n > MAX_REASON_CHARS {
        "too-long"
    } else {
        return Ok(r.to_string());
    };
    Err(Invalid::one("reason", code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_supervisors_break_the_glass() {
        for r in Role::ALL {
            assert_eq!(may_break_glass(r), r == Role::Supervisor, "{r:?}");
        }
    }

    #[test]
    fn a_reason_is_a_sentence() {
        let code = |s: &str| {
            check_reason(s)
                .unwrap_err()
                .for_field("reason")
                .map(str::to_string)
        };
        assert_eq!(code("   ").as_deref(), Some("required"));
        assert_eq!(code("urgent").as_deref(), Some("reason-too-short"));
        assert_eq!(code(&"x".repeat(2001)).as_deref(), Some("too-long"));
        assert_eq!(
            check_reason("  Counsellor on leave; the family called in distress  ").unwrap(),
            "Counsellor on leave; the family called in distress"
        );
        // Characters, not bytes: fifteen accented letters are enough.
        assert!(check_reason(&"é".repeat(15)).is_ok());
    }
}
