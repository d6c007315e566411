//! The donor report's figures, aggregated in the database.
//!
//! Who may: supervisors, finance and CBSA officers
//! (`homeward_domain::report::may_read`). The report covers the whole
//! programme for each of them: it holds counts and sums, never a case.
//!
//! Counts and RSS sums are grouped by country in SQL; only the period's
//! departures come back one row each (the median needs them), and money is
//! summed per currency. Nothing scans cases outside the period: each query
//! starts from an index on the event's time, for the case's own events
//! the case milestones (migration 0044, docs/adr/0034).

use crate::actor::Actor;
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::report::{Departure, DonorReport, EventCounts, Period, RssSums, Spend};

/// Which cases a report counts: one programme's, or every programme of
/// the reader's; appended to a query whose cases are aliased `c`.
struct Cases<'a> {
    actor: &'a Actor,
    programme: Option<uuid::Uuid>,
}

impl Cases<'_> {
    /// The filter (`AND ...`, or nothing) and every parameter: `params`
    /// first, so the query's own `$1`... keep their numbers, then the
    /// filter's. The filter may be written more than once in a query.
    fn filter(&self, params: Vec<Param>) -> (String, Vec<Param>) {
        let mut q = Sql::new("");
        q.params = params;
        if let Some(p) = self.programme {
            q.push(" AND c.programme_id = ").bind(Param::Uuid(p));
        }
        self.actor.push_programme_scope(&mut q, "c.programme_id");
        (q.text, q.params)
    }
}

/// The donor report for `period`, as `actor` may see it: of programme
/// `programme` (a code), or of every programme the actor works in. Days
/// are the office's of that programme, or the actor's own office's across
/// programmes. Money is summed per currency, never across currencies.
/// Codes: `programme` `unknown-programme` (also for a programme the actor
/// does not work in).
pub async fn donor(
    store: &Store,
    actor: &Actor,
    period: &Period,
    programme: Option<&str>,
) -> Result<DonorReport> {
    if !homeward_domain::report::may_read(actor.role) {
        return Err(Error::Forbidden);
    }
    let (programme, tz) = match programme.map(str::trim).filter(|c| !c.is_empty()) {
        None => (None, actor.time_zone),
        Some(code) => match crate::programmes::by_code(store, code).await {
            Ok(p) if actor.in_programme(p.id) => (Some(p.id), p.tz()),
            Ok(_) | Err(Error::NotFound) => {
                return Err(Error::invalid("programme", "unknown-programme"))
            }
            Err(e) => return Err(e),
        },
    };
    let cases = Cases { actor, programme };
    let (start, end) = period.utc_bounds(tz);
    // Independent reads, side by side on the pool's connections.
    let (counts, departures, spend, rss) = tokio::try_join!(
        event_counts(store, &cases, start, end),
        departures(store, &cases, start, end),
        spend(store, &cases, start, end),
        rss(store, &cases, period.from, period.to),
    )?;
    let mut report = DonorReport::build(period.clone(), &counts, &departures, &spend, &rss);
    report.rss_weights_verified = store.questionnaire.weights_verified;
    Ok(report)
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

/// Referrals and the first move of each case into intake, withdrawn,
/// eligible and ineligible, grouped by country: each an index range of the
/// case milestones (migration 0044, docs/adr/0034).
async fn event_counts(
    store: &Store,
    cases: &Cases<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<EventCounts>> {
    let (f, params) = cases.filter(vec![Param::Time(start), Param::Time(end)]);
    let sql = format!(
        "SELECT e.country AS country, \
          CAST(SUM(CASE WHEN e.kind = 'referred' THEN e.n ELSE 0 END) AS BIGINT) AS referrals, \
          CAST(SUM(CASE WHEN e.kind = 'intake' THEN e.n ELSE 0 END) AS BIGINT) AS enrolments, \
          CAST(SUM(CASE WHEN e.kind = 'withdrawn' THEN e.n ELSE 0 END) AS BIGINT) AS withdrawals, \
          CAST(SUM(CASE WHEN e.kind = 'eligible' THEN e.n ELSE 0 END) AS BIGINT) AS approvals, \
          CAST(SUM(CASE WHEN e.kind = 'ineligible' THEN e.n ELSE 0 END) AS BIGINT) AS refusals \
        FROM ( \
          SELECT c.country_of_return AS country, 'referred' AS kind, COUNT(*) AS n FROM cases c \
            WHERE c.referred_at >= $1 AND c.referred_at < $2{f} GROUP BY c.country_of_return \
          UNION ALL \
          SELECT c.country_of_return, 'intake', COUNT(*) FROM cases c \
            WHERE c.registered_at >= $1 AND c.registered_at < $2{f} GROUP BY c.country_of_return \
          UNION ALL \
          SELECT c.country_of_return, 'withdrawn', COUNT(*) FROM cases c \
            WHERE c.withdrawn_at >= $1 AND c.withdrawn_at < $2{f} GROUP BY c.country_of_return \
          UNION ALL \
          SELECT c.country_of_return, 'eligible', COUNT(*) FROM cases c \
            WHERE c.approved_at >= $1 AND c.approved_at < $2{f} GROUP BY c.country_of_return \
          UNION ALL \
          SELECT c.country_of_return, 'ineligible', COUNT(*) FROM cases c \
            WHERE c.refused_at >= $1 AND c.refused_at < $2{f} GROUP BY c.country_of_return \
        ) e GROUP BY e.country"
    );
    let rows: Vec<CountRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, CountRow>(&sql), params)
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

#[derive(sqlx::FromRow)]
struct DepartureRow {
    country: Option<String>,
    referred_at: DateTime<Utc>,
    departed_at: DateTime<Utc>,
    status: String,
}

/// The cases that departed in the period (their first departure, the case
/// milestone `departed_at`): when each was referred and left.
async fn departures(
    store: &Store,
    cases: &Cases<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Departure>> {
    let (f, params) = cases.filter(vec![Param::Time(start), Param::Time(end)]);
    let sql = format!(
        "SELECT c.country_of_return AS country, c.referred_at, c.departed_at, c.status \
         FROM cases c WHERE c.departed_at >= $1 AND c.departed_at < $2{f}"
    );
    let rows: Vec<DepartureRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, DepartureRow>(&sql), params)
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| Departure {
            country: r.country,
            referred_at: r.referred_at,
            departed_at: r.departed_at,
            status: r.status,
        })
        .collect())
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
async fn spend(
    store: &Store,
    cases: &Cases<'_>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<Spend>> {
    let (f, params) = cases.filter(vec![Param::Time(start), Param::Time(end)]);
    // CROSS JOIN: SQLite keeps the written order, from the period's
    // departed cases to their rows, rather than from every purchase paid
    // before the period's end; PostgreSQL plans it as an inner join.
    let sql = format!("SELECT 'tickets' AS kind, i.fare_currency AS currency, CAST(SUM(i.fare_minor) AS BIGINT) AS total \
           FROM cases c CROSS JOIN itineraries i \
           WHERE c.departed_at >= $1 AND c.departed_at < $2{f} AND i.case_id = c.id \
             AND i.departed_at IS NOT NULL AND i.fare_minor IS NOT NULL AND i.fare_currency IS NOT NULL \
           GROUP BY i.fare_currency \
         UNION ALL \
         SELECT 'reintegration' AS kind, p.programme_currency AS currency, CAST(SUM(p.programme_minor) AS BIGINT) AS total \
           FROM cases c CROSS JOIN purchases p \
           WHERE c.departed_at >= $1 AND c.departed_at < $2{f} AND p.case_id = c.id \
             AND p.status IN ('paid', 'delivered') AND p.paid_at < $2 \
           GROUP BY p.programme_currency");
    let rows: Vec<SpendRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, SpendRow>(&sql), params)
        .fetch_all(p).await)?;
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

