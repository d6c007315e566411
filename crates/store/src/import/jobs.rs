//! Person imports run as background jobs (docs/adr/0033): an upload is
//! streamed to a sealed file under the data folder, a `person_import` job
//! reads it back, runs [`super::run`] with the uploader's record scope and
//! keeps the progress in `person_imports`, then deletes the upload and keeps
//! the report of invalid rows (sealed) for [`KEEP_DAYS`] days.
//!
//! Who may: supervisors ([`may_import`]) start imports; an import, its
//! progress and its report are visible to whoever started it only (anyone
//! else: `NotFound`, so ids reveal nothing; other roles: `Forbidden`).

use super::{ImportError, Options, Outcome, Progress, Raw, Records, Summary};
use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, TimeDelta, Utc};
use homeward_domain::import::{may_import, HeaderError, Mapping, MAX_RECORD_BYTES};
use serde::Serialize;
use serde_json::json;
use std::io::{self, BufRead, Read};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// The job kind that runs an import.
pub const JOB_KIND: &str = "person_import";

/// How long the report of an import is kept.
pub const KEEP_DAYS: i64 = 30;

/// Plain bytes per sealed frame of an upload: memory stays bounded whatever
/// the size of the file, and a frame cannot be moved or dropped unnoticed.
const FRAME: usize = 1024 * 1024;

/// Progress is written (and the job's lease renewed) at most this often.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);

/// An import as its owner sees it. It holds no personal value: counts,
/// and the report's existence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PersonImport {
    pub id: Uuid,
    #[serde(skip)]
    pub owner_id: Uuid,
    /// `queued`, `running`, `done`, `refused` (the file as a whole: nothing
    /// was written) or `failed` (stopped; the rows of finished batches stay).
    pub status: String,
    pub dry_run: bool,
    /// Size of the uploaded file.
    pub bytes_total: i64,
    pub bytes_read: i64,
    /// Data rows in the file (known once the job has counted them).
    pub total_rows: Option<i64>,
    /// Data rows handled so far.
    pub rows_done: i64,
    pub created: i64,
    pub updated: i64,
    pub unchanged: i64,
    /// Rows not imported (each has at least one line in the report).
    pub invalid: i64,
    /// Lines in the report.
    pub problems: i64,
    /// Why the file was refused or the import failed: a stable code
    /// (`empty`, `not-utf8`, `utf16`, `no-name-column`, `repeated-column`,
    /// `header-too-long`, `malformed-header`, `stopped`, `failed`).
    pub error_code: Option<String>,
    /// The same in English.
    pub error: Option<String>,
    /// What the refusal names (the columns found, the repeated column).
    pub error_detail: Option<String>,
    /// Whether a report of invalid rows can be downloaded.
    pub has_report: bool,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// When the report is deleted.
    pub expires_at: DateTime<Utc>,
}

impl PersonImport {
    /// Whether the job has not finished yet.
    pub fn in_progress(&self) -> bool {
        matches!(self.status.as_str(), "queued" | "running")
    }

    /// The counts as a [`Summary`].
    pub fn summary(&self) -> Summary {
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Summary {
            rows: n(self.rows_done),
            created: n(self.created),
            updated: n(self.updated),
            unchanged: n(self.unchanged),
            invalid: n(self.invalid),
        }
    }

