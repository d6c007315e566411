//! Arrival in the country of return and the reintegration plan.
//!
//! Who may: the mission officer of the country of return confirms arrival
//! (the case moves to reintegrating) and builds the plan; a supervisor
//! approves it; finance and supervisors read. CBSA, counsellors and the
//! others are refused.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{followups, on_db, on_tx, programmes, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::money::Money;
use homeward_domain::reintegration::{
    self, ArrivalInput, Category, Dimension, PlanComponent, PlanComponentInput,
};
use homeward_domain::workflow::{self, TransitionContext};
use homeward_domain::{Action, CaseStatus, Resource, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A recorded arrival.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Arrival {
    pub arrived_on: NaiveDate,
    pub place: String,
    pub recorded_at: DateTime<Utc>,
}

/// A stored plan component.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Component {
    pub id: Uuid,
    pub dimension: String,
    pub category: String,
    pub description: String,
    pub budget_minor: i64,
    pub currency: String,
}

/// The case's plan.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Plan {
    /// draft or approved.
    pub status: String,
    pub components: Vec<Component>,
    pub total_minor: i64,
    pub approved_at: Option<DateTime<Utc>>,
    pub version: i64,
    /// When the plan should be ready: 30 days after arrival.
    pub due_on: Option<NaiveDate>,
}

/// Confirms the returnee's arrival; a departed case moves to reintegrating
/// and its follow-up schedule is created from the programme's (same transaction).
pub async fn confirm_arrival(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    input: &ArrivalInput,
) -> Result<Arrival> {
    actor.require(Resource::Reintegration, Action::Create)?;
    if actor.role != Role::MissionOfficer {
        return Err(Error::Forbidden);
    }
    let case = scope::summary(store, actor, case_id.into()).await?;
    if case.status != "departed" {
        return Err(Error::invalid("case", "case-not-departed"));
    }
    let departed: Option<DateTime<Utc>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT MAX(departed_at) FROM itineraries WHERE case_id = $1 AND status = 'departed'")
        .bind(case_id).fetch_one(p).await)?;
    let today = crate::now().date_naive();
    let departed_on = departed.map(|d| d.date_naive()).unwrap_or(today);
    reintegration::validate_arrival(input, departed_on, today)?;
    let (Some(on), Some(place)) = (
        input.arrived_on,
        homeward_domain::validation::clean(input.place.as_deref()),
    ) else {
        return Err(Error::invalid("arrived_on", "required"));
    };
    workflow::check(
        CaseStatus::Departed,
        CaseStatus::Reintegrating,
        actor.role,
        None,
        &TransitionContext {
            has_counsellor: true,
            has_country_of_return: true,
            has_declaration: true,
            departure_confirmed: true,
            ..Default::default()
        },
    )?;
    let schedule = programmes::followup_schedule(store, &case.programme_code).await?;
    let now = crate::now();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO arrivals (case_id, arrived_on, place, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(case_id).bind(on).bind(&place).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    crate::cases::status::record_transition(
        &mut tx,
        actor,
        &case,
        CaseStatus::Reintegrating,
        None,
        None,
        now,
    )
    .await?;
    // The follow-up schedule starts with the arrival, or not at all.
    followups::create_schedule(&mut tx, actor, case_id, on, &schedule, now).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "arrival",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"arrived_on": on, "place": place})),
        },
    )
    .await?;
    tx.commit().await?;
    arrival(store, actor, case_id).await?.ok_or(Error::NotFound)
}

/// The case's arrival, if confirmed.
pub async fn arrival(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Option<Arrival>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    actor.require(Resource::Reintegration, Action::Read)?;
    scope::summary(store, actor, case).await?;
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, Arrival>(
        "SELECT arrived_on, place, recorded_at FROM arrivals WHERE case_id = $1")
        .bind(case_id).fetch_optional(p).await)?)
}

fn to_domain(c: &Component) -> Option<PlanComponent> {
    Some(PlanComponent {
        dimension: Dimension::parse(&c.dimension)?,
        category: Category::parse(&c.category)?,
        description: c.description.clone(),
        budget: Money::of(c.budget_minor, &c.currency).ok()?,
    })
}

