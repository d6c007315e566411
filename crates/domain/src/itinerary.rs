//! A traveller's (or a family's) itinerary: flight segments.
//!
//! Times are typed as they appear on a ticket, in the LOCAL time of each
//! airport, and stored in UTC through the airport's time zone, so daylight
//! saving changes on either side of a flight are handled. Nothing assumes a
//! direction of travel: Toronto to a country of return and back to Toronto
//! validate alike.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::airports::{self, Airport};
use crate::validation::{self, Invalid};

/// At most this many segments in one itinerary.
pub const MAX_SEGMENTS: usize = 8;
/// A connection shorter than this is warned about (`short-connection`).
pub const MIN_CONNECTION: Duration = Duration::minutes(60);
/// A connection longer than this is warned about (`long-connection`).
pub const MAX_CONNECTION: Duration = Duration::hours(24);
/// A flight longer than this is refused as a typing mistake
/// (`implausible-duration`); the longest scheduled flights are under 19 h.
pub const MAX_FLIGHT: Duration = Duration::hours(20);

/// Length limit for the free-text fields before their own checks run.
const MAX_FIELD: usize = 64;

/// One segment as typed in a form; every field may be missing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SegmentInput {
    pub carrier: Option<String>,
    pub flight_number: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Local time at `from`: "2026-03-08T01:30", "2026-03-08 01:30", seconds allowed.
    pub departs_local: Option<String>,
    /// Local time at `to`, same formats.
    pub arrives_local: Option<String>,
}

/// One validated flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// IATA airline designator, upper case ("AC", "LH", "4U").
    pub carrier: String,
    /// 1–4 digits and an optional letter, upper case ("876", "1234A").
    pub flight_number: String,
    pub from: &'static Airport,
    pub to: &'static Airport,
    pub departs_at: DateTime<Utc>,
    pub arrives_at: DateTime<Utc>,
}

impl Segment {
    /// Departure in the local time of the departure airport.
    pub fn departs_local(&self) -> DateTime<Tz> {
        self.departs_at.with_timezone(&self.from.tz)
    }

    /// Arrival in the local time of the arrival airport.
    pub fn arrives_local(&self) -> DateTime<Tz> {
        self.arrives_at.with_timezone(&self.to.tz)
    }

    /// Time in the air (and on the ground at stops within the flight).
    pub fn duration(&self) -> Duration {
        self.arrives_at - self.departs_at
    }
}

/// Something worth a second look that does not make the itinerary invalid.
/// `segment` is the index of the segment concerned: for connection warnings,
/// the segment that departs after the connection. `code` is a translation
/// key (`warning-<code>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Warning {
    pub segment: usize,
    pub code: String,
}

impl Warning {
    fn new(segment: usize, code: &str) -> Self {
        Warning {
            segment,
            code: code.into(),
        }
    }
}

/// Reads a local time as typed in a form: `YYYY-MM-DDTHH:MM` or
/// `YYYY-MM-DD HH:MM`, optionally with seconds (and fractions, which an HTML
/// `datetime-local` input may send). The year must have four digits.
pub fn parse_local(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    let b = s.as_bytes();
    let four_digit_year = b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-';
    if !four_digit_year {
        return None;
    }
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
    ];
    FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

/// The UTC instant of a local time in `tz`.
///
/// A local time that does not exist (skipped when clocks spring forward,
/// e.g. 02:30 on 2026-03-08 in Toronto) is refused with
/// `"nonexistent-local-time"`: it is a typing mistake or a misread ticket,
/// and guessing could make someone miss a flight.
///
/// A local time that happens twice (when clocks fall back, e.g. 01:30 on
/// 2026-11-01 in Toronto) resolves to the EARLIER instant, the first
/// occurrence, still on summer time. Airlines avoid scheduling in that hour,
/// so this is rare, and the earlier reading is the safe one: for a departure
/// the traveller is told to be at the airport an hour early rather than an
/// hour late, and for an arrival a following connection looks shorter rather
/// than longer, so a tight connection is warned about, not hidden.
pub fn to_utc(local: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, &'static str> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => Ok(t.to_utc()),
        LocalResult::Ambiguous(a, b) => Ok(a.to_utc().min(b.to_utc())),
        LocalResult::None => Err("nonexistent-local-time"),
    }
}

/// An IATA airline designator: two letters or digits, not both digits.
fn is_carrier(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 2 && b.iter().all(u8::is_ascii_alphanumeric) && !b.iter().all(u8::is_ascii_digit)
}

