//! Itineraries, departure confirmation, flight manifests, letters, the inbox
//! and the airport search. Who may use each: see `pages::travel`; the store
//! enforces it, so the API and the pages agree.

use super::extract::{parse_id, ApiJson, ApiQuery};
use crate::auth::ApiUser;
use crate::case_access::{need, CaseIn};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Json;
use homeward_domain::{Action, Resource};
use homeward_store::departures::{self, DepartureInput};
use homeward_store::letters::{self, Letter};
use homeward_store::notifications::{self, Notification};
use homeward_store::travel::{self, Itinerary, ItineraryInput, ManifestFlight};
use serde::{Deserialize, Serialize};

/// A no-show, postponement or cancellation.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"kind": "postponed", "reason": "The travel document was not ready in time", "version": 2})))]
pub struct ChangeBody {
    /// no_show, postponed or cancelled.
    pub kind: String,
    pub reason: String,
    /// The itinerary version the client saw (409 if stale).
    pub version: Option<i64>,
}

/// A letter to make.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"kind": "application", "lang": "en"})))]
pub struct LetterBody {
    /// application, travel-letter, departure-confirmation or reintegration-certificate.
    pub kind: String,
    /// en, fr, es or hu (es and hu for travellers' letters).
    pub lang: String,
}

/// An airport.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AirportAnswer {
    pub iata: &'static str,
    pub name: &'static str,
    pub city: &'static str,
    pub country: &'static str,
    pub tz: &'static str,
}

/// The period of a manifest query.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ManifestParams {
    /// Start (RFC 3339); default now minus 12 hours.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    /// End (RFC 3339); default 14 days after the start, at most 92 days.
    pub to: Option<chrono::DateTime<chrono::Utc>>,
}

/// The search text.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AirportParams {
    /// An IATA code, a city or part of an airport's name (up to 64
    /// characters are read); none answers an empty list. At most 20 airports.
    #[param(example = "Budapest")]
    pub q: Option<String>,
}

/// The case's itineraries, newest first (IOM Toronto, CBSA, the mission, finance).
#[utoipa::path(get, path = "/api/v1/cases/{id}/itineraries", operation_id = "list_itineraries", params(("id" = String, Path)),
    responses((status = 200, body = [Itinerary]), (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Itinerary>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(travel::list(&s.store, &a.actor, id).await?))
}

/// Books (or, with `replaces` and a reason, rebooks) flights; times are local
/// to each airport (counsellor, supervisor).
#[utoipa::path(post, path = "/api/v1/cases/{id}/itineraries", params(("id" = String, Path)), request_body = ItineraryInput,
    responses((status = 201, body = Itinerary), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn book(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::BookTravel>,
    ApiJson(b): ApiJson<ItineraryInput>,
) -> Result<(StatusCode, Json<Itinerary>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(travel::book(&s.store, &a.actor, id, &b).await?),
    ))
}

/// One itinerary.
#[utoipa::path(get, path = "/api/v1/itineraries/{id}", operation_id = "get_itinerary", params(("id" = String, Path)),
    responses((status = 200, body = Itinerary), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Itinerary>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(travel::get(&s.store, &a.actor, id).await?))
}

/// Records a no-show, postponement or cancellation (counsellor, supervisor).
#[utoipa::path(post, path = "/api/v1/itineraries/{id}/changes", params(("id" = String, Path)), request_body = ChangeBody,
    responses((status = 200, body = Itinerary), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn change(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<ChangeBody>, ApiError>,
) -> Result<Json<Itinerary>, ApiError> {
    let id = parse_id(&id)?;
    // Role and scope before the body: a refused caller's answer never
    // depends on what they sent (docs/access-matrix.md).
    a.actor.require(Resource::Travel, Action::Update)?;
    let ApiJson(b) = body?;
    Ok(Json(
        travel::change(&s.store, &a.actor, id, &b.kind, Some(&b.reason), b.version).await?,
    ))
}

/// Confirms the travellers boarded (counsellor, supervisor): the case becomes
/// departed and CBSA is told (inbox, and the webhook when configured).
#[utoipa::path(post, path = "/api/v1/itineraries/{id}/departure", params(("id" = String, Path)), request_body = DepartureInput,
    responses((status = 200, body = Itinerary), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn confirm(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DepartureInput>,
) -> Result<Json<Itinerary>, ApiError> {
    let id = parse_id(&id)?;
    let webhook = s.config.cbsa_webhook.is_some();
    let it = departures::confirm(&s.store, &a.actor, id, &b, webhook).await?;
    if webhook {
        s.config.jobs_wake.wake();
    }
    Ok(Json(it))
}

/// Flights in a period with the travellers the user may see.
#[utoipa::path(get, path = "/api/v1/manifests", params(ManifestParams),
    responses((status = 200, body = [ManifestFlight]), (status = 403, body = crate::error::Problem)))]
