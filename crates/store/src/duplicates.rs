//! Duplicate candidates (docs/adr/0029): the blocking keys of each person in
//! `person_match_keys`, kept up to date by [`index`] when a person is
//! created or changed; candidates for one person and candidate pairs across
//! the whole database, scored by `homeward_domain::duplicates`.
//!
//! Nothing here checks an actor's record scope: the callers are the command
//! line and the store's own use cases. A review queue in the web layer must
//! filter the ids it shows through the actor's scope.

use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Result, Store, Tx};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use homeward_domain::duplicates::{
    dates_worth_comparing, is_name_key, score_among, score_ceiling, Facts, Identity, Level,
    Profile, COMMON_NAME, KEY_SCHEME, POSSIBLE,
};
use homeward_domain::person::PersonData;
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Keys shared by more people than this are skipped when looking for pairs
/// across the whole database (a very common name born in a common year):
/// comparing everyone in such a block with everyone else costs its square,
/// and the other keys of a true pair (its name pair, an identifier) still
/// bring it together.
pub const MAX_BLOCK: usize = 1000;

/// How many people [`backfill`] keys per transaction.
const BATCH: i64 = 500;

/// Another person who may be the same, and how sure that is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Candidate {
    pub id: Uuid,
    pub score: f64,
    pub level: Level,
}

/// Two people who may be the same (`a` < `b`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pair {
    pub a: Uuid,
    pub b: Uuid,
    pub a_external_id: Option<String>,
    pub b_external_id: Option<String>,
    pub score: f64,
    pub level: Level,
}

/// Whom to find candidates for: a stored person, or one about to be.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    Person(Uuid),
    Data(&'a PersonData),
}

/// The columns duplicate detection reads.
#[derive(Debug, Clone, sqlx::FromRow)]
struct IdentityRow {
    id: Uuid,
    external_id: Option<String>,
    given_names: Option<String>,
    family_name: Option<String>,
    original_script_name: Option<String>,
    aliases: String,
    sex: String,
    date_of_birth: Option<NaiveDate>,
    date_of_birth_approximate: bool,
    nationalities: String,
    uci: Option<String>,
    cbsa_client_id: Option<String>,
    passport_number: Option<String>,
}

const COLUMNS: &str =
    "id, external_id, given_names, family_name, original_script_name, aliases, sex, \
     date_of_birth, date_of_birth_approximate, nationalities, uci, cbsa_client_id, passport_number";

impl IdentityRow {
    fn identity(&self) -> Identity {
        let list = |s: &str| serde_json::from_str::<Vec<String>>(s).unwrap_or_default();
        Identity {
            given_names: self.given_names.clone(),
            family_name: self.family_name.clone(),
            original_script_name: self.original_script_name.clone(),
            aliases: list(&self.aliases),
            sex: self.sex.clone(),
            date_of_birth: self.date_of_birth,
            date_of_birth_approximate: self.date_of_birth_approximate,
            nationalities: list(&self.nationalities),
            uci: self.uci.clone(),
            cbsa_client_id: self.cbsa_client_id.clone(),
            passport_number: self.passport_number.clone(),
        }
    }
}

/// Replaces the blocking keys of person `id` inside `tx`.
async fn write_keys(tx: &mut Tx, id: Uuid, identity: &Identity) -> Result<()> {
    replace_keys(
        tx,
        &[id],
        Profile::new(identity)
            .keys()
            .into_iter()
            .map(|k| (k, id))
            .collect(),
    )
    .await
}

/// [`write_keys`] for a batch of people at once: one `DELETE` and a few
/// multi-row `INSERT`s instead of two statements per person (the backfill
/// of a million bulk-loaded people was 26 minutes on PostgreSQL, mostly
/// round trips).
async fn write_keys_of_many(tx: &mut Tx, rows: &[IdentityRow]) -> Result<()> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let pairs: Vec<(String, Uuid)> = rows
        .iter()
        .flat_map(|r| {
            Profile::new(&r.identity())
                .keys()
                .into_iter()
                .map(move |k| (k, r.id))
        })
        .collect();
    replace_keys(tx, &ids, pairs).await
}

