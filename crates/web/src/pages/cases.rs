//! Case pages.
//! - list, show: roles that read cases (counsellor, supervisor, cbsa_officer,
//!   mission_officer, finance), within their record scope; others get 403.
//! - new, create: counsellor, supervisor, cbsa_officer.
//! - edit: counsellor, supervisor (assignment: supervisor only).
//! - transition: whoever the workflow allows for that step.
//! - add member: counsellor, supervisor.

use super::case_page::{case_page, case_page_of, CaseForms};
use super::fields::{person_input, sex_options};
use crate::auth::{Ctx, PageUser};
use crate::case_access::{need, CaseIn};
use crate::form::FormState;
use crate::frame::{refilled, render, require, store_error, Layout, PageForm};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::{Action, CaseStatus, Resource};
use homeward_store::cases::{self, CaseFilter, CaseInput, CaseSummary, CaseUpdate};
use homeward_store::{audit, programmes, users};
use std::collections::HashMap;
use uuid::Uuid;

const PER_PAGE: i64 = 25;

#[derive(Template)]
#[template(path = "cases_list.html")]
struct ListPage {
    l: Layout,
    rows: Vec<CaseSummary>,
    total: i64,
    /// More cases match than were counted (a common word): narrow the search.
    more: bool,
    page: i64,
    pages: i64,
    f: FormState,
    statuses: Vec<(String, String)>,
    /// Countries by name for the filter (ISO codes behind).
    countries: Vec<(String, String)>,
    sorts: Vec<(String, String)>,
    prev_link: Option<String>,
    next_link: Option<String>,
}

fn query_link(q: &HashMap<String, String>, page: i64) -> String {
    let mut pairs: Vec<(String, String)> = q
        .iter()
        .filter(|(k, v)| k.as_str() != "page" && !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.sort();
    pairs.push(("page".into(), page.to_string()));
    format!(
        "/cases?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// GET /cases.
pub async fn list(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Case, Action::Read) {
        return r;
    }
    let t = ctx.tr();
    let page = q
        .get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    let status = q
        .get("status")
        .filter(|s| CaseStatus::parse(s).is_some())
        .cloned();
    let sort = q
        .get("sort")
        .filter(|s| cases::SORTS.contains(&s.as_str()))
        .cloned();
    let desc = q.get("dir").map(|d| d == "desc").unwrap_or(sort.is_none());
    let f = CaseFilter {
        status,
        country: q
            .get("country")
            .map(|c| c.trim().to_ascii_uppercase())
            .filter(|c| c.len() == 2),
        programme: q.get("programme").cloned(),
        // From the supervisor's workload table: one counsellor's cases, or
        // the ones nobody has taken.
        counsellor_id: q
            .get("counsellor")
            .and_then(|s| uuid::Uuid::parse_str(s.trim()).ok()),
        unassigned: q.get("unassigned").is_some_and(|v| v == "1"),
        q: q.get("q").map(|s| s.chars().take(100).collect()),
        sort,
        desc,
        page,
        per_page: PER_PAGE,
    };
    let cases::CaseList {
        rows,
        total,
        total_is_lower_bound: more,
    } = match cases::list_page(&state.store, &auth.actor, &f).await {
        Ok(r) => r,
        Err(e) => return store_error(&ctx, e),
    };
    let pages = ((total + PER_PAGE - 1) / PER_PAGE).max(1);
    let mut statuses: Vec<(String, String)> = CaseStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), t.status(s.as_str())))
        .collect();
    statuses.insert(0, (String::new(), t.t("all-statuses")));
    let sorts = cases::SORTS
        .iter()
        .map(|s| (s.to_string(), t.t(&format!("sort-{s}"))))
        .collect();
    let mut fs = FormState::default();
    for k in ["q", "status", "country", "sort", "dir"] {
        if let Some(v) = q.get(k) {
            fs.values.insert(k.into(), v.clone());
        }
    }
    let l = Layout::new(&ctx, t.t("nav-cases"), "/cases");
    render(
        StatusCode::OK,
        ListPage {
            l,
            rows,
            total,
            more,
            page,
            pages,
            countries: super::fields::country_options(&t, fs.v("country")),
            f: fs,
            statuses,
            sorts,
            prev_link: (page > 1).then(|| query_link(&q, page - 1)),
            next_link: (page < pages).then(|| query_link(&q, page + 1)),
        },
    )
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewPage {
    l: Layout,
    f: FormState,
    sexes: Vec<(String, String)>,
    /// Countries of return by name (ISO codes behind).
    countries: Vec<(String, String)>,
    programmes: Vec<(String, String)>,
    counsellors: Vec<(String, String)>,
    can_assign: bool,
    show_referral: bool,
    rc: super::fields::ReferralChoices,
    /// (person id, label) found by the existing-person search.
    matches: Vec<(String, String)>,
}

