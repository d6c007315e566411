//! Closing a case after return, and reopening it.
//!
//! A case in reintegration or monitoring closes with one of the IOM
//! Reintegration Handbook's reasons (`reintegration::CLOSURE_REASONS`) and an
//! optional note; the reason code is the transition's reason in the case
//! history, and each closure is kept as a row of `case_closures` (reopening
//! fills in that row, so every closure stays in the history).
//!
//! Money is not left dangling: a case does not close while a purchase is
//! requested or approved but unpaid (`case`: `open-purchases`); the mission
//! cancels the request or finance pays or cancels the approval first. We
//! refuse rather than cancel them on the way, because cancelling an approved
//! purchase is finance's decision, with its own reason. A purchase paid but
//! not yet delivered does not hold the closure.
//!
//! Only a case closed after return reopens, to the status it was closed from,
//! with a reason; a case closed as ineligible does not (`case`:
//! `not-reopenable`).
//!
//! Who may: mission officers (their country) and supervisors close and
//! reopen; the history is read by anyone who reads the case except CBSA.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef, CaseSummary};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::reintegration;
use homeward_domain::validation::clean;
use homeward_domain::workflow::{self, CaseStatus, TransitionContext, TransitionError};
use homeward_domain::{Action, Resource, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One closure of a case, and its reopening if any.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Closure {
    /// One of `reintegration::CLOSURE_REASONS` (`closure-<value>`).
    pub reason: String,
    pub note: Option<String>,
    pub closed_at: DateTime<Utc>,
    pub closed_by_name: Option<String>,
    pub reopened_at: Option<DateTime<Utc>>,
    pub reopen_reason: Option<String>,
}

/// Closing and reopening: the mission and supervisors (the workflow's
/// closure edges); anyone else is refused before the case is looked at.
/// Who may close or reopen a case: a supervisor or the mission of its country.
pub fn may_close(actor: &Actor) -> Result<()> {
    actor.require(Resource::Case, Action::Transition)?;
    if matches!(actor.role, Role::MissionOfficer | Role::Supervisor) {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Closes a case in reintegration or monitoring with a reason code and an
/// optional note (`reason`: `required`, `invalid-choice`; `note`:
/// `too-long`). Refused while a purchase is requested or approved but unpaid
/// (`case`: `open-purchases`); from any other status the workflow refuses.
///
/// Who may: the mission officer of the case's country, or a supervisor.
pub async fn close(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    reason: &str,
    note: Option<&str>,
) -> Result<()> {
    may_close(actor)?;
    let case = scope::summary(store, actor, case_id.into()).await?;
    reintegration::validate_closure(Some(reason), note)?;
    let reason = reason.trim();
    let note = clean(note);
    let from = CaseStatus::parse(&case.status).ok_or(Error::NotFound)?;
    // This path is for closures after return; an ineligible case closes
    // through the plain transition.
    if !from.reopens_to() {
        return Err(TransitionError::NotAllowed {
            from,
            to: CaseStatus::Closed,
        }
        .into());
    }
    workflow::check(
        from,
        CaseStatus::Closed,
        actor.role,
        Some(reason),
        &TransitionContext::default(),
    )?;
    let now = crate::now();
    let mut tx = store.begin().await?;
    // The case row first: a purchase request running at the same time takes
    // it too (`purchases::request`), so the count below sees that request,
    // or the request sees the case closed.
    crate::cases::status::record_transition(
        &mut tx,
        actor,
        &case,
        CaseStatus::Closed,
        Some(reason),
        None,
        now,
    )
    .await?;
    let open: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM purchases WHERE case_id = $1 AND status IN ('requested', 'approved')")
        .bind(case_id).fetch_one(c).await)?;
    if open > 0 {
        return Err(Error::invalid("case", "open-purchases"));
    }
    let id = Uuid::new_v4();
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO case_closures (id, case_id, from_status, reason, note, closed_by, closed_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id).bind(case_id).bind(from.as_str()).bind(reason).bind(&note).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "close",
            entity: "case",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: Some(json!({"status": from.as_str()})),
            after: Some(json!({"status": "closed", "reason": reason, "note": note,
                "abrupt": reintegration::is_abrupt(reason)})),
        },
    )
    .await?;
    tx.commit().await
}

