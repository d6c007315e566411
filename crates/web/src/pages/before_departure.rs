//! The before-departure sections of the case page and their forms:
//! referral facts (counsellor, supervisor, cbsa_officer), the stored
//! eligibility evaluation (same), counselling sessions (counsellor and
//! supervisor; the mission officer with consent), consent (counsellor and
//! supervisor record it; the mission officer reads it) and attachments
//! (counsellor and supervisor; the mission officer with consent). CBSA,
//! finance and the others never see counselling, consent or attachments.

use super::case_page::answer::Posted;
use super::case_page::sections::SideForms;
use super::case_page::{case_page, CaseForms};
use super::fields::{referral_input, referral_values, ReferralChoices};
use crate::auth::{Ctx, PageUser};
use crate::case_access::{need, CaseIn};
use crate::form::FormState;
use crate::frame::{refilled, render, require, store_error, Layout, PageForm};
use crate::uploads::{file_response, read_multipart};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::{Action, Resource};
use homeward_store::attachments::{self};
use homeward_store::consents::{self};
use homeward_store::counselling::{self, SessionInput};
use homeward_store::readiness::{self, DocumentInput, FitnessInput, VulnerabilityInput};
use homeward_store::referrals::{self};
use homeward_store::{Actor, Error};
use uuid::Uuid;

/// The id in a page's path, or the not-found page.
pub(crate) fn parse_id(ctx: &Ctx, s: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(s)
        .map_err(|_| crate::frame::error_page(ctx, StatusCode::NOT_FOUND, "not-found"))
}

#[derive(Template)]
#[template(path = "referral_edit.html")]
struct ReferralPage {
    l: Layout,
    id: Uuid,
    case_number: String,
    f: FormState,
    rc: ReferralChoices,
}

async fn referral_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: Uuid,
    f: FormState,
    status: StatusCode,
) -> Response {
    let c = match homeward_store::cases::summary(&state.store, actor, id).await {
        Ok(c) => c,
        Err(e) => return store_error(ctx, e),
    };
    let t = ctx.tr();
    // The facts the case's programme records.
    let rc = match homeward_store::programmes::by_code(&state.store, &c.programme_code).await {
        Ok(p) => ReferralChoices::for_programmes(&t, &[&p]),
        Err(e) => return store_error(ctx, e),
    };
    let l = Layout::new(
        ctx,
        format!("{} · {}", t.t("section-referral"), c.case_number),
        "/cases",
    );
    render(
        status,
        ReferralPage {
            l,
            id,
            case_number: c.case_number,
            f,
            rc,
        },
    )
}

/// GET /cases/{id}/referral.
pub async fn referral_form(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Referral, Action::Update) {
        return r;
    }
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let current = match referrals::get(&state.store, &auth.actor, id).await {
        Ok(r) => r,
        Err(e) => return store_error(&ctx, e),
    };
    let mut f = FormState::with(
        current
            .as_ref()
            .map(|r| referral_values(&r.facts.to_input()))
            .unwrap_or_default(),
    );
    f.values.insert(
        "version".into(),
        current.map(|r| r.version).unwrap_or(0).to_string(),
    );
    referral_page(&state, &ctx, &auth.actor, id, f, StatusCode::OK).await
}

/// POST /cases/{id}/referral.
pub async fn referral_save(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::UpdateReferral>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Referral, Action::Update) {
        return r;
    }
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    let input = referral_input(&form).unwrap_or_default();
    match referrals::update(&state.store, &auth.actor, id, version, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved")).into_response(),
        Err(e) => match refilled(&ctx.tr(), form, &e, "") {
            Some((mut f, status)) => {
                // Field errors come back as `claim_outcome`; the form names them `referral.claim_outcome`.
                f.errors = f
                    .errors
                    .into_iter()
                    .map(|(k, v)| {
                        if k.starts_with("referral.") {
                            (k, v)
                        } else {
                            (format!("referral.{k}"), v)
                        }
                    })
                    .collect();
                if let Ok(Some(r)) = referrals::get(&state.store, &auth.actor, id).await {
                    f.values.insert("version".into(), r.version.to_string());
                }
                referral_page(&state, &ctx, &auth.actor, id, f, status).await
            }
            None => store_error(&ctx, e),
        },
    }
}

