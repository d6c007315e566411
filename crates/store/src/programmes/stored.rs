//! A programme's row as read: its settings and configuration.

use crate::{on_db, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::programme::Authority;
use serde::Serialize;
use uuid::Uuid;

/// A programme as stored.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Programme {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// ISO 3166-1 alpha-2 of the host country.
    pub host_country: String,
    /// The host region's short name (`GTA`), shown in reports.
    pub host_region: String,
    /// IANA time zone of the programme's office: dates and times its staff
    /// read, its letters and its reports are in this zone.
    pub time_zone: String,
    /// ISO 4217.
    pub currency: String,
    pub referring_authority: Authority,
    /// The referral facts its referral form asks for.
    pub referral_facts: Vec<String>,
    /// Regions of residence it accepts.
    pub regions: Vec<String>,
    /// ISO 639 codes of the languages offered to returnees.
    pub languages: Vec<String>,
    /// Office prefix of its case numbers (`TOR`).
    pub case_prefix: String,
    pub opens_on: NaiveDate,
    pub closes_on: Option<NaiveDate>,
    /// Hours a referred person has to contact the office.
    pub contact_hours: i64,
    /// Days from approval to departure the office aims for.
    pub departure_target_days: i64,
    /// Days after a case closes that its codes still open the returnee's page.
    pub returnee_access_days: i64,
    /// Days to answer a question or complaint.
    pub feedback_due_days: i64,
    pub letterhead: Option<String>,
    pub signatory: Option<String>,
    /// Departures a month the programme aims for (the dashboard's target);
    /// `null` when none is set.
    pub monthly_departure_target: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Programme {
    /// The office's zone (the pilot's, Toronto, if the stored name no longer
    /// parses: names are checked when written).
    pub fn tz(&self) -> chrono_tz::Tz {
        homeward_domain::programme::time_zone(&self.time_zone)
            .unwrap_or(homeward_domain::programme::DEFAULT_TIME_ZONE)
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    code: String,
    name: String,
    host_country: String,
    host_region: String,
    time_zone: String,
    currency: String,
    authority_name: String,
    authority_short_name: String,
    referral_facts: String,
    regions: String,
    languages: String,
    case_prefix: String,
    starts_on: NaiveDate,
    ends_on: Option<NaiveDate>,
    contact_hours: i64,
    departure_target_days: i64,
    returnee_access_days: i64,
    feedback_due_days: i64,
    letterhead: Option<String>,
    signatory: Option<String>,
    monthly_departure_target: Option<i64>,
    version: i64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn texts(json: &str) -> Vec<String> {
    serde_json::from_str(json).unwrap_or_default()
}

impl From<Row> for Programme {
    fn from(r: Row) -> Programme {
        Programme {
            id: r.id,
            code: r.code,
            name: r.name,
            host_country: r.host_country,
            host_region: r.host_region,
            time_zone: r.time_zone,
            currency: r.currency,
            referring_authority: Authority {
                name: r.authority_name,
                short_name: r.authority_short_name,
            },
            referral_facts: texts(&r.referral_facts),
            regions: texts(&r.regions),
            languages: texts(&r.languages),
            case_prefix: r.case_prefix,
            opens_on: r.starts_on,
            closes_on: r.ends_on,
            contact_hours: r.contact_hours,
            departure_target_days: r.departure_target_days,
            returnee_access_days: r.returnee_access_days,
            feedback_due_days: r.feedback_due_days,
            letterhead: r.letterhead,
            signatory: r.signatory,
            monthly_departure_target: r.monthly_departure_target,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const COLUMNS: &str = "id, code, name, host_country, host_region, time_zone, currency, authority_name, \
    authority_short_name, referral_facts, regions, languages, case_prefix, starts_on, ends_on, contact_hours, \
    departure_target_days, CAST(returnee_access_days AS BIGINT) AS returnee_access_days, \
    CAST(feedback_due_days AS BIGINT) AS feedback_due_days, letterhead, signatory, monthly_departure_target, version, \
    created_at, updated_at";

/// Every programme.
pub async fn list(store: &Store) -> Result<Vec<Programme>> {
    let q = format!("SELECT {COLUMNS} FROM programmes ORDER BY code");
    let rows = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&q).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Programme::from).collect())
}

/// A programme by its code.
pub async fn by_code(store: &Store, code: &str) -> Result<Programme> {
    let q = format!("SELECT {COLUMNS} FROM programmes WHERE code = $1");
    on_db!(&store.db, p => sqlx::query_as::<_, Row>(&q).bind(code).fetch_optional(p).await)?
        .map(Programme::from)
        .ok_or(Error::NotFound)
}

/// A programme by its id.
pub async fn by_id(store: &Store, id: Uuid) -> Result<Programme> {
    let q = format!("SELECT {COLUMNS} FROM programmes WHERE id = $1");
    on_db!(&store.db, p => sqlx::query_as::<_, Row>(&q).bind(id).fetch_optional(p).await)?
        .map(Programme::from)
        .ok_or(Error::NotFound)
}
