//! The floor: the case-list and case-page queries timed one at a time with no
//! HTTP, no rendering and no concurrency — first as hand-written SQL (the text
//! the store sends for a supervisor, COUNT and page separately), then through
//! `homeward_store::cases::{list, get}` with the same request mix as bench-load.

use anyhow::{Context, Result};
use clap::Parser;
use homeward_bench::{ms, percentile, COUNTRIES, STATUSES};
use homeward_store::cases::{self, CaseFilter};
use homeward_store::sql::Param;
use homeward_store::{bind_params, on_db, users, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::Instant;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "bench-sql",
    about = "Time the case list and case page queries without HTTP"
)]
struct Args {
    #[arg(long)]
    database_url: String,
    /// Runs of each hand-written query.
    #[arg(long, default_value_t = 30)]
    iterations: usize,
    /// Calls of the store functions (random mix).
    #[arg(long, default_value_t = 300)]
    store_calls: usize,
    /// Seconds each measured item may take at most (runs stop early).
    #[arg(long, default_value_t = 10)]
    budget_secs: u64,
    #[arg(long, default_value = "supervisor@homeward.test")]
    email: String,
    /// Instead of the standard set: time each statement of this file (one per
    /// line, `--` comments skipped) through the application's pool settings,
    /// and show its plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN ANALYZE on PostgreSQL).
    #[arg(long)]
    query_file: Option<String>,
}

/// Times the statements of a file and prints their plans.
async fn query_file(store: &Store, path: &str, iterations: usize) -> Result<()> {
    let text = std::fs::read_to_string(path)?;
    println!("| statement | runs | p50 ms | p99 ms | max ms | rows |");
    println!("|---|---:|---:|---:|---:|---|");
    let mut plans = Vec::new();
    for (i, q) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .enumerate()
    {
        let mut t = Vec::new();
        let mut rows = 0;
        for _ in 0..iterations.max(1) {
            let s = Instant::now();
            rows = on_db!(&store.db, p => sqlx::query(q).fetch_all(p).await.map(|r| r.len()))?;
            t.push(s.elapsed().as_micros() as u64);
        }
        report(
            &format!("{}: {}", i + 1, q.chars().take(160).collect::<String>()),
            &mut t,
            &format!("{rows}"),
        );
        let plan: Vec<String> = if store.is_postgres() {
            let q = format!("EXPLAIN (ANALYZE, BUFFERS) {q}");
            on_db!(&store.db, p => sqlx::query_scalar::<_, String>(&q).fetch_all(p).await)?
        } else {
            let q = format!("EXPLAIN QUERY PLAN {q}");
            on_db!(&store.db, p => sqlx::query_as::<_, (i64, i64, i64, String)>(&q).fetch_all(p).await)?
                .into_iter()
                .map(|(_, _, _, d)| d)
                .collect()
        };
        plans.push(format!("{}:\n  {}", i + 1, plan.join("\n  ")));
    }
    println!();
    for p in plans {
        println!("{p}");
    }
    Ok(())
}

const SELECT: &str = "SELECT c.id, c.case_number, g.code AS programme_code, c.status, c.principal_person_id, \
    p.display_name AS principal_name, c.country_of_return, c.destination_locality, c.counsellor_id, \
    u.name AS counsellor_name, c.referred_at, c.updated_at, c.version \
    FROM cases c JOIN persons p ON p.id = c.principal_person_id JOIN programmes g ON g.id = c.programme_id \
    LEFT JOIN users u ON u.id = c.counsellor_id";

/// The supervisor's team scope, as the store writes it ($1 = team).
const SCOPE: &str = " WHERE 1 = 1 AND (c.counsellor_id IS NULL OR c.counsellor_id IN (SELECT u.id FROM users u WHERE u.team = $1))";

struct Hand {
    name: &'static str,
    filter: &'static str,
    params: Vec<Param>,
    order: &'static str,
    offset: i64,
}

