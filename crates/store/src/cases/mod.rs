//! Cases: creation with a case number, the scoped list, the case page,
//! edits with optimistic concurrency, family members and workflow transitions.
//! The scope check lives in [`scope`], the status write in `status`.

pub mod scope;
pub(crate) mod status;

pub use scope::{check, CaseRef, CaseSummary, ScopedCase};
use scope::{section, SUMMARY_SELECT};
use status::record_transition;

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::persons::{self, Person, PersonRow};
use crate::programmes;
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, Datelike, Utc};
use homeward_domain::case_input::{self, CaseFields, NewCase, NewCaseFacts, Principal};
use homeward_domain::person::PersonInput;
use homeward_domain::workflow::{self, CaseStatus, TransitionContext};
use homeward_domain::{Action, CaseNumber, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

pub use homeward_domain::case_input::{CaseInput, CaseUpdate};

/// A person on a case.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Member {
    pub relationship: String,
    pub person: Person,
}

/// One step of a case's timeline.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TimelineEntry {
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub actor_name: Option<String>,
    pub at: DateTime<Utc>,
}

/// Everything on the case page.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CaseDetail {
    #[serde(flatten)]
    pub summary: CaseSummary,
    pub members: Vec<Member>,
    pub timeline: Vec<TimelineEntry>,
    /// The transitions this user may offer from the current status.
    pub allowed_transitions: Vec<String>,
}

/// Filters, sort and page of the case list.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub status: Option<String>,
    pub country: Option<String>,
    pub programme: Option<String>,
    pub counsellor_id: Option<Uuid>,
    /// Only cases no counsellor has taken yet.
    pub unassigned: bool,
    /// Case number, or part of any name or number of the principal applicant.
    pub q: Option<String>,
    /// One of `case_number`, `name`, `status`, `referred_at`, `updated_at`.
    pub sort: Option<String>,
    pub desc: bool,
    pub page: i64,
    pub per_page: i64,
}

/// Sort keys the list accepts.
pub const SORTS: [&str; 5] = ["updated_at", "case_number", "name", "status", "referred_at"];

/// Whether user `id` is an active counsellor of programme `programme`.
async fn assignable_counsellor(store: &Store, id: Uuid, programme: Uuid) -> Result<bool> {
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM users u JOIN user_programmes up ON up.user_id = u.id \
         WHERE u.id = $1 AND u.role = 'counsellor' AND u.active = TRUE AND up.programme_id = $2")
        .bind(id).bind(programme).fetch_one(p).await)?;
    Ok(n > 0)
}

async fn next_case_number(
    tx: &mut Tx,
    programme_id: Uuid,
    prefix: &str,
    year: i32,
) -> Result<String> {
    let seq: i64 = on_tx!(tx, c => sqlx::query_scalar(
        "INSERT INTO case_counters (programme_id, year, last_seq) VALUES ($1, $2, 1) \
         ON CONFLICT (programme_id, year) DO UPDATE SET last_seq = case_counters.last_seq + 1 RETURNING last_seq")
        .bind(programme_id).bind(year).fetch_one(c).await)?;
    Ok(CaseNumber {
        prefix: prefix.to_string(),
        year,
        seq,
    }
    .to_string())
}

