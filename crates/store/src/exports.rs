//! Case list exports: the request (checked against the role's columns),
//! the job that streams the rows in the owner's record scope to a file under
//! the data folder, progress, and the owner's downloads
//! (see `docs/adr/0016-case-exports-as-jobs.md`).
//!
//! Who may: the roles of [`homeward_exports::may_export`] (counsellor,
//! supervisor, CBSA officer, mission officer, finance), each within its
//! record scope and with only the columns of [`Column::allowed_for`]. The
//! analyst's de-identified export is another use case. Only the owner ever
//! sees or downloads an export.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use futures_util::TryStreamExt;
use homeward_domain::{CaseNumber, Invalid, Role};
use homeward_exports::{Cell, Format, Sink};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// The job kind that writes an export.
pub const JOB_KIND: &str = "case_export";

/// How long a finished file waits in the owner's downloads.
pub const KEEP_DAYS: i64 = 7;

/// Progress is saved (and the job's lease renewed) after this many rows.
const PROGRESS_EVERY: u64 = 5_000;

/// The case list filters an export carries (the list's own, without paging).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ExportFilter {
    pub status: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub programme: Option<String>,
    /// Case number, or part of a name or number of the principal applicant.
    pub q: Option<String>,
}

/// What a user asks for. Every field may be left out. (Defaults are set on
/// each field rather than on the struct: a struct-wide default would make
/// the schema of `filter` a one-member `oneOf` carrying the default, which
/// client generators cannot read; issue 27.)
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"columns": ["case_number", "status", "country_of_return"], "format": "csv",
    "hxl": false, "filter": {"status": "departed", "country": "HU"}})))]
pub struct ExportRequest {
    /// Column ids, in the order wanted.
    #[serde(default)]
    pub columns: Vec<String>,
    /// `csv` or `xlsx`.
    #[serde(default)]
    pub format: String,
    /// Add the HXL hashtag row under the header.
    #[serde(default)]
    #[schema(default = false)]
    pub hxl: bool,
    /// The case list's filters; none exports every case the user may see.
    #[serde(default)]
    pub filter: ExportFilter,
}

/// The kind of a case list export.
pub const KIND_CASES: &str = "cases";

/// An export as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub id: Uuid,
    pub owner_id: Uuid,
    /// `cases` (the case list) or `deidentified` (aggregate counts,
    /// [`crate::deidentified`]).
    pub kind: String,
    /// What a de-identified export counts; absent for case list exports
    /// (whose `columns` and `filter` say what they hold).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deidentified: Option<homeward_domain::deidentify::Spec>,
    pub filter: ExportFilter,
    pub columns: Vec<String>,
    pub format: String,
    pub hxl: bool,
    /// Language of the header row (`en`, `fr`).
    pub lang: String,
    /// `queued`, `running`, `done` or `failed`.
    pub status: String,
    pub rows_written: i64,
    pub total_rows: Option<i64>,
    #[serde(skip)]
    pub file_path: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl Export {
    /// Whether the file is ready to download now.
    pub fn downloadable(&self, now: &DateTime<Utc>) -> bool {
        self.status == "done" && self.file_path.is_some() && self.expires_at > *now
    }

    /// Percent written, when the total is known.
    pub fn percent(&self) -> Option<i64> {
        self.total_rows.map(|t| {
            if t <= 0 {
                100
            } else {
                (self.rows_written * 100 / t).clamp(0, 100)
            }
        })
    }

    /// The file name offered to the browser.
    pub fn file_name(&self) -> String {
        let prefix = if self.kind == KIND_CASES {
            "cases"
        } else {
            "deidentified"
        };
        format!(
            "{prefix}-{}.{}",
            self.created_at.format("%Y%m%d-%H%M%S"),
            self.format
        )
    }
}

