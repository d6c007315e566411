//! The search box as the user types (docs/adr/0031): prefixes of real names,
//! identifiers, phone numbers and case numbers drawn from the database, sent
//! one keystroke at a time through `homeward_store::search::search` as the
//! demo supervisor and as a mission officer; then a sample of the same
//! queries through the persons list (`homeward_store::persons::search`, what
//! `GET /api/v1/persons?q=` runs: every match counted up to 10,000 and
//! sorted by name; until session 11 a `search_text LIKE '%q%'` over every
//! person).

use anyhow::{Context, Result};
use clap::Parser;
use homeward_bench::{ms, percentile};
use homeward_domain::search::Query;
use homeward_store::{on_db, persons, search, users, Actor, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};
use uuid::Uuid;

#[derive(Parser)]
#[command(name = "bench-search", about = "Time the search box as the user types")]
struct Args {
    #[arg(long)]
    database_url: String,
    /// As-you-type queries per user (each keystroke of a sampled name or number).
    #[arg(long, default_value_t = 3000)]
    queries: usize,
    /// Results asked for per query, as the search box does.
    #[arg(long, default_value_t = 20)]
    limit: i64,
    /// Users to search as (email addresses).
    #[arg(long, default_values_t = ["supervisor@homeward.test".to_string(), "mission.mx@homeward.test".to_string()])]
    users: Vec<String>,
    /// Seconds the old substring search may take in all (per user).
    #[arg(long, default_value_t = 30)]
    like_budget_secs: u64,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

type Sample = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Every keystroke of `s` from two characters on.
fn keystrokes(s: &str, out: &mut Vec<String>) {
    let chars: Vec<char> = s.chars().collect();
    for n in 2..=chars.len() {
        out.push(chars[..n].iter().collect());
    }
}

/// As-you-type queries from people and cases drawn at random.
async fn sample_queries(store: &Store, rng: &mut StdRng, want: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    while out.len() < want {
        let at = Uuid::from_u128(rng.gen());
        let p: Option<Sample> = on_db!(&store.db, c => sqlx::query_as(
            "SELECT given_names, family_name, original_script_name, uci, phone FROM persons WHERE id >= $1 ORDER BY id LIMIT 1")
            .bind(at).fetch_optional(c).await)?;
        let Some((given, family, original, uci, phone)) = p else {
            continue;
        };
        match rng.gen_range(0..10) {
            // A family name, then the given name after it.
            0..=3 => {
                if let Some(f) = &family {
                    keystrokes(f, &mut out);
                    if let Some(g) = &given {
                        let first: String = g.chars().take(3).collect();
                        out.push(format!("{f} {first}"));
                    }
                }
            }
            4..=5 => {
                if let Some(g) = given.as_ref().or(original.as_ref()) {
                    keystrokes(g, &mut out);
                }
            }
            6 => {
                if let Some(u) = &uci {
                    keystrokes(u, &mut out);
                }
            }
            7 => {
                if let Some(ph) = &phone {
                    keystrokes(ph, &mut out);
                }
            }
            _ => {
                let n: Option<String> = on_db!(&store.db, c => sqlx::query_scalar(
                    "SELECT case_number FROM cases WHERE id >= $1 ORDER BY id LIMIT 1")
                    .bind(at).fetch_optional(c).await)?;
                if let Some(n) = n {
                    keystrokes(&n, &mut out);
                    // The sequence alone, as read out on the phone.
                    if let Some(seq) = n.rsplit('-').next() {
                        out.push(seq.trim_start_matches('0').to_string());
                    }
                }
            }
        }
    }
    out.truncate(want);
    Ok(out)
}

fn row(name: &str, t: &mut [u64], extra: &str) {
    t.sort_unstable();
    println!(
        "| {name} | {} | {} | {} | {} | {} | {extra} |",
        t.len(),
        ms(percentile(t, 50.0)),
        ms(percentile(t, 90.0)),
        ms(percentile(t, 99.0)),
        ms(*t.last().unwrap_or(&0))
    );
}

async fn run(store: &Store, actor: &Actor, name: &str, queries: &[String], a: &Args) -> Result<()> {
    // Warm the caches a little, as a server that has been up a while.
    for q in queries.iter().take(50) {
        let _ = search::search(store, actor, &Query::parse(q)?, a.limit).await?;
    }
    let mut t = Vec::with_capacity(queries.len());
    let mut slowest: Vec<(u64, &str)> = Vec::new();
    let (mut found, mut empty, mut more) = (0usize, 0usize, 0usize);
    for q in queries {
        let s = Instant::now();
        let r = search::search(store, actor, &Query::parse(q)?, a.limit).await?;
        let us = s.elapsed().as_micros() as u64;
        t.push(us);
        slowest.push((us, q));
        more += usize::from(r.more);
        found += r.persons.len() + r.cases.len();
        if r.persons.is_empty() && r.cases.is_empty() {
            empty += 1;
        }
    }
    row(
        &format!("search::search, {name}"),
        &mut t,
        &format!(
            "{:.1} results per query, {empty} without any, {more} with 'type more'",
            found as f64 / queries.len().max(1) as f64
        ),
    );
    slowest.sort_unstable_by_key(|x| std::cmp::Reverse(x.0));
    let worst: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|(us, q)| format!("{q:?} {} ms", ms(*us)))
        .collect();
    eprintln!("slowest for {name}: {}", worst.join(", "));
    let mut t = Vec::new();
    let budget = Duration::from_secs(a.like_budget_secs);
    let start = Instant::now();
    let step = (queries.len() / 200).max(1);
    for q in queries.iter().step_by(step) {
        if start.elapsed() > budget {
            break;
        }
        let s = Instant::now();
        let _ = persons::search(store, actor, Some(q), a.limit, 0).await?;
        t.push(s.elapsed().as_micros() as u64);
    }
    row(
        &format!("persons list with q (persons::search), {name}"),
        &mut t,
        &format!("every {step}th query, {} s budget", a.like_budget_secs),
    );
    Ok(())
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let a = Args::parse();
    let store = homeward_bench::open_store(&a.database_url).await?;
    let s = Instant::now();
    let n = search::backfill(&store).await?;
    println!(
        "# search terms backfilled for {n} persons in {:.1} s",
        s.elapsed().as_secs_f64()
    );
    let (persons_n, terms_n): (i64, i64) = on_db!(&store.db, c => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM persons), (SELECT COUNT(*) FROM person_search_terms)")
        .fetch_one(c).await)?;
    println!(
        "# {persons_n} persons, {terms_n} search terms, {} ({})\n",
        if store.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        a.queries
    );
    let mut rng = StdRng::seed_from_u64(a.seed);
    let queries = sample_queries(&store, &mut rng, a.queries).await?;
    println!("| what | queries | p50 ms | p90 ms | p99 ms | max ms | notes |");
    println!("|---|---:|---:|---:|---:|---:|---|");
    for email in &a.users {
        let user = users::by_email(&store, email)
            .await?
            .with_context(|| format!("no such user: {email}"))?;
        let actor = user.actor(None);
        run(
            &store,
            &actor,
            &format!("{email} ({})", user.role),
            &queries,
            &a,
        )
        .await?;
    }
    Ok(())
}
