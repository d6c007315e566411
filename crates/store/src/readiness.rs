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
use homeward_domain::{Action, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// Tables whose restricted columns are sealed at rest (ADR 0028).
pub(crate) const VULNERABILITIES: &str = "vulnerabilities";
pub(crate) const FITNESS: &str = "fitness_checks";
/// Purpose of the keyed hash of a vulnerability's kind.
pub(crate) const KIND_HASH: &str = "vulnerabilities.kind";

pub use homeward_domain::readiness::{DocumentInput, FitnessInput, VulnerabilityInput};

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

/// Whether `person_id` is on the case (false when none is named).
async fn on_case(store: &Store, case_id: Uuid, person_id: Option<Uuid>) -> Result<bool> {
    let Some(pid) = person_id else {
        return Ok(false);
    };
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM case_members WHERE case_id = $1 AND person_id = $2")
        .bind(case_id).bind(pid).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Restricted reads: counsellor and supervisor; the mission with consent.
async fn may_read_restricted(store: &Store, actor: &Actor, case_id: Uuid) -> Result<bool> {
    consents::may_read_restricted(store, actor, case_id, Resource::Counselling).await
}

/// Refuses health data unless the person's consent to collect it is in force.
async fn require_health_consent(store: &Store, case_id: Uuid) -> Result<()> {
    let health = consents::in_force(store, case_id, consent::COLLECT_HEALTH_DATA).await?;
    let in_force: &[&str] = if health {
        &[consent::COLLECT_HEALTH_DATA]
    } else {
        &[]
    };
    Ok(consent::check_health_data(in_force)?)
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
    let on_case = on_case(store, case_id, i.person_id).await?;
    let v = readiness::decide_vulnerability(i, on_case)?;
    if v.health_data {
        require_health_consent(store, case_id).await?;
    }
    let id = Uuid::new_v4();
    // Sealed at rest, the kind too (a trafficking flag is itself restricted);
    // its keyed hash lets a query find a kind without reading it (ADR 0028).
    let k = &store.keys;
    let kind_hash = k.index_hash(KIND_HASH, &v.kind)?;
    let sealed_kind = k.seal(&aad(VULNERABILITIES, "kind", id), &v.kind)?;
    let details = k.seal_opt(&aad(VULNERABILITIES, "details", id), v.details.as_deref())?;
    let follow_up = k.seal_opt(
        &aad(VULNERABILITIES, "follow_up", id),
        v.follow_up.as_deref(),
    )?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO vulnerabilities (id, case_id, person_id, kind, kind_hash, details, follow_up, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
        .bind(id).bind(case_id).bind(v.person_id).bind(&sealed_kind).bind(&kind_hash).bind(&details).bind(&follow_up)
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
            after: Some(json!({"person_id": v.person_id})),
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
    let on_case = on_case(store, case_id, i.person_id).await?;
    let f = readiness::decide_fitness(i, on_case, Utc::now())?;
    if f.health_data {
        require_health_consent(store, case_id).await?;
    }
    let id = Uuid::new_v4();
    let special = store.keys.seal(
        &aad(FITNESS, "special_assistance", id),
        &json!(f.special_assistance).to_string(),
    )?;
    let notes = store
        .keys
        .seal_opt(&aad(FITNESS, "notes", id), f.notes.as_deref())?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO fitness_checks (id, case_id, person_id, status, checked_at, medical_escort, special_assistance, notes, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
        .bind(id).bind(case_id).bind(f.person_id).bind(&f.status).bind(f.checked_at).bind(f.medical_escort).bind(&special)
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
            after: Some(json!({"person_id": f.person_id, "status": f.status})),
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
    let on_case = on_case(store, case_id, i.person_id).await?;
    let d = readiness::decide_document(i, on_case)?;
    let id = Uuid::new_v4();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO travel_documents (id, case_id, person_id, kind, number, issuing_country, expires_on, etd_requested_on, etd_issued_on, consulate, recorded_by, recorded_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
        .bind(id).bind(case_id).bind(d.person_id).bind(&d.kind).bind(&d.number).bind(&d.issuing_country)
        .bind(d.expires_on).bind(d.etd_requested_on).bind(d.etd_issued_on).bind(&d.consulate).bind(actor.user_id).bind(crate::now())
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(&mut tx, Some(actor), Entry {
        action: "create", entity: "travel_document", entity_id: Some(id.to_string()), case_id: Some(case_id), before: None,
        after: Some(json!({"person_id": d.person_id, "kind": d.kind, "issuing_country": d.issuing_country, "expires_on": d.expires_on})),
    }).await?;
    tx.commit().await?;
    documents(store, actor, case_id).await
}

/// Changes a travel document through its life (the consulate issued the
/// emergency document, a passport was renewed): the whole document as
/// edited, checked as when it was added. Not found when it is not the
/// case's. The change clears the tasks that waited on it.
pub async fn update_document(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    document_id: Uuid,
    i: &DocumentInput,
) -> Result<Vec<Document>> {
    actor.require(Resource::Case, Action::Update)?;
    let before = documents(store, actor, case_id)
        .await?
        .into_iter()
        .find(|d| d.id == document_id)
        .ok_or(Error::NotFound)?;
    let on_case = on_case(store, case_id, i.person_id).await?;
    let d = readiness::decide_document(i, on_case)?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE travel_documents SET person_id = $1, kind = $2, number = $3, issuing_country = $4, expires_on = $5, \
         etd_requested_on = $6, etd_issued_on = $7, consulate = $8 WHERE id = $9 AND case_id = $10")
        .bind(d.person_id).bind(&d.kind).bind(&d.number).bind(&d.issuing_country).bind(d.expires_on)
        .bind(d.etd_requested_on).bind(d.etd_issued_on).bind(&d.consulate).bind(document_id).bind(case_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, c => sqlx::query("UPDATE cases SET version = version + 1, updated_at = $1 WHERE id = $2")
        .bind(crate::now()).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(&mut tx, Some(actor), Entry {
        action: "update", entity: "travel_document", entity_id: Some(document_id.to_string()), case_id: Some(case_id),
        before: Some(json!({"kind": before.kind, "expires_on": before.expires_on, "etd_requested_on": before.etd_requested_on, "etd_issued_on": before.etd_issued_on})),
        after: Some(json!({"kind": d.kind, "expires_on": d.expires_on, "etd_requested_on": d.etd_requested_on, "etd_issued_on": d.etd_issued_on})),
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
