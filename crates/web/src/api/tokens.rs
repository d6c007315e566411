//! API tokens (issue 26): list and revoke. Any signed-in staff user lists
//! and revokes their own; an admin lists anyone's (`user_id`) and revokes
//! anyone's. Someone else's token reads as not found. Tokens are created
//! by the operator (`homeward token create`); the API never shows a secret.

use super::extract::{parse_id, ApiQuery};
use crate::auth::ApiUser;
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Path, State};
use axum::Json;
use homeward_store::tokens::{self, TokenInfo};
use serde::Deserialize;

/// Whose tokens to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    /// Another user's id (admins only); absent: the caller's own tokens.
    pub user_id: Option<String>,
}

/// The caller's API tokens (or, for an admin, `user_id`'s), newest first,
/// with their name, dates and state; never the secret. Any staff role.
#[utoipa::path(get, path = "/api/v1/tokens", operation_id = "list_tokens", params(TokenQuery),
    responses((status = 200, body = Vec<TokenInfo>), (status = 403, body = crate::error::Problem),
              (status = 404, body = crate::error::Problem)))]
pub async fn list(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    ApiQuery(q): ApiQuery<TokenQuery>,
) -> Result<Json<Vec<TokenInfo>>, ApiError> {
    let list = match q
        .user_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => tokens::list_own(&state.store, &a.actor).await?,
        Some(id) => tokens::list_for(&state.store, &a.actor, parse_id(id)?).await?,
    };
    Ok(Json(list))
}

/// Revokes a token at once: the caller's own (including the one in use),
/// or anyone's for an admin. Revoking a revoked token changes nothing.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", operation_id = "revoke_token", params(("id" = String, Path)),
    responses((status = 200, body = TokenInfo, description = "the token, now revoked"),
              (status = 404, body = crate::error::Problem)))]
pub async fn revoke(
    State(state): State<AppState>,
    ApiUser(a): ApiUser,
    Path(id): Path<String>,
) -> Result<Json<TokenInfo>, ApiError> {
    let id = parse_id(&id)?;
    Ok(Json(tokens::revoke(&state.store, &a.actor, id).await?))
}
