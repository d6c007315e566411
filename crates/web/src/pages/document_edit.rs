//! Changing a travel document through its life (issue 23): the consulate
//! issued the emergency document, a passport was renewed.
//! `GET /cases/{id}/documents/{did}/edit` shows the document as a form;
//! `POST /cases/{id}/documents/{did}` saves it, or shows the form again with
//! what was typed and what is wrong. Who may: the roles that update cases
//! (counsellors, supervisors) on a case in their scope; others 403, out of
//! scope or another case's document 404.

use super::before_departure::parse_id;
use crate::auth::{Ctx, PageUser};
use crate::case_access::{need, CaseIn};
use crate::form::FormState;
use crate::frame::{error_page, refilled, render, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::readiness::DocumentInput;
use homeward_domain::{Action, Resource};
use homeward_store::readiness;
use uuid::Uuid;

#[derive(Template)]
#[template(path = "document_edit.html")]
struct EditPage {
    l: Layout,
    f: FormState,
    case_id: String,
    document_id: String,
    travellers: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
}

async fn page(
    state: &AppState,
    ctx: &Ctx,
    actor: &homeward_store::Actor,
    ids: (Uuid, Uuid),
    f: Option<FormState>,
    status: StatusCode,
) -> Response {
    let (id, did) = ids;
    let case = match homeward_store::cases::get(&state.store, actor, id).await {
        Ok(c) => c,
        Err(e) => return store_error(ctx, e),
    };
    let doc = match readiness::documents(&state.store, actor, id).await {
        Ok(ds) => match ds.into_iter().find(|d| d.id == did) {
            Some(d) => d,
            None => return error_page(ctx, StatusCode::NOT_FOUND, "not-found"),
        },
        Err(e) => return store_error(ctx, e),
    };
    let t = ctx.tr();
    let f = f.unwrap_or_else(|| {
        let mut f = FormState::default();
        let date = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        for (k, v) in [
            ("person_id", doc.person_id.to_string()),
            ("kind", doc.kind.clone()),
            ("number", doc.number.clone().unwrap_or_default()),
            (
                "issuing_country",
                doc.issuing_country.clone().unwrap_or_default(),
            ),
            ("expires_on", date(doc.expires_on)),
            ("etd_requested_on", date(doc.etd_requested_on)),
            ("etd_issued_on", date(doc.etd_issued_on)),
            ("consulate", doc.consulate.clone().unwrap_or_default()),
        ] {
            f.values.insert(k.into(), v);
        }
        f
    });
    let l = Layout::new(ctx, t.t("document-edit-title"), &format!("/cases/{id}"));
    render(
        status,
        EditPage {
            l,
            f,
            case_id: id.to_string(),
            document_id: did.to_string(),
            travellers: case
                .members
                .iter()
                .map(|m| (m.person.id.to_string(), m.person.display_name.clone()))
                .collect(),
            kinds: homeward_domain::readiness::DOCUMENT_KINDS
                .iter()
                .map(|k| (k.to_string(), t.choice("document", k)))
                .collect(),
        },
    )
}

fn ids(ctx: &Ctx, id: &str, did: &str) -> Result<(Uuid, Uuid), Response> {
    Ok((parse_id(ctx, id)?, parse_id(ctx, did)?))
}

/// GET /cases/{id}/documents/{did}/edit.
pub async fn form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path((id, did)): Path<(String, String)>,
) -> Response {
    let ids = match ids(&ctx, &id, &did) {
        Ok(x) => x,
        Err(r) => return r,
    };
    if !auth.actor.role.can(Resource::Case, Action::Update) {
        if let Err(e) =
            homeward_store::cases::scope::summary(&state.store, &auth.actor, ids.0.into()).await
        {
            return store_error(&ctx, e);
        }
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    page(&state, &ctx, &auth.actor, ids, None, StatusCode::OK).await
}

/// POST /cases/{id}/documents/{did}.
pub async fn save(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::UpdateCase>,
    Path((_, did)): Path<(String, String)>,
    PageForm(form): PageForm,
) -> Response {
    let did = match parse_id(&ctx, &did) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let g = |k: &str| form.get(k).cloned();
    let input = DocumentInput {
        person_id: form
            .get("person_id")
            .and_then(|p| Uuid::parse_str(p.trim()).ok()),
        kind: g("kind"),
        number: g("number"),
        issuing_country: g("issuing_country"),
        expires_on: g("expires_on"),
        etd_requested_on: g("etd_requested_on"),
        etd_issued_on: g("etd_issued_on"),
        consulate: g("consulate"),
    };
    match readiness::update_document(&state.store, &auth.actor, id, did, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved#documents")).into_response(),
        Err(e) => match refilled(&ctx.tr(), form, &e, "") {
            Some((f, status)) => page(&state, &ctx, &auth.actor, (id, did), Some(f), status).await,
            None => store_error(&ctx, e),
        },
    }
}
