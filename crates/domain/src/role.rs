//! Roles, permissions (resource × action) and record scopes.

use serde::{Deserialize, Serialize};

/// A staff role. Each user has exactly one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Counsellor,
    Supervisor,
    CbsaOfficer,
    MissionOfficer,
    Finance,
    Analyst,
    Admin,
    Auditor,
}

/// What a permission is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Resource {
    Case,
    Person,
    Programme,
    User,
    Audit,
    Statistics,
    /// The immigration facts of a referral and the eligibility evaluation.
    Referral,
    /// Counselling sessions and their notes (restricted).
    Counselling,
    /// Consent per purpose.
    Consent,
    /// Scans and letters attached to a case.
    Attachment,
    /// Itineraries, tickets, flight manifests and departure confirmations.
    Travel,
    /// PDF documents generated from case data (which kinds: [`Role::may_read_letter`]).
    Letter,
    /// Reintegration money: budgets, vendors, purchases, ledgers. Who may take
    /// each purchase step is decided by `reintegration::check_purchase_transition`.
    Reintegration,
}

/// What a user wants to do with a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Read,
    Create,
    Update,
    /// Move a case through its workflow (each transition has its own guard too).
    Transition,
    /// Assign a case to a counsellor.
    Assign,
    /// Manage users and programme configuration.
    Manage,
}

/// Which case records a role may see at all. Applied inside the database query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Cases assigned to, or created by, the user.
    Own,
    /// Cases of the user's team: assigned to a counsellor of that team, or unassigned.
    Team(String),
    /// Every case.
    All,
    /// Cases returning to one country (ISO 3166-1 alpha-2).
    Country(String),
    /// No case records at all (aggregates only, or none).
    Nothing,
}

impl Role {
    /// Every role, in the order the UI lists them.
    pub const ALL: [Role; 8] = [
        Role::Counsellor,
        Role::Supervisor,
        Role::CbsaOfficer,
        Role::MissionOfficer,
        Role::Finance,
        Role::Analyst,
        Role::Admin,
        Role::Auditor,
    ];

