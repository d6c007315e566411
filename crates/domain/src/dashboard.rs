//! The programme dashboard: the pipeline at a glance, computed from
//! aggregate rows the store gathers in the database.
//!
//! Pure: the filter is parsed and checked here, the panels each role sees
//! are decided here, and [`Dashboard::build`] turns counts, sums and the
//! period's departures into the figures, applying the small-count
//! suppression for analysts (`docs/adr/0020-dashboard.md`). Averages,
//! medians and the programme day are the donor report's
//! ([`crate::report`]), so the two never count a day differently.

use crate::report::{self, Period};
use crate::role::Role;
use crate::validation::Invalid;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Counts below this are shown to analysts as "<5", never as the number:
/// with so few cases behind a figure, a reader who knows the programme
/// could tell who they are.
pub const SUPPRESS_BELOW: i64 = 5;

/// How many countries of return the dashboard names; the rest are summed
/// as "other countries".
pub const TOP_COUNTRIES: usize = 5;

/// Entitlement tiers in the order of the stage reached at application,
/// then the special rules (`eligibility::entitlement`).
pub const TIERS: [&str; 6] = [
    "before-federal-court-leave",
    "before-prra-application",
    "prra-pending",
    "after-prra-decision",
    "transitional",
    "dco",
];

/// Overdue task kinds the dashboard counts (the task list's names).
pub const OVERDUE_KINDS: [&str; 3] = [
    "overdue-contact",
    "past-departure-target",
    "followup-overdue",
];

/// A part of the dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Panel {
    /// Cases by status now.
    Statuses,
    /// Overdue tasks now, by kind.
    Overdue,
    /// Departures of the period against the programme's target.
    Departures,
    /// Days from referral and from registration to departure.
    Days,
    /// Top countries of return of the period's departures.
    Countries,
    /// Entitlement tiers of the period's applications.
    Tiers,
    /// Reintegration spending of the period by category.
    Spending,
    /// RSS scores by dimension.
    Rss,
}

impl Panel {
    /// Every panel, in page order.
    pub const ALL: [Panel; 8] = [
        Panel::Statuses,
        Panel::Overdue,
        Panel::Departures,
        Panel::Days,
        Panel::Countries,
        Panel::Tiers,
        Panel::Spending,
        Panel::Rss,
    ];

    /// The stable identifier (`dash-panel-<id>` names it on the page).
    pub fn as_str(self) -> &'static str {
        match self {
            Panel::Statuses => "statuses",
            Panel::Overdue => "overdue",
            Panel::Departures => "departures",
            Panel::Days => "days",
            Panel::Countries => "countries",
            Panel::Tiers => "tiers",
            Panel::Spending => "spending",
            Panel::Rss => "rss",
        }
    }
}

/// The panels a role sees (each within its record scope). Admins and
/// auditors hold no case data, so they see none; finance sees money, not
/// counselling; CBSA the pipeline and departures; the mission its country's
/// reintegration; a counsellor their own work.
pub fn panels(role: Role) -> &'static [Panel] {
    use Panel::*;
    match role {
        Role::Supervisor | Role::Analyst => &Panel::ALL,
        Role::Counsellor => &[Statuses, Overdue, Days],
        Role::CbsaOfficer => &[Statuses, Departures, Days, Countries],
        Role::MissionOfficer => &[Statuses, Spending, Rss],
        Role::Finance => &[Departures, Tiers, Spending],
        Role::Admin | Role::Auditor => &[],
    }
}

/// Whether the role sees any panel (the API refuses the others).
pub fn may_read(role: Role) -> bool {
    !panels(role).is_empty()
}

/// Whether the role's figures are suppressed below [`SUPPRESS_BELOW`]:
/// analysts see the whole programme, so only as aggregates that identify
/// no one.
pub fn suppressed(role: Role) -> bool {
    role == Role::Analyst
}

/// A count as a reader may see it: `None` when suppressed.
pub fn shown(n: i64, suppress: bool) -> Option<i64> {
    if suppress && n > 0 && n < SUPPRESS_BELOW {
        None
    } else {
        Some(n)
    }
}

/// The filter as typed (a form or a query string).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilterInput {
    pub period: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub programme: Option<String>,
    pub country: Option<String>,
    pub counsellor: Option<String>,
}

