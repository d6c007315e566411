//! `POST /api/v1/eligibility/evaluate`: the what-if calculator. Any signed-in
//! staff role; stores nothing. Explanations come in the request's language.

use super::extract::ApiJson;
use crate::auth::{ApiUser, Ctx};
use crate::error::ApiError;
use crate::i18n::Tr;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::eligibility::{
    self, Evaluation, EvaluationError, EvaluationInput, Message, Outcome,
};
use homeward_domain::Invalid;
use serde::Serialize;

/// A rule's answer, explained.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RuleAnswer {
    pub id: String,
    pub outcome: Outcome,
    pub explanation: String,
}

/// The entitlement, explained.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EntitlementAnswer {
    pub amount_minor: i64,
    pub currency: String,
    pub tier: String,
    pub explanation: String,
}

/// The evaluation.
#[derive(Serialize, utoipa::ToSchema)]
pub struct EvaluationAnswer {
    pub eligible: bool,
    /// False when facts were missing and no rule failed.
    pub determined: bool,
    pub entitlement: Option<EntitlementAnswer>,
    pub rule_set: String,
    pub rules: Vec<RuleAnswer>,
}

/// Translates a domain message.
pub fn say(t: &Tr, m: &Message) -> String {
    let args: Vec<(&str, String)> = m
        .args
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    t.ta(&m.key, &args)
}

/// The answer in the language of `t`.
pub fn answer(t: &Tr, e: Evaluation) -> EvaluationAnswer {
    EvaluationAnswer {
        eligible: e.eligible,
        determined: e.determined,
        entitlement: e.entitlement.map(|x| EntitlementAnswer {
            explanation: say(t, &x.explanation),
            amount_minor: x.amount_minor,
            currency: x.currency,
            tier: x.tier.to_string(),
        }),
        rule_set: e.rule_set,
        rules: e
            .rules
            .into_iter()
            .map(|r| RuleAnswer {
                id: r.id.to_string(),
                outcome: r.outcome,
                explanation: say(t, &r.explanation),
            })
            .collect(),
    }
}

/// Maps an evaluation that could not be made to a field error.
pub fn refusal(e: EvaluationError) -> Invalid {
    let mut inv = Invalid::default();
    match e {
        EvaluationError::UnknownProgramme => inv.add("programme", "unknown-programme"),
        EvaluationError::UnknownVersion => inv.add("rule_version", "unknown-version"),
    }
    inv
}

/// Evaluates eligibility and entitlement for the given facts.
#[utoipa::path(post, path = "/api/v1/eligibility/evaluate", request_body = EvaluationInput,
    responses((status = 200, body = EvaluationAnswer), (status = 422, body = crate::error::Problem), (status = 401, body = crate::error::Problem)))]
pub async fn evaluate(
    State(state): State<AppState>,
    ApiUser(_): ApiUser,
    ctx: Ctx,
    ApiJson(input): ApiJson<EvaluationInput>,
) -> Result<Json<EvaluationAnswer>, ApiError> {
    let sets = homeward_store::programmes::rules::all(&state.store).await?;
    match eligibility::evaluate(&sets, &input) {
        Ok(e) => Ok(Json(answer(&ctx.tr(), e))),
        Err(e) => Err(ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            detail: None,
            invalid: Some(refusal(e)),
        }),
    }
}
