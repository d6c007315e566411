//! The programme dashboard's figures, aggregated in the database.
//!
//! Who may: every role with a panel (`homeward_domain::dashboard::panels`);
//! admins and auditors are refused. Each query applies the actor's record
//! scope in SQL ([`Actor::push_case_scope`]), so a counsellor counts their
//! own cases and a mission officer their country's; analysts, who may read
//! no case, get the whole programme as aggregates, suppressed below five by
//! the domain.
//!
//! Nothing reads every case: figures "now" (statuses, the open-case part of
//! the overdue tasks) come from the `case_counts` counter table, and each
//! figure of a period starts from an index on the time of its event
//! (departures, evaluations, payments, surveys, contact due; migrations 0030,
//! 0032 and 0044). Only the period's departures come back one row each (the
//! medians need them).

use crate::actor::Actor;
use crate::reports::{latest_surveys, RSS_SUMS};
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, Error, Result, Store};
use chrono::{DateTime, Duration, Utc};
use homeward_domain::dashboard::{
    self, CategorySpend, Dashboard, DashboardFilter, DepartureTimes, Gathered, KeyCount, Panel,
    TierSums,
};
use homeward_domain::report::RssSums;
use homeward_domain::{Action, Invalid, Resource};
use uuid::Uuid;

/// SQLite plans without statistics for most tables; where a status test
/// could lead it through a status index (every case or purchase ever in
/// that status) instead of the period's index range, the status is written
/// `x.status || ''` so no index matches it. PostgreSQL plans by its
/// statistics either way.
///
/// Statuses whose cases have not left yet (the task list's "open").
const OPEN: &str = "('intake', 'counselling', 'applied', 'eligible', 'preparing_departure')";

/// The dashboard `actor` sees for `filter`.
pub async fn load(store: &Store, actor: &Actor, filter: &DashboardFilter) -> Result<Dashboard> {
    if !dashboard::may_read(actor.role) {
        return Err(Error::Forbidden);
    }
    let (programme_id, zone) = match &filter.programme {
        None => (None, actor.time_zone),
        Some(code) => match crate::programmes::by_code(store, code).await {
            Ok(p) if actor.in_programme(p.id) => (Some(p.id), p.tz()),
            Ok(_) | Err(Error::NotFound) => {
                let mut inv = Invalid::default();
                inv.add("programme", "unknown-programme");
                return Err(Error::Invalid(inv));
            }
            Err(e) => return Err(e),
        },
    };
    let mut q = Q {
        actor,
        filter,
        programme_id,
        zone,
        join: String::new(),
    };
    if q.restricts(store).await? {
        q.join = crate::reports::cases_join(store);
    }
    let wants = |p: Panel| dashboard::panels(actor.role).contains(&p);
    // The figures are independent reads: run them side by side on the
    // pool's connections (SQLite readers do not block each other in WAL
    // mode), so the page waits for the slowest, not for the sum.
    let q = &q;
    let (statuses, overdue, departures, monthly_target, tiers, spending, rss) = tokio::try_join!(
        async {
            match wants(Panel::Statuses) {
                true => statuses(store, q).await,
                false => Ok(Vec::new()),
            }
        },
        async {
            match wants(Panel::Overdue) {
                true => overdue(store, q, crate::now()).await,
                false => Ok(Vec::new()),
            }
        },
        async {
            match wants(Panel::Departures) || wants(Panel::Days) || wants(Panel::Countries) {
                true => departures(store, q).await,
                false => Ok(Vec::new()),
            }
        },
        async {
            match wants(Panel::Departures) {
                true => monthly_target(store, actor, programme_id).await,
                false => Ok(None),
            }
        },
        async {
            match wants(Panel::Tiers) {
                true => tiers(store, q).await,
                false => Ok(Vec::new()),
            }
        },
        async {
            match wants(Panel::Spending) {
                true => spending(store, q).await,
                false => Ok(Vec::new()),
            }
        },
        async {
            match wants(Panel::Rss) {
                true => rss(store, q).await.map(Some),
                false => Ok(None),
            }
        },
    )?;
    let g = Gathered {
        statuses,
        overdue,
        departures,
        monthly_target,
        tiers,
        spending,
        rss: rss.unwrap_or_default(),
        zone: Some(zone),
    };
    Ok(Dashboard::build(actor.role, filter.clone(), &g))
}