/// Opens a case in `referred` with its principal applicant.
pub async fn create(store: &Store, actor: &Actor, input: &CaseInput) -> Result<CaseDetail> {
    actor.require(Resource::Case, Action::Create)?;
    // Left out, the programme is the caller's own when they belong to one
    // only; a programme the caller does not work in is as unknown.
    let found = match (&input.programme, &actor.programmes) {
        (None, Some(ps)) if ps.len() == 1 => programmes::by_id(store, ps[0]).await,
        _ => programmes::by_code(store, case_input::programme_code(input)).await,
    };
    let programme = match found {
        Ok(p) => Some(p).filter(|p| actor.in_programme(p.id)),
        Err(Error::NotFound) => None,
        Err(e) => return Err(e),
    };
    let principal_known = match case_input::existing_principal(input) {
        Some(id) => match persons::get_row(store, actor, id).await {
            Ok(_) => true,
            Err(Error::NotFound) => false,
            Err(e) => return Err(e),
        },
        None => false,
    };
    let counsellor_assignable = match (input.counsellor_id, &programme) {
        (Some(id), Some(p)) => assignable_counsellor(store, id, p.id).await?,
        _ => false,
    };
    let new = case_input::decide_new_case(
        input,
        &NewCaseFacts {
            programme_known: programme.is_some(),
            principal_known,
            counsellor_assignable,
            role: actor.role,
            actor_id: actor.user_id,
            today: Utc::now().date_naive(),
        },
    )?;
    // Refused above as `unknown-programme`.
    let Some(programme) = programme else {
        return Err(Error::NotFound);
    };
    let NewCase {
        country_of_return: country,
        destination_locality: locality,
        principal,
        counsellor_id: counsellor,
        referral,
    } = new;
    if let Some(f) = &referral {
        f.check_recorded(&programme.referral_facts, "referral.")?;
    }
    let now = crate::now();
    let mut tx = store.begin().await?;
    let person_id = match principal {
        Principal::New(d) => persons::insert(&mut tx, actor, &d).await?,
        Principal::Existing(id) => id,
    };
    let number =
        next_case_number(&mut tx, programme.id, &programme.case_prefix, now.year()).await?;
    let id = Uuid::new_v4();
    let status = CaseStatus::initial();
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO cases (id, case_number, programme_id, principal_person_id, country_of_return, destination_locality, \
         counsellor_id, status, created_by, referred_at, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, $10, $10)")
        .bind(id).bind(&number).bind(programme.id).bind(person_id).bind(&country).bind(&locality)
        .bind(counsellor).bind(status.as_str()).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query("INSERT INTO case_members (case_id, person_id, relationship) VALUES ($1, $2, 'principal')")
        .bind(id).bind(person_id).execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO case_transitions (id, case_id, from_status, to_status, reason, actor_id, at) VALUES ($1, $2, NULL, $3, NULL, $4, $5)")
        .bind(Uuid::new_v4()).bind(id).bind(status.as_str()).bind(actor.user_id).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "case",
            entity_id: Some(id.to_string()),
            case_id: Some(id),
            before: None,
            after: Some(json!({"case_number": number, "programme": programme.code, "principal_person_id": person_id,
                "country_of_return": country, "destination_locality": locality, "counsellor_id": counsellor, "status": status.as_str()})),
        },
    )
    .await?;
    if let Some(f) = &referral {
        crate::referrals::insert(&mut tx, actor, id, f, now, programme.contact_hours).await?;
    }
    tx.commit().await?;
    get(store, actor, id).await
}

/// The summary of one case, if in scope (see [`check`]).
pub async fn summary(store: &Store, actor: &Actor, id: Uuid) -> Result<CaseSummary> {
    Ok(check(store, actor, id).await?.into_summary())
}

/// A member and their person row, read in one query.
#[derive(sqlx::FromRow)]
struct MemberRow {
    relationship: String,
    #[sqlx(flatten)]
    person: PersonRow,
}

/// Members and their persons: principal first, then by name.
const MEMBERS_COLUMNS: &str = "m.relationship, p.*";
const MEMBERS_ORDER: &str =
    "ORDER BY CASE m.relationship WHEN 'principal' THEN 0 ELSE 1 END, p.display_name";

/// The whole case, if in scope. Callers that show it to a person record the read.
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<CaseDetail> {
    let summary = summary(store, actor, id).await?;
    detail(store, actor, summary).await
}

