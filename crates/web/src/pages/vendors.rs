//! The vendor registry: the local providers each mission buys from.
//!
//! Who may: mission officers list and register vendors of their own country
//! and switch them off and on; finance does the same for every country;
//! supervisors read. Everyone else is refused (the store checks it again).

use super::before_departure::parse_id;
use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{error_page, render, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::reintegration::{Category, VendorInput};
use homeward_domain::Role;
use homeward_store::vendors::{self, Vendor};
use homeward_store::Actor;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "vendors.html")]
struct VendorsPage {
    l: Layout,
    vendors: Vec<Vendor>,
    f: FormState,
    can_manage: bool,
    country: String,
    /// (category, label) of every category.
    categories: Vec<(String, String)>,
}

/// Who may register and switch vendors (the store decides the country).
fn may_manage(role: Role) -> bool {
    matches!(role, Role::MissionOfficer | Role::Finance)
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    country: Option<String>,
    f: FormState,
    status: StatusCode,
) -> Response {
    let country = country
        .map(|c| c.trim().to_uppercase())
        .filter(|c| !c.is_empty());
    match vendors::list(&state.store, actor, country.as_deref(), true).await {
        Ok(vendors) => {
            let t = ctx.tr();
            let categories = Category::ALL
                .iter()
                .map(|c| (c.as_str().to_string(), t.choice("category", c.as_str())))
                .collect();
            let l = Layout::new(ctx, t.t("nav-vendors"), "/vendors");
            render(
                status,
                VendorsPage {
                    l,
                    vendors,
                    f,
                    can_manage: may_manage(actor.role),
                    country: country.unwrap_or_default(),
                    categories,
                },
            )
        }
        Err(e) => store_error(ctx, e),
    }
}

/// GET /vendors[?country=XX].
pub async fn list(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let mut f = FormState::default();
    // A mission officer registers vendors of their own country.
    if let Some(c) = auth.actor.country.clone() {
        f.values.insert("country".into(), c);
    }
    page(
        &state,
        &ctx,
        &auth.actor,
        q.get("country").cloned(),
        f,
        StatusCode::OK,
    )
    .await
}

/// POST /vendors: registers a vendor.
pub async fn create(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    PageForm(form): PageForm,
) -> Response {
    let input = VendorInput {
        name: form.get("name").cloned(),
        country: form.get("country").cloned(),
        categories: form
            .iter()
            .filter(|(k, v)| k.starts_with("category.") && v.as_str() == "on")
            .map(|(k, _)| k["category.".len()..].to_string())
            .collect(),
        contact: form.get("contact").cloned(),
    };
    match vendors::create(&state.store, &auth.actor, &input).await {
        Ok(v) => {
            Redirect::to(&format!("/vendors?country={}#vendor-{}", v.country, v.id)).into_response()
        }
        Err(e) => match crate::frame::refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => page(&state, &ctx, &auth.actor, None, f, status).await,
            None => store_error(&ctx, e),
        },
    }
}

/// POST /vendors/{id}/active: switches a vendor off or on.
pub async fn set_active(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    // The role before the form (docs/access-matrix.md).
    if let Err(e) = homeward_store::cases::may_act(
        &state.store,
        &auth.actor,
        None,
        &[(
            homeward_domain::Resource::Reintegration,
            homeward_domain::Action::Update,
        )],
    )
    .await
    {
        return store_error(&ctx, e);
    }
    if !matches!(
        auth.actor.role,
        homeward_domain::Role::MissionOfficer | homeward_domain::Role::Finance
    ) {
        return store_error(&ctx, homeward_store::Error::Forbidden);
    }
    let active = match form.get("active").map(String::as_str) {
        Some("true") => true,
        Some("false") => false,
        _ => return error_page(&ctx, StatusCode::BAD_REQUEST, "bad-request"),
    };
    match vendors::set_active(&state.store, &auth.actor, id, active).await {
        Ok(v) => {
            Redirect::to(&format!("/vendors?country={}#vendor-{}", v.country, v.id)).into_response()
        }
        Err(e) => store_error(&ctx, e),
    }
}