fn report(name: &str, t: &mut [u64], extra: &str) {
    t.sort_unstable();
    println!(
        "| {name} | {} | {} | {} | {} | {extra} |",
        t.len(),
        ms(percentile(t, 50.0)),
        ms(percentile(t, 99.0)),
        ms(*t.last().unwrap_or(&0))
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let a = Args::parse();
    let store = homeward_bench::open_store(&a.database_url).await?;
    if let Some(f) = &a.query_file {
        return query_file(&store, f, a.iterations).await;
    }
    let user = users::by_email(&store, &a.email)
        .await?
        .context("no such user")?;
    let actor = user.actor(None);
    let team = user.team.clone().unwrap_or_default();
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(p).await)?;
    println!(
        "# {} cases; {} as {} (team {team})\n",
        n, a.email, user.role
    );
    println!("| query | runs | p50 ms | p99 ms | max ms | result |");
    println!("|---|---:|---:|---:|---:|---|");

    let hands = vec![
        Hand {
            name: "all, updated_at desc, page 1",
            filter: "",
            params: vec![],
            order: "c.updated_at DESC, c.id DESC",
            offset: 0,
        },
        Hand {
            name: "status=departed country=HU, updated_at desc, page 3",
            filter: " AND c.status = $2 AND c.country_of_return = $3",
            params: vec![Param::Text("departed".into()), Param::Text("HU".into())],
            order: "c.updated_at DESC, c.id DESC",
            offset: 50,
        },
        Hand {
            name: "country=MX, name asc, page 1",
            filter: " AND c.country_of_return = $2",
            params: vec![Param::Text("MX".into())],
            order: "p.display_name ASC, c.id ASC",
            offset: 0,
        },
        Hand {
            name: "status=closed, case_number desc, page 50",
            filter: " AND c.status = $2",
            params: vec![Param::Text("closed".into())],
            order: "c.case_number DESC, c.id DESC",
            offset: 1225,
        },
    ];
    // With migration 0002: the total from case_counts, and the page cut on
    // cases alone before the joins (what the store sends now).
    let has_counts: i64 = on_db!(&store.db, p => sqlx::query_scalar(if store.is_postgres() {
        "SELECT COUNT(*) FROM pg_tables WHERE tablename = 'case_counts'"
    } else {
        "SELECT COUNT(*) FROM sqlite_master WHERE name = 'case_counts'"
    }).fetch_one(p).await)?;
    // With migration 0020: the principal's name on the case, indexed with the
    // filters (what the store sorts by now).
    let has_principal_name: i64 = on_db!(&store.db, p => sqlx::query_scalar(if store.is_postgres() {
        "SELECT COUNT(*) FROM information_schema.columns WHERE table_name = 'cases' AND column_name = 'principal_name'"
    } else {
        "SELECT COUNT(*) FROM pragma_table_info('cases') WHERE name = 'principal_name'"
    }).fetch_one(p).await)?;
    for h in &hands {
        let mut params = vec![Param::Text(team.clone())];
        params.extend(h.params.iter().cloned());
        let (join, inner_order) = if h.order.starts_with("p.") && has_principal_name > 0 {
            ("", h.order.replace("p.display_name", "c.principal_name"))
        } else if h.order.starts_with("p.") {
            (
                " JOIN persons p ON p.id = c.principal_person_id",
                h.order.to_string(),
            )
        } else {
            ("", h.order.to_string())
        };
        let mut forms = vec![
            (
                "SQL COUNT",
                format!("SELECT COUNT(*) FROM cases c{SCOPE}{}", h.filter),
                true,
            ),
            (
                "SQL page",
                format!(
                    "{SELECT}{SCOPE}{} ORDER BY {} LIMIT 25 OFFSET {}",
                    h.filter, h.order, h.offset
                ),
                false,
            ),
        ];
        if has_counts > 0 {
            forms.push((
                "SQL SUM over case_counts",
                format!(
                    "SELECT CAST(SUM(c.n) AS BIGINT) FROM case_counts c{SCOPE}{}",
                    h.filter
                ),
                true,
            ));
            forms.push((
                "SQL deferred-join page",
                format!(
                    "{SELECT} WHERE c.id IN (SELECT c.id FROM cases c{join}{SCOPE}{} ORDER BY {} LIMIT 25 OFFSET {}) ORDER BY {}",
                    h.filter, inner_order, h.offset, h.order
                ),
                false,
            ));
        }
        for (label, sql, scalar) in forms {
            let mut t = Vec::new();
            let mut result = String::new();
            let started = Instant::now();
            for _ in 0..a.iterations {
                if started.elapsed().as_secs() >= a.budget_secs {
                    break;
                }
                let s = Instant::now();
                result = if scalar {
                    let n: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar::<_, i64>(&sql), params).fetch_one(p).await)?;
                    n.to_string()
                } else {
                    let n = on_db!(&store.db, p => bind_params!(sqlx::query(&sql), params).fetch_all(p).await.map(|r| r.len()))?;
                    format!("{n} rows")
                };
                t.push(s.elapsed().as_micros() as u64);
            }
            report(&format!("{label}: {}", h.name), &mut t, &result);
        }
    }

    // Case page reads, by hand: summary, members, each person, timeline.
    let ids: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar("SELECT id FROM cases ORDER BY id LIMIT 2000").fetch_all(p).await)?;
    let mut rng = StdRng::seed_from_u64(7);
    let mut tcase = Vec::new();
    let started = Instant::now();
    for _ in 0..a.iterations.max(100) {
        if started.elapsed().as_secs() >= a.budget_secs {
            break;
        }
        let id = ids[rng.gen_range(0..ids.len())];
        let t = Instant::now();
        let sum_sql = format!("{SELECT}{SCOPE} AND c.id = $2");
        let params = [Param::Text(team.clone()), Param::Uuid(id)];
        on_db!(&store.db, p => bind_params!(sqlx::query(&sum_sql), params).fetch_one(p).await.map(|_| ()))?;
        let members: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
            "SELECT m.person_id FROM case_members m JOIN persons p ON p.id = m.person_id WHERE m.case_id = $1 \
             ORDER BY CASE m.relationship WHEN 'principal' THEN 0 ELSE 1 END, p.display_name").bind(id).fetch_all(p).await)?;
        for pid in members {
            on_db!(&store.db, p => sqlx::query("SELECT * FROM persons WHERE id = $1").bind(pid).fetch_one(p).await.map(|_| ()))?;
        }
        on_db!(&store.db, p => sqlx::query("SELECT t.from_status, t.to_status, t.reason, u.name AS actor_name, t.at FROM case_transitions t \
            LEFT JOIN users u ON u.id = t.actor_id WHERE t.case_id = $1 ORDER BY t.at, t.id").bind(id).fetch_all(p).await.map(|_| ()))?;
        tcase.push(t.elapsed().as_micros() as u64);
    }
    report(
        "SQL case page (summary, members, persons, timeline)",
        &mut tcase,
        "",
    );

    // Through the store, with bench-load's request mixes (list: the default
    // order; list-sort: another column), alternately.
    let mut tl = Vec::new();
    let mut tl_sort = Vec::new();
    let started = Instant::now();
    for i in 0..a.store_calls * 2 {
        if started.elapsed().as_secs() >= 2 * a.budget_secs {
            break;
        }
        let f = rng.gen_range(0..4);
        let default_sort = i % 2 == 0;
        let x = rng.gen_range(0..100);
        let filter = CaseFilter {
            status: (f == 1 || f == 3)
                .then(|| STATUSES[rng.gen_range(0..STATUSES.len())].to_string()),
            country: (f == 2 || f == 3)
                .then(|| COUNTRIES[rng.gen_range(0..COUNTRIES.len())].to_string()),
            sort: Some(if default_sort {
                "updated_at".to_string()
            } else {
                ["case_number", "name", "status", "referred_at"][rng.gen_range(0..4)].to_string()
            }),
            desc: default_sort || rng.gen_bool(0.5),
            page: if x < 50 {
                1
            } else if x < 80 {
                rng.gen_range(2..=10)
            } else {
                rng.gen_range(11..=100)
            },
            per_page: 25,
            ..Default::default()
        };
        let t = Instant::now();
        cases::list(&store, &actor, &filter).await?;
        let us = t.elapsed().as_micros() as u64;
        if default_sort {
            tl.push(us);
        } else {
            tl_sort.push(us);
        }
    }
    report("store cases::list, bench-load list mix", &mut tl, "");
    report(
        "store cases::list, bench-load list-sort mix",
        &mut tl_sort,
        "",
    );
    let mut tg = Vec::new();
    let started = Instant::now();
    for _ in 0..a.store_calls {
        if started.elapsed().as_secs() >= a.budget_secs {
            break;
        }
        let id = ids[rng.gen_range(0..ids.len())];
        let t = Instant::now();
        cases::get(&store, &actor, id).await?;
        tg.push(t.elapsed().as_micros() as u64);
    }
    report("store cases::get", &mut tg, "");
    store.close().await;
    Ok(())
}
