//! Generated people with known duplicates (docs/adr/0029): precision and
//! recall of the `likely` and `possible` levels, time of the whole-database
//! pass and of the check for one person. Ignored by default; run with
//!
//!     HOMEWARD_DUP_PEOPLE=20000 cargo test -p homeward-store --test duplicates_scale -- --ignored --nocapture
//!
//! (SQLite, or PostgreSQL with HOMEWARD_DUP_POSTGRES=1).

use chrono::{Datelike, NaiveDate};
use homeward_domain::duplicates::Level;
use homeward_store::duplicates::{self, Subject};
use homeward_store::{on_db, testing, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::collections::HashSet;
use std::time::Instant;
use uuid::Uuid;

/// (Latin, original script) pairs: Hungarian, Russian, Arabic, Spanish.
const GIVEN: &[(&str, Option<&str>)] = &[
    ("Ágnes", None),
    ("László", None),
    ("Zoltán", None),
    ("Erzsébet", None),
    ("Bence", None),
    ("Dmitry", Some("Дмитрий")),
    ("Sergey", Some("Сергей")),
    ("Olga", Some("Ольга")),
    ("Natalya", Some("Наталья")),
    ("Mohammed", Some("محمد")),
    ("Ahmed", Some("أحمد")),
    ("Fatima", Some("فاطمة")),
    ("Juan", None),
    ("María", None),
    ("Lucía", None),
];
const FAMILY: &[(&str, Option<&str>)] = &[
    ("Horváth", None),
    ("Kovács", None),
    ("Szabó", None),
    ("Tóth", None),
    ("Kuznetsov", Some("Кузнецов")),
    ("Ivanov", Some("Иванов")),
    ("Smirnov", Some("Смирнов")),
    ("Hassan", Some("حسن")),
    ("Khalil", Some("خليل")),
    ("García", None),
    ("Hernández", None),
];
const SYLLABLES: &[&str] = &[
    "ka", "lo", "vi", "ren", "ta", "mi", "sor", "de", "nu", "pel", "gor", "bri", "zan", "o",
];

#[derive(Clone)]
struct Gen {
    id: Uuid,
    given: Option<String>,
    family: Option<String>,
    original: Option<String>,
    dob: Option<NaiveDate>,
    sex: &'static str,
}

fn strip(s: &str) -> String {
    homeward_domain::duplicates::normalise(s)
}

fn typo(rng: &mut StdRng, s: &str) -> String {
    let mut c: Vec<char> = s.chars().collect();
    if c.len() < 4 {
        return s.to_string();
    }
    let i = rng.gen_range(1..c.len() - 1);
    match rng.gen_range(0..3) {
        0 => {
            c.remove(i);
        }
        1 => c.swap(i, i + 1),
        _ => c[i] = ['e', 'a', 'i', 'o', 'y'][rng.gen_range(0..5)],
    }
    c.into_iter().collect()
}

fn person(rng: &mut StdRng) -> Gen {
    let (g, go) = GIVEN[rng.gen_range(0..GIVEN.len())];
    let (f, fo) = FAMILY[rng.gen_range(0..FAMILY.len())];
    // A family name made distinct by syllables, as real names are.
    let n = rng.gen_range(1..3);
    let mut suffix = String::new();
    for _ in 0..n {
        suffix.push_str(SYLLABLES[rng.gen_range(0..SYLLABLES.len())]);
    }
    // Most family names made up of syllables (a few from the list above):
    // distinct without sharing a long prefix.
    let family = if rng.gen_bool(0.2) {
        suffix.clear();
        f.to_string()
    } else {
        let mut made = String::new();
        for _ in 0..n + 1 {
            made.push_str(SYLLABLES[rng.gen_range(0..SYLLABLES.len())]);
        }
        let mut c = made.chars();
        c.next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or(made)
    };
    let original = match (go, fo) {
        (Some(go), Some(fo)) if rng.gen_bool(0.3) => Some(format!("{go} {fo}")),
        _ => None,
    };
    let dob = NaiveDate::from_ymd_opt(
        rng.gen_range(1950..2012),
        rng.gen_range(1..13),
        rng.gen_range(1..29),
    );
    Gen {
        id: Uuid::new_v4(),
        given: Some(g.to_string()),
        family: Some(family),
        original: original.filter(|_| fo.is_some() && suffix.is_empty()),
        dob: dob.filter(|_| rng.gen_bool(0.95)),
        sex: if rng.gen_bool(0.5) { "male" } else { "female" },
    }
}

/// A second registration of `p`, changed in one of the ways people are.
fn duplicate(rng: &mut StdRng, p: &Gen) -> Gen {
    let mut d = p.clone();
    d.id = Uuid::new_v4();
    d.original = None;
    match rng.gen_range(0..6) {
        0 => {
            d.given = d.given.as_deref().map(strip);
            d.family = d.family.as_deref().map(|s| strip(s).to_uppercase());
        }
        1 => d.family = d.family.as_deref().map(|s| typo(rng, s)),
        2 => std::mem::swap(&mut d.given, &mut d.family),
        3 => {
            d.dob = p
                .dob
                .and_then(|x| NaiveDate::from_ymd_opt(x.year(), x.day().min(12), x.month()))
        }
        4 => d.dob = p.dob.and_then(|x| x.checked_add_days(chrono::Days::new(1))),
        _ => {
            // Transliterated from another alphabet: only the original script on one side.
            let g = GIVEN.iter().find(|(l, _)| Some(*l) == p.given.as_deref());
            if let Some((_, Some(go))) = g {
                d.original = Some(format!("{go} {}", p.family.clone().unwrap_or_default()));
                d.given = None;
            } else {
                d.dob = None;
            }
        }
    }
    d
}

async fn insert(store: &Store, people: &[Gen]) {
    let now = chrono::Utc::now();
    for chunk in people.chunks(500) {
        let mut tx = store.begin().await.unwrap();
        for p in chunk {
            homeward_store::on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO persons (id, given_names, family_name, original_script_name, display_name, search_text, sex, \
                 date_of_birth, nationalities, created_at, updated_at) VALUES ($1, $2, $3, $4, 'x', '', $5, $6, '[]', $7, $7)")
                .bind(p.id).bind(&p.given).bind(&p.family).bind(&p.original).bind(p.sex).bind(p.dob).bind(now)
                .execute(c).await.map(|_| ()))
            .unwrap();
        }
        tx.commit().await.unwrap();
    }
}

