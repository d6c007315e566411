//! The register of questions and complaints (issue 22, IOM's principle of
//! oversight and remedies): what a returnee sends from their own page, and
//! what staff write down for them from a call or a visit. Each item is due
//! a programme-set number of days after it arrives (`feedback_due_days`);
//! the programme's supervisors read the register of the cases in their
//! scope and answer, and the answer shows on the person's page. The text
//! and the answer are sealed; the audit trail says what happened, never
//! what was written. Rules: `homeward_domain::feedback`.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope;
use crate::crypto::aad;
use crate::returnee_access::Returnee;
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::feedback::{
    check_answer, check_message, check_recorded, due_on, is_overdue, may_answer, may_record,
};
use homeward_domain::Invalid;
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The table, for the sealed columns' list.
pub const TABLE: &str = "feedback";

/// One item of the register, as supervisors read it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Item {
    pub id: Uuid,
    pub case_id: Uuid,
    pub case_number: String,
    /// Who it is from.
    pub person_name: String,
    /// `question` or `complaint`.
    pub kind: String,
    /// `page`, `phone`, `in_person`, `email` or `letter`.
    pub channel: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    /// Who wrote it down; none when the person sent it from their page.
    pub recorded_by_name: Option<String>,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub answered_by_name: Option<String>,
    /// Unanswered past its due day (set on reading, from the actor's day).
    #[sqlx(skip)]
    pub overdue: bool,
}

/// One item as the person who sent it reads it: nothing of staff.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Mine {
    pub id: Uuid,
    pub kind: String,
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// What staff write down for a person.
#[derive(Debug, Clone, Default)]
pub struct NewItem {
    /// A member of the case.
    pub person_id: Option<Uuid>,
    pub kind: String,
    pub channel: String,
    pub body: String,
}

const ITEM_COLUMNS: &str = "f.id, f.case_id, c.case_number, p.display_name AS person_name, f.kind, f.channel, \
    f.body, f.received_at, f.due_on, ru.name AS recorded_by_name, f.answer, f.answered_at, au.name AS answered_by_name";
const ITEM_JOINS: &str =
    "FROM feedback f JOIN cases c ON c.id = f.case_id JOIN persons p ON p.id = f.person_id \
    LEFT JOIN users ru ON ru.id = f.recorded_by LEFT JOIN users au ON au.id = f.answered_by";

/// The programme's answer time and zone, for the case `case_id`.
async fn due_rule(store: &Store, case_id: Uuid) -> Result<(i64, chrono_tz::Tz)> {
    let row: Option<(i64, String)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT CAST(g.feedback_due_days AS BIGINT), g.time_zone FROM cases c JOIN programmes g ON g.id = c.programme_id WHERE c.id = $1")
        .bind(case_id).fetch_optional(p).await)?;
    let (days, zone) = row.ok_or(Error::NotFound)?;
    let zone = homeward_domain::programme::time_zone(&zone)
        .unwrap_or(homeward_domain::programme::DEFAULT_TIME_ZONE);
    Ok((days, zone))
}

/// Writes one item and its audit entry.
#[allow(clippy::too_many_arguments)]
async fn insert(
    store: &Store,
    actor: Option<&Actor>,
    case_id: Uuid,
    person_id: Uuid,
    kind: &str,
    channel: &str,
    body: &str,
) -> Result<Uuid> {
    let (days, zone) = due_rule(store, case_id).await?;
    let now = crate::now();
    let due = due_on(now.with_timezone(&zone).date_naive(), days);
    let id = Uuid::new_v4();
    let sealed = store.keys.seal(&aad(TABLE, "body", id), body)?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO feedback (id, case_id, person_id, kind, channel, body, received_at, due_on, recorded_by) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(case_id).bind(person_id).bind(kind.trim()).bind(channel.trim()).bind(&sealed)
        .bind(now).bind(due).bind(actor.map(|a| a.user_id))
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "create",
            entity: "feedback",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"kind": kind.trim(), "channel": channel.trim(), "person_id": person_id, "due_on": due})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Staff write down what a member of a case in their scope asked or
