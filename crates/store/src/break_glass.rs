//! Breaking the glass (issue 22, docs/consent.md): a supervisor opens a
//! case outside their record scope by typing why. The grant names that
//! case, lasts `break_glass::GRANT_MINUTES`, is in the audit trail, listed
//! for the auditor, and told to the case's counsellor. While it lasts the
//! case is in the supervisor's scope (`Actor::break_glass`), and only it.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{notifications, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Duration, Utc};
use homeward_domain::break_glass::{check_reason, may_break_glass, GRANT_MINUTES};
use homeward_domain::{Action, Resource, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One grant, as the auditor lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Grant {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub user_name: String,
    pub user_email: String,
    pub reason: String,
    pub granted_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// The cases `user` holds a grant for now (none for a role that may not
/// break the glass, whatever the table says).
pub async fn granted(store: &Store, user: Uuid, role: Role) -> Result<Vec<Uuid>> {
    if !may_break_glass(role) {
        return Ok(Vec::new());
    }
    let ids: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT DISTINCT case_id FROM break_glass WHERE user_id = $1 AND expires_at > $2")
        .bind(user).bind(crate::now()).fetch_all(p).await)?;
    Ok(ids)
}

/// Opens case `number` for the supervisor `actor` with `reason`: checks
/// the role and the reason (`reason`), finds the case in any programme
/// (`case_number`: `not-found` when there is none), records the grant,
/// audits it and tells the case's counsellor. Returns the case id and
/// when the grant ends.
pub async fn open(
    store: &Store,
    actor: &Actor,
    number: &str,
    reason: &str,
) -> Result<(Uuid, DateTime<Utc>)> {
    if !may_break_glass(actor.role) {
        return Err(Error::Forbidden);
    }
    let number = number.trim().to_ascii_uppercase();
    let reason = check_reason(reason);
    let case: Option<(Uuid, Option<Uuid>)> = if number.is_empty() || number.len() > 64 {
        None
    } else {
        on_db!(&store.db, p => sqlx::query_as(
            "SELECT id, counsellor_id FROM cases WHERE case_number = $1")
            .bind(&number).fetch_optional(p).await)?
    };
    let mut inv = reason.as_ref().err().cloned().unwrap_or_default();
    if case.is_none() {
        inv.add(
            "case_number",
            if number.is_empty() {
                "required"
            } else {
                "not-found"
            },
        );
    }
    let (Some((case_id, counsellor)), Ok(reason)) = (case, reason) else {
        return Err(inv.into());
    };
    let now = crate::now();
    let expires = now + Duration::minutes(GRANT_MINUTES);
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO break_glass (id, case_id, user_id, reason, granted_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id).bind(case_id).bind(actor.user_id).bind(&reason).bind(now).bind(expires)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "break-glass",
            entity: "case",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"reason": reason, "expires_at": expires})),
        },
    )
    .await?;
    if let Some(counsellor) = counsellor.filter(|c| *c != actor.user_id) {
        notifications::send(
            &mut tx,
            counsellor,
            Some(case_id),
            "break-glass",
            &json!({"case_number": number, "by": actor.name, "reason": reason}),
        )
        .await?;
    }
    tx.commit().await?;
    Ok((case_id, expires))
}

/// Every grant, newest first (auditors: they read the audit trail).
pub async fn list(store: &Store, actor: &Actor, limit: i64) -> Result<Vec<Grant>> {
    actor.require(Resource::Audit, Action::Read)?;
    let rows: Vec<Grant> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT b.id, b.case_id, c.case_number, u.name AS user_name, u.email AS user_email, b.reason, b.granted_at, b.expires_at \
         FROM break_glass b JOIN cases c ON c.id = b.case_id JOIN users u ON u.id = b.user_id \
         ORDER BY b.granted_at DESC, b.id LIMIT $1")
        .bind(limit.clamp(1, 1000)).fetch_all(p).await)?;
    Ok(rows)
}
