//! Booking flights for a case: what a booking request must hold and what the
//! store may write for it. The store reads the facts (the case's status and
//! people, who is already booked, the itinerary a rebooking replaces), asks
//! [`decide`], and writes what it returns; every refusal comes back at once,
//! each on its field.

use crate::itinerary::{self, Segment, SegmentInput};
use crate::validation::{self, clean, Invalid};
use crate::workflow::CaseStatus;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Case statuses in which flights may be booked.
pub const BOOKABLE: [CaseStatus; 2] = [CaseStatus::Eligible, CaseStatus::PreparingDeparture];
/// Statuses of an itinerary that a new booking may replace.
pub const REPLACEABLE: [&str; 3] = ["booked", "no_show", "postponed"];
/// Largest fare accepted, in minor units.
pub const MAX_FARE_MINOR: i64 = 100_000_000;

/// One flight segment as typed, in the local time of each airport.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SegmentForm {
    /// IATA airline designator, e.g. `AC`.
    pub carrier: Option<String>,
    pub flight_number: Option<String>,
    /// IATA airport code.
    pub from: Option<String>,
    pub to: Option<String>,
    /// Local time at `from`: `YYYY-MM-DDTHH:MM`.
    pub departs_local: Option<String>,
    /// Local time at `to`.
    pub arrives_local: Option<String>,
}

/// A traveller on an itinerary as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct TravellerForm {
    pub person_id: Option<Uuid>,
    /// The 13-digit ticket number, once issued.
    pub ticket_number: Option<String>,
}

/// A booking as typed: for one traveller or the whole family.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"travellers": [{"person_id": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4"}],
    "segments": [{"carrier": "AC", "flight_number": "AC846", "from": "YYZ", "to": "FRA",
        "departs_local": "2012-10-15T18:40", "arrives_local": "2012-10-16T08:05"},
      {"carrier": "LH", "flight_number": "LH1334", "from": "FRA", "to": "BUD",
        "departs_local": "2012-10-16T10:05", "arrives_local": "2012-10-16T11:35"}],
    "booking_reference": "QX7P2L", "fare_minor": 148500, "fare_currency": "CAD",
    "departure_assistance": true, "transit_assistance": true, "arrival_reception": true})))]
pub struct ItineraryInput {
    pub travellers: Vec<TravellerForm>,
    pub segments: Vec<SegmentForm>,
    /// The airline's record locator (6 letters or digits).
    pub booking_reference: Option<String>,
    /// The fare for all travellers, in minor units.
    pub fare_minor: Option<i64>,
    /// ISO 4217, e.g. `CAD`.
    pub fare_currency: Option<String>,
    /// IOM assists at the departure airport.
    pub departure_assistance: bool,
    /// IOM assists in transit.
    pub transit_assistance: bool,
    /// The mission receives the travellers on arrival.
    pub arrival_reception: bool,
    /// Who escorts the travellers (a medical or operational escort), if anyone.
    pub escort: Option<String>,
    pub notes: Option<String>,
    /// When rebooking: the itinerary this one replaces.
    pub replaces: Option<Uuid>,
    /// When rebooking: why.
    pub reason: Option<String>,
}

/// What the store read for a booking.
#[derive(Debug, Clone)]
pub struct BookingFacts<'a> {
    pub case_status: CaseStatus,
    /// The people on the case.
    pub members: &'a [Uuid],
    /// Those already on a booked itinerary of the case (other than the one replaced).
    pub already_booked: &'a [Uuid],
    /// For a rebooking: the replaced itinerary's status and version, `None`
    /// when no itinerary of the case has that id.
    pub replaced: Option<(&'a str, i64)>,
}

/// A booking to write, every field checked and normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct Booking {
    pub segments: Vec<Segment>,
    /// Each traveller with their ticket number (digits only), if issued.
    pub travellers: Vec<(Uuid, Option<String>)>,
    /// Upper case.
    pub booking_reference: Option<String>,
    /// Upper case.
    pub fare_currency: Option<String>,
    pub escort: Option<String>,
    pub notes: Option<String>,
    pub reason: Option<String>,
    /// For a rebooking: the replaced itinerary's version, for the update that retires it.
    pub replaced_version: Option<i64>,
}

