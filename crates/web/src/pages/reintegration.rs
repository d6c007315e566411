//! Reintegration on the case page: arrival, the plan, the ledger and the
//! in-kind purchases.
//!
//! Who may: the mission officer of the country of return confirms arrival,
//! builds the plan and requests purchases (and confirms their delivery);
//! a supervisor approves the plan; finance approves, rejects, pays (with a
//! receipt) and cancels purchases, never their own requests. Finance and
//! supervisors read the money of every case. CBSA, counsellors and the
//! others see no reintegration detail. The store enforces all of it again.

use super::cases::{case_page, CaseForms};
use super::sections::{parse_id, side_refused, SideForms};
use crate::frame::store_error;
use crate::frame::PageForm;
use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::i18n::Tr;
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::reintegration::{
    self, ArrivalInput, Category, Dimension, PlanComponentInput, PurchaseRequestInput,
    PurchaseStatus,
};
use homeward_domain::{Action, CaseStatus, Resource, Role};
use homeward_store::plans::{self, Arrival, Plan};
use homeward_store::purchases::{self, Purchase};
use homeward_store::{Actor, Error};
use std::collections::HashMap;
use uuid::Uuid;

/// A purchase as the page shows it.
pub struct PurchaseView {
    pub p: Purchase,
    pub local: String,
    pub programme: String,
    /// "1 HUF = 0.0037 CAD".
    pub rate: String,
    /// (target status, button label, reason required) the user may choose.
    pub moves: Vec<(String, String, bool)>,
    /// Finance may record the payment (with its receipt).
    pub can_pay: bool,
}

/// The reintegration section of a case page.
pub struct ReintegrationView {
    pub arrival: Option<Arrival>,
    pub plan: Plan,
    pub plan_total: String,
    /// (component, budget as text).
    pub components: Vec<(homeward_store::plans::Component, String)>,
    pub plan_overdue: bool,
    /// (label, amount) rows of the ledger in the programme's currency.
    pub ledger: Vec<(String, String)>,
    /// (currency, requested, committed, paid) per local currency.
    pub ledger_local: Vec<(String, String, String, String)>,
    pub purchases: Vec<PurchaseView>,
    pub can_confirm_arrival: bool,
    pub can_plan: bool,
    pub can_approve_plan: bool,
    pub can_request: bool,
    pub dimensions: Vec<(String, String)>,
    pub categories: Vec<(String, String)>,
    /// (id, name) of the active vendors of the country of return.
    pub vendors: Vec<(String, String)>,
    pub monitoring: super::monitoring::MonitoringView,
}

fn choices<T: Copy>(
    t: &Tr,
    group: &str,
    all: &[T],
    s: impl Fn(T) -> &'static str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|v| (s(*v).to_string(), t.choice(group, s(*v))))
        .collect()
}

