//! Counselling appointments (issue 22): counsellors and supervisors set the
//! next meeting on a case in their scope (`Counselling` create), typed in
//! the office's zone; whoever reads the case sees the ones to come; the
//! person sees the next one on their own page. Setting and cancelling are
//! audited. Rules: `homeward_domain::appointment`.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope;
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Duration, Utc};
use homeward_domain::{appointment, Action, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One meeting.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Appointment {
    pub id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub place: String,
}

/// Sets a meeting on case `case_id` at `starts` (`YYYY-MM-DDTHH:MM` in the
/// actor's office zone) in `place`.
pub async fn book(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    starts: &str,
    place: &str,
) -> Result<Appointment> {
    actor.require(Resource::Counselling, Action::Create)?;
    scope::summary(store, actor, case_id.into()).await?;
    let now = crate::now();
    let (at, place) = appointment::check(starts, place, actor.local_zone(), now)?;
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO appointments (id, case_id, starts_at, place, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id).bind(case_id).bind(at).bind(&place).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "appointment",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"starts_at": at, "place": place})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Appointment {
        id,
        starts_at: at,
        place,
    })
}

/// The meetings to come on a case in scope (from the start of today's
/// last 24 hours, so one under way still shows), earliest first.
pub async fn upcoming(store: &Store, actor: &Actor, case_id: Uuid) -> Result<Vec<Appointment>> {
    scope::summary(store, actor, case_id.into()).await?;
    coming(store, case_id, 20).await
}

async fn coming(store: &Store, case_id: Uuid, limit: i64) -> Result<Vec<Appointment>> {
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, Appointment>(
        "SELECT id, starts_at, place FROM appointments WHERE case_id = $1 AND cancelled_at IS NULL AND starts_at > $2 \
         ORDER BY starts_at, id LIMIT $3")
        .bind(case_id).bind(crate::now() - Duration::hours(2)).bind(limit).fetch_all(p).await)?)
}

/// The person's next meeting, for their own page.
pub async fn next_for(
    store: &Store,
    who: &crate::returnee_access::Returnee,
) -> Result<Option<Appointment>> {
    Ok(coming(store, who.case_id, 1).await?.into_iter().next())
}

/// Cancels a meeting of the case (not found if it is not the case's or is
/// cancelled already).
pub async fn cancel(store: &Store, actor: &Actor, case_id: Uuid, id: Uuid) -> Result<()> {
    actor.require(Resource::Counselling, Action::Create)?;
    scope::summary(store, actor, case_id.into()).await?;
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE appointments SET cancelled_at = $1 WHERE id = $2 AND case_id = $3 AND cancelled_at IS NULL")
        .bind(crate::now()).bind(id).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "cancel",
            entity: "appointment",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