/// Deletes the keys of `ids` and writes `pairs` (key, person) in their place.
async fn replace_keys(tx: &mut Tx, ids: &[Uuid], pairs: Vec<(String, Uuid)>) -> Result<()> {
    for chunk in ids.chunks(250) {
        let mut q = Sql::new("DELETE FROM person_match_keys WHERE person_id IN (");
        q.bind_list(chunk.iter().map(|id| Param::Uuid(*id)))
            .push(")");
        on_tx!(&mut *tx, c => bind_params!(sqlx::query(&q.text), q.params)
            .execute(c).await.map(|_| ()))?;
    }
    let mut keys =
        crate::bulk::Table::new("INSERT INTO person_match_keys (match_key, person_id) VALUES ");
    for (k, id) in pairs {
        keys.row(vec![Param::Text(k), Param::Uuid(id)]);
    }
    keys.write(tx).await
}

/// Keeps the blocking keys of person `id` in step with `d` (called by
/// `persons::insert` and `persons::update` in their transaction).
pub async fn index(tx: &mut Tx, id: Uuid, d: &PersonData) -> Result<()> {
    write_keys(tx, id, &Identity::from(d)).await?;
    mark_pending(tx, id).await
}

/// Marks person `id` for [`refresh_pending`]: their stored candidates are
/// scored again after this transaction commits. One row per person, so an
/// import of many rows pays one small insert each and no scoring.
pub async fn mark_pending(tx: &mut Tx, id: Uuid) -> Result<()> {
    on_tx!(&mut *tx, c => sqlx::query(
        "INSERT INTO duplicate_pending (person_id, since) VALUES ($1, $2) \
         ON CONFLICT (person_id) DO UPDATE SET since = excluded.since")
        .bind(id).bind(crate::now()).execute(c).await.map(|_| ()))?;
    Ok(())
}

async fn rows_by_id(store: &Store, ids: &[Uuid]) -> Result<Vec<IdentityRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let mut q = Sql::new(&format!(
            "SELECT {COLUMNS} FROM persons WHERE merged_into IS NULL AND id IN ("
        ));
        q.bind_list(chunk.iter().map(|id| Param::Uuid(*id)))
            .push(")");
        let rows: Vec<IdentityRow> = on_db!(&store.db, p => bind_params!(
            sqlx::query_as::<_, IdentityRow>(&q.text), q.params).fetch_all(p).await)?;
        out.extend(rows);
    }
    Ok(out)
}

