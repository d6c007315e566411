//! Travel on the case page (itineraries, changes, departure confirmation,
//! letters), the flight manifests, the inbox and the airport search.
//!
//! Who may: counsellors and supervisors book, change, confirm departures and
//! make letters; CBSA, the mission of the country of return and finance read
//! itineraries; letters follow `Role::may_read_letter`; the inbox is each
//! user's own; the airport search is for any signed-in user. The store
//! enforces all of it again.

use super::before_departure::parse_id;
use super::case_page::answer::Posted;
use super::case_page::sections::SideForms;
use super::case_page::{case_page, CaseForms};
use crate::auth::PageUser;
use crate::case_access::{need, CaseIn};
use crate::form::{esc, FormState};
use crate::frame::{error_page, render, store_error, Layout, PageForm};
use crate::i18n::Tr;
use crate::AppState;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use homeward_domain::{Action, Resource};
use homeward_store::letters::Letter;
use homeward_store::notifications::{self, Notification};
use homeward_store::travel::{self, ItineraryInput, ManifestFlight, SegmentForm, TravellerForm};
use homeward_store::{departures, Actor, Error};
use std::collections::HashMap;
use uuid::Uuid;

/// The booking as typed in the form: segment rows `segments[N].field`
/// (empty rows skipped), travellers `traveller.<id>` with `ticket.<id>`.
fn booking_input(form: &HashMap<String, String>) -> (ItineraryInput, Vec<Uuid>) {
    let g = |k: &str| form.get(k).cloned();
    let mut segments = Vec::new();
    for n in 0..super::case_page::travel::SEGMENT_ROWS {
        let f = |name: &str| g(&format!("segments[{n}].{name}"));
        let s = SegmentForm {
            carrier: f("carrier"),
            flight_number: f("flight_number"),
            from: f("from"),
            to: f("to"),
            departs_local: f("departs_local"),
            arrives_local: f("arrives_local"),
        };
        let empty = [
            &s.carrier,
            &s.flight_number,
            &s.from,
            &s.to,
            &s.departs_local,
            &s.arrives_local,
        ]
        .iter()
        .all(|v| v.as_deref().map(str::trim).unwrap_or("").is_empty());
        if !empty {
            segments.push(s);
        }
    }
    let mut order: Vec<Uuid> = form
        .iter()
        .filter(|(k, v)| k.starts_with("traveller.") && v.as_str() == "on")
        .filter_map(|(k, _)| Uuid::parse_str(&k["traveller.".len()..]).ok())
        .collect();
    order.sort();
    let travellers = order
        .iter()
        .map(|p| TravellerForm {
            person_id: Some(*p),
            ticket_number: g(&format!("ticket.{p}")),
        })
        .collect();
    let fare = form.get("fare").map(|s| s.trim()).filter(|s| !s.is_empty());
    let input = ItineraryInput {
        travellers,
        segments,
        booking_reference: g("booking_reference"),
        fare_minor: fare.and_then(parse_money),
        fare_currency: g("fare_currency").filter(|c| fare.is_some() || !c.trim().is_empty()),
        departure_assistance: form.get("departure_assistance").is_some_and(|v| v == "on"),
        transit_assistance: form.get("transit_assistance").is_some_and(|v| v == "on"),
        arrival_reception: form.get("arrival_reception").is_some_and(|v| v == "on"),
        escort: g("escort"),
        notes: g("notes"),
        replaces: form
            .get("replaces")
            .and_then(|s| Uuid::parse_str(s.trim()).ok()),
        reason: g("reason"),
    };
    (input, order)
}

/// "1,842.50" or "1842,50" → 184250 minor units; `None` if not an amount.
pub fn parse_money(s: &str) -> Option<i64> {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}')
        .collect();
    // The last separator followed by one or two digits is the decimal mark.
    let (int, frac) = match s.rfind(['.', ',']) {
        Some(i) if s.len() - i - 1 <= 2 && s.len() - i > 1 => (&s[..i], &s[i + 1..]),
        _ => (s.as_str(), ""),
    };
    let int: String = int.chars().filter(|c| *c != ',' && *c != '.').collect();
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.chars().all(|c| c.is_ascii_digit()) || !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let cents: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(cents)
}

/// POST /cases/{id}/itineraries: book (or rebook) a flight.
pub async fn book(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::BookTravel>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let (input, order) = booking_input(&form);
    if form.get("fare").is_some_and(|f| !f.trim().is_empty()) && input.fare_minor.is_none() {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("fare", "not-an-amount");
        return at
            .refused(form, Error::Invalid(inv), |s, f| s.itinerary = f)
            .await;
    }
    match travel::book(&state.store, &auth.actor, id, &input).await {
        Ok(_) => Redirect::to(&format!("/cases/{id}?done=saved#travel")).into_response(),
        Err(Error::Invalid(mut inv)) => {
            // Traveller errors name the n-th ticked traveller; the form names them by id.
            for e in &mut inv.errors {
                if let Some(rest) = e.field.strip_prefix("travellers[") {
                    if let Some((n, field)) = rest.split_once("].") {
                        if let Some(p) = n.parse::<usize>().ok().and_then(|n| order.get(n)) {
                            e.field = match field {
                                "ticket_number" => format!("ticket.{p}"),
                                _ => format!("traveller.{p}"),
                            };
                        }
                    }
                }
                if e.field == "fare_minor" {
                    e.field = "fare".into();
                }
            }
            at.refused(form, Error::Invalid(inv), |s, f| s.itinerary = f)
                .await
        }
        Err(e) => at.refused(form, e, |s, f| s.itinerary = f).await,
    }
}

