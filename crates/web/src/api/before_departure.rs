//! Referral facts, the stored evaluation, counselling, consent and
//! attachments of a case. Who may use each: see `pages::before_departure`; the store
//! enforces it, so the API and the pages agree.

use super::extract::{parse_id, ApiJson};
use crate::auth::ApiUser;
use crate::case_access::{need, CaseIn};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use homeward_domain::referral::ReferralInput;
use homeward_domain::Invalid;
use homeward_store::attachments::{self, Attachment};
use homeward_store::consents::{self, Consent};
use homeward_store::counselling::{self, Session, SessionInput};
use homeward_store::referrals::{self, Referral, StoredEvaluation};
use serde::Deserialize;

/// A change to the referral facts.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"version": 1, "facts": {"residence_region": "GTA", "claim_filed_on": "2011-05-02",
    "claim_outcome": "rejected", "irb_decided_on": "2012-01-17", "designated_country_of_origin": false,
    "criminality": "none", "compliant_with_conditions": true, "prior_avrr_assistance": false}})))]
pub struct ReferralUpdate {
    /// The referral's version, or 0 when it has none yet.
    pub version: i64,
    pub facts: ReferralInput,
}

/// Consent for a purpose.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"purpose": "share_with_mission"})))]
pub struct ConsentBody {
    /// share_with_cbsa, share_with_mission or collect_health_data.
    pub purpose: String,
    /// The member of the case it is about (the principal if left out).
    #[serde(default)]
    pub person_id: Option<uuid::Uuid>,
    /// For a child: the adult member of the case who gives it.
    #[serde(default)]
    pub given_by_person_id: Option<uuid::Uuid>,
}

/// Why a consent is withdrawn.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"reason": "The client asked by phone on 12 March to stop sharing."})))]
pub struct WithdrawBody {
    pub reason: String,
}

/// An attachment upload (`multipart/form-data`): what it is, and the file.
// Describes the form only; `upload` reads it field by field.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AttachmentForm {
    /// `declaration`, `identity`, `letter` or `other`.
    #[schema(example = "identity")]
    pub kind: String,
    /// A PDF, PNG or JPEG file of at most 10 MB (the type is read from the
    /// bytes); its name is kept.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// The referral facts and contact clock.
#[utoipa::path(get, path = "/api/v1/cases/{id}/referral", params(("id" = String, Path)),
    responses((status = 200, body = Referral), (status = 404, body = crate::error::Problem)))]
pub async fn get_referral(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Referral>, ApiError> {
    let id = parse_id(&id)?;
    referrals::get(&s.store, &a.actor, id)
        .await?
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// Records or replaces the referral facts; a stale version answers 409.
#[utoipa::path(put, path = "/api/v1/cases/{id}/referral", params(("id" = String, Path)), request_body = ReferralUpdate,
    responses((status = 200, body = Referral), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn put_referral(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::UpdateReferral>,
    body: Result<ApiJson<ReferralUpdate>, ApiError>,
) -> Result<Json<Referral>, ApiError> {
    let ApiJson(b) = body?;
    Ok(Json(
        referrals::update(&s.store, &a.actor, id, b.version, &b.facts).await?,
    ))
}

/// The evaluation stored when the application was submitted.
#[utoipa::path(get, path = "/api/v1/cases/{id}/evaluation", params(("id" = String, Path)),
    responses((status = 200, body = StoredEvaluation), (status = 404, body = crate::error::Problem)))]
pub async fn get_evaluation(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<StoredEvaluation>, ApiError> {
    let id = parse_id(&id)?;
    referrals::latest_evaluation(&s.store, &a.actor, id)
        .await?
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// Counselling sessions (restricted).
#[utoipa::path(get, path = "/api/v1/cases/{id}/counselling", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Session>), (status = 403, body = crate::error::Problem)))]
pub async fn list_sessions(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Session>>, ApiError> {
    Ok(Json(
        counselling::list(&s.store, &a.actor, parse_id(&id)?).await?,
    ))
}

/// Records a counselling session.
#[utoipa::path(post, path = "/api/v1/cases/{id}/counselling", params(("id" = String, Path)), request_body = SessionInput,
    responses((status = 201, body = Vec<Session>), (status = 422, body = crate::error::Problem)))]
pub async fn add_session(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::RecordCounselling>,
    ApiJson(b): ApiJson<SessionInput>,
) -> Result<(StatusCode, Json<Vec<Session>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(counselling::add(&s.store, &a.actor, id, &b).await?),
    ))
}

