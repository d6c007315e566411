//! De-identified exports: counts of people (or cases) per combination of
//! the dimensions an analyst chose, over the whole programme, grouped and
//! counted in the database; small counts suppressed by the domain's rules
//! ([`homeward_domain::deidentify`]). Never a row per person: the file
//! holds codes, months, bands and counts only
//! (see `docs/adr/0019-de-identified-export.md`).
//!
//! They ride on the case list exports' machinery ([`crate::exports`]): the
//! same `exports` table (`kind = 'deidentified'`), job kind, progress,
//! downloads, owner-only access and expiry.
//!
//! Who may: analysts and supervisors ([`deidentify::may_export`]), checked
//! again when the job runs; only the owner sees or downloads the file.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::exports::{self, Export, JobLease, JOB_KIND, KEEP_DAYS};
use crate::sql::Param;
use crate::{bind_params, on_db, on_tx, Db, Error, Result, Store};
use chrono::{DateTime, TimeDelta, Utc};
use futures_util::TryStreamExt;
use homeward_domain::deidentify::{self, Dimension, Spec, Suppressor, Unit, ZoneOffsets};
use homeward_domain::Invalid;
use homeward_exports::{Cell, Format, Sink};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// The `kind` of a de-identified export in the `exports` table.
pub const KIND: &str = "deidentified";

/// Progress is saved (and the job's lease renewed) after this many groups.
const PROGRESS_EVERY: u64 = 5_000;

/// What a user asks for.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"dimensions": ["country_of_return", "sex"], "unit": "people",
    "period": "2026-Q4", "format": "csv", "hxl": true})))]
pub struct DeidentifiedRequest {
    /// Dimension ids, in the order wanted: `referral_month`,
    /// `departure_month`, `country_of_return`, `programme`, `status`, `sex`,
    /// `age_band`, `relationship` (people only), `entitlement_tier`.
    pub dimensions: Vec<String>,
    /// `people` (each person on each case; the default) or `cases`.
    pub unit: String,
    /// Only cases referred in this period: `2026-10`, `2026-Q4` or
    /// `2026-10-01..2026-12-31`; or give `from` and `to`. All when absent.
    pub period: Option<String>,
    /// First day (YYYY-MM-DD), with `to`, instead of `period`.
    pub from: Option<String>,
    /// Last day (YYYY-MM-DD), included.
    pub to: Option<String>,
    /// `csv` or `xlsx`.
    pub format: String,
    /// Add the HXL hashtag row under the header.
    pub hxl: bool,
}

/// Checks a request: the spec (by the domain's rules) and the format.
fn check(req: &DeidentifiedRequest) -> std::result::Result<(Spec, Format), Invalid> {
    let spec = deidentify::validate(
        &req.dimensions,
        &req.unit,
        req.period.as_deref(),
        req.from.as_deref(),
        req.to.as_deref(),
    );
    let format = Format::parse(req.format.trim());
    let mut inv = match &spec {
        Ok(_) => Invalid::default(),
        Err(e) => e.clone(),
    };
    if format.is_none() {
        inv.add("format", "unknown-format");
    }
    inv.into_result()?;
    match (spec, format) {
        (Ok(s), Some(f)) => Ok((s, f)),
        // Unreachable: both were checked above.
        _ => Err(Invalid::default()),
    }
}

