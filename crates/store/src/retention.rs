//! Retention with real deletion (docs/adr/0026).
//!
//! [`plan`] finds the households (people linked by shared cases) whose every
//! case ended (closed or withdrawn) longer ago than its programme's
//! `retention_years_after_closure` (the rule: `homeward_domain::retention`).
//! [`purge`] deletes each household in its own transaction: every row of
//! its cases and their child tables, the people, the job payloads that
//! copied them, then their attachment files. What remains is a count per
//! programme and month in `retention_purges`, and an audit entry that says
//! how many rows of which tables went under which rule, never what they held
//! nor whose they were.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::retention::{self as rule, CaseFacts};
use homeward_domain::{Action, Resource};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use uuid::Uuid;

/// One case due for deletion.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedCase {
    pub id: Uuid,
    pub programme: String,
    pub ended_on: NaiveDate,
    pub retention_years: i64,
    pub members: Vec<Uuid>,
}

/// People deleted together, with their cases.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedHousehold {
    pub persons: Vec<Uuid>,
    pub cases: Vec<PlannedCase>,
}

/// The report of one programme: how many would go, and the oldest end.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ProgrammeLine {
    pub programme: String,
    pub retention_years: i64,
    pub persons: i64,
    pub cases: i64,
    pub oldest_closure: NaiveDate,
}

/// Who is due on a day. The report ([`Plan::lines`]) holds counts only; the
/// households hold the ids [`purge`] needs.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    pub today: NaiveDate,
    pub households: Vec<PlannedHousehold>,
    pub lines: Vec<ProgrammeLine>,
}

impl Plan {
    pub fn persons(&self) -> i64 {
        self.lines.iter().map(|l| l.persons).sum()
    }
    pub fn cases(&self) -> i64 {
        self.lines.iter().map(|l| l.cases).sum()
    }
}

/// What a purge did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Outcome {
    pub households: u64,
    pub persons: u64,
    pub cases: u64,
    /// Households left alone because they changed since the plan (a case
    /// reopened, a new case): the next run looks again.
    pub skipped: u64,
    pub files_deleted: u64,
    /// Files that could not be deleted (logged with their storage key only).
    pub file_errors: u64,
}

/// Every case with what the rule needs, and each case's programme.
struct Facts {
    cases: Vec<CaseFacts>,
    programme: BTreeMap<Uuid, (String, Option<i64>)>,
}

const CASES_SQL: &str =
    "SELECT c.id, c.status, c.principal_person_id, pr.code, pr.retention_years_after_closure \
     FROM cases c JOIN programmes pr ON pr.id = c.programme_id";
const MEMBERS_SQL: &str = "SELECT case_id, person_id FROM case_members";
const ENDED_SQL: &str =
    "SELECT t.case_id, t.at FROM case_transitions t JOIN cases c ON c.id = t.case_id \
     WHERE t.to_status = c.status AND c.status IN ('closed', 'withdrawn')";

type CaseRow = (Uuid, String, Uuid, String, Option<i64>);

fn assemble(
    cases: Vec<CaseRow>,
    members: Vec<(Uuid, Uuid)>,
    ended: Vec<(Uuid, DateTime<Utc>)>,
) -> Facts {
    let mut by_case: BTreeMap<Uuid, BTreeSet<Uuid>> = BTreeMap::new();
    for (c, p) in members {
        by_case.entry(c).or_default().insert(p);
    }
    let mut ended_on: BTreeMap<Uuid, NaiveDate> = BTreeMap::new();
    for (c, at) in ended {
        let d = at.date_naive();
        let e = ended_on.entry(c).or_insert(d);
        if d > *e {
            *e = d;
        }
    }
    let mut programme = BTreeMap::new();
    let facts = cases
        .into_iter()
        .map(|(id, status, principal, code, years)| {
            let mut m = by_case.remove(&id).unwrap_or_default();
            m.insert(principal);
            programme.insert(id, (code, years));
            CaseFacts {
                case_id: id,
                members: m.into_iter().collect(),
                status,
                ended_on: ended_on.get(&id).copied(),
                retention_years: years.and_then(|y| u32::try_from(y).ok()),
            }
        })
        .collect();
    Facts {
        cases: facts,
        programme,
    }
}

