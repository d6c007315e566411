//! The returnee's personal access (issue 22): staff give each adult on a
//! case a code (shown once, stored hashed, replaced or revoked by staff);
//! with it and their date of birth the person opens their own page for a
//! while. Every failure has the same answer and counts towards the sign-in
//! throttle, per code and per address; every use is in the audit trail.
//! Codes expire a programme-set number of days after the case closes.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope;
use crate::sessions::{hash_secret, random_secret};
use crate::{on_db, on_tx, sign_in, Error, Result, Store};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use homeward_domain::returnee_access::{format_code, may_issue, normalize, CODE_BYTES};
use homeward_domain::{CaseStatus, Invalid};
use rand::RngCore;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// How long the page stays open after the code is typed.
pub const SESSION_MINUTES: i64 = 30;

/// A code given, as staff list them (never the code itself).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Access {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Who a returnee session is: the access, its case and person.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Returnee {
    pub access_id: Uuid,
    pub case_id: Uuid,
    pub person_id: Uuid,
    /// The token the page's forms carry.
    pub csrf_token: String,
}

/// What typing a code and date of birth came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Opened {
    /// The page is open: the cookie value (shown once, stored hashed).
    Session(String),
    /// Wrong code, wrong date of birth, revoked or expired: one answer.
    Refused,
    /// Too many recent failures for this code or address.
    Throttled,
}

/// What a typed code finds: its access, case, the person's date of birth,
/// when the case closed, its status and the programme's days after closure.
#[derive(sqlx::FromRow)]
struct CodeRow {
    access_id: Uuid,
    case_id: Uuid,
    date_of_birth: Option<NaiveDate>,
    closed_at: Option<DateTime<Utc>>,
    status: String,
    days: i64,
}

/// The key the sign-in throttle counts a code's failures under.
fn throttle_key(code: &str) -> String {
    format!("returnee:{}", &hash_secret(code)[..32])
}

/// Gives `person_id` (an adult member of the case) a new code, replacing
/// any code they had on it; returns the code, to show once.
pub async fn issue(store: &Store, actor: &Actor, case_id: Uuid, person_id: Uuid) -> Result<String> {
    let case = scope::summary(store, actor, case_id.into()).await?;
    let status = CaseStatus::parse(&case.status).ok_or(Error::NotFound)?;
    if !may_issue(actor.role, status) {
        return Err(Error::Forbidden);
    }
    let dob: Option<Option<NaiveDate>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT p.date_of_birth FROM case_members m JOIN persons p ON p.id = m.person_id WHERE m.case_id = $1 AND m.person_id = $2")
        .bind(case_id).bind(person_id).fetch_optional(p).await)?;
    let Some(dob) = dob else {
        return Err(Invalid::one("person_id", "not-on-case").into());
    };
    let today = crate::now().with_timezone(&actor.local_zone()).date_naive();
    if homeward_domain::consent::is_child(dob, today) {
        return Err(Invalid::one("person_id", "child-has-no-code").into());
    }
    if dob.is_none() {
        // The code opens the page only with the date of birth.
        return Err(Invalid::one("person_id", "date-of-birth-needed").into());
    }
    let mut bytes = [0u8; CODE_BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let code = format_code(&bytes);
    let stored = normalize(&code).ok_or_else(|| Error::Io("a code did not read back".into()))?;
    let now = crate::now();
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE returnee_access SET revoked_at = $1 WHERE case_id = $2 AND person_id = $3 AND revoked_at IS NULL")
        .bind(now).bind(case_id).bind(person_id).execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO returnee_access (id, case_id, person_id, code_hash, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id).bind(case_id).bind(person_id).bind(hash_secret(&stored)).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "issue",
            entity: "returnee-access",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"person_id": person_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// The codes given on a case (staff who may give them).
pub async fn list(store: &Store, actor: &Actor, case_id: Uuid) -> Result<Vec<Access>> {
    let case = scope::summary(store, actor, case_id.into()).await?;
    let status = CaseStatus::parse(&case.status).ok_or(Error::NotFound)?;
    if !may_issue(actor.role, status) {
        return Err(Error::Forbidden);
    }
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, Access>(
        "SELECT a.id, a.person_id, p.display_name AS person_name, a.created_at, a.revoked_at, a.last_used_at \
         FROM returnee_access a JOIN persons p ON p.id = a.person_id WHERE a.case_id = $1 ORDER BY a.created_at DESC, a.id")
        .bind(case_id).fetch_all(p).await)?)
}