/// The latest survey of each case taken in the period (`s`, joined to its
/// case `c` by `join`, which may be empty): the case's next survey (by date,
/// then by when it was recorded, then by id so ties cannot count twice),
/// kept on each survey by triggers (migration 0046), came after the period
/// or never. Binds `$1` and `$2` (first and last day) and `$3` (the last
/// day again).
pub(crate) fn latest_surveys(join: &str) -> String {
    format!(
        "FROM rss_surveys s{join} \
    WHERE s.surveyed_on >= $1 AND s.surveyed_on <= $2 \
      AND (s.next_surveyed_on IS NULL OR s.next_surveyed_on > $3)"
    )
}

/// RSS scores of the latest survey of each case taken in the period,
/// summed per country.
async fn rss(
    store: &Store,
    cases: &Cases<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<RssSums>> {
    let join = format!("{}s.case_id", cases_join(store));
    let (f, params) = cases.filter(vec![Param::Date(from), Param::Date(to), Param::Date(to)]);
    let sql = format!(
        "SELECT c.country_of_return AS country, {RSS_SUMS} {}{f} GROUP BY c.country_of_return",
        latest_surveys(&join)
    );
    let rows: Vec<RssRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, RssRow>(&sql), params)
        .fetch_all(p).await)?;
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

/// The join from a period's rows to their case, for the filters and the
/// scope. SQLite is told to use `cases_scope`, which holds every column
/// they test: left alone it takes the primary key and reads each case's row
/// (twice the time). PostgreSQL chooses by its statistics.
pub(crate) fn cases_join(store: &Store) -> String {
    match store.is_postgres() {
        true => " JOIN cases c ON c.id = ".into(),
        false => " JOIN cases c INDEXED BY cases_scope ON c.id = ".into(),
    }
}
