//! Two-factor sign-in with TOTP (RFC 6238; docs/adr/0027): a per-user secret,
//! enrolment confirmed by a first code, codes accepted one step either side
//! and never twice (the last accepted step is kept), ten single-use
//! recovery codes kept as SHA-256, and an admin reset. Every change is
//! audited in its transaction; no entry ever holds a secret or a code.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::sessions::hash_secret;
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::{totp, Action, Resource};
use rand::Rng;
use serde_json::json;
use std::collections::HashSet;
use uuid::Uuid;

/// How many recovery codes a user gets.
pub const RECOVERY_CODES: usize = 10;
/// The issuer shown in authenticator apps.
pub const ISSUER: &str = "Homeward";

/// A user's two-factor state.
#[derive(Debug, Clone, Default)]
pub struct Status {
    /// The base32 secret: set from the enrolment page on.
    pub secret: Option<String>,
    /// When enrolment was confirmed; `None`: two-factor is off.
    pub enabled_at: Option<DateTime<Utc>>,
    /// Recovery codes not used yet.
    pub recovery_codes_left: i64,
    /// The secret as stored (sealed), to update only what was read.
    stored: Option<String>,
}

/// The secret is sealed at rest like restricted data (ADR 0028): a copy of
/// the database alone cannot mint codes.
fn secret_aad(user_id: Uuid) -> String {
    crate::crypto::aad("users", "totp_secret", user_id)
}

impl Status {
    /// Whether sign-in asks for a code.
    pub fn enabled(&self) -> bool {
        self.enabled_at.is_some() && self.secret.is_some()
    }
}

/// Which second factor was accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepted {
    Code,
    RecoveryCode,
}

/// A user's two-factor state.
pub async fn status(store: &Store, user_id: Uuid) -> Result<Status> {
    let row: Option<(Option<String>, Option<DateTime<Utc>>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT totp_secret, totp_enabled_at FROM users WHERE id = $1")
        .bind(user_id).fetch_optional(p).await)?;
    let Some((stored, enabled_at)) = row else {
        return Err(Error::NotFound);
    };
    let secret = store
        .keys
        .open_opt(&secret_aad(user_id), stored.as_deref())?;
    let (left,): (i64,) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL")
        .bind(user_id).fetch_one(p).await)?;
    Ok(Status {
        secret,
        enabled_at,
        recovery_codes_left: left,
        stored,
    })
}

/// The ids of users with two-factor sign-in on (for the admin list).
pub async fn enabled_users(store: &Store) -> Result<HashSet<Uuid>> {
    let ids: Vec<(Uuid,)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id FROM users WHERE totp_enabled_at IS NOT NULL")
        .fetch_all(p).await)?;
    Ok(ids.into_iter().map(|(id,)| id).collect())
}

