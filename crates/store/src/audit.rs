//! The audit trail: every change is written with its entry in the same
//! transaction, and opening a case or restricted data records a read. Entries
//! are sealed into a hash chain afterwards ([`seal`], [`verify`]; ADR 0022).

mod chain;
mod row;

pub use row::AuditRow;

pub use chain::{
    entry_hash, head, seal, seal_up_to, verify, ExpectedHead, Head, Problem, ProblemKind, Verdict,
    GENESIS,
};

use crate::actor::Actor;
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Db, Error, Result, Store, Tx};
use chrono::{DateTime, Utc};
use homeward_domain::{Action, Resource};
use serde_json::Value;
use uuid::Uuid;

/// One change (or read) to record.
pub struct Entry<'a> {
    pub action: &'a str,
    pub entity: &'a str,
    pub entity_id: Option<String>,
    pub case_id: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

const INSERT: &str = "INSERT INTO audit_log (at, actor_id, actor_email, action, entity, entity_id, case_id, before_json, after_json, request_id) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

/// The INSERT of `e` by `actor`, ready to run on either database.
macro_rules! insert_entry {
    ($actor:expr, $e:expr) => {
        sqlx::query(INSERT)
            .bind(crate::now())
            .bind($actor.map(|a| a.user_id))
            .bind($actor.map(|a| a.email.clone()))
            .bind($e.action)
            .bind($e.entity)
            .bind($e.entity_id.clone())
            .bind($e.case_id)
            .bind($e.before.as_ref().map(|v| v.to_string()))
            .bind($e.after.as_ref().map(|v| v.to_string()))
            .bind($actor.and_then(|a| a.request_id.clone()))
    };
}

/// Writes an entry inside the caller's transaction.
pub async fn record(tx: &mut Tx, actor: Option<&Actor>, e: Entry<'_>) -> Result<()> {
    on_tx!(tx, c => insert_entry!(actor, e).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a read of a case on its own (reads have no other change to join).
pub async fn record_read(
    store: &Store,
    actor: &Actor,
    entity: &str,
    id: Uuid,
    case_id: Option<Uuid>,
) -> Result<()> {
    let e = Entry {
        action: "read",
        entity,
        entity_id: Some(id.to_string()),
        case_id,
        before: None,
        after: None,
    };
    match &store.db {
        // One statement is its own transaction: one round trip instead of
        // three (BEGIN, INSERT, COMMIT) on every case view.
        Db::Postgres(p) => {
            insert_entry!(Some(actor), e).execute(p).await?;
            Ok(())
        }
        // SQLite writers queue on BEGIN IMMEDIATE (see `Store::begin`).
        Db::Sqlite(_) => {
            let mut tx = store.begin().await?;
            record(&mut tx, Some(actor), e).await?;
            tx.commit().await
        }
    }
}

/// Filters for the audit trail. Empty fields filter nothing.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_email: Option<String>,
    pub action: Option<String>,
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub case_id: Option<Uuid>,
    /// Entries about a person: the person's own records and those of every
    /// case they are a member of, and the same for everyone merged into
    /// them (a case's id also matches its entries).
    pub person_id: Option<Uuid>,
    /// Entries of the case with this number.
    pub case_number: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

/// The people merged into `id`, and into those, and so on, while the merges
/// stand: their entries are part of `id`'s history (an undone merge gives
/// them back).
pub async fn merged_people(store: &Store, id: Uuid) -> Result<Vec<Uuid>> {
    let mut found: Vec<Uuid> = Vec::new();
    let mut frontier = vec![id];
    // A merge's kept person is never itself merged away while the merge
    // stands, so the chain ends; the bound guards against a cycle anyway.
    for _ in 0..16 {
        let Some(next) = frontier.pop() else { break };
        let ids: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
            "SELECT merged_id FROM person_merges WHERE kept_id = $1 AND undone_at IS NULL ORDER BY merged_at")
            .bind(next).fetch_all(p).await)?;
        for m in ids {
            if m != id && !found.contains(&m) {
                found.push(m);
                frontier.push(m);
            }
        }
    }
    Ok(found)
}

/// The people whose entries a person filter reads: the person and everyone
/// merged into them.
async fn filter_people(store: &Store, f: &AuditFilter) -> Result<Vec<Uuid>> {
    match f.person_id {
        Some(id) => {
            let mut ids = vec![id];
            ids.extend(merged_people(store, id).await?);
            Ok(ids)
        }
        None => Ok(Vec::new()),
    }
}

