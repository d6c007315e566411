//! Duplicate candidates (docs/adr/0029): the blocking keys of each person in
//! `person_match_keys`, kept up to date by [`index`] when a person is
//! created or changed; candidates for one person and candidate pairs across
//! the whole database, scored by `homeward_domain::duplicates`.
//!
//! Nothing here checks an actor's record scope: the callers are the command
//! line and the store's own use cases. A review queue in the web layer must
//! filter the ids it shows through the actor's scope.

use crate::{on_db, on_tx, Result, Store, Tx};
use chrono::NaiveDate;
use futures_util::TryStreamExt;
use homeward_domain::duplicates::{score, Identity, Level, Profile, KEY_SCHEME};
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

/// `$first, $first+1, ...` for `n` values.
fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replaces the blocking keys of person `id` inside `tx`.
async fn write_keys(tx: &mut Tx, id: Uuid, identity: &Identity) -> Result<()> {
    let keys = Profile::new(identity).keys();
    on_tx!(&mut *tx, c => sqlx::query("DELETE FROM person_match_keys WHERE person_id = $1")
        .bind(id).execute(c).await.map(|_| ()))?;
    let values: Vec<String> = (0..keys.len())
        .map(|i| format!("(${}, $1)", i + 2))
        .collect();
    let sql = format!(
        "INSERT INTO person_match_keys (match_key, person_id) VALUES {}",
        values.join(", ")
    );
    on_tx!(&mut *tx, c => {
        let mut q = sqlx::query(&sql).bind(id);
        for k in &keys {
            q = q.bind(k);
        }
        q.execute(c).await.map(|_| ())
    })?;
    Ok(())
}

/// Keeps the blocking keys of person `id` in step with `d` (called by
/// `persons::insert` and `persons::update` in their transaction).
pub async fn index(tx: &mut Tx, id: Uuid, d: &PersonData) -> Result<()> {
    write_keys(tx, id, &Identity::from(d)).await
}

async fn rows_by_id(store: &Store, ids: &[Uuid]) -> Result<Vec<IdentityRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let sql = format!(
            "SELECT {COLUMNS} FROM persons WHERE id IN ({})",
            placeholders(1, chunk.len())
        );
        let rows: Vec<IdentityRow> = on_db!(&store.db, p => {
            let mut q = sqlx::query_as::<_, IdentityRow>(&sql);
            for id in chunk {
                q = q.bind(id);
            }
            q.fetch_all(p).await
        })?;
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
    let sql = format!(
        "SELECT DISTINCT person_id FROM person_match_keys WHERE match_key IN ({})",
        placeholders(1, keys.len())
    );
    let ids: Vec<Uuid> = on_db!(&store.db, p => {
        let mut q = sqlx::query_scalar::<_, Uuid>(&sql);
        for k in &keys {
            q = q.bind(k);
        }
        q.fetch_all(p).await
    })?;
    let ids: Vec<Uuid> = ids.into_iter().filter(|i| Some(*i) != me).collect();
    let mut out: Vec<Candidate> = rows_by_id(store, &ids)
        .await?
        .iter()
        .filter_map(|r| {
            let s = score(&profile, &Profile::new(&r.identity()));
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

/// Adds the pairs of one block (people sharing a key) to `pairs`, unless
/// the block is larger than [`MAX_BLOCK`].
fn block_pairs(block: &mut Vec<Uuid>, pairs: &mut HashSet<(Uuid, Uuid)>) {
    if block.len() >= 2 && block.len() <= MAX_BLOCK {
        for i in 0..block.len() {
            for j in i + 1..block.len() {
                let (a, b) = (block[i].min(block[j]), block[i].max(block[j]));
                pairs.insert((a, b));
            }
        }
    }
    block.clear();
}

/// Every pair of people who share a blocking key and score `min_score` or
/// more (and at least `possible`), highest first. Reads the keys in key
/// order, one block at a time, then scores each pair once.
pub async fn all_pairs(store: &Store, min_score: f64) -> Result<Vec<Pair>> {
    let mut pairs: HashSet<(Uuid, Uuid)> = HashSet::new();
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
                block_pairs(&mut block, &mut pairs);
                current = key;
            }
            block.push(id);
        }
        block_pairs(&mut block, &mut pairs);
    });
    let mut ids: Vec<Uuid> = pairs.iter().flat_map(|(a, b)| [*a, *b]).collect();
    ids.sort();
    ids.dedup();
    let people: HashMap<Uuid, (Profile, Option<String>)> = rows_by_id(store, &ids)
        .await?
        .into_iter()
        .map(|r| (r.id, (Profile::new(&r.identity()), r.external_id)))
        .collect();
    let mut out: Vec<Pair> = pairs
        .into_iter()
        .filter_map(|(a, b)| {
            let (pa, ea) = people.get(&a)?;
            let (pb, eb) = people.get(&b)?;
            let s = score(pa, pb);
            let level = Level::of(s)?;
            (s >= min_score).then(|| Pair {
                a,
                b,
                a_external_id: ea.clone(),
                b_external_id: eb.clone(),
                score: s,
                level,
            })
        })
        .collect();
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
        "SELECT {COLUMNS} FROM persons p WHERE p.id > $1 AND NOT EXISTS \
         (SELECT 1 FROM person_match_keys k WHERE k.match_key = $2 AND k.person_id = p.id) \
         ORDER BY p.id LIMIT $3"
    );
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
        for r in &rows {
            write_keys(&mut tx, r.id, &r.identity()).await?;
        }
        tx.commit().await?;
        done += rows.len() as u64;
    }
}
