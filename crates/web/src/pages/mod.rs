//! Server-rendered pages. Each handler states who may use it; the store's
//! use cases enforce it again, so a page can never show more than the API.

pub mod account;
pub mod admin;
pub mod audit;
pub mod cases;
pub mod dashboard;
pub mod deidentified;
pub mod duplicates;
pub mod eligibility;
pub mod exports;
pub mod import;
pub mod jobs;
pub mod login;
pub mod monitoring;
pub mod persons;
pub mod privacy;
pub mod programmes;
pub mod reintegration;
pub mod reports;
pub mod search;
pub mod sections;
pub mod tasks;
pub mod tokens;
pub mod travel;
pub mod two_factor;
pub mod vendors;

use crate::auth::{Auth, Ctx};
use crate::form::FormState;
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use homeward_domain::{Action, Resource};
use homeward_store::Error as StoreError;
use std::collections::HashMap;

/// Every page route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::show))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::logout))
        .route(
            "/login/two-factor",
            get(two_factor::code_form).post(two_factor::code_submit),
        )
        .route(
            "/account/password",
            get(account::form).post(account::submit),
        )
        .route(
            "/account/two-factor",
            get(two_factor::setup).post(two_factor::confirm),
        )
        .route(
            "/account/two-factor/recovery-codes",
            post(two_factor::regenerate),
        )
        .route(
            "/reauth",
            get(crate::reauth::form).post(crate::reauth::submit),
        )
        .route("/account/tokens", get(tokens::own))
        .route("/account/tokens/{id}/revoke", post(tokens::revoke_own))
        .route("/admin/users/{id}/tokens", get(tokens::of_user))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke_any))
        .route("/admin/users/{id}/role", post(admin::set_role))
        .route(
            "/admin/users/{id}/two-factor/reset",
            post(admin::reset_two_factor),
        )
        .route("/lang", post(login::set_language))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/new", get(cases::new_form))
        .route("/cases/{id}", get(cases::show))
        .route("/cases/{id}/edit", get(cases::edit_form).post(cases::edit))
        .route("/cases/{id}/transition", post(cases::transition))
        .route("/cases/{id}/members", post(cases::add_member))
        .route(
            "/persons/{id}/edit",
            get(persons::edit_form).post(persons::edit),
        )
        .route("/admin/users", get(admin::list).post(admin::create))
        .route("/admin/users/new", get(admin::new_form))
        .route("/admin/users/{id}/active", post(admin::set_active))
        .route("/admin/programmes", get(programmes::list))
        .route(
            "/admin/programmes/{code}/followups",
            post(programmes::set_followups),
        )
        .route(
            "/admin/programmes/{code}/target",
            post(programmes::set_target),
        )
        .route("/audit", get(audit::list))
        .route("/tasks", get(tasks::list))
        .route(
            "/cases/{id}/referral",
            get(sections::referral_form).post(sections::referral_save),
        )
        .route("/cases/{id}/counselling", post(sections::add_session))
        .route("/cases/{id}/consents", post(sections::give_consent))
        .route("/cases/{id}/documents", post(sections::add_document))
        .route(
            "/cases/{id}/vulnerabilities",
            post(sections::add_vulnerability),
        )
        .route("/cases/{id}/fitness", post(sections::add_fitness))
        .route(
            "/cases/{id}/consents/{cid}/withdraw",
            post(sections::withdraw_consent),
        )
        .route(
            "/cases/{id}/attachments",
            post(sections::upload).layer(axum::extract::DefaultBodyLimit::max(
                homeward_store::attachments::MAX_BYTES + 64 * 1024,
            )),
        )
        .route("/cases/{id}/attachments/{aid}", get(sections::download))
        .route(
            "/eligibility",
            get(eligibility::form).post(eligibility::evaluate),
        )
        .route("/cases/{id}/arrival", post(reintegration::confirm_arrival))
        .route(
            "/cases/{id}/plan/components",
            post(reintegration::add_component),
        )
        .route(
            "/cases/{id}/plan/approval",
            post(reintegration::approve_plan),
        )
        .route(
            "/cases/{id}/purchases",
            post(reintegration::request_purchase),
        )
        .route("/purchases/{id}/decision", post(reintegration::decide))
        .route(
            "/purchases/{id}/payment",
            post(reintegration::pay).layer(axum::extract::DefaultBodyLimit::max(
                homeward_store::attachments::MAX_BYTES + 64 * 1024,
            )),
        )
        .route("/purchases/{id}/receipt", get(reintegration::receipt))
        .route("/cases/{id}/followups", post(monitoring::record_followup))
        .route("/cases/{id}/surveys", post(monitoring::record_survey))
        .route("/cases/{id}/closure", post(monitoring::close))
        .route("/cases/{id}/reopen", post(monitoring::reopen))
        .route("/vendors", get(vendors::list).post(vendors::create))
        .route("/vendors/{id}/active", post(vendors::set_active))
        .route("/cases/{id}/itineraries", post(travel::book))
        .route("/itineraries/{id}/change", post(travel::change))
        .route(
            "/itineraries/{id}/departure",
            post(travel::confirm_departure),
        )
        .route("/cases/{id}/letters", post(travel::make_letter))
        .route("/letters/{id}", get(travel::download_letter))
        .route("/inbox", get(travel::inbox))
        .route("/inbox/{id}/read", post(travel::mark_read))
        .route("/manifests", get(travel::manifests))
        .route("/reports/donor", get(reports::page))
        .route("/reports/donor.xlsx", get(reports::xlsx_download))
        .route("/reports/donor.csv", get(reports::csv_download))
        .route("/reports/donor.pdf", get(reports::pdf_download))
        .route("/airports/suggest", get(travel::airport_options))
        .route("/persons/suggest", get(cases::person_suggest))
        .route("/search", get(search::page))
        .route("/search/results", get(search::results))
        .route("/admin/jobs", get(jobs::list))
        .route("/admin/jobs/{id}/retry", post(jobs::retry))
        .route("/admin/retention", get(privacy::show))
        .route("/admin/retention/purge", post(privacy::purge))
        .route("/admin/persons", get(privacy::person_form))
        .route("/admin/persons/{id}", get(privacy::person))
        .route("/admin/persons/{id}/{file}", get(privacy::export))
        .route(
            "/admin/programmes/{code}/retention",
            post(programmes::set_retention),
        )
        .route("/exports", post(exports::create))
        .route("/exports/new", get(exports::new_form))
        .route("/exports/deidentified", post(deidentified::create))
        .route("/exports/deidentified/new", get(deidentified::new_form))
        .route("/downloads", get(exports::list))
        .route("/downloads/{id}", get(exports::download))
        .route("/duplicates", get(duplicates::queue))
        .route("/duplicates/merges", get(duplicates::history))
        .route("/duplicates/merges/{id}/undo", post(duplicates::undo))
        .route("/duplicates/{a}/{b}", get(duplicates::compare))
        .route("/duplicates/{a}/{b}/merge", post(duplicates::merge))
        .route(
            "/duplicates/{a}/{b}/not-duplicates",
            post(duplicates::not_duplicates),
        )
        .route("/cases/{id}/duplicates", get(duplicates::case_notice))
        .route(
            "/persons/import",
            get(import::form)
                .post(import::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    import::MAX_UPLOAD + 64 * 1024,
                )),
        )
        .route("/persons/import/{id}", get(import::status))
        .route("/persons/import/{id}/report", get(import::report))
}

