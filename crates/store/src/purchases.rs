//! In-kind reintegration purchases: requested by the mission officer in local
//! currency at a recorded exchange rate, approved, paid and cancelled by
//! finance (never by whoever requested it), delivered with the returnee. The
//! case's entitlement caps what is approved or paid, and holds under
//! concurrency: every approval first updates the case's budget row, so
//! approvals on one case run one after the other on either database, and the
//! sum is read after that lock.
//!
//! Each purchase goes to a registered vendor of the case's country
//! ([`crate::vendors`]); a payment is recorded with its receipt, stored as an
//! attachment of kind `receipt` in the same transaction.
//!
//! Who may: mission officers (their country) request, cancel and confirm
//! delivery; finance approves, rejects, pays and cancels approved purchases;
//! supervisors read. CBSA, counsellors and the others are refused.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{attachments, on_db, on_tx, plans, vendors, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::money::Money;
use homeward_domain::reintegration::{
    self, Category, Dimension, Ledger, PlanComponent, PurchaseLine, PurchaseMoveFacts,
    PurchaseRequestFacts, PurchaseRequestInput, PurchaseStatus,
};
use homeward_domain::{Action, CaseStatus, Resource};
use serde::Serialize;
use serde_json::json;
use sha2::Digest;
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
    /// The vendor IOM pays (none only on purchases from before vendors were required).
    pub vendor_id: Option<Uuid>,
    pub vendor_name: Option<String>,
    pub requested_by_name: Option<String>,
    pub decided_by_name: Option<String>,
    /// Why it goes above its category's line in the plan (the approver is
    /// warned); none when it stays within it.
    pub over_plan_reason: Option<String>,
}

const COLUMNS: &str = "SELECT p.id, p.case_id, p.category, p.description, p.local_minor, p.local_currency, \
    p.rate_numerator, p.rate_denominator, p.rate_source, p.rate_date, p.programme_minor, p.programme_currency, \
    p.status, p.reason, p.requested_by, p.requested_at, p.decided_by, p.decided_at, p.receipt_attachment_id, \
    p.version, p.vendor_id, v.name AS vendor_name, ru.name AS requested_by_name, du.name AS decided_by_name, \
    p.over_plan_reason";
const FROM: &str = " FROM purchases p LEFT JOIN vendors v ON v.id = p.vendor_id \
    LEFT JOIN users ru ON ru.id = p.requested_by LEFT JOIN users du ON du.id = p.decided_by";

