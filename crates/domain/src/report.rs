//! The donor report: what the programme did in a period, by country of return.
//!
//! Pure: the store gathers aggregate rows (counts grouped in the database,
//! one row per departure of the period, money summed per currency) and
//! [`DonorReport::build`] turns them into the report. The definitions (what
//! counts as an enrolment, a departure, a cost per return) are in
//! `docs/adr/0017-donor-report-definitions.md`.

use crate::role::Role;
use crate::validation::Invalid;
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// The zone days are counted in where no one programme's office applies
/// (de-identified exports, medians across programmes): the default office's.
pub const PROGRAMME_TZ: chrono_tz::Tz = crate::programme::DEFAULT_TIME_ZONE;

/// The longest period a report may cover, so one request cannot ask for
/// centuries of nothing.
pub const MAX_PERIOD_DAYS: i64 = 366 * 10;

/// Who may read the donor report: the programme manager, finance (cost per
/// return) and CBSA, the donor it is written for. Analysts get the
/// de-identified export instead: this report's small per-country cells are
/// not suppressed.
pub fn may_read(role: Role) -> bool {
    matches!(role, Role::Supervisor | Role::Finance | Role::CbsaOfficer)
}

/// A reporting period: whole days from `from` to `to`, both included, in
/// the programme's zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    /// `2026-10`, `2026-Q4`, or `2026-10-01..2026-12-31`.
    pub key: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    /// A calendar month.
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(year, month, 1)?;
        let next = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)?
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)?
        };
        Some(Period {
            key: format!("{year:04}-{month:02}"),
            from,
            to: next - Duration::days(1),
        })
    }

    /// A calendar quarter (1 to 4).
    pub fn quarter(year: i32, q: u32) -> Option<Period> {
        if !(1..=4).contains(&q) {
            return None;
        }
        let first = Period::month(year, (q - 1) * 3 + 1)?;
        let last = Period::month(year, q * 3)?;
        Some(Period {
            key: format!("{year:04}-Q{q}"),
            from: first.from,
            to: last.to,
        })
    }

    /// A calendar year.
    pub fn year(year: i32) -> Option<Period> {
        Some(Period {
            key: format!("{year:04}"),
            from: NaiveDate::from_ymd_opt(year, 1, 1)?,
            to: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    /// Any range of whole days, `to` included.
    pub fn range(from: NaiveDate, to: NaiveDate) -> Period {
        Period {
            key: format!("{from}..{to}"),
            from,
            to,
        }
    }

    /// Parses `2026`, `2026-10`, `2026-Q4` (or `2026-q4`) or `2026-10-01..2026-12-31`.
    pub fn parse_key(s: &str) -> Option<Period> {
        let s = s.trim();
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Period::year(s.parse().ok()?);
        }
        if let Some((a, b)) = s.split_once("..") {
            let from = NaiveDate::parse_from_str(a.trim(), "%Y-%m-%d").ok()?;
            let to = NaiveDate::parse_from_str(b.trim(), "%Y-%m-%d").ok()?;
            return Some(Period::range(from, to));
        }
        let (y, rest) = s.split_once('-')?;
        if y.len() != 4 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        if let Some(q) = rest.strip_prefix(['Q', 'q']) {
            return Period::quarter(year, q.parse().ok()?);
        }
        if rest.len() != 2 {
            return None;
        }
        Period::month(year, rest.parse().ok()?)
    }

    /// The period asked for by a form or query: `period` (month, quarter or
    /// range key), or else `from` and `to` dates. Codes: `invalid-period`,
    /// `invalid-date`, `required`, `period-ends-before-start`,
    /// `period-too-long`.
    pub fn from_input(
        period: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
    ) -> Result<Period, Invalid> {
        let mut inv = Invalid::default();
        let p = match (nonblank(period), nonblank(from), nonblank(to)) {
            (Some(key), _, _) => match Period::parse_key(key) {
                Some(p) => p,
                None => {
                    inv.add("period", "invalid-period");
                    return Err(inv);
                }
            },
            (None, f, t) => {
                let date = |inv: &mut Invalid, field: &str, v: Option<&str>| match v {
                    None => {
                        inv.add(field, "required");
                        None
                    }
                    Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                        .map_err(|_| inv.add(field, "invalid-date"))
                        .ok(),
                };
                let f = date(&mut inv, "from", f);
                let t = date(&mut inv, "to", t);
                match (f, t) {
                    (Some(f), Some(t)) => Period::range(f, t),
                    _ => return Err(inv),
                }
            }
        };
        let field = if nonblank(period).is_some() {
            "period"
        } else {
            "to"
        };
        if p.to < p.from {
            inv.add(field, "period-ends-before-start");
        } else if (p.to - p.from).num_days() > MAX_PERIOD_DAYS {
            inv.add(field, "period-too-long");
        }
        inv.into_result().map(|_| p)
    }

    /// The period in UTC: from midnight of `from` to midnight after `to`, in
    /// the programme office's zone `tz` (end excluded).
    pub fn utc_bounds(&self, tz: chrono_tz::Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        (
            local_midnight(self.from, tz),
            local_midnight(self.to + Duration::days(1), tz),
        )
    }

    /// The month before (or, for a quarter, the quarter before): for the
    /// form's quick links.
    pub fn previous(&self) -> Period {
        let y = self.from.year();
        let m = self.from.month();
        if !self.key.contains('-') {
            Period::year(y - 1).unwrap_or_else(|| self.clone())
        } else if self.key.contains('Q') {
            let q = (m - 1) / 3 + 1;
            let (y, q) = if q == 1 { (y - 1, 4) } else { (y, q - 1) };
            Period::quarter(y, q).unwrap_or_else(|| self.clone())
        } else {
            let (y, m) = if m == 1 { (y - 1, 12) } else { (y, m - 1) };
            Period::month(y, m).unwrap_or_else(|| self.clone())
        }
    }
}

fn nonblank(s: Option<&str>) -> Option<&str> {
    s.map(str::trim).filter(|s| !s.is_empty())
}

/// Midnight of `d` in zone `tz`, in UTC (the earliest instant of that
/// local day, so a DST gap at midnight cannot lose it).
fn local_midnight(d: NaiveDate, tz: chrono_tz::Tz) -> DateTime<Utc> {
    let naive = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    match tz.from_local_datetime(&naive) {
        chrono::LocalResult::Single(t) | chrono::LocalResult::Ambiguous(t, _) => {
            t.with_timezone(&Utc)
        }
        // Midnight skipped: the first hour that exists that day.
        chrono::LocalResult::None => (1..=3)
            .find_map(|h| {
                tz.from_local_datetime(&(naive + Duration::hours(h)))
                    .earliest()
            })
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&naive)),
    }
}

