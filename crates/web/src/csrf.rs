//! CSRF protection: every state-changing request made with a session cookie
//! must carry the session's token, in the `X-CSRF-Token` header (htmx, API
//! calls from the browser) or the `_csrf` form field. Bearer-token requests
//! carry no ambient credentials and are exempt. The sign-in form, which has no
//! session yet, uses a double-submit cookie checked by its handler.

use crate::auth::Ctx;
use crate::error::ApiError;
use crate::AppState;
use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use subtle::ConstantTimeEq;

/// Name of the form field.
pub const FIELD: &str = "_csrf";
/// Name of the header.
pub const HEADER: &str = "x-csrf-token";

/// Compares two secrets in constant time.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The middleware.
pub async fn verify(State(_): State<AppState>, req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let ctx = req.extensions().get::<Ctx>().cloned();
    let is_api = req.uri().path().starts_with("/api/");
    let refuse = move || match (&ctx, is_api) {
        (Some(c), false) => crate::frame::error_page(c, StatusCode::FORBIDDEN, "csrf"),
        _ => refuse_api(),
    };
    let Some(expected) = req
        .extensions()
        .get::<Ctx>()
        .and_then(|c| c.auth.as_ref())
        .and_then(|a| a.session.as_ref())
        .map(|s| s.csrf_token.clone())
        .or_else(|| {
            // A half-session's own page (docs/adr/0027) is checked the same way.
            req.extensions()
                .get::<crate::auth::Pending>()
                .map(|p| p.session.csrf_token.clone())
        })
    else {
        // No session: bearer token, or anonymous (handlers refuse what needs a user).
        return next.run(req).await;
    };
    if let Some(h) = req.headers().get(HEADER).and_then(|v| v.to_str().ok()) {
        if same(h, &expected) {
            return next.run(req).await;
        }
        return refuse();
    }
    // Multipart forms (uploads) carry the token in the query string: reading it
    // from the body would mean buffering files here.
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let token = req
            .uri()
            .query()
            .and_then(|q| form_urlencoded_field(q.as_bytes(), FIELD));
        return if token.as_deref().is_some_and(|t| same(t, &expected)) {
            next.run(req).await
        } else {
            refuse()
        };
    }
    let is_form = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return refuse();
    }
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, crate::BODY_LIMIT).await else {
        return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large").into_response();
    };
    let token = form_urlencoded_field(&bytes, FIELD);
    if token.as_deref().is_some_and(|t| same(t, &expected)) {
        next.run(Request::from_parts(parts, Body::from(bytes)))
            .await
    } else {
        refuse()
    }
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
}

fn refuse_api() -> Response {
    ApiError::new(StatusCode::FORBIDDEN, "csrf")
        .detail("missing or wrong CSRF token")
        .into_response()
}