    /// The progress bar's value and maximum: rows when counted, else bytes.
    pub fn progress(&self) -> (i64, i64) {
        match self.total_rows {
            Some(t) => (self.rows_done.min(t), t.max(1)),
            None => (
                self.bytes_read.min(self.bytes_total),
                self.bytes_total.max(1),
            ),
        }
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    owner_id: Uuid,
    status: String,
    dry_run: bool,
    mapping: String,
    bytes_total: i64,
    bytes_read: i64,
    total_rows: Option<i64>,
    rows_done: i64,
    created: i64,
    updated: i64,
    unchanged: i64,
    invalid: i64,
    problems: i64,
    error_code: Option<String>,
    error: Option<String>,
    error_detail: Option<String>,
    upload_path: Option<String>,
    report_path: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
    job_failed_at: Option<DateTime<Utc>>,
}

const SELECT: &str = "SELECT i.id, i.owner_id, i.status, i.dry_run, i.mapping, i.bytes_total, \
     i.bytes_read, i.total_rows, i.rows_done, i.created, i.updated, i.unchanged, i.invalid, i.problems, \
     i.error_code, i.error, i.error_detail, i.upload_path, i.report_path, i.created_at, i.finished_at, \
     i.expires_at, j.failed_at AS job_failed_at \
     FROM person_imports i LEFT JOIN jobs j ON j.id = i.job_id";

/// What the import says when its job stopped without finishing it.
const STOPPED: &str =
    "the import stopped before the end of the file (the server stopped or the job \
     failed); the rows of finished batches are kept: import the file again to complete it";

impl Row {
    fn into_import(self) -> PersonImport {
        let mut status = self.status;
        let (mut error_code, mut error) = (self.error_code, self.error);
        // A job that gave up (its worker stopped on its only attempt) never
        // wrote its end: say so rather than "running" for ever.
        if matches!(status.as_str(), "queued" | "running") && self.job_failed_at.is_some() {
            status = "failed".into();
            error_code = Some("stopped".into());
            error = Some(STOPPED.into());
        }
        PersonImport {
            id: self.id,
            owner_id: self.owner_id,
            status,
            dry_run: self.dry_run,
            bytes_total: self.bytes_total,
            bytes_read: self.bytes_read,
            total_rows: self.total_rows,
            rows_done: self.rows_done,
            created: self.created,
            updated: self.updated,
            unchanged: self.unchanged,
            invalid: self.invalid,
            problems: self.problems,
            error_code,
            error,
            error_detail: self.error_detail,
            has_report: self.report_path.is_some(),
            created_at: self.created_at,
            finished_at: self.finished_at,
            expires_at: self.expires_at,
        }
    }
}

async fn row(store: &Store, id: Uuid) -> Result<Row> {
    let r: Option<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(
        &format!("{SELECT} WHERE i.id = $1")).bind(id).fetch_optional(p).await)?;
    r.ok_or(Error::NotFound)
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(e.to_string())
}

fn upload_rel(id: Uuid) -> String {
    format!("import-uploads/{id}.sealed")
}

fn report_rel(owner: Uuid, id: Uuid) -> String {
    format!("import-reports/{owner}/{id}.csv.sealed")
}

fn frame_aad(id: Uuid, n: u64) -> String {
    format!("person_imports.upload:{id}:{n}")
}

fn end_aad(id: Uuid, n: u64) -> String {
    format!("person_imports.upload:{id}:{n}:end")
}

fn report_aad(id: Uuid) -> String {
    format!("person_imports.report:{id}")
}

/// Why an upload was not taken.
#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Over [`homeward_domain::import::MAX_UPLOAD_BYTES`].
    #[error("the file is larger than the upload limit")]
    TooLarge,
    #[error(transparent)]
    Store(#[from] Error),
}

/// An upload being written: sealed frames of [`FRAME`] bytes, to a `.part`
/// file renamed only when complete. Dropped without [`Upload::finish`], it
/// leaves a `.part` file that [`purge_expired`] removes; call
/// [`Upload::abort`] to remove it at once.
pub struct Upload {
    id: Uuid,
    file: tokio::fs::File,
    part: std::path::PathBuf,
    buf: Vec<u8>,
    frames: u64,
    bytes: u64,
    max: u64,
    store: Store,
}