/// Records a purchase request for a returned case, from a registered vendor
/// (`vendor`: `required`, `unknown-vendor`, `vendor-inactive`,
/// `vendor-other-country`, `vendor-category`), as
/// `reintegration::decide_purchase_request` decides.
///
/// Who may: the mission officer of the case's country.
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
    let case = scope::summary(store, actor, case_id.into()).await?;
    let case_status = CaseStatus::parse(&case.status).ok_or(Error::NotFound)?;
    let entitlement = crate::entitlement::entitlement(store, case_id).await?;
    let vendor = match input.vendor_id {
        Some(vid) => vendors::find(store, vid)
            .await?
            .map(|v| (v.to_domain(), v.active)),
        None => None,
    };
    let plan_line = match (&entitlement, input.category.as_deref().map(str::trim)) {
        (Some(cap), Some(category)) => plan_line(store, case_id, category, cap.currency).await?,
        _ => None,
    };
    let d = reintegration::decide_purchase_request(
        input,
        &PurchaseRequestFacts {
            case_status,
            entitlement,
            country_of_return: case.country_of_return.as_deref(),
            vendor: vendor.as_ref().map(|(v, active)| (v, *active)),
            today: crate::now().date_naive(),
            plan_line,
        },
    )?;
    let (r, cap, vendor_id) = (&d.request, d.entitlement, d.vendor_id);
    let (num, den) = (d.rate_numerator, d.rate_denominator);
    let id = Uuid::new_v4();
    let now = crate::now();
    let mut tx = store.begin().await?;
    // Takes the case row (a no-op update) so a closure running at the same
    // time either sees this request or makes it fail here: no request is
    // left open on a closed case (see `closure::close`). The statuses are
    // those of `reintegration::takes_purchases`.
    let open = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE cases SET status = status WHERE id = $1 AND status IN ('departed', 'reintegrating', 'monitoring')")
        .bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    if open == 0 {
        return Err(Error::invalid("case", "case-not-returned"));
    }
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO reintegration_budgets (case_id, entitlement_minor, currency, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (case_id) DO UPDATE SET entitlement_minor = $2, currency = $3")
        .bind(case_id).bind(cap.minor).bind(cap.currency.code()).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO purchases (id, case_id, category, description, local_minor, local_currency, rate_numerator, \
         rate_denominator, rate_source, rate_date, rate_entered_by, rate_entered_at, programme_minor, programme_currency, \
         status, requested_by, requested_at, vendor_id, over_plan_reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'requested', $11, $12, $15, $16)")
        .bind(id).bind(case_id).bind(r.category.as_str()).bind(&r.description).bind(r.local.minor)
        .bind(r.local.currency.code()).bind(num).bind(den).bind(&r.rate_source).bind(r.rate_date)
        .bind(actor.user_id).bind(now).bind(r.programme.minor).bind(r.programme.currency.code()).bind(vendor_id)
        .bind(&d.over_plan_reason)
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
                "rate": format!("{}/{}", num, den), "rate_source": r.rate_source, "vendor_id": vendor_id,
                "over_plan_reason": d.over_plan_reason,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The plan's line for `category` on the case, in the programme's
/// `currency`: its budget (zero when the plan has components but none of
/// this category) and what the case's live purchases already hold in it.
/// `None` when the case has no plan components yet.
async fn plan_line(
    store: &Store,
    case_id: Uuid,
    category: &str,
    currency: homeward_domain::money::Currency,
) -> Result<Option<reintegration::PlanLine>> {
    let (components, budget): (i64, Option<i64>) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT COUNT(*), CAST(SUM(CASE WHEN category = $2 AND currency = $3 THEN budget_minor ELSE 0 END) AS BIGINT) \
         FROM plan_components WHERE case_id = $1")
        .bind(case_id).bind(category).bind(currency.code()).fetch_one(p).await)?;
    if components == 0 {
        return Ok(None);
    }
    let used: Option<i64> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT CAST(SUM(programme_minor) AS BIGINT) FROM purchases WHERE case_id = $1 AND category = $2 \
         AND status IN ('requested', 'approved', 'paid', 'delivered')")
        .bind(case_id).bind(category).fetch_one(p).await)?;
    Ok(Some(reintegration::PlanLine {
        budget: Money::new(budget.unwrap_or(0), currency),
        used: Money::new(used.unwrap_or(0), currency),
    }))
}

/// One purchase, if its case is in the actor's scope.
///
/// Who may: mission officers (their country), finance and supervisors.
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Purchase> {
    actor.require(Resource::Reintegration, Action::Read)?;
    let p: Option<Purchase> = on_db!(&store.db, p => sqlx::query_as::<_, Purchase>(&format!("{COLUMNS}{FROM} WHERE p.id = $1"))
        .bind(id).fetch_optional(p).await)?;
    let p = p.ok_or(Error::NotFound)?;
    scope::summary(store, actor, p.case_id.into()).await?;
    Ok(p)
}

/// The case's purchases, oldest first.
///
/// Who may: as [`get`].
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Purchase>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    actor.require(Resource::Reintegration, Action::Read)?;
    scope::summary(store, actor, case).await?;
    Ok(
        on_db!(&store.db, p => sqlx::query_as::<_, Purchase>(&format!(
        "{COLUMNS}{FROM} WHERE p.case_id = $1 ORDER BY p.requested_at, p.id"))
        .bind(case_id).fetch_all(p).await)?,
    )
}

/// One purchase of a queue, with its case.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Queued {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub purchase: Purchase,
    pub case_number: String,
    pub principal_name: String,
    pub country_of_return: Option<String>,
}