/// A flight number: 1–4 digits and an optional letter suffix.
fn is_flight_number(s: &str) -> bool {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let suffix = &s.as_bytes()[digits..];
    (1..=4).contains(&digits)
        && (suffix.is_empty() || (suffix.len() == 1 && suffix[0].is_ascii_alphabetic()))
}

/// Runs the shared text checks; the trimmed value when they pass.
fn present(inv: &mut Invalid, field: &str, value: Option<&str>) -> Option<String> {
    let before = inv.errors.len();
    validation::text(inv, field, value, true, MAX_FIELD);
    if inv.errors.len() > before {
        return None;
    }
    validation::clean(value)
}

fn airport(inv: &mut Invalid, field: &str, value: Option<&str>) -> Option<&'static Airport> {
    let code = present(inv, field, value)?;
    let found = airports::by_iata(&code);
    if found.is_none() {
        inv.add(field, "unknown-airport");
    }
    found
}

/// Parses a local time and, when the airport is known, places it in UTC.
fn instant(
    inv: &mut Invalid,
    field: &str,
    value: Option<&str>,
    at: Option<&'static Airport>,
) -> Option<DateTime<Utc>> {
    let text = present(inv, field, value)?;
    let Some(local) = parse_local(&text) else {
        inv.add(field, "invalid-datetime");
        return None;
    };
    match to_utc(local, at?.tz) {
        Ok(t) => Some(t),
        Err(code) => {
            inv.add(field, code);
            None
        }
    }
}

