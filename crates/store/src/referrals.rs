//! Referrals: the immigration facts CBSA sends with a person, the 24-hour
//! contact clock, and the eligibility evaluation stored when IOM applies.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use homeward_domain::eligibility::{self, Evaluation};
use homeward_domain::referral::{ReferralFacts, ReferralInput};
use homeward_domain::{Action, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

#[derive(Debug, Clone, sqlx::FromRow)]
struct Row {
    claim_filed_on: Option<NaiveDate>,
    claim_outcome: Option<String>,
    irb_decided_on: Option<NaiveDate>,
    designated_country_of_origin: Option<bool>,
    federal_court_leave_filed_on: Option<NaiveDate>,
    prra_applied_on: Option<NaiveDate>,
    prra_decided_on: Option<NaiveDate>,
    removal_order: Option<bool>,
    compliant_with_conditions: Option<bool>,
    criminality: Option<String>,
    residence_region: Option<String>,
    prior_avrr_assistance: Option<bool>,
    referred_by_name: Option<String>,
    contact_due_at: DateTime<Utc>,
    contacted_at: Option<DateTime<Utc>>,
    version: i64,
    updated_at: DateTime<Utc>,
}

/// A case's referral as a reader sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Referral {
    pub facts: ReferralFacts,
    pub referred_by_name: Option<String>,
    /// When the 24 hours for the person to contact IOM run out.
    pub contact_due_at: DateTime<Utc>,
    /// When the person contacted IOM (intake started).
    pub contacted_at: Option<DateTime<Utc>>,
    /// Not contacted and past due.
    pub contact_overdue: bool,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}

impl Row {
    fn view(self, now: DateTime<Utc>) -> Referral {
        Referral {
            contact_overdue: self.contacted_at.is_none() && now > self.contact_due_at,
            facts: ReferralFacts {
                claim_filed_on: self.claim_filed_on,
                claim_outcome: self.claim_outcome,
                irb_decided_on: self.irb_decided_on,
                designated_country_of_origin: self.designated_country_of_origin,
                federal_court_leave_filed_on: self.federal_court_leave_filed_on,
                prra_applied_on: self.prra_applied_on,
                prra_decided_on: self.prra_decided_on,
                removal_order: self.removal_order,
                compliant_with_conditions: self.compliant_with_conditions,
                criminality: self.criminality,
                residence_region: self.residence_region,
                prior_avrr_assistance: self.prior_avrr_assistance,
            },
            referred_by_name: self.referred_by_name,
            contact_due_at: self.contact_due_at,
            contacted_at: self.contacted_at,
            version: self.version,
            updated_at: self.updated_at,
        }
    }
}

/// Stores a new case's referral facts and starts the contact clock: the
/// programme's `contact_hours` from the referral.
pub async fn insert(
    tx: &mut Tx,
    actor: &Actor,
    case_id: Uuid,
    f: &ReferralFacts,
    referred_at: DateTime<Utc>,
    contact_hours: i64,
) -> Result<()> {
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO referrals (case_id, claim_filed_on, claim_outcome, irb_decided_on, designated_country_of_origin, \
         federal_court_leave_filed_on, prra_applied_on, prra_decided_on, removal_order, compliant_with_conditions, criminality, \
         residence_region, prior_avrr_assistance, referred_by, contact_due_at, contacted_at, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, NULL, 1, $16)")
        .bind(case_id).bind(f.claim_filed_on).bind(&f.claim_outcome).bind(f.irb_decided_on).bind(f.designated_country_of_origin)
        .bind(f.federal_court_leave_filed_on).bind(f.prra_applied_on).bind(f.prra_decided_on).bind(f.removal_order)
        .bind(f.compliant_with_conditions).bind(&f.criminality).bind(&f.residence_region).bind(f.prior_avrr_assistance)
        .bind(actor.user_id).bind(referred_at + Duration::hours(contact_hours)).bind(referred_at)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        Some(actor),
        Entry {
            action: "refer",
            entity: "referral",
            entity_id: Some(case_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(fact_names(&serde_json::to_value(f).unwrap_or_default())),
        },
    )
    .await
}

macro_rules! referral_columns {
    () => {
        "r.claim_filed_on, r.claim_outcome, r.irb_decided_on, r.designated_country_of_origin, \
         r.federal_court_leave_filed_on, r.prra_applied_on, r.prra_decided_on, r.removal_order, r.compliant_with_conditions, \
         r.criminality, r.residence_region, r.prior_avrr_assistance, u.name AS referred_by_name, r.contact_due_at, r.contacted_at, \
         r.version, r.updated_at"
    };
}
const SELECT: &str = concat!(
    "SELECT ",
    referral_columns!(),
    " FROM referrals r LEFT JOIN users u ON u.id = r.referred_by WHERE r.case_id = $1"
);

