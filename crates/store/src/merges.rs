//! Merging two records of the same person, and undoing it (docs/adr/0032).
//!
//! A merge moves, in one transaction, every row that points at the merged
//! person to the kept one (the [`MOVES`] tables: the cases they are the
//! principal of, case memberships, vulnerabilities, fitness checks, travel
//! documents, itinerary places), fills the kept record's empty details from
//! the merged one (`homeward_domain::merge::FILLABLE`), marks the merged
//! person `merged_into` the kept one (kept, hidden from lists, search and
//! duplicate detection) and writes a `person_merges` row naming exactly
//! which rows moved, so that an undo moves exactly those back.
//!
//! Supervisors only (`homeward_domain::merge::may_review`); both people in
//! the actor's record scope to merge, the kept one to undo.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::persons::PersonRow;
use crate::{on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, Utc};
use homeward_domain::person::display_name;
use homeward_domain::Invalid;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use uuid::Uuid;

/// A table whose rows point at a person: its name, the column that names a
/// row (with the person column, when the pair is unique), the person column,
/// and the column kept when a row of the merged person has to give way to
/// the kept person's row for the same key (both members of one case, both
/// travellers on one itinerary).
struct Move {
    table: &'static str,
    key: &'static str,
    person: &'static str,
    shared: Option<&'static str>,
}

/// Every table with a column referencing `persons` (migrations 0001, 0004,
/// 0007; `person_match_keys`, `person_search_terms`, `person_country_terms`
/// and the duplicate tables are handled apart: derived, or naming both
/// people on purpose).
/// A new table referencing persons must be added here: the store test
/// `merges` checks this list against the database's foreign keys.
const MOVES: [Move; 10] = [
    Move {
        table: "cases",
        key: "id",
        person: "principal_person_id",
        shared: None,
    },
    Move {
        table: "case_members",
        key: "case_id",
        person: "person_id",
        shared: Some("relationship"),
    },
    Move {
        table: "vulnerabilities",
        key: "id",
        person: "person_id",
        shared: None,
    },
    Move {
        table: "fitness_checks",
        key: "id",
        person: "person_id",
        shared: None,
    },
    Move {
        table: "travel_documents",
        key: "id",
        person: "person_id",
        shared: None,
    },
    Move {
        table: "consents",
        key: "id",
        person: "person_id",
        shared: None,
    },
    Move {
        table: "consents",
        key: "id",
        person: "given_by_person_id",
        shared: None,
    },
    Move {
        table: "feedback",
        key: "id",
        person: "person_id",
        shared: None,
    },
    Move {
        table: "returnee_access",
        key: "id",
        person: "person_id",
        shared: None,
    },
    Move {
        table: "itinerary_travellers",
        key: "itinerary_id",
        person: "person_id",
        shared: Some("ticket_number"),
    },
];

/// The tables a merge moves rows of: (table, key column, person column,
/// shared column), for tests and the documentation.
pub fn moved_tables() -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
)> {
    MOVES
        .iter()
        .map(|m| (m.table, m.key, m.person, m.shared))
        .collect()
}

/// A row of the merged person removed because the kept person already had
/// one with the same key; put back by an undo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Dropped {
    pub table: String,
    pub key: Uuid,
    /// The merged person's value of the shared column (relationship, ticket).
    pub value: Option<String>,
    /// The kept person's relationship before they became the principal of
    /// the case (when the merged person was its principal).
    pub kept_value: Option<String>,
}

/// Exactly what a merge changed: no personal values, only table names,
/// row keys and field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Moved {
    /// Keys of the rows moved to the kept person, by table.
    pub rows: BTreeMap<String, Vec<Uuid>>,
    /// Rows of the merged person removed in favour of the kept person's.
    pub dropped: Vec<Dropped>,
    /// Details the kept record took over (column names).
    pub filled: Vec<String>,
    /// Whether the merged person's external id moved to the kept record.
    pub external_id: bool,
}