async fn load_facts(store: &Store) -> Result<Facts> {
    let cases: Vec<CaseRow> = on_db!(&store.db, p => sqlx::query_as(CASES_SQL).fetch_all(p).await)?;
    let members: Vec<(Uuid, Uuid)> =
        on_db!(&store.db, p => sqlx::query_as(MEMBERS_SQL).fetch_all(p).await)?;
    let ended: Vec<(Uuid, DateTime<Utc>)> =
        on_db!(&store.db, p => sqlx::query_as(ENDED_SQL).fetch_all(p).await)?;
    Ok(assemble(cases, members, ended))
}

/// Finds who is due on `today`. Reads only; nothing is logged or audited.
/// The caller decides who may see the report (the admin page: admins).
pub async fn plan(store: &Store, today: NaiveDate) -> Result<Plan> {
    let facts = load_facts(store).await?;
    let by_id: BTreeMap<Uuid, &CaseFacts> = facts.cases.iter().map(|c| (c.case_id, c)).collect();
    let mut households = Vec::new();
    // programme -> (years, persons, cases, oldest)
    let mut lines: BTreeMap<String, ProgrammeLine> = BTreeMap::new();
    for h in rule::due_households(&facts.cases, today) {
        let mut cases = Vec::new();
        for id in &h.cases {
            let (Some(c), Some((code, years))) = (by_id.get(id), facts.programme.get(id)) else {
                continue;
            };
            let (Some(ended_on), Some(years)) = (c.ended_on, *years) else {
                continue;
            };
            cases.push(PlannedCase {
                id: *id,
                programme: code.clone(),
                ended_on,
                retention_years: years,
                members: c.members.clone(),
            });
        }
        for c in &cases {
            let l = lines
                .entry(c.programme.clone())
                .or_insert_with(|| ProgrammeLine {
                    programme: c.programme.clone(),
                    retention_years: c.retention_years,
                    persons: 0,
                    cases: 0,
                    oldest_closure: c.ended_on,
                });
            l.cases += 1;
            l.oldest_closure = l.oldest_closure.min(c.ended_on);
        }
        for p in &h.persons {
            if let Some(last) = last_case_of(&cases, *p) {
                if let Some(l) = lines.get_mut(&last.programme) {
                    l.persons += 1;
                }
            }
        }
        households.push(PlannedHousehold {
            persons: h.persons,
            cases,
        });
    }
    Ok(Plan {
        today,
        households,
        lines: lines.into_values().collect(),
    })
}

/// The case of `person` that ended last (persons count under it).
fn last_case_of(cases: &[PlannedCase], person: Uuid) -> Option<&PlannedCase> {
    cases
        .iter()
        .filter(|c| c.members.contains(&person))
        .max_by_key(|c| c.ended_on)
}

/// Deletes every household of `plan`, each in its own transaction, checking
/// again inside it that the household is still due (unchanged cases, none
/// reopened, no new case), then deletes their attachment files. `actor`
/// `None` is the system (the CLI run by an operator, the scheduled run);
/// a user must be an admin.
pub async fn purge(store: &Store, actor: Option<&Actor>, plan: &Plan) -> Result<Outcome> {
    if let Some(a) = actor {
        a.require(Resource::Programme, Action::Manage)?;
    }
    let mut out = Outcome::default();
    for h in &plan.households {
        match purge_household(store, actor, plan.today, h).await? {
            Some(keys) => {
                out.households += 1;
                out.persons += h.persons.len() as u64;
                out.cases += h.cases.len() as u64;
                for key in keys {
                    let path = store.data_dir.join("attachments").join(&key);
                    match tokio::fs::remove_file(&path).await {
                        Ok(()) => out.files_deleted += 1,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => {
                            out.file_errors += 1;
                            tracing::error!(storage_key = %key, error = %e,
                                "retention: an attachment file of a deleted case could not be deleted");
                        }
                    }
                }
            }
            None => out.skipped += 1,
        }
    }
    if out.households > 0 {
        tracing::info!(
            persons = out.persons,
            cases = out.cases,
            files = out.files_deleted,
            "retention: records past their retention period deleted"
        );
    }
    Ok(out)
}

