//! Server-rendered pages. Each handler states who may use it; the store's
//! use cases enforce it again, so a page can never show more than the API.

pub mod account;
pub mod admin;
pub mod audit;
pub mod before_departure;
pub mod break_glass;
pub mod case_page;
pub mod cases;
pub mod dashboard;
pub mod deidentified;
pub mod document_edit;
pub mod duplicates;
pub mod eligibility;
pub mod exports;
pub mod feedback;
pub mod fields;
pub mod import;
pub mod jobs;
pub mod login;
pub mod monitoring;
pub mod persons;
pub mod privacy;
pub mod programme_setup;
pub mod programmes;
pub mod purchase_queue;
pub mod reintegration;
pub mod reports;
pub mod returnee;
pub mod returnee_access;
pub mod search;
pub mod tasks;
pub mod tokens;
pub mod travel;
pub mod two_factor;
pub mod vendors;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;

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
        .route(
            "/admin/users/{id}/programmes",
            get(admin::programmes_form).post(admin::set_programmes),
        )
        .route("/admin/programmes", get(programmes::list))
        .route(
            "/admin/programmes/new",
            get(programme_setup::new_form).post(programme_setup::create),
        )
        .route(
            "/admin/programmes/{code}/setup",
            get(programme_setup::show).post(programme_setup::update),
        )
        .route(
            "/admin/programmes/{code}/rules",
            axum::routing::post(programme_setup::rules),
        )
        .route(
            "/admin/programmes/{code}/followups",
            post(programmes::set_followups),
        )
        .route(
            "/admin/programmes/{code}/target",
            post(programmes::set_target),
        )
        .route("/audit", get(audit::list))
        .route("/audit/break-glass", get(break_glass::log))
        .route("/my", get(returnee::show).post(returnee::open))
        .route("/my/consents/{id}/withdraw", post(returnee::withdraw))
        .route("/my/sign-out", post(returnee::sign_out))
        .route("/my/feedback", post(returnee::send_feedback))
        .route("/my/consents/{id}/receipt.pdf", get(returnee::receipt))
        .route("/my/data.json", get(returnee::data_json))
        .route("/my/data.pdf", get(returnee::data_pdf))
        .route("/feedback", get(feedback::register))
        .route("/purchases", get(purchase_queue::list))
        .route("/feedback/{id}", get(feedback::show).post(feedback::answer))
        .route("/cases/{id}/feedback/new", get(feedback::new_form))
        .route("/cases/{id}/feedback", post(feedback::record))
        .route(
            "/cases/{id}/appointments",
            post(before_departure::set_appointment),
        )
        .route(
            "/cases/{id}/appointments/{aid}/cancel",
            post(before_departure::cancel_appointment),
        )
        .route("/cases/{id}/returnee-access", post(returnee_access::issue))
        .route(
            "/cases/{id}/returnee-access/{aid}/revoke",
            post(returnee_access::revoke),
        )
        .route(
            "/cases/break-glass",
            get(break_glass::form).post(break_glass::open),
        )
        .route("/tasks", get(tasks::list))
        .route(
            "/cases/{id}/referral",
            get(before_departure::referral_form).post(before_departure::referral_save),
        )
        .route(
            "/cases/{id}/counselling",
            post(before_departure::add_session),
        )
        .route("/cases/{id}/consents", post(before_departure::give_consent))
        .route(
            "/cases/{id}/consents/{cid}/receipt.pdf",
            get(before_departure::consent_receipt),
        )
        .route(
            "/cases/{id}/documents",
            post(before_departure::add_document),
        )
        .route("/cases/{id}/documents/{did}", post(document_edit::save))
        .route("/cases/{id}/documents/{did}/edit", get(document_edit::form))
        .route(
            "/cases/{id}/vulnerabilities",
            post(before_departure::add_vulnerability),
        )
        .route("/cases/{id}/fitness", post(before_departure::add_fitness))
        .route(
            "/cases/{id}/consents/{cid}/withdraw",
            post(before_departure::withdraw_consent),
        )
        .route(
            "/cases/{id}/attachments",
            post(before_departure::upload).layer(axum::extract::DefaultBodyLimit::max(
                homeward_store::attachments::MAX_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/cases/{id}/attachments/{aid}",
            get(before_departure::download),
        )
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
