//! API tokens as their owners and admins see them (issue 26): list and
//! revoke. Tokens are made by the operator (`homeward token create`), shown
//! once there; these pages never show a secret.
//!
//! Who may: `/account/tokens` and revoking one's own, every signed-in user
//! (no user id in the route: only their own); `/admin/users/{id}/tokens` and
//! `/admin/tokens/{id}/revoke`, admins only. Someone else's token reads as
//! not found.

use crate::auth::PageUser;
use crate::frame::{error_page, render, require, store_error, Layout};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::{Action, Resource};
use homeward_store::tokens::{self, TokenInfo};
use homeward_store::users;
use std::collections::HashMap;
use uuid::Uuid;

/// One token's row, formatted.
struct Row {
    id: String,
    name: String,
    created: String,
    expires: String,
    last_used: String,
    state: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "account_tokens.html")]
struct TokensPage {
    l: Layout,
    rows: Vec<Row>,
    /// Where each row's revoke button posts (`{id}` stands for the token).
    revoke_prefix: &'static str,
    /// The user whose tokens an admin looks at; `None` on one's own page.
    owner: Option<String>,
    revoked: bool,
}

fn rows(ctx: &crate::auth::Ctx, list: &[TokenInfo]) -> Vec<Row> {
    let t = ctx.tr();
    let now = chrono::Utc::now();
    let when = |d: &Option<chrono::DateTime<chrono::Utc>>, none: &str| {
        d.as_ref()
            .map(|d| t.datetime(d))
            .unwrap_or_else(|| t.t(none))
    };
    list.iter()
        .map(|k| Row {
            id: k.id.to_string(),
            name: if k.name.is_empty() {
                t.t("token-unnamed")
            } else {
                k.name.clone()
            },
            created: t.datetime(&k.created_at),
            expires: when(&k.expires_at, "token-never"),
            last_used: when(&k.last_used_at, "token-never-used"),
            state: k.state(now),
            active: k.state(now) == "active",
        })
        .collect()
}

/// GET /account/tokens: the signed-in user's own tokens.
pub async fn own(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let list = match tokens::list_own(&state.store, &auth.actor).await {
        Ok(l) => l,
        Err(e) => return store_error(&ctx, e),
    };
    let l = Layout::new(&ctx, ctx.tr().t("tokens-title"), "/account/tokens");
    render(
        StatusCode::OK,
        TokensPage {
            rows: rows(&ctx, &list),
            l,
            revoke_prefix: "/account/tokens/",
            owner: None,
            revoked: q.contains_key("revoked"),
        },
    )
}

/// POST /account/tokens/{id}/revoke: revokes one of the user's own tokens.
pub async fn revoke_own(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    let Ok(id) = Uuid::parse_str(id.trim()) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    // Only one's own here, admins included: they revoke others' on the
    // user's admin page.
    match tokens::revoke_own(&state.store, &auth.actor, id).await {
        Ok(_) => Redirect::to("/account/tokens?revoked=1").into_response(),
        Err(e) => store_error(&ctx, e),
    }
}

/// GET /admin/users/{id}/tokens: a user's tokens (admins only).
pub async fn of_user(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let Ok(uid) = Uuid::parse_str(id.trim()) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let user = match users::get(&state.store, uid).await {
        Ok(u) => u,
        Err(e) => return store_error(&ctx, e),
    };
    let list = match tokens::list_for(&state.store, &auth.actor, uid).await {
        Ok(l) => l,
        Err(e) => return store_error(&ctx, e),
    };
    let l = Layout::new(&ctx, ctx.tr().t("tokens-of-user-title"), "/admin/users");
    render(
        StatusCode::OK,
        TokensPage {
            rows: rows(&ctx, &list),
            l,
            revoke_prefix: "/admin/tokens/",
            owner: Some(format!("{} <{}>", user.name, user.email)),
            revoked: q.contains_key("revoked"),
        },
    )
}

/// POST /admin/tokens/{id}/revoke: revokes anyone's token (admins only).
pub async fn revoke_any(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(id.trim()) else {
        return error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match tokens::revoke(&state.store, &auth.actor, id).await {
        Ok(t) => {
            Redirect::to(&format!("/admin/users/{}/tokens?revoked=1", t.user_id)).into_response()
        }
        Err(e) => store_error(&ctx, e),
    }
}