/// Loads the section; `None` before departure or for roles without need to know.
pub async fn load(
    state: &AppState,
    t: &Tr,
    actor: &Actor,
    scoped: &homeward_store::cases::ScopedCase,
) -> Result<Option<ReintegrationView>, Error> {
    let role = actor.role;
    let case = scoped.summary();
    let Some(status) = CaseStatus::parse(&case.status) else {
        return Ok(None);
    };
    let returned = status.is_after_departure() || status == CaseStatus::Closed;
    if !role.can(Resource::Reintegration, Action::Read) || !returned {
        return Ok(None);
    }
    let store = &state.store;
    let arrival = plans::arrival(store, actor, scoped).await?;
    let plan = plans::plan(store, actor, scoped).await?;
    let ledger = purchases::ledger(store, actor, scoped).await?;
    let open = matches!(status, CaseStatus::Reintegrating | CaseStatus::Monitoring);
    let money = |m: homeward_domain::money::Money| t.money(m.minor, m.currency.code());
    let (ledger_rows, ledger_local, cur) = match &ledger {
        Some(l) => (
            vec![
                (t.t("ledger-entitlement"), money(l.entitlement)),
                (t.t("ledger-budgeted"), money(l.budgeted)),
                (t.t("ledger-requested"), money(l.requested)),
                (t.t("ledger-committed"), money(l.committed)),
                (t.t("ledger-paid"), money(l.paid)),
                (t.t("ledger-remaining"), money(l.remaining)),
            ],
            l.local
                .iter()
                .map(|x| {
                    (
                        x.currency.code().to_string(),
                        money(x.requested),
                        money(x.committed),
                        money(x.paid),
                    )
                })
                .collect(),
            Some(l.entitlement.currency.code().to_string()),
        ),
        None => (Vec::new(), Vec::new(), None),
    };
    let cur = cur.or_else(|| plan.components.first().map(|c| c.currency.clone()));
    let purchases = purchases::list(store, actor, scoped)
        .await?
        .into_iter()
        .map(|p| purchase_view(t, actor, p))
        .collect();
    let today = homeward_store::now().date_naive();
    let can_request = reintegration::may_request_purchase(role) && open && ledger.is_some();
    let vendors = match (&case.country_of_return, can_request) {
        (Some(country), true) => homeward_store::vendors::list(store, actor, Some(country), false)
            .await?
            .into_iter()
            .filter(|v| v.active)
            .map(|v| (v.id.to_string(), v.name))
            .collect(),
        _ => Vec::new(),
    };
    let components = plan
        .components
        .iter()
        .map(|c| (c.clone(), t.money(c.budget_minor, &c.currency)))
        .collect();
    Ok(Some(ReintegrationView {
        plan_overdue: plan.status != "approved"
            && arrival
                .as_ref()
                .is_some_and(|a| reintegration::is_plan_overdue(a.arrived_on, today)),
        plan_total: cur
            .map(|c| t.money(plan.total_minor, &c))
            .unwrap_or_default(),
        components,
        arrival,
        ledger: ledger_rows,
        ledger_local,
        purchases,
        can_confirm_arrival: role == Role::MissionOfficer && status == CaseStatus::Departed,
        can_plan: role == Role::MissionOfficer && open && plan.status != "approved",
        can_approve_plan: reintegration::may_approve_plan(role)
            && plan.status != "approved"
            && !plan.components.is_empty(),
        can_request,
        vendors,
        plan,
        dimensions: choices(t, "dimension", &Dimension::ALL, Dimension::as_str),
        categories: choices(t, "category", &Category::ALL, Category::as_str),
        monitoring: super::monitoring::load(state, t, actor, scoped, status).await?,
    }))
}

fn purchase_view(t: &Tr, actor: &Actor, p: Purchase) -> PurchaseView {
    let from = PurchaseStatus::parse(&p.status);
    let mut moves = Vec::new();
    let mut can_pay = false;
    if let Some(from) = from {
        for to in reintegration::allowed_purchase_targets(from, actor.role) {
            // Four eyes: the requester is never offered the decision.
            if p.requested_by == actor.user_id && actor.role != Role::MissionOfficer {
                continue;
            }
            if to == PurchaseStatus::Paid {
                can_pay = p.requested_by != actor.user_id;
                continue;
            }
            moves.push((
                to.as_str().to_string(),
                t.choice("purchase-action", to.as_str()),
                reintegration::purchase_reason_required(from, to),
            ));
        }
    }
    let rate = if p.local_currency == p.programme_currency {
        String::new()
    } else {
        let r = p.rate_numerator as f64 / p.rate_denominator.max(1) as f64;
        format!(
            "1 {} = {} {}",
            p.local_currency,
            trim_rate(r),
            p.programme_currency
        )
    };
    PurchaseView {
        local: t.money(p.local_minor, &p.local_currency),
        programme: t.money(p.programme_minor, &p.programme_currency),
        rate,
        moves,
        can_pay,
        p,
    }
}

