//! Two-factor sign-in pages (docs/adr/0027).
//! - /login/two-factor: the second page of sign-in, for a half-session whose
//!   password was right; a code or a recovery code completes the sign-in.
//!   Wrong codes count towards the sign-in throttle (docs/adr/0024).
//! - /account/two-factor: set up two-factor (QR code as inline SVG, the
//!   secret as text, confirmed with a first code, then the ten recovery
//!   codes shown once), for anyone signed in, and for a half-session that
//!   must enrol before anything else; once on, its status and new recovery
//!   codes (after re-authentication).

use super::login::start_session;
use crate::auth::{Auth, Ctx, PageUser, Pending, SESSION_COOKIE};
use crate::frame::{render, store_error, Layout, PageForm};
use crate::local_path::local_path;
use crate::reauth::{self, ClientAddress};
use crate::AppState;
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use axum_extra::extract::cookie::CookieJar;
use homeward_domain::totp;
use homeward_store::sessions;
use homeward_store::sign_in;
use homeward_store::two_factor::{self, Accepted};
use homeward_store::users::User;
use std::collections::HashMap;

fn with_csrf(mut l: Layout, csrf: &str) -> Layout {
    l.csrf = csrf.to_string();
    l
}

#[derive(Template)]
#[template(path = "two_factor_code.html")]
struct CodePage {
    l: Layout,
    next: String,
    error: Option<String>,
}

fn code_page(
    ctx: &Ctx,
    p: &Pending,
    next: String,
    status: StatusCode,
    error: Option<String>,
) -> Response {
    let t = ctx.tr();
    let l = with_csrf(
        Layout::new(ctx, t.t("two-factor-title"), ""),
        &p.session.csrf_token,
    );
    render(status, CodePage { l, next, error })
}

/// GET /login/two-factor: asks a half-signed-in user for a code.
pub async fn code_form(
    ctx: Ctx,
    pending: Option<Extension<Pending>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match pending {
        Some(Extension(p)) if p.session.stage == sessions::TWO_FACTOR => {
            code_page(&ctx, &p, local_path(q.get("next")), StatusCode::OK, None)
        }
        _ if ctx.auth.is_some() => Redirect::to("/").into_response(),
        _ => Redirect::to("/login").into_response(),
    }
}

