//! `/api/v1/cases`: read by counsellor, supervisor, cbsa_officer,
//! mission_officer and finance within their record scope; create by
//! counsellor, supervisor and cbsa_officer; update by counsellor and
//! supervisor; transitions as the workflow allows each role.

use super::extract::{int_param, parse_id, ApiJson};
use crate::auth::ApiUser;
use crate::case_access::{need, CaseIn};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::person::PersonInput;
use homeward_domain::CaseStatus;
use homeward_store::cases::{
    self, CaseDetail, CaseFilter, CaseInput, CaseSummary, CaseUpdate, TimelineEntry,
};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A page of cases.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CasePage {
    pub items: Vec<CaseSummary>,
    /// Every matching case, or a lower bound when `total_is_lower_bound`.
    pub total: i64,
    /// The free text `q` is a common word and more cases match than were
    /// counted (`total` is then the count cap): narrow the search.
    pub total_is_lower_bound: bool,
    pub page: i64,
    pub per_page: i64,
}

/// A workflow step request.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"to": "counselling", "version": 2}),
    json!({"to": "withdrawn", "reason": "The client decided to stay with family in Canada", "version": 5})))]
pub struct TransitionBody {
    /// Target status.
    pub to: String,
    /// Required for refusals, withdrawals and closures.
    pub reason: Option<String>,
    /// The case version the client saw; a stale one answers 409.
    pub version: Option<i64>,
}

/// A new family member.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"relationship": "child", "person": {"given_names": "Bence", "family_name": "Horváth",
    "sex": "male", "date_of_birth": "2009-02-20", "nationalities": ["HU"]}})))]
pub struct MemberBody {
    /// spouse, child, parent, sibling or other.
    pub relationship: String,
    pub person: PersonInput,
}

fn bad(code: &'static str, detail: &str) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, code).detail(detail.to_string())
}

/// Cases in scope, filtered, sorted and paged.
#[utoipa::path(get, path = "/api/v1/cases", operation_id = "list_cases",
    params(("status" = Option<String>, Query), ("country" = Option<String>, Query), ("programme" = Option<String>, Query),
           ("counsellor_id" = Option<String>, Query), ("q" = Option<String>, Query), ("sort" = Option<String>, Query, description = "updated_at, case_number, name, status or referred_at"),
           ("desc" = Option<bool>, Query), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, body = CasePage), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<CasePage>, ApiError> {
    let page = int_param(&q, "page", 1, 1, 1_000_000)?;
    let per_page = int_param(&q, "per_page", 25, 1, 200)?;
    if let Some(s) = q.get("status") {
        if CaseStatus::parse(s).is_none() {
            return Err(bad("invalid-parameter", "unknown status"));
        }
    }
    if let Some(s) = q.get("sort") {
        if !cases::SORTS.contains(&s.as_str()) {
            return Err(bad("invalid-parameter", "unknown sort key"));
        }
    }
    let desc = match q.get("desc").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(bad("invalid-parameter", "desc must be true or false")),
    };
    let counsellor_id = match q.get("counsellor_id") {
        None => None,
        Some(s) => Some(
            uuid::Uuid::parse_str(s)
                .map_err(|_| bad("invalid-parameter", "counsellor_id must be a UUID"))?,
        ),
    };
    let f = CaseFilter {
        status: q.get("status").cloned(),
        country: q.get("country").cloned(),
        programme: q.get("programme").cloned(),
        counsellor_id,
        unassigned: false,
        q: q.get("q").map(|s| s.chars().take(100).collect()),
        sort: q.get("sort").cloned(),
        desc,
        page,
        per_page,
    };
    let l = cases::list_page(&state.store, &a.actor, &f).await?;
    Ok(Json(CasePage {
        items: l.rows,
        total: l.total,
        total_is_lower_bound: l.total_is_lower_bound,
        page,
        per_page,
    }))
}

/// Opens a case (status `referred`) with a new or existing principal applicant.
#[utoipa::path(post, path = "/api/v1/cases", operation_id = "create_case", request_body = CaseInput,
    responses((status = 201, body = CaseDetail), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    ApiJson(input): ApiJson<CaseInput>,
) -> Result<(StatusCode, Json<CaseDetail>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(cases::create(&state.store, &a.actor, &input).await?),
    ))
}

/// One case with its people and timeline (404 when out of scope). The read is audited.
#[utoipa::path(get, path = "/api/v1/cases/{id}", operation_id = "get_case", params(("id" = String, Path)),
    responses((status = 200, body = CaseDetail), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<CaseDetail>, ApiError> {
    let id = parse_id(&id)?;
    let c = cases::get(&state.store, &a.actor, id).await?;
    homeward_store::audit::record_read(&state.store, &a.actor, "case", id, Some(id)).await?;
    Ok(Json(c))
}

/// Changes country of return, locality or counsellor; a stale `version` answers 409.
#[utoipa::path(patch, path = "/api/v1/cases/{id}", operation_id = "update_case", params(("id" = String, Path)), request_body = CaseUpdate,
    responses((status = 200, body = CaseDetail), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::UpdateCase>,
    body: Result<ApiJson<CaseUpdate>, ApiError>,
) -> Result<Json<CaseDetail>, ApiError> {
    let ApiJson(u) = body?;
    Ok(Json(cases::update(&state.store, &a.actor, id, &u).await?))
}

/// The case's workflow history.
#[utoipa::path(get, path = "/api/v1/cases/{id}/transitions", params(("id" = String, Path)),
    responses((status = 200, body = Vec<TimelineEntry>), (status = 404, body = crate::error::Problem)))]
pub async fn timeline(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<TimelineEntry>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(cases::get(&state.store, &a.actor, id).await?.timeline))
}

/// Moves the case to another status, if the workflow allows it for this role.
#[utoipa::path(post, path = "/api/v1/cases/{id}/transitions", params(("id" = String, Path)), request_body = TransitionBody,
    responses((status = 200, body = CaseDetail), (status = 403, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn transition(
    State(state): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::TransitionCase>,
    body: Result<ApiJson<TransitionBody>, ApiError>,
) -> Result<Json<CaseDetail>, ApiError> {
    let ApiJson(b) = body?;
    Ok(Json(
        cases::transition(
            &state.store,
            &a.actor,
            id,
            &b.to,
            b.reason.as_deref(),
            b.version,
        )
        .await?,
    ))
}

/// Adds a family member to the case.
#[utoipa::path(post, path = "/api/v1/cases/{id}/members", params(("id" = String, Path)), request_body = MemberBody,
    responses((status = 201, body = CaseDetail), (status = 422, body = crate::error::Problem)))]
pub async fn add_member(
    State(state): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::AddMember>,
    body: Result<ApiJson<MemberBody>, ApiError>,
) -> Result<(StatusCode, Json<CaseDetail>), ApiError> {
    let ApiJson(b) = body?;
    Ok((
        StatusCode::CREATED,
        Json(cases::add_member(&state.store, &a.actor, id, &b.relationship, &b.person).await?),
    ))
}
