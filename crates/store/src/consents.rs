//! Consent per purpose: recorded, withdrawn (taking effect at once), and
//! checked wherever data is shared.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::{Action, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The purposes a person can consent to.
pub const PURPOSES: [&str; 3] = homeward_domain::consent::PURPOSES;

/// One consent, possibly withdrawn.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Consent {
    pub id: Uuid,
    pub purpose: String,
    pub given_at: DateTime<Utc>,
    pub recorded_by_name: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_reason: Option<String>,
}

/// Whether consent for `purpose` is in force on the case. For use by other use
/// cases after their own scope check.
pub async fn in_force(store: &Store, case_id: Uuid, purpose: &str) -> Result<bool> {
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM consents WHERE case_id = $1 AND purpose = $2 AND withdrawn_at IS NULL")
        .bind(case_id).bind(purpose).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Whether the actor may read the case's restricted `resource`, by the
/// domain's consent rule (after the caller's own scope check). Reads the
/// consents at each call, so a withdrawal takes effect at once.
pub async fn may_read_restricted(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    resource: Resource,
) -> Result<bool> {
    use homeward_domain::consent::{read_rule, ReadRule};
    Ok(match read_rule(actor.role, resource) {
        ReadRule::Never => false,
        ReadRule::Always => true,
        ReadRule::WhileConsented(purpose) => in_force(store, case_id, purpose).await?,
    })
}

/// The consents of a case in scope.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Consent>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Consent, Action::Read)?;
    scope::section(
        store,
        actor,
        case,
        "k.id",
        "k.id, k.purpose, k.given_at, u.name AS recorded_by_name, k.withdrawn_at, k.withdrawal_reason",
        "LEFT JOIN consents k ON k.case_id = c.id LEFT JOIN users u ON u.id = k.recorded_by",
        "ORDER BY k.given_at, k.id",
    )
    .await
}

/// Records consent for a purpose (no effect if already in force).
pub async fn give(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    purpose: &str,
) -> Result<Vec<Consent>> {
    actor.require(Resource::Consent, Action::Create)?;
    scope::summary(store, actor, case_id.into()).await?;
    if !PURPOSES.contains(&purpose) {
        let mut inv = Invalid::default();
        inv.add("purpose", "invalid-choice");
        return Err(inv.into());
    }
    if !in_force(store, case_id, purpose).await? {
        let id = Uuid::new_v4();
        let mut tx = store.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("INSERT INTO consents (id, case_id, purpose, given_at, recorded_by) VALUES ($1, $2, $3, $4, $5)")
            .bind(id).bind(case_id).bind(purpose).bind(crate::now()).bind(actor.user_id).execute(c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            Some(actor),
            Entry {
                action: "give",
                entity: "consent",
                entity_id: Some(id.to_string()),
                case_id: Some(case_id),
                before: None,
                after: Some(json!({"purpose": purpose})),
            },
        )
        .await?;
        tx.commit().await?;
    }
    list(store, actor, case_id).await
}

/// Withdraws a consent, with a reason.
pub async fn withdraw(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    consent_id: Uuid,
    reason: &str,
) -> Result<Vec<Consent>> {
    actor.require(Resource::Consent, Action::Update)?;
    scope::summary(store, actor, case_id.into()).await?;
    let reason = reason.trim();
    let mut inv = Invalid::default();
    homeward_domain::validation::text(&mut inv, "reason", Some(reason), true, 2000);
    inv.into_result()?;
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE consents SET withdrawn_at = $1, withdrawn_by = $2, withdrawal_reason = $3 WHERE id = $4 AND case_id = $5 AND withdrawn_at IS NULL")
        .bind(crate::now()).bind(actor.user_id).bind(reason).bind(consent_id).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "withdraw",
            entity: "consent",
            entity_id: Some(consent_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    list(store, actor, case_id).await
}
