//! Bulk import of persons for supervisors (docs/adr/0030, docs/adr/0033).
//! Who may: supervisors ([`may_import`]); every other role gets 403. An
//! import's page and report belong to whoever started it (404 for anyone
//! else).
//!
//! `/persons/import` takes a CSV upload (multipart, the CSRF token in the
//! query string) up to [`MAX_UPLOAD`], streamed sealed to the data folder,
//! and answers with a redirect to the import's page, which shows a progress
//! bar while the background job runs (refreshed by htmx, or by a link
//! without JavaScript), then the counts and the report of invalid rows.

use crate::auth::{Ctx, PageUser};
use crate::frame::{error_page, render, store_error, Layout};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::import::{may_import, HeaderError, Mapping, MAX_UPLOAD_BYTES};
use homeward_store::import::jobs::{self as import_jobs, PersonImport, Upload, UploadError};

/// Largest file accepted by the upload; the command line takes any size.
pub const MAX_UPLOAD: usize = MAX_UPLOAD_BYTES;

/// What the form had, kept when it is refused.
#[derive(Default)]
struct Typed {
    mapping: String,
    dry_run: bool,
}

#[derive(Template)]
#[template(path = "persons_import.html")]
struct ImportPage {
    l: Layout,
    typed: Typed,
    error: Option<String>,
    recent: Vec<PersonImport>,
}

#[derive(Template)]
#[template(path = "persons_import_status.html")]
struct StatusPage {
    l: Layout,
    i: PersonImport,
    /// The progress bar's value and maximum.
    value: i64,
    max: i64,
    /// What the bar counts, in words.
    progress_text: String,
    /// Why the file was refused or the import stopped, translated.
    reason: Option<String>,
    status_text: String,
}

fn form_page(ctx: &Ctx, status: StatusCode, typed: Typed, error: Option<String>) -> Response {
    let l = Layout::new(ctx, ctx.tr().t("import-title"), "/persons/import");
    render(
        status,
        ImportPage {
            l,
            typed,
            error,
            recent: Vec::new(),
        },
    )
}

/// GET /persons/import: the upload form and one's latest imports (supervisors).
pub async fn form(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    if !may_import(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let recent = match import_jobs::list_own(&state.store, &auth.actor).await {
        Ok(r) => r,
        Err(e) => return store_error(&ctx, e),
    };
    let l = Layout::new(&ctx, ctx.tr().t("import-title"), "/persons/import");
    render(
        StatusCode::OK,
        ImportPage {
            l,
            typed: Typed::default(),
            error: None,
            recent,
        },
    )
}

/// Why reading the form stopped.
enum Refusal {
    TooLarge,
    Bad,
    Store(homeward_store::Error),
}

/// Reads the form, streaming the file into `upload`; returns the text fields.
async fn read_form(
    m: &mut Multipart,
    upload: &mut Upload,
    file_named: &mut bool,
) -> Result<std::collections::HashMap<String, String>, Refusal> {
    let mut fields = std::collections::HashMap::new();
    let status_of = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Refusal::TooLarge
        } else {
            Refusal::Bad
        }
    };
    while let Some(mut field) = m.next_field().await.map_err(status_of)? {
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if name == "file" {
            *file_named |= field.file_name().is_some_and(|n| !n.is_empty());
            while let Some(chunk) = field.chunk().await.map_err(status_of)? {
                upload.write(&chunk).await.map_err(|e| match e {
                    UploadError::TooLarge => Refusal::TooLarge,
                    UploadError::Store(e) => Refusal::Store(e),
                })?;
            }
        } else {
            let text = field.text().await.map_err(status_of)?;
            if text.len() > 10_000 {
                return Err(Refusal::Bad);
            }
            fields.insert(name, text);
        }
    }
    Ok(fields)
}

