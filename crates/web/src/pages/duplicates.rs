//! The duplicate review queue (docs/adr/0032): `/duplicates` lists the
//! stored candidate pairs (likely first, by level, paged, with counts),
//! `/duplicates/{a}/{b}` compares two people side by side and merges them
//! (keeping either) or marks them as different people, and
//! `/duplicates/merges` lists merges with their undo.
//!
//! Who may: supervisors, for people in their record scope (both people to
//! compare, merge or dismiss a pair; the kept person to undo a merge); an
//! id out of scope answers 404. Every other role, counsellors included, is
//! refused (403): see `homeward_domain::merge::may_review`. The compare page
//! shows identity details and case statuses only, never restricted data
//! (counselling, health, vulnerability).

use super::before_departure::parse_id;
use crate::auth::{Ctx, PageUser};
use crate::frame::{error_page, render, store_error, Layout, PageForm};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::duplicates::Level;
use homeward_store::duplicates::{self, PersonCase, QueueCounts, QueueItem};
use homeward_store::merges::{self, Merge, MergeInput};
use homeward_store::persons::PersonRow;
use homeward_store::{Actor, Error as StoreError};
use std::collections::HashMap;
use uuid::Uuid;

/// Pairs per page of the queue, merges per page of the history.
const PAGE: i64 = 50;

/// Refuses, before anything is read, a role that may not review (403).
fn reviewer(ctx: &Ctx, actor: &Actor) -> Result<(), Response> {
    duplicates::require_reviewer(actor).map_err(|e| store_error(ctx, e))
}

/// `?page=` as a number from 1 (anything else is page 1).
fn page_of(q: &HashMap<String, String>) -> i64 {
    q.get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .filter(|p| (1..=1_000_000).contains(p))
        .unwrap_or(1)
}

#[derive(Template)]
#[template(path = "duplicates.html")]
struct QueuePage {
    l: Layout,
    items: Vec<QueueItem>,
    counts: QueueCounts,
    level: String,
    page: i64,
    pages: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
}

/// GET /duplicates[?level=likely|possible][&page=N]: the review queue.
pub async fn queue(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = reviewer(&ctx, &auth.actor) {
        return r;
    }
    let level = match q.get("level").map(String::as_str) {
        Some("likely") => Some(Level::Likely),
        Some("possible") => Some(Level::Possible),
        _ => None,
    };
    let page = page_of(&q);
    let (items, counts) =
        match duplicates::queue(&state.store, &auth.actor, level, PAGE, (page - 1) * PAGE).await {
            Ok(x) => x,
            Err(e) => return store_error(&ctx, e),
        };
    let total = match level {
        Some(Level::Likely) => counts.likely,
        Some(Level::Possible) => counts.possible,
        None => counts.likely + counts.possible,
    };
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let level = level.map(|l| l.as_str().to_string()).unwrap_or_default();
    let link = |p: i64| format!("/duplicates?level={level}&page={p}");
    let t = ctx.tr();
    let l = Layout::new(&ctx, t.t("duplicates-title"), "/duplicates");
    render(
        StatusCode::OK,
        QueuePage {
            l,
            items,
            counts,
            prev_link: (page > 1).then(|| link(page - 1)),
            next_link: (page < pages).then(|| link(page + 1)),
            level,
            page,
            pages,
        },
    )
}

/// One line of the side-by-side comparison.
pub struct CompareLine {
    pub label: String,
    pub left: String,
    pub right: String,
    pub differs: bool,
}

/// One side of the comparison.
pub struct Side {
    pub id: Uuid,
    pub name: String,
    pub version: i64,
    pub merged: bool,
    pub cases: Vec<PersonCase>,
}

#[derive(Template)]
#[template(path = "duplicates_compare.html")]
struct ComparePage {
    l: Layout,
    left: Side,
    right: Side,
    lines: Vec<CompareLine>,
    score: Option<String>,
    level: Option<String>,
    not_duplicates: bool,
    error: Option<String>,
    confirm_error: Option<String>,
}

fn list(s: &str) -> String {
    serde_json::from_str::<Vec<String>>(s)
        .unwrap_or_default()
        .join(", ")
}

fn opt(s: &Option<String>) -> String {
    s.clone().unwrap_or_default()
}