/// The rest of the case whose `summary` the caller has just read for `actor`
/// (the scope check): its people, timeline and the moves open to the actor.
/// Spares the case page a second read of the summary.
pub async fn detail(store: &Store, actor: &Actor, summary: CaseSummary) -> Result<CaseDetail> {
    let id = summary.id;
    let rows: Vec<MemberRow> = on_db!(&store.db, p => sqlx::query_as(&format!(
        "SELECT {MEMBERS_COLUMNS} FROM case_members m JOIN persons p ON p.id = m.person_id \
         WHERE m.case_id = $1 {MEMBERS_ORDER}"))
        .bind(id).fetch_all(p).await)?;
    let members = rows
        .into_iter()
        .map(|r| Member {
            relationship: r.relationship,
            person: r.person.view(actor),
        })
        .collect();
    let timeline: Vec<TimelineEntry> = on_db!(&store.db, p => sqlx::query_as::<_, TimelineEntry>(
        "SELECT t.from_status, t.to_status, t.reason, u.name AS actor_name, t.at FROM case_transitions t \
         LEFT JOIN users u ON u.id = t.actor_id WHERE t.case_id = $1 ORDER BY t.at, t.id")
        .bind(id).fetch_all(p).await)?;
    let allowed_transitions = match CaseStatus::parse(&summary.status) {
        Some(s) if actor.role.can(Resource::Case, Action::Transition) => {
            workflow::allowed_targets(s, actor.role)
                .into_iter()
                .map(|t| t.as_str().to_string())
                .collect()
        }
        _ => Vec::new(),
    };
    Ok(CaseDetail {
        summary,
        members,
        timeline,
        allowed_transitions,
    })
}

/// The people on a case in scope, principal first (one query).
pub async fn members(store: &Store, actor: &Actor, id: Uuid) -> Result<Vec<Member>> {
    let rows: Vec<MemberRow> = section(
        store,
        actor,
        id.into(),
        "m.person_id",
        MEMBERS_COLUMNS,
        "LEFT JOIN case_members m ON m.case_id = c.id LEFT JOIN persons p ON p.id = m.person_id",
        MEMBERS_ORDER,
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| Member {
            relationship: r.relationship,
            person: r.person.view(actor),
        })
        .collect())
}

/// How a free-text query is matched (see [`list_page`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum FreeText {
    /// Gather every matching case first.
    Set,
    /// Check each case in the list's order (a common word).
    Each,
    /// Leave the free text to the caller.
    Skip,
}

fn push_filters(actor: &Actor, f: &CaseFilter, w: &mut Sql, mode: FreeText) {
    actor.push_case_scope(w);
    if let Some(s) = f.status.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND c.status = ").bind(Param::Text(s.to_string()));
    }
    if let Some(s) = f.country.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND c.country_of_return = ")
            .bind(Param::Text(s.to_ascii_uppercase()));
    }
    if let Some(s) = f.programme.as_deref().filter(|s| !s.is_empty()) {
        w.push(" AND c.programme_id = (SELECT id FROM programmes WHERE code = ")
            .bind(Param::Text(s.to_string()))
            .push(")");
    }
    if let Some(id) = f.counsellor_id {
        w.push(" AND c.counsellor_id = ").bind(Param::Uuid(id));
    }
    if f.unassigned {
        w.push(" AND c.counsellor_id IS NULL");
    }
    if let Some(q) =
        f.q.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty() && mode != FreeText::Skip)
    {
        if CaseNumber::parse(&q.to_ascii_uppercase()).is_some() {
            w.push(" AND c.case_number = ")
                .bind(Param::Text(q.to_ascii_uppercase()));
        } else {
            // The search box's terms (docs/adr/0031): words that begin the
            // principal's names or identifiers, or the case number's digits.
            // A query too long to be a search finds nothing.
            match homeward_domain::search::Query::parse(q) {
                Ok(query) if !query.is_empty() => match mode {
                    FreeText::Set => crate::search::push_case_match(w, &query),
                    FreeText::Each => crate::search::push_case_match_each(w, &query),
                    FreeText::Skip => {}
                },
                _ => {
                    w.push(" AND 1 = 0");
                }
            }
        }
    }
}

/// The most cases a free-text list with a common word counts: past it the
/// total reads "more than" ([`CaseList::total_is_lower_bound`]).
pub const COMMON_WORD_COUNT_CAP: i64 = 1_000;

/// A page of the case list.
#[derive(Debug, Clone)]
pub struct CaseList {
    /// The page's rows.
    pub rows: Vec<CaseSummary>,
    /// Every case that matches, or [`COMMON_WORD_COUNT_CAP`] when
    /// `total_is_lower_bound`.
    pub total: i64,
    /// The free text is a common word and more cases match than were
    /// counted: the user is asked to narrow the search.
    pub total_is_lower_bound: bool,
}

