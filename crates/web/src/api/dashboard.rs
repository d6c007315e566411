//! The programme dashboard as JSON: the figures the home page draws.

use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::pages::dashboard::filter_input;
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::dashboard::{self, Dashboard, DashboardFilter};
use std::collections::HashMap;

/// The dashboard for a period (a month `2026-10`, a quarter `2026-Q4`, a
/// range `2026-10-01..2026-12-31`, or `from` and `to`; the current month
/// when none is given), optionally one programme, country of return and
/// counsellor. Each figure is within the caller's record scope; a panel
/// the role does not see is `null`. For analysts (the whole programme)
/// counts below `suppressed_below` are `null`. Amounts are in minor units.
///
/// Who may: every role with a panel; admins and auditors are refused (403).
#[utoipa::path(get, path = "/api/v1/dashboard", operation_id = "get_dashboard",
    params(("period" = Option<String>, Query, description = "2026-10, 2026-Q4 or 2026-10-01..2026-12-31"),
           ("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD"),
           ("programme" = Option<String>, Query, description = "programme code, e.g. gta-2012"),
           ("country" = Option<String>, Query, description = "ISO 3166-1 alpha-2 country of return"),
           ("counsellor" = Option<String>, Query, description = "the assigned counsellor's user id")),
    responses((status = 200, body = Dashboard), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<Dashboard>, ApiError> {
    // Refused roles learn nothing, not even whether their filter was valid.
    if !dashboard::may_read(a.actor.role) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let today = homeward_store::now()
        .with_timezone(&a.actor.local_zone())
        .date_naive();
    let filter = DashboardFilter::from_input(&filter_input(&q), today)
        .map_err(|inv| ApiError::from(homeward_store::Error::Invalid(inv)))?;
    Ok(Json(
        homeward_store::dashboard::load(&state.store, &a.actor, &filter).await?,
    ))
}
