//! Monitoring on the case page: follow-ups, the Reintegration Sustainability
//! Survey and closure (with reopening).
//!
//! Who may: the mission officer of the country of return records follow-ups
//! and surveys and closes or reopens the case; supervisors read them and
//! close or reopen too. Finance sees none of it (the answers are about the
//! returnee's life and wellbeing), nor do CBSA and the others. The store
//! enforces all of it again.

use super::case_page::answer::Posted;
use super::case_page::sections::SideForms;
use super::reintegration::{date, v};
use crate::auth::PageUser;
use crate::case_access::{need, CaseIn};
use crate::frame::PageForm;
use crate::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::followups::FollowUpInput;
use homeward_store::closure::{self};
use homeward_store::followups::{self};
use homeward_store::surveys::{self};
use homeward_store::Error;
use std::collections::HashMap;
use uuid::Uuid;

/// POST /cases/{id}/followups: the mission officer records a follow-up
/// contact (`followup` names which of the case's follow-ups).
pub async fn record_followup(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::UpdateReintegration>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    if auth.actor.role != homeward_domain::Role::MissionOfficer {
        return crate::frame::store_error(&ctx, homeward_store::Error::Forbidden);
    }
    let put = |s: &mut SideForms, f| s.followup = f;
    let Some(fid) = form
        .get("followup")
        .and_then(|c| Uuid::parse_str(c.trim()).ok())
    else {
        let e = homeward_store::Error::invalid("followup", "required");
        return at.refused(form, e, put).await;
    };
    let parsed = date(&form, "held_on").and_then(|h| Ok((h, date(&form, "rescheduled_to")?)));
    let (held_on, rescheduled_to) = match parsed {
        Ok(x) => x,
        Err(e) => return at.refused(form, e, put).await,
    };
    let input = FollowUpInput {
        held_on,
        outcome: v(&form, "outcome"),
        contact_mode: v(&form, "contact_mode"),
        notes: v(&form, "notes"),
        rescheduled_to,
    };
    // The follow-up must be this case's: one in another case reads as not found.
    let belongs = match followups::list(&state.store, &auth.actor, id).await {
        Ok(l) => l.iter().any(|f| f.id == fid),
        Err(e) => return at.refused(form, e, put).await,
    };
    if !belongs {
        let e = homeward_store::Error::invalid("followup", "invalid-choice");
        return at.refused(form, e, put).await;
    }
    at.answer(
        followups::record(&state.store, &auth.actor, fid, &input, None).await,
        "followups",
        form,
        put,
    )
    .await
}

/// POST /cases/{id}/surveys: the mission officer records an RSS survey.
pub async fn record_survey(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::CreateReintegration>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let put = |s: &mut SideForms, f| s.survey = f;
    let surveyed_on = match date(&form, "surveyed_on") {
        Ok(d) => d,
        Err(e) => return at.refused(form, e, put).await,
    };
    // Answers come as `answer.<indicator>`; empty ones are left unanswered.
    let answers: HashMap<String, String> = form
        .iter()
        .filter_map(|(k, v)| {
            let id = k.strip_prefix("answer.")?;
            (!v.trim().is_empty()).then(|| (id.to_string(), v.trim().to_string()))
        })
        .collect();
    match surveys::record(&state.store, &auth.actor, id, surveyed_on, &answers).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved#surveys")).into_response(),
        Err(Error::Invalid(mut inv)) => {
            // Indicator errors name the indicator; the form names `answer.<id>`.
            for e in &mut inv.errors {
                if e.field != "surveyed_on" && !e.field.contains('.') {
                    e.field = format!("answer.{}", e.field);
                }
            }
            at.refused(form, Error::Invalid(inv), put).await
        }
        Err(e) => at.refused(form, e, put).await,
    }
}

/// POST /cases/{id}/closure: closes a returned case with a reason.
pub async fn close(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::CloseCase>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let reason = form.get("reason").cloned().unwrap_or_default();
    let note = form.get("note").cloned();
    match closure::close(&state.store, &auth.actor, id, &reason, note.as_deref()).await {
        Ok(()) => Redirect::to(&format!("/cases/{id}?done=saved#closure")).into_response(),
        Err(e) => at.refused(form, e, |s, f| s.closure = f).await,
    }
}

/// POST /cases/{id}/reopen: reopens a case closed after return.
pub async fn reopen(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::CloseCase>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let reason = form.get("reopen_reason").cloned().unwrap_or_default();
    match closure::reopen(&state.store, &auth.actor, id, &reason).await {
        Ok(()) => Redirect::to(&format!("/cases/{id}?done=saved#closure")).into_response(),
        Err(Error::Invalid(mut inv)) => {
            for e in &mut inv.errors {
                if e.field == "reason" {
                    e.field = "reopen_reason".into();
                }
            }
            at.refused(form, Error::Invalid(inv), |s, f| s.closure = f)
                .await
        }
        Err(e) => at.refused(form, e, |s, f| s.closure = f).await,
    }
}
