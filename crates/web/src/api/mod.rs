//! The JSON API under `/api/v1`, its OpenAPI document and interactive docs.
//! Every endpoint needs a signed-in staff user (bearer token, or a session
//! cookie with the CSRF header for changes); the store applies role and record
//! scope, so the API can never show more than the pages.

pub mod before_departure;
pub mod cases;
pub mod dashboard;
pub mod deidentified;
pub mod duplicates;
pub mod eligibility;
pub mod exports;
pub mod extract;
pub mod import;
pub mod misc;
pub mod persons;
pub mod programmes;
pub mod reintegration;
pub mod reports;
pub mod schema;
pub mod search;
pub mod tokens;
pub mod travel;
pub mod users;

use crate::AppState;
use axum::routing::get;
use axum::Router;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// The OpenAPI description of the API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Homeward API", version = "1", description = "Case management for Assisted Voluntary Return and Reintegration. [Back to Homeward](/)"),
    paths(
        misc::me, misc::programmes, misc::audit, misc::tasks, eligibility::evaluate,
        persons::list, persons::create, persons::get, persons::update,
        cases::list, cases::create, cases::get, cases::update, cases::timeline, cases::transition, cases::add_member,
        before_departure::get_referral, before_departure::put_referral, before_departure::get_evaluation,
        before_departure::list_sessions, before_departure::add_session, before_departure::list_consents,
        before_departure::give_consent, before_departure::withdraw_consent, before_departure::list_attachments,
        before_departure::upload, before_departure::download,
        before_departure::list_documents, before_departure::add_document, before_departure::update_document, before_departure::list_vulnerabilities,
        before_departure::add_vulnerability, before_departure::list_fitness, before_departure::add_fitness,
        travel::list, travel::book, travel::get, travel::change, travel::confirm, travel::manifests,
        travel::list_letters, travel::make_letter, travel::download_letter, travel::inbox, travel::mark_read,
        travel::airports,
        reintegration::get_arrival, reintegration::confirm_arrival, reintegration::get_plan,
        reintegration::add_component, reintegration::approve_plan, reintegration::ledger,
        reintegration::list_purchases, reintegration::request_purchase, reintegration::get_purchase,
        reintegration::purchase_queue,
        reintegration::decide, reintegration::pay, reintegration::receipt, reintegration::list_vendors,
        reintegration::create_vendor, reintegration::set_vendor_active, reintegration::list_followups,
        reintegration::record_followup, reintegration::questionnaire, reintegration::list_surveys,
        reintegration::record_survey, reintegration::closures, reintegration::close, reintegration::reopen,
        exports::create, exports::get, exports::file, deidentified::create,
        import::create, import::get, import::report,
        reports::donor,
        dashboard::get,
        duplicates::list, duplicates::merge, duplicates::not_duplicates, duplicates::history, duplicates::undo,
        search::search,
        tokens::list, tokens::revoke,
        programmes::get, programmes::create, programmes::update, programmes::in_force, programmes::versions,
        programmes::version, programmes::add, programmes::preview,
        users::list, users::create, users::get, users::set_role, users::set_programmes, users::set_active,
        users::reset_two_factor,
    ),
    components(schemas(
        crate::error::Problem, crate::error::ProblemField,
        homeward_domain::person::PersonInput,
        homeward_store::cases::CaseInput, homeward_store::cases::CaseUpdate, homeward_store::cases::CaseSummary,
        homeward_store::cases::CaseDetail, homeward_store::cases::Member, homeward_store::cases::TimelineEntry,
        homeward_store::search::Results, homeward_store::search::PersonHit, homeward_store::search::CaseHit,
        homeward_store::search::CaseRef, homeward_store::search::MatchedField, homeward_domain::search::Segment,
        homeward_store::persons::Person, homeward_store::persons::Contact, homeward_store::programmes::Programme,
        homeward_domain::programme::ProgrammeInput, homeward_domain::programme::AuthorityInput, homeward_domain::programme::Authority,
        homeward_store::programmes::rules::RuleVersion, homeward_domain::eligibility::RuleSet,
        homeward_domain::eligibility::Tiers, homeward_domain::eligibility::Transitional, homeward_store::programmes::rules::Change, programmes::Preview,
        users::NewUserBody, users::RoleBody, users::ProgrammesBody, users::ActiveBody,
        homeward_store::audit::AuditRow, homeward_store::users::User,
        homeward_domain::eligibility::EvaluationInput, homeward_domain::eligibility::ClaimFacts,
        homeward_domain::eligibility::ClaimOutcome, homeward_domain::eligibility::Criminality, homeward_domain::eligibility::Outcome,
        eligibility::EvaluationAnswer, eligibility::RuleAnswer, eligibility::EntitlementAnswer,
        homeward_domain::referral::ReferralInput, homeward_domain::referral::ReferralFacts,
        homeward_store::referrals::Referral, homeward_store::referrals::StoredEvaluation,
        homeward_store::counselling::Session, homeward_store::counselling::SessionInput,
        homeward_store::consents::Consent, homeward_store::attachments::Attachment,
        homeward_store::tasks::Task,
        homeward_store::readiness::Document, homeward_store::readiness::DocumentInput,
        homeward_store::readiness::Vulnerability, homeward_store::readiness::VulnerabilityInput,
        homeward_store::readiness::FitnessCheck, homeward_store::readiness::FitnessInput,
        before_departure::ReferralUpdate, before_departure::ConsentBody, before_departure::WithdrawBody,
        homeward_store::travel::Itinerary, homeward_store::travel::ItineraryInput, homeward_store::travel::SegmentForm,
        homeward_store::travel::TravellerForm, homeward_store::travel::Segment, homeward_store::travel::Traveller,
        homeward_store::travel::Event, homeward_store::travel::ManifestFlight, homeward_store::travel::ManifestTraveller,
        homeward_store::departures::DepartureInput, homeward_store::letters::Letter, homeward_store::notifications::Notification,
        travel::ChangeBody, travel::LetterBody, travel::AirportAnswer,
        cases::CasePage, cases::TransitionBody, cases::MemberBody, persons::PersonPage, persons::PersonUpdate, misc::AuditPage,
        homeward_store::plans::Arrival, homeward_store::plans::Plan, homeward_store::plans::Component,
        homeward_store::purchases::Purchase, homeward_store::purchases::Queued, homeward_store::vendors::Vendor, homeward_store::followups::FollowUp,
        homeward_store::surveys::Survey, homeward_store::closure::Closure,
        reintegration::Amount, reintegration::LocalAnswer, reintegration::LedgerAnswer, reintegration::ApprovalBody,
        reintegration::DecisionBody, reintegration::ActiveBody, reintegration::FollowUpBody, reintegration::SurveyBody,
        reintegration::CloseBody, reintegration::ReopenBody, reintegration::PaymentForm,
        homeward_domain::reintegration::ArrivalInput, homeward_domain::reintegration::PlanComponentInput,
        homeward_domain::reintegration::PurchaseRequestInput, homeward_domain::reintegration::VendorInput,
        before_departure::AttachmentForm, import::ImportForm,
        homeward_store::import::jobs::PersonImport,
        homeward_store::exports::Export, homeward_store::exports::ExportRequest, homeward_store::exports::ExportFilter,
        homeward_store::deidentified::DeidentifiedRequest, homeward_domain::deidentify::Spec,
        homeward_domain::deidentify::Unit, homeward_domain::deidentify::Dimension, homeward_domain::deidentify::PeriodSpec,
        homeward_domain::report::DonorReport, homeward_domain::report::Period, homeward_domain::report::CountryLine,
        homeward_domain::report::CostLine, homeward_domain::report::StatusLine, homeward_domain::report::RssLine,
        homeward_domain::dashboard::Dashboard, homeward_domain::dashboard::DashboardFilter, homeward_domain::dashboard::Panel,
        homeward_domain::dashboard::CountLine, homeward_domain::dashboard::DeparturesPanel, homeward_domain::dashboard::DaysPanel,
        duplicates::CandidatePage, duplicates::MergePage, duplicates::MergeBody,
        homeward_store::duplicates::QueueItem, homeward_store::duplicates::QueueCounts,
        homeward_store::merges::Merge, homeward_store::merges::Moved, homeward_store::merges::Dropped,
        homeward_domain::dashboard::TierLine, homeward_domain::dashboard::SpendLine, homeward_domain::dashboard::RssPanel,
        homeward_store::tokens::TokenInfo,
    )),
    modifiers(&BearerAuth, &ProblemResponses),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}

