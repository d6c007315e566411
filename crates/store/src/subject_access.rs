//! Subject access (docs/adr/0026): everything Homeward holds about one
//! person, for the person themselves. Admins only (or an operator at the
//! command line); the export is audited, its content is not.
//!
//! Rows are read generically (every column of each table), so a column
//! added later is exported without a change here. Case-level records
//! (status history, referral, counselling, consents, travel, reintegration,
//! monitoring) are those of every case the person is on; records about one
//! person of a case (membership, vulnerabilities, fitness, travel documents,
//! tickets) are the person's own only. Attachments and letters are listed
//! (kind, name, type, size, checksum), not copied. Sealed values (`hwenc:`,
//! ADR 0028) are opened with the store's keys when it holds them.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_db, Db, Error, Result, Store};
use homeward_domain::Role;
use serde_json::{json, Map, Value};
use sqlx::{Column, Row, TypeInfo, ValueRef};
use uuid::Uuid;

/// Columns never exported: internal (search index, storage path) or the
/// bytes of a document (listed, not copied).
const SKIPPED: &[&str] = &["search_text", "storage_key", "content"];

/// One value of a sealed column (ADR 0028), opened with the store's keys;
/// one that does not open is marked as such, never shown as ciphertext.
fn open_sealed(store: &Store, table: &str, column: &str, row: Option<Uuid>, v: &str) -> Value {
    let Some(row) = row else {
        return json!({"sealed": true});
    };
    match store.keys.open(&crate::crypto::aad(table, column, row), v) {
        Ok(s) => Value::String(s),
        Err(e) => {
            tracing::warn!(table, column, %row, error = %e, "subject access: a sealed value does not open");
            json!({"sealed": true})
        }
    }
}

fn text_value(store: &Store, table: &str, column: &str, row: Option<Uuid>, s: String) -> Value {
    if s.starts_with("hwenc:") {
        return open_sealed(store, table, column, row, &s);
    }
    let t = s.trim_start();
    if t.starts_with('[') || t.starts_with('{') {
        if let Ok(v) = serde_json::from_str::<Value>(t) {
            return v;
        }
    }
    Value::String(s)
}

fn sqlite_row(store: &Store, table: &str, row: &sqlx::sqlite::SqliteRow) -> Map<String, Value> {
    let mut out = Map::new();
    let id: Option<Uuid> = row.try_get::<Uuid, _>("id").ok();
    for (i, col) in row.columns().iter().enumerate() {
        let name = col.name();
        if SKIPPED.contains(&name) {
            continue;
        }
        let v = match row.try_get_raw(i) {
            Ok(raw) if raw.is_null() => Value::Null,
            Ok(raw) => match raw.type_info().name() {
                "INTEGER" => row
                    .try_get::<i64, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                "REAL" => row
                    .try_get::<f64, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                "BLOB" => match row.try_get::<Vec<u8>, _>(i) {
                    Ok(b) if b.len() == 16 => Uuid::from_slice(&b)
                        .map(|u| Value::String(u.to_string()))
                        .unwrap_or(Value::Null),
                    Ok(b) => json!({"bytes": b.len()}),
                    Err(_) => Value::Null,
                },
                _ => row
                    .try_get::<String, _>(i)
                    .map(|s| text_value(store, table, name, id, s))
                    .unwrap_or(Value::Null),
            },
            Err(_) => Value::Null,
        };
        out.insert(name.to_string(), v);
    }
    out
}

fn pg_row(store: &Store, table: &str, row: &sqlx::postgres::PgRow) -> Map<String, Value> {
    use chrono::{DateTime, NaiveDate, Utc};
    let mut out = Map::new();
    let id: Option<Uuid> = row.try_get::<Uuid, _>("id").ok();
    for (i, col) in row.columns().iter().enumerate() {
        let name = col.name();
        if SKIPPED.contains(&name) {
            continue;
        }
        let null = row.try_get_raw(i).map(|r| r.is_null()).unwrap_or(true);
        if null {
            out.insert(name.to_string(), Value::Null);
            continue;
        }
        let v = match col.type_info().name() {
            "UUID" => row
                .try_get::<Uuid, _>(i)
                .map(|u| Value::String(u.to_string()))
                .ok(),
            "INT8" => row.try_get::<i64, _>(i).map(Value::from).ok(),
            "INT4" => row.try_get::<i32, _>(i).map(Value::from).ok(),
            "INT2" => row.try_get::<i16, _>(i).map(Value::from).ok(),
            "BOOL" => row.try_get::<bool, _>(i).map(Value::from).ok(),
            "FLOAT8" => row.try_get::<f64, _>(i).map(Value::from).ok(),
            "FLOAT4" => row.try_get::<f32, _>(i).map(|f| Value::from(f as f64)).ok(),
            "TIMESTAMPTZ" => row
                .try_get::<DateTime<Utc>, _>(i)
                .map(|t| Value::String(t.to_rfc3339()))
                .ok(),
            "DATE" => row
                .try_get::<NaiveDate, _>(i)
                .map(|d| Value::String(d.to_string()))
                .ok(),
            "BYTEA" => row
                .try_get::<Vec<u8>, _>(i)
                .map(|b| json!({"bytes": b.len()}))
                .ok(),
            "JSON" | "JSONB" => row.try_get::<Value, _>(i).ok(),
            _ => row
                .try_get::<String, _>(i)
                .map(|s| text_value(store, table, name, id, s))
                .ok(),
        };
        out.insert(name.to_string(), v.unwrap_or(Value::Null));
    }
    out
}

