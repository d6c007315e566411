//! Editing a person: counsellor and supervisor, for people in their scope.

use super::fields::{person_input, person_values, sex_options};
use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{refilled, render, require, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::{Action, Resource};
use homeward_store::persons;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "person_edit.html")]
struct EditPage {
    l: Layout,
    id: Uuid,
    name: String,
    f: FormState,
    sexes: Vec<(String, String)>,
    back: String,
}

async fn back_link(state: &AppState, id: Uuid) -> String {
    match persons::case_of(&state.store, id).await {
        Ok(Some(c)) => format!("/cases/{c}"),
        _ => "/cases".into(),
    }
}

fn page(
    ctx: &Ctx,
    id: Uuid,
    name: String,
    f: FormState,
    back: String,
    status: StatusCode,
) -> Response {
    let t = ctx.tr();
    let l = Layout::new(ctx, format!("{} · {}", t.t("edit-person"), name), "/cases");
    render(
        status,
        EditPage {
            l,
            id,
            name,
            f,
            sexes: sex_options(&t),
            back,
        },
    )
}

/// GET /persons/{id}/edit.
pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Person, Action::Update) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    match persons::get_row(&state.store, &auth.actor, id).await {
        Ok(row) => {
            let mut f = FormState::with(person_values(&row.to_input()));
            f.values.insert("version".into(), row.version.to_string());
            let back = back_link(&state, id).await;
            page(&ctx, id, row.display_name, f, back, StatusCode::OK)
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// POST /persons/{id}/edit.
pub async fn edit(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Person, Action::Update) {
        return r;
    }
    let Ok(id) = Uuid::parse_str(&id) else {
        return crate::frame::error_page(&ctx, StatusCode::NOT_FOUND, "not-found");
    };
    let t = ctx.tr();
    let current = match persons::get_row(&state.store, &auth.actor, id).await {
        Ok(r) => r,
        Err(e) => return store_error(&ctx, e),
    };
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    let back = back_link(&state, id).await;
    match persons::update(&state.store, &auth.actor, id, version, &person_input(&form)).await {
        Ok(_) => Redirect::to(&back).into_response(),
        Err(e) => match refilled(&t, form, &e, "") {
            Some((mut f, status)) => {
                f.values
                    .insert("version".into(), current.version.to_string());
                page(&ctx, id, current.display_name, f, back, status)
            }
            None => store_error(&ctx, e),
        },
    }
}