impl Upload {
    /// Starts an upload of at most `max` bytes. Who may: supervisors
    /// (others: `Forbidden`, before anything is written).
    pub async fn begin(store: &Store, actor: &Actor, max: usize) -> Result<Upload> {
        if !may_import(actor.role) {
            return Err(Error::Forbidden);
        }
        // Without a data key nothing could be sealed: refuse before reading.
        store.keys.seal_file("person_imports.probe", b"")?;
        let id = Uuid::new_v4();
        let dir = store.data_dir.join("import-uploads");
        tokio::fs::create_dir_all(&dir).await.map_err(io)?;
        let part = dir.join(format!("{id}.sealed.part"));
        let file = tokio::fs::File::create(&part).await.map_err(io)?;
        Ok(Upload {
            id,
            file,
            part,
            buf: Vec::with_capacity(FRAME),
            frames: 0,
            bytes: 0,
            max: max as u64,
            store: store.clone(),
        })
    }

    /// Bytes taken so far.
    pub fn len(&self) -> u64 {
        self.bytes
    }

    /// Whether nothing was taken.
    pub fn is_empty(&self) -> bool {
        self.bytes == 0
    }

    async fn write_frame(&mut self, aad: &str, plain: &[u8]) -> Result<()> {
        let sealed = self.store.keys.seal_file(aad, plain)?;
        let len = u32::try_from(sealed.len()).map_err(io)?;
        self.file.write_all(&len.to_be_bytes()).await.map_err(io)?;
        self.file.write_all(&sealed).await.map_err(io)?;
        Ok(())
    }

    /// Takes the next bytes of the file.
    pub async fn write(&mut self, mut bytes: &[u8]) -> Result<(), UploadError> {
        self.bytes += bytes.len() as u64;
        if self.bytes > self.max {
            return Err(UploadError::TooLarge);
        }
        while !bytes.is_empty() {
            let take = (FRAME - self.buf.len()).min(bytes.len());
            self.buf.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.buf.len() == FRAME {
                let plain = std::mem::take(&mut self.buf);
                self.write_frame(&frame_aad(self.id, self.frames), &plain)
                    .await?;
                self.frames += 1;
                self.buf = plain;
                self.buf.clear();
            }
        }
        Ok(())
    }

    /// Removes what was written.
    pub async fn abort(self) {
        drop(self.file);
        let _ = tokio::fs::remove_file(&self.part).await;
    }

    /// Completes the file and, in one transaction, records the import,
    /// enqueues its job and writes the audit entry. Wake the worker after.
    pub async fn finish(
        mut self,
        actor: &Actor,
        mapping: &str,
        dry_run: bool,
    ) -> Result<PersonImport> {
        if !self.buf.is_empty() {
            let plain = std::mem::take(&mut self.buf);
            self.write_frame(&frame_aad(self.id, self.frames), &plain)
                .await?;
            self.frames += 1;
        }
        self.write_frame(&end_aad(self.id, self.frames), b"")
            .await?;
        self.file.flush().await.map_err(io)?;
        self.file.sync_all().await.map_err(io)?;
        let rel = upload_rel(self.id);
        let store = self.store.clone();
        if let Err(e) = tokio::fs::rename(&self.part, store.data_dir.join(&rel)).await {
            let _ = tokio::fs::remove_file(&self.part).await;
            return Err(io(e));
        }
        let id = self.id;
        let bytes = i64::try_from(self.bytes).unwrap_or(i64::MAX);
        match record(&store, actor, id, &rel, bytes, mapping, dry_run).await {
            Ok(()) => get(&store, actor, id).await,
            Err(e) => {
                let _ = tokio::fs::remove_file(store.data_dir.join(&rel)).await;
                Err(e)
            }
        }
    }
}