/// The case list: filtered, sorted, paged, within scope. Returns rows and the
/// total (see [`list_page`] for when the total is a lower bound).
pub async fn list(store: &Store, actor: &Actor, f: &CaseFilter) -> Result<(Vec<CaseSummary>, i64)> {
    let l = list_page(store, actor, f).await?;
    Ok((l.rows, l.total))
}

/// The case list: filtered, sorted, paged, within scope. When the free text
/// is one common word (more than [`crate::search::COMMON_WORD_PEOPLE`]
/// people), cases are checked one by one in the list's order, so the page
/// stops after its rows, and at most [`COMMON_WORD_COUNT_CAP`] are counted
/// (both are `store.common_word`).
pub async fn list_page(store: &Store, actor: &Actor, f: &CaseFilter) -> Result<CaseList> {
    actor.require(Resource::Case, Action::Read)?;
    let text = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty());
    let free_text = text.is_some();
    let mut common = None;
    // Sorted by name, the cases of a common family name sit together far
    // down the name index: read in that order, most of the table would be
    // checked before the first one. That sort keeps the set form.
    let by_name = f.sort.as_deref() == Some("name");
    if let Some(q) = text.filter(|_| !by_name) {
        if CaseNumber::parse(&q.to_ascii_uppercase()).is_none() {
            if let Ok(query) = homeward_domain::search::Query::parse(q) {
                if crate::search::is_common(store, &query).await? {
                    common = Some(query);
                }
            }
        }
    }
    let mode = match common {
        Some(_) => FreeText::Each,
        None => FreeText::Set,
    };
    let mut w = Sql::new(" WHERE 1 = 1");
    push_filters(actor, f, &mut w, mode);
    let cap = store.common_word.count_cap.max(0);
    // A common query is counted from its people's terms (cases in order would
    // be read a long way when few of them match), up to the cap; typed as
    // several words, also the people with a term that begins with the whole
    // query run together, as the list itself finds them. People first, each
    // once, then their cases: with DISTINCT on the cases PostgreSQL walked
    // every case in id order (1.2 s for "wang" at 1,000,000).
    let mut counting = Sql::new("SELECT c.id FROM (");
    let count_sql = if let Some(query) = &common {
        crate::search::push_people_matching(&mut counting, query, "SELECT DISTINCT");
        counting.push(") p CROSS JOIN cases c WHERE c.principal_person_id = p.person_id");
        push_filters(actor, f, &mut counting, FreeText::Skip);
        format!(
            "SELECT COUNT(*) FROM ({} LIMIT {}) x",
            counting.text,
            cap + 1
        )
    } else if free_text {
        format!("SELECT COUNT(*) FROM cases c{}", w.text)
    } else {
        // Without free text, the scope and filters only test columns that
        // case_counts keeps (migration 0002), so the total is a sum over a few
        // hundred groups rather than a count over every case in scope.
        format!(
            "SELECT CAST(COALESCE(SUM(c.n), 0) AS BIGINT) FROM {}{}",
            actor.counts_table(),
            w.text
        )
    };
    let count_params = if common.is_some() {
        counting.params
    } else {
        w.params.clone()
    };
    let counted: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar(&count_sql), count_params).fetch_one(p).await)?;
    let total_is_lower_bound = common.is_some() && counted > cap;
    let total = if common.is_some() {
        counted.min(cap)
    } else {
        counted
    };
    // Each sort key has an index under each filter (migrations 0005, 0020),
    // so the page's subquery walks one in order and stops after the page.
    let col = match f.sort.as_deref().unwrap_or("updated_at") {
        "case_number" => "c.case_number",
        "name" => "c.principal_name",
        "status" => "c.status",
        "referred_at" => "c.referred_at",
        _ => "c.updated_at",
    };
    let dir = if f.desc { "DESC" } else { "ASC" };
    let per_page = f.per_page.clamp(1, 200);
    let page = f.page.max(1);
    // Order and cut the page on cases alone, then look up names for that
    // page's rows only: the rows skipped by OFFSET cost an index step each,
    // not three lookups.
    let mut q = Sql::new(SUMMARY_SELECT);
    q.push(" WHERE c.id IN (SELECT c.id FROM cases c");
    q.text.push_str(&w.text);
    q.params = w.params.clone();
    q.push(&format!(" ORDER BY {col} {dir}, c.id {dir} LIMIT "))
        .bind(Param::I64(per_page))
        .push(" OFFSET ")
        .bind(Param::I64((page - 1).saturating_mul(per_page)))
        .push(&format!(") ORDER BY {col} {dir}, c.id {dir}"));
    let rows = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, CaseSummary>(&q.text), q.params).fetch_all(p).await)?;
    Ok(CaseList {
        rows,
        total,
        total_is_lower_bound,
    })
}

