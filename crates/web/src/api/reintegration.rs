//! Reintegration and monitoring: arrival, the plan, vendors, purchases and
//! their receipts, the ledger, follow-ups, RSS surveys, closure and reopening.
//! Who may use each: see `pages::reintegration`, `pages::monitoring` and
//! `pages::vendors`; the store enforces it, so the API and the pages agree.

use super::extract::{parse_id, ApiJson, ApiQuery};
use crate::auth::ApiUser;
use crate::case_access::{need, CaseIn};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use homeward_domain::followups::FollowUpInput;
use homeward_domain::reintegration::{
    ArrivalInput, Ledger, PlanComponentInput, PurchaseRequestInput, VendorInput,
};
use homeward_domain::Invalid;
use homeward_domain::{Action, Resource};
use homeward_store::closure::{self, Closure};
use homeward_store::followups::{self, FollowUp};
use homeward_store::plans::{self, Arrival, Plan};
use homeward_store::purchases::{self, Purchase};
use homeward_store::surveys::{self, Survey};
use homeward_store::vendors::{self, Vendor};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// An amount of money.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Amount {
    /// In minor units (cents).
    pub minor: i64,
    /// ISO 4217.
    pub currency: String,
}

impl From<homeward_domain::money::Money> for Amount {
    fn from(m: homeward_domain::money::Money) -> Amount {
        Amount {
            minor: m.minor,
            currency: m.currency.code().to_string(),
        }
    }
}

/// Totals in one local currency.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LocalAnswer {
    pub currency: String,
    pub requested: Amount,
    pub committed: Amount,
    pub paid: Amount,
}

/// A case's reintegration money.
#[derive(Serialize, utoipa::ToSchema)]
pub struct LedgerAnswer {
    /// The cap from the eligibility decision.
    pub entitlement: Amount,
    /// The plan's total.
    pub budgeted: Amount,
    /// Requested, awaiting finance.
    pub requested: Amount,
    /// Approved, not yet paid.
    pub committed: Amount,
    /// Paid (including delivered).
    pub paid: Amount,
    /// entitlement − committed − paid.
    pub remaining: Amount,
    pub local: Vec<LocalAnswer>,
}

impl From<Ledger> for LedgerAnswer {
    fn from(l: Ledger) -> LedgerAnswer {
        LedgerAnswer {
            entitlement: l.entitlement.into(),
            budgeted: l.budgeted.into(),
            requested: l.requested.into(),
            committed: l.committed.into(),
            paid: l.paid.into(),
            remaining: l.remaining.into(),
            local: l
                .local
                .into_iter()
                .map(|t| LocalAnswer {
                    currency: t.currency.code().to_string(),
                    requested: t.requested.into(),
                    committed: t.committed.into(),
                    paid: t.paid.into(),
                })
                .collect(),
        }
    }
}

/// A plan approval.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"version": 3})))]
pub struct ApprovalBody {
    /// The plan version the supervisor saw (409 if stale).
    pub version: i64,
}

/// A purchase decision.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"to": "approved", "version": 1}),
    json!({"to": "rejected", "reason": "The vendor's quote is older than 30 days", "version": 1})))]
pub struct DecisionBody {
    /// approved, rejected, cancelled or delivered (payment has its own endpoint).
    pub to: String,
    pub reason: Option<String>,
    /// The purchase version the client saw (409 if stale).
    pub version: Option<i64>,
}

/// Switching a vendor off or on.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"active": false})))]
pub struct ActiveBody {
    pub active: bool,
}

/// The vendor filter.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VendorParams {
    /// ISO 3166-1 alpha-2.
    #[param(example = "HU")]
    pub country: Option<String>,
    /// Include vendors switched off.
    pub include_inactive: Option<bool>,
}

/// A follow-up record.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"held_on": "2027-06-14", "outcome": "reached", "contact_mode": "phone",
    "notes": "Working at the bakery; the rent is paid until September.", "version": 1})))]
