//! Itineraries: flight segments stored in UTC (entered in each airport's
//! local time), the travellers on them with their tickets, and what happened
//! to them (booked, no-show, postponed, cancelled, rebooked, departed). Nothing
//! here assumes the direction of travel.
//!
//! Who may: counsellors and supervisors book and change; CBSA, the mission of
//! the country of return and finance read (record scope applies through the
//! case). Special assistance codes come from fitness checks, which are health
//! data: only roles that read restricted data see them.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use homeward_domain::airports;
use homeward_domain::booking::{self, BookingFacts};
use homeward_domain::itinerary;
use homeward_domain::validation::{self, clean};
use homeward_domain::{Action, CaseStatus, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Statuses of an itinerary that still stands to be flown.
pub const ACTIVE: &[&str] = &["booked"];
/// The changes of an itinerary a counsellor records, each with a reason.
pub const CHANGES: [&str; 3] = ["no_show", "postponed", "cancelled"];

pub use homeward_domain::booking::{ItineraryInput, SegmentForm, TravellerForm};

/// A stored segment, with its times in UTC and in each airport's zone.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Segment {
    pub position: i32,
    pub carrier: String,
    pub flight_number: String,
    pub from: String,
    pub to: String,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    /// Local departure time at `from`, e.g. `2026-03-08T18:40`.
    pub departs_local: String,
    pub arrives_local: String,
    /// IANA zones of the airports.
    pub from_tz: String,
    pub to_tz: String,
}

/// A traveller on an itinerary.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Traveller {
    pub person_id: Uuid,
    pub name: String,
    pub ticket_number: Option<String>,
}

/// Something that happened to an itinerary.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Event {
    pub kind: String,
    pub reason: Option<String>,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
}

/// An itinerary with everything on it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Itinerary {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    pub status: String,
    pub booking_reference: Option<String>,
    pub fare_minor: Option<i64>,
    pub fare_currency: Option<String>,
    pub departure_assistance: bool,
    pub transit_assistance: bool,
    pub arrival_reception: bool,
    pub escort: Option<String>,
    pub notes: Option<String>,
    pub replaces_id: Option<Uuid>,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
    pub origin: String,
    pub destination: String,
    pub departed_at: Option<DateTime<Utc>>,
    pub departure_confirmed_by: Option<String>,
    pub version: i64,
    pub segments: Vec<Segment>,
    pub travellers: Vec<Traveller>,
    pub events: Vec<Event>,
    /// Warnings the booking raised (short connections), recomputed on read.
    pub warnings: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    case_id: Uuid,
    case_number: String,
    status: String,
    booking_reference: Option<String>,
    fare_minor: Option<i64>,
    fare_currency: Option<String>,
    departure_assistance: bool,
    transit_assistance: bool,
    arrival_reception: bool,
    escort: Option<String>,
    notes: Option<String>,
    replaces_id: Option<Uuid>,
    departs_at: DateTime<Utc>,
    arrives_at: DateTime<Utc>,
    origin: String,
    destination: String,
    departed_at: Option<DateTime<Utc>>,
    confirmed_by: Option<String>,
    version: i64,
}

#[derive(sqlx::FromRow)]
struct SegRow {
    position: i32,
    carrier: String,
    flight_number: String,
    from_airport: String,
    to_airport: String,
    departs_at: DateTime<Utc>,
    arrives_at: DateTime<Utc>,
}

/// Formats an instant in an airport's zone as typed in forms.
pub fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

fn zone(code: &str) -> Tz {
    airports::by_iata(code)
        .map(|a| a.tz)
        .unwrap_or(chrono_tz::UTC)
}

impl SegRow {
    fn into_segment(self) -> Segment {
        let (ft, tt) = (zone(&self.from_airport), zone(&self.to_airport));
        Segment {
            position: self.position,
            departs_local: local(self.departs_at, ft),
            arrives_local: local(self.arrives_at, tt),
            from_tz: ft.name().to_string(),
            to_tz: tt.name().to_string(),
            carrier: self.carrier,
            flight_number: self.flight_number,
            from: self.from_airport,
            to: self.to_airport,
            departs_at: self.departs_at,
            arrives_at: self.arrives_at,
        }
    }
}

