//! Duplicate detection at scale (issue 8): fills an empty database with N
//! generated people with known duplicates (`homeward_bench::people`), then
//! times the blocking-key backfill, the whole-database pass
//! (`duplicates::all_pairs`, what `homeward duplicates` runs) and the check
//! for one new person (`duplicates::candidates_for`), and measures precision
//! and recall of the `likely` and `possible` levels against the known pairs.
//! On PostgreSQL it also runs the same per-person check with pg_trgm name
//! similarity (a GIN trigram index), for speed and quality side by side.

use anyhow::{bail, Result};
use clap::Parser;
use homeward_bench::people::{self, pair, Gen};
use homeward_bench::{ensure_pg_database, ms, percentile, proc_status_kb};
use homeward_domain::duplicates::Level;
use homeward_domain::person::PersonData;
use homeward_store::duplicates::{self, Subject};
use homeward_store::{on_db, on_tx, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::time::Instant;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "bench-dups",
    about = "Precision, recall and speed of duplicate detection on generated people"
)]
struct Args {
    /// An empty database (PostgreSQL: created if missing).
    #[arg(long)]
    database_url: String,
    #[arg(long, default_value_t = 100_000)]
    people: usize,
    /// How many single-person checks to time.
    #[arg(long, default_value_t = 1000)]
    checks: usize,
    #[arg(long, default_value_t = 8)]
    seed: u64,
    /// pg_trgm similarity threshold for the comparison (PostgreSQL only).
    #[arg(long, default_value_t = 0.5)]
    trgm_threshold: f64,
    /// Skip the whole-database pass.
    #[arg(long)]
    no_all_pairs: bool,
    /// Use a database this tool filled before with the same --people and
    /// --seed (the same people and ids) instead of an empty one.
    #[arg(long)]
    reuse: bool,
}

/// Rows per multi-row INSERT.
const ROWS: usize = 300;

