//! `/api/v1/persons`: read by roles that read cases (within scope, contact
//! details only for those who need them); create by counsellor, supervisor and
//! cbsa_officer; update by counsellor and supervisor.

use super::extract::{int_param, parse_id, ApiJson};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use homeward_domain::person::PersonInput;
use homeward_domain::{Action, Resource};
use homeward_store::persons::{self, Person};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A page of persons.
#[derive(Serialize, utoipa::ToSchema)]
pub struct PersonPage {
    pub items: Vec<Person>,
    /// Every matching person, or a lower bound when `total_is_lower_bound`
    /// (more than 10,000).
    pub total: i64,
    pub total_is_lower_bound: bool,
}

/// An update: the version read, and the new values.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"version": 2, "person": {"given_names": "Ana", "family_name": "Horváth", "sex": "female",
    "date_of_birth": "1988-04-12", "nationalities": ["HU"], "phone": "+1 416 555 0199"}})))]
pub struct PersonUpdate {
    pub version: i64,
    pub person: PersonInput,
}

/// Persons in scope, optionally matching `q` (any name or number).
#[utoipa::path(get, path = "/api/v1/persons", operation_id = "list_persons",
    params(("q" = Option<String>, Query), ("limit" = Option<i64>, Query), ("offset" = Option<i64>, Query)),
    responses((status = 200, body = PersonPage), (status = 401, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Json<PersonPage>, ApiError> {
    let limit = int_param(&q, "limit", 50, 1, 200)?;
    let offset = int_param(&q, "offset", 0, 0, i64::MAX / 2)?;
    let l = persons::search(
        &state.store,
        &a.actor,
        q.get("q").map(String::as_str),
        limit,
        offset,
    )
    .await?;
    Ok(Json(PersonPage {
        items: l.items,
        total: l.total,
        total_is_lower_bound: l.total_is_lower_bound,
    }))
}

/// Registers a person who is on no case yet.
#[utoipa::path(post, path = "/api/v1/persons", operation_id = "create_person", request_body = PersonInput,
    responses((status = 201, body = Person), (status = 422, body = crate::error::Problem), (status = 403, body = crate::error::Problem)))]
pub async fn create(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    ApiJson(input): ApiJson<PersonInput>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    Ok((
        StatusCode::CREATED,
        Json(persons::create(&state.store, &a.actor, &input).await?),
    ))
}

/// One person (404 when out of scope).
#[utoipa::path(get, path = "/api/v1/persons/{id}", operation_id = "get_person", params(("id" = String, Path)),
    responses((status = 200, body = Person), (status = 404, body = crate::error::Problem)))]
pub async fn get(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<Person>, ApiError> {
    let id = parse_id(&id)?;
    let p = persons::get(&state.store, &a.actor, id).await?;
    homeward_store::audit::record_read(&state.store, &a.actor, "person", id, None).await?;
    Ok(Json(p))
}

/// Replaces a person's details; a stale `version` answers 409 and changes nothing.
#[utoipa::path(put, path = "/api/v1/persons/{id}", operation_id = "update_person", params(("id" = String, Path)), request_body = PersonUpdate,
    responses((status = 200, body = Person), (status = 409, body = crate::error::Problem), (status = 422, body = crate::error::Problem)))]
pub async fn update(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
    body: Result<ApiJson<PersonUpdate>, ApiError>,
) -> Result<Json<Person>, ApiError> {
    let id = parse_id(&id)?;
    // Role and scope before the body: a refused caller's answer never
    // depends on what they sent (docs/access-matrix.md).
    a.actor.require(Resource::Person, Action::Update)?;
    homeward_store::persons::get(&state.store, &a.actor, id).await?;
    let ApiJson(u) = body?;
    Ok(Json(
        persons::update(&state.store, &a.actor, id, u.version, &u.person).await?,
    ))
}
