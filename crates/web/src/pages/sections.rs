//! The before-departure sections of the case page and their forms:
//! referral facts (counsellor, supervisor, cbsa_officer), the stored
//! eligibility evaluation (same), counselling sessions (counsellor and
//! supervisor; the mission officer with consent), consent (counsellor and
//! supervisor record it; the mission officer reads it) and attachments
//! (counsellor and supervisor; the mission officer with consent). CBSA,
//! finance and the others never see counselling, consent or attachments.

use super::cases::{case_page, CaseForms};
use crate::frame::{refilled, render, require, store_error, Layout, PageForm};
use super::fields::{referral_input, referral_values, ReferralChoices};
use crate::api::eligibility::say;
use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::eligibility::Message;
use homeward_domain::{Action, Resource};
use homeward_store::attachments::{self, Attachment};
use homeward_store::consents::{self, Consent};
use homeward_store::counselling::{self, Session, SessionInput};
use homeward_store::readiness::{
    self, Document, DocumentInput, FitnessCheck, FitnessInput, Vulnerability, VulnerabilityInput,
};
use homeward_store::referrals::{self, Referral};
use homeward_store::{Actor, Error};
use uuid::Uuid;

/// The stored evaluation, explained.
pub struct EvaluationView {
    pub eligible: bool,
    pub determined: bool,
    pub rule_set: String,
    pub amount: String,
    pub evaluated_at: chrono::DateTime<chrono::Utc>,
    /// (rule name, outcome label, explanation)
    pub rules: Vec<(String, String, String)>,
}

/// What the before-departure sections show; `None` where the user has no need to know.
#[derive(Default)]
pub struct CaseExtras {
    pub referral: Option<Referral>,
    pub referral_rows: Vec<(String, String)>,
    pub can_edit_referral: bool,
    pub evaluation: Option<EvaluationView>,
    pub sessions: Option<Vec<Session>>,
    pub can_add_session: bool,
    pub consents: Option<Vec<Consent>>,
    pub can_manage_consent: bool,
    pub attachments: Option<Vec<Attachment>>,
    pub can_upload: bool,
    pub topics: Vec<(String, String)>,
    pub purposes: Vec<(String, String)>,
    pub kinds: Vec<(String, String)>,
    pub documents: Option<Vec<Document>>,
    pub can_add_document: bool,
    pub vulnerabilities: Option<Vec<Vulnerability>>,
    pub fitness: Option<Vec<FitnessCheck>>,
    pub can_add_health: bool,
    /// (person id, name) of the travellers.
    pub travellers: Vec<(String, String)>,
    pub document_kinds: Vec<(String, String)>,
    pub vulnerability_kinds: Vec<(String, String)>,
    pub fitness_statuses: Vec<(String, String)>,
    pub assistance_codes: Vec<String>,
    pub travel: Option<super::travel::TravelView>,
    pub reintegration: Option<super::reintegration::ReintegrationView>,
}

/// The side forms of the case page.
#[derive(Default)]
pub struct SideForms {
    pub counselling: FormState,
    pub consent: FormState,
    pub upload: FormState,
    pub document: FormState,
    pub vulnerability: FormState,
    pub fitness: FormState,
    pub itinerary: FormState,
    pub change: FormState,
    pub departure: FormState,
    pub letter: FormState,
    pub arrival: FormState,
    pub component: FormState,
    pub purchase: FormState,
    pub decision: FormState,
    pub payment: FormState,
    pub followup: FormState,
    pub survey: FormState,
    pub closure: FormState,
}

fn yes_no(t: &Tr, b: Option<bool>) -> String {
    match b {
        Some(true) => t.t("yes"),
        Some(false) => t.t("no"),
        None => "—".into(),
    }
}

