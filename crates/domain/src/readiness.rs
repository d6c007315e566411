//! Before departure: what a vulnerability, a fitness check and a travel
//! document must hold to be recorded, and whether a case may move to
//! preparing departure: every traveller has a usable travel document and is
//! not unfit to travel, and the declaration is on file. Each blocker names
//! the traveller and says why, so the counsellor knows what to fix.
//!
//! The store reads whether the person named is on the case, asks
//! [`decide_vulnerability`], [`decide_fitness`] or [`decide_document`], then
//! seals and writes what it returns; for health data it first checks the
//! person's consent to collect it.

use crate::validation::{self, clean, Invalid};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

/// Longest details, follow-up or notes.
pub const NOTES_MAX: usize = 5000;
/// Longest travel document number.
pub const DOCUMENT_NUMBER_MAX: usize = 40;
/// Longest consulate name.
pub const CONSULATE_MAX: usize = 200;
/// How far past now a fitness check's time may be (clocks differ a little).
pub const CLOCK_SKEW_MINUTES: i64 = 5;

/// A vulnerability as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"person_id": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "kind": "medical_condition",
    "details": "Insulin-dependent diabetes", "follow_up": "Two months of insulin and a cool bag for the flight"})))]
pub struct VulnerabilityInput {
    pub person_id: Option<Uuid>,
    pub kind: Option<String>,
    pub details: Option<String>,
    pub follow_up: Option<String>,
}

/// A fitness check as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"person_id": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "status": "fit_with_escort",
    "checked_at": "2012-10-01T14:30:00Z", "medical_escort": true, "special_assistance": ["WCHR"],
    "notes": "Escort to carry the insulin."})))]
pub struct FitnessInput {
    pub person_id: Option<Uuid>,
    /// pending, fit, fit_with_escort or unfit.
    pub status: Option<String>,
    /// When the check was made (RFC 3339), if it was.
    pub checked_at: Option<DateTime<Utc>>,
    pub medical_escort: bool,
    /// IATA codes: WCHR, WCHS, WCHC, MEDA, ...
    pub special_assistance: Vec<String>,
    pub notes: Option<String>,
}

/// A travel document as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"person_id": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "kind": "emergency_travel_document",
    "issuing_country": "HU", "etd_requested_on": "2012-09-10", "consulate": "Consulate General of Hungary, Toronto"})))]
pub struct DocumentInput {
    pub person_id: Option<Uuid>,
    /// passport or emergency_travel_document.
    pub kind: Option<String>,
    pub number: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub issuing_country: Option<String>,
    pub expires_on: Option<String>,
    /// Emergency travel documents: when it was requested from the consulate.
    pub etd_requested_on: Option<String>,
    pub etd_issued_on: Option<String>,
    pub consulate: Option<String>,
}

/// A vulnerability to record (the store seals it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVulnerability {
    pub person_id: Uuid,
    /// One of [`VULNERABILITIES`].
    pub kind: String,
    pub details: Option<String>,
    pub follow_up: Option<String>,
    /// Whether this is health data: recording it needs the person's consent
    /// to collect health data.
    pub health_data: bool,
}

/// A fitness check to record (the store seals the assistance codes and notes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFitness {
    pub person_id: Uuid,
    /// One of [`FITNESS`].
    pub status: String,
    pub checked_at: Option<DateTime<Utc>>,
    pub medical_escort: bool,
    /// Upper-case codes of [`SPECIAL_ASSISTANCE`], as typed (repeats kept).
    pub special_assistance: Vec<String>,
    pub notes: Option<String>,
    /// Always true: fitness to travel is health data (needs consent).
    pub health_data: bool,
}

/// A travel document to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    pub person_id: Uuid,
    /// One of [`DOCUMENT_KINDS`].
    pub kind: String,
    /// Upper case.
    pub number: Option<String>,
    /// Upper case, ISO 3166-1 alpha-2.
    pub issuing_country: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub etd_requested_on: Option<NaiveDate>,
    pub etd_issued_on: Option<NaiveDate>,
    pub consulate: Option<String>,
}

/// Whether a vulnerability of `kind` is health data (a medical condition):
/// recording it needs consent to collect health data.
pub fn vulnerability_is_health_data(kind: &str) -> bool {
    kind == "medical_condition"
}

/// The person a record is about: `person_id`: `required` when none is
/// named, `not-on-case` when `on_case` (read by the store) is false.
fn person(inv: &mut Invalid, person_id: Option<Uuid>, on_case: bool) -> Option<Uuid> {
    match person_id {
        None => {
            inv.add("person_id", "required");
            None
        }
        Some(_) if !on_case => {
            inv.add("person_id", "not-on-case");
            None
        }
        Some(p) => Some(p),
    }
}

