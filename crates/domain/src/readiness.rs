//! Whether a case may move to preparing departure: every traveller has a
//! usable travel document and is not unfit to travel, and the declaration is
//! on file. Each blocker names the traveller and says why, so the counsellor
//! knows what to fix.

use chrono::NaiveDate;
use serde::Serialize;

/// Days a travel document must stay valid after today: travel follows within
/// the programme's 30-day target.
pub const DOCUMENT_VALIDITY_DAYS: i64 = 30;

/// Fitness to travel.
pub const FITNESS: [&str; 4] = ["pending", "fit", "fit_with_escort", "unfit"];

/// Vulnerabilities screened before departure.
pub const VULNERABILITIES: [&str; 7] = [
    "unaccompanied_or_separated_child",
    "victim_of_trafficking",
    "medical_condition",
    "elderly",
    "pregnancy",
    "disability",
    "other",
];

/// Kinds of travel document.
pub const DOCUMENT_KINDS: [&str; 2] = ["passport", "emergency_travel_document"];

/// IATA special service request codes for assistance.
pub const SPECIAL_ASSISTANCE: [&str; 8] = [
    "WCHR", "WCHS", "WCHC", "MEDA", "STCR", "BLND", "DEAF", "DPNA",
];

/// Hours before departure within which the fitness check must fall (default).
pub const FITNESS_WINDOW_HOURS: i64 = 72;

/// What is known about one traveller.
#[derive(Debug, Clone)]
pub struct Traveller {
    pub name: String,
    /// (kind, expiry) of each document on file.
    pub documents: Vec<(String, Option<NaiveDate>)>,
    /// The latest fitness status, if any was recorded.
    pub fitness: Option<String>,
}

/// One reason the case cannot move on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Blocker {
    /// The traveller concerned (empty for the whole case).
    pub traveller: String,
    /// Message key suffix: `blocker-<code>`.
    pub code: &'static str,
}

/// Everything that blocks preparing departure.
pub fn blockers(travellers: &[Traveller], has_declaration: bool, today: NaiveDate) -> Vec<Blocker> {
    let mut out = Vec::new();
    if !has_declaration {
        out.push(Blocker {
            traveller: String::new(),
            code: "no-declaration",
        });
    }
    let needed = today + chrono::Duration::days(DOCUMENT_VALIDITY_DAYS);
    for t in travellers {
        if t.documents.is_empty() {
            out.push(Blocker {
                traveller: t.name.clone(),
                code: "no-document",
            });
        } else if !t
            .documents
            .iter()
            .any(|(_, exp)| exp.is_some_and(|e| e > needed))
        {
            out.push(Blocker {
                traveller: t.name.clone(),
                code: "document-expires",
            });
        }
        if t.fitness.as_deref() == Some("unfit") {
            out.push(Blocker {
                traveller: t.name.clone(),
                code: "unfit",
            });
        }
    }
    out
}

/// Whether a fitness check on `checked` counts for a departure on `departure`.
pub fn fitness_check_in_window(
    checked: chrono::DateTime<chrono::Utc>,
    departure: chrono::DateTime<chrono::Utc>,
    window_hours: i64,
) -> bool {
    checked <= departure && departure - checked <= chrono::Duration::hours(window_hours)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn ok(name: &str) -> Traveller {
        Traveller {
            name: name.into(),
            documents: vec![("passport".into(), Some(d("2030-01-01")))],
            fitness: Some("fit".into()),
        }
    }

    #[test]
    fn a_ready_family_has_no_blockers() {
        assert!(blockers(&[ok("A"), ok("B")], true, d("2026-11-28")).is_empty());
    }

    #[test]
    fn each_problem_is_named_with_its_traveller() {
        let mut child = ok("Child");
        child.documents.clear();
        let mut mother = ok("Mother");
        mother.documents = vec![("passport".into(), Some(d("2026-12-10")))];
        let mut father = ok("Father");
        father.fitness = Some("unfit".into());
        let b = blockers(&[child, mother, father], false, d("2026-11-28"));
        assert_eq!(
            b,
            vec![
                Blocker {
                    traveller: "".into(),
                    code: "no-declaration"
                },
                Blocker {
                    traveller: "Child".into(),
                    code: "no-document"
                },
                Blocker {
                    traveller: "Mother".into(),
                    code: "document-expires"
                },
                Blocker {
                    traveller: "Father".into(),
                    code: "unfit"
                },
            ]
        );
    }

    #[test]
    fn an_emergency_travel_document_counts_and_an_escort_does_not_block() {
        let mut t = ok("A");
        t.documents = vec![
            ("passport".into(), Some(d("2020-01-01"))),
            ("emergency_travel_document".into(), Some(d("2027-03-01"))),
        ];
        t.fitness = Some("fit_with_escort".into());
        assert!(blockers(&[t], true, d("2026-11-28")).is_empty());
    }

    #[test]
    fn fitness_checks_must_be_recent() {
        use chrono::TimeZone;
        let dep = chrono::Utc
            .with_ymd_and_hms(2026, 12, 10, 18, 0, 0)
            .unwrap();
        assert!(fitness_check_in_window(
            dep - chrono::Duration::hours(71),
            dep,
            72
        ));
        assert!(!fitness_check_in_window(
            dep - chrono::Duration::hours(73),
            dep,
            72
        ));
        assert!(!fitness_check_in_window(
            dep + chrono::Duration::hours(1),
            dep,
            72
        ));
    }
}
