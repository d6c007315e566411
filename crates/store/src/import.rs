//! Bulk import of persons from a CSV list (docs/adr/0030).
//!
//! The file is read record by record (a record may span lines inside quotes),
//! each record capped at [`MAX_RECORD_BYTES`]: a longer one is reported and
//! skipped up to the next line break. Each record is parsed by the `csv`
//! crate and checked by the domain's rules ([`homeward_domain::import`]).
//! Valid rows are written in batches, each batch in one transaction with one
//! audit entry that counts (never a personal value). Rows are matched on
//! `external_id`: a row whose values are all already held is unchanged; a
//! row with new values updates the person (an empty cell keeps the value
//! held). Invalid rows become [`Problem`]s with their line number.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::persons::{search_text, PersonRow};
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Error, Store, Tx};
use homeward_domain::import::{self as rules, Header, Mapping};
pub use homeward_domain::import::{COLUMNS, MAX_RECORD_BYTES};
use homeward_domain::person::{display_name, PersonData};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;
use std::io::{self, BufRead};
use uuid::Uuid;

pub mod jobs;

/// Rows written per transaction.
pub const BATCH: usize = 500;

/// How to run an import.
#[derive(Debug, Clone)]
pub struct Options {
    /// Check and count everything, write nothing (not even the audit entry).
    pub dry_run: bool,
    /// Rows per transaction.
    pub batch_size: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            dry_run: false,
            batch_size: BATCH,
        }
    }
}

/// How many rows went which way.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Data rows read (not counting the header and blank lines).
    pub rows: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub invalid: u64,
}

/// One thing wrong with one row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The line the row starts on (the header is line 1).
    pub line: u64,
    pub external_id: Option<String>,
    /// The column, or `line` for the whole row.
    pub field: String,
    /// A stable code (`invalid-date`, `not-utf8`, `record-too-large`, ...).
    pub code: String,
}

impl Problem {
    /// What is wrong, in plain English.
    pub fn message(&self) -> &'static str {
        rules::describe(&self.code)
    }
}

/// Where an import is, for a progress bar.
#[derive(Debug, Clone, Default)]
pub struct Progress {
    pub bytes_read: u64,
    pub summary: Summary,
}

/// The result of an import.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub summary: Summary,
    pub problems: Vec<Problem>,
    pub dry_run: bool,
}

/// Why an import did not run at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The whole file is refused (no header, no name column, UTF-16, ...):
    /// nothing was written.
    #[error("{0}")]
    Refused(rules::HeaderError),
    #[error("reading the file failed: {0}")]
    Io(#[from] io::Error),
    #[error(transparent)]
    Store(#[from] Error),
}

/// One record as read from the file.
#[derive(Debug)]
enum Raw {
    Record { line: u64, bytes: Vec<u8> },
    TooLarge { line: u64 },
}

/// Splits a CSV byte stream into records (a line break inside quotes does not
/// end one), never holding more than `cap` bytes of one.
struct Records<R> {
    inner: R,
    /// Lines read so far.
    line: u64,
    bytes_read: u64,
    cap: usize,
}

impl<R: BufRead> Records<R> {
    fn new(inner: R, cap: usize) -> Self {
        Records {
            inner,
            line: 0,
            bytes_read: 0,
            cap,
        }
    }

    fn next(&mut self) -> io::Result<Option<Raw>> {
        let start = self.line + 1;
        let mut buf: Vec<u8> = Vec::new();
        let mut in_quotes = false;
        let mut overflow = false;
        let mut any = false;
        loop {
            let chunk = self.inner.fill_buf()?;
            if chunk.is_empty() {
                if !any {
                    return Ok(None);
                }
                self.line += 1;
                break;
            }
            any = true;
            let mut used = 0;
            let mut done = false;
            for &b in chunk {
                used += 1;
                if b == b'\n' && (overflow || !in_quotes) {
                    self.line += 1;
                    done = true;
                    break;
                }
                if b == b'\n' {
                    self.line += 1;
                }
                if overflow {
                    continue;
                }
                if b == b'"' {
                    in_quotes = !in_quotes;
                }
                buf.push(b);
                if buf.len() > self.cap {
                    overflow = true;
                    buf = Vec::new();
                }
            }
            self.inner.consume(used);
            self.bytes_read += used as u64;
            if done {
                break;
            }
        }
        if overflow {
            return Ok(Some(Raw::TooLarge { line: start }));
        }
        if buf.last() == Some(&b'\r') {
            buf.pop();
        }
        Ok(Some(Raw::Record {
            line: start,
            bytes: buf,
        }))
    }
}

/// A record's fields as text, or the index of the first field that is not UTF-8.
fn fields(bytes: &[u8]) -> Result<Vec<String>, &'static str> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    match r.read_byte_record(&mut rec) {
        Ok(true) => {}
        Ok(false) => return Ok(Vec::new()),
        Err(_) => return Err("malformed"),
    }
    let mut out = Vec::with_capacity(rec.len());
    for f in rec.iter() {
        match std::str::from_utf8(f) {
            Ok(s) => out.push(s.to_string()),
            Err(_) => return Err("not-utf8"),
        }
    }
    Ok(out)
}

