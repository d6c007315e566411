//! Opening a case, editing it and adding a family member: what the input
//! must hold and who may assign a counsellor. The store reads the facts (does
//! the programme exist, can the actor see the principal named, is the
//! counsellor chosen an active counsellor, the case as stored), asks
//! [`decide_new_case`], [`decide_case_update`] or [`decide_member`], and
//! writes what it returns; every refusal comes back located on its field.

use crate::person::{validate_case_fields, PersonData, PersonInput, RELATIONSHIPS};
use crate::referral::{ReferralFacts, ReferralInput};
use crate::validation::Invalid;
use crate::workflow::CaseStatus;
use crate::{Action, Resource, Role};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The programme a case joins when the input names none.
pub const DEFAULT_PROGRAMME: &str = "gta-2012";

/// What a user sends to open a case.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"programme": "gta-2012", "country_of_return": "HU", "destination_locality": "Miskolc",
    "principal": {"given_names": "Ana", "family_name": "Horváth", "sex": "female", "date_of_birth": "1988-04-12",
    "nationalities": ["HU"], "preferred_languages": ["hu"], "interpreter_needed": true},
    "referral": {"residence_region": "GTA", "claim_filed_on": "2011-05-02", "claim_outcome": "rejected",
    "irb_decided_on": "2012-01-17", "criminality": "none"}})))]
pub struct CaseInput {
    /// Programme code; defaults to `gta-2012`.
    pub programme: Option<String>,
    /// A new principal applicant...
    pub principal: Option<PersonInput>,
    /// ...or an existing person.
    pub principal_person_id: Option<Uuid>,
    /// ISO 3166-1 alpha-2.
    pub country_of_return: Option<String>,
    pub destination_locality: Option<String>,
    /// Only supervisors may choose; counsellors are assigned their own cases.
    pub counsellor_id: Option<Uuid>,
    /// The immigration facts of a CBSA referral.
    pub referral: Option<ReferralInput>,
}

/// A change to a case's editable fields. An absent field stays as it is;
/// `null` clears it.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"version": 4, "country_of_return": "HU", "destination_locality": "Debrecen"})))]
pub struct CaseUpdate {
    /// The version the client read; a stale one is refused.
    pub version: i64,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub country_of_return: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub destination_locality: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<Uuid>)]
    pub counsellor_id: Option<Option<Uuid>>,
}

/// Tells an explicit `null` (Some(None)) from an absent field (None).
fn present<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// The programme code `i` names, trimmed, or [`DEFAULT_PROGRAMME`].
pub fn programme_code(i: &CaseInput) -> &str {
    i.programme
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or(DEFAULT_PROGRAMME)
}

/// The existing person `i` names as principal applicant, when it names one
/// and no new person: the store checks that the actor can see them.
pub fn existing_principal(i: &CaseInput) -> Option<Uuid> {
    match (&i.principal, i.principal_person_id) {
        (None, Some(id)) => Some(id),
        _ => None,
    }
}

/// What the store read for a new case.
#[derive(Debug, Clone, Copy)]
pub struct NewCaseFacts {
    /// Whether the programme [`programme_code`] names exists.
    pub programme_known: bool,
    /// Whether the actor can see the [`existing_principal`] (ignored when
    /// there is none).
    pub principal_known: bool,
    /// Whether `counsellor_id`, when given, is an active counsellor.
    pub counsellor_assignable: bool,
    /// Who opens the case.
    pub role: Role,
    pub actor_id: Uuid,
    /// Today, for birth and referral dates.
    pub today: NaiveDate,
}

/// The principal applicant of a new case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// A person to create.
    New(Box<PersonData>),
    /// A person already recorded.
    Existing(Uuid),
}

/// A new case to write, every field checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// Upper case.
    pub country_of_return: Option<String>,
    pub destination_locality: Option<String>,
    pub principal: Principal,
    pub counsellor_id: Option<Uuid>,
    pub referral: Option<ReferralFacts>,
}

