//! Extractors whose rejections are problem documents, so malformed, oversize
//! or mistyped requests get a clear 4xx in the API's own format.

use crate::error::ApiError;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use uuid::Uuid;

/// A JSON body.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rej) => Err(match &rej {
                JsonRejection::JsonDataError(e) => {
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "json-data")
                        .detail(e.body_text())
                }
                JsonRejection::JsonSyntaxError(e) => {
                    ApiError::new(StatusCode::BAD_REQUEST, "json-syntax").detail(e.body_text())
                }
                JsonRejection::MissingJsonContentType(_) => {
                    ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "json-content-type")
                }
                JsonRejection::BytesRejection(_)
                    if rej.status() == StatusCode::PAYLOAD_TOO_LARGE =>
                {
                    ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large")
                }
                _ => ApiError::new(rej.status(), "bad-request").detail(rej.body_text()),
            }),
        }
    }
}

/// Typed query parameters. A value that does not parse (`?include_inactive=maybe`,
/// `?to=`) answers 400 `invalid-parameter` as a problem document, not
/// axum's plain-text rejection.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(rej) => {
                Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid-parameter")
                    .detail(rej.body_text()))
            }
        }
    }
}

/// Parses an id from the path; a malformed id is simply not found.
pub fn parse_id(s: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(s).map_err(|_| ApiError::not_found())
}

/// Reads an optional integer query parameter within bounds; anything else is a 400.
pub fn int_param(
    q: &HashMap<String, String>,
    name: &str,
    default: i64,
    min: i64,
    max: i64,
) -> Result<i64, ApiError> {
    match q.get(name) {
        None => Ok(default),
        Some(v) => match v.parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::new(StatusCode::BAD_REQUEST, "invalid-parameter")
                .detail(format!("{name} must be an integer from {min} to {max}"))),
        },
    }
}
