//! Consent as a rule of access (issue 7): restricted data (counselling notes,
//! health and vulnerability details, attachments) follows the person's consent
//! wherever it is read. The store asks these rules; no page decides on its own.

use crate::{Action, Resource, Role};

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
pub fn read_rule(role: Role, resource: Resource) -> ReadRule {
    if !role.can(resource, Action::Read) {
        return ReadRule::Never;
    }
    match role {
        Role::MissionOfficer => ReadRule::WhileConsented(SHARE_WITH_MISSION),
        _ => ReadRule::Always,
    }
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