/// What the dashboard covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct DashboardFilter {
    /// Events (departures, applications, payments, surveys) of these days.
    pub period: Period,
    /// A programme's code (`gta-2012`), or every programme.
    pub programme: Option<String>,
    /// ISO 3166-1 alpha-2 country of return.
    pub country: Option<String>,
    /// The counsellor a case is assigned to.
    pub counsellor: Option<Uuid>,
}

fn nonblank(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A programme code as stored: lower-case letters, digits and hyphens.
fn is_programme_code(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl DashboardFilter {
    /// Reads and checks the filter; the period is the current month of
    /// `today` (a programme day) when none is given. Codes per field:
    /// the period's (`Period::from_input`), `invalid-programme`,
    /// `invalid-country`, `invalid-counsellor`. Every field is checked, so
    /// all messages show at once.
    pub fn from_input(i: &FilterInput, today: NaiveDate) -> Result<DashboardFilter, Invalid> {
        let mut inv = Invalid::default();
        let period = if nonblank(&i.period).is_none()
            && nonblank(&i.from).is_none()
            && nonblank(&i.to).is_none()
        {
            Period::month(today.year(), today.month())
        } else {
            match Period::from_input(i.period.as_deref(), i.from.as_deref(), i.to.as_deref()) {
                Ok(p) => Some(p),
                Err(e) => {
                    inv.errors.extend(e.errors);
                    None
                }
            }
        };
        let programme = nonblank(&i.programme).map(str::to_ascii_lowercase);
        if programme.as_deref().is_some_and(|p| !is_programme_code(p)) {
            inv.add("programme", "invalid-programme");
        }
        let country = nonblank(&i.country).map(str::to_ascii_uppercase);
        if country
            .as_deref()
            .is_some_and(|c| !crate::validation::is_country_code(c))
        {
            inv.add("country", "invalid-country");
        }
        let counsellor = match nonblank(&i.counsellor) {
            None => None,
            Some(s) => match Uuid::parse_str(s) {
                Ok(u) => Some(u),
                Err(_) => {
                    inv.add("counsellor", "invalid-counsellor");
                    None
                }
            },
        };
        inv.into_result()?;
        match period {
            Some(period) => Ok(DashboardFilter {
                period,
                programme,
                country,
                counsellor,
            }),
            // Only when `today` is out of chrono's range.
            None => {
                let mut inv = Invalid::default();
                inv.add("period", "invalid-period");
                Err(inv)
            }
        }
    }
}

/// The programme's monthly target over a period: whole calendar months
/// count whole, any other days pro rata (a month of 365/12 days), rounded
/// to the nearest departure.
pub fn target_for(period: &Period, monthly: i64) -> i64 {
    let month_aligned = period.from.day() == 1
        && (period.to + chrono::Duration::days(1)).day() == 1
        && period.to >= period.from;
    if month_aligned {
        let months = (period.to.year() - period.from.year()) * 12 + period.to.month() as i32
            - period.from.month() as i32
            + 1;
        return monthly * i64::from(months);
    }
    let days = (period.to - period.from).num_days() + 1;
    ((monthly * days * 12) as f64 / 365.0).round() as i64
}

/// A share of a total in percent, one decimal.
pub fn percent(part: i64, total: i64) -> Option<f64> {
    (total > 0).then(|| (part as f64 * 1000.0 / total as f64).round() / 10.0)
}

// ---- What the store gathers ----

/// A count of cases under a key (a status, an overdue kind, a country).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyCount {
    pub key: String,
    pub n: i64,
}

/// A case that departed in the period: when it was referred, registered
/// (taken on by IOM: its move to intake) and left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartureTimes {
    pub country: Option<String>,
    pub referred_at: DateTime<Utc>,
    pub registered_at: Option<DateTime<Utc>>,
    pub departed_at: DateTime<Utc>,
}

/// Cases (and their entitlements summed) per tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TierSums {
    pub tier: String,
    pub currency: Option<String>,
    pub cases: i64,
    pub amount_minor: i64,
}

/// Reintegration money paid in one category and currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategorySpend {
    pub category: String,
    pub currency: String,
    pub amount_minor: i64,
    /// Cases the money went to.
    pub cases: i64,
}