/// The case's plan (empty draft if none yet).
pub async fn plan(store: &Store, actor: &Actor, case: impl Into<CaseRef<'_>>) -> Result<Plan> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    actor.require(Resource::Reintegration, Action::Read)?;
    scope::summary(store, actor, case).await?;
    let components: Vec<Component> = on_db!(&store.db, p => sqlx::query_as::<_, Component>(
        "SELECT id, dimension, category, description, budget_minor, currency FROM plan_components \
         WHERE case_id = $1 ORDER BY created_at, id")
        .bind(case_id).fetch_all(p).await)?;
    let head: Option<(String, Option<DateTime<Utc>>, i64)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT status, approved_at, version FROM reintegration_plans WHERE case_id = $1")
        .bind(case_id).fetch_optional(p).await)?;
    let arrived: Option<NaiveDate> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT arrived_on FROM arrivals WHERE case_id = $1")
        .bind(case_id).fetch_optional(p).await)?;
    let (status, approved_at, version) = head.unwrap_or(("draft".into(), None, 0));
    Ok(Plan {
        status,
        total_minor: components.iter().map(|c| c.budget_minor).sum(),
        components,
        approved_at,
        version,
        due_on: arrived.map(reintegration::plan_due),
    })
}

/// Adds a component to a draft plan; the plan's total stays within the
/// entitlement (`budget`: `plan-exceeds-entitlement`).
pub async fn add_component(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    input: &PlanComponentInput,
) -> Result<Plan> {
    actor.require(Resource::Reintegration, Action::Create)?;
    if actor.role != Role::MissionOfficer {
        return Err(Error::Forbidden);
    }
    let current = plan(store, actor, case_id).await?;
    if current.status == "approved" {
        return Err(Error::invalid("plan", "plan-already-approved"));
    }
    if arrival(store, actor, case_id).await?.is_none() {
        return Err(Error::invalid("plan", "arrival-not-confirmed"));
    }
    let Some(cap) = crate::entitlement::entitlement(store, case_id).await? else {
        return Err(Error::invalid("case", "no-entitlement"));
    };
    let new = reintegration::validate_component(input, cap.currency)?;
    let mut all: Vec<PlanComponent> = current.components.iter().filter_map(to_domain).collect();
    all.push(new.clone());
    reintegration::check_plan_within(&all, cap)?;
    let now = crate::now();
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO reintegration_plans (case_id, status, created_at, updated_at) VALUES ($1, 'draft', $2, $2) \
         ON CONFLICT (case_id) DO UPDATE SET version = reintegration_plans.version + 1, updated_at = $2")
        .bind(case_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    // Re-checked under the plan row's lock, so two additions cannot pass the cap together.
    let total: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(budget_minor), 0) AS BIGINT) FROM plan_components WHERE case_id = $1")
        .bind(case_id).fetch_one(c).await)?;
    if total.saturating_add(new.budget.minor) > cap.minor {
        return Err(Error::invalid("budget", "plan-exceeds-entitlement"));
    }
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO plan_components (id, case_id, dimension, category, description, budget_minor, currency, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(case_id).bind(new.dimension.as_str()).bind(new.category.as_str()).bind(&new.description)
        .bind(new.budget.minor).bind(new.budget.currency.code()).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "plan_component",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(
                json!({"category": new.category.as_str(), "budget": new.budget.to_plain_string()}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    plan(store, actor, case_id).await
}

/// A supervisor approves the plan (not empty, within the entitlement).
pub async fn approve(store: &Store, actor: &Actor, case_id: Uuid, version: i64) -> Result<Plan> {
    actor.require(Resource::Reintegration, Action::Read)?;
    if !reintegration::may_approve_plan(actor.role) {
        return Err(Error::Forbidden);
    }
    let current = plan(store, actor, case_id).await?;
    if current.status == "approved" {
        return Err(Error::invalid("plan", "plan-already-approved"));
    }
    let Some(cap) = crate::entitlement::entitlement(store, case_id).await? else {
        return Err(Error::invalid("case", "no-entitlement"));
    };
    let all: Vec<PlanComponent> = current.components.iter().filter_map(to_domain).collect();
    reintegration::check_plan_for_approval(&all, cap)?;
    let now = crate::now();
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE reintegration_plans SET status = 'approved', approved_by = $1, approved_at = $2, version = version + 1, \
         updated_at = $2 WHERE case_id = $3 AND version = $4 AND status = 'draft'")
        .bind(actor.user_id).bind(now).bind(case_id).bind(version)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "approve",
            entity: "plan",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: Some(json!({"status": "draft"})),
            after: Some(json!({"status": "approved", "total_minor": current.total_minor})),
        },
    )
    .await?;
    tx.commit().await?;
    plan(store, actor, case_id).await
}
