//! Bulk import of persons over the API (docs/adr/0030, docs/adr/0033).
//! Who may: supervisors ([`may_import`]); every other role gets 403 before
//! the body is read. An import, its progress and its report are visible to
//! whoever started it only (404 for anyone else).

use super::extract::{parse_id, ApiQuery};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::pages::import::MAX_UPLOAD;
use crate::AppState;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use futures_util::StreamExt;
use homeward_domain::import::{may_import, Mapping};
use homeward_domain::Invalid;
use homeward_store::import::jobs::{self as import_jobs, PersonImport, Upload, UploadError};
use serde::Deserialize;

/// Query parameters of `POST /api/v1/persons/import`.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// Check and count every row; write nothing.
    pub dry_run: bool,
    /// Column renaming, `from,to` pairs separated by `;` (for a `text/csv`
    /// body; a multipart form may send a `mapping` field instead).
    #[param(example = "Ref,external_id;Surname,family_name")]
    pub mapping: Option<String>,
}

/// A list of persons to import, as a multipart form (`multipart/form-data`).
// Describes the form only; `read_body` reads it field by field, streaming
// the file.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// The CSV list: UTF-8, a header row (docs/adr/0030); up to 100 MB.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Column renaming, one `from,to` pair a line; takes the place of the
    /// `mapping` query parameter.
    #[schema(value_type = String, required = false, example = "Ref,external_id\nSurname,family_name")]
    pub mapping: Option<String>,
    /// `true` (or `1`, `on`, `yes`, in any case): check and count every row,
    /// write nothing.
    #[schema(value_type = bool, required = false, example = true)]
    pub dry_run: Option<bool>,
}

/// Whether a form's `dry_run` field says yes.
fn says_yes(v: &str) -> bool {
    matches!(
        v.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "on" | "yes"
    )
}

fn too_large() -> ApiError {
    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large").detail(format!(
        "the file is larger than {} MB: import it with `homeward persons import`, or split it",
        MAX_UPLOAD / (1024 * 1024)
    ))
}

fn upload_error(e: UploadError) -> ApiError {
    match e {
        UploadError::TooLarge => too_large(),
        UploadError::Store(e) => e.into(),
    }
}

fn bad_mapping(reason: String) -> ApiError {
    let mut inv = Invalid::default();
    inv.add("mapping", "invalid-mapping");
    ApiError {
        status: StatusCode::UNPROCESSABLE_ENTITY,
        code: "invalid",
        detail: Some(reason),
        invalid: Some(inv),
    }
}

/// Streams the body into `up`: a multipart form (`file`, and optional
/// `mapping` and `dry_run` fields) or the CSV itself (`text/csv`). Returns
/// the form's mapping and dry-run fields, if any.
async fn read_body(
    state: &AppState,
    req: Request,
    up: &mut Upload,
) -> Result<(Option<String>, bool), ApiError> {
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let mut m = Multipart::from_request(req, state)
            .await
            .map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad-request"))?;
        let (mut mapping, mut dry_run) = (None, false);
        let mut file = false;
        let status_of = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                too_large()
            } else {
                ApiError::new(StatusCode::BAD_REQUEST, "bad-request")
            }
        };
        while let Some(mut field) = m.next_field().await.map_err(status_of)? {
            match field.name() {
                Some("file") => {
                    file = true;
                    while let Some(chunk) = field.chunk().await.map_err(status_of)? {
                        up.write(&chunk).await.map_err(upload_error)?;
                    }
                }
                Some("mapping") => mapping = Some(field.text().await.map_err(status_of)?),
                Some("dry_run") => {
                    let v = field.text().await.map_err(status_of)?;
                    dry_run = says_yes(&v);
                }
                _ => {}
            }
        }
        if !file {
            let mut inv = Invalid::default();
            inv.add("file", "required");
            return Err(ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid",
                detail: Some("the multipart form has no `file` field".into()),
                invalid: Some(inv),
            });
        }
        Ok((mapping, dry_run))
    } else if ctype.starts_with("text/csv") || ctype.starts_with("text/plain") {
        let mut stream = req.into_body().into_data_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| ApiError::new(StatusCode::BAD_REQUEST, "bad-request"))?;
            up.write(&chunk).await.map_err(upload_error)?;
        }
        Ok((None, false))
    } else {
        Err(
            ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type")
                .detail("send the CSV as `text/csv`, or as the `file` field of a multipart form"),
        )
    }
}

