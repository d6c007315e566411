//! The audit trail as a hash chain (docs/adr/0022).
//!
//! Writers insert entries unsealed (no `seq`, no `hash`) inside their own
//! transactions, so no writer ever waits on another for the trail. The
//! sealer ([`seal`]) then takes the chain head, gives each unsealed entry in
//! id order the next `seq` and `hash = SHA-256(previous hash || the entry's
//! canonical encoding)`, and moves the head. [`verify`] walks the chain in
//! `seq` order in constant memory and names the first entry that was
//! changed, removed or reordered.

use super::row::AuditRow;
use crate::{on_db, on_tx, Db, Result, Store, Tx};
use futures_util::TryStreamExt;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The hash before the first entry (and the head of an empty chain).
pub const GENESIS: [u8; 32] = [0; 32];

/// How many entries one sealing transaction takes: small enough that the
/// SQLite writer lock is held for milliseconds, large enough for backfills.
const BATCH: i64 = 1000;

/// The columns of an entry, in the order [`AuditRow`] reads them.
pub(crate) const COLUMNS: &str = "id, seq, hash, at, actor_id, actor_email, action, entity, entity_id, case_id, before_json, after_json, request_id";

/// Feeds one optional field: a presence byte, then the length and bytes,
/// so no two different entries encode alike.
fn field(h: &mut Sha256, v: Option<&[u8]>) {
    match v {
        None => h.update([0u8]),
        Some(b) => {
            h.update([1u8]);
            h.update((b.len() as u64).to_be_bytes());
            h.update(b);
        }
    }
}

/// The hash of `r` at position `seq` after an entry whose hash is `prev`:
/// every field of the entry is covered, including its id and `seq`.
pub fn entry_hash(prev: &[u8; 32], seq: i64, r: &AuditRow) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(b"homeward-audit-v1");
    h.update(prev);
    h.update(seq.to_be_bytes());
    h.update(r.id.to_be_bytes());
    let at = r.at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
    field(&mut h, Some(at.as_bytes()));
    let actor = r.actor_id.map(|u| u.to_string());
    field(&mut h, actor.as_deref().map(str::as_bytes));
    field(&mut h, r.actor_email.as_deref().map(str::as_bytes));
    field(&mut h, Some(r.action.as_bytes()));
    field(&mut h, Some(r.entity.as_bytes()));
    field(&mut h, r.entity_id.as_deref().map(str::as_bytes));
    let case = r.case_id.map(|u| u.to_string());
    field(&mut h, case.as_deref().map(str::as_bytes));
    field(&mut h, r.before_json.as_deref().map(str::as_bytes));
    field(&mut h, r.after_json.as_deref().map(str::as_bytes));
    field(&mut h, r.request_id.as_deref().map(str::as_bytes));
    h.finalize().into()
}

fn parse_hash(s: Option<&str>) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(s?, &mut out).ok()?;
    Some(out)
}

/// The last sealed entry as the head table records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Reads the chain head.
pub async fn head(store: &Store) -> Result<Head> {
    let (seq, hash): (i64, String) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT seq, hash FROM audit_chain_head WHERE id = 1").fetch_one(p).await)?;
    Ok(Head { seq, hash })
}

/// Seals every entry not yet sealed; returns how many it sealed. Safe to run
/// from several processes at once: they take turns on the chain head, and a
/// run with nothing to seal only reads.
pub async fn seal(store: &Store) -> Result<u64> {
    seal_up_to(store, u64::MAX).await
}

/// Like [`seal`], but stops after about `max` entries (whole batches), so a
/// periodic caller never spends long on a backfill; the next call goes on.
pub async fn seal_up_to(store: &Store, max: u64) -> Result<u64> {
    // A plain read first, so an idle sealer never takes a write lock.
    let first: Option<i64> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT id FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 1").fetch_optional(p).await)?;
    let Some(first) = first else {
        return Ok(0);
    };
    // Within one run the batches go on from the last id sealed rather than
    // from the start of the index, which on PostgreSQL still holds the
    // entries just sealed until vacuum (a backfill would turn quadratic).
    // Entries that commit meanwhile with smaller ids wait for the next run.
    let mut after = first - 1;
    let mut total = 0;
    while total < max {
        let n = seal_batch(store, &mut after).await?;
        total += n;
        if n < BATCH as u64 {
            break;
        }
    }
    Ok(total)
}

