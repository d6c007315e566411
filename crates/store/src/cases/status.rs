//! Writing a case's status change: the one place a case's `status` moves,
//! shared by the workflow (`cases::transition`) and closure.

use super::scope::CaseSummary;
use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_tx, Error, Result};
use homeward_domain::workflow::CaseStatus;
use serde_json::json;
use uuid::Uuid;

/// Writes a transition the workflow already allowed: the new status (losing
/// cleanly to a concurrent change of the case), its history row and the
/// audit entry, inside the caller's transaction.
pub(crate) async fn record_transition(
    tx: &mut crate::Tx,
    actor: &Actor,
    before: &CaseSummary,
    to: CaseStatus,
    reason: Option<&str>,
    take: Option<Uuid>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let id = before.id;
    let n = on_tx!(tx, c => sqlx::query(
        "UPDATE cases SET status = $1, version = version + 1, updated_at = $2, counsellor_id = COALESCE($6, counsellor_id) \
         WHERE id = $3 AND status = $4 AND version = $5")
        .bind(to.as_str()).bind(now).bind(id).bind(&before.status).bind(before.version).bind(take)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO case_transitions (id, case_id, from_status, to_status, reason, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(Uuid::new_v4()).bind(id).bind(&before.status).bind(to.as_str()).bind(reason).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        Some(actor),
        Entry {
            action: "transition",
            entity: "case",
            entity_id: Some(id.to_string()),
            case_id: Some(id),
            before: Some(json!({"status": before.status})),
            after: Some(json!({"status": to.as_str(), "reason": reason})),
        },
    )
    .await?;
    Ok(())
}