pub async fn manifests(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    ApiQuery(q): ApiQuery<ManifestParams>,
) -> Result<Json<Vec<ManifestFlight>>, ApiError> {
    let from = q
        .from
        .unwrap_or_else(|| homeward_store::now() - chrono::Duration::hours(12));
    let to = q.to.unwrap_or(from + chrono::Duration::days(14));
    if to <= from || to - from > chrono::Duration::days(92) {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("to", "out-of-range");
        return Err(homeward_store::Error::Invalid(inv).into());
    }
    Ok(Json(travel::manifests(&s.store, &a.actor, from, to).await?))
}

/// The case's letters the user may read.
#[utoipa::path(get, path = "/api/v1/cases/{id}/letters", params(("id" = String, Path)),
    responses((status = 200, body = [Letter]), (status = 404, body = crate::error::Problem)))]
pub async fn list_letters(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Vec<Letter>>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(letters::list(&s.store, &a.actor, id).await?))
}

/// Renders and keeps a letter (counsellor, supervisor).
#[utoipa::path(post, path = "/api/v1/cases/{id}/letters", params(("id" = String, Path)), request_body = LetterBody,
    responses((status = 201, body = Letter), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn make_letter(
    State(s): State<AppState>,
    CaseIn {
        caller: ApiUser(a),
        id,
        ..
    }: CaseIn<ApiUser, need::MakeLetter>,
    body: Result<ApiJson<LetterBody>, ApiError>,
) -> Result<(StatusCode, Json<Letter>), ApiError> {
    let ApiJson(b) = body?;
    Ok((
        StatusCode::CREATED,
        Json(
            crate::letters::make(
                &s.store,
                &a.actor,
                id,
                &b.kind,
                &b.lang,
                s.config.returnee_page_url(),
            )
            .await?,
        ),
    ))
}

/// The letter's PDF (for those who may read that kind).
#[utoipa::path(get, path = "/api/v1/letters/{id}", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/pdf", body = inline(super::schema::Binary), description = "The PDF"),
        (status = 404, body = crate::error::Problem)))]
pub async fn download_letter(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_id(&id)?;
    let (l, bytes) = letters::content(&s.store, &a.actor, id).await?;
    Ok(crate::pages::travel::pdf_response(&l, bytes))
}

/// The user's own messages, newest first.
#[utoipa::path(get, path = "/api/v1/notifications",
    responses((status = 200, body = [Notification])))]
pub async fn inbox(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
) -> Result<Json<Vec<Notification>>, ApiError> {
    Ok(Json(notifications::inbox(&s.store, &a.actor, 200).await?))
}

/// Marks one of the user's messages read (someone else's is not found).
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = crate::error::Problem)))]
pub async fn mark_read(
    State(s): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id(&id)?;
    notifications::mark_read(&s.store, &a.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Airports by IATA code, city or name, best match first (any signed-in user).
#[utoipa::path(get, path = "/api/v1/airports", params(AirportParams),
    responses((status = 200, body = [AirportAnswer])))]
pub async fn airports(
    ApiUser(_a): ApiUser,
    ApiQuery(q): ApiQuery<AirportParams>,
) -> Json<Vec<AirportAnswer>> {
    let q: String = q.q.unwrap_or_default().chars().take(64).collect();
    Json(
        homeward_domain::airports::search(&q, 20)
            .into_iter()
            .map(|a| AirportAnswer {
                iata: a.iata,
                name: a.name,
                city: a.city,
                country: a.country,
                tz: a.tz.name(),
            })
            .collect(),
    )
}