pub struct FollowUpBody {
    pub held_on: Option<chrono::NaiveDate>,
    /// reached, not_reached, rescheduled or refused.
    pub outcome: Option<String>,
    /// in_person, phone, video, message or third_party.
    pub contact_mode: Option<String>,
    pub notes: Option<String>,
    /// The new date when the outcome is `rescheduled`.
    pub rescheduled_to: Option<chrono::NaiveDate>,
    /// The follow-up version the client saw (409 if stale).
    pub version: Option<i64>,
}

/// An RSS survey.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"surveyed_on": "2027-09-14",
    "answers": {"income_sufficiency": "mostly", "employment": "regular", "debt": "repayable"}})))]
pub struct SurveyBody {
    pub surveyed_on: Option<chrono::NaiveDate>,
    /// Indicator id → answer value, as the questionnaire defines them.
    pub answers: HashMap<String, String>,
}

/// A closure.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"reason": "support_period_ended", "note": "Twelve months of support completed."})))]
pub struct CloseBody {
    /// support_period_ended, no_longer_meets_criteria, opted_out,
    /// left_the_area, died, re_migrated or lost_contact.
    pub reason: String,
    pub note: Option<String>,
}

/// A reopening.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"reason": "Closed by mistake: the returnee was reached on 3 October."})))]
pub struct ReopenBody {
    pub reason: String,
}

/// A payment (`multipart/form-data`): the receipt, and the purchase
/// version the client saw.
// Describes the form only; `pay` reads it field by field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct PaymentForm {
    /// The receipt: a PDF, PNG or JPEG file of at most 10 MB (the type is
    /// read from the bytes).
    #[schema(value_type = String, format = Binary)]
    pub receipt: Vec<u8>,
    /// The purchase version the client saw (409 if stale); optional.
    #[schema(value_type = i64, required = false, example = 2)]
    pub version: Option<i64>,
}

/// The arrival, if confirmed (mission officer, supervisor, finance).
#[utoipa::path(get, path = "/api/v1/cases/{id}/arrival", params(("id" = String, Path)),
    responses((status = 200, body = Option<Arrival>), (status = 404, body = crate::error::Problem)))]
pub async fn get_arrival(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Option<Arrival>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(plans::arrival(&s.store, &a.actor, id).await?))
}

/// Confirms arrival: `{"arrived_on": "2027-03-14", "place": "Budapest"}`
/// (mission officer of the country; the case becomes reintegrating).
#[utoipa::path(post, path = "/api/v1/cases/{id}/arrival", params(("id" = String, Path)),
    request_body = ArrivalInput,
    responses((status = 201, body = Arrival), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn confirm_arrival(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::MissionRecords>,
    ApiJson(b): ApiJson<ArrivalInput>,
) -> Result<(StatusCode, Json<Arrival>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(plans::confirm_arrival(&s.store, &a.actor, id, &b).await?),
    ))
}

/// The reintegration plan.
#[utoipa::path(get, path = "/api/v1/cases/{id}/plan", params(("id" = String, Path)),
    responses((status = 200, body = Plan), (status = 404, body = crate::error::Problem)))]
pub async fn get_plan(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Plan>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(plans::plan(&s.store, &a.actor, id).await?))
}

/// Adds a component: `{"dimension": "economic", "category": "housing",
/// "description": "...", "budget": "500.00"}` (mission officer; within the entitlement).
#[utoipa::path(post, path = "/api/v1/cases/{id}/plan/components", params(("id" = String, Path)),
    request_body = PlanComponentInput,
    responses((status = 201, body = Plan), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn add_component(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::MissionRecords>,
    ApiJson(b): ApiJson<PlanComponentInput>,
) -> Result<(StatusCode, Json<Plan>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(plans::add_component(&s.store, &a.actor, id, &b).await?),
    ))
}

/// Approves the plan (supervisor).
#[utoipa::path(post, path = "/api/v1/cases/{id}/plan/approval", params(("id" = String, Path)), request_body = ApprovalBody,
    responses((status = 200, body = Plan), (status = 409, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn approve_plan(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::ReadReintegration>,
    body: Result<ApiJson<ApprovalBody>, ApiError>,
) -> Result<Json<Plan>, ApiError> {
    if !homeward_domain::reintegration::may_approve_plan(a.actor.role) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let ApiJson(b) = body?;
    Ok(Json(
        plans::approve(&s.store, &a.actor, id, b.version).await?,
    ))
}

/// The case's money (mission officer, supervisor, finance); null without an entitlement.
#[utoipa::path(get, path = "/api/v1/cases/{id}/ledger", params(("id" = String, Path)),
    responses((status = 200, body = Option<LedgerAnswer>), (status = 404, body = crate::error::Problem)))]
