//! A programme's eligibility rules as versioned documents. Versions are only
//! ever added: an evaluation's `rule_set` (`code@version`) always names the
//! document that decided it, and a new version never rewrites one.

use super::stored::{by_code, Programme};
use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::eligibility::{self, EvaluationInput, RuleSet};
use homeward_domain::programme::rules::{self as document, Context};
use homeward_domain::{Action, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// One version of a programme's rules, as listed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleVersion {
    pub version: i64,
    pub effective_from: NaiveDate,
    /// Who added it (`null` for the versions Homeward ships).
    pub added_by: Option<Uuid>,
    pub added_at: DateTime<Utc>,
    /// The document itself.
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
}

#[derive(sqlx::FromRow)]
struct Row {
    version: i64,
    effective_from: NaiveDate,
    document: String,
    added_by: Option<Uuid>,
    added_at: DateTime<Utc>,
}

impl Row {
    fn rule_set(&self) -> Option<RuleSet> {
        // Documents are checked before they are kept; one that no longer
        // reads was edited by hand, and is left out rather than guessed at.
        serde_json::from_str(&self.document)
            .map_err(|e| tracing::warn!(version = self.version, "unreadable rule document: {e}"))
            .ok()
    }

    fn listed(self) -> RuleVersion {
        RuleVersion {
            version: self.version,
            effective_from: self.effective_from,
            added_by: self.added_by,
            added_at: self.added_at,
            rules: serde_json::from_str(&self.document).unwrap_or(serde_json::Value::Null),
        }
    }
}

async fn rows(store: &Store, programme_id: Uuid) -> Result<Vec<Row>> {
    Ok(on_db!(&store.db, p => sqlx::query_as::<_, Row>(
        "SELECT version, effective_from, document, added_by, added_at FROM programme_rules \
         WHERE programme_id = $1 ORDER BY version")
        .bind(programme_id).fetch_all(p).await)?)
}

/// Every version of a programme's rules, oldest first (no access check:
/// configuration, no case data).
pub async fn versions(store: &Store, programme_id: Uuid) -> Result<Vec<RuleSet>> {
    Ok(rows(store, programme_id)
        .await?
        .iter()
        .filter_map(Row::rule_set)
        .collect())
}

/// The rule sets of every programme, as evaluations use them; with the
/// training copies a demo or training database adds (`Store::training_rules`).
/// Read afresh each time, so a version another process added counts at once.
pub async fn all(store: &Store) -> Result<Vec<RuleSet>> {
    let docs: Vec<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT document FROM programme_rules ORDER BY programme_id, version")
        .fetch_all(p).await)?;
    let mut sets: Vec<RuleSet> = docs
        .iter()
        .filter_map(|d| serde_json::from_str(d).ok())
        .collect();
    if store.training_rules {
        let copies: Vec<RuleSet> = sets
            .iter()
            .filter(|s| {
                // Only a closed programme's last version needs reopening.
                s.effective_to.is_some()
                    && !sets
                        .iter()
                        .any(|o| o.programme == s.programme && o.version > s.version)
            })
            .map(eligibility::training_copy)
            .collect();
        sets.extend(copies);
    }
    Ok(sets)
}

/// The programme's versions as listed to an administrator or the API.
///
/// Who may: any staff role that may read programmes.
pub async fn list(store: &Store, actor: &Actor, code: &str) -> Result<Vec<RuleVersion>> {
    actor.require(Resource::Programme, Action::Read)?;
    let p = by_code(store, code).await?;
    Ok(rows(store, p.id)
        .await?
        .into_iter()
        .map(Row::listed)
        .collect())
}

/// One version.
///
/// Who may: any staff role that may read programmes.
pub async fn get(store: &Store, actor: &Actor, code: &str, version: i64) -> Result<RuleVersion> {
    list(store, actor, code)
        .await?
        .into_iter()
        .find(|v| v.version == version)
        .ok_or(Error::NotFound)
}

/// The version in force on `date`: the latest that took effect on or before
/// it (for a programme that has closed, its last version).
///
/// Who may: any staff role that may read programmes.
pub async fn in_force(
    store: &Store,
    actor: &Actor,
    code: &str,
    date: NaiveDate,
) -> Result<RuleVersion> {
    list(store, actor, code)
        .await?
        .into_iter()
        .filter(|v| v.effective_from <= date)
        .max_by_key(|v| v.version)
        .ok_or(Error::NotFound)
}

/// Checks a new version against the programme and its versions so far;
/// nothing is written.
async fn check(store: &Store, code: &str, doc: &serde_json::Value) -> Result<(Programme, RuleSet)> {
    let p = by_code(store, code).await?;
    let existing = versions(store, p.id).await?;
    let ctx = Context {
        programme: &p.code,
        currency: &p.currency,
        opens_on: p.opens_on,
        closes_on: p.closes_on,
        existing: &existing,
    };
    let rs = document::check(doc, &ctx)?;
    Ok((p, rs))
}

