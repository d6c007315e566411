//! Retention and subject access for administrators (docs/adr/0026): the
//! retention report (who would be deleted today, by programme, and what has
//! been) with a purge that asks for the admin's password again; and a
//! person's export (JSON and PDF). Everyone else is refused.

use crate::auth::{Ctx, PageUser};
use crate::frame::{error_page, render, require, store_error, Layout, PageForm};
use crate::reauth::{Check, ClientAddress};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::{Action, Resource};
use homeward_store::retention::{self, ProgrammeLine, PurgedCount};
use homeward_store::subject_access;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "admin_retention.html")]
struct RetentionPage {
    l: Layout,
    today: String,
    lines: Vec<ProgrammeLine>,
    persons: i64,
    cases: i64,
    purged: Vec<PurgedCount>,
    /// A message after a purge, or why it was refused.
    notice: Option<String>,
    error: Option<String>,
    /// The admin has two-factor on: the purge asks for a code too.
    asks_code: bool,
}

async fn retention_page(
    state: &AppState,
    ctx: &Ctx,
    user_id: Uuid,
    notice: Option<String>,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let today = homeward_store::now().date_naive();
    let plan = match retention::plan(&state.store, today).await {
        Ok(p) => p,
        Err(e) => return store_error(ctx, e),
    };
    let purged = match retention::purged_counts(&state.store).await {
        Ok(p) => p,
        Err(e) => return store_error(ctx, e),
    };
    let asks_code = match homeward_store::two_factor::status(&state.store, user_id).await {
        Ok(s) => s.enabled(),
        Err(e) => return store_error(ctx, e),
    };
    let l = Layout::new(ctx, ctx.tr().t("nav-retention"), "/admin/retention");
    render(
        status,
        RetentionPage {
            l,
            today: today.to_string(),
            persons: plan.persons(),
            cases: plan.cases(),
            lines: plan.lines,
            purged,
            notice,
            error,
            asks_code,
        },
    )
}

/// GET /admin/retention: the dry run (admin only).
pub async fn show(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let notice = q.get("deleted").map(|n| {
        ctx.tr()
            .count("retention-deleted", n.parse::<usize>().unwrap_or(0))
    });
    retention_page(
        &state,
        &ctx,
        auth.actor.user_id,
        notice,
        None,
        StatusCode::OK,
    )
    .await
}

/// POST /admin/retention/purge: deletes who is due now, once the admin has
/// typed their password again, and their two-factor code when they have
/// two-factor on, every time (admin only). Wrong answers count towards the
/// sign-in throttle of the account and address (docs/asvs.md 3.7.1).
pub async fn purge(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    address: ClientAddress,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let password = form.get("password").map(String::as_str).unwrap_or("");
    let code = form.get("code").map(String::as_str).unwrap_or("");
    let key = match crate::reauth::check(&state, &auth, &address, password, code).await {
        Ok(Check::Accepted) => None,
        Ok(Check::Wrong) => Some("retention-wrong-password"),
        Ok(Check::Throttled) => Some("retention-throttled"),
        Err(e) => return store_error(&ctx, e),
    };
    if let Some(key) = key {
        let msg = ctx.tr().t(key);
        return retention_page(
            &state,
            &ctx,
            auth.actor.user_id,
            None,
            Some(msg),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let today = homeward_store::now().date_naive();
    let plan = match retention::plan(&state.store, today).await {
        Ok(p) => p,
        Err(e) => return store_error(&ctx, e),
    };
    match retention::purge(&state.store, Some(&auth.actor), &plan).await {
        Ok(o) => Redirect::to(&format!("/admin/retention?deleted={}", o.persons)).into_response(),
        Err(e) => store_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "admin_person.html")]
struct PersonPage {
    l: Layout,
    id: String,
}

/// GET /admin/persons?id=...: the subject access page (admin only); with an
/// id, links to the person's export.
pub async fn person_form(
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    if let Some(id) = q.get("id").map(|s| s.trim()).filter(|s| !s.is_empty()) {
        return match Uuid::parse_str(id) {
            Ok(id) => Redirect::to(&format!("/admin/persons/{id}")).into_response(),
            Err(_) => error_page(&ctx, StatusCode::NOT_FOUND, "not-found"),
        };
    }
    let l = Layout::new(&ctx, ctx.tr().t("subject-access"), "/admin/persons");
    render(
        StatusCode::OK,
        PersonPage {
            l,
            id: String::new(),
        },
    )
}

/// GET /admin/persons/{id}: the person page for an admin: the export actions.
pub async fn person(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match subject_access::exists(&state.store, id).await {
        Ok(true) => {}
        Ok(false) => return error_page(&ctx, StatusCode::NOT_FOUND, "not-found"),
        Err(e) => return store_error(&ctx, e),
    }
    let l = Layout::new(&ctx, ctx.tr().t("subject-access"), "/admin/persons");
    render(
        StatusCode::OK,
        PersonPage {
            l,
            id: id.to_string(),
        },
    )
}

/// GET /admin/persons/{id}/export.json and .../export.pdf (admin only, after
/// a recent re-authentication like every other download of personal data;
/// audited).
pub async fn export(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path((id, file)): Path<(String, String)>,
    uri: axum::http::Uri,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    if let Err(r) = crate::reauth::guard_get(&auth, &uri) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let pdf = match file.as_str() {
        "export.json" => false,
        "export.pdf" => true,
        _ => return error_page(&ctx, StatusCode::NOT_FOUND, "not-found"),
    };
    let doc = match subject_access::export(&state.store, Some(&auth.actor), id).await {
        Ok(d) => d,
        Err(e) => return store_error(&ctx, e),
    };
    let (body, mime, ext) = if pdf {
        let t = ctx.tr();
        let labels = crate::subject_access::Labels {
            lang: t.code().into(),
            title: t.t("subject-access-title"),
            person: t.t("subject-access-person"),
            case: t.t("subject-access-case"),
            audit: t.t("subject-access-audit"),
            field: t.t("subject-access-field"),
            value: t.t("subject-access-value"),
            org: t.t("report-org"),
            org_short: t.t("report-org-short"),
        };
        match crate::subject_access::pdf(&doc, &labels) {
            Ok(b) => (b, "application/pdf", "pdf"),
            Err(e) => {
                tracing::error!(error = %e, "subject access PDF failed");
                return error_page(&ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
            }
        }
    } else {
        match serde_json::to_vec_pretty(&doc) {
            Ok(b) => (b, "application/json", "json"),
            Err(_) => return error_page(&ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
        }
    };
    (
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"person-{id}.{ext}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}
