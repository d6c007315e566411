//! The de-identified export form (`/exports/deidentified/new`): counts of
//! people or cases by the dimensions chosen, small counts suppressed
//! (`docs/adr/0019-de-identified-export.md`).
//!
//! Who may: analysts and supervisors
//! ([`homeward_domain::deidentify::may_export`]); every other role gets 403
//! and no navigation entry. The file waits in the user's downloads, for
//! them alone.

use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{render, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::deidentify::{self, Dimension, Unit};
use homeward_store::deidentified::{self, DeidentifiedRequest};
use homeward_store::Error as StoreError;
use std::collections::HashMap;

/// A dimension offered on the form.
pub struct DimChoice {
    pub id: &'static str,
    pub label: String,
    pub hxl: &'static str,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "export_deidentified.html")]
struct NewPage {
    l: Layout,
    f: FormState,
    dims: Vec<DimChoice>,
    units: Vec<(String, String)>,
    threshold: i64,
}

fn forbidden(ctx: &Ctx) -> Response {
    crate::frame::error_page(ctx, StatusCode::FORBIDDEN, "forbidden")
}

fn checked(form: &HashMap<String, String>, k: &str) -> bool {
    matches!(form.get(k).map(String::as_str), Some("on" | "true" | "1"))
}

fn form_page(ctx: &Ctx, f: FormState, status: StatusCode) -> Response {
    let t = ctx.tr();
    let dims = Dimension::ALL
        .iter()
        .map(|d| DimChoice {
            id: d.id(),
            label: t.t(d.label_key()),
            hxl: d.hxl(),
            checked: checked(&f.values, &format!("dim-{}", d.id())),
        })
        .collect();
    let units = [Unit::People, Unit::Cases]
        .into_iter()
        .map(|u| {
            (
                u.as_str().to_string(),
                t.t(&format!("deid-unit-{}", u.as_str())),
            )
        })
        .collect();
    let l = Layout::new(ctx, t.t("deid-title"), "/exports/deidentified/new");
    render(
        status,
        NewPage {
            l,
            f,
            dims,
            units,
            threshold: deidentify::THRESHOLD,
        },
    )
}

/// GET /exports/deidentified/new: the form, with country and sex checked.
pub async fn new_form(PageUser(auth, ctx): PageUser) -> Response {
    if !deidentify::may_export(auth.actor.role) {
        return forbidden(&ctx);
    }
    let mut f = FormState::default();
    for (k, v) in [
        ("dim-country_of_return", "on"),
        ("dim-sex", "on"),
        ("unit", "people"),
        ("format", "csv"),
    ] {
        f.values.insert(k.into(), v.into());
    }
    form_page(&ctx, f, StatusCode::OK)
}

/// The request a form describes: checked dimensions in the catalogue's
/// order, then any `dim-*` field the catalogue does not know (refused as
/// unknown).
fn request_of(form: &HashMap<String, String>) -> DeidentifiedRequest {
    let mut dimensions: Vec<String> = Dimension::ALL
        .iter()
        .filter(|d| checked(form, &format!("dim-{}", d.id())))
        .map(|d| d.id().to_string())
        .collect();
    let mut unknown: Vec<String> = form
        .keys()
        .filter_map(|k| k.strip_prefix("dim-"))
        .filter(|id| Dimension::parse(id).is_none())
        .map(str::to_string)
        .collect();
    unknown.sort();
    dimensions.extend(unknown);
    let s = |k: &str| form.get(k).cloned();
    DeidentifiedRequest {
        dimensions,
        unit: form.get("unit").cloned().unwrap_or_default(),
        period: s("period"),
        from: s("from"),
        to: s("to"),
        format: form.get("format").cloned().unwrap_or_default(),
        hxl: checked(form, "hxl"),
    }
}

/// POST /exports/deidentified: records the export and queues its job, then
/// shows the downloads. Bad input comes back as the form, every choice
/// kept, each message by its field.
pub async fn create(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    address: crate::reauth::ClientAddress,
    PageForm(form): PageForm,
) -> Response {
    if !deidentify::may_export(auth.actor.role) {
        return forbidden(&ctx);
    }
    // Sensitive: the password again unless typed in the last minutes (ADR 0027).
    if let Err(r) = crate::reauth::guard_form(
        &state,
        &auth,
        &ctx,
        &address,
        "/exports/deidentified",
        &form,
    )
    .await
    {
        return r;
    }
    let req = request_of(&form);
    match deidentified::create(&state.store, &auth.actor, &req, ctx.lang.code()).await {
        Ok(_) => {
            state.config.jobs_wake.wake();
            Redirect::to("/downloads").into_response()
        }
        Err(StoreError::Invalid(inv)) => {
            let t = ctx.tr();
            let mut f = FormState::with(form);
            f.add_invalid(&t, &inv, "");
            f.general = Some(t.t("form-has-errors"));
            form_page(&ctx, f, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => store_error(&ctx, e),
    }
}
