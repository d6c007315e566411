//! How a form posted from a section of the case page ends: back to its
//! section with the "saved" message (ADR 0053), or the case page again with
//! that form as typed and its errors beside the fields.

use super::sections::SideForms;
use super::{case_page, CaseForms};
use crate::auth::Ctx;
use crate::form::FormState;
use crate::frame::{refilled, store_error};
use crate::AppState;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_store::{Actor, Error};
use std::collections::HashMap;
use uuid::Uuid;

/// The case a section form was posted to, and who posted it.
pub(crate) struct Posted<'a> {
    state: &'a AppState,
    ctx: &'a Ctx,
    actor: &'a Actor,
    id: Uuid,
}

impl<'a> Posted<'a> {
    /// The case `id`, posted to by `actor`.
    pub fn new(state: &'a AppState, ctx: &'a Ctx, actor: &'a Actor, id: Uuid) -> Self {
        Posted {
            state,
            ctx,
            actor,
            id,
        }
    }

    /// The case page again with the form `put` in its place, refilled with
    /// what was typed and `e`'s errors; the error page when `e` is not about
    /// the form (not found, forbidden, a conflict).
    pub async fn refused(
        &self,
        form: HashMap<String, String>,
        e: Error,
        put: impl FnOnce(&mut SideForms, FormState),
    ) -> Response {
        match refilled(&self.ctx.tr(), form, &e, "") {
            Some((f, status)) => {
                let mut forms = CaseForms::default();
                put(&mut forms.side, f);
                case_page(self.state, self.ctx, self.actor, self.id, forms, status).await
            }
            None => store_error(self.ctx, e),
        }
    }

    /// [`saved`] at `section` when the use case `done` succeeded, else
    /// [`Posted::refused`].
    pub async fn answer<T>(
        &self,
        done: Result<T, Error>,
        section: &str,
        form: HashMap<String, String>,
        put: impl FnOnce(&mut SideForms, FormState),
    ) -> Response {
        match done {
            Ok(_) => saved(self.id, section),
            Err(e) => self.refused(form, e, put).await,
        }
    }
}

/// Back to `section` of the case page, with the "saved" message.
pub(crate) fn saved(id: Uuid, section: &str) -> Response {
    Redirect::to(&format!("/cases/{id}?done=saved#{section}")).into_response()
}
