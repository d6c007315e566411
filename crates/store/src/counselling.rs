//! Counselling sessions. Their notes are restricted: the case's counsellor and
//! supervisor, and the mission officer of the country of return only once the
//! person consented to sharing with the mission. CBSA never sees them.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::crypto::aad;
use crate::{consents, on_tx, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::validation::{self, clean};
use homeward_domain::{Action, Invalid, Resource};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// The table; its `notes` are sealed at rest (ADR 0028).
const TABLE: &str = "counselling_sessions";

/// Topics a session can cover.
pub const TOPICS: [&str; 6] = [
    "return_options",
    "country_information",
    "eligibility",
    "travel",
    "reintegration",
    "health",
];

/// A session as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"held_on": "2012-09-04", "duration_minutes": 60, "language": "hu",
    "interpreter": "Toronto Interpreting Services", "topics": ["return_options", "reintegration"],
    "notes": "Wants to return before the school year; asked about housing support."})))]
pub struct SessionInput {
    /// `YYYY-MM-DD`.
    pub held_on: Option<String>,
    pub duration_minutes: Option<i64>,
    /// ISO 639 code of the language used.
    pub language: Option<String>,
    /// The interpreter's name or agency, if one was used.
    pub interpreter: Option<String>,
    pub topics: Vec<String>,
    pub notes: Option<String>,
}

/// A session as stored.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Session {
    pub id: Uuid,
    pub held_on: NaiveDate,
    pub duration_minutes: i32,
    pub language: String,
    pub interpreter: Option<String>,
    pub topics: String,
    pub notes: Option<String>,
    pub counsellor_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Session {
    /// The topics as a list.
    pub fn topic_list(&self) -> Vec<String> {
        serde_json::from_str(&self.topics).unwrap_or_default()
    }
}

/// Whether the actor may read the case's sessions (after the scope check).
async fn may_read(store: &Store, actor: &Actor, case_id: Uuid) -> Result<bool> {
    consents::may_read_restricted(store, actor, case_id, Resource::Counselling).await
}

/// The sessions of a case in scope; `Forbidden` for roles without need to know.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Session>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    if !may_read(store, actor, case_id).await? {
        // Out of scope reads as not found, whatever the role.
        scope::summary(store, actor, case).await?;
        return Err(crate::Error::Forbidden);
    }
    let mut rows: Vec<Session> = scope::section(
        store,
        actor,
        case,
        "s.id",
        "s.id, s.held_on, s.duration_minutes, s.language, s.interpreter, s.topics, s.notes, u.name AS counsellor_name, s.created_at",
        "LEFT JOIN counselling_sessions s ON s.case_id = c.id LEFT JOIN users u ON u.id = s.counsellor_id",
        "ORDER BY s.held_on, s.created_at",
    )
    .await?;
    for r in &mut rows {
        r.notes = store
            .keys
            .open_opt(&aad(TABLE, "notes", r.id), r.notes.as_deref())?;
    }
    if !rows.is_empty() {
        audit::record_read(store, actor, "counselling", case_id, Some(case_id)).await?;
    }
    Ok(rows)
}

/// Records a session.
pub async fn add(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    i: &SessionInput,
) -> Result<Vec<Session>> {
    actor.require(Resource::Counselling, Action::Create)?;
    scope::summary(store, actor, case_id.into()).await?;
    let mut inv = Invalid::default();
    let held_on = match clean(i.held_on.as_deref()) {
        None => {
            inv.add("held_on", "required");
            None
        }
        Some(s) => match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
            Ok(d) if d > Utc::now().date_naive() => {
                inv.add("held_on", "date-in-future");
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                inv.add("held_on", "invalid-date");
                None
            }
        },
    };
    match i.duration_minutes {
        Some(m) if (1..=600).contains(&m) => {}
        Some(_) => inv.add("duration_minutes", "out-of-range"),
        None => inv.add("duration_minutes", "required"),
    }
    let language = clean(i.language.as_deref()).map(|l| l.to_ascii_lowercase());
    match &language {
        None => inv.add("language", "required"),
        Some(l) if !validation::is_language_code(l) => inv.add("language", "invalid-language"),
        _ => {}
    }
    validation::text(
        &mut inv,
        "interpreter",
        i.interpreter.as_deref(),
        false,
        200,
    );
    validation::text(&mut inv, "notes", i.notes.as_deref(), false, 20_000);
    if i.topics.iter().any(|t| !TOPICS.contains(&t.as_str())) {
        inv.add("topics", "invalid-choice");
    }
    inv.into_result()?;
    // Topics are kept in the order of the list, once each, whatever order they came in.
    let topics: Vec<&str> = TOPICS
        .iter()
        .copied()
        .filter(|t| i.topics.iter().any(|x| x == t))
        .collect();
    let id = Uuid::new_v4();
    let notes = store.keys.seal_opt(
        &aad(TABLE, "notes", id),
        clean(i.notes.as_deref()).as_deref(),
    )?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO counselling_sessions (id, case_id, held_on, duration_minutes, language, interpreter, topics, notes, counsellor_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id).bind(case_id).bind(held_on).bind(i.duration_minutes.unwrap_or(0) as i32).bind(&language)
        .bind(clean(i.interpreter.as_deref())).bind(json!(topics).to_string()).bind(&notes)
        .bind(actor.user_id).bind(crate::now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    // The audit entry says a session was recorded, not what was said in it.
    audit::record(&mut tx, Some(actor), Entry {
        action: "create", entity: "counselling", entity_id: Some(id.to_string()), case_id: Some(case_id), before: None,
        after: Some(json!({"held_on": held_on, "duration_minutes": i.duration_minutes, "language": language, "topics": topics})),
    }).await?;
    tx.commit().await?;
    list(store, actor, case_id).await
}
