//! Staff give and revoke the returnee's page codes (issue 22):
//! `POST /cases/{id}/returnee-access` shows a new code once;
//! `POST /cases/{id}/returnee-access/{aid}/revoke`. Counsellors and
//! supervisors, and the mission after return (`returnee_access::may_issue`);
//! everyone else 403, out of scope 404.

use super::before_departure::parse_id;
use super::case_page::answer::Posted;
use crate::auth::PageUser;
use crate::case_access::{need, CaseIn};
use crate::frame::{render, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use homeward_store::returnee_access;

#[derive(Template)]
#[template(path = "returnee_code.html")]
struct CodePage {
    l: Layout,
    code: String,
    name: String,
    url: String,
    /// The page's address as a QR code (inline SVG), when it has one.
    qr_svg: String,
    case_id: String,
}

/// POST /cases/{id}/returnee-access: a new code for the member chosen.
pub async fn issue(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::InScope>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let person = form
        .get("person_id")
        .and_then(|p| uuid::Uuid::parse_str(p.trim()).ok())
        .unwrap_or_default();
    match returnee_access::issue(&state.store, &auth.actor, id, person).await {
        Ok(code) => {
            let name = match homeward_store::cases::get(&state.store, &auth.actor, id).await {
                Ok(c) => c
                    .members
                    .into_iter()
                    .find(|m| m.person.id == person)
                    .map(|m| m.person.display_name)
                    .unwrap_or_default(),
                Err(e) => return store_error(&ctx, e),
            };
            let t = ctx.tr();
            let l = Layout::new(&ctx, t.t("returnee-code-title"), &format!("/cases/{id}"));
            let mut r = render(
                StatusCode::OK,
                CodePage {
                    l,
                    code,
                    name,
                    qr_svg: state
                        .config
                        .returnee_page_url()
                        .map(|u| super::two_factor::qr_svg(&u))
                        .unwrap_or_default(),
                    url: state
                        .config
                        .returnee_page_url()
                        .unwrap_or_else(|| "/my".into()),
                    case_id: id.to_string(),
                },
            );
            r.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-store"),
            );
            r
        }
        Err(e) => at.refused(form, e, |s, f| s.returnee = f).await,
    }
}

/// POST /cases/{id}/returnee-access/{aid}/revoke.
pub async fn revoke(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::InScope>,
    Path((_, aid)): Path<(String, String)>,
) -> Response {
    let aid = match parse_id(&ctx, &aid) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match returnee_access::revoke(&state.store, &auth.actor, id, aid).await {
        Ok(()) => Redirect::to(&format!("/cases/{id}?done=saved#returnee-access")).into_response(),
        Err(e) => store_error(&ctx, e),
    }
}