/// complained about (`person_id`: `required`, `not-on-case`).
pub async fn record(store: &Store, actor: &Actor, case_id: Uuid, item: &NewItem) -> Result<Uuid> {
    scope::summary(store, actor, case_id.into()).await?;
    if !may_record(actor.role) {
        return Err(Error::Forbidden);
    }
    let mut inv = check_recorded(&item.kind, &item.channel, &item.body)
        .err()
        .unwrap_or_default();
    let mut on_case = false;
    if let Some(pid) = item.person_id {
        let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_members WHERE case_id = $1 AND person_id = $2")
            .bind(case_id).bind(pid).fetch_one(p).await)?;
        on_case = n > 0;
    }
    match (item.person_id, on_case) {
        (None, _) => inv.add("person_id", "required"),
        (Some(_), false) => inv.add("person_id", "not-on-case"),
        (Some(_), true) => {}
    }
    inv.into_result()?;
    let pid = item
        .person_id
        .ok_or_else(|| Invalid::one("person_id", "required"))?;
    insert(
        store,
        Some(actor),
        case_id,
        pid,
        &item.kind,
        &item.channel,
        item.body.trim(),
    )
    .await
}

/// The person sends a question or complaint from their own page.
pub async fn send(store: &Store, who: &Returnee, kind: &str, body: &str) -> Result<Uuid> {
    let body = check_message(kind, body)?;
    insert(store, None, who.case_id, who.person_id, kind, "page", &body).await
}

/// Opens the sealed text of each item.
fn open_texts(
    store: &Store,
    id: Uuid,
    body: &mut String,
    answer: &mut Option<String>,
) -> Result<()> {
    *body = store.keys.open(&aad(TABLE, "body", id), body)?;
    *answer = store
        .keys
        .open_opt(&aad(TABLE, "answer", id), answer.as_deref())?;
    Ok(())
}

/// The person's own items, newest first (for their page).
pub async fn mine(store: &Store, who: &Returnee) -> Result<Vec<Mine>> {
    let mut rows: Vec<Mine> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, kind, body, received_at, due_on, answer, answered_at FROM feedback \
         WHERE case_id = $1 AND person_id = $2 ORDER BY received_at DESC, id LIMIT 200")
        .bind(who.case_id).bind(who.person_id).fetch_all(p).await)?;
    for r in &mut rows {
        open_texts(store, r.id, &mut r.body, &mut r.answer)?;
    }
    Ok(rows)
}

/// Which items a register shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Showing {
    /// Unanswered ones, the earliest due first.
    Open,
    /// Every one, the newest first.
    All,
}

/// The register of the cases in the supervisor's scope (at most `limit`
/// items); `today` decides which are overdue.
pub async fn register(
    store: &Store,
    actor: &Actor,
    showing: Showing,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Item>> {
    if !may_answer(actor.role) {
        return Err(Error::Forbidden);
    }
    let mut q = Sql::new(&format!("SELECT {ITEM_COLUMNS} {ITEM_JOINS} WHERE 1 = 1"));
    if showing == Showing::Open {
        q.push(" AND f.answered_at IS NULL");
    }
    actor.push_case_scope(&mut q);
    q.push(match showing {
        Showing::Open => " ORDER BY f.due_on, f.received_at, f.id LIMIT ",
        Showing::All => " ORDER BY f.received_at DESC, f.id LIMIT ",
    })
    .bind(Param::I64(limit.clamp(1, 1000)));
    let mut rows: Vec<Item> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Item>(&q.text), q.params).fetch_all(p).await)?;
    for r in &mut rows {
        open_texts(store, r.id, &mut r.body, &mut r.answer)?;
        r.overdue = is_overdue(r.due_on, r.answered_at.is_some(), today);
    }
    if !rows.is_empty() {
        audit::record_read(store, actor, "feedback-register", Uuid::nil(), None).await?;
    }
    Ok(rows)
}

