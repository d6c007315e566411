//! Background jobs (the CBSA webhook deliveries) for administrators: each
//! job's status and every attempt, and a retry button. Payloads (personal
//! data) are never shown. Everyone else is refused.

use crate::auth::PageUser;
use crate::frame::{error_page, render, require, store_error, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::{Action, Resource};
use homeward_store::jobs::{self, AttemptRow, JobFilter, JobSummary};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "admin_jobs.html")]
struct JobsPage {
    l: Layout,
    jobs: Vec<(JobSummary, Vec<AttemptRow>)>,
}

/// GET /admin/jobs (admin only).
pub async fn list(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let filter = JobFilter {
        limit: Some(100),
        ..Default::default()
    };
    let list = match jobs::list(&state.store, &filter).await {
        Ok(l) => l,
        Err(e) => return store_error(&ctx, e),
    };
    let mut out = Vec::with_capacity(list.len());
    for j in list {
        match jobs::attempts(&state.store, j.id).await {
            Ok(a) => out.push((j, a)),
            Err(e) => return store_error(&ctx, e),
        }
    }
    let l = Layout::new(&ctx, ctx.tr().t("nav-jobs"), "/admin/jobs");
    render(StatusCode::OK, JobsPage { l, jobs: out })
}

/// POST /admin/jobs/{id}/retry (admin only).
pub async fn retry(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(&id) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match jobs::retry_by(&state.store, &auth.actor, id).await {
        Ok(()) => {
            state.config.jobs_wake.wake();
            Redirect::to("/admin/jobs").into_response()
        }
        Err(e) => store_error(&ctx, e),
    }
}
