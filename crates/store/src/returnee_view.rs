//! What the returnee's own page shows of their case beyond its step (issue
//! 22): what comes next (the office's contact deadline, the last
//! counselling meeting, their booked flights in each airport's local time,
//! the arrival, the next follow-up), their support in amounts only, and a
//! copy of what the programme holds about them. Nothing here names a
//! member of staff or a vendor, and nothing is about another person: the
//! flights are those the person travels on.

use crate::returnee_access::Returnee;
use crate::{on_db, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::airports;
use homeward_domain::money::Money;
use homeward_domain::reintegration::{self, PurchaseLine, PurchaseStatus};

/// One flight the person is booked on, in its airports' local times.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flight {
    /// Carrier and number (`AC 834`).
    pub flight: String,
    pub from: String,
    pub to: String,
    /// `YYYY-MM-DD HH:MM` at the departure airport.
    pub departs_local: String,
    /// `YYYY-MM-DD HH:MM` at the arrival airport.
    pub arrives_local: String,
}

/// What comes next for the person.
#[derive(Debug, Clone, Default)]
pub struct Next {
    /// While the referral waits for the first contact: by when.
    pub contact_due: Option<DateTime<Utc>>,
    pub last_counselling: Option<NaiveDate>,
    pub flights: Vec<Flight>,
    pub arrived_on: Option<NaiveDate>,
    /// The earliest follow-up not yet done.
    pub next_followup: Option<NaiveDate>,
}

/// An airport's name for people (`Budapest (BUD)`), and its zone.
fn airport(code: &str) -> (String, chrono_tz::Tz) {
    match airports::by_iata(code) {
        Some(a) if !a.city.is_empty() => (format!("{} ({})", a.city, a.iata), a.tz),
        Some(a) => (format!("{} ({})", a.name, a.iata), a.tz),
        None => (code.to_string(), chrono_tz::UTC),
    }
}

/// What comes next on the person's case.
pub async fn next(store: &Store, who: &Returnee) -> Result<Next> {
    #[derive(sqlx::FromRow)]
    struct Head {
        contact_due: Option<DateTime<Utc>>,
        last_counselling: Option<NaiveDate>,
        arrived_on: Option<NaiveDate>,
        next_followup: Option<NaiveDate>,
    }
    let head: Head = on_db!(&store.db, p => sqlx::query_as(
        "SELECT (SELECT r.contact_due_at FROM referrals r JOIN cases c ON c.id = r.case_id \
                 WHERE r.case_id = $1 AND r.contacted_at IS NULL AND c.status = 'referred') AS contact_due, \
                (SELECT MAX(s.held_on) FROM counselling_sessions s WHERE s.case_id = $1) AS last_counselling, \
                (SELECT a.arrived_on FROM arrivals a WHERE a.case_id = $1) AS arrived_on, \
                (SELECT MIN(f.due_on) FROM followups f WHERE f.case_id = $1 AND f.completed_at IS NULL) AS next_followup")
        .bind(who.case_id).fetch_one(p).await)?;
    #[derive(sqlx::FromRow)]
    struct Leg {
        carrier: String,
        flight_number: String,
        from_airport: String,
        to_airport: String,
        departs_at: DateTime<Utc>,
        arrives_at: DateTime<Utc>,
    }
    let legs: Vec<Leg> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT s.carrier, s.flight_number, s.from_airport, s.to_airport, s.departs_at, s.arrives_at \
         FROM itinerary_segments s JOIN itineraries i ON i.id = s.itinerary_id \
         JOIN itinerary_travellers t ON t.itinerary_id = i.id \
         WHERE i.case_id = $1 AND t.person_id = $2 AND i.status = 'booked' ORDER BY s.departs_at, s.position")
        .bind(who.case_id).bind(who.person_id).fetch_all(p).await)?;
    let flights = legs
        .into_iter()
        .map(|l| {
            let (from, from_tz) = airport(&l.from_airport);
            let (to, to_tz) = airport(&l.to_airport);
            Flight {
                flight: format!("{} {}", l.carrier, l.flight_number),
                from,
                to,
                departs_local: l
                    .departs_at
                    .with_timezone(&from_tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
                arrives_local: l
                    .arrives_at
                    .with_timezone(&to_tz)
                    .format("%Y-%m-%d %H:%M")
                    .to_string(),
            }
        })
        .collect();
    Ok(Next {
        contact_due: head.contact_due,
        last_counselling: head.last_counselling,
        flights,
        arrived_on: head.arrived_on,
        next_followup: head.next_followup,
    })
}

/// The case's support in amounts (the programme's currency): approved,
/// delivered or paid, agreed and not yet delivered, and what remains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Support {
    pub approved: Money,
    pub delivered: Money,
    pub committed: Money,
    pub remaining: Money,
}

/// The case's support, once an entitlement is granted.
pub async fn support(store: &Store, who: &Returnee) -> Result<Option<Support>> {
    let case_id = who.case_id;
    let Some(cap) = crate::entitlement::entitlement(store, case_id).await? else {
        return Ok(None);
    };
    let rows: Vec<(String, i64, String, i64, String)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT status, local_minor, local_currency, programme_minor, programme_currency FROM purchases WHERE case_id = $1")
        .bind(case_id).fetch_all(p).await)?;
    let lines: Vec<PurchaseLine> = rows
        .into_iter()
        .filter_map(|(status, lm, lc, pm, pc)| {
            Some(PurchaseLine {
                status: PurchaseStatus::parse(&status)?,
                local: Money::of(lm, &lc).ok()?,
                programme: Money::of(pm, &pc).ok()?,
            })
        })
        .collect();
    Ok(reintegration::ledger(cap, &[], &lines)
        .ok()
        .map(|l| Support {
            approved: l.entitlement,
            delivered: l.paid,
            committed: l.committed,
            remaining: l.remaining,
        }))
}
