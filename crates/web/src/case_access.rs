//! One extractor for every route that names a case (`/cases/{id}/…`), shared
//! by pages and the API: it parses the id, checks that the caller's role may
//! do what the route does and that the case is in their record scope, all
//! before the body is read, so a refused caller's answer never depends on
//! what they sent (docs/access-matrix.md). The use case checks again.

use crate::auth::{ApiUser, PageUser};
use crate::error::ApiError;
use crate::AppState;
use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use homeward_domain::{Action, Resource};
use homeward_store::{Actor, Error as StoreError};
use std::marker::PhantomData;
use uuid::Uuid;

/// What a route does to a case: the permissions it needs.
pub trait Need: Send + Sync + 'static {
    const NEED: &'static [(Resource, Action)];

    /// A role check beyond the permissions, made before the case's scope
    /// (so a role that may never do this is forbidden, whatever the case).
    fn allows(_actor: &Actor) -> Result<(), StoreError> {
        Ok(())
    }
}

macro_rules! needs {
    ($($(#[$doc:meta])* $name:ident = [$(($r:ident, $a:ident)),*];)*) => {
        $(
            $(#[$doc])*
            pub struct $name;
            impl Need for $name {
                const NEED: &'static [(Resource, Action)] = &[$((Resource::$r, Action::$a)),*];
            }
        )*
    };
}

/// The permissions routes on a case need.
pub mod need {
    use super::*;
    needs! {
        /// Only that the case is in scope (the use case decides the rest).
        InScope = [];
        UpdateCase = [(Case, Update)];
        TransitionCase = [(Case, Transition)];
        AddMember = [(Case, Update), (Person, Create)];
        UpdateReferral = [(Referral, Update)];
        ReadConsent = [(Consent, Read)];
        GiveConsent = [(Consent, Create)];
        WithdrawConsent = [(Consent, Update)];
        AddAttachment = [(Attachment, Create)];
        MakeLetter = [(Letter, Create)];
        ReadReintegration = [(Reintegration, Read)];
        CreateReintegration = [(Reintegration, Create)];
        UpdateReintegration = [(Reintegration, Update)];
        RecordCounselling = [(Counselling, Create)];
        BookTravel = [(Travel, Create)];
    }

    /// What the mission officer records on a returned case: the arrival,
    /// the plan's components and purchase requests.
    pub struct MissionRecords;
    impl Need for MissionRecords {
        const NEED: &'static [(Resource, Action)] = &[(Resource::Reintegration, Action::Create)];
        fn allows(actor: &Actor) -> Result<(), StoreError> {
            match actor.role {
                homeward_domain::Role::MissionOfficer => Ok(()),
                _ => Err(StoreError::Forbidden),
            }
        }
    }

    /// Closing or reopening a returned case (`closure::may_close`).
    pub struct CloseCase;
    impl Need for CloseCase {
        const NEED: &'static [(Resource, Action)] = &[];
        fn allows(actor: &Actor) -> Result<(), StoreError> {
            homeward_store::closure::may_close(actor)
        }
    }
}

/// Who is calling, and how a refusal is answered to them: a problem
/// document for the API, a translated page for a person.
pub trait Caller: FromRequestParts<AppState> + Send {
    fn actor(&self) -> &Actor;
    fn refusal(&self, e: StoreError) -> Response;
}

impl Caller for ApiUser {
    fn actor(&self) -> &Actor {
        &self.0.actor
    }
    fn refusal(&self, e: StoreError) -> Response {
        ApiError::from(e).into_response()
    }
}

impl Caller for PageUser {
    fn actor(&self) -> &Actor {
        &self.0.actor
    }
    fn refusal(&self, e: StoreError) -> Response {
        crate::frame::store_error(&self.1, e)
    }
}

/// The case the route's `{id}` names, once the caller may act on it: its
/// id and the caller. A malformed id, like a case out of scope, is not
/// found; a role that may not do this is forbidden.
pub struct CaseIn<U, N> {
    pub caller: U,
    pub id: Uuid,
    need: PhantomData<N>,
}

impl<U, N> FromRequestParts<AppState> for CaseIn<U, N>
where
    U: Caller,
    U::Rejection: IntoResponse,
    N: Need,
{
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let caller = U::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let id = params
            .iter()
            .find(|(k, _)| *k == "id")
            .and_then(|(_, v)| Uuid::parse_str(v).ok());
        let Some(id) = id else {
            return Err(caller.refusal(StoreError::NotFound));
        };
        if let Err(e) = N::allows(caller.actor()) {
            return Err(caller.refusal(e));
        }
        if let Err(e) =
            homeward_store::cases::may_act(&state.store, caller.actor(), Some(id), N::NEED).await
        {
            return Err(caller.refusal(e));
        }
        Ok(CaseIn {
            caller,
            id,
            need: PhantomData,
        })
    }
}