/// The secret to show on the enrolment page: the one already drawn (so
/// reloading the page keeps what the app scanned), or a new one. Refused
/// (conflict) once two-factor is on.
pub async fn enrolment_secret(store: &Store, user_id: Uuid) -> Result<String> {
    let st = status(store, user_id).await?;
    if st.enabled() {
        return Err(Error::Conflict);
    }
    if let Some(s) = st.secret.filter(|s| totp::base32_decode(s).is_some()) {
        return Ok(s);
    }
    let mut bytes = [0u8; totp::SECRET_BYTES];
    rand::rngs::OsRng.fill(&mut bytes);
    let secret = totp::base32_encode(&bytes);
    let sealed = store.keys.seal(&secret_aad(user_id), &secret)?;
    on_db!(&store.db, p => sqlx::query(
        "UPDATE users SET totp_secret = $1, totp_last_step = NULL WHERE id = $2 AND totp_enabled_at IS NULL")
        .bind(&sealed).bind(user_id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(secret)
}

/// A new recovery code: 16 characters of base32 (80 random bits) in groups of four.
fn new_recovery_code() -> String {
    const A: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut rng = rand::rngs::OsRng;
    let raw: Vec<char> = (0..16).map(|_| A[rng.gen_range(0..32)] as char).collect();
    raw.chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// A typed recovery code in its canonical form (lower case, no dashes or
/// spaces), or `None` when it cannot be one.
fn normalise_recovery_code(input: &str) -> Option<String> {
    if input.len() > 64 {
        return None;
    }
    let c: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    (c.len() == 16
        && c.bytes()
            .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
    .then_some(c)
}

/// Replaces the user's recovery codes with ten new ones, inside `tx`.
async fn replace_recovery_codes(tx: &mut crate::Tx, user_id: Uuid) -> Result<Vec<String>> {
    on_tx!(tx, c => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
    let now = crate::now();
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    while codes.len() < RECOVERY_CODES {
        let code = new_recovery_code();
        if codes.contains(&code) {
            continue;
        }
        let hash = normalise_recovery_code(&code)
            .map(|c| hash_secret(&c))
            .unwrap_or_default();
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)")
            .bind(user_id).bind(&hash).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        codes.push(code);
    }
    Ok(codes)
}

/// Turns two-factor on for the actor when `code` is right for the secret
/// drawn on the enrolment page: returns the ten recovery codes (to show
/// once), or `None` when the code is wrong.
pub async fn confirm_enrolment(
    store: &Store,
    actor: &Actor,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Option<Vec<String>>> {
    let st = status(store, actor.user_id).await?;
    if st.enabled() {
        return Err(Error::Conflict);
    }
    let Some(secret) = st.secret else {
        return Ok(None);
    };
    let Some(step) = totp::matching_step(&secret, code, now.timestamp()) else {
        return Ok(None);
    };
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE users SET totp_enabled_at = $1, totp_last_step = $2 \
         WHERE id = $3 AND totp_enabled_at IS NULL AND totp_secret = $4")
        .bind(now).bind(step).bind(actor.user_id).bind(&st.stored)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    let codes = replace_recovery_codes(&mut tx, actor.user_id).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "two_factor_enable",
            entity: "user",
            entity_id: Some(actor.user_id.to_string()),
            case_id: None,
            before: Some(json!({"two_factor": false})),
            after: Some(json!({"two_factor": true, "recovery_codes": RECOVERY_CODES})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(codes))
}

/// Checks a second factor of a user with two-factor on: a 6-digit code
/// (its step one either side of `now`, and later than the last accepted
/// one, so a code never works twice) or an unused recovery code (then used
/// up). Anything else, including malformed or very long input, is `None`.
pub async fn verify(
    store: &Store,
    user_id: Uuid,
    input: &str,
    now: DateTime<Utc>,
) -> Result<Option<Accepted>> {
    if input.len() > 64 {
        return Ok(None);
    }
    let st = status(store, user_id).await?;
    let (true, Some(secret)) = (st.enabled(), st.secret) else {
        return Ok(None);
    };
    if totp::normalise_code(input).is_some() {
        let Some(step) = totp::matching_step(&secret, input, now.timestamp()) else {
            return Ok(None);
        };
        let n = on_db!(&store.db, p => sqlx::query(
            "UPDATE users SET totp_last_step = $1 \
             WHERE id = $2 AND (totp_last_step IS NULL OR totp_last_step < $1)")
            .bind(step).bind(user_id).execute(p).await.map(|r| r.rows_affected()))?;
        return Ok((n == 1).then_some(Accepted::Code));
    }
    let Some(code) = normalise_recovery_code(input) else {
        return Ok(None);
    };
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL")
        .bind(now).bind(user_id).bind(hash_secret(&code)).execute(c).await.map(|r| r.rows_affected()))?;
    if n != 1 {
        return Ok(None);
    }
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "recovery_code_use",
            entity: "user",
            entity_id: Some(user_id.to_string()),
            case_id: None,
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(Accepted::RecoveryCode))
}

/// Ten new recovery codes for the actor (the old ones stop working).
pub async fn regenerate_recovery_codes(store: &Store, actor: &Actor) -> Result<Vec<String>> {
    if !status(store, actor.user_id).await?.enabled() {
        return Err(Error::Conflict);
    }
    let mut tx = store.begin().await?;
    let codes = replace_recovery_codes(&mut tx, actor.user_id).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "recovery_codes_regenerate",
            entity: "user",
            entity_id: Some(actor.user_id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({"recovery_codes": RECOVERY_CODES})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// An admin turns a user's two-factor off (a lost phone): the secret and
/// recovery codes are deleted and the user's sessions end, so their next
/// sign-in enrols again when two-factor is required. Audited without the secret.
pub async fn reset(store: &Store, actor: &Actor, user_id: Uuid) -> Result<()> {
    actor.require(Resource::User, Action::Manage)?;
    let before = status(store, user_id).await?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = NULL, \
         version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(crate::now()).bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
        .bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "two_factor_reset",
            entity: "user",
            entity_id: Some(user_id.to_string()),
            case_id: None,
            before: Some(json!({"two_factor": before.enabled()})),
            after: Some(json!({"two_factor": false})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_long_and_normalised() {
        let c = new_recovery_code();
        assert_eq!(c.len(), 19);
        let n = normalise_recovery_code(&c).unwrap();
        assert_eq!(n.len(), 16);
        assert_eq!(
            normalise_recovery_code(&c.to_uppercase().replace('-', " ")),
            Some(n)
        );
        assert_eq!(normalise_recovery_code("123456"), None);
        assert_eq!(normalise_recovery_code(&"a".repeat(10_000)), None);
        assert_ne!(new_recovery_code(), new_recovery_code());
    }
}