/// Whether `s` is a 13-digit ticket number (spaces and hyphens allowed).
pub fn is_ticket_number(s: &str) -> bool {
    let d: String = s.chars().filter(|c| *c != '-' && *c != ' ').collect();
    d.len() == 13 && d.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `s` is an airline record locator: 6 upper-case letters or digits.
pub fn is_booking_reference(s: &str) -> bool {
    s.len() == 6
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

/// Decides a booking: the case must be ready for travel, the segments valid
/// (`itinerary::validate`), each traveller on the case, once, and not
/// already booked, ticket numbers and the record locator well formed, a
/// fare with its currency, and a rebooking must replace a live itinerary of
/// the case and say why. Field errors: `case` (`case-not-ready-for-travel`),
/// `segments...`, `travellers` (`no-travellers`), `travellers[n].person_id`
/// (`required`, `not-on-case`, `duplicate`, `traveller-already-booked`),
/// `travellers[n].ticket_number`, `booking_reference`, `fare_minor`,
/// `fare_currency`, `escort`, `notes`, `reason`, `replaces` (`not-on-case`,
/// `cannot-rebook`).
pub fn decide(i: &ItineraryInput, facts: &BookingFacts) -> Result<Booking, Invalid> {
    let mut inv = Invalid::default();
    if !BOOKABLE.contains(&facts.case_status) {
        inv.add("case", "case-not-ready-for-travel");
    }
    let typed: Vec<SegmentInput> = i
        .segments
        .iter()
        .map(|s| SegmentInput {
            carrier: s.carrier.clone(),
            flight_number: s.flight_number.clone(),
            from: s.from.clone(),
            to: s.to.clone(),
            departs_local: s.departs_local.clone(),
            arrives_local: s.arrives_local.clone(),
        })
        .collect();
    let segments = match itinerary::validate(&typed) {
        Ok((s, _warnings)) => s,
        Err(e) => {
            inv.errors.extend(e.errors);
            Vec::new()
        }
    };
    let mut travellers: Vec<(Uuid, Option<String>)> = Vec::new();
    if i.travellers.is_empty() {
        inv.add("travellers", "no-travellers");
    }
    for (n, t) in i.travellers.iter().enumerate() {
        let field = format!("travellers[{n}].person_id");
        match t.person_id {
            None => inv.add(&field, "required"),
            Some(p) if !facts.members.contains(&p) => inv.add(&field, "not-on-case"),
            Some(p) if travellers.iter().any(|(q, _)| *q == p) => inv.add(&field, "duplicate"),
            Some(p) if facts.already_booked.contains(&p) => {
                inv.add(&field, "traveller-already-booked")
            }
            Some(p) => {
                let ticket = clean(t.ticket_number.as_deref());
                if ticket.as_deref().is_some_and(|s| !is_ticket_number(s)) {
                    inv.add(
                        &format!("travellers[{n}].ticket_number"),
                        "invalid-ticket-number",
                    );
                }
                travellers.push((p, ticket.map(|s| s.replace([' ', '-'], ""))));
            }
        }
    }
    let booking_reference = clean(i.booking_reference.as_deref()).map(|s| s.to_uppercase());
    if booking_reference
        .as_deref()
        .is_some_and(|s| !is_booking_reference(s))
    {
        inv.add("booking_reference", "invalid-booking-reference");
    }
    let fare_currency = clean(i.fare_currency.as_deref()).map(|s| s.to_uppercase());
    match (i.fare_minor, fare_currency.as_deref()) {
        (Some(f), _) if !(0..=MAX_FARE_MINOR).contains(&f) => inv.add("fare_minor", "out-of-range"),
        (Some(_), None) => inv.add("fare_currency", "required"),
        (_, Some(c)) if !(c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase())) => {
            inv.add("fare_currency", "invalid-currency")
        }
        _ => {}
    }
    validation::text(&mut inv, "escort", i.escort.as_deref(), false, 500);
    validation::text(&mut inv, "notes", i.notes.as_deref(), false, 5000);
    let reason = clean(i.reason.as_deref());
    validation::text(&mut inv, "reason", reason.as_deref(), false, 2000);
    let replaced_version = match (i.replaces, facts.replaced) {
        (None, _) => None,
        (Some(_), None) => {
            inv.add("replaces", "not-on-case");
            None
        }
        (Some(_), Some((status, _))) if !REPLACEABLE.contains(&status) => {
            inv.add("replaces", "cannot-rebook");
            None
        }
        (Some(_), Some((_, version))) => {
            if reason.is_none() {
                inv.add("reason", "required");
            }
            Some(version)
        }
    };
    inv.into_result()?;
    if segments.is_empty() {
        // `validate` refuses an empty list; kept as a guard for the store's first/last.
        return Err(Invalid::one("segments", "no-segments"));
    }
    Ok(Booking {
        segments,
        travellers,
        booking_reference,
        fare_currency,
        escort: clean(i.escort.as_deref()),
        notes: clean(i.notes.as_deref()),
        reason,
        replaced_version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(from: &str, to: &str, dep: &str, arr: &str) -> SegmentForm {
        SegmentForm {
            carrier: Some("AC".into()),
            flight_number: Some("876".into()),
            from: Some(from.into()),
            to: Some(to.into()),
            departs_local: Some(dep.into()),
            arrives_local: Some(arr.into()),
        }
    }

    fn input(people: &[Uuid]) -> ItineraryInput {
        ItineraryInput {
            travellers: people
                .iter()
                .map(|p| TravellerForm {
                    person_id: Some(*p),
                    ticket_number: None,
                })
                .collect(),
            segments: vec![seg("YYZ", "BUD", "2026-03-08T18:40", "2026-03-09T10:05")],
            ..Default::default()
        }
    }

    fn facts<'a>(members: &'a [Uuid], booked: &'a [Uuid]) -> BookingFacts<'a> {
        BookingFacts {
            case_status: CaseStatus::Eligible,
            members,
            already_booked: booked,
            replaced: None,
        }
    }

    fn codes(e: &Invalid) -> Vec<(String, String)> {
        e.errors
            .iter()
            .map(|f| (f.field.clone(), f.code.clone()))
            .collect()
    }

    #[test]
    fn a_family_is_booked_with_normalised_fields() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let mut i = input(&[a, b]);
        i.travellers[0].ticket_number = Some("014-2345 678901".into());
        i.booking_reference = Some(" xk7p2q ".into());
        i.fare_minor = Some(245_000);
        i.fare_currency = Some("cad".into());
        i.escort = Some("  ".into());
        let out = decide(&i, &facts(&[a, b], &[])).unwrap();
        assert_eq!(
            out.travellers,
            vec![(a, Some("0142345678901".into())), (b, None)]
        );
        assert_eq!(out.booking_reference.as_deref(), Some("XK7P2Q"));
        assert_eq!(out.fare_currency.as_deref(), Some("CAD"));
        assert_eq!(out.escort, None);
        assert_eq!(out.segments.len(), 1);
        assert_eq!(out.replaced_version, None);
    }

    #[test]
    fn every_problem_is_named_on_its_field_at_once() {
        let (a, b, stranger) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        let mut i = input(&[a, a, stranger, b]);
        i.travellers.push(TravellerForm::default());
        i.travellers[0].ticket_number = Some("12345".into());
        i.booking_reference = Some("ABC".into());
        i.fare_minor = Some(-1);
        i.fare_currency = Some("dollars".into());
        let (members, booked) = ([a, b], [b]);
        let mut f = facts(&members, &booked);
        f.case_status = CaseStatus::Counselling;
        let e = decide(&i, &f).unwrap_err();
        let got = codes(&e);
        for want in [
            ("case", "case-not-ready-for-travel"),
            ("travellers[0].ticket_number", "invalid-ticket-number"),
            ("travellers[1].person_id", "duplicate"),
            ("travellers[2].person_id", "not-on-case"),
            ("travellers[3].person_id", "traveller-already-booked"),
            ("travellers[4].person_id", "required"),
            ("booking_reference", "invalid-booking-reference"),
            ("fare_minor", "out-of-range"),
        ] {
            assert!(
                got.contains(&(want.0.to_string(), want.1.to_string())),
                "{want:?} not in {got:?}"
            );
        }
    }

    #[test]
    fn fares_need_a_currency_and_nothing_else_is_required() {
        let a = Uuid::new_v4();
        let mut i = input(&[a]);
        i.fare_minor = Some(100);
        let e = decide(&i, &facts(&[a], &[])).unwrap_err();
        assert_eq!(codes(&e), vec![("fare_currency".into(), "required".into())]);
        let mut i = input(&[]);
        i.segments.clear();
        let e = decide(&i, &facts(&[a], &[])).unwrap_err();
        let got = codes(&e);
        assert!(
            got.contains(&("travellers".into(), "no-travellers".into())),
            "{got:?}"
        );
        assert!(got.iter().any(|(f, _)| f == "segments"), "{got:?}");
    }

    #[test]
    fn a_rebooking_replaces_a_live_itinerary_and_says_why() {
        let a = Uuid::new_v4();
        let mut i = input(&[a]);
        i.replaces = Some(Uuid::new_v4());
        let e = decide(&i, &facts(&[a], &[])).unwrap_err();
        assert_eq!(codes(&e), vec![("replaces".into(), "not-on-case".into())]);
        let members = [a];
        let mut f = facts(&members, &[]);
        f.replaced = Some(("departed", 3));
        let e = decide(&i, &f).unwrap_err();
        assert_eq!(codes(&e), vec![("replaces".into(), "cannot-rebook".into())]);
        for status in REPLACEABLE {
            f.replaced = Some((status, 3));
            let e = decide(&i, &f).unwrap_err();
            assert_eq!(codes(&e), vec![("reason".into(), "required".into())]);
        }
        i.reason = Some("Missed the connection in Frankfurt".into());
        assert_eq!(decide(&i, &f).unwrap().replaced_version, Some(3));
    }

    #[test]
    fn ticket_numbers_and_record_locators() {
        assert!(is_ticket_number("0142345678901"));
        assert!(is_ticket_number("014-2345678901"));
        assert!(!is_ticket_number("014234567890"));
        assert!(!is_ticket_number("01423456789O1"));
        assert!(is_booking_reference("XK7P2Q"));
        assert!(!is_booking_reference("xk7p2q"));
        assert!(!is_booking_reference("XK7P2"));
    }
}
