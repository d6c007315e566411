//! The de-identified export: what an analyst may ask for and the rules that
//! keep the answer from pointing at anyone.
//!
//! The export is an aggregate: a count per combination of the chosen
//! dimensions, never a row per person. Dates are coarsened to the month (in
//! the programme's zone), ages to bands, relationships to four groups, and
//! any count below [`THRESHOLD`] is suppressed: such groups are not listed,
//! their combined count goes into one last "suppressed groups" line (itself
//! shown as "fewer than 5" when small), and no grand total is given, since
//! the suppressed count could be recovered from it by subtraction
//! (`docs/adr/0019-de-identified-export.md`).
//!
//! Pure: the store groups and counts in SQL, built from the tables and
//! constants here.

use crate::report::{programme_day, Period};
use crate::role::Role;
use crate::validation::Invalid;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Offset, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// Counts below this are never shown.
pub const THRESHOLD: i64 = 5;

/// The longest period key accepted, so a request cannot carry megabytes of
/// text into an error message or the audit trail.
pub const MAX_PERIOD_INPUT: usize = 40;

/// Who may create and download de-identified exports: the analyst (whose
/// only window on the programme this is) and the programme manager.
/// Everyone else uses the case list export of their own scope, or nothing.
pub fn may_export(role: Role) -> bool {
    matches!(role, Role::Analyst | Role::Supervisor)
}

/// What is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Each person on each case (a person on two cases counts twice).
    People,
    /// Each case; person dimensions describe its principal applicant.
    Cases,
}

impl Unit {
    /// Stable identifier (forms, API, stored exports).
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::People => "people",
            Unit::Cases => "cases",
        }
    }

    /// Parses the identifier.
    pub fn parse(s: &str) -> Option<Unit> {
        match s {
            "people" => Some(Unit::People),
            "cases" => Some(Unit::Cases),
            _ => None,
        }
    }

    /// Translation key of the count column's header.
    pub fn label_key(self) -> &'static str {
        match self {
            Unit::People => "deid-count-people",
            Unit::Cases => "deid-count-cases",
        }
    }

    /// HXL hashtag of the count column.
    pub fn hxl(self) -> &'static str {
        match self {
            Unit::People => "#affected+num",
            Unit::Cases => "#affected+num+cases",
        }
    }
}

/// A dimension the counts can be broken down by. None of them names or
/// identifies anyone: the values are codes, months and bands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Month of referral, `YYYY-MM`.
    ReferralMonth,
    /// Month of the case's first departure, `YYYY-MM`.
    DepartureMonth,
    /// ISO 3166-1 alpha-2.
    CountryOfReturn,
    /// Programme code.
    Programme,
    /// Case status code.
    Status,
    Sex,
    /// Age band at referral ([`age_band`]).
    AgeBand,
    /// Relationship to the principal applicant, in four groups
    /// ([`relationship_group`]); people only.
    Relationship,
    /// Tier of the case's latest eligibility evaluation.
    EntitlementTier,
}

impl Dimension {
    /// Every dimension, in the order offered and written.
    pub const ALL: [Dimension; 9] = [
        Dimension::ReferralMonth,
        Dimension::DepartureMonth,
        Dimension::CountryOfReturn,
        Dimension::Programme,
        Dimension::Status,
        Dimension::Sex,
        Dimension::AgeBand,
        Dimension::Relationship,
        Dimension::EntitlementTier,
    ];

    /// Stable identifier.
    pub fn id(self) -> &'static str {
        match self {
            Dimension::ReferralMonth => "referral_month",
            Dimension::DepartureMonth => "departure_month",
            Dimension::CountryOfReturn => "country_of_return",
            Dimension::Programme => "programme",
            Dimension::Status => "status",
            Dimension::Sex => "sex",
            Dimension::AgeBand => "age_band",
            Dimension::Relationship => "relationship",
            Dimension::EntitlementTier => "entitlement_tier",
        }
    }

    /// Parses the identifier.
    pub fn parse(s: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|d| d.id() == s)
    }

    /// Translation key of the header.
    pub fn label_key(self) -> &'static str {
        match self {
            Dimension::ReferralMonth => "deid-dim-referral_month",
            Dimension::DepartureMonth => "deid-dim-departure_month",
            Dimension::CountryOfReturn => "deid-dim-country_of_return",
            Dimension::Programme => "deid-dim-programme",
            Dimension::Status => "deid-dim-status",
            Dimension::Sex => "deid-dim-sex",
            Dimension::AgeBand => "deid-dim-age_band",
            Dimension::Relationship => "deid-dim-relationship",
            Dimension::EntitlementTier => "deid-dim-entitlement_tier",
        }
    }

    /// HXL hashtag with attributes.
    pub fn hxl(self) -> &'static str {
        match self {
            Dimension::ReferralMonth => "#date+month+referral",
            Dimension::DepartureMonth => "#date+month+departure",
            Dimension::CountryOfReturn => "#country+code",
            Dimension::Programme => "#activity+code",
            Dimension::Status => "#status+code",
            Dimension::Sex => "#affected+sex",
            Dimension::AgeBand => "#affected+age_band",
            Dimension::Relationship => "#affected+relationship",
            Dimension::EntitlementTier => "#status+entitlement_tier",
        }
    }

    /// Whether the dimension only makes sense when people are counted.
    pub fn people_only(self) -> bool {
        self == Dimension::Relationship
    }
}