/// The people who share a blocking key with `subject`, scored, `likely`
/// ones first; only those at `possible` or above. A stored person is never
/// their own candidate.
pub async fn candidates_for(store: &Store, subject: Subject<'_>) -> Result<Vec<Candidate>> {
    let (me, identity) = match subject {
        Subject::Data(d) => (None, Identity::from(d)),
        Subject::Person(id) => match rows_by_id(store, &[id]).await?.pop() {
            Some(r) => (Some(id), r.identity()),
            None => return Err(crate::Error::NotFound),
        },
    };
    let profile = Profile::new(&identity);
    let keys: Vec<String> = profile
        .keys()
        .into_iter()
        .filter(|k| k != KEY_SCHEME)
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    // Keys shared by more than MAX_BLOCK people are left out, as in the
    // whole-database pass: scoring thousands of namesakes would cost the
    // check its speed and add nothing the other keys do not find. Counted
    // first, apart: folded into one query, PostgreSQL's planner scans the
    // whole key table (650 ms at a million people instead of 8).
    let mut q = Sql::new("SELECT match_key, COUNT(*) FROM person_match_keys WHERE match_key IN (");
    q.bind_list(keys.iter().map(|k| Param::Text(k.clone())))
        .push(") GROUP BY match_key");
    let counts: Vec<(String, i64)> = on_db!(&store.db, p => bind_params!(
        sqlx::query_as::<_, (String, i64)>(&q.text), q.params).fetch_all(p).await)?;
    // The subject's name pairs and how many people each names, for
    // `score_among`: a candidate's namesakes are those of the rarest pair
    // the two share.
    let name_counts: HashMap<String, i64> = counts
        .iter()
        .filter(|(k, _)| is_name_key(k))
        .cloned()
        .collect();
    let keys: Vec<String> = counts
        .into_iter()
        .filter(|(_, n)| *n <= MAX_BLOCK as i64)
        .map(|(k, _)| k)
        .collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    // The block's people, without those whose date of birth rules them out
    // whatever their names (most of a large block: namesakes born in other
    // years), so that only the few worth scoring are read and decoded.
    let worth = dates_worth_comparing(&profile);
    let mut q = Sql::new(&format!(
        "SELECT {COLUMNS} FROM persons WHERE merged_into IS NULL \
         AND id IN (SELECT person_id FROM person_match_keys WHERE match_key IN ("
    ));
    q.bind_list(keys.iter().map(|k| Param::Text(k.clone())))
        .push("))");
    if !worth.any {
        q.push(" AND (date_of_birth IS NULL OR date_of_birth_approximate = ")
            .bind(Param::Bool(true));
        if !worth.dates.is_empty() {
            q.push(" OR date_of_birth IN (")
                .bind_list(worth.dates.iter().map(|d| Param::Date(*d)))
                .push(")");
        }
        if let Some((first, last)) = worth.years {
            let (from, to) = (
                NaiveDate::from_ymd_opt(first, 1, 1),
                NaiveDate::from_ymd_opt(last, 12, 31),
            );
            if let (Some(from), Some(to)) = (from, to) {
                q.push(" OR date_of_birth BETWEEN ")
                    .bind(Param::Date(from))
                    .push(" AND ")
                    .bind(Param::Date(to));
            }
        }
        for kind in &worth.identifier_kinds {
            q.push(match *kind {
                "uci" => " OR uci IS NOT NULL",
                "cbsa" => " OR cbsa_client_id IS NOT NULL",
                _ => " OR passport_number IS NOT NULL",
            });
        }
        q.push(")");
    }
    let rows: Vec<IdentityRow> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, IdentityRow>(&q.text), q.params).fetch_all(p).await)?;
    let refused: HashSet<Uuid> = match me {
        Some(me) => not_duplicates_of(store, me).await?,
        None => HashSet::new(),
    };
    let mut out: Vec<Candidate> = rows
        .iter()
        .filter(|r| Some(r.id) != me && !refused.contains(&r.id))
        .filter_map(|r| {
            let identity = r.identity();
            // Most of a large block are namesakes born in other years: ruled
            // out on their dates before their names are prepared.
            if score_ceiling(&profile, &Facts::new(&identity)) < POSSIBLE {
                return None;
            }
            let other = Profile::new(&identity);
            let other_keys = other.keys();
            let shared = other_keys.iter().filter(|k| name_counts.contains_key(*k));
            let namesakes = namesakes(shared, |k| name_counts.get(k).copied().unwrap_or(0));
            let s = score_among(&profile, &other, namesakes);
            Level::of(s).map(|level| Candidate {
                id: r.id,
                score: s,
                level,
            })
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
    Ok(out)
}

/// How many people are registered under the rarest of the name pairs (`pn:`
/// keys) two people share, `count` telling each pair's; 0 when they share
/// none.
fn namesakes<'a>(shared: impl Iterator<Item = &'a String>, count: impl Fn(&str) -> i64) -> i64 {
    shared.map(|k| count(k)).min().unwrap_or(0)
}

/// The name pairs (`pn:` keys) shared by more than [`COMMON_NAME`] people,
/// with their counts: what the whole-database pass needs of name frequency.
async fn common_names(store: &Store) -> Result<HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT match_key, COUNT(*) FROM person_match_keys WHERE match_key >= 'pn:' AND match_key < 'pn;' \
         GROUP BY match_key HAVING COUNT(*) > $1")
        .bind(COMMON_NAME).fetch_all(p).await)?;
    Ok(rows.into_iter().collect())
}

/// The keys shared by more than [`MAX_BLOCK`] people: skipped as blocks.
async fn oversized_keys(store: &Store) -> Result<HashSet<String>> {
    let keys: Vec<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT match_key FROM person_match_keys GROUP BY match_key HAVING COUNT(*) > $1")
        .bind(MAX_BLOCK as i64).fetch_all(p).await)?;
    Ok(keys.into_iter().collect())
}

/// What the whole-database pass keeps of a person while their block is
/// scored: the profile, the external id, and the keys that make blocks
/// (sorted, without the scheme marker and the oversized keys).
struct Member {
    id: Uuid,
    profile: Profile,
    external_id: Option<String>,
    keys: Vec<String>,
    /// Every name pair (`pn:` key), oversized ones too, sorted: for
    /// `score_among`.
    name_keys: Vec<String>,
}

/// The first key two sorted key lists share.
fn first_shared<'a>(a: &'a [String], b: &[String]) -> Option<&'a str> {
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => return Some(&a[i]),
        }
    }
    None
}

