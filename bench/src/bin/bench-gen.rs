//! Fills an empty database with N synthetic cases, the way `homeward demo`
//! does (same loader, same seed), creating the PostgreSQL database if needed,
//! and reports how long it took.

use anyhow::{bail, Result};
use clap::Parser;
use homeward_demo::cases as demo;
use homeward_store::{on_db, Store};
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "bench-gen",
    about = "Generate N synthetic cases into an empty database"
)]
struct Args {
    /// `sqlite:///path/file.db` or `postgres://user@127.0.0.1:5432/db`.
    #[arg(long)]
    database_url: String,
    /// Number of cases (up to 1,000,000).
    #[arg(long, default_value_t = 100_000)]
    cases: u64,
    #[arg(long, default_value_t = 2012)]
    seed: u64,
    /// Skip VACUUM ANALYZE after loading on PostgreSQL (autovacuum would run
    /// it soon anyway; running it here keeps the load test deterministic).
    #[arg(long)]
    no_analyze: bool,
    /// Also run ANALYZE on SQLite (the application never does, so by default
    /// SQLite plans without statistics, as in production).
    #[arg(long)]
    sqlite_analyze: bool,
    /// Leave the duplicate matching keys to be computed later (by a `serve`
    /// start or `homeward duplicates`): benchmarks of the case list and the
    /// search box do not read them, and at a million cases they take long.
    #[arg(long)]
    no_duplicate_keys: bool,
}

async fn count(store: &Store, table: &str) -> Result<i64> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    Ok(on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&sql).fetch_one(p).await)?)
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = Args::parse();
    if a.cases > 1_000_000 {
        bail!("at most 1,000,000 cases");
    }
    let pg =
        a.database_url.starts_with("postgres://") || a.database_url.starts_with("postgresql://");
    if pg {
        homeward_bench::ensure_pg_database(&a.database_url).await?;
    }
    let store = homeward_bench::open_store(&a.database_url).await?;
    store.migrate().await?;
    if !demo::is_empty(&store).await? {
        bail!("the database already holds cases; generate into an empty database");
    }
    let start = Instant::now();
    let mut last = 0u64;
    // Reports and dashboards need money and scores after return at scale.
    let opts = demo::LoadOptions {
        returns: true,
        ..Default::default()
    };
    let n = demo::load_with(&store, a.cases, a.seed, opts, &mut |w| {
        if w - last >= 50_000 {
            let s = start.elapsed().as_secs_f64();
            eprintln!("  {w} cases, {:.0} s, {:.0} cases/s", s, w as f64 / s);
            last = w;
        }
    })
    .await?;
    let load_secs = start.elapsed().as_secs_f64();
    // The people's search terms and duplicate matching keys, which the
    // loader leaves to these backfills: a server started on the database
    // would otherwise compute them in the background while it is measured.
    let t = Instant::now();
    let termed = homeward_store::search::backfill(&store).await?;
    let keyed = if a.no_duplicate_keys {
        0
    } else {
        homeward_store::duplicates::backfill(&store).await?
    };
    eprintln!(
        "  search terms of {termed} and matching keys of {keyed} people in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    if pg && !a.no_analyze {
        // What autovacuum does after a bulk insert: statistics, and the
        // visibility map that lets index-only scans skip the heap.
        on_db!(&store.db, p => sqlx::query("VACUUM ANALYZE").execute(p).await.map(|_| ()))?;
    } else if !pg && a.sqlite_analyze {
        on_db!(&store.db, p => sqlx::query("ANALYZE").execute(p).await.map(|_| ()))?;
    }
    let analyze_secs = t.elapsed().as_secs_f64();
    let mut rows = 0i64;
    let mut parts = Vec::new();
    for t in [
        "cases",
        "persons",
        "case_members",
        "case_transitions",
        "purchases",
        "rss_surveys",
    ] {
        let c = count(&store, t).await?;
        rows += c;
        parts.push(format!("{t}={c}"));
    }
    store.close().await;
    println!(
        "generated {n} cases ({}) in {load_secs:.1} s: {:.0} cases/s, {:.0} rows/s; (VACUUM) ANALYZE {analyze_secs:.1} s",
        parts.join(" "),
        n as f64 / load_secs,
        rows as f64 / load_secs
    );
    // Machine-readable line for run.sh.
    println!("GEN cases={n} rows={rows} secs={load_secs:.1} analyze_secs={analyze_secs:.1}");
    Ok(())
}