async fn exec(tx: &mut Tx, sql: &str, id: Uuid) -> Result<u64> {
    Ok(on_tx!(tx, c => sqlx::query(sql).bind(id).execute(c).await.map(|r| r.rows_affected()))?)
}

/// Rows of a case, child tables first: (table, DELETE with `$1` the case id).
const CASE_DELETES: &[(&str, &str)] = &[
    ("itinerary_segments", "DELETE FROM itinerary_segments WHERE itinerary_id IN (SELECT id FROM itineraries WHERE case_id = $1)"),
    ("itinerary_travellers", "DELETE FROM itinerary_travellers WHERE itinerary_id IN (SELECT id FROM itineraries WHERE case_id = $1)"),
    ("itinerary_events", "DELETE FROM itinerary_events WHERE case_id = $1 OR itinerary_id IN (SELECT id FROM itineraries WHERE case_id = $1)"),
    ("itineraries", "DELETE FROM itineraries WHERE case_id = $1"),
    ("purchases", "DELETE FROM purchases WHERE case_id = $1"),
    ("reintegration_budgets", "DELETE FROM reintegration_budgets WHERE case_id = $1"),
    ("plan_components", "DELETE FROM plan_components WHERE case_id = $1"),
    ("reintegration_plans", "DELETE FROM reintegration_plans WHERE case_id = $1"),
    ("arrivals", "DELETE FROM arrivals WHERE case_id = $1"),
    ("followup_attempts", "DELETE FROM followup_attempts WHERE case_id = $1 OR followup_id IN (SELECT id FROM followups WHERE case_id = $1)"),
    ("followups", "DELETE FROM followups WHERE case_id = $1"),
    ("rss_surveys", "DELETE FROM rss_surveys WHERE case_id = $1"),
    ("case_closures", "DELETE FROM case_closures WHERE case_id = $1"),
    ("letters", "DELETE FROM letters WHERE case_id = $1"),
    ("notifications", "DELETE FROM notifications WHERE case_id = $1"),
    ("consents", "DELETE FROM consents WHERE case_id = $1"),
    ("break_glass", "DELETE FROM break_glass WHERE case_id = $1"),
    ("feedback", "DELETE FROM feedback WHERE case_id = $1"),
    ("appointments", "DELETE FROM appointments WHERE case_id = $1"),
    ("returnee_sessions", "DELETE FROM returnee_sessions WHERE access_id IN (SELECT id FROM returnee_access WHERE case_id = $1)"),
    ("returnee_access", "DELETE FROM returnee_access WHERE case_id = $1"),
    ("counselling_sessions", "DELETE FROM counselling_sessions WHERE case_id = $1"),
    ("eligibility_evaluations", "DELETE FROM eligibility_evaluations WHERE case_id = $1"),
    ("referrals", "DELETE FROM referrals WHERE case_id = $1"),
    ("attachments", "DELETE FROM attachments WHERE case_id = $1"),
    ("vulnerabilities", "DELETE FROM vulnerabilities WHERE case_id = $1"),
    ("fitness_checks", "DELETE FROM fitness_checks WHERE case_id = $1"),
    ("travel_documents", "DELETE FROM travel_documents WHERE case_id = $1"),
    ("case_transitions", "DELETE FROM case_transitions WHERE case_id = $1"),
    ("case_members", "DELETE FROM case_members WHERE case_id = $1"),
    ("cases", "DELETE FROM cases WHERE id = $1"),
];

/// Rows of a person left once their cases are gone (`$1` the person id).
const PERSON_DELETES: &[(&str, &str)] = &[
    (
        "itinerary_travellers",
        "DELETE FROM itinerary_travellers WHERE person_id = $1",
    ),
    (
        "vulnerabilities",
        "DELETE FROM vulnerabilities WHERE person_id = $1",
    ),
    (
        "fitness_checks",
        "DELETE FROM fitness_checks WHERE person_id = $1",
    ),
    (
        "travel_documents",
        "DELETE FROM travel_documents WHERE person_id = $1",
    ),
    (
        "case_members",
        "DELETE FROM case_members WHERE person_id = $1",
    ),
    ("persons", "DELETE FROM persons WHERE id = $1"),
];

