//! The returnee's own page (issue 22), at `/my`, without a staff account:
//! the person types their code and date of birth, and sees where their case
//! stands and their consents, each of which they may withdraw. Anyone may
//! reach the sign-in form; the page shows only the person's own case, and
//! nothing of staff. One answer for every failed sign-in; every response
//! is `no-store`. The rules and the record: `homeward_store::returnee_access`.

use crate::auth::cookie;
use crate::frame::PageForm;
use crate::reauth::ClientAddress;
use crate::returnee_i18n::{languages, Rt};
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::cookie::{CookieJar, SameSite};
use homeward_domain::returnee_access::{step, STEPS};
use homeward_domain::CaseStatus;
use homeward_store::returnee_access::{self, Opened, Returnee};
use std::collections::HashMap;

/// The page's cookie: its own, scoped to `/my`.
const COOKIE: &str = "homeward_my";

/// One consent as the person reads it.
struct MyConsent {
    id: String,
    purpose: String,
    what: String,
    given: String,
    withdrawn: Option<String>,
}

/// One question or complaint as the person reads it.
struct MyMessage {
    kind: String,
    body: String,
    sent: String,
    answer: Option<(String, String)>,
    waiting: String,
}

/// The question-or-complaint form: what was typed and what is wrong.
#[derive(Default)]
struct MessageForm {
    kind: String,
    body: String,
    kind_error: Option<String>,
    body_error: Option<String>,
}

/// The signed-in part of the page.
struct MyCase {
    name: String,
    case_number: String,
    programme: String,
    step: Option<usize>,
    consents: Vec<MyConsent>,
    /// What comes next, in sentences.
    next: Vec<String>,
    /// Each flight: (title, leaves, arrives).
    flights: Vec<(String, String, String)>,
    /// (label, amount) once support is approved.
    support: Option<Vec<(String, String)>>,
    messages: Vec<MyMessage>,
    message_form: MessageForm,
    answer_days: i64,
    csrf: String,
}

#[derive(Template)]
#[template(path = "my.html")]
struct MyPage {
    t: Rt,
    lang: String,
    languages: Vec<(String, String)>,
    steps: Vec<String>,
    page: Option<MyCase>,
    error: Option<String>,
    notice: Option<String>,
    typed_code: String,
    typed_dob: String,
}

/// The language asked for (`lang`), else the browser's first one we have.
fn language(asked: Option<&String>, headers: &HeaderMap, person: &[String]) -> Rt {
    let mut prefs: Vec<String> = asked.into_iter().cloned().collect();
    prefs.extend(person.iter().cloned());
    if let Some(h) = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    {
        prefs.extend(
            h.split(',')
                .map(|p| p.split(';').next().unwrap_or("").to_string()),
        );
    }
    Rt::for_preferences(&prefs)
}