/// Every row of `table` matching `where_` (with `$1` bound to `id`), as JSON objects.
async fn rows(store: &Store, table: &str, where_: &str, id: Uuid) -> Result<Vec<Value>> {
    rows_bound(store, table, where_, &[id]).await
}

/// Every row of `table` matching `where_`, with `$1`, `$2`, ... bound to `ids`.
async fn rows_bound(store: &Store, table: &str, where_: &str, ids: &[Uuid]) -> Result<Vec<Value>> {
    let sql = format!("SELECT * FROM {table} WHERE {where_}");
    Ok(match &store.db {
        Db::Sqlite(p) => {
            let mut q = sqlx::query(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p)
                .await?
                .iter()
                .map(|r| Value::Object(sqlite_row(store, table, r)))
                .collect()
        }
        Db::Postgres(p) => {
            let mut q = sqlx::query(&sql);
            for id in ids {
                q = q.bind(*id);
            }
            q.fetch_all(p)
                .await?
                .iter()
                .map(|r| Value::Object(pg_row(store, table, r)))
                .collect()
        }
    })
}

/// What one case holds, by section: (key, table, condition with `$1` the
/// case id).
const CASE_SECTIONS: &[(&str, &str, &str)] = &[
    ("status_history", "case_transitions", "case_id = $1 ORDER BY at"),
    ("referral", "referrals", "case_id = $1"),
    ("eligibility", "eligibility_evaluations", "case_id = $1 ORDER BY evaluated_at"),
    ("counselling_sessions", "counselling_sessions", "case_id = $1 ORDER BY held_on"),
    ("consents", "consents", "case_id = $1 ORDER BY given_at"),
    ("feedback", "feedback", "case_id = $1 ORDER BY received_at"),
    ("appointments", "appointments", "case_id = $1 ORDER BY starts_at"),
    ("itineraries", "itineraries", "case_id = $1 ORDER BY created_at"),
    ("itinerary_segments", "itinerary_segments", "itinerary_id IN (SELECT id FROM itineraries WHERE case_id = $1) ORDER BY itinerary_id, position"),
    ("itinerary_events", "itinerary_events", "case_id = $1 ORDER BY at"),
    ("arrival", "arrivals", "case_id = $1"),
    ("reintegration_plan", "reintegration_plans", "case_id = $1"),
    ("plan_components", "plan_components", "case_id = $1 ORDER BY created_at"),
    ("reintegration_budget", "reintegration_budgets", "case_id = $1"),
    ("purchases", "purchases", "case_id = $1 ORDER BY requested_at"),
    ("closures", "case_closures", "case_id = $1 ORDER BY closed_at"),
    ("followups", "followups", "case_id = $1 ORDER BY due_on"),
    ("followup_attempts", "followup_attempts", "case_id = $1 ORDER BY recorded_at"),
    ("rss_surveys", "rss_surveys", "case_id = $1 ORDER BY surveyed_on"),
    ("attachments", "attachments", "case_id = $1 ORDER BY uploaded_at"),
    ("letters", "letters", "case_id = $1 ORDER BY created_at"),
];

/// What a case holds about the person alone (by case and person id).
const PERSON_SECTIONS: &[(&str, &str)] = &[
    ("membership", "case_members"),
    ("vulnerabilities", "vulnerabilities"),
    ("fitness_checks", "fitness_checks"),
    ("travel_documents", "travel_documents"),
];

