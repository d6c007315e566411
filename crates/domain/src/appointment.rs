//! Counselling appointments: the next meeting a counsellor sets with the
//! person, which the person sees on their own page. Times are typed in the
//! office's zone, as the counsellor's calendar shows them.

use crate::{validation, Invalid};
use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How far ahead a meeting may be set.
pub const MAX_DAYS_AHEAD: i64 = 365;
/// The longest place accepted.
pub const MAX_PLACE_CHARS: usize = 200;

/// Checks a meeting typed as `YYYY-MM-DDTHH:MM` in `zone` (`starts_at`:
/// `required`, `invalid-date-time`, `date-in-past`, `too-far-ahead`) and its
/// place (`place`: `required`, `too-long`, `control-characters`); returns
/// the instant and the place trimmed.
pub fn check(
    starts: &str,
    place: &str,
    zone: Tz,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, String), Invalid> {
    let mut inv = Invalid::default();
    let at = match starts.trim() {
        "" => {
            inv.add("starts_at", "required");
            None
        }
        s => {
            let local = NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M")
                .or_else(|_| NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
                .ok()
                // A time that does not exist (the spring-forward gap) is refused.
                .and_then(|n| zone.from_local_datetime(&n).earliest())
                .map(|t| t.with_timezone(&Utc));
            match local {
                None => inv.add("starts_at", "invalid-date-time"),
                Some(t) if t < now => inv.add("starts_at", "date-in-past"),
                Some(t) if t > now + Duration::days(MAX_DAYS_AHEAD) => {
                    inv.add("starts_at", "too-far-ahead")
                }
                Some(_) => {}
            }
            local
        }
    };
    validation::text(&mut inv, "place", Some(place), true, MAX_PLACE_CHARS);
    inv.into_result()?;
    let at = at.ok_or_else(|| Invalid::one("starts_at", "required"))?;
    Ok((at, place.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 3, 1, 12, 0, 0).unwrap()
    }

    fn code(r: Result<(DateTime<Utc>, String), Invalid>, f: &str) -> Option<String> {
        r.unwrap_err().for_field(f).map(str::to_string)
    }

    #[test]
    fn a_meeting_is_read_in_the_offices_zone() {
        let toronto = chrono_tz::America::Toronto;
        let (at, place) = check("2027-03-02T10:30", " Office, room 4 ", toronto, now()).unwrap();
        assert_eq!(at, Utc.with_ymd_and_hms(2027, 3, 2, 15, 30, 0).unwrap());
        assert_eq!(place, "Office, room 4");
    }

    #[test]
    fn every_bad_value_is_named() {
        let z = chrono_tz::America::Toronto;
        assert_eq!(
            code(check("", "x", z, now()), "starts_at").as_deref(),
            Some("required")
        );
        assert_eq!(
            code(check("next tuesday", "x", z, now()), "starts_at").as_deref(),
            Some("invalid-date-time")
        );
        assert_eq!(
            code(check("2027-02-28T10:00", "x", z, now()), "starts_at").as_deref(),
            Some("date-in-past")
        );
        assert_eq!(
            code(check("2029-01-01T10:00", "x", z, now()), "starts_at").as_deref(),
            Some("too-far-ahead")
        );
        // 02:30 on the night clocks go forward does not exist in Toronto.
        assert_eq!(
            code(check("2027-03-14T02:30", "x", z, now()), "starts_at").as_deref(),
            Some("invalid-date-time")
        );
        assert_eq!(
            code(check("2027-03-02T10:00", " ", z, now()), "place").as_deref(),
            Some("required")
        );
    }
}