fn version(form: &HashMap<String, String>) -> Option<i64> {
    form.get("version").and_then(|v| v.trim().parse().ok())
}

async fn itinerary_case(state: &AppState, actor: &Actor, iid: Uuid) -> Result<Uuid, Error> {
    Ok(travel::get(&state.store, actor, iid).await?.case_id)
}

/// POST /itineraries/{id}/change: no-show, postponement or cancellation.
pub async fn change(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(iid): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let iid = match parse_id(&ctx, &iid) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let case_id = match itinerary_case(&state, &auth.actor, iid).await {
        Ok(c) => c,
        Err(e) => return store_error(&ctx, e),
    };
    let at = Posted::new(&state, &ctx, &auth.actor, case_id);
    let kind = form.get("kind").cloned().unwrap_or_default();
    at.answer(
        travel::change(
            &state.store,
            &auth.actor,
            iid,
            &kind,
            form.get("reason").map(String::as_str),
            version(&form),
        )
        .await,
        "travel",
        form,
        |s, f| s.change = f,
    )
    .await
}

/// POST /itineraries/{id}/departure: the travellers boarded.
pub async fn confirm_departure(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(iid): Path<String>,
    PageForm(form): PageForm,
) -> Response {
    let iid = match parse_id(&ctx, &iid) {
        Ok(id) => id,
        Err(r) => return r,
    };
    let case_id = match itinerary_case(&state, &auth.actor, iid).await {
        Ok(c) => c,
        Err(e) => return store_error(&ctx, e),
    };
    let at = Posted::new(&state, &ctx, &auth.actor, case_id);
    let input = departures::DepartureInput {
        boarded_at_local: form.get("boarded_at_local").cloned(),
        version: version(&form),
    };
    let webhook = state.config.cbsa_webhook.is_some();
    match departures::confirm(&state.store, &auth.actor, iid, &input, webhook).await {
        Ok(_) => {
            if webhook {
                state.config.jobs_wake.wake();
            }
            Redirect::to(&format!("/cases/{case_id}?done=saved#travel")).into_response()
        }
        Err(Error::Invalid(mut inv)) => {
            // Fitness problems name a traveller: shown as lines of the form's summary.
            let t = ctx.tr();
            let mut lines = Vec::new();
            inv.errors
                .retain(|e| match e.field.strip_prefix("fitness:") {
                    Some(name) => {
                        lines.push(format!("{name}: {}", t.error(&e.code)));
                        false
                    }
                    None => true,
                });
            for (n, l) in lines.into_iter().enumerate() {
                inv.errors.push(homeward_domain::validation::FieldError {
                    field: format!("traveller-{n:02}"),
                    code: l,
                    detail: None,
                });
            }
            let mut f = FormState::with(form);
            for e in &inv.errors {
                let msg = if e.field.starts_with("traveller-") {
                    e.code.clone()
                } else {
                    t.error(&e.code)
                };
                f.errors.insert(e.field.clone(), msg);
            }
            f.values.insert("itinerary".into(), iid.to_string());
            f.general = Some(t.t("form-has-errors"));
            let mut forms = CaseForms::default();
            forms.side.departure = f;
            case_page(
                &state,
                &ctx,
                &auth.actor,
                case_id,
                forms,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => {
            let mut form = form;
            form.insert("itinerary".into(), iid.to_string());
            at.refused(form, e, |s, f| s.departure = f).await
        }
    }
}

/// POST /cases/{id}/letters: renders and keeps a letter.
pub async fn make_letter(
    State(state): State<AppState>,
    CaseIn {
        caller: PageUser(auth, ctx),
        id,
        ..
    }: CaseIn<PageUser, need::MakeLetter>,
    PageForm(form): PageForm,
) -> Response {
    let at = Posted::new(&state, &ctx, &auth.actor, id);
    let kind = form.get("kind").cloned().unwrap_or_default();
    let lang = form.get("lang").cloned().unwrap_or_default();
    at.answer(
        crate::letters::make(
            &state.store,
            &auth.actor,
            id,
            &kind,
            &lang,
            state.config.returnee_page_url(),
        )
        .await,
        "letters",
        form,
        |s: &mut SideForms, f| s.letter = f,
    )
    .await
}

/// GET /letters/{id}: the PDF, for those who may read that kind of letter.
pub async fn download_letter(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match homeward_store::letters::content(&state.store, &auth.actor, id).await {
        Ok((l, bytes)) => pdf_response(&l, bytes),
        Err(e) => store_error(&ctx, e),
    }
}

/// A stored letter as a download.
pub fn pdf_response(l: &Letter, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-{}.pdf\"", l.kind, l.lang),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::ETAG, format!("\"{}\"", l.sha256)),
        ],
        bytes,
    )
        .into_response()
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage {
    l: Layout,
    items: Vec<(Notification, String)>,
}