/// Seals up to [`BATCH`] entries with ids above `after` in one transaction,
/// and moves `after` to the last of them.
async fn seal_batch(store: &Store, after: &mut i64) -> Result<u64> {
    let mut tx = store.begin().await?;
    // PostgreSQL: only sealers lock the head row; writers never touch it.
    // SQLite: `begin` already holds the only write lock.
    let head_sql = match &store.db {
        Db::Postgres(_) => "SELECT seq, hash FROM audit_chain_head WHERE id = 1 FOR UPDATE",
        Db::Sqlite(_) => "SELECT seq, hash FROM audit_chain_head WHERE id = 1",
    };
    let (mut seq, head_hash): (i64, String) =
        on_tx!(&mut tx, c => sqlx::query_as(head_sql).fetch_one(c).await)?;
    let Some(mut prev) = parse_hash(Some(&head_hash)) else {
        // A head that is not a hash was edited by hand; sealing on top of it
        // would bury that. `verify` reports it.
        return Err(crate::Error::Io(format!(
            "the audit chain head is damaged (seq {seq}); run `homeward audit verify`"
        )));
    };
    // Entries of PostgreSQL transactions still open now commit later with
    // smaller ids; they are simply sealed by a later run, further down the
    // chain, since the order is the one given here, not the ids'.
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE seq IS NULL AND id > $1 ORDER BY id LIMIT $2"
    );
    let rows: Vec<AuditRow> =
        on_tx!(&mut tx, c => sqlx::query_as(&sql).bind(*after).bind(BATCH).fetch_all(c).await)?;
    let Some(last) = rows.last() else {
        return Ok(0);
    };
    *after = last.id;
    let (mut ids, mut seqs, mut hashes) = (
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
        Vec::with_capacity(rows.len()),
    );
    for r in &rows {
        seq += 1;
        prev = entry_hash(&prev, seq, r);
        ids.push(r.id);
        seqs.push(seq);
        hashes.push(hex::encode(prev));
    }
    const SET: &str = "UPDATE audit_log SET seq = $1, hash = $2 WHERE id = $3 AND seq IS NULL";
    match &mut tx {
        // One statement for the batch: one round trip.
        Tx::Postgres(t) => {
            sqlx::query(
                "UPDATE audit_log SET seq = v.seq, hash = v.hash \
                 FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[]) AS v (id, seq, hash) \
                 WHERE audit_log.id = v.id AND audit_log.seq IS NULL",
            )
            .bind(&ids)
            .bind(&seqs)
            .bind(&hashes)
            .execute(&mut **t)
            .await?;
        }
        // In-process: a prepared statement per entry costs microseconds.
        Tx::Sqlite(t, _) => {
            for ((id, s), h) in ids.iter().zip(&seqs).zip(&hashes) {
                sqlx::query(SET)
                    .bind(*s)
                    .bind(h)
                    .bind(*id)
                    .execute(&mut **t)
                    .await?;
            }
        }
    }
    let head_hash = hex::encode(prev);
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE audit_chain_head SET seq = $1, hash = $2, sealed_at = $3 WHERE id = 1")
        .bind(seq).bind(&head_hash).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(ids.len() as u64)
}

/// What is wrong with the chain at the first bad entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// The entry's fields no longer match its hash (the chain continues from
    /// its stored hash): it was changed after sealing.
    Changed,
    /// The stored hash was edited (the chain continues from the hash the
    /// fields give).
    HashEdited,
    /// The hash does not match, and neither neighbour tells why.
    HashMismatch,
    /// An entry belonging here sits elsewhere in the chain.
    Reordered,
    /// Positions are missing: entries were removed.
    Gap,
    /// Two entries claim the same position.
    Duplicate,
    /// The chain stops before the head says it does: entries at the end were
    /// removed.
    Truncated,
    /// The head table does not match the last entry.
    HeadMismatch,
    /// The head the operator recorded is not in the chain.
    ExpectedHeadMissing,
}