impl Moved {
    /// How many rows moved, by table (for the audit trail).
    pub fn counts(&self) -> BTreeMap<String, usize> {
        self.rows
            .iter()
            .map(|(t, keys)| (t.clone(), keys.len()))
            .collect()
    }
}

/// A merge as listed in the history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Merge {
    pub id: Uuid,
    pub kept_id: Uuid,
    pub merged_id: Uuid,
    pub kept_name: String,
    pub merged_name: String,
    pub moved: Moved,
    pub merged_by: Option<String>,
    pub merged_at: DateTime<Utc>,
    pub undone_by: Option<String>,
    pub undone_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct MergeRow {
    id: Uuid,
    kept_id: Uuid,
    merged_id: Uuid,
    kept_name: String,
    merged_name: String,
    moved: String,
    merged_by: Option<String>,
    merged_at: DateTime<Utc>,
    undone_by: Option<String>,
    undone_at: Option<DateTime<Utc>>,
}

impl MergeRow {
    fn view(self) -> Merge {
        Merge {
            id: self.id,
            kept_id: self.kept_id,
            merged_id: self.merged_id,
            kept_name: self.kept_name,
            merged_name: self.merged_name,
            moved: serde_json::from_str(&self.moved).unwrap_or_default(),
            merged_by: self.merged_by,
            merged_at: self.merged_at,
            undone_by: self.undone_by,
            undone_at: self.undone_at,
        }
    }
}

/// A merge request: who stays, who goes, and the versions read.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeInput {
    pub kept: Uuid,
    pub kept_version: i64,
    pub merged: Uuid,
    pub merged_version: i64,
}

fn refused(code: &str) -> Error {
    let mut inv = Invalid::default();
    inv.add("merge", code);
    Error::Invalid(inv)
}

async fn keys_of(tx: &mut Tx, m: &Move, person: Uuid) -> Result<Vec<Uuid>> {
    let sql = format!(
        "SELECT {} FROM {} WHERE {} = $1 ORDER BY {}",
        m.key, m.table, m.person, m.key
    );
    Ok(on_tx!(&mut *tx, c => sqlx::query_scalar(&sql).bind(person).fetch_all(c).await)?)
}

/// Recomputes the kept record's display name, search text and matching keys
/// after its details changed.
async fn rederive(tx: &mut Tx, id: Uuid) -> Result<()> {
    let row: PersonRow = on_tx!(&mut *tx, c => sqlx::query_as("SELECT * FROM persons WHERE id = $1")
        .bind(id).fetch_one(c).await)?;
    let d = row.to_input().validate(Utc::now().date_naive())?;
    let name = display_name(
        d.given_names.as_deref(),
        d.family_name.as_deref(),
        d.original_script_name.as_deref(),
    );
    on_tx!(&mut *tx, c => sqlx::query("UPDATE persons SET display_name = $1, search_text = $2 WHERE id = $3")
        .bind(&name).bind(crate::persons::search_text(&d)).bind(id).execute(c).await.map(|_| ()))?;
    crate::search::index(tx, id, &d).await?;
    crate::duplicates::index(tx, id, &d).await
}