/// Who asks and what for: appends the filters and the scope to a query
/// whose cases (or `case_counts` rows) are aliased `c`.
struct Q<'a> {
    actor: &'a Actor,
    filter: &'a DashboardFilter,
    programme_id: Option<Uuid>,
    zone: chrono_tz::Tz,
    /// How the period panels reach the case of each purchase, evaluation
    /// or survey for the filters and the scope (`JOIN cases c ON c.id =
    /// x.case_id`, the `x` left open), or empty when neither leaves out a
    /// single case: then they read their own index alone.
    join: String,
}

impl Q<'_> {
    /// Whether the filters or the scope leave out any case now. Asked of
    /// the counter table (a few hundred rows), which holds every column the
    /// scopes test. A supervisor whose team holds every counsellor, or an
    /// analyst, sees the whole programme: their panels skip the join to
    /// cases (a lookup per row). A case moved out of scope between this
    /// check and the panels' reads may count once in that view's totals;
    /// the dashboard shows totals only, never a case.
    async fn restricts(&self, store: &Store) -> Result<bool> {
        if self.programme_id.is_some()
            || self.filter.country.is_some()
            || self.filter.counsellor.is_some()
        {
            return Ok(true);
        }
        let mut s = Sql::new(&format!(
            "SELECT COUNT(*) FROM {} WHERE c.n > 0 AND NOT (1 = 1",
            self.actor.counts_table()
        ));
        self.push(&mut s);
        s.push(")");
        Ok(count(store, &s).await? > 0)
    }

    /// The filters and the scope of a period panel: nothing without the
    /// join (then they leave out no case, and `c` is not in the query).
    fn push_joined(&self, s: &mut Sql) {
        if !self.join.is_empty() {
            self.push(s);
        }
    }

    /// `self.join` completed with the period row's case id column.
    fn join(&self, case_id: &str) -> String {
        match self.join.is_empty() {
            true => String::new(),
            false => format!("{}{case_id}", self.join),
        }
    }

    fn push(&self, s: &mut Sql) {
        if let Some(p) = self.programme_id {
            s.push(" AND c.programme_id = ").bind(Param::Uuid(p));
        }
        if let Some(c) = &self.filter.country {
            s.push(" AND c.country_of_return = ")
                .bind(Param::Text(c.clone()));
        }
        if let Some(u) = self.filter.counsellor {
            s.push(" AND c.counsellor_id = ").bind(Param::Uuid(u));
        }
        if self.actor.role.can(Resource::Case, Action::Read) {
            self.actor.push_case_scope(s);
        } else if !dashboard::suppressed(self.actor.role) {
            // Neither case records nor suppressed aggregates: nothing.
            s.push(" AND 1 = 0");
        } else {
            // Analysts: their programmes whole, as aggregates the domain suppresses.
            self.actor.push_programme_scope(s, "c.programme_id");
        }
    }

    /// The period's instants: days of the chosen programme's office, or
    /// of the reader's own office across programmes.
    fn bounds(&self) -> (DateTime<Utc>, DateTime<Utc>) {
        self.filter.period.utc_bounds(self.zone)
    }
}

async fn key_counts(store: &Store, s: &Sql) -> Result<Vec<KeyCount>> {
    let rows: Vec<(String, i64)> =
        on_db!(&store.db, p => bind_params!(sqlx::query_as(&s.text), s.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(key, n)| KeyCount { key, n })
        .collect())
}

async fn count(store: &Store, s: &Sql) -> Result<i64> {
    let n: Option<i64> = on_db!(&store.db, p => bind_params!(sqlx::query_scalar(&s.text), s.params).fetch_one(p).await)?;
    Ok(n.unwrap_or(0))
}

/// Cases by status now, from the counter table.
async fn statuses(store: &Store, q: &Q<'_>) -> Result<Vec<KeyCount>> {
    let mut s = Sql::new(&format!(
        "SELECT c.status, CAST(SUM(c.n) AS BIGINT) FROM {} WHERE 1 = 1",
        q.actor.counts_table()
    ));
    q.push(&mut s);
    s.push(" GROUP BY c.status");
    key_counts(store, &s).await
}

