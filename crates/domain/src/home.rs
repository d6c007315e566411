//! What each role's home page puts first: the queues of its working day,
//! each a count with a link to the list behind it.

use crate::Role;

/// A queue on a role's home page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Tasks due or overdue in the role's cases (`/tasks`).
    Tasks,
    /// Applications waiting for CBSA's decision: cases `applied`.
    AwaitingDecision,
    /// Returnees who have left, their arrival not yet confirmed: cases
    /// `departed` (the mission's arrivals to expect).
    ArrivalsExpected,
    /// Purchases waiting for finance's decision.
    PurchasesRequested,
    /// Approved purchases waiting to be paid.
    PurchasesApproved,
    /// Questions and complaints waiting for an answer.
    Feedback,
    /// Likely duplicate people to review.
    Duplicates,
    /// Messages not yet read (departure confirmations, revocations).
    Unread,
}

impl Queue {
    /// Stable name: the element id `queue-<name>` and the label `queue-<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Queue::Tasks => "tasks",
            Queue::AwaitingDecision => "awaiting-decision",
            Queue::ArrivalsExpected => "arrivals-expected",
            Queue::PurchasesRequested => "purchases-requested",
            Queue::PurchasesApproved => "purchases-approved",
            Queue::Feedback => "feedback",
            Queue::Duplicates => "duplicates",
            Queue::Unread => "unread",
        }
    }

    /// The page that lists the queue.
    pub fn href(self) -> &'static str {
        match self {
            Queue::Tasks => "/tasks",
            Queue::AwaitingDecision => "/cases?status=applied",
            Queue::ArrivalsExpected => "/cases?status=departed",
            Queue::PurchasesRequested => "/purchases",
            Queue::PurchasesApproved => "/purchases?status=approved",
            Queue::Feedback => "/feedback",
            Queue::Duplicates => "/duplicates?level=likely",
            Queue::Unread => "/inbox",
        }
    }
}

/// The queues of `role`, most pressing first. Analysts, admins and auditors
/// have none: their home is the aggregate panels, the users or the trail.
pub fn queues(role: Role) -> &'static [Queue] {
    use Queue::*;
    match role {
        Role::Counsellor => &[Tasks, Unread],
        Role::Supervisor => &[Tasks, Feedback, Duplicates, Unread],
        Role::CbsaOfficer => &[AwaitingDecision, Unread],
        Role::MissionOfficer => &[ArrivalsExpected, Tasks, Unread],
        Role::Finance => &[PurchasesRequested, PurchasesApproved, Unread],
        Role::Analyst | Role::Admin | Role::Auditor => &[],
    }
}

/// Whether `role` is asked on its home page to make first contact with new
/// referrals (the counsellor's duty, watched by the supervisor).
pub fn contacts_referrals(role: Role) -> bool {
    matches!(role, Role::Counsellor | Role::Supervisor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_role_sees_its_own_work_first() {
        assert_eq!(queues(Role::Finance)[0], Queue::PurchasesRequested);
        assert_eq!(queues(Role::CbsaOfficer)[0], Queue::AwaitingDecision);
        assert_eq!(queues(Role::MissionOfficer)[0], Queue::ArrivalsExpected);
        assert!(queues(Role::Supervisor).contains(&Queue::Duplicates));
        assert!(!queues(Role::Counsellor).contains(&Queue::Duplicates));
        assert!(queues(Role::Auditor).is_empty());
        assert!(!contacts_referrals(Role::CbsaOfficer));
        assert!(contacts_referrals(Role::Counsellor));
    }

    #[test]
    fn names_and_links_are_distinct() {
        let all = [
            Queue::Tasks,
            Queue::AwaitingDecision,
            Queue::ArrivalsExpected,
            Queue::PurchasesRequested,
            Queue::PurchasesApproved,
            Queue::Feedback,
            Queue::Duplicates,
            Queue::Unread,
        ];
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.href(), b.href());
            }
        }
    }
}