/// Records a de-identified export request and enqueues its job, in one
/// transaction. Bad input is refused with `Invalid` and writes nothing.
/// Who may: analysts and supervisors; others get `Forbidden` before their
/// input is read.
pub async fn create(
    store: &Store,
    actor: &Actor,
    req: &DeidentifiedRequest,
    lang: &str,
) -> Result<Export> {
    if !deidentify::may_export(actor.role) {
        return Err(Error::Forbidden);
    }
    let (spec, format) = check(req).map_err(Error::Invalid)?;
    let dims: Vec<&str> = spec.dimensions.iter().map(|d| d.id()).collect();
    let spec_json = serde_json::to_string(&spec).map_err(|e| Error::Io(e.to_string()))?;
    let now = crate::now();
    let id = Uuid::new_v4();
    let lang = if lang == "fr" { "fr" } else { "en" };
    let mut tx = store.begin().await?;
    // The same job kind as the case list exports: its handler looks at the
    // export's kind, so the worker needs no new kind.
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
        "INSERT INTO exports (id, owner_id, kind, spec_json, filter_json, columns, format, hxl, lang, status, \
         rows_written, job_id, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, '{}', $5, $6, $7, $8, 'queued', 0, $9, $10, $11)")
        .bind(id).bind(actor.user_id).bind(KIND).bind(&spec_json).bind(dims.join(","))
        .bind(format.as_str()).bind(req.hxl).bind(lang).bind(job_id).bind(now)
        .bind(now + TimeDelta::days(KEEP_DAYS))
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
            after: Some(
                json!({"kind": KIND, "spec": spec, "format": format.as_str(), "hxl": req.hxl}),
            ),
        },
    )
    .await?;
    tx.commit().await?;
    exports::get(store, actor, id).await
}

/// Whether export `id` is a de-identified one (for the job handler, which
/// serves both kinds).
pub async fn is_deidentified(store: &Store, id: Uuid) -> Result<bool> {
    let kind: Option<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT kind FROM exports WHERE id = $1").bind(id).fetch_optional(p).await)?;
    kind.map(|k| k == KIND).ok_or(Error::NotFound)
}

/// Placeholders for a query built in pieces: each value gets the next
/// number, and may be referred to anywhere in the text.
#[derive(Default)]
struct Params(Vec<Param>);

impl Params {
    fn bind(&mut self, p: Param) -> String {
        self.0.push(p);
        format!("${}", self.0.len())
    }
}

/// A string constant of ours (never user input) as an SQL literal.
fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The two dialects' ways to turn instants into programme days.
enum Dialect {
    /// PostgreSQL knows time zones: days in this one.
    Postgres(chrono_tz::Tz),
    /// SQLite does not: the zone's offsets over the data's range, from the
    /// domain ([`ZoneOffsets`]).
    Sqlite(ZoneOffsets),
}

impl Dialect {
    /// The programme day (a date; text `YYYY-MM-DD` on SQLite) of instant `x`.
    fn local_day(&self, x: &str, params: &mut Params) -> String {
        match self {
            Dialect::Postgres(tz) => {
                format!("CAST(({x} AT TIME ZONE {}) AS DATE)", lit(tz.name()))
            }
            Dialect::Sqlite(z) => {
                let (lo, hi) = z.bounds();
                let m = |o: i32| lit(&format!("{o} seconds"));
                // Most instants fall on the same day under every offset of
                // the zone; only those near midnight need the offset of
                // their own moment, found by walking the changes.
                let mut exact = String::from("CASE");
                let mut offset = z.first;
                for (at, next) in &z.changes {
                    let p = params.bind(Param::Time(*at));
                    exact.push_str(&format!(" WHEN {x} < {p} THEN {}", m(offset)));
                    offset = *next;
                }
                if z.changes.is_empty() {
                    // One offset over the whole range: no CASE to walk.
                    exact = m(offset);
                } else {
                    exact.push_str(&format!(" ELSE {} END", m(offset)));
                }
                format!(
                    "CASE WHEN date({x}, {lo}) = date({x}, {hi}) THEN date({x}, {lo}) \
                     ELSE date({x}, {exact}) END",
                    lo = m(lo),
                    hi = m(hi),
                )
            }
        }
    }

    /// `YYYY-MM` of a day.
    fn month(&self, day: &str) -> String {
        match self {
            Dialect::Postgres(_) => format!("to_char({day}, 'YYYY-MM')"),
            Dialect::Sqlite(_) => format!("substr({day}, 1, 7)"),
        }
    }

