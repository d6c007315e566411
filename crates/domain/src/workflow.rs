//! The case workflow: a state machine with guarded transitions.
//!
//! `check` is the single place that decides whether a transition may happen;
//! the store records it and the UI only offers what `allowed_targets` returns.

use crate::role::Role;
use serde::{Deserialize, Serialize};

/// Where a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    Referred,
    Intake,
    Counselling,
    Applied,
    Eligible,
    Ineligible,
    PreparingDeparture,
    Departed,
    Reintegrating,
    Monitoring,
    Closed,
    Withdrawn,
}

/// Why a transition was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// No edge from the current status to the target.
    #[error("a case cannot go from {from:?} to {to:?}")]
    NotAllowed { from: CaseStatus, to: CaseStatus },
    /// The edge exists but this role may not take it.
    #[error("this role may not make that transition")]
    Forbidden,
    /// The transition needs a reason and none was given.
    #[error("a reason is required")]
    ReasonRequired,
    /// A precondition of the transition is not met (message key for the UI).
    #[error("precondition not met: {0}")]
    Precondition(&'static str),
    /// Travellers are not ready to prepare departure.
    #[error("not ready: {0:?}")]
    Blocked(Vec<crate::readiness::Blocker>),
}

/// Facts about the case that transition guards look at.
#[derive(Debug, Clone, Default)]
pub struct TransitionContext {
    /// Whether a counsellor is assigned to the case.
    pub has_counsellor: bool,
    /// Whether the case has a country of return.
    pub has_country_of_return: bool,
    /// Whether the signed voluntary-return declaration is on file.
    pub has_declaration: bool,
    /// Whether an IOM staff member is recording that the travellers boarded:
    /// a case becomes departed only through a departure confirmation.
    pub departure_confirmed: bool,
    /// For a closed case: the status it had when it was closed (from its
    /// history). A case reopens only to that status, and only if it was
    /// closed after return (reintegrating or monitoring).
    pub status_before_closure: Option<CaseStatus>,
}

struct Edge {
    from: &'static [CaseStatus],
    to: CaseStatus,
    roles: &'static [Role],
    reason_required: bool,
    /// Reopens a closed case: taken only through `closure::reopen`, which
    /// knows the status before closure, so never offered as a plain step.
    reopen: bool,
}

use CaseStatus::*;

const IOM_TORONTO: &[Role] = &[Role::Counsellor, Role::Supervisor];
const CBSA: &[Role] = &[Role::CbsaOfficer];
const MISSION: &[Role] = &[Role::MissionOfficer, Role::Supervisor];

/// States before departure, from which the person may withdraw.
pub const PRE_DEPARTURE: &[CaseStatus] = &[
    Referred,
    Intake,
    Counselling,
    Applied,
    Eligible,
    PreparingDeparture,
];

const EDGES: &[Edge] = &[
    Edge {
        from: &[Referred],
        to: Intake,
        roles: IOM_TORONTO,
        reason_required: false,
        reopen: false,
    },
    Edge {
        from: &[Intake],
        to: Counselling,
        roles: IOM_TORONTO,
        reason_required: false,
        reopen: false,
    },
    Edge {
        from: &[Counselling],
        to: Applied,
        roles: IOM_TORONTO,
        reason_required: false,
        reopen: false,
    },
    Edge {
        from: &[Applied],
        to: Eligible,
        roles: CBSA,
        reason_required: false,
        reopen: false,
    },
    // Refusal, and later revocation before departure: CBSA decides throughout.
    Edge {
        from: &[Applied, Eligible, PreparingDeparture],
        to: Ineligible,
        roles: CBSA,
        reason_required: true,
        reopen: false,
    },
    Edge {
        from: &[Eligible],
        to: PreparingDeparture,
        roles: IOM_TORONTO,
        reason_required: false,
        reopen: false,
    },
    Edge {
        from: &[PreparingDeparture],
        to: Departed,
        roles: IOM_TORONTO,
        reason_required: false,
        reopen: false,
    },
    Edge {
        from: &[Departed],
        to: Reintegrating,
        roles: MISSION,
        reason_required: false,
        reopen: false,
    },
    Edge {
        from: &[Reintegrating],
        to: Monitoring,
        roles: MISSION,
        reason_required: false,
        reopen: false,
    },
    Edge {
        from: &[Monitoring, Reintegrating],
        to: Closed,
        roles: MISSION,
        reason_required: true,
        reopen: false,
    },
    Edge {
        from: &[Ineligible],
        to: Closed,
        roles: IOM_TORONTO,
        reason_required: true,
        reopen: false,
    },
    Edge {
        from: PRE_DEPARTURE,
        to: Withdrawn,
        roles: IOM_TORONTO,
        reason_required: true,
        reopen: false,
    },
    // Reopening a case closed after return (closed in error, or the returnee
    // came back into contact): back to where it was, with a reason.
    Edge {
        from: &[Closed],
        to: Reintegrating,
        roles: MISSION,
        reason_required: true,
        reopen: true,
    },
    Edge {
        from: &[Closed],
        to: Monitoring,
        roles: MISSION,
        reason_required: true,
        reopen: true,
    },
];