/// The purchases in `status` (`requested`: awaiting finance's decision;
/// `approved`: awaiting payment) on the cases in the actor's scope, oldest
/// first, at most `limit` (`status`: `invalid-choice` for any other).
///
/// Who may: as [`get`] (finance across its programmes, supervisors, the
/// mission for its country).
pub async fn queue(store: &Store, actor: &Actor, status: &str, limit: i64) -> Result<Vec<Queued>> {
    actor.require(Resource::Reintegration, Action::Read)?;
    if !matches!(status, "requested" | "approved") {
        return Err(Error::invalid("status", "invalid-choice"));
    }
    let mut q = crate::sql::Sql::new(&format!(
        "{COLUMNS}, c.case_number, c.principal_name, c.country_of_return{FROM} \
         JOIN cases c ON c.id = p.case_id WHERE p.status = "
    ));
    q.bind(crate::sql::Param::Text(status.into()));
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY p.requested_at, p.id LIMIT ")
        .bind(crate::sql::Param::I64(limit.clamp(1, 1000)));
    Ok(
        on_db!(&store.db, p => crate::bind_params!(sqlx::query_as::<_, Queued>(&q.text), q.params).fetch_all(p).await)?,
    )
}

/// Moves a purchase to `to` (approved, rejected, cancelled, paid, delivered).
/// An approval that would take the case past its entitlement is refused
/// (`amount`: `purchase-exceeds-entitlement`), however many run at once.
/// Paying needs a receipt: use [`pay`] (here `to`: `receipt-required`).
///
/// Who may: as `reintegration::check_purchase_transition` (finance decides,
/// never on their own request; the mission cancels and confirms delivery).
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
    let to = reintegration::purchase_target(to)?;
    let from = PurchaseStatus::parse(&p.status).ok_or(Error::NotFound)?;
    if version.is_some_and(|v| v != p.version) {
        return Err(Error::Conflict);
    }
    let facts = PurchaseMoveFacts {
        from,
        role: actor.role,
        actor_is_requester: p.requested_by == actor.user_id,
        has_receipt: p.receipt_attachment_id.is_some(),
    };
    let reason = reintegration::decide_purchase_move(&facts, to, reason)?;
    let now = crate::now();
    let mut tx = store.begin().await?;
    // The lock: concurrent decisions on one case queue here.
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE reintegration_budgets SET version = version + 1, updated_at = $1 WHERE case_id = $2")
        .bind(now).bind(p.case_id).execute(c).await.map(|r| r.rows_affected()))?;
    if to == PurchaseStatus::Approved {
        let budget: Option<(i64, String)> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT entitlement_minor, currency FROM reintegration_budgets WHERE case_id = $1")
            .bind(p.case_id).fetch_optional(c).await)?;
        let spent: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT CAST(COALESCE(SUM(programme_minor), 0) AS BIGINT) FROM purchases WHERE case_id = $1 \
             AND status IN ('approved', 'paid', 'delivered')")
            .bind(p.case_id).fetch_one(c).await)?;
        reintegration::decide_approval(
            budget.as_ref().map(|(minor, cur)| (*minor, cur.as_str())),
            spent,
            p.programme_minor,
        )?;
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

/// The case's money: entitlement, budgeted (the plan's total), requested,
/// committed, paid, remaining. None without an entitlement.
///
/// Who may: as [`get`].
pub async fn ledger(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Option<Ledger>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    let purchases = list(store, actor, case).await?;
    let Some(cap) = crate::entitlement::entitlement(store, case_id).await? else {
        return Ok(None);
    };
    let plan: Vec<PlanComponent> = plans::plan(store, actor, case)
        .await?
        .components
        .iter()
        .filter_map(|c| {
            Some(PlanComponent {
                dimension: Dimension::parse(&c.dimension)?,
                category: Category::parse(&c.category)?,
                description: c.description.clone(),
                budget: Money::of(c.budget_minor, &c.currency).ok()?,
            })
        })
        .collect();
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
    reintegration::ledger(cap, &plan, &lines)
        .map(Some)
        .map_err(|e| Error::invalid("ledger", e.code()))
}

