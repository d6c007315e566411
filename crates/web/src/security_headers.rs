//! Headers that make browsers stricter with our pages (issue 7, hardening).

use crate::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// Our pages: scripts and styles from our own files only, nothing inline.
pub const CSP: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";
/// The bundled API explorer (Swagger UI) writes inline styles; scripts stay strict.
pub const CSP_API_DOCS: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";
/// Sent when Homeward runs behind TLS (`secure_cookies`): browsers then never
/// reach it over plain HTTP for a year.
pub const HSTS: &str = "max-age=31536000; includeSubDomains";

/// Adds CSP, anti-framing, no-sniff, referrer and (behind TLS) HSTS headers,
/// and keeps personal data out of shared caches.
pub async fn add(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let is_asset = path.starts_with("/assets/");
    let csp = if path.starts_with("/api/docs") {
        CSP_API_DOCS
    } else {
        CSP
    };
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Case URLs carry ids: no other site learns them from a link.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if state.config.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    if !is_asset && !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}
