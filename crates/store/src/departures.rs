//! Departure confirmation: the IOM staff member who saw the travellers board
//! records it; the case becomes departed once none of its bookings is still
//! to fly; CBSA is told in its inbox and, when a webhook is configured, by a
//! signed POST that the job queue delivers.
//!
//! Who may: counsellors and supervisors (the IOM Toronto staff at the
//! airport). Everyone else is refused.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope;
use crate::travel::{self, Itinerary};
use crate::{notifications, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Duration, Utc};
use homeward_domain::itinerary;
use homeward_domain::readiness::fitness_check_in_window;
use homeward_domain::workflow::{self, TransitionContext};
use homeward_domain::{Action, CaseStatus, Invalid, Resource};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// The job kind that posts a departure to CBSA's webhook.
pub const CBSA_WEBHOOK_JOB: &str = "cbsa_webhook";

/// A departure confirmation as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"boarded_at_local": "2012-10-15T18:10", "version": 1})))]
pub struct DepartureInput {
    /// When the travellers boarded, in the departure airport's local time
    /// (`YYYY-MM-DDTHH:MM`); now if empty.
    pub boarded_at_local: Option<String>,
    /// The itinerary version the user saw.
    pub version: Option<i64>,
}

/// How long after the scheduled departure a boarding may still be recorded
/// before it must be rebooked instead, and how early before it.
const BOARDING_BEFORE: i64 = 6;
const BOARDING_AFTER: i64 = 24;

