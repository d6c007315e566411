//! Vulnerability screening, fitness to travel and travel documents, per
//! traveller. Vulnerability and fitness are restricted like counselling notes
//! (CBSA never sees them) and are health data: recording them needs the
//! person's consent to collect health data. Documents are readable by every
//! role that reads the case.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::crypto::aad;
use crate::{consents, on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::consent;
use homeward_domain::readiness::{self, Blocker, Traveller};
use homeward_domain::validation::{self, clean};
use homeward_domain::{Action, Invalid, Resource};
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;

/// Tables whose restricted columns are sealed at rest (ADR 0028).
pub(crate) const VULNERABILITIES: &str = "vulnerabilities";
pub(crate) const FITNESS: &str = "fitness_checks";
/// Purpose of the keyed hash of a vulnerability's kind.
pub(crate) const KIND_HASH: &str = "vulnerabilities.kind";

/// A vulnerability as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"person_id": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "kind": "medical_condition",
    "details": "Insulin-dependent diabetes", "follow_up": "Two months of insulin and a cool bag for the flight"})))]
pub struct VulnerabilityInput {
    pub person_id: Option<Uuid>,
    pub kind: Option<String>,
    pub details: Option<String>,
    pub follow_up: Option<String>,
}

/// A recorded vulnerability.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Vulnerability {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub kind: String,
    pub details: Option<String>,
    pub follow_up: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A fitness check as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"person_id": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "status": "fit_with_escort",
    "checked_at": "2012-10-01T14:30:00Z", "medical_escort": true, "special_assistance": ["WCHR"],
    "notes": "Escort to carry the insulin."})))]
pub struct FitnessInput {
    pub person_id: Option<Uuid>,
    /// pending, fit, fit_with_escort or unfit.
    pub status: Option<String>,
    /// When the check was made (RFC 3339), if it was.
    pub checked_at: Option<DateTime<Utc>>,
    pub medical_escort: bool,
    /// IATA codes: WCHR, WCHS, WCHC, MEDA, ...
    pub special_assistance: Vec<String>,
    pub notes: Option<String>,
}

/// A recorded fitness check.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FitnessCheck {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub status: String,
    pub checked_at: Option<DateTime<Utc>>,
    pub medical_escort: bool,
    pub special_assistance: String,
    pub notes: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

/// A travel document as typed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
#[schema(examples(json!({"person_id": "5b0c1e2d-3f4a-4b5c-8d6e-7f8091a2b3c4", "kind": "emergency_travel_document",
    "issuing_country": "HU", "etd_requested_on": "2012-09-10", "consulate": "Consulate General of Hungary, Toronto"})))]
pub struct DocumentInput {
    pub person_id: Option<Uuid>,
    /// passport or emergency_travel_document.
    pub kind: Option<String>,
    pub number: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub issuing_country: Option<String>,
    pub expires_on: Option<String>,
    /// Emergency travel documents: when it was requested from the consulate.
    pub etd_requested_on: Option<String>,
    pub etd_issued_on: Option<String>,
    pub consulate: Option<String>,
}

/// A recorded travel document.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Document {
    pub id: Uuid,
    pub person_id: Uuid,
    pub person_name: String,
    pub kind: String,
    pub number: Option<String>,
    pub issuing_country: Option<String>,
    pub expires_on: Option<NaiveDate>,
    pub etd_requested_on: Option<NaiveDate>,
    pub etd_issued_on: Option<NaiveDate>,
    pub consulate: Option<String>,
    pub recorded_at: DateTime<Utc>,
}

async fn on_case(
    store: &Store,
    case_id: Uuid,
    person_id: Option<Uuid>,
    inv: &mut Invalid,
) -> Result<Option<Uuid>> {
    let Some(pid) = person_id else {
        inv.add("person_id", "required");
        return Ok(None);
    };
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM case_members WHERE case_id = $1 AND person_id = $2")
        .bind(case_id).bind(pid).fetch_one(p).await)?;
    if n == 0 {
        inv.add("person_id", "not-on-case");
        return Ok(None);
    }
    Ok(Some(pid))
}

/// Restricted reads: counsellor and supervisor; the mission with consent.
async fn may_read_restricted(store: &Store, actor: &Actor, case_id: Uuid) -> Result<bool> {
    consents::may_read_restricted(store, actor, case_id, Resource::Counselling).await
}

