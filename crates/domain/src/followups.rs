//! Monitoring: follow-up contacts scheduled from the day of arrival, their
//! outcome, and when a missed one becomes overdue (a task).
//!
//! Offsets are calendar months, as people count them: three months after
//! 15 March is 15 June. When the target month is shorter, the date is the
//! month's last day: one month after 31 January is 28 February (29 in a leap
//! year), and the offsets are each counted from arrival, so 12 months after
//! 29 February 2012 is 28 February 2013 and the 3-month contact after
//! 30 November falls on 28 February, not drifting with earlier clamps.

use crate::validation::{self, clean, Invalid};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// Default contacts: on arrival, then after 3, 6 and 12 months (domain.md;
/// EU practice supports returnees for up to 12 months).
pub const DEFAULT_OFFSETS_MONTHS: [u32; 4] = [0, 3, 6, 12];

/// The latest contact a schedule may plan, in months after arrival.
pub const MAX_OFFSET_MONTHS: u32 = 60;

/// Days after its due date before a follow-up not yet done is overdue.
/// *Assumed* (no public figure): configuration per programme.
pub const DEFAULT_GRACE_DAYS: u32 = 14;

/// How the contact was made, or attempted (`contact-mode-<value>`).
pub const CONTACT_MODES: [&str; 5] = ["in_person", "phone", "video", "message", "third_party"];

/// How a follow-up went (`followup-outcome-<value>`).
pub const OUTCOMES: [&str; 4] = ["reached", "not_reached", "rescheduled", "refused"];

/// A programme's follow-up schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Months after arrival, strictly increasing (0 = on arrival).
    pub offsets_months: Vec<u32>,
    /// Days after a due date before the contact is overdue.
    #[serde(default = "default_grace")]
    pub grace_days: u32,
}

fn default_grace() -> u32 {
    DEFAULT_GRACE_DAYS
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            offsets_months: DEFAULT_OFFSETS_MONTHS.to_vec(),
            grace_days: DEFAULT_GRACE_DAYS,
        }
    }
}

impl Schedule {
    /// Checks a configured schedule: at least one contact, offsets strictly
    /// increasing and at most [`MAX_OFFSET_MONTHS`], a grace of at most 90 days.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut inv = Invalid::default();
        let o = &self.offsets_months;
        if o.is_empty() {
            inv.add("offsets_months", "required");
        } else if o.windows(2).any(|w| w[0] >= w[1]) {
            inv.add("offsets_months", "schedule-not-increasing");
        } else if o.iter().any(|m| *m > MAX_OFFSET_MONTHS) {
            inv.add("offsets_months", "out-of-range");
        }
        if self.grace_days > 90 {
            inv.add("grace_days", "out-of-range");
        }
        inv.into_result()
    }

    /// The due dates for a returnee who arrived on `arrival`.
    pub fn due_dates(&self, arrival: NaiveDate) -> Vec<NaiveDate> {
        schedule(arrival, &self.offsets_months)
    }
}

/// The due date of each offset, counted in calendar months from `arrival`
/// (clamped to the end of shorter months; see the module documentation).
/// Dates beyond chrono's range (year 262,143) are left out.
pub fn schedule(arrival: NaiveDate, offsets_months: &[u32]) -> Vec<NaiveDate> {
    offsets_months
        .iter()
        .filter_map(|m| arrival.checked_add_months(Months::new(*m)))
        .collect()
}

/// Whether a follow-up due on `due` and not yet done is overdue on `today`:
/// more than `grace_days` have passed since it was due.
pub fn is_overdue(due: NaiveDate, today: NaiveDate, grace_days: u32) -> bool {
    (today - due).num_days() > i64::from(grace_days)
}

/// The first due date that is not overdue on `today`: a follow-up not yet
/// done is overdue exactly when its due date is before this day, so a query
/// can select overdue follow-ups with `due_on < overdue_before(..)`.
pub fn overdue_before(today: NaiveDate, grace_days: u32) -> NaiveDate {
    today
        .checked_sub_days(chrono::Days::new(u64::from(grace_days)))
        .unwrap_or(NaiveDate::MIN)
}

