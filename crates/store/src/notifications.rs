//! A user's inbox: things the system tells one person (a departure confirmed
//! to the CBSA officer who referred the case). Each user reads only their own.

use crate::actor::Actor;
use crate::{on_db, on_tx, Result, Store, Tx};
use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

/// One message in an inbox.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Notification {
    pub id: Uuid,
    pub case_id: Option<Uuid>,
    /// departure-confirmed, ...
    pub kind: String,
    /// What the message says, as data (the UI words it in the reader's language).
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    case_id: Option<Uuid>,
    kind: String,
    payload: String,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

/// Puts a message in `user`'s inbox, inside the caller's transaction.
pub async fn send(
    tx: &mut Tx,
    user: Uuid,
    case_id: Option<Uuid>,
    kind: &str,
    payload: &serde_json::Value,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO notifications (id, user_id, case_id, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(Uuid::new_v4()).bind(user).bind(case_id).bind(kind).bind(payload.to_string()).bind(crate::now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The actor's own messages, newest first.
pub async fn inbox(store: &Store, actor: &Actor, limit: i64) -> Result<Vec<Notification>> {
    let rows: Vec<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(
        "SELECT id, case_id, kind, payload, created_at, read_at FROM notifications WHERE user_id = $1 \
         ORDER BY created_at DESC, id LIMIT $2")
        .bind(actor.user_id).bind(limit.clamp(1, 500)).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Notification {
            id: r.id,
            case_id: r.case_id,
            kind: r.kind,
            payload: serde_json::from_str(&r.payload).unwrap_or(serde_json::Value::Null),
            created_at: r.created_at,
            read_at: r.read_at,
        })
        .collect())
}

/// How many of the actor's messages are unread.
pub async fn unread(store: &Store, actor: &Actor) -> Result<i64> {
    Ok(on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
        .bind(actor.user_id).fetch_one(p).await)?)
}

/// Marks one of the actor's messages read; someone else's is not found.
pub async fn mark_read(store: &Store, actor: &Actor, id: Uuid) -> Result<()> {
    let n = on_db!(&store.db, p => sqlx::query(
        "UPDATE notifications SET read_at = COALESCE(read_at, $1) WHERE id = $2 AND user_id = $3")
        .bind(crate::now()).bind(id).bind(actor.user_id).execute(p).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(crate::Error::NotFound);
    }
    Ok(())
}
