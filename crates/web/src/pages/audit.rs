//! The audit trail: auditor only, read-only, filterable by person (or case),
//! user, action, record and period, and exported as CSV. Entries are sealed
//! into the hash chain before they are shown, so the view has no gaps.

use crate::auth::PageUser;
use crate::form::FormState;
use crate::frame::{render, require, store_error, Layout};
use crate::AppState;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, TimeZone, Utc};
use homeward_domain::{Action, Resource};
use homeward_exports::{Cell, Sink};
use homeward_store::audit::{self, AuditFilter, AuditRow, Head};
use homeward_store::Store;
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    l: Layout,
    rows: Vec<EntryView>,
    total: i64,
    f: FormState,
    page: i64,
    prev_link: Option<String>,
    next_link: Option<String>,
    /// The chain head, for the auditor to note down.
    head: Option<Head>,
    /// This filter's CSV export.
    export_link: String,
    /// People merged into the person filtered on, whose entries are shown
    /// too: (id, link to their own entries).
    merged: Vec<(String, String)>,
}

/// An entry as read on the page: the action and the record in words, and
/// what changed as field and value pairs rather than JSON.
struct EntryView {
    r: AuditRow,
    action: String,
    entity: String,
    before: Vec<(String, String)>,
    after: Vec<(String, String)>,
}

/// "confirm_departure" as "Confirm departure", for codes with no translation.
fn humanised(code: &str) -> String {
    let s = code.replace(['_', '-', '.'], " ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => s,
    }
}

/// The words for `code` from `audit-<group>-<code>`, else the code made readable.
fn words(t: &crate::i18n::Tr, group: &str, code: &str) -> String {
    let key = format!("audit-{group}-{code}");
    match t.has(&key) {
        true => t.t(&key),
        false => humanised(code),
    }
}

/// A before or after record as (field, value) pairs: the top-level fields
/// of a JSON object, strings without quotes, anything deeper as compact
/// JSON; anything that is not an object is one unnamed value.
fn pairs(json: Option<&str>) -> Vec<(String, String)> {
    let Some(text) = json else {
        return Vec::new();
    };
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => "—".into(),
                    other => other.to_string(),
                };
                (humanised(&k), v)
            })
            .collect(),
        Ok(serde_json::Value::Null) => Vec::new(),
        _ => vec![(String::new(), text.to_string())],
    }
}

impl EntryView {
    fn of(t: &crate::i18n::Tr, r: AuditRow) -> EntryView {
        EntryView {
            action: words(t, "action", &r.action),
            entity: words(t, "entity", &r.entity),
            before: pairs(r.before_json.as_deref()),
            after: pairs(r.after_json.as_deref()),
            r,
        }
    }
}

/// Parses the filter query shared by the page and the API.
pub fn filter_from_query(q: &HashMap<String, String>, per_page: i64) -> AuditFilter {
    let nonempty = |k: &str| {
        q.get(k)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let day = |k: &str| nonempty(k).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
    // One field finds a person's entries: a person's or a case's id, or a
    // case number.
    let person = nonempty("person");
    let person_id = person
        .as_deref()
        .and_then(|p| uuid::Uuid::parse_str(p).ok());
    let case_number = person.filter(|_| person_id.is_none());
    let page = q
        .get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, 1_000_000);
    AuditFilter {
        actor_email: nonempty("user"),
        action: nonempty("action"),
        entity: nonempty("entity"),
        entity_id: nonempty("entity_id"),
        case_id: nonempty("case_id").and_then(|c| uuid::Uuid::parse_str(&c).ok()),
        person_id,
        case_number,
        from: day("from")
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d)),
        to: day("to")
            .and_then(|d| d.succ_opt())
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| Utc.from_utc_datetime(&d)),
        limit: per_page,
        offset: (page - 1) * per_page,
    }
}

/// Seals the entries written since the last seal, so the auditor sees the
/// latest in the chain. A failure is logged, not shown: the entries are there
/// all the same, and the worker seals them on its next round.
pub async fn seal_quietly(store: &Store) {
    if let Err(e) = audit::seal(store).await {
        tracing::error!(error = %e, "sealing the audit trail failed");
    }
}