/// The external id of a record that could not be read as text, if that one
/// cell can (for the report).
fn lossy_external_id(bytes: &[u8], header: &Header) -> Option<String> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut rec = csv::ByteRecord::new();
    r.read_byte_record(&mut rec).ok()?;
    let cells: Vec<&str> = rec
        .iter()
        .map(|f| std::str::from_utf8(f).unwrap_or(""))
        .collect();
    rules::external_id_of(header, &cells)
}

/// A row waiting for its batch.
struct Pending {
    line: u64,
    cells: Vec<String>,
    external_id: Option<String>,
}

/// Imports the persons of a CSV file read from `input`. With `actor` (the
/// web upload) the actor must be allowed to import and new persons are
/// theirs; without (the command line, run by whoever holds the database) they
/// are created by nobody. `on_progress` is called after each batch.
pub async fn run<R: BufRead + Send>(
    store: &Store,
    actor: Option<&Actor>,
    input: R,
    mapping: &Mapping,
    options: &Options,
    on_progress: &mut (dyn FnMut(&Progress) + Send),
) -> Result<Outcome, ImportError> {
    if let Some(a) = actor {
        if !rules::may_import(a.role) {
            return Err(Error::Forbidden.into());
        }
    }
    let mut input = input;
    // A UTF-16 file (as some spreadsheets save "Unicode text") would be
    // reported line by line as not UTF-8; its byte order mark says what it is.
    let start = input.fill_buf()?;
    if start.starts_with(&[0xff, 0xfe]) || start.starts_with(&[0xfe, 0xff]) {
        return Err(ImportError::Refused(rules::HeaderError::Utf16));
    }
    let mut records = Records::new(input, MAX_RECORD_BYTES);
    let header = loop {
        match records.next()? {
            None => return Err(ImportError::Refused(rules::HeaderError::Empty)),
            Some(Raw::TooLarge { .. }) => {
                return Err(ImportError::Refused(rules::HeaderError::TooLong))
            }
            Some(Raw::Record { bytes, .. }) => {
                if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                let cells = fields(&bytes).map_err(|code| {
                    ImportError::Refused(if code == "not-utf8" {
                        rules::HeaderError::NotUtf8
                    } else {
                        rules::HeaderError::Malformed
                    })
                })?;
                let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
                break Header::parse(&refs, mapping).map_err(ImportError::Refused)?;
            }
        }
    };
    let mut out = Outcome {
        dry_run: options.dry_run,
        ..Default::default()
    };
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut batch: Vec<Pending> = Vec::new();
    let batch_size = options.batch_size.max(1);
    loop {
        let raw = records.next()?;
        let Some(raw) = raw else { break };
        match raw {
            Raw::TooLarge { line } => {
                out.summary.rows += 1;
                out.summary.invalid += 1;
                out.problems.push(Problem {
                    line,
                    external_id: None,
                    field: "line".into(),
                    code: "record-too-large".into(),
                });
            }
            Raw::Record { line, bytes } => {
                if bytes.iter().all(|b| b.is_ascii_whitespace()) {
                    continue;
                }
                out.summary.rows += 1;
                match fields(&bytes) {
                    Err(code) => {
                        out.summary.invalid += 1;
                        out.problems.push(Problem {
                            line,
                            external_id: lossy_external_id(&bytes, &header),
                            field: "line".into(),
                            code: code.into(),
                        });
                    }
                    Ok(cells) => {
                        let refs: Vec<&str> = cells.iter().map(String::as_str).collect();
                        let external_id = rules::external_id_of(&header, &refs);
                        if let Some(e) = &external_id {
                            if let Some(first) = seen.get(e) {
                                out.summary.invalid += 1;
                                out.problems.push(Problem {
                                    line,
                                    external_id: external_id.clone(),
                                    field: "external_id".into(),
                                    code: "repeated-external-id".into(),
                                });
                                tracing::debug!(line, first, "repeated external id");
                                continue;
                            }
                            seen.insert(e.clone(), line);
                        }
                        batch.push(Pending {
                            line,
                            cells,
                            external_id,
                        });
                    }
                }
            }
        }
        if batch.len() >= batch_size {
            flush(store, actor, &header, &mut batch, options, &mut out).await?;
            on_progress(&Progress {
                bytes_read: records.bytes_read,
                summary: out.summary.clone(),
            });
        }
    }
    flush(store, actor, &header, &mut batch, options, &mut out).await?;
    on_progress(&Progress {
        bytes_read: records.bytes_read,
        summary: out.summary.clone(),
    });
    Ok(out)
}