/// What the whole-database pass knows before it reads the first block.
struct Pass {
    /// Keys skipped as blocks ([`MAX_BLOCK`]).
    oversized: HashSet<String>,
    /// Name pairs of more than [`COMMON_NAME`] people, with their counts.
    common: HashMap<String, i64>,
    /// Pairs marked as not the same person.
    refused: HashSet<(Uuid, Uuid)>,
    min_score: f64,
}

/// Scores the pairs of one block (people sharing `key`) into `out`. A pair
/// sharing several keys is scored only in the block of the first of them,
/// so nothing needs remembering across blocks: memory follows the largest
/// block, not the number of candidate pairs (tens of millions at a million
/// people).
async fn score_block(
    store: &Store,
    key: &str,
    block: &[Uuid],
    pass: &Pass,
    out: &mut Vec<Pair>,
) -> Result<()> {
    let Pass {
        oversized,
        common,
        refused,
        min_score,
    } = pass;
    let min_score = *min_score;
    if block.len() < 2 || block.len() > MAX_BLOCK {
        return Ok(());
    }
    let members: Vec<Member> = rows_by_id(store, block)
        .await?
        .into_iter()
        .map(|r| {
            let profile = Profile::new(&r.identity());
            let all = profile.keys();
            let mut name_keys: Vec<String> =
                all.iter().filter(|k| is_name_key(k)).cloned().collect();
            name_keys.sort();
            let mut keys: Vec<String> = all
                .into_iter()
                .filter(|k| k != KEY_SCHEME && !oversized.contains(k))
                .collect();
            keys.sort();
            Member {
                id: r.id,
                profile,
                external_id: r.external_id,
                keys,
                name_keys,
            }
        })
        .collect();
    for (i, x) in members.iter().enumerate() {
        for y in &members[i + 1..] {
            // Keys computed now agree with the stored ones (the scheme
            // marker says so); if they somehow do not, score here.
            if first_shared(&x.keys, &y.keys).is_some_and(|k| k != key) {
                continue;
            }
            let (a, b) = (x.id.min(y.id), x.id.max(y.id));
            if refused.contains(&(a, b)) {
                continue;
            }
            if score_ceiling(&x.profile, y.profile.facts()) < min_score.max(POSSIBLE) {
                continue;
            }
            let shared = x
                .name_keys
                .iter()
                .filter(|k| y.name_keys.binary_search(k).is_ok());
            let n = namesakes(shared, |k| common.get(k).copied().unwrap_or(0));
            let s = score_among(&x.profile, &y.profile, n);
            let Some(level) = Level::of(s) else { continue };
            if s < min_score {
                continue;
            }
            let (ea, eb) = if a == x.id {
                (x.external_id.clone(), y.external_id.clone())
            } else {
                (y.external_id.clone(), x.external_id.clone())
            };
            out.push(Pair {
                a,
                b,
                a_external_id: ea,
                b_external_id: eb,
                score: s,
                level,
            });
        }
    }
    Ok(())
}

/// Every pair of people who share a blocking key and score `min_score` or
/// more (and at least `possible`), highest first. Reads the keys in key
/// order and scores each block as it ends, each pair once.
pub async fn all_pairs(store: &Store, min_score: f64) -> Result<Vec<Pair>> {
    let pass = Pass {
        oversized: oversized_keys(store).await?,
        common: common_names(store).await?,
        refused: all_not_duplicates(store).await?.into_iter().collect(),
        min_score,
    };
    let mut out: Vec<Pair> = Vec::new();
    on_db!(&store.db, p => {
        let mut rows = sqlx::query_as::<_, (String, Uuid)>(
            "SELECT match_key, person_id FROM person_match_keys WHERE match_key <> $1 ORDER BY match_key, person_id",
        )
        .bind(KEY_SCHEME)
        .fetch(p);
        let mut current = String::new();
        let mut block: Vec<Uuid> = Vec::new();
        while let Some((key, id)) = rows.try_next().await? {
            if key != current {
                score_block(store, &current, &block, &pass, &mut out).await?;
                block.clear();
                current = key;
            }
            block.push(id);
        }
        score_block(store, &current, &block, &pass, &mut out).await?;
    });
    out.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then(x.a.cmp(&y.a))
            .then(x.b.cmp(&y.b))
    });
    Ok(out)
}

