//! `/api/v1/duplicates`: the duplicate review queue, merges and their undo,
//! and "not duplicates" decisions (docs/adr/0032).
//!
//! Who may: supervisors, for people in their record scope (both people of a
//! pair; the kept person of a merge): ids out of scope answer 404, every
//! other role 403 (`homeward_domain::merge::may_review`). Role and scope are
//! checked before a body is read.

use super::extract::{int_param, parse_id, ApiJson};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::duplicates::Level;
use homeward_store::duplicates::{self, QueueCounts, QueueItem};
use homeward_store::merges::{self, Merge, MergeInput};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

/// A page of candidate pairs, with the counts of each level.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CandidatePage {
    pub items: Vec<QueueItem>,
    pub counts: QueueCounts,
}

/// A page of merges, newest first.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MergePage {
    pub items: Vec<Merge>,
    pub total: i64,
}

/// Which of the pair stays, and the versions of both as read.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"kept": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "kept_version": 3, "merged_version": 1})))]
pub struct MergeBody {
    /// `a` or `b` of the path: the person who stays.
    pub kept: Uuid,
    pub kept_version: i64,
    pub merged_version: i64,
}

/// Candidate pairs in scope, `likely` first (`level` filters).
#[utoipa::path(get, path = "/api/v1/duplicates", operation_id = "list_duplicates",
    params(("level" = Option<String>, Query, description = "likely or possible"), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = CandidatePage), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<CandidatePage>, ApiError> {
    duplicates::require_reviewer(&a.actor)?;
    let limit = int_param(&q, "limit", 50, 1, 200)?;
    let offset = int_param(&q, "offset", 0, 0, i64::MAX / 2)?;
    let level = match q.get("level").map(String::as_str) {
        None | Some("") => None,
        Some("likely") => Some(Level::Likely),
        Some("possible") => Some(Level::Possible),
        Some(_) => {
            return Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid-parameter")
                .detail("level must be likely or possible"))
        }
    };
    let (items, counts) = duplicates::queue(&state.store, &a.actor, level, limit, offset).await?;
    Ok(Json(CandidatePage { items, counts }))
}

/// Merges one of the pair into the other: everything of the merged person
/// moves to the kept one. Stale versions answer 409; a person already
/// merged 422 (`merge: already-merged`).
#[utoipa::path(post, path = "/api/v1/duplicates/{a}/{b}/merge",
    params(("a" = String, Path), ("b" = String, Path)), request_body = MergeBody,
    responses((status = 201, body = Merge), (status = 404, body = crate::error::Problem), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn merge(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path((x, y)): Path<(String, String)>,
    body: Result<ApiJson<MergeBody>, ApiError>,
) -> Result<(StatusCode, Json<Merge>), ApiError> {
    let (x, y) = (parse_id(&x)?, parse_id(&y)?);
    homeward_store::merges::both_in_scope(&state.store, &a.actor, x, y).await?;
    let ApiJson(b) = body?;
    let merged = if b.kept == x {
        y
    } else if b.kept == y {
        x
    } else {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("kept", "not-in-pair");
        return Err(homeward_store::Error::Invalid(inv).into());
    };
    let input = MergeInput {
        kept: b.kept,
        kept_version: b.kept_version,
        merged,
        merged_version: b.merged_version,
    };
    Ok((
        StatusCode::CREATED,
        Json(merges::merge(&state.store, &a.actor, &input).await?),
    ))
}

/// Records that the two are different people: never candidates again.
#[utoipa::path(post, path = "/api/v1/duplicates/{a}/{b}/not-duplicates",
    params(("a" = String, Path), ("b" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn not_duplicates(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path((x, y)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let (x, y) = (parse_id(&x)?, parse_id(&y)?);
    homeward_store::merges::mark_not_duplicates(&state.store, &a.actor, x, y).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Merges whose kept person is in scope, newest first.
#[utoipa::path(get, path = "/api/v1/duplicates/merges",
    params(("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = MergePage), (status = 403, body = crate::error::Problem)))]
pub async fn history(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<MergePage>, ApiError> {
    duplicates::require_reviewer(&a.actor)?;
    let limit = int_param(&q, "limit", 50, 1, 200)?;
    let offset = int_param(&q, "offset", 0, 0, i64::MAX / 2)?;
    let (items, total) = merges::history(&state.store, &a.actor, limit, offset).await?;
    Ok(Json(MergePage { items, total }))
}

/// Undoes a merge. A second undo, or one after the kept person was merged
/// into someone else, answers 422 (`merge: undo-done`, `undo-kept-merged`).
#[utoipa::path(post, path = "/api/v1/duplicates/merges/{id}/undo", params(("id" = String, Path)),
    responses((status = 200, body = Merge), (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn undo(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Merge>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(merges::undo(&state.store, &a.actor, id).await?))
}
