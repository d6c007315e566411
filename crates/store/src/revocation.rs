//! What a revocation after approval sets off (issue 23): when CBSA moves an
//! approved case (eligible or preparing departure) to ineligible, its open
//! itineraries are cancelled with CBSA's reason, and the people working on
//! it are told: the counsellor, the supervisors of the counsellor's team,
//! and the mission of the country of return if it had its part in the case
//! (preparing departure, with the principal's consent to share with it).
//! All of it in the transaction that records the revocation.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::CaseSummary;
use crate::{notifications, on_tx, Result, Tx};
use chrono::{DateTime, Utc};
use homeward_domain::consent::SHARE_WITH_MISSION;
use homeward_domain::CaseStatus;
use serde_json::json;
use uuid::Uuid;

/// Whether moving from `from` to `to` revokes an approval.
pub fn revokes(from: CaseStatus, to: CaseStatus) -> bool {
    to == CaseStatus::Ineligible
        && matches!(from, CaseStatus::Eligible | CaseStatus::PreparingDeparture)
}

/// Cancels the case's open itineraries and tells the people on the case.
pub(crate) async fn follow(
    tx: &mut Tx,
    actor: &Actor,
    case: &CaseSummary,
    from: CaseStatus,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let open: Vec<(Uuid, String)> = on_tx!(tx, c => sqlx::query_as(
        "SELECT id, status FROM itineraries WHERE case_id = $1 AND status IN ('booked', 'no_show', 'postponed') ORDER BY departs_at")
        .bind(case.id).fetch_all(c).await)?;
    for (id, status) in &open {
        on_tx!(tx, c => sqlx::query(
            "UPDATE itineraries SET status = 'cancelled', version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(now).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        crate::travel::event(tx, actor, *id, case.id, "cancelled", reason, now).await?;
        audit::record(
            tx,
            Some(actor),
            Entry {
                action: "update",
                entity: "itinerary",
                entity_id: Some(id.to_string()),
                case_id: Some(case.id),
                before: Some(json!({"status": status})),
                after: Some(json!({"status": "cancelled", "reason": reason, "by": "revocation"})),
            },
        )
        .await?;
    }
    let mut told: Vec<Uuid> = Vec::new();
    if let Some(c) = case.counsellor_id {
        told.push(c);
        let sups: Vec<Uuid> = on_tx!(tx, x => sqlx::query_scalar(
            "SELECT s.id FROM users s JOIN users c ON c.id = $1 WHERE s.role = 'supervisor' AND s.active \
             AND s.team IS NOT NULL AND s.team = c.team")
            .bind(c).fetch_all(x).await)?;
        told.extend(sups);
    }
    if from == CaseStatus::PreparingDeparture {
        if let Some(country) = &case.country_of_return {
            let shared: i64 = on_tx!(tx, x => sqlx::query_scalar(
                "SELECT COUNT(*) FROM consents WHERE case_id = $1 AND person_id = $2 AND purpose = $3 AND withdrawn_at IS NULL")
                .bind(case.id).bind(case.principal_person_id).bind(SHARE_WITH_MISSION).fetch_one(x).await)?;
            if shared > 0 {
                let mission: Vec<Uuid> = on_tx!(tx, x => sqlx::query_scalar(
                    "SELECT id FROM users WHERE role = 'mission_officer' AND active AND country = $1")
                    .bind(country).fetch_all(x).await)?;
                told.extend(mission);
            }
        }
    }
    told.sort();
    told.dedup();
    let payload = json!({
        "case_number": case.case_number,
        "reason": reason,
        "cancelled_itineraries": open.len(),
    });
    for user in told.into_iter().filter(|u| *u != actor.user_id) {
        notifications::send(tx, user, Some(case.id), "revoked", &payload).await?;
    }
    Ok(())
}