fn page(
    t: Rt,
    status: StatusCode,
    page: Option<MyCase>,
    error: Option<String>,
    notice: Option<String>,
    typed: (String, String),
) -> Response {
    let languages = languages()
        .into_iter()
        .map(|code| {
            let name = Rt::for_preferences(std::slice::from_ref(&code)).t("language-name");
            (code, name)
        })
        .collect();
    let body = MyPage {
        lang: t.code(),
        steps: STEPS.iter().map(|s| format!("my-step-{s}")).collect(),
        t,
        languages,
        page,
        error,
        notice,
        typed_code: typed.0,
        typed_dob: typed.1,
    };
    match body.render() {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "returnee page failed to render");
            bare(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

/// The returnee of the request's cookie, if the page is open.
async fn who(state: &AppState, jar: &CookieJar) -> Result<Option<Returnee>, homeward_store::Error> {
    match jar.get(COOKIE) {
        Some(c) => returnee_access::returnee(&state.store, c.value()).await,
        None => Ok(None),
    }
}

/// What the person's page shows of their case.
async fn my_case(state: &AppState, t: &Rt, r: &Returnee) -> Result<MyCase, homeward_store::Error> {
    let s = returnee_access::summary(&state.store, r).await?;
    let authority = s.authority.clone();
    let consents = returnee_access::consents(&state.store, r)
        .await?
        .into_iter()
        .map(|k| MyConsent {
            id: k.id.to_string(),
            what: t.ta(
                &format!("purpose-what-{}", k.purpose),
                &[("authority", authority.clone())],
            ),
            given: t.ta(
                "my-consent-given",
                &[("date", k.given_at.date_naive().to_string())],
            ),
            withdrawn: k.withdrawn_at.map(|w| {
                t.ta(
                    "my-consent-withdrawn",
                    &[("date", w.date_naive().to_string())],
                )
            }),
            purpose: k.purpose,
        })
        .collect();
    let messages = homeward_store::feedback::mine(&state.store, r)
        .await?
        .into_iter()
        .map(|m| MyMessage {
            kind: t.t(&format!("my-kind-{}", m.kind)),
            body: m.body,
            sent: t.ta(
                "my-feedback-sent-on",
                &[("date", m.received_at.date_naive().to_string())],
            ),
            answer: m.answer.map(|a| {
                let when = m.answered_at.map(|d| d.date_naive().to_string());
                (
                    t.ta("my-feedback-answer", &[("date", when.unwrap_or_default())]),
                    a,
                )
            }),
            waiting: t.ta("my-feedback-waiting", &[("date", m.due_on.to_string())]),
        })
        .collect();
    let n = homeward_store::returnee_view::next(&state.store, r).await?;
    let mut next = Vec::new();
    if let Some(due) = n.contact_due {
        next.push(t.ta("my-next-contact", &[("date", due.date_naive().to_string())]));
    }
    if let Some(a) = homeward_store::appointments::next_for(&state.store, r).await? {
        let zone = homeward_domain::programme::time_zone(&s.time_zone)
            .unwrap_or(homeward_domain::programme::DEFAULT_TIME_ZONE);
        next.push(
            t.ta(
                "my-next-meeting",
                &[
                    (
                        "time",
                        a.starts_at
                            .with_timezone(&zone)
                            .format("%Y-%m-%d %H:%M")
                            .to_string(),
                    ),
                    ("place", a.place),
                ],
            ),
        );
    }
    if let Some(d) = n.last_counselling {
        next.push(t.ta("my-next-counselling", &[("date", d.to_string())]));
    }
    if let Some(d) = n.arrived_on {
        next.push(t.ta("my-arrived", &[("date", d.to_string())]));
    }
    if let Some(d) = n.next_followup {
        next.push(t.ta("my-next-followup", &[("date", d.to_string())]));
    }
    let flights = n
        .flights
        .into_iter()
        .map(|f| {
            (
                t.ta(
                    "my-flight",
                    &[
                        ("flight", f.flight),
                        ("from", f.from.clone()),
                        ("to", f.to.clone()),
                    ],
                ),
                t.ta(
                    "my-flight-departs",
                    &[("time", f.departs_local), ("airport", f.from)],
                ),
                t.ta(
                    "my-flight-arrives",
                    &[("time", f.arrives_local), ("airport", f.to)],
                ),
            )
        })
        .collect();
    let lang = t.code();
    let amount =
        |m: homeward_domain::money::Money| crate::i18n::money_in(m.minor, m.currency.code(), &lang);
    let support = homeward_store::returnee_view::support(&state.store, r)
        .await?
        .map(|s| {
            vec![
                (t.t("my-support-approved"), amount(s.approved)),
                (t.t("my-support-delivered"), amount(s.delivered)),
                (t.t("my-support-committed"), amount(s.committed)),
                (t.t("my-support-remaining"), amount(s.remaining)),
            ]
        });
    Ok(MyCase {
        next,
        flights,
        support,
        messages,
        message_form: MessageForm::default(),
        answer_days: s.feedback_due_days,
        name: s.name,
        case_number: s.case_number,
        programme: s.programme,
        step: CaseStatus::parse(&s.status).and_then(step),
        consents,
        csrf: r.csrf_token.clone(),
    })
}

/// An empty answer with `status`, uncached like every answer of the page.
fn bare(status: StatusCode) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")]).into_response()
}

fn unavailable() -> Response {
    bare(StatusCode::SERVICE_UNAVAILABLE)
}

/// GET /my: the sign-in form, or the person's page while it is open.
pub async fn show(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let notice_key = match q.get("done").map(String::as_str) {
        Some("withdrawn") => Some("my-withdrawn-done"),
        Some("sent") => Some("my-feedback-sent"),
        _ => None,
    };
    match who(&state, &jar).await {
        Ok(Some(r)) => {
            let t = language(q.get("lang"), &headers, &[]);
            match my_case(&state, &t, &r).await {
                Ok(c) => {
                    let notice = notice_key.map(|k| t.t(k));
                    page(t, StatusCode::OK, Some(c), None, notice, Default::default())
                }
                Err(e) => {
                    tracing::error!(error = %e, "returnee page");
                    unavailable()
                }
            }
        }
        Ok(None) => page(
            language(q.get("lang"), &headers, &[]),
            StatusCode::OK,
            None,
            None,
            None,
            Default::default(),
        ),
        Err(_) => unavailable(),
    }
}

/// POST /my: opens the page for a code and date of birth.
pub async fn open(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    address: ClientAddress,
    PageForm(form): PageForm,
) -> Response {
    let t = language(form.get("lang"), &headers, &[]);
    let code = form.get("code").cloned().unwrap_or_default();
    let dob_text = form.get("date_of_birth").cloned().unwrap_or_default();
    let dob = chrono::NaiveDate::parse_from_str(dob_text.trim(), "%Y-%m-%d").ok();
    let typed = (
        code.chars().take(100).collect::<String>(),
        dob_text.chars().take(20).collect::<String>(),
    );
    match returnee_access::open(&state.store, &code, dob, address.0.as_deref()).await {
        Ok(Opened::Session(token)) => {
            let mut c = cookie(COOKIE, token, state.config.secure_cookies);
            c.set_path("/my");
            c.set_same_site(SameSite::Strict);
            let lang = t.code();
            (
                jar.add(c),
                [(header::CACHE_CONTROL, "no-store")],
                Redirect::to(&format!("/my?lang={lang}")),
            )
                .into_response()
        }
        Ok(Opened::Refused) => {
            let e = t.t("my-refused");
            page(t, StatusCode::UNAUTHORIZED, None, Some(e), None, typed)
        }
        Ok(Opened::Throttled) => {
            let e = t.t("my-throttled");
            page(t, StatusCode::TOO_MANY_REQUESTS, None, Some(e), None, typed)
        }
        Err(e) => {
            tracing::error!(error = %e, "returnee sign-in");
            unavailable()
        }
    }
}

/// The page's own CSRF check: the form's `_csrf` is the session's.
fn same_csrf(r: &Returnee, form: &HashMap<String, String>) -> bool {
    form.get(crate::csrf::FIELD)
        .is_some_and(|v| crate::csrf::same(v, &r.csrf_token))
}

/// POST /my/consents/{id}/withdraw: the person withdraws their own consent.
pub async fn withdraw(
    State(state): State<AppState>,
    jar: CookieJar,
    Path(id): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let lang = form
        .get("lang")
        .map(|l| {
            l.chars()
                .filter(char::is_ascii_alphabetic)
                .take(8)
                .collect::<String>()
        })
        .unwrap_or_default();
    let r = match who(&state, &jar).await {
        Ok(Some(r)) => r,
        Ok(None) => return Redirect::to("/my").into_response(),
        Err(_) => return unavailable(),
    };
    if !same_csrf(&r, &form) {
        return bare(StatusCode::FORBIDDEN);
    }
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return bare(StatusCode::NOT_FOUND);
    };
    match returnee_access::withdraw_consent(&state.store, &r, id).await {
        Ok(()) => Redirect::to(&format!("/my?lang={lang}&done=withdrawn")).into_response(),
        Err(homeward_store::Error::NotFound) => bare(StatusCode::NOT_FOUND),
        Err(_) => unavailable(),
    }
}