/// POST /login/two-factor: a right code (or unused recovery code) replaces
/// the half-session with a full one; a wrong one counts as a failed sign-in.
pub async fn code_submit(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    pending: Option<Extension<Pending>>,
    address: ClientAddress,
    PageForm(f): PageForm,
) -> Response {
    let p = match pending {
        Some(Extension(p)) if p.session.stage == sessions::TWO_FACTOR => p,
        _ => return Redirect::to("/login").into_response(),
    };
    let t = ctx.tr();
    let next = local_path(f.get("next"));
    let code = f.get("code").map(String::as_str).unwrap_or("").trim();
    if code.is_empty() {
        return code_page(
            &ctx,
            &p,
            next,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(t.t("error-two-factor-empty")),
        );
    }
    let email = p.user.email.as_str();
    let address = address.0.as_deref();
    let now = homeward_store::now();
    match sign_in::throttled_until(&state.store, email, address, now).await {
        Ok(Some(_)) => {
            return code_page(
                &ctx,
                &p,
                next,
                StatusCode::TOO_MANY_REQUESTS,
                Some(t.t("error-too-many-attempts")),
            )
        }
        Ok(None) => {}
        Err(e) => return store_error(&ctx, e),
    }
    match two_factor::verify(&state.store, p.user.id, code, now).await {
        Ok(Some(how)) => {
            if let Err(e) = sign_in::clear_account(&state.store, email).await {
                return store_error(&ctx, e);
            }
            let how = match how {
                Accepted::Code => "code",
                Accepted::RecoveryCode => "recovery_code",
            };
            // After a recovery code, say so and how many remain.
            let to = if how == "recovery_code" {
                "/account/two-factor?recovery=used".to_string()
            } else {
                next
            };
            match complete(&state, &ctx, jar, &p, how).await {
                Ok(jar) => (jar, Redirect::to(&to)).into_response(),
                Err(r) => r,
            }
        }
        Ok(None) => {
            tracing::info!("wrong two-factor code");
            if let Err(e) = sign_in::record_failure(&state.store, email, address, now).await {
                return store_error(&ctx, e);
            }
            code_page(
                &ctx,
                &p,
                next,
                StatusCode::UNAUTHORIZED,
                Some(t.t("error-two-factor-wrong")),
            )
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// Ends the half-session and starts a full one (a new cookie value).
async fn complete(
    state: &AppState,
    ctx: &Ctx,
    jar: CookieJar,
    p: &Pending,
    how: &str,
) -> Result<CookieJar, Response> {
    if let Some(c) = jar.get(SESSION_COOKIE) {
        let _ = sessions::delete(&state.store, c.value()).await;
    }
    start_session(state, ctx, jar, &p.user, Some(how)).await
}

#[derive(Template)]
#[template(path = "two_factor_setup.html")]
struct SetupPage {
    l: Layout,
    secret: String,
    secret_grouped: String,
    qr_svg: String,
    account: String,
    pending: bool,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "two_factor_status.html")]
struct StatusPage {
    l: Layout,
    enabled_at: String,
    codes_left: i64,
    /// The user has just signed in with a recovery code.
    recovery_used: bool,
}

#[derive(Template)]
#[template(path = "two_factor_codes.html")]
struct CodesPage {
    l: Layout,
    codes: Vec<String>,
}

impl CodesPage {
    /// The codes as a text file's contents, for a `data:` download link.
    fn download_href(&self) -> String {
        let text = format!("Homeward recovery codes\n\n{}\n", self.codes.join("\n"));
        format!(
            "data:text/plain;charset=utf-8,{}",
            percent_encoding::utf8_percent_encode(&text, percent_encoding::NON_ALPHANUMERIC)
        )
    }
}

/// The QR code of `uri` as an inline SVG element (no XML declaration),
/// labelled by the page's element `qr-alt`.
pub(crate) fn qr_svg(uri: &str) -> String {
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .build();
            match svg.find("<svg") {
                Some(i) => {
                    svg[i..].replacen("<svg ", "<svg role=\"img\" aria-labelledby=\"qr-alt\" ", 1)
                }
                None => String::new(),
            }
        }
        Err(_) => String::new(),
    }
}

/// Who is enrolling: a signed-in user, or a half-session that must enrol.
enum Enroller {
    Full(Box<Auth>),
    Pending(Box<Pending>),
}

impl Enroller {
    fn user(&self) -> &User {
        match self {
            Enroller::Full(a) => &a.user,
            Enroller::Pending(p) => &p.user,
        }
    }
}

fn enroller(ctx: &Ctx, pending: Option<Extension<Pending>>) -> Option<Enroller> {
    if let Some(a) = &ctx.auth {
        return Some(Enroller::Full(Box::new(a.clone())));
    }
    match pending {
        Some(Extension(p)) if p.session.stage == sessions::ENROL => {
            Some(Enroller::Pending(Box::new(p)))
        }
        _ => None,
    }
}

fn layout(ctx: &Ctx, who: &Enroller, key: &str) -> Layout {
    let l = Layout::new(ctx, ctx.tr().t(key), "");
    match who {
        Enroller::Pending(p) => with_csrf(l, &p.session.csrf_token),
        Enroller::Full(_) => l,
    }
}