/// Everything the store gathered for one dashboard.
#[derive(Debug, Clone, Default)]
pub struct Gathered {
    pub statuses: Vec<KeyCount>,
    pub overdue: Vec<KeyCount>,
    pub departures: Vec<DepartureTimes>,
    /// The programme's monthly target (summed over programmes when no
    /// programme is chosen); `None` when none is set.
    pub monthly_target: Option<i64>,
    pub tiers: Vec<TierSums>,
    pub spending: Vec<CategorySpend>,
    pub rss: report::RssSums,
    /// The zone whose days the medians count (the chosen programme's
    /// office, or the reader's); the default office's when `None`.
    pub zone: Option<chrono_tz::Tz>,
}

// ---- The dashboard ----

/// A count under a key. `n` is `null` when suppressed (fewer than
/// `suppressed_below` cases).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CountLine {
    /// A status, an overdue task kind, a country code (`other` for the
    /// rest, `unknown` for no country yet).
    pub key: String,
    pub n: Option<i64>,
}

/// Departures against the target.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DeparturesPanel {
    pub departures: Option<i64>,
    /// The programme's target for the period; `null` when none is set.
    pub target: Option<i64>,
    /// Departures as a percentage of the target, one decimal.
    pub percent_of_target: Option<f64>,
}

/// Days to departure, in programme days, over the period's departures.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DaysPanel {
    pub departures: Option<i64>,
    pub referral_average: Option<f64>,
    pub referral_median: Option<f64>,
    /// From registration (the move to intake) to departure.
    pub registration_average: Option<f64>,
    pub registration_median: Option<f64>,
    /// Departures with a registration date (cases never taken on through
    /// intake have none).
    pub registered: Option<i64>,
}

/// One entitlement tier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TierLine {
    pub tier: String,
    pub cases: Option<i64>,
    /// Summed entitlements (minor units); `null` when suppressed.
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
}

/// Spending in one category.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SpendLine {
    pub category: String,
    pub currency: String,
    /// Minor units; `null` when suppressed (paid for fewer than
    /// `suppressed_below` cases).
    pub amount_minor: Option<i64>,
    /// Share of the currency's total, one decimal.
    pub percent: Option<f64>,
}

/// RSS averages by dimension (two decimals).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RssPanel {
    pub surveys: Option<i64>,
    pub economic: Option<f64>,
    pub social: Option<f64>,
    pub psychosocial: Option<f64>,
    pub composite: Option<f64>,
}

