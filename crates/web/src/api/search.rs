//! `GET /api/v1/search?q=&limit=`: the search box for programs (docs/adr/0031).
//! Who may: the roles that may read persons (counsellor, supervisor, CBSA
//! officer, mission officer), within their record scope; others get 403.

use super::extract::int_param;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Query as UrlQuery, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::search::{Query, MAX_QUERY_CHARS};
use homeward_domain::{Action, Resource};
use homeward_store::search::{self, Results, MAX_LIMIT};
use std::collections::HashMap;

/// People (by any name, identifier or phone number) and cases (by number)
/// that the query finds, each at most `limit` (default 20, at most 50).
/// Every result carries its shown text cut into matched and unmatched
/// pieces (`name_segments`, `number_segments`, `matched.segments`). An
/// empty query finds nothing; one over 200 characters is refused (400).
#[utoipa::path(get, path = "/api/v1/search",
    params(("q" = Option<String>, Query, description = "What the user typed"),
           ("limit" = Option<i64>, Query, description = "1 to 50, default 20")),
    responses((status = 200, body = Results), (status = 400, body = crate::error::Problem),
              (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn search(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    UrlQuery(q): UrlQuery<HashMap<String, String>>,
) -> Result<Json<Results>, ApiError> {
    a.actor.require(Resource::Person, Action::Read)?;
    let limit = int_param(&q, "limit", 20, 1, MAX_LIMIT)?;
    let query = Query::parse(q.get("q").map(String::as_str).unwrap_or("")).map_err(|_| {
        ApiError::new(StatusCode::BAD_REQUEST, "query-too-long")
            .detail(format!("q must be at most {MAX_QUERY_CHARS} characters"))
    })?;
    Ok(Json(
        search::search(&state.store, &a.actor, &query, limit).await?,
    ))
}