/// The programme day of an instant.
pub fn programme_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&PROGRAMME_TZ).date_naive()
}

/// Counts of workflow events in the period for one country of return
/// (grouped in the database).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventCounts {
    pub country: Option<String>,
    pub referrals: i64,
    pub enrolments: i64,
    pub withdrawals: i64,
    pub approvals: i64,
    pub refusals: i64,
}

/// A case that departed in the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Departure {
    pub country: Option<String>,
    pub referred_at: DateTime<Utc>,
    pub departed_at: DateTime<Utc>,
    /// The case's status now (its reintegration status).
    pub status: String,
}

/// Money spent on the period's departures, summed per currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spend {
    pub currency: String,
    /// Fares of the flights the travellers departed on.
    pub tickets_minor: i64,
    /// Reintegration purchases paid (programme currency).
    pub reintegration_minor: i64,
}

/// RSS sums of the latest survey per case in the period, for one country.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RssSums {
    pub country: Option<String>,
    pub surveys: i64,
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub composite: f64,
}

/// One line of the activity table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CountryLine {
    /// ISO 3166-1 alpha-2; `null` when the case has no country of return yet.
    pub country: Option<String>,
    pub referrals: i64,
    pub enrolments: i64,
    pub withdrawals: i64,
    pub approvals: i64,
    pub refusals: i64,
    pub departures: i64,
    /// Days from referral to departure (programme days), one decimal.
    pub days_average: Option<f64>,
    pub days_median: Option<f64>,
}