#[derive(sqlx::FromRow)]
struct ExportRow {
    id: Uuid,
    owner_id: Uuid,
    kind: String,
    spec_json: Option<String>,
    filter_json: String,
    columns: String,
    format: String,
    hxl: bool,
    lang: String,
    status: String,
    rows_written: i64,
    total_rows: Option<i64>,
    file_path: Option<String>,
    error: Option<String>,
    created_at: DateTime<Utc>,
    finished_at: Option<DateTime<Utc>>,
    expires_at: DateTime<Utc>,
}

impl ExportRow {
    fn into_export(self) -> Export {
        Export {
            id: self.id,
            owner_id: self.owner_id,
            kind: self.kind,
            deidentified: self.spec_json.and_then(|s| serde_json::from_str(&s).ok()),
            filter: serde_json::from_str(&self.filter_json).unwrap_or_default(),
            columns: self
                .columns
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            format: self.format,
            hxl: self.hxl,
            lang: self.lang,
            status: self.status,
            rows_written: self.rows_written,
            total_rows: self.total_rows,
            file_path: self.file_path,
            error: self.error,
            created_at: self.created_at,
            finished_at: self.finished_at,
            expires_at: self.expires_at,
        }
    }
}

const COLUMNS: &str =
    "id, owner_id, kind, spec_json, filter_json, columns, format, hxl, lang, status, rows_written, \
    total_rows, file_path, error, created_at, finished_at, expires_at";

fn invalid(problems: &[(&str, &str)]) -> Error {
    let mut inv = Invalid::default();
    for (field, code) in problems {
        inv.add(field, code);
    }
    Error::Invalid(inv)
}