/// Checks an itinerary and places its times in UTC.
///
/// Errors go on `segments[N].<field>` (or `segments` for the list as a
/// whole); on success, the segments come back with any warnings.
pub fn validate(segments: &[SegmentInput]) -> Result<(Vec<Segment>, Vec<Warning>), Invalid> {
    let mut inv = Invalid::default();
    if segments.is_empty() {
        inv.add("segments", "no-segments");
        return Err(inv);
    }
    if segments.len() > MAX_SEGMENTS {
        inv.add("segments", "too-many-segments");
        return Err(inv);
    }

    let mut out: Vec<Segment> = Vec::with_capacity(segments.len());
    let mut warnings = Vec::new();
    // What the previous segment resolved to, for the connection checks.
    let mut prev_to: Option<&'static Airport> = None;
    let mut prev_arrives: Option<DateTime<Utc>> = None;

    for (n, s) in segments.iter().enumerate() {
        let field = |name: &str| format!("segments[{n}].{name}");

        let carrier = present(&mut inv, &field("carrier"), s.carrier.as_deref())
            .map(|c| c.to_ascii_uppercase())
            .filter(|c| {
                let ok = is_carrier(c);
                if !ok {
                    inv.add(&field("carrier"), "invalid-carrier");
                }
                ok
            });
        let number = present(
            &mut inv,
            &field("flight_number"),
            s.flight_number.as_deref(),
        )
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| {
            let ok = is_flight_number(c);
            if !ok {
                inv.add(&field("flight_number"), "invalid-flight-number");
            }
            ok
        });

        let from = airport(&mut inv, &field("from"), s.from.as_deref());
        let mut to = airport(&mut inv, &field("to"), s.to.as_deref());
        if let (Some(a), Some(b)) = (from, to) {
            if a.iata == b.iata {
                inv.add(&field("to"), "same-airport");
                to = None;
            }
        }
        if let (Some(prev), Some(here)) = (prev_to, from) {
            if prev.iata != here.iata {
                inv.add(&field("from"), "segments-do-not-connect");
            }
        }

        let departs = instant(
            &mut inv,
            &field("departs_local"),
            s.departs_local.as_deref(),
            from,
        );
        let arrives = instant(
            &mut inv,
            &field("arrives_local"),
            s.arrives_local.as_deref(),
            to,
        );
        if let (Some(d), Some(a)) = (departs, arrives) {
            if a <= d {
                inv.add(&field("arrives_local"), "arrives-before-departs");
            } else if a - d > MAX_FLIGHT {
                inv.add(&field("arrives_local"), "implausible-duration");
            }
        }
        if let (Some(before), Some(d)) = (prev_arrives, departs) {
            let connection = d - before;
            if connection <= Duration::zero() {
                inv.add(&field("departs_local"), "departs-before-previous-arrives");
            } else if connection < MIN_CONNECTION {
                warnings.push(Warning::new(n, "short-connection"));
            } else if connection > MAX_CONNECTION {
                warnings.push(Warning::new(n, "long-connection"));
            }
        }

        prev_to = to;
        prev_arrives = arrives;
        if let (Some(carrier), Some(flight_number), Some(from), Some(to), Some(d), Some(a)) =
            (carrier, number, from, to, departs, arrives)
        {
            out.push(Segment {
                carrier,
                flight_number,
                from,
                to,
                departs_at: d,
                arrives_at: a,
            });
        }
    }

    inv.into_result()?;
    Ok((out, warnings))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, Offset};
    use proptest::prelude::*;

    fn seg(
        carrier: &str,
        number: &str,
        from: &str,
        dep: &str,
        to: &str,
        arr: &str,
    ) -> SegmentInput {
        SegmentInput {
            carrier: Some(carrier.into()),
            flight_number: Some(number.into()),
            from: Some(from.into()),
            to: Some(to.into()),
            departs_local: Some(dep.into()),
            arrives_local: Some(arr.into()),
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s)
            .expect("test instant")
            .to_utc()
    }

    fn local(s: &str) -> NaiveDateTime {
        parse_local(s).expect("test local time")
    }

    fn errors(input: &[SegmentInput]) -> Invalid {
        validate(input).expect_err("should be refused")
    }

    fn warnings(input: &[SegmentInput]) -> Vec<Warning> {
        validate(input).expect("should be valid").1
    }

    #[test]
    fn parses_form_times() {
        let t = NaiveDate::from_ymd_opt(2026, 3, 8)
            .and_then(|d| d.and_hms_opt(1, 30, 0))
            .expect("date");
        assert_eq!(parse_local("2026-03-08T01:30"), Some(t));
        assert_eq!(parse_local(" 2026-03-08 01:30 "), Some(t));
        assert_eq!(parse_local("2026-03-08T01:30:00"), Some(t));
        assert_eq!(parse_local("2026-03-08 01:30:00.000"), Some(t));
        assert_eq!(
            parse_local("2026-03-08T01:30:15"),
            t.checked_add_signed(Duration::seconds(15))
        );
        for bad in [
            "",
            "2026-03-08",
            "01:30",
            "2026-02-30T01:30",
            "2026-03-08T24:30",
            "2026-03-08T1:3x",
            "08/03/2026 01:30",
            "26-03-08T01:30",
            "+2026-03-08T01:30",
            "2026-03-08T01:30Z",
            "2026-03-08T01:30+01:00",
        ] {
            assert_eq!(parse_local(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn spring_forward_gap_is_refused() {
        // 2026-03-08: Toronto clocks go from 02:00 EST to 03:00 EDT.
        let toronto = chrono_tz::America::Toronto;
        assert_eq!(
            to_utc(local("2026-03-08T02:30"), toronto),
            Err("nonexistent-local-time")
        );
        assert_eq!(
            to_utc(local("2026-03-08T01:59"), toronto),
            Ok(utc("2026-03-08T06:59:00Z"))
        );
        assert_eq!(
            to_utc(local("2026-03-08T03:00"), toronto),
            Ok(utc("2026-03-08T07:00:00Z"))
        );
        // 2026-03-29: Budapest clocks go from 02:00 CET to 03:00 CEST.
        assert_eq!(
            to_utc(local("2026-03-29T02:15"), chrono_tz::Europe::Budapest),
            Err("nonexistent-local-time")
        );

        let inv = errors(&[seg(
            "AC",
            "876",
            "YYZ",
            "2026-03-08T02:30",
            "FRA",
            "2026-03-08T16:00",
        )]);
        assert_eq!(
            inv.for_field("segments[0].departs_local"),
            Some("nonexistent-local-time")
        );
    }

    #[test]
    fn fall_back_ambiguity_takes_the_earlier_instant() {
        // 2026-11-01: Toronto clocks go from 02:00 EDT back to 01:00 EST, so
        // 01:30 happens at 05:30 UTC (EDT) and again at 06:30 UTC (EST).
        let toronto = chrono_tz::America::Toronto;
        assert_eq!(
            to_utc(local("2026-11-01T01:30"), toronto),
            Ok(utc("2026-11-01T05:30:00Z"))
        );
        assert_eq!(
            to_utc(local("2026-11-01T02:30"), toronto),
            Ok(utc("2026-11-01T07:30:00Z"))
        );
        // Europe on 2026-10-25: 02:30 happens twice in Berlin.
        assert_eq!(
            to_utc(local("2026-10-25T02:30"), chrono_tz::Europe::Berlin),
            Ok(utc("2026-10-25T00:30:00Z"))
        );
    }

    #[test]
    fn outbound_across_north_american_spring_forward() {
        // Toronto is on EDT (UTC-4) from 2026-03-08 while Frankfurt and
        // Budapest stay on CET (UTC+1) until 2026-03-29: five hours apart.
        let (segs, warns) = validate(&[
            seg(
                "AC",
                "876",
                "YYZ",
                "2026-03-08T18:00",
                "FRA",
                "2026-03-09T06:40",
            ),
            seg(
                "LH",
                "1338",
                "FRA",
                "2026-03-09 08:35",
                "BUD",
                "2026-03-09 10:05",
            ),
        ])
        .expect("valid");
        assert!(warns.is_empty(), "{warns:?}");
        assert_eq!(segs[0].departs_at, utc("2026-03-08T22:00:00Z"));
        assert_eq!(segs[0].arrives_at, utc("2026-03-09T05:40:00Z"));
        assert_eq!(segs[0].duration(), Duration::minutes(7 * 60 + 40));
        assert_eq!(segs[1].departs_at, utc("2026-03-09T07:35:00Z"));
        assert_eq!(segs[1].arrives_at, utc("2026-03-09T09:05:00Z"));
        assert_eq!(
            segs[0].departs_local().offset().fix().local_minus_utc(),
            -4 * 3600
        );
        assert_eq!(
            segs[0].arrives_local().offset().fix().local_minus_utc(),
            3600
        );
        assert_eq!(
            segs[0].departs_local().naive_local(),
            local("2026-03-08T18:00")
        );
        assert_eq!(
            segs[1].arrives_local().naive_local(),
            local("2026-03-09T10:05")
        );
        assert_eq!(segs[0].carrier, "AC");
        assert_eq!(segs[1].flight_number, "1338");
        assert_eq!(segs[1].to.iata, "BUD");

        // The night before, Toronto was still on EST (UTC-5).
        let (segs, _) = validate(&[seg(
            "AC",
            "876",
            "YYZ",
            "2026-03-07T18:00",
            "FRA",
            "2026-03-08T07:40",
        )])
        .expect("valid");
        assert_eq!(segs[0].departs_at, utc("2026-03-07T23:00:00Z"));
        assert_eq!(segs[0].arrives_at, utc("2026-03-08T06:40:00Z"));
    }

    #[test]
    fn outbound_overnight_into_european_spring_forward() {
        // Leaves Toronto on Saturday 2026-03-28 (EDT), lands in Frankfurt on
        // Sunday 2026-03-29 after Europe moved to CEST at 01:00 UTC, and
        // connects to Budapest the same morning.
        let (segs, warns) = validate(&[
            seg(
                "ac",
                "876",
                "yyz",
                "2026-03-28T18:00",
                "fra",
                "2026-03-29T07:40",
            ),
            seg(
                "lh",
                "1338",
                "fra",
                "2026-03-29T09:35",
                "bud",
                "2026-03-29T11:05",
            ),
        ])
        .expect("valid");
        assert!(warns.is_empty(), "{warns:?}");
        assert_eq!(segs[0].departs_at, utc("2026-03-28T22:00:00Z"));
        assert_eq!(segs[0].arrives_at, utc("2026-03-29T05:40:00Z"));
        assert_eq!(segs[0].duration(), Duration::minutes(7 * 60 + 40));
        assert_eq!(segs[1].departs_at, utc("2026-03-29T07:35:00Z"));
        assert_eq!(segs[1].arrives_at, utc("2026-03-29T09:05:00Z"));
        assert_eq!(
            segs[0].arrives_local().offset().fix().local_minus_utc(),
            7200
        );
        assert_eq!(segs[0].carrier, "AC");
        assert_eq!(segs[0].from.iata, "YYZ");
    }

    #[test]
    fn inbound_direction_is_valid_across_fall_back() {
        // Bogotá (UTC-5, no DST) to Toronto overnight as Toronto falls back
        // at 06:00 UTC on 2026-11-01: the 05:45 arrival is EST.
        let (segs, warns) = validate(&[seg(
            "AC",
            "1965",
            "BOG",
            "2026-11-01T00:30",
            "YYZ",
            "2026-11-01T05:45",
        )])
        .expect("valid");
        assert!(warns.is_empty());
        assert_eq!(segs[0].departs_at, utc("2026-11-01T05:30:00Z"));
        assert_eq!(segs[0].arrives_at, utc("2026-11-01T10:45:00Z"));
        assert_eq!(
            segs[0].duration(),
            Duration::hours(5) + Duration::minutes(15)
        );

        // Budapest to Toronto via Frankfurt, a week after Europe fell back.
        let (segs, _) = validate(&[
            seg(
                "LH",
                "1335",
                "BUD",
                "2026-10-31T06:00",
                "FRA",
                "2026-10-31T07:40",
            ),
            seg(
                "AC",
                "877",
                "FRA",
                "2026-10-31T10:15",
                "YYZ",
                "2026-10-31T12:45",
            ),
        ])
        .expect("valid");
        assert_eq!(segs[0].departs_at, utc("2026-10-31T05:00:00Z"));
        assert_eq!(segs[1].departs_at, utc("2026-10-31T09:15:00Z"));
        assert_eq!(segs[1].arrives_at, utc("2026-10-31T16:45:00Z"));
    }

    #[test]
    fn connection_warnings() {
        let first = seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-02T07:40",
        );
        let next = |dep: &str, arr: &str| seg("LH", "1338", "FRA", dep, "BUD", arr);
        let short = warnings(&[first.clone(), next("2026-06-02T08:25", "2026-06-02T09:55")]);
        assert_eq!(short, vec![Warning::new(1, "short-connection")]);
        assert!(
            warnings(&[first.clone(), next("2026-06-02T09:10", "2026-06-02T10:40")]).is_empty()
        );
        // Exactly the minimum is fine.
        assert!(
            warnings(&[first.clone(), next("2026-06-02T08:40", "2026-06-02T10:10")]).is_empty()
        );
        let long = warnings(&[first.clone(), next("2026-06-03T09:10", "2026-06-03T10:40")]);
        assert_eq!(long, vec![Warning::new(1, "long-connection")]);
    }

    #[test]
    fn segments_must_connect_in_place_and_time() {
        let first = seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-02T07:40",
        );
        let inv = errors(&[
            first.clone(),
            seg(
                "LH",
                "1338",
                "MUC",
                "2026-06-02T09:10",
                "BUD",
                "2026-06-02T10:40",
            ),
        ]);
        assert_eq!(
            inv.for_field("segments[1].from"),
            Some("segments-do-not-connect")
        );
        assert_eq!(inv.errors.len(), 1);

        // The next flight leaves before this one lands.
        let inv = errors(&[
            first.clone(),
            seg(
                "LH",
                "1338",
                "FRA",
                "2026-06-02T07:00",
                "BUD",
                "2026-06-02T08:30",
            ),
        ]);
        assert_eq!(
            inv.for_field("segments[1].departs_local"),
            Some("departs-before-previous-arrives")
        );
        // Leaving at the very minute of landing is no connection either.
        let inv = errors(&[
            first,
            seg(
                "LH",
                "1338",
                "FRA",
                "2026-06-02T07:40",
                "BUD",
                "2026-06-02T09:10",
            ),
        ]);
        assert_eq!(
            inv.for_field("segments[1].departs_local"),
            Some("departs-before-previous-arrives")
        );
    }

    #[test]
    fn times_going_backwards_and_implausible_flights() {
        let inv = errors(&[seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-01T23:30",
        )]);
        // 23:30 CEST is 21:30 UTC, before the 22:00 UTC departure.
        assert_eq!(
            inv.for_field("segments[0].arrives_local"),
            Some("arrives-before-departs")
        );
        let inv = errors(&[seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-01T18:00",
        )]);
        assert_eq!(
            inv.for_field("segments[0].arrives_local"),
            Some("arrives-before-departs")
        );
        // A day and a half in the air is a date typed wrong.
        let inv = errors(&[seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-03T07:40",
        )]);
        assert_eq!(
            inv.for_field("segments[0].arrives_local"),
            Some("implausible-duration")
        );
        // Flying east across the date line lands "before" leaving in local
        // time: only the UTC order matters.
        let (segs, _) = validate(&[seg(
            "JL",
            "782",
            "NRT",
            "2026-06-01T21:00",
            "HNL",
            "2026-06-01T09:00",
        )])
        .expect("valid");
        assert_eq!(segs[0].departs_at, utc("2026-06-01T12:00:00Z"));
        assert_eq!(segs[0].duration(), Duration::hours(7));
    }

    #[test]
    fn airports_must_exist_and_differ() {
        let inv = errors(&[seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "QQQ",
            "2026-06-02T07:40",
        )]);
        assert_eq!(inv.for_field("segments[0].to"), Some("unknown-airport"));
        let inv = errors(&[seg(
            "AC",
            "876",
            "Toronto",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-02T07:40",
        )]);
        assert_eq!(inv.for_field("segments[0].from"), Some("unknown-airport"));
        // No time zone, so the departure time cannot be placed; only the
        // airport is reported.
        assert_eq!(inv.errors.len(), 1, "{inv:?}");
        let inv = errors(&[seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "yyz",
            "2026-06-01T20:00",
        )]);
        assert_eq!(inv.for_field("segments[0].to"), Some("same-airport"));
    }

    #[test]
    fn carriers_and_flight_numbers() {
        let with = |carrier: &str, number: &str| {
            validate(&[seg(
                carrier,
                number,
                "YYZ",
                "2026-06-01T18:00",
                "FRA",
                "2026-06-02T07:40",
            )])
        };
        for ok in [
            ("AC", "876"),
            ("4U", "1"),
            ("U2", "1234"),
            ("lh", "1338a"),
            (" W6 ", " 2345 "),
            ("AC", "0876"),
        ] {
            assert!(with(ok.0, ok.1).is_ok(), "{ok:?}");
        }
        assert_eq!(
            with("lh", "1338d").map(|(s, _)| (s[0].carrier.clone(), s[0].flight_number.clone())),
            Ok(("LH".into(), "1338D".into()))
        );
        for bad in ["A", "ACA", "12", "A-", "É1", "A C"] {
            let inv = with(bad, "876").expect_err(bad);
            assert_eq!(
                inv.for_field("segments[0].carrier"),
                Some("invalid-carrier"),
                "{bad:?}"
            );
        }
        for bad in [
            "12345", "AC876", "876AB", "A", "87 6", "-876", "876-", "٨٧٦",
        ] {
            let inv = with("AC", bad).expect_err(bad);
            assert_eq!(
                inv.for_field("segments[0].flight_number"),
                Some("invalid-flight-number"),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn required_fields_and_text_rules() {
        let inv = errors(&[SegmentInput::default()]);
        for f in [
            "carrier",
            "flight_number",
            "from",
            "to",
            "departs_local",
            "arrives_local",
        ] {
            assert_eq!(
                inv.for_field(&format!("segments[0].{f}")),
                Some("required"),
                "{f}"
            );
        }
        let mut s = seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-02T07:40",
        );
        s.carrier = Some("  ".into());
        s.from = Some("YY\u{7}".into());
        s.departs_local = Some("x".repeat(100));
        let inv = errors(&[s]);
        assert_eq!(inv.for_field("segments[0].carrier"), Some("required"));
        assert_eq!(
            inv.for_field("segments[0].from"),
            Some("control-characters")
        );
        assert_eq!(inv.for_field("segments[0].departs_local"), Some("too-long"));
        let mut s = seg(
            "AC",
            "876",
            "YYZ",
            "2026-06-01T18:00",
            "FRA",
            "2026-06-02T07:40",
        );
        s.arrives_local = Some("tomorrow".into());
        let inv = errors(&[s]);
        assert_eq!(
            inv.for_field("segments[0].arrives_local"),
            Some("invalid-datetime")
        );
    }

    #[test]
    fn segment_count_limits() {
        let inv = errors(&[]);
        assert_eq!(inv.for_field("segments"), Some("no-segments"));
        // Nine hops around Canada, each connecting properly.
        let codes = [
            "YYZ", "YUL", "YOW", "YHZ", "YQB", "YQM", "YYT", "YYG", "YSJ", "YFC",
        ];
        let hops: Vec<SegmentInput> = codes
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let day = i + 1;
                seg(
                    "AC",
                    "100",
                    w[0],
                    &format!("2026-06-{day:02}T10:00"),
                    w[1],
                    &format!("2026-06-{day:02}T13:00"),
                )
            })
            .collect();
        assert_eq!(hops.len(), 9);
        assert_eq!(validate(&hops[..8]).map(|(s, _)| s.len()), Ok(8));
        let inv = errors(&hops);
        assert_eq!(inv.for_field("segments"), Some("too-many-segments"));
    }

    #[test]
    fn errors_are_reported_per_segment() {
        let inv = errors(&[
            seg(
                "AC",
                "876",
                "YYZ",
                "2026-06-01T18:00",
                "FRA",
                "2026-06-02T07:40",
            ),
            seg(
                "LH",
                "12345",
                "FRA",
                "2026-06-02T09:10",
                "BUD",
                "2026-06-02T10:40",
            ),
            seg(
                "LH",
                "1339",
                "BUD",
                "2026-06-09T09:10",
                "XXQ",
                "2026-06-09T10:40",
            ),
        ]);
        assert_eq!(inv.for_field("segments[0].flight_number"), None);
        assert_eq!(
            inv.for_field("segments[1].flight_number"),
            Some("invalid-flight-number")
        );
        assert_eq!(inv.for_field("segments[2].to"), Some("unknown-airport"));
        assert_eq!(inv.errors.len(), 2, "{inv:?}");
    }

    /// The zone's UTC offset at `t`, in seconds.
    fn offset_at(tz: Tz, t: DateTime<Utc>) -> i64 {
        i64::from(
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc(),
        )
    }

    /// The first instant, to the second, from which `tz` has another offset
    /// than at `from`, if that happens within about a year.
    fn next_transition(tz: Tz, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let start = offset_at(tz, from);
        let mut lo = from;
        for _ in 0..400 {
            let next = lo + Duration::days(1);
            if offset_at(tz, next) != start {
                let mut hi = next;
                while hi - lo > Duration::seconds(1) {
                    let mid = lo + (hi - lo) / 2;
                    if offset_at(tz, mid) == start {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                return Some(hi);
            }
            lo = next;
        }
        None
    }

    proptest! {
        /// Local times within a few hours of a real offset change (DST or
        /// otherwise) of a random airport's zone: they round-trip unless
        /// they fall in the gap, and an ambiguous one gives the earlier
        /// instant.
        #[test]
        fn local_times_near_offset_changes(
            index in 0..airports::count(),
            secs in 0i64..(70 * 365 * 86_400),
            minutes in -180i64..180,
        ) {
            let tz = airports::all()[index].tz;
            let from = DateTime::from_timestamp(946_684_800 - 10 * 365 * 86_400 + secs, 0)
                .expect("in range");
            let Some(change) = next_transition(tz, from) else {
                // A zone without changes: every local time is one instant.
                let local = from.with_timezone(&tz).naive_local();
                prop_assert_eq!(to_utc(local, tz), Ok(from));
                return Ok(());
            };
            let old = offset_at(tz, change - Duration::seconds(1));
            let new = offset_at(tz, change);
            let local = change.naive_utc()
                + Duration::seconds(old)
                + Duration::minutes(minutes);
            match to_utc(local, tz) {
                Ok(t) => {
                    prop_assert_eq!(t.with_timezone(&tz).naive_local(), local);
                    // No earlier instant reads as the same local time.
                    let earlier = t - Duration::seconds((new - old).abs());
                    prop_assert_ne!(earlier.with_timezone(&tz).naive_local(), local);
                }
                Err(code) => {
                    prop_assert_eq!(code, "nonexistent-local-time");
                    prop_assert!(new > old, "a gap needs clocks going forward");
                    let gap_start = change.naive_utc() + Duration::seconds(old);
                    let gap_end = change.naive_utc() + Duration::seconds(new);
                    prop_assert!(gap_start <= local && local < gap_end);
                }
            }
        }

        #[test]
        fn local_times_round_trip_except_in_gaps(
            index in 0..airports::count(),
            secs in 0i64..(130 * 365 * 86_400),
        ) {
            let tz = airports::all()[index].tz;
            let local = DateTime::from_timestamp(946_684_800 - 30 * 365 * 86_400 + secs, 0)
                .expect("in range")
                .naive_utc();
            match to_utc(local, tz) {
                Ok(t) => prop_assert_eq!(t.with_timezone(&tz).naive_local(), local),
                Err(code) => {
                    prop_assert_eq!(code, "nonexistent-local-time");
                    // A gap only happens where the zone's offset changes.
                    let before = tz.offset_from_utc_datetime(&(local - Duration::days(2))).fix();
                    let after = tz.offset_from_utc_datetime(&(local + Duration::days(2))).fix();
                    prop_assert!(after.local_minus_utc() > before.local_minus_utc());
                }
            }
        }
    }
}
