//! User administration: admin only.

use super::{refilled, render, require, store_error, Layout, PageForm};
use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::{Action, Resource, Role};
use homeward_store::users::{self, NewUser, User};
use homeward_store::Error;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "admin_users.html")]
struct ListPage {
    l: Layout,
    users: Vec<User>,
    me: Uuid,
}

/// GET /admin/users.
pub async fn list(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    match users::list(&state.store, &auth.actor).await {
        Ok(users) => {
            let l = Layout::new(&ctx, ctx.tr().t("nav-users"), "/admin/users");
            render(
                StatusCode::OK,
                ListPage {
                    l,
                    users,
                    me: auth.user.id,
                },
            )
        }
        Err(e) => store_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "admin_user_new.html")]
struct NewPage {
    l: Layout,
    f: FormState,
    roles: Vec<(String, String)>,
}

fn new_page(ctx: &Ctx, f: FormState, status: StatusCode) -> Response {
    let t = ctx.tr();
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), t.role(r.as_str())))
        .collect();
    let l = Layout::new(ctx, t.t("new-user"), "/admin/users");
    render(status, NewPage { l, f, roles })
}

/// GET /admin/users/new.
pub async fn new_form(PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    new_page(&ctx, FormState::default(), StatusCode::OK)
}

/// POST /admin/users.
pub async fn create(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let t = ctx.tr();
    let g = |k: &str| form.get(k).cloned().unwrap_or_default();
    let n = NewUser {
        email: g("email"),
        name: g("name"),
        role: g("role"),
        team: form.get("team").cloned(),
        country: form.get("country").cloned(),
        language: form.get("language").cloned(),
        password: g("password"),
    };
    let mut values = form.clone();
    values.remove("password");
    match users::create(&state.store, Some(&auth.actor), &n).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e) => match refilled(&t, values, &e, "") {
            Some((f, status)) => new_page(&ctx, f, status),
            None => store_error(&ctx, e),
        },
    }
}

/// POST /admin/users/{id}/active.
pub async fn set_active(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return super::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let active = form.get("active").map(|v| v == "true").unwrap_or(false);
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    match users::set_active(&state.store, &auth.actor, id, active, version).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(Error::Invalid(_)) => {
            super::error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "self-deactivate")
        }
        Err(e) => store_error(&ctx, e),
    }
}
