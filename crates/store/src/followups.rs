//! Monitoring after return: the follow-up contacts scheduled at arrival from
//! the programme's schedule, and what came of each one.
//!
//! Every attempt is kept in `followup_attempts`; the follow-up row holds the
//! latest one. `reached` and `refused` complete a follow-up; `not_reached`
//! leaves it open on the same date; `rescheduled` moves its due date.
//!
//! Who may: the mission officer of the case's country of return records and
//! reads; supervisors read. Finance, CBSA, counsellors and the others are
//! refused: the notes are about the returnee's life, not money or removal.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{on_db, on_tx, programmes, Error, Result, Store, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::followups::{self, FollowUpInput, Schedule};
use homeward_domain::validation::clean;
use homeward_domain::{Action, CaseStatus, Resource, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A scheduled follow-up contact and its latest attempt.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FollowUp {
    pub id: Uuid,
    pub case_id: Uuid,
    /// When the contact is due (moved when rescheduled).
    pub due_on: NaiveDate,
    /// The latest attempt: when, how it went, how, and notes.
    pub held_on: Option<NaiveDate>,
    /// reached, not_reached, rescheduled, refused (`followup-outcome-<value>`).
    pub outcome: Option<String>,
    /// `contact-mode-<value>`.
    pub contact_mode: Option<String>,
    pub notes: Option<String>,
    pub recorded_by_name: Option<String>,
    pub recorded_at: Option<DateTime<Utc>>,
    /// Not completed, and more than the programme's grace days past due.
    pub overdue: bool,
    pub version: i64,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    case_id: Uuid,
    due_on: NaiveDate,
    held_on: Option<NaiveDate>,
    outcome: Option<String>,
    contact_mode: Option<String>,
    notes: Option<String>,
    recorded_by_name: Option<String>,
    recorded_at: Option<DateTime<Utc>>,
    completed_at: Option<DateTime<Utc>>,
    version: i64,
}

impl Row {
    fn into_followup(self, today: NaiveDate, grace_days: u32) -> FollowUp {
        FollowUp {
            overdue: self.completed_at.is_none()
                && followups::is_overdue(self.due_on, today, grace_days),
            id: self.id,
            case_id: self.case_id,
            due_on: self.due_on,
            held_on: self.held_on,
            outcome: self.outcome,
            contact_mode: self.contact_mode,
            notes: self.notes,
            recorded_by_name: self.recorded_by_name,
            recorded_at: self.recorded_at,
            version: self.version,
        }
    }
}

const SELECT: &str =
    "SELECT f.id, f.case_id, f.due_on, f.held_on, f.outcome, f.contact_mode, f.notes, \
    u.name AS recorded_by_name, f.recorded_at, f.completed_at, f.version \
    FROM followups f LEFT JOIN users u ON u.id = f.recorded_by";

/// Mission officers and supervisors only: `Reintegration/Read` also lets
/// finance in, for money, which needs none of this.
fn require_reader(actor: &Actor) -> Result<()> {
    actor.require(Resource::Reintegration, Action::Read)?;
    if matches!(actor.role, Role::MissionOfficer | Role::Supervisor) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Fails unless the case is in reintegration or monitoring
/// (`case`: `case-not-in-reintegration`).
pub(crate) fn require_monitored(status: &str) -> Result<()> {
    match CaseStatus::parse(status) {
        Some(CaseStatus::Reintegrating | CaseStatus::Monitoring) => Ok(()),
        _ => Err(Error::invalid("case", "case-not-in-reintegration")),
    }
}

/// Creates the follow-up schedule of a case that arrived on `arrival`,
/// inside the caller's transaction (the arrival's).
pub(crate) async fn create_schedule(
    tx: &mut Tx,
    actor: &Actor,
    case_id: Uuid,
    arrival: NaiveDate,
    schedule: &Schedule,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut due = Vec::new();
    for (offset, on) in schedule
        .offsets_months
        .iter()
        .zip(schedule.due_dates(arrival))
    {
        let offset =
            i32::try_from(*offset).map_err(|_| Error::invalid("offsets_months", "out-of-range"))?;
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO followups (id, case_id, offset_months, due_on, scheduled_on, created_at) \
             VALUES ($1, $2, $3, $4, $4, $5)")
            .bind(Uuid::new_v4()).bind(case_id).bind(offset).bind(on).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        due.push(on);
    }
    audit::record(
        tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "followup_schedule",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"due_on": due, "grace_days": schedule.grace_days})),
        },
    )
    .await
}

/// The grace days of the case's programme.
async fn grace_days(store: &Store, programme_code: &str) -> Result<u32> {
    Ok(programmes::followup_schedule(store, programme_code)
        .await?
        .grace_days)
}

/// The case's follow-ups, by due date.
///
/// Who may: the mission officer of the case's country, supervisors (their
/// team's cases). Others are refused; a case out of scope is not found.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<FollowUp>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    require_reader(actor)?;
    let case = scope::summary(store, actor, case).await?;
    let grace = grace_days(store, &case.programme_code).await?;
    let today = crate::now().date_naive();
    let rows: Vec<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&format!(
        "{SELECT} WHERE f.case_id = $1 ORDER BY f.due_on, f.offset_months, f.id"))
        .bind(case_id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| r.into_followup(today, grace))
        .collect())
}

