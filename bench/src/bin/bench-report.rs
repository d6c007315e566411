//! Reports at scale, one call at a time with no HTTP: the donor report
//! through `homeward_store::reports::donor` and the dashboard through
//! `homeward_store::dashboard::load` for a month, a quarter and a year, each
//! beside its figures by hand-written SQL (the floor); the analyst's
//! de-identified aggregate; and a CSV export of every case through
//! `homeward_store::exports::write`, with this process's peak memory before
//! and after (the export must stream).

use anyhow::{bail, Context, Result};
use clap::Parser;
use homeward_bench::{ms, percentile, proc_status_kb};
use homeward_domain::dashboard::DashboardFilter;
use homeward_domain::report::Period;
use homeward_store::deidentified::{self, DeidentifiedRequest};
use homeward_store::exports::{self, ExportRequest, JobLease};
use homeward_store::{dashboard, jobs, on_db, reports, users, Actor, Store};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "bench-report",
    about = "Time the donor report (store and hand-written SQL) and a full CSV export"
)]
struct Args {
    #[arg(long)]
    database_url: String,
    /// Runs of each timed item.
    #[arg(long, default_value_t = 5)]
    iterations: usize,
    /// The report's periods (month, quarter or range keys).
    #[arg(long, default_value = "2013-10,2013-Q4,2013-01-01..2013-12-31")]
    periods: String,
    #[arg(long, default_value = "supervisor@homeward.test")]
    email: String,
    /// Skip the full export (it takes a while on 1,000,000 cases).
    #[arg(long)]
    no_export: bool,
    /// The analyst whose de-identified export is timed.
    #[arg(long, default_value = "analyst@homeward.test")]
    analyst: String,
}

/// Times `f` `n` times; prints a table row; returns the last result.
async fn time<T, F, Fut>(name: &str, n: usize, mut f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let mut lat = Vec::with_capacity(n);
    let mut last = None;
    for _ in 0..n.max(1) {
        let t = Instant::now();
        last = Some(f().await?);
        lat.push(t.elapsed().as_micros() as u64);
    }
    lat.sort_unstable();
    println!(
        "| {name} | {} | {} | {} | {} |",
        lat.len(),
        ms(percentile(&lat, 50.0)),
        ms(percentile(&lat, 99.0)),
        ms(*lat.last().unwrap_or(&0))
    );
    last.context("no run")
}

/// The donor report's figures for the whole programme by hand-written SQL:
/// event counts, departures with mean days from referral, money, RSS means.
async fn floor(store: &Store, p: &Period) -> Result<(i64, i64, f64, i64, f64)> {
    let (start, end) = p.utc_bounds(homeward_domain::report::PROGRAMME_TZ);
    let counts: i64 = on_db!(&store.db, c => sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM ( \
           SELECT c.id FROM cases c WHERE c.referred_at >= $1 AND c.referred_at < $2 \
           UNION ALL SELECT t.case_id FROM case_transitions t \
           WHERE t.to_status IN ('intake', 'withdrawn', 'eligible', 'ineligible') AND t.at >= $1 AND t.at < $2) e")
        .bind(start).bind(end).fetch_one(c).await)?;
    let days_expr = if store.is_postgres() {
        "EXTRACT(EPOCH FROM (i.departed_at - c.referred_at)) / 86400.0"
    } else {
        "julianday(i.departed_at) - julianday(c.referred_at)"
    };
    let (departures, mean_days): (i64, Option<f64>) = on_db!(&store.db, c => sqlx::query_as(&format!(
        "SELECT CAST(COUNT(*) AS BIGINT), CAST(AVG({days_expr}) AS DOUBLE PRECISION) FROM itineraries i \
         JOIN cases c ON c.id = i.case_id \
         WHERE i.status = 'departed' AND i.departed_at >= $1 AND i.departed_at < $2"))
        .bind(start).bind(end).fetch_one(c).await)?;
    let money: Option<i64> = on_db!(&store.db, c => sqlx::query_scalar(
        "SELECT CAST(SUM(p.programme_minor) AS BIGINT) FROM purchases p \
         WHERE p.status IN ('paid', 'delivered') AND p.paid_at < $2 AND p.case_id IN ( \
           SELECT i.case_id FROM itineraries i WHERE i.status = 'departed' \
           AND i.departed_at >= $1 AND i.departed_at < $2)")
        .bind(start).bind(end).fetch_one(c).await)?;
    let rss: Option<f64> = on_db!(&store.db, c => sqlx::query_scalar(
        "SELECT CAST(AVG(s.composite) AS DOUBLE PRECISION) FROM rss_surveys s \
         WHERE s.surveyed_on >= $1 AND s.surveyed_on <= $2")
        .bind(p.from).bind(p.to).fetch_one(c).await)?;
    Ok((
        counts,
        departures,
        mean_days.unwrap_or(0.0),
        money.unwrap_or(0),
        rss.unwrap_or(0.0),
    ))
}