/// Overdue tasks now, counted as the task list finds them
/// (`crate::tasks`): first contacts past their 24 hours, open cases past
/// the 30-day departure target, follow-ups past their grace days.
async fn overdue(store: &Store, q: &Q<'_>, now: DateTime<Utc>) -> Result<Vec<KeyCount>> {
    let mut out = Vec::new();

    let mut s = Sql::new(&format!(
        "SELECT COUNT(*) FROM referrals r{}r.case_id \
         WHERE r.contacted_at IS NULL AND r.contact_due_at < ",
        crate::reports::cases_join(store)
    ));
    s.bind(Param::Time(now))
        .push(" AND c.status || '' = 'referred'");
    q.push(&mut s);
    out.push(KeyCount {
        key: "overdue-contact".into(),
        n: count(store, &s).await?,
    });

    // Open cases referred before their programme's departure target:
    // every open case (counter table) less the open cases referred since
    // (an index range of a month), rather than a walk over every open
    // case; programme by programme, each with its own target.
    let mut late = 0;
    for p in crate::programmes::list(store).await? {
        if q.programme_id.is_some_and(|id| id != p.id) || !q.actor.in_programme(p.id) {
            continue;
        }
        let cut = now - Duration::days(p.departure_target_days);
        let mut all = Sql::new(&format!(
            "SELECT CAST(SUM(c.n) AS BIGINT) FROM {} WHERE c.status IN {OPEN} AND c.programme_id = ",
            q.actor.counts_table()
        ));
        all.bind(Param::Uuid(p.id));
        q.push(&mut all);
        let mut recent = Sql::new("SELECT COUNT(*) FROM cases c WHERE c.referred_at >= ");
        recent
            .bind(Param::Time(cut))
            .push(&format!(" AND c.status IN {OPEN} AND c.programme_id = "))
            .bind(Param::Uuid(p.id));
        q.push(&mut recent);
        late += (count(store, &all).await? - count(store, &recent).await?).max(0);
    }
    out.push(KeyCount {
        key: "past-departure-target".into(),
        n: late,
    });

    let schedules = crate::programmes::followup_schedules(store).await?;
    if !schedules.is_empty() {
        let today = now.with_timezone(&q.zone).date_naive();
        let mut s = Sql::new(
            "SELECT COUNT(*) FROM followups f JOIN cases c ON c.id = f.case_id \
             WHERE f.completed_at IS NULL AND c.status || '' IN ('reintegrating', 'monitoring') AND (",
        );
        // Grace days are per programme: one cut-off date each (programmes are few).
        for (n, (programme_id, schedule)) in schedules.iter().enumerate() {
            if n > 0 {
                s.push(" OR ");
            }
            s.push("(c.programme_id = ")
                .bind(Param::Uuid(*programme_id))
                .push(" AND f.due_on < ")
                .bind(Param::Date(homeward_domain::followups::overdue_before(
                    today,
                    schedule.grace_days,
                )))
                .push(")");
        }
        s.push(")");
        q.push(&mut s);
        out.push(KeyCount {
            key: "followup-overdue".into(),
            n: count(store, &s).await?,
        });
    }
    Ok(out)
}

#[derive(sqlx::FromRow)]
struct DepartureRow {
    country: Option<String>,
    referred_at: DateTime<Utc>,
    registered_at: Option<DateTime<Utc>>,
    departed_at: DateTime<Utc>,
}

/// The period's departures (the donor report's definition, the case
/// milestone `departed_at`): when each case was referred, registered (its
/// first move to intake) and left. One range of the `cases_departed_at`
/// index, which also holds the scope's and the filters' columns.
async fn departures(store: &Store, q: &Q<'_>) -> Result<Vec<DepartureTimes>> {
    let (start, end) = q.bounds();
    let mut s = Sql::new(
        "SELECT c.country_of_return AS country, c.referred_at, c.registered_at, c.departed_at \
         FROM cases c WHERE c.departed_at >= ",
    );
    s.bind(Param::Time(start))
        .push(" AND c.departed_at < ")
        .bind(Param::Time(end));
    q.push(&mut s);
    let rows: Vec<DepartureRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, DepartureRow>(&s.text), s.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| DepartureTimes {
            country: r.country,
            referred_at: r.referred_at,
            registered_at: r.registered_at,
            departed_at: r.departed_at,
        })
        .collect())
}