async fn setup_page(
    state: &AppState,
    ctx: &Ctx,
    who: &Enroller,
    status: StatusCode,
    error: Option<String>,
    recovery_used: bool,
) -> Response {
    let user = who.user();
    let st = match two_factor::status(&state.store, user.id).await {
        Ok(s) => s,
        Err(e) => return store_error(ctx, e),
    };
    if st.enabled() {
        let l = layout(ctx, who, "two-factor-title");
        let enabled_at = st.enabled_at.map(|t| l.t.datetime(&t)).unwrap_or_default();
        return render(
            StatusCode::OK,
            StatusPage {
                l,
                enabled_at,
                codes_left: st.recovery_codes_left,
                recovery_used,
            },
        );
    }
    let secret = match two_factor::enrolment_secret(&state.store, user.id).await {
        Ok(s) => s,
        Err(e) => return store_error(ctx, e),
    };
    let uri = totp::otpauth_uri(&secret, two_factor::ISSUER, &user.email);
    let secret_grouped = secret
        .as_bytes()
        .chunks(4)
        .map(|c| String::from_utf8_lossy(c).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    render(
        status,
        SetupPage {
            l: layout(ctx, who, "two-factor-setup-title"),
            qr_svg: qr_svg(&uri),
            secret,
            secret_grouped,
            account: user.email.clone(),
            pending: matches!(who, Enroller::Pending(_)),
            error,
        },
    )
}

/// GET /account/two-factor: the enrolment page, or the status once on.
pub async fn setup(
    State(state): State<AppState>,
    ctx: Ctx,
    pending: Option<Extension<Pending>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let recovery_used = q.get("recovery").is_some_and(|v| v == "used");
    match enroller(&ctx, pending) {
        Some(who) => setup_page(&state, &ctx, &who, StatusCode::OK, None, recovery_used).await,
        None => Redirect::to("/login?next=%2Faccount%2Ftwo-factor").into_response(),
    }
}

/// POST /account/two-factor: confirms enrolment with a first code, then
/// shows the recovery codes once. A half-session becomes a full one.
pub async fn confirm(
    State(state): State<AppState>,
    ctx: Ctx,
    jar: CookieJar,
    pending: Option<Extension<Pending>>,
    PageForm(f): PageForm,
) -> Response {
    let Some(who) = enroller(&ctx, pending) else {
        return Redirect::to("/login").into_response();
    };
    let t = ctx.tr();
    let code = f.get("code").map(String::as_str).unwrap_or("").trim();
    if code.is_empty() {
        let msg = t.t("error-two-factor-empty");
        return setup_page(
            &state,
            &ctx,
            &who,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(msg),
            false,
        )
        .await;
    }
    let actor = who.user().actor(ctx.request_id.clone());
    let now = homeward_store::now();
    match two_factor::confirm_enrolment(&state.store, &actor, code, now).await {
        Ok(Some(codes)) => {
            let (jar, l) = match &who {
                Enroller::Full(_) => (jar, layout(&ctx, &who, "two-factor-codes-title")),
                Enroller::Pending(p) => match complete(&state, &ctx, jar, p, "enrolment").await {
                    Ok(jar) => {
                        // The new session's token is in the jar; the page
                        // needs no form but the link onwards.
                        (jar, Layout::new(&ctx, t.t("two-factor-codes-title"), ""))
                    }
                    Err(r) => return r,
                },
            };
            (jar, render(StatusCode::OK, CodesPage { l, codes })).into_response()
        }
        Ok(None) => {
            let msg = t.t("error-two-factor-wrong");
            setup_page(
                &state,
                &ctx,
                &who,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(msg),
                false,
            )
            .await
        }
        Err(homeward_store::Error::Conflict) => Redirect::to("/account/two-factor").into_response(),
        Err(e) => store_error(&ctx, e),
    }
}

/// POST /account/two-factor/recovery-codes: ten new recovery codes (the old
/// ones stop working), after re-authentication.
pub async fn regenerate(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    address: ClientAddress,
    PageForm(f): PageForm,
) -> Response {
    if let Err(r) = reauth::guard_form(
        &state,
        &auth,
        &ctx,
        &address,
        "/account/two-factor/recovery-codes",
        &f,
    )
    .await
    {
        return r;
    }
    match two_factor::regenerate_recovery_codes(&state.store, &auth.actor).await {
        Ok(codes) => {
            let l = Layout::new(&ctx, ctx.tr().t("two-factor-codes-title"), "");
            render(StatusCode::OK, CodesPage { l, codes })
        }
        Err(homeward_store::Error::Conflict) => Redirect::to("/account/two-factor").into_response(),
        Err(e) => store_error(&ctx, e),
    }
}