/// The value written when a dimension has none (no country yet, no date of
/// birth, no departure).
pub const UNKNOWN: &str = "unknown";

/// The value of the entitlement tier for a case evaluated without a tier
/// (not eligible, or not determined).
pub const NO_TIER: &str = "none";

/// The value of the entitlement tier for a case never evaluated.
pub const NOT_EVALUATED: &str = "not_evaluated";

/// Age bands: the lowest age of each and its label (en dashes, so a
/// spreadsheet never reads `5-11` as a date). The last band has no top.
pub const AGE_BANDS: [(i32, &str); 8] = [
    (0, "0–4"),
    (5, "5–11"),
    (12, "12–17"),
    (18, "18–24"),
    (25, "25–34"),
    (35, "35–49"),
    (50, "50–64"),
    (65, "65+"),
];

/// Age in whole years on `on` for someone born on `dob`; `None` when `on`
/// is before the birth (bad data, not a newborn). Born on 29 February, one
/// turns a year older on 1 March in common years.
pub fn age_on(dob: NaiveDate, on: NaiveDate) -> Option<i32> {
    if on < dob {
        return None;
    }
    let before_birthday = (on.month(), on.day()) < (dob.month(), dob.day());
    Some(on.year() - dob.year() - i32::from(before_birthday))
}

/// The band of an age; [`UNKNOWN`] without one.
pub fn age_band(age: Option<i32>) -> &'static str {
    let Some(age) = age.filter(|a| *a >= 0) else {
        return UNKNOWN;
    };
    AGE_BANDS
        .iter()
        .rev()
        .find(|(low, _)| age >= *low)
        .map_or(UNKNOWN, |(_, label)| label)
}

/// The band at referral of someone born on `dob` (approximate dates of birth
/// count as given: a band is coarse enough).
pub fn age_band_at(dob: Option<NaiveDate>, referred_at: DateTime<Utc>) -> &'static str {
    age_band(dob.and_then(|d| age_on(d, programme_day(referred_at))))
}

/// A date coarsened to its month, `YYYY-MM`.
pub fn month(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

/// The programme month of an instant (an event at 23:30 Toronto on the last
/// day of a month belongs to that month, whatever the UTC date).
pub fn month_of(t: DateTime<Utc>) -> String {
    month(programme_day(t))
}

/// Relationships to the principal in four groups: the finer ones (parent,
/// sibling) are rare enough to single a family out.
pub fn relationship_group(relationship: &str) -> &'static str {
    match relationship {
        "principal" => "principal",
        "spouse" | "partner" => "partner",
        "child" => "child",
        _ => "other",
    }
}

/// The period part of a spec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PeriodSpec {
    /// `2026-10`, `2026-Q4`, or `2026-10-01..2026-12-31`.
    pub key: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl PeriodSpec {
    /// The period.
    pub fn period(&self) -> Period {
        Period {
            key: self.key.clone(),
            from: self.from,
            to: self.to,
        }
    }
}

/// A checked request: what to count, by what, over which referrals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Spec {
    pub unit: Unit,
    /// In the order the columns are written.
    pub dimensions: Vec<Dimension>,
    /// Only cases referred in this period (programme days); all when absent.
    pub period: Option<PeriodSpec>,
}

