//! Which data keys hold the restricted data, and moving it all to the newest
//! key (`homeward keys status`, `homeward keys rotate`; ADR 0028).
//!
//! Rotation works in batches, each committed on its own, and picks only
//! values not yet under the current key: interrupted, it starts again where
//! it stopped. Files are rewritten through a `.part` file and a rename, so a
//! file is always whole under one key or the other.

use crate::audit::{self, Entry};
use crate::crypto::{aad, file_key_id_of, key_id_of, CryptoError, TEXT_PREFIX};
use crate::{on_db, on_tx, Error, Result, Store};
use serde::Serialize;
use uuid::Uuid;

/// Every sealed column, by table: rows are keyed by `id`.
pub const SEALED_COLUMNS: &[(&str, &[&str])] = &[
    ("counselling_sessions", &["notes"]),
    (
        crate::readiness::VULNERABILITIES,
        &["kind", "details", "follow_up"],
    ),
    (crate::readiness::FITNESS, &["notes", "special_assistance"]),
    (crate::attachments::TABLE, &["file_name"]),
    ("users", &["totp_secret"]),
    (crate::feedback::TABLE, &["body", "answer"]),
];

const BATCH: i64 = 500;

/// How many values (or files) each key holds; `plain` counts values written
/// before encryption.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct KeyCount {
    /// `table.column`, or `attachments (files)`.
    pub what: String,
    /// A key id, or `plain`, or `missing` for a file that is not on disk.
    pub key: String,
    pub count: i64,
}

/// What a rotation changed.
#[derive(Debug, Default, Clone, Serialize, PartialEq, Eq)]
pub struct Rotated {
    /// Values re-sealed (or sealed for the first time).
    pub values: u64,
    pub files: u64,
    /// Files listed in the database but not on disk (reported, not fatal).
    pub missing_files: u64,
}

fn current_pattern(store: &Store) -> Result<String> {
    let id = store.keys.current_id().ok_or(CryptoError::NoKey)?;
    Ok(format!("{TEXT_PREFIX}{id}:%"))
}

/// Counts values per key for every sealed column, and files per key.
pub async fn status(store: &Store) -> Result<Vec<KeyCount>> {
    let mut out = Vec::new();
    for (table, columns) in SEALED_COLUMNS {
        for column in *columns {
            // The key id sits between the first and second colon.
            let sql = format!(
                "SELECT {column} FROM {table} WHERE {column} IS NOT NULL ORDER BY id LIMIT $1 OFFSET $2"
            );
            let mut counts = std::collections::BTreeMap::<String, i64>::new();
            let mut offset = 0i64;
            loop {
                let vals: Vec<String> = on_db!(&store.db, p => sqlx::query_scalar(&sql).bind(5000i64).bind(offset).fetch_all(p).await)?;
                for v in &vals {
                    *counts
                        .entry(key_id_of(v).unwrap_or("plain").to_string())
                        .or_default() += 1;
                }
                if (vals.len() as i64) < 5000 {
                    break;
                }
                offset += 5000;
            }
            for (key, count) in counts {
                out.push(KeyCount {
                    what: format!("{table}.{column}"),
                    key,
                    count,
                });
            }
        }
    }
    let mut counts = std::collections::BTreeMap::<String, i64>::new();
    for key in storage_keys(store).await? {
        let k = match read_head(store, &key).await? {
            None => "missing".to_string(),
            Some(head) => file_key_id_of(&head).unwrap_or("plain").to_string(),
        };
        *counts.entry(k).or_default() += 1;
    }
    for (key, count) in counts {
        out.push(KeyCount {
            what: "attachments (files)".into(),
            key,
            count,
        });
    }
    Ok(out)
}

async fn storage_keys(store: &Store) -> Result<Vec<String>> {
    Ok(
        on_db!(&store.db, p => sqlx::query_scalar("SELECT storage_key FROM attachments ORDER BY storage_key")
        .fetch_all(p).await)?,
    )
}

