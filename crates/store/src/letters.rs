//! Generated letters (PDF): kept with their SHA-256 and the case version they
//! were made from, so a reader can tell whether the case changed since.
//! Rendering happens outside the store (the `homeward-letters` crate).
//!
//! Who may: [`homeward_domain::Role::may_read_letter`] decides per kind;
//! record scope applies through the case.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::{Action, Resource};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// A stored letter, without its bytes.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Letter {
    pub id: Uuid,
    pub case_id: Uuid,
    pub kind: String,
    pub lang: String,
    pub sha256: String,
    pub size: i64,
    pub data_version: i64,
    pub created_by_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Stores a letter made from the case at `data_version`.
pub async fn save(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    kind: &str,
    lang: &str,
    data_version: i64,
    pdf: &[u8],
) -> Result<Letter> {
    actor.require(Resource::Letter, Action::Create)?;
    if !actor.role.may_read_letter(kind) {
        return Err(Error::Forbidden);
    }
    scope::summary(store, actor, case_id.into()).await?;
    let id = Uuid::new_v4();
    let sha = hex::encode(Sha256::digest(pdf));
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO letters (id, case_id, kind, lang, sha256, size, data_version, content, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id).bind(case_id).bind(kind).bind(lang).bind(&sha).bind(pdf.len() as i64).bind(data_version)
        .bind(pdf).bind(actor.user_id).bind(crate::now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "letter",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(
                json!({"kind": kind, "lang": lang, "sha256": sha, "data_version": data_version}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

macro_rules! letter_columns {
    () => {
        "l.id, l.case_id, l.kind, l.lang, l.sha256, l.size, l.data_version, u.name AS created_by_name, l.created_at"
    };
}
const COLUMNS: &str = letter_columns!();
const SELECT: &str = concat!(
    "SELECT ",
    letter_columns!(),
    " FROM letters l LEFT JOIN users u ON u.id = l.created_by"
);

/// The case's letters the actor may read, newest first.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Letter>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Letter, Action::Read)?;
    let rows: Vec<Letter> = scope::section(
        store,
        actor,
        case,
        "l.id",
        COLUMNS,
        "LEFT JOIN letters l ON l.case_id = c.id LEFT JOIN users u ON u.id = l.created_by",
        "ORDER BY l.created_at DESC, l.id",
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter(|l| actor.role.may_read_letter(&l.kind))
        .collect())
}

/// One letter's record, if the actor may read it (else not found).
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Letter> {
    actor.require(Resource::Letter, Action::Read)?;
    let l: Option<Letter> = on_db!(&store.db, p => sqlx::query_as::<_, Letter>(&format!("{SELECT} WHERE l.id = $1"))
        .bind(id).fetch_optional(p).await)?;
    let l = l.ok_or(Error::NotFound)?;
    scope::summary(store, actor, l.case_id.into()).await?;
    if !actor.role.may_read_letter(&l.kind) {
        return Err(Error::NotFound);
    }
    Ok(l)
}

/// A letter and its bytes, checked against the stored hash; the read is audited.
pub async fn content(store: &Store, actor: &Actor, id: Uuid) -> Result<(Letter, Vec<u8>)> {
    let l = get(store, actor, id).await?;
    let bytes: Vec<u8> = on_db!(&store.db, p => sqlx::query_scalar("SELECT content FROM letters WHERE id = $1")
        .bind(id).fetch_one(p).await)?;
    if hex::encode(Sha256::digest(&bytes)) != l.sha256 {
        return Err(Error::Io("letter content does not match its hash".into()));
    }
    audit::record_read(store, actor, "letter", id, Some(l.case_id)).await?;
    Ok((l, bytes))
}
