//! Setting up a programme (issue 21): creating one, changing its settings,
//! and its rules as versioned documents (typed, pasted or uploaded as a
//! file), with a preview of the open cases a new version would change.
//!
//! Who may: administrators (`Programme`/`Manage`); everyone else is refused
//! before the form is read, and again in the store.

use crate::auth::{Ctx, PageUser};
use crate::form::FormState;
use crate::frame::{render, require, store_error, Layout, PageForm};
use crate::AppState;
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use homeward_domain::programme::{AuthorityInput, ProgrammeInput};
use homeward_domain::{Action, Invalid, Resource};
use homeward_store::programmes::rules::{self as rule_versions, Change, RuleVersion};
use homeward_store::programmes::{self, Programme};
use homeward_store::Error;
use std::collections::HashMap;

/// One located problem with a rule document, as shown under it.
pub struct DocProblem {
    /// Where, as a path in the document (`tiers.prra_pending`); empty for
    /// the document as a whole.
    pub at: String,
    pub message: String,
}

#[derive(Template)]
#[template(path = "admin_programme_new.html")]
struct NewPage {
    l: Layout,
    f: FormState,
    problems: Vec<DocProblem>,
}

#[derive(Template)]
#[template(path = "admin_programme.html")]
struct ProgrammePage {
    l: Layout,
    p: Programme,
    /// The settings form.
    f: FormState,
    versions: Vec<RuleVersion>,
    /// The new-version form.
    rf: FormState,
    problems: Vec<DocProblem>,
    /// A preview's answer: the version it would be and what it would change.
    preview: Option<(u32, String, Vec<Change>)>,
    amounts: HashMap<String, String>,
}

/// Splits "a, b; c" into its entries (lists typed in one field).
fn entries(v: Option<&String>) -> Option<Vec<String>> {
    let v = v?.trim();
    (!v.is_empty()).then(|| {
        v.split([',', ';', '\n'])
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    })
}

/// Reads the settings form; what is not a number is reported on its field.
fn input_of_form(form: &HashMap<String, String>) -> Result<ProgrammeInput, Invalid> {
    let mut inv = Invalid::default();
    let text = |k: &str| {
        form.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let mut number = |k: &str| match text(k) {
        None => None,
        Some(v) => match v.parse::<i64>() {
            Ok(n) => Some(n),
            Err(_) => {
                inv.add(k, "not-a-number");
                None
            }
        },
    };
    let contact_hours = number("contact_hours");
    let departure_target_days = number("departure_target_days");
    let returnee_access_days = number("returnee_access_days");
    let feedback_due_days = number("feedback_due_days");
    let version = number("version");
    inv.into_result()?;
    Ok(ProgrammeInput {
        code: text("programme_code"),
        name: text("name"),
        host_country: text("host_country"),
        time_zone: text("time_zone"),
        currency: text("currency"),
        referring_authority: Some(AuthorityInput::Named {
            name: text("authority_name"),
            short_name: text("authority_short_name"),
        }),
        referral_facts: entries(form.get("referral_facts")),
        opens_on: text("opens_on"),
        closes_on: text("closes_on"),
        regions: entries(form.get("regions")),
        contact_hours,
        departure_target_days,
        returnee_access_days,
        feedback_due_days,
        languages: entries(form.get("languages")),
        case_prefix: text("case_prefix"),
        letterhead: text("letterhead"),
        signatory: text("signatory"),
        rules: None,
        version,
    })
}

/// The form's values for a programme as it stands.
fn values_of(p: &Programme) -> FormState {
    let mut f = FormState::default();
    for (k, v) in [
        ("programme_code", p.code.clone()),
        ("name", p.name.clone()),
        ("host_country", p.host_country.clone()),
        ("time_zone", p.time_zone.clone()),
        ("currency", p.currency.clone()),
        ("authority_name", p.referring_authority.name.clone()),
        (
            "authority_short_name",
            p.referring_authority.short_name.clone(),
        ),
        ("referral_facts", p.referral_facts.join(", ")),
        ("opens_on", p.opens_on.to_string()),
        (
            "closes_on",
            p.closes_on.map(|d| d.to_string()).unwrap_or_default(),
        ),
        ("regions", p.regions.join(", ")),
        ("contact_hours", p.contact_hours.to_string()),
        ("departure_target_days", p.departure_target_days.to_string()),
        ("returnee_access_days", p.returnee_access_days.to_string()),
        ("feedback_due_days", p.feedback_due_days.to_string()),
        ("languages", p.languages.join(", ")),
        ("case_prefix", p.case_prefix.clone()),
        ("letterhead", p.letterhead.clone().unwrap_or_default()),
        ("signatory", p.signatory.clone().unwrap_or_default()),
        ("version", p.version.to_string()),
    ] {
        f.values.insert(k.into(), v);
    }
    f
}

/// Settings problems on their fields; the referring authority's on both
/// of its inputs. Rule document problems go to the list under it.
fn refused(
    ctx: &Ctx,
    values: HashMap<String, String>,
    e: &Error,
) -> Option<(FormState, Vec<DocProblem>, StatusCode)> {
    let t = ctx.tr();
    let (mut f, status) = crate::frame::refilled(&t, values, e, "")?;
    let mut problems = Vec::new();
    if let Error::Invalid(inv) = e {
        for x in &inv.errors {
            if let Some(at) = x.field.strip_prefix("rules") {
                f.errors.remove(&x.field);
                let mut message = t.error(&x.code);
                if let Some(d) = &x.detail {
                    message = format!("{message} ({d})");
                }
                problems.push(DocProblem {
                    at: at.trim_start_matches('.').to_string(),
                    message,
                });
            }
            if x.field == "code" {
                // The form's name: `code` labels the two-factor code.
                f.errors.remove("code");
                f.errors.insert("programme_code".into(), t.error(&x.code));
            }
            if x.field == "referring_authority" {
                f.errors.insert("authority_name".into(), t.error(&x.code));
            }
        }
        if !problems.is_empty() {
            f.errors
                .insert("document".into(), t.t("rules-have-problems"));
        }
    }
    Some((f, problems, status))
}

/// GET /admin/programmes/new.
pub async fn new_form(PageUser(auth, ctx): PageUser) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let mut f = FormState::default();
    f.values.insert("contact_hours".into(), "24".into());
    f.values.insert("departure_target_days".into(), "30".into());
    f.values.insert("returnee_access_days".into(), "365".into());
    f.values.insert("feedback_due_days".into(), "30".into());
    new_page(&ctx, f, Vec::new(), StatusCode::OK)
}