/// Cost per return in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CostLine {
    pub currency: String,
    /// Departures of the period (cases).
    pub returns: i64,
    pub tickets_minor: i64,
    pub reintegration_minor: i64,
    /// Per return, rounded to the minor unit (half away from zero).
    pub tickets_per_return_minor: i64,
    pub reintegration_per_return_minor: i64,
    pub cost_per_return_minor: i64,
}

/// How many of the period's returns are in each status now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct StatusLine {
    pub status: String,
    pub cases: i64,
}

/// RSS averages for one country (or the total), two decimals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RssLine {
    pub country: Option<String>,
    pub surveys: i64,
    pub economic: Option<f64>,
    pub social: Option<f64>,
    pub psychosocial: Option<f64>,
    pub composite: Option<f64>,
}

/// The donor report.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DonorReport {
    pub period: Period,
    /// By country of return (code order, unknown last).
    pub countries: Vec<CountryLine>,
    pub total: CountryLine,
    pub costs: Vec<CostLine>,
    /// Statuses after departure, in workflow order.
    pub reintegration: Vec<StatusLine>,
    pub rss: Vec<RssLine>,
    pub rss_total: RssLine,
    /// Whether the RSS questionnaire's weights were checked against IOM's
    /// published annex; `false`: its scores are not for reporting, and every
    /// format of the report says so.
    pub rss_weights_verified: bool,
}

/// The statuses a returned case can be in, in workflow order.
pub const AFTER_DEPARTURE: [&str; 4] = ["departed", "reintegrating", "monitoring", "closed"];

/// The average of whole-day values, rounded to one decimal.
pub fn average(days: &[i64]) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    let sum: i64 = days.iter().sum();
    Some(round1(sum as f64 / days.len() as f64))
}

/// The median of whole-day values (the mean of the middle two for an even
/// count, so it can end in .5).
pub fn median(days: &[i64]) -> Option<f64> {
    if days.is_empty() {
        return None;
    }
    let mut v = days.to_vec();
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2] as f64
    } else {
        (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0
    })
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `total / n` rounded half away from zero; 0 when `n` is 0.
pub fn per(total: i64, n: i64) -> i64 {
    if n <= 0 {
        return 0;
    }
    let (q, r) = (total / n, total % n);
    if r.abs() * 2 >= n {
        q + total.signum()
    } else {
        q
    }
}

/// Days from referral to departure, counted in programme days.
pub fn days_to_departure(d: &Departure) -> i64 {
    (programme_day(d.departed_at) - programme_day(d.referred_at)).num_days()
}