/// A rate for reading: up to eight decimals, no trailing zeros.
fn trim_rate(r: f64) -> String {
    let s = format!("{r:.8}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    s.to_string()
}

/// A form field as typed, if sent.
pub(crate) fn v(form: &HashMap<String, String>, k: &str) -> Option<String> {
    form.get(k).cloned()
}

fn version(form: &HashMap<String, String>) -> Option<i64> {
    form.get("version").and_then(|v| v.trim().parse().ok())
}

/// A date typed in a form: `None` when empty; an `invalid-date` error on
/// the field when it is not a date.
pub(crate) fn date(
    form: &HashMap<String, String>,
    k: &str,
) -> Result<Option<chrono::NaiveDate>, Error> {
    match form.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| one_error(k, "invalid-date")),
    }
}

/// An `Invalid` naming one field.
pub(crate) fn one_error(field: &str, code: &str) -> Error {
    let mut inv = homeward_domain::Invalid::default();
    inv.add(field, code);
    Error::Invalid(inv)
}

/// POST /cases/{id}/arrival: the returnee arrived (mission officer).
pub async fn confirm_arrival(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let put = |s: &mut SideForms, f| s.arrival = f;
    let arrived_on = match date(&form, "arrived_on") {
        Ok(d) => d,
        Err(e) => return side_refused(&state, &ctx, &auth.actor, id, form, e, put).await,
    };
    let input = ArrivalInput {
        arrived_on,
        place: v(&form, "place"),
    };
    match plans::confirm_arrival(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#reintegration")).into_response(),
        Err(e) => side_refused(&state, &ctx, &auth.actor, id, form, e, put).await,
    }
}

/// POST /cases/{id}/plan/components: a plan component (mission officer).
pub async fn add_component(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = PlanComponentInput {
        dimension: v(&form, "dimension"),
        category: v(&form, "category"),
        description: v(&form, "description"),
        budget: v(&form, "budget"),
    };
    match plans::add_component(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#plan")).into_response(),
        Err(e) => {
            side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| {
                s.component = f
            })
            .await
        }
    }
}

/// POST /cases/{id}/plan/approval: the supervisor approves the plan.
pub async fn approve_plan(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    // Role and scope before the form (docs/access-matrix.md).
    if let Err(e) = homeward_store::cases::may_act(
        &state.store,
        &auth.actor,
        Some(id),
        &[(
            homeward_domain::Resource::Reintegration,
            homeward_domain::Action::Read,
        )],
    )
    .await
    {
        return store_error(&ctx, e);
    }
    if !homeward_domain::reintegration::may_approve_plan(auth.actor.role) {
        return store_error(&ctx, homeward_store::Error::Forbidden);
    }
    let Some(ver) = version(&form) else {
        let e = one_error("version", "required");
        return side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| {
            s.component = f
        })
        .await;
    };
    match plans::approve(&state.store, &auth.actor, id, ver).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#plan")).into_response(),
        Err(e) => {
            side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| {
                s.component = f
            })
            .await
        }
    }
}

/// POST /cases/{id}/purchases: a purchase request (mission officer).
pub async fn request_purchase(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let put = |s: &mut SideForms, f| s.purchase = f;
    let rate_date = match date(&form, "rate_date") {
        Ok(d) => d,
        Err(e) => return side_refused(&state, &ctx, &auth.actor, id, form, e, put).await,
    };
    let vendor_id = match form
        .get("vendor_id")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match Uuid::parse_str(s) {
            Ok(u) => Some(u),
            Err(_) => {
                let e = one_error("vendor", "invalid-choice");
                return side_refused(&state, &ctx, &auth.actor, id, form, e, put).await;
            }
        },
    };
    let input = PurchaseRequestInput {
        category: v(&form, "category"),
        description: v(&form, "description"),
        amount: v(&form, "amount"),
        currency: v(&form, "currency"),
        rate: v(&form, "rate"),
        rate_source: v(&form, "rate_source"),
        rate_date,
        vendor_id,
    };
    match purchases::request(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#purchases")).into_response(),
        Err(e) => side_refused(&state, &ctx, &auth.actor, id, form, e, put).await,
    }
}

