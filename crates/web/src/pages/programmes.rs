//! Programme settings: each programme's follow-up schedule (months after
//! arrival, days of grace before a contact is overdue) and its monthly
//! departure target (the dashboard's).
//!
//! Who may: administrators (`Programme`/`Manage`); everyone else is refused,
//! here and again in the store.

use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{render, require, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::followups::Schedule;
use homeward_domain::{Action, Invalid, Resource};
use homeward_store::programmes::{self, Programme};
use homeward_store::Error;

/// A programme and the forms for its schedule and its target.
pub struct ProgrammeRow {
    pub p: Programme,
    pub f: FormState,
    /// The departure target form.
    pub tf: FormState,
    /// The retention form (docs/adr/0026).
    pub rf: FormState,
}

/// Which form of which programme was refused, with what was typed.
enum Refused {
    Schedule(String, FormState),
    Target(String, FormState),
    Retention(String, FormState),
}

#[derive(Template)]
#[template(path = "admin_programmes.html")]
struct ProgrammesPage {
    l: Layout,
    rows: Vec<ProgrammeRow>,
}

fn values(s: &Schedule) -> FormState {
    let mut f = FormState::default();
    let months: Vec<String> = s.offsets_months.iter().map(u32::to_string).collect();
    f.values.insert("offsets_months".into(), months.join(", "));
    f.values
        .insert("grace_days".into(), s.grace_days.to_string());
    f
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    refused: Option<Refused>,
    status: StatusCode,
) -> Response {
    let list = match programmes::list(&state.store).await {
        Ok(l) => l,
        Err(e) => return store_error(ctx, e),
    };
    let mut rows = Vec::with_capacity(list.len());
    for p in list {
        let f = match &refused {
            Some(Refused::Schedule(code, f)) if *code == p.code => f.clone(),
            _ => match programmes::followup_schedule(&state.store, &p.code).await {
                Ok(s) => values(&s),
                Err(e) => return store_error(ctx, e),
            },
        };
        let f = f.prefixed(&format!("{}-", p.code));
        let tf = match &refused {
            Some(Refused::Target(code, f)) if *code == p.code => f.clone(),
            _ => {
                let mut f = FormState::default();
                f.values.insert(
                    "monthly_departure_target".into(),
                    p.monthly_departure_target
                        .map(|t| t.to_string())
                        .unwrap_or_default(),
                );
                f
            }
        };
        let tf = tf.prefixed(&format!("{}-target-", p.code));
        let rf = match &refused {
            Some(Refused::Retention(code, f)) if *code == p.code => f.clone(),
            _ => {
                let years = match homeward_store::retention::years_of(&state.store, &p.code).await {
                    Ok(y) => y,
                    Err(e) => return store_error(ctx, e),
                };
                let mut f = FormState::default();
                f.values.insert(
                    "retention_years_after_closure".into(),
                    years.map(|t| t.to_string()).unwrap_or_default(),
                );
                f
            }
        };
        let rf = rf.prefixed(&format!("{}-retention-", p.code));
        rows.push(ProgrammeRow { p, f, tf, rf });
    }
    let l = Layout::new(ctx, ctx.tr().t("nav-programmes"), "/admin/programmes");
    render(status, ProgrammesPage { l, rows })
}

/// GET /admin/programmes.
pub async fn list(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    page(&state, &ctx, None, StatusCode::OK).await
}

/// Reads "0, 3, 6, 12" and "14"; what is not a number is reported on its field.
fn parse(form: &std::collections::HashMap<String, String>) -> Result<Schedule, Invalid> {
    let mut inv = Invalid::default();
    let text = form.get("offsets_months").map(String::as_str).unwrap_or("");
    let months: Result<Vec<u32>, _> = text
        .split([',', ' ', ';'])
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse::<u32>())
        .collect();
    let months = months.unwrap_or_else(|_| {
        inv.add("offsets_months", "not-a-number");
        Vec::new()
    });
    let grace = match form.get("grace_days").map(|s| s.trim()) {
        None | Some("") => homeward_domain::followups::DEFAULT_GRACE_DAYS,
        Some(g) => g.parse::<u32>().unwrap_or_else(|_| {
            inv.add("grace_days", "not-a-number");
            0
        }),
    };
    inv.into_result()?;
    Ok(Schedule {
        offsets_months: months,
        grace_days: grace,
    })
}

/// POST /admin/programmes/{code}/followups: sets the follow-up schedule.
pub async fn set_followups(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(code): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let result = match parse(&form) {
        Ok(s) => programmes::set_followup_schedule(&state.store, &auth.actor, &code, &s).await,
        Err(inv) => Err(Error::Invalid(inv)),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/admin/programmes#programme-{code}")).into_response(),
        Err(e) => match crate::frame::refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => page(&state, &ctx, Some(Refused::Schedule(code, f)), status).await,
            None => store_error(&ctx, e),
        },
    }
}

/// POST /admin/programmes/{code}/target: sets (or, left empty, clears) the
/// monthly departure target the dashboard compares departures with.
pub async fn set_target(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(code): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let result = match form.get("monthly_departure_target").map(|s| s.trim()) {
        None | Some("") => {
            programmes::set_departure_target(&state.store, &auth.actor, &code, None).await
        }
        Some(v) => match v.parse::<i64>() {
            Ok(n) => {
                programmes::set_departure_target(&state.store, &auth.actor, &code, Some(n)).await
            }
            Err(_) => {
                let mut inv = Invalid::default();
                inv.add("monthly_departure_target", "not-a-number");
                Err(Error::Invalid(inv))
            }
        },
    };
    match result {
        Ok(_) => Redirect::to(&format!("/admin/programmes#programme-{code}")).into_response(),
        Err(e) => match crate::frame::refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => page(&state, &ctx, Some(Refused::Target(code, f)), status).await,
            None => store_error(&ctx, e),
        },
    }
}

/// POST /admin/programmes/{code}/retention: sets (or, left empty, clears)
/// how many whole years after their cases ended a person's records are kept.
pub async fn set_retention(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(code): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let store = &state.store;
    let result = match form.get("retention_years_after_closure").map(|s| s.trim()) {
        None | Some("") => {
            homeward_store::retention::set_years(store, &auth.actor, &code, None).await
        }
        Some(v) => match v.parse::<i64>() {
            Ok(n) => homeward_store::retention::set_years(store, &auth.actor, &code, Some(n)).await,
            Err(_) => {
                let mut inv = Invalid::default();
                inv.add("retention_years_after_closure", "not-a-number");
                Err(Error::Invalid(inv))
            }
        },
    };
    match result {
        Ok(_) => Redirect::to(&format!("/admin/programmes#programme-{code}")).into_response(),
        Err(e) => match crate::frame::refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => {
                page(&state, &ctx, Some(Refused::Retention(code, f)), status).await
            }
            None => store_error(&ctx, e),
        },
    }
}
