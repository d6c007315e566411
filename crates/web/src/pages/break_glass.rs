//! Breaking the glass (issue 22): a supervisor opens a case outside their
//! scope by typing its number and why (`GET`/`POST /cases/break-glass`,
//! supervisors only, everyone else 403); the auditor lists every grant
//! (`GET /audit/break-glass`, auditors only). The rules and the record are
//! in `homeward_store::break_glass`.

use crate::auth::PageUser;
use crate::form::FormState;
use crate::frame::{refilled, render, require, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::break_glass::{may_break_glass, GRANT_MINUTES};
use homeward_domain::{Action, Resource};
use homeward_store::break_glass::{self, Grant};

#[derive(Template)]
#[template(path = "break_glass.html")]
struct OpenPage {
    l: Layout,
    f: FormState,
    minutes: i64,
}

fn open_page(l: Layout, f: FormState, status: StatusCode) -> Response {
    render(
        status,
        OpenPage {
            l,
            f,
            minutes: GRANT_MINUTES,
        },
    )
}

/// GET /cases/break-glass: the form (supervisors only).
pub async fn form(PageUser(auth, ctx): PageUser) -> Response {
    if !may_break_glass(auth.actor.role) {
        return crate::frame::error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let l = Layout::new(&ctx, ctx.tr().t("break-glass-title"), "/cases/break-glass");
    open_page(l, FormState::default(), StatusCode::OK)
}

/// POST /cases/break-glass: opens the case and goes to it, or shows the
/// form again with what was typed and what is wrong.
pub async fn open(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    PageForm(form): PageForm,
) -> Response {
    if !may_break_glass(auth.actor.role) {
        return crate::frame::error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let number = form.get("case_number").map(String::as_str).unwrap_or("");
    let reason = form.get("reason").map(String::as_str).unwrap_or("");
    match break_glass::open(&state.store, &auth.actor, number, reason).await {
        Ok((id, _)) => Redirect::to(&format!("/cases/{id}")).into_response(),
        Err(e) => match refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => {
                let l = Layout::new(&ctx, ctx.tr().t("break-glass-title"), "/cases/break-glass");
                open_page(l, f, status)
            }
            None => store_error(&ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "break_glass_log.html")]
struct LogPage {
    l: Layout,
    grants: Vec<Grant>,
}

/// GET /audit/break-glass: every grant, newest first (auditors only).
pub async fn log(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Audit, Action::Read) {
        return r;
    }
    match break_glass::list(&state.store, &auth.actor, 500).await {
        Ok(grants) => {
            let l = Layout::new(
                &ctx,
                ctx.tr().t("break-glass-log-title"),
                "/audit/break-glass",
            );
            render(StatusCode::OK, LogPage { l, grants })
        }
        Err(e) => store_error(&ctx, e),
    }
}
