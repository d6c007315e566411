//! The vendor registry: the local providers each country's mission buys
//! from (assistance is in kind: IOM pays the vendor, never the returnee).
//!
//! Who may: mission officers register and (de)activate vendors of their own
//! country and read only those; finance registers, (de)activates and reads
//! vendors of every country; supervisors read them all. CBSA, counsellors
//! and the others are refused.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::reintegration::{self, Category, VendorInput};
use homeward_domain::{Action, Resource, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A registered vendor.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Vendor {
    pub id: Uuid,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub name: String,
    /// Category identifiers (`reintegration::Category`).
    pub categories: Vec<String>,
    pub contact: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

impl Vendor {
    /// The domain's view, for `reintegration::check_vendor_for_purchase`.
    pub fn to_domain(&self) -> reintegration::Vendor {
        reintegration::Vendor {
            name: self.name.clone(),
            country: self.country.clone(),
            categories: self
                .categories
                .iter()
                .filter_map(|c| Category::parse(c))
                .collect(),
            contact: self.contact.clone(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    country: String,
    name: String,
    categories: String,
    contact: Option<String>,
    active: bool,
    created_at: DateTime<Utc>,
}

impl From<Row> for Vendor {
    fn from(r: Row) -> Vendor {
        Vendor {
            id: r.id,
            country: r.country,
            name: r.name,
            // Written by `create` only; an unreadable list reads as none.
            categories: serde_json::from_str(&r.categories).unwrap_or_default(),
            contact: r.contact,
            active: r.active,
            created_at: r.created_at,
        }
    }
}

const SELECT: &str =
    "SELECT id, country, name, categories, contact, active, created_at FROM vendors";

/// Who reads vendors, and of which country (`None`: every country).
fn read_scope(actor: &Actor) -> Result<Option<String>> {
    actor.require(Resource::Reintegration, Action::Read)?;
    match actor.role {
        Role::MissionOfficer => Ok(Some(actor.country.clone().unwrap_or_default())),
        Role::Finance | Role::Supervisor => Ok(None),
        _ => Err(Error::Forbidden),
    }
}

/// Who changes vendors: the mission of the country, or finance.
fn may_write(actor: &Actor, country: &str) -> Result<()> {
    actor.require(Resource::Reintegration, Action::Update)?;
    match actor.role {
        Role::Finance => Ok(()),
        Role::MissionOfficer
            if actor
                .country
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case(country)) =>
        {
            Ok(())
        }
        _ => Err(Error::Forbidden),
    }
}

/// Registers a vendor (`reintegration::validate_vendor`); audited.
///
/// Who may: mission officers for their own country (another country is
/// Forbidden), finance for any country.
pub async fn create(store: &Store, actor: &Actor, input: &VendorInput) -> Result<Vendor> {
    actor.require(Resource::Reintegration, Action::Update)?;
    if !matches!(actor.role, Role::MissionOfficer | Role::Finance) {
        return Err(Error::Forbidden);
    }
    let v = reintegration::validate_vendor(input)?;
    may_write(actor, &v.country)?;
    let categories: Vec<&str> = v.categories.iter().map(|c| c.as_str()).collect();
    let categories_json = serde_json::to_string(&categories).unwrap_or_else(|_| "[]".into());
    let id = Uuid::new_v4();
    let now = crate::now();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO vendors (id, country, name, categories, contact, active, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, TRUE, $6, $7)")
        .bind(id).bind(&v.country).bind(&v.name).bind(&categories_json).bind(&v.contact)
        .bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "vendor",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(
                json!({"country": v.country, "name": v.name, "categories": categories,
                "contact": v.contact}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Vendors, ordered by country and name; inactive ones only if asked.
///
/// Who may: mission officers (their country only: a filter on another
/// country lists nothing), finance and supervisors (every country).
pub async fn list(
    store: &Store,
    actor: &Actor,
    country: Option<&str>,
    include_inactive: bool,
) -> Result<Vec<Vendor>> {
    let scope = read_scope(actor)?;
    let filter = country
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_ascii_uppercase);
    let country = match (scope, filter) {
        (Some(own), Some(f)) if !own.eq_ignore_ascii_case(&f) => return Ok(Vec::new()),
        (Some(own), _) => Some(own.to_ascii_uppercase()),
        (None, f) => f,
    };
    let sql = format!(
        "{SELECT} WHERE ($1 IS NULL OR country = $1) AND (active OR $2) ORDER BY country, name, id"
    );
    let rows: Vec<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&sql)
        .bind(&country).bind(include_inactive).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Vendor::from).collect())
}

/// One vendor (NotFound outside a mission officer's country).
///
/// Who may: as [`list`].
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Vendor> {
    let scope = read_scope(actor)?;
    let v = find(store, id).await?.ok_or(Error::NotFound)?;
    match scope {
        Some(own) if !own.eq_ignore_ascii_case(&v.country) => Err(Error::NotFound),
        _ => Ok(v),
    }
}

/// A vendor by id, whatever the actor (for the checks of a purchase).
pub(crate) async fn find(store: &Store, id: Uuid) -> Result<Option<Vendor>> {
    let sql = format!("{SELECT} WHERE id = $1");
    let row: Option<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&sql)
        .bind(id).fetch_optional(p).await)?;
    Ok(row.map(Vendor::from))
}

/// Activates or deactivates a vendor (an inactive one takes no new
/// purchases; past purchases keep it); audited.
///
/// Who may: as [`create`]; a vendor outside a mission officer's country is
/// NotFound.
pub async fn set_active(store: &Store, actor: &Actor, id: Uuid, active: bool) -> Result<Vendor> {
    actor.require(Resource::Reintegration, Action::Update)?;
    if !matches!(actor.role, Role::MissionOfficer | Role::Finance) {
        return Err(Error::Forbidden);
    }
    let before = get(store, actor, id).await?;
    may_write(actor, &before.country)?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query("UPDATE vendors SET active = $1 WHERE id = $2")
        .bind(active).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "vendor",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: Some(json!({"active": before.active})),
            after: Some(json!({"active": active})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}