/// The trimmed value when it is one of `choices`, else `field`: `invalid-choice`.
fn choice(inv: &mut Invalid, field: &str, value: Option<&str>, choices: &[&str]) -> Option<String> {
    let v = clean(value).filter(|v| choices.contains(&v.as_str()));
    if v.is_none() {
        inv.add(field, "invalid-choice");
    }
    v
}

/// An optional `YYYY-MM-DD` date (`field`: `invalid-date`).
fn date(inv: &mut Invalid, field: &str, v: Option<&str>) -> Option<NaiveDate> {
    let s = clean(v)?;
    match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            inv.add(field, "invalid-date");
            None
        }
    }
}

/// Decides a vulnerability: the person on the case (`person_on_case`, read
/// by the store; false when none is named), a kind of [`VULNERABILITIES`]
/// (`kind`: `invalid-choice`), details and follow-up of at most
/// [`NOTES_MAX`] characters. Errors on `person_id`, `kind`, `details`,
/// `follow_up`, in that order.
pub fn decide_vulnerability(
    i: &VulnerabilityInput,
    person_on_case: bool,
) -> Result<NewVulnerability, Invalid> {
    let mut inv = Invalid::default();
    let person_id = person(&mut inv, i.person_id, person_on_case);
    let kind = choice(&mut inv, "kind", i.kind.as_deref(), &VULNERABILITIES);
    validation::text(&mut inv, "details", i.details.as_deref(), false, NOTES_MAX);
    validation::text(
        &mut inv,
        "follow_up",
        i.follow_up.as_deref(),
        false,
        NOTES_MAX,
    );
    match (person_id, kind, inv.errors.is_empty()) {
        (Some(person_id), Some(kind), true) => Ok(NewVulnerability {
            person_id,
            health_data: vulnerability_is_health_data(&kind),
            kind,
            details: clean(i.details.as_deref()),
            follow_up: clean(i.follow_up.as_deref()),
        }),
        _ => Err(inv),
    }
}

/// Decides a fitness check: the person on the case (as for
/// [`decide_vulnerability`]), a status of [`FITNESS`] (`status`:
/// `invalid-choice`), a check time no later than a few minutes past `now`
/// (`checked_at`: `date-in-future`), assistance codes of
/// [`SPECIAL_ASSISTANCE`] in any case (`special_assistance`:
/// `invalid-choice`), notes of at most [`NOTES_MAX`] characters.
pub fn decide_fitness(
    i: &FitnessInput,
    person_on_case: bool,
    now: DateTime<Utc>,
) -> Result<NewFitness, Invalid> {
    let mut inv = Invalid::default();
    let person_id = person(&mut inv, i.person_id, person_on_case);
    let status = choice(&mut inv, "status", i.status.as_deref(), &FITNESS);
    if i.checked_at
        .is_some_and(|t| t > now + chrono::Duration::minutes(CLOCK_SKEW_MINUTES))
    {
        inv.add("checked_at", "date-in-future");
    }
    let codes: Vec<String> = i
        .special_assistance
        .iter()
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if codes
        .iter()
        .any(|c| !SPECIAL_ASSISTANCE.contains(&c.as_str()))
    {
        inv.add("special_assistance", "invalid-choice");
    }
    validation::text(&mut inv, "notes", i.notes.as_deref(), false, NOTES_MAX);
    match (person_id, status, inv.errors.is_empty()) {
        (Some(person_id), Some(status), true) => Ok(NewFitness {
            person_id,
            status,
            checked_at: i.checked_at,
            medical_escort: i.medical_escort,
            special_assistance: codes,
            notes: clean(i.notes.as_deref()),
            health_data: true,
        }),
        _ => Err(inv),
    }
}