/// Revokes a code: it opens nothing from now on, and its open pages close.
pub async fn revoke(store: &Store, actor: &Actor, case_id: Uuid, access_id: Uuid) -> Result<()> {
    list(store, actor, case_id).await?;
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE returnee_access SET revoked_at = $1 WHERE id = $2 AND case_id = $3 AND revoked_at IS NULL")
        .bind(crate::now()).bind(access_id).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM returnee_sessions WHERE access_id = $1")
        .bind(access_id).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "revoke",
            entity: "returnee-access",
            entity_id: Some(access_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Opens the page for `typed` code and date of birth from `address`.
pub async fn open(
    store: &Store,
    typed: &str,
    date_of_birth: Option<NaiveDate>,
    address: Option<&str>,
) -> Result<Opened> {
    let now = crate::now();
    // What cannot be a code, or comes without a date, can open nothing: it
    // gets the same answer, but is no guess and counts for no throttle.
    let (Some(code), Some(_)) = (normalize(typed), date_of_birth) else {
        return Ok(Opened::Refused);
    };
    let key = throttle_key(&code);
    if sign_in::throttled_until(store, &key, address, now)
        .await?
        .is_some()
    {
        return Ok(Opened::Throttled);
    }
    let found: Option<CodeRow> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT a.id AS access_id, a.case_id, p.date_of_birth, \
         (SELECT MAX(cl.closed_at) FROM case_closures cl WHERE cl.case_id = c.id) AS closed_at, c.status, \
         CAST(g.returnee_access_days AS BIGINT) AS days \
         FROM returnee_access a JOIN persons p ON p.id = a.person_id JOIN cases c ON c.id = a.case_id \
         JOIN programmes g ON g.id = c.programme_id WHERE a.code_hash = $1 AND a.revoked_at IS NULL")
        .bind(hash_secret(&code)).fetch_optional(p).await)?;
    let opens = found.filter(|r| {
        let closed = r.closed_at.filter(|_| r.status == "closed");
        r.date_of_birth == date_of_birth
            && !homeward_domain::returnee_access::expired(closed, r.days, now)
    });
    let Some(CodeRow {
        access_id, case_id, ..
    }) = opens
    else {
        sign_in::record_failure(store, &key, address, now).await?;
        return Ok(Opened::Refused);
    };
    sign_in::clear_account(store, &key).await?;
    let token = random_secret();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO returnee_sessions (token_hash, access_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(hash_secret(&token)).bind(access_id).bind(random_secret()).bind(now).bind(now + Duration::minutes(SESSION_MINUTES))
        .execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query("UPDATE returnee_access SET last_used_at = $1 WHERE id = $2")
        .bind(now).bind(access_id).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "open",
            entity: "returnee-page",
            entity_id: Some(access_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Opened::Session(token))
}

/// The returnee of a page cookie, while the session lasts and its code is
/// neither revoked nor expired.
pub async fn returnee(store: &Store, token: &str) -> Result<Option<Returnee>> {
    if token.len() > 128 {
        return Ok(None);
    }
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, Returnee>(
        "SELECT a.id AS access_id, a.case_id, a.person_id, s.csrf_token FROM returnee_sessions s \
         JOIN returnee_access a ON a.id = s.access_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND a.revoked_at IS NULL")
        .bind(hash_secret(token)).bind(crate::now()).fetch_optional(p).await)?)
}