/// Writes the blocking keys of everyone who lacks those of the current
/// scheme (people loaded in bulk, or keyed by an older scheme), in
/// committed batches; returns how many. Idempotent: a second run finds
/// nobody, and an interrupted run continues where it stopped.
pub async fn backfill(store: &Store) -> Result<u64> {
    let sql = format!(
        "SELECT {COLUMNS} FROM persons p WHERE p.id > $1 AND p.merged_into IS NULL AND NOT EXISTS \
         (SELECT 1 FROM person_match_keys k WHERE k.match_key = $2 AND k.person_id = p.id \
           AND k.person_id > $1) \
         ORDER BY p.id LIMIT $3"
    );
    // `k.person_id > $1` says again what `= p.id` implies: PostgreSQL's
    // merge anti-join otherwise reads every key written so far on each
    // batch (1.6 s a batch, an hour for 1.8 M people; 0.3 s with it).
    let mut after = Uuid::nil();
    let mut done = 0u64;
    loop {
        let rows: Vec<IdentityRow> = on_db!(&store.db, p => sqlx::query_as::<_, IdentityRow>(&sql)
            .bind(after).bind(KEY_SCHEME).bind(BATCH).fetch_all(p).await)?;
        let Some(last) = rows.last() else {
            return Ok(done);
        };
        after = last.id;
        let mut tx = store.begin().await?;
        write_keys_of_many(&mut tx, &rows).await?;
        tx.commit().await?;
        done += rows.len() as u64;
    }
}

/// `(x, y)` in the stored order of a pair (`a < b`).
pub fn ordered(x: Uuid, y: Uuid) -> (Uuid, Uuid) {
    (x.min(y), x.max(y))
}

/// The people a supervisor decided are not the same as `id`.
async fn not_duplicates_of(store: &Store, id: Uuid) -> Result<HashSet<Uuid>> {
    let rows: Vec<(Uuid, Uuid)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT a, b FROM person_not_duplicates WHERE a = $1 UNION ALL SELECT a, b FROM person_not_duplicates WHERE b = $1")
        .bind(id).fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(a, b)| if a == id { b } else { a })
        .collect())
}

/// Every pair decided not to be duplicates (few: one per decision).
async fn all_not_duplicates(store: &Store) -> Result<Vec<(Uuid, Uuid)>> {
    Ok(on_db!(&store.db, p => sqlx::query_as(
        "SELECT a, b FROM person_not_duplicates").fetch_all(p).await)?)
}

/// Replaces the stored candidates of person `id` by `found` inside `tx`.
async fn write_candidates(tx: &mut Tx, id: Uuid, found: &[Candidate]) -> Result<()> {
    on_tx!(&mut *tx, c => sqlx::query("DELETE FROM duplicate_candidates WHERE a = $1 OR b = $1")
        .bind(id).execute(c).await.map(|_| ()))?;
    let now = crate::now();
    // One statement per 200 pairs: a common name has dozens of candidates.
    for chunk in found.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let k = i * 4;
                format!("(${}, ${}, ${}, ${}, $1)", k + 2, k + 3, k + 4, k + 5)
            })
            .collect();
        let sql = format!(
            "INSERT INTO duplicate_candidates (a, b, score, level, found_at) VALUES {} \
             ON CONFLICT (a, b) DO UPDATE SET score = excluded.score, level = excluded.level, found_at = excluded.found_at",
            values.join(", ")
        );
        on_tx!(&mut *tx, c => {
            let mut q = sqlx::query(&sql).bind(now);
            for cand in chunk {
                let (a, b) = ordered(id, cand.id);
                q = q.bind(a).bind(b).bind(cand.score).bind(cand.level.as_str());
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    Ok(())
}

/// Scores person `id` again and stores their candidate pairs (none if they
/// were merged or deleted meanwhile). Returns how many pairs they have.
pub async fn refresh(store: &Store, id: Uuid) -> Result<usize> {
    let found = match candidates_for(store, Subject::Person(id)).await {
        Ok(f) => f,
        Err(crate::Error::NotFound) => Vec::new(),
        Err(e) => return Err(e),
    };
    let mut tx = store.begin().await?;
    write_candidates(&mut tx, id, &found).await?;
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM duplicate_pending WHERE person_id = $1")
        .bind(id).execute(c).await.map(|_| ()))?;
    tx.commit().await?;
    Ok(found.len())
}

/// Scores again up to `limit` people marked by [`mark_pending`] (oldest
/// first), each in its own short transaction; returns how many. A person
/// changed again while being scored stays marked for the next round.
pub async fn refresh_pending(store: &Store, limit: i64) -> Result<u64> {
    let due: Vec<(Uuid, chrono::DateTime<chrono::Utc>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT person_id, since FROM duplicate_pending ORDER BY since, person_id LIMIT $1")
        .bind(limit).fetch_all(p).await)?;
    let mut done = 0;
    for (id, since) in due {
        let found = match candidates_for(store, Subject::Person(id)).await {
            Ok(f) => f,
            Err(crate::Error::NotFound) => Vec::new(),
            Err(e) => return Err(e),
        };
        let mut tx = store.begin().await?;
        write_candidates(&mut tx, id, &found).await?;
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM duplicate_pending WHERE person_id = $1 AND since = $2")
            .bind(id).bind(since).execute(c).await.map(|_| ()))?;
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}

/// How many people wait for [`refresh_pending`].
pub async fn pending(store: &Store) -> Result<i64> {
    Ok(
        on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM duplicate_pending")
        .fetch_one(p).await)?,
    )
}