async fn record(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    rel: &str,
    bytes: i64,
    mapping: &str,
    dry_run: bool,
) -> Result<()> {
    let now = crate::now();
    let mut tx = store.begin().await?;
    // One attempt: a second one would create again the rows without an
    // external id that the first committed. A stopped import is shown as
    // such, and importing the file again completes it.
    let payload = json!({ "import_id": id });
    let job_id = crate::jobs::enqueue_job(
        &mut tx,
        &crate::jobs::NewJob {
            kind: JOB_KIND,
            payload: &payload,
            run_at: now,
            dedupe_key: None,
            max_attempts: 1,
        },
    )
    .await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO person_imports (id, owner_id, job_id, status, dry_run, mapping, bytes_total, upload_path, \
         created_at, expires_at) VALUES ($1, $2, $3, 'queued', $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(actor.user_id).bind(job_id).bind(dry_run).bind(mapping).bind(bytes).bind(rel)
        .bind(now).bind(now + TimeDelta::days(KEEP_DAYS))
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "person_import",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({ "bytes": bytes, "dry_run": dry_run })),
        },
    )
    .await?;
    tx.commit().await
}

/// Reads back an upload written by [`Upload`]: frame by frame, each opened
/// with its position in the file, ending only at the end frame (a
/// truncated or reordered file is an error, never a shorter list).
struct SealedReader {
    store: Store,
    id: Uuid,
    file: io::BufReader<std::fs::File>,
    frames: u64,
    plain: Vec<u8>,
    pos: usize,
    ended: bool,
}

impl SealedReader {
    fn open(store: &Store, id: Uuid, rel: &str) -> io::Result<SealedReader> {
        let f = std::fs::File::open(store.data_dir.join(rel))?;
        Ok(SealedReader {
            store: store.clone(),
            id,
            file: io::BufReader::with_capacity(64 * 1024, f),
            frames: 0,
            plain: Vec::new(),
            pos: 0,
            ended: false,
        })
    }

    fn next_frame(&mut self) -> io::Result<()> {
        let bad = |m: &str| io::Error::new(io::ErrorKind::InvalidData, m.to_string());
        let mut len = [0u8; 4];
        self.file
            .read_exact(&mut len)
            .map_err(|_| bad("the stored upload is truncated"))?;
        let len = u32::from_be_bytes(len) as usize;
        if len > FRAME + 4096 {
            return Err(bad("the stored upload is damaged"));
        }
        let mut sealed = vec![0u8; len];
        self.file
            .read_exact(&mut sealed)
            .map_err(|_| bad("the stored upload is truncated"))?;
        // Every frame must be sealed: a plain one was not written by us.
        if crate::crypto::file_key_id_of(&sealed).is_none() {
            return Err(bad("the stored upload is not sealed"));
        }
        let keys = &self.store.keys;
        match keys.open_file(&frame_aad(self.id, self.frames), &sealed) {
            Ok(p) => {
                self.plain = p;
                self.pos = 0;
                self.frames += 1;
                Ok(())
            }
            Err(_) => match keys.open_file(&end_aad(self.id, self.frames), &sealed) {
                Ok(p) if p.is_empty() => {
                    self.ended = true;
                    self.plain.clear();
                    self.pos = 0;
                    Ok(())
                }
                _ => Err(bad(
                    "the stored upload does not open (altered or sealed under an unknown key)",
                )),
            },
        }
    }
}