/// Decides a travel document: the person on the case (as for
/// [`decide_vulnerability`]), a kind of [`DOCUMENT_KINDS`] (`kind`:
/// `invalid-choice`), a number and a consulate within their lengths, an
/// issuing country code (`issuing_country`: `invalid-country`), dates as
/// `YYYY-MM-DD` (`invalid-date`); a passport needs its expiry
/// (`expires_on`: `required`), and an emergency travel document is issued
/// no earlier than requested (`etd_issued_on`: `date-before-request`).
pub fn decide_document(i: &DocumentInput, person_on_case: bool) -> Result<NewDocument, Invalid> {
    let mut inv = Invalid::default();
    let person_id = person(&mut inv, i.person_id, person_on_case);
    let kind = choice(&mut inv, "kind", i.kind.as_deref(), &DOCUMENT_KINDS);
    validation::text(
        &mut inv,
        "number",
        i.number.as_deref(),
        false,
        DOCUMENT_NUMBER_MAX,
    );
    validation::text(
        &mut inv,
        "consulate",
        i.consulate.as_deref(),
        false,
        CONSULATE_MAX,
    );
    let country = clean(i.issuing_country.as_deref()).map(|c| c.to_ascii_uppercase());
    if country
        .as_deref()
        .is_some_and(|c| !validation::is_country_code(c))
    {
        inv.add("issuing_country", "invalid-country");
    }
    let expires = date(&mut inv, "expires_on", i.expires_on.as_deref());
    let requested = date(&mut inv, "etd_requested_on", i.etd_requested_on.as_deref());
    let issued = date(&mut inv, "etd_issued_on", i.etd_issued_on.as_deref());
    // A passport's expiry decides whether it can be used; an unreadable
    // one is already reported.
    if kind.as_deref() == Some("passport")
        && expires.is_none()
        && inv.for_field("expires_on").is_none()
    {
        inv.add("expires_on", "required");
    }
    if let (Some(r), Some(s)) = (requested, issued) {
        if s < r {
            inv.add("etd_issued_on", "date-before-request");
        }
    }
    match (person_id, kind, inv.errors.is_empty()) {
        (Some(person_id), Some(kind), true) => Ok(NewDocument {
            person_id,
            kind,
            number: clean(i.number.as_deref()).map(|n| n.to_uppercase()),
            issuing_country: country,
            expires_on: expires,
            etd_requested_on: requested,
            etd_issued_on: issued,
            consulate: clean(i.consulate.as_deref()),
        }),
        _ => Err(inv),
    }
}

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

    fn codes(e: &Invalid) -> Vec<(&str, &str)> {
        e.errors
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect()
    }

    fn someone() -> Option<Uuid> {
        Some(Uuid::from_u128(7))
    }

    #[test]
    fn a_vulnerability_is_recorded_trimmed_and_health_data_is_flagged() {
        let i = VulnerabilityInput {
            person_id: someone(),
            kind: Some(" medical_condition ".into()),
            details: Some(" Insulin-dependent diabetes ".into()),
            follow_up: Some("   ".into()),
        };
        let v = decide_vulnerability(&i, true).unwrap();
        assert_eq!(
            v,
            NewVulnerability {
                person_id: Uuid::from_u128(7),
                kind: "medical_condition".into(),
                details: Some("Insulin-dependent diabetes".into()),
                follow_up: None,
                health_data: true,
            }
        );
        let elderly = VulnerabilityInput {
            kind: Some("elderly".into()),
            ..i
        };
        assert!(!decide_vulnerability(&elderly, true).unwrap().health_data);
        for k in VULNERABILITIES {
            assert_eq!(vulnerability_is_health_data(k), k == "medical_condition");
        }
    }

    #[test]
    fn a_vulnerability_reports_every_problem_in_order() {
        let long = "x".repeat(NOTES_MAX + 1);
        let e = decide_vulnerability(
            &VulnerabilityInput {
                person_id: None,
                kind: Some("homesick".into()),
                details: Some(long.clone()),
                follow_up: Some("a\u{0}b".into()),
            },
            false,
        )
        .unwrap_err();
        assert_eq!(
            codes(&e),
            [
                ("person_id", "required"),
                ("kind", "invalid-choice"),
                ("details", "too-long"),
                ("follow_up", "control-characters"),
            ]
        );
        let e = decide_vulnerability(
            &VulnerabilityInput {
                person_id: someone(),
                kind: None,
                ..Default::default()
            },
            false,
        )
        .unwrap_err();
        assert_eq!(
            codes(&e),
            [("person_id", "not-on-case"), ("kind", "invalid-choice")]
        );
    }

    fn now() -> DateTime<Utc> {
        use chrono::TimeZone;
        Utc.with_ymd_and_hms(2026, 12, 1, 12, 0, 0).unwrap()
    }

    #[test]
    fn a_fitness_check_is_health_data_with_upper_case_codes() {
        let i = FitnessInput {
            person_id: someone(),
            status: Some("fit_with_escort".into()),
            checked_at: Some(now() + chrono::Duration::minutes(CLOCK_SKEW_MINUTES)),
            medical_escort: true,
            special_assistance: vec![" wchr ".into(), "".into(), "MEDA".into()],
            notes: Some(" Escort carries the insulin. ".into()),
        };
        let f = decide_fitness(&i, true, now()).unwrap();
        assert_eq!(
            f,
            NewFitness {
                person_id: Uuid::from_u128(7),
                status: "fit_with_escort".into(),
                checked_at: i.checked_at,
                medical_escort: true,
                special_assistance: vec!["WCHR".into(), "MEDA".into()],
                notes: Some("Escort carries the insulin.".into()),
                health_data: true,
            }
        );
    }

    #[test]
    fn a_fitness_check_reports_every_problem_in_order() {
        let e = decide_fitness(
            &FitnessInput {
                person_id: someone(),
                status: Some("tired".into()),
                checked_at: Some(now() + chrono::Duration::minutes(CLOCK_SKEW_MINUTES + 1)),
                special_assistance: vec!["WCHR".into(), "JETPACK".into()],
                notes: Some("x".repeat(NOTES_MAX + 1)),
                ..Default::default()
            },
            false,
            now(),
        )
        .unwrap_err();
        assert_eq!(
            codes(&e),
            [
                ("person_id", "not-on-case"),
                ("status", "invalid-choice"),
                ("checked_at", "date-in-future"),
                ("special_assistance", "invalid-choice"),
                ("notes", "too-long"),
            ]
        );
        let e = decide_fitness(&FitnessInput::default(), true, now()).unwrap_err();
        assert_eq!(
            codes(&e),
            [("person_id", "required"), ("status", "invalid-choice")]
        );
    }

    fn passport() -> DocumentInput {
        DocumentInput {
            person_id: someone(),
            kind: Some("passport".into()),
            number: Some(" x1234567 ".into()),
            issuing_country: Some("hu".into()),
            expires_on: Some("2031-01-01".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_document_is_recorded_normalised() {
        let doc = decide_document(&passport(), true).unwrap();
        assert_eq!(
            doc,
            NewDocument {
                person_id: Uuid::from_u128(7),
                kind: "passport".into(),
                number: Some("X1234567".into()),
                issuing_country: Some("HU".into()),
                expires_on: Some(d("2031-01-01")),
                etd_requested_on: None,
                etd_issued_on: None,
                consulate: None,
            }
        );
        // An emergency travel document needs no expiry; issued on the day
        // it was requested is fine.
        let etd = DocumentInput {
            kind: Some("emergency_travel_document".into()),
            expires_on: None,
            etd_requested_on: Some("2012-09-10".into()),
            etd_issued_on: Some("2012-09-10".into()),
            consulate: Some(" Consulate General of Hungary, Toronto ".into()),
            ..passport()
        };
        let doc = decide_document(&etd, true).unwrap();
        assert_eq!(doc.etd_issued_on, Some(d("2012-09-10")));
        assert_eq!(
            doc.consulate.as_deref(),
            Some("Consulate General of Hungary, Toronto")
        );
    }

    #[test]
    fn a_document_reports_every_problem_in_order() {
        let e = decide_document(
            &DocumentInput {
                person_id: None,
                kind: Some("visa".into()),
                number: Some("9".repeat(DOCUMENT_NUMBER_MAX + 1)),
                issuing_country: Some("Hungary".into()),
                expires_on: Some("soon".into()),
                etd_requested_on: Some("2012-09-10".into()),
                etd_issued_on: Some("2012-09-09".into()),
                consulate: Some("c".repeat(CONSULATE_MAX + 1)),
            },
            true,
        )
        .unwrap_err();
        assert_eq!(
            codes(&e),
            [
                ("person_id", "required"),
                ("kind", "invalid-choice"),
                ("number", "too-long"),
                ("consulate", "too-long"),
                ("issuing_country", "invalid-country"),
                ("expires_on", "invalid-date"),
                ("etd_issued_on", "date-before-request"),
            ]
        );
        // A passport without expiry; an unreadable expiry is reported once.
        let e = decide_document(
            &DocumentInput {
                expires_on: None,
                ..passport()
            },
            false,
        )
        .unwrap_err();
        assert_eq!(
            codes(&e),
            [("person_id", "not-on-case"), ("expires_on", "required")]
        );
        let e = decide_document(
            &DocumentInput {
                expires_on: Some("2031-02-30".into()),
                etd_requested_on: Some("yesterday".into()),
                etd_issued_on: Some("10/09/2012".into()),
                ..passport()
            },
            true,
        )
        .unwrap_err();
        assert_eq!(
            codes(&e),
            [
                ("expires_on", "invalid-date"),
                ("etd_requested_on", "invalid-date"),
                ("etd_issued_on", "invalid-date"),
            ]
        );
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