/// Checks a request. Error codes by field: `dimensions`: `no-dimensions`,
/// `unknown-dimension`, `too-many-dimensions`, `dimension-needs-people`;
/// `unit`: `unknown-unit`; `period`, `from`, `to`: those of
/// [`Period::from_input`], and `too-long`. A dimension named twice is kept
/// once.
pub fn validate(
    dimensions: &[String],
    unit: &str,
    period: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Spec, Invalid> {
    let mut inv = Invalid::default();
    let unit_s = unit.trim();
    let unit = if unit_s.is_empty() {
        Some(Unit::People)
    } else {
        Unit::parse(unit_s)
    };
    if unit.is_none() {
        inv.add("unit", "unknown-unit");
    }
    let mut dims: Vec<Dimension> = Vec::new();
    if dimensions.is_empty() {
        inv.add("dimensions", "no-dimensions");
    } else if dimensions.len() > Dimension::ALL.len() {
        // Checked before parsing, so a list of a million ids costs nothing.
        inv.add("dimensions", "too-many-dimensions");
    } else {
        for d in dimensions {
            match Dimension::parse(d.trim()) {
                Some(d) if !dims.contains(&d) => dims.push(d),
                Some(_) => {}
                None => {
                    inv.add("dimensions", "unknown-dimension");
                    break;
                }
            }
        }
        if unit == Some(Unit::Cases) && dims.iter().any(|d| d.people_only()) {
            inv.add("dimensions", "dimension-needs-people");
        }
    }
    let mut too_long = false;
    for (field, v) in [("period", period), ("from", from), ("to", to)] {
        if v.is_some_and(|v| v.chars().count() > MAX_PERIOD_INPUT) {
            inv.add(field, "too-long");
            too_long = true;
        }
    }
    let blank = |v: Option<&str>| v.is_none_or(|s| s.trim().is_empty());
    let mut checked = None;
    let asked = !(blank(period) && blank(from) && blank(to));
    if asked && !too_long {
        match Period::from_input(period, from, to) {
            Ok(p) => checked = Some(p),
            Err(e) => inv.errors.extend(e.errors),
        }
    }
    inv.into_result()?;
    Ok(Spec {
        unit: unit.unwrap_or(Unit::People),
        dimensions: dims,
        period: checked.map(|p| PeriodSpec {
            key: p.key,
            from: p.from,
            to: p.to,
        }),
    })
}

/// A count as it may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    /// The exact count (at least [`THRESHOLD`]).
    Count(i64),
    /// "Fewer than [`THRESHOLD`]".
    FewerThanThreshold,
}

impl Shown {
    /// The count as text: the number, or `<5`.
    pub fn text(self) -> String {
        match self {
            Shown::Count(n) => n.to_string(),
            Shown::FewerThanThreshold => format!("<{THRESHOLD}"),
        }
    }
}

/// Decides, group by group, what is listed; remembers what was held back.
/// Groups can be fed one at a time straight from the database, so an
/// export with many groups never holds them all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suppressor {
    held_back: i64,
    groups_held_back: u64,
}

impl Suppressor {
    /// Whether a group of `count` may be listed with its count; if not, the
    /// count joins the suppressed line.
    pub fn admit(&mut self, count: i64) -> bool {
        if count >= THRESHOLD {
            return true;
        }
        if count > 0 {
            self.held_back += count;
            self.groups_held_back += 1;
        }
        false
    }

    /// The last line, when any group was held back: their combined count,
    /// itself "fewer than 5" when small. There is deliberately no total
    /// line.
    pub fn suppressed_line(&self) -> Option<Shown> {
        if self.groups_held_back == 0 {
            return None;
        }
        Some(if self.held_back >= THRESHOLD {
            Shown::Count(self.held_back)
        } else {
            Shown::FewerThanThreshold
        })
    }
}

/// A table with small groups suppressed: the listed groups (in the order
/// given) and the suppressed line, if any.
pub fn suppress<K>(groups: impl IntoIterator<Item = (K, i64)>) -> (Vec<(K, i64)>, Option<Shown>) {
    let mut s = Suppressor::default();
    let listed = groups.into_iter().filter(|(_, n)| s.admit(*n)).collect();
    (listed, s.suppressed_line())
}

/// The programme zone's UTC offsets between two instants: the offset (in
/// seconds east of UTC) at `from`, and each later change with the instant
/// it takes effect. Lets a database without time zones (SQLite) turn an
/// instant into a programme day exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneOffsets {
    pub first: i32,
    pub changes: Vec<(DateTime<Utc>, i32)>,
}