impl CaseStatus {
    /// Every status in workflow order.
    pub const ALL: [CaseStatus; 12] = [
        Referred,
        Intake,
        Counselling,
        Applied,
        Eligible,
        Ineligible,
        PreparingDeparture,
        Departed,
        Reintegrating,
        Monitoring,
        Closed,
        Withdrawn,
    ];

    /// The stable identifier stored in the database and used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Referred => "referred",
            Intake => "intake",
            Counselling => "counselling",
            Applied => "applied",
            Eligible => "eligible",
            Ineligible => "ineligible",
            PreparingDeparture => "preparing_departure",
            Departed => "departed",
            Reintegrating => "reintegrating",
            Monitoring => "monitoring",
            Closed => "closed",
            Withdrawn => "withdrawn",
        }
    }

    /// Parses the stable identifier.
    pub fn parse(s: &str) -> Option<CaseStatus> {
        CaseStatus::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// Whether the case has ended: closed or withdrawn. No step moves it on;
    /// the one way out is reopening a case closed after return
    /// ([`CaseStatus::reopens_to`]), which restores it rather than moves it on.
    pub fn is_terminal(self) -> bool {
        matches!(self, Closed | Withdrawn)
    }

    /// Whether a case closed from this status may be reopened (to it): only
    /// closures after return. A case closed as ineligible stays closed.
    pub fn reopens_to(self) -> bool {
        matches!(self, Reintegrating | Monitoring)
    }

    /// Whether the person has certainly left Canada in this status.
    pub fn is_after_departure(self) -> bool {
        matches!(self, Departed | Reintegrating | Monitoring)
    }

    /// The status every new case starts in.
    pub fn initial() -> CaseStatus {
        Referred
    }
}

impl std::fmt::Display for CaseStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Decides whether `role` may move a case from `from` to `to`.
pub fn check(
    from: CaseStatus,
    to: CaseStatus,
    role: Role,
    reason: Option<&str>,
    ctx: &TransitionContext,
) -> Result<(), TransitionError> {
    let edge = EDGES
        .iter()
        .find(|e| e.to == to && e.from.contains(&from))
        .ok_or(TransitionError::NotAllowed { from, to })?;
    if !edge.roles.contains(&role) {
        return Err(TransitionError::Forbidden);
    }
    if edge.reason_required && reason.map(str::trim).unwrap_or("").is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    match to {
        // IOM submits the application for a case somebody is responsible for.
        Applied if !ctx.has_counsellor => Err(TransitionError::Precondition("needs_counsellor")),
        Applied if !ctx.has_declaration => Err(TransitionError::Precondition("needs_declaration")),
        PreparingDeparture | Departed if !ctx.has_country_of_return => {
            Err(TransitionError::Precondition("needs_country_of_return"))
        }
        Departed if !ctx.departure_confirmed => Err(TransitionError::Precondition(
            "needs_departure_confirmation",
        )),
        // Back only to the status the case was closed from, after return.
        _ if edge.reopen
            && !ctx
                .status_before_closure
                .is_some_and(|b| b == to && b.reopens_to()) =>
        {
            Err(TransitionError::Precondition("not_reopenable"))
        }
        _ => Ok(()),
    }
}

/// Whether the transition needs a reason (so the UI can ask for one).
pub fn reason_required(from: CaseStatus, to: CaseStatus) -> bool {
    EDGES
        .iter()
        .any(|e| e.to == to && e.from.contains(&from) && e.reason_required)
}