/// Every operation may answer with a problem document (RFC 9457) for the
/// errors every handler shares: documented once here rather than on each
/// path, with the media type it is really sent as.
struct ProblemResponses;

/// The errors any operation may answer, with what they mean.
const SHARED_ERRORS: [(&str, &str); 10] = [
    (
        "400",
        "The request is malformed (a parameter or the body cannot be read).",
    ),
    ("401", "No valid API token or session."),
    (
        "403",
        "The role may not do this, or the data is restricted.",
    ),
    (
        "404",
        "No such record, or not in the caller's record scope.",
    ),
    (
        "409",
        "The record changed since it was read, or the workflow refuses.",
    ),
    ("413", "The body is too large."),
    (
        "415",
        "The body is not JSON (or not the multipart form expected).",
    ),
    (
        "422",
        "The input failed validation; `errors` names each field.",
    ),
    ("429", "Too many attempts; try again later."),
    ("503", "The database or file storage is not available."),
];

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        const PROBLEM: &str = "application/problem+json";
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        PROBLEM,
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for item in openapi.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                for (code, response) in op.responses.responses.iter_mut() {
                    if !(code.starts_with('4') || code.starts_with('5')) {
                        continue;
                    }
                    if let RefOr::T(r) = response {
                        if let Some(c) = r.content.shift_remove("application/json") {
                            r.content.insert(PROBLEM.into(), c);
                        }
                    }
                }
                for (code, description) in SHARED_ERRORS {
                    op.responses
                        .responses
                        .entry(code.to_string())
                        .or_insert_with(|| problem(description));
                }
            }
        }
    }
}

