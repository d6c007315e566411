//! The returnee's personal access code (issue 22): given by staff to each
//! adult on a case, typed with their date of birth to open their own page.
//! 20 characters of Crockford's base32 (100 bits), shown in groups of four;
//! what a person types is read forgivingly (case, spaces, dashes, and the
//! letters people confuse with digits).

use crate::workflow::CaseStatus;
use crate::Role;
use chrono::{DateTime, Duration, Utc};

/// Crockford's base32 alphabet: no I, L, O or U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code.
pub const CODE_CHARS: usize = 20;
/// Random bytes a code is made from (at least its 100 bits).
pub const CODE_BYTES: usize = 13;
/// Days after a case closes that its codes still open the page, unless the
/// programme says otherwise.
pub const DEFAULT_DAYS_AFTER_CLOSURE: i64 = 365;

/// The code made of `bytes` (the first 100 bits), as `XXXX-XXXX-...`.
pub fn format_code(bytes: &[u8; CODE_BYTES]) -> String {
    let mut bits: u128 = 0;
    for b in bytes {
        bits = (bits << 8) | u128::from(*b);
    }
    // 104 bits read; keep the top 100.
    bits >>= 4;
    let mut chars = Vec::with_capacity(CODE_CHARS);
    for i in (0..CODE_CHARS).rev() {
        chars.push(ALPHABET[((bits >> (5 * i)) & 31) as usize] as char);
    }
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The code as typed, in its one stored form (20 characters, no dashes), or
/// `None` when it cannot be a code.
pub fn normalize(typed: &str) -> Option<String> {
    if typed.len() > 100 {
        return None;
    }
    let mut out = String::with_capacity(CODE_CHARS);
    for c in typed.chars() {
        let c = match c.to_ascii_uppercase() {
            '-' | ' ' | '\t' => continue,
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
            return None;
        }
        out.push(c);
    }
    (out.len() == CODE_CHARS).then_some(out)
}

/// Who gives codes: counsellors and supervisors, and the mission once the
/// person has returned.
pub fn may_issue(role: Role, status: CaseStatus) -> bool {
    match role {
        Role::Counsellor | Role::Supervisor => true,
        Role::MissionOfficer => status.is_after_departure() || status == CaseStatus::Closed,
        _ => false,
    }
}

/// Whether a code of a case closed at `closed_at` has expired at `now`.
pub fn expired(
    closed_at: Option<DateTime<Utc>>,
    days_after_closure: i64,
    now: DateTime<Utc>,
) -> bool {
    closed_at.is_some_and(|c| now >= c + Duration::days(days_after_closure))
}

/// The steps a returnee's page shows, in plain words (keys `my-step-*`).
pub const STEPS: [&str; 6] = [
    "counselling",
    "application",
    "travel",
    "arrival",
    "support",
    "closed",
];

/// Which of [`STEPS`] a case in `status` is at; `None` when the case
/// stopped before return (refused or withdrawn).
pub fn step(status: CaseStatus) -> Option<usize> {
    use CaseStatus::*;
    match status {
        Referred | Intake | Counselling => Some(0),
        Applied | Eligible => Some(1),
        PreparingDeparture => Some(2),
        Departed => Some(3),
        Reintegrating | Monitoring => Some(4),
        Closed => Some(5),
        Ineligible | Withdrawn => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn codes_are_twenty_characters_in_groups() {
        let c = format_code(&[0xff; CODE_BYTES]);
        assert_eq!(c, "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ");
        assert_eq!(format_code(&[0; CODE_BYTES]), "0000-0000-0000-0000-0000");
        assert_eq!(
            normalize(" zzzz zzzz-zzzz-ZZZZ zzzz ").as_deref(),
            Some("ZZZZZZZZZZZZZZZZZZZZ")
        );
        assert_eq!(
            normalize("OOOO-IIII-LLLL-0000-1111").as_deref(),
            Some("00001111111100001111")
        );
        for bad in [
            "",
            "ZZZZ",
            &"Z".repeat(21),
            "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZU",
            "ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZÉ",
            &"-".repeat(5000),
        ] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn the_mission_gives_codes_after_return() {
        use CaseStatus::*;
        assert!(may_issue(Role::Counsellor, Referred));
        assert!(may_issue(Role::Supervisor, Closed));
        assert!(!may_issue(Role::MissionOfficer, PreparingDeparture));
        assert!(may_issue(Role::MissionOfficer, Reintegrating));
        for r in [
            Role::CbsaOfficer,
            Role::Finance,
            Role::Analyst,
            Role::Admin,
            Role::Auditor,
        ] {
            assert!(!may_issue(r, Reintegrating), "{r:?}");
        }
    }

    #[test]
    fn codes_expire_some_time_after_closure() {
        let closed = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        assert!(!expired(None, 365, closed + Duration::days(5000)));
        assert!(!expired(Some(closed), 365, closed + Duration::days(364)));
        assert!(expired(Some(closed), 365, closed + Duration::days(365)));
    }

    #[test]
    fn every_status_has_a_step_in_order_or_stopped() {
        let mut last = 0;
        for s in CaseStatus::ALL {
            match step(s) {
                Some(i) => {
                    assert!(i >= last && i < STEPS.len(), "{s}");
                    last = i;
                }
                None => assert!(matches!(s, CaseStatus::Ineligible | CaseStatus::Withdrawn)),
            }
        }
    }

    proptest! {
        /// Every code reads back as itself, whatever the bytes.
        #[test]
        fn a_code_reads_back(bytes in proptest::array::uniform13(any::<u8>())) {
            let c = format_code(&bytes);
            prop_assert_eq!(c.len(), CODE_CHARS + 4);
            prop_assert_eq!(normalize(&c), Some(c.replace('-', "")));
            prop_assert_eq!(normalize(&c.to_lowercase()), Some(c.replace('-', "")));
        }
    }
}