impl ZoneOffsets {
    /// Offsets of zone `tz` from `from` to `to`.
    pub fn between(tz: chrono_tz::Tz, from: DateTime<Utc>, to: DateTime<Utc>) -> ZoneOffsets {
        let offset = |t: DateTime<Utc>| {
            tz.offset_from_utc_datetime(&t.naive_utc())
                .fix()
                .local_minus_utc()
        };
        let first = offset(from);
        let mut changes = Vec::new();
        let mut prev_t = from;
        let mut prev = first;
        // Zones change their offset at most a few times a year, never twice
        // in a day: step a day at a time and narrow each change down to
        // the minute.
        while prev_t < to {
            let next_t = (prev_t + Duration::days(1)).min(to);
            let next = offset(next_t);
            if next != prev {
                let (mut lo, mut hi) = (prev_t, next_t);
                while hi - lo > Duration::minutes(1) {
                    let mid = lo + (hi - lo) / 2;
                    if offset(mid) == prev {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                changes.push((truncate_minute(hi), next));
                prev = next;
            }
            prev_t = next_t;
        }
        ZoneOffsets { first, changes }
    }

    /// The smallest and largest offsets in the range.
    pub fn bounds(&self) -> (i32, i32) {
        let all = std::iter::once(self.first).chain(self.changes.iter().map(|c| c.1));
        let (lo, hi) = all.fold((i32::MAX, i32::MIN), |(lo, hi), o| (lo.min(o), hi.max(o)));
        (lo, hi)
    }
}

/// Offsets change on whole minutes, and the search above ends less than a
/// minute after the change: the minute it falls in is the change.
fn truncate_minute(t: DateTime<Utc>) -> DateTime<Utc> {
    let secs = t.timestamp();
    Utc.timestamp_opt(secs - secs.rem_euclid(60), 0)
        .single()
        .unwrap_or(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn only_analysts_and_supervisors() {
        for r in Role::ALL {
            assert_eq!(
                may_export(r),
                matches!(r, Role::Analyst | Role::Supervisor),
                "{r:?}"
            );
        }
    }

    #[test]
    fn bands_at_their_edges() {
        let cases = [
            (0, "0–4"),
            (4, "0–4"),
            (5, "5–11"),
            (11, "5–11"),
            (12, "12–17"),
            (17, "12–17"),
            (18, "18–24"),
            (24, "18–24"),
            (25, "25–34"),
            (34, "25–34"),
            (35, "35–49"),
            (49, "35–49"),
            (50, "50–64"),
            (64, "50–64"),
            (65, "65+"),
            (110, "65+"),
        ];
        for (age, band) in cases {
            assert_eq!(age_band(Some(age)), band, "{age}");
        }
        assert_eq!(age_band(None), "unknown");
        assert_eq!(age_band(Some(-1)), "unknown");
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        assert_eq!(age_on(d("2000-06-15"), d("2018-06-14")), Some(17));
        assert_eq!(age_on(d("2000-06-15"), d("2018-06-15")), Some(18));
        assert_eq!(age_on(d("2004-02-29"), d("2022-02-28")), Some(17));
        assert_eq!(age_on(d("2004-02-29"), d("2022-03-01")), Some(18));
        assert_eq!(age_on(d("2004-02-29"), d("2024-02-29")), Some(20));
        assert_eq!(age_on(d("2012-01-01"), d("2012-01-01")), Some(0));
        assert_eq!(age_on(d("2012-01-02"), d("2012-01-01")), None);
    }

    #[test]
    fn age_at_referral_counts_the_programme_day() {
        // 03:30 UTC on 15 June is still 14 June in Toronto: not yet 18.
        let dob = Some(d("1994-06-15"));
        assert_eq!(age_band_at(dob, t("2012-06-15T03:30:00Z")), "12–17");
        assert_eq!(age_band_at(dob, t("2012-06-15T04:30:00Z")), "18–24");
        assert_eq!(age_band_at(None, t("2012-06-15T04:30:00Z")), "unknown");
    }

    #[test]
    fn months_are_programme_months() {
        assert_eq!(month(d("2012-07-31")), "2012-07");
        // 23:30 Toronto on 31 July (EDT) is 03:30 UTC on 1 August.
        assert_eq!(month_of(t("2012-08-01T03:30:00Z")), "2012-07");
        assert_eq!(month_of(t("2012-08-01T04:00:00Z")), "2012-08");
        // In winter Toronto is five hours behind.
        assert_eq!(month_of(t("2013-01-01T04:59:00Z")), "2012-12");
        assert_eq!(month_of(t("2013-01-01T05:00:00Z")), "2013-01");
    }

    #[test]
    fn relationships_in_four_groups() {
        for (r, g) in [
            ("principal", "principal"),
            ("spouse", "partner"),
            ("child", "child"),
            ("parent", "other"),
            ("sibling", "other"),
            ("other", "other"),
        ] {
            assert_eq!(relationship_group(r), g);
        }
    }

    #[test]
    fn suppression_lists_five_and_more_and_pools_the_rest() {
        let groups = vec![("a", 12), ("b", 3), ("c", 5), ("d", 4), ("e", 1)];
        let (listed, line) = suppress(groups);
        assert_eq!(listed, vec![("a", 12), ("c", 5)]);
        // 3 + 4 + 1 = 8 people in three small groups: one line of 8.
        assert_eq!(line, Some(Shown::Count(8)));
        assert_eq!(line.map(Shown::text).as_deref(), Some("8"));
    }

    #[test]
    fn a_small_suppressed_line_is_itself_hidden() {
        let (listed, line) = suppress(vec![("a", 7), ("b", 3)]);
        assert_eq!(listed, vec![("a", 7)]);
        assert_eq!(line, Some(Shown::FewerThanThreshold));
        assert_eq!(line.map(Shown::text).as_deref(), Some("<5"));
    }

    #[test]
    fn nothing_suppressed_means_no_line_and_never_a_total() {
        let (listed, line) = suppress(vec![("a", 5), ("b", 6)]);
        assert_eq!(listed.len(), 2);
        assert_eq!(line, None);
        // Exactly the threshold is shown; one below is not.
        let mut s = Suppressor::default();
        assert!(s.admit(THRESHOLD));
        assert!(!s.admit(THRESHOLD - 1));
    }

    #[test]
    fn validation_names_each_field() {
        let v = |dims: &[&str], unit: &str, period: Option<&str>| {
            let dims: Vec<String> = dims.iter().map(|s| s.to_string()).collect();
            validate(&dims, unit, period, None, None)
        };
        let s = v(&["sex", "age_band", "sex"], "", Some("2012-Q3")).unwrap();
        assert_eq!(s.unit, Unit::People);
        assert_eq!(s.dimensions, vec![Dimension::Sex, Dimension::AgeBand]);
        assert_eq!(s.period.as_ref().map(|p| p.from), Some(d("2012-07-01")));
        assert_eq!(v(&["status"], "cases", None).unwrap().period, None);
        let code =
            |r: Result<Spec, Invalid>, f: &str| r.unwrap_err().for_field(f).map(str::to_string);
        assert_eq!(
            code(v(&[], "people", None), "dimensions").as_deref(),
            Some("no-dimensions")
        );
        assert_eq!(
            code(v(&["name"], "people", None), "dimensions").as_deref(),
            Some("unknown-dimension")
        );
        assert_eq!(
            code(v(&["relationship"], "cases", None), "dimensions").as_deref(),
            Some("dimension-needs-people")
        );
        assert_eq!(
            code(v(&["sex"], "households", None), "unit").as_deref(),
            Some("unknown-unit")
        );
        assert_eq!(
            code(v(&["sex"], "people", Some("2012-13")), "period").as_deref(),
            Some("invalid-period")
        );
        let long = "9".repeat(1000);
        assert_eq!(
            code(v(&["sex"], "people", Some(&long)), "period").as_deref(),
            Some("too-long")
        );
        let many: Vec<&str> = std::iter::repeat_n("sex", 1000).collect();
        assert_eq!(
            code(v(&many, "people", None), "dimensions").as_deref(),
            Some("too-many-dimensions")
        );
    }

    #[test]
    fn every_dimension_has_an_id_label_and_hashtag() {
        for dim in Dimension::ALL {
            assert_eq!(Dimension::parse(dim.id()), Some(dim));
            assert!(dim.hxl().starts_with('#'));
            assert!(dim.label_key().ends_with(dim.id()));
        }
    }

    #[test]
    fn toronto_offsets_change_twice_a_year() {
        let z = ZoneOffsets::between(
            crate::report::PROGRAMME_TZ,
            t("2012-01-01T00:00:00Z"),
            t("2013-01-01T00:00:00Z"),
        );
        assert_eq!(z.first, -5 * 3600);
        assert_eq!(
            z.changes,
            vec![
                (t("2012-03-11T07:00:00Z"), -4 * 3600),
                (t("2012-11-04T06:00:00Z"), -5 * 3600),
            ]
        );
        assert_eq!(z.bounds(), (-5 * 3600, -4 * 3600));
    }

    #[test]
    fn another_office_has_its_own_offsets() {
        let z = ZoneOffsets::between(
            chrono_tz::Europe::Brussels,
            t("2027-01-01T00:00:00Z"),
            t("2028-01-01T00:00:00Z"),
        );
        assert_eq!(z.first, 3600);
        assert_eq!(
            z.changes,
            vec![
                (t("2027-03-28T01:00:00Z"), 2 * 3600),
                (t("2027-10-31T01:00:00Z"), 3600),
            ]
        );
    }
}