/// The WHERE clause of a filter (shared by the page, its count and the
/// export); `people` is [`filter_people`]'s answer.
fn filter_sql(f: &AuditFilter, people: &[Uuid]) -> Sql {
    let mut w = Sql::new(" WHERE 1 = 1");
    if let Some(v) = &f.actor_email {
        w.push(" AND actor_email = ")
            .bind(Param::Text(v.to_lowercase()));
    }
    if let Some(v) = &f.action {
        w.push(" AND action = ").bind(Param::Text(v.clone()));
    }
    if let Some(v) = &f.entity {
        w.push(" AND entity = ").bind(Param::Text(v.clone()));
    }
    if let Some(v) = &f.entity_id {
        w.push(" AND entity_id = ").bind(Param::Text(v.clone()));
    }
    if let Some(v) = f.case_id {
        w.push(" AND case_id = ").bind(Param::Uuid(v));
    }
    if !people.is_empty() {
        let uuids = || people.iter().map(|id| Param::Uuid(*id));
        w.push(" AND (entity_id IN (")
            .bind_list(people.iter().map(|id| Param::Text(id.to_string())))
            .push(") OR case_id IN (")
            .bind_list(uuids())
            .push(") OR case_id IN (SELECT case_id FROM case_members WHERE person_id IN (")
            .bind_list(uuids())
            .push(")))");
    }
    if let Some(v) = &f.case_number {
        w.push(" AND case_id = (SELECT id FROM cases WHERE case_number = ")
            .bind(Param::Text(v.trim().to_uppercase()))
            .push(")");
    }
    if let Some(v) = f.from {
        w.push(" AND at >= ").bind(Param::Time(v));
    }
    if let Some(v) = f.to {
        w.push(" AND at < ").bind(Param::Time(v));
    }
    w
}

/// Lists entries, newest first. Auditors only.
pub async fn list(store: &Store, actor: &Actor, f: &AuditFilter) -> Result<(Vec<AuditRow>, i64)> {
    actor.require(Resource::Audit, Action::Read)?;
    list_unchecked(store, f).await
}

/// [`list`] without the role check, for the store's own use (a person's
/// subject access export).
pub(crate) async fn list_unchecked(store: &Store, f: &AuditFilter) -> Result<(Vec<AuditRow>, i64)> {
    let w = filter_sql(f, &filter_people(store, f).await?);
    let count_sql = format!("SELECT COUNT(*) FROM audit_log{}", w.text);
    let total: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar(&count_sql), w.params).fetch_one(p).await)?;
    let mut q = w.clone();
    q.push(" ORDER BY id DESC LIMIT ")
        .bind(Param::I64(f.limit.clamp(1, 500)))
        .push(" OFFSET ")
        .bind(Param::I64(f.offset.max(0)));
    let sql = format!("SELECT {} FROM audit_log{}", chain::COLUMNS, q.text);
    let rows = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, AuditRow>(&sql), q.params).fetch_all(p).await)?;
    Ok((rows, total))
}

/// Every entry matching `f` (ignoring its paging), oldest first, sent one by
/// one as the database returns them, so an export of millions of entries
/// holds only a few in memory. Auditors only. The rows stop, with an error
/// last if one occurred, when the query ends or the receiver is dropped.
pub fn stream(
    store: &Store,
    actor: &Actor,
    f: &AuditFilter,
) -> Result<tokio::sync::mpsc::Receiver<Result<AuditRow>>> {
    use futures_util::TryStreamExt;
    actor.require(Resource::Audit, Action::Read)?;
    let (tx, rx) = tokio::sync::mpsc::channel(256);
    let store = store.clone();
    let f = f.clone();
    tokio::spawn(async move {
        let res: Result<()> = async {
            let w = filter_sql(&f, &filter_people(&store, &f).await?);
            let sql = format!(
                "SELECT {} FROM audit_log{} ORDER BY id",
                chain::COLUMNS,
                w.text
            );
            on_db!(&store.db, p => {
                let mut rows = bind_params!(sqlx::query_as::<_, AuditRow>(&sql), w.params).fetch(p);
                while let Some(row) = rows.try_next().await? {
                    if tx.send(Ok(row)).await.is_err() {
                        // The reader went away (download cancelled).
                        break;
                    }
                }
            });
            Ok(())
        }
        .await;
        if let Err(e) = res {
            let _ = tx.send(Err(e)).await;
        }
    });
    Ok(rx)
}

/// Maps a unique violation to [`Error::Duplicate`].
pub(crate) fn map_unique(e: sqlx::Error, field: &'static str) -> Error {
    if Error::is_unique_violation(&e) {
        Error::Duplicate(field)
    } else {
        Error::Db(e)
    }
}
