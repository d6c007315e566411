//! Consent per person and purpose: given by each adult traveller for
//! themselves (a parent or guardian for a child), withdrawn (taking effect
//! at once), and checked wherever data is shared. The case's consent, where
//! a rule asks for one, is its principal's.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::cases::scope::{self, CaseRef};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::{Action, Invalid, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// The purposes a person can consent to.
pub const PURPOSES: [&str; 3] = homeward_domain::consent::PURPOSES;

/// One consent of one person, possibly withdrawn.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Consent {
    pub id: Uuid,
    pub purpose: String,
    /// The person it is about.
    pub person_id: Option<Uuid>,
    pub person_name: Option<String>,
    /// The parent or guardian who gave it for a child.
    pub given_by_person_id: Option<Uuid>,
    pub given_by_name: Option<String>,
    pub given_at: DateTime<Utc>,
    pub recorded_by_name: Option<String>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawal_reason: Option<String>,
}

/// The columns of a [`Consent`] from `consents k` with [`JOINS`].
pub(crate) const COLUMNS: &str = "k.id, k.purpose, k.person_id, sp.display_name AS person_name, k.given_by_person_id, \
     gp.display_name AS given_by_name, k.given_at, u.name AS recorded_by_name, k.withdrawn_at, k.withdrawal_reason";
/// The names a [`Consent`] shows: the person, who gave it for them, who recorded it.
pub(crate) const JOINS: &str = "LEFT JOIN users u ON u.id = k.recorded_by \
     LEFT JOIN persons sp ON sp.id = k.person_id LEFT JOIN persons gp ON gp.id = k.given_by_person_id";

/// A consent to record: for a member of the case (the principal when
/// `person_id` is not given), by them or, for a child, by the adult member
/// named in `given_by_person_id`.
#[derive(Debug, Clone, Default)]
pub struct NewConsent {
    pub purpose: String,
    pub person_id: Option<Uuid>,
    pub given_by_person_id: Option<Uuid>,
}

/// Whether the principal's consent for `purpose` is in force on the case.
/// For use by other use cases after their own scope check.
pub async fn in_force(store: &Store, case_id: Uuid, purpose: &str) -> Result<bool> {
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM consents k JOIN cases c ON c.id = k.case_id AND c.principal_person_id = k.person_id \
         WHERE k.case_id = $1 AND k.purpose = $2 AND k.withdrawn_at IS NULL")
        .bind(case_id).bind(purpose).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Whether `person_id`'s own consent for `purpose` is in force on the case.
pub async fn in_force_for(
    store: &Store,
    case_id: Uuid,
    person_id: Uuid,
    purpose: &str,
) -> Result<bool> {
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM consents WHERE case_id = $1 AND person_id = $2 AND purpose = $3 AND withdrawn_at IS NULL")
        .bind(case_id).bind(person_id).bind(purpose).fetch_one(p).await)?;
    Ok(n > 0)
}

/// Whether the actor may read the case's restricted `resource`, by the
/// domain's consent rule (after the caller's own scope check). Reads the
/// consents at each call, so a withdrawal takes effect at once.
pub async fn may_read_restricted(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    resource: Resource,
) -> Result<bool> {
    use homeward_domain::consent::{read_rule, ReadRule};
    Ok(match read_rule(actor.role, resource) {
        ReadRule::Never => false,
        ReadRule::Always => true,
        ReadRule::WhileConsented(purpose) => in_force(store, case_id, purpose).await?,
    })
}

/// The consents of a case in scope.
pub async fn list(
    store: &Store,
    actor: &Actor,
    case: impl Into<CaseRef<'_>>,
) -> Result<Vec<Consent>> {
    let case: CaseRef<'_> = case.into();
    actor.require(Resource::Consent, Action::Read)?;
    scope::section(
        store,
        actor,
        case,
        "k.id",
        COLUMNS,
        &format!("LEFT JOIN consents k ON k.case_id = c.id {JOINS}"),
        "ORDER BY k.given_at, k.id",
    )
    .await
}

/// Records the principal's own consent for a purpose (no effect if already
/// in force).
pub async fn give(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    purpose: &str,
) -> Result<Vec<Consent>> {
    let c = NewConsent {
        purpose: purpose.to_string(),
        ..NewConsent::default()
    };
    give_for(store, actor, case_id, &c).await
}