/// The API routes, `/api/v1/openapi.json` and `/api/docs`.
pub fn routes() -> Router<AppState> {
    let v1 = Router::new()
        .route("/me", get(misc::me))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", get(users::get))
        .route("/users/{id}/role", axum::routing::put(users::set_role))
        .route(
            "/users/{id}/programmes",
            axum::routing::put(users::set_programmes),
        )
        .route("/users/{id}/active", axum::routing::put(users::set_active))
        .route(
            "/users/{id}/two-factor",
            axum::routing::delete(users::reset_two_factor),
        )
        .route("/tokens", get(tokens::list))
        .route("/tokens/{id}", axum::routing::delete(tokens::revoke))
        .route("/exports", axum::routing::post(exports::create))
        .route(
            "/exports/deidentified",
            axum::routing::post(deidentified::create),
        )
        .route("/exports/{id}", get(exports::get))
        .route("/exports/{id}/file", get(exports::file))
        .route("/reports/donor", get(reports::donor))
        .route("/dashboard", get(dashboard::get))
        .route("/duplicates", get(duplicates::list))
        .route("/duplicates/merges", get(duplicates::history))
        .route(
            "/duplicates/merges/{id}/undo",
            axum::routing::post(duplicates::undo),
        )
        .route(
            "/duplicates/{a}/{b}/merge",
            axum::routing::post(duplicates::merge),
        )
        .route(
            "/duplicates/{a}/{b}/not-duplicates",
            axum::routing::post(duplicates::not_duplicates),
        )
        .route(
            "/programmes",
            get(misc::programmes).post(programmes::create),
        )
        .route(
            "/programmes/{code}",
            get(programmes::get).patch(programmes::update),
        )
        .route("/programmes/{code}/rules", get(programmes::in_force))
        .route(
            "/programmes/{code}/rules/versions",
            get(programmes::versions).post(programmes::add),
        )
        .route(
            "/programmes/{code}/rules/versions/{version}",
            get(programmes::version),
        )
        .route(
            "/programmes/{code}/rules/preview",
            axum::routing::post(programmes::preview),
        )
        .route("/audit", get(misc::audit))
        .route(
            "/eligibility/evaluate",
            axum::routing::post(eligibility::evaluate),
        )
        .route("/search", get(search::search))
        .route("/persons", get(persons::list).post(persons::create))
        .route("/persons/{id}", get(persons::get).put(persons::update))
        .route(
            "/persons/import",
            axum::routing::post(import::create).layer(axum::extract::DefaultBodyLimit::max(
                crate::pages::import::MAX_UPLOAD + 64 * 1024,
            )),
        )
        .route("/persons/import/{id}", get(import::get))
        .route("/persons/import/{id}/report", get(import::report))
        .route("/cases", get(cases::list).post(cases::create))
        .route("/cases/{id}", get(cases::get).patch(cases::update))
        .route(
            "/cases/{id}/transitions",
            get(cases::timeline).post(cases::transition),
        )
        .route(
            "/cases/{id}/members",
            axum::routing::post(cases::add_member),
        )
        .route(
            "/cases/{id}/referral",
            get(before_departure::get_referral).put(before_departure::put_referral),
        )
        .route(
            "/cases/{id}/evaluation",
            get(before_departure::get_evaluation),
        )
        .route(
            "/cases/{id}/counselling",
            get(before_departure::list_sessions).post(before_departure::add_session),
        )
        .route(
            "/cases/{id}/consents",
            get(before_departure::list_consents).post(before_departure::give_consent),
        )
        .route(
            "/cases/{id}/consents/{cid}/withdraw",
            axum::routing::post(before_departure::withdraw_consent),
        )
        .route(
            "/cases/{id}/attachments",
            get(before_departure::list_attachments)
                .post(before_departure::upload)
                .layer(axum::extract::DefaultBodyLimit::max(
                    homeward_store::attachments::MAX_BYTES + 64 * 1024,
                )),
        )
        .route(
            "/cases/{id}/attachments/{aid}",
            get(before_departure::download),
        )
        .route(
            "/cases/{id}/documents",
            get(before_departure::list_documents).post(before_departure::add_document),
        )
        .route(
            "/cases/{id}/documents/{did}",
            axum::routing::put(before_departure::update_document),
        )
        .route(
            "/cases/{id}/vulnerabilities",
            get(before_departure::list_vulnerabilities).post(before_departure::add_vulnerability),
        )
        .route(
            "/cases/{id}/fitness",
            get(before_departure::list_fitness).post(before_departure::add_fitness),
        )
        .route("/tasks", get(misc::tasks))
        .route(
            "/cases/{id}/itineraries",
            get(travel::list).post(travel::book),
        )
        .route("/itineraries/{id}", get(travel::get))
        .route(
            "/itineraries/{id}/changes",
            axum::routing::post(travel::change),
        )
        .route(
            "/itineraries/{id}/departure",
            axum::routing::post(travel::confirm),
        )
        .route("/manifests", get(travel::manifests))
        .route(
            "/cases/{id}/letters",
            get(travel::list_letters).post(travel::make_letter),
        )
        .route("/letters/{id}", get(travel::download_letter))
        .route("/notifications", get(travel::inbox))
        .route(
            "/notifications/{id}/read",
            axum::routing::post(travel::mark_read),
        )
        .route("/airports", get(travel::airports))
        .route(
            "/cases/{id}/arrival",
            get(reintegration::get_arrival).post(reintegration::confirm_arrival),
        )
        .route("/cases/{id}/plan", get(reintegration::get_plan))
        .route(
            "/cases/{id}/plan/components",
            axum::routing::post(reintegration::add_component),
        )
        .route(
            "/cases/{id}/plan/approval",
            axum::routing::post(reintegration::approve_plan),
        )
        .route("/cases/{id}/ledger", get(reintegration::ledger))
        .route(
            "/cases/{id}/purchases",
            get(reintegration::list_purchases).post(reintegration::request_purchase),
        )
        .route("/purchases", get(reintegration::purchase_queue))
        .route("/purchases/{id}", get(reintegration::get_purchase))
        .route(
            "/purchases/{id}/decision",
            axum::routing::post(reintegration::decide),
        )
        .route(
            "/purchases/{id}/payment",
            axum::routing::post(reintegration::pay).layer(axum::extract::DefaultBodyLimit::max(
                homeward_store::attachments::MAX_BYTES + 64 * 1024,
            )),
        )
        .route("/purchases/{id}/receipt", get(reintegration::receipt))
        .route(
            "/vendors",
            get(reintegration::list_vendors).post(reintegration::create_vendor),
        )
        .route(
            "/vendors/{id}/active",
            axum::routing::post(reintegration::set_vendor_active),
        )
        .route("/cases/{id}/followups", get(reintegration::list_followups))
        .route(
            "/followups/{id}",
            axum::routing::post(reintegration::record_followup),
        )
        .route("/rss/questionnaire", get(reintegration::questionnaire))
        .route(
            "/cases/{id}/surveys",
            get(reintegration::list_surveys).post(reintegration::record_survey),
        )
        .route("/cases/{id}/closures", get(reintegration::closures))
        .route(
            "/cases/{id}/closure",
            axum::routing::post(reintegration::close),
        )
        .route(
            "/cases/{id}/reopen",
            axum::routing::post(reintegration::reopen),
        )
        .fallback(misc::not_found);
    Router::new()
        .nest("/api/v1", v1)
        .merge(SwaggerUi::new("/api/docs").url("/api/v1/openapi.json", ApiDoc::openapi()))
}