/// The person withdraws one of their own consents from their page; it takes
/// effect on the next read by any role. Not found for anyone else's.
pub async fn withdraw_consent(store: &Store, who: &Returnee, consent_id: Uuid) -> Result<()> {
    let now = crate::now();
    let reason = "Withdrawn by the person on their own page";
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE consents SET withdrawn_at = $1, withdrawal_reason = $2 \
         WHERE id = $3 AND case_id = $4 AND person_id = $5 AND withdrawn_at IS NULL")
        .bind(now).bind(reason).bind(consent_id).bind(who.case_id).bind(who.person_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "withdraw",
            entity: "consent",
            entity_id: Some(consent_id.to_string()),
            case_id: Some(who.case_id),
            before: None,
            after: Some(json!({"reason": reason, "by": "returnee", "access_id": who.access_id})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The person's own consents on the case (for their page).
pub async fn consents(store: &Store, who: &Returnee) -> Result<Vec<crate::consents::Consent>> {
    use crate::consents::{COLUMNS, JOINS};
    let sql = format!(
        "SELECT {COLUMNS} FROM consents k {JOINS} WHERE k.case_id = $1 AND k.person_id = $2 ORDER BY k.given_at, k.id"
    );
    let mut ks: Vec<crate::consents::Consent> = on_db!(&store.db, p => sqlx::query_as(&sql)
        .bind(who.case_id).bind(who.person_id).fetch_all(p).await)?;
    // Nothing of staff reaches the person's page.
    for k in &mut ks {
        k.recorded_by_name = None;
    }
    Ok(ks)
}

/// What the returnee's page says of their case: their name, the case
/// number, its status, and the programme's name.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Summary {
    pub name: String,
    pub case_number: String,
    pub status: String,
    pub programme: String,
    /// The programme's referring authority, as papers write it.
    #[sqlx(skip)]
    pub authority: String,
    /// Days the programme gives itself to answer a question or complaint.
    #[sqlx(skip)]
    pub feedback_due_days: i64,
    /// The programme's office zone (its papers' dates are in it).
    #[sqlx(skip)]
    pub time_zone: String,
    programme_id: Uuid,
}

/// The summary of the returnee's own case.
pub async fn summary(store: &Store, who: &Returnee) -> Result<Summary> {
    let mut s = on_db!(&store.db, p => sqlx::query_as::<_, Summary>(
        "SELECT p.display_name AS name, c.case_number, c.status, g.name AS programme, c.programme_id FROM cases c \
         JOIN persons p ON p.id = $2 JOIN programmes g ON g.id = c.programme_id WHERE c.id = $1")
        .bind(who.case_id).bind(who.person_id).fetch_optional(p).await)?
    .ok_or(Error::NotFound)?;
    let programme = crate::programmes::stored::by_id(store, s.programme_id).await?;
    s.authority = programme.referring_authority.written();
    s.feedback_due_days = programme.feedback_due_days;
    s.time_zone = programme.time_zone.clone();
    Ok(s)
}

/// Closes the page (its session).
pub async fn close(store: &Store, token: &str) -> Result<()> {
    on_db!(&store.db, p => sqlx::query("DELETE FROM returnee_sessions WHERE token_hash = $1")
        .bind(hash_secret(token)).execute(p).await.map(|_| ()))?;
    Ok(())
}

/// The receipt of one of the person's own consents, for their page (not
/// found for anyone else's); `languages` are the page's. The download is
/// audited. With it, the programme's zone, which its dates are in.
pub async fn receipt(
    store: &Store,
    who: &Returnee,
    consent_id: Uuid,
    languages: Vec<String>,
) -> Result<(crate::consents::Receipt, chrono_tz::Tz)> {
    let consent = consents(store, who)
        .await?
        .into_iter()
        .find(|k| k.id == consent_id)
        .ok_or(Error::NotFound)?;
    let s = summary(store, who).await?;
    let mut tx = store.begin().await?;
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "download",
            entity: "consent-receipt",
            entity_id: Some(consent_id.to_string()),
            case_id: Some(who.case_id),
            before: None,
            after: Some(json!({"by": "returnee", "access_id": who.access_id})),
        },
    )
    .await?;
    tx.commit().await?;
    let zone = homeward_domain::programme::time_zone(&s.time_zone)
        .unwrap_or(homeward_domain::programme::DEFAULT_TIME_ZONE);
    Ok((
        crate::consents::Receipt {
            consent,
            case_number: s.case_number,
            programme: s.programme,
            authority: s.authority,
            languages,
        },
        zone,
    ))
}