/// Who acts next on a case in `status`, and so what its page says comes
/// next (`next-<status>` in the translations); `None` once nothing is left
/// to do.
pub fn next_actor(status: CaseStatus) -> Option<Role> {
    match status {
        Referred | Intake | Counselling | Eligible | PreparingDeparture => Some(Role::Counsellor),
        Applied => Some(Role::CbsaOfficer),
        Departed | Reintegrating | Monitoring => Some(Role::MissionOfficer),
        Ineligible => Some(Role::Supervisor),
        Closed | Withdrawn => None,
    }
}

/// Whether moving a case to `to` is a decision that is asked twice: it
/// tells others (CBSA's decision, a refusal, a revocation or withdrawal, a
/// closure) and its author cannot take it back.
pub fn asks_confirmation(to: CaseStatus) -> bool {
    matches!(
        to,
        CaseStatus::Eligible | CaseStatus::Ineligible | CaseStatus::Withdrawn | CaseStatus::Closed
    )
}

/// The targets `role` could move a case to from `from`, ignoring preconditions
/// the user can still fix (the UI explains those on submit). Reopening is not
/// among them: it has its own action (`closure::reopen`), which picks the
/// status before closure.
pub fn allowed_targets(from: CaseStatus, role: Role) -> Vec<CaseStatus> {
    EDGES
        .iter()
        .filter(|e| e.from.contains(&from) && e.roles.contains(&role) && !e.reopen)
        .map(|e| e.to)
        .collect()
}

/// The longest reason a transition may give, in characters.
pub const MAX_REASON: usize = 2000;

/// The reason a transition gives, trimmed (`None` when blank), or
/// `reason`: `too-long` past [`MAX_REASON`].
pub fn reason_of(reason: Option<&str>) -> Result<Option<&str>, crate::Invalid> {
    let reason = reason.map(str::trim).filter(|s| !s.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON) {
        let mut inv = crate::Invalid::default();
        inv.add_detail("reason", "too-long", MAX_REASON.to_string());
        return Err(inv);
    }
    Ok(reason)
}

/// Whether moving a case to `to` makes the actor its counsellor: a
/// counsellor who starts the intake of a referral nobody has taken.
pub fn takes_case(to: CaseStatus, has_counsellor: bool, role: Role) -> bool {
    to == Intake && !has_counsellor && role == Role::Counsellor
}

#[cfg(test)]
mod tests {
    #[test]
    fn someone_acts_next_until_the_case_ends() {
        use super::{next_actor, CaseStatus};
        use crate::Role;
        assert_eq!(next_actor(CaseStatus::Applied), Some(Role::CbsaOfficer));
        assert_eq!(next_actor(CaseStatus::Departed), Some(Role::MissionOfficer));
        assert_eq!(next_actor(CaseStatus::Referred), Some(Role::Counsellor));
        assert_eq!(next_actor(CaseStatus::Closed), None);
        assert_eq!(next_actor(CaseStatus::Withdrawn), None);
    }

    #[test]
    fn decisions_are_confirmed_and_steps_are_not() {
        use super::{asks_confirmation, CaseStatus::*};
        for s in [Eligible, Ineligible, Withdrawn, Closed] {
            assert!(asks_confirmation(s), "{s:?}");
        }
        for s in [Intake, Counselling, Applied, PreparingDeparture] {
            assert!(!asks_confirmation(s), "{s:?}");
        }
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_counsellor_starting_an_unassigned_intake_takes_the_case() {
        assert!(takes_case(Intake, false, Role::Counsellor));
        assert!(
            !takes_case(Intake, true, Role::Counsellor),
            "already someone's"
        );
        assert!(
            !takes_case(Intake, false, Role::Supervisor),
            "supervisors assign"
        );
        assert!(!takes_case(Counselling, false, Role::Counsellor));
    }

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(reason_of(None), Ok(None));
        assert_eq!(reason_of(Some("   ")), Ok(None));
        assert_eq!(reason_of(Some(" moved ")), Ok(Some("moved")));
        let long = "é".repeat(MAX_REASON);
        assert_eq!(reason_of(Some(&long)), Ok(Some(long.as_str())));
        let e = reason_of(Some(&format!("{long}x"))).unwrap_err();
        assert_eq!(e.for_field("reason"), Some("too-long"));
    }