/// Replaces every stored candidate by `pairs` (the result of [`all_pairs`]
/// over the whole database), in batches, and clears the marks of everyone
/// marked before `started`: they were scored by that pass.
pub async fn store_all(
    store: &Store,
    pairs: &[Pair],
    started: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let now = crate::now();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM duplicate_candidates").execute(c).await.map(|_| ()))?;
    for chunk in pairs.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| {
                let k = i * 4;
                format!("(${}, ${}, ${}, ${}, $1)", k + 2, k + 3, k + 4, k + 5)
            })
            .collect();
        let sql = format!(
            "INSERT INTO duplicate_candidates (a, b, score, level, found_at) VALUES {}",
            values.join(", ")
        );
        on_tx!(&mut tx, c => {
            let mut q = sqlx::query(&sql).bind(now);
            for p in chunk {
                q = q.bind(p.a).bind(p.b).bind(p.score).bind(p.level.as_str());
            }
            q.execute(c).await.map(|_| ())
        })?;
    }
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM duplicate_pending WHERE since < $1")
        .bind(started).execute(c).await.map(|_| ()))?;
    tx.commit().await?;
    Ok(())
}

/// One pair in the review queue, as a supervisor sees it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct QueueItem {
    pub a: Uuid,
    pub b: Uuid,
    pub a_name: String,
    pub b_name: String,
    pub score: f64,
    /// `likely` or `possible`.
    pub level: String,
    pub found_at: chrono::DateTime<chrono::Utc>,
}

/// How many pairs of each level the actor may review.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct QueueCounts {
    pub likely: i64,
    pub possible: i64,
}

/// `FROM` and `WHERE` of the queue: stored pairs whose two people are in the
/// actor's scope and merged into nobody.
fn queue_from(actor: &crate::Actor, level: Option<Level>) -> crate::sql::Sql {
    use crate::sql::{Param, Sql};
    let mut w = Sql::new(
        " FROM duplicate_candidates d JOIN persons pa ON pa.id = d.a JOIN persons pb ON pb.id = d.b \
         WHERE pa.merged_into IS NULL AND pb.merged_into IS NULL",
    );
    if let Some(l) = level {
        w.push(" AND d.level = ")
            .bind(Param::Text(l.as_str().into()));
    }
    if actor.scope() != homeward_domain::Scope::All {
        for side in ["a", "b"] {
            w.push(&format!(
                " AND EXISTS (SELECT 1 FROM persons p WHERE p.id = d.{side}"
            ));
            actor.push_person_scope(&mut w);
            w.push(")");
        }
    }
    w
}

/// Refuses anyone who may not review duplicates.
pub fn require_reviewer(actor: &crate::Actor) -> Result<()> {
    if homeward_domain::merge::may_review(actor.role) {
        Ok(())
    } else {
        Err(crate::Error::Forbidden)
    }
}

