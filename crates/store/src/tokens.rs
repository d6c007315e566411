//! API bearer tokens, stored hashed. Each has a name, a creation date, an
//! optional expiry and the time it was last used; its owner can list and
//! revoke their own, an admin anyone's. A password change revokes the
//! user's tokens unless a token was made to outlive it (service accounts),
//! and deactivating a user revokes them all.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::sessions::{hash_secret, random_secret};
use crate::users::{self, User};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Duration, Utc};
use homeward_domain::{Action, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Prefix that makes tokens recognisable in logs and secret scanners.
pub const PREFIX: &str = "hwt_";
/// Longest token name, in characters.
pub const MAX_NAME: usize = 100;
/// Longest lifetime a token may be given, in days.
pub const MAX_DAYS: i64 = 3650;
/// `last_used_at` is written at most this often per token, so an API
/// client's every request is not also a write.
const LAST_USED_EVERY: Duration = Duration::minutes(1);

/// What a new token is to be.
#[derive(Debug, Clone, Default)]
pub struct NewToken {
    /// What the token is for ("CBSA case system"); shown in lists.
    pub name: String,
    /// Days until it stops working; `None`: until revoked.
    pub expires_in_days: Option<i64>,
    /// Survives its user's password change (a service account's token).
    pub keep_on_password_change: bool,
}

/// A token as its owner and admins see it (never the secret).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TokenInfo {
    pub id: Uuid,
    pub user_id: Uuid,
    pub user_email: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub keep_on_password_change: bool,
}

impl TokenInfo {
    /// `active`, `expired` or `revoked` at `now`.
    pub fn state(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if self.expires_at.is_some_and(|e| e <= now) {
            "expired"
        } else {
            "active"
        }
    }
}

const SELECT: &str =
    "SELECT t.id, t.user_id, u.email AS user_email, t.name, t.created_at, t.expires_at, \
     t.last_used_at, t.revoked_at, t.keep_on_password_change \
     FROM api_tokens t JOIN users u ON u.id = t.user_id";

/// Issues a token for a user with no name and no expiry; returns the token
/// (shown once).
pub async fn create(store: &Store, user_id: Uuid) -> Result<String> {
    Ok(issue(store, user_id, &NewToken::default()).await?.1)
}

