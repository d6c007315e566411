//! Questions and complaints, the staff side (issue 22):
//! - `GET /feedback` (`?show=all` for answered ones too) and
//!   `GET`/`POST /feedback/{id}`: the register and its answers, for
//!   supervisors only (`feedback::may_answer`), over the cases in their
//!   scope; everyone else 403, an item out of scope 404.
//! - `GET /cases/{id}/feedback/new`, `POST /cases/{id}/feedback`: writing
//!   down what a person said on the phone or in person, for counsellors,
//!   supervisors and mission officers (`feedback::may_record`) on a case in
//!   their scope; others 403, out of scope 404.
//!
//! The rules and the register: `homeward_store::feedback`.

use super::before_departure::parse_id;
use crate::auth::Ctx;
use crate::auth::PageUser;
use crate::case_access::{need, CaseIn};
use crate::form::FormState;
use crate::frame::{error_page, refilled, render, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::feedback::{may_answer, may_record, KINDS, STAFF_CHANNELS};
use homeward_store::feedback::{self, Item, NewItem, Showing};
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "feedback_register.html")]
struct RegisterPage {
    l: Layout,
    items: Vec<Item>,
    all: bool,
}

/// The day it is for the reader (overdue is counted in days).
fn today(actor: &homeward_store::actor::Actor) -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&actor.local_zone())
        .date_naive()
}

/// GET /feedback: the open items, earliest due first (`?show=all`: every
/// item, newest first).
pub async fn register(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if !may_answer(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let all = q.get("show").is_some_and(|s| s == "all");
    let showing = if all { Showing::All } else { Showing::Open };
    match feedback::register(&state.store, &auth.actor, showing, today(&auth.actor), 500).await {
        Ok(items) => {
            let l = Layout::new(&ctx, ctx.tr().t("feedback-title"), "/feedback");
            render(StatusCode::OK, RegisterPage { l, items, all })
        }
        Err(e) => store_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "feedback_item.html")]
struct ItemPage {
    l: Layout,
    item: Item,
    f: FormState,
}

fn item_page(ctx: &Ctx, item: Item, f: FormState, status: StatusCode) -> Response {
    let l = Layout::new(ctx, ctx.tr().t("feedback-item-title"), "/feedback");
    render(status, ItemPage { l, item, f })
}

/// GET /feedback/{id}: one item, with the answer form while it has none.
pub async fn show(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if !may_answer(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match feedback::get(&state.store, &auth.actor, id, today(&auth.actor)).await {
        Ok(item) => item_page(&ctx, item, FormState::default(), StatusCode::OK),
        Err(e) => store_error(&ctx, e),
    }
}

/// POST /feedback/{id}: records the answer, or shows the item again with
/// what was typed and what is wrong.
pub async fn answer(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if !may_answer(auth.actor.role) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let text = form.get("answer").map(String::as_str).unwrap_or("");
    match feedback::answer(&state.store, &auth.actor, id, text).await {
        Ok(()) => Redirect::to(&format!("/feedback/{id}?done=answered")).into_response(),
        Err(e) => match refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => {
                match feedback::get(&state.store, &auth.actor, id, today(&auth.actor)).await {
                    Ok(item) => item_page(&ctx, item, f, status),
                    Err(e) => store_error(&ctx, e),
                }
            }
            None => store_error(&ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "feedback_new.html")]
struct NewPage {
    l: Layout,
    f: FormState,
    case_id: String,
    case_number: String,
    people: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    done: bool,
}

/// The recording form for case `id`, or the error page for one out of reach.
async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &homeward_store::actor::Actor,
    id: Uuid,
    f: FormState,
    status: StatusCode,
    done: bool,
) -> Response {
    let case = match homeward_store::cases::get(&state.store, actor, id).await {
        Ok(c) => c,
        Err(e) => return store_error(ctx, e),
    };
    let t = ctx.tr();
    let l = Layout::new(ctx, t.t("feedback-record-title"), &format!("/cases/{id}"));
    render(
        status,
        NewPage {
            l,
            f,
            case_id: id.to_string(),
            case_number: case.summary.case_number.clone(),
            people: case
                .members
                .iter()
                .map(|m| (m.person.id.to_string(), m.person.display_name.clone()))
                .collect(),
            kinds: KINDS
                .iter()
                .map(|k| (k.to_string(), t.choice("feedback-kind", k)))
                .collect(),
            channels: STAFF_CHANNELS
                .iter()
                .map(|c| (c.to_string(), t.choice("feedback-channel", c)))
                .collect(),
            done,
        },
    )
}

/// GET /cases/{id}/feedback/new.
pub async fn new_form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    if !may_record(auth.actor.role) {
        // Out of scope reads as not found first, like every case route.
        if let Err(e) =
            homeward_store::cases::scope::summary(&state.store, &auth.actor, id.into()).await
        {
            return store_error(&ctx, e);
        }
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let done = q.get("done").is_some_and(|d| d == "recorded");
    new_page(
        &state,
        &ctx,
        &auth.actor,
        id,
        FormState::default(),
        StatusCode::OK,
        done,
    )
    .await
}

/// POST /cases/{id}/feedback: writes it down and offers the form again.
pub async fn record(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::InScope>,
    PageForm(form): PageForm,
) -> Response {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let item = NewItem {
        person_id: Uuid::parse_str(get("person_id").trim()).ok(),
        kind: get("kind"),
        channel: get("channel"),
        body: get("body"),
    };
    match feedback::record(&state.store, &auth.actor, id, &item).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}/feedback/new?done=recorded")).into_response(),
        Err(e) => match refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => new_page(&state, &ctx, &auth.actor, id, f, status, false).await,
            None => store_error(&ctx, e),
        },
    }
}