/// POST /my/feedback: the person sends a question or complaint; on a
/// problem the page comes back with what they typed and what is wrong.
pub async fn send_feedback(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    PageForm(form): PageForm,
) -> Response {
    let t = language(form.get("lang"), &headers, &[]);
    let r = match who(&state, &jar).await {
        Ok(Some(r)) => r,
        Ok(None) => return Redirect::to("/my").into_response(),
        Err(_) => return unavailable(),
    };
    if !same_csrf(&r, &form) {
        return bare(StatusCode::FORBIDDEN);
    }
    let kind = form.get("kind").cloned().unwrap_or_default();
    let body = form.get("body").cloned().unwrap_or_default();
    match homeward_store::feedback::send(&state.store, &r, &kind, &body).await {
        Ok(_) => {
            Redirect::to(&format!("/my?lang={}&done=sent#my-feedback-h", t.code())).into_response()
        }
        Err(homeward_store::Error::Invalid(inv)) => {
            let mut c = match my_case(&state, &t, &r).await {
                Ok(c) => c,
                Err(_) => return unavailable(),
            };
            let message = |field: &str| {
                inv.for_field(field).map(|code| match (field, code) {
                    ("kind", _) => t.t("my-error-kind"),
                    (_, "too-long") => t.ta(
                        "my-error-body-long",
                        &[("max", homeward_domain::feedback::MAX_CHARS.to_string())],
                    ),
                    (_, "control-characters") => t.t("my-error-body-characters"),
                    _ => t.t("my-error-body"),
                })
            };
            c.message_form = MessageForm {
                kind_error: message("kind"),
                body_error: message("body"),
                // What was typed comes back whole, up to the page's limit.
                kind: kind.chars().take(20).collect(),
                body: body
                    .chars()
                    .take(homeward_domain::feedback::MAX_CHARS * 2)
                    .collect(),
            };
            let e = t.t("my-feedback-errors");
            page(
                t,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(c),
                Some(e),
                None,
                Default::default(),
            )
        }
        Err(_) => unavailable(),
    }
}