/// Counts of the actor's cases by status (every status, zeros included).
pub async fn counts_by_status(store: &Store, actor: &Actor) -> Result<Vec<(String, i64)>> {
    // case_counts (migration 0002) keeps every column a scope tests.
    let mut w = Sql::new(&format!(
        "SELECT c.status, CAST(SUM(c.n) AS BIGINT) FROM {} WHERE 1 = 1",
        actor.counts_table()
    ));
    if actor.role.can(Resource::Case, Action::Read) {
        actor.push_case_scope(&mut w);
    } else if !actor.role.can(Resource::Statistics, Action::Read) {
        return Err(Error::Forbidden);
    }
    w.push(" GROUP BY c.status");
    let rows: Vec<(String, i64)> =
        on_db!(&store.db, p => bind_params!(sqlx::query_as(&w.text), w.params).fetch_all(p).await)?;
    Ok(CaseStatus::ALL
        .iter()
        .map(|s| {
            (
                s.as_str().to_string(),
                rows.iter()
                    .find(|(k, _)| k == s.as_str())
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            )
        })
        .collect())
}

/// Changes a case's editable fields if `version` is current.
pub async fn update(store: &Store, actor: &Actor, id: Uuid, u: &CaseUpdate) -> Result<CaseDetail> {
    actor.require(Resource::Case, Action::Update)?;
    let before = summary(store, actor, id).await?;
    let stored = CaseFields {
        country_of_return: before.country_of_return.clone(),
        destination_locality: before.destination_locality.clone(),
        counsellor_id: before.counsellor_id,
    };
    let counsellor_assignable = match case_input::new_counsellor(u, before.counsellor_id) {
        Some(cid) => {
            let programme = programmes::by_code(store, &before.programme_code).await?;
            assignable_counsellor(store, cid, programme.id).await?
        }
        None => false,
    };
    let CaseFields {
        country_of_return: country,
        destination_locality: locality,
        counsellor_id: counsellor,
    } = case_input::decide_case_update(u, &stored, actor.role, counsellor_assignable)?;
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE cases SET country_of_return = $1, destination_locality = $2, counsellor_id = $3, version = version + 1, updated_at = $4 \
         WHERE id = $5 AND version = $6")
        .bind(&country).bind(&locality).bind(counsellor).bind(crate::now()).bind(id).bind(u.version)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "case",
            entity_id: Some(id.to_string()),
            case_id: Some(id),
            before: Some(json!({"country_of_return": before.country_of_return, "destination_locality": before.destination_locality, "counsellor_id": before.counsellor_id})),
            after: Some(json!({"country_of_return": country, "destination_locality": locality, "counsellor_id": counsellor})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Moves a case through its workflow. `version`, when given, must be current.
pub async fn transition(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    to: &str,
    reason: Option<&str>,
    version: Option<i64>,
) -> Result<CaseDetail> {
    actor.require(Resource::Case, Action::Transition)?;
    let before = summary(store, actor, id).await?;
    let Some(to) = CaseStatus::parse(to) else {
        let mut inv = Invalid::default();
        inv.add("to", "invalid-choice");
        return Err(inv.into());
    };
    let from = CaseStatus::parse(&before.status).ok_or(Error::NotFound)?;
    if version.is_some_and(|v| v != before.version) {
        return Err(Error::Conflict);
    }
    let reason = workflow::reason_of(reason)?;
    // Closing after return needs a closure reason code and keeps a closure
    // record; reopening needs the status before closure: both go through
    // `closure`, whatever page or call asked.
    if to == CaseStatus::Closed && from.reopens_to() {
        crate::closure::close(store, actor, id, reason.unwrap_or(""), None).await?;
        return get(store, actor, id).await;
    }
    if from == CaseStatus::Closed && to.reopens_to() {
        crate::closure::reopen_to(store, actor, id, reason.unwrap_or(""), Some(to)).await?;
        return get(store, actor, id).await;
    }
    let take = workflow::takes_case(to, before.counsellor_id.is_some(), actor.role)
        .then_some(actor.user_id);
    let ctx = TransitionContext {
        has_counsellor: before.counsellor_id.is_some() || take.is_some(),
        has_country_of_return: before.country_of_return.is_some(),
        has_declaration: to == CaseStatus::Applied
            && crate::attachments::has_kind(store, id, "declaration").await?,
        departure_confirmed: false,
        status_before_closure: None,
    };
    workflow::check(from, to, actor.role, reason, &ctx)?;
    // Today is the programme office's day (its zone, not the server's).
    let tz = match to {
        CaseStatus::PreparingDeparture | CaseStatus::Applied => Some(
            crate::programmes::by_code(store, &before.programme_code)
                .await?
                .tz(),
        ),
        _ => None,
    };
    if let (CaseStatus::PreparingDeparture, Some(tz)) = (to, tz) {
        let today = crate::now().with_timezone(&tz).date_naive();
        let blockers = crate::readiness::blockers(store, id, today).await?;
        if !blockers.is_empty() {
            return Err(homeward_domain::TransitionError::Blocked(blockers).into());
        }
    }
    let facts = match to {
        CaseStatus::Applied => Some(
            crate::referrals::facts_of(store, id)
                .await?
                .unwrap_or_default(),
        ),
        _ => None,
    };
    let rules = match facts {
        Some(_) => crate::programmes::rules::all(store).await?,
        None => Vec::new(),
    };
    let now = crate::now();
    let mut tx = store.begin().await?;
    record_transition(&mut tx, actor, &before, to, reason, take, now).await?;
    if crate::revocation::revokes(from, to) {
        crate::revocation::follow(&mut tx, actor, &before, from, reason, now).await?;
    }
    if to == CaseStatus::Intake {
        crate::referrals::mark_contacted(&mut tx, id, now).await?;
    }
    if let (Some(f), Some(tz)) = (&facts, tz) {
        // IOM submits the application: the evaluation is kept with the rule-set version.
        let today = now.with_timezone(&tz).date_naive();
        crate::referrals::evaluate_and_store(
            &mut tx,
            &rules,
            actor,
            id,
            &before.programme_code,
            f,
            today,
        )
        .await?;
    }
    tx.commit().await?;
    get(store, actor, id).await
}

/// Adds a family member (a new person) to a case.
pub async fn add_member(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    relationship: &str,
    input: &PersonInput,
) -> Result<CaseDetail> {
    actor.require(Resource::Case, Action::Update)?;
    actor.require(Resource::Person, Action::Create)?;
    let case = summary(store, actor, case_id).await?;
    let d = case_input::decide_member(
        relationship,
        CaseStatus::parse(&case.status),
        input,
        Utc::now().date_naive(),
    )?;
    let mut tx = store.begin().await?;
    let pid = persons::insert(&mut tx, actor, &d).await?;
    on_tx!(&mut tx, c => sqlx::query("INSERT INTO case_members (case_id, person_id, relationship) VALUES ($1, $2, $3)")
        .bind(case_id).bind(pid).bind(relationship).execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query("UPDATE cases SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(crate::now()).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "add_member",
            entity: "case",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"person_id": pid, "relationship": relationship})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, case_id).await
}

/// Refuses early a caller whose role may not do this (`Forbidden`) or who
/// cannot see the case (`NotFound`): handlers call it before they read a
/// body, so a refused caller's answer never depends on what they sent. The
/// use case checks the same again.
pub async fn may_act(
    store: &Store,
    actor: &Actor,
    case: Option<Uuid>,
    need: &[(Resource, Action)],
) -> Result<()> {
    for (r, a) in need {
        actor.require(*r, *a)?;
    }
    if let Some(id) = case {
        summary(store, actor, id).await?;
    }
    Ok(())
}