/// Records the payment of an approved purchase together with its receipt
/// (PDF, PNG or JPEG, recognised from the content: `receipt`: `required`,
/// `file-too-large`, `file-type`). The receipt is kept as an attachment of
/// kind `receipt` on the case; its row and the purchase's new status are
/// written in one transaction, and on any failure neither the row nor the
/// file remains. A stale `version` is a conflict.
///
/// Who may: finance, never on a request of their own (`to`: `four-eyes`);
/// others as `reintegration::check_purchase_transition` (`to`:
/// `purchase-transition-forbidden`, `purchase-transition-not-allowed`).
pub async fn pay(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    version: Option<i64>,
    file_name: &str,
    bytes: &[u8],
) -> Result<Purchase> {
    actor.require(Resource::Reintegration, Action::Update)?;
    let p = get(store, actor, id).await?;
    let from = PurchaseStatus::parse(&p.status).ok_or(Error::NotFound)?;
    if version.is_some_and(|v| v != p.version) {
        return Err(Error::Conflict);
    }
    let facts = PurchaseMoveFacts {
        from,
        role: actor.role,
        actor_is_requester: p.requested_by == actor.user_id,
        has_receipt: p.receipt_attachment_id.is_some(),
    };
    let content_type = reintegration::decide_payment(&facts, bytes)?;
    let attachment_id = Uuid::new_v4();
    let key = Uuid::new_v4().simple().to_string();
    let sha = hex::encode(sha2::Sha256::digest(bytes));
    let name = homeward_domain::files::served_name(file_name, content_type, "receipt");
    let sealed_name = attachments::seal_name(store, attachment_id, &name)?;
    // Same place, naming and sealing as `attachments`, so receipts open like any attachment.
    attachments::write_file(store, &key, bytes).await?;
    let file = store.data_dir.join("attachments").join(&key);
    let now = crate::now();
    let written: Result<()> = async {
        let mut tx = store.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO attachments (id, case_id, kind, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_at) \
             VALUES ($1, $2, 'receipt', $3, $4, $5, $6, $7, $8, $9)")
            .bind(attachment_id).bind(p.case_id).bind(&sealed_name).bind(content_type).bind(bytes.len() as i64).bind(&sha)
            .bind(&key).bind(actor.user_id).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE purchases SET status = 'paid', receipt_attachment_id = $1, paid_by = $2, paid_at = $3, \
             version = version + 1 WHERE id = $4 AND status = $5 AND version = $6")
            .bind(attachment_id).bind(actor.user_id).bind(now).bind(id).bind(from.as_str()).bind(p.version)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::Conflict);
        }
        audit::record(&mut tx, Some(actor), Entry {
            action: "upload", entity: "attachment", entity_id: Some(attachment_id.to_string()), case_id: Some(p.case_id),
            before: None,
            after: Some(json!({"kind": "receipt", "content_type": content_type,
                "size_bytes": bytes.len(), "sha256": sha, "purchase_id": id})),
        }).await?;
        audit::record(&mut tx, Some(actor), Entry {
            action: "transition", entity: "purchase", entity_id: Some(id.to_string()), case_id: Some(p.case_id),
            before: Some(json!({"status": from.as_str()})),
            after: Some(json!({"status": "paid", "receipt_attachment_id": attachment_id})),
        }).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        // Nothing half-written: no row, so no file either.
        let _ = tokio::fs::remove_file(&file).await;
        return Err(e);
    }
    get(store, actor, id).await
}

/// The receipt of a paid purchase and its bytes; the download is audited.
/// NotFound if the purchase is out of scope or has no receipt.
///
/// Who may: finance, supervisors and the mission officer of the case's
/// country (finance reads receipts though it reads no other attachment).
/// CBSA, counsellors and the others are refused.
pub async fn receipt(
    store: &Store,
    actor: &Actor,
    purchase_id: Uuid,
) -> Result<(attachments::Attachment, Vec<u8>)> {
    let p = get(store, actor, purchase_id).await?;
    let aid = p.receipt_attachment_id.ok_or(Error::NotFound)?;
    let a: attachments::Attachment = on_db!(&store.db, c => sqlx::query_as::<_, attachments::Attachment>(
        "SELECT a.id, a.kind, a.file_name, a.content_type, a.size_bytes, a.sha256, u.name AS uploaded_by_name, \
         a.uploaded_at, a.storage_key FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by \
         WHERE a.id = $1 AND a.case_id = $2")
        .bind(aid).bind(p.case_id).fetch_optional(c).await)?
    .ok_or(Error::NotFound)?;
    let a = attachments::reveal(store, a)?;
    let bytes = attachments::read_file(store, &a.storage_key).await?;
    audit::record_read(store, actor, "attachment", aid, Some(p.case_id)).await?;
    Ok((a, bytes))
}