/// The query without paging, as a link.
fn link_with(q: &HashMap<String, String>, extra: &[(&str, String)]) -> String {
    let mut pairs: Vec<(String, String)> = q
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "page" | "format") && !v.trim().is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    pairs.sort();
    pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    format!(
        "/audit?{}",
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    )
}

/// GET /audit (with `format=csv`: the filtered trail as a CSV download).
pub async fn list(
    State(state): State<AppState>,
    PageUser(auth, ctx): PageUser,
    Query(q): Query<HashMap<String, String>>,
    uri: axum::http::Uri,
) -> Response {
    if let Err(r) = require(&auth, &ctx, Resource::Audit, Action::Read) {
        return r;
    }
    let csv = q.get("format").map(String::as_str) == Some("csv");
    // The whole trail as a file: a download like any other bulk one.
    if csv {
        if let Err(r) = crate::reauth::guard_get(&auth, &uri) {
            return r;
        }
    }
    let filter = filter_from_query(&q, PER_PAGE);
    seal_quietly(&state.store).await;
    if csv {
        return export_csv(&state.store, &auth, &ctx, &q, &filter).await;
    }
    let page = filter.offset / PER_PAGE + 1;
    let merged = match filter.person_id {
        Some(id) => match audit::merged_people(&state.store, id).await {
            Ok(m) => m,
            Err(e) => return store_error(&ctx, e),
        },
        None => Vec::new(),
    };
    match audit::list(&state.store, &auth.actor, &filter).await {
        Ok((rows, total)) => {
            let link = |p: i64| link_with(&q, &[("page", p.to_string())]);
            let l = Layout::new(&ctx, ctx.tr().t("nav-audit"), "/audit");
            render(
                StatusCode::OK,
                AuditPage {
                    l,
                    rows: rows
                        .into_iter()
                        .map(|r| EntryView::of(&ctx.tr(), r))
                        .collect(),
                    total,
                    f: FormState::with(q.clone()),
                    page,
                    prev_link: (page > 1).then(|| link(page - 1)),
                    next_link: (page * PER_PAGE < total).then(|| link(page + 1)),
                    head: audit::head(&state.store).await.ok(),
                    export_link: link_with(&q, &[("format", "csv".into())]),
                    merged: merged
                        .iter()
                        .map(|id| (id.to_string(), format!("/audit?person={id}")))
                        .collect(),
                },
            )
        }
        Err(e) => store_error(&ctx, e),
    }
}

/// A writer the CSV sink fills and the response drains chunk by chunk.
#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("export buffer poisoned"))?
            .extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn len(&self) -> usize {
        self.0.lock().map(|v| v.len()).unwrap_or(0)
    }
    fn take(&self) -> Bytes {
        self.0
            .lock()
            .map(|mut v| Bytes::from(std::mem::take(&mut *v)))
            .unwrap_or_default()
    }
}

/// Bytes sent to the client at a time.
const CHUNK: usize = 64 * 1024;

/// The columns of the export, as message keys.
const COLUMNS: [&str; 12] = [
    "audit-seq",
    "audit-id",
    "audit-when",
    "audit-user",
    "audit-action",
    "audit-entity",
    "audit-record-id",
    "audit-case",
    "audit-before",
    "audit-after",
    "audit-request",
    "audit-hash",
];

fn cells(r: &AuditRow) -> Vec<Cell> {
    let text = |v: &Option<String>| v.clone().map(Cell::Text).unwrap_or(Cell::Empty);
    vec![
        r.seq.map(Cell::Number).unwrap_or(Cell::Empty),
        Cell::Number(r.id),
        Cell::Text(r.at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)),
        text(&r.actor_email),
        Cell::Text(r.action.clone()),
        Cell::Text(r.entity.clone()),
        text(&r.entity_id),
        r.case_id
            .map(|c| Cell::Text(c.to_string()))
            .unwrap_or(Cell::Empty),
        text(&r.before_json),
        text(&r.after_json),
        text(&r.request_id),
        text(&r.hash),
    ]
}

