//! Sign-in, sign-out and the language switch. Anyone may use these.

use crate::auth::{cookie, Ctx, LANG_COOKIE, SESSION_COOKIE};
use crate::csrf::same;
use crate::form::FormState;
use crate::frame::{render, Layout, PageForm};
use crate::i18n::Lang;
use crate::local_path::local_path;
use crate::AppState;
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::CookieJar;
use homeward_store::sessions::{self, random_secret};
use homeward_store::sign_in::{self, Outcome};
use homeward_store::{audit, two_factor, users};
use std::collections::HashMap;
use std::net::SocketAddr;

const LOGIN_CSRF_COOKIE: &str = "hw_login_csrf";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    f: FormState,
    login_csrf: String,
    next: String,
    expired: bool,
}

fn login_page(
    state: &AppState,
    ctx: &Ctx,
    jar: CookieJar,
    f: FormState,
    next: String,
    status: StatusCode,
    expired: bool,
) -> Response {
    let token = random_secret();
    let jar = jar.add(cookie(
        LOGIN_CSRF_COOKIE,
        token.clone(),
        state.config.secure_cookies,
    ));
    let l = Layout::new(ctx, ctx.tr().t("sign-in-title"), "");
    (
        jar,
        render(
            status,
            LoginPage {
                l,
                f,
                login_csrf: token,
                next,
                expired,
            },
        ),
    )
        .into_response()
}

/// GET /login.
pub async fn form(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if ctx.auth.is_some() {
        return Redirect::to(&local_path(q.get("next"))).into_response();
    }
    let expired = jar.get(SESSION_COOKIE).is_some();
    login_page(
        &state,
        &ctx,
        jar,
        FormState::default(),
        local_path(q.get("next")),
        StatusCode::OK,
        expired,
    )
}

/// POST /login: checks the double-submit token, then the credentials. Unknown
/// emails and wrong passwords get the same answer; after too many failures
/// for the email or from the client's address, the same "too many attempts"
/// answer (429) without the password being checked (docs/adr/0024).
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    peer: Option<axum::Extension<ConnectInfo<SocketAddr>>>,
    PageForm(f): PageForm,
) -> Response {
    // The TCP peer; `serve` provides it. No proxy header is trusted.
    let address = peer.map(|axum::Extension(ConnectInfo(a))| sign_in::address_key(a.ip()));
    let t = ctx.tr();
    let next = local_path(f.get("next"));
    let email = f.get("email").cloned().unwrap_or_default();
    let mut fs = FormState::default();
    fs.values.insert("email".into(), email.clone());
    let sent = f.get("_login_csrf").map(String::as_str).unwrap_or("");
    let expected = jar
        .get(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_string())
        .unwrap_or_default();
    if expected.is_empty() || !same(sent, &expected) {
        fs.general = Some(t.t("error-login-expired"));
        return login_page(&state, &ctx, jar, fs, next, StatusCode::FORBIDDEN, false);
    }
    let password = f.get("password").cloned().unwrap_or_default();
    if email.len() > 254 || password.len() > 256 {
        fs.general = Some(t.t("error-bad-credentials"));
        return login_page(&state, &ctx, jar, fs, next, StatusCode::UNAUTHORIZED, false);
    }
    let now = homeward_store::now();
    // The account's failures are cleared only once sign-in is complete, so
    // wrong two-factor codes count towards the same throttle (docs/adr/0027).
    match sign_in::check_password(&state.store, &email, &password, address.as_deref(), now).await {
        Ok(Outcome::SignedIn(user)) => {
            let st = match two_factor::status(&state.store, user.id).await {
                Ok(s) => s,
                Err(e) => return crate::frame::store_error(&ctx, e),
            };
            let stage = if st.enabled() {
                sessions::TWO_FACTOR
            } else if state.config.require_two_factor {
                sessions::ENROL
            } else {
                sessions::FULL
            };
            if stage != sessions::TWO_FACTOR {
                if let Err(e) = sign_in::clear_account(&state.store, &email).await {
                    return crate::frame::store_error(&ctx, e);
                }
            }
            if stage == sessions::FULL {
                return match start_session(&state, &ctx, jar.remove(LOGIN_CSRF_COOKIE), &user, None)
                    .await
                {
                    Ok(jar) => (jar, Redirect::to(&next)).into_response(),
                    Err(r) => r,
                };
            }
            // A half-session: its own page only, for a few minutes.
            match sessions::create_stage(&state.store, user.id, state.config.sessions, stage).await
            {
                Ok((token, _)) => {
                    let secure = state.config.secure_cookies;
                    let jar = jar
                        .remove(LOGIN_CSRF_COOKIE)
                        .add(cookie(SESSION_COOKIE, token, secure))
                        .add(cookie(LANG_COOKIE, user.language.clone(), secure));
                    let to = if stage == sessions::TWO_FACTOR {
                        let n = percent_encoding::utf8_percent_encode(
                            &next,
                            percent_encoding::NON_ALPHANUMERIC,
                        );
                        format!("/login/two-factor?next={n}")
                    } else {
                        "/account/two-factor".to_string()
                    };
                    (jar, Redirect::to(&to)).into_response()
                }
                Err(e) => crate::frame::store_error(&ctx, e),
            }
        }
        Ok(Outcome::Refused) => {
            tracing::info!(email_len = email.len(), "failed sign-in");
            fs.general = Some(t.t("error-bad-credentials"));
            login_page(&state, &ctx, jar, fs, next, StatusCode::UNAUTHORIZED, false)
        }
        Ok(Outcome::Throttled { .. }) => {
            tracing::info!(email_len = email.len(), "throttled sign-in");
            fs.general = Some(t.t("error-too-many-attempts"));
            login_page(
                &state,
                &ctx,
                jar,
                fs,
                next,
                StatusCode::TOO_MANY_REQUESTS,
                false,
            )
        }
        Err(e) => crate::frame::store_error(&ctx, e),
    }
}

