//! Errors at the web edge: `application/problem+json` for the API, a
//! translated page for people.

use crate::i18n::Tr;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use homeward_domain::{Invalid, TransitionError};
use homeward_store::Error as StoreError;
use serde::Serialize;

/// A field problem in a problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub code: String,
    pub message: String,
    /// What the code alone cannot say (a line and column, the next version).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

/// An API error: status, machine code and human text.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub detail: Option<String>,
    pub invalid: Option<Invalid>,
}

impl ApiError {
    /// A plain error.
    pub fn new(status: StatusCode, code: &'static str) -> ApiError {
        ApiError {
            status,
            code,
            detail: None,
            invalid: None,
        }
    }

    /// Adds a detail sentence.
    pub fn detail(mut self, d: impl Into<String>) -> ApiError {
        self.detail = Some(d.into());
        self
    }

    /// 401: no valid credentials.
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")
    }

    /// 404.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not-found")
    }

    /// The problem document, in English (API clients read codes, people read titles).
    pub fn problem(&self) -> Problem {
        let t = Tr::new(crate::i18n::Lang::En);
        Problem {
            kind: format!("https://homeward.invalid/problems/{}", self.code),
            title: t.error(self.code),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            errors: self
                .invalid
                .as_ref()
                .map(|i| {
                    i.errors
                        .iter()
                        .map(|e| ProblemField {
                            field: e.field.clone(),
                            code: e.code.clone(),
                            message: t.error(&e.code),
                            detail: e.detail.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::NotFound => ApiError::not_found(),
            StoreError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden"),
            StoreError::Conflict => ApiError::new(StatusCode::CONFLICT, "conflict"),
            StoreError::Duplicate(f) => {
                let mut inv = Invalid::default();
                inv.add(f, "duplicate");
                ApiError {
                    status: StatusCode::CONFLICT,
                    code: "duplicate",
                    detail: None,
                    invalid: Some(inv),
                }
            }
            StoreError::Invalid(inv) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid",
                detail: None,
                invalid: Some(inv),
            },
            StoreError::Transition(t) => transition_error(&t),
            StoreError::Unsupported(code) => ApiError::new(StatusCode::BAD_REQUEST, code),
            StoreError::Db(e) => {
                tracing::error!(error = %e, "database error");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "database")
            }
            StoreError::Io(e) => {
                tracing::error!(error = %e, "file storage error");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "storage")
            }
            StoreError::Crypto(e) => {
                // Never the value, only what failed: a missing or unknown key, or an altered value.
                tracing::error!(error = %e, "restricted data could not be sealed or opened");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "restricted-data")
            }
            StoreError::Migrate(_) | StoreError::SchemaTooNew { .. } => {
                tracing::error!(error = %e, "migration error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal")
            }
        }
    }
}

/// Maps a refused transition to an API error.
pub fn transition_error(t: &TransitionError) -> ApiError {
    let mut inv = Invalid::default();
    let (status, code) = match t {
        TransitionError::NotAllowed { .. } => (StatusCode::CONFLICT, "transition-not-allowed"),
        TransitionError::Forbidden => (StatusCode::FORBIDDEN, "transition-forbidden"),
        TransitionError::ReasonRequired => {
            inv.add("reason", "reason-required");
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
        TransitionError::Precondition(p) => {
            inv.add("to", p);
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
        }
        TransitionError::Blocked(bs) => {
            for b in bs {
                let who = if b.traveller.is_empty() {
                    "case"
                } else {
                    b.traveller.as_str()
                };
                inv.add(who, &format!("blocker-{}", b.code));
            }
            (StatusCode::UNPROCESSABLE_ENTITY, "not-ready")
        }
    };
    ApiError {
        status,
        code,
        detail: None,
        invalid: (!inv.errors.is_empty()).then_some(inv),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_string(&self.problem()).unwrap_or_else(|_| "{}".into());
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response()
    }
}