async fn purchase_case(state: &AppState, actor: &Actor, pid: Uuid) -> Result<Uuid, Error> {
    Ok(purchases::get(&state.store, actor, pid).await?.case_id)
}

/// POST /purchases/{id}/decision: approve, reject, cancel or confirm delivery.
pub async fn decide(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(pid): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let pid = match parse_id(&ctx, &pid) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let case_id = match purchase_case(&state, &auth.actor, pid).await {
        Ok(c) => c,
        Err(e) => return store_error(&ctx, e),
    };
    let to = form.get("to").cloned().unwrap_or_default();
    if to == "paid" {
        // Payment needs its receipt: only the payment form records it.
        let e = one_error("receipt", "receipt-required");
        return side_refused(&state, &ctx, &auth.actor, case_id, form, e, |s, f| {
            s.decision = f
        })
        .await;
    }
    match purchases::decide(
        &state.store,
        &auth.actor,
        pid,
        &to,
        form.get("reason").map(String::as_str),
        version(&form),
    )
    .await
    {
        Ok(_) => Redirect::to(&format!("/cases/{case_id}#purchase-{pid}")).into_response(),
        Err(e) => {
            let mut form = form;
            form.insert("purchase".into(), pid.to_string());
            side_refused(&state, &ctx, &auth.actor, case_id, form, e, |s, f| {
                s.decision = f
            })
            .await
        }
    }
}

/// POST /purchases/{id}/payment: finance records the payment with its receipt.
pub async fn pay(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(pid): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let pid = match parse_id(&ctx, &pid) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let case_id = match purchase_case(&state, &auth.actor, pid).await {
        Ok(c) => c,
        Err(e) => return store_error(&ctx, e),
    };
    let parsed = match multipart {
        Ok(m) => {
            super::sections::read_multipart(m, "receipt", homeward_store::attachments::MAX_BYTES)
                .await
        }
        Err(_) => Err(("bad-request", StatusCode::BAD_REQUEST)),
    };
    let put = |s: &mut SideForms, f| s.payment = f;
    let mut values = HashMap::new();
    values.insert("purchase".to_string(), pid.to_string());
    let (fields, file) = match parsed {
        Ok(x) => x,
        Err((code, status)) => {
            return payment_refused(&state, &ctx, &auth.actor, case_id, values, code, status).await
        }
    };
    let ver = fields.get("version").and_then(|v| v.trim().parse().ok());
    let (name, bytes) = file.unwrap_or_default();
    match purchases::pay(&state.store, &auth.actor, pid, ver, &name, &bytes).await {
        Ok(_) => Redirect::to(&format!("/cases/{case_id}#purchase-{pid}")).into_response(),
        Err(e) => side_refused(&state, &ctx, &auth.actor, case_id, values, e, put).await,
    }
}

async fn payment_refused(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    case_id: Uuid,
    values: HashMap<String, String>,
    code: &str,
    status: StatusCode,
) -> Response {
    let t = ctx.tr();
    let mut f = FormState::with(values);
    f.errors.insert("receipt".into(), t.error(code));
    f.general = Some(t.t("form-has-errors"));
    let forms = CaseForms {
        side: SideForms {
            payment: f,
            ..Default::default()
        },
        ..Default::default()
    };
    case_page(state, ctx, actor, case_id, forms, status).await
}

/// GET /purchases/{id}/receipt: the payment's receipt (finance, supervisor,
/// the mission officer of the country).
pub async fn receipt(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(pid): Path<String>,
) -> Response {
    let pid = match parse_id(&ctx, &pid) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match purchases::receipt(&state.store, &auth.actor, pid).await {
        Ok((a, bytes)) => super::sections::file_response(&a, bytes),
        Err(e) => store_error(&ctx, e),
    }
}