/// The identity details compared, in order (no restricted data).
fn lines(t: &Tr, a: &PersonRow, b: &PersonRow) -> Vec<CompareLine> {
    let dob = |p: &PersonRow| {
        p.date_of_birth
            .map(|d| {
                if p.date_of_birth_approximate {
                    format!("~{d}")
                } else {
                    d.to_string()
                }
            })
            .unwrap_or_default()
    };
    let rows: Vec<(&str, String, String)> = vec![
        ("given_names", opt(&a.given_names), opt(&b.given_names)),
        ("family_name", opt(&a.family_name), opt(&b.family_name)),
        (
            "original_script_name",
            opt(&a.original_script_name),
            opt(&b.original_script_name),
        ),
        ("aliases", list(&a.aliases), list(&b.aliases)),
        ("sex", t.choice("sex", &a.sex), t.choice("sex", &b.sex)),
        ("date_of_birth", dob(a), dob(b)),
        (
            "nationalities",
            list(&a.nationalities),
            list(&b.nationalities),
        ),
        ("uci", opt(&a.uci), opt(&b.uci)),
        (
            "cbsa_client_id",
            opt(&a.cbsa_client_id),
            opt(&b.cbsa_client_id),
        ),
        (
            "passport_number",
            opt(&a.passport_number),
            opt(&b.passport_number),
        ),
        ("phone", opt(&a.phone), opt(&b.phone)),
    ];
    rows.into_iter()
        .map(|(k, left, right)| CompareLine {
            label: t.t(&format!("field-{k}")),
            differs: left != right,
            left,
            right,
        })
        .collect()
}

async fn side(state: &AppState, actor: &Actor, p: &PersonRow) -> Result<Side, StoreError> {
    Ok(Side {
        id: p.id,
        name: p.display_name.clone(),
        version: p.version,
        merged: merges::merged_into(&state.store, p.id).await?.is_some(),
        cases: duplicates::cases_of(&state.store, actor, p.id).await?,
    })
}

async fn compare_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    a: Uuid,
    b: Uuid,
    status: StatusCode,
    (error, confirm_error): (Option<String>, Option<String>),
) -> Response {
    let (pa, pb) = match homeward_store::merges::both_in_scope(&state.store, actor, a, b).await {
        Ok(x) => x,
        Err(e) => return store_error(ctx, e),
    };
    let t = ctx.tr();
    let (left, right) = match (side(state, actor, &pa).await, side(state, actor, &pb).await) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(e), _) | (_, Err(e)) => return store_error(ctx, e),
    };
    let stored = match duplicates::pair(&state.store, a, b).await {
        Ok(p) => p,
        Err(e) => return store_error(ctx, e),
    };
    let not_duplicates = match duplicates::is_not_duplicate(&state.store, a, b).await {
        Ok(n) => n,
        Err(e) => return store_error(ctx, e),
    };
    let l = Layout::new(ctx, t.t("compare-title"), "/duplicates");
    render(
        status,
        ComparePage {
            lines: lines(&t, &pa, &pb),
            l,
            left,
            right,
            score: stored.as_ref().map(|(s, _)| format!("{s:.3}")),
            level: stored.map(|(_, l)| l),
            not_duplicates,
            error,
            confirm_error,
        },
    )
}

fn pair_ids(ctx: &Ctx, a: &str, b: &str) -> Result<(Uuid, Uuid), Response> {
    Ok((parse_id(ctx, a)?, parse_id(ctx, b)?))
}

/// GET /duplicates/{a}/{b}: the two people side by side.
pub async fn compare(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path((a, b)): Path<(String, String)>,
) -> Response {
    if let Err(r) = reviewer(&ctx, &auth.actor) {
        return r;
    }
    let (a, b) = match pair_ids(&ctx, &a, &b) {
        Ok(x) => x,
        Err(r) => return r,
    };
    compare_page(
        &state,
        &ctx,
        &auth.actor,
        a,
        b,
        StatusCode::OK,
        (None, None),
    )
    .await
}

/// The message for a refused merge, undo or decision, if it is one the
/// page explains (anything else is an error page).
fn refusal(t: &Tr, e: &StoreError) -> Option<(StatusCode, String)> {
    match e {
        StoreError::Conflict => Some((StatusCode::CONFLICT, t.error("merge-stale"))),
        StoreError::Invalid(inv) => inv
            .for_field("merge")
            .map(|code| (StatusCode::UNPROCESSABLE_ENTITY, t.error(code))),
        _ => None,
    }
}

