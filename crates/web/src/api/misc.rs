//! The current user, programmes, the audit trail and the API's 404.

use super::extract::int_param;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Query, State};
use axum::Json;
use homeward_store::audit::{self, AuditRow};
use homeward_store::programmes::{self, Programme};
use homeward_store::users::User;
use serde::Serialize;
use std::collections::HashMap;

/// The signed-in user. Any staff role.
#[utoipa::path(get, path = "/api/v1/me", responses((status = 200, body = User), (status = 401, body = crate::error::Problem)))]
pub async fn me(ApiUser(a): ApiUser) -> Json<User> {
    Json(a.user)
}

/// Every programme. Any staff role.
#[utoipa::path(get, path = "/api/v1/programmes", responses((status = 200, body = Vec<Programme>), (status = 401, body = crate::error::Problem)))]
pub async fn programmes(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
) -> Result<Json<Vec<Programme>>, ApiError> {
    a.actor.require(
        homeward_domain::Resource::Programme,
        homeward_domain::Action::Read,
    )?;
    Ok(Json(programmes::list(&state.store).await?))
}

/// A page of audit entries.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditRow>,
    pub total: i64,
}

/// The audit trail, newest first, each entry with its place in the hash
/// chain (`seq`, `hash`). Auditor only.
#[utoipa::path(get, path = "/api/v1/audit",
    params(("user" = Option<String>, Query), ("action" = Option<String>, Query), ("entity" = Option<String>, Query),
           ("entity_id" = Option<String>, Query), ("case_id" = Option<String>, Query),
           ("person" = Option<String>, Query, description = "a person's id (their records and their cases'), a case's id, or a case number"), ("from" = Option<String>, Query, description = "YYYY-MM-DD"),
           ("to" = Option<String>, Query, description = "YYYY-MM-DD"), ("page" = Option<i64>, Query), ("per_page" = Option<i64>, Query)),
    responses((status = 200, body = AuditPage), (status = 403, body = crate::error::Problem)))]
pub async fn audit(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<AuditPage>, ApiError> {
    let per_page = int_param(&q, "per_page", 50, 1, 500)?;
    int_param(&q, "page", 1, 1, 1_000_000)?;
    let f = crate::pages::audit::filter_from_query(&q, per_page);
    if a.actor.role.can(
        homeward_domain::Resource::Audit,
        homeward_domain::Action::Read,
    ) {
        crate::pages::audit::seal_quietly(&state.store).await;
    }
    let (items, total) = audit::list(&state.store, &a.actor, &f).await?;
    Ok(Json(AuditPage { items, total }))
}

/// Unknown API paths.
pub async fn not_found() -> ApiError {
    ApiError::not_found()
}

/// The actor's open tasks: overdue contacts, cases past the departure target,
/// expiring documents, waiting consulate requests, fitness checks due.
#[utoipa::path(get, path = "/api/v1/tasks", responses((status = 200, body = Vec<homeward_store::tasks::Task>), (status = 403, body = crate::error::Problem)))]
pub async fn tasks(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
) -> Result<Json<Vec<homeward_store::tasks::Task>>, ApiError> {
    let now = chrono::Utc::now();
    let today = now.with_timezone(&a.actor.local_zone()).date_naive();
    Ok(Json(
        homeward_store::tasks::list(&state.store, &a.actor, now, today).await?,
    ))
}
