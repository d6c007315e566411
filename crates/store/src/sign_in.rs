//! Sign-in with throttling (docs/adr/0024): failed sign-ins are counted per
//! account (the typed email, known or not) and per client address in the
//! database, so every process sees them. While an account or address is
//! throttled the password is not checked at all, and the answer is the same
//! for known and unknown emails. Throttling always ends: an account's delay
//! grows with its failures but is capped, and its failures are forgotten
//! after a success or after a quiet spell with none; an address's failures
//! are counted over a sliding window.

use crate::audit::{self, Entry};
use crate::users::{self, User};
use crate::{on_db, on_tx, Result, Store};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use std::net::IpAddr;

/// An address's failures older than this are forgotten.
pub const WINDOW_MINUTES: i64 = 15;
/// An account's failures are forgotten once it has had none for this long
/// (longer than the longest delay, so a patient attacker stays at the cap).
pub const ACCOUNT_RESET_MINUTES: i64 = 30;
/// Failures of one account (with no quiet spell between them) before it is throttled.
pub const ACCOUNT_LIMIT: i64 = 5;
/// Failures from one address within the window before it is throttled.
pub const ADDRESS_LIMIT: i64 = 50;
/// The account's delay after its `ACCOUNT_LIMIT`th failure; it doubles with
/// each further failure, up to `MAX_DELAY_MINUTES`.
pub const FIRST_DELAY_MINUTES: i64 = 1;
/// The longest an account is ever refused after its last failure.
pub const MAX_DELAY_MINUTES: i64 = 15;

const ACCOUNT: &str = "account";
const ADDRESS: &str = "address";

/// What a sign-in attempt came to.
#[derive(Debug)]
pub enum Outcome {
    /// The email and password are right and the user is active.
    SignedIn(Box<User>),
    /// Wrong password, unknown email or inactive user (one answer for all).
    Refused,
    /// Too many recent failures: the password was not checked. Try again at `until`.
    Throttled { until: DateTime<Utc> },
}

/// The throttling key of a client address: the IPv4 address, or the /64
/// network of an IPv6 address (one subscriber usually holds a whole /64).
pub fn address_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// How long an account with `failures` recent failures is refused after the last one.
pub fn account_delay(failures: i64) -> Option<Duration> {
    if failures < ACCOUNT_LIMIT {
        return None;
    }
    let doublings = (failures - ACCOUNT_LIMIT).min(16) as u32;
    let minutes = (FIRST_DELAY_MINUTES << doublings).min(MAX_DELAY_MINUTES);
    Some(Duration::minutes(minutes))
}

/// The account's current run of failures: how many and the last (Unix ms);
/// none once it has been quiet for `ACCOUNT_RESET_MINUTES`.
async fn account_failures(
    store: &Store,
    email: &str,
    now: DateTime<Utc>,
) -> Result<(i64, Option<i64>)> {
    let (n, last): (i64, Option<i64>) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT COUNT(*), MAX(failed_at) FROM sign_in_failures WHERE scope = $1 AND key = $2")
        .bind(ACCOUNT).bind(email).fetch_one(p).await)?;
    let quiet_since = millis(now - Duration::minutes(ACCOUNT_RESET_MINUTES));
    match last {
        Some(l) if l > quiet_since => Ok((n, Some(l))),
        _ => Ok((0, None)),
    }
}

/// The address's failures within the window: how many and the oldest (Unix ms).
async fn address_failures(
    store: &Store,
    address: &str,
    now: DateTime<Utc>,
) -> Result<(i64, Option<i64>)> {
    let since = millis(now - Duration::minutes(WINDOW_MINUTES));
    Ok(on_db!(&store.db, p => sqlx::query_as(
        "SELECT COUNT(*), MIN(failed_at) FROM sign_in_failures \
         WHERE scope = $1 AND key = $2 AND failed_at > $3")
        .bind(ADDRESS).bind(address).bind(since).fetch_one(p).await)?)
}

/// When the account `email` or the `address` may try again, if either is throttled at `now`.
pub async fn throttled_until(
    store: &Store,
    email: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let mut until: Option<DateTime<Utc>> = None;
    let (n, last) = account_failures(store, &normalise(email), now).await?;
    if let (Some(delay), Some(last)) = (account_delay(n), last) {
        let t = from_millis(last) + delay;
        if t > now {
            until = Some(t);
        }
    }
    if let Some(a) = address {
        let (n, first) = address_failures(store, a, now).await?;
        if let (true, Some(first)) = (n >= ADDRESS_LIMIT, first) {
            let t = from_millis(first) + Duration::minutes(WINDOW_MINUTES);
            if t > now && until.is_none_or(|u| t > u) {
                until = Some(t);
            }
        }
    }
    Ok(until)
}

