//! Programmes: the AVRR programmes Homeward runs (the first is `gta-2012`),
//! and their configuration (the follow-up schedule, the monthly departure
//! target).

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::followups::Schedule;
use homeward_domain::{Action, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A programme as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Programme {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    pub host_region: String,
    /// Office prefix of its case numbers (`TOR`).
    pub case_prefix: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
    /// ISO 4217.
    pub currency: String,
    /// Departures a month the programme aims for (the dashboard's target);
    /// `null` when none is set.
    pub monthly_departure_target: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Creates the GTA pilot if it is missing, so a fresh database can take cases.
pub async fn ensure_defaults(store: &Store) -> Result<()> {
    let now = crate::now();
    let start = NaiveDate::from_ymd_opt(2012, 6, 29);
    let end = NaiveDate::from_ymd_opt(2015, 3, 31);
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO programmes (id, code, name, host_region, case_prefix, starts_on, ends_on, currency, version, created_at, updated_at) \
         VALUES ($1, 'gta-2012', 'AVRR pilot, Greater Toronto Area', 'GTA', 'TOR', $2, $3, 'CAD', 1, $4, $4) \
         ON CONFLICT (code) DO NOTHING")
        .bind(Uuid::new_v4()).bind(start).bind(end).bind(now).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Every programme.
pub async fn list(store: &Store) -> Result<Vec<Programme>> {
    Ok(
        on_db!(&store.db, p => sqlx::query_as::<_, Programme>("SELECT * FROM programmes ORDER BY code").fetch_all(p).await)?,
    )
}

/// A programme by its code.
pub async fn by_code(store: &Store, code: &str) -> Result<Programme> {
    on_db!(&store.db, p => sqlx::query_as::<_, Programme>("SELECT * FROM programmes WHERE code = $1").bind(code).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// Reads a stored schedule. Writes are validated, so a bad value means the
/// row was edited by hand: the defaults keep arrivals working, and the log says why.
fn parse_schedule(code: &str, json: Option<&str>) -> Schedule {
    let Some(json) = json else {
        return Schedule::default();
    };
    match serde_json::from_str::<Schedule>(json) {
        Ok(s) if s.validate().is_ok() => s,
        _ => {
            tracing::warn!(
                programme = code,
                "invalid followup_schedule; using the defaults"
            );
            Schedule::default()
        }
    }
}

/// The follow-up schedule of the programme with this code (the defaults
/// unless configured).
///
/// Who may: anyone the caller lets through (configuration, no case data).
pub async fn followup_schedule(store: &Store, code: &str) -> Result<Schedule> {
    let json: Option<Option<String>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT followup_schedule FROM programmes WHERE code = $1")
        .bind(code).fetch_optional(p).await)?;
    let json = json.ok_or(Error::NotFound)?;
    Ok(parse_schedule(code, json.as_deref()))
}

/// The follow-up schedule of every programme, by programme id (for queries
/// across programmes, such as the overdue tasks).
pub async fn followup_schedules(store: &Store) -> Result<Vec<(Uuid, Schedule)>> {
    let rows: Vec<(Uuid, String, Option<String>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, code, followup_schedule FROM programmes ORDER BY code")
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, json)| (id, parse_schedule(&code, json.as_deref())))
        .collect())
}

/// Sets a programme's follow-up schedule (checked by `Schedule::validate`:
/// `offsets_months`, `grace_days`). It applies to arrivals confirmed from
/// now on; schedules already created are left as they are. Audited.
///
/// Who may: admins (programme configuration).
pub async fn set_followup_schedule(
    store: &Store,
    actor: &Actor,
    code: &str,
    schedule: &Schedule,
) -> Result<Schedule> {
    actor.require(Resource::Programme, Action::Manage)?;
    schedule.validate()?;
    let before = followup_schedule(store, code).await?;
    let json = serde_json::to_string(schedule)
        .map_err(|e| Error::Io(format!("followup schedule: {e}")))?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE programmes SET followup_schedule = $1, version = version + 1, updated_at = $2 WHERE code = $3")
        .bind(&json).bind(crate::now()).bind(code).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "programme_followup_schedule",
            entity_id: Some(code.to_string()),
            case_id: None,
            before: Some(json!(before)),
            after: Some(json!(schedule)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(schedule.clone())
}

/// The most departures a month a target may name: far above any AVRR
/// programme (CBSA projected up to 2,719 returns a year), so a typo of a
/// few extra digits is refused.
pub const MAX_MONTHLY_TARGET: i64 = 100_000;

/// Sets (or, with `None`, clears) a programme's monthly departure target,
/// which the dashboard sets departures against. Audited. Code on the field
/// `monthly_departure_target`: `out-of-range` (0 to [`MAX_MONTHLY_TARGET`]).
///
/// Who may: admins (programme configuration).
pub async fn set_departure_target(
    store: &Store,
    actor: &Actor,
    code: &str,
    target: Option<i64>,
) -> Result<Programme> {
    actor.require(Resource::Programme, Action::Manage)?;
    if target.is_some_and(|t| !(0..=MAX_MONTHLY_TARGET).contains(&t)) {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("monthly_departure_target", "out-of-range");
        return Err(Error::Invalid(inv));
    }
    let before = by_code(store, code).await?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE programmes SET monthly_departure_target = $1, version = version + 1, updated_at = $2 WHERE code = $3")
        .bind(target).bind(crate::now()).bind(code).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "programme_departure_target",
            entity_id: Some(code.to_string()),
            case_id: None,
            before: Some(json!({ "monthly_departure_target": before.monthly_departure_target })),
            after: Some(json!({ "monthly_departure_target": target })),
        },
    )
    .await?;
    tx.commit().await?;
    by_code(store, code).await
}