struct Export {
    rows: tokio::sync::mpsc::Receiver<homeward_store::Result<AuditRow>>,
    sink: Option<Sink<Shared>>,
    buf: Shared,
    done: bool,
}

/// The filtered trail, oldest first, as CSV streamed from the database in
/// constant memory (cells that a spreadsheet would take for formulas are
/// neutralised by the sink). The export itself is recorded in the trail.
async fn export_csv(
    store: &Store,
    auth: &crate::auth::Auth,
    ctx: &crate::auth::Ctx,
    q: &HashMap<String, String>,
    filter: &AuditFilter,
) -> Response {
    let rows = match audit::stream(store, &auth.actor, filter) {
        Ok(rows) => rows,
        Err(e) => return store_error(ctx, e),
    };
    let mut asked: Vec<(&String, &String)> = q
        .iter()
        .filter(|(k, v)| !matches!(k.as_str(), "page" | "format") && !v.trim().is_empty())
        .collect();
    asked.sort();
    let filters: serde_json::Map<String, serde_json::Value> = asked
        .into_iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let recorded = async {
        let mut tx = store.begin().await?;
        audit::record(
            &mut tx,
            Some(&auth.actor),
            audit::Entry {
                action: "export",
                entity: "audit",
                entity_id: None,
                case_id: None,
                before: None,
                after: Some(serde_json::Value::Object(filters)),
            },
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = recorded {
        return store_error(ctx, e);
    }
    let tr = ctx.tr();
    let labels: Vec<String> = COLUMNS.iter().map(|k| tr.t(k)).collect();
    let buf = Shared::default();
    let mut sink = Sink::csv(buf.clone());
    if let Err(e) = sink.header(&labels, None) {
        tracing::error!(error = %e, "audit export failed");
        return crate::frame::error_page(ctx, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    }
    let state = Export {
        rows,
        sink: Some(sink),
        buf,
        done: false,
    };
    let body = futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        loop {
            match st.rows.recv().await {
                Some(Ok(r)) => {
                    let written = st.sink.as_mut().map(|s| s.row(&cells(&r)));
                    if let Some(Err(e)) = written {
                        tracing::error!(error = %e, "audit export failed");
                        st.done = true;
                        return Some((Err(std::io::Error::other("export failed")), st));
                    }
                    if st.buf.len() >= CHUNK {
                        let chunk = st.buf.take();
                        return Some((Ok(chunk), st));
                    }
                }
                Some(Err(e)) => {
                    // The client sees a cut-off download, never half a file
                    // that looks whole.
                    tracing::error!(error = %e, "audit export failed");
                    st.done = true;
                    return Some((Err(std::io::Error::other("export failed")), st));
                }
                None => {
                    st.done = true;
                    if let Some(Err(e)) = st.sink.take().map(Sink::finish) {
                        tracing::error!(error = %e, "audit export failed");
                        return Some((Err(std::io::Error::other("export failed")), st));
                    }
                    let chunk = st.buf.take();
                    return Some((Ok(chunk), st));
                }
            }
        }
    });
    let name = format!(
        "attachment; filename=\"audit-trail-{}.csv\"",
        homeward_store::now().format("%Y%m%d-%H%M%S")
    );
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, name),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::{humanised, pairs};

    #[test]
    fn records_read_as_fields_and_values() {
        assert_eq!(humanised("confirm_departure"), "Confirm departure");
        assert_eq!(
            pairs(Some(
                r#"{"status":"booked","fare_minor":12000,"reason":null}"#
            )),
            [
                ("Fare minor".to_string(), "12000".to_string()),
                ("Reason".to_string(), "—".to_string()),
                ("Status".to_string(), "booked".to_string()),
            ]
        );
        assert!(pairs(None).is_empty());
        assert_eq!(pairs(Some("[1,2]")), [(String::new(), "[1,2]".to_string())]);
    }
}