/// Records a member's consent for a purpose (no effect if already in
/// force): `person_id` must be on the case, an adult gives their own, a
/// child's is given by an adult member (`consent::check_giver`).
pub async fn give_for(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    new: &NewConsent,
) -> Result<Vec<Consent>> {
    actor.require(Resource::Consent, Action::Create)?;
    let case = scope::summary(store, actor, case_id.into()).await?;
    let purpose = new.purpose.as_str();
    if !PURPOSES.contains(&purpose) {
        return Err(Invalid::one("purpose", "invalid-choice").into());
    }
    let members: Vec<(Uuid, Option<chrono::NaiveDate>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT p.id, p.date_of_birth FROM case_members m JOIN persons p ON p.id = m.person_id WHERE m.case_id = $1")
        .bind(case_id).fetch_all(p).await)?;
    let person_id = new.person_id.unwrap_or(case.principal_person_id);
    let Some(subject) = members.iter().find(|(id, _)| *id == person_id) else {
        return Err(Invalid::one("person_id", "not-on-case").into());
    };
    let today = crate::now().with_timezone(&actor.local_zone()).date_naive();
    let guardian = match new.given_by_person_id {
        None => None,
        Some(g) => match members.iter().find(|(id, _)| *id == g) {
            Some(m) => Some(m),
            None => return Err(Invalid::one("given_by_person_id", "not-on-case").into()),
        },
    };
    homeward_domain::consent::check_giver(homeward_domain::consent::Giver {
        subject_is_child: homeward_domain::consent::is_child(subject.1, today),
        guardian_is_child: guardian.map(|g| homeward_domain::consent::is_child(g.1, today)),
        guardian_is_subject: guardian.is_some_and(|g| g.0 == person_id),
    })?;
    if !in_force_for(store, case_id, person_id, purpose).await? {
        let id = Uuid::new_v4();
        let mut tx = store.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("INSERT INTO consents (id, case_id, person_id, given_by_person_id, purpose, given_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id).bind(case_id).bind(person_id).bind(new.given_by_person_id).bind(purpose).bind(crate::now()).bind(actor.user_id).execute(c).await.map(|r| r.rows_affected()))?;
        audit::record(
            &mut tx,
            Some(actor),
            Entry {
                action: "give",
                entity: "consent",
                entity_id: Some(id.to_string()),
                case_id: Some(case_id),
                before: None,
                after: Some(json!({
                    "purpose": purpose,
                    "person_id": person_id,
                    "given_by_person_id": new.given_by_person_id,
                })),
            },
        )
        .await?;
        tx.commit().await?;
    }
    list(store, actor, case_id).await
}

/// Withdraws a consent, with a reason.
pub async fn withdraw(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    consent_id: Uuid,
    reason: &str,
) -> Result<Vec<Consent>> {
    actor.require(Resource::Consent, Action::Update)?;
    scope::summary(store, actor, case_id.into()).await?;
    let reason = reason.trim();
    let mut inv = Invalid::default();
    homeward_domain::validation::text(&mut inv, "reason", Some(reason), true, 2000);
    inv.into_result()?;
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE consents SET withdrawn_at = $1, withdrawn_by = $2, withdrawal_reason = $3 WHERE id = $4 AND case_id = $5 AND withdrawn_at IS NULL")
        .bind(crate::now()).bind(actor.user_id).bind(reason).bind(consent_id).bind(case_id).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "withdraw",
            entity: "consent",
            entity_id: Some(consent_id.to_string()),
            case_id: Some(case_id),
            before: None,
            after: Some(json!({"reason": reason})),
        },
    )
    .await?;
    tx.commit().await?;
    list(store, actor, case_id).await
}

/// What a consent's receipt shows: the consent, its case and programme,
/// and the languages of the person it is about (their preference first).
#[derive(Debug, Clone)]
pub struct Receipt {
    pub consent: Consent,
    pub case_number: String,
    pub programme: String,
    /// The referring authority's name as the programme writes it.
    pub authority: String,
    pub languages: Vec<String>,
}

/// The receipt of consent `consent_id` of a case in the actor's scope
/// (the roles that read consents; not found otherwise).
pub async fn receipt(
    store: &Store,
    actor: &Actor,
    case_id: Uuid,
    consent_id: Uuid,
) -> Result<Receipt> {
    let case = scope::summary(store, actor, case_id.into()).await?;
    let consent = list(store, actor, case_id)
        .await?
        .into_iter()
        .find(|k| k.id == consent_id)
        .ok_or(Error::NotFound)?;
    let programme = crate::programmes::by_code(store, &case.programme_code).await?;
    let authority = programme.referring_authority.written();
    let person = consent.person_id.unwrap_or(case.principal_person_id);
    let langs: Option<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT preferred_languages FROM persons WHERE id = $1")
        .bind(person).fetch_optional(p).await)?;
    let languages = langs
        .and_then(|l| serde_json::from_str::<Vec<String>>(&l).ok())
        .unwrap_or_default();
    Ok(Receipt {
        consent,
        case_number: case.case_number,
        programme: programme.name,
        authority,
        languages,
    })
}
