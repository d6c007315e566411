//! Consent as a rule of access (issue 7): restricted data (counselling notes,
//! health and vulnerability details, attachments) follows the person's consent
//! wherever it is read. The store asks these rules; no page decides on its own.

use crate::workflow::CaseStatus;
use crate::{Action, Invalid, Resource, Role};
use chrono::NaiveDate;

/// Consent to share the case with CBSA beyond what the programme requires.
pub const SHARE_WITH_CBSA: &str = "share_with_cbsa";
/// Consent to share restricted data with the IOM mission in the country of return.
pub const SHARE_WITH_MISSION: &str = "share_with_mission";
/// Consent to collect health data (fitness to travel, medical conditions).
pub const COLLECT_HEALTH_DATA: &str = "collect_health_data";
/// Every purpose a consent can be given for.
pub const PURPOSES: [&str; 3] = [SHARE_WITH_CBSA, SHARE_WITH_MISSION, COLLECT_HEALTH_DATA];

/// What reading a restricted resource takes, for a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadRule {
    /// The role never reads it, whatever the person consented to.
    Never,
    /// The role reads it (within its record scope) for its work with the person.
    Always,
    /// Only while a consent for this purpose is in force; a withdrawal takes
    /// effect on the next read.
    WhileConsented(&'static str),
}

/// Who reads restricted `resource`: the case's counsellor and supervisor
/// always, the mission of the country of return only with consent to share
/// with the mission, nobody else (CBSA, finance, analysts, admins, auditors).
///
/// Travel plans are not restricted, but CBSA reads them only with consent to
/// share with CBSA: what it receives whatever the consents is the legal
/// minimum of the programme (`docs/consent.md`): the referral it made, the
/// application and decision, the case's status and the departure
/// confirmation.
pub fn read_rule(role: Role, resource: Resource) -> ReadRule {
    if !role.can(resource, Action::Read) {
        return ReadRule::Never;
    }
    match (role, resource) {
        (Role::CbsaOfficer, Resource::Travel) => ReadRule::WhileConsented(SHARE_WITH_CBSA),
        (Role::MissionOfficer, Resource::Counselling | Resource::Attachment) => {
            ReadRule::WhileConsented(SHARE_WITH_MISSION)
        }
        _ => ReadRule::Always,
    }
}

/// The statuses in which the mission of the country of return has a role in
/// a case: from departure preparation on. A closed case counts only if it
/// closed after a departure (not one closed after a refusal).
pub const MISSION_STATUSES: [CaseStatus; 4] = [
    CaseStatus::PreparingDeparture,
    CaseStatus::Departed,
    CaseStatus::Reintegrating,
    CaseStatus::Monitoring,
];

/// Whether the mission of the case's country of return may see the case at
/// all: it has reached departure preparation (or later, `departed` telling
/// a closed case's past) and its principal's consent to share with the
/// mission is in force. Before that, and after a withdrawal, the case is out
/// of the mission's scope like any other. The store applies the same rule
/// in SQL (`Actor::push_case_scope`).
pub fn mission_sees(
    status: CaseStatus,
    departed: bool,
    principal_shares_with_mission: bool,
) -> bool {
    let reached = MISSION_STATUSES.contains(&status) || (status == CaseStatus::Closed && departed);
    reached && principal_shares_with_mission
}

/// The age from which a person gives or refuses consent for themselves.
pub const AGE_OF_CONSENT: i32 = 18;

/// Whether a person born on `dob` is a child on `today`. A person whose date
/// of birth is not known is taken as an adult: they consent themselves.
pub fn is_child(dob: Option<NaiveDate>, today: NaiveDate) -> bool {
    dob.and_then(|d| crate::deidentify::age_on(d, today))
        .is_some_and(|age| age < AGE_OF_CONSENT)
}

/// Who gives a consent: the person, or for a child a parent or guardian.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Giver {
    /// The person the consent is about is a child.
    pub subject_is_child: bool,
    /// The member of the case who gives it on the child's behalf, if any:
    /// whether they are a child themselves.
    pub guardian_is_child: Option<bool>,
    /// The guardian named is the subject themselves.
    pub guardian_is_subject: bool,
}

/// Checks who gives a consent (`given_by_person_id`): an adult gives their own
/// (`adult-consents-themselves` if someone else is named), a child's is
/// given by an adult member of the case (`guardian-required`,
/// `guardian-not-adult`).
pub fn check_giver(g: Giver) -> Result<(), Invalid> {
    let code = match (g.subject_is_child, g.guardian_is_child) {
        (false, None) => return Ok(()),
        (false, Some(_)) => "adult-consents-themselves",
        (true, None) => "guardian-required",
        (true, Some(_)) if g.guardian_is_subject => "guardian-required",
        (true, Some(true)) => "guardian-not-adult",
        (true, Some(false)) => return Ok(()),
    };
    Err(Invalid::one("given_by_person_id", code))
}

/// Whether `role` may read `resource` given the purposes consented to and in force.
pub fn may_read(role: Role, resource: Resource, in_force: &[&str]) -> bool {
    match read_rule(role, resource) {
        ReadRule::Never => false,
        ReadRule::Always => true,
        ReadRule::WhileConsented(p) => in_force.contains(&p),
    }
}

/// Recording health data (fitness to travel, a medical condition) needs
/// consent to collect it.
pub fn may_record_health_data(in_force: &[&str]) -> bool {
    in_force.contains(&COLLECT_HEALTH_DATA)
}