macro_rules! itinerary_columns {
    () => {
        "i.id, i.case_id, c.case_number, i.status, i.booking_reference, i.fare_minor, i.fare_currency, \
         i.departure_assistance, i.transit_assistance, i.arrival_reception, i.escort, i.notes, i.replaces_id, \
         i.departs_at, i.arrives_at, i.origin, i.destination, i.departed_at, u.name AS confirmed_by, i.version"
    };
}
const COLUMNS: &str = itinerary_columns!();
const SELECT: &str = concat!(
    "SELECT ",
    itinerary_columns!(),
    " FROM itineraries i JOIN cases c ON c.id = i.case_id LEFT JOIN users u ON u.id = i.departure_confirmed_by"
);

async fn complete(store: &Store, r: Row) -> Result<Itinerary> {
    let segs: Vec<SegRow> = on_db!(&store.db, p => sqlx::query_as::<_, SegRow>(
        "SELECT position, carrier, flight_number, from_airport, to_airport, departs_at, arrives_at \
         FROM itinerary_segments WHERE itinerary_id = $1 ORDER BY position")
        .bind(r.id).fetch_all(p).await)?;
    let travellers: Vec<(Uuid, String, Option<String>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT t.person_id, p.display_name, t.ticket_number FROM itinerary_travellers t \
         JOIN persons p ON p.id = t.person_id WHERE t.itinerary_id = $1 ORDER BY p.display_name")
        .bind(r.id).fetch_all(p).await)?;
    let events: Vec<Event> = on_db!(&store.db, p => sqlx::query_as::<_, Event>(
        "SELECT e.kind, e.reason, u.name AS actor_name, e.at FROM itinerary_events e \
         LEFT JOIN users u ON u.id = e.actor_id WHERE e.itinerary_id = $1 ORDER BY e.at, e.kind")
        .bind(r.id).fetch_all(p).await)?;
    let segments: Vec<Segment> = segs.into_iter().map(SegRow::into_segment).collect();
    let warnings = segments
        .windows(2)
        .filter(|w| w[1].departs_at - w[0].arrives_at < itinerary::MIN_CONNECTION)
        .map(|w| format!("short-connection:{}", w[1].from))
        .collect();
    Ok(Itinerary {
        id: r.id,
        case_id: r.case_id,
        case_number: r.case_number,
        status: r.status,
        booking_reference: r.booking_reference,
        fare_minor: r.fare_minor,
        fare_currency: r.fare_currency,
        departure_assistance: r.departure_assistance,
        transit_assistance: r.transit_assistance,
        arrival_reception: r.arrival_reception,
        escort: r.escort,
        notes: r.notes,
        replaces_id: r.replaces_id,
        departs_at: r.departs_at,
        arrives_at: r.arrives_at,
        origin: r.origin,
        destination: r.destination,
        departed_at: r.departed_at,
        departure_confirmed_by: r.confirmed_by,
        version: r.version,
        segments,
        travellers: travellers
            .into_iter()
            .map(|(person_id, name, ticket_number)| Traveller {
                person_id,
                name,
                ticket_number,
            })
            .collect(),
        events,
        warnings,
    })
}

/// The case's itineraries, newest first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Itinerary>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Travel, Action::Read)?;
    let rows: Vec<Row> = scope::section(
        store,
        actor,
        case,
        "i.id",
        COLUMNS,
        "LEFT JOIN itineraries i ON i.case_id = c.id LEFT JOIN users u ON u.id = i.departure_confirmed_by",
        "ORDER BY i.created_at DESC, i.id",
    )
    .await?;
    // CBSA reads travel plans only with consent to share with it (the
    // departure confirmation reaches it whatever the consents).
    if let Some(r) = rows.first() {
        if !crate::consents::may_read_restricted(store, actor, r.case_id, Resource::Travel).await? {
            return Ok(Vec::new());
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(complete(store, r).await?);
    }
    Ok(out)
}

