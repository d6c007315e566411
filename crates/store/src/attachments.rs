//! Attachments: scans and letters on a case. The type is checked from the
//! content, not the name; files live under the data folder, named by random
//! ids, outside any web root; every download passes the same checks as the
//! case data, and is audited.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::crypto::aad;
use crate::{consents, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::{Action, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The table; `file_name` and the files themselves are sealed at rest (ADR 0028).
pub(crate) const TABLE: &str = "attachments";
pub use homeward_domain::files::{MAX_BYTES, TYPES};
/// What an attachment can be.
pub const KINDS: [&str; 4] = ["declaration", "identity", "letter", "other"];

/// An attachment's record.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attachment {
    pub id: Uuid,
    pub kind: String,
    pub file_name: String,
    pub content_type: String,
    pub size_bytes: i64,
    pub sha256: String,
    pub uploaded_by_name: Option<String>,
    pub uploaded_at: DateTime<Utc>,
    #[serde(skip)]
    pub storage_key: String,
}

macro_rules! attachment_columns {
    () => {
        "a.id, a.kind, a.file_name, a.content_type, a.size_bytes, a.sha256, u.name AS uploaded_by_name, \
         a.uploaded_at, a.storage_key"
    };
}
const COLUMNS: &str = attachment_columns!();
const SELECT: &str = concat!(
    "SELECT ",
    attachment_columns!(),
    " FROM attachments a LEFT JOIN users u ON u.id = a.uploaded_by"
);

async fn may_read(store: &Store, actor: &Actor, case_id: Uuid) -> Result<bool> {
    consents::may_read_restricted(store, actor, case_id, Resource::Attachment).await
}

fn path(store: &Store, key: &str) -> std::path::PathBuf {
    store.data_dir.join("attachments").join(key)
}

/// The associated data of a file's bytes: its storage key.
fn file_aad(key: &str) -> String {
    format!("attachments.file:{key}")
}

/// Seals `bytes` and writes them under `key` (a random id, the row's
/// `storage_key`): to a `.part` file first, then renamed, so a crash never
/// leaves half a file under a real name. Write the file before the row that
/// names it, and [`remove_file`] it if that row is not committed.
pub async fn write_file(store: &Store, key: &str, bytes: &[u8]) -> Result<()> {
    let sealed = store.keys.seal_file(&file_aad(key), bytes)?;
    let dir = store.data_dir.join("attachments");
    let io = |e: std::io::Error| Error::Io(e.to_string());
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    let tmp = dir.join(format!("{key}.part"));
    if let Err(e) = tokio::fs::write(&tmp, &sealed).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io(e));
    }
    if let Err(e) = tokio::fs::rename(&tmp, path(store, key)).await {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(io(e));
    }
    Ok(())
}

/// Reads and opens the file stored under `key`.
pub(crate) async fn read_file(store: &Store, key: &str) -> Result<Vec<u8>> {
    let stored = tokio::fs::read(path(store, key))
        .await
        .map_err(|e| Error::Io(e.to_string()))?;
    Ok(store.keys.open_file(&file_aad(key), &stored)?)
}

/// Removes the file stored under `key`, if there is one: the undo of
/// [`write_file`] when the row naming it was not written.
pub async fn remove_file(store: &Store, key: &str) {
    let _ = tokio::fs::remove_file(path(store, key)).await;
}

/// Seals an attachment's original name (it can say what a scan is about),
/// as the row `id`'s `file_name` column holds it.
pub fn seal_name(store: &Store, id: Uuid, name: &str) -> Result<String> {
    Ok(store.keys.seal(&aad(TABLE, "file_name", id), name)?)
}

/// Opens the sealed parts of a record read from the database. The name is
/// given the extension of the detected type again, so files kept before
/// names were checked are served under an honest name too.
pub(crate) fn reveal(store: &Store, mut a: Attachment) -> Result<Attachment> {
    let name = store
        .keys
        .open(&aad(TABLE, "file_name", a.id), &a.file_name)?;
    let fallback = if a.kind == "receipt" {
        "receipt"
    } else {
        "attachment"
    };
    a.file_name = homeward_domain::files::served_name(&name, &a.content_type, fallback);
    Ok(a)
}