/// POST /my/sign-out: closes the page.
pub async fn sign_out(
    State(state): State<AppState>,
    jar: CookieJar,
    PageForm(form): PageForm,
) -> Response {
    if let Ok(Some(r)) = who(&state, &jar).await {
        if !same_csrf(&r, &form) {
            return bare(StatusCode::FORBIDDEN);
        }
        if let Some(c) = jar.get(COOKIE) {
            if returnee_access::close(&state.store, c.value())
                .await
                .is_err()
            {
                return unavailable();
            }
        }
    }
    let mut gone = cookie(COOKIE, String::new(), state.config.secure_cookies);
    gone.set_path("/my");
    (jar.remove(gone), Redirect::to("/my")).into_response()
}

/// A file answer of the page: uncached, downloaded under `name`.
fn file(content_type: &str, name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        body,
    )
        .into_response()
}

/// The page's language for a download: `lang` if it has a translation.
fn download_language(q: &HashMap<String, String>, headers: &HeaderMap) -> Rt {
    language(q.get("lang"), headers, &[])
}

/// GET /my/consents/{id}/receipt.pdf: the receipt of one of the person's
/// own consents, in the page's language.
pub async fn receipt(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let r = match who(&state, &jar).await {
        Ok(Some(r)) => r,
        Ok(None) => return Redirect::to("/my").into_response(),
        Err(_) => return unavailable(),
    };
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return bare(StatusCode::NOT_FOUND);
    };
    let t = download_language(&q, &headers);
    let (receipt, tz) = match returnee_access::receipt(&state.store, &r, id, vec![t.code()]).await {
        Ok(k) => k,
        Err(homeward_store::Error::NotFound) => return bare(StatusCode::NOT_FOUND),
        Err(_) => return unavailable(),
    };
    match tokio::task::spawn_blocking(move || crate::consent_receipt::pdf(&receipt, tz)).await {
        Ok(Ok((pdf, lang))) => file("application/pdf", &format!("consent-{id}-{lang}.pdf"), pdf),
        _ => unavailable(),
    }
}

/// GET /my/data.json: everything the programme holds about the person
/// (`subject_access::own`), as a data file.
pub async fn data_json(State(state): State<AppState>, jar: CookieJar) -> Response {
    let r = match who(&state, &jar).await {
        Ok(Some(r)) => r,
        Ok(None) => return Redirect::to("/my").into_response(),
        Err(_) => return unavailable(),
    };
    match homeward_store::subject_access::own(&state.store, r.case_id, r.person_id).await {
        Ok(doc) => match serde_json::to_vec_pretty(&doc) {
            Ok(bytes) => file("application/json", "my-information.json", bytes),
            Err(_) => unavailable(),
        },
        Err(_) => unavailable(),
    }
}

/// The text of a person's field in the copy (lists joined).
fn field(person: &serde_json::Value, key: &str) -> String {
    match person.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        _ => String::new(),
    }
}