fn referral_rows(t: &Tr, r: &Referral) -> Vec<(String, String)> {
    let f = &r.facts;
    let d = |x: Option<chrono::NaiveDate>| x.map(|x| x.to_string()).unwrap_or_else(|| "—".into());
    let k = |name: &str| t.t(&format!("field-referral-{name}"));
    vec![
        (k("claim_filed_on"), d(f.claim_filed_on)),
        (
            k("claim_outcome"),
            f.claim_outcome
                .as_deref()
                .map(|o| t.choice("outcome", o))
                .unwrap_or_else(|| "—".into()),
        ),
        (k("irb_decided_on"), d(f.irb_decided_on)),
        (
            k("designated_country_of_origin"),
            yes_no(t, f.designated_country_of_origin),
        ),
        (
            k("federal_court_leave_filed_on"),
            d(f.federal_court_leave_filed_on),
        ),
        (k("prra_applied_on"), d(f.prra_applied_on)),
        (k("prra_decided_on"), d(f.prra_decided_on)),
        (k("removal_order"), yes_no(t, f.removal_order)),
        (
            k("compliant_with_conditions"),
            yes_no(t, f.compliant_with_conditions),
        ),
        (
            k("criminality"),
            f.criminality
                .as_deref()
                .map(|o| t.choice("criminality", o))
                .unwrap_or_else(|| "—".into()),
        ),
        (
            k("residence_region"),
            f.residence_region.clone().unwrap_or_else(|| "—".into()),
        ),
        (
            k("prior_avrr_assistance"),
            yes_no(t, f.prior_avrr_assistance),
        ),
        (
            t.t("referred-by"),
            r.referred_by_name.clone().unwrap_or_else(|| "—".into()),
        ),
    ]
}

/// Turns "forbidden" into "not shown", keeping real errors.
fn allowed<T>(r: Result<T, Error>) -> Result<Option<T>, Error> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(Error::Forbidden) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Loads the sections for `actor` (the case's scope was checked by the caller).
pub async fn load(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    case: &homeward_store::cases::ScopedCase,
    members: &[homeward_store::cases::Member],
) -> Result<CaseExtras, Error> {
    let t = ctx.tr();
    let store = &state.store;
    let role = actor.role;
    let mut x = CaseExtras::default();
    if role.can(Resource::Referral, Action::Read) {
        x.referral = referrals::get(store, actor, case).await?;
        x.referral_rows = x
            .referral
            .as_ref()
            .map(|r| referral_rows(&t, r))
            .unwrap_or_default();
        x.can_edit_referral = role.can(Resource::Referral, Action::Update);
        if let Some(e) = referrals::latest_evaluation(store, actor, case).await? {
            let rules = e
                .rules()
                .into_iter()
                .map(|(rid, outcome, key, args)| {
                    (
                        t.t(&format!("rule-name-{rid}")),
                        t.t(&format!("rule-outcome-{outcome}")),
                        say(&t, &Message { key, args }),
                    )
                })
                .collect();
            x.evaluation = Some(EvaluationView {
                eligible: e.eligible,
                determined: e.determined,
                amount: match (e.amount_minor, e.currency.as_deref()) {
                    (Some(a), Some(c)) => t.money(a, c),
                    _ => String::new(),
                },
                rule_set: e.rule_set,
                evaluated_at: e.evaluated_at,
                rules,
            });
        }
    }
    x.sessions = allowed(counselling::list(store, actor, case).await)?;
    x.can_add_session = role.can(Resource::Counselling, Action::Create);
    x.consents = if role.can(Resource::Consent, Action::Read) {
        Some(consents::list(store, actor, case).await?)
    } else {
        None
    };
    x.can_manage_consent = role.can(Resource::Consent, Action::Create);
    x.attachments = allowed(attachments::list(store, actor, case).await)?;
    x.can_upload = role.can(Resource::Attachment, Action::Create);
    x.topics = counselling::TOPICS
        .iter()
        .map(|v| (v.to_string(), t.choice("topic", v)))
        .collect();
    let in_force: Vec<String> = x
        .consents
        .as_ref()
        .map(|ks| {
            ks.iter()
                .filter(|k| k.withdrawn_at.is_none())
                .map(|k| k.purpose.clone())
                .collect()
        })
        .unwrap_or_default();
    x.purposes = consents::PURPOSES
        .iter()
        .filter(|v| !in_force.iter().any(|p| p == *v))
        .map(|v| (v.to_string(), t.choice("purpose", v)))
        .collect();
    x.kinds = attachments::KINDS
        .iter()
        .map(|v| (v.to_string(), t.choice("kind", v)))
        .collect();
    x.documents = if role.can(Resource::Case, Action::Read) {
        Some(readiness::documents(store, actor, case).await?)
    } else {
        None
    };
    x.can_add_document = role.can(Resource::Case, Action::Update);
    x.vulnerabilities = allowed(readiness::vulnerabilities(store, actor, case).await)?;
    x.fitness = allowed(readiness::fitness(store, actor, case).await)?;
    x.can_add_health = role.can(Resource::Counselling, Action::Create);
    // Letters default to the principal applicant's first language that has a translation.
    let preferred: Vec<String> = members
        .iter()
        .find(|m| m.relationship == "principal")
        .map(|m| m.person.preferred_languages.clone())
        .unwrap_or_default();
    x.travellers = members
        .iter()
        .map(|m| (m.person.id.to_string(), m.person.display_name.clone()))
        .collect();
    let choices = |group: &str, vals: &[&str]| -> Vec<(String, String)> {
        vals.iter()
            .map(|v| (v.to_string(), t.choice(group, v)))
            .collect()
    };
    x.document_kinds = choices("document", &homeward_domain::readiness::DOCUMENT_KINDS);
    x.vulnerability_kinds = choices(
        "vulnerability",
        &homeward_domain::readiness::VULNERABILITIES,
    );
    x.fitness_statuses = choices("fitness", &homeward_domain::readiness::FITNESS);
    x.assistance_codes = homeward_domain::readiness::SPECIAL_ASSISTANCE
        .iter()
        .map(|c| c.to_string())
        .collect();
    x.travel = super::travel::load(state, &t, actor, case, &preferred).await?;
    Ok(x)
}

/// The id in a page's path, or the not-found page.
pub(crate) fn parse_id(ctx: &Ctx, s: &str) -> Result<Uuid, Response> {
    Uuid::parse_str(s).map_err(|_| crate::frame::error_page(ctx, StatusCode::NOT_FOUND, "not-found"))
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
            rc: ReferralChoices::new(&t),
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
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Referral, Action::Update) {
        return r;
    }
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let version = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or(-1);
    let input = referral_input(&form).unwrap_or_default();
    match referrals::update(&state.store, &auth.actor, id, version, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}")).into_response(),
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
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
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
                    return side_refused(
                        &state,
                        &ctx,
                        &auth.actor,
                        id,
                        form,
                        Error::Invalid(inv),
                        |s, f| s.counselling = f,
                    )
                    .await;
                }
            },
        },
        language: form.get("language").cloned(),
        interpreter: form.get("interpreter").cloned(),
        topics,
        notes: form.get("notes").cloned(),
    };
    match counselling::add(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#counselling")).into_response(),
        Err(e) => {
            side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| {
                s.counselling = f
            })
            .await
        }
    }
}