/// A navigation entry.
pub struct NavItem {
    pub href: &'static str,
    pub label: String,
    pub current: bool,
}

/// What the page frame needs: language, user, CSRF token, navigation.
pub struct Layout {
    pub t: Tr,
    pub title: String,
    pub user_name: Option<String>,
    pub user_role: Option<String>,
    pub csrf: String,
    pub nav: Vec<NavItem>,
    pub other_lang: &'static str,
    pub other_lang_label: String,
    /// Where the language switch comes back to.
    pub here: String,
    /// Whether the header shows the search box (docs/adr/0031).
    pub may_search: bool,
}

impl Layout {
    /// The frame for a page titled by the translation `title_key`, with `current` highlighted.
    pub fn new(ctx: &Ctx, title: String, current: &str) -> Layout {
        let t = ctx.tr();
        let mut nav = Vec::new();
        if let Some(a) = &ctx.auth {
            let r = a.actor.role;
            nav.push(("/", "nav-dashboard", true));
            nav.push(("/cases", "nav-cases", r.can(Resource::Case, Action::Read)));
            nav.push((
                "/cases/new",
                "nav-new-case",
                r.can(Resource::Case, Action::Create),
            ));
            nav.push((
                "/admin/users",
                "nav-users",
                r.can(Resource::User, Action::Manage),
            ));
            nav.push((
                "/admin/programmes",
                "nav-programmes",
                r.can(Resource::Programme, Action::Manage),
            ));
            nav.push(("/tasks", "nav-tasks", r.can(Resource::Case, Action::Read)));
            nav.push((
                "/persons/import",
                "nav-import",
                homeward_domain::import::may_import(r),
            ));
            nav.push((
                "/duplicates",
                "nav-duplicates",
                homeward_domain::merge::may_review(r),
            ));
            nav.push((
                "/manifests",
                "nav-manifests",
                r.can(Resource::Travel, Action::Read),
            ));
            nav.push((
                "/reports/donor",
                "nav-reports",
                homeward_domain::report::may_read(r),
            ));
            nav.push((
                "/vendors",
                "nav-vendors",
                matches!(
                    r,
                    homeward_domain::Role::MissionOfficer
                        | homeward_domain::Role::Finance
                        | homeward_domain::Role::Supervisor
                ),
            ));
            nav.push(("/inbox", "nav-inbox", true));
            nav.push((
                "/exports/deidentified/new",
                "nav-deidentified",
                homeward_domain::deidentify::may_export(r),
            ));
            nav.push((
                "/downloads",
                "nav-downloads",
                homeward_exports::may_export(r) || homeward_domain::deidentify::may_export(r),
            ));
            nav.push(("/eligibility", "nav-eligibility", true));
            nav.push((
                "/admin/jobs",
                "nav-jobs",
                r.can(Resource::Programme, Action::Manage),
            ));
            nav.push((
                "/admin/retention",
                "nav-retention",
                r.can(Resource::Programme, Action::Manage),
            ));
            nav.push((
                "/admin/persons",
                "nav-subject-access",
                r.can(Resource::Programme, Action::Manage),
            ));
            nav.push(("/audit", "nav-audit", r.can(Resource::Audit, Action::Read)));
            nav.push(("/api/docs/", "nav-api", true));
            nav.push(("/account/two-factor", "nav-two-factor", true));
            nav.push(("/account/password", "nav-password", true));
            nav.push(("/account/tokens", "nav-tokens", true));
        }
        let other = match ctx.lang {
            crate::i18n::Lang::En => crate::i18n::Lang::Fr,
            crate::i18n::Lang::Fr => crate::i18n::Lang::En,
        };
        Layout {
            t,
            title,
            user_name: ctx.auth.as_ref().map(|a| a.user.name.clone()),
            user_role: ctx.auth.as_ref().map(|a| t.role(&a.user.role)),
            csrf: ctx
                .auth
                .as_ref()
                .and_then(|a| a.session.as_ref())
                .map(|s| s.csrf_token.clone())
                .unwrap_or_default(),
            nav: nav
                .into_iter()
                .filter(|(_, _, ok)| *ok)
                .map(|(href, key, _)| NavItem {
                    href,
                    label: t.t(key),
                    current: href == current,
                })
                .collect(),
            other_lang: other.code(),
            other_lang_label: Tr::new(other).t("language-name"),
            here: ctx.here.clone(),
            may_search: ctx
                .auth
                .as_ref()
                .is_some_and(|a| search::may_search(a.actor.role)),
        }
    }
}