/// Records a failed sign-in of `email` from `address` at `now`, forgets what
/// no longer counts (address failures older than the window, accounts quiet
/// for `ACCOUNT_RESET_MINUTES`), and notes in the audit trail when this
/// failure throttles the account or the address.
pub async fn record_failure(
    store: &Store,
    email: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let email = normalise(email);
    let at = millis(now);
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "DELETE FROM sign_in_failures WHERE scope = $1 AND failed_at <= $2")
        .bind(ADDRESS).bind(millis(now - Duration::minutes(WINDOW_MINUTES)))
        .execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query(
        "DELETE FROM sign_in_failures WHERE scope = $1 AND key IN \
         (SELECT key FROM sign_in_failures WHERE scope = $1 GROUP BY key HAVING MAX(failed_at) <= $2)")
        .bind(ACCOUNT).bind(millis(now - Duration::minutes(ACCOUNT_RESET_MINUTES)))
        .execute(c).await.map(|r| r.rows_affected()))?;
    let mut keys = vec![(ACCOUNT, email.as_str())];
    if let Some(a) = address {
        keys.push((ADDRESS, a));
    }
    for (scope, key) in keys {
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO sign_in_failures (scope, key, failed_at) VALUES ($1, $2, $3)")
            .bind(scope).bind(key).bind(at).execute(c).await.map(|r| r.rows_affected()))?;
        let (n,): (i64,) = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT COUNT(*) FROM sign_in_failures WHERE scope = $1 AND key = $2")
            .bind(scope).bind(key).fetch_one(c).await)?;
        let starts = match scope {
            ACCOUNT => n >= ACCOUNT_LIMIT,
            _ => n == ADDRESS_LIMIT,
        };
        if starts {
            audit::record(
                &mut tx,
                None,
                Entry {
                    action: "sign_in_throttled",
                    entity: "sign_in",
                    entity_id: Some(key.to_string()),
                    case_id: None,
                    before: None,
                    after: Some(json!({"scope": scope, "failures": n})),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Forgets the account's failures (after a successful sign-in).
pub async fn clear_account(store: &Store, email: &str) -> Result<()> {
    on_db!(&store.db, p => sqlx::query("DELETE FROM sign_in_failures WHERE scope = $1 AND key = $2")
        .bind(ACCOUNT).bind(normalise(email)).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Signs in `email` with `password` from `address` at `now`: refused without
/// checking the password while throttled; otherwise checked (unknown emails
/// cost the same time as known ones), a failure recorded, a success clearing
/// the account's failures.
pub async fn sign_in(
    store: &Store,
    email: &str,
    password: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    let outcome = check_password(store, email, password, address, now).await?;
    if let Outcome::SignedIn(_) = outcome {
        clear_account(store, email).await?;
    }
    Ok(outcome)
}

/// Like [`sign_in`], but a right password leaves the account's failures in
/// place: when a second factor is still due (docs/adr/0027), they are only
/// cleared once it is accepted, so wrong codes count towards the same
/// throttle and retyping the password does not reset it.
pub async fn check_password(
    store: &Store,
    email: &str,
    password: &str,
    address: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Outcome> {
    if let Some(until) = throttled_until(store, email, address, now).await? {
        return Ok(Outcome::Throttled { until });
    }
    match users::authenticate(store, email, password).await? {
        Some(user) => Ok(Outcome::SignedIn(Box::new(user))),
        None => {
            record_failure(store, email, address, now).await?;
            Ok(Outcome::Refused)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        assert_eq!(account_delay(4), None);
        assert_eq!(account_delay(5), Some(Duration::minutes(1)));
        assert_eq!(account_delay(6), Some(Duration::minutes(2)));
        assert_eq!(account_delay(7), Some(Duration::minutes(4)));
        assert_eq!(account_delay(8), Some(Duration::minutes(8)));
        assert_eq!(account_delay(9), Some(Duration::minutes(15)));
        assert_eq!(account_delay(1000), Some(Duration::minutes(15)));
    }

    #[test]
    fn address_keys() {
        assert_eq!(address_key("192.0.2.7".parse().unwrap()), "192.0.2.7");
        assert_eq!(
            address_key("::ffff:192.0.2.7".parse().unwrap()),
            "192.0.2.7"
        );
        assert_eq!(
            address_key("2001:db8:1:2:3:4:5:6".parse().unwrap()),
            "2001:db8:1:2::/64"
        );
    }
}