/// Decides a new case. An existing principal the actor cannot see is
/// refused alone (`principal_person_id`: `unknown-person`). Otherwise every
/// problem is reported, in this order: `programme` (`unknown-programme`),
/// `country_of_return`, `destination_locality`, the new principal's fields
/// as `principal.<field>`, or `principal` (`principal-required`: exactly one
/// of a new and an existing person), `counsellor_id` (`not-a-counsellor`;
/// `cannot-assign` for roles that do not choose), `referral.<field>`. A
/// counsellor opening a case becomes its counsellor; a supervisor may name
/// one.
pub fn decide_new_case(i: &CaseInput, f: &NewCaseFacts) -> Result<NewCase, Invalid> {
    if existing_principal(i).is_some() && !f.principal_known {
        return Err(Invalid::one("principal_person_id", "unknown-person"));
    }
    let mut inv = Invalid::default();
    if !f.programme_known {
        inv.add("programme", "unknown-programme");
    }
    let (country_of_return, destination_locality) = validate_case_fields(
        &mut inv,
        i.country_of_return.as_deref(),
        i.destination_locality.as_deref(),
    );
    let principal = match (&i.principal, i.principal_person_id) {
        (Some(p), None) => match p.validate(f.today) {
            Ok(d) => Some(Principal::New(Box::new(d))),
            Err(e) => {
                for fe in e.errors {
                    inv.add(&format!("principal.{}", fe.field), &fe.code);
                }
                None
            }
        },
        (None, Some(id)) => Some(Principal::Existing(id)),
        _ => {
            inv.add("principal", "principal-required");
            None
        }
    };
    let counsellor_id = match (f.role, i.counsellor_id) {
        (Role::Counsellor, _) => Some(f.actor_id),
        (Role::Supervisor, Some(id)) => {
            if !f.counsellor_assignable {
                inv.add("counsellor_id", "not-a-counsellor");
            }
            Some(id)
        }
        (_, Some(_)) => {
            inv.add("counsellor_id", "cannot-assign");
            None
        }
        (_, None) => None,
    };
    let referral = match &i.referral {
        None => None,
        Some(r) => match r.validate(f.today, "referral.") {
            Ok(facts) => Some(facts),
            Err(e) => {
                inv.errors.extend(e.errors);
                None
            }
        },
    };
    match (principal, inv.errors.is_empty()) {
        (Some(principal), true) => Ok(NewCase {
            country_of_return,
            destination_locality,
            principal,
            counsellor_id,
            referral,
        }),
        _ => Err(inv),
    }
}

/// A case's editable fields, as stored or as they will be.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFields {
    pub country_of_return: Option<String>,
    pub destination_locality: Option<String>,
    pub counsellor_id: Option<Uuid>,
}

/// The counsellor `u` gives a case that has `current`, when it changes to
/// someone: the store checks that they are an active counsellor.
pub fn new_counsellor(u: &CaseUpdate, current: Option<Uuid>) -> Option<Uuid> {
    u.counsellor_id.flatten().filter(|c| Some(*c) != current)
}

/// Decides an update of a case's fields as stored (`before`): an absent
/// field keeps its value, and the result is checked as a whole
/// (`country_of_return`, `destination_locality`). Changing the counsellor
/// needs a role that assigns (`counsellor_id`: `cannot-assign`), and the
/// [`new_counsellor`] must be an active counsellor (`counsellor_assignable`,
/// read by the store; `not-a-counsellor`). Returns the fields to write.
pub fn decide_case_update(
    u: &CaseUpdate,
    before: &CaseFields,
    role: Role,
    counsellor_assignable: bool,
) -> Result<CaseFields, Invalid> {
    let mut inv = Invalid::default();
    let country_in = u
        .country_of_return
        .clone()
        .unwrap_or_else(|| before.country_of_return.clone());
    let locality_in = u
        .destination_locality
        .clone()
        .unwrap_or_else(|| before.destination_locality.clone());
    let counsellor_id = u.counsellor_id.unwrap_or(before.counsellor_id);
    let (country_of_return, destination_locality) =
        validate_case_fields(&mut inv, country_in.as_deref(), locality_in.as_deref());
    if counsellor_id != before.counsellor_id {
        if !role.can(Resource::Case, Action::Assign) {
            inv.add("counsellor_id", "cannot-assign");
        } else if counsellor_id.is_some() && !counsellor_assignable {
            inv.add("counsellor_id", "not-a-counsellor");
        }
    }
    inv.into_result()?;
    Ok(CaseFields {
        country_of_return,
        destination_locality,
        counsellor_id,
    })
}