async fn insert(store: &Store, people: &[Gen]) -> Result<()> {
    let now = chrono::Utc::now();
    let pg = store.is_postgres();
    for chunk in people.chunks(50_000) {
        let mut tx = store.begin().await?;
        for rows in chunk.chunks(ROWS) {
            let mut n = 0;
            let mut next = || {
                n += 1;
                if pg {
                    format!("${n}")
                } else {
                    "?".to_string()
                }
            };
            let values: Vec<String> = rows
                .iter()
                .map(|_| {
                    let v: Vec<String> = (0..10).map(|_| next()).collect();
                    format!("({}, '', '[]')", v.join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO persons (id, external_id, given_names, family_name, original_script_name, display_name, sex, \
                 date_of_birth, created_at, updated_at, search_text, nationalities) VALUES {}",
                values.join(", ")
            );
            on_tx!(&mut tx, c => {
                let mut q = sqlx::query(&sql);
                for p in rows {
                    let display = [p.given.as_deref(), p.family.as_deref()]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" ");
                    q = q
                        .bind(p.id)
                        .bind(format!("gen-{}", p.id.simple()))
                        .bind(&p.given)
                        .bind(&p.family)
                        .bind(&p.original)
                        .bind(if display.is_empty() { p.original.clone().unwrap_or_default() } else { display })
                        .bind(p.sex)
                        .bind(p.dob)
                        .bind(now)
                        .bind(now);
                }
                q.execute(c).await.map(|_| ())
            })?;
        }
        tx.commit().await?;
    }
    if pg {
        on_db!(&store.db, p => sqlx::query("ANALYZE").execute(p).await.map(|_| ()))?;
    }
    Ok(())
}

fn data_of(p: &Gen) -> PersonData {
    PersonData {
        given_names: p.given.clone(),
        family_name: p.family.clone(),
        original_script_name: p.original.clone(),
        aliases: vec![],
        sex: p.sex.to_string(),
        date_of_birth: p.dob,
        date_of_birth_approximate: false,
        nationalities: vec![],
        preferred_languages: vec![],
        interpreter_needed: false,
        phone: None,
        email: None,
        address: None,
        uci: None,
        cbsa_client_id: None,
        passport_number: None,
    }
}

/// Precision and recall of `found` against `truth`.
fn quality(found: &HashSet<(Uuid, Uuid)>, truth: &HashSet<(Uuid, Uuid)>) -> (f64, f64) {
    let hit = found.intersection(truth).count() as f64;
    (
        hit / found.len().max(1) as f64,
        hit / truth.len().max(1) as f64,
    )
}

fn line(name: &str, lat: &mut [u64]) {
    lat.sort_unstable();
    println!(
        "{name}: n {}, p50 {} ms, p90 {} ms, p99 {} ms, max {} ms",
        lat.len(),
        ms(percentile(lat, 50.0)),
        ms(percentile(lat, 90.0)),
        ms(percentile(lat, 99.0)),
        ms(lat.last().copied().unwrap_or(0))
    );
}

#[tokio::main]
async fn main() -> Result<()> {
    let a = Args::parse();
    let pg = a.database_url.starts_with("postgres");
    if pg {
        ensure_pg_database(&a.database_url).await?;
    }
    let store = homeward_bench::open_store(&a.database_url).await?;
    store.migrate().await?;
    let existing: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM persons").fetch_one(p).await)?;
    let reuse = a.reuse && existing as usize == a.people;
    if existing > 0 && !reuse {
        bail!("the database already holds people; use an empty one (or --reuse)");
    }
    let db = if pg { "PostgreSQL" } else { "SQLite" };

    let t = Instant::now();
    let (people, truth) = people::generate(a.people, a.seed);
    println!(
        "{db}: {} people, {} true duplicate pairs, generated in {:.1?}",
        people.len(),
        truth.len(),
        t.elapsed()
    );
    if !reuse {
        let t = Instant::now();
        insert(&store, &people).await?;
        println!("insert: {:.1?}", t.elapsed());
        let t = Instant::now();
        let keyed = duplicates::backfill(&store).await?;
        let keys: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM person_match_keys").fetch_one(p).await)?;
        println!(
            "blocking keys: {keyed} people, {keys} keys, {:.1?}",
            t.elapsed()
        );
        if pg {
            on_db!(&store.db, p => sqlx::query("ANALYZE person_match_keys").execute(p).await.map(|_| ()))?;
        }
    }

    if !a.no_all_pairs {
        let t = Instant::now();
        let pairs = duplicates::all_pairs(&store, 0.0).await?;
        println!(
            "whole-database pass: {} pairs in {:.1?}, peak RSS of this process {} MB",
            pairs.len(),
            t.elapsed(),
            proc_status_kb(std::process::id(), "VmHWM").unwrap_or(0) / 1024
        );
        for (name, level) in [
            ("likely", Level::Likely),
            ("likely+possible", Level::Possible),
        ] {
            let found: HashSet<(Uuid, Uuid)> = pairs
                .iter()
                .filter(|p| p.level >= level)
                .map(|p| pair(p.a, p.b))
                .collect();
            let (p, r) = quality(&found, &truth);
            println!(
                "  {name}: {} pairs, precision {p:.3}, recall {r:.3}",
                found.len()
            );
        }
        // Recall by the kind of change, to see what the score misses.
        let kinds: std::collections::HashMap<Uuid, &str> = people
            .iter()
            .filter(|p| !p.change.is_empty())
            .map(|p| (p.id, p.change))
            .collect();
        let levels: std::collections::HashMap<(Uuid, Uuid), Level> =
            pairs.iter().map(|p| (pair(p.a, p.b), p.level)).collect();
        let mut by_kind: std::collections::BTreeMap<&str, [usize; 3]> = Default::default();
        for t in &truth {
            let kind = kinds.get(&t.0).or(kinds.get(&t.1)).copied().unwrap_or("?");
            let e = by_kind.entry(kind).or_default();
            e[0] += 1;
            match levels.get(t) {
                Some(Level::Likely) => e[1] += 1,
                Some(Level::Possible) => e[2] += 1,
                None => {}
            }
        }
        for (kind, [n, likely, possible]) in by_kind {
            println!(
                "  {kind}: {n} pairs, found likely {:.3}, possible {:.3}, missed {:.3}",
                likely as f64 / n as f64,
                possible as f64 / n as f64,
                (n - likely - possible) as f64 / n as f64
            );
        }
        // Where true and false pairs fall, to place the thresholds.
        let mut buckets = [(0usize, 0usize); 10];
        for p in &pairs {
            let i = (((p.score - 0.75) / 0.025).floor().max(0.0) as usize).min(9);
            if truth.contains(&pair(p.a, p.b)) {
                buckets[i].0 += 1;
            } else {
                buckets[i].1 += 1;
            }
        }
        for (i, (t, f)) in buckets.iter().enumerate() {
            println!(
                "  score {:.3}-{:.3}: {t} true, {f} false pairs",
                0.75 + i as f64 * 0.025,
                0.775 + i as f64 * 0.025
            );
        }
    }

    // One new person: a fresh registration of someone already there (half
    // of them changed as a duplicate would be), checked before it is saved.
    let mut rng = StdRng::seed_from_u64(a.seed + 1);
    let mut lat = Vec::with_capacity(a.checks);
    let mut sample = Vec::with_capacity(a.checks);
    for _ in 0..a.checks {
        let orig = &people[rng.gen_range(0..people.len())];
        let new = if rng.gen_bool(0.5) {
            people::duplicate(&mut rng, orig)
        } else {
            orig.clone()
        };
        let t = Instant::now();
        let found = duplicates::candidates_for(&store, Subject::Data(&data_of(&new))).await?;
        lat.push(t.elapsed().as_micros() as u64);
        sample.push((orig.id, found));
    }
    line("check for one new person (candidates_for)", &mut lat);
    let found_orig = sample
        .iter()
        .filter(|(id, f)| f.iter().any(|c| c.id == *id && c.level == Level::Likely))
        .count();
    let found_any = sample
        .iter()
        .filter(|(id, f)| f.iter().any(|c| c.id == *id))
        .count();
    let shown: usize = sample.iter().map(|(_, f)| f.len()).sum();
    println!(
        "  the registered person among the candidates: likely {:.3}, likely or possible {:.3}; {:.2} candidates shown per check",
        found_orig as f64 / sample.len().max(1) as f64,
        found_any as f64 / sample.len().max(1) as f64,
        shown as f64 / sample.len().max(1) as f64
    );

    if pg {
        trgm(&store, &people, &truth, &a).await?;
    }
    Ok(())
}

/// The same per-person check with pg_trgm: a GIN trigram index on the
/// accent-folded full name, candidates above the similarity threshold.
async fn trgm(
    store: &Store,
    people: &[Gen],
    truth: &HashSet<(Uuid, Uuid)>,
    a: &Args,
) -> Result<()> {
    let homeward_store::Db::Postgres(pool) = &store.db else {
        return Ok(());
    };
    for s in [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        "CREATE EXTENSION IF NOT EXISTS unaccent",
        "DROP TABLE IF EXISTS trgm_people",
        "CREATE TABLE trgm_people AS SELECT id, date_of_birth, \
         lower(unaccent(concat_ws(' ', given_names, family_name, original_script_name))) AS name FROM persons",
    ] {
        sqlx::query(s).execute(pool).await?;
    }
    let t = Instant::now();
    sqlx::query("CREATE INDEX trgm_people_name ON trgm_people USING gin (name gin_trgm_ops)")
        .execute(pool)
        .await?;
    sqlx::query("ANALYZE trgm_people").execute(pool).await?;
    println!(
        "pg_trgm: GIN index on {} names in {:.1?}",
        people.len(),
        t.elapsed()
    );

    let mut rng = StdRng::seed_from_u64(a.seed + 2);
    // Half the sample from the true pairs (so recall means something), half at random.
    let in_pairs: Vec<Uuid> = truth.iter().map(|(x, _)| *x).collect();
    let ids: Vec<Uuid> = (0..a.checks)
        .map(|i| {
            if i % 2 == 0 && !in_pairs.is_empty() {
                in_pairs[rng.gen_range(0..in_pairs.len())]
            } else {
                people[rng.gen_range(0..people.len())].id
            }
        })
        .collect();
    let wanted: HashSet<Uuid> = ids.iter().copied().collect();
    let truth_here: HashSet<(Uuid, Uuid)> = truth
        .iter()
        .filter(|(x, y)| wanted.contains(x) || wanted.contains(y))
        .copied()
        .collect();

    let mut conn = pool.acquire().await?;
    sqlx::query(&format!(
        "SET pg_trgm.similarity_threshold = {}",
        a.trgm_threshold
    ))
    .execute(&mut *conn)
    .await?;
    let mut lat_t = Vec::new();
    let mut found_t = HashSet::new();
    let mut found_t_dob = HashSet::new();
    for id in &ids {
        let t = Instant::now();
        let rows: Vec<(Uuid, Option<chrono::NaiveDate>, Option<chrono::NaiveDate>)> = sqlx::query_as(
            "SELECT o.id, o.date_of_birth, me.date_of_birth FROM trgm_people me JOIN trgm_people o \
             ON o.name % me.name AND o.id <> me.id WHERE me.id = $1 \
             ORDER BY similarity(o.name, me.name) DESC LIMIT 50",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?;
        lat_t.push(t.elapsed().as_micros() as u64);
        for (o, od, md) in rows {
            found_t.insert(pair(*id, o));
            if od.is_none() || md.is_none() || od == md {
                found_t_dob.insert(pair(*id, o));
            }
        }
    }
    let mut lat_h = Vec::new();
    let mut found_likely = HashSet::new();
    let mut found_possible = HashSet::new();
    for id in &ids {
        let t = Instant::now();
        let c = duplicates::candidates_for(store, Subject::Person(*id)).await?;
        lat_h.push(t.elapsed().as_micros() as u64);
        for c in c {
            found_possible.insert(pair(*id, c.id));
            if c.level == Level::Likely {
                found_likely.insert(pair(*id, c.id));
            }
        }
    }
    println!(
        "same {} people ({} of their true pairs), one query each:",
        ids.len(),
        truth_here.len()
    );
    line("  pg_trgm name similarity", &mut lat_t);
    line("  Homeward candidates_for", &mut lat_h);
    for (name, found) in [
        (
            format!("pg_trgm similarity >= {}", a.trgm_threshold),
            &found_t,
        ),
        (
            format!(
                "pg_trgm similarity >= {} and same date of birth",
                a.trgm_threshold
            ),
            &found_t_dob,
        ),
        ("Homeward likely".to_string(), &found_likely),
        ("Homeward likely+possible".to_string(), &found_possible),
    ] {
        let (p, r) = quality(found, &truth_here);
        println!(
            "  {name}: {} pairs, precision {p:.3}, recall {r:.3}",
            found.len()
        );
    }
    Ok(())
}
