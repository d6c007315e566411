//! Reintegration Sustainability Surveys: answers to the store's active
//! questionnaire (versioned configuration, `Store::questionnaire`), scored by
//! `rss::score` and kept with the questionnaire's `id@version`, so a survey
//! keeps its meaning when the questionnaire changes.
//!
//! Who may: the mission officer of the case's country of return records and
//! reads; supervisors read. Finance, CBSA, counsellors and the others are
//! refused: the answers are psychosocial.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{followups, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::rss::{self, Questionnaire};
use homeward_domain::{Action, Invalid, Resource, Role};
use serde::Serialize;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use uuid::Uuid;

/// One survey, its scores (each between 0 and 1) and its answers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Survey {
    pub id: Uuid,
    pub case_id: Uuid,
    pub surveyed_on: NaiveDate,
    /// `id@version` of the questionnaire that scored it.
    pub questionnaire: String,
    pub economic: f64,
    pub social: f64,
    pub psychosocial: f64,
    pub composite: f64,
    /// Indicator id → answer value.
    pub answers: BTreeMap<String, String>,
    pub recorded_by_name: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    case_id: Uuid,
    surveyed_on: NaiveDate,
    questionnaire: String,
    economic: f64,
    social: f64,
    psychosocial: f64,
    composite: f64,
    answers_json: String,
    recorded_by_name: Option<String>,
    recorded_at: DateTime<Utc>,
}

impl Row {
    fn into_survey(self) -> Result<Survey> {
        let answers = serde_json::from_str(&self.answers_json)
            .map_err(|e| Error::Io(format!("survey {} answers: {e}", self.id)))?;
        Ok(Survey {
            id: self.id,
            case_id: self.case_id,
            surveyed_on: self.surveyed_on,
            questionnaire: self.questionnaire,
            economic: self.economic,
            social: self.social,
            psychosocial: self.psychosocial,
            composite: self.composite,
            answers,
            recorded_by_name: self.recorded_by_name,
            recorded_at: self.recorded_at,
        })
    }
}

const SELECT: &str =
    "SELECT s.id, s.case_id, s.surveyed_on, s.questionnaire, s.economic, s.social, \
    s.psychosocial, s.composite, s.answers_json, u.name AS recorded_by_name, s.recorded_at \
    FROM rss_surveys s LEFT JOIN users u ON u.id = s.recorded_by";

/// The active questionnaire, for the survey form.
///
/// Who may: anyone the caller lets through (configuration, no case data).
pub fn questionnaire(store: &Store) -> &Questionnaire {
    &store.questionnaire
}

/// Reads and checks a questionnaire file (for the `rss_questionnaire_file`
/// setting): `Error::Io` when it cannot be read, `Error::Invalid` when it
/// is not a valid questionnaire (see `Questionnaire::from_json`).
pub fn load_questionnaire(path: &std::path::Path) -> Result<Questionnaire> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::Io(format!("{}: {e}", path.display())))?;
    Ok(Questionnaire::from_json(&text)?)
}

/// Records a survey of a case in reintegration or monitoring (`case`:
/// `case-not-in-reintegration`), taken on `surveyed_on` (today when `None`;
/// between arrival and today: `surveyed_on`: `in-the-future`,
/// `date-before-arrival`). Every answer is checked and scored by
/// `rss::score` against the active questionnaire (errors per indicator id);
/// nothing is written unless all pass. Audited (scores only, not answers).
///
/// Who may: the mission officer of the case's country of return.
pub async fn record(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    surveyed_on: Option<NaiveDate>,
    answers: &HashMap<String, String>,
) -> Result<Survey> {
    actor.require(Resource::Reintegration, Action::Create)?;
    if actor.role != Role::MissionOfficer {
        return Err(Error::Forbidden);
    }
    let case = scope::summary(store, actor, case_id.into()).await?;
    followups::require_monitored(&case.status)?;
    let arrived: Option<NaiveDate> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT arrived_on FROM arrivals WHERE case_id = $1")
        .bind(case_id).fetch_optional(p).await)?;
    let Some(arrived) = arrived else {
        let mut inv = Invalid::default();
        inv.add("case", "arrival-not-confirmed");
        return Err(inv.into());
    };
    let now = crate::now();
    let today = now.date_naive();
    let on = surveyed_on.unwrap_or(today);
    // Date and answers are checked together, so the form shows every problem at once.
    let scores = match (
        rss::validate_survey_date(Some(on), arrived, today),
        rss::score(questionnaire(store), answers),
    ) {
        (Ok(()), Ok(s)) => s,
        (date, scored) => {
            let mut inv = Invalid::default();
            for e in [date.err(), scored.err()].into_iter().flatten() {
                inv.errors.extend(e.errors);
            }
            return Err(inv.into());
        }
    };
    // Stored as matched by `score` (trimmed), keyed in a stable order.
    let stored: BTreeMap<String, String> = answers
        .iter()
        .map(|(k, v)| (k.clone(), v.trim().to_string()))
        .collect();
    let answers_json =
        serde_json::to_string(&stored).map_err(|e| Error::Io(format!("survey answers: {e}")))?;
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO rss_surveys (id, case_id, surveyed_on, questionnaire, economic, social, psychosocial, composite, \
         answers_json, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
        .bind(id).bind(case_id).bind(on).bind(&scores.questionnaire).bind(scores.economic).bind(scores.social)
        .bind(scores.psychosocial).bind(scores.composite).bind(&answers_json).bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "rss_survey",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({
                "surveyed_on": on, "questionnaire": scores.questionnaire, "economic": scores.economic,
                "social": scores.social, "psychosocial": scores.psychosocial, "composite": scores.composite,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    let row: Row = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&format!("{SELECT} WHERE s.id = $1"))
        .bind(id).fetch_one(p).await)?;
    row.into_survey()
}

/// The case's surveys, oldest first.
///
/// Who may: the mission officer of the case's country, supervisors (their
/// team's cases). Others are refused; a case out of scope is not found.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Survey>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    actor.require(Resource::Reintegration, Action::Read)?;
    if !matches!(actor.role, Role::MissionOfficer | Role::Supervisor) {
        return Err(Error::Forbidden);
    }
    scope::summary(store, actor, case).await?;
    let rows: Vec<Row> = on_db!(&store.db, p => sqlx::query_as::<_, Row>(&format!(
        "{SELECT} WHERE s.case_id = $1 ORDER BY s.surveyed_on, s.recorded_at, s.id"))
        .bind(case_id).fetch_all(p).await)?;
    rows.into_iter().map(Row::into_survey).collect()
}