/// The monthly departure target of the chosen programme, or the sum over
/// the programmes that set one.
async fn monthly_target(
    store: &Store,
    actor: &Actor,
    programme_id: Option<Uuid>,
) -> Result<Option<i64>> {
    let rows: Vec<(Uuid, Option<i64>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, monthly_departure_target FROM programmes").fetch_all(p).await)?;
    let targets: Vec<i64> = rows
        .into_iter()
        .filter(|(id, _)| programme_id.is_none_or(|p| p == *id) && actor.in_programme(*id))
        .filter_map(|(_, t)| t)
        .collect();
    Ok((!targets.is_empty()).then(|| targets.iter().sum()))
}

#[derive(sqlx::FromRow)]
struct TierRow {
    tier: String,
    currency: Option<String>,
    cases: i64,
    amount_minor: i64,
}

/// The entitlement tier of the period's applications: each case's latest
/// evaluation made in the period, when it found the case eligible.
async fn tiers(store: &Store, q: &Q<'_>) -> Result<Vec<TierSums>> {
    let (start, end) = q.bounds();
    let mut s = Sql::new(&format!(
        "SELECT e.tier, e.currency, COUNT(*) AS cases, \
           CAST(COALESCE(SUM(e.amount_minor), 0) AS BIGINT) AS amount_minor \
         FROM eligibility_evaluations e{} \
         WHERE e.evaluated_at >= ",
        q.join("e.case_id")
    ));
    s.bind(Param::Time(start))
        .push(" AND e.evaluated_at < ")
        .bind(Param::Time(end))
        .push(" AND e.tier IS NOT NULL AND e.eligible = ")
        .bind(Param::Bool(true))
        // The case's next evaluation, kept by triggers (migration 0046),
        // came after the period or never.
        .push(" AND (e.next_evaluated_at IS NULL OR e.next_evaluated_at >= ")
        .bind(Param::Time(end))
        .push(")");
    q.push_joined(&mut s);
    s.push(" GROUP BY e.tier, e.currency");
    let rows: Vec<TierRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, TierRow>(&s.text), s.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| TierSums {
            tier: r.tier,
            currency: r.currency,
            cases: r.cases,
            amount_minor: r.amount_minor,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct SpendRow {
    category: String,
    currency: String,
    amount_minor: i64,
    cases: i64,
}

/// Reintegration purchases paid in the period (paid, or since delivered),
/// by category, in the programme's currency.
async fn spending(store: &Store, q: &Q<'_>) -> Result<Vec<CategorySpend>> {
    let (start, end) = q.bounds();
    let mut s = Sql::new(&format!(
        "SELECT p.category, p.programme_currency AS currency, \
           CAST(SUM(p.programme_minor) AS BIGINT) AS amount_minor, COUNT(DISTINCT p.case_id) AS cases \
         FROM purchases p{} \
         WHERE p.paid_at >= ",
        q.join("p.case_id")
    ));
    s.bind(Param::Time(start))
        .push(" AND p.paid_at < ")
        .bind(Param::Time(end))
        .push(" AND p.status || '' IN ('paid', 'delivered')");
    q.push_joined(&mut s);
    s.push(" GROUP BY p.category, p.programme_currency");
    let rows: Vec<SpendRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, SpendRow>(&s.text), s.params).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|r| CategorySpend {
            category: r.category,
            currency: r.currency,
            amount_minor: r.amount_minor,
            cases: r.cases,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct RssRow {
    surveys: i64,
    economic: Option<f64>,
    social: Option<f64>,
    psychosocial: Option<f64>,
    composite: Option<f64>,
}

/// RSS sums of the latest survey of each case taken in the period (the
/// donor report's definition).
async fn rss(store: &Store, q: &Q<'_>) -> Result<RssSums> {
    let p = &q.filter.period;
    let mut s = Sql::new(&format!(
        "SELECT {RSS_SUMS} {}",
        latest_surveys(&q.join("s.case_id"))
    ));
    // latest_surveys binds $1, $2 and $3.
    s.params = vec![Param::Date(p.from), Param::Date(p.to), Param::Date(p.to)];
    q.push_joined(&mut s);
    let r: RssRow = on_db!(&store.db, c => bind_params!(sqlx::query_as::<_, RssRow>(&s.text), s.params).fetch_one(c).await)?;
    Ok(RssSums {
        country: None,
        surveys: r.surveys,
        economic: r.economic.unwrap_or(0.0),
        social: r.social.unwrap_or(0.0),
        psychosocial: r.psychosocial.unwrap_or(0.0),
        composite: r.composite.unwrap_or(0.0),
    })
}