/// The dashboard's main figures for the whole programme by hand-written
/// SQL: cases by status (the kept counts), departures and mean days in the
/// period, paid spending by category, RSS means of the period's surveys.
async fn dashboard_floor(store: &Store, p: &Period) -> Result<(i64, i64, usize, f64)> {
    let (start, end) = p.utc_bounds(homeward_domain::report::PROGRAMME_TZ);
    let statuses: Vec<(String, i64)> = on_db!(&store.db, c => sqlx::query_as(
        "SELECT status, CAST(SUM(n) AS BIGINT) FROM case_counts GROUP BY status")
        .fetch_all(c).await)?;
    let departures: i64 = on_db!(&store.db, c => sqlx::query_scalar(
        "SELECT CAST(COUNT(DISTINCT i.case_id) AS BIGINT) FROM itineraries i \
         WHERE i.departed_at >= $1 AND i.departed_at < $2")
        .bind(start).bind(end).fetch_one(c).await)?;
    let spend: Vec<(String, i64)> = on_db!(&store.db, c => sqlx::query_as(
        "SELECT p.category, CAST(SUM(p.programme_minor) AS BIGINT) FROM purchases p \
         WHERE p.paid_at >= $1 AND p.paid_at < $2 GROUP BY p.category")
        .bind(start).bind(end).fetch_all(c).await)?;
    let rss: Option<f64> = on_db!(&store.db, c => sqlx::query_scalar(
        "SELECT CAST(AVG(s.composite) AS DOUBLE PRECISION) FROM rss_surveys s \
         WHERE s.surveyed_on >= $1 AND s.surveyed_on <= $2")
        .bind(p.from).bind(p.to).fetch_one(c).await)?;
    Ok((
        statuses.iter().map(|(_, n)| n).sum(),
        departures,
        spend.len(),
        rss.unwrap_or(0.0),
    ))
}

/// Claims the export's job as the worker would, for `write`.
async fn claim(store: &Store, worker: &str, lease: Duration) -> Result<uuid::Uuid> {
    Ok(jobs::claim(store, worker, &[exports::JOB_KIND], lease)
        .await?
        .context("the export's job was not claimable")?
        .id)
}

/// The analyst's de-identified aggregate of people by referral month,
/// country, sex and age band over the whole programme.
async fn deidentified_export(store: &Store, analyst: &Actor) -> Result<(i64, Duration)> {
    let req = DeidentifiedRequest {
        dimensions: vec![
            "referral_month".into(),
            "country_of_return".into(),
            "sex".into(),
            "age_band".into(),
        ],
        unit: "people".into(),
        format: "csv".into(),
        ..Default::default()
    };
    let e = deidentified::create(store, analyst, &req, "en").await?;
    let worker = "bench-report";
    let lease = Duration::from_secs(600);
    let job_id = claim(store, worker, lease).await?;
    let label = |_: &str, k: &str| k.to_string();
    let t = Instant::now();
    let done = deidentified::write(
        store,
        e.id,
        &label,
        &JobLease {
            job_id,
            worker,
            lease,
        },
    )
    .await?;
    Ok((done.rows_written, t.elapsed()))
}