/// Starts an import of persons from a CSV list (UTF-8, a header row; see
/// docs/adr/0030): the body is the CSV (`text/csv`) or a multipart form
/// with a `file` field (and optional `mapping`, `dry_run`). Up to 100 MB
/// (413 above). Answers 202 with the import and its `Location`; poll it
/// until `status` is `done`, `refused` or `failed`. Supervisors only.
#[utoipa::path(post, path = "/api/v1/persons/import", operation_id = "import_persons", params(ImportParams),
    request_body(description = "The CSV list itself, or a multipart form with the file", content(
        (inline(super::schema::Binary) = "text/csv", example = json!("external_id,given_names,family_name,date_of_birth,nationality\nW1,Ana,Pop,1990-01-02,RO\n")),
        (ImportForm = "multipart/form-data"))),
    responses((status = 202, body = PersonImport, headers(("location" = String, description = "The import's URL"))),
        (status = 403, body = crate::error::Problem), (status = 413, body = crate::error::Problem),
        (status = 415, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn create(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    ApiQuery(q): ApiQuery<ImportParams>,
    req: Request,
) -> Result<Response, ApiError> {
    // Role before the body.
    if !may_import(a.actor.role) {
        return Err(homeward_store::Error::Forbidden.into());
    }
    let mut up = Upload::begin(&s.store, &a.actor, MAX_UPLOAD).await?;
    let (form_mapping, form_dry_run) = match read_body(&s, req, &mut up).await {
        Ok(x) => x,
        Err(e) => {
            up.abort().await;
            return Err(e);
        }
    };
    let mapping = form_mapping
        .or_else(|| q.mapping.map(|m| m.replace(';', "\n")))
        .unwrap_or_default();
    if !mapping.trim().is_empty() {
        if let Err(e) = Mapping::parse(&mapping) {
            up.abort().await;
            return Err(bad_mapping(e));
        }
    }
    let i = up
        .finish(&a.actor, &mapping, q.dry_run || form_dry_run)
        .await?;
    s.config.jobs_wake.wake();
    let location = format!("/api/v1/persons/import/{}", i.id);
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, location)],
        Json(i),
    )
        .into_response())
}

/// One of the caller's imports: status, progress (`rows_done` of
/// `total_rows`), the counts, why a file was refused, and whether a report
/// can be downloaded. Supervisors, their own imports only.
#[utoipa::path(get, path = "/api/v1/persons/import/{id}", operation_id = "get_import", params(("id" = String, Path)),
    responses((status = 200, body = PersonImport), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<PersonImport>, ApiError> {
    if !may_import(a.actor.role) {
        return Err(homeward_store::Error::Forbidden.into());
    }
    let id = parse_id(&id)?;
    Ok(Json(import_jobs::get(&s.store, &a.actor, id).await?))
}

/// The report of invalid rows of one of the caller's imports (CSV: `line,
/// external_id, field, code, problem`); 404 when there is none or it
/// expired. The download is audited. Supervisors, their own imports only.
#[utoipa::path(get, path = "/api/v1/persons/import/{id}/report", operation_id = "download_import_report", params(("id" = String, Path)),
    responses((status = 200, content_type = "text/csv", body = inline(super::schema::Binary), description = "The report (CSV, UTF-8)"),
        (status = 404, body = crate::error::Problem)))]
pub async fn report(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    if !may_import(a.actor.role) {
        return Err(homeward_store::Error::Forbidden.into());
    }
    crate::reauth::guard_api(&a)?;
    let id = parse_id(&id)?;
    let bytes = import_jobs::open_report(&s.store, &a.actor, id).await?;
    Ok(crate::pages::import::report_response(id, bytes))
}