/// POST /cases/{id}/consents: records consent for a purpose.
pub async fn give_consent(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let purpose = form.get("purpose").cloned().unwrap_or_default();
    match consents::give(&state.store, &auth.actor, id, &purpose).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#consent")).into_response(),
        Err(e) => side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| s.consent = f).await,
    }
}

/// POST /cases/{id}/consents/{cid}/withdraw.
pub async fn withdraw_consent(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path((id, cid)): Path<(String, String)>,
    PageForm(form): PageForm,
) -> Response {
    let (id, cid) = match (parse_id(&ctx, &id), parse_id(&ctx, &cid)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(r), _) | (_, Err(r)) => return r,
    };
    let reason = form.get("reason").cloned().unwrap_or_default();
    match consents::withdraw(&state.store, &auth.actor, id, cid, &reason).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#consent")).into_response(),
        Err(e) => side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| s.consent = f).await,
    }
}

/// POST /cases/{id}/attachments (multipart; the CSRF token rides in the query).
pub async fn upload(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    // Role and scope before the form (docs/access-matrix.md).
    if let Err(e) = homeward_store::cases::may_act(
        &state.store,
        &auth.actor,
        Some(id),
        &[(
            homeward_domain::Resource::Attachment,
            homeward_domain::Action::Create,
        )],
    )
    .await
    {
        return store_error(&ctx, e);
    }
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
        Ok(_) => Redirect::to(&format!("/cases/{id}#attachments")).into_response(),
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

/// Reads a multipart form: the text fields, and the file sent as
/// `file_field` (named as the client named it, or after the field), refusing
/// a file over `max` bytes or a text field over 10,000.
pub(crate) async fn read_multipart(
    mut m: Multipart,
    file_field: &str,
    max: usize,
) -> Result<
    (
        std::collections::HashMap<String, String>,
        Option<(String, Vec<u8>)>,
    ),
    (&'static str, StatusCode),
> {
    let mut fields = std::collections::HashMap::new();
    let mut file = None;
    let too_large = ("file-too-large", StatusCode::PAYLOAD_TOO_LARGE);
    let bad = ("bad-request", StatusCode::BAD_REQUEST);
    loop {
        let field = match m.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large),
            Err(_) => return Err(bad),
        };
        let Some(name) = field.name().map(str::to_string) else {
            continue;
        };
        if name == file_field {
            let fname = field.file_name().unwrap_or(file_field).to_string();
            let mut bytes = Vec::new();
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(c)) => {
                        if bytes.len() + c.len() > max {
                            return Err(too_large);
                        }
                        bytes.extend_from_slice(&c);
                    }
                    Ok(None) => break,
                    Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large),
                    Err(_) => return Err(bad),
                }
            }
            file = Some((fname, bytes));
        } else {
            let text = field.text().await.map_err(|_| bad)?;
            if text.len() > 10_000 {
                return Err(bad);
            }
            fields.insert(name, text);
        }
    }
    Ok((fields, file))
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