/// Writes a CSV of every case in `actor`'s scope as the job worker would.
async fn full_export(store: &Store, actor: &Actor) -> Result<(i64, Duration)> {
    let req = ExportRequest {
        columns: vec![
            "case_number".into(),
            "status".into(),
            "principal_name".into(),
            "country_of_return".into(),
            "referred_on".into(),
            "household_size".into(),
        ],
        format: "csv".into(),
        ..Default::default()
    };
    let e = exports::create(store, actor, &req, "en").await?;
    let worker = "bench-report";
    let lease = Duration::from_secs(600);
    let job_id = claim(store, worker, lease).await?;
    let labels = |_: &str, key: &str| key.to_string();
    let t = Instant::now();
    let done = exports::write(
        store,
        e.id,
        &labels,
        &JobLease {
            job_id,
            worker,
            lease,
        },
    )
    .await?;
    Ok((done.rows_written, t.elapsed()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let a = Args::parse();
    let store = homeward_bench::open_store(&a.database_url).await?;
    let user = users::by_email(&store, &a.email)
        .await?
        .context("no such user")?;
    let actor = user.actor(None);
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(p).await)?;
    println!("# {n} cases; donor report as {} ({})\n", a.email, user.role);
    println!("| item | runs | p50 ms | p99 ms | max ms |");
    println!("|---|---:|---:|---:|---:|");
    let mut notes = Vec::new();
    for key in a.periods.split(',') {
        let Some(period) = Period::parse_key(key) else {
            bail!("not a period: {key}");
        };
        let r = time(
            &format!("donor report {key} (store)"),
            a.iterations,
            || async { Ok(reports::donor(&store, &actor, &period, None).await?) },
        )
        .await?;
        let f = time(
            &format!("donor report {key} (hand-written SQL)"),
            a.iterations,
            || floor(&store, &period),
        )
        .await?;
        notes.push(format!(
            "{key}: report {} referrals, {} departures; floor {} events, {} departures, mean {:.1} days, {} cents spent, RSS mean {:.2}",
            r.total.referrals, r.total.departures, f.0, f.1, f.2, f.3, f.4
        ));
    }
    for key in a.periods.split(',') {
        let Some(period) = Period::parse_key(key) else {
            bail!("not a period: {key}");
        };
        let mut filter = DashboardFilter {
            period: period.clone(),
            programme: None,
            country: None,
            counsellor: None,
        };
        let d = time(
            &format!("dashboard {key} (store)"),
            a.iterations,
            || async { Ok(dashboard::load(&store, &actor, &filter).await?) },
        )
        .await?;
        filter.country = Some("HU".into());
        time(
            &format!("dashboard {key}, country HU (store)"),
            a.iterations,
            || async { Ok(dashboard::load(&store, &actor, &filter).await?) },
        )
        .await?;
        let f = time(
            &format!("dashboard {key} (hand-written SQL)"),
            a.iterations,
            || dashboard_floor(&store, &period),
        )
        .await?;
        notes.push(format!(
            "dashboard {key}: {} panels; floor {} cases, {} departures, {} spending categories, RSS mean {:.2}",
            d.panels.len(),
            f.0,
            f.1,
            f.2,
            f.3
        ));
    }
    if let Some(analyst) = users::by_email(&store, &a.analyst).await? {
        let (rows, took) = deidentified_export(&store, &analyst.actor(None)).await?;
        notes.push(format!(
            "de-identified export (people by referral month, country, sex, age band; whole programme): {rows} rows in {:.2} s",
            took.as_secs_f64()
        ));
    }
    println!();
    for n in notes {
        println!("- {n}");
    }
    if !a.no_export {
        let me = std::process::id();
        let before = proc_status_kb(me, "VmHWM").unwrap_or(0);
        let (rows, took) = full_export(&store, &actor).await?;
        let after = proc_status_kb(me, "VmHWM").unwrap_or(0);
        println!(
            "\nCSV export of every case in scope: {rows} rows in {:.1} s ({:.0} rows/s); \
             peak RSS {:.1} MiB before, {:.1} MiB after",
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64().max(0.001),
            before as f64 / 1024.0,
            after as f64 / 1024.0
        );
    }
    store.close().await;
    Ok(())
}
