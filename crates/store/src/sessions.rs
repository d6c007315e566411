//! Server-side sessions, stored in the database so several processes share them.

use crate::{on_db, Result, Store};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// How long sessions live.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// Ends a session nobody used for this long.
    pub idle: Duration,
    /// Ends every session this long after sign-in.
    pub absolute: Duration,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Lifetimes {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

/// A live session.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub token_hash: String,
    pub user_id: Uuid,
    pub csrf_token: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// [`FULL`], or a pending stage ([`TWO_FACTOR`], [`ENROL`]) that opens
    /// no page but its own.
    pub stage: String,
    /// When the password (and code) were last typed: at sign-in, then at
    /// each re-authentication before a sensitive action.
    pub reauthenticated_at: Option<DateTime<Utc>>,
}

/// A signed-in session.
pub const FULL: &str = "full";
/// Password accepted; a two-factor code (or recovery code) is due.
pub const TWO_FACTOR: &str = "two_factor";
/// Password accepted; two-factor sign-in must be set up before anything else.
pub const ENROL: &str = "enrol";
/// How long a pending half-session lives.
pub const PENDING_MINUTES: i64 = 10;

impl Session {
    /// Whether this is a full session (not pending a second factor or enrolment).
    pub fn is_full(&self) -> bool {
        self.stage == FULL
    }
}

/// A random 256-bit secret, hex-encoded.
pub fn random_secret() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What the database keeps of a secret: its SHA-256, so a stolen copy of the
/// database holds no usable cookie or token.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Starts a full session (the password, and code if any, were just
/// typed); returns the cookie value (shown once, stored hashed).
pub async fn create(store: &Store, user_id: Uuid, life: Lifetimes) -> Result<(String, Session)> {
    create_stage(store, user_id, life, FULL).await
}

/// Starts a session at `stage`: a full one lives `life.absolute`, a
/// pending one [`PENDING_MINUTES`] and is never counted as re-authenticated.
pub async fn create_stage(
    store: &Store,
    user_id: Uuid,
    life: Lifetimes,
    stage: &str,
) -> Result<(String, Session)> {
    let token = random_secret();
    let now = crate::now();
    let full = stage == FULL;
    let s = Session {
        token_hash: hash_secret(&token),
        user_id,
        csrf_token: random_secret(),
        created_at: now,
        last_seen_at: now,
        expires_at: if full {
            now + life.absolute
        } else {
            now + Duration::minutes(PENDING_MINUTES)
        },
        stage: if full { FULL } else { stage }.to_string(),
        reauthenticated_at: full.then_some(now),
    };
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, stage, reauthenticated_at) \
         VALUES ($1, $2, $3, $4, $4, $5, $6, $7)")
        .bind(&s.token_hash).bind(user_id).bind(&s.csrf_token).bind(now).bind(s.expires_at)
        .bind(&s.stage).bind(s.reauthenticated_at)
        .execute(p).await.map(|r| r.rows_affected()))?;
    Ok((token, s))
}

/// Notes that the session's user just typed their password (and code) again.
pub async fn mark_reauthenticated(
    store: &Store,
    token_hash: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    on_db!(&store.db, p => sqlx::query(
        "UPDATE sessions SET reauthenticated_at = $1 WHERE token_hash = $2 AND stage = $3")
        .bind(at).bind(token_hash).bind(FULL).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Ends every session of a user (after their two-factor sign-in was reset).
pub async fn delete_for_user(store: &Store, user_id: Uuid) -> Result<()> {
    on_db!(&store.db, p => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Looks up a session by its cookie value, ending it if it has expired, and
/// refreshing its idle clock (at most once a minute, to spare writes).
pub async fn touch(store: &Store, token: &str, life: Lifetimes) -> Result<Option<Session>> {
    let h = hash_secret(token);
    let s: Option<Session> = on_db!(&store.db, p => sqlx::query_as::<_, Session>(
        "SELECT s.* FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND u.active = TRUE")
        .bind(&h).fetch_optional(p).await)?;
    let Some(s) = s else { return Ok(None) };
    let now = crate::now();
    if now >= s.expires_at || now - s.last_seen_at > life.idle {
        delete(store, token).await?;
        return Ok(None);
    }
    if now - s.last_seen_at > Duration::seconds(60) {
        on_db!(&store.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now).bind(&h).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(Some(s))
}

/// Ends a session (sign-out).
pub async fn delete(store: &Store, token: &str) -> Result<()> {
    on_db!(&store.db, p => sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(hash_secret(token)).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Moves a session's clocks back, for tests of expiry.
pub async fn age(store: &Store, token: &str, by: Duration) -> Result<()> {
    let h = hash_secret(token);
    let s: Option<Session> = on_db!(&store.db, p => sqlx::query_as::<_, Session>("SELECT * FROM sessions WHERE token_hash = $1").bind(&h).fetch_optional(p).await)?;
    if let Some(s) = s {
        on_db!(&store.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1, created_at = $2, expires_at = $3 WHERE token_hash = $4")
            .bind(s.last_seen_at - by).bind(s.created_at - by).bind(s.expires_at - by).bind(&h).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(())
}

/// Deletes expired sessions.
pub async fn purge_expired(store: &Store, life: Lifetimes) -> Result<u64> {
    let now = crate::now();
    Ok(
        on_db!(&store.db, p => sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
        .bind(now).bind(now - life.idle).execute(p).await.map(|r| r.rows_affected()))?,
    )
}