    /// Whole years from `dob` to `day` (negative when `day` is before
    /// `dob`), as [`deidentify::age_on`] counts them.
    fn age(&self, day: &str, dob: &str) -> String {
        match self {
            Dialect::Postgres(_) => format!(
                "(CAST(EXTRACT(YEAR FROM {day}) AS INTEGER) - CAST(EXTRACT(YEAR FROM {dob}) AS INTEGER) \
                 - CASE WHEN to_char({day}, 'MM-DD') < to_char({dob}, 'MM-DD') THEN 1 ELSE 0 END)"
            ),
            Dialect::Sqlite(_) => format!(
                "(CAST(substr({day}, 1, 4) AS INTEGER) - CAST(substr({dob}, 1, 4) AS INTEGER) \
                 - CASE WHEN substr({day}, 6, 5) < substr({dob}, 6, 5) THEN 1 ELSE 0 END)"
            ),
        }
    }

    /// The collation that sorts text by its bytes (SQLite's default).
    fn bytewise(&self) -> &'static str {
        match self {
            Dialect::Postgres(_) => " COLLATE \"C\"",
            Dialect::Sqlite(_) => "",
        }
    }

    /// Keeps a subquery from being merged into the one around it, so the
    /// values it computes are computed once per row, not once per use.
    fn fence(&self) -> &'static str {
        match self {
            Dialect::Postgres(_) => " OFFSET 0",
            Dialect::Sqlite(_) => " LIMIT -1",
        }
    }
}

/// The band of age `a` ([`deidentify::AGE_BANDS`]), `unknown` without one.
fn band_sql(a: &str) -> String {
    let mut s = format!(
        "CASE WHEN {a} IS NULL OR {a} < 0 THEN {}",
        lit(deidentify::UNKNOWN)
    );
    let bands = deidentify::AGE_BANDS;
    for w in bands.windows(2) {
        s.push_str(&format!(" WHEN {a} < {} THEN {}", w[1].0, lit(w[0].1)));
    }
    let last = bands.last().map_or(deidentify::UNKNOWN, |b| b.1);
    s.push_str(&format!(" ELSE {} END", lit(last)));
    s
}

/// The relationship groups of [`deidentify::relationship_group`].
fn relationship_sql(r: &str) -> String {
    let mut s = format!("CASE {r}");
    for rel in homeward_domain::person::RELATIONSHIPS {
        let g = deidentify::relationship_group(rel);
        if g != "other" {
            s.push_str(&format!(" WHEN {} THEN {}", lit(rel), lit(g)));
        }
    }
    s.push_str(" ELSE 'other' END");
    s
}