/// Records a contact (or an attempt) for a follow-up, checked by
/// `followups::validate_followup` against the arrival and today. `reached`
/// and `refused` complete it; `not_reached` leaves it open; `rescheduled`
/// moves its due date to `rescheduled_to`. A completed follow-up is not
/// recorded again (`followup`: `followup-completed`); the case must be in
/// reintegration or monitoring (`case`: `case-not-in-reintegration`). With
/// `version`, a follow-up changed since is a conflict; without, the write
/// still loses to a concurrent one. The case's status is left alone. Audited
/// (without the notes).
///
/// Who may: the mission officer of the case's country of return.
pub async fn record(
    store: &Store,
    actor: &Actor,
    followup_id: Uuid,
    input: &FollowUpInput,
    version: Option<i64>,
) -> Result<FollowUp> {
    actor.require(Resource::Reintegration, Action::Update)?;
    if actor.role != Role::MissionOfficer {
        return Err(Error::Forbidden);
    }
    #[derive(sqlx::FromRow)]
    struct Head {
        case_id: Uuid,
        due_on: NaiveDate,
        version: i64,
        completed_at: Option<DateTime<Utc>>,
        outcome: Option<String>,
    }
    let head: Option<Head> = on_db!(&store.db, p => sqlx::query_as::<_, Head>(
        "SELECT case_id, due_on, version, completed_at, outcome FROM followups WHERE id = $1")
        .bind(followup_id).fetch_optional(p).await)?;
    let Head {
        case_id,
        due_on: due_before,
        version: current,
        completed_at,
        outcome: outcome_before,
    } = head.ok_or(Error::NotFound)?;
    let case = scope::summary(store, actor, case_id.into()).await?;
    require_monitored(&case.status)?;
    if completed_at.is_some() {
        return Err(Error::invalid("followup", "followup-completed"));
    }
    let arrived: Option<NaiveDate> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT arrived_on FROM arrivals WHERE case_id = $1")
        .bind(case_id).fetch_optional(p).await)?;
    let Some(arrived) = arrived else {
        return Err(Error::invalid("case", "arrival-not-confirmed"));
    };
    let now = crate::now();
    followups::validate_followup(input, arrived, now.date_naive())?;
    let (Some(held_on), Some(outcome), Some(mode)) = (
        input.held_on,
        clean(input.outcome.as_deref()),
        clean(input.contact_mode.as_deref()),
    ) else {
        return Err(Error::invalid("outcome", "required"));
    };
    let notes = clean(input.notes.as_deref());
    let rescheduled_to = (outcome == "rescheduled")
        .then_some(input.rescheduled_to)
        .flatten();
    let due_on = rescheduled_to.unwrap_or(due_before);
    let completed = followups::completes(&outcome).then_some(now);
    let mut tx = store.begin().await?;
    // The version (the caller's, or the one just read) and the open state
    // are re-checked by the update itself, so of two racing records one loses.
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE followups SET held_on = $1, outcome = $2, contact_mode = $3, notes = $4, recorded_by = $5, \
         recorded_at = $6, due_on = $7, completed_at = $8, version = version + 1 \
         WHERE id = $9 AND version = $10 AND completed_at IS NULL")
        .bind(held_on).bind(&outcome).bind(&mode).bind(&notes).bind(actor.user_id).bind(now)
        .bind(due_on).bind(completed).bind(followup_id).bind(version.unwrap_or(current))
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO followup_attempts (id, followup_id, case_id, held_on, outcome, contact_mode, notes, due_before, \
         rescheduled_to, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(Uuid::new_v4()).bind(followup_id).bind(case_id).bind(held_on).bind(&outcome).bind(&mode)
        .bind(&notes).bind(due_before).bind(rescheduled_to).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "followup",
            entity_id: Some(followup_id.to_string()),
            case_id: Some(case_id),
            before: Some(json!({"due_on": due_before, "outcome": outcome_before})),
            after: Some(json!({
                "due_on": due_on, "held_on": held_on, "outcome": outcome, "contact_mode": mode,
                "completed": completed.is_some(),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    let grace = grace_days(store, &case.programme_code).await?;
    let row: Row = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&format!("{SELECT} WHERE f.id = $1"))
        .bind(followup_id).fetch_one(p).await)?;
    Ok(row.into_followup(now.date_naive(), grace))
}

/// One recorded attempt of a follow-up.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attempt {
    pub id: Uuid,
    pub held_on: NaiveDate,
    pub outcome: String,
    pub contact_mode: String,
    pub notes: Option<String>,
    /// The follow-up's due date when the attempt was made.
    pub due_before: NaiveDate,
    pub rescheduled_to: Option<NaiveDate>,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// Every attempt recorded for a follow-up, oldest first.
///
/// Who may: as [`list`].
pub async fn attempts(store: &Store, actor: &Actor, followup_id: Uuid) -> Result<Vec<Attempt>> {
    require_reader(actor)?;
    let case_id: Option<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT case_id FROM followups WHERE id = $1")
        .bind(followup_id).fetch_optional(p).await)?;
    let case_id = case_id.ok_or(Error::NotFound)?;
    scope::summary(store, actor, case_id.into()).await?;
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, Attempt>(
        "SELECT a.id, a.held_on, a.outcome, a.contact_mode, a.notes, a.due_before, a.rescheduled_to, \
         u.name AS recorded_by_name, a.recorded_at FROM followup_attempts a LEFT JOIN users u ON u.id = a.recorded_by \
         WHERE a.followup_id = $1 ORDER BY a.recorded_at, a.id")
        .bind(followup_id).fetch_all(p).await)?)
}
