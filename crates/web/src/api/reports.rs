//! The donor report as JSON.

use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::pages::reports::{period_of, ReportQuery};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::report::{self, DonorReport};

/// The donor report for a year (`2026`), a month (`2026-10`), a quarter
/// (`2026-Q4`), a range (`2026-10-01..2026-12-31`) or `from` and `to`
/// dates; the current quarter when none is given. Of one programme
/// (`programme`, in its office's days) or of every programme the reader
/// works in. Amounts are in minor units, summed per currency only.
///
/// Who may: supervisors, finance and CBSA officers.
#[utoipa::path(get, path = "/api/v1/reports/donor",
    params(("period" = Option<String>, Query, description = "2026, 2026-10, 2026-Q4 or 2026-10-01..2026-12-31"),
           ("programme" = Option<String>, Query, description = "a programme code, e.g. gta-2012"),
           ("from" = Option<String>, Query, description = "YYYY-MM-DD"), ("to" = Option<String>, Query, description = "YYYY-MM-DD")),
    responses((status = 200, body = DonorReport), (status = 403, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn donor(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Query(q): Query<ReportQuery>,
) -> Result<Json<DonorReport>, ApiError> {
    // Refused roles learn nothing, not even whether their period was valid.
    if !report::may_read(a.actor.role) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden"));
    }
    let period = period_of(&q, a.actor.local_zone())
        .map_err(|inv| ApiError::from(homeward_store::Error::Invalid(inv)))?;
    Ok(Json(
        homeward_store::reports::donor(&state.store, &a.actor, &period, q.programme.as_deref())
            .await?,
    ))
}