pub async fn ledger(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Option<LedgerAnswer>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(
        purchases::ledger(&s.store, &a.actor, id)
            .await?
            .map(Into::into),
    ))
}

/// The case's purchases, oldest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/purchases", params(("id" = String, Path)),
    responses((status = 200, body = [Purchase]), (status = 404, body = crate::error::Problem)))]
pub async fn list_purchases(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Purchase>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(purchases::list(&s.store, &a.actor, id).await?))
}

/// Requests an in-kind purchase from a vendor (mission officer):
/// `{"vendor_id": ..., "category": "housing", "description": "...",
/// "amount": "150000", "currency": "HUF", "rate": "0.0037",
/// "rate_source": "...", "rate_date": "2027-03-20"}`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/purchases", params(("id" = String, Path)),
    request_body = PurchaseRequestInput,
    responses((status = 201, body = Purchase), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn request_purchase(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::MissionRecords>,
    ApiJson(b): ApiJson<PurchaseRequestInput>,
) -> Result<(StatusCode, Json<Purchase>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(purchases::request(&s.store, &a.actor, id, &b).await?),
    ))
}

/// One purchase.
#[utoipa::path(get, path = "/api/v1/purchases/{id}", params(("id" = String, Path)),
    responses((status = 200, body = Purchase), (status = 404, body = crate::error::Problem)))]
pub async fn get_purchase(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Purchase>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(purchases::get(&s.store, &a.actor, id).await?))
}

/// Approves, rejects or cancels (finance, never the requester) or confirms
/// delivery (mission officer). Approval is refused past the entitlement.
#[utoipa::path(post, path = "/api/v1/purchases/{id}/decision", operation_id = "decide_purchase", params(("id" = String, Path)), request_body = DecisionBody,
    responses((status = 200, body = Purchase), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn decide(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<DecisionBody>, ApiError>,
) -> Result<Json<Purchase>, ApiError> {
    let id = parse_id(&id)?;
    // Role and scope before the body: a refused caller's answer never
    // depends on what they sent (docs/access-matrix.md).
    a.actor.require(Resource::Reintegration, Action::Update)?;
    let ApiJson(b) = body?;
    if b.to == "paid" {
        let mut inv = Invalid::default();
        inv.add("receipt", "receipt-required");
        return Err(homeward_store::Error::Invalid(inv).into());
    }
    Ok(Json(
        purchases::decide(
            &s.store,
            &a.actor,
            id,
            &b.to,
            b.reason.as_deref(),
            b.version,
        )
        .await?,
    ))
}

/// Records the payment with its receipt (finance, never the requester):
/// multipart with `receipt` (PDF, PNG or JPEG) and optional `version`.
#[utoipa::path(post, path = "/api/v1/purchases/{id}/payment", operation_id = "pay_purchase", params(("id" = String, Path)),
    request_body(content = PaymentForm, content_type = "multipart/form-data"),
    responses((status = 200, body = Purchase), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn pay(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Purchase>, ApiError> {
    let id = parse_id(&id)?;
    // The role before the body (docs/access-matrix.md).
    a.actor.require(Resource::Reintegration, Action::Update)?;
    let m = m.map_err(|_| ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "multipart"))?;
    let (fields, file) =
        crate::uploads::read_multipart(m, "receipt", homeward_store::attachments::MAX_BYTES)
            .await
            .map_err(|(code, status)| {
                let mut inv = Invalid::default();
                inv.add("receipt", code);
                ApiError {
                    status,
                    code: if status == StatusCode::PAYLOAD_TOO_LARGE {
                        "too-large"
                    } else {
                        "bad-request"
                    },
                    detail: None,
                    invalid: Some(inv),
                }
            })?;
    let version = match fields.get("version").map(|v| v.trim()) {
        None | Some("") => None,
        Some(v) => Some(v.parse::<i64>().map_err(|_| {
            let mut inv = Invalid::default();
            inv.add("version", "not-a-number");
            ApiError::from(homeward_store::Error::Invalid(inv))
        })?),
    };
    let (name, bytes) = file.unwrap_or_default();
    Ok(Json(
        purchases::pay(&s.store, &a.actor, id, version, &name, &bytes).await?,
    ))
}

/// The payment's receipt (finance, supervisor, the mission officer of the country).
#[utoipa::path(get, path = "/api/v1/purchases/{id}/receipt", operation_id = "download_receipt", params(("id" = String, Path)),
    responses((status = 200, description = "The receipt as it was uploaded", content(
            (inline(super::schema::Binary) = "application/pdf"), (inline(super::schema::Binary) = "image/png"), (inline(super::schema::Binary) = "image/jpeg"))),
        (status = 404, body = crate::error::Problem)))]