    /// The stable identifier stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Counsellor => "counsellor",
            Role::Supervisor => "supervisor",
            Role::CbsaOfficer => "cbsa_officer",
            Role::MissionOfficer => "mission_officer",
            Role::Finance => "finance",
            Role::Analyst => "analyst",
            Role::Admin => "admin",
            Role::Auditor => "auditor",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role works across every programme (admins set them up,
    /// auditors check them all); every other role sees only the cases,
    /// counts and money of the programmes its user belongs to.
    pub fn across_programmes(self) -> bool {
        matches!(self, Role::Admin | Role::Auditor)
    }

    /// Whether this role needs a country (mission officers serve one country of return).
    pub fn needs_country(self) -> bool {
        self == Role::MissionOfficer
    }

    /// Whether the role may do `action` on `resource` at all. Record scope and
    /// workflow guards narrow this further.
    pub fn can(self, resource: Resource, action: Action) -> bool {
        use Action::*;
        use Resource::*;
        match self {
            Role::Counsellor => matches!(
                (resource, action),
                (Case, Read | Create | Update | Transition)
                    | (Person, Read | Create | Update)
                    | (Programme, Read)
                    | (Referral, Read | Update)
                    | (Counselling | Consent | Attachment, Read | Create | Update)
                    | (Travel | Letter, Read | Create | Update)
            ),
            Role::Supervisor => matches!(
                (resource, action),
                (Case, Read | Create | Update | Transition | Assign)
                    | (Person, Read | Create | Update)
                    | (Programme, Read)
                    | (Statistics, Read)
                    | (Referral, Read | Update)
                    | (Counselling | Consent | Attachment, Read | Create | Update)
                    | (Travel | Letter, Read | Create | Update)
                    | (Reintegration, Read)
            ),
            // CBSA refers people (creating the case) and decides eligibility.
            Role::CbsaOfficer => matches!(
                (resource, action),
                (Case, Read | Create | Transition)
                    | (Person, Read | Create)
                    | (Programme, Read)
                    | (Referral, Read | Update)
                    | (Travel | Letter, Read)
            ),
            // The mission receives travellers (arrival reception) and issues
            // the reintegration certificate.
            Role::MissionOfficer => matches!(
                (resource, action),
                (Case, Read | Transition)
                    | (Person, Read)
                    | (Programme, Read)
                    | (Counselling | Consent | Attachment, Read)
                    | (Travel | Letter, Read)
                    | (Reintegration, Read | Create | Update)
            ),
            // Finance sees fares (the cost of each return), not letters.
            Role::Finance => matches!(
                (resource, action),
                (Case, Read) | (Programme, Read) | (Travel, Read) | (Reintegration, Read | Update)
            ),
            Role::Analyst => matches!((resource, action), (Statistics, Read) | (Programme, Read)),
            Role::Admin => matches!(
                (resource, action),
                (User, Read | Create | Update | Manage) | (Programme, Read | Manage)
            ),
            Role::Auditor => matches!((resource, action), (Audit, Read) | (Programme, Read)),
        }
    }

    /// Which generated letters this role may download: CBSA gets what the
    /// programme sends it (the application it decides on and the departure
    /// confirmation), the mission what the traveller carries to it.
    pub fn may_read_letter(self, kind: &str) -> bool {
        if !self.can(Resource::Letter, Action::Read) {
            return false;
        }
        match self {
            Role::Counsellor | Role::Supervisor => true,
            Role::CbsaOfficer => matches!(kind, "application" | "departure-confirmation"),
            Role::MissionOfficer => matches!(kind, "travel-letter" | "reintegration-certificate"),
            _ => false,
        }
    }

    /// The record scope of this role for a user with the given team and country.
    pub fn scope(self, team: Option<&str>, country: Option<&str>) -> Scope {
        match self {
            Role::Counsellor => Scope::Own,
            Role::Supervisor => match team {
                Some(t) if !t.is_empty() => Scope::Team(t.to_string()),
                _ => Scope::All,
            },
            Role::CbsaOfficer | Role::Finance => Scope::All,
            Role::MissionOfficer => match country {
                Some(c) if !c.is_empty() => Scope::Country(c.to_string()),
                _ => Scope::Nothing,
            },
            Role::Analyst | Role::Admin | Role::Auditor => Scope::Nothing,
        }
    }

    /// Whether the role may see a person's contact details and identifiers.
    /// Finance needs the case number and money, not who to phone.
    pub fn sees_contact_details(self) -> bool {
        matches!(
            self,
            Role::Counsellor | Role::Supervisor | Role::CbsaOfficer | Role::MissionOfficer
        )
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn only_admin_manages_users() {
        for r in Role::ALL {
            assert_eq!(
                r.can(Resource::User, Action::Manage),
                r == Role::Admin,
                "{r}"
            );
        }
    }

    #[test]
    fn only_auditor_reads_the_audit_trail() {
        for r in Role::ALL {
            assert_eq!(
                r.can(Resource::Audit, Action::Read),
                r == Role::Auditor,
                "{r}"
            );
        }
    }

    #[test]
    fn analysts_admins_and_auditors_see_no_case_records() {
        for r in [Role::Analyst, Role::Admin, Role::Auditor] {
            assert!(!r.can(Resource::Case, Action::Read));
            assert_eq!(r.scope(Some("t"), Some("HU")), Scope::Nothing);
        }
    }

    #[test]
    fn mission_officer_without_country_sees_nothing() {
        assert_eq!(Role::MissionOfficer.scope(None, None), Scope::Nothing);
        assert_eq!(
            Role::MissionOfficer.scope(None, Some("HU")),
            Scope::Country("HU".into())
        );
    }

    #[test]
    fn counselling_notes_never_reach_cbsa_finance_or_analysts() {
        for r in [
            Role::CbsaOfficer,
            Role::Finance,
            Role::Analyst,
            Role::Admin,
            Role::Auditor,
        ] {
            for res in [
                Resource::Counselling,
                Resource::Consent,
                Resource::Attachment,
            ] {
                assert!(!r.can(res, Action::Read), "{r} {res:?}");
            }
        }
        assert!(Role::MissionOfficer.can(Resource::Counselling, Action::Read));
        assert!(!Role::MissionOfficer.can(Resource::Counselling, Action::Create));
    }

    #[test]
    fn only_supervisors_assign() {
        for r in Role::ALL {
            assert_eq!(r.can(Resource::Case, Action::Assign), r == Role::Supervisor);
        }
    }
}
