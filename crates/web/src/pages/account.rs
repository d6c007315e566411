//! The signed-in user's own account: changing their password (ASVS 2.1.5,
//! 2.1.6, 3.3.3). Who may: every signed-in user, for themselves only (there
//! is no user id in the route); anonymous requests go to the sign-in page.
//! The current password (and a code, with two-factor on) is checked through
//! the sign-in throttle; every other session of the user ends.

use crate::auth::PageUser;
use crate::form::FormState;
use crate::frame::{render, store_error, Layout, PageForm};
use crate::reauth::{self, Check, ClientAddress};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use homeward_store::{two_factor, users, Error as StoreError};

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordPage {
    l: Layout,
    f: FormState,
    two_factor: bool,
    done: bool,
}

async fn page(
    state: &AppState,
    auth: &crate::auth::Auth,
    ctx: &crate::auth::Ctx,
    f: FormState,
    status: StatusCode,
    done: bool,
) -> Response {
    let two_factor = match two_factor::status(&state.store, auth.user.id).await {
        Ok(s) => s.enabled(),
        Err(e) => return store_error(ctx, e),
    };
    let l = Layout::new(
        ctx,
        ctx.tr().t("account-password-title"),
        "/account/password",
    );
    render(
        status,
        PasswordPage {
            l,
            f,
            two_factor,
            done,
        },
    )
}

/// GET /account/password.
pub async fn form(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    page(
        &state,
        &auth,
        &ctx,
        FormState::default(),
        StatusCode::OK,
        false,
    )
    .await
}

/// POST /account/password: current password (and code), new password twice.
/// Passwords are never shown again in the form, only what was wrong.
pub async fn submit(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    address: ClientAddress,
    PageForm(form): PageForm,
) -> Response {
    let t = ctx.tr();
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or("");
    let mut f = FormState::default();
    match reauth::check(
        &state,
        &auth,
        &address,
        get("current_password"),
        get("code"),
    )
    .await
    {
        Ok(Check::Accepted) => {}
        Ok(Check::Throttled) => {
            f.general = Some(t.t("error-too-many-attempts"));
            return page(&state, &auth, &ctx, f, StatusCode::TOO_MANY_REQUESTS, false).await;
        }
        Ok(Check::Wrong) => {
            f.errors
                .insert("current_password".into(), t.t("error-reauth-wrong"));
            return page(
                &state,
                &auth,
                &ctx,
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await;
        }
        Err(e) => return store_error(&ctx, e),
    }
    let keep = auth
        .session
        .as_ref()
        .map(|s| s.token_hash.clone())
        .unwrap_or_default();
    match users::change_own_password(
        &state.store,
        &auth.actor,
        get("new_password"),
        get("confirm_password"),
        &keep,
    )
    .await
    {
        Ok(()) => page(&state, &auth, &ctx, f, StatusCode::OK, true).await,
        Err(StoreError::Invalid(inv)) => {
            f.add_invalid(&t, &inv, "");
            page(
                &state,
                &auth,
                &ctx,
                f,
                StatusCode::UNPROCESSABLE_ENTITY,
                false,
            )
            .await
        }
        Err(e) => store_error(&ctx, e),
    }
}