/// Checks again, inside the transaction, that the household is unchanged
/// and still due.
async fn still_due(tx: &mut Tx, today: NaiveDate, h: &PlannedHousehold) -> Result<bool> {
    let case_ids: BTreeSet<Uuid> = h.cases.iter().map(|c| c.id).collect();
    let persons: BTreeSet<Uuid> = h.persons.iter().copied().collect();
    for p in &persons {
        let theirs: Vec<Uuid> = on_tx!(&mut *tx, c => sqlx::query_scalar(
            "SELECT case_id FROM case_members WHERE person_id = $1 UNION SELECT id FROM cases WHERE principal_person_id = $1")
            .bind(p).fetch_all(c).await)?;
        if theirs.iter().any(|c| !case_ids.contains(c)) {
            return Ok(false);
        }
    }
    for pc in &h.cases {
        let row: Option<CaseRow> = on_tx!(&mut *tx, c => sqlx::query_as(
            &format!("{CASES_SQL} WHERE c.id = $1")).bind(pc.id).fetch_optional(c).await)?;
        let Some(row) = row else {
            return Ok(false);
        };
        let members: Vec<(Uuid, Uuid)> = on_tx!(&mut *tx, c => sqlx::query_as(
            &format!("{MEMBERS_SQL} WHERE case_id = $1")).bind(pc.id).fetch_all(c).await)?;
        let ended: Vec<(Uuid, DateTime<Utc>)> = on_tx!(&mut *tx, c => sqlx::query_as(
            &format!("{ENDED_SQL} AND c.id = $1")).bind(pc.id).fetch_all(c).await)?;
        let facts = assemble(vec![row], members, ended);
        let Some(f) = facts.cases.first() else {
            return Ok(false);
        };
        if !rule::case_due(f, today) || f.members.iter().any(|m| !persons.contains(m)) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Deletes one household in one transaction; returns the storage keys of
/// its attachment files (to delete once committed), or `None` if it is no
/// longer due.
async fn purge_household(
    store: &Store,
    actor: Option<&Actor>,
    today: NaiveDate,
    h: &PlannedHousehold,
) -> Result<Option<Vec<String>>> {
    let mut tx = store.begin().await?;
    if !still_due(&mut tx, today, h).await? {
        drop(tx); // rolls back
        return Ok(None);
    }
    let mut keys = Vec::new();
    let mut rows: BTreeMap<&str, u64> = BTreeMap::new();
    for pc in &h.cases {
        let k: Vec<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT storage_key FROM attachments WHERE case_id = $1").bind(pc.id).fetch_all(c).await)?;
        keys.extend(k);
        // Job payloads copy names and identifiers (the CBSA webhook):
        // those of this case's departures and any naming its number.
        let number: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT case_number FROM cases WHERE id = $1").bind(pc.id).fetch_optional(c).await)?;
        let itineraries: Vec<Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM itineraries WHERE case_id = $1").bind(pc.id).fetch_all(c).await)?;
        let mut job_ids: Vec<Uuid> = Vec::new();
        for it in itineraries {
            let key = format!("departure:{it}");
            let ids: Vec<Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM jobs WHERE dedupe_key = $1").bind(&key).fetch_all(c).await)?;
            job_ids.extend(ids);
        }
        if let Some(n) = number {
            let pattern = format!("%\"case_number\":\"{n}\"%");
            let ids: Vec<Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM jobs WHERE payload LIKE $1").bind(&pattern).fetch_all(c).await)?;
            job_ids.extend(ids);
        }
        job_ids.sort();
        job_ids.dedup();
        for j in job_ids {
            *rows.entry("job_attempts").or_default() +=
                exec(&mut tx, "DELETE FROM job_attempts WHERE job_id = $1", j).await?;
            *rows.entry("jobs").or_default() +=
                exec(&mut tx, "DELETE FROM jobs WHERE id = $1", j).await?;
        }
        // Itineraries may replace one another: unlink before deleting.
        exec(
            &mut tx,
            "UPDATE itineraries SET replaces_id = NULL WHERE case_id = $1",
            pc.id,
        )
        .await?;
        for (table, sql) in CASE_DELETES {
            *rows.entry(table).or_default() += exec(&mut tx, sql, pc.id).await?;
        }
    }
    for p in &h.persons {
        for (table, sql) in PERSON_DELETES {
            *rows.entry(table).or_default() += exec(&mut tx, sql, *p).await?;
        }
    }
    // The de-identified remainder: counts by programme and month of end.
    let mut counts: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for c in &h.cases {
        let month = c.ended_on.format("%Y-%m").to_string();
        counts.entry((c.programme.clone(), month)).or_default().1 += 1;
    }
    for p in &h.persons {
        if let Some(c) = last_case_of(&h.cases, *p) {
            let month = c.ended_on.format("%Y-%m").to_string();
            counts.entry((c.programme.clone(), month)).or_default().0 += 1;
        }
    }
    for ((code, month), (persons, cases)) in &counts {
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO retention_purges (programme_code, closure_month, persons, cases) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (programme_code, closure_month) DO UPDATE SET persons = retention_purges.persons + excluded.persons, \
             cases = retention_purges.cases + excluded.cases")
            .bind(code).bind(month).bind(persons).bind(cases)
            .execute(c).await.map(|r| r.rows_affected()))?;
    }
    let rules: BTreeMap<&str, i64> = h
        .cases
        .iter()
        .map(|c| (c.programme.as_str(), c.retention_years))
        .collect();
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "retention_purge",
            entity: "retention",
            entity_id: None,
            case_id: None,
            before: None,
            after: Some(json!({
                "rule": "retention_years_after_closure",
                "retention_years": rules,
                "persons": h.persons.len(),
                "cases": h.cases.len(),
                "files": keys.len(),
                "rows": rows,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Some(keys))
}

/// The de-identified counts of everything deleted so far.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, PartialEq, Eq)]
pub struct PurgedCount {
    pub programme_code: String,
    pub closure_month: String,
    pub persons: i64,
    pub cases: i64,
}

/// What was deleted, by programme and month of closure.
pub async fn purged_counts(store: &Store) -> Result<Vec<PurgedCount>> {
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, PurgedCount>(
        "SELECT programme_code, closure_month, persons, cases FROM retention_purges ORDER BY programme_code, closure_month")
        .fetch_all(p).await)?)
}

/// Sets (or, with `None`, clears) how many whole years after closure a
/// programme keeps a person's records. Audited. Code on the field
/// `retention_years_after_closure`: `out-of-range` (0 to
/// `homeward_domain::retention::MAX_YEARS`).
///
/// Who may: admins (programme configuration).
pub async fn set_years(
    store: &Store,
    actor: &Actor,
    code: &str,
    years: Option<i64>,
) -> Result<Option<i64>> {
    actor.require(Resource::Programme, Action::Manage)?;
    if years.is_some_and(|y| !(0..=rule::MAX_YEARS).contains(&y)) {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("retention_years_after_closure", "out-of-range");
        return Err(Error::Invalid(inv));
    }
    let before = years_of(store, code).await?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE programmes SET retention_years_after_closure = $1, version = version + 1, updated_at = $2 WHERE code = $3")
        .bind(years).bind(crate::now()).bind(code).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "programme_retention",
            entity_id: Some(code.to_string()),
            case_id: None,
            before: Some(json!({ "retention_years_after_closure": before })),
            after: Some(json!({ "retention_years_after_closure": years })),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(years)
}

/// A programme's retention period (`None`: kept).
pub async fn years_of(store: &Store, code: &str) -> Result<Option<i64>> {
    let v: Option<Option<i64>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT retention_years_after_closure FROM programmes WHERE code = $1")
        .bind(code).fetch_optional(p).await)?;
    v.ok_or(Error::NotFound)
}