/// People matching `q` that the actor may see, as (id, "name · born · nationality").
pub async fn person_matches(
    state: &AppState,
    actor: &homeward_store::Actor,
    q: &str,
    chosen: &str,
) -> Vec<(String, String)> {
    let q = q.trim();
    let mut out: Vec<(String, String)> = Vec::new();
    let label = |p: &homeward_store::persons::Person| {
        let mut l = p.display_name.clone();
        if let Some(d) = p.date_of_birth {
            l.push_str(&format!(" · {d}"));
        }
        if !p.nationalities.is_empty() {
            l.push_str(&format!(" · {}", p.nationalities.join(", ")));
        }
        l
    };
    // The person already chosen stays on the form when it comes back.
    if let Ok(id) = Uuid::parse_str(chosen.trim()) {
        if let Ok(p) = homeward_store::persons::get(&state.store, actor, id).await {
            out.push((p.id.to_string(), label(&p)));
        }
    }
    if q.chars().count() >= 2 {
        let q: String = q.chars().take(100).collect();
        // The search box's index (docs/adr/0031): word beginnings in any
        // script, identifiers and phones, without reading every person.
        let query = homeward_domain::search::Query::parse(&q).unwrap_or_default();
        if let Ok(found) = homeward_store::search::persons(&state.store, actor, &query, 10).await {
            for hit in found {
                let id = hit.id.to_string();
                if out.iter().any(|(i, _)| *i == id) {
                    continue;
                }
                if let Ok(p) = homeward_store::persons::get(&state.store, actor, hit.id).await {
                    out.push((id, label(&p)));
                }
            }
        }
    }
    out
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &homeward_store::Actor,
    f: FormState,
    status: StatusCode,
) -> Response {
    let t = ctx.tr();
    let auth_role = actor.role;
    // Only the programmes the caller works in.
    let mine: Vec<_> = programmes::list(&state.store)
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|p| actor.in_programme(p.id))
        .collect();
    // The referral asks what any of the caller's programmes records.
    let rc = super::fields::ReferralChoices::for_programmes(&t, &mine.iter().collect::<Vec<_>>());
    let programmes = mine.into_iter().map(|p| (p.code, p.name)).collect();
    let can_assign = auth_role.can(Resource::Case, Action::Assign);
    let counsellors = if can_assign {
        users::counsellors(&state.store, actor)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(|u| (u.id.to_string(), u.name))
            .collect()
    } else {
        Vec::new()
    };
    let matches = match &ctx.auth {
        Some(a) if a.actor.role.can(Resource::Person, Action::Read) => {
            person_matches(state, &a.actor, f.v("person_q"), f.v("principal_person_id")).await
        }
        _ => Vec::new(),
    };
    let countries = super::fields::country_options(&t, f.v("country_of_return"));
    let l = Layout::new(ctx, t.t("nav-new-case"), "/cases/new");
    render(
        status,
        NewPage {
            matches,
            l,
            f,
            sexes: sex_options(&t),
            countries,
            programmes,
            counsellors,
            can_assign,
            show_referral: auth_role.can(Resource::Referral, Action::Update),
            rc,
        },
    )
}

/// GET /cases/new.
/// With `?person_q=` it lists matching people, to open the case for one of them.
pub async fn new_form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Case, Action::Create) {
        return r;
    }
    let mut f = FormState::default();
    f.values.insert("programme".into(), "gta-2012".into());
    if let Some(pq) = q.get("person_q") {
        f.values
            .insert("person_q".into(), pq.chars().take(100).collect());
    }
    new_page(&state, &ctx, &auth.actor, f, StatusCode::OK).await
}