/// The aggregate query: one row per combination of the dimensions (in
/// their order) with its count, sorted by the dimensions.
///
/// Four levels, each computing from the one inside it: the rows counted
/// (one per membership or case, with the raw values), their programme
/// days, months and ages, then the grouping.
///
/// `programmes` are those whose cases count (`None`: every programme);
/// the period is whole days of zone `zone`, as the dialect's days are.
fn aggregate_sql(
    spec: &Spec,
    dialect: &Dialect,
    programmes: Option<&[Uuid]>,
    zone: chrono_tz::Tz,
) -> (String, Vec<Param>) {
    let mut params = Params::default();
    let dims = &spec.dimensions;
    let has = |d: Dimension| dims.contains(&d);
    let (from, rel, person) = match spec.unit {
        Unit::People => (
            "case_members m JOIN cases c ON c.id = m.case_id",
            "m.relationship",
            "m.person_id",
        ),
        Unit::Cases => ("cases c", "'principal'", "c.principal_person_id"),
    };
    let mut joins = String::new();
    // A lookup per row counted: only when a person's own data is asked for
    // (at a million cases it is most of the query's time).
    if has(Dimension::Sex) || has(Dimension::AgeBand) {
        joins.push_str(&format!(" JOIN persons p ON p.id = {person}"));
    }
    if has(Dimension::Programme) {
        joins.push_str(" JOIN programmes g ON g.id = c.programme_id");
    }
    if has(Dimension::DepartureMonth) {
        // The case's first departure (a family on two itineraries departs
        // with the first, as in the donor report).
        joins.push_str(
            " LEFT JOIN (SELECT i.case_id AS case_id, MIN(i.departed_at) AS departed_at \
             FROM itineraries i WHERE i.status = 'departed' AND i.departed_at IS NOT NULL \
             GROUP BY i.case_id) d ON d.case_id = c.id",
        );
    }
    let mut wh = String::from(" WHERE 1 = 1");
    match programmes {
        None => {}
        Some([]) => wh.push_str(" AND 1 = 0"),
        Some(ps) => {
            let list: Vec<String> = ps.iter().map(|p| params.bind(Param::Uuid(*p))).collect();
            wh.push_str(&format!(" AND c.programme_id IN ({})", list.join(", ")));
        }
    }
    if let Some(p) = &spec.period {
        let (start, end) = p.period().utc_bounds(zone);
        let (a, b) = (
            params.bind(Param::Time(start)),
            params.bind(Param::Time(end)),
        );
        wh.push_str(&format!(
            " AND c.referred_at >= {a} AND c.referred_at < {b}"
        ));
    }
    // Level 1: the raw values of each row counted.
    let mut l1 = Vec::new();
    for d in dims {
        l1.push(match d {
            Dimension::ReferralMonth => "c.referred_at AS r".to_string(),
            Dimension::DepartureMonth => "d.departed_at AS dep".to_string(),
            Dimension::CountryOfReturn => "c.country_of_return AS country".to_string(),
            Dimension::Programme => "g.code AS prog".to_string(),
            Dimension::Status => "c.status AS status".to_string(),
            Dimension::Sex => "p.sex AS sex".to_string(),
            Dimension::AgeBand => {
                "c.referred_at AS ar, p.date_of_birth AS dob".to_string()
            }
            Dimension::Relationship => format!("{} AS rel", relationship_sql(rel)),
            // The latest evaluation's tier: one descent of the case's
            // evaluations index, newest first (faster than an anti-join at
            // a million cases: 54 s against 72 s in ADR 19's measurement).
            Dimension::EntitlementTier => format!(
                "COALESCE((SELECT COALESCE(e.tier, {}) FROM eligibility_evaluations e \
                 WHERE e.case_id = c.id ORDER BY e.evaluated_at DESC, e.id DESC LIMIT 1), {}) AS tier",
                lit(deidentify::NO_TIER),
                lit(deidentify::NOT_EVALUATED)
            ),
        });
    }
    let fence = dialect.fence();
    let level1 = format!("SELECT {} FROM {from}{joins}{wh}{fence}", l1.join(", "));
    // Level 2: programme days. Level 3: months and ages.
    let mut l2 = Vec::new();
    let mut l3 = Vec::new();
    let mut l4 = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        let out = format!("v{i}");
        match d {
            Dimension::ReferralMonth => {
                l2.push(format!("{} AS rday", dialect.local_day("x.r", &mut params)));
                l3.push(format!("{} AS rm", dialect.month("y.rday")));
                l4.push(format!("z.rm AS {out}"));
            }
            Dimension::DepartureMonth => {
                l2.push(format!(
                    "{} AS dday",
                    dialect.local_day("x.dep", &mut params)
                ));
                l3.push(format!("{} AS dm", dialect.month("y.dday")));
                l4.push(format!("z.dm AS {out}"));
            }
            Dimension::AgeBand => {
                l2.push(format!(
                    "{} AS aday, x.dob AS dob",
                    dialect.local_day("x.ar", &mut params)
                ));
                l3.push(format!("{} AS age", dialect.age("y.aday", "y.dob")));
                l4.push(format!("{} AS {out}", band_sql("z.age")));
            }
            other => {
                let col = match other {
                    Dimension::CountryOfReturn => "country",
                    Dimension::Programme => "prog",
                    Dimension::Status => "status",
                    Dimension::Sex => "sex",
                    Dimension::Relationship => "rel",
                    _ => "tier",
                };
                l2.push(format!("x.{col} AS {col}"));
                l3.push(format!("y.{col} AS {col}"));
                l4.push(format!("z.{col} AS {out}"));
            }
        }
    }
    let group: Vec<String> = (1..=dims.len()).map(|i| i.to_string()).collect();
    // Sorted the same on both databases: bytewise, unknowns last.
    let order: Vec<String> = (0..dims.len())
        .map(|i| format!("w.v{i}{} NULLS LAST", dialect.bytewise()))
        .collect();
    let sql = format!(
        "SELECT * FROM (SELECT {}, COUNT(*) AS n FROM (SELECT {} FROM (SELECT {} FROM ({level1}) x{fence}) y{fence}) z \
         GROUP BY {}) w ORDER BY {}",
        l4.join(", "),
        l3.join(", "),
        l2.join(", "),
        group.join(", "),
        order.join(", "),
    );
    (sql, params.0)
}