async fn require_health_consent(store: &Store, case_id: Uuid) -> Result<()> {
    let health = consents::in_force(store, case_id, consent::COLLECT_HEALTH_DATA).await?;
    if consent::may_record_health_data(if health {
        &[consent::COLLECT_HEALTH_DATA]
    } else {
        &[]
    }) {
        Ok(())
    } else {
        let mut inv = Invalid::default();
        inv.add("consent", "needs-health-consent");
        Err(inv.into())
    }
}

fn date(inv: &mut Invalid, field: &str, v: &Option<String>) -> Option<NaiveDate> {
    let s = clean(v.as_deref())?;
    match NaiveDate::parse_from_str(&s, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            inv.add(field, "invalid-date");
            None
        }
    }
}

/// Records a vulnerability.
pub async fn add_vulnerability(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    i: &VulnerabilityInput,
) -> Result<Vec<Vulnerability>> {
    actor.require(Resource::Counselling, Action::Create)?;
    scope::summary(store, actor, case_id.into()).await?;
    let mut inv = Invalid::default();
    let pid = on_case(store, case_id, i.person_id, &mut inv).await?;
    let kind = clean(i.kind.as_deref());
    if !kind
        .as_deref()
        .is_some_and(|k| readiness::VULNERABILITIES.contains(&k))
    {
        inv.add("kind", "invalid-choice");
    }
    validation::text(&mut inv, "details", i.details.as_deref(), false, 5000);
    validation::text(&mut inv, "follow_up", i.follow_up.as_deref(), false, 5000);
    inv.into_result()?;
    if kind.as_deref() == Some("medical_condition") {
        require_health_consent(store, case_id).await?;
    }
    let id = Uuid::new_v4();
    // Sealed at rest, the kind too (a trafficking flag is itself restricted);
    // its keyed hash lets a query find a kind without reading it (ADR 0028).
    let k = &store.keys;
    let kind_hash = kind
        .as_deref()
        .map(|v| k.index_hash(KIND_HASH, v))
        .transpose()?;
    let sealed_kind = k.seal_opt(&aad(VULNERABILITIES, "kind", id), kind.as_deref())?;
    let details = k.seal_opt(
        &aad(VULNERABILITIES, "details", id),
        clean(i.details.as_deref()).as_deref(),
    )?;
    let follow_up = k.seal_opt(
        &aad(VULNERABILITIES, "follow_up", id),
        clean(i.follow_up.as_deref()).as_deref(),
    )?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO vulnerabilities (id, case_id, person_id, kind, kind_hash, details, follow_up, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(case_id).bind(pid).bind(&sealed_kind).bind(&kind_hash).bind(&details).bind(&follow_up)
        .bind(actor.user_id).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "vulnerability",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"person_id": pid})),
        },
    )
    .await?;
    tx.commit().await?;
    vulnerabilities(store, actor, case_id).await
}

/// The case's vulnerabilities (restricted).
pub async fn vulnerabilities(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Vulnerability>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    if !may_read_restricted(store, actor, case_id).await? {
        // Out of scope reads as not found, whatever the role.
        scope::summary(store, actor, case).await?;
        return Err(Error::Forbidden);
    }
    let mut rows: Vec<Vulnerability> = scope::section(
        store,
        actor,
        case,
        "v.id",
        "v.id, v.person_id, p.display_name AS person_name, v.kind, v.details, v.follow_up, v.recorded_at",
        "LEFT JOIN vulnerabilities v ON v.case_id = c.id LEFT JOIN persons p ON p.id = v.person_id",
        "ORDER BY v.recorded_at, v.id",
    )
    .await?;
    let k = &store.keys;
    for r in &mut rows {
        r.kind = k.open(&aad(VULNERABILITIES, "kind", r.id), &r.kind)?;
        r.details = k.open_opt(&aad(VULNERABILITIES, "details", r.id), r.details.as_deref())?;
        r.follow_up = k.open_opt(
            &aad(VULNERABILITIES, "follow_up", r.id),
            r.follow_up.as_deref(),
        )?;
    }
    // Restricted data seen is restricted data read (issue 7): the trail
    // says who saw the screening, not what it said.
    if !rows.is_empty() {
        audit::record_read(store, actor, "vulnerability", case_id, Some(case_id)).await?;
    }
    Ok(rows)
}