/// Everything held about `person_id`, as one JSON document, and an audit
/// entry that it was exported (not what). `actor` must be an admin; `None`
/// is an operator at the command line. `NotFound` for an unknown person.
pub async fn export(store: &Store, actor: Option<&Actor>, person_id: Uuid) -> Result<Value> {
    if let Some(a) = actor {
        if a.role != Role::Admin {
            return Err(Error::Forbidden);
        }
    }
    let person = rows(store, "persons", "id = $1", person_id).await?;
    let Some(person) = person.into_iter().next() else {
        return Err(Error::NotFound);
    };
    let case_ids: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT id FROM cases WHERE principal_person_id = $1 OR id IN (SELECT case_id FROM case_members WHERE person_id = $1) \
         ORDER BY referred_at, id")
        .bind(person_id).fetch_all(p).await)?;
    let mut cases = Vec::new();
    for cid in &case_ids {
        let mut c = Map::new();
        let mut case = rows(store, "cases", "id = $1", *cid).await?;
        let Some(Value::Object(mut case)) = case.pop() else {
            continue;
        };
        // The principal's name is a copy kept for sorting; another person's
        // name is not this person's data.
        case.remove("principal_name");
        c.insert("case".into(), Value::Object(case));
        for (key, table) in PERSON_SECTIONS {
            let v = person_rows(store, table, *cid, person_id).await?;
            c.insert((*key).into(), Value::Array(v));
        }
        let tickets = person_rows_where(
            store,
            "itinerary_travellers",
            "itinerary_id IN (SELECT id FROM itineraries WHERE case_id = $1) AND person_id = $2",
            *cid,
            person_id,
        )
        .await?;
        c.insert("tickets".into(), Value::Array(tickets));
        for (key, table, where_) in CASE_SECTIONS {
            let v = rows(store, table, where_, *cid).await?;
            c.insert((*key).into(), Value::Array(v));
        }
        cases.push(Value::Object(c));
    }
    let mut audit_rows = Vec::new();
    {
        let mut f = audit::AuditFilter {
            person_id: Some(person_id),
            limit: 500,
            ..Default::default()
        };
        // The filter's own paging, oldest first at the end.
        loop {
            let (page, total) = audit_page(store, &f).await?;
            let n = page.len() as i64;
            audit_rows.extend(page);
            f.offset += n;
            if n == 0 || f.offset >= total {
                break;
            }
        }
        audit_rows.reverse();
    }
    let audit_json: Vec<Value> = audit_rows
        .into_iter()
        .map(|r| {
            json!({
                "at": r.at.to_rfc3339(),
                "actor_email": r.actor_email,
                "action": r.action,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "case_id": r.case_id,
                "before": r.before_json.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
                "after": r.after_json.as_deref().and_then(|s| serde_json::from_str::<Value>(s).ok()),
            })
        })
        .collect();
    let mut doc = json!({
        "format": "homeward-subject-access-v1",
        "generated_at": crate::now().to_rfc3339(),
        "person": person,
        "cases": cases,
        "audit": audit_json,
    });
    // Co-members of a case appear by id in its records and trail (a family
    // member added, their documents): their ids are not this person's data.
    let others: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT DISTINCT person_id FROM case_members WHERE person_id <> $1 AND case_id IN \
         (SELECT id FROM cases WHERE principal_person_id = $1 OR id IN (SELECT case_id FROM case_members WHERE person_id = $1))")
        .bind(person_id).fetch_all(p).await)?;
    let others: Vec<String> = others.iter().map(Uuid::to_string).collect();
    mask(&mut doc, &others);
    let mut tx = store.begin().await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "subject_access_export",
            entity: "person",
            entity_id: Some(person_id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({"cases": case_ids.len()})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}

async fn person_rows(
    store: &Store,
    table: &str,
    case_id: Uuid,
    person: Uuid,
) -> Result<Vec<Value>> {
    person_rows_where(
        store,
        table,
        "case_id = $1 AND person_id = $2",
        case_id,
        person,
    )
    .await
}

async fn person_rows_where(
    store: &Store,
    table: &str,
    where_: &str,
    case_id: Uuid,
    person: Uuid,
) -> Result<Vec<Value>> {
    rows_bound(store, table, where_, &[case_id, person]).await
}

/// Audit entries about the person, newest first (without the auditor
/// check: this is the subject's own trail, exported by an admin).
async fn audit_page(store: &Store, f: &audit::AuditFilter) -> Result<(Vec<audit::AuditRow>, i64)> {
    audit::list_unchecked(store, f).await
}

/// Replaces every string equal to one of `ids` by `"another person"`.
fn mask(v: &mut Value, ids: &[String]) {
    match v {
        Value::String(s) if ids.iter().any(|i| i == s) => {
            *v = Value::String("another person".into());
        }
        Value::Array(a) => a.iter_mut().for_each(|x| mask(x, ids)),
        Value::Object(m) => m.values_mut().for_each(|x| mask(x, ids)),
        _ => {}
    }
}