/// POST /cases.
pub async fn create(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Case, Action::Create) {
        return r;
    }
    let t = ctx.tr();
    let counsellor_id = match form
        .get("counsellor_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        Some(s) => match Uuid::parse_str(s) {
            Ok(id) => Some(id),
            Err(_) => {
                let mut f = FormState::with(form.clone());
                f.errors
                    .insert("counsellor_id".into(), t.error("invalid-choice"));
                return new_page(
                    &state,
                    &ctx,
                    &auth.actor,
                    f,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
        None => None,
    };
    // An existing person, or a new one typed in: not both.
    let existing = form
        .get("principal_person_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let typed = ["given_names", "family_name", "original_script_name"]
        .iter()
        .any(|k| form.get(*k).is_some_and(|v| !v.trim().is_empty()));
    let existing = match existing {
        None => None,
        Some(s) => match Uuid::parse_str(s) {
            Ok(id) if !typed => Some(id),
            parsed => {
                let mut f = FormState::with(form.clone());
                let code = if parsed.is_ok() {
                    "new-or-existing-person"
                } else {
                    "invalid-choice"
                };
                f.errors.insert("principal_person_id".into(), t.error(code));
                f.general = Some(t.t("form-has-errors"));
                return new_page(
                    &state,
                    &ctx,
                    &auth.actor,
                    f,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let input = CaseInput {
        programme: form.get("programme").cloned(),
        principal: existing.is_none().then(|| person_input(&form)),
        principal_person_id: existing,
        country_of_return: form.get("country_of_return").cloned(),
        destination_locality: form.get("destination_locality").cloned(),
        counsellor_id,
        referral: super::fields::referral_input(&form),
    };
    match cases::create(&state.store, &auth.actor, &input).await {
        Ok(d) => Redirect::to(&format!("/cases/{}?done=saved", d.summary.id)).into_response(),
        Err(e) => match refilled(&t, form, &e, "principal.") {
            Some((f, status)) => new_page(&state, &ctx, &auth.actor, f, status).await,
            None => store_error(&ctx, e),
        },
    }
}

fn parse_id(ctx: &Ctx, id: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(id)
        .map_err(|_| crate::frame::error_page(ctx, StatusCode::NOT_FOUND, "not-found"))
}

/// GET /cases/{id}: records the read in the audit trail.
pub async fn show(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    // The read is recorded before anything is shown.
    let case = match cases::check(&state.store, &auth.actor, id).await {
        Ok(s) => s,
        Err(e) => return store_error(&ctx, e),
    };
    if let Err(e) = audit::record_read(&state.store, &auth.actor, "case", id, Some(id)).await {
        return store_error(&ctx, e);
    }
    case_page_of(
        &state,
        &ctx,
        &auth.actor,
        case,
        CaseForms::default(),
        StatusCode::OK,
    )
    .await
}

/// POST /cases/{id}/transition.
pub async fn transition(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::TransitionCase>,
    PageForm(form): PageForm,
) -> Response {
    let t = ctx.tr();
    let to = form.get("to").cloned().unwrap_or_default();
    let version = form.get("version").and_then(|v| v.parse::<i64>().ok());
    match cases::transition(
        &state.store,
        &auth.actor,
        id,
        &to,
        form.get("reason").map(String::as_str),
        version,
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved")).into_response(),
        Err(e) => match refilled(&t, form, &e, "") {
            Some((f, status)) => {
                let forms = CaseForms {
                    transition: f,
                    ..Default::default()
                };
                case_page(&state, &ctx, &auth.actor, id, forms, status).await
            }
            None => store_error(&ctx, e),
        },
    }
}

/// POST /cases/{id}/members.
pub async fn add_member(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::AddMember>,
    PageForm(form): PageForm,
) -> Response {
    let t = ctx.tr();
    let rel = form.get("relationship").cloned().unwrap_or_default();
    match cases::add_member(&state.store, &auth.actor, id, &rel, &person_input(&form)).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved")).into_response(),
        Err(e) => match refilled(&t, form, &e, "") {
            Some((f, status)) => {
                let forms = CaseForms {
                    member: f,
                    ..Default::default()
                };
                case_page(&state, &ctx, &auth.actor, id, forms, status).await
            }
            None => store_error(&ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "case_edit.html")]
struct EditPage {
    l: Layout,
    c: CaseSummary,
    f: FormState,
    /// Countries of return by name (ISO codes behind).
    countries: Vec<(String, String)>,
    counsellors: Vec<(String, String)>,
    can_assign: bool,
}

async fn edit_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &homeward_store::Actor,
    c: CaseSummary,
    f: FormState,
    status: StatusCode,
) -> Response {
    let t: Tr = ctx.tr();
    let role = actor.role;
    let can_assign = role.can(Resource::Case, Action::Assign);
    let counsellors = users::counsellors(&state.store, actor)
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|u| (u.id.to_string(), u.name))
        .collect();
    let l = Layout::new(
        ctx,
        format!("{} · {}", t.t("edit-case"), c.case_number),
        "/cases",
    );
    render(
        status,
        EditPage {
            countries: super::fields::country_options(&ctx.tr(), f.v("country_of_return")),
            l,
            c,
            f,
            counsellors,
            can_assign,
        },
    )
}

/// GET /cases/{id}/edit.
pub async fn edit_form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Case, Action::Update) {
        return r;
    }
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match cases::summary(&state.store, &auth.actor, id).await {
        Ok(c) => {
            let mut f = FormState::default();
            f.values.insert(
                "country_of_return".into(),
                c.country_of_return.clone().unwrap_or_default(),
            );
            f.values.insert(
                "destination_locality".into(),
                c.destination_locality.clone().unwrap_or_default(),
            );
            f.values.insert(
                "counsellor_id".into(),
                c.counsellor_id.map(|u| u.to_string()).unwrap_or_default(),
            );
            f.values.insert("version".into(), c.version.to_string());
            edit_page(&state, &ctx, &auth.actor, c, f, StatusCode::OK).await
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// POST /cases/{id}/edit.
pub async fn edit(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::UpdateCase>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Case, Action::Update) {
        return r;
    }
    let t = ctx.tr();
    let current = match cases::summary(&state.store, &auth.actor, id).await {
        Ok(c) => c,
        Err(e) => return store_error(&ctx, e),
    };
    let mut f = FormState::with(form.clone());
    let counsellor_id = match form
        .get("counsellor_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match Uuid::parse_str(s) {
            Ok(u) => Some(u),
            Err(_) => {
                f.errors
                    .insert("counsellor_id".into(), t.error("invalid-choice"));
                return edit_page(
                    &state,
                    &ctx,
                    &auth.actor,
                    current,
                    f,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        },
    };
    let u = CaseUpdate {
        version: form
            .get("version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(-1),
        country_of_return: Some(form.get("country_of_return").cloned()),
        destination_locality: Some(form.get("destination_locality").cloned()),
        counsellor_id: Some(counsellor_id),
    };
    match cases::update(&state.store, &auth.actor, id, &u).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved")).into_response(),
        Err(e) => match refilled(&t, form, &e, "") {
            Some((mut f, status)) => {
                // After a conflict, saving again deliberately applies these values.
                f.values
                    .insert("version".into(), current.version.to_string());
                edit_page(&state, &ctx, &auth.actor, current, f, status).await
            }
            None => store_error(&ctx, e),
        },
    }
}

#[derive(Template)]
#[template(path = "_person_matches.html")]
struct MatchesFragment {
    l: Layout,
    matches: Vec<(String, String)>,
    searched: bool,
    chosen: &'static str,
}

/// GET /persons/suggest?person_q=: the people matching as the user types,
/// as radio buttons of the new-case form (whoever may open cases and read
/// people; record scope applies).
pub async fn person_suggest(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Case, Action::Create) {
        return r;
    }
    if let Err(r) = require(&auth, &ctx, Resource::Person, Action::Read) {
        return r;
    }
    let pq = q.get("person_q").map(String::as_str).unwrap_or("");
    let matches = person_matches(&state, &auth.actor, pq, "").await;
    render(
        StatusCode::OK,
        MatchesFragment {
            l: Layout::new(&ctx, String::new(), ""),
            matches,
            searched: !pq.trim().is_empty(),
            chosen: "",
        },
    )
}