/// The cases in scope with a vulnerability of `kind`, found through the
/// keyed hash of the sealed kind (the database never sees the kind itself).
/// Who may: the roles that read vulnerabilities; a mission officer only on
/// cases whose person consented to sharing with the mission. Others: Forbidden.
pub async fn cases_with_vulnerability(
    store: &Store,
    actor: &Actor,
    kind: &str,
) -> Result<Vec<Uuid>> {
    use crate::sql::{Param, Sql};
    let rule = consent::read_rule(actor.role, Resource::Counselling);
    if rule == consent::ReadRule::Never {
        return Err(Error::Forbidden);
    }
    if !readiness::VULNERABILITIES.contains(&kind) {
        let mut inv = Invalid::default();
        inv.add("kind", "invalid-choice");
        return Err(inv.into());
    }
    let hash = store.keys.index_hash(KIND_HASH, kind)?;
    let mut q = Sql::new(
        "SELECT DISTINCT c.id FROM vulnerabilities v JOIN cases c ON c.id = v.case_id WHERE v.kind_hash = ",
    );
    q.bind(Param::Text(hash));
    actor.push_case_scope(&mut q);
    // The same consent rule as a single read, applied in the query.
    if let consent::ReadRule::WhileConsented(purpose) = rule {
        q.push(" AND EXISTS (SELECT 1 FROM consents k WHERE k.case_id = c.id AND k.purpose = ")
            .bind(Param::Text(purpose.to_string()))
            .push(" AND k.withdrawn_at IS NULL)");
    }
    q.push(" ORDER BY c.id LIMIT 10000");
    Ok(
        on_db!(&store.db, p => crate::bind_params!(sqlx::query_scalar::<_, Uuid>(&q.text), q.params).fetch_all(p).await)?,
    )
}

/// Records a fitness-to-travel check (health data: needs consent).
pub async fn add_fitness(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    i: &FitnessInput,
) -> Result<Vec<FitnessCheck>> {
    actor.require(Resource::Counselling, Action::Create)?;
    scope::summary(store, actor, case_id.into()).await?;
    let mut inv = Invalid::default();
    let pid = on_case(store, case_id, i.person_id, &mut inv).await?;
    let status = clean(i.status.as_deref());
    if !status
        .as_deref()
        .is_some_and(|k| readiness::FITNESS.contains(&k))
    {
        inv.add("status", "invalid-choice");
    }
    if i.checked_at
        .is_some_and(|t| t > Utc::now() + chrono::Duration::minutes(5))
    {
        inv.add("checked_at", "date-in-future");
    }
    let codes: Vec<String> = i
        .special_assistance
        .iter()
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty())
        .collect();
    if codes
        .iter()
        .any(|c| !readiness::SPECIAL_ASSISTANCE.contains(&c.as_str()))
    {
        inv.add("special_assistance", "invalid-choice");
    }
    validation::text(&mut inv, "notes", i.notes.as_deref(), false, 5000);
    inv.into_result()?;
    require_health_consent(store, case_id).await?;
    let id = Uuid::new_v4();
    let special = store.keys.seal(
        &aad(FITNESS, "special_assistance", id),
        &json!(codes).to_string(),
    )?;
    let notes = store.keys.seal_opt(
        &aad(FITNESS, "notes", id),
        clean(i.notes.as_deref()).as_deref(),
    )?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO fitness_checks (id, case_id, person_id, status, checked_at, medical_escort, special_assistance, notes, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id).bind(case_id).bind(pid).bind(&status).bind(i.checked_at).bind(i.medical_escort).bind(&special)
        .bind(&notes).bind(actor.user_id).bind(crate::now()).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "fitness",
            entity_id: Some(id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"person_id": pid, "status": status})),
        },
    )
    .await?;
    tx.commit().await?;
    fitness(store, actor, case_id).await
}