    fn ready() -> TransitionContext {
        TransitionContext {
            has_counsellor: true,
            has_country_of_return: true,
            has_declaration: true,
            departure_confirmed: true,
            status_before_closure: None,
        }
    }

    #[test]
    fn the_happy_path_reaches_closed() {
        let steps = [
            (Intake, Role::Counsellor),
            (Counselling, Role::Counsellor),
            (Applied, Role::Counsellor),
            (Eligible, Role::CbsaOfficer),
            (PreparingDeparture, Role::Counsellor),
            (Departed, Role::Counsellor),
            (Reintegrating, Role::MissionOfficer),
            (Monitoring, Role::MissionOfficer),
            (Closed, Role::MissionOfficer),
        ];
        let mut s = CaseStatus::initial();
        for (to, role) in steps {
            check(s, to, role, Some("support period ended"), &ready()).unwrap();
            s = to;
        }
        assert!(s.is_terminal());
    }

    #[test]
    fn only_cbsa_decides_eligibility() {
        for r in Role::ALL {
            let ok = check(Applied, Eligible, r, None, &ready()).is_ok();
            assert_eq!(ok, r == Role::CbsaOfficer, "{r}");
        }
    }

    #[test]
    fn refusal_and_withdrawal_need_a_reason() {
        assert_eq!(
            check(Applied, Ineligible, Role::CbsaOfficer, Some("  "), &ready()),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            check(Intake, Withdrawn, Role::Counsellor, None, &ready()),
            Err(TransitionError::ReasonRequired)
        );
        assert!(check(
            Intake,
            Withdrawn,
            Role::Counsellor,
            Some("changed mind"),
            &ready()
        )
        .is_ok());
    }

    #[test]
    fn no_withdrawal_after_departure() {
        for s in [Departed, Reintegrating, Monitoring, Closed] {
            assert!(check(s, Withdrawn, Role::Supervisor, Some("x"), &ready()).is_err());
        }
    }

    #[test]
    fn application_needs_a_counsellor() {
        let ctx = TransitionContext {
            has_counsellor: false,
            ..ready()
        };
        assert_eq!(
            check(Counselling, Applied, Role::Counsellor, None, &ctx),
            Err(TransitionError::Precondition("needs_counsellor"))
        );
    }

    #[test]
    fn departure_only_through_a_confirmation() {
        let ctx = TransitionContext {
            departure_confirmed: false,
            ..ready()
        };
        assert_eq!(
            check(PreparingDeparture, Departed, Role::Counsellor, None, &ctx),
            Err(TransitionError::Precondition(
                "needs_departure_confirmation"
            ))
        );
        assert!(check(
            PreparingDeparture,
            Departed,
            Role::Counsellor,
            None,
            &ready()
        )
        .is_ok());
    }

    #[test]
    fn a_case_closed_after_return_reopens_to_where_it_was() {
        for before in [Reintegrating, Monitoring] {
            let ctx = TransitionContext {
                status_before_closure: Some(before),
                ..ready()
            };
            for r in Role::ALL {
                let ok = check(Closed, before, r, Some("back in contact"), &ctx).is_ok();
                assert_eq!(
                    ok,
                    matches!(r, Role::MissionOfficer | Role::Supervisor),
                    "{r}"
                );
            }
            assert_eq!(
                check(Closed, before, Role::MissionOfficer, Some(" "), &ctx),
                Err(TransitionError::ReasonRequired)
            );
            let other = if before == Monitoring {
                Reintegrating
            } else {
                Monitoring
            };
            assert_eq!(
                check(Closed, other, Role::MissionOfficer, Some("r"), &ctx),
                Err(TransitionError::Precondition("not_reopenable"))
            );
        }
    }