/// Issues a token for a user (the operator's `homeward token create`);
/// returns its record and the token itself, shown once. Field errors:
/// `name` (`too-long`), `expires_in_days` (`out-of-range`, 1 to [`MAX_DAYS`]).
pub async fn issue(store: &Store, user_id: Uuid, n: &NewToken) -> Result<(TokenInfo, String)> {
    let mut inv = Invalid::default();
    let name = n.name.trim();
    if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        inv.add("name", "too-long");
    }
    if n.expires_in_days
        .is_some_and(|d| !(1..=MAX_DAYS).contains(&d))
    {
        inv.add("expires_in_days", "out-of-range");
    }
    inv.into_result()?;
    let token = format!("{PREFIX}{}", random_secret());
    let id = Uuid::new_v4();
    let now = crate::now();
    let expires_at = n.expires_in_days.map(|d| now + Duration::days(d));
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO api_tokens (id, user_id, token_hash, created_at, name, expires_at, keep_on_password_change) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(id).bind(user_id).bind(hash_secret(&token)).bind(now).bind(name).bind(expires_at)
        .bind(n.keep_on_password_change)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "create",
            entity: "api_token",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(
                json!({"user_id": user_id, "name": name, "expires_at": expires_at,
                "keep_on_password_change": n.keep_on_password_change}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((get(store, id).await?, token))
}

async fn get(store: &Store, id: Uuid) -> Result<TokenInfo> {
    let sql = format!("{SELECT} WHERE t.id = $1");
    on_db!(&store.db, p => sqlx::query_as::<_, TokenInfo>(&sql).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// The active user a bearer token belongs to, if the token is valid: not
/// revoked, not expired, its user active. Notes when it was used.
pub async fn authenticate(store: &Store, token: &str) -> Result<Option<User>> {
    let now = crate::now();
    let row: Option<(Uuid, Uuid, Option<DateTime<Utc>>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT t.id, t.user_id, t.last_used_at FROM api_tokens t JOIN users u ON u.id = t.user_id \
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > $2) \
         AND u.active = TRUE")
        .bind(hash_secret(token)).bind(now).fetch_optional(p).await)?;
    let Some((id, user_id, last_used)) = row else {
        return Ok(None);
    };
    if last_used.is_none_or(|t| now - t >= LAST_USED_EVERY) {
        on_db!(&store.db, p => sqlx::query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2")
            .bind(now).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(Some(users::get(store, user_id).await?))
}

/// The actor's own tokens, newest first.
pub async fn list_own(store: &Store, actor: &Actor) -> Result<Vec<TokenInfo>> {
    list_of(store, actor.user_id).await
}

/// A user's tokens, newest first (admins only).
pub async fn list_for(store: &Store, actor: &Actor, user_id: Uuid) -> Result<Vec<TokenInfo>> {
    actor.require(Resource::User, Action::Manage)?;
    list_of(store, user_id).await
}

async fn list_of(store: &Store, user_id: Uuid) -> Result<Vec<TokenInfo>> {
    let sql = format!("{SELECT} WHERE t.user_id = $1 ORDER BY t.created_at DESC, t.id");
    Ok(
        on_db!(&store.db, p => sqlx::query_as::<_, TokenInfo>(&sql).bind(user_id).fetch_all(p).await)?,
    )
}

/// Every token, or those of one user, newest first (the operator's
/// `homeward token list`).
pub async fn list_all(store: &Store, email: Option<&str>) -> Result<Vec<TokenInfo>> {
    let rows = match email {
        Some(e) => {
            let sql = format!("{SELECT} WHERE u.email = $1 ORDER BY t.created_at DESC, t.id");
            on_db!(&store.db, p => sqlx::query_as::<_, TokenInfo>(&sql).bind(e.trim().to_lowercase()).fetch_all(p).await)?
        }
        None => {
            let sql = format!("{SELECT} ORDER BY u.email, t.created_at DESC, t.id");
            on_db!(&store.db, p => sqlx::query_as::<_, TokenInfo>(&sql).fetch_all(p).await)?
        }
    };
    Ok(rows)
}

/// Revokes a token: the actor's own, or anyone's for an admin. Someone
/// else's token reads as not found to a user who may not manage users.
/// Revoking a revoked token changes nothing. Audited.
pub async fn revoke(store: &Store, actor: &Actor, id: Uuid) -> Result<TokenInfo> {
    let t = get(store, id).await?;
    if t.user_id != actor.user_id && actor.require(Resource::User, Action::Manage).is_err() {
        return Err(Error::NotFound);
    }
    revoke_as(store, Some(actor), t).await
}

/// Revokes one of the actor's own tokens; anyone else's reads as not found,
/// whatever the role (admins revoke others' with [`revoke`]).
pub async fn revoke_own(store: &Store, actor: &Actor, id: Uuid) -> Result<TokenInfo> {
    let t = get(store, id).await?;
    if t.user_id != actor.user_id {
        return Err(Error::NotFound);
    }
    revoke_as(store, Some(actor), t).await
}

/// Revokes a token by id (the operator's `homeward token revoke`).
pub async fn revoke_by_operator(store: &Store, id: Uuid) -> Result<TokenInfo> {
    let t = get(store, id).await?;
    revoke_as(store, None, t).await
}

async fn revoke_as(store: &Store, actor: Option<&Actor>, t: TokenInfo) -> Result<TokenInfo> {
    if t.revoked_at.is_some() {
        return Ok(t);
    }
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 WHERE id = $3 AND revoked_at IS NULL")
        .bind(crate::now()).bind(actor.map(|a| a.user_id)).bind(t.id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "revoke",
            entity: "api_token",
            entity_id: Some(t.id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({"user_id": t.user_id})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, t.id).await
}
