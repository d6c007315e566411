//! Case list exports and the user's downloads.
//! - new, create: who may export the case list
//!   ([`homeward_exports::may_export`]: counsellor, supervisor, cbsa_officer,
//!   mission_officer, finance), with the columns their role may have; the
//!   analyst (whose export is the de-identified one), admin and auditor get 403.
//! - downloads, download: anyone signed in, for their own exports only
//!   (someone else's is not found).

use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{render, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use homeward_exports::{columns_for, may_export};
use homeward_store::exports::{self, Export, ExportFilter, ExportRequest};
use homeward_store::Error as StoreError;
use std::collections::HashMap;

/// The filters of the case list that an export carries.
pub const FILTER_FIELDS: [&str; 4] = ["status", "country", "programme", "q"];

/// A column offered on the form: id, label, HXL tag, checked.
pub struct Choice {
    pub id: &'static str,
    pub label: String,
    pub hxl: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "export_new.html")]
struct NewPage {
    l: Layout,
    f: FormState,
    columns: Vec<Choice>,
    filters: Vec<(&'static str, String)>,
    has_filters: bool,
}

#[derive(Template)]
#[template(path = "downloads.html")]
struct DownloadsPage {
    l: Layout,
    rows: Vec<Export>,
    now: chrono::DateTime<chrono::Utc>,
    running: bool,
}

fn forbidden(ctx: &Ctx) -> Response {
    crate::frame::error_page(ctx, StatusCode::FORBIDDEN, "forbidden")
}

fn form_page(ctx: &Ctx, auth: &crate::auth::Auth, f: FormState, status: StatusCode) -> Response {
    let t = ctx.tr();
    let fresh = f.values.keys().all(|k| !k.starts_with("col-"));
    let columns = columns_for(auth.actor.role)
        .into_iter()
        .map(|c| Choice {
            id: c.id,
            label: t.t(c.label_key),
            hxl: c.hxl,
            // A first visit starts with the columns that need no contact data.
            checked: if fresh {
                !c.contact
            } else {
                f.values.contains_key(&format!("col-{}", c.id))
            },
        })
        .collect();
    let filters: Vec<(&'static str, String)> = FILTER_FIELDS
        .iter()
        .map(|k| (*k, f.v(k).to_string()))
        .collect();
    let has_filters = filters.iter().any(|(_, v)| !v.is_empty());
    let l = Layout::new(ctx, t.t("export-title"), "/cases");
    render(
        status,
        NewPage {
            l,
            f,
            columns,
            filters,
            has_filters,
        },
    )
}

/// GET /exports/new: the export form, carrying the case list's filters.
pub async fn new_form(
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !may_export(auth.actor.role) {
        return forbidden(&ctx);
    }
    let mut f = FormState::default();
    for k in FILTER_FIELDS {
        if let Some(v) = q.get(k) {
            f.values.insert(k.into(), v.clone());
        }
    }
    f.values.insert("format".into(), "csv".into());
    form_page(&ctx, &auth, f, StatusCode::OK)
}

/// The request a form describes: checked columns in catalogue order, plus
/// any `col-*` field the catalogue does not know (refused as unknown).
fn request_of(form: &HashMap<String, String>) -> ExportRequest {
    let checked = |k: &str| matches!(form.get(k).map(String::as_str), Some("on" | "true" | "1"));
    let mut columns: Vec<String> = homeward_exports::COLUMNS
        .iter()
        .filter(|c| checked(&format!("col-{}", c.id)))
        .map(|c| c.id.to_string())
        .collect();
    let mut unknown: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("col-"))
        .filter(|id| homeward_exports::column(id).is_none())
        .map(str::to_string)
        .collect();
    unknown.sort();
    columns.extend(unknown);
    let s = |k: &str| form.get(k).cloned();
    ExportRequest {
        columns,
        format: form.get("format").cloned().unwrap_or_default(),
        hxl: checked("hxl"),
        filter: ExportFilter {
            status: s("status"),
            country: s("country"),
            programme: s("programme"),
            q: s("q"),
        },
    }
}

/// POST /exports: records the export and queues its job, then shows the
/// downloads. Bad input comes back as the form with its errors.
pub async fn create(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    address: crate::reauth::ClientAddress,
    PageForm(form): PageForm,
) -> Response {
    if !may_export(auth.actor.role) {
        return forbidden(&ctx);
    }
    // Sensitive: the password again unless typed in the last minutes (ADR 0027).
    if let Err(r) =
        crate::reauth::guard_form(&state, &auth, &ctx, &address, "/exports", &form).await
    {
        return r;
    }
    let req = request_of(&form);
    match exports::create(&state.store, &auth.actor, &req, ctx.lang.code()).await {
        Ok(_) => {
            state.config.jobs_wake.wake();
            Redirect::to("/downloads").into_response()
        }
        Err(StoreError::Invalid(inv)) => {
            let t = ctx.tr();
            let mut f = FormState::with(form);
            f.add_invalid(&t, &inv, "filter.");
            f.general = Some(t.t("form-has-errors"));
            form_page(&ctx, &auth, f, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// GET /downloads: the user's own exports with status and progress; the
/// list refreshes itself while one is still being written.
pub async fn list(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    let rows = match exports::list_own(&state.store, &auth.actor).await {
        Ok(r) => r,
        Err(e) => return store_error(&ctx, e),
    };
    let running = rows
        .iter()
        .any(|e| matches!(e.status.as_str(), "queued" | "running"));
    let t = ctx.tr();
    let l = Layout::new(&ctx, t.t("nav-downloads"), "/downloads");
    render(
        StatusCode::OK,
        DownloadsPage {
            l,
            rows,
            now: homeward_store::now(),
            running,
        },
    )
}

/// GET /downloads/{id}: streams the file to its owner (audited).
pub async fn download(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    uri: axum::http::Uri,
) -> Response {
    let r = auth.actor.role;
    if !(may_export(r) || homeward_domain::deidentify::may_export(r)) {
        return crate::frame::error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    if let Err(r) = crate::reauth::guard_get(&auth, &uri) {
        return r;
    }
    let Ok(id) = uuid::Uuid::parse_str(id.trim()) else {
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match exports::open(&state.store, &auth.actor, id).await {
        Ok((e, file)) => file_response(&e, file),
        Err(e) => store_error(&ctx, e),
    }
}

/// The file of an export as a streamed attachment: read in chunks from
/// disk, never whole into memory.
pub fn file_response(e: &Export, file: tokio::fs::File) -> Response {
    let format =
        homeward_exports::Format::parse(&e.format).unwrap_or(homeward_exports::Format::Csv);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file));
    (
        [
            (header::CONTENT_TYPE, format.content_type().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}\"", e.file_name()),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}