/// The review queue: `likely` pairs first, then by score; optionally one
/// level; with the counts of each level. Supervisors only, within scope.
pub async fn queue(
    store: &Store,
    actor: &crate::Actor,
    level: Option<Level>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<QueueItem>, QueueCounts)> {
    use crate::bind_params;
    use crate::sql::Param;
    require_reviewer(actor)?;
    let all = queue_from(actor, None);
    let count_sql = format!("SELECT d.level, COUNT(*){} GROUP BY d.level", all.text);
    let counted: Vec<(String, i64)> = on_db!(&store.db, p => bind_params!(sqlx::query_as(&count_sql), all.params).fetch_all(p).await)?;
    let mut counts = QueueCounts::default();
    for (l, n) in counted {
        match l.as_str() {
            "likely" => counts.likely = n,
            _ => counts.possible += n,
        }
    }
    let mut s = queue_from(actor, level);
    // 'likely' sorts before 'possible': the (level, score) index serves the order.
    s.push(" ORDER BY d.level, d.score DESC, d.a, d.b LIMIT ")
        .bind(Param::I64(limit.clamp(1, 200)))
        .push(" OFFSET ")
        .bind(Param::I64(offset.max(0)));
    let sql = format!(
        "SELECT d.a, d.b, pa.display_name AS a_name, pb.display_name AS b_name, d.score, d.level, d.found_at{}",
        s.text
    );
    let items = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, QueueItem>(&sql), s.params).fetch_all(p).await)?;
    Ok((items, counts))
}

/// The stored pair of `x` and `y`, if they are candidates (any order).
pub async fn pair(store: &Store, x: Uuid, y: Uuid) -> Result<Option<(f64, String)>> {
    let (a, b) = ordered(x, y);
    Ok(on_db!(&store.db, p => sqlx::query_as(
        "SELECT score, level FROM duplicate_candidates WHERE a = $1 AND b = $2")
        .bind(a).bind(b).fetch_optional(p).await)?)
}

/// Whether `x` and `y` were decided not to be duplicates.
pub async fn is_not_duplicate(store: &Store, x: Uuid, y: Uuid) -> Result<bool> {
    let (a, b) = ordered(x, y);
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM person_not_duplicates WHERE a = $1 AND b = $2")
        .bind(a).bind(b).fetch_one(p).await)?;
    Ok(n > 0)
}

/// The people of case `case_id` who have a `likely` candidate the actor may
/// review: (person in the case, the other person). For the notice on the
/// case page; empty for anyone but a supervisor.
pub async fn likely_for_case(
    store: &Store,
    actor: &crate::Actor,
    case_id: Uuid,
) -> Result<Vec<(Uuid, Uuid)>> {
    use crate::bind_params;
    use crate::sql::Param;
    if require_reviewer(actor).is_err() {
        return Ok(Vec::new());
    }
    let mut w = queue_from(actor, Some(Level::Likely));
    w.push(" AND (d.a IN (SELECT person_id FROM case_members WHERE case_id = ")
        .bind(Param::Uuid(case_id))
        .push(") OR d.b IN (SELECT person_id FROM case_members WHERE case_id = ")
        .bind(Param::Uuid(case_id))
        .push(")) ORDER BY d.score DESC LIMIT 20");
    let sql = format!("SELECT d.a, d.b{}", w.text);
    let rows: Vec<(Uuid, Uuid)> =
        on_db!(&store.db, p => bind_params!(sqlx::query_as(&sql), w.params).fetch_all(p).await)?;
    let members: HashSet<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT person_id FROM case_members WHERE case_id = $1").bind(case_id).fetch_all(p).await)?
    .into_iter()
    .collect();
    Ok(rows
        .into_iter()
        .map(|(a, b)| if members.contains(&a) { (a, b) } else { (b, a) })
        .collect())
}

/// A case a person is on, as the compare page lists it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PersonCase {
    pub case_id: Uuid,
    pub case_number: String,
    pub status: String,
    pub relationship: String,
}

/// The cases in the actor's scope that person `id` is on.
pub async fn cases_of(store: &Store, actor: &crate::Actor, id: Uuid) -> Result<Vec<PersonCase>> {
    use crate::bind_params;
    use crate::sql::{Param, Sql};
    let mut q = Sql::new(
        "SELECT c.id AS case_id, c.case_number, c.status, m.relationship FROM case_members m \
         JOIN cases c ON c.id = m.case_id WHERE m.person_id = ",
    );
    q.bind(Param::Uuid(id));
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY c.case_number");
    Ok(
        on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, PersonCase>(&q.text), q.params).fetch_all(p).await)?,
    )
}