/// Adds the next version of a programme's rules, taking effect on the
/// document's `effective_from`. Every problem is reported with where it is
/// (see `homeward_domain::programme::rules`); nothing is kept on a refusal.
/// Stored evaluations and approved entitlements keep the version that made
/// them. Audited with the version.
///
/// Who may: admins (`Programme`/`Manage`).
pub async fn add(
    store: &Store,
    actor: &Actor,
    code: &str,
    doc: &serde_json::Value,
) -> Result<RuleVersion> {
    actor.require(Resource::Programme, Action::Manage)?;
    let (p, rs) = check(store, code, doc).await?;
    let mut tx = store.begin().await?;
    insert(&mut tx, p.id, &rs, Some(actor), crate::now()).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "programme_rules",
            entity_id: Some(rs.id()),
            case_id: None,
            before: None,
            after: Some(json!({"programme": p.code, "version": rs.version, "effective_from": rs.effective_from})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, code, i64::from(rs.version)).await
}

/// Writes one version inside the caller's transaction. Two admins adding at
/// once both aim at the same next number: the key refuses the second.
pub(crate) async fn insert(
    tx: &mut Tx,
    programme_id: Uuid,
    rs: &RuleSet,
    actor: Option<&Actor>,
    now: DateTime<Utc>,
) -> Result<()> {
    let doc = serde_json::to_string(rs).map_err(|e| Error::Io(format!("rule document: {e}")))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO programme_rules (programme_id, version, effective_from, document, added_by, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(programme_id).bind(i64::from(rs.version)).bind(rs.effective_from).bind(&doc)
        .bind(actor.map(|a| a.user_id)).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))
    .map_err(|e| match &e {
        sqlx::Error::Database(d) if d.is_unique_violation() => {
            Error::invalid("rules.version", "version-not-next")
        }
        _ => Error::Db(e),
    })?;
    Ok(())
}

/// Writes a shipped version if its programme lacks it.
pub(crate) async fn insert_builtin(tx: &mut Tx, rs: &RuleSet, now: DateTime<Utc>) -> Result<()> {
    let doc = serde_json::to_string(rs).map_err(|e| Error::Io(format!("rule document: {e}")))?;
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO programme_rules (programme_id, version, effective_from, document, added_by, added_at) \
         SELECT id, $1, $2, $3, NULL, $4 FROM programmes WHERE code = $5 \
         ON CONFLICT (programme_id, version) DO NOTHING")
        .bind(i64::from(rs.version)).bind(rs.effective_from).bind(&doc).bind(now).bind(&rs.programme)
        .execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// One open case whose answer a new version would change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Change {
    pub case_id: Uuid,
    pub case_number: String,
    pub status: String,
    /// The version that decided it, and what it decided.
    pub old_rule_set: String,
    pub old_eligible: bool,
    pub old_amount_minor: Option<i64>,
    /// What the new version would decide.
    pub new_eligible: bool,
    pub new_amount_minor: Option<i64>,
    pub currency: String,
}

/// What a new version would change, before it is added: the open cases of
/// the programme whose stored evaluation the new document would answer
/// differently (eligibility or amount), old and new side by side. The
/// document is checked as `add` would; nothing is written.
///
/// Who may: admins (`Programme`/`Manage`).
pub async fn preview(
    store: &Store,
    actor: &Actor,
    code: &str,
    doc: &serde_json::Value,
) -> Result<(RuleSet, Vec<Change>)> {
    actor.require(Resource::Programme, Action::Manage)?;
    let (p, rs) = check(store, code, doc).await?;
    type Open = (Uuid, String, String, String, bool, Option<i64>, NaiveDate);
    let open: Vec<Open> = on_db!(&store.db, c => sqlx::query_as(
        "SELECT c.id, c.case_number, c.status, e.rule_set, e.eligible, e.amount_minor, e.application_date \
         FROM cases c JOIN eligibility_evaluations e ON e.case_id = c.id \
         WHERE c.programme_id = $1 AND c.status NOT IN ('closed', 'withdrawn', 'ineligible', 'departed', 'reintegrating', 'monitoring') \
         AND e.evaluated_at = (SELECT MAX(e2.evaluated_at) FROM eligibility_evaluations e2 WHERE e2.case_id = c.id) \
         ORDER BY c.case_number")
        .bind(p.id).fetch_all(c).await)?;
    let mut changes = Vec::new();
    let sets = [rs.clone()];
    for (case_id, case_number, status, old_rule_set, old_eligible, old_amount, date) in open {
        let Some(facts) = crate::referrals::facts_of(store, case_id).await? else {
            continue;
        };
        let mut input: EvaluationInput = facts.evaluation_input(&p.code, date);
        // Judged by the new version whatever the date: the question is what
        // it would decide.
        input.application_date = date.max(rs.effective_from);
        let Ok(e) = eligibility::evaluate(&sets, &input) else {
            continue;
        };
        let new_amount = e.entitlement.as_ref().map(|x| x.amount_minor);
        if e.eligible != old_eligible || new_amount != old_amount {
            changes.push(Change {
                case_id,
                case_number,
                status,
                old_rule_set,
                old_eligible,
                old_amount_minor: old_amount,
                new_eligible: e.eligible,
                new_amount_minor: new_amount,
                currency: p.currency.clone(),
            });
        }
    }
    Ok((rs, changes))
}
