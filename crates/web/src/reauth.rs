//! Re-authentication before sensitive actions (docs/adr/0027): starting a
//! case or de-identified export, downloading the donor report, changing a
//! user's role. The session's user must have typed their password (and a
//! two-factor code when they have two-factor on) within the last
//! [`WINDOW_MINUTES`]; signing in counts. Requests made with an API token
//! carry no session and are exempt (machine credentials).
//!
//! Use in a handler:
//! - a form POST: `reauth::guard_form(&state, &auth, &ctx, &addr, "/path", &form).await?`
//!   shows the same form again as a page asking for the password, every
//!   field kept in hidden inputs; submitting it checks the password and
//!   goes on with the original request.
//! - a GET (a download): `reauth::guard_get(&auth, &uri)?` sends the user to
//!   `/reauth?next=<the request>`, which comes back after the password.
//! - the JSON API: `reauth::guard_api(&auth)?` answers 403 problem+json
//!   for a browser session that is not recently re-authenticated.
//!
//! Wrong passwords and codes count towards the sign-in throttle of the
//! account and address (docs/adr/0024).

use crate::auth::{Auth, Ctx, PageUser};
use crate::error::ApiError;
use crate::frame::{render, store_error, Layout, PageForm};
use crate::local_path::local_path;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Duration, Utc};
use homeward_store::sign_in::{self, Outcome};
use homeward_store::{sessions, two_factor};
use std::collections::HashMap;
use std::net::SocketAddr;

/// How long a re-authentication (or a sign-in) counts.
pub const WINDOW_MINUTES: i64 = 10;
/// Form field carrying the password.
pub const PASSWORD_FIELD: &str = "_reauth_password";
/// Form field carrying the two-factor code.
pub const CODE_FIELD: &str = "_reauth_code";

/// The client's address as the sign-in throttle keys it (the TCP peer).
#[derive(Clone, Debug, Default)]
pub struct ClientAddress(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientAddress(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(a)| sign_in::address_key(a.ip())),
        ))
    }
}

/// Whether `auth` may do a sensitive action at `now` without typing the
/// password again: always for API tokens, for a session only within
/// [`WINDOW_MINUTES`] of its last sign-in or re-authentication.
pub fn is_recent(auth: &Auth, now: DateTime<Utc>) -> bool {
    match &auth.session {
        None => true,
        Some(s) => s.reauthenticated_at.is_some_and(|t| {
            now - t <= Duration::minutes(WINDOW_MINUTES) && t <= now + Duration::minutes(1)
        }),
    }
}

/// What checking a typed password (and code) came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    Accepted,
    Wrong,
    Throttled,
}

/// Checks the session user's password and, when they have two-factor on,
/// `code`; on success marks the session re-authenticated now.
pub async fn check(
    state: &AppState,
    auth: &Auth,
    address: &ClientAddress,
    password: &str,
    code: &str,
) -> homeward_store::Result<Check> {
    let Some(session) = &auth.session else {
        return Ok(Check::Accepted);
    };
    let email = auth.user.email.as_str();
    let address = address.0.as_deref();
    let now = homeward_store::now();
    if password.is_empty() || password.len() > 256 || code.len() > 64 {
        if sign_in::throttled_until(&state.store, email, address, now)
            .await?
            .is_some()
        {
            return Ok(Check::Throttled);
        }
        sign_in::record_failure(&state.store, email, address, now).await?;
        return Ok(Check::Wrong);
    }
    match sign_in::check_password(&state.store, email, password, address, now).await? {
        Outcome::Throttled { .. } => return Ok(Check::Throttled),
        Outcome::Refused => return Ok(Check::Wrong),
        Outcome::SignedIn(u) if u.id != auth.user.id => return Ok(Check::Wrong),
        Outcome::SignedIn(_) => {}
    }
    if two_factor::status(&state.store, auth.user.id)
        .await?
        .enabled()
        && two_factor::verify(&state.store, auth.user.id, code, now)
            .await?
            .is_none()
    {
        sign_in::record_failure(&state.store, email, address, now).await?;
        return Ok(Check::Wrong);
    }
    sign_in::clear_account(&state.store, email).await?;
    sessions::mark_reauthenticated(&state.store, &session.token_hash, now).await?;
    Ok(Check::Accepted)
}