/// Merges `input.merged` into `input.kept` (see the module documentation).
/// Refused: a role other than supervisor (403); either person out of scope
/// or the same id twice (404); a stale version (409); either already merged
/// (422, `merge: already-merged`).
pub async fn merge(store: &Store, actor: &Actor, input: &MergeInput) -> Result<Merge> {
    let (kept_row, merged_row) = both_in_scope(store, actor, input.kept, input.merged).await?;
    let (kept, merged) = (input.kept, input.merged);
    let today = Utc::now().date_naive();
    let mut tx = store.begin().await?;
    let already: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM persons WHERE id IN ($1, $2) AND merged_into IS NOT NULL")
        .bind(kept).bind(merged).fetch_one(c).await)?;
    if already > 0 {
        return Err(refused("already-merged"));
    }
    let now = crate::now();
    for (id, version) in [(kept, input.kept_version), (merged, input.merged_version)] {
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE persons SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
            .bind(now).bind(id).bind(version).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(Error::Conflict);
        }
    }
    let mut moved = Moved::default();
    for m in &MOVES {
        if let Some(shared) = m.shared {
            // Rows both people have (same case, same itinerary): the kept
            // person's stays, the merged person's goes (and is remembered).
            let sql = format!(
                "SELECT x.{key}, x.{shared}, k.{shared} FROM {t} x JOIN {t} k ON k.{key} = x.{key} AND k.{p} = $2 \
                 WHERE x.{p} = $1 ORDER BY x.{key}",
                key = m.key, shared = shared, t = m.table, p = m.person
            );
            let both: Vec<(Uuid, Option<String>, Option<String>)> = on_tx!(&mut tx, c => sqlx::query_as(&sql)
                .bind(merged).bind(kept).fetch_all(c).await)?;
            for (key, value, kept_value) in both {
                let del = format!(
                    "DELETE FROM {} WHERE {} = $1 AND {} = $2",
                    m.table, m.key, m.person
                );
                on_tx!(&mut tx, c => sqlx::query(&del).bind(key).bind(merged).execute(c).await.map(|_| ()))?;
                // The principal's place goes to the kept person, whose own
                // relationship is remembered for the undo.
                let becomes_principal = m.table == "case_members"
                    && value.as_deref() == Some("principal")
                    && kept_value.as_deref() != Some("principal");
                if becomes_principal {
                    on_tx!(&mut tx, c => sqlx::query(
                        "UPDATE case_members SET relationship = 'principal' WHERE case_id = $1 AND person_id = $2")
                        .bind(key).bind(kept).execute(c).await.map(|_| ()))?;
                }
                moved.dropped.push(Dropped {
                    table: m.table.to_string(),
                    key,
                    value,
                    kept_value: if becomes_principal { kept_value } else { None },
                });
            }
        }
        let keys = keys_of(&mut tx, m, merged).await?;
        if keys.is_empty() {
            continue;
        }
        let sql = format!(
            "UPDATE {} SET {} = $1 WHERE {} = $2",
            m.table, m.person, m.person
        );
        on_tx!(&mut tx, c => sqlx::query(&sql).bind(kept).bind(merged).execute(c).await.map(|_| ()))?;
        if m.table == "cases" {
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE cases SET version = version + 1, updated_at = $1 WHERE principal_person_id = $2")
                .bind(now).bind(kept).execute(c).await.map(|_| ()))?;
        }
        moved.rows.insert(m.table.to_string(), keys);
    }
    // Details the kept record lacks.
    let kd = kept_row.to_input().validate(today).ok();
    let md = merged_row.to_input().validate(today).ok();
    if let (Some(kd), Some(md)) = (kd, md) {
        for f in homeward_domain::merge::fields_to_fill(&kd, &md) {
            let extra = if f == "date_of_birth" {
                ", date_of_birth_approximate = (SELECT m.date_of_birth_approximate FROM persons m WHERE m.id = $2)"
            } else {
                ""
            };
            let sql = format!(
                "UPDATE persons SET {f} = (SELECT m.{f} FROM persons m WHERE m.id = $2){extra} WHERE id = $1"
            );
            on_tx!(&mut tx, c => sqlx::query(&sql).bind(kept).bind(merged).execute(c).await.map(|_| ()))?;
            moved.filled.push(f.to_string());
        }
    }
    // The external id (the key of re-imports) follows the person, unless
    // the kept record has its own.
    let ids: (Option<String>, Option<String>) = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT k.external_id, m.external_id FROM persons k, persons m WHERE k.id = $1 AND m.id = $2")
        .bind(kept).bind(merged).fetch_one(c).await)?;
    if let (None, Some(ext)) = ids {
        {
            on_tx!(&mut tx, c => sqlx::query("UPDATE persons SET external_id = NULL WHERE id = $1")
                .bind(merged).execute(c).await.map(|_| ()))?;
            on_tx!(&mut tx, c => sqlx::query("UPDATE persons SET external_id = $1 WHERE id = $2")
                .bind(&ext).bind(kept).execute(c).await.map(|_| ()))?;
            moved.external_id = true;
        }
    }
    if !moved.filled.is_empty() || moved.external_id {
        rederive(&mut tx, kept).await?;
    }
    // The merged person leaves duplicate detection.
    on_tx!(&mut tx, c => sqlx::query("UPDATE persons SET merged_into = $1 WHERE id = $2")
        .bind(kept).bind(merged).execute(c).await.map(|_| ()))?;
    // The search box forgets them too; the scheme marker ('~search:N')
    // stays so that the search backfill does not index them again.
    for sql in [
        "DELETE FROM person_search_terms WHERE person_id = $1 AND term NOT LIKE '~%'",
        "DELETE FROM person_match_keys WHERE person_id = $1",
        "DELETE FROM duplicate_candidates WHERE a = $1 OR b = $1",
        "DELETE FROM duplicate_pending WHERE person_id = $1",
    ] {
        on_tx!(&mut tx, c => sqlx::query(sql).bind(merged).execute(c).await.map(|_| ()))?;
    }
    let id = Uuid::new_v4();
    let moved_json = serde_json::to_string(&moved).map_err(|e| Error::Io(e.to_string()))?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO person_merges (id, kept_id, merged_id, moved, merged_by, merged_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(id).bind(kept).bind(merged).bind(&moved_json).bind(actor.user_id).bind(now)
        .execute(c).await.map(|_| ()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "merge",
            entity: "person",
            entity_id: Some(kept.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({
                "merge_id": id,
                "kept": kept,
                "merged": merged,
                "moved": moved.counts(),
                "dropped": moved.dropped.len(),
                "filled": moved.filled,
                "external_id": moved.external_id,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    // The kept person's candidates now include what the merged one had;
    // if this fails the pending mark written above retries it later.
    let _ = crate::duplicates::refresh(store, kept).await;
    get(store, actor, id).await
}

const SELECT_MERGES: &str = "SELECT g.id, g.kept_id, g.merged_id, pk.display_name AS kept_name, pm.display_name AS merged_name, \
     g.moved, ub.name AS merged_by, g.merged_at, uu.name AS undone_by, g.undone_at \
     FROM person_merges g JOIN persons pk ON pk.id = g.kept_id JOIN persons pm ON pm.id = g.merged_id \
     LEFT JOIN users ub ON ub.id = g.merged_by LEFT JOIN users uu ON uu.id = g.undone_by";

/// `AND <the kept person is in the actor's scope>` for merges aliased `g`.
fn push_scope(actor: &Actor, q: &mut crate::sql::Sql) {
    if actor.scope() != homeward_domain::Scope::All {
        q.push(" AND EXISTS (SELECT 1 FROM persons p WHERE p.id = g.kept_id");
        actor.push_person_scope(q);
        q.push(")");
    }
}

/// One merge whose kept person is in the actor's scope (404 otherwise).
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Merge> {
    use crate::bind_params;
    use crate::sql::{Param, Sql};
    crate::duplicates::require_reviewer(actor)?;
    let mut q = Sql::new(SELECT_MERGES);
    q.push(" WHERE g.id = ").bind(Param::Uuid(id));
    push_scope(actor, &mut q);
    on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, MergeRow>(&q.text), q.params).fetch_optional(p).await)?
        .map(MergeRow::view)
        .ok_or(Error::NotFound)
}

/// Merges whose kept person is in the actor's scope, newest first, and how many.
pub async fn history(
    store: &Store,
    actor: &Actor,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Merge>, i64)> {
    use crate::bind_params;
    use crate::sql::{Param, Sql};
    crate::duplicates::require_reviewer(actor)?;
    let mut w = Sql::new(" WHERE 1 = 1");
    push_scope(actor, &mut w);
    let count_sql = format!("SELECT COUNT(*) FROM person_merges g{}", w.text);
    let total: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar(&count_sql), w.params).fetch_one(p).await)?;
    w.push(" ORDER BY g.merged_at DESC, g.id LIMIT ")
        .bind(Param::I64(limit.clamp(1, 200)))
        .push(" OFFSET ")
        .bind(Param::I64(offset.max(0)));
    let sql = format!("{SELECT_MERGES}{}", w.text);
    let rows = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, MergeRow>(&sql), w.params).fetch_all(p).await)?;
    Ok((rows.into_iter().map(MergeRow::view).collect(), total))
}

