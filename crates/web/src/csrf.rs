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
use futures_util::StreamExt;
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
    // Uploads carry the token as the form's first field, read from the start
    // of the body; the body is then handed on whole, files unbuffered.
    let is_multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if is_multipart {
        let (token, req) = multipart_token(req).await;
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

/// How much of an upload's body is read to find its first field.
const MULTIPART_HEAD: usize = 8 * 1024;

/// The `_csrf` field of a multipart body when it is the first part (pages
/// put it first; browsers send fields in order), and the request with its
/// body intact: what was read is put back in front of the rest.
async fn multipart_token(req: Request) -> (Option<String>, Request) {
    let boundary = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| multer::parse_boundary(v).ok());
    let (parts, body) = req.into_parts();
    let Some(boundary) = boundary else {
        return (None, Request::from_parts(parts, body));
    };
    let mut stream = body.into_data_stream();
    let mut head: Vec<u8> = Vec::new();
    let mut failed = None;
    let mut token = None;
    while head.len() < MULTIPART_HEAD {
        match stream.next().await {
            Some(Ok(chunk)) => head.extend_from_slice(&chunk),
            Some(Err(e)) => {
                failed = Some(e);
                break;
            }
            None => break,
        }
        if let Some(t) = first_field(&head, &boundary, FIELD) {
            token = t;
            break;
        }
    }
    let first = futures_util::stream::iter(
        std::iter::once(Ok(axum::body::Bytes::from(head))).chain(failed.map(Err)),
    );
    let body = Body::from_stream(first.chain(stream));
    (token, Request::from_parts(parts, body))
}

/// `Some(value)` of the first part when it is named `name`, `Some(None)`
/// when the first part is complete but named otherwise, `None` while the
/// first part is not yet complete in `head`.
fn first_field(head: &[u8], boundary: &str, name: &str) -> Option<Option<String>> {
    let open = format!("--{boundary}\r\n");
    let close = format!("\r\n--{boundary}");
    let find = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).position(|w| w == needle);
    if head.len() < open.len() {
        return None;
    }
    if !head.starts_with(open.as_bytes()) {
        return Some(None);
    }
    let rest = &head[open.len()..];
    let end_headers = find(rest, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&rest[..end_headers]).to_ascii_lowercase();
    let value = &rest[end_headers + 4..];
    let end = find(value, close.as_bytes())?;
    let named = headers.lines().any(|l| {
        l.starts_with("content-disposition:")
            && l.contains("form-data")
            && l.split(';').any(|p| p.trim() == format!("name=\"{name}\""))
    });
    Some(named.then(|| String::from_utf8_lossy(&value[..end]).into_owned()))
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

#[cfg(test)]
mod tests {
    use super::first_field;

    const B: &str = "XyZ";

    #[test]
    fn the_first_part_named_csrf_gives_its_value() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF";
        assert_eq!(first_field(body, B, "_csrf"), Some(Some("abc123".into())));
    }

    #[test]
    fn a_first_part_of_another_name_gives_no_token() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"_csrf\"\r\n\r\nx\r\n--XyZ";
        assert_eq!(first_field(body, B, "_csrf"), Some(None));
        assert_eq!(first_field(b"garbage that is long", B, "_csrf"), Some(None));
    }

    #[test]
    fn an_unfinished_first_part_asks_for_more() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc";
        assert_eq!(first_field(body, B, "_csrf"), None);
        assert_eq!(first_field(b"--X", B, "_csrf"), None);
    }
}