/// Checks and writes one batch in one transaction.
async fn flush(
    store: &Store,
    actor: Option<&Actor>,
    header: &Header,
    batch: &mut Vec<Pending>,
    options: &Options,
    out: &mut Outcome,
) -> Result<(), ImportError> {
    if batch.is_empty() {
        return Ok(());
    }
    let rows = std::mem::take(batch);
    let today = chrono::Utc::now().date_naive();
    let mut tx = store.begin().await?;
    let existing = existing(&mut tx, &rows).await?;
    let (mut created, mut updated, mut unchanged, mut invalid) = (0u64, 0u64, 0u64, 0u64);
    for row in rows {
        let refs: Vec<&str> = row.cells.iter().map(String::as_str).collect();
        let held = row.external_id.as_ref().and_then(|e| existing.get(e));
        let base = held.map(|(h, _)| h.to_input()).unwrap_or_default();
        let checked = match rules::validate_row(header, &refs, base, today) {
            Ok(r) => r,
            Err(errors) => {
                invalid += 1;
                let mut fields_seen: Vec<String> = Vec::new();
                for e in errors {
                    if fields_seen.contains(&e.field) {
                        continue;
                    }
                    fields_seen.push(e.field.clone());
                    out.problems.push(Problem {
                        line: row.line,
                        external_id: row.external_id.clone(),
                        field: e.field,
                        code: e.code,
                    });
                }
                continue;
            }
        };
        match held {
            None => {
                if !options.dry_run {
                    insert(
                        &mut tx,
                        actor,
                        checked.external_id.as_deref(),
                        &checked.person,
                    )
                    .await?;
                }
                created += 1;
            }
            Some((h, merged)) => {
                let before = h.to_input().validate(today).ok();
                if before.as_ref() == Some(&checked.person) {
                    unchanged += 1;
                    continue;
                }
                // The record was merged into another (docs/adr/0032): a
                // change to the hidden record would be lost from sight, and
                // which of the kept record's values it should replace is a
                // person's call.
                if *merged {
                    invalid += 1;
                    out.problems.push(Problem {
                        line: row.line,
                        external_id: row.external_id.clone(),
                        field: "external_id".into(),
                        code: "merged".into(),
                    });
                    continue;
                }
                if let Some(a) = actor {
                    if !in_scope(store, a, h.id).await? {
                        invalid += 1;
                        out.problems.push(Problem {
                            line: row.line,
                            external_id: row.external_id.clone(),
                            field: "external_id".into(),
                            code: "not-in-scope".into(),
                        });
                        continue;
                    }
                }
                if !options.dry_run {
                    update(&mut tx, h.id, &checked.person).await?;
                }
                updated += 1;
            }
        }
    }
    out.summary.created += created;
    out.summary.updated += updated;
    out.summary.unchanged += unchanged;
    out.summary.invalid += invalid;
    if options.dry_run {
        drop(tx);
        return Ok(());
    }
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "import",
            entity: "person",
            entity_id: None,
            case_id: None,
            before: None,
            after: Some(json!({
                "created": created,
                "updated": updated,
                "unchanged": unchanged,
                "invalid": invalid,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A person row with its external id.
#[derive(sqlx::FromRow)]
struct Held {
    #[sqlx(flatten)]
    row: PersonRow,
    external_id: Option<String>,
    merged_into: Option<Uuid>,
}

/// The persons already holding the batch's external ids.
async fn existing(
    tx: &mut Tx,
    rows: &[Pending],
) -> crate::Result<HashMap<String, (PersonRow, bool)>> {
    let ids: Vec<&String> = rows.iter().filter_map(|r| r.external_id.as_ref()).collect();
    let mut found = HashMap::new();
    for chunk in ids.chunks(200) {
        let mut q = Sql::new("SELECT p.* FROM persons p WHERE p.external_id IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                q.push(", ");
            }
            q.bind(Param::Text((*id).clone()));
        }
        q.push(")");
        let list: Vec<Held> = on_tx!(tx, c => bind_params!(sqlx::query_as::<_, Held>(&q.text), q.params).fetch_all(c).await)?;
        for h in list {
            if let Some(e) = h.external_id {
                found.insert(e, (h.row, h.merged_into.is_some()));
            }
        }
    }
    Ok(found)
}

/// Whether the actor may see (and so change) the person.
async fn in_scope(store: &Store, actor: &Actor, id: Uuid) -> crate::Result<bool> {
    let mut q = Sql::new("SELECT COUNT(*) FROM persons p WHERE p.id = ");
    q.bind(Param::Uuid(id));
    actor.push_person_scope(&mut q);
    let n: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar(&q.text), q.params).fetch_one(p).await)?;
    Ok(n > 0)
}

fn name_of(d: &PersonData) -> String {
    display_name(
        d.given_names.as_deref(),
        d.family_name.as_deref(),
        d.original_script_name.as_deref(),
    )
}

async fn insert(
    tx: &mut Tx,
    actor: Option<&Actor>,
    external_id: Option<&str>,
    d: &PersonData,
) -> crate::Result<Uuid> {
    let id = Uuid::new_v4();
    let now = crate::now();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO persons (id, given_names, family_name, original_script_name, display_name, search_text, aliases, sex, \
         date_of_birth, date_of_birth_approximate, nationalities, preferred_languages, interpreter_needed, phone, email, address, \
         uci, cbsa_client_id, passport_number, created_by, version, created_at, updated_at, external_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, $21, $21, $22)")
        .bind(id).bind(&d.given_names).bind(&d.family_name).bind(&d.original_script_name).bind(name_of(d))
        .bind(search_text(d)).bind(json!(d.aliases).to_string()).bind(&d.sex).bind(d.date_of_birth)
        .bind(d.date_of_birth_approximate).bind(json!(d.nationalities).to_string())
        .bind(json!(d.preferred_languages).to_string()).bind(d.interpreter_needed).bind(&d.phone)
        .bind(&d.email).bind(&d.address).bind(&d.uci).bind(&d.cbsa_client_id).bind(&d.passport_number)
        .bind(actor.map(|a| a.user_id)).bind(now).bind(external_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    crate::duplicates::index(tx, id, d).await?;
    crate::search::index(tx, id, d).await?;
    Ok(id)
}

async fn update(tx: &mut Tx, id: Uuid, d: &PersonData) -> crate::Result<()> {
    on_tx!(tx, c => sqlx::query(
        "UPDATE persons SET given_names = $1, family_name = $2, original_script_name = $3, display_name = $4, search_text = $5, \
         aliases = $6, sex = $7, date_of_birth = $8, date_of_birth_approximate = $9, nationalities = $10, preferred_languages = $11, \
         interpreter_needed = $12, phone = $13, email = $14, address = $15, uci = $16, cbsa_client_id = $17, passport_number = $18, \
         version = version + 1, updated_at = $19 WHERE id = $20")
        .bind(&d.given_names).bind(&d.family_name).bind(&d.original_script_name).bind(name_of(d)).bind(search_text(d))
        .bind(json!(d.aliases).to_string()).bind(&d.sex).bind(d.date_of_birth).bind(d.date_of_birth_approximate)
        .bind(json!(d.nationalities).to_string()).bind(json!(d.preferred_languages).to_string())
        .bind(d.interpreter_needed).bind(&d.phone).bind(&d.email).bind(&d.address).bind(&d.uci)
        .bind(&d.cbsa_client_id).bind(&d.passport_number).bind(crate::now()).bind(id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    crate::duplicates::index(tx, id, d).await?;
    crate::search::index(tx, id, d).await?;
    Ok(())
}

/// Writes the report: one line per problem (`line, external_id, field, code,
/// problem`). Cells that a spreadsheet would run as a formula are prefixed
/// with `'`.
pub fn write_report<W: io::Write>(problems: &[Problem], w: W) -> io::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    let safe = |s: &str| homeward_exports::neutralise(s).into_owned();
    out.write_record(["line", "external_id", "field", "code", "problem"])
        .map_err(io::Error::other)?;
    for p in problems {
        out.write_record([
            p.line.to_string(),
            safe(p.external_id.as_deref().unwrap_or("")),
            p.field.clone(),
            p.code.clone(),
            p.message().to_string(),
        ])
        .map_err(io::Error::other)?;
    }
    out.flush()
}

/// The persons imported with these external ids (for tests and tools): id by external id.
pub async fn ids_by_external_id(store: &Store) -> crate::Result<HashMap<String, Uuid>> {
    let rows: Vec<(String, Uuid)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT external_id, id FROM persons WHERE external_id IS NOT NULL")
        .fetch_all(p).await)?;
    Ok(rows.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(s: &[u8], cap: usize) -> Vec<String> {
        let mut r = Records::new(s, cap);
        let mut out = Vec::new();
        while let Some(x) = r.next().unwrap() {
            out.push(match x {
                Raw::Record { line, bytes } => {
                    format!("{line}:{}", String::from_utf8_lossy(&bytes))
                }
                Raw::TooLarge { line } => format!("{line}:TOO LARGE"),
            });
        }
        out
    }

    #[test]
    fn records_follow_quotes_and_cap() {
        assert_eq!(
            split(b"a,b\r\n\"x\ny\",z\nc,d", 100),
            vec!["1:a,b", "2:\"x\ny\",z", "4:c,d"]
        );
        let mut big = b"h\n".to_vec();
        big.extend(std::iter::repeat_n(b'x', 500));
        big.extend(b"\nok\n");
        assert_eq!(split(&big, 100), vec!["1:h", "2:TOO LARGE", "3:ok"]);
    }
}