/// Undoes merge `id`: moves back exactly the rows it moved, puts back the
/// rows it removed, empties the details it filled (those not changed since),
/// and restores the merged person. Refused: a second undo (422,
/// `merge: undo-done`); an undo after the kept person was merged into
/// someone else (422, `merge: undo-kept-merged`: undo that merge first).
pub async fn undo(store: &Store, actor: &Actor, id: Uuid) -> Result<Merge> {
    let g = get(store, actor, id).await?;
    if g.undone_at.is_some() {
        return Err(refused("undo-done"));
    }
    let (kept, merged) = (g.kept_id, g.merged_id);
    let mut tx = store.begin().await?;
    let now = crate::now();
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE person_merges SET undone_by = $1, undone_at = $2 WHERE id = $3 AND undone_at IS NULL")
        .bind(actor.user_id).bind(now).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(refused("undo-done"));
    }
    let state: Vec<(Uuid, Option<Uuid>)> = on_tx!(&mut tx, c => sqlx::query_as(
        "SELECT id, merged_into FROM persons WHERE id IN ($1, $2)").bind(kept).bind(merged).fetch_all(c).await)?;
    let into = |p: Uuid| state.iter().find(|(i, _)| *i == p).map(|(_, m)| *m);
    if into(kept) != Some(None) {
        return Err(refused("undo-kept-merged"));
    }
    if into(merged) != Some(Some(kept)) {
        return Err(refused("undo-done"));
    }
    let moved = g.moved.clone();
    for m in &MOVES {
        let Some(keys) = moved.rows.get(m.table) else {
            continue;
        };
        let sql = format!(
            "UPDATE {} SET {} = $1 WHERE {} = $2 AND {} = $3",
            m.table, m.person, m.person, m.key
        );
        for key in keys {
            on_tx!(&mut tx, c => sqlx::query(&sql).bind(merged).bind(kept).bind(key).execute(c).await.map(|_| ()))?;
        }
        if m.table == "cases" {
            for key in keys {
                on_tx!(&mut tx, c => sqlx::query(
                    "UPDATE cases SET version = version + 1, updated_at = $1 WHERE id = $2")
                    .bind(now).bind(key).execute(c).await.map(|_| ()))?;
            }
        }
    }
    for d in &moved.dropped {
        let Some(m) = MOVES.iter().find(|m| m.table == d.table) else {
            continue;
        };
        let Some(shared) = m.shared else {
            continue;
        };
        let sql = format!(
            "INSERT INTO {t} ({key}, {p}, {shared}) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            t = m.table,
            key = m.key,
            p = m.person,
            shared = shared
        );
        on_tx!(&mut tx, c => sqlx::query(&sql).bind(d.key).bind(merged).bind(&d.value).execute(c).await.map(|_| ()))?;
        if let Some(kv) = &d.kept_value {
            on_tx!(&mut tx, c => sqlx::query(
                "UPDATE case_members SET relationship = $1 WHERE case_id = $2 AND person_id = $3")
                .bind(kv).bind(d.key).bind(kept).execute(c).await.map(|_| ()))?;
        }
    }
    for f in &moved.filled {
        // Only a value still as it came from the merged record goes.
        let Some(f) = homeward_domain::merge::FILLABLE.iter().find(|x| *x == f) else {
            continue;
        };
        let extra = if *f == "date_of_birth" {
            ", date_of_birth_approximate = FALSE"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE persons SET {f} = NULL{extra} WHERE id = $1 AND {f} = (SELECT m.{f} FROM persons m WHERE m.id = $2)"
        );
        on_tx!(&mut tx, c => sqlx::query(&sql).bind(kept).bind(merged).execute(c).await.map(|_| ()))?;
    }
    if moved.external_id {
        let ext: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT external_id FROM persons WHERE id = $1").bind(kept).fetch_one(c).await)?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE persons SET external_id = NULL WHERE id = $1")
            .bind(kept).execute(c).await.map(|_| ()))?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE persons SET external_id = $1 WHERE id = $2")
            .bind(&ext).bind(merged).execute(c).await.map(|_| ()))?;
    }
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE persons SET merged_into = NULL, version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now).bind(merged).execute(c).await.map(|_| ()))?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE persons SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(now).bind(kept).execute(c).await.map(|_| ()))?;
    rederive(&mut tx, kept).await?;
    rederive(&mut tx, merged).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "merge_undo",
            entity: "person",
            entity_id: Some(kept.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({
                "merge_id": id,
                "kept": kept,
                "merged": merged,
                "moved_back": moved.counts(),
                "restored": moved.dropped.len(),
                "emptied": moved.filled,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    // Both are candidates again (the pending marks retry on failure).
    let _ = crate::duplicates::refresh(store, merged).await;
    let _ = crate::duplicates::refresh(store, kept).await;
    get(store, actor, id).await
}

/// Whether person `id` was merged into someone (and whom).
pub async fn merged_into(store: &Store, id: Uuid) -> Result<Option<Uuid>> {
    Ok(
        on_db!(&store.db, p => sqlx::query_scalar::<_, Option<Uuid>>("SELECT merged_into FROM persons WHERE id = $1")
        .bind(id).fetch_optional(p).await)?
        .flatten(),
    )
}

/// Checks that the actor may review and sees both people (404 otherwise),
/// and that neither was merged away; returns both rows.
pub async fn both_in_scope(
    store: &Store,
    actor: &crate::Actor,
    x: Uuid,
    y: Uuid,
) -> Result<(crate::persons::PersonRow, crate::persons::PersonRow)> {
    crate::duplicates::require_reviewer(actor)?;
    if x == y {
        return Err(crate::Error::NotFound);
    }
    let px = crate::persons::get_row(store, actor, x).await?;
    let py = crate::persons::get_row(store, actor, y).await?;
    Ok((px, py))
}

/// Records that `x` and `y` are two different people: their pair leaves the
/// queue and never comes back (candidates, the queue and `homeward
/// duplicates` skip it). Supervisors, both people in scope. Idempotent.
pub async fn mark_not_duplicates(
    store: &Store,
    actor: &crate::Actor,
    x: Uuid,
    y: Uuid,
) -> Result<()> {
    both_in_scope(store, actor, x, y).await?;
    let (a, b) = crate::duplicates::ordered(x, y);
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO person_not_duplicates (a, b, decided_by, decided_at) VALUES ($1, $2, $3, $4) ON CONFLICT (a, b) DO NOTHING")
        .bind(a).bind(b).bind(actor.user_id).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM duplicate_candidates WHERE a = $1 AND b = $2")
        .bind(a).bind(b).execute(c).await.map(|_| ()))?;
    if n > 0 {
        crate::audit::record(
            &mut tx,
            Some(actor),
            crate::audit::Entry {
                action: "not_duplicates",
                entity: "person",
                entity_id: Some(a.to_string()),
                case_id: None,
                before: None,
                after: Some(serde_json::json!({ "a": a, "b": b })),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