fn key(a: Uuid, b: Uuid) -> (Uuid, Uuid) {
    (a.min(b), a.max(b))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn precision_recall_and_speed() {
    let n: usize = std::env::var("HOMEWARD_DUP_PEOPLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_000);
    let (store, _) = if std::env::var("HOMEWARD_DUP_POSTGRES").is_ok() {
        testing::postgres().await
    } else {
        testing::sqlite().await
    };
    let mut rng = StdRng::seed_from_u64(8);
    let mut people = Vec::with_capacity(n);
    let mut truth = HashSet::new();
    while people.len() < n {
        let p = person(&mut rng);
        if rng.gen_bool(0.1) {
            let d = duplicate(&mut rng, &p);
            truth.insert(key(p.id, d.id));
            people.push(d);
        }
        people.push(p);
    }
    let t = Instant::now();
    insert(&store, &people).await;
    let inserted = t.elapsed();
    let t = Instant::now();
    let keyed = duplicates::backfill(&store).await.unwrap();
    let backfill = t.elapsed();
    let keys: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM person_match_keys").fetch_one(p).await)
        .unwrap();
    let t = Instant::now();
    let pairs = duplicates::all_pairs(&store, 0.0).await.unwrap();
    let whole = t.elapsed();
    let mut lat = Vec::new();
    for p in people.iter().step_by((n / 300).max(1)) {
        let t = Instant::now();
        duplicates::candidates_for(&store, Subject::Person(p.id))
            .await
            .unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(f64::total_cmp);
    let pct = |q: f64| lat[((lat.len() as f64 - 1.0) * q) as usize];
    println!(
        "{} on {}: {} persons ({} true pairs), insert {:.1?}, backfill {} in {:.1?} ({} keys), all_pairs {:.1?}, candidates_for p50 {:.1} ms p99 {:.1} ms",
        if store.is_postgres() { "PostgreSQL" } else { "SQLite" },
        if cfg!(debug_assertions) { "a debug build" } else { "a release build" },
        people.len(),
        truth.len(),
        inserted,
        keyed,
        backfill,
        keys,
        whole,
        pct(0.5),
        pct(0.99)
    );
    for (name, level) in [
        ("likely", Level::Likely),
        ("likely+possible", Level::Possible),
    ] {
        let found: HashSet<(Uuid, Uuid)> = pairs
            .iter()
            .filter(|p| p.level >= level)
            .map(|p| key(p.a, p.b))
            .collect();
        let hit = found.intersection(&truth).count();
        println!(
            "{name}: {} pairs, precision {:.3}, recall {:.3}",
            found.len(),
            hit as f64 / found.len().max(1) as f64,
            hit as f64 / truth.len().max(1) as f64
        );
    }
    assert!(!pairs.is_empty());
}