/// Reopens a case closed after return, back to the status it was closed
/// from, with a free-text reason (`reason`: `required`, `too-long`). A case
/// not closed, or closed from another status (ineligible), is refused
/// (`case`: `not-reopenable`).
///
/// Who may: the mission officer of the case's country, or a supervisor.
pub async fn reopen(store: &Store, actor: &Actor, case_id: Uuid, reason: &str) -> Result<()> {
    reopen_to(store, actor, case_id, reason, None).await
}

/// [`reopen`], refused unless the case would go back to `expected` (for the
/// plain transition, where the user picked the target).
pub(crate) async fn reopen_to(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    reason: &str,
    expected: Option<CaseStatus>,
) -> Result<()> {
    may_close(actor)?;
    let case = scope::summary(store, actor, case_id.into()).await?;
    reintegration::validate_reopen(Some(reason))?;
    let reason = reason.trim();
    if case.status != CaseStatus::Closed.as_str() {
        return Err(Error::invalid("case", "not-reopenable"));
    }
    let before = status_before_closure(store, &case).await?;
    let Some(to) = before.filter(|b| b.reopens_to()) else {
        return Err(Error::invalid("case", "not-reopenable"));
    };
    if expected.is_some_and(|e| e != to) {
        return Err(Error::invalid("case", "not-reopenable"));
    }
    workflow::check(
        CaseStatus::Closed,
        to,
        actor.role,
        Some(reason),
        &TransitionContext {
            status_before_closure: before,
            ..Default::default()
        },
    )?;
    let now = crate::now();
    let mut tx = store.begin().await?;
    crate::cases::status::record_transition(&mut tx, actor, &case, to, Some(reason), None, now)
        .await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE case_closures SET reopened_by = $1, reopened_at = $2, reopen_reason = $3 \
         WHERE case_id = $4 AND reopened_at IS NULL")
        .bind(actor.user_id).bind(now).bind(reason).bind(case_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "reopen",
            entity: "case",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: Some(json!({"status": "closed"})),
            after: Some(json!({"status": to.as_str(), "reason": reason})),
        },
    )
    .await?;
    tx.commit().await
}

/// Where a closed case was closed from: its closure in force, or (for
/// closures recorded before closure rows, and closures of ineligible cases,
/// which have none) the last transition into closed.
async fn status_before_closure(store: &Store, case: &CaseSummary) -> Result<Option<CaseStatus>> {
    let row: Option<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT from_status FROM case_closures WHERE case_id = $1 AND reopened_at IS NULL")
        .bind(case.id).fetch_optional(p).await)?;
    let from = match row {
        Some(s) => Some(s),
        None => on_db!(&store.db, p => sqlx::query_scalar::<_, Option<String>>(
            "SELECT from_status FROM case_transitions WHERE case_id = $1 AND to_status = 'closed' \
             ORDER BY at DESC, id DESC LIMIT 1")
            .bind(case.id).fetch_optional(p).await)?
        .flatten(),
    };
    Ok(from.as_deref().and_then(CaseStatus::parse))
}

/// The case's closures, newest first (empty if it was never closed after
/// return).
///
/// Who may: anyone who reads the case, except CBSA (no reintegration detail).
pub async fn history(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Closure>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Case, Action::Read)?;
    if actor.role == Role::CbsaOfficer {
        return Err(Error::Forbidden);
    }
    scope::section(
        store,
        actor,
        case,
        "k.id",
        "k.reason, k.note, k.closed_at, u.name AS closed_by_name, k.reopened_at, k.reopen_reason",
        "LEFT JOIN case_closures k ON k.case_id = c.id LEFT JOIN users u ON u.id = k.closed_by",
        "ORDER BY k.closed_at DESC, k.id DESC",
    )
    .await
}