/// Refuses recording health data without consent to collect it in force
/// (`consent`: `needs-health-consent`).
pub fn check_health_data(in_force: &[&str]) -> Result<(), crate::Invalid> {
    if may_record_health_data(in_force) {
        Ok(())
    } else {
        Err(crate::Invalid::one("consent", "needs-health-consent"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RESTRICTED: [Resource; 2] = [Resource::Counselling, Resource::Attachment];

    #[test]
    fn only_case_workers_and_a_consented_mission_read_restricted_data() {
        for r in RESTRICTED {
            assert!(may_read(Role::Counsellor, r, &[]));
            assert!(may_read(Role::Supervisor, r, &[]));
            assert!(!may_read(Role::MissionOfficer, r, &[]));
            assert!(!may_read(
                Role::MissionOfficer,
                r,
                &[COLLECT_HEALTH_DATA, SHARE_WITH_CBSA]
            ));
            assert!(may_read(Role::MissionOfficer, r, &[SHARE_WITH_MISSION]));
            for never in [
                Role::CbsaOfficer,
                Role::Finance,
                Role::Analyst,
                Role::Admin,
                Role::Auditor,
            ] {
                assert!(!may_read(never, r, &PURPOSES), "{never:?} {r:?}");
            }
        }
    }

    #[test]
    fn health_data_needs_consent_to_collect_it() {
        assert_eq!(check_health_data(&[COLLECT_HEALTH_DATA]), Ok(()));
        for without in [&[][..], &[SHARE_WITH_CBSA, SHARE_WITH_MISSION][..]] {
            let e = check_health_data(without).unwrap_err();
            assert_eq!(e.for_field("consent"), Some("needs-health-consent"));
            assert_eq!(e.errors.len(), 1);
        }
    }

    #[test]
    fn cbsa_reads_travel_plans_only_with_consent_to_share_with_it() {
        assert!(!may_read(Role::CbsaOfficer, Resource::Travel, &[]));
        assert!(!may_read(
            Role::CbsaOfficer,
            Resource::Travel,
            &[SHARE_WITH_MISSION, COLLECT_HEALTH_DATA]
        ));
        assert!(may_read(
            Role::CbsaOfficer,
            Resource::Travel,
            &[SHARE_WITH_CBSA]
        ));
        // The programme's own staff read travel plans whatever the consents.
        assert!(may_read(Role::Counsellor, Resource::Travel, &[]));
        assert!(may_read(Role::MissionOfficer, Resource::Travel, &[]));
        assert!(may_read(Role::Finance, Resource::Travel, &[]));
    }

    #[test]
    fn the_mission_sees_a_case_from_departure_preparation_with_consent() {
        use CaseStatus::*;
        for s in CaseStatus::ALL {
            let reached = matches!(
                s,
                PreparingDeparture | Departed | Reintegrating | Monitoring
            );
            assert_eq!(mission_sees(s, false, true), reached, "{s}");
            assert!(!mission_sees(s, true, false), "{s} without consent");
        }
        assert!(mission_sees(Closed, true, true));
        assert!(!mission_sees(Closed, false, true), "closed after a refusal");
        assert!(!mission_sees(Referred, false, true));
    }

    #[test]
    fn adults_consent_themselves_and_an_adult_member_for_a_child() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert!(is_child(d(2010, 1, 1), today));
        assert!(is_child(d(2008, 12, 8), today), "turns 18 tomorrow");
        assert!(!is_child(d(2008, 12, 7), today), "18 today");
        assert!(!is_child(None, today), "unknown age: consents themselves");
        let g = |child, guardian, same| Giver {
            subject_is_child: child,
            guardian_is_child: guardian,
            guardian_is_subject: same,
        };
        assert_eq!(check_giver(g(false, None, false)), Ok(()));
        assert_eq!(check_giver(g(true, Some(false), false)), Ok(()));
        let code = |r: Result<(), Invalid>| {
            r.unwrap_err()
                .for_field("given_by_person_id")
                .map(str::to_string)
        };
        assert_eq!(
            code(check_giver(g(false, Some(false), false))).as_deref(),
            Some("adult-consents-themselves")
        );
        assert_eq!(
            code(check_giver(g(true, None, false))).as_deref(),
            Some("guardian-required")
        );
        assert_eq!(
            code(check_giver(g(true, Some(true), false))).as_deref(),
            Some("guardian-not-adult")
        );
        assert_eq!(
            code(check_giver(g(true, Some(true), true))).as_deref(),
            Some("guardian-required")
        );
    }

    proptest! {
        /// Whatever the consents, no role without need to know reads
        /// restricted data, and a mission reads it exactly while the consent
        /// to share with it is in force.
        #[test]
        fn consent_never_opens_more_than_the_role_allows(
            role in 0usize..8, resource in 0usize..2, mask in 0u8..8,
        ) {
            let role = Role::ALL[role];
            let resource = RESTRICTED[resource];
            let in_force: Vec<&str> = PURPOSES
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(_, p)| *p)
                .collect();
            let read = may_read(role, resource, &in_force);
            if read {
                prop_assert!(role.can(resource, Action::Read));
            }
            if role == Role::MissionOfficer {
                prop_assert_eq!(read, in_force.contains(&SHARE_WITH_MISSION));
            }
            if matches!(role, Role::CbsaOfficer | Role::Finance | Role::Analyst | Role::Admin | Role::Auditor) {
                prop_assert!(!read);
            }
        }
    }
}