/// What client generators and validators need of the document (issue 27).
/// `scripts/api-client-check` proves it with the real tools; these catch the
/// same mistakes in `cargo test`, without Python.
#[cfg(test)]
mod document_tests {
    use super::ApiDoc;
    use serde_json::Value;
    use std::collections::{BTreeMap, BTreeSet};
    use utoipa::OpenApi;

    fn doc() -> Value {
        serde_json::to_value(ApiDoc::openapi()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                if ["get", "put", "post", "patch", "delete"].contains(&method.as_str()) {
                    ops.push((method.clone(), path.clone(), op));
                }
            }
        }
        ops
    }

    /// The schema a `$ref` names, or the schema itself.
    fn resolve<'a>(doc: &'a Value, s: &'a Value) -> &'a Value {
        match s["$ref"].as_str() {
            Some(r) => &doc["components"]["schemas"][r.rsplit('/').next().unwrap()],
            None => s,
        }
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = doc();
        let mut seen = BTreeMap::new();
        for (method, path, op) in operations(&doc) {
            let id = op["operationId"].as_str().unwrap().to_string();
            if let Some(other) = seen.insert(id.clone(), format!("{method} {path}")) {
                panic!("operationId {id} of {method} {path} is also {other}'s");
            }
        }
    }

    #[test]
    fn parameters_are_where_they_are() {
        let doc = doc();
        for (method, path, op) in operations(&doc) {
            let in_template: BTreeSet<&str> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .collect();
            let mut declared = BTreeSet::new();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                match p["in"].as_str().unwrap() {
                    "path" => {
                        assert!(
                            in_template.contains(name),
                            "{method} {path}: `{name}` is declared in the path but is not in it"
                        );
                        assert_eq!(p["required"], true, "{method} {path}: {name}");
                        declared.insert(name);
                    }
                    "query" | "header" | "cookie" => {}
                    other => panic!("{method} {path}: {name} in {other}"),
                }
            }
            assert_eq!(declared, in_template, "{method} {path}: path parameters");
        }
    }

    #[test]
    fn no_one_member_one_of() {
        fn walk(v: &Value, at: &str) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::Array(items)) = m.get("oneOf") {
                        assert!(items.len() > 1, "a one-member oneOf at {at}: {v}");
                    }
                    for (k, v) in m {
                        walk(v, &format!("{at}/{k}"));
                    }
                }
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        walk(v, &format!("{at}/{i}"));
                    }
                }
                _ => {}
            }
        }
        walk(&doc(), "");
    }

    #[test]
    fn request_bodies_are_typed_with_examples() {
        let doc = doc();
        let mut bodies = 0;
        for (method, path, op) in operations(&doc) {
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            for (media, m) in content {
                bodies += 1;
                let s = resolve(&doc, &m["schema"]);
                let at = format!("{method} {path} ({media})");
                match media.as_str() {
                    "application/json" | "multipart/form-data" => {
                        let props = s["properties"].as_object();
                        assert!(
                            props.is_some_and(|p| !p.is_empty()),
                            "{at}: the body's fields are not described: {s}"
                        );
                        if media == "application/json" {
                            assert!(
                                s["examples"].is_array() || m["example"].is_object(),
                                "{at}: no example"
                            );
                        }
                        for (name, p) in props.unwrap() {
                            if media == "multipart/form-data" {
                                let binary = p["format"] == "binary";
                                assert!(
                                    binary || p.get("example").is_some(),
                                    "{at}: form field {name} has no example"
                                );
                            }
                        }
                    }
                    "text/csv" => {
                        assert_eq!(s["type"], "string", "{at}");
                        assert_eq!(s["format"], "binary", "{at}");
                        assert!(m["example"].is_string(), "{at}: no example");
                    }
                    other => panic!("{at}: unexpected media type {other}"),
                }
            }
        }
        assert!(bodies > 30, "{bodies} request bodies");
    }

    #[test]
    fn files_are_strings_with_their_media_types() {
        let doc = doc();
        for (method, path, op) in operations(&doc) {
            for (status, r) in op["responses"].as_object().unwrap() {
                for (media, m) in r["content"].as_object().into_iter().flatten() {
                    if media.ends_with("json") {
                        continue;
                    }
                    let at = format!("{method} {path} {status} ({media})");
                    assert_eq!(m["schema"]["type"], "string", "{at}: {}", m["schema"]);
                    assert_eq!(m["schema"]["format"], "binary", "{at}");
                }
            }
        }
        let letter = &doc["paths"]["/api/v1/letters/{id}"]["get"]["responses"]["200"];
        assert!(letter["content"]["application/pdf"].is_object(), "{letter}");
    }
}