/// The earliest and latest instants the query turns into days, for the
/// zone offsets SQLite needs (each read from an index).
async fn time_range(store: &Store) -> Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    type R = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);
    let a: R = on_db!(&store.db, p => sqlx::query_as(
        "SELECT MIN(referred_at), MAX(referred_at) FROM cases").fetch_one(p).await)?;
    let b: R = on_db!(&store.db, p => sqlx::query_as(
        "SELECT MIN(departed_at), MAX(departed_at) FROM itineraries WHERE departed_at IS NOT NULL")
        .fetch_one(p).await)?;
    let lo = [a.0, b.0].into_iter().flatten().min();
    let hi = [a.1, b.1].into_iter().flatten().max();
    Ok(lo.zip(hi))
}

fn io(e: impl std::fmt::Display) -> Error {
    Error::Io(e.to_string())
}

/// Writes de-identified export `id` for its job: groups and counts in the
/// database, then streams the groups to the file, suppressing those below
/// the threshold and adding the suppressed line; no total. `label(lang,
/// key)` translates the header. Restartable: a new attempt starts the file
/// again.
pub async fn write(
    store: &Store,
    id: Uuid,
    label: &(dyn Fn(&str, &str) -> String + Sync),
    lease: &JobLease<'_>,
) -> Result<Export> {
    let e = exports::row(store, id).await?;
    if e.status == "done" {
        return Ok(e);
    }
    if e.kind != KIND {
        return Err(Error::invalid("kind", "unknown-kind"));
    }
    // Checked again at run time: the owner may have changed role since.
    let actor = exports::owner_actor(store, e.owner_id).await?;
    if !deidentify::may_export(actor.role) {
        return Err(Error::Forbidden);
    }
    let spec = e
        .deidentified
        .clone()
        .ok_or_else(|| Error::invalid("dimensions", "no-dimensions"))?;
    if spec.dimensions.is_empty() {
        return Err(Error::invalid("dimensions", "no-dimensions"));
    }
    let format =
        Format::parse(&e.format).ok_or_else(|| Error::invalid("format", "unknown-format"))?;
    on_db!(&store.db, p => sqlx::query(
        "UPDATE exports SET status = 'running', rows_written = 0, total_rows = NULL, error = NULL WHERE id = $1")
        .bind(id).execute(p).await.map(|r| r.rows_affected()))?;

    // Days and months are the exporter's office's (their programme's zone).
    let zone = actor.time_zone;
    let dialect = match &store.db {
        Db::Postgres(_) => Dialect::Postgres(zone),
        Db::Sqlite(_) => {
            let now = crate::now();
            let (lo, hi) = time_range(store).await?.unwrap_or((now, now));
            // A day either side: the offsets must cover every instant read.
            Dialect::Sqlite(ZoneOffsets::between(
                zone,
                lo - TimeDelta::days(1),
                hi + TimeDelta::days(1),
            ))
        }
    };
    // An analyst counts the cases of their own programmes only.
    let (sql, params) = aggregate_sql(&spec, &dialect, actor.programmes.as_deref(), zone);

    let dir = store.data_dir.join("exports");
    tokio::fs::create_dir_all(&dir).await.map_err(io)?;
    let rel = format!("exports/{id}.{}", format.as_str());
    let path = store.data_dir.join(&rel);
    let mut sink = Sink::create(format, &path).map_err(io)?;
    let mut head: Vec<String> = spec
        .dimensions
        .iter()
        .map(|d| label(&e.lang, d.label_key()))
        .collect();
    head.push(label(&e.lang, spec.unit.label_key()));
    let mut tags: Vec<&str> = spec.dimensions.iter().map(|d| d.hxl()).collect();
    tags.push(spec.unit.hxl());
    sink.header(&head, e.hxl.then_some(tags.as_slice()))
        .map_err(io)?;

    let n = spec.dimensions.len();
    let mut suppressor = Suppressor::default();
    let mut written: u64 = 0;
    let mut since_progress: u64 = 0;
    let mut cells: Vec<Cell> = Vec::with_capacity(n + 1);
    on_db!(&store.db, p => {
        let mut rows = bind_params!(sqlx::query(&sql), params).fetch(p);
        while let Some(r) = rows.try_next().await? {
            use sqlx::Row;
            let count: i64 = r.try_get(n)?;
            if !suppressor.admit(count) {
                continue;
            }
            cells.clear();
            for i in 0..n {
                let v: Option<String> = r.try_get(i)?;
                cells.push(Cell::Text(v.unwrap_or_else(|| deidentify::UNKNOWN.to_string())));
            }
            cells.push(Cell::Number(count));
            sink.row(&cells).map_err(io)?;
            written += 1;
            since_progress += 1;
            if since_progress == PROGRESS_EVERY {
                since_progress = 0;
                exports::progress(store, id, written, lease).await?;
            }
        }
    });
    if let Some(shown) = suppressor.suppressed_line() {
        cells.clear();
        cells.push(Cell::Text(label(&e.lang, "deid-suppressed-line")));
        cells.extend((1..n).map(|_| Cell::Empty));
        cells.push(match shown {
            deidentify::Shown::Count(c) => Cell::Number(c),
            other => Cell::Text(other.text()),
        });
        sink.row(&cells).map_err(io)?;
        written += 1;
    }
    tokio::task::spawn_blocking(move || sink.finish())
        .await
        .map_err(io)?
        .map_err(io)?;
    let rows = i64::try_from(written).unwrap_or(i64::MAX);
    let now = crate::now();
    on_db!(&store.db, p => sqlx::query(
        "UPDATE exports SET status = 'done', rows_written = $1, total_rows = $1, file_path = $2, \
         finished_at = $3, expires_at = $4 WHERE id = $5")
        .bind(rows).bind(&rel).bind(now).bind(now + TimeDelta::days(KEEP_DAYS)).bind(id)
        .execute(p).await.map(|r| r.rows_affected()))?;
    exports::row(store, id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bands_in_sql_follow_the_domain_table() {
        let s = band_sql("a");
        assert!(s.starts_with("CASE WHEN a IS NULL OR a < 0 THEN 'unknown' WHEN a < 5 THEN '0–4'"));
        assert!(
            s.ends_with("WHEN a < 65 THEN '50–64' ELSE '65+' END"),
            "{s}"
        );
    }

    #[test]
    fn relationships_in_sql_follow_the_domain_groups() {
        let s = relationship_sql("m.relationship");
        assert_eq!(
            s,
            "CASE m.relationship WHEN 'principal' THEN 'principal' WHEN 'spouse' THEN 'partner' \
             WHEN 'child' THEN 'child' ELSE 'other' END"
        );
    }

    #[test]
    fn the_query_never_selects_a_name_or_identifier() {
        let spec = Spec {
            unit: Unit::People,
            dimensions: Dimension::ALL.to_vec(),
            period: None,
        };
        let z = ZoneOffsets::between(
            homeward_domain::report::PROGRAMME_TZ,
            crate::now(),
            crate::now() + TimeDelta::days(400),
        );
        for d in [
            Dialect::Postgres(homeward_domain::report::PROGRAMME_TZ),
            Dialect::Sqlite(z),
        ] {
            let (sql, _) = aggregate_sql(&spec, &d, None, homeward_domain::report::PROGRAMME_TZ);
            for col in [
                "display_name",
                "given_names",
                "family_name",
                "case_number",
                "uci",
                "passport",
                "phone",
                "email",
                "address",
                "cbsa_client_id",
            ] {
                assert!(!sql.contains(col), "{col} in {sql}");
            }
            assert!(sql.contains("GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"));
        }
    }
}