/// A file download that browsers will not run or sniff.
pub fn file_response(a: &Attachment, bytes: Vec<u8>) -> Response {
    let disposition = format!(
        "attachment; filename=\"{}\"; filename*=UTF-8''{}",
        a.file_name.replace(
            |c: char| !c.is_ascii_alphanumeric() && !".-_ ".contains(c),
            "_"
        ),
        percent_encoding::utf8_percent_encode(&a.file_name, percent_encoding::NON_ALPHANUMERIC)
    );
    (
        [
            (header::CONTENT_TYPE, a.content_type.clone()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

fn person_of(form: &std::collections::HashMap<String, String>) -> Option<Uuid> {
    form.get("person_id")
        .and_then(|p| Uuid::parse_str(p.trim()).ok())
}

/// Shows the case page again with one side form refused, or the error page.
pub(crate) async fn side_refused(
    state: &AppState,
    ctx: &Ctx,
    actor: &Actor,
    id: Uuid,
    form: std::collections::HashMap<String, String>,
    e: Error,
    put: impl FnOnce(&mut SideForms, FormState),
) -> Response {
    match refilled(&ctx.tr(), form, &e, "") {
        Some((f, status)) => {
            let mut forms = CaseForms::default();
            put(&mut forms.side, f);
            case_page(state, ctx, actor, id, forms, status).await
        }
        None => store_error(ctx, e),
    }
}

/// POST /cases/{id}/documents.
pub async fn add_document(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
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
    match readiness::add_document(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#documents")).into_response(),
        Err(e) => {
            side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| {
                s.document = f
            })
            .await
        }
    }
}

/// POST /cases/{id}/vulnerabilities.
pub async fn add_vulnerability(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let input = VulnerabilityInput {
        person_id: person_of(&form),
        kind: form.get("kind").cloned(),
        details: form.get("details").cloned(),
        follow_up: form.get("follow_up").cloned(),
    };
    match readiness::add_vulnerability(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#health")).into_response(),
        Err(e) => {
            side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| {
                s.vulnerability = f
            })
            .await
        }
    }
}

/// POST /cases/{id}/fitness.
pub async fn add_fitness(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    // Typed in Toronto time, where the check is made; the 72-hour window
    // before a flight needs the hour, not only the day.
    let toronto = chrono_tz::America::Toronto;
    let checked_at = match form
        .get("checked_at")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        None => None,
        Some(s) => match homeward_domain::itinerary::parse_local(s)
            .map(|l| homeward_domain::itinerary::to_utc(l, toronto))
        {
            Some(Ok(t)) => Some(t),
            _ => {
                let mut inv = homeward_domain::Invalid::default();
                inv.add("checked_at", "invalid-datetime");
                return side_refused(
                    &state,
                    &ctx,
                    &auth.actor,
                    id,
                    form,
                    Error::Invalid(inv),
                    |s, f| s.fitness = f,
                )
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
    match readiness::add_fitness(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}#health")).into_response(),
        Err(e) => side_refused(&state, &ctx, &auth.actor, id, form, e, |s, f| s.fitness = f).await,
    }
}