/// What a message says, in the reader's language.
fn describe(t: &Tr, n: &Notification) -> String {
    let p = &n.payload;
    let s = |k: &str| p.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
    match n.kind.as_str() {
        "departure-confirmed" => {
            let names: Vec<String> = p
                .get("travellers")
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.get("name").and_then(|n| n.as_str()).map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let flight = p
                .get("flight")
                .and_then(|f| f.get("flight"))
                .and_then(|f| f.as_str())
                .unwrap_or("");
            t.ta(
                "notification-departure-confirmed",
                &[
                    ("case", s("case_number")),
                    ("travellers", names.join(", ")),
                    ("flight", flight.to_string()),
                    ("at", s("departed_at_utc")),
                ],
            )
        }
        "break-glass" => t.ta(
            "notification-break-glass",
            &[
                ("case", s("case_number")),
                ("by", s("by")),
                ("reason", s("reason")),
            ],
        ),
        "revoked" => {
            let n = p
                .get("cancelled_itineraries")
                .and_then(|v| v.as_i64())
                .unwrap_or(0);
            t.ta(
                if n > 0 {
                    "notification-revoked-flights"
                } else {
                    "notification-revoked"
                },
                &[
                    ("case", s("case_number")),
                    ("reason", s("reason")),
                    ("n", n.to_string()),
                ],
            )
        }
        other => t.t(&format!("notification-{other}")),
    }
}

/// GET /inbox: the signed-in user's messages (every role has one).
pub async fn inbox(State(state): State<AppState>, PageUser(auth, ctx): PageUser) -> Response {
    let t = ctx.tr();
    let items = match notifications::inbox(&state.store, &auth.actor, 200).await {
        Ok(v) => v,
        Err(e) => return store_error(&ctx, e),
    };
    let items = items
        .into_iter()
        .map(|n| {
            let d = describe(&t, &n);
            (n, d)
        })
        .collect();
    let l = Layout::new(&ctx, t.t("nav-inbox"), "/inbox");
    render(StatusCode::OK, InboxPage { l, items })
}

/// POST /inbox/{id}/read: marks one of the user's own messages read.
pub async fn mark_read(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Path(id): Path<String>,
) -> Response {
    let id = match parse_id(&ctx, &id) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match notifications::mark_read(&state.store, &auth.actor, id).await {
        Ok(()) => Redirect::to("/inbox").into_response(),
        Err(e) => store_error(&ctx, e),
    }
}

#[derive(Template)]
#[template(path = "manifests.html")]
struct ManifestsPage {
    l: Layout,
    flights: Vec<ManifestFlight>,
    days: i64,
    past: bool,
}

/// Query of the manifests page.
#[derive(serde::Deserialize, Default)]
pub struct ManifestQuery {
    days: Option<String>,
    past: Option<String>,
}

/// GET /manifests: flights in the coming days (or the past days) with the
/// travellers of every case on them that the user may see.
pub async fn manifests(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<ManifestQuery>,
) -> Response {
    if !auth.actor.role.can(Resource::Travel, Action::Read) {
        return error_page(&ctx, StatusCode::FORBIDDEN, "forbidden");
    }
    let days = q
        .days
        .and_then(|d| d.trim().parse::<i64>().ok())
        .unwrap_or(14)
        .clamp(1, 90);
    let past = q.past.is_some_and(|p| p == "1");
    let now = homeward_store::now();
    let (from, to) = if past {
        (now - chrono::Duration::days(days), now)
    } else {
        (
            now - chrono::Duration::hours(12),
            now + chrono::Duration::days(days),
        )
    };
    let flights = match travel::manifests(&state.store, &auth.actor, from, to).await {
        Ok(f) => f,
        Err(e) => return store_error(&ctx, e),
    };
    let t = ctx.tr();
    let l = Layout::new(&ctx, t.t("nav-manifests"), "/manifests");
    render(
        StatusCode::OK,
        ManifestsPage {
            l,
            flights,
            days,
            past,
        },
    )
}

/// GET /airports/suggest?q=: `<option>`s for the airport fields' datalist,
/// fetched as the user types (any signed-in user).
pub async fn airport_options(
    PageUser(_auth, _ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // `q`, or the value of the airport field that asked (htmx sends its own name).
    let q = q
        .get("q")
        .cloned()
        .or_else(|| q.into_values().next())
        .unwrap_or_default();
    let q: String = q.chars().take(64).collect();
    let mut html = String::new();
    for a in homeward_domain::airports::search(&q, 12) {
        html.push_str(&format!(
            "<option value=\"{}\">{} — {}, {} ({})</option>",
            esc(a.iata),
            esc(a.iata),
            esc(a.name),
            esc(a.city),
            esc(a.country)
        ));
    }
    Html(html).into_response()
}