impl ProblemKind {
    /// In words, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            ProblemKind::Changed => "changed",
            ProblemKind::HashEdited => "hash edited",
            ProblemKind::HashMismatch => "hash mismatch",
            ProblemKind::Reordered => "reordered",
            ProblemKind::Gap => "removed (gap)",
            ProblemKind::Duplicate => "duplicate position",
            ProblemKind::Truncated => "removed at the end",
            ProblemKind::HeadMismatch => "head mismatch",
            ProblemKind::ExpectedHeadMissing => "recorded head missing",
        }
    }
}

/// The first bad entry.
#[derive(Debug, Clone, Serialize)]
pub struct Problem {
    /// The position where the chain breaks.
    pub seq: i64,
    /// The entry found there, if any.
    pub id: Option<i64>,
    pub kind: ProblemKind,
    /// In words, for the operator.
    pub detail: String,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// Sealed entries checked.
    pub entries: u64,
    /// The last good position and its hash.
    pub head: Head,
    /// Entries not yet sealed (only when verifying without sealing).
    pub unsealed: i64,
    /// The first bad entry; `None` when the chain is intact.
    pub problem: Option<Problem>,
}

/// A hash the operator recorded earlier (`SEQ:HASH`), which must still be
/// in the chain at that position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedHead {
    pub seq: i64,
    pub hash: String,
}

impl std::str::FromStr for ExpectedHead {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| "expected SEQ:HASH".to_string())?;
        let seq: i64 = seq
            .trim()
            .parse()
            .map_err(|_| format!("{seq} is not a position"))?;
        let hash = hash.trim().to_ascii_lowercase();
        if seq < 1 || parse_hash(Some(&hash)).is_none() {
            return Err("expected SEQ:HASH with SEQ from 1 and a 64-digit hex hash".into());
        }
        Ok(ExpectedHead { seq, hash })
    }
}

/// A mismatch found by the walk, diagnosed once the walk's stream is closed.
struct Mismatch {
    seq: i64,
    row: AuditRow,
    prev: [u8; 32],
    computed: [u8; 32],
    stored: Option<[u8; 32]>,
}

enum Stop {
    Problem(Problem),
    Mismatch(Box<Mismatch>),
}

/// The walk's state: constant size whatever the chain's length.
struct Walk<'a> {
    prev: [u8; 32],
    next_seq: i64,
    entries: u64,
    expect: Option<&'a ExpectedHead>,
}

impl Walk<'_> {
    fn step(&mut self, row: AuditRow) -> Option<Stop> {
        let seq = row.seq.unwrap_or(0);
        if seq < self.next_seq {
            return Some(Stop::Problem(Problem {
                seq,
                id: Some(row.id),
                kind: ProblemKind::Duplicate,
                detail: format!(
                    "entry {} claims position {seq}, which another entry holds",
                    row.id
                ),
            }));
        }
        if seq > self.next_seq {
            let missing = if seq - 1 == self.next_seq {
                format!("position {} is missing", self.next_seq)
            } else {
                format!("positions {} to {} are missing", self.next_seq, seq - 1)
            };
            return Some(Stop::Problem(Problem {
                seq: self.next_seq,
                id: None,
                kind: ProblemKind::Gap,
                detail: format!(
                    "{missing}: entries were removed (the next is entry {} at {seq})",
                    row.id
                ),
            }));
        }
        let computed = entry_hash(&self.prev, seq, &row);
        let stored = parse_hash(row.hash.as_deref());
        if stored != Some(computed) {
            return Some(Stop::Mismatch(Box::new(Mismatch {
                seq,
                row,
                prev: self.prev,
                computed,
                stored,
            })));
        }
        if let Some(e) = self.expect.filter(|e| e.seq == seq) {
            if e.hash != hex::encode(computed) {
                return Some(Stop::Problem(Problem {
                    seq,
                    id: Some(row.id),
                    kind: ProblemKind::ExpectedHeadMissing,
                    detail: format!(
                        "the recorded head {seq}:{} is not in the chain (it has {} there): the trail was rewritten",
                        e.hash,
                        hex::encode(computed)
                    ),
                }));
            }
        }
        self.prev = computed;
        self.next_seq += 1;
        self.entries += 1;
        None
    }
}