/// The first bytes of a stored file (enough for its header), `None` if it is gone.
async fn read_head(store: &Store, key: &str) -> Result<Option<Vec<u8>>> {
    use tokio::io::AsyncReadExt;
    let path = store.data_dir.join("attachments").join(key);
    let mut f = match tokio::fs::File::open(&path).await {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::Io(e.to_string())),
    };
    let mut head = vec![0u8; 48];
    let mut n = 0;
    while n < head.len() {
        let r = f
            .read(&mut head[n..])
            .await
            .map_err(|e| Error::Io(e.to_string()))?;
        if r == 0 {
            break;
        }
        n += r;
    }
    head.truncate(n);
    Ok(Some(head))
}

/// Seals every value and file not yet under the current key with it, and
/// recomputes the keyed hashes. `progress` hears each batch (what, how many).
pub async fn rotate(store: &Store, mut progress: impl FnMut(&str, u64)) -> Result<Rotated> {
    let pattern = current_pattern(store)?;
    let mut done = Rotated::default();
    for (table, columns) in SEALED_COLUMNS {
        let stale = columns
            .iter()
            .map(|c| format!("({c} IS NOT NULL AND {c} NOT LIKE $1)"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let sql = format!(
            "SELECT id, {} FROM {table} WHERE {stale} ORDER BY id LIMIT {BATCH}",
            columns.join(", ")
        );
        loop {
            let rows = fetch_rows(store, &sql, &pattern, columns.len()).await?;
            if rows.is_empty() {
                break;
            }
            let mut tx = store.begin().await?;
            for (id, values) in &rows {
                let mut sets = Vec::new();
                let mut binds: Vec<Option<String>> = Vec::new();
                for (column, value) in columns.iter().zip(values) {
                    let a = aad(table, column, *id);
                    let resealed = match value {
                        Some(v) if !store.keys.is_current(v) => {
                            let plain = store.keys.open(&a, v)?;
                            if *table == crate::readiness::VULNERABILITIES && *column == "kind" {
                                binds.push(Some(
                                    store.keys.index_hash(crate::readiness::KIND_HASH, &plain)?,
                                ));
                                sets.push("kind_hash".to_string());
                            }
                            Some(store.keys.seal(&a, &plain)?)
                        }
                        _ => continue,
                    };
                    binds.push(resealed);
                    sets.push(column.to_string());
                }
                if sets.is_empty() {
                    continue;
                }
                let assignments = sets
                    .iter()
                    .enumerate()
                    .map(|(i, c)| format!("{c} = ${}", i + 2))
                    .collect::<Vec<_>>()
                    .join(", ");
                let sql = format!("UPDATE {table} SET {assignments} WHERE id = $1");
                on_tx!(&mut tx, c => {
                    let mut q = sqlx::query(&sql).bind(*id);
                    for b in &binds {
                        q = q.bind(b.clone());
                    }
                    q.execute(c).await.map(|r| r.rows_affected())
                })?;
            }
            tx.commit().await?;
            done.values += rows.len() as u64;
            progress(table, rows.len() as u64);
        }
    }
    for key in storage_keys(store).await? {
        let Some(head) = read_head(store, &key).await? else {
            done.missing_files += 1;
            continue;
        };
        if file_key_id_of(&head).is_some() && file_key_id_of(&head) == store.keys.current_id() {
            continue;
        }
        let bytes = crate::attachments::read_file(store, &key).await?;
        crate::attachments::write_file(store, &key, &bytes).await?;
        done.files += 1;
        progress("attachments (files)", 1);
    }
    let mut tx = store.begin().await?;
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "rotate_keys",
            entity: "data_key",
            entity_id: store.keys.current_id().map(str::to_string),
            case_id: None,
            before: None,
            after: Some(serde_json::json!({
                "values": done.values, "files": done.files, "missing_files": done.missing_files,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}

type Row = (Uuid, Vec<Option<String>>);

async fn fetch_rows(store: &Store, sql: &str, pattern: &str, n: usize) -> Result<Vec<Row>> {
    use sqlx::Row as _;
    let rows = on_db!(&store.db, p => {
        let rows = sqlx::query(sql).bind(pattern).fetch_all(p).await?;
        rows.iter()
            .map(|r| -> std::result::Result<Row, sqlx::Error> {
                let id: Uuid = r.try_get(0)?;
                let vals = (1..=n)
                    .map(|i| r.try_get::<Option<String>, _>(i))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                Ok((id, vals))
            })
            .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
    })?;
    Ok(rows)
}