impl Read for SealedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.plain.len() {
            if self.ended {
                return Ok(0);
            }
            self.next_frame()?;
        }
        let n = (self.plain.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.plain[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// Data rows of a file (records after the first non-blank one, blank
/// records not counted), reading it as the import does.
fn count_rows<R: BufRead>(input: R) -> io::Result<u64> {
    let mut records = Records::new(input, MAX_RECORD_BYTES);
    let mut header = false;
    let mut n = 0;
    while let Some(r) = records.next()? {
        let blank = matches!(&r, Raw::Record { bytes, .. } if bytes.iter().all(|b| b.is_ascii_whitespace()));
        if blank {
            continue;
        }
        if header {
            n += 1;
        } else {
            header = true;
        }
    }
    Ok(n)
}

/// One of the actor's imports. Who may: supervisors, their own imports only
/// (others' ids: `NotFound`; other roles: `Forbidden`).
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<PersonImport> {
    if !may_import(actor.role) {
        return Err(Error::Forbidden);
    }
    let r = row(store, id).await?;
    if r.owner_id != actor.user_id {
        return Err(Error::NotFound);
    }
    Ok(r.into_import())
}

/// The actor's latest imports, newest first (at most 20). Who may: supervisors.
pub async fn list_own(store: &Store, actor: &Actor) -> Result<Vec<PersonImport>> {
    if !may_import(actor.role) {
        return Err(Error::Forbidden);
    }
    let rows: Vec<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(
        &format!("{SELECT} WHERE i.owner_id = $1 ORDER BY i.created_at DESC, i.id DESC LIMIT 20"))
        .bind(actor.user_id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(Row::into_import).collect())
}

/// The report of one of the actor's imports (CSV, see
/// [`super::write_report`]); the download is audited. Who may: as [`get`];
/// `NotFound` when there is none or it expired.
pub async fn open_report(store: &Store, actor: &Actor, id: Uuid) -> Result<Vec<u8>> {
    get(store, actor, id).await?;
    let r = row(store, id).await?;
    let rel = r.report_path.ok_or(Error::NotFound)?;
    if r.expires_at <= crate::now() {
        return Err(Error::NotFound);
    }
    let stored = match tokio::fs::read(store.data_dir.join(&rel)).await {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Error::NotFound),
        Err(e) => return Err(io(e)),
    };
    let bytes = store.keys.open_file(&report_aad(id), &stored)?;
    let mut tx = store.begin().await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "download",
            entity: "person_import_report",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({ "problems": r.problems })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(bytes)
}

/// The running job, whose lease is renewed with each progress update.
#[derive(Debug, Clone)]
pub struct JobLease {
    pub job_id: Uuid,
    pub worker: String,
    pub lease: Duration,
}

async fn save_progress(
    store: &Store,
    id: Uuid,
    p: &Progress,
    lease: Option<&JobLease>,
) -> Result<()> {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    let s = &p.summary;
    let mut tx = store.begin().await?;
    if let Some(l) = lease {
        let until = crate::now() + TimeDelta::from_std(l.lease).unwrap_or(TimeDelta::seconds(60));
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND done_at IS NULL AND failed_at IS NULL")
            .bind(until).bind(l.job_id).bind(&l.worker).execute(c).await.map(|r| r.rows_affected()))?;
    }
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE person_imports SET bytes_read = $1, rows_done = $2, created = $3, updated = $4, unchanged = $5, \
         invalid = $6 WHERE id = $7")
        .bind(n(p.bytes_read)).bind(n(s.rows)).bind(n(s.created)).bind(n(s.updated)).bind(n(s.unchanged))
        .bind(n(s.invalid)).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await
}