fn new_page(ctx: &Ctx, f: FormState, problems: Vec<DocProblem>, status: StatusCode) -> Response {
    let l = Layout::new(ctx, ctx.tr().t("programme-new"), "/admin/programmes");
    render(status, NewPage { l, f, problems })
}

/// POST /admin/programmes/new: the settings and, optionally, the first
/// rule document (`document`, JSON as in docs/rules.md).
pub async fn create(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let result = match (input_of_form(&form), document(form.get("document"))) {
        (Ok(input), Ok(doc)) => {
            programmes::create(&state.store, &auth.actor, &input, doc.as_ref()).await
        }
        (Err(mut a), Err(b)) => {
            a.errors.extend(b.errors);
            Err(Error::Invalid(a))
        }
        (Err(e), _) | (_, Err(e)) => Err(Error::Invalid(e)),
    };
    match result {
        Ok(p) => Redirect::to(&format!("/admin/programmes/{}/setup", p.code)).into_response(),
        Err(e) => match refused(&ctx, form, &e) {
            Some((f, problems, status)) => new_page(&ctx, f, problems, status),
            None => store_error(&ctx, e),
        },
    }
}

/// Parses a typed or uploaded rule document; empty is none.
fn document(text: Option<&String>) -> Result<Option<serde_json::Value>, Invalid> {
    let Some(text) = text.map(|s| s.trim()).filter(|s| !s.is_empty()) else {
        return Ok(None);
    };
    homeward_domain::programme::rules::read(text).map(Some)
}

#[allow(clippy::too_many_arguments)]
async fn programme_page(
    state: &AppState,
    ctx: &Ctx,
    actor: &homeward_store::Actor,
    code: &str,
    f: Option<FormState>,
    rf: Option<FormState>,
    problems: Vec<DocProblem>,
    preview: Option<(u32, String, Vec<Change>)>,
    status: StatusCode,
) -> Response {
    let p = match programmes::by_code(&state.store, code).await {
        Ok(p) => p,
        Err(e) => return store_error(ctx, e),
    };
    let versions = match rule_versions::list(&state.store, actor, code).await {
        Ok(v) => v,
        Err(e) => return store_error(ctx, e),
    };
    let t = ctx.tr();
    let mut amounts = HashMap::new();
    if let Some((_, _, changes)) = &preview {
        for c in changes {
            for a in [c.old_amount_minor, c.new_amount_minor]
                .into_iter()
                .flatten()
            {
                amounts
                    .entry(a.to_string())
                    .or_insert_with(|| t.money(a, &c.currency));
            }
        }
    }
    let rf = rf.unwrap_or_else(|| {
        // Start a new version from the one in force, to edit.
        let mut f = FormState::default();
        if let Some(last) = versions.last() {
            let mut doc = last.rules.clone();
            if let Some(o) = doc.as_object_mut() {
                o.remove("programme");
                o.remove("version");
            }
            f.values.insert(
                "document".into(),
                serde_json::to_string_pretty(&doc).unwrap_or_default(),
            );
        }
        f
    });
    let f = f.unwrap_or_else(|| values_of(&p));
    let l = Layout::new(ctx, p.name.clone(), "/admin/programmes");
    render(
        status,
        ProgrammePage {
            l,
            p,
            f,
            versions,
            rf,
            problems,
            preview,
            amounts,
        },
    )
}