async fn row(store: &Store, case_id: Uuid) -> Result<Option<Row>> {
    Ok(
        on_db!(&store.db, p => sqlx::query_as::<_, Row>(SELECT).bind(case_id).fetch_optional(p).await)?,
    )
}

/// The referral of a case in scope (None for cases opened without one).
pub async fn get(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Option<Referral>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Referral, Action::Read)?;
    let rows: Vec<Row> = scope::section(
        store,
        actor,
        case,
        "r.case_id",
        referral_columns!(),
        "LEFT JOIN referrals r ON r.case_id = c.id LEFT JOIN users u ON u.id = r.referred_by",
        "",
    )
    .await?;
    Ok(rows.into_iter().next().map(|r| r.view(crate::now())))
}

/// Replaces the facts (or records them for a case that had none). `version`
/// is the referral's version, or 0 when there was none.
pub async fn update(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    version: i64,
    input: &ReferralInput,
) -> Result<Referral> {
    actor.require(Resource::Referral, Action::Update)?;
    let case = scope::summary(store, actor, case_id.into()).await?;
    let f = input.validate(Utc::now().date_naive(), "")?;
    let before = row(store, case_id).await?;
    let programme = crate::programmes::stored::by_code(store, &case.programme_code).await?;
    f.check_recorded(&programme.referral_facts, "")?;
    let contact_hours = programme.contact_hours;
    let mut tx = store.begin().await?;
    match &before {
        None if version == 0 => {
            insert(&mut tx, actor, case_id, &f, case.referred_at, contact_hours).await?
        }
        None => return Err(Error::Conflict),
        Some(_) => {
            let n = on_tx!(&mut tx, c => sqlx::query(
                "UPDATE referrals SET claim_filed_on = $1, claim_outcome = $2, irb_decided_on = $3, designated_country_of_origin = $4, \
                 federal_court_leave_filed_on = $5, prra_applied_on = $6, prra_decided_on = $7, removal_order = $8, \
                 compliant_with_conditions = $9, criminality = $10, residence_region = $11, prior_avrr_assistance = $12, \
                 version = version + 1, updated_at = $13 WHERE case_id = $14 AND version = $15")
                .bind(f.claim_filed_on).bind(&f.claim_outcome).bind(f.irb_decided_on).bind(f.designated_country_of_origin)
                .bind(f.federal_court_leave_filed_on).bind(f.prra_applied_on).bind(f.prra_decided_on).bind(f.removal_order)
                .bind(f.compliant_with_conditions).bind(&f.criminality).bind(&f.residence_region).bind(f.prior_avrr_assistance)
                .bind(crate::now()).bind(case_id).bind(version)
                .execute(c).await.map(|r| r.rows_affected()))?;
            if n == 0 {
                return Err(Error::Conflict);
            }
            audit::record(
                &mut tx,
                Some(actor),
                Entry {
                    action: "update",
                    entity: "referral",
                    entity_id: Some(case_id.to_string()),
                    case_id: Some(case_id),
                    before: None,
                    after: Some(changed_facts(
                        before.clone().map(|b| {
                            serde_json::to_value(b.view(crate::now()).facts).unwrap_or_default()
                        }),
                        &serde_json::to_value(&f).unwrap_or_default(),
                    )),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    get(store, actor, case_id).await?.ok_or(Error::NotFound)
}

/// Stops the contact clock: the person reached IOM.
pub async fn mark_contacted(tx: &mut Tx, case_id: Uuid, at: DateTime<Utc>) -> Result<()> {
    on_tx!(tx, c => sqlx::query("UPDATE referrals SET contacted_at = $1 WHERE case_id = $2 AND contacted_at IS NULL")
        .bind(at).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// A stored evaluation.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct StoredEvaluation {
    pub id: Uuid,
    pub evaluated_at: DateTime<Utc>,
    pub application_date: NaiveDate,
    /// `programme@version` of the rules that produced it.
    pub rule_set: String,
    pub eligible: bool,
    pub determined: bool,
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    pub tier: Option<String>,
    /// The full evaluation (rules with message keys).
    pub result_json: String,
}

/// One rule of a stored evaluation: id, outcome, message key, message arguments.
pub type StoredRule = (String, String, String, Vec<(String, String)>);

impl StoredEvaluation {
    /// The evaluation's rule results, for explaining it again.
    pub fn rules(&self) -> Vec<StoredRule> {
        let v: serde_json::Value = serde_json::from_str(&self.result_json).unwrap_or_default();
        v["rules"]
            .as_array()
            .map(|rs| {
                rs.iter()
                    .map(|r| {
                        let args = r["explanation"]["args"]
                            .as_array()
                            .map(|a| {
                                a.iter()
                                    .filter_map(|p| {
                                        Some((
                                            p[0].as_str()?.to_string(),
                                            p[1].as_str()?.to_string(),
                                        ))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        (
                            r["id"].as_str().unwrap_or("").to_string(),
                            r["outcome"].as_str().unwrap_or("").to_string(),
                            r["explanation"]["key"].as_str().unwrap_or("").to_string(),
                            args,
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Evaluates the case's facts under the rules in force on `application_date`
/// and stores the result with the rule-set version, inside the caller's transaction.
pub async fn evaluate_and_store(
    tx: &mut Tx,
    rules: &[homeward_domain::eligibility::RuleSet],
    actor: &Actor,
    case_id: Uuid,
    programme: &str,
    facts: &ReferralFacts,
    application_date: NaiveDate,
) -> Result<Evaluation> {
    let input = facts.evaluation_input(programme, application_date);
    let e = eligibility::evaluate(rules, &input)
        .ok()
        // An application outside the programme's dates cannot be made.
        .filter(|e| e.rules.first().is_none_or(|r| r.id != "programme-period"))
        .ok_or_else(|| Error::invalid("to", "no-rule-set"))?;
    let id = Uuid::new_v4();
    let ent = e.entitlement.as_ref();
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO eligibility_evaluations (id, case_id, evaluated_at, application_date, rule_set, eligible, determined, \
         amount_minor, currency, tier, result_json, actor_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(id).bind(case_id).bind(crate::now()).bind(application_date).bind(&e.rule_set).bind(e.eligible).bind(e.determined)
        .bind(ent.map(|x| x.amount_minor)).bind(ent.map(|x| x.currency.clone())).bind(ent.map(|x| x.tier))
        .bind(serde_json::to_string(&e).unwrap_or_default()).bind(actor.user_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        tx,
        Some(actor),
        Entry {
            action: "evaluate",
            entity: "eligibility",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"rule_set": e.rule_set, "eligible": e.eligible, "amount_minor": ent.map(|x| x.amount_minor)})),
        },
    )
    .await?;
    Ok(e)
}

/// The facts of a case, for use inside a use case that already checked scope.
pub async fn facts_of(store: &Store, case_id: Uuid) -> Result<Option<ReferralFacts>> {
    Ok(row(store, case_id)
        .await?
        .map(|r| r.view(crate::now()).facts))
}

/// The latest evaluation of a case in scope.
pub async fn latest_evaluation(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Option<StoredEvaluation>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Referral, Action::Read)?;
    let rows: Vec<StoredEvaluation> = scope::section(
        store,
        actor,
        case,
        "e.id",
        "e.id, e.evaluated_at, e.application_date, e.rule_set, e.eligible, e.determined, e.amount_minor, e.currency, \
         e.tier, e.result_json",
        "LEFT JOIN eligibility_evaluations e ON e.case_id = c.id",
        "ORDER BY e.evaluated_at DESC LIMIT 1",
    )
    .await?;
    Ok(rows.into_iter().next())
}

/// A referral waiting for the person to contact IOM.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Waiting {
    pub case_id: Uuid,
    pub case_number: String,
    pub principal_name: String,
    pub referred_at: DateTime<Utc>,
    pub contact_due_at: DateTime<Utc>,
}

/// New referrals in the actor's scope, overdue ones first, then the oldest.
pub async fn waiting(store: &Store, actor: &Actor, limit: i64) -> Result<Vec<Waiting>> {
    actor.require(Resource::Case, Action::Read)?;
    let mut q = Sql::new(
        "SELECT c.id AS case_id, c.case_number, p.display_name AS principal_name, c.referred_at, r.contact_due_at \
         FROM cases c JOIN referrals r ON r.case_id = c.id JOIN persons p ON p.id = c.principal_person_id \
         WHERE c.status = 'referred' AND r.contacted_at IS NULL",
    );
    actor.push_case_scope(&mut q);
    q.push(" ORDER BY r.contact_due_at ASC LIMIT ")
        .bind(Param::I64(limit.clamp(1, 200)));
    Ok(
        on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, Waiting>(&q.text), q.params).fetch_all(p).await)?,
    )
}

/// What the audit trail keeps of a referral: which facts were given, not
/// their values (the trail cannot be changed, and a person's records are
/// deleted at the end of retention; docs/adr/0026).
fn fact_names(v: &serde_json::Value) -> serde_json::Value {
    let names: Vec<&String> = v
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({ "fields": names })
}

/// Which facts an update changed (names only; see [`fact_names`]).
fn changed_facts(
    before: Option<serde_json::Value>,
    after: &serde_json::Value,
) -> serde_json::Value {
    let before = before.unwrap_or_default();
    let names: Vec<&String> = after
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, v)| before.get(k.as_str()) != Some(*v))
                .map(|(k, _)| k)
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({ "changed": names })
}
