//! Staff accounts for administrators (issue 21): create, read, change role
//! and programmes, deactivate or reactivate, reset two-factor sign-in.
//!
//! Who may: admins only (`User`/`Manage`); every other role is refused
//! with 403 before the body is read. Every change is in the audit trail.

use super::extract::{parse_id, ApiJson};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::{Action, Resource};
use homeward_store::users::{self, NewUser, User};
use serde::Deserialize;

fn manage(a: &crate::auth::Auth) -> Result<(), ApiError> {
    Ok(a.actor.require(Resource::User, Action::Manage)?)
}

/// A new staff account.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"email": "a.tremblay@example.org", "name": "Anne Tremblay", "role": "counsellor",
    "team": "north", "language": "fr", "password": "a long first password to change", "programmes": ["gta-2012"]})))]
pub struct NewUserBody {
    pub email: String,
    pub name: String,
    /// counsellor, supervisor, cbsa_officer, mission_officer, finance, analyst, admin or auditor.
    pub role: String,
    pub team: Option<String>,
    /// ISO 3166 alpha-2; required for mission officers (their country of return).
    pub country: Option<String>,
    /// en or fr (en when left out).
    pub language: Option<String>,
    pub password: String,
    /// Codes of the programmes the user works in; left out, the first
    /// programme created. Admins and auditors work across all of them.
    #[serde(default)]
    pub programmes: Vec<String>,
}

/// A new role.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"role": "supervisor", "version": 1})))]
pub struct RoleBody {
    pub role: String,
    /// The user's version as read (409 if stale).
    pub version: i64,
}

/// The programmes a user works in.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"programmes": ["gta-2012", "bru-2027"], "version": 2})))]
pub struct ProgrammesBody {
    /// At least one programme code.
    pub programmes: Vec<String>,
    /// The user's version as read (409 if stale).
    pub version: i64,
}

/// Switching an account off or on.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"active": false, "version": 3})))]
pub struct ActiveBody {
    /// false ends the user's sessions and revokes their API tokens.
    pub active: bool,
    /// The user's version as read (409 if stale).
    pub version: i64,
}

/// Every staff account, by name. Admins only.
#[utoipa::path(get, path = "/api/v1/users", operation_id = "list_users",
    responses((status = 200, body = Vec<User>), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
) -> Result<Json<Vec<User>>, ApiError> {
    manage(&a)?;
    Ok(Json(users::list(&state.store, &a.actor).await?))
}

/// Creates a staff account; 422 names every problem. Admins only.
#[utoipa::path(post, path = "/api/v1/users", operation_id = "create_user", request_body = NewUserBody,
    responses((status = 201, body = User), (status = 403, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    body: Result<ApiJson<NewUserBody>, ApiError>,
) -> Result<(StatusCode, Json<User>), ApiError> {
    manage(&a)?;
    let ApiJson(b) = body?;
    let n = NewUser {
        email: b.email,
        name: b.name,
        role: b.role,
        team: b.team,
        country: b.country,
        language: b.language,
        password: b.password,
        programmes: b.programmes,
    };
    let u = users::create(&state.store, Some(&a.actor), &n).await?;
    Ok((StatusCode::CREATED, Json(u)))
}

/// One staff account. Admins only.
#[utoipa::path(get, path = "/api/v1/users/{id}", operation_id = "get_user", params(("id" = String, Path)),
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<User>, ApiError> {
    manage(&a)?;
    let id = parse_id(&id)?;
    Ok(Json(users::get(&state.store, id).await?))
}

/// Changes a user's role (never one's own). Admins only.
#[utoipa::path(put, path = "/api/v1/users/{id}/role", operation_id = "set_user_role", params(("id" = String, Path)),
    request_body = RoleBody,
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_role(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<RoleBody>, ApiError>,
) -> Result<Json<User>, ApiError> {
    manage(&a)?;
    let id = parse_id(&id)?;
    let ApiJson(b) = body?;
    Ok(Json(
        users::set_role(&state.store, &a.actor, id, &b.role, b.version).await?,
    ))
}

/// Changes the programmes a user works in. Admins only.
#[utoipa::path(put, path = "/api/v1/users/{id}/programmes", operation_id = "set_user_programmes", params(("id" = String, Path)),
    request_body = ProgrammesBody,
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_programmes(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<ProgrammesBody>, ApiError>,
) -> Result<Json<User>, ApiError> {
    manage(&a)?;
    let id = parse_id(&id)?;
    let ApiJson(b) = body?;
    Ok(Json(
        users::set_programmes(&state.store, &a.actor, id, &b.programmes, b.version).await?,
    ))
}

/// Deactivates (ending their sessions and tokens) or reactivates a user;
/// never oneself. Admins only.
#[utoipa::path(put, path = "/api/v1/users/{id}/active", operation_id = "set_user_active", params(("id" = String, Path)),
    request_body = ActiveBody,
    responses((status = 200, body = User), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn set_active(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<ActiveBody>, ApiError>,
) -> Result<Json<User>, ApiError> {
    manage(&a)?;
    let id = parse_id(&id)?;
    let ApiJson(b) = body?;
    Ok(Json(
        users::set_active(&state.store, &a.actor, id, b.active, b.version).await?,
    ))
}

/// Turns a user's two-factor sign-in off (a lost phone) and ends their
/// sessions; they enrol again at their next sign-in. Admins only.
#[utoipa::path(delete, path = "/api/v1/users/{id}/two-factor", operation_id = "reset_user_two_factor", params(("id" = String, Path)),
    responses((status = 204), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem)))]
pub async fn reset_two_factor(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    manage(&a)?;
    let id = parse_id(&id)?;
    homeward_store::two_factor::reset(&state.store, &a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