#[derive(Template)]
#[template(path = "reauth.html")]
struct ReauthPage {
    l: Layout,
    action: String,
    hidden: Vec<(String, String)>,
    two_factor: bool,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    auth: &Auth,
    ctx: &Ctx,
    action: &str,
    hidden: Vec<(String, String)>,
    check: Option<Check>,
) -> Response {
    let t = ctx.tr();
    let two_factor = match two_factor::status(&state.store, auth.user.id).await {
        Ok(s) => s.enabled(),
        Err(e) => return store_error(ctx, e),
    };
    let (status, error) = match check {
        None => (StatusCode::OK, None),
        Some(Check::Throttled) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(t.t("error-too-many-attempts")),
        ),
        Some(_) => (StatusCode::UNAUTHORIZED, Some(t.t("error-reauth-wrong"))),
    };
    let l = Layout::new(ctx, t.t("reauth-title"), "");
    render(
        status,
        ReauthPage {
            l,
            action: action.to_string(),
            hidden,
            two_factor,
            error,
        },
    )
}

/// The form's fields to carry through the re-authentication page (not the
/// CSRF token, which the page adds, nor the password and code).
fn carried(form: &HashMap<String, String>) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = form
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), crate::csrf::FIELD | PASSWORD_FIELD | CODE_FIELD))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    v.sort();
    v
}

/// Lets a form POST to `action` go on when the session is recently
/// re-authenticated, or when the form carries the right password (and
/// code); otherwise answers with the re-authentication page, which posts
/// the same form back to `action` with the password.
pub async fn guard_form(
    state: &AppState,
    auth: &Auth,
    ctx: &Ctx,
    address: &ClientAddress,
    action: &str,
    form: &HashMap<String, String>,
) -> Result<(), Response> {
    if is_recent(auth, homeward_store::now()) {
        return Ok(());
    }
    let Some(password) = form.get(PASSWORD_FIELD) else {
        return Err(page(state, auth, ctx, action, carried(form), None).await);
    };
    let code = form.get(CODE_FIELD).map(String::as_str).unwrap_or("");
    match check(state, auth, address, password, code).await {
        Ok(Check::Accepted) => Ok(()),
        Ok(c) => Err(page(state, auth, ctx, action, carried(form), Some(c)).await),
        Err(e) => Err(store_error(ctx, e)),
    }
}

/// Lets a GET go on when the session is recently re-authenticated;
/// otherwise sends the user to `/reauth?next=<this request>`.
pub fn guard_get(auth: &Auth, uri: &Uri) -> Result<(), Response> {
    if is_recent(auth, homeward_store::now()) {
        return Ok(());
    }
    let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let next = percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
    Err(Redirect::to(&format!("/reauth?next={next}")).into_response())
}

/// Refuses (403 problem+json) an API request made with a browser session
/// that is not recently re-authenticated; API tokens always pass.
pub fn guard_api(auth: &Auth) -> Result<(), ApiError> {
    if is_recent(auth, homeward_store::now()) {
        Ok(())
    } else {
        Err(
            ApiError::new(StatusCode::FORBIDDEN, "reauthentication-required")
                .detail("type your password again on the page, then retry"),
        )
    }
}

/// GET /reauth?next=: the password page before a sensitive download.
pub async fn form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let hidden = vec![("next".to_string(), local_path(q.get("next")))];
    page(&state, &auth, &ctx, "/reauth", hidden, None).await
}

/// POST /reauth: checks the password (and code), then goes back to `next`.
pub async fn submit(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    address: ClientAddress,
    PageForm(f): PageForm,
) -> Response {
    let next = local_path(f.get("next"));
    let password = f.get(PASSWORD_FIELD).map(String::as_str).unwrap_or("");
    let code = f.get(CODE_FIELD).map(String::as_str).unwrap_or("");
    match check(&state, &auth, &address, password, code).await {
        Ok(Check::Accepted) => Redirect::to(&next).into_response(),
        Ok(c) => {
            let hidden = vec![("next".to_string(), next)];
            page(&state, &auth, &ctx, "/reauth", hidden, Some(c)).await
        }
        Err(e) => store_error(&ctx, e),
    }
}