/// The dashboard as a role sees it: a panel it may not see is `null`.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    pub filter: DashboardFilter,
    /// The panels shown, in page order.
    pub panels: Vec<Panel>,
    /// Set for analysts: counts below it are `null` (shown as "<5").
    pub suppressed_below: Option<i64>,
    /// Cases by status now (every status, zeros included).
    pub statuses: Option<Vec<CountLine>>,
    /// Overdue tasks now, by kind.
    pub overdue: Option<Vec<CountLine>>,
    pub departures: Option<DeparturesPanel>,
    pub days: Option<DaysPanel>,
    /// The period's departures by country of return, most first, the rest
    /// summed as `other`.
    pub countries: Option<Vec<CountLine>>,
    pub tiers: Option<Vec<TierLine>>,
    /// Paid reintegration purchases of the period by category, per currency.
    pub spending: Option<Vec<SpendLine>>,
    pub rss: Option<RssPanel>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Dashboard {
    /// Builds the dashboard `role` sees from what the store gathered.
    pub fn build(role: Role, filter: DashboardFilter, g: &Gathered) -> Dashboard {
        let show = |p: Panel| panels(role).contains(&p);
        let sup = suppressed(role);
        let count = |n: i64| shown(n, sup);
        let enough = |n: i64| !sup || n >= SUPPRESS_BELOW;

        let statuses = show(Panel::Statuses).then(|| {
            crate::CaseStatus::ALL
                .iter()
                .map(|s| CountLine {
                    key: s.as_str().to_string(),
                    n: count(
                        g.statuses
                            .iter()
                            .filter(|k| k.key == s.as_str())
                            .map(|k| k.n)
                            .sum(),
                    ),
                })
                .collect()
        });
        let overdue = show(Panel::Overdue).then(|| {
            OVERDUE_KINDS
                .iter()
                .map(|k| CountLine {
                    key: k.to_string(),
                    n: count(g.overdue.iter().filter(|x| x.key == *k).map(|x| x.n).sum()),
                })
                .collect()
        });

        let n_dep = g.departures.len() as i64;
        let departures = show(Panel::Departures).then(|| {
            let target = g.monthly_target.map(|m| target_for(&filter.period, m));
            DeparturesPanel {
                departures: count(n_dep),
                target,
                percent_of_target: match (count(n_dep), target) {
                    (Some(n), Some(t)) => percent(n, t),
                    _ => None,
                },
            }
        });

        let days = show(Panel::Days).then(|| {
            let zone = g.zone.unwrap_or(report::PROGRAMME_TZ);
            let day = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&zone).date_naive();
            let from_referral: Vec<i64> = g
                .departures
                .iter()
                .map(|d| (day(d.departed_at) - day(d.referred_at)).num_days())
                .collect();
            let from_registration: Vec<i64> = g
                .departures
                .iter()
                .filter_map(|d| {
                    d.registered_at
                        .map(|r| (day(d.departed_at) - day(r)).num_days())
                })
                .collect();
            let n_reg = from_registration.len() as i64;
            DaysPanel {
                departures: count(n_dep),
                referral_average: enough(n_dep)
                    .then(|| report::average(&from_referral))
                    .flatten(),
                referral_median: enough(n_dep)
                    .then(|| report::median(&from_referral))
                    .flatten(),
                registration_average: enough(n_reg)
                    .then(|| report::average(&from_registration))
                    .flatten(),
                registration_median: enough(n_reg)
                    .then(|| report::median(&from_registration))
                    .flatten(),
                registered: count(n_reg),
            }
        });

        let countries = show(Panel::Countries).then(|| {
            let mut by: BTreeMap<String, i64> = BTreeMap::new();
            for d in &g.departures {
                *by.entry(d.country.clone().unwrap_or_else(|| "unknown".into()))
                    .or_default() += 1;
            }
            let mut v: Vec<(String, i64)> = by.into_iter().collect();
            // Most departures first; equal counts by code, so the order is stable.
            v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let mut lines = Vec::new();
            let mut other = 0;
            for (i, (k, n)) in v.into_iter().enumerate() {
                // Analysts: a small country joins "other" rather than
                // showing as "<5" next to its name.
                if i < TOP_COUNTRIES && enough(n) {
                    lines.push(CountLine { key: k, n: Some(n) });
                } else {
                    other += n;
                }
            }
            if other > 0 {
                lines.push(CountLine {
                    key: "other".into(),
                    n: count(other),
                });
            }
            lines
        });

        let tiers = show(Panel::Tiers).then(|| {
            let mut lines: Vec<TierLine> = g
                .tiers
                .iter()
                .map(|t| TierLine {
                    tier: t.tier.clone(),
                    cases: count(t.cases),
                    amount_minor: enough(t.cases).then_some(t.amount_minor),
                    currency: t.currency.clone(),
                })
                .collect();
            let rank = |t: &str| TIERS.iter().position(|x| *x == t).unwrap_or(TIERS.len());
            lines.sort_by(|a, b| {
                rank(&a.tier)
                    .cmp(&rank(&b.tier))
                    .then_with(|| a.tier.cmp(&b.tier))
                    .then_with(|| a.currency.cmp(&b.currency))
            });
            lines
        });

        let spending = show(Panel::Spending).then(|| {
            let mut totals: BTreeMap<&str, i64> = BTreeMap::new();
            for s in &g.spending {
                *totals.entry(s.currency.as_str()).or_default() += s.amount_minor;
            }
            let rank = |c: &str| {
                crate::reintegration::Category::ALL
                    .iter()
                    .position(|x| x.as_str() == c)
                    .unwrap_or(usize::MAX)
            };
            let mut lines: Vec<SpendLine> = g
                .spending
                .iter()
                .map(|s| {
                    let ok = enough(s.cases);
                    SpendLine {
                        category: s.category.clone(),
                        currency: s.currency.clone(),
                        amount_minor: ok.then_some(s.amount_minor),
                        percent: if ok {
                            percent(
                                s.amount_minor,
                                totals.get(s.currency.as_str()).copied().unwrap_or(0),
                            )
                        } else {
                            None
                        },
                    }
                })
                .collect();
            lines.sort_by(|a, b| {
                a.currency
                    .cmp(&b.currency)
                    .then_with(|| rank(&a.category).cmp(&rank(&b.category)))
                    .then_with(|| a.category.cmp(&b.category))
            });
            lines
        });

        let rss = show(Panel::Rss).then(|| {
            let r = &g.rss;
            let avg =
                |x: f64| (r.surveys > 0 && enough(r.surveys)).then(|| round2(x / r.surveys as f64));
            RssPanel {
                surveys: count(r.surveys),
                economic: avg(r.economic),
                social: avg(r.social),
                psychosocial: avg(r.psychosocial),
                composite: avg(r.composite),
            }
        });

        Dashboard {
            filter,
            panels: panels(role).to_vec(),
            suppressed_below: sup.then_some(SUPPRESS_BELOW),
            statuses,
            overdue,
            departures,
            days,
            countries,
            tiers,
            spending,
            rss,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn input(pairs: &[(&str, &str)]) -> FilterInput {
        let g = |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string());
        FilterInput {
            period: g("period"),
            from: g("from"),
            to: g("to"),
            programme: g("programme"),
            country: g("country"),
            counsellor: g("counsellor"),
        }
    }

    #[test]
    fn the_period_defaults_to_the_current_month() {
        let f = DashboardFilter::from_input(&input(&[]), d("2026-02-14")).unwrap();
        assert_eq!(f.period.key, "2026-02");
        assert_eq!(
            (f.period.from, f.period.to),
            (d("2026-02-01"), d("2026-02-28"))
        );
        assert_eq!((f.programme, f.country, f.counsellor), (None, None, None));
        let f = DashboardFilter::from_input(
            &input(&[
                ("period", " 2026-Q3 "),
                ("country", "hu"),
                ("programme", "GTA-2012"),
            ]),
            d("2026-02-14"),
        )
        .unwrap();
        assert_eq!(f.period.key, "2026-Q3");
        assert_eq!(f.country.as_deref(), Some("HU"));
        assert_eq!(f.programme.as_deref(), Some("gta-2012"));
    }

    #[test]
    fn every_bad_field_has_its_code() {
        let e = DashboardFilter::from_input(
            &input(&[
                ("period", "2026-Q7"),
                ("country", "Hungary"),
                ("programme", "gta 2012; drop"),
                ("counsellor", "bob"),
            ]),
            d("2026-02-14"),
        )
        .unwrap_err();
        assert_eq!(e.for_field("period"), Some("invalid-period"));
        assert_eq!(e.for_field("country"), Some("invalid-country"));
        assert_eq!(e.for_field("programme"), Some("invalid-programme"));
        assert_eq!(e.for_field("counsellor"), Some("invalid-counsellor"));
        let e = DashboardFilter::from_input(
            &input(&[("from", "2026-03-10"), ("to", "2026-03-01")]),
            d("2026-02-14"),
        )
        .unwrap_err();
        assert_eq!(e.for_field("to"), Some("period-ends-before-start"));
        let e = DashboardFilter::from_input(&input(&[("from", "2026-03-10")]), d("2026-02-14"))
            .unwrap_err();
        assert_eq!(e.for_field("to"), Some("required"));
    }

    #[test]
    fn suppression_hides_one_to_four() {
        assert_eq!(shown(0, true), Some(0));
        for n in 1..SUPPRESS_BELOW {
            assert_eq!(shown(n, true), None, "{n}");
            assert_eq!(shown(n, false), Some(n));
        }
        assert_eq!(shown(SUPPRESS_BELOW, true), Some(SUPPRESS_BELOW));
        assert!(suppressed(Role::Analyst));
        assert!(Role::ALL
            .iter()
            .filter(|r| **r != Role::Analyst)
            .all(|r| !suppressed(*r)));
    }

    #[test]
    fn panels_follow_the_role() {
        assert_eq!(panels(Role::Supervisor), &Panel::ALL);
        assert_eq!(panels(Role::Analyst), &Panel::ALL);
        assert!(!may_read(Role::Admin) && !may_read(Role::Auditor));
        assert!(!panels(Role::Finance).contains(&Panel::Days));
        assert!(panels(Role::Finance).contains(&Panel::Spending));
        assert!(!panels(Role::CbsaOfficer).contains(&Panel::Spending));
        assert!(!panels(Role::CbsaOfficer).contains(&Panel::Rss));
        assert!(panels(Role::MissionOfficer).contains(&Panel::Rss));
        assert!(!panels(Role::Counsellor).contains(&Panel::Spending));
    }

    #[test]
    fn targets_scale_with_the_period() {
        let p = |k: &str| Period::parse_key(k).unwrap();
        assert_eq!(target_for(&p("2026-02"), 40), 40);
        assert_eq!(target_for(&p("2026-Q3"), 40), 120);
        assert_eq!(target_for(&p("2026-11-01..2027-01-31"), 40), 120);
        // 73 days of a 40-a-month target: 40 × 73 × 12 / 365 = 96.
        assert_eq!(target_for(&p("2026-03-15..2026-05-26"), 40), 96);
        assert_eq!(percent(1, 3), Some(33.3));
        assert_eq!(percent(2, 3), Some(66.7));
        assert_eq!(percent(5, 0), None);
    }

    fn departure(
        country: &str,
        referred: &str,
        registered: Option<&str>,
        departed: &str,
    ) -> DepartureTimes {
        DepartureTimes {
            country: Some(country.into()),
            referred_at: at(referred),
            registered_at: registered.map(at),
            departed_at: at(departed),
        }
    }

    fn gathered() -> Gathered {
        Gathered {
            statuses: vec![
                KeyCount {
                    key: "referred".into(),
                    n: 3,
                },
                KeyCount {
                    key: "departed".into(),
                    n: 7,
                },
                KeyCount {
                    key: "departed".into(),
                    n: 2,
                },
            ],
            overdue: vec![KeyCount {
                key: "overdue-contact".into(),
                n: 2,
            }],
            departures: vec![
                // 10, 20, 30 and 40 days from referral; 9, 19 and 39 from
                // registration (one was never registered).
                departure(
                    "HU",
                    "2026-07-01T15:00:00Z",
                    Some("2026-07-02T15:00:00Z"),
                    "2026-07-11T15:00:00Z",
                ),
                departure(
                    "HU",
                    "2026-07-01T15:00:00Z",
                    Some("2026-07-02T15:00:00Z"),
                    "2026-07-21T15:00:00Z",
                ),
                departure("CO", "2026-07-01T15:00:00Z", None, "2026-07-31T15:00:00Z"),
                // 03:30 UTC on 11 August is still 10 August in Toronto.
                departure(
                    "HU",
                    "2026-07-01T15:00:00Z",
                    Some("2026-07-02T15:00:00Z"),
                    "2026-08-11T03:30:00Z",
                ),
            ],
            monthly_target: Some(10),
            tiers: vec![
                TierSums {
                    tier: "dco".into(),
                    currency: Some("CAD".into()),
                    cases: 6,
                    amount_minor: 300_000,
                },
                TierSums {
                    tier: "before-federal-court-leave".into(),
                    currency: Some("CAD".into()),
                    cases: 2,
                    amount_minor: 400_000,
                },
            ],
            spending: vec![
                CategorySpend {
                    category: "education".into(),
                    currency: "CAD".into(),
                    amount_minor: 5_000,
                    cases: 1,
                },
                CategorySpend {
                    category: "housing".into(),
                    currency: "CAD".into(),
                    amount_minor: 38_000,
                    cases: 9,
                },
                CategorySpend {
                    category: "daily_necessities".into(),
                    currency: "CAD".into(),
                    amount_minor: 57_000,
                    cases: 6,
                },
            ],
            rss: report::RssSums {
                country: None,
                surveys: 3,
                economic: 1.5,
                social: 1.2,
                psychosocial: 0.9,
                composite: 1.2,
            },
            zone: None,
        }
    }

    #[test]
    fn a_supervisor_sees_every_figure() {
        let f =
            DashboardFilter::from_input(&input(&[("period", "2026-Q3")]), d("2026-02-14")).unwrap();
        let b = Dashboard::build(Role::Supervisor, f, &gathered());
        assert_eq!(b.suppressed_below, None);
        let st = b.statuses.unwrap();
        assert_eq!(st.len(), crate::CaseStatus::ALL.len());
        assert_eq!(st.iter().find(|l| l.key == "departed").unwrap().n, Some(9));
        assert_eq!(st.iter().find(|l| l.key == "closed").unwrap().n, Some(0));
        let dep = b.departures.unwrap();
        assert_eq!(
            (dep.departures, dep.target, dep.percent_of_target),
            (Some(4), Some(30), Some(13.3))
        );
        let days = b.days.unwrap();
        // Referral: 10, 20, 30, 40 → 25.0 and 25.0; registration: 9, 19, 39 → 22.3 and 19.
        assert_eq!(
            (days.referral_average, days.referral_median),
            (Some(25.0), Some(25.0))
        );
        assert_eq!(
            (days.registration_average, days.registration_median),
            (Some(22.3), Some(19.0))
        );
        assert_eq!(days.registered, Some(3));
        let c = b.countries.unwrap();
        assert_eq!(
            c,
            vec![
                CountLine {
                    key: "HU".into(),
                    n: Some(3)
                },
                CountLine {
                    key: "CO".into(),
                    n: Some(1)
                }
            ]
        );
        let t = b.tiers.unwrap();
        assert_eq!(t[0].tier, "before-federal-court-leave");
        assert_eq!(t[1].amount_minor, Some(300_000));
        let s = b.spending.unwrap();
        let cats: Vec<_> = s.iter().map(|l| (l.category.as_str(), l.percent)).collect();
        assert_eq!(
            cats,
            vec![
                ("housing", Some(38.0)),
                ("daily_necessities", Some(57.0)),
                ("education", Some(5.0))
            ]
        );
        let r = b.rss.unwrap();
        assert_eq!(
            (r.surveys, r.economic, r.social, r.psychosocial, r.composite),
            (Some(3), Some(0.5), Some(0.4), Some(0.3), Some(0.4))
        );
    }

    #[test]
    fn an_analyst_sees_small_counts_suppressed() {
        let f =
            DashboardFilter::from_input(&input(&[("period", "2026-Q3")]), d("2026-02-14")).unwrap();
        let b = Dashboard::build(Role::Analyst, f, &gathered());
        assert_eq!(b.suppressed_below, Some(5));
        let st = b.statuses.unwrap();
        assert_eq!(st.iter().find(|l| l.key == "referred").unwrap().n, None);
        assert_eq!(st.iter().find(|l| l.key == "departed").unwrap().n, Some(9));
        assert_eq!(st.iter().find(|l| l.key == "closed").unwrap().n, Some(0));
        assert_eq!(b.overdue.unwrap()[0].n, None);
        let days = b.days.unwrap();
        assert_eq!(
            (days.departures, days.referral_average, days.referral_median),
            (None, None, None)
        );
        assert_eq!(b.departures.unwrap().percent_of_target, None);
        // Both countries are small: only "other", itself suppressed.
        assert_eq!(
            b.countries.unwrap(),
            vec![CountLine {
                key: "other".into(),
                n: None
            }]
        );
        let t = b.tiers.unwrap();
        assert_eq!((t[0].cases, t[0].amount_minor), (None, None));
        assert_eq!((t[1].cases, t[1].amount_minor), (Some(6), Some(300_000)));
        let s = b.spending.unwrap();
        let edu = s.iter().find(|l| l.category == "education").unwrap();
        assert_eq!((edu.amount_minor, edu.percent), (None, None));
        assert_eq!(b.rss.unwrap().economic, None);
    }

    #[test]
    fn roles_see_only_their_panels() {
        let f = DashboardFilter::from_input(&input(&[]), d("2026-02-14")).unwrap();
        let b = Dashboard::build(Role::Finance, f.clone(), &gathered());
        assert!(b.statuses.is_none() && b.days.is_none() && b.rss.is_none());
        assert!(b.spending.is_some() && b.tiers.is_some());
        let b = Dashboard::build(Role::Admin, f, &gathered());
        assert!(b.panels.is_empty() && b.statuses.is_none() && b.spending.is_none());
    }

    #[test]
    fn nothing_to_show_gives_no_averages() {
        let f = DashboardFilter::from_input(&input(&[]), d("2026-02-14")).unwrap();
        let b = Dashboard::build(Role::Supervisor, f, &Gathered::default());
        let days = b.days.unwrap();
        assert_eq!(
            (days.departures, days.referral_average, days.referral_median),
            (Some(0), None, None)
        );
        assert_eq!(b.departures.unwrap().target, None);
        assert!(b.countries.unwrap().is_empty());
        assert_eq!(b.rss.unwrap().economic, None);
    }
}
