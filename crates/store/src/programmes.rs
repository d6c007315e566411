//! Programmes: the AVRR programmes Homeward runs (the first is `gta-2012`).

use crate::{on_db, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
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