/// POST /cases/{id}/counselling.
pub async fn add_session(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::RecordCounselling>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let topics = form
        .iter()
        .filter(|(k, v)| k.starts_with("topic.") && v.as_str() == "on")
        .map(|(k, _)| k["topic.".len()..].to_string())
        .collect();
    let input = SessionInput {
        held_on: form.get("held_on").cloned(),
        duration_minutes: match form.get("duration_minutes").map(|s| s.trim()) {
            None | Some("") => None,
            Some(s) => match s.parse() {
                Ok(n) => Some(n),
                Err(_) => {
                    let mut inv = homeward_domain::Invalid::default();
                    inv.add("duration_minutes", "not-a-number");
                    return at
                        .refused(form, Error::Invalid(inv), |s, f| s.counselling = f)
                        .await;
                }
            },
        },
        language: form.get("language").cloned(),
        interpreter: form.get("interpreter").cloned(),
        topics,
        notes: form.get("notes").cloned(),
    };
    at.answer(
        counselling::add(&state.store, &auth.actor, id, &input).await,
        "counselling",
        form,
        |s, f| s.counselling = f,
    )
    .await
}

/// POST /cases/{id}/appointments: sets the next meeting (counsellors and
/// supervisors; others 403, out of scope 404).
pub async fn set_appointment(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::RecordCounselling>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let g = |k: &str| form.get(k).cloned().unwrap_or_default();
    at.answer(
        homeward_store::appointments::book(
            &state.store,
            &auth.actor,
            id,
            &g("starts_at"),
            &g("place"),
        )
        .await,
        "counselling",
        form,
        |s, f| s.appointment = f,
    )
    .await
}

/// POST /cases/{id}/appointments/{aid}/cancel (as setting one).
pub async fn cancel_appointment(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::RecordCounselling>,
    Path((_, aid)): Path<(String, String)>,
) -> Response {
    let aid = match parse_id(&ctx, &aid) {
        Ok(v) => v,
        Err(r) => return r,
    };
    match homeward_store::appointments::cancel(&state.store, &auth.actor, id, aid).await {
        Ok(()) => Redirect::to(&format!("/cases/{id}?done=saved#counselling")).into_response(),
        Err(e) => store_error(&ctx, e),
    }
}

/// POST /cases/{id}/consents: records consent for a purpose.
pub async fn give_consent(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::GiveConsent>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let person = |name: &str| -> Result<Option<uuid::Uuid>, homeward_store::Error> {
        match form.get(name).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| homeward_domain::Invalid::one(name, "not-on-case").into()),
        }
    };
    let new = match (person("person_id"), person("given_by_person_id")) {
        (Ok(person_id), Ok(given_by_person_id)) => consents::NewConsent {
            purpose: form.get("purpose").cloned().unwrap_or_default(),
            person_id,
            given_by_person_id,
        },
        (Err(e), _) | (_, Err(e)) => return at.refused(form, e, |s, f| s.consent = f).await,
    };
    at.answer(
        consents::give_for(&state.store, &auth.actor, id, &new).await,
        "consent",
        form,
        |s, f| s.consent = f,
    )
    .await
}