/// Starts a full session for `user` (audited as `sign_in`, with the second
/// factor used if any) and sets its cookies on `jar`.
pub(crate) async fn start_session(
    state: &AppState,
    ctx: &Ctx,
    jar: CookieJar,
    user: &users::User,
    second_factor: Option<&str>,
) -> Result<CookieJar, Response> {
    let (token, _) = sessions::create(&state.store, user.id, state.config.sessions)
        .await
        .map_err(|e| crate::frame::store_error(ctx, e))?;
    let actor = user.actor(ctx.request_id.clone());
    if let Ok(mut tx) = state.store.begin().await {
        let ok = audit::record(
            &mut tx,
            Some(&actor),
            audit::Entry {
                action: "sign_in",
                entity: "user",
                entity_id: Some(user.id.to_string()),
                case_id: None,
                before: None,
                after: second_factor.map(|f| serde_json::json!({"second_factor": f})),
            },
        )
        .await;
        if ok.is_ok() {
            let _ = tx.commit().await;
        }
    }
    let secure = state.config.secure_cookies;
    Ok(jar.add(cookie(SESSION_COOKIE, token, secure)).add(cookie(
        LANG_COOKIE,
        user.language.clone(),
        secure,
    )))
}

/// POST /logout: ends the session (CSRF-checked like every POST).
pub async fn logout(State(state): State<AppState>, jar: CookieJar) -> Response {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let _ = sessions::delete(&state.store, c.value()).await;
    }
    (jar.remove(SESSION_COOKIE), Redirect::to("/login")).into_response()
}

/// POST /lang: switches the interface language, and remembers it for the user.
pub async fn set_language(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    axum::extract::OriginalUri(_uri): axum::extract::OriginalUri,
    headers: axum::http::HeaderMap,
    PageForm(f): PageForm,
) -> Response {
    let lang = f
        .get("lang")
        .and_then(|l| Lang::parse(l))
        .unwrap_or(Lang::En);
    if let Some(a) = &ctx.auth {
        let _ = users::set_language(&state.store, a.user.id, lang.code()).await;
    }
    // The page the switch was on (kept current by app.js after htmx moved
    // the address), else the Referer if a browser sent one.
    let from_form = f.get("_back").map(|n| local_path(Some(n)));
    let back = from_form
        .or_else(|| {
            headers
                .get(axum::http::header::REFERER)
                .and_then(|r| r.to_str().ok())
                .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
                .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
                .map(|p| local_path(Some(&p)))
        })
        .unwrap_or_else(|| "/".into());
    let jar = jar.add(cookie(
        LANG_COOKIE,
        lang.code().to_string(),
        state.config.secure_cookies,
    ));
    (jar, Redirect::to(&back)).into_response()
}