    #[test]
    fn a_case_closed_as_ineligible_stays_closed() {
        for before in [None, Some(Ineligible), Some(Closed), Some(Departed)] {
            let ctx = TransitionContext {
                status_before_closure: before,
                ..ready()
            };
            for to in CaseStatus::ALL {
                for r in Role::ALL {
                    assert!(
                        check(Closed, to, r, Some("r"), &ctx).is_err(),
                        "{before:?} {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_reopening_leaves_an_ended_case() {
        for s in CaseStatus::ALL {
            let leaves = EDGES.iter().any(|e| e.from.contains(&s));
            let plain = EDGES.iter().any(|e| e.from.contains(&s) && !e.reopen);
            assert_eq!(s.is_terminal(), !plain, "{s}");
            if s.is_terminal() {
                assert_eq!(leaves, s == Closed, "{s}");
            }
        }
        assert!(allowed_targets(Closed, Role::MissionOfficer).is_empty());
    }

    #[test]
    fn statuses_round_trip() {
        for s in CaseStatus::ALL {
            assert_eq!(CaseStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(CaseStatus::parse("deported"), None);
    }

    #[test]
    fn allowed_targets_agree_with_check() {
        for s in CaseStatus::ALL {
            for r in Role::ALL {
                for t in allowed_targets(s, r) {
                    assert!(
                        check(s, t, r, Some("r"), &ready()).is_ok(),
                        "{s}->{t} by {r}"
                    );
                }
            }
        }
    }

    fn any_status() -> impl Strategy<Value = CaseStatus> {
        (0..CaseStatus::ALL.len()).prop_map(|i| CaseStatus::ALL[i])
    }
    fn any_role() -> impl Strategy<Value = Role> {
        (0..Role::ALL.len()).prop_map(|i| Role::ALL[i])
    }

    proptest! {
        /// Whatever sequence of requests arrives (with the facts the store
        /// reads from the case's history), the case only ever takes edges of
        /// the workflow, never withdraws after departure, leaves an ended
        /// state only by reopening a case closed after return, to the status
        /// it was closed from, and a case closed as ineligible stays closed.
        #[test]
        fn no_sequence_reaches_an_invalid_state(
            attempts in prop::collection::vec(
                (any::<u16>(), any_status(), any_role(), any::<bool>(), any::<bool>(), (any::<bool>(), any::<bool>(), any::<bool>())),
                0..80,
            )
        ) {
            let mut s = CaseStatus::initial();
            let mut departed = false;
            let mut before_closure: Option<CaseStatus> = None;
            let mut closed_ineligible = false;
            for (pick, to, role, give_reason, has_c, (has_country, has_decl, boarded)) in attempts {
                // Half the attempts follow an edge out of the current status
                // (with one of its roles), so long paths and reopening happen.
                let out: Vec<&Edge> = EDGES.iter().filter(|e| e.from.contains(&s)).collect();
                let (to, role) = match out.get(usize::from(pick / 2) % out.len().max(1)) {
                    Some(e) if pick % 2 == 0 => (e.to, e.roles[usize::from(pick / 64) % e.roles.len()]),
                    _ => (to, role),
                };
                let ctx = TransitionContext {
                    has_counsellor: has_c,
                    has_country_of_return: has_country,
                    has_declaration: has_decl,
                    departure_confirmed: boarded,
                    status_before_closure: before_closure,
                };
                let reason = give_reason.then_some("because");
                if check(s, to, role, reason, &ctx).is_ok() {
                    if s.is_terminal() {
                        prop_assert_eq!(s, Closed);
                        prop_assert_eq!(Some(to), before_closure);
                        prop_assert!(to.reopens_to());
                        prop_assert!(role == Role::MissionOfficer || role == Role::Supervisor);
                    } else {
                        prop_assert!(allowed_targets(s, role).contains(&to));
                    }
                    if reason_required(s, to) { prop_assert!(reason.is_some()); }
                    if to == Withdrawn { prop_assert!(!departed); }
                    if to == Applied { prop_assert!(has_c && has_decl); }
                    if to == Eligible { prop_assert_eq!(role, Role::CbsaOfficer); }
                    if to == Departed { prop_assert!(boarded); }
                    if to == Closed {
                        closed_ineligible = s == Ineligible;
                        before_closure = Some(s);
                    }
                    s = to;
                    if s == Departed { departed = true; }
                }
                if departed {
                    prop_assert!(s.is_after_departure() || s == Closed);
                }
                if closed_ineligible {
                    prop_assert_eq!(s, Closed);
                }
                if s == Withdrawn {
                    prop_assert!(!departed);
                }
            }
        }
    }
}