/// The case's fitness checks (restricted), newest last.
pub async fn fitness(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<FitnessCheck>> {
    let case: CaseRef<'_> = case.into();
    let case_id = case.id();
    if !may_read_restricted(store, actor, case_id).await? {
        // Out of scope reads as not found, whatever the role.
        scope::summary(store, actor, case).await?;
        return Err(Error::Forbidden);
    }
    let mut rows: Vec<FitnessCheck> = scope::section(
        store,
        actor,
        case,
        "f.id",
        "f.id, f.person_id, p.display_name AS person_name, f.status, f.checked_at, f.medical_escort, f.special_assistance, \
         f.notes, f.recorded_at",
        "LEFT JOIN fitness_checks f ON f.case_id = c.id LEFT JOIN persons p ON p.id = f.person_id",
        "ORDER BY f.recorded_at, f.id",
    )
    .await?;
    for r in &mut rows {
        r.special_assistance = store.keys.open(
            &aad(FITNESS, "special_assistance", r.id),
            &r.special_assistance,
        )?;
        r.notes = store
            .keys
            .open_opt(&aad(FITNESS, "notes", r.id), r.notes.as_deref())?;
    }
    if !rows.is_empty() {
        audit::record_read(store, actor, "fitness", case_id, Some(case_id)).await?;
    }
    Ok(rows)
}

/// Records a travel document.
pub async fn add_document(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    i: &DocumentInput,
) -> Result<Vec<Document>> {
    actor.require(Resource::Case, Action::Update)?;
    scope::summary(store, actor, case_id.into()).await?;
    let mut inv = Invalid::default();
    let pid = on_case(store, case_id, i.person_id, &mut inv).await?;
    let kind = clean(i.kind.as_deref());
    if !kind
        .as_deref()
        .is_some_and(|k| readiness::DOCUMENT_KINDS.contains(&k))
    {
        inv.add("kind", "invalid-choice");
    }
    validation::text(&mut inv, "number", i.number.as_deref(), false, 40);
    validation::text(&mut inv, "consulate", i.consulate.as_deref(), false, 200);
    let country = clean(i.issuing_country.as_deref()).map(|c| c.to_ascii_uppercase());
    if country
        .as_deref()
        .is_some_and(|c| !validation::is_country_code(c))
    {
        inv.add("issuing_country", "invalid-country");
    }
    let expires = date(&mut inv, "expires_on", &i.expires_on);
    let requested = date(&mut inv, "etd_requested_on", &i.etd_requested_on);
    let issued = date(&mut inv, "etd_issued_on", &i.etd_issued_on);
    if kind.as_deref() == Some("passport")
        && expires.is_none()
        && !inv.errors.iter().any(|e| e.field == "expires_on")
    {
        inv.add("expires_on", "required");
    }
    if let (Some(r), Some(s)) = (requested, issued) {
        if s < r {
            inv.add("etd_issued_on", "date-before-request");
        }
    }
    inv.into_result()?;
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO travel_documents (id, case_id, person_id, kind, number, issuing_country, expires_on, etd_requested_on, etd_issued_on, consulate, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(id).bind(case_id).bind(pid).bind(&kind).bind(clean(i.number.as_deref()).map(|n| n.to_uppercase())).bind(&country)
        .bind(expires).bind(requested).bind(issued).bind(clean(i.consulate.as_deref())).bind(actor.user_id).bind(crate::now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(&mut tx, Some(actor), Entry {
        action: "create", entity: "travel_document", entity_id: Some(id.to_string()), case_id: Some(case_id), before: None,
        after: Some(json!({"person_id": pid, "kind": kind, "issuing_country": country, "expires_on": expires})),
    }).await?;
    tx.commit().await?;
    documents(store, actor, case_id).await
}

/// The case's travel documents.
pub async fn documents(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Document>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Case, Action::Read)?;
    scope::section(
        store,
        actor,
        case,
        "d.id",
        "d.id, d.person_id, p.display_name AS person_name, d.kind, d.number, d.issuing_country, d.expires_on, \
         d.etd_requested_on, d.etd_issued_on, d.consulate, d.recorded_at",
        "LEFT JOIN travel_documents d ON d.case_id = c.id LEFT JOIN persons p ON p.id = d.person_id",
        "ORDER BY d.recorded_at, d.id",
    )
    .await
}

/// What blocks the case from preparing departure (for the workflow guard,
/// after the caller's scope check).
pub async fn blockers(store: &Store, case_id: Uuid, today: NaiveDate) -> Result<Vec<Blocker>> {
    let people: Vec<(Uuid, String)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT p.id, p.display_name FROM case_members m JOIN persons p ON p.id = m.person_id WHERE m.case_id = $1 ORDER BY p.display_name")
        .bind(case_id).fetch_all(p).await)?;
    let docs: Vec<(Uuid, String, Option<NaiveDate>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT person_id, kind, expires_on FROM travel_documents WHERE case_id = $1").bind(case_id).fetch_all(p).await)?;
    let fits: Vec<(Uuid, String)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT person_id, status FROM fitness_checks WHERE case_id = $1 ORDER BY recorded_at, id").bind(case_id).fetch_all(p).await)?;
    let travellers: Vec<Traveller> = people
        .into_iter()
        .map(|(pid, name)| Traveller {
            name,
            documents: docs
                .iter()
                .filter(|(p, _, _)| *p == pid)
                .map(|(_, k, e)| (k.clone(), *e))
                .collect(),
            fitness: fits
                .iter()
                .rev()
                .find(|(p, _)| *p == pid)
                .map(|(_, s)| s.clone()),
        })
        .collect();
    let has_declaration = crate::attachments::has_kind(store, case_id, "declaration").await?;
    Ok(readiness::blockers(&travellers, has_declaration, today))
}