/// Confirms that the itinerary's travellers boarded. `notify_webhook` says
/// whether a CBSA webhook is configured (the job is queued in the same
/// transaction, so it exists exactly when the departure does).
pub async fn confirm(
    store: &Store,
    actor: &Actor,
    itinerary_id: Uuid,
    input: &DepartureInput,
    notify_webhook: bool,
) -> Result<Itinerary> {
    actor.require(Resource::Travel, Action::Update)?;
    actor.require(Resource::Case, Action::Transition)?;
    let it = travel::get(store, actor, itinerary_id).await?;
    let case = scope::summary(store, actor, it.case_id.into()).await?;
    let now = crate::now();
    let mut inv = Invalid::default();
    if it.status != "booked" {
        inv.add("itinerary", "itinerary-not-open");
    }
    let origin_tz = it
        .segments
        .first()
        .and_then(|s| s.from_tz.parse::<chrono_tz::Tz>().ok())
        .unwrap_or(chrono_tz::UTC);
    let boarded_at = match homeward_domain::validation::clean(input.boarded_at_local.as_deref()) {
        None => now,
        Some(s) => match itinerary::parse_local(&s).map(|l| itinerary::to_utc(l, origin_tz)) {
            Some(Ok(t)) => t,
            Some(Err(code)) => {
                inv.add("boarded_at_local", code);
                now
            }
            None => {
                inv.add("boarded_at_local", "invalid-datetime");
                now
            }
        },
    };
    if boarded_at > now + Duration::minutes(5) {
        inv.add("boarded_at_local", "in-the-future");
    } else if boarded_at < it.departs_at - Duration::hours(BOARDING_BEFORE)
        || boarded_at > it.departs_at + Duration::hours(BOARDING_AFTER)
    {
        inv.add("boarded_at_local", "boarding-outside-flight-window");
    }
    inv.into_result()?;
    if input.version.is_some_and(|v| v != it.version) {
        return Err(Error::Conflict);
    }
    // Fitness to travel, checked within the window before the scheduled departure.
    let unfit = unfit_travellers(store, &it, store.fitness_window_hours).await?;
    if !unfit.is_empty() {
        let mut inv = Invalid::default();
        for name in unfit {
            inv.errors.push(homeward_domain::validation::FieldError {
                field: format!("fitness:{name}"),
                code: "fitness-check-outside-window".into(),
                detail: None,
            });
        }
        return Err(inv.into());
    }
    let others_open: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM itineraries WHERE case_id = $1 AND status = 'booked' AND id <> $2")
        .bind(it.case_id).bind(it.id).fetch_one(p).await)?;
    let from = CaseStatus::parse(&case.status).ok_or(Error::NotFound)?;
    let case_departs = others_open == 0 && from == CaseStatus::PreparingDeparture;
    if case_departs {
        workflow::check(
            from,
            CaseStatus::Departed,
            actor.role,
            None,
            &TransitionContext {
                has_counsellor: case.counsellor_id.is_some(),
                has_country_of_return: case.country_of_return.is_some(),
                has_declaration: true,
                departure_confirmed: true,
                ..Default::default()
            },
        )?;
    } else if from != CaseStatus::PreparingDeparture && from != CaseStatus::Departed {
        let mut inv = Invalid::default();
        inv.add("itinerary", "case-not-preparing-departure");
        return Err(inv.into());
    }

    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE itineraries SET status = 'departed', departed_at = $1, departure_confirmed_by = $2, version = version + 1, updated_at = $3 \
         WHERE id = $4 AND version = $5 AND status = 'booked'")
        .bind(boarded_at).bind(actor.user_id).bind(now).bind(it.id).bind(it.version)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO itinerary_events (id, itinerary_id, case_id, kind, reason, actor_id, at) VALUES ($1, $2, $3, 'departed', NULL, $4, $5)")
        .bind(Uuid::new_v4()).bind(it.id).bind(it.case_id).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if case_departs {
        crate::cases::status::record_transition(
            &mut tx,
            actor,
            &case,
            CaseStatus::Departed,
            None,
            None,
            now,
        )
        .await?;
    } else {
        on_tx!(&mut tx, c => sqlx::query("UPDATE cases SET version = version + 1, updated_at = $1 WHERE id = $2")
            .bind(now).bind(it.case_id).execute(c).await.map(|r| r.rows_affected()))?;
    }
    let payload = cbsa_payload(store, &case.case_number, &it, boarded_at).await?;
    tell_cbsa(store, &mut tx, it.case_id, &payload).await?;
    if notify_webhook {
        crate::jobs::enqueue(
            &mut tx,
            CBSA_WEBHOOK_JOB,
            &payload,
            now,
            Some(&format!("departure:{}", it.id)),
        )
        .await?;
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "confirm_departure",
            entity: "itinerary",
            entity_id: Some(it.id.to_string()),
            case_id: Some(it.case_id),
            before: Some(json!({"status": it.status})),
            after: Some(
                json!({"status": "departed", "boarded_at": boarded_at, "webhook": notify_webhook}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    travel::get(store, actor, it.id).await
}

/// Puts a departure in CBSA's inbox: the officer who referred the case, or
/// every CBSA officer when the case was not referred by one.
async fn tell_cbsa(
    store: &Store,
    tx: &mut crate::Tx,
    case_id: Uuid,
    payload: &serde_json::Value,
) -> Result<()> {
    let referrer: Option<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT u.id FROM cases c JOIN users u ON u.id = c.created_by WHERE c.id = $1 AND u.role = 'cbsa_officer' AND u.active")
        .bind(case_id).fetch_optional(p).await)?;
    let recipients: Vec<Uuid> = match referrer {
        Some(u) => vec![u],
        None => on_db!(&store.db, p => sqlx::query_scalar(
            "SELECT id FROM users WHERE role = 'cbsa_officer' AND active")
            .fetch_all(p).await)?,
    };
    for user in recipients {
        notifications::send(tx, user, Some(case_id), "departure-confirmed", payload).await?;
    }
    Ok(())
}

/// Sends CBSA the message a confirmation sends, for itinerary `id` that has
/// already departed: for loaders that write departures in bulk (the demo),
/// so CBSA's inbox holds what the confirmations would have left there.
/// Read through `actor`'s scope like any itinerary.
pub async fn announce(store: &Store, actor: &Actor, id: Uuid) -> Result<()> {
    let it = travel::get(store, actor, id).await?;
    let Some(boarded_at) = it.departed_at else {
        return Err(Error::invalid("itinerary", "itinerary-not-open"));
    };
    let case = scope::summary(store, actor, it.case_id.into()).await?;
    let payload = cbsa_payload(store, &case.case_number, &it, boarded_at).await?;
    let mut tx = store.begin().await?;
    tell_cbsa(store, &mut tx, it.case_id, &payload).await?;
    tx.commit().await
}

/// Names of travellers whose latest fitness check does not clear them for a
/// departure at the itinerary's scheduled time.
async fn unfit_travellers(store: &Store, it: &Itinerary, window_hours: i64) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for t in &it.travellers {
        let last: Option<(String, Option<DateTime<Utc>>)> = on_db!(&store.db, p => sqlx::query_as(
            "SELECT status, checked_at FROM fitness_checks WHERE case_id = $1 AND person_id = $2 \
             ORDER BY recorded_at DESC LIMIT 1")
            .bind(it.case_id).bind(t.person_id).fetch_optional(p).await)?;
        let ok = match last {
            Some((status, Some(at))) => {
                matches!(status.as_str(), "fit" | "fit_with_escort")
                    && fitness_check_in_window(at, it.departs_at, window_hours)
            }
            _ => false,
        };
        if !ok {
            out.push(t.name.clone());
        }
    }
    Ok(out)
}

/// What CBSA is told of a departure: the case, the travellers' names and
/// identifiers, the flights and the boarding time in UTC. Nothing restricted.
async fn cbsa_payload(
    store: &Store,
    case_number: &str,
    it: &Itinerary,
    boarded_at: DateTime<Utc>,
) -> Result<serde_json::Value> {
    let mut travellers = Vec::new();
    for t in &it.travellers {
        let ids: Option<(Option<String>, Option<String>, Option<String>)> = on_db!(&store.db, p => sqlx::query_as(
            "SELECT uci, cbsa_client_id, passport_number FROM persons WHERE id = $1")
            .bind(t.person_id).fetch_optional(p).await)?;
        let (uci, cbsa, passport) = ids.unwrap_or_default();
        travellers.push(json!({
            "name": t.name, "uci": uci, "cbsa_client_id": cbsa, "passport_number": passport,
        }));
    }
    let flights: Vec<_> = it
        .segments
        .iter()
        .map(|s| {
            json!({
                "flight": format!("{}{}", s.carrier, s.flight_number),
                "from": s.from, "to": s.to,
                "departs_at_utc": s.departs_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "arrives_at_utc": s.arrives_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            })
        })
        .collect();
    Ok(json!({
        "event": "departure.confirmed",
        "case_number": case_number,
        "travellers": travellers,
        "flight": flights.first().cloned(),
        "segments": flights,
        "departed_at_utc": boarded_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
    }))
}