pub async fn receipt(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let (att, bytes) = purchases::receipt(&s.store, &a.actor, id).await?;
    Ok(crate::uploads::file_response(&att, bytes))
}

/// Which purchases a queue lists.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `requested` (awaiting a decision, the default) or `approved`
    /// (awaiting payment).
    pub status: Option<String>,
}

/// The purchases awaiting finance, oldest first, on the cases in the
/// caller's scope (finance, supervisors, the mission for its country;
/// others 403): `?status=requested` or `?status=approved`.
#[utoipa::path(get, path = "/api/v1/purchases", params(QueueParams),
    responses((status = 200, body = [purchases::Queued]), (status = 400, body = crate::error::Problem),
    (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn purchase_queue(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    ApiQuery(q): ApiQuery<QueueParams>,
) -> Result<Json<Vec<purchases::Queued>>, ApiError> {
    Ok(Json(
        purchases::queue(
            &s.store,
            &a.actor,
            q.status.as_deref().map(str::trim).unwrap_or("requested"),
            500,
        )
        .await?,
    ))
}

/// The vendor registry (mission officers: their country; finance and supervisors: all).
#[utoipa::path(get, path = "/api/v1/vendors", params(VendorParams),
    responses((status = 200, body = [Vendor]), (status = 403, body = crate::error::Problem)))]
pub async fn list_vendors(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    ApiQuery(q): ApiQuery<VendorParams>,
) -> Result<Json<Vec<Vendor>>, ApiError> {
    let country = q.country.map(|c| c.trim().to_uppercase());
    Ok(Json(
        vendors::list(
            &s.store,
            &a.actor,
            country.as_deref().filter(|c| !c.is_empty()),
            q.include_inactive.unwrap_or(false),
        )
        .await?,
    ))
}

/// Registers a vendor: `{"name": ..., "country": "HU", "categories":
/// ["housing"], "contact": ...}` (mission officer of that country, finance).
#[utoipa::path(post, path = "/api/v1/vendors",
    request_body = VendorInput,
    responses((status = 201, body = Vendor), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create_vendor(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    ApiJson(b): ApiJson<VendorInput>,
) -> Result<(StatusCode, Json<Vendor>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(vendors::create(&s.store, &a.actor, &b).await?),
    ))
}