/// Whether a person with this id exists (says nothing else about them).
pub async fn exists(store: &Store, person_id: Uuid) -> Result<bool> {
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM persons WHERE id = $1")
        .bind(person_id).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Columns left out of the person's own copy: who among staff did what
/// (`*_by`, the counsellor, a user), the vendor, how the code is kept, and
/// staff's notes on follow-ups and counselling.
fn staff_column(table: &str, column: &str) -> bool {
    column.ends_with("_by")
        || matches!(
            column,
            "counsellor_id"
                | "user_id"
                | "vendor_id"
                | "code_hash"
                | "actor_id"
                | "receipt_attachment_id"
        )
        || (matches!(
            table,
            "followups" | "followup_attempts" | "counselling_sessions"
        ) && column == "notes")
}

fn without_staff(table: &str, rows: Vec<Value>) -> Value {
    Value::Array(
        rows.into_iter()
            .map(|mut r| {
                if let Value::Object(m) = &mut r {
                    m.retain(|k, _| !staff_column(table, k));
                }
                r
            })
            .collect(),
    )
}

/// What the person reads of each part of their case: (key, table,
/// condition with `$1` the case id and `$2` the person id).
const OWN_SECTIONS: &[(&str, &str, &str)] = &[
    ("membership", "case_members", "case_id = $1 AND person_id = $2"),
    ("consents", "consents", "case_id = $1 AND person_id = $2 ORDER BY given_at"),
    ("consents_given_for_others", "consents", "case_id = $1 AND given_by_person_id = $2 AND person_id <> $2 ORDER BY given_at"),
    ("travel_documents", "travel_documents", "case_id = $1 AND person_id = $2"),
    ("fitness_checks", "fitness_checks", "case_id = $1 AND person_id = $2"),
    ("vulnerabilities", "vulnerabilities", "case_id = $1 AND person_id = $2"),
    ("tickets", "itinerary_travellers", "itinerary_id IN (SELECT id FROM itineraries WHERE case_id = $1) AND person_id = $2"),
    ("flights", "itinerary_segments", "itinerary_id IN (SELECT t.itinerary_id FROM itinerary_travellers t JOIN itineraries i ON i.id = t.itinerary_id WHERE i.case_id = $1 AND t.person_id = $2) ORDER BY departs_at"),
    ("questions_and_complaints", "feedback", "case_id = $1 AND person_id = $2 ORDER BY received_at"),
    ("page_codes", "returnee_access", "case_id = $1 AND person_id = $2 ORDER BY created_at"),
];

/// What the case as a whole holds that is about the household's return:
/// (key, table, condition with `$1` the case id).
const OWN_CASE_SECTIONS: &[(&str, &str, &str)] = &[
    (
        "status_history",
        "case_transitions",
        "case_id = $1 ORDER BY at",
    ),
    (
        "appointments",
        "appointments",
        "case_id = $1 AND cancelled_at IS NULL ORDER BY starts_at",
    ),
    ("arrival", "arrivals", "case_id = $1"),
    (
        "reintegration_plan",
        "plan_components",
        "case_id = $1 ORDER BY created_at",
    ),
    (
        "purchases",
        "purchases",
        "case_id = $1 ORDER BY requested_at",
    ),
    ("followups", "followups", "case_id = $1 ORDER BY due_on"),
];

/// The copy a returnee downloads from their own page: their person record
/// and what their case holds about them, without anything about staff,
/// vendors or the other members (whose ids read "another person"). The
/// download is audited (not its content).
pub async fn own(store: &Store, case_id: Uuid, person_id: Uuid) -> Result<Value> {
    let mut person = rows(store, "persons", "id = $1", person_id).await?;
    let Some(mut person) = person.pop() else {
        return Err(Error::NotFound);
    };
    if let Value::Object(m) = &mut person {
        m.retain(|k, _| !staff_column("persons", k));
    }
    let mut case = Map::new();
    let summary: Option<(String, String, Option<String>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT case_number, status, country_of_return FROM cases WHERE id = $1")
        .bind(case_id).fetch_optional(p).await)?;
    let (number, status, country) = summary.ok_or(Error::NotFound)?;
    case.insert("case_number".into(), Value::String(number));
    case.insert("status".into(), Value::String(status));
    case.insert("country_of_return".into(), json!(country));
    for (key, table, where_) in OWN_SECTIONS {
        let v = rows_bound(store, table, where_, &[case_id, person_id]).await?;
        case.insert((*key).into(), without_staff(table, v));
    }
    for (key, table, where_) in OWN_CASE_SECTIONS {
        let v = rows(store, table, where_, case_id).await?;
        case.insert((*key).into(), without_staff(table, v));
    }
    let mut doc = json!({
        "format": "homeward-own-data-v1",
        "generated_at": crate::now().to_rfc3339(),
        "person": person,
        "case": Value::Object(case),
    });
    let others: Vec<Uuid> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT person_id FROM case_members WHERE case_id = $1 AND person_id <> $2")
        .bind(case_id).bind(person_id).fetch_all(p).await)?;
    let others: Vec<String> = others.iter().map(Uuid::to_string).collect();
    mask(&mut doc, &others);
    let mut tx = store.begin().await?;
    audit::record(
        &mut tx,
        None,
        Entry {
            action: "download",
            entity: "own-data",
            entity_id: Some(person_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(doc)
}
