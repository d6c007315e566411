//! The what-if eligibility calculator: any signed-in staff role. Stores nothing.

use crate::api::eligibility::{answer, refusal, EvaluationAnswer};
use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{render, store_error, Layout, PageForm};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use homeward_domain::eligibility::{
    self, ClaimFacts, ClaimOutcome, Criminality, EvaluationInput, RuleSet,
};
use homeward_domain::Invalid;
use homeward_store::programmes;
use std::collections::HashMap;

#[derive(Template)]
#[template(path = "eligibility.html")]
struct Page {
    l: Layout,
    f: FormState,
    programmes: Vec<(String, String)>,
    /// The versions of the rules a what-if may name.
    versions: Vec<(String, String)>,
    outcomes: Vec<(String, String)>,
    criminality: Vec<(String, String)>,
    tristate: Vec<(String, String)>,
    result: Option<EvaluationAnswer>,
    amount: String,
}

fn page(
    sets: &[RuleSet],
    ctx: &Ctx,
    f: FormState,
    result: Option<EvaluationAnswer>,
    status: StatusCode,
) -> Response {
    let t = ctx.tr();
    let mut programmes: Vec<(String, String)> = sets
        .iter()
        .map(|r| (r.programme.clone(), r.programme.clone()))
        .collect();
    programmes.sort();
    programmes.dedup();
    let mut versions = vec![(String::new(), t.t("eligibility-version-in-force"))];
    versions.extend(sets.iter().map(|r| {
        (
            r.version.to_string(),
            t.ta(
                "eligibility-version-option",
                &[
                    ("programme", r.programme.clone()),
                    ("version", r.version.to_string()),
                    ("from", r.effective_from.to_string()),
                ],
            ),
        )
    }));
    let opts = |group: &str, vals: &[&str]| -> Vec<(String, String)> {
        vals.iter()
            .map(|v| (v.to_string(), t.choice(group, v)))
            .collect()
    };
    let amount = result
        .as_ref()
        .and_then(|r| r.entitlement.as_ref())
        .map(|e| t.money(e.amount_minor, &e.currency))
        .unwrap_or_default();
    let l = Layout::new(ctx, t.t("nav-eligibility"), "/eligibility");
    render(
        status,
        Page {
            l,
            f,
            programmes,
            versions,
            outcomes: opts(
                "outcome",
                &["rejected", "withdrawn", "abandoned", "pending", "accepted"],
            ),
            criminality: opts("criminality", &["none", "declared", "confirmed"]),
            tristate: opts("tristate", &["yes", "no", "unknown"]),
            result,
            amount,
        },
    )
}

/// GET /eligibility.
pub async fn form(State(state): State<AppState>, PageUser(_, ctx): PageUser) -> Response {
    let mut f = FormState::default();
    for (k, v) in [
        ("programme", "gta-2012"),
        ("residence_region", "GTA"),
        ("claim_outcome", "rejected"),
        ("criminality", "none"),
        ("compliant_with_conditions", "yes"),
        ("prior_avrr_assistance", "no"),
    ] {
        f.values.insert(k.into(), v.into());
    }
    let sets = match programmes::rules::all(&state.store).await {
        Ok(s) => s,
        Err(e) => return store_error(&ctx, e),
    };
    page(&sets, &ctx, f, None, StatusCode::OK)
}

fn parse(t: &Tr, form: &HashMap<String, String>) -> Result<EvaluationInput, FormState> {
    let mut inv = Invalid::default();
    let mut date = |k: &str, required: bool| -> Option<NaiveDate> {
        match form.get(k).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            None => {
                if required {
                    inv.add(k, "required");
                }
                None
            }
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map_err(|_| inv.add(k, "invalid-date"))
                .ok(),
        }
    };
    let application_date = date("application_date", true);
    let filed_on = date("claim_filed_on", false);
    let decided_on = date("claim_decided_on", false);
    let leave = date("federal_court_leave_filed_on", false);
    let prra_applied = date("prra_applied_on", false);
    let prra_decided = date("prra_decided_on", false);
    let tri = |k: &str| match form.get(k).map(String::as_str) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    let outcome = match form.get("claim_outcome").map(String::as_str) {
        Some("rejected") => Some(ClaimOutcome::Rejected),
        Some("withdrawn") => Some(ClaimOutcome::Withdrawn),
        Some("abandoned") => Some(ClaimOutcome::Abandoned),
        Some("pending") => Some(ClaimOutcome::Pending),
        Some("accepted") => Some(ClaimOutcome::Accepted),
        _ => {
            inv.add("claim_outcome", "invalid-choice");
            None
        }
    };
    let criminality = match form.get("criminality").map(String::as_str) {
        Some("none") => Some(Criminality::None),
        Some("declared") => Some(Criminality::Declared),
        Some("confirmed") => Some(Criminality::Confirmed),
        _ => None,
    };
    let rule_version = match form.get("rule_version").map(|v| v.trim()) {
        None | Some("") => None,
        Some(v) => match v.parse::<u32>() {
            Ok(n) => Some(n),
            Err(_) => {
                inv.add("rule_version", "unknown-version");
                None
            }
        },
    };
    match (inv.errors.is_empty(), application_date, outcome) {
        (true, Some(application_date), Some(outcome)) => Ok(EvaluationInput {
            programme: form.get("programme").cloned().unwrap_or_default(),
            rule_version,
            application_date,
            residence_region: form.get("residence_region").cloned(),
            claim: ClaimFacts {
                filed_on,
                outcome,
                decided_on,
                designated_country_of_origin: Some(
                    form.contains_key("designated_country_of_origin"),
                ),
            },
            federal_court_leave_filed_on: leave,
            prra_applied_on: prra_applied,
            prra_decided_on: prra_decided,
            criminality,
            compliant_with_conditions: tri("compliant_with_conditions"),
            prior_avrr_assistance: tri("prior_avrr_assistance"),
        }),
        _ => {
            let mut f = FormState::with(form.clone());
            f.add_invalid(t, &inv, "");
            f.general = Some(t.t("form-has-errors"));
            Err(f)
        }
    }
}

/// POST /eligibility: evaluates and shows the answer beside the form.
pub async fn evaluate(
    State(state): State<AppState>,
    PageUser(_, ctx): PageUser,
    PageForm(form): PageForm,
) -> Response {
    let t = ctx.tr();
    let sets = match programmes::rules::all(&state.store).await {
        Ok(s) => s,
        Err(e) => return store_error(&ctx, e),
    };
    match parse(&t, &form) {
        Err(f) => page(&sets, &ctx, f, None, StatusCode::UNPROCESSABLE_ENTITY),
        Ok(input) => match eligibility::evaluate(&sets, &input) {
            Ok(e) => page(
                &sets,
                &ctx,
                FormState::with(form),
                Some(answer(&t, e)),
                StatusCode::OK,
            ),
            Err(e) => {
                let mut f = FormState::with(form);
                f.add_invalid(&t, &refusal(e), "");
                f.general = Some(t.t("form-has-errors"));
                page(&sets, &ctx, f, None, StatusCode::UNPROCESSABLE_ENTITY)
            }
        },
    }
}