/// POST /duplicates/{a}/{b}/merge: `keep` (`left` or `right`), the versions
/// shown (`left_version`, `right_version`) and the `confirm` box.
pub async fn merge(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path((a, b)): Path<(String, String)>,
    body: Result<PageForm, Response>,
) -> Response {
    if let Err(r) = reviewer(&ctx, &auth.actor) {
        return r;
    }
    let (a, b) = match pair_ids(&ctx, &a, &b) {
        Ok(x) => x,
        Err(r) => return r,
    };
    // Scope before the body.
    if let Err(e) = homeward_store::merges::both_in_scope(&state.store, &auth.actor, a, b).await {
        return store_error(&ctx, e);
    }
    let PageForm(form) = match body {
        Ok(f) => f,
        Err(r) => return r,
    };
    let t = ctx.tr();
    let version = |k: &str| form.get(k).and_then(|v| v.trim().parse::<i64>().ok());
    let (Some(va), Some(vb)) = (version("left_version"), version("right_version")) else {
        return error_page(&ctx, StatusCode::BAD_REQUEST, "bad-request");
    };
    let input = match form.get("keep").map(String::as_str) {
        Some("left") => MergeInput {
            kept: a,
            kept_version: va,
            merged: b,
            merged_version: vb,
        },
        Some("right") => MergeInput {
            kept: b,
            kept_version: vb,
            merged: a,
            merged_version: va,
        },
        _ => return error_page(&ctx, StatusCode::BAD_REQUEST, "bad-request"),
    };
    if form.get("confirm").map(String::as_str) != Some("on") {
        return compare_page(
            &state,
            &ctx,
            &auth.actor,
            a,
            b,
            StatusCode::UNPROCESSABLE_ENTITY,
            (Some(t.t("form-has-errors")), Some(t.error("merge-confirm"))),
        )
        .await;
    }
    match merges::merge(&state.store, &auth.actor, &input).await {
        Ok(m) => Redirect::to(&format!("/duplicates/merges#merge-{}", m.id)).into_response(),
        Err(e) => match refusal(&t, &e) {
            Some((status, msg)) => {
                compare_page(&state, &ctx, &auth.actor, a, b, status, (Some(msg), None)).await
            }
            None => store_error(&ctx, e),
        },
    }
}

/// POST /duplicates/{a}/{b}/not-duplicates: remembers that they are two people.
pub async fn not_duplicates(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path((a, b)): Path<(String, String)>,
) -> Response {
    if let Err(r) = reviewer(&ctx, &auth.actor) {
        return r;
    }
    let (a, b) = match pair_ids(&ctx, &a, &b) {
        Ok(x) => x,
        Err(r) => return r,
    };
    match homeward_store::merges::mark_not_duplicates(&state.store, &auth.actor, a, b).await {
        Ok(()) => Redirect::to("/duplicates").into_response(),
        Err(e) => store_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "duplicates_merges.html")]
struct MergesPage {
    l: Layout,
    merges: Vec<Merge>,
    error: Option<String>,
    page: i64,
    pages: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
}

async fn merges_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    page: i64,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let (merges, total) = match merges::history(&state.store, actor, PAGE, (page - 1) * PAGE).await
    {
        Ok(x) => x,
        Err(e) => return store_error(ctx, e),
    };
    let pages = ((total + PAGE - 1) / PAGE).max(1);
    let link = |p: i64| format!("/duplicates/merges?page={p}");
    let t = ctx.tr();
    let l = Layout::new(ctx, t.t("merges-title"), "/duplicates");
    render(
        status,
        MergesPage {
            l,
            merges,
            error,
            prev_link: (page > 1).then(|| link(page - 1)),
            next_link: (page < pages).then(|| link(page + 1)),
            page,
            pages,
        },
    )
}

/// GET /duplicates/merges[?page=N]: merges of people in scope, newest first.
pub async fn history(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = reviewer(&ctx, &auth.actor) {
        return r;
    }
    merges_page(&state, &ctx, &auth.actor, page_of(&q), StatusCode::OK, None).await
}

/// POST /duplicates/merges/{id}/undo: undoes a merge.
pub async fn undo(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = reviewer(&ctx, &auth.actor) {
        return r;
    }
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match merges::undo(&state.store, &auth.actor, id).await {
        Ok(m) => Redirect::to(&format!("/duplicates/merges#merge-{}", m.id)).into_response(),
        Err(e) => match refusal(&ctx.tr(), &e) {
            Some((status, msg)) => {
                merges_page(&state, &ctx, &auth.actor, 1, status, Some(msg)).await
            }
            None => store_error(&ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "duplicates_notice.html")]
struct Notice {
    t: Tr,
    pairs: Vec<(Uuid, Uuid)>,
}

/// GET /cases/{id}/duplicates: the notice the case page loads (htmx) when
/// one of its people has a likely duplicate; supervisors only, case in scope.
pub async fn case_notice(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = reviewer(&ctx, &auth.actor) {
        return r;
    }
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    if let Err(e) = homeward_store::cases::summary(&state.store, &auth.actor, id).await {
        return store_error(&ctx, e);
    }
    match duplicates::likely_for_case(&state.store, &auth.actor, id).await {
        Ok(pairs) => render(StatusCode::OK, Notice { t: ctx.tr(), pairs }),
        Err(e) => store_error(&ctx, e),
    }
}
