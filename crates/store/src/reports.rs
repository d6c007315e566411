//! The donor report's figures, aggregated in the database.
//!
//! Who may: supervisors, finance and CBSA officers
//! (`homeward_domain::report::may_read`). The report covers the whole
//! programme for each of them: it holds counts and sums, never a case.
//!
//! Counts and RSS sums are grouped by country in SQL; only the period's
//! departures come back one row each (the median needs them), and money is
//! summed per currency. Nothing scans cases outside the period: each query
//! starts from an index on the event's time (migration 0030).

use crate::actor::Actor;
use crate::{on_db, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::report::{Departure, DonorReport, EventCounts, Period, RssSums, Spend};

/// The donor report for `period`, as `actor` may see it.
pub async fn donor(store: &Store, actor: &Actor, period: &Period) -> Result<DonorReport> {
    if !homeward_domain::report::may_read(actor.role) {
        return Err(Error::Forbidden);
    }
    let (start, end) = period.utc_bounds();
    // Independent reads, side by side on the pool's connections.
    let (counts, departures, spend, rss) = tokio::try_join!(
        event_counts(store, start, end),
        departures(store, start, end),
        spend(store, start, end),
        rss(store, period.from, period.to),
    )?;
    Ok(DonorReport::build(
        period.clone(),
        &counts,
        &departures,
        &spend,
        &rss,
    ))
}

#[derive(sqlx::FromRow)]
struct CountRow {
    country: Option<String>,
    referrals: i64,
    enrolments: i64,
    withdrawals: i64,
    approvals: i64,
    refusals: i64,
}

/// Referrals (by `referred_at`) and the first transition of each case into
/// intake, withdrawn, eligible and ineligible, grouped by country.
async fn event_counts(
    store: &Store,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<EventCounts>> {
    // One row per (case, event kind) happening in the period: a case is
    // referred once, and reaches each of these statuses at most once (the
    // workflow has no way back to them), so counting rows counts cases.
    let sql = "SELECT e.country AS country, \
          CAST(SUM(CASE WHEN e.kind = 'referred' THEN 1 ELSE 0 END) AS BIGINT) AS referrals, \
          CAST(SUM(CASE WHEN e.kind = 'intake' THEN 1 ELSE 0 END) AS BIGINT) AS enrolments, \
          CAST(SUM(CASE WHEN e.kind = 'withdrawn' THEN 1 ELSE 0 END) AS BIGINT) AS withdrawals, \
          CAST(SUM(CASE WHEN e.kind = 'eligible' THEN 1 ELSE 0 END) AS BIGINT) AS approvals, \
          CAST(SUM(CASE WHEN e.kind = 'ineligible' THEN 1 ELSE 0 END) AS BIGINT) AS refusals \
        FROM ( \
          SELECT c.country_of_return AS country, 'referred' AS kind FROM cases c \
            WHERE c.referred_at >= $1 AND c.referred_at < $2 \
          UNION ALL \
          SELECT c.country_of_return AS country, t.to_status AS kind \
            FROM case_transitions t JOIN cases c ON c.id = t.case_id \
            WHERE t.to_status IN ('intake', 'withdrawn', 'eligible', 'ineligible') \
              AND t.at >= $3 AND t.at < $4 \
        ) e GROUP BY e.country";
    let rows: Vec<CountRow> = on_db!(&store.db, p => sqlx::query_as::<_, CountRow>(sql)
        .bind(start).bind(end).bind(start).bind(end)
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| EventCounts {
            country: r.country,
            referrals: r.referrals,
            enrolments: r.enrolments,
            withdrawals: r.withdrawals,
            approvals: r.approvals,
            refusals: r.refusals,
        })
        .collect())
}

/// Itineraries that departed in the period and are their case's first
/// departure: the case departed in the period. Binds `$1` and `$2` (the
/// period's UTC bounds); the dashboard builds on it too.
///
/// An itinerary has `departed_at` exactly when its status is `departed`
/// (a departure is confirmed once and never changes), so no status test:
/// both parts read only the partial indexes on `departed_at` (migrations
/// 0030 and 0034), never a row of the table. A status test led SQLite,
/// which plans without statistics until someone runs ANALYZE, through the
/// status index: every departed itinerary, and for each every other one
/// (minutes at 1,000,000 cases).
pub(crate) const FIRST_DEPARTURES: &str =
    "SELECT i.case_id AS case_id, i.departed_at AS departed_at \
    FROM itineraries i \
    WHERE i.departed_at >= $1 AND i.departed_at < $2 \
      AND NOT EXISTS (SELECT 1 FROM itineraries j WHERE j.case_id = i.case_id \
        AND j.departed_at < $1)";

#[derive(sqlx::FromRow)]
struct DepartureRow {
    case_id: uuid::Uuid,
    country: Option<String>,
    referred_at: DateTime<Utc>,
    departed_at: DateTime<Utc>,
    status: String,
}

/// The cases that departed in the period: when each was referred and left.
async fn departures(
    store: &Store,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Departure>> {
    let sql = format!(
        "SELECT d.case_id, c.country_of_return AS country, c.referred_at, d.departed_at, c.status \
         FROM ({FIRST_DEPARTURES}) d JOIN cases c ON c.id = d.case_id ORDER BY d.case_id, d.departed_at"
    );
    let rows: Vec<DepartureRow> = on_db!(&store.db, p => sqlx::query_as::<_, DepartureRow>(&sql)
        .bind(start).bind(end).fetch_all(p).await)?;
    // A family on two itineraries leaving the same period gives two rows:
    // the case departed with the first.
    let mut out: Vec<Departure> = Vec::with_capacity(rows.len());
    let mut last: Option<uuid::Uuid> = None;
    for r in rows {
        if last == Some(r.case_id) {
            continue;
        }
        last = Some(r.case_id);
        out.push(Departure {
            country: r.country,
            referred_at: r.referred_at,
            departed_at: r.departed_at,
            status: r.status,
        });
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct SpendRow {
    kind: String,
    currency: String,
    total: i64,
}

/// For the period's departed cases: the fares of every itinerary they
/// departed on, and the reintegration purchases paid for them (paid or
/// delivered) up to the end of the period, each summed per currency.
async fn spend(store: &Store, start: DateTime<Utc>, end: DateTime<Utc>) -> Result<Vec<Spend>> {
    let cases = format!("SELECT DISTINCT f.case_id FROM ({FIRST_DEPARTURES}) f");
    let sql = format!(
        "SELECT 'tickets' AS kind, i.fare_currency AS currency, CAST(SUM(i.fare_minor) AS BIGINT) AS total \
           FROM itineraries i WHERE i.departed_at IS NOT NULL AND i.fare_minor IS NOT NULL \
             AND i.fare_currency IS NOT NULL AND i.case_id IN ({cases}) \
           GROUP BY i.fare_currency \
         UNION ALL \
         SELECT 'reintegration' AS kind, p.programme_currency AS currency, CAST(SUM(p.programme_minor) AS BIGINT) AS total \
           FROM purchases p WHERE p.status || '' IN ('paid', 'delivered') AND p.paid_at < $3 \
             AND p.case_id IN ({}) \
           GROUP BY p.programme_currency",
        cases.replace("$1", "$4").replace("$2", "$5")
    );
    let rows: Vec<SpendRow> = on_db!(&store.db, p => sqlx::query_as::<_, SpendRow>(&sql)
        .bind(start).bind(end).bind(end).bind(start).bind(end).fetch_all(p).await)?;
    let mut out: Vec<Spend> = Vec::new();
    for r in rows {
        let i = match out.iter().position(|s| s.currency == r.currency) {
            Some(i) => i,
            None => {
                out.push(Spend {
                    currency: r.currency.clone(),
                    tickets_minor: 0,
                    reintegration_minor: 0,
                });
                out.len() - 1
            }
        };
        if r.kind == "tickets" {
            out[i].tickets_minor += r.total;
        } else {
            out[i].reintegration_minor += r.total;
        }
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct RssRow {
    country: Option<String>,
    surveys: i64,
    economic: f64,
    social: f64,
    psychosocial: f64,
    composite: f64,
}

/// The survey count and the RSS scores summed, as `surveys`, `economic`,
/// `social`, `psychosocial`, `composite`.
pub(crate) const RSS_SUMS: &str = "COUNT(*) AS surveys, \
    CAST(SUM(s.economic) AS DOUBLE PRECISION) AS economic, CAST(SUM(s.social) AS DOUBLE PRECISION) AS social, \
    CAST(SUM(s.psychosocial) AS DOUBLE PRECISION) AS psychosocial, CAST(SUM(s.composite) AS DOUBLE PRECISION) AS composite";

/// The latest survey of each case taken in the period (`s`, with its case
/// `c`): no later survey of the same case in the period (by date, then by
/// when it was recorded, then by id so ties cannot count twice). Binds `$1`
/// and `$2` (first and last day) and `$3` (the last day again).
pub(crate) const LATEST_SURVEYS: &str = "FROM rss_surveys s JOIN cases c ON c.id = s.case_id \
    WHERE s.surveyed_on >= $1 AND s.surveyed_on <= $2 \
      AND NOT EXISTS (SELECT 1 FROM rss_surveys s2 WHERE s2.case_id = s.case_id \
        AND s2.surveyed_on <= $3 AND (s2.surveyed_on > s.surveyed_on \
          OR (s2.surveyed_on = s.surveyed_on AND (s2.recorded_at > s.recorded_at \
            OR (s2.recorded_at = s.recorded_at AND s2.id > s.id)))))";

/// RSS scores of the latest survey of each case taken in the period,
/// summed per country.
async fn rss(store: &Store, from: NaiveDate, to: NaiveDate) -> Result<Vec<RssSums>> {
    let sql = format!(
        "SELECT c.country_of_return AS country, {RSS_SUMS} {LATEST_SURVEYS} GROUP BY c.country_of_return"
    );
    let rows: Vec<RssRow> = on_db!(&store.db, p => sqlx::query_as::<_, RssRow>(&sql)
        .bind(from).bind(to).bind(to).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| RssSums {
            country: r.country,
            surveys: r.surveys,
            economic: r.economic,
            social: r.social,
            psychosocial: r.psychosocial,
            composite: r.composite,
        })
        .collect())
}
