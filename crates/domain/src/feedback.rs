//! Oversight and remedies (IOM's data-protection principle 12, issue 22):
//! what a returnee asks or complains about, from their own page or by
//! phone through staff, lands in a register the programme's supervisors
//! answer within a due time. The store keeps the register; these are its
//! rules.

use crate::{validation, Invalid, Role};
use chrono::{Duration, NaiveDate};

/// Days to answer when a programme sets none.
pub const DEFAULT_DUE_DAYS: i64 = 30;
/// The longest message or answer accepted.
pub const MAX_CHARS: usize = 5000;

/// What the person sends: a question, or a complaint.
pub const KINDS: [&str; 2] = ["question", "complaint"];

/// How it reached the programme: the person's own page, or staff writing
/// down what was said on the phone, in person, by email or by letter.
pub const CHANNELS: [&str; 5] = ["page", "phone", "in_person", "email", "letter"];

/// The channels staff may record (the page is the person's own).
pub const STAFF_CHANNELS: [&str; 4] = ["phone", "in_person", "email", "letter"];

/// Whether `role` may write down what a person said for them: those who
/// talk to returnees (counsellors, their supervisors, and the mission
/// staff abroad after return).
pub fn may_record(role: Role) -> bool {
    matches!(
        role,
        Role::Counsellor | Role::Supervisor | Role::MissionOfficer
    )
}

/// Whether `role` reads the register and answers: supervisors only, since
/// a complaint may be about the counsellor of the case.
pub fn may_answer(role: Role) -> bool {
    role == Role::Supervisor
}

/// The day an answer is due: `days` after the day it was received.
pub fn due_on(received: NaiveDate, days: i64) -> NaiveDate {
    received + Duration::days(days.max(1))
}

/// Whether an unanswered item is overdue on `today` (due that day is not
/// yet late).
pub fn is_overdue(due_on: NaiveDate, answered: bool, today: NaiveDate) -> bool {
    !answered && today > due_on
}

/// A message as sent: checks its kind (`kind`: `required`,
/// `invalid-choice`) and text (`body`: `required`, `too-long`,
/// `control-characters`), and returns the text trimmed.
pub fn check_message(kind: &str, body: &str) -> Result<String, Invalid> {
    let mut inv = Invalid::default();
    match kind.trim() {
        "" => inv.add("kind", "required"),
        k if !KINDS.contains(&k) => inv.add("kind", "invalid-choice"),
        _ => {}
    }
    validation::text(&mut inv, "body", Some(body), true, MAX_CHARS);
    inv.into_result()?;
    Ok(body.trim().to_string())
}

/// What staff record for a person: the message's checks, and the channel
/// (`channel`: `required`, `invalid-choice`; never `page`).
pub fn check_recorded(kind: &str, channel: &str, body: &str) -> Result<String, Invalid> {
    let mut inv = match check_message(kind, body) {
        Ok(_) => Invalid::default(),
        Err(inv) => inv,
    };
    match channel.trim() {
        "" => inv.add("channel", "required"),
        c if !STAFF_CHANNELS.contains(&c) => inv.add("channel", "invalid-choice"),
        _ => {}
    }
    inv.into_result()?;
    Ok(body.trim().to_string())
}

/// Checks an answer (`answer`: `required`, `too-long`,
/// `control-characters`) and returns it trimmed.
pub fn check_answer(answer: &str) -> Result<String, Invalid> {
    let mut inv = Invalid::default();
    validation::text(&mut inv, "answer", Some(answer), true, MAX_CHARS);
    inv.into_result()?;
    Ok(answer.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn answers_are_due_days_after_receipt_and_late_the_day_after() {
        let due = due_on(day("2026-01-31"), 30);
        assert_eq!(due, day("2026-03-02"));
        assert!(!is_overdue(due, false, due));
        assert!(is_overdue(due, false, day("2026-03-03")));
        assert!(!is_overdue(due, true, day("2027-01-01")));
        // A programme cannot make answers due before they arrive.
        assert_eq!(due_on(day("2026-01-31"), 0), day("2026-02-01"));
    }

    #[test]
    fn only_supervisors_answer_and_only_those_who_talk_to_returnees_record() {
        for r in Role::ALL {
            assert_eq!(may_answer(r), r == Role::Supervisor, "{r:?}");
        }
        assert!(may_record(Role::MissionOfficer));
        assert!(!may_record(Role::CbsaOfficer));
        assert!(!may_record(Role::Finance));
    }

    #[test]
    fn messages_are_checked_and_named_by_field() {
        let err =
            |r: Result<String, Invalid>, f: &str| r.unwrap_err().for_field(f).map(str::to_string);
        assert_eq!(
            check_message(" question ", "  Where is my flight?\n").unwrap(),
            "Where is my flight?"
        );
        assert_eq!(
            err(check_message("", "x"), "kind").as_deref(),
            Some("required")
        );
        assert_eq!(
            err(check_message("praise", "x"), "kind").as_deref(),
            Some("invalid-choice")
        );
        assert_eq!(
            err(check_message("complaint", "  "), "body").as_deref(),
            Some("required")
        );
        assert_eq!(
            err(
                check_message("complaint", &"x".repeat(MAX_CHARS + 1)),
                "body"
            )
            .as_deref(),
            Some("too-long")
        );
        assert_eq!(
            err(check_recorded("complaint", "page", "x"), "channel").as_deref(),
            Some("invalid-choice")
        );
        let both = check_recorded("", "", "").unwrap_err();
        assert_eq!(both.errors.len(), 3);
        assert_eq!(
            err(check_answer("\u{7}"), "answer").as_deref(),
            Some("control-characters")
        );
    }
}
