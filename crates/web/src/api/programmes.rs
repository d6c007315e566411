//! Programmes and their versioned rules (issue 21). Reading a programme or
//! its rules: any staff role that may read programmes (configuration, no
//! case data). Creating or changing one, adding a version of its rules or
//! previewing one: admins only, refused before the body is read.

use super::extract::ApiJson;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::programme::ProgrammeInput;
use homeward_domain::{Action, Resource};
use homeward_store::programmes::rules::{self, Change, RuleVersion};
use homeward_store::programmes::{self, Programme};
use serde::Serialize;

fn manage(a: &crate::auth::Auth) -> Result<(), ApiError> {
    Ok(a.actor.require(Resource::Programme, Action::Manage)?)
}

/// One programme: its settings, including `time_zone`, `currency` and
/// `referring_authority`. Any staff role.
#[utoipa::path(get, path = "/api/v1/programmes/{code}", operation_id = "get_programme", params(("code" = String, Path)),
    responses((status = 200, body = Programme), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Programme>, ApiError> {
    a.actor.require(Resource::Programme, Action::Read)?;
    Ok(Json(programmes::by_code(&state.store, &code).await?))
}

/// Creates a programme from its settings and, in `rules`, its first rule
/// document (docs/rules.md). Every problem with either is named in one 422;
/// nothing is kept unless all is well. Admins only.
#[utoipa::path(post, path = "/api/v1/programmes", operation_id = "create_programme", request_body = ProgrammeInput,
    responses((status = 201, body = Programme), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    body: Result<ApiJson<ProgrammeInput>, ApiError>,
) -> Result<(StatusCode, Json<Programme>), ApiError> {
    manage(&a)?;
    let ApiJson(input) = body?;
    let p = programmes::create(&state.store, &a.actor, &input, input.rules.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(p)))
}

/// Changes a programme's settings; `version` must be the one read (409
/// otherwise). The code never changes, nor the currency once it has rules.
/// Admins only.
#[utoipa::path(patch, path = "/api/v1/programmes/{code}", operation_id = "update_programme", params(("code" = String, Path)),
    request_body = ProgrammeInput,
    responses((status = 200, body = Programme), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(code): Path<String>,
    body: Result<ApiJson<ProgrammeInput>, ApiError>,
) -> Result<Json<Programme>, ApiError> {
    manage(&a)?;
    let ApiJson(input) = body?;
    let Some(version) = input.version else {
        return Err(homeward_store::Error::invalid("version", "required").into());
    };
    Ok(Json(
        programmes::update(&state.store, &a.actor, &code, &input, version).await?,
    ))
}

/// The rule document in force today (in the programme office's zone); for
/// a programme that has closed, its last. Any staff role.
#[utoipa::path(get, path = "/api/v1/programmes/{code}/rules", operation_id = "programme_rules", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::error::Problem)))]
pub async fn in_force(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    a.actor.require(Resource::Programme, Action::Read)?;
    let p = programmes::by_code(&state.store, &code).await?;
    let today = homeward_store::now().with_timezone(&p.tz()).date_naive();
    Ok(Json(
        rules::in_force(&state.store, &a.actor, &code, today)
            .await?
            .rules,
    ))
}

/// Every version of the programme's rules, oldest first. Any staff role.
#[utoipa::path(get, path = "/api/v1/programmes/{code}/rules/versions", operation_id = "list_rule_versions", params(("code" = String, Path)),
    responses((status = 200, body = Vec<RuleVersion>), (status = 404, body = crate::error::Problem)))]
pub async fn versions(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(code): Path<String>,
) -> Result<Json<Vec<RuleVersion>>, ApiError> {
    Ok(Json(rules::list(&state.store, &a.actor, &code).await?))
}

/// One version of the programme's rules. Any staff role.
#[utoipa::path(get, path = "/api/v1/programmes/{code}/rules/versions/{version}", operation_id = "get_rule_version",
    params(("code" = String, Path), ("version" = i64, Path)),
    responses((status = 200, body = RuleVersion), (status = 404, body = crate::error::Problem)))]
pub async fn version(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path((code, version)): Path<(String, String)>,
) -> Result<Json<RuleVersion>, ApiError> {
    let version: i64 = version.parse().map_err(|_| ApiError::not_found())?;
    Ok(Json(
        rules::get(&state.store, &a.actor, &code, version).await?,
    ))
}

/// Adds the next version of the programme's rules: the body is the rule
/// document, taking effect on its `effective_from`. Stored evaluations keep
/// the version that made them. Admins only.
#[utoipa::path(post, path = "/api/v1/programmes/{code}/rules/versions", operation_id = "add_rule_version", params(("code" = String, Path)),
    request_body = homeward_domain::eligibility::RuleSet,
    responses((status = 201, body = RuleVersion), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn add(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(code): Path<String>,
    body: Result<ApiJson<serde_json::Value>, ApiError>,
) -> Result<(StatusCode, Json<RuleVersion>), ApiError> {
    manage(&a)?;
    let ApiJson(doc) = body?;
    let v = rules::add(&state.store, &a.actor, &code, &doc).await?;
    Ok((StatusCode::CREATED, Json(v)))
}

/// What a new version would change.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Preview {
    /// The number it would take.
    pub version: u32,
    pub effective_from: chrono::NaiveDate,
    /// The open cases it would answer differently, old and new side by side.
    pub changes: Vec<Change>,
}

/// Checks a rule document as adding it would, and lists the open cases it
/// would answer differently (eligibility or amount); nothing is written.
/// Admins only.
#[utoipa::path(post, path = "/api/v1/programmes/{code}/rules/preview", operation_id = "preview_rule_version", params(("code" = String, Path)),
    request_body = homeward_domain::eligibility::RuleSet,
    responses((status = 200, body = Preview), (status = 403, body = crate::error::Problem), (status = 404, body = crate::error::Problem),
              (status = 422, body = crate::error::Problem)))]
pub async fn preview(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(code): Path<String>,
    body: Result<ApiJson<serde_json::Value>, ApiError>,
) -> Result<Json<Preview>, ApiError> {
    manage(&a)?;
    let ApiJson(doc) = body?;
    let (rs, changes) = rules::preview(&state.store, &a.actor, &code, &doc).await?;
    Ok(Json(Preview {
        version: rs.version,
        effective_from: rs.effective_from,
        changes,
    }))
}