/// Renders a template into a response.
pub fn render<T: Template>(status: StatusCode, page: T) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "template error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    heading: String,
    message: String,
}

/// A translated error page.
pub fn error_page(ctx: &Ctx, status: StatusCode, key: &str) -> Response {
    let t = ctx.tr();
    let l = Layout::new(ctx, t.t(&format!("page-error-{key}")), "");
    render(
        status,
        ErrorPage {
            heading: t.t(&format!("page-error-{key}")),
            message: t.t(&format!("page-error-{key}-text")),
            l,
        },
    )
}

/// Maps a store error that a page cannot handle itself to an error page.
pub fn store_error(ctx: &Ctx, e: StoreError) -> Response {
    match e {
        StoreError::NotFound => error_page(ctx, StatusCode::NOT_FOUND, "not-found"),
        StoreError::Forbidden => error_page(ctx, StatusCode::FORBIDDEN, "forbidden"),
        StoreError::Conflict => error_page(ctx, StatusCode::CONFLICT, "conflict"),
        other => {
            tracing::error!(error = %other, "page failed");
            error_page(ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// The form to show again after a refused change: what the user typed, the
/// messages by their fields and the status to answer with. `None` when the
/// error is not about the input (not found, forbidden, database down).
pub fn refilled(
    t: &Tr,
    values: HashMap<String, String>,
    e: &StoreError,
    prefix: &str,
) -> Option<(FormState, StatusCode)> {
    let mut f = FormState::with(values);
    let status = match e {
        StoreError::Invalid(inv) => {
            f.add_invalid(t, inv, prefix);
            f.general = Some(t.t("form-has-errors"));
            StatusCode::UNPROCESSABLE_ENTITY
        }
        StoreError::Duplicate(field) => {
            f.errors.insert(field.to_string(), t.error("duplicate"));
            f.general = Some(t.t("form-has-errors"));
            StatusCode::CONFLICT
        }
        StoreError::Conflict => {
            f.general = Some(t.error("conflict"));
            StatusCode::CONFLICT
        }
        StoreError::Transition(homeward_domain::TransitionError::Blocked(bs)) => {
            f.general = Some(t.t("not-ready"));
            for (i, b) in bs.iter().enumerate() {
                let msg = t.error(&format!("blocker-{}", b.code));
                let line = if b.traveller.is_empty() {
                    msg
                } else {
                    format!("{}: {msg}", b.traveller)
                };
                f.errors.insert(format!("blocker-{i:02}"), line);
            }
            StatusCode::UNPROCESSABLE_ENTITY
        }
        StoreError::Transition(te) => {
            let api = crate::error::transition_error(te);
            match &api.invalid {
                Some(inv) => {
                    f.add_invalid(t, inv, prefix);
                    f.general = Some(t.t("form-has-errors"));
                }
                None => f.general = Some(t.error(api.code)),
            }
            api.status
        }
        _ => return None,
    };
    Some((f, status))
}

/// Refuses a page to a role that may not use it.
pub fn require(auth: &Auth, ctx: &Ctx, resource: Resource, action: Action) -> Result<(), Response> {
    if auth.actor.role.can(resource, action) {
        Ok(())
    } else {
        Err(error_page(ctx, StatusCode::FORBIDDEN, "forbidden"))
    }
}

/// A urlencoded form as a map (last value wins). Never fails on unknown or
/// missing fields; a body that is not a form gets a 400 page.
pub struct PageForm(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequest<S> for PageForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = req.extensions().get::<Ctx>().cloned();
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(pairs)) => Ok(PageForm(pairs.into_iter().collect())),
            Err(rej) => {
                let status = rej.status();
                Err(match ctx {
                    Some(c) => error_page(&c, status, "bad-request"),
                    None => (status, "bad request").into_response(),
                })
            }
        }
    }
}

/// Splits a comma, semicolon or space separated list.
pub fn split_list(s: Option<&String>) -> Vec<String> {
    s.map(|s| {
        s.split([',', ';', ' ', '\n'])
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(str::to_string)
            .collect()
    })
    .unwrap_or_default()
}

/// Parses a form's person fields (optionally under a prefix).
pub fn person_input(f: &HashMap<String, String>) -> homeward_domain::person::PersonInput {
    let s = |k: &str| f.get(k).cloned();
    let b = |k: &str| matches!(f.get(k).map(String::as_str), Some("on" | "true" | "1"));
    homeward_domain::person::PersonInput {
        given_names: s("given_names"),
        family_name: s("family_name"),
        original_script_name: s("original_script_name"),
        aliases: f
            .get("aliases")
            .map(|a| {
                a.split([';', '\n'])
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default(),
        sex: s("sex"),
        date_of_birth: s("date_of_birth"),
        date_of_birth_approximate: b("date_of_birth_approximate"),
        nationalities: split_list(f.get("nationalities")),
        preferred_languages: split_list(f.get("preferred_languages")),
        interpreter_needed: b("interpreter_needed"),
        phone: s("phone"),
        email: s("email"),
        address: s("address"),
        uci: s("uci"),
        cbsa_client_id: s("cbsa_client_id"),
        passport_number: s("passport_number"),
    }
}

/// Parses a form's referral facts (fields named `referral.<fact>`); `None`
/// when the form has none of them.
pub fn referral_input(
    f: &HashMap<String, String>,
) -> Option<homeward_domain::referral::ReferralInput> {
    if !f.keys().any(|k| k.starts_with("referral.")) {
        return None;
    }
    let s = |k: &str| f.get(&format!("referral.{k}")).cloned();
    let tri = |k: &str| match f.get(&format!("referral.{k}")).map(String::as_str) {
        Some("yes") => Some(true),
        Some("no") => Some(false),
        _ => None,
    };
    Some(homeward_domain::referral::ReferralInput {
        claim_filed_on: s("claim_filed_on"),
        claim_outcome: s("claim_outcome"),
        irb_decided_on: s("irb_decided_on"),
        designated_country_of_origin: tri("designated_country_of_origin"),
        federal_court_leave_filed_on: s("federal_court_leave_filed_on"),
        prra_applied_on: s("prra_applied_on"),
        prra_decided_on: s("prra_decided_on"),
        removal_order: tri("removal_order"),
        compliant_with_conditions: tri("compliant_with_conditions"),
        criminality: s("criminality"),
        residence_region: s("residence_region"),
        prior_avrr_assistance: tri("prior_avrr_assistance"),
    })
}

/// The form values that show referral facts.
pub fn referral_values(r: &homeward_domain::referral::ReferralInput) -> HashMap<String, String> {
    let tri = |b: Option<bool>| match b {
        Some(true) => "yes".to_string(),
        Some(false) => "no".to_string(),
        None => "unknown".to_string(),
    };
    let mut m = HashMap::new();
    let mut put = |k: &str, v: Option<String>| {
        m.insert(format!("referral.{k}"), v.unwrap_or_default());
    };
    put("claim_filed_on", r.claim_filed_on.clone());
    put("claim_outcome", r.claim_outcome.clone());
    put("irb_decided_on", r.irb_decided_on.clone());
    put(
        "designated_country_of_origin",
        Some(tri(r.designated_country_of_origin)),
    );
    put(
        "federal_court_leave_filed_on",
        r.federal_court_leave_filed_on.clone(),
    );
    put("prra_applied_on", r.prra_applied_on.clone());
    put("prra_decided_on", r.prra_decided_on.clone());
    put("removal_order", Some(tri(r.removal_order)));
    put(
        "compliant_with_conditions",
        Some(tri(r.compliant_with_conditions)),
    );
    put("criminality", r.criminality.clone());
    put("residence_region", r.residence_region.clone());
    put("prior_avrr_assistance", Some(tri(r.prior_avrr_assistance)));
    m
}

/// The choices of the referral form: outcomes, criminality, yes/no/unknown.
pub struct ReferralChoices {
    pub outcomes: Vec<(String, String)>,
    pub criminality: Vec<(String, String)>,
    pub tristate: Vec<(String, String)>,
}

impl ReferralChoices {
    /// The choices, translated.
    pub fn new(t: &Tr) -> ReferralChoices {
        let opts = |group: &str, vals: &[&str]| -> Vec<(String, String)> {
            vals.iter()
                .map(|v| (v.to_string(), t.choice(group, v)))
                .collect()
        };
        ReferralChoices {
            outcomes: opts("outcome", &homeward_domain::referral::OUTCOMES),
            criminality: opts("criminality", &homeward_domain::referral::CRIMINALITY),
            tristate: opts("tristate", &["unknown", "yes", "no"]),
        }
    }
}

/// The form values that show a person (for an edit form).
pub fn person_values(p: &homeward_domain::person::PersonInput) -> HashMap<String, String> {
    let mut m = HashMap::new();
    let mut put = |k: &str, v: Option<String>| {
        if let Some(v) = v {
            m.insert(k.to_string(), v);
        }
    };
    put("given_names", p.given_names.clone());
    put("family_name", p.family_name.clone());
    put("original_script_name", p.original_script_name.clone());
    put("aliases", Some(p.aliases.join("; ")));
    put("sex", p.sex.clone());
    put("date_of_birth", p.date_of_birth.clone());
    put(
        "date_of_birth_approximate",
        p.date_of_birth_approximate.then(|| "on".to_string()),
    );
    put("nationalities", Some(p.nationalities.join(", ")));
    put(
        "preferred_languages",
        Some(p.preferred_languages.join(", ")),
    );
    put(
        "interpreter_needed",
        p.interpreter_needed.then(|| "on".to_string()),
    );
    put("phone", p.phone.clone());
    put("email", p.email.clone());
    put("address", p.address.clone());
    put("uci", p.uci.clone());
    put("cbsa_client_id", p.cbsa_client_id.clone());
    put("passport_number", p.passport_number.clone());
    m
}

/// Options for the sex select.
pub fn sex_options(t: &Tr) -> Vec<(String, String)> {
    homeward_domain::person::SEXES
        .iter()
        .map(|s| (s.to_string(), t.choice("sex", s)))
        .collect()
}

/// A blank form.
pub fn blank() -> FormState {
    FormState::default()
}