/// One itinerary, if its case is in the actor's scope.
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Itinerary> {
    actor.require(Resource::Travel, Action::Read)?;
    let row: Option<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&format!("{SELECT} WHERE i.id = $1"))
        .bind(id).fetch_optional(p).await)?;
    let row = row.ok_or(Error::NotFound)?;
    scope::summary(store, actor, row.case_id.into()).await?;
    if !crate::consents::may_read_restricted(store, actor, row.case_id, Resource::Travel).await? {
        return Err(Error::NotFound);
    }
    complete(store, row).await
}

/// Whether `s` is an IATA ticket number: a 3-digit airline prefix and 10 digits.
/// Books an itinerary (or rebooks one, with `replaces` and a reason).
/// Returns it with the warnings the segments raised.
pub async fn book(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    i: &ItineraryInput,
) -> Result<Itinerary> {
    actor.require(Resource::Travel, Action::Create)?;
    let case = scope::summary(store, actor, case_id.into()).await?;
    let case_status = CaseStatus::parse(&case.status).ok_or(Error::NotFound)?;
    let members: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT person_id FROM case_members WHERE case_id = $1")
        .bind(case_id).fetch_all(p).await)?;
    let already_booked: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT t.person_id FROM itinerary_travellers t JOIN itineraries i ON i.id = t.itinerary_id \
         WHERE i.case_id = $1 AND i.status = 'booked' AND ($2 IS NULL OR i.id <> $2)")
        .bind(case_id).bind(i.replaces).fetch_all(p).await)?;
    let replaced: Option<(String, i64)> = match i.replaces {
        None => None,
        Some(old) => on_db!(&store.db, p => sqlx::query_as(
            "SELECT status, version FROM itineraries WHERE id = $1 AND case_id = $2")
            .bind(old).bind(case_id).fetch_optional(p).await)?,
    };
    let b = booking::decide(
        i,
        &BookingFacts {
            case_status,
            members: &members,
            already_booked: &already_booked,
            replaced: replaced.as_ref().map(|(s, v)| (s.as_str(), *v)),
        },
    )?;
    let (Some(first), Some(last)) = (b.segments.first(), b.segments.last()) else {
        return Err(Invalid::one("segments", "no-segments").into());
    };
    let (segments, travellers, reason) = (&b.segments, &b.travellers, &b.reason);
    let replaced = i.replaces.zip(b.replaced_version);
    let id = Uuid::new_v4();
    let now = crate::now();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO itineraries (id, case_id, status, booking_reference, fare_minor, fare_currency, departure_assistance, \
         transit_assistance, arrival_reception, escort, notes, replaces_id, departs_at, arrives_at, origin, destination, \
         created_by, created_at, updated_at) VALUES ($1, $2, 'booked', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)")
        .bind(id).bind(case_id).bind(&b.booking_reference).bind(i.fare_minor).bind(&b.fare_currency)
        .bind(i.departure_assistance).bind(i.transit_assistance).bind(i.arrival_reception)
        .bind(&b.escort).bind(&b.notes).bind(i.replaces)
        .bind(first.departs_at).bind(last.arrives_at).bind(first.from.iata).bind(last.to.iata)
        .bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    for (n, s) in segments.iter().enumerate() {
        let pos = n as i32 + 1;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO itinerary_segments (itinerary_id, position, carrier, flight_number, from_airport, to_airport, departs_at, arrives_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(id).bind(pos).bind(&s.carrier).bind(&s.flight_number).bind(s.from.iata).bind(s.to.iata)
            .bind(s.departs_at).bind(s.arrives_at)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    for (p, ticket) in travellers {
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO itinerary_travellers (itinerary_id, person_id, ticket_number) VALUES ($1, $2, $3)")
            .bind(id).bind(p).bind(ticket)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    if let Some((old, version)) = replaced {
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE itineraries SET status = 'rebooked', version = version + 1, updated_at = $1 \
             WHERE id = $2 AND version = $3 AND status IN ('booked', 'no_show', 'postponed')")
            .bind(now).bind(old).bind(version).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::Conflict);
        }
        event(
            &mut tx,
            actor,
            old,
            case_id,
            "rebooked",
            reason.as_deref(),
            now,
        )
        .await?;
    }
    event(&mut tx, actor, id, case_id, "booked", None, now).await?;
    touch_case(&mut tx, case_id, now).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "itinerary",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({
                "travellers": travellers.iter().map(|t| t.0).collect::<Vec<_>>(),
                "segments": segments.iter().map(|s| format!("{}{} {}-{} {}", s.carrier, s.flight_number, s.from.iata, s.to.iata, s.departs_at.to_rfc3339())).collect::<Vec<_>>(),
                "replaces": i.replaces,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub(crate) async fn event(
    tx: &mut Tx,
    actor: &Actor,
    itinerary_id: Uuid,
    case_id: Uuid,
    kind: &str,
    reason: Option<&str>,
    at: DateTime<Utc>,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO itinerary_events (id, itinerary_id, case_id, kind, reason, actor_id, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .bind(Uuid::new_v4()).bind(itinerary_id).bind(case_id).bind(kind).bind(reason).bind(actor.user_id).bind(at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// The case's data changed: its version (which letters record) moves on.
async fn touch_case(tx: &mut Tx, case_id: Uuid, now: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE cases SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a no-show, a postponement or a cancellation, with its reason.
pub async fn change(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    kind: &str,
    reason: Option<&str>,
    version: Option<i64>,
) -> Result<Itinerary> {
    actor.require(Resource::Travel, Action::Update)?;
    let it = get(store, actor, id).await?;
    let mut inv = Invalid::default();
    if !CHANGES.contains(&kind) {
        inv.add("kind", "invalid-choice");
    }
    let reason = clean(reason);
    match &reason {
        None => inv.add("reason", "required"),
        Some(r) => validation::text(&mut inv, "reason", Some(r), true, 2000),
    }
    let allowed_from: &[&str] = match kind {
        "cancelled" => &["booked", "no_show", "postponed"],
        _ => &["booked"],
    };
    if !allowed_from.contains(&it.status.as_str()) {
        inv.add("kind", "itinerary-not-open");
    }
    inv.into_result()?;
    if version.is_some_and(|v| v != it.version) {
        return Err(Error::Conflict);
    }
    let now = crate::now();
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE itineraries SET status = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
        .bind(kind).bind(now).bind(id).bind(it.version).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    event(&mut tx, actor, id, it.case_id, kind, reason.as_deref(), now).await?;
    touch_case(&mut tx, it.case_id, now).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "itinerary",
            entity_id: Some(id.to_string()),
            case_id: Some(it.case_id),
            before: Some(json!({"status": it.status})),
            after: Some(json!({"status": kind, "reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// One traveller on a flight manifest.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ManifestTraveller {
    pub case_id: Uuid,
    pub case_number: String,
    pub itinerary_id: Uuid,
    pub itinerary_status: String,
    pub person_id: Uuid,
    pub name: String,
    pub ticket_number: Option<String>,
    pub departure_assistance: bool,
    pub transit_assistance: bool,
    pub arrival_reception: bool,
    pub escort: Option<String>,
    /// IATA special assistance codes (from the fitness check); `None` for
    /// roles that may not see health data.
    pub special_assistance: Option<Vec<String>>,
    /// Where this traveller's journey ends (the mission that receives them).
    pub final_destination: String,
}

/// One flight with every traveller booked on it, across cases.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ManifestFlight {
    pub carrier: String,
    pub flight_number: String,
    pub from: String,
    pub to: String,
    pub departs_at: DateTime<Utc>,
    pub departs_local: String,
    pub arrives_local: String,
    pub travellers: Vec<ManifestTraveller>,
}

#[derive(sqlx::FromRow)]
struct ManifestRow {
    carrier: String,
    flight_number: String,
    from_airport: String,
    to_airport: String,
    departs_at: DateTime<Utc>,
    arrives_at: DateTime<Utc>,
    case_id: Uuid,
    case_number: String,
    itinerary_id: Uuid,
    itinerary_status: String,
    person_id: Uuid,
    name: String,
    ticket_number: Option<String>,
    departure_assistance: bool,
    transit_assistance: bool,
    arrival_reception: bool,
    escort: Option<String>,
    destination: String,
}

/// Flights departing in `[from, to)` with the travellers the actor may see
/// (record scope: a mission sees the travellers returning to its country).
pub async fn manifests(
    store: &Store,
    actor: &Actor,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ManifestFlight>> {
    use crate::sql::{Param, Sql};
    actor.require(Resource::Travel, Action::Read)?;
    let mut q = Sql::new(
        "SELECT s.carrier, s.flight_number, s.from_airport, s.to_airport, s.departs_at, s.arrives_at, \
         c.id AS case_id, c.case_number, i.id AS itinerary_id, i.status AS itinerary_status, t.person_id, p.display_name AS name, \
         t.ticket_number, i.departure_assistance, i.transit_assistance, i.arrival_reception, i.escort, i.destination \
         FROM itinerary_segments s JOIN itineraries i ON i.id = s.itinerary_id JOIN cases c ON c.id = i.case_id \
         JOIN itinerary_travellers t ON t.itinerary_id = i.id JOIN persons p ON p.id = t.person_id \
         WHERE i.status IN ('booked', 'departed') AND s.departs_at >= ",
    );
    q.bind(Param::Time(from))
        .push(" AND s.departs_at < ")
        .bind(Param::Time(to));
    actor.push_case_scope(&mut q);
    if let homeward_domain::consent::ReadRule::WhileConsented(purpose) =
        homeward_domain::consent::read_rule(actor.role, Resource::Travel)
    {
        crate::actor::push_principal_consent(&mut q, purpose);
    }
    q.push(" ORDER BY s.departs_at, s.carrier, s.flight_number, c.case_number, p.display_name LIMIT 5000");
    let rows: Vec<ManifestRow> = on_db!(&store.db, p => crate::bind_params!(sqlx::query_as::<_, ManifestRow>(&q.text), q.params).fetch_all(p).await)?;
    let sees_health = actor.role.can(Resource::Counselling, Action::Read);
    let mut out: Vec<ManifestFlight> = Vec::new();
    for r in rows {
        let ssr = if sees_health
            && crate::consents::may_read_restricted(store, actor, r.case_id, Resource::Counselling)
                .await?
        {
            let codes: Option<(Uuid, String)> = on_db!(&store.db, p => sqlx::query_as(
                "SELECT id, special_assistance FROM fitness_checks WHERE case_id = $1 AND person_id = $2 ORDER BY recorded_at DESC LIMIT 1")
                .bind(r.case_id).bind(r.person_id).fetch_optional(p).await)?;
            let codes = match codes {
                Some((id, sealed)) => Some(store.keys.open(
                    &crate::crypto::aad(crate::readiness::FITNESS, "special_assistance", id),
                    &sealed,
                )?),
                None => None,
            };
            Some(
                codes
                    .and_then(|c| serde_json::from_str::<Vec<String>>(&c).ok())
                    .unwrap_or_default(),
            )
        } else {
            None
        };
        let same = out.last().is_some_and(|f| {
            f.carrier == r.carrier
                && f.flight_number == r.flight_number
                && f.departs_at == r.departs_at
        });
        if !same {
            out.push(ManifestFlight {
                departs_local: local(r.departs_at, zone(&r.from_airport)),
                arrives_local: local(r.arrives_at, zone(&r.to_airport)),
                carrier: r.carrier.clone(),
                flight_number: r.flight_number.clone(),
                from: r.from_airport.clone(),
                to: r.to_airport.clone(),
                departs_at: r.departs_at,
                travellers: Vec::new(),
            });
        }
        if let Some(f) = out.last_mut() {
            f.travellers.push(ManifestTraveller {
                case_id: r.case_id,
                case_number: r.case_number,
                itinerary_id: r.itinerary_id,
                itinerary_status: r.itinerary_status,
                person_id: r.person_id,
                name: r.name,
                ticket_number: r.ticket_number,
                departure_assistance: r.departure_assistance,
                transit_assistance: r.transit_assistance,
                arrival_reception: r.arrival_reception,
                escort: r.escort,
                special_assistance: ssr,
                final_destination: r.destination,
            });
        }
    }
    Ok(out)
}