/// POST /persons/import?_csrf=...: keeps the upload and starts its import;
/// redirects to the import's page.
pub async fn upload(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    // Role before the body.
    if !may_import(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let t = ctx.tr();
    let Ok(mut m) = multipart else {
        return form_page(
            &ctx,
            StatusCode::BAD_REQUEST,
            Typed::default(),
            Some(t.error("bad-request")),
        );
    };
    let mut up = match Upload::begin(&state.store, &auth.actor, MAX_UPLOAD).await {
        Ok(u) => u,
        Err(e) => return store_error(&ctx, e),
    };
    let mut named = false;
    let fields = match read_form(&mut m, &mut up, &mut named).await {
        Ok(f) => f,
        Err(r) => {
            up.abort().await;
            return match r {
                Refusal::TooLarge => form_page(
                    &ctx,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    Typed::default(),
                    Some(t.t("import-too-large-upload")),
                ),
                Refusal::Bad => form_page(
                    &ctx,
                    StatusCode::BAD_REQUEST,
                    Typed::default(),
                    Some(t.error("bad-request")),
                ),
                Refusal::Store(e) => store_error(&ctx, e),
            };
        }
    };
    let typed = Typed {
        mapping: fields.get("mapping").cloned().unwrap_or_default(),
        dry_run: fields.get("dry_run").is_some_and(|v| !v.is_empty()),
    };
    if up.is_empty() && !named {
        up.abort().await;
        return form_page(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            typed,
            Some(t.t("import-no-file")),
        );
    }
    if !typed.mapping.trim().is_empty() {
        if let Err(e) = Mapping::parse(&typed.mapping) {
            up.abort().await;
            let message = t.ta("import-bad-mapping", &[("reason", e)]);
            return form_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, typed, Some(message));
        }
    }
    match up.finish(&auth.actor, &typed.mapping, typed.dry_run).await {
        Ok(i) => {
            state.config.jobs_wake.wake();
            Redirect::to(&format!("/persons/import/{}", i.id)).into_response()
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// A refusal of the whole file, in the reader's language.
pub fn refusal_text(t: &Tr, h: &HeaderError) -> String {
    let key = format!("import-refused-{}", h.code());
    // `has` cannot see messages with arguments: a missing one comes back as its key.
    let said = t.ta(
        &key,
        &[("detail", h.detail().unwrap_or_default().to_string())],
    );
    let reason = if said == key { h.to_string() } else { said };
    t.ta("import-refused", &[("reason", reason)])
}

fn status_page(ctx: &Ctx, i: PersonImport) -> Response {
    let t = ctx.tr();
    let (value, max) = i.progress();
    let progress_text = match i.total_rows {
        Some(total) => t.ta(
            "import-progress-rows",
            &[
                ("done", i.rows_done.min(total).to_string()),
                ("total", total.to_string()),
            ],
        ),
        None => t.t("import-progress-counting"),
    };
    let reason = match (i.status.as_str(), import_jobs::refusal(&i)) {
        ("refused", Some(h)) => Some(refusal_text(&t, &h)),
        ("refused", None) | ("failed", _) => {
            let key = format!(
                "import-failed-{}",
                i.error_code.as_deref().unwrap_or("failed")
            );
            Some(if t.has(&key) {
                t.t(&key)
            } else {
                t.t("import-failed-failed")
            })
        }
        _ => None,
    };
    let status_text = t.t(&format!("import-status-{}", i.status));
    let l = Layout::new(ctx, t.t("import-title"), "/persons/import");
    render(
        StatusCode::OK,
        StatusPage {
            l,
            i,
            value,
            max,
            progress_text,
            reason,
            status_text,
        },
    )
}

/// GET /persons/import/{id}: one's own import: progress, then the counts
/// and the report link (supervisors; anyone else's id: 404).
pub async fn status(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if !may_import(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match import_jobs::get(&state.store, &auth.actor, id).await {
        Ok(i) => status_page(&ctx, i),
        Err(e) => store_error(&ctx, e),
    }
}

/// GET /persons/import/{id}/report: the report of one's own import (CSV;
/// supervisors; anyone else's: 404).
pub async fn report(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    if !may_import(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    // The rows it could not import, with their personal data.
    if let Err(r) = crate::reauth::guard_get(&auth, &uri) {
        return r;
    }
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match import_jobs::open_report(&state.store, &auth.actor, id).await {
        Ok(bytes) => report_response(id, bytes),
        Err(e) => store_error(&ctx, e),
    }
}

/// A report as a CSV download.
pub fn report_response(id: uuid::Uuid, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"import-report-{id}.csv\""),
            ),
        ],
        bytes,
    )
        .into_response()
}