/// Consents of the case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/consents", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Consent>), (status = 403, body = crate::error::Problem)))]
pub async fn list_consents(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Consent>>, ApiError> {
    Ok(Json(
        consents::list(&s.store, &a.actor, parse_id(&id)?).await?,
    ))
}

/// Records consent for a purpose.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents", params(("id" = String, Path)), request_body = ConsentBody,
    responses((status = 201, body = Vec<Consent>), (status = 422, body = crate::error::Problem)))]
pub async fn give_consent(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::GiveConsent>,
    body: Result<ApiJson<ConsentBody>, ApiError>,
) -> Result<(StatusCode, Json<Vec<Consent>>), ApiError> {
    let ApiJson(b) = body?;
    Ok((
        StatusCode::CREATED,
        Json(
            consents::give_for(
                &s.store,
                &a.actor,
                id,
                &consents::NewConsent {
                    purpose: b.purpose,
                    person_id: b.person_id,
                    given_by_person_id: b.given_by_person_id,
                },
            )
            .await?,
        ),
    ))
}

/// Withdraws a consent; it takes effect at once.
#[utoipa::path(post, path = "/api/v1/cases/{id}/consents/{cid}/withdraw", params(("id" = String, Path), ("cid" = String, Path)), request_body = WithdrawBody,
    responses((status = 200, body = Vec<Consent>), (status = 404, body = crate::error::Problem)))]
pub async fn withdraw_consent(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::WithdrawConsent>,
    Path((_, cid)): Path<(String, String)>,
    body: Result<ApiJson<WithdrawBody>, ApiError>,
) -> Result<Json<Vec<Consent>>, ApiError> {
    let ApiJson(b) = body?;
    Ok(Json(
        consents::withdraw(&s.store, &a.actor, id, parse_id(&cid)?, &b.reason).await?,
    ))
}

/// Attachments of the case.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Attachment>), (status = 403, body = crate::error::Problem)))]
pub async fn list_attachments(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Attachment>>, ApiError> {
    Ok(Json(
        attachments::list(&s.store, &a.actor, parse_id(&id)?).await?,
    ))
}

/// Uploads an attachment: multipart fields `kind` and `file`.
#[utoipa::path(post, path = "/api/v1/cases/{id}/attachments", operation_id = "upload_attachment", params(("id" = String, Path)),
    request_body(content = AttachmentForm, content_type = "multipart/form-data"),
    responses((status = 201, body = Attachment), (status = 413, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn upload(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::AddAttachment>,
    m: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    // Role and scope before the body (docs/access-matrix.md).

    let m = m.map_err(|_| ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "multipart"))?;
    let (kind, name, bytes) = crate::pages::before_departure::read_upload(m)
        .await
        .map_err(|(code, status)| {
            let mut inv = Invalid::default();
            inv.add("file", code);
            ApiError {
                status,
                code: if status == StatusCode::PAYLOAD_TOO_LARGE {
                    "too-large"
                } else {
                    "bad-request"
                },
                detail: None,
                invalid: Some(inv),
            }
        })?;
    Ok((
        StatusCode::CREATED,
        Json(attachments::add(&s.store, &a.actor, id, &kind, &name, &bytes).await?),
    ))
}

/// Downloads an attachment.
#[utoipa::path(get, path = "/api/v1/cases/{id}/attachments/{aid}", operation_id = "download_attachment", params(("id" = String, Path), ("aid" = String, Path)),
    responses((status = 200, description = "The file as it was uploaded", content(
            (inline(super::schema::Binary) = "application/pdf"), (inline(super::schema::Binary) = "image/png"), (inline(super::schema::Binary) = "image/jpeg"))),
        (status = 404, body = crate::error::Problem)))]
