//! Who is asking: a session cookie (people) or a bearer token (programs).
//! The `load` middleware resolves it once per request; handlers ask for it
//! through the `ApiUser` and `PageUser` extractors.

use crate::error::ApiError;
use crate::i18n::{Lang, Tr};
use crate::AppState;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use homeward_store::sessions::{self, Session};
use homeward_store::users::User;
use homeward_store::{tokens, Actor};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "hw_session";
/// Name of the language cookie.
pub const LANG_COOKIE: &str = "hw_lang";

/// The authenticated user of a request.
#[derive(Clone, Debug)]
pub struct Auth {
    pub user: User,
    pub actor: Actor,
    /// Present when authenticated by cookie (CSRF applies); absent for bearer tokens.
    pub session: Option<Session>,
}

/// Per-request context every handler may read.
#[derive(Clone, Debug)]
pub struct Ctx {
    pub lang: Lang,
    pub auth: Option<Auth>,
    pub request_id: Option<String>,
    /// The page asked for (path and query of a GET, path otherwise): where
    /// the language switch returns, since no Referer is sent (no-referrer).
    pub here: String,
}

impl Ctx {
    /// A translator for the request's language.
    /// Mission officers read times in their country's zone; everyone else
    /// in their programme office's zone.
    pub fn tr(&self) -> Tr {
        match &self.auth {
            Some(a) => Tr::in_zone(self.lang, a.actor.local_zone()),
            None => Tr::new(self.lang),
        }
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Resolves the user and language, then runs the request.
pub async fn load(
    State(state): State<AppState>,
    jar: CookieJar,
    mut req: Request,
    next: Next,
) -> Response {
    // `/metrics` checks a bearer token of its own (the metrics token), which
    // is no API token and must not be looked up as one.
    if req.uri().path() == "/metrics" {
        return next.run(req).await;
    }
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut auth = None;
    let mut pending: Option<Pending> = None;
    let mut failed_bearer = false;
    if let Some(token) = bearer(req.headers()) {
        match tokens::authenticate(&state.store, token).await {
            Ok(Some(user)) => {
                let actor = user.actor(request_id.clone());
                auth = Some(Auth {
                    user,
                    actor,
                    session: None,
                });
            }
            Ok(None) => failed_bearer = true,
            Err(e) => return ApiError::from(e).into_response(),
        }
    } else if let Some(c) = jar.get(SESSION_COOKIE) {
        match sessions::touch(&state.store, c.value(), state.config.sessions).await {
            Ok(Some(session)) => {
                match homeward_store::users::get(&state.store, session.user_id).await {
                    Ok(user) if session.is_full() => {
                        let actor = user.actor(request_id.clone());
                        auth = Some(Auth {
                            user,
                            actor,
                            session: Some(session),
                        });
                    }
                    // A half-session (docs/adr/0027): only its own page.
                    Ok(user) => pending = Some(Pending { user, session }),
                    Err(e) => return ApiError::from(e).into_response(),
                }
            }
            Ok(None) => {}
            Err(e) => return ApiError::from(e).into_response(),
        }
    }
    if failed_bearer {
        return ApiError::unauthorized()
            .detail("invalid or revoked token")
            .into_response();
    }
    // The explicit choice (cookie) first; then what the client asks for; then
    // the user's saved preference. Sign-in sets the cookie from that preference.
    let lang = jar
        .get(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .or_else(|| auth.as_ref().and_then(|a| Lang::parse(&a.user.language)))
        .unwrap_or(Lang::En);
    if let Some(p) = pending {
        if let Some(refused) = pending_gate(&p, req.uri().path()) {
            return refused;
        }
        req.extensions_mut().insert(p);
    }
    let here = if req.method() == axum::http::Method::GET {
        req.uri()
            .path_and_query()
            .map(|p| p.as_str().to_string())
            .unwrap_or_else(|| "/".into())
    } else {
        req.uri().path().to_string()
    };
    req.extensions_mut().insert(Ctx {
        lang,
        auth,
        request_id,
        here,
    });
    next.run(req).await
}

/// A pending half-session: the password was right, but a two-factor code is
/// due or two-factor must be set up first (docs/adr/0027). It is not an
/// [`Auth`]: handlers that need a user never see it.
#[derive(Clone, Debug)]
pub struct Pending {
    pub user: User,
    pub session: Session,
}

/// Where a pending half-session must go.
pub fn pending_page(stage: &str) -> &'static str {
    if stage == sessions::ENROL {
        "/account/two-factor"
    } else {
        "/login/two-factor"
    }
}

/// Refuses every request of a half-session but its own page, sign-out, the
/// language switch, assets and health: pages redirect to its page, the API
/// answers 403 problem+json.
fn pending_gate(p: &Pending, path: &str) -> Option<Response> {
    let own = pending_page(&p.session.stage);
    let open = path == own
        || matches!(
            path,
            "/logout" | "/lang" | "/login" | "/healthz" | "/readyz"
        )
        || path.starts_with("/assets/");
    if open {
        return None;
    }
    if path.starts_with("/api/") {
        return Some(
            ApiError::new(axum::http::StatusCode::FORBIDDEN, "two-factor-required")
                .detail("finish signing in with two-factor authentication first")
                .into_response(),
        );
    }
    Some(Redirect::to(own).into_response())
}

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}

/// A signed-in user calling the API (rejects with 401 problem+json).
pub struct ApiUser(pub Auth);

impl<S: Send + Sync> FromRequestParts<S> for ApiUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Ctx>()
            .and_then(|c| c.auth.clone())
            .map(ApiUser)
            .ok_or_else(ApiError::unauthorized)
    }
}

/// A signed-in person on a page (redirects to the sign-in page otherwise).
pub struct PageUser(pub Auth, pub Ctx);

impl<S: Send + Sync> FromRequestParts<S> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ctx = parts.extensions.get::<Ctx>().cloned();
        match ctx.as_ref().and_then(|c| c.auth.clone()) {
            Some(a) => Ok(PageUser(
                a,
                ctx.unwrap_or(Ctx {
                    lang: Lang::En,
                    auth: None,
                    request_id: None,
                    here: "/".into(),
                }),
            )),
            None => {
                let next = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str())
                    .unwrap_or("/");
                let next =
                    percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
                Err(Redirect::to(&format!("/login?next={next}")).into_response())
            }
        }
    }
}

/// A cookie with the flags every Homeward cookie carries.
pub fn cookie(name: &'static str, value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_secure(secure);
    c.set_path("/");
    c
}