async fn set_end(
    store: &Store,
    id: Uuid,
    status: &str,
    code: Option<&str>,
    error: Option<&str>,
    detail: Option<&str>,
) -> Result<()> {
    let now = crate::now();
    on_db!(&store.db, p => sqlx::query(
        "UPDATE person_imports SET status = $1, error_code = $2, error = $3, error_detail = $4, finished_at = $5, \
         expires_at = $6 WHERE id = $7")
        .bind(status).bind(code).bind(error).bind(detail).bind(now).bind(now + TimeDelta::days(KEEP_DAYS))
        .bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

async fn drop_upload(store: &Store, id: Uuid, rel: &str) -> Result<()> {
    remove(store, rel).await?;
    on_db!(&store.db, p => sqlx::query("UPDATE person_imports SET upload_path = NULL WHERE id = $1")
        .bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

async fn remove(store: &Store, rel: &str) -> Result<()> {
    match tokio::fs::remove_file(store.data_dir.join(rel)).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(io(e)),
        _ => Ok(()),
    }
}

/// Runs import `id` for its job (or a test, with no lease): counts the
/// rows, imports them in the owner's current role and scope, saving
/// progress, then keeps the report and deletes the upload. A file refused
/// as a whole ends `refused`; reading or writing failures end `failed`
/// (the rows of finished batches stay). Returns the import as it ended;
/// `Err` only when even that could not be recorded.
pub async fn execute(store: &Store, id: Uuid, lease: Option<&JobLease>) -> Result<PersonImport> {
    let r = row(store, id).await?;
    if !matches!(r.status.as_str(), "queued" | "running") {
        return Ok(r.into_import());
    }
    let owner = r.owner_id;
    let Some(rel) = r.upload_path.clone() else {
        set_end(
            store,
            id,
            "failed",
            Some("failed"),
            Some("the upload is gone"),
            None,
        )
        .await?;
        return Ok(row(store, id).await?.into_import());
    };
    let ended = run_file(store, &r, &rel, lease).await;
    let (status, code, error, detail) = match ended {
        Ok(out) => {
            let written = write_report(store, owner, id, &out).await;
            let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            let s = &out.summary;
            on_db!(&store.db, p => sqlx::query(
                "UPDATE person_imports SET rows_done = $1, created = $2, updated = $3, unchanged = $4, invalid = $5, \
                 problems = $6, bytes_read = bytes_total, total_rows = $1 WHERE id = $7")
                .bind(n(s.rows)).bind(n(s.created)).bind(n(s.updated)).bind(n(s.unchanged)).bind(n(s.invalid))
                .bind(out.problems.len() as i64).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
            match written {
                Ok(()) => ("done", None, None, None),
                Err(e) => (
                    "failed",
                    Some("failed".to_string()),
                    Some(format!("the report could not be kept: {e}")),
                    None,
                ),
            }
        }
        Err(ImportError::Refused(h)) => (
            "refused",
            Some(h.code().to_string()),
            Some(h.to_string()),
            h.detail().map(str::to_string),
        ),
        Err(ImportError::Io(e)) => ("failed", Some("failed".into()), Some(e.to_string()), None),
        Err(ImportError::Store(e)) => {
            tracing::warn!(import = %id, error = %e, "a person import failed");
            ("failed", Some("failed".into()), Some(e.to_string()), None)
        }
    };
    set_end(
        store,
        id,
        status,
        code.as_deref(),
        error.as_deref(),
        detail.as_deref(),
    )
    .await?;
    drop_upload(store, id, &rel).await?;
    Ok(row(store, id).await?.into_import())
}

async fn run_file(
    store: &Store,
    r: &Row,
    rel: &str,
    lease: Option<&JobLease>,
) -> Result<Outcome, ImportError> {
    let id = r.id;
    // The owner's role and scope now, not at upload time.
    let actor = crate::exports::owner_actor(store, r.owner_id).await?;
    let mapping = Mapping::parse(&r.mapping).map_err(|e| {
        ImportError::Store(Error::Invalid({
            let mut inv = homeward_domain::Invalid::default();
            inv.add("mapping", "invalid-mapping");
            tracing::debug!(reason = %e, "a stored mapping no longer parses");
            inv
        }))
    })?;
    let total = count_rows(io::BufReader::new(SealedReader::open(store, id, rel)?))?;
    on_db!(&store.db, p => sqlx::query(
        "UPDATE person_imports SET status = 'running', total_rows = $1 WHERE id = $2")
        .bind(i64::try_from(total).unwrap_or(i64::MAX)).bind(id).execute(p).await.map(|r| r.rows_affected()))
        .map_err(Error::from)?;
    let reader = io::BufReader::with_capacity(256 * 1024, SealedReader::open(store, id, rel)?);
    // The import calls back after each batch; a task writes the latest
    // progress (and renews the lease) at most every PROGRESS_EVERY, so a
    // fast import is not slowed by its own progress bar.
    let (tx, mut rx) = tokio::sync::watch::channel(Progress::default());
    let saver = {
        let store = store.clone();
        let lease = lease.cloned();
        tokio::spawn(async move {
            loop {
                if rx.changed().await.is_err() {
                    break;
                }
                let p = rx.borrow_and_update().clone();
                if let Err(e) = save_progress(&store, id, &p, lease.as_ref()).await {
                    tracing::warn!(import = %id, error = %e, "saving import progress failed");
                }
                tokio::time::sleep(PROGRESS_EVERY).await;
            }
        })
    };
    let options = Options {
        dry_run: r.dry_run,
        ..Options::default()
    };
    let mut on_progress = |p: &Progress| {
        tx.send_replace(p.clone());
    };
    let out = super::run(
        store,
        Some(&actor),
        reader,
        &mapping,
        &options,
        &mut on_progress,
    )
    .await;
    drop(tx);
    let _ = saver.await;
    out
}

async fn write_report(store: &Store, owner: Uuid, id: Uuid, out: &Outcome) -> Result<()> {
    if out.problems.is_empty() {
        return Ok(());
    }
    let mut plain = Vec::new();
    super::write_report(&out.problems, &mut plain).map_err(io)?;
    let sealed = store.keys.seal_file(&report_aad(id), &plain)?;
    let rel = report_rel(owner, id);
    let path = store.data_dir.join(&rel);
    if let Some(dir) = path.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
    }
    tokio::fs::write(&path, sealed).await.map_err(io)?;
    on_db!(&store.db, p => sqlx::query("UPDATE person_imports SET report_path = $1 WHERE id = $2")
        .bind(&rel).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Deletes reports past their expiry (the rows stay, saying there was one)
/// and uploads left by imports that can no longer run (their job failed or
/// is done) or by uploads never finished (a `.part` older than a day).
/// Returns how many files were removed. Run by the job worker's housekeeping.
pub async fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let mut removed = 0;
    let reports: Vec<(Uuid, String)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, report_path FROM person_imports WHERE expires_at <= $1 AND report_path IS NOT NULL")
        .bind(now).fetch_all(p).await)?;
    for (id, rel) in reports {
        remove(store, &rel).await?;
        removed += 1;
        on_db!(&store.db, p => sqlx::query("UPDATE person_imports SET report_path = NULL WHERE id = $1")
            .bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    }
    let uploads: Vec<(Uuid, String)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT i.id, i.upload_path FROM person_imports i JOIN jobs j ON j.id = i.job_id \
         WHERE i.upload_path IS NOT NULL AND (j.failed_at IS NOT NULL OR j.done_at IS NOT NULL)")
        .fetch_all(p).await)?;
    for (id, rel) in uploads {
        drop_upload(store, id, &rel).await?;
        removed += 1;
    }
    let dir = store.data_dir.join("import-uploads");
    if let Ok(mut entries) = tokio::fs::read_dir(&dir).await {
        let day = std::time::SystemTime::now() - Duration::from_secs(24 * 3600);
        while let Ok(Some(e)) = entries.next_entry().await {
            let old = e
                .metadata()
                .await
                .ok()
                .and_then(|m| m.modified().ok())
                .is_some_and(|t| t < day);
            if old && e.file_name().to_string_lossy().ends_with(".part") {
                let _ = tokio::fs::remove_file(e.path()).await;
                removed += 1;
            }
        }
    }
    Ok(removed)
}

/// The stored refusal of an import as the domain's [`HeaderError`], to
/// translate it.
pub fn refusal(i: &PersonImport) -> Option<HeaderError> {
    (i.status == "refused")
        .then(|| HeaderError::from_code(i.error_code.as_deref()?, i.error_detail.as_deref()))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_counted_as_the_import_reads_them() {
        let data = b"\n\nexternal_id,family_name\r\nA,\"x\ny\"\n\nB,z\n";
        assert_eq!(count_rows(&data[..]).unwrap(), 2);
        assert_eq!(count_rows(&b""[..]).unwrap(), 0);
        assert_eq!(count_rows(&b"family_name\n"[..]).unwrap(), 0);
    }
}
