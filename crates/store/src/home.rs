//! The counts behind a role's home page (`homeward_domain::home`): each of
//! its queues, read through the use cases that list them, so a count never
//! says more than the list it links to shows.

use crate::sql::{Param, Sql};
use crate::{
    bind_params, cases, duplicates, feedback, notifications, on_db, purchases, tasks, Actor,
    Result, Store,
};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::home::{queues, Queue};
use homeward_domain::{Action, CaseStatus, Resource};
use uuid::Uuid;

/// Most items a queue counts; a longer one shows as "1000+".
pub const MOST: i64 = 1000;

/// A queue and how much is in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCount {
    pub queue: Queue,
    pub count: i64,
    /// Of those, how many are late (tasks past due, feedback past its day).
    pub late: i64,
}

/// The actor's queues with their counts, in the order the role sees them.
/// `statuses`: the actor's case counts by status when the caller has read
/// them already (the home page shows them too), so they are not read twice.
pub async fn counts(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
    today: NaiveDate,
    statuses: Option<&[(String, i64)]>,
) -> Result<Vec<QueueCount>> {
    let mut out = Vec::new();
    let mut by_status: Option<Vec<(String, i64)>> = statuses.map(<[_]>::to_vec);
    for q in queues(actor.role) {
        let (count, late) = match q {
            Queue::Tasks => {
                let all = tasks::list(store, actor, now, today).await?;
                let late = all
                    .iter()
                    .filter(|t| t.due.is_some_and(|d| d < now))
                    .count();
                (all.len() as i64, late as i64)
            }
            Queue::AwaitingDecision | Queue::ArrivalsExpected => {
                if by_status.is_none() {
                    by_status = Some(cases::counts_by_status(store, actor).await?);
                }
                let status = match q {
                    Queue::AwaitingDecision => "applied",
                    _ => "departed",
                };
                let n = by_status
                    .iter()
                    .flatten()
                    .find(|(s, _)| s == status)
                    .map_or(0, |(_, n)| *n);
                (n, 0)
            }
            Queue::PurchasesRequested | Queue::PurchasesApproved => {
                let status = match q {
                    Queue::PurchasesRequested => "requested",
                    _ => "approved",
                };
                (
                    purchases::queue(store, actor, status, MOST).await?.len() as i64,
                    0,
                )
            }
            Queue::Feedback => feedback::open_counts(store, actor, today)
                .await?
                .unwrap_or((0, 0)),
            Queue::Duplicates => {
                let (_, n) = duplicates::queue(
                    store,
                    actor,
                    Some(homeward_domain::duplicates::Level::Likely),
                    1,
                    0,
                )
                .await?;
                (n.likely, 0)
            }
            Queue::Unread => (notifications::unread(store, actor).await?, 0),
        };
        out.push(QueueCount {
            queue: *q,
            count,
            late,
        });
    }
    Ok(out)
}

/// One counsellor's share of the open cases; `counsellor: None` for the
/// cases nobody has taken yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Load {
    pub counsellor: Option<Uuid>,
    pub name: Option<String>,
    pub open: i64,
}

/// The open cases in the actor's scope by counsellor, most first, the
/// unassigned ones included: a supervisor's view of the team's workload.
pub async fn workload(store: &Store, actor: &Actor) -> Result<Vec<Load>> {
    actor.require(Resource::Case, Action::Read)?;
    let mut q = Sql::new(
        "SELECT c.counsellor_id AS counsellor, u.name AS name, COUNT(*) AS open \
         FROM cases c LEFT JOIN users u ON u.id = c.counsellor_id WHERE c.status IN (",
    );
    q.bind_list(
        CaseStatus::ALL
            .iter()
            .filter(|s| !s.is_terminal() && **s != CaseStatus::Ineligible)
            .map(|s| Param::Text(s.as_str().to_string())),
    )
    .push(")");
    actor.push_case_scope(&mut q);
    q.push(" GROUP BY c.counsellor_id, u.name ORDER BY 3 DESC, 2");
    Ok(
        on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Load>(&q.text), q.params).fetch_all(p).await)?,
    )
}