pub async fn download(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path((id, aid)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (att, bytes) =
        attachments::open(&s.store, &a.actor, parse_id(&id)?, parse_id(&aid)?).await?;
    Ok(crate::uploads::file_response(&att, bytes))
}

use homeward_store::readiness::{
    self, Document, DocumentInput, FitnessCheck, FitnessInput, Vulnerability, VulnerabilityInput,
};

/// Travel documents of the case's travellers.
#[utoipa::path(get, path = "/api/v1/cases/{id}/documents", params(("id" = String, Path)), responses((status = 200, body = Vec<Document>)))]
pub async fn list_documents(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Document>>, ApiError> {
    Ok(Json(
        readiness::documents(&s.store, &a.actor, parse_id(&id)?).await?,
    ))
}

/// Records a travel document.
#[utoipa::path(post, path = "/api/v1/cases/{id}/documents", params(("id" = String, Path)), request_body = DocumentInput,
    responses((status = 201, body = Vec<Document>), (status = 422, body = crate::error::Problem)))]
pub async fn add_document(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::UpdateCase>,
    ApiJson(b): ApiJson<DocumentInput>,
) -> Result<(StatusCode, Json<Vec<Document>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(readiness::add_document(&s.store, &a.actor, id, &b).await?),
    ))
}

/// Changes a travel document through its life (the whole document as edited).
#[utoipa::path(put, path = "/api/v1/cases/{id}/documents/{did}", params(("id" = String, Path), ("did" = String, Path)),
    request_body = DocumentInput,
    responses((status = 200, body = Vec<Document>), (status = 400, body = crate::error::Problem), (status = 403, body = crate::error::Problem),
    (status = 404, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update_document(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::UpdateCase>,
    Path((_, did)): Path<(String, String)>,
    ApiJson(b): ApiJson<DocumentInput>,
) -> Result<Json<Vec<Document>>, ApiError> {
    Ok(Json(
        readiness::update_document(&s.store, &a.actor, id, parse_id(&did)?, &b).await?,
    ))
}

/// Vulnerabilities (restricted).
#[utoipa::path(get, path = "/api/v1/cases/{id}/vulnerabilities", params(("id" = String, Path)), responses((status = 200, body = Vec<Vulnerability>), (status = 403, body = crate::error::Problem)))]
pub async fn list_vulnerabilities(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Vulnerability>>, ApiError> {
    Ok(Json(
        readiness::vulnerabilities(&s.store, &a.actor, parse_id(&id)?).await?,
    ))
}

/// Records a vulnerability (medical ones need consent to collect health data).
#[utoipa::path(post, path = "/api/v1/cases/{id}/vulnerabilities", params(("id" = String, Path)), request_body = VulnerabilityInput,
    responses((status = 201, body = Vec<Vulnerability>), (status = 422, body = crate::error::Problem)))]
pub async fn add_vulnerability(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::RecordCounselling>,
    ApiJson(b): ApiJson<VulnerabilityInput>,
) -> Result<(StatusCode, Json<Vec<Vulnerability>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(readiness::add_vulnerability(&s.store, &a.actor, id, &b).await?),
    ))
}

/// Fitness-to-travel checks (restricted).
#[utoipa::path(get, path = "/api/v1/cases/{id}/fitness", params(("id" = String, Path)), responses((status = 200, body = Vec<FitnessCheck>), (status = 403, body = crate::error::Problem)))]
pub async fn list_fitness(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<FitnessCheck>>, ApiError> {
    Ok(Json(
        readiness::fitness(&s.store, &a.actor, parse_id(&id)?).await?,
    ))
}

/// Records a fitness-to-travel check (needs consent to collect health data).
#[utoipa::path(post, path = "/api/v1/cases/{id}/fitness", params(("id" = String, Path)), request_body = FitnessInput,
    responses((status = 201, body = Vec<FitnessCheck>), (status = 422, body = crate::error::Problem)))]
pub async fn add_fitness(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::RecordCounselling>,
    ApiJson(b): ApiJson<FitnessInput>,
) -> Result<(StatusCode, Json<Vec<FitnessCheck>>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(readiness::add_fitness(&s.store, &a.actor, id, &b).await?),
    ))
}