/// Switches a vendor off or on (mission officer of that country, finance).
#[utoipa::path(post, path = "/api/v1/vendors/{id}/active", params(("id" = String, Path)), request_body = ActiveBody,
    responses((status = 200, body = Vendor), (status = 404, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn set_vendor_active(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<ActiveBody>, ApiError>,
) -> Result<Json<Vendor>, ApiError> {
    let id = parse_id(&id)?;
    // Role and scope before the body: a refused caller's answer never
    // depends on what they sent (docs/access-matrix.md).
    a.actor.require(Resource::Reintegration, Action::Update)?;
    if !matches!(
        a.actor.role,
        homeward_domain::Role::MissionOfficer | homeward_domain::Role::Finance
    ) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let ApiJson(b) = body?;
    Ok(Json(
        vendors::set_active(&s.store, &a.actor, id, b.active).await?,
    ))
}

/// The case's follow-ups by due date (mission officer of the country, supervisor).
#[utoipa::path(get, path = "/api/v1/cases/{id}/followups", params(("id" = String, Path)),
    responses((status = 200, body = [FollowUp]), (status = 404, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list_followups(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<FollowUp>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(followups::list(&s.store, &a.actor, id).await?))
}

/// Records a follow-up contact (mission officer of the country).
#[utoipa::path(post, path = "/api/v1/followups/{id}", params(("id" = String, Path)), request_body = FollowUpBody,
    responses((status = 200, body = FollowUp), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn record_followup(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FollowUpBody>,
) -> Result<Json<FollowUp>, ApiError> {
    let id = parse_id(&id)?;
    let input = FollowUpInput {
        held_on: b.held_on,
        outcome: b.outcome,
        contact_mode: b.contact_mode,
        notes: b.notes,
        rescheduled_to: b.rescheduled_to,
    };
    Ok(Json(
        followups::record(&s.store, &a.actor, id, &input, b.version).await?,
    ))
}

/// The active RSS questionnaire (mission officer, supervisor).
#[utoipa::path(get, path = "/api/v1/rss/questionnaire",
    responses((status = 200, description = "the questionnaire (indicators, questions, scales, weights)"), (status = 403, body = crate::error::Problem)))]
pub async fn questionnaire(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
) -> Result<Json<homeward_domain::rss::Questionnaire>, ApiError> {
    use homeward_domain::Role;
    if !matches!(a.actor.role, Role::MissionOfficer | Role::Supervisor) {
        return Err(homeward_store::Error::Forbidden.into());
    }
    Ok(Json(surveys::questionnaire(&s.store).clone()))
}

/// The case's RSS surveys, oldest first (mission officer of the country, supervisor).
#[utoipa::path(get, path = "/api/v1/cases/{id}/surveys", params(("id" = String, Path)),
    responses((status = 200, body = [Survey]), (status = 404, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list_surveys(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Survey>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(surveys::list(&s.store, &a.actor, id).await?))
}

/// Records an RSS survey; the scores are computed and kept with the
/// questionnaire's version (mission officer of the country).
#[utoipa::path(post, path = "/api/v1/cases/{id}/surveys", params(("id" = String, Path)), request_body = SurveyBody,
    responses((status = 201, body = Survey), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn record_survey(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::CreateReintegration>,
    body: Result<ApiJson<SurveyBody>, ApiError>,
) -> Result<(StatusCode, Json<Survey>), ApiError> {
    if a.actor.role != homeward_domain::Role::MissionOfficer {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let ApiJson(b) = body?;
    Ok((
        StatusCode::CREATED,
        Json(surveys::record(&s.store, &a.actor, id, b.surveyed_on, &b.answers).await?),
    ))
}

/// The case's closures, newest first.
#[utoipa::path(get, path = "/api/v1/cases/{id}/closures", params(("id" = String, Path)),
    responses((status = 200, body = [Closure]), (status = 404, body = crate::error::Problem)))]
pub async fn closures(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Closure>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(closure::history(&s.store, &a.actor, id).await?))
}

/// Closes a returned case with a reason (mission officer of the country, supervisor).
#[utoipa::path(post, path = "/api/v1/cases/{id}/closure", params(("id" = String, Path)), request_body = CloseBody,
    responses((status = 204), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn close(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::CloseCase>,
    body: Result<ApiJson<CloseBody>, ApiError>,
) -> Result<StatusCode, ApiError> {
    let ApiJson(b) = body?;
    closure::close(&s.store, &a.actor, id, &b.reason, b.note.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reopens a case closed after return (mission officer of the country, supervisor).
#[utoipa::path(post, path = "/api/v1/cases/{id}/reopen", params(("id" = String, Path)), request_body = ReopenBody,
    responses((status = 204), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn reopen(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::CloseCase>,
    body: Result<ApiJson<ReopenBody>, ApiError>,
) -> Result<StatusCode, ApiError> {
    let ApiJson(b) = body?;
    closure::reopen(&s.store, &a.actor, id, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
