//! User administration: admin only.

use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{refilled, render, require, store_error, Layout, PageForm};
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
    /// The search as typed (`q`, `role`).
    f: FormState,
    users: Vec<User>,
    me: Uuid,
    /// Users with two-factor sign-in on.
    two_factor: std::collections::HashSet<Uuid>,
    roles: Vec<(String, String)>,
}

impl ListPage {
    fn has_two_factor(&self, u: &User) -> bool {
        self.two_factor.contains(&u.id)
    }
}

/// GET /admin/users.
pub async fn list(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let two_factor = match homeward_store::two_factor::enabled_users(&state.store).await {
        Ok(s) => s,
        Err(e) => return store_error(&ctx, e),
    };
    let (q, role) = (query.get("q"), query.get("role"));
    match users::search(
        &state.store,
        &auth.actor,
        q.map(String::as_str),
        role.map(String::as_str),
    )
    .await
    {
        Ok(users) => {
            let t = ctx.tr();
            let roles = Role::ALL
                .iter()
                .map(|r| (r.as_str().to_string(), t.role(r.as_str())))
                .collect();
            let l = Layout::new(&ctx, t.t("nav-users"), "/admin/users");
            render(
                StatusCode::OK,
                ListPage {
                    l,
                    f: FormState::with(query.clone()),
                    users,
                    me: auth.user.id,
                    two_factor,
                    roles,
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
    /// (checkbox name `programme:<code>`, programme name).
    programmes: Vec<(String, String)>,
}

/// Checkbox names of the programmes: `programme:<code>`.
const PROGRAMME_BOX: &str = "programme:";

async fn programme_boxes(state: &AppState) -> Vec<(String, String)> {
    homeward_store::programmes::list(&state.store)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|p| (format!("{PROGRAMME_BOX}{}", p.code), p.name))
        .collect()
}

/// The programme codes ticked in a form.
fn ticked(form: &std::collections::HashMap<String, String>) -> Vec<String> {
    let mut codes: Vec<String> = form
        .iter()
        .filter(|(_, v)| matches!(v.as_str(), "on" | "true" | "1"))
        .filter_map(|(k, _)| k.strip_prefix(PROGRAMME_BOX).map(str::to_string))
        .collect();
    codes.sort();
    codes
}

async fn new_page(state: &AppState, ctx: &Ctx, f: FormState, status: StatusCode) -> Response {
    let t = ctx.tr();
    let roles = Role::ALL
        .iter()
        .map(|r| (r.as_str().to_string(), t.role(r.as_str())))
        .collect();
    let programmes = programme_boxes(state).await;
    let l = Layout::new(ctx, t.t("new-user"), "/admin/users");
    render(
        status,
        NewPage {
            l,
            f,
            roles,
            programmes,
        },
    )
}

/// GET /admin/users/new.
pub async fn new_form(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    new_page(&state, &ctx, FormState::default(), StatusCode::OK).await
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
        programmes: ticked(&form),
    };
    let mut values = form.clone();
    values.remove("password");
    match users::create(&state.store, Some(&auth.actor), &n).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e) => match refilled(&t, values, &e, "") {
            Some((f, status)) => new_page(&state, &ctx, f, status).await,
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
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let active = form.get("active").map(|v| v == "true").unwrap_or(false);
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    match users::set_active(&state.store, &auth.actor, id, active, version).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(Error::Invalid(_)) => {
            crate::frame::error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "self-deactivate")
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// POST /admin/users/{id}/role: changes a user's role (not one's own),
/// audited; asks for the admin's password (and code) again unless they
/// typed it within the last minutes (docs/adr/0027).
pub async fn set_role(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    address: crate::reauth::ClientAddress,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let Ok(uid) = Uuid::parse_str(id.trim()) else {
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let action = format!("/admin/users/{uid}/role");
    if let Err(r) = crate::reauth::guard_form(&state, &auth, &ctx, &address, &action, &form).await {
        return r;
    }
    let role = form.get("role").cloned().unwrap_or_default();
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    match users::set_role(&state.store, &auth.actor, uid, &role, version).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(Error::Invalid(_)) => {
            crate::frame::error_page(&ctx, StatusCode::UNPROCESSABLE_ENTITY, "role-change")
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// POST /admin/users/{id}/two-factor/reset: turns a user's two-factor
/// sign-in off (a lost phone) and ends their sessions; audited.
pub async fn reset_two_factor(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let Ok(uid) = Uuid::parse_str(id.trim()) else {
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match homeward_store::two_factor::reset(&state.store, &auth.actor, uid).await {
        Ok(()) => Redirect::to("/admin/users").into_response(),
        Err(e) => store_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "admin_user_programmes.html")]
struct ProgrammesPage {
    l: Layout,
    f: FormState,
    user: User,
    programmes: Vec<(String, String)>,
}

async fn programmes_page(
    state: &AppState,
    ctx: &Ctx,
    user: User,
    f: FormState,
    status: StatusCode,
) -> Response {
    let t = ctx.tr();
    let programmes = programme_boxes(state).await;
    let l = Layout::new(ctx, t.t("user-programmes"), "/admin/users");
    render(
        status,
        ProgrammesPage {
            l,
            f,
            user,
            programmes,
        },
    )
}

/// GET /admin/users/{id}/programmes: the programmes a user works in, to
/// change. Admins only.
pub async fn programmes_form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let Ok(uid) = Uuid::parse_str(id.trim()) else {
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let user = match users::get(&state.store, uid).await {
        Ok(u) => u,
        Err(e) => return store_error(&ctx, e),
    };
    let values = user
        .programmes
        .iter()
        .map(|c| (format!("{PROGRAMME_BOX}{c}"), "on".to_string()))
        .collect();
    programmes_page(&state, &ctx, user, FormState::with(values), StatusCode::OK).await
}

/// POST /admin/users/{id}/programmes: changes them (at least one),
/// audited. Admins only.
pub async fn set_programmes(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::User, Action::Manage) {
        return r;
    }
    let Ok(uid) = Uuid::parse_str(id.trim()) else {
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    let codes = ticked(&form);
    match users::set_programmes(&state.store, &auth.actor, uid, &codes, version).await {
        Ok(_) => Redirect::to("/admin/users").into_response(),
        Err(e) => {
            let user = match users::get(&state.store, uid).await {
                Ok(u) => u,
                Err(e) => return store_error(&ctx, e),
            };
            let t = ctx.tr();
            match refilled(&t, form, &e, "") {
                Some((f, status)) => programmes_page(&state, &ctx, user, f, status).await,
                None => store_error(&ctx, e),
            }
        }
    }
}