/// GET /my/data.pdf: a summary to read, in the page's language.
pub async fn data_pdf(
    State(state): State<AppState>,
    jar: CookieJar,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    use homeward_letters::{ReportDoc, ReportTable};
    let r = match who(&state, &jar).await {
        Ok(Some(r)) => r,
        Ok(None) => return Redirect::to("/my").into_response(),
        Err(_) => return unavailable(),
    };
    let t = download_language(&q, &headers);
    let (doc, c) = match tokio::try_join!(
        homeward_store::subject_access::own(&state.store, r.case_id, r.person_id),
        my_case(&state, &t, &r)
    ) {
        Ok(x) => x,
        Err(_) => return unavailable(),
    };
    let person = doc.get("person").cloned().unwrap_or_default();
    let about = [
        ("my-data-name", "display_name"),
        ("my-data-dob", "date_of_birth"),
        ("my-data-sex", "sex"),
        ("my-data-nationalities", "nationalities"),
        ("my-data-languages", "preferred_languages"),
        ("my-data-phone", "phone"),
        ("my-data-email", "email"),
        ("my-data-address", "address"),
    ]
    .iter()
    .map(|(label, key)| vec![t.t(label), field(&person, key)])
    .collect();
    let header = vec![t.t("receipt-label"), t.t("receipt-value")];
    let step = c
        .step
        .and_then(|i| STEPS.get(i))
        .map(|s| t.t(&format!("my-step-{s}")))
        .unwrap_or_else(|| t.t("my-stopped"));
    let mut tables = vec![
        ReportTable {
            title: t.t("my-data-about"),
            header: header.clone(),
            rows: about,
            note: Some(t.t("my-data-rights")),
        },
        ReportTable {
            title: t.t("my-data-case"),
            header: header.clone(),
            rows: vec![
                vec![t.t("receipt-case"), c.case_number.clone()],
                vec![t.t("my-data-status"), step],
            ],
            note: None,
        },
    ];
    tables.push(ReportTable {
        title: t.t("my-consents"),
        header: header.clone(),
        rows: c
            .consents
            .iter()
            .map(|k| {
                vec![
                    k.what.clone(),
                    k.withdrawn.clone().unwrap_or_else(|| k.given.clone()),
                ]
            })
            .collect(),
        note: None,
    });
    let mut journey: Vec<Vec<String>> = c
        .flights
        .iter()
        .map(|(title, leaves, arrives)| vec![title.clone(), format!("{leaves}; {arrives}")])
        .collect();
    journey.extend(c.next.iter().map(|line| vec![line.clone(), String::new()]));
    tables.push(ReportTable {
        title: t.t("my-next"),
        header: header.clone(),
        rows: journey,
        note: None,
    });
    if let Some(rows) = &c.support {
        tables.push(ReportTable {
            title: t.t("my-support"),
            header: header.clone(),
            rows: rows
                .iter()
                .map(|(l, a)| vec![l.clone(), a.clone()])
                .collect(),
            note: None,
        });
    }
    tables.push(ReportTable {
        title: t.t("my-feedback-yours"),
        header,
        rows: c
            .messages
            .iter()
            .map(|m| {
                let answer = m
                    .answer
                    .as_ref()
                    .map(|(when, a)| format!("{when}: {a}"))
                    .unwrap_or_else(|| m.waiting.clone());
                vec![
                    format!("{} · {}", m.kind, m.sent),
                    format!("{}\n{answer}", m.body),
                ]
            })
            .collect(),
        note: None,
    });
    let issued = chrono::Utc::now().date_naive().to_string();
    let title = t.t("my-data-title");
    let report = ReportDoc {
        lang: t.code(),
        subtitle: t.ta("my-data-subtitle", &[("programme", c.programme.clone())]),
        footer: format!("{title} · {}", c.case_number),
        title,
        org: t.t("receipt-org"),
        org_short: t.t("receipt-org-short"),
        issued_on: issued,
        tables,
    };
    let lang = t.code();
    match tokio::task::spawn_blocking(move || homeward_letters::render_report(&report)).await {
        Ok(Ok(pdf)) => file(
            "application/pdf",
            &format!("my-information-{lang}.pdf"),
            pdf,
        ),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "own data summary failed");
            unavailable()
        }
        Err(_) => unavailable(),
    }
}