/// Checks the filters as the case list does, so an export never widens them.
fn clean_filter(f: &ExportFilter, inv: &mut Invalid) -> ExportFilter {
    let nonblank = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let status = nonblank(&f.status);
    if status
        .as_deref()
        .is_some_and(|s| homeward_domain::workflow::CaseStatus::parse(s).is_none())
    {
        inv.add("filter.status", "unknown-status");
    }
    let country = nonblank(&f.country).map(|c| c.to_ascii_uppercase());
    if country
        .as_deref()
        .is_some_and(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
    {
        inv.add("filter.country", "invalid-country");
    }
    ExportFilter {
        status,
        country,
        programme: nonblank(&f.programme),
        q: nonblank(&f.q).map(|q| q.chars().take(100).collect()),
    }
}

/// Records an export request and enqueues its job, in one transaction.
/// Bad input (no columns, an unknown or forbidden column, an unknown
/// format, a bad filter) is refused with `Invalid` and writes nothing.
///
/// Who may: see the module documentation; others get `Forbidden`.
pub async fn create(
    store: &Store,
    actor: &Actor,
    req: &ExportRequest,
    lang: &str,
) -> Result<Export> {
    if !homeward_exports::may_export(actor.role) {
        return Err(Error::Forbidden);
    }
    let mut inv = Invalid::default();
    let checked = homeward_exports::validate(actor.role, &req.columns, req.format.trim());
    if let Err(problems) = &checked {
        for (field, code) in problems {
            inv.add(field, code);
        }
    }
    let filter = clean_filter(&req.filter, &mut inv);
    inv.into_result()?;
    let Ok((columns, format)) = checked else {
        return Err(invalid(&[("columns", "no-columns")]));
    };
    let ids: Vec<&str> = columns.iter().map(|c| c.id).collect();
    let now = crate::now();
    let id = Uuid::new_v4();
    let filter_json = serde_json::to_string(&filter).unwrap_or_else(|_| "{}".into());
    let lang = if lang == "fr" { "fr" } else { "en" };
    let mut tx = store.begin().await?;
    // The job is enqueued in the request's transaction, so it exists exactly
    // when the export does; three attempts ride out a restart mid-export.
    let payload = json!({ "export_id": id });
    let job_id = crate::jobs::enqueue_job(
        &mut tx,
        &crate::jobs::NewJob {
            kind: JOB_KIND,
            payload: &payload,
            run_at: now,
            dedupe_key: None,
            max_attempts: 3,
        },
    )
    .await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO exports (id, owner_id, filter_json, columns, format, hxl, lang, status, rows_written, \
         job_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $9, $10)")
        .bind(id).bind(actor.user_id).bind(&filter_json).bind(ids.join(",")).bind(format.as_str())
        .bind(req.hxl).bind(lang).bind(job_id).bind(now).bind(now + TimeDelta::days(KEEP_DAYS))
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "export",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({"columns": ids, "format": format.as_str(), "hxl": req.hxl, "filter": filter})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

pub(crate) async fn row(store: &Store, id: Uuid) -> Result<Export> {
    let r: Option<ExportRow> = on_db!(&store.db, p => sqlx::query_as::<_, ExportRow>(
        &format!("SELECT {COLUMNS} FROM exports WHERE id = $1"))
        .bind(id).fetch_optional(p).await)?;
    r.map(ExportRow::into_export).ok_or(Error::NotFound)
}

/// One export of the actor's own. Who may: its owner only (anyone else:
/// `NotFound`, so ids reveal nothing).
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Export> {
    let e = row(store, id).await?;
    if e.owner_id != actor.user_id {
        return Err(Error::NotFound);
    }
    Ok(e)
}

/// The actor's own exports, newest first (at most 100). Who may: anyone
/// signed in; the list holds only their own.
pub async fn list_own(store: &Store, actor: &Actor) -> Result<Vec<Export>> {
    let rows: Vec<ExportRow> = on_db!(&store.db, p => sqlx::query_as::<_, ExportRow>(
        &format!("SELECT {COLUMNS} FROM exports WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT 100"))
        .bind(actor.user_id).fetch_all(p).await)?;
    Ok(rows.into_iter().map(ExportRow::into_export).collect())
}

/// Opens a finished export's file for its owner and records the download in
/// the audit trail. Who may: the owner, until it expires.
pub async fn open(store: &Store, actor: &Actor, id: Uuid) -> Result<(Export, tokio::fs::File)> {
    let e = get(store, actor, id).await?;
    if !e.downloadable(&crate::now()) {
        return Err(Error::NotFound);
    }
    let rel = e.file_path.clone().ok_or(Error::NotFound)?;
    let file = tokio::fs::File::open(store.data_dir.join(&rel))
        .await
        .map_err(|err| match err.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound,
            _ => Error::Io(err.to_string()),
        })?;
    let mut tx = store.begin().await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "download",
            entity: "export",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({"rows": e.rows_written, "format": e.format})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((e, file))
}

/// Who the export runs as: its owner as they are *now* (a user deactivated
/// or moved since the request exports only what they may see today).
pub(crate) async fn owner_actor(store: &Store, owner: Uuid) -> Result<Actor> {
    let u = crate::users::get(store, owner).await?;
    if !u.active || Role::parse(&u.role).is_none() {
        return Err(Error::Forbidden);
    }
    Ok(u.actor(None))
}

/// How a column is read: its SQL (cases `c`, principal `p`) and its type.
#[derive(Clone, Copy)]
enum Read {
    Text,
    /// A JSON array of strings, written joined with "; ".
    List,
    Date,
    Time,
    Count,
    /// A code, written in words: the translation `<prefix>-<code>`.
    Words(&'static str),
    /// A country code, written as the country's name.
    Country,
}

fn column_sql(id: &str) -> Option<(&'static str, Read)> {
    Some(match id {
        "case_number" => ("c.case_number", Read::Text),
        "programme" => (
            "(SELECT g.code FROM programmes g WHERE g.id = c.programme_id)",
            Read::Text,
        ),
        "status" => ("c.status", Read::Text),
        "status_name" => ("c.status", Read::Words("status")),
        "principal_name" => ("p.display_name", Read::Text),
        "sex" => ("p.sex", Read::Text),
        "sex_name" => ("p.sex", Read::Words("sex")),
        "date_of_birth" => ("p.date_of_birth", Read::Date),
        "nationalities" => ("p.nationalities", Read::List),
        "household_size" => (
            "(SELECT COUNT(*) FROM case_members m WHERE m.case_id = c.id)",
            Read::Count,
        ),
        "country_of_return" => ("c.country_of_return", Read::Text),
        "country_of_return_name" => ("c.country_of_return", Read::Country),
        "destination_locality" => ("c.destination_locality", Read::Text),
        "counsellor" => (
            "(SELECT u.name FROM users u WHERE u.id = c.counsellor_id)",
            Read::Text,
        ),
        "referred_on" => ("c.referred_at", Read::Time),
        "departed_on" => (
            "(SELECT MAX(i.departed_at) FROM itineraries i WHERE i.case_id = c.id)",
            Read::Time,
        ),
        "phone" => ("p.phone", Read::Text),
        "email" => ("p.email", Read::Text),
        "uci" => ("p.uci", Read::Text),
        "passport_number" => ("p.passport_number", Read::Text),
        _ => return None,
    })
}

/// `WHERE` for the filters and the actor's scope, as the case list applies them.
fn push_where(actor: &Actor, f: &ExportFilter, w: &mut Sql) {
    actor.push_case_scope(w);
    if let Some(s) = &f.status {
        w.push(" AND c.status = ").bind(Param::Text(s.clone()));
    }
    if let Some(s) = &f.country {
        w.push(" AND c.country_of_return = ")
            .bind(Param::Text(s.to_ascii_uppercase()));
    }
    if let Some(s) = &f.programme {
        w.push(" AND c.programme_id = (SELECT id FROM programmes WHERE code = ")
            .bind(Param::Text(s.clone()))
            .push(")");
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if CaseNumber::parse(&q.to_ascii_uppercase()).is_some() {
            w.push(" AND c.case_number = ")
                .bind(Param::Text(q.to_ascii_uppercase()));
        } else {
            // The same rows as the case list's search (crate::cases).
            match homeward_domain::search::Query::parse(q) {
                Ok(query) if !query.is_empty() => crate::search::push_case_match(w, &query),
                _ => {
                    w.push(" AND 1 = 0");
                }
            }
        }
    }
}

/// The running job, whose lease is renewed with each progress update.
#[derive(Debug, Clone)]
pub struct JobLease<'a> {
    pub job_id: Uuid,
    pub worker: &'a str,
    pub lease: Duration,
}

pub(crate) async fn progress(
    store: &Store,
    id: Uuid,
    rows: u64,
    lease: &JobLease<'_>,
) -> Result<()> {
    let now = crate::now();
    let until = now + TimeDelta::from_std(lease.lease).unwrap_or(TimeDelta::seconds(60));
    let rows = i64::try_from(rows).unwrap_or(i64::MAX);
    let mut tx = store.begin().await?;
    // Renewing the lease keeps another worker from taking a long export
    // over; if it was lost anyway, this attempt stops writing.
    let held = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE jobs SET locked_until = $1 WHERE id = $2 AND locked_by = $3 AND done_at IS NULL AND failed_at IS NULL")
        .bind(until).bind(lease.job_id).bind(lease.worker).execute(c).await.map(|r| r.rows_affected()))?;
    if held == 0 {
        return Err(Error::Conflict);
    }
    on_tx!(&mut tx, c => sqlx::query("UPDATE exports SET rows_written = $1 WHERE id = $2")
        .bind(rows).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(())
}

async fn set_status(store: &Store, id: Uuid, status: &str, error: Option<&str>) -> Result<()> {
    let finished = matches!(status, "done" | "failed").then(crate::now);
    on_db!(&store.db, p => sqlx::query("UPDATE exports SET status = $1, error = $2, finished_at = $3 WHERE id = $4")
        .bind(status).bind(error).bind(finished).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks an export failed for good (its job gave up) and removes what the
/// failed attempt may have written.
pub async fn mark_failed(store: &Store, id: Uuid, error: &str) -> Result<()> {
    set_status(store, id, "failed", Some(error)).await?;
    let e = row(store, id).await?;
    if let Some(format) = Format::parse(&e.format) {
        remove_file(store, &format!("exports/{id}.{}", format.as_str())).await?;
    }
    Ok(())
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(e.to_string())
}

/// Writes export `id` for its job: counts the rows, streams them from the
/// database in case-number order in the owner's current scope (never more
/// than one row in memory), saves progress every few thousand rows, and
/// leaves the file under `data_dir/exports/`. `labels` words a translation
/// key in a language: each column's header, and the codes of the columns
/// that say them in words, in the export's language. Restartable: a new
/// attempt starts the file again.
pub async fn write(
    store: &Store,
    id: Uuid,
    labels: &(dyn Fn(&str, &str) -> String + Sync),
    lease: &JobLease<'_>,
) -> Result<Export> {
    let e = row(store, id).await?;
    if e.status == "done" {
        return Ok(e);
    }
    if e.kind != KIND_CASES {
        // Never write another kind's request as a list of cases.
        return Err(invalid(&[("kind", "unknown-kind")]));
    }
    let actor = owner_actor(store, e.owner_id).await?;
    // Checked again at run time: the owner's role may have changed.
    let format =
        Format::parse(&e.format).ok_or_else(|| invalid(&[("format", "unknown-format")]))?;
    let (columns, _) = homeward_exports::validate(actor.role, &e.columns, format.as_str())
        .map_err(|p| invalid(&p))?;
    let mut reads = Vec::with_capacity(columns.len());
    let mut select = Vec::with_capacity(columns.len());
    for (i, c) in columns.iter().enumerate() {
        let (expr, read) =
            column_sql(c.id).ok_or_else(|| invalid(&[("columns", "unknown-column")]))?;
        select.push(format!("{expr} AS x{i}"));
        reads.push(read);
    }
    let zone = actor.local_zone();
    let mut w = Sql::new(" WHERE 1 = 1");
    push_where(&actor, &e.filter, &mut w);
    let from = " FROM cases c JOIN persons p ON p.id = c.principal_person_id";
    let count_sql = format!("SELECT COUNT(*){from}{}", w.text);
    let total: i64 = on_db!(&store.db, p => bind_params!(
        sqlx::query_scalar(&count_sql), w.params).fetch_one(p).await)?;
    on_db!(&store.db, p => sqlx::query(
        "UPDATE exports SET status = 'running', rows_written = 0, total_rows = $1, error = NULL WHERE id = $2")
        .bind(total).bind(id).execute(p).await.map(|r| r.rows_affected()))?;

    let dir = store.data_dir.join("exports");
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    let rel = format!("exports/{id}.{}", format.as_str());
    let path = store.data_dir.join(&rel);
    let mut sink = Sink::create(format, &path).map_err(io)?;
    let head: Vec<String> = columns
        .iter()
        .map(|c| labels(&e.lang, c.label_key))
        .collect();
    let tags: Vec<&str> = columns.iter().map(|c| c.hxl).collect();
    sink.header(&head, e.hxl.then_some(tags.as_slice()))
        .map_err(io)?;

    let q = format!(
        "SELECT {}{from}{} ORDER BY c.case_number",
        select.join(", "),
        w.text
    );
    let mut written: u64 = 0;
    let mut since_progress: u64 = 0;
    let mut cells: Vec<Cell> = Vec::with_capacity(reads.len());
    on_db!(&store.db, p => {
        let mut rows = bind_params!(sqlx::query(&q), w.params).fetch(p);
        while let Some(r) = rows.try_next().await? {
            use sqlx::Row;
            cells.clear();
            for (i, read) in reads.iter().enumerate() {
                let cell = match read {
                    Read::Text => r.try_get::<Option<String>, _>(i)?.map(Cell::Text),
                    Read::List => r.try_get::<Option<String>, _>(i)?.map(|s| {
                        let items: Vec<String> = serde_json::from_str(&s).unwrap_or_default();
                        Cell::Text(items.join("; "))
                    }),
                    Read::Date => r.try_get::<Option<NaiveDate>, _>(i)?.map(|d| Cell::Text(d.to_string())),
                    // The owner's day (their office's, or their mission's).
                    Read::Time => r.try_get::<Option<DateTime<Utc>>, _>(i)?
                        .map(|t| Cell::Text(t.with_timezone(&zone).date_naive().to_string())),
                    Read::Count => r.try_get::<Option<i64>, _>(i)?.map(Cell::Number),
                    Read::Words(prefix) => r.try_get::<Option<String>, _>(i)?
                        .map(|v| Cell::Text(labels(&e.lang, &format!("{prefix}-{v}")))),
                    Read::Country => r.try_get::<Option<String>, _>(i)?.map(|v| {
                        Cell::Text(homeward_domain::iso_names::country(&v, &e.lang).map_or(v.clone(), str::to_string))
                    }),
                };
                cells.push(cell.unwrap_or(Cell::Empty));
            }
            sink.row(&cells).map_err(io)?;
            written += 1;
            since_progress += 1;
            if since_progress == PROGRESS_EVERY {
                since_progress = 0;
                progress(store, id, written, lease).await?;
            }
        }
    });
    // Assembling an XLSX file (zipping the sheet) takes a while on a large
    // export: off the async threads.
    tokio::task::spawn_blocking(move || sink.finish())
        .await
        .map_err(io)?
        .map_err(io)?;
    let rows = i64::try_from(written).unwrap_or(i64::MAX);
    let now = crate::now();
    on_db!(&store.db, p => sqlx::query(
        "UPDATE exports SET status = 'done', rows_written = $1, file_path = $2, finished_at = $3, \
         expires_at = $4 WHERE id = $5")
        .bind(rows).bind(&rel).bind(now).bind(now + TimeDelta::days(KEEP_DAYS)).bind(id)
        .execute(p).await.map(|r| r.rows_affected()))?;
    row(store, id).await
}

/// Deletes the files of exports that expired by `now` and forgets their
/// paths; the rows stay, so the owner's downloads still say what there was.
/// Returns how many files were removed. Run by the job worker's
/// housekeeping: an export holds personal data and must not outlive its
/// week on disk.
pub async fn purge_expired(store: &Store, now: DateTime<Utc>) -> Result<u64> {
    let gone: Vec<(Uuid, String)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, file_path FROM exports WHERE expires_at <= $1 AND file_path IS NOT NULL")
        .bind(now).fetch_all(p).await)?;
    let mut removed = 0;
    for (id, rel) in gone {
        remove_file(store, &rel).await?;
        removed += 1;
        on_db!(&store.db, p => sqlx::query("UPDATE exports SET file_path = NULL WHERE id = $1")
            .bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    }
    Ok(removed)
}

/// Removes a file under the data folder; one already gone is fine.
async fn remove_file(store: &Store, rel: &str) -> Result<()> {
    match tokio::fs::remove_file(store.data_dir.join(rel)).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(io(e)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_catalogue_column_has_sql() {
        for c in homeward_exports::COLUMNS {
            assert!(super::column_sql(c.id).is_some(), "{}", c.id);
        }
    }

    #[test]
    fn kinds_match_reads() {
        use homeward_exports::Kind;
        for c in homeward_exports::COLUMNS {
            let Some((_, read)) = super::column_sql(c.id) else {
                continue;
            };
            let ok = matches!(
                (read, c.kind),
                (super::Read::Count, Kind::Number)
                    | (super::Read::Date | super::Read::Time, Kind::Date)
                    | (
                        super::Read::Text
                            | super::Read::List
                            | super::Read::Words(_)
                            | super::Read::Country,
                        Kind::Text
                    )
            );
            assert!(ok, "{}", c.id);
        }
    }
}