/// Walks the whole chain in order and reports the first bad entry, if any.
/// Does not seal: call [`seal`] first to cover the latest entries.
pub async fn verify(store: &Store, expect: Option<&ExpectedHead>) -> Result<Verdict> {
    let mut walk = Walk {
        prev: GENESIS,
        next_seq: 1,
        entries: 0,
        expect,
    };
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq IS NOT NULL ORDER BY seq");
    let stop = on_db!(&store.db, p => {
        let mut rows = sqlx::query_as::<_, AuditRow>(&sql).fetch(p);
        let mut stop = None;
        while let Some(row) = rows.try_next().await? {
            if let Some(s) = walk.step(row) {
                stop = Some(s);
                break;
            }
        }
        stop
    });
    let recorded = head(store).await?;
    let unsealed: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE seq IS NULL").fetch_one(p).await)?;
    let last = walk.next_seq - 1;
    let good = Head {
        seq: last,
        hash: hex::encode(walk.prev),
    };
    let problem = match stop {
        Some(Stop::Problem(p)) => Some(p),
        Some(Stop::Mismatch(m)) => Some(diagnose(store, &recorded, *m).await?),
        None if recorded.seq > last => Some(Problem {
            seq: last + 1,
            id: None,
            kind: ProblemKind::Truncated,
            detail: format!(
                "the chain stops at {last} but was sealed up to {}: entries at the end were removed",
                recorded.seq
            ),
        }),
        None if recorded != good => Some(Problem {
            seq: recorded.seq,
            id: None,
            kind: ProblemKind::HeadMismatch,
            detail: format!(
                "the head table says {}:{} but the chain ends at {}:{}",
                recorded.seq, recorded.hash, good.seq, good.hash
            ),
        }),
        None => expect.filter(|e| e.seq > last).map(|e| Problem {
            seq: e.seq,
            id: None,
            kind: ProblemKind::ExpectedHeadMissing,
            detail: format!(
                "the recorded head {}:{} is beyond the end of the chain ({last}): entries were removed",
                e.seq, e.hash
            ),
        }),
    };
    Ok(Verdict {
        entries: walk.entries,
        head: good,
        unsealed,
        problem,
    })
}

/// Says why an entry's hash does not match, from its neighbours: the
/// entry after it tells whether the fields or the hash were edited, and an
/// entry further on that fits this position tells of a reordering.
async fn diagnose(store: &Store, recorded: &Head, m: Mismatch) -> Result<Problem> {
    let sql = format!("SELECT {COLUMNS} FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 64");
    let after: Vec<AuditRow> =
        on_db!(&store.db, p => sqlx::query_as(&sql).bind(m.seq).fetch_all(p).await)?;
    let id = m.row.id;
    let seq = m.seq;
    let problem = |kind, detail: String| Problem {
        seq,
        id: Some(id),
        kind,
        detail,
    };
    if let Some(other) = after
        .iter()
        .find(|o| parse_hash(o.hash.as_deref()) == Some(entry_hash(&m.prev, seq, o)))
    {
        return Ok(problem(
            ProblemKind::Reordered,
            format!(
                "entry {id} is at position {seq}, where entry {} (now at {}) belongs: entries were reordered",
                other.id,
                other.seq.unwrap_or(0)
            ),
        ));
    }
    let continues_from = |h: &[u8; 32]| match after.first() {
        Some(n) if n.seq == Some(seq + 1) => {
            parse_hash(n.hash.as_deref()) == Some(entry_hash(h, seq + 1, n))
        }
        Some(_) => false,
        None => recorded.seq == seq && parse_hash(Some(&recorded.hash)) == Some(*h),
    };
    if m.stored.is_some_and(|s| continues_from(&s)) {
        return Ok(problem(
            ProblemKind::Changed,
            format!("entry {id} at position {seq} was changed after it was sealed: its fields no longer match its hash"),
        ));
    }
    if continues_from(&m.computed) {
        return Ok(problem(
            ProblemKind::HashEdited,
            format!("the hash of entry {id} at position {seq} was edited"),
        ));
    }
    Ok(problem(
        ProblemKind::HashMismatch,
        format!("entry {id} at position {seq} does not match its hash"),
    ))
}
