//! Reintegration on the case page: arrival, the plan, the ledger and the
//! in-kind purchases.
//!
//! Who may: the mission officer of the country of return confirms arrival,
//! builds the plan and requests purchases (and confirms their delivery);
//! a supervisor approves the plan; finance approves, rejects, pays (with a
//! receipt) and cancels purchases, never their own requests. Finance and
//! supervisors read the money of every case. CBSA, counsellors and the
//! others see no reintegration detail. The store enforces all of it again.

use super::before_departure::parse_id;
use super::case_page::answer::Posted;
use super::case_page::sections::SideForms;
use super::case_page::{case_page, CaseForms};
use crate::auth::{Ctx, PageUser};
use crate::case_access::{need, CaseIn};
use crate::form::FormState;
use crate::frame::store_error;
use crate::frame::PageForm;
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::reintegration::{ArrivalInput, PlanComponentInput, PurchaseRequestInput};
use homeward_store::plans::{self};
use homeward_store::purchases::{self};
use homeward_store::{Actor, Error};
use std::collections::HashMap;
use uuid::Uuid;

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
            .map_err(|_| homeward_store::Error::invalid(k, "invalid-date")),
    }
}

/// POST /cases/{id}/arrival: the returnee arrived (mission officer).
pub async fn confirm_arrival(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::MissionRecords>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let put = |s: &mut SideForms, f| s.arrival = f;
    let arrived_on = match date(&form, "arrived_on") {
        Ok(d) => d,
        Err(e) => return at.refused(form, e, put).await,
    };
    let input = ArrivalInput {
        arrived_on,
        place: v(&form, "place"),
    };
    at.answer(
        plans::confirm_arrival(&state.store, &auth.actor, id, &input).await,
        "reintegration",
        form,
        put,
    )
    .await
}

/// POST /cases/{id}/plan/components: a plan component (mission officer).
pub async fn add_component(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::MissionRecords>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let input = PlanComponentInput {
        dimension: v(&form, "dimension"),
        category: v(&form, "category"),
        description: v(&form, "description"),
        budget: v(&form, "budget"),
    };
    at.answer(
        plans::add_component(&state.store, &auth.actor, id, &input).await,
        "plan",
        form,
        |s, f| s.component = f,
    )
    .await
}

/// POST /cases/{id}/plan/approval: the supervisor approves the plan.
pub async fn approve_plan(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::ReadReintegration>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    if !homeward_domain::reintegration::may_approve_plan(auth.actor.role) {
        return store_error(&ctx, homeward_store::Error::Forbidden);
    }
    let Some(ver) = version(&form) else {
        let e = homeward_store::Error::invalid("version", "required");
        return at.refused(form, e, |s, f| s.component = f).await;
    };
    at.answer(
        plans::approve(&state.store, &auth.actor, id, ver).await,
        "plan",
        form,
        |s, f| s.component = f,
    )
    .await
}

/// POST /cases/{id}/purchases: a purchase request (mission officer).
pub async fn request_purchase(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::MissionRecords>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let put = |s: &mut SideForms, f| s.purchase = f;
    let rate_date = match date(&form, "rate_date") {
        Ok(d) => d,
        Err(e) => return at.refused(form, e, put).await,
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
                let e = homeward_store::Error::invalid("vendor", "invalid-choice");
                return at.refused(form, e, put).await;
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
        over_plan_reason: v(&form, "over_plan_reason"),
    };
    at.answer(
        purchases::request(&state.store, &auth.actor, id, &input).await,
        "purchases",
        form,
        put,
    )
    .await
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
    let at = Posted::new(&state, &ctx, &auth.actor, case_id);
    let to = form.get("to").cloned().unwrap_or_default();
    if to == "paid" {
        // Payment needs its receipt: only the payment form records it.
        let e = homeward_store::Error::invalid("receipt", "receipt-required");
        return at.refused(form, e, |s, f| s.decision = f).await;
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
        Ok(_) => {
            Redirect::to(&format!("/cases/{case_id}?done=saved#purchase-{pid}")).into_response()
        }
        Err(e) => {
            let mut form = form;
            form.insert("purchase".into(), pid.to_string());
            at.refused(form, e, |s, f| s.decision = f).await
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
            crate::uploads::read_multipart(m, "receipt", homeward_store::attachments::MAX_BYTES)
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
    let done = purchases::pay(&state.store, &auth.actor, pid, ver, &name, &bytes).await;
    Posted::new(&state, &ctx, &auth.actor, case_id)
        .answer(done, &format!("purchase-{pid}"), values, put)
        .await
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
        Ok((a, bytes)) => crate::uploads::file_response(&a, bytes),
        Err(e) => store_error(&ctx, e),
    }
}
