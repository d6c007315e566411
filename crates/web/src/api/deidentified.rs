//! De-identified exports over the API: `POST /api/v1/exports/deidentified`
//! queues one; its status and file come from the exports endpoints
//! (`/api/v1/exports/{id}`, `/api/v1/exports/{id}/file`), for its owner only.
//!
//! Who may: analysts and supervisors; every other role gets 403 before its
//! body is read.

use super::extract::ApiJson;
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::{deidentify, Invalid};
use homeward_store::deidentified::{self, DeidentifiedRequest};
use homeward_store::exports::Export;
use homeward_store::Error as StoreError;
use serde_json::Value;

/// The fields a request may have (the body's own names).
const FIELDS: [&str; 7] = [
    "dimensions",
    "unit",
    "period",
    "from",
    "to",
    "format",
    "hxl",
];

/// Reads the body into a request; an unknown field is named in the 422 like
/// any other field problem, not only in a parser's sentence.
fn request_of(body: Value) -> Result<DeidentifiedRequest, ApiError> {
    if let Value::Object(map) = &body {
        let mut inv = Invalid::default();
        let mut unknown: Vec<&String> = map
            .keys()
            .filter(|k| !FIELDS.contains(&k.as_str()))
            .collect();
        unknown.sort();
        for k in unknown.into_iter().take(10) {
            // Field names come from the client: cut to a sane length.
            let name: String = k.chars().take(64).collect();
            inv.add(&name, "unknown-field");
        }
        if !inv.errors.is_empty() {
            return Err(StoreError::Invalid(inv).into());
        }
    }
    serde_json::from_value(body).map_err(|e| {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "json-data").detail(e.to_string())
    })
}

/// Queues a de-identified export: counts of `people` (each person on each
/// case) or `cases` per combination of the chosen `dimensions`, over the
/// whole programme or the cases referred in `period` (or `from`..`to`).
/// Groups under 5 are left out and pooled into one last "suppressed groups"
/// line (itself `<5` when small); there is no total line. Poll
/// `GET /api/v1/exports/{id}` until `status` is `done`, then fetch
/// `/api/v1/exports/{id}/file`.
///
/// Who may: analysts and supervisors.
#[utoipa::path(post, path = "/api/v1/exports/deidentified", operation_id = "create_deidentified_export", request_body = DeidentifiedRequest,
    responses((status = 202, body = Export), (status = 422, body = crate::error::Problem),
        (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    ApiJson(body): ApiJson<Value>,
) -> Result<(StatusCode, Json<Export>), ApiError> {
    if !deidentify::may_export(a.actor.role) {
        return Err(StoreError::Forbidden.into());
    }
    // A browser session must have re-authenticated lately; tokens are exempt (ADR 0027).
    crate::reauth::guard_api(&a)?;
    let req = request_of(body)?;
    let e = deidentified::create(&s.store, &a.actor, &req, "en").await?;
    s.config.jobs_wake.wake();
    Ok((StatusCode::ACCEPTED, Json(e)))
}
