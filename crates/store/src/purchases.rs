//! In-kind reintegration purchases: requested by the mission officer in local
//! currency at a recorded exchange rate, approved, paid and cancelled by
//! finance (never by whoever requested it), delivered with the returnee. The
//! case's entitlement caps what is approved or paid, and holds under
//! concurrency: every approval first updates the case's budget row, so
//! approvals on one case run one after the other on either database, and the
//! sum is read after that lock.
//!
//! Who may: mission officers (their country) request, cancel and confirm
//! delivery; finance approves, rejects, pays and cancels approved purchases;
//! supervisors read. CBSA, counsellors and the others are refused.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{cases, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::money::{Currency, Money};
use homeward_domain::reintegration::{
    self, Ledger, PurchaseContext, PurchaseLine, PurchaseRequestInput, PurchaseStatus,
};
use homeward_domain::{Action, CaseStatus, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A purchase as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Purchase {
    pub id: Uuid,
    pub case_id: Uuid,
    pub category: String,
    pub description: String,
    pub local_minor: i64,
    pub local_currency: String,
    pub rate_numerator: i64,
    pub rate_denominator: i64,
    pub rate_source: Option<String>,
    pub rate_date: Option<NaiveDate>,
    pub programme_minor: i64,
    pub programme_currency: String,
    /// requested, approved, rejected, cancelled, paid, delivered.
    pub status: String,
    pub reason: Option<String>,
    pub requested_by: Uuid,
    pub requested_at: DateTime<Utc>,
    pub decided_by: Option<Uuid>,
    pub decided_at: Option<DateTime<Utc>>,
    pub receipt_attachment_id: Option<Uuid>,
    pub version: i64,
}

const SELECT: &str = "SELECT id, case_id, category, description, local_minor, local_currency, rate_numerator, \
    rate_denominator, rate_source, rate_date, programme_minor, programme_currency, status, reason, requested_by, \
    requested_at, decided_by, decided_at, receipt_attachment_id, version FROM purchases";

/// The case's entitlement: the amount of its latest eligible evaluation.
pub async fn entitlement(store: &Store, case_id: Uuid) -> Result<Option<Money>> {
    let row: Option<(Option<i64>, Option<String>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT amount_minor, currency FROM eligibility_evaluations WHERE case_id = $1 AND eligible \
         ORDER BY evaluated_at DESC LIMIT 1")
        .bind(case_id).fetch_optional(p).await)?;
    Ok(match row {
        Some((Some(a), Some(c))) => Money::of(a, &c).ok(),
        _ => None,
    })
}

fn invalid(field: &str, code: &str) -> Error {
    let mut inv = Invalid::default();
    inv.add(field, code);
    Error::Invalid(inv)
}

/// Records a purchase request for a returned case (mission officer).
pub async fn request(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    input: &PurchaseRequestInput,
) -> Result<Purchase> {
    actor.require(Resource::Reintegration, Action::Create)?;
    if !reintegration::may_request_purchase(actor.role) {
        return Err(Error::Forbidden);
    }
    let case = cases::summary(store, actor, case_id).await?;
    let status = CaseStatus::parse(&case.status).ok_or(Error::NotFound)?;
    if !status.is_after_departure() || status == CaseStatus::Closed {
        return Err(invalid("case", "case-not-returned"));
    }
    let Some(cap) = entitlement(store, case_id).await? else {
        return Err(invalid("case", "no-entitlement"));
    };
    let today = crate::now().date_naive();
    let r = reintegration::validate_purchase_request(input, cap.currency, today)?;
    let id = Uuid::new_v4();
    let now = crate::now();
    let num =
        i64::try_from(r.rate.numerator()).map_err(|_| invalid("rate", "rate-out-of-range"))?;
    let den =
        i64::try_from(r.rate.denominator()).map_err(|_| invalid("rate", "rate-out-of-range"))?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO reintegration_budgets (case_id, entitlement_minor, currency, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (case_id) DO UPDATE SET entitlement_minor = $2, currency = $3")
        .bind(case_id).bind(cap.minor).bind(cap.currency.code()).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO purchases (id, case_id, category, description, local_minor, local_currency, rate_numerator, \
         rate_denominator, rate_source, rate_date, rate_entered_by, rate_entered_at, programme_minor, programme_currency, \
         status, requested_by, requested_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'requested', $11, $12)")
        .bind(id).bind(case_id).bind(r.category.as_str()).bind(&r.description).bind(r.local.minor)
        .bind(r.local.currency.code()).bind(num).bind(den).bind(&r.rate_source).bind(r.rate_date)
        .bind(actor.user_id).bind(now).bind(r.programme.minor).bind(r.programme.currency.code())
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "purchase",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({
                "local": r.local.to_plain_string(), "programme": r.programme.to_plain_string(),
                "rate": format!("{}/{}", num, den), "rate_source": r.rate_source,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// One purchase, if its case is in the actor's scope.
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Purchase> {
    actor.require(Resource::Reintegration, Action::Read)?;
    let p: Option<Purchase> = on_db!(&store.db, p => sqlx::query_as::<_, Purchase>(&format!("{SELECT} WHERE id = $1"))
        .bind(id).fetch_optional(p).await)?;
    let p = p.ok_or(Error::NotFound)?;
    cases::summary(store, actor, p.case_id).await?;
    Ok(p)
}

/// The case's purchases, oldest first.
pub async fn list(store: &Store, actor: &Actor, case_id: Uuid) -> Result<Vec<Purchase>> {
    actor.require(Resource::Reintegration, Action::Read)?;
    cases::summary(store, actor, case_id).await?;
    Ok(
        on_db!(&store.db, p => sqlx::query_as::<_, Purchase>(&format!(
        "{SELECT} WHERE case_id = $1 ORDER BY requested_at, id"))
        .bind(case_id).fetch_all(p).await)?,
    )
}

/// Moves a purchase to `to` (approved, rejected, cancelled, paid, delivered).
/// An approval that would take the case past its entitlement is refused
/// (`amount`: `purchase-exceeds-entitlement`), however many run at once.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    to: &str,
    reason: Option<&str>,
    version: Option<i64>,
) -> Result<Purchase> {
    actor.require(Resource::Reintegration, Action::Update)?;
    let p = get(store, actor, id).await?;
    let Some(to) = PurchaseStatus::parse(to) else {
        return Err(invalid("to", "invalid-choice"));
    };
    let from = PurchaseStatus::parse(&p.status).ok_or(Error::NotFound)?;
    if version.is_some_and(|v| v != p.version) {
        return Err(Error::Conflict);
    }
    let reason = homeward_domain::validation::clean(reason);
    if reason.as_deref().is_some_and(|r| r.chars().count() > 2000) {
        return Err(invalid("reason", "too-long"));
    }
    let ctx = PurchaseContext {
        actor_is_requester: p.requested_by == actor.user_id,
        reason: reason.as_deref(),
        has_receipt: p.receipt_attachment_id.is_some(),
    };
    reintegration::check_purchase_transition(from, to, actor.role, &ctx)
        .map_err(|e| invalid("to", e.code()))?;
    let now = crate::now();
    let mut tx = store.begin().await?;
    // The lock: concurrent decisions on one case queue here.
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE reintegration_budgets SET version = version + 1, updated_at = $1 WHERE case_id = $2")
        .bind(now).bind(p.case_id).execute(c).await.map(|r| r.rows_affected()))?;
    if to == PurchaseStatus::Approved {
        let cap: Option<(i64, String)> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT entitlement_minor, currency FROM reintegration_budgets WHERE case_id = $1")
            .bind(p.case_id).fetch_optional(c).await)?;
        let (cap_minor, cur) = cap.ok_or_else(|| invalid("case", "no-entitlement"))?;
        let spent: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(programme_minor), 0) AS BIGINT) FROM purchases WHERE case_id = $1 \
             AND status IN ('approved', 'paid', 'delivered')")
            .bind(p.case_id).fetch_one(c).await)?;
        let currency = Currency::parse(&cur).map_err(|e| invalid("currency", e.code()))?;
        let fits = reintegration::fits_under_cap(
            Money::new(cap_minor, currency),
            Money::new(spent, currency),
            Money::new(p.programme_minor, currency),
        );
        if !fits {
            return Err(invalid("amount", "purchase-exceeds-entitlement"));
        }
    }
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE purchases SET status = $1, reason = COALESCE($2, reason), version = version + 1, \
         decided_by = CASE WHEN $1 IN ('approved', 'rejected') THEN $3 ELSE decided_by END, \
         decided_at = CASE WHEN $1 IN ('approved', 'rejected') THEN $4 ELSE decided_at END, \
         paid_by = CASE WHEN $1 = 'paid' THEN $3 ELSE paid_by END, paid_at = CASE WHEN $1 = 'paid' THEN $4 ELSE paid_at END, \
         delivered_by = CASE WHEN $1 = 'delivered' THEN $3 ELSE delivered_by END, \
         delivered_at = CASE WHEN $1 = 'delivered' THEN $4 ELSE delivered_at END \
         WHERE id = $5 AND status = $6 AND version = $7")
        .bind(to.as_str()).bind(&reason).bind(actor.user_id).bind(now).bind(id).bind(from.as_str()).bind(p.version)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "transition",
            entity: "purchase",
            entity_id: Some(id.to_string()),
            case_id: Some(p.case_id),
            before: Some(json!({"status": from.as_str()})),
            after: Some(json!({"status": to.as_str(), "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The case's money: entitlement, committed, paid, remaining (no plan yet:
/// budgeted is zero until plans are stored).
pub async fn ledger(store: &Store, actor: &Actor, case_id: Uuid) -> Result<Option<Ledger>> {
    let purchases = list(store, actor, case_id).await?;
    let Some(cap) = entitlement(store, case_id).await? else {
        return Ok(None);
    };
    let mut lines = Vec::with_capacity(purchases.len());
    for p in &purchases {
        let (Some(status), Ok(local), Ok(programme)) = (
            PurchaseStatus::parse(&p.status),
            Money::of(p.local_minor, &p.local_currency),
            Money::of(p.programme_minor, &p.programme_currency),
        ) else {
            continue;
        };
        lines.push(PurchaseLine {
            status,
            local,
            programme,
        });
    }
    reintegration::ledger(cap, &[], &lines)
        .map(Some)
        .map_err(|e| invalid("ledger", e.code()))
}
