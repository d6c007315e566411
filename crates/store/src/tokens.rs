//! API bearer tokens, stored hashed.

use crate::audit::{self, Entry};
use crate::sessions::{hash_secret, random_secret};
use crate::users::{self, User};
use crate::{on_db, on_tx, Result, Store};
use uuid::Uuid;

/// Prefix that makes tokens recognisable in logs and secret scanners.
pub const PREFIX: &str = "hwt_";

/// Issues a token for a user; returns the token (shown once).
pub async fn create(store: &Store, user_id: Uuid) -> Result<String> {
    let token = format!("{PREFIX}{}", random_secret());
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query("INSERT INTO api_tokens (id, user_id, token_hash, created_at) VALUES ($1, $2, $3, $4)")
        .bind(id).bind(user_id).bind(hash_secret(&token)).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "create",
            entity: "api_token",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(serde_json::json!({"user_id": user_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The active user a bearer token belongs to, if the token is valid.
pub async fn authenticate(store: &Store, token: &str) -> Result<Option<User>> {
    let id: Option<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT t.user_id FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = TRUE")
        .bind(hash_secret(token)).fetch_optional(p).await)?;
    match id {
        Some(id) => Ok(Some(users::get(store, id).await?)),
        None => Ok(None),
    }
}
