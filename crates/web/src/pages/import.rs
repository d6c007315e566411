//! Bulk import of persons for supervisors (docs/adr/0030): /persons/import
//! takes a CSV upload (multipart, the CSRF token in the query string), runs
//! the import while the request waits (files up to [`MAX_UPLOAD`]), shows the
//! summary and the first problems, and offers the report file to whoever ran it.

use super::sections::read_multipart;
use super::{error_page, render, store_error, Layout};
use crate::auth::{Ctx, PageUser};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use homeward_domain::import::{may_import, Mapping};
use homeward_store::import::{self, ImportError, Options, Summary};

/// Largest file accepted by the upload; the command line takes any size.
pub const MAX_UPLOAD: usize = 20 * 1024 * 1024;

/// Problems listed on the page (all of them are in the report file).
const SHOWN: usize = 50;

/// One problem as shown.
pub struct ProblemLine {
    pub line: u64,
    pub external_id: String,
    pub field: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "persons_import.html")]
struct ImportPage {
    l: Layout,
    summary: Option<Summary>,
    dry_run: bool,
    problems: Vec<ProblemLine>,
    more_problems: usize,
    report_id: Option<String>,
    error: Option<String>,
}

fn page(ctx: &Ctx, status: StatusCode, p: impl FnOnce(Layout) -> ImportPage) -> Response {
    let l = Layout::new(ctx, ctx.tr().t("import-title"), "/persons/import");
    render(status, p(l))
}

fn refused(ctx: &Ctx, status: StatusCode, message: String) -> Response {
    page(ctx, status, |l| ImportPage {
        l,
        summary: None,
        dry_run: false,
        problems: Vec::new(),
        more_problems: 0,
        report_id: None,
        error: Some(message),
    })
}

/// GET /persons/import: the upload form (supervisors).
pub async fn form(PageUser(auth, ctx): PageUser) -> Response {
    if !may_import(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    page(&ctx, StatusCode::OK, |l| ImportPage {
        l,
        summary: None,
        dry_run: false,
        problems: Vec::new(),
        more_problems: 0,
        report_id: None,
        error: None,
    })
}

/// POST /persons/import?_csrf=...: runs the import of the uploaded file.
pub async fn upload(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if !may_import(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let t = ctx.tr();
    let parsed = match multipart {
        Ok(m) => read_multipart(m, "file", MAX_UPLOAD).await,
        Err(_) => Err(("bad-request", StatusCode::BAD_REQUEST)),
    };
    let (fields, file) = match parsed {
        Ok(x) => x,
        Err(("file-too-large", status)) => {
            return refused(&ctx, status, t.t("import-too-large"));
        }
        Err((code, status)) => return refused(&ctx, status, t.error(code)),
    };
    let Some((_, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return refused(
            &ctx,
            StatusCode::UNPROCESSABLE_ENTITY,
            t.t("import-no-file"),
        );
    };
    let mapping = match fields
        .get("mapping")
        .map(String::as_str)
        .filter(|m| !m.trim().is_empty())
    {
        Some(text) => match Mapping::parse(text) {
            Ok(m) => m,
            Err(e) => {
                return refused(
                    &ctx,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    t.ta("import-bad-mapping", &[("reason", e)]),
                )
            }
        },
        None => Mapping::default(),
    };
    let dry_run = fields.get("dry_run").is_some_and(|v| !v.is_empty());
    let options = Options {
        dry_run,
        ..Options::default()
    };
    let out = match import::run(
        &state.store,
        Some(&auth.actor),
        &bytes[..],
        &mapping,
        &options,
        &mut |_| {},
    )
    .await
    {
        Ok(o) => o,
        Err(ImportError::Refused(m)) => {
            return refused(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                t.ta("import-refused", &[("reason", m)]),
            )
        }
        Err(ImportError::Io(_)) => {
            return refused(&ctx, StatusCode::BAD_REQUEST, t.error("bad-request"))
        }
        Err(ImportError::Store(e)) => return store_error(&ctx, e),
    };
    let report_id = if out.problems.is_empty() {
        None
    } else {
        match import::save_report(&state.store, &auth.actor, &out.problems).await {
            Ok(id) => Some(id.to_string()),
            Err(e) => return store_error(&ctx, e),
        }
    };
    let problems = out
        .problems
        .iter()
        .take(SHOWN)
        .map(|p| ProblemLine {
            line: p.line,
            external_id: p.external_id.clone().unwrap_or_default(),
            field: p.field.clone(),
            message: import_message(&t, &p.code),
        })
        .collect();
    page(&ctx, StatusCode::OK, |l| ImportPage {
        l,
        summary: Some(out.summary.clone()),
        dry_run,
        problems,
        more_problems: out.problems.len().saturating_sub(SHOWN),
        report_id,
        error: None,
    })
}

/// A problem code in the reader's language.
fn import_message(t: &crate::i18n::Tr, code: &str) -> String {
    let key = format!("import-problem-{code}");
    if t.has(&key) {
        t.t(&key)
    } else if t.has(&format!("error-{code}")) {
        t.error(code)
    } else {
        code.to_string()
    }
}

/// GET /persons/import/reports/{id}: the report of one's own upload (CSV).
pub async fn report(
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
    match import::open_report(&state.store, &auth.actor, id).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"import-report-{id}.csv\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => store_error(&ctx, e),
    }
}