/// One item of the register (not found outside the supervisor's scope).
pub async fn get(store: &Store, actor: &Actor, id: Uuid, today: NaiveDate) -> Result<Item> {
    if !may_answer(actor.role) {
        return Err(Error::Forbidden);
    }
    let mut q = Sql::new(&format!("SELECT {ITEM_COLUMNS} {ITEM_JOINS} WHERE f.id = "));
    q.bind(Param::Uuid(id));
    actor.push_case_scope(&mut q);
    let found: Option<Item> = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Item>(&q.text), q.params).fetch_optional(p).await)?;
    let mut item = found.ok_or(Error::NotFound)?;
    open_texts(store, item.id, &mut item.body, &mut item.answer)?;
    item.overdue = is_overdue(item.due_on, item.answered_at.is_some(), today);
    audit::record_read(store, actor, "feedback", item.id, Some(item.case_id)).await?;
    Ok(item)
}

/// A supervisor answers an item once (`answer` checked; `answered` when
/// it already has one).
pub async fn answer(store: &Store, actor: &Actor, id: Uuid, text: &str) -> Result<()> {
    let item = get(store, actor, id, crate::now().date_naive()).await?;
    let text = check_answer(text)?;
    if item.answered_at.is_some() {
        return Err(Error::invalid("answer", "answered"));
    }
    let sealed = store.keys.seal(&aad(TABLE, "answer", id), &text)?;
    let now = crate::now();
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE feedback SET answer = $1, answered_at = $2, answered_by = $3 WHERE id = $4 AND answered_at IS NULL")
        .bind(&sealed).bind(now).bind(actor.user_id).bind(id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::invalid("answer", "answered"));
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "answer",
            entity: "feedback",
            entity_id: Some(id.to_string()),
            case_id: Some(item.case_id),
            before: None,
            after: Some(json!({"kind": item.kind, "overdue": item.overdue})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// An overdue item, for the task list.
pub type Overdue = (Uuid, String, String, String, NaiveDate);

/// Unanswered items past their due day in the supervisor's scope, for the
/// task list: (case id, case number, its principal, who it is from, due
/// day). Empty for every other role.
pub async fn overdue(
    store: &Store,
    actor: &Actor,
    today: NaiveDate,
    limit: i64,
) -> Result<Vec<Overdue>> {
    if !may_answer(actor.role) {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT f.case_id, c.case_number, c.principal_name, p.display_name, f.due_on FROM feedback f JOIN cases c ON c.id = f.case_id \
         JOIN persons p ON p.id = f.person_id WHERE f.answered_at IS NULL AND f.due_on < ",
    );
    q.bind(Param::Date(today));
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY f.due_on, f.id LIMIT ")
        .bind(Param::I64(limit.clamp(1, 1000)));
    Ok(
        on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Overdue>(&q.text), q.params).fetch_all(p).await)?,
    )
}

/// How many items are unanswered, and how many of those overdue, in the
/// supervisor's scope (the dashboard's figure); none for other roles.
pub async fn open_counts(
    store: &Store,
    actor: &Actor,
    today: NaiveDate,
) -> Result<Option<(i64, i64)>> {
    if !may_answer(actor.role) {
        return Ok(None);
    }
    let mut q = Sql::new("SELECT COUNT(*), COALESCE(SUM(CASE WHEN f.due_on < ");
    q.bind(Param::Date(today));
    q.push(" THEN 1 ELSE 0 END), 0) FROM feedback f JOIN cases c ON c.id = f.case_id WHERE f.answered_at IS NULL");
    actor.push_case_scope(&mut q);
    let (open, late): (i64, i64) = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, (i64, i64)>(&q.text), q.params).fetch_one(p).await)?;
    Ok(Some((open, late)))
}