/// GET /admin/programmes/{code}/setup: settings, rule versions, a new version.
pub async fn show(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(code): Path<String>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    programme_page(
        &state,
        &ctx,
        &auth.actor,
        &code,
        None,
        None,
        Vec::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// POST /admin/programmes/{code}/setup: changes the settings.
pub async fn update(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(code): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let result = match input_of_form(&form) {
        Ok(input) => {
            let version = input.version.unwrap_or(-1);
            programmes::update(&state.store, &auth.actor, &code, &input, version).await
        }
        Err(inv) => Err(Error::Invalid(inv)),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/admin/programmes/{code}/setup")).into_response(),
        Err(e) => match refused(&ctx, form, &e) {
            Some((f, _, status)) => {
                programme_page(
                    &state,
                    &ctx,
                    &auth.actor,
                    &code,
                    Some(f),
                    None,
                    Vec::new(),
                    None,
                    status,
                )
                .await
            }
            None => store_error(&ctx, e),
        },
    }
}

/// POST /admin/programmes/{code}/rules (multipart; the CSRF token rides in
/// the query): a rule document typed in `document` or uploaded as `file`
/// (the file wins), then `action` `preview` (nothing written) or `add`.
pub async fn rules(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(code): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Programme, Action::Manage) {
        return r;
    }
    let max = homeward_domain::programme::rules::MAX_DOCUMENT_BYTES;
    let read = match multipart {
        Ok(m) => crate::uploads::read_multipart_limited(m, "file", max, max).await,
        Err(_) => Err(("bad-request", StatusCode::BAD_REQUEST)),
    };
    let (mut fields, file) = match read {
        Ok(x) => x,
        Err((code_, status)) => {
            let t = ctx.tr();
            let problems = vec![DocProblem {
                at: String::new(),
                message: t.error(code_),
            }];
            return programme_page(
                &state,
                &ctx,
                &auth.actor,
                &code,
                None,
                None,
                problems,
                None,
                status,
            )
            .await;
        }
    };
    if let Some((_, bytes)) = file.filter(|(_, b)| !b.is_empty()) {
        match String::from_utf8(bytes) {
            Ok(text) => {
                fields.insert("document".into(), text);
            }
            Err(_) => {
                let problems = vec![DocProblem {
                    at: String::new(),
                    message: ctx.tr().error("not-text"),
                }];
                let rf = FormState::with(fields);
                return programme_page(
                    &state,
                    &ctx,
                    &auth.actor,
                    &code,
                    None,
                    Some(rf),
                    problems,
                    None,
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
        }
    }
    let previewing = fields.get("action").map(String::as_str) == Some("preview");
    let doc = match document(fields.get("document")) {
        Ok(Some(d)) => Ok(d),
        Ok(None) => Err(Error::invalid("rules", "required")),
        Err(inv) => Err(Error::Invalid(inv)),
    };
    let result = match doc {
        Ok(d) if previewing => rule_versions::preview(&state.store, &auth.actor, &code, &d)
            .await
            .map(|(rs, changes)| Some((rs.version, rs.effective_from.to_string(), changes))),
        Ok(d) => rule_versions::add(&state.store, &auth.actor, &code, &d)
            .await
            .map(|_| None),
        Err(e) => Err(e),
    };
    match result {
        Ok(None) => Redirect::to(&format!("/admin/programmes/{code}/setup#rules")).into_response(),
        Ok(Some(preview)) => {
            let rf = FormState::with(fields);
            programme_page(
                &state,
                &ctx,
                &auth.actor,
                &code,
                None,
                Some(rf),
                Vec::new(),
                Some(preview),
                StatusCode::OK,
            )
            .await
        }
        Err(e) => match refused(&ctx, fields, &e) {
            Some((rf, problems, status)) => {
                programme_page(
                    &state,
                    &ctx,
                    &auth.actor,
                    &code,
                    None,
                    Some(rf),
                    problems,
                    None,
                    status,
                )
                .await
            }
            None => store_error(&ctx, e),
        },
    }
}