impl DonorReport {
    /// Builds the report from what the store gathered.
    pub fn build(
        period: Period,
        counts: &[EventCounts],
        departures: &[Departure],
        spend: &[Spend],
        rss: &[RssSums],
    ) -> DonorReport {
        let mut by: BTreeMap<Option<String>, (CountryLine, Vec<i64>)> = BTreeMap::new();
        for c in counts {
            let (l, _) = by.entry(c.country.clone()).or_default();
            l.referrals += c.referrals;
            l.enrolments += c.enrolments;
            l.withdrawals += c.withdrawals;
            l.approvals += c.approvals;
            l.refusals += c.refusals;
        }
        let mut all_days = Vec::with_capacity(departures.len());
        for d in departures {
            let (l, days) = by.entry(d.country.clone()).or_default();
            l.departures += 1;
            days.push(days_to_departure(d));
            all_days.push(days_to_departure(d));
        }
        let mut countries: Vec<CountryLine> = by
            .into_iter()
            .map(|(country, (mut l, days))| {
                l.country = country;
                l.days_average = average(&days);
                l.days_median = median(&days);
                l
            })
            .collect();
        // BTreeMap puts None first; the unknown country reads better last.
        countries.sort_by(|a, b| match (&a.country, &b.country) {
            (None, None) => std::cmp::Ordering::Equal,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (Some(_), None) => std::cmp::Ordering::Less,
            (Some(x), Some(y)) => x.cmp(y),
        });
        let mut total = CountryLine::default();
        for l in &countries {
            total.referrals += l.referrals;
            total.enrolments += l.enrolments;
            total.withdrawals += l.withdrawals;
            total.approvals += l.approvals;
            total.refusals += l.refusals;
            total.departures += l.departures;
        }
        total.days_average = average(&all_days);
        total.days_median = median(&all_days);

        let returns = departures.len() as i64;
        let mut money: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for s in spend {
            let e = money.entry(s.currency.clone()).or_default();
            e.0 += s.tickets_minor;
            e.1 += s.reintegration_minor;
        }
        let costs = money
            .into_iter()
            .map(|(currency, (t, r))| CostLine {
                currency,
                returns,
                tickets_minor: t,
                reintegration_minor: r,
                tickets_per_return_minor: per(t, returns),
                reintegration_per_return_minor: per(r, returns),
                cost_per_return_minor: per(t + r, returns),
            })
            .collect();

        let reintegration = AFTER_DEPARTURE
            .iter()
            .map(|s| StatusLine {
                status: s.to_string(),
                cases: departures.iter().filter(|d| d.status == *s).count() as i64,
            })
            .collect();

        let line = |country: Option<String>, r: &RssSums| {
            let avg = |x: f64| (r.surveys > 0).then(|| round2(x / r.surveys as f64));
            RssLine {
                country,
                surveys: r.surveys,
                economic: avg(r.economic),
                social: avg(r.social),
                psychosocial: avg(r.psychosocial),
                composite: avg(r.composite),
            }
        };
        let mut sums: BTreeMap<Option<String>, RssSums> = BTreeMap::new();
        let mut all = RssSums::default();
        for r in rss {
            for acc in [sums.entry(r.country.clone()).or_default(), &mut all] {
                acc.surveys += r.surveys;
                acc.economic += r.economic;
                acc.social += r.social;
                acc.psychosocial += r.psychosocial;
                acc.composite += r.composite;
            }
        }
        let mut rss_lines: Vec<RssLine> = sums.iter().map(|(c, r)| line(c.clone(), r)).collect();
        rss_lines.sort_by_key(|l| (l.country.is_none(), l.country.clone()));
        DonorReport {
            period,
            countries,
            total,
            costs,
            reintegration,
            rss: rss_lines,
            rss_total: line(None, &all),
            rss_weights_verified: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_parse() {
        let q = Period::parse_key("2026-Q4").unwrap();
        assert_eq!((q.from, q.to), (d("2026-10-01"), d("2026-12-31")));
        let m = Period::parse_key("2024-02").unwrap();
        assert_eq!((m.from, m.to), (d("2024-02-01"), d("2024-02-29")));
        let r = Period::parse_key("2026-01-05..2026-01-07").unwrap();
        assert_eq!(
            (r.from, r.to, r.key.as_str()),
            (d("2026-01-05"), d("2026-01-07"), "2026-01-05..2026-01-07")
        );
        // A year is a period now (issue 21); see `a_year_is_a_period`.
        for bad in [
            "",
            "20266",
            "2026-13",
            "2026-Q5",
            "2026-Q0",
            "26-10",
            "2026-1",
            "x..y",
            "2026-10-32..2026-11-01",
        ] {
            assert_eq!(Period::parse_key(bad), None, "{bad}");
        }
        assert_eq!(
            Period::parse_key("2026-Q1").unwrap().previous().key,
            "2025-Q4"
        );
        assert_eq!(
            Period::parse_key("2026-01").unwrap().previous().key,
            "2025-12"
        );
    }

    #[test]
    fn period_input_errors_have_codes() {
        let e = Period::from_input(Some("2026-Q9"), None, None).unwrap_err();
        assert_eq!(e.for_field("period"), Some("invalid-period"));
        let e = Period::from_input(None, Some("2026-10-05"), Some("2026-10-01")).unwrap_err();
        assert_eq!(e.for_field("to"), Some("period-ends-before-start"));
        let e = Period::from_input(None, Some("nope"), None).unwrap_err();
        assert_eq!(e.for_field("from"), Some("invalid-date"));
        assert_eq!(e.for_field("to"), Some("required"));
        let e = Period::from_input(Some("1900-01-01..2026-01-01"), None, None).unwrap_err();
        assert_eq!(e.for_field("period"), Some("period-too-long"));
        let p = Period::from_input(Some(" "), Some("2026-10-01"), Some("2026-10-01")).unwrap();
        assert_eq!(p.from, p.to);
    }

    #[test]
    fn bounds_are_the_office_midnights() {
        let toronto = chrono_tz::America::Toronto;
        let p = Period::parse_key("2026-07").unwrap();
        let (a, b) = p.utc_bounds(toronto);
        assert_eq!(a.to_rfc3339(), "2026-07-01T04:00:00+00:00");
        assert_eq!(b.to_rfc3339(), "2026-08-01T04:00:00+00:00");
        let w = Period::parse_key("2026-01").unwrap().utc_bounds(toronto);
        assert_eq!(w.0.to_rfc3339(), "2026-01-01T05:00:00+00:00");
        // Brussels is ahead of UTC: its July starts the evening before.
        let (a, _) = p.utc_bounds(chrono_tz::Europe::Brussels);
        assert_eq!(a.to_rfc3339(), "2026-06-30T22:00:00+00:00");
        // Where midnight is skipped (Santiago, clocks forward at 00:00 on
        // 6 September 2026), the day starts at its first hour.
        let d = Period::parse_key("2026-09-06..2026-09-06").unwrap();
        let (a, b) = d.utc_bounds(chrono_tz::America::Santiago);
        assert_eq!(a.to_rfc3339(), "2026-09-06T04:00:00+00:00");
        assert!(b > a);
    }

    #[test]
    fn a_year_is_a_period() {
        let y = Period::parse_key("2014").unwrap();
        assert_eq!(
            (y.from.to_string(), y.to.to_string()),
            ("2014-01-01".into(), "2014-12-31".into())
        );
        assert_eq!(y.previous().key, "2013");
        assert!(Period::parse_key("214").is_none());
        assert!(Period::from_input(Some("20x4"), None, None).is_err());
    }

    #[test]
    fn averages_medians_and_per_return() {
        assert_eq!(average(&[]), None);
        assert_eq!(median(&[]), None);
        assert_eq!(average(&[10, 20, 31]), Some(20.3));
        assert_eq!(median(&[31, 10, 20]), Some(20.0));
        assert_eq!(median(&[1, 2, 3, 10]), Some(2.5));
        assert_eq!(per(1000, 3), 333);
        assert_eq!(per(1001, 2), 501);
        assert_eq!(per(-1001, 2), -501);
        assert_eq!(per(5, 0), 0);
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn builds_by_country_with_totals() {
        let p = Period::parse_key("2026-Q4").unwrap();
        let counts = vec![
            EventCounts {
                country: Some("HU".into()),
                referrals: 3,
                enrolments: 2,
                withdrawals: 1,
                approvals: 1,
                refusals: 0,
            },
            EventCounts {
                country: None,
                referrals: 1,
                ..Default::default()
            },
            EventCounts {
                country: Some("CO".into()),
                referrals: 1,
                approvals: 1,
                ..Default::default()
            },
        ];
        let deps = vec![
            Departure {
                country: Some("HU".into()),
                referred_at: at("2026-10-01T15:00:00Z"),
                departed_at: at("2026-11-01T02:00:00Z"),
                status: "departed".into(),
            },
            Departure {
                country: Some("HU".into()),
                referred_at: at("2026-10-01T15:00:00Z"),
                departed_at: at("2026-10-11T15:00:00Z"),
                status: "reintegrating".into(),
            },
        ];
        let spend = vec![Spend {
            currency: "CAD".into(),
            tickets_minor: 200_001,
            reintegration_minor: 50_000,
        }];
        let rss = vec![RssSums {
            country: Some("HU".into()),
            surveys: 2,
            economic: 1.0,
            social: 0.5,
            psychosocial: 0.25,
            composite: 0.6,
        }];
        let r = DonorReport::build(p, &counts, &deps, &spend, &rss);
        let codes: Vec<_> = r.countries.iter().map(|l| l.country.clone()).collect();
        assert_eq!(codes, vec![Some("CO".into()), Some("HU".into()), None]);
        let hu = &r.countries[1];
        // 02:00 UTC on 1 November is still 31 October in Toronto: 30 days.
        assert_eq!(
            (hu.departures, hu.days_average, hu.days_median),
            (2, Some(20.0), Some(20.0))
        );
        assert_eq!(
            (r.total.referrals, r.total.approvals, r.total.departures),
            (5, 2, 2)
        );
        assert_eq!(r.costs[0].tickets_per_return_minor, 100_001);
        assert_eq!(r.costs[0].cost_per_return_minor, 125_001);
        assert_eq!(r.reintegration[0].cases, 1);
        assert_eq!(r.reintegration[1].cases, 1);
        assert_eq!(r.rss_total.economic, Some(0.5));
        assert_eq!(r.rss_total.psychosocial, Some(0.13));
    }

    proptest! {
        #[test]
        fn median_lies_between_min_and_max(v in prop::collection::vec(0i64..2000, 1..50)) {
            let m = median(&v).unwrap();
            let (lo, hi) = (*v.iter().min().unwrap() as f64, *v.iter().max().unwrap() as f64);
            prop_assert!(lo <= m && m <= hi);
            let a = average(&v).unwrap();
            prop_assert!(lo - 0.05 <= a && a <= hi + 0.05);
            // Order does not matter.
            let mut r = v.clone();
            r.reverse();
            prop_assert_eq!(median(&r), Some(m));
        }

        #[test]
        fn per_return_times_returns_is_within_half_a_return(total in -10_000_000i64..10_000_000, n in 1i64..5000) {
            let p = per(total, n);
            prop_assert!((p * n - total).abs() * 2 <= n);
        }

        #[test]
        fn month_and_quarter_keys_round_trip(y in 1990i32..2100, m in 1u32..=12) {
            let p = Period::month(y, m).unwrap();
            prop_assert_eq!(Period::parse_key(&p.key), Some(p.clone()));
            let q = Period::quarter(y, (m - 1) / 3 + 1).unwrap();
            prop_assert!(q.from <= p.from && p.to <= q.to);
            prop_assert_eq!(Period::parse_key(&q.key), Some(q));
        }

        #[test]
        fn totals_are_the_sum_of_countries(n in prop::collection::vec((0usize..4, 0i64..50, 0i64..50), 0..20)) {
            let cc = ["HU", "CO", "MX", ""];
            let counts: Vec<EventCounts> = n.iter().map(|(c, r, e)| EventCounts {
                country: (!cc[*c].is_empty()).then(|| cc[*c].to_string()), referrals: *r, enrolments: *e, ..Default::default()
            }).collect();
            let r = DonorReport::build(Period::parse_key("2026-Q1").unwrap(), &counts, &[], &[], &[]);
            prop_assert_eq!(r.total.referrals, r.countries.iter().map(|l| l.referrals).sum::<i64>());
            prop_assert_eq!(r.total.referrals, n.iter().map(|x| x.1).sum::<i64>());
            prop_assert_eq!(r.total.enrolments, n.iter().map(|x| x.2).sum::<i64>());
        }
    }
}
