//! The case page: the case, its people and every section the actor may
//! see, each read from one checked case ([`homeward_store::cases::ScopedCase`]).
//! Section handlers render it again when they refuse a form.

pub(crate) mod answer;
pub mod monitoring;
pub mod reintegration;
pub mod sections;
pub mod travel;

use crate::auth::Ctx;
use crate::form::FormState;
use crate::frame::{render, store_error, Layout};
use crate::pages::fields::sex_options;
use crate::AppState;
use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use homeward_domain::person::RELATIONSHIPS;
use homeward_domain::{Action, CaseStatus, Resource};
use homeward_store::cases::{self, CaseDetail};
use uuid::Uuid;

#[derive(Template)]
#[template(path = "case_show.html")]
struct ShowPage {
    l: Layout,
    c: CaseDetail,
    /// Languages by name, for the counselling session (ISO codes behind).
    languages: Vec<(String, String)>,
    /// What comes next and who does it, while something does.
    next: Option<(String, String)>,
    /// (status, button label, asks for a reason, asks for confirmation).
    transitions: Vec<(String, String, bool, bool)>,
    can_edit: bool,
    can_add_member: bool,
    sees_contact: bool,
    f: FormState,
    member_f: FormState,
    relationships: Vec<(String, String)>,
    sexes: Vec<(String, String)>,
    x: sections::CaseExtras,
    forms: sections::SideForms,
}

/// The forms of the case page, any of which may come back with errors.
#[derive(Default)]
pub struct CaseForms {
    pub transition: FormState,
    pub member: FormState,
    pub side: sections::SideForms,
}

/// Loads and renders the case page for `actor`.
pub async fn case_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &homeward_store::Actor,
    id: Uuid,
    forms: CaseForms,
    status: StatusCode,
) -> Response {
    match cases::check(&state.store, actor, id).await {
        Ok(case) => case_page_of(state, ctx, actor, case, forms, status).await,
        Err(e) => store_error(ctx, e),
    }
}

/// Renders the case page of a case just checked for `actor`: the sections
/// read it as checked, without asking the scope again.
pub(crate) async fn case_page_of(
    state: &AppState,
    ctx: &Ctx,
    actor: &homeward_store::Actor,
    case: cases::ScopedCase,
    forms: CaseForms,
    status: StatusCode,
) -> Response {
    let c = match cases::detail(&state.store, actor, case.summary().clone()).await {
        Ok(c) => c,
        Err(e) => return store_error(ctx, e),
    };
    let loaded = async {
        let mut x = sections::load(state, ctx, actor, &case, &c.members).await?;
        x.reintegration = reintegration::load(state, &ctx.tr(), actor, &case).await?;
        Ok::<_, homeward_store::Error>(x)
    }
    .await;
    let x = match loaded {
        Ok(x) => x,
        Err(e) => return store_error(ctx, e),
    };
    // Several forms on one page share field names: give each its own ids.
    let mut forms = forms;
    forms.member = forms.member.prefixed("m-");
    let side = std::mem::take(&mut forms.side);
    forms.side = sections::SideForms {
        counselling: side.counselling.prefixed("co-"),
        appointment: side.appointment.prefixed("ap-"),
        consent: side.consent.prefixed("cn-"),
        returnee: side.returnee.prefixed("ra-"),
        upload: side.upload.prefixed("up-"),
        document: side.document.prefixed("doc-"),
        vulnerability: side.vulnerability.prefixed("vul-"),
        fitness: side.fitness.prefixed("fit-"),
        itinerary: side.itinerary.prefixed("it-"),
        change: side.change.prefixed("ch-"),
        departure: side.departure.prefixed("dep-"),
        letter: side.letter.prefixed("let-"),
        arrival: side.arrival.prefixed("arr-"),
        component: side.component.prefixed("pc-"),
        purchase: side.purchase.prefixed("pu-"),
        decision: side.decision.prefixed("de-"),
        payment: side.payment.prefixed("pay-"),
        followup: side.followup.prefixed("fu-"),
        survey: side.survey.prefixed("sv-"),
        closure: side.closure.prefixed("cl-"),
    };
    let role = actor.role;
    let t = ctx.tr();
    let from = CaseStatus::parse(&c.summary.status);
    // After return a case is closed from its closure section, which asks
    // for the closure's reason: one "Close the case", not two.
    let closes_in_section =
        from.is_some_and(|s| matches!(s, CaseStatus::Reintegrating | CaseStatus::Monitoring));
    let transitions = c
        .allowed_transitions
        .iter()
        .filter(|to| !(closes_in_section && to.as_str() == "closed"))
        .map(|to| {
            let needs = match (from, CaseStatus::parse(to)) {
                (Some(f), Some(tt)) => homeward_domain::workflow::reason_required(f, tt),
                _ => false,
            };
            let confirm =
                CaseStatus::parse(to).is_some_and(homeward_domain::workflow::asks_confirmation);
            (to.clone(), t.action(to), needs, confirm)
        })
        .collect();
    let next = from.and_then(|s| {
        homeward_domain::workflow::next_actor(s)
            .map(|who| (t.t(&format!("next-{}", s.as_str())), t.role(who.as_str())))
    });
    let open = from.is_some_and(|s| !s.is_after_departure() && !s.is_terminal());
    let relationships = RELATIONSHIPS
        .iter()
        .filter(|r| **r != "principal")
        .map(|r| (r.to_string(), t.choice("relationship", r)))
        .collect();
    let l = Layout::new(ctx, c.summary.case_number.clone(), "/cases");
    render(
        status,
        ShowPage {
            l,
            transitions,
            next,
            languages: homeward_domain::iso_names::choices(
                homeward_domain::iso_names::languages(),
                t.code(),
            ),
            can_edit: role.can(Resource::Case, Action::Update),
            can_add_member: role.can(Resource::Case, Action::Update)
                && role.can(Resource::Person, Action::Create)
                && open,
            sees_contact: role.sees_contact_details(),
            c,
            f: forms.transition,
            member_f: forms.member,
            relationships,
            sexes: sex_options(&t),
            x,
            forms: forms.side,
        },
    )
}