/// GET /cases/{id}/consents/{cid}/receipt.pdf: the consent's receipt in
/// the person's language, for the roles that read consents on a case in
/// their scope (counsellors, supervisors, the mission in its part); 403 for
/// the others, 404 out of scope.
pub async fn consent_receipt(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::ReadConsent>,
    Path((_, cid)): Path<(String, String)>,
) -> Response {
    let cid = match parse_id(&ctx, &cid) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let receipt = match consents::receipt(&state.store, &auth.actor, id, cid).await {
        Ok(r) => r,
        Err(e) => return store_error(&ctx, e),
    };
    let tz = auth.actor.local_zone();
    let made = tokio::task::spawn_blocking(move || crate::consent_receipt::pdf(&receipt, tz)).await;
    match made {
        Ok(Ok((pdf, lang))) => (
            [
                (
                    axum::http::header::CONTENT_TYPE,
                    "application/pdf".to_string(),
                ),
                (
                    axum::http::header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"consent-{cid}-{lang}.pdf\""),
                ),
                (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
            ],
            pdf,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "consent receipt failed");
            crate::frame::error_page(&ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
        Err(e) => {
            tracing::error!(error = %e, "consent receipt task failed");
            crate::frame::error_page(&ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// POST /cases/{id}/consents/{cid}/withdraw.
pub async fn withdraw_consent(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::WithdrawConsent>,
    Path((_, cid)): Path<(String, String)>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let cid = match parse_id(&ctx, &cid) {
        Ok(v) => v,
        Err(r) => return r,
    };
    let reason = form.get("reason").cloned().unwrap_or_default();
    at.answer(
        consents::withdraw(&state.store, &auth.actor, id, cid, &reason).await,
        "consent",
        form,
        |s, f| s.consent = f,
    )
    .await
}

/// POST /cases/{id}/attachments (multipart; the CSRF token rides in the query).
pub async fn upload(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::AddAttachment>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let t = ctx.tr();
    let refused = |code: &str, status: StatusCode| {
        let mut f = FormState::default();
        f.errors.insert("file".into(), t.error(code));
        f.general = Some(t.t("form-has-errors"));
        (f, status)
    };
    let parsed = match multipart {
        Ok(m) => read_upload(m).await,
        Err(_) => Err(("bad-request", StatusCode::BAD_REQUEST)),
    };
    let result = match parsed {
        Ok((kind, name, bytes)) => {
            attachments::add(&state.store, &auth.actor, id, &kind, &name, &bytes)
                .await
                .map_err(|e| {
                    let mut values = std::collections::HashMap::new();
                    values.insert("kind".to_string(), kind);
                    (e, values)
                })
        }
        Err((code, status)) => {
            let (f, status) = refused(code, status);
            let forms = CaseForms {
                side: SideForms {
                    upload: f,
                    ..Default::default()
                },
                ..Default::default()
            };
            return case_page(&state, &ctx, &auth.actor, id, forms, status).await;
        }
    };
    match result {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved#attachments")).into_response(),
        Err((e, values)) => match refilled(&t, values, &e, "") {
            Some((f, status)) => {
                let forms = CaseForms {
                    side: SideForms {
                        upload: f,
                        ..Default::default()
                    },
                    ..Default::default()
                };
                case_page(&state, &ctx, &auth.actor, id, forms, status).await
            }
            None => store_error(&ctx, e),
        },
    }
}

/// Reads `kind` and `file` from an upload, refusing more than the limit.
pub async fn read_upload(
    m: Multipart,
) -> Result<(String, String, Vec<u8>), (&'static str, StatusCode)> {
    let (mut fields, file) = read_multipart(m, "file", attachments::MAX_BYTES).await?;
    let (name, bytes) = file.unwrap_or_default();
    let kind = fields.remove("kind").unwrap_or_default();
    Ok((kind, name, bytes))
}

/// GET /cases/{id}/attachments/{aid}: the file, after the same checks as the case data.
pub async fn download(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path((id, aid)): Path<(String, String)>,
) -> Response {
    let (id, aid) = match (parse_id(&ctx, &id), parse_id(&ctx, &aid)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    match attachments::open(&state.store, &auth.actor, id, aid).await {
        Ok((a, bytes)) => file_response(&a, bytes),
        Err(e) => store_error(&ctx, e),
    }
}

fn person_of(form: &std::collections::HashMap<String, String>) -> Option<Uuid> {
    form.get("person_id")
        .and_then(|p| Uuid::parse_str(p.trim()).ok())
}

/// POST /cases/{id}/documents.
pub async fn add_document(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::UpdateCase>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let g = |k: &str| form.get(k).cloned();
    let input = DocumentInput {
        person_id: person_of(&form),
        kind: g("kind"),
        number: g("number"),
        issuing_country: g("issuing_country"),
        expires_on: g("expires_on"),
        etd_requested_on: g("etd_requested_on"),
        etd_issued_on: g("etd_issued_on"),
        consulate: g("consulate"),
    };
    at.answer(
        readiness::add_document(&state.store, &auth.actor, id, &input).await,
        "documents",
        form,
        |s, f| s.document = f,
    )
    .await
}

/// POST /cases/{id}/vulnerabilities.
pub async fn add_vulnerability(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::RecordCounselling>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let input = VulnerabilityInput {
        person_id: person_of(&form),
        kind: form.get("kind").cloned(),
        details: form.get("details").cloned(),
        follow_up: form.get("follow_up").cloned(),
    };
    at.answer(
        readiness::add_vulnerability(&state.store, &auth.actor, id, &input).await,
        "health",
        form,
        |s, f| s.vulnerability = f,
    )
    .await
}

/// POST /cases/{id}/fitness.
pub async fn add_fitness(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::RecordCounselling>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    // Typed in the office's time, where the check is made; the 72-hour
    // window before a flight needs the hour, not only the day.
    let office = auth.actor.time_zone;
    let checked_at = match form
        .get("checked_at")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match homeward_domain::itinerary::parse_local(s)
            .map(|l| homeward_domain::itinerary::to_utc(l, office))
        {
            Some(Ok(t)) => Some(t),
            _ => {
                let mut inv = homeward_domain::Invalid::default();
                inv.add("checked_at", "invalid-datetime");
                return at
                    .refused(form, Error::Invalid(inv), |s, f| s.fitness = f)
                    .await;
            }
        },
    };
    let input = FitnessInput {
        person_id: person_of(&form),
        status: form.get("status").cloned(),
        checked_at,
        medical_escort: form.get("medical_escort").is_some_and(|v| v == "on"),
        special_assistance: form
            .iter()
            .filter(|(k, v)| k.starts_with("ssr.") && v.as_str() == "on")
            .map(|(k, _)| k[4..].to_string())
            .collect(),
        notes: form.get("notes").cloned(),
    };
    at.answer(
        readiness::add_fitness(&state.store, &auth.actor, id, &input).await,
        "health",
        form,
        |s, f| s.fitness = f,
    )
    .await
}