/// Decides adding a family member to a case in `status` (`None` when the
/// stored status is unknown): a relationship of [`RELATIONSHIPS`] other than
/// the principal's (`relationship`: `invalid-choice`), a case that has not
/// left or ended (`relationship`: `case-closed-to-members`), and the
/// person's own fields. Returns the person to create.
pub fn decide_member(
    relationship: &str,
    status: Option<CaseStatus>,
    person: &PersonInput,
    today: NaiveDate,
) -> Result<PersonData, Invalid> {
    let mut inv = Invalid::default();
    if relationship == "principal" || !RELATIONSHIPS.contains(&relationship) {
        inv.add("relationship", "invalid-choice");
    }
    if status.is_some_and(|s| s.is_after_departure() || s.is_terminal()) {
        inv.add("relationship", "case-closed-to-members");
    }
    let person = match person.validate(today) {
        Ok(d) => Some(d),
        Err(e) => {
            inv.errors.extend(e.errors);
            None
        }
    };
    match (person, inv.errors.is_empty()) {
        (Some(person), true) => Ok(person),
        _ => Err(inv),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2012, 9, 1).unwrap()
    }

    fn ana() -> PersonInput {
        PersonInput {
            given_names: Some("Ana".into()),
            family_name: Some("Horváth".into()),
            ..Default::default()
        }
    }

    fn input() -> CaseInput {
        CaseInput {
            principal: Some(ana()),
            country_of_return: Some(" hu ".into()),
            destination_locality: Some(" Miskolc ".into()),
            ..Default::default()
        }
    }

    const ME: Uuid = Uuid::from_u128(1);
    const OTHER: Uuid = Uuid::from_u128(2);

    fn facts(role: Role) -> NewCaseFacts {
        NewCaseFacts {
            programme_known: true,
            principal_known: true,
            counsellor_assignable: true,
            role,
            actor_id: ME,
            today: today(),
        }
    }

    fn codes(e: &Invalid) -> Vec<(&str, &str)> {
        e.errors
            .iter()
            .map(|f| (f.field.as_str(), f.code.as_str()))
            .collect()
    }

    #[test]
    fn the_programme_defaults_and_the_principal_is_new_or_existing() {
        assert_eq!(programme_code(&input()), DEFAULT_PROGRAMME);
        let named = CaseInput {
            programme: Some(" ott-2013 ".into()),
            ..input()
        };
        assert_eq!(programme_code(&named), "ott-2013");
        let blank = CaseInput {
            programme: Some("  ".into()),
            ..input()
        };
        assert_eq!(programme_code(&blank), DEFAULT_PROGRAMME);
        assert_eq!(existing_principal(&input()), None);
        let existing = CaseInput {
            principal: None,
            principal_person_id: Some(OTHER),
            ..input()
        };
        assert_eq!(existing_principal(&existing), Some(OTHER));
        let both = CaseInput {
            principal_person_id: Some(OTHER),
            ..input()
        };
        assert_eq!(existing_principal(&both), None, "refused, not looked up");
    }

    #[test]
    fn a_counsellor_opens_a_case_of_their_own() {
        let c = decide_new_case(&input(), &facts(Role::Counsellor)).unwrap();
        assert_eq!(c.country_of_return.as_deref(), Some("HU"));
        assert_eq!(c.destination_locality.as_deref(), Some("Miskolc"));
        assert_eq!(c.counsellor_id, Some(ME));
        assert_eq!(c.referral, None);
        let Principal::New(p) = &c.principal else {
            panic!("{:?}", c.principal)
        };
        assert_eq!(p.display_name(), "Horváth, Ana");
        // Whoever they name.
        let naming = CaseInput {
            counsellor_id: Some(OTHER),
            ..input()
        };
        let c = decide_new_case(&naming, &facts(Role::Counsellor)).unwrap();
        assert_eq!(c.counsellor_id, Some(ME));
    }

    #[test]
    fn a_supervisor_names_an_active_counsellor_and_cbsa_names_none() {
        let naming = CaseInput {
            counsellor_id: Some(OTHER),
            ..input()
        };
        let c = decide_new_case(&naming, &facts(Role::Supervisor)).unwrap();
        assert_eq!(c.counsellor_id, Some(OTHER));
        let c = decide_new_case(&input(), &facts(Role::Supervisor)).unwrap();
        assert_eq!(c.counsellor_id, None);
        let inactive = NewCaseFacts {
            counsellor_assignable: false,
            ..facts(Role::Supervisor)
        };
        let e = decide_new_case(&naming, &inactive).unwrap_err();
        assert_eq!(codes(&e), [("counsellor_id", "not-a-counsellor")]);
        let e = decide_new_case(&naming, &facts(Role::CbsaOfficer)).unwrap_err();
        assert_eq!(codes(&e), [("counsellor_id", "cannot-assign")]);
        let c = decide_new_case(&input(), &facts(Role::CbsaOfficer)).unwrap();
        assert_eq!(c.counsellor_id, None);
    }

    #[test]
    fn an_existing_principal_is_kept_or_refused_alone() {
        let existing = CaseInput {
            principal: None,
            principal_person_id: Some(OTHER),
            ..input()
        };
        let c = decide_new_case(&existing, &facts(Role::Counsellor)).unwrap();
        assert_eq!(c.principal, Principal::Existing(OTHER));
        let unseen = NewCaseFacts {
            principal_known: false,
            programme_known: false,
            ..facts(Role::Counsellor)
        };
        let bad = CaseInput {
            country_of_return: Some("Hungary".into()),
            ..existing
        };
        let e = decide_new_case(&bad, &unseen).unwrap_err();
        assert_eq!(codes(&e), [("principal_person_id", "unknown-person")]);
    }

    #[test]
    fn a_new_case_reports_every_problem_in_order() {
        let bad = CaseInput {
            programme: Some("nope".into()),
            principal: Some(PersonInput {
                date_of_birth: Some("2012-02-30".into()),
                ..Default::default()
            }),
            country_of_return: Some("Hungary".into()),
            destination_locality: Some("x".repeat(crate::person::NAME_MAX + 1)),
            counsellor_id: Some(OTHER),
            referral: Some(ReferralInput {
                claim_outcome: Some("lost".into()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let f = NewCaseFacts {
            programme_known: false,
            ..facts(Role::Analyst)
        };
        let e = decide_new_case(&bad, &f).unwrap_err();
        let fields: Vec<&str> = e.errors.iter().map(|e| e.field.as_str()).collect();
        let n = fields.len();
        assert_eq!(
            fields[..3],
            ["programme", "country_of_return", "destination_locality"]
        );
        assert!(n > 5, "{fields:?}");
        assert!(fields[3..n - 2].iter().all(|f| f.starts_with("principal.")));
        assert_eq!(fields[n - 2..], ["counsellor_id", "referral.claim_outcome"]);
        assert_eq!(e.for_field("programme"), Some("unknown-programme"));
        assert_eq!(e.for_field("country_of_return"), Some("invalid-country"));
        assert_eq!(e.for_field("destination_locality"), Some("too-long"));
        assert_eq!(e.for_field("principal.family_name"), Some("name-required"));
        assert_eq!(e.for_field("principal.date_of_birth"), Some("invalid-date"));
        assert_eq!(e.for_field("counsellor_id"), Some("cannot-assign"));
        assert_eq!(
            e.for_field("referral.claim_outcome"),
            Some("invalid-choice")
        );
        for (principal, principal_person_id) in [(None, None), (Some(ana()), Some(OTHER))] {
            let i = CaseInput {
                principal,
                principal_person_id,
                ..input()
            };
            let e = decide_new_case(&i, &facts(Role::Counsellor)).unwrap_err();
            assert_eq!(codes(&e), [("principal", "principal-required")]);
        }
    }

    fn stored() -> CaseFields {
        CaseFields {
            country_of_return: Some("HU".into()),
            destination_locality: Some("Miskolc".into()),
            counsellor_id: Some(ME),
        }
    }

    fn update() -> CaseUpdate {
        CaseUpdate {
            version: 4,
            ..Default::default()
        }
    }

    #[test]
    fn an_update_keeps_absent_fields_and_clears_nulls() {
        let same = decide_case_update(&update(), &stored(), Role::Counsellor, false).unwrap();
        assert_eq!(same, stored());
        let u = CaseUpdate {
            country_of_return: Some(Some(" mx ".into())),
            destination_locality: Some(None),
            ..update()
        };
        let changed = decide_case_update(&u, &stored(), Role::Counsellor, false).unwrap();
        assert_eq!(
            changed,
            CaseFields {
                country_of_return: Some("MX".into()),
                destination_locality: None,
                counsellor_id: Some(ME),
            }
        );
        // Naming the counsellor the case already has changes nothing.
        let u = CaseUpdate {
            counsellor_id: Some(Some(ME)),
            ..update()
        };
        assert_eq!(new_counsellor(&u, Some(ME)), None);
        assert_eq!(
            decide_case_update(&u, &stored(), Role::Counsellor, false),
            Ok(stored())
        );
    }

    #[test]
    fn only_assigning_roles_change_the_counsellor_to_an_active_one() {
        let to_other = CaseUpdate {
            counsellor_id: Some(Some(OTHER)),
            ..update()
        };
        assert_eq!(new_counsellor(&to_other, Some(ME)), Some(OTHER));
        let c = decide_case_update(&to_other, &stored(), Role::Supervisor, true).unwrap();
        assert_eq!(c.counsellor_id, Some(OTHER));
        let e = decide_case_update(&to_other, &stored(), Role::Supervisor, false).unwrap_err();
        assert_eq!(codes(&e), [("counsellor_id", "not-a-counsellor")]);
        let e = decide_case_update(&to_other, &stored(), Role::Counsellor, true).unwrap_err();
        assert_eq!(codes(&e), [("counsellor_id", "cannot-assign")]);
        // Unassigning needs the role, not a counsellor.
        let unassign = CaseUpdate {
            counsellor_id: Some(None),
            ..update()
        };
        assert_eq!(new_counsellor(&unassign, Some(ME)), None);
        let c = decide_case_update(&unassign, &stored(), Role::Supervisor, false).unwrap();
        assert_eq!(c.counsellor_id, None);
        let e = decide_case_update(&unassign, &stored(), Role::Counsellor, false).unwrap_err();
        assert_eq!(codes(&e), [("counsellor_id", "cannot-assign")]);
    }

    #[test]
    fn an_update_reports_every_problem_in_order() {
        let u = CaseUpdate {
            country_of_return: Some(Some("Mexico".into())),
            destination_locality: Some(Some("a\u{7}b".into())),
            counsellor_id: Some(Some(OTHER)),
            ..update()
        };
        let e = decide_case_update(&u, &stored(), Role::MissionOfficer, true).unwrap_err();
        assert_eq!(
            codes(&e),
            [
                ("country_of_return", "invalid-country"),
                ("destination_locality", "control-characters"),
                ("counsellor_id", "cannot-assign"),
            ]
        );
        // The stored values are checked too when they are kept.
        let bad_stored = CaseFields {
            country_of_return: Some("Hungary".into()),
            ..stored()
        };
        let e = decide_case_update(&update(), &bad_stored, Role::Counsellor, false).unwrap_err();
        assert_eq!(codes(&e), [("country_of_return", "invalid-country")]);
    }

    #[test]
    fn a_member_joins_a_case_before_departure() {
        let child = PersonInput {
            given_names: Some("Máté".into()),
            ..ana()
        };
        let p = decide_member("child", Some(CaseStatus::Counselling), &child, today()).unwrap();
        assert_eq!(p.display_name(), "Horváth, Máté");
        assert!(decide_member("spouse", None, &child, today()).is_ok());
        for rel in ["principal", "cousin", ""] {
            let e = decide_member(rel, Some(CaseStatus::Intake), &child, today()).unwrap_err();
            assert_eq!(codes(&e), [("relationship", "invalid-choice")], "{rel}");
        }
        for s in [
            CaseStatus::Departed,
            CaseStatus::Monitoring,
            CaseStatus::Closed,
        ] {
            let e = decide_member("child", Some(s), &child, today()).unwrap_err();
            assert_eq!(codes(&e), [("relationship", "case-closed-to-members")]);
        }
        let e = decide_member(
            "principal",
            Some(CaseStatus::Closed),
            &PersonInput::default(),
            today(),
        )
        .unwrap_err();
        assert_eq!(
            codes(&e),
            [
                ("relationship", "invalid-choice"),
                ("relationship", "case-closed-to-members"),
                ("family_name", "name-required"),
            ]
        );
    }
}
