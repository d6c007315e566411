//! Retention: who is due for deletion (docs/adr/0026).
//!
//! A programme may keep a person's records for a number of whole years after
//! their case ended (closed or withdrawn); without a setting it keeps them.
//! A case is *due* once that period has passed (the day after the
//! anniversary). People who share a case form a household: deleting one
//! case deletes what it holds about all its members, so a household goes only
//! when every case of every member is due, and never while any member has a
//! case still open or not yet past its period.

use chrono::{Months, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// The most years a retention setting may name.
pub const MAX_YEARS: i64 = 100;

/// What the rule needs to know about one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub case_id: Uuid,
    /// Every person on the case (the principal included).
    pub members: Vec<Uuid>,
    /// `closed` or `withdrawn` end a case; any other status is open.
    pub status: String,
    /// The day the case reached its current status (for an ended case: the
    /// day it ended).
    pub ended_on: Option<NaiveDate>,
    /// The programme's retention period; `None` keeps the records.
    pub retention_years: Option<u32>,
}

/// Whether a status ends a case for retention.
pub fn is_ended(status: &str) -> bool {
    matches!(status, "closed" | "withdrawn")
}

/// The last day the records are kept: `years` after `ended_on` (29 February
/// counts to 28 February in a common year).
pub fn kept_until(ended_on: NaiveDate, years: u32) -> Option<NaiveDate> {
    ended_on.checked_add_months(Months::new(years.checked_mul(12)?))
}

/// Whether a case's retention period has passed on `today`.
pub fn case_due(c: &CaseFacts, today: NaiveDate) -> bool {
    if !is_ended(&c.status) {
        return false;
    }
    match (c.ended_on, c.retention_years) {
        (Some(ended), Some(years)) => kept_until(ended, years).is_some_and(|last| today > last),
        _ => false,
    }
}

/// People linked by shared cases, deleted together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Household {
    /// Sorted.
    pub persons: Vec<Uuid>,
    /// Sorted.
    pub cases: Vec<Uuid>,
}

/// The households due on `today`: groups of people linked by shared cases in
/// which every case is due. `cases` must hold every case of every person it
/// names (a case missing from the list could not be checked).
pub fn due_households(cases: &[CaseFacts], today: NaiveDate) -> Vec<Household> {
    // Union-find over persons; each case joins its members.
    let mut parent: BTreeMap<Uuid, Uuid> = BTreeMap::new();
    fn find(parent: &mut BTreeMap<Uuid, Uuid>, x: Uuid) -> Uuid {
        let mut root = x;
        while let Some(&p) = parent.get(&root) {
            if p == root {
                break;
            }
            root = p;
        }
        // Path compression.
        let mut cur = x;
        while let Some(&p) = parent.get(&cur) {
            if p == root {
                break;
            }
            parent.insert(cur, root);
            cur = p;
        }
        root
    }
    for c in cases {
        for m in &c.members {
            parent.entry(*m).or_insert(*m);
        }
        if let Some(first) = c.members.first() {
            let a = find(&mut parent, *first);
            for m in &c.members[1..] {
                let b = find(&mut parent, *m);
                if a != b {
                    parent.insert(b, a);
                }
            }
        }
    }
    let mut groups: BTreeMap<Uuid, (BTreeSet<Uuid>, BTreeSet<Uuid>, bool)> = BTreeMap::new();
    let persons: Vec<Uuid> = parent.keys().copied().collect();
    for p in persons {
        let root = find(&mut parent, p);
        groups.entry(root).or_default().0.insert(p);
    }
    for c in cases {
        let Some(first) = c.members.first() else {
            continue;
        };
        let root = find(&mut parent, *first);
        let g = groups.entry(root).or_default();
        g.1.insert(c.case_id);
        if !case_due(c, today) {
            g.2 = true; // something in the household is not due
        }
    }
    groups
        .into_values()
        .filter(|(_, cases, blocked)| !blocked && !cases.is_empty())
        .map(|(persons, cases, _)| Household {
            persons: persons.into_iter().collect(),
            cases: cases.into_iter().collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn case(members: &[Uuid], status: &str, ended: &str, years: Option<u32>) -> CaseFacts {
        CaseFacts {
            case_id: Uuid::new_v4(),
            members: members.to_vec(),
            status: status.into(),
            ended_on: Some(d(ended)),
            retention_years: years,
        }
    }

    #[test]
    fn due_the_day_after_the_anniversary() {
        let p = Uuid::new_v4();
        let c = case(&[p], "closed", "2015-03-31", Some(5));
        assert!(!case_due(&c, d("2020-03-30")));
        assert!(!case_due(&c, d("2020-03-31")));
        assert!(case_due(&c, d("2020-04-01")));
    }

    #[test]
    fn leap_day_and_zero_years() {
        assert_eq!(kept_until(d("2016-02-29"), 1), Some(d("2017-02-28")));
        let c = case(&[Uuid::new_v4()], "withdrawn", "2020-01-01", Some(0));
        assert!(case_due(&c, d("2020-01-02")));
        assert!(!case_due(&c, d("2020-01-01")));
    }

    #[test]
    fn open_cases_and_unset_periods_are_kept() {
        let p = Uuid::new_v4();
        assert!(!case_due(
            &case(&[p], "monitoring", "2000-01-01", Some(1)),
            d("2030-01-01")
        ));
        assert!(!case_due(
            &case(&[p], "closed", "2000-01-01", None),
            d("2030-01-01")
        ));
        let mut no_date = case(&[p], "closed", "2000-01-01", Some(1));
        no_date.ended_on = None;
        assert!(!case_due(&no_date, d("2030-01-01")));
    }

    #[test]
    fn a_household_goes_only_when_every_case_is_due() {
        let (mother, son, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let today = d("2025-01-01");
        let family = case(&[mother, son], "closed", "2015-01-01", Some(5));
        let alone = case(&[other], "closed", "2015-01-01", Some(5));
        let out = due_households(&[family.clone(), alone.clone()], today);
        assert_eq!(out.len(), 2);
        // The son has a newer case still open: the whole family is kept,
        // the other person goes.
        let sons_new = case(&[son], "counselling", "2024-06-01", Some(5));
        let out = due_households(&[family.clone(), alone.clone(), sons_new], today);
        assert_eq!(
            out,
            vec![Household {
                persons: vec![other],
                cases: vec![alone.case_id]
            }]
        );
        // A second closed case not yet past its period also keeps them.
        let recent = case(&[mother], "closed", "2023-01-01", Some(5));
        assert_eq!(due_households(&[family, recent], today), vec![]);
    }
}