/// Whether an outcome completes the scheduled follow-up. The returnee was
/// reached, or refused the contact (a choice to respect, recorded); a
/// contact not reached or rescheduled leaves the follow-up open.
pub fn completes(outcome: &str) -> bool {
    matches!(outcome, "reached" | "refused")
}

/// A follow-up contact, as recorded by the mission officer.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FollowUpInput {
    #[serde(default)]
    pub held_on: Option<NaiveDate>,
    #[serde(default)]
    pub outcome: Option<String>,
    #[serde(default)]
    pub contact_mode: Option<String>,
    #[serde(default)]
    pub notes: Option<String>,
    /// The new date when the outcome is `rescheduled`.
    #[serde(default)]
    pub rescheduled_to: Option<NaiveDate>,
}

/// Checks a follow-up record: a date between arrival and today, a known
/// outcome and contact mode, notes up to 5,000 characters, and a later date
/// when rescheduled (`rescheduled_to`: `required`, `date-not-after-contact`).
pub fn validate_followup(
    i: &FollowUpInput,
    arrival: NaiveDate,
    today: NaiveDate,
) -> Result<(), Invalid> {
    let mut inv = Invalid::default();
    match i.held_on {
        None => inv.add("held_on", "required"),
        Some(d) if d > today => inv.add("held_on", "in-the-future"),
        Some(d) if d < arrival => inv.add("held_on", "date-before-arrival"),
        Some(_) => {}
    }
    let outcome = clean(i.outcome.as_deref());
    match outcome.as_deref() {
        None => inv.add("outcome", "required"),
        Some(o) if !OUTCOMES.contains(&o) => inv.add("outcome", "invalid-choice"),
        Some(_) => {}
    }
    match clean(i.contact_mode.as_deref()) {
        None => inv.add("contact_mode", "required"),
        Some(m) if !CONTACT_MODES.contains(&m.as_str()) => {
            inv.add("contact_mode", "invalid-choice")
        }
        Some(_) => {}
    }
    validation::text(&mut inv, "notes", i.notes.as_deref(), false, 5000);
    if outcome.as_deref() == Some("rescheduled") {
        match (i.rescheduled_to, i.held_on) {
            (None, _) => inv.add("rescheduled_to", "required"),
            (Some(r), Some(h)) if r <= h => inv.add("rescheduled_to", "date-not-after-contact"),
            _ => {}
        }
    }
    inv.into_result()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn dates(arrival: &str, offsets: &[u32]) -> Vec<String> {
        schedule(d(arrival), offsets)
            .iter()
            .map(|x| x.to_string())
            .collect()
    }

    #[test]
    fn the_default_schedule() {
        let s = Schedule::default();
        assert!(s.validate().is_ok());
        assert_eq!(
            s.due_dates(d("2012-09-02"))
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>(),
            ["2012-09-02", "2012-12-02", "2013-03-02", "2013-09-02"]
        );
    }

    #[test]
    fn month_ends_clamp_to_the_last_day() {
        assert_eq!(dates("2013-01-31", &[1]), ["2013-02-28"]);
        assert_eq!(dates("2012-01-31", &[1]), ["2012-02-29"]); // leap year
        assert_eq!(dates("2012-11-30", &[3]), ["2013-02-28"]);
        assert_eq!(dates("2011-11-30", &[3]), ["2012-02-29"]);
        // Each offset counts from arrival, so clamping does not accumulate.
        assert_eq!(
            dates("2012-08-31", &[0, 3, 6, 12]),
            ["2012-08-31", "2012-11-30", "2013-02-28", "2013-08-31"]
        );
        // 29 February plus a year is 28 February; plus four years is 29 February.
        assert_eq!(dates("2012-02-29", &[12, 48]), ["2013-02-28", "2016-02-29"]);
    }

    #[test]
    fn schedules_are_checked() {
        let bad = |o: Vec<u32>, g| {
            Schedule {
                offsets_months: o,
                grace_days: g,
            }
            .validate()
            .unwrap_err()
        };
        assert_eq!(
            bad(vec![], 14).for_field("offsets_months"),
            Some("required")
        );
        assert_eq!(
            bad(vec![0, 6, 3], 14).for_field("offsets_months"),
            Some("schedule-not-increasing")
        );
        assert_eq!(
            bad(vec![0, 3, 3], 14).for_field("offsets_months"),
            Some("schedule-not-increasing")
        );
        assert_eq!(
            bad(vec![0, 61], 14).for_field("offsets_months"),
            Some("out-of-range")
        );
        assert_eq!(
            bad(vec![0], 91).for_field("grace_days"),
            Some("out-of-range")
        );
        let s: Schedule = serde_json::from_str(r#"{"offsets_months":[1,2]}"#).unwrap();
        assert_eq!(s.grace_days, DEFAULT_GRACE_DAYS);
    }

    #[test]
    fn overdue_after_the_grace_period() {
        let due = d("2012-12-02");
        assert!(!is_overdue(due, d("2012-11-30"), 14));
        assert!(!is_overdue(due, d("2012-12-16"), 14));
        assert!(is_overdue(due, d("2012-12-17"), 14));
        assert!(!is_overdue(due, due, 0));
        assert!(is_overdue(due, d("2012-12-03"), 0));
    }

    #[test]
    fn the_overdue_cutoff_agrees_with_is_overdue() {
        let today = d("2013-03-01");
        for grace in [0, 1, 14, 90] {
            let cut = overdue_before(today, grace);
            for back in 0..120 {
                let due = today - chrono::Duration::days(back);
                assert_eq!(due < cut, is_overdue(due, today, grace), "{due} {grace}");
            }
        }
    }

    #[test]
    fn outcomes_that_complete_a_followup() {
        assert!(completes("reached"));
        assert!(completes("refused"));
        assert!(!completes("not_reached"));
        assert!(!completes("rescheduled"));
    }

    #[test]
    fn followups_are_checked() {
        let arrival = d("2012-09-02");
        let today = d("2012-12-05");
        let ok = FollowUpInput {
            held_on: Some(d("2012-12-03")),
            outcome: Some("reached".into()),
            contact_mode: Some("phone".into()),
            notes: Some("Working at the market stall; rent paid.".into()),
            rescheduled_to: None,
        };
        assert!(validate_followup(&ok, arrival, today).is_ok());
        let e = validate_followup(&FollowUpInput::default(), arrival, today).unwrap_err();
        assert_eq!(e.for_field("held_on"), Some("required"));
        assert_eq!(e.for_field("outcome"), Some("required"));
        assert_eq!(e.for_field("contact_mode"), Some("required"));
        let e = validate_followup(
            &FollowUpInput {
                held_on: Some(d("2012-09-01")),
                outcome: Some("happy".into()),
                contact_mode: Some("carrier_pigeon".into()),
                ..ok.clone()
            },
            arrival,
            today,
        )
        .unwrap_err();
        assert_eq!(e.for_field("held_on"), Some("date-before-arrival"));
        assert_eq!(e.for_field("outcome"), Some("invalid-choice"));
        assert_eq!(e.for_field("contact_mode"), Some("invalid-choice"));
        let resched = FollowUpInput {
            outcome: Some("rescheduled".into()),
            ..ok.clone()
        };
        let e = validate_followup(&resched, arrival, today).unwrap_err();
        assert_eq!(e.for_field("rescheduled_to"), Some("required"));
        let e = validate_followup(
            &FollowUpInput {
                rescheduled_to: Some(d("2012-12-03")),
                ..resched.clone()
            },
            arrival,
            today,
        )
        .unwrap_err();
        assert_eq!(
            e.for_field("rescheduled_to"),
            Some("date-not-after-contact")
        );
        assert!(validate_followup(
            &FollowUpInput {
                rescheduled_to: Some(d("2012-12-10")),
                ..resched
            },
            arrival,
            today
        )
        .is_ok());
        let e = validate_followup(
            &FollowUpInput {
                held_on: Some(d("2012-12-06")),
                ..ok
            },
            arrival,
            today,
        )
        .unwrap_err();
        assert_eq!(e.for_field("held_on"), Some("in-the-future"));
    }
}
