//! Case list exports over the API. Who may: as on the pages
//! ([`homeward_exports::may_export`]: counsellor, supervisor, cbsa_officer,
//! mission_officer, finance; the analyst, admin and auditor get 403); an
//! export and its file are visible to their owner only (404 for anyone else).

use super::extract::{parse_id, ApiJson};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use homeward_store::exports::{self, Export, ExportRequest};

/// Queues an export of the case list: the chosen columns (ids of the
/// catalogue), `csv` or `xlsx`, the optional HXL row and the list's filters.
/// Poll `GET /api/v1/exports/{id}` until `status` is `done`.
#[utoipa::path(post, path = "/api/v1/exports", operation_id = "create_export", request_body = ExportRequest,
    responses((status = 202, body = Export), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    ApiJson(b): ApiJson<ExportRequest>,
) -> Result<(StatusCode, Json<Export>), ApiError> {
    if !homeward_exports::may_export(a.actor.role) {
        return Err(homeward_store::Error::Forbidden.into());
    }
    // A browser session must have re-authenticated lately; tokens are exempt (ADR 0027).
    crate::reauth::guard_api(&a)?;
    let e = exports::create(&s.store, &a.actor, &b, "en").await?;
    s.config.jobs_wake.wake();
    Ok((StatusCode::ACCEPTED, Json(e)))
}

/// One of the user's exports: status and progress.
#[utoipa::path(get, path = "/api/v1/exports/{id}", operation_id = "get_export", params(("id" = String, Path)),
    responses((status = 200, body = Export), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Export>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(exports::get(&s.store, &a.actor, id).await?))
}

/// The finished file, streamed (audited).
#[utoipa::path(get, path = "/api/v1/exports/{id}/file", operation_id = "download_export", params(("id" = String, Path)),
    responses((status = 200, description = "The file, as the export's `format` says", content(
            (inline(super::schema::Binary) = "text/csv"),
            (inline(super::schema::Binary) = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 404, body = crate::error::Problem)))]
pub async fn file(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let r = a.actor.role;
    if !(homeward_exports::may_export(r) || homeward_domain::deidentify::may_export(r)) {
        return Err(homeward_store::Error::Forbidden.into());
    }
    crate::reauth::guard_api(&a)?;
    let id = parse_id(&id)?;
    let (e, f) = exports::open(&s.store, &a.actor, id).await?;
    Ok(crate::pages::exports::file_response(&e, f))
}