/// Stores a file on a case in scope.
pub async fn add(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    kind: &str,
    file_name: &str,
    bytes: &[u8],
) -> Result<Attachment> {
    actor.require(Resource::Attachment, Action::Create)?;
    scope::summary(store, actor, case_id.into()).await?;
    let mut inv = Invalid::default();
    if !KINDS.contains(&kind) {
        inv.add("kind", "invalid-choice");
    }
    let content_type = match homeward_domain::files::check_upload("file", bytes) {
        Ok(t) => Some(t),
        Err(e) => {
            inv.errors.extend(e.errors);
            None
        }
    };
    inv.into_result()?;
    let content_type = content_type.unwrap_or("application/octet-stream");
    let id = Uuid::new_v4();
    let key = Uuid::new_v4().simple().to_string();
    let sha = hex::encode(Sha256::digest(bytes));
    let file = path(store, &key);
    let name = homeward_domain::files::served_name(file_name, content_type, "attachment");
    let sealed_name = seal_name(store, id, &name)?;
    write_file(store, &key, bytes).await?;
    let written: Result<()> = async {
        let mut tx = store.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO attachments (id, case_id, kind, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind(id).bind(case_id).bind(kind).bind(&sealed_name).bind(content_type).bind(bytes.len() as i64).bind(&sha)
            .bind(&key).bind(actor.user_id).bind(crate::now())
            .execute(c).await.map(|r| r.rows_affected()))?;
        audit::record(&mut tx, Some(actor), Entry {
            action: "upload", entity: "attachment", entity_id: Some(id.to_string()), case_id: Some(case_id), before: None,
            // Not the original name: it can say what the scan is about.
            after: Some(json!({"kind": kind, "content_type": content_type, "size_bytes": bytes.len(), "sha256": sha})),
        }).await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        // Nothing half-written: no row, so no file either.
        let _ = tokio::fs::remove_file(&file).await;
        return Err(e);
    }
    get(store, actor, case_id, id).await
}

/// The attachments of a case in scope.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Attachment>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    if !may_read(store, actor, case_id).await? {
        // Out of scope reads as not found, whatever the role.
        scope::summary(store, actor, case).await?;
        return Err(Error::Forbidden);
    }
    let rows: Vec<Attachment> = scope::section(
        store,
        actor,
        case,
        "a.id",
        COLUMNS,
        "LEFT JOIN attachments a ON a.case_id = c.id LEFT JOIN users u ON u.id = a.uploaded_by",
        "ORDER BY a.uploaded_at, a.id",
    )
    .await?;
    rows.into_iter().map(|a| reveal(store, a)).collect()
}

/// One attachment's record.
pub async fn get(store: &Store, actor: &Actor, case_id: Uuid, id: Uuid) -> Result<Attachment> {
    scope::summary(store, actor, case_id.into()).await?;
    if !may_read(store, actor, case_id).await? {
        return Err(Error::Forbidden);
    }
    let sql = format!("{SELECT} WHERE a.case_id = $1 AND a.id = $2");
    let a = on_db!(&store.db, p => sqlx::query_as::<_, Attachment>(&sql).bind(case_id).bind(id).fetch_optional(p).await)?
        .ok_or(Error::NotFound)?;
    reveal(store, a)
}

/// The file's bytes, after the checks; the download is audited.
pub async fn open(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    id: Uuid,
) -> Result<(Attachment, Vec<u8>)> {
    let a = get(store, actor, case_id, id).await?;
    let bytes = read_file(store, &a.storage_key).await?;
    audit::record_read(store, actor, "attachment", id, Some(case_id)).await?;
    Ok((a, bytes))
}

/// Whether the case has an attachment of `kind` (for workflow guards).
pub async fn has_kind(store: &Store, case_id: Uuid, kind: &str) -> Result<bool> {
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM attachments WHERE case_id = $1 AND kind = $2")
        .bind(case_id).bind(kind).fetch_one(p).await)?;
    Ok(n > 0)
}
