//! Persons: create, read, update within the actor's record scope.

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::sql::{Param, Sql};
use crate::{bind_params, on_db, on_tx, Error, Result, Store, Tx};
use chrono::{DateTime, NaiveDate, Utc};
use homeward_domain::person::{display_name, PersonData, PersonInput};
use homeward_domain::{Action, Resource};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A person row as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PersonRow {
    pub id: Uuid,
    pub given_names: Option<String>,
    pub family_name: Option<String>,
    pub original_script_name: Option<String>,
    pub display_name: String,
    pub search_text: String,
    pub aliases: String,
    pub sex: String,
    pub date_of_birth: Option<NaiveDate>,
    pub date_of_birth_approximate: bool,
    pub nationalities: String,
    pub preferred_languages: String,
    pub interpreter_needed: bool,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub uci: Option<String>,
    pub cbsa_client_id: Option<String>,
    pub passport_number: Option<String>,
    pub created_by: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A person as a given actor may see them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Person {
    pub id: Uuid,
    pub display_name: String,
    pub given_names: Option<String>,
    pub family_name: Option<String>,
    pub original_script_name: Option<String>,
    pub aliases: Vec<String>,
    pub sex: String,
    pub date_of_birth: Option<NaiveDate>,
    pub date_of_birth_approximate: bool,
    pub nationalities: Vec<String>,
    pub preferred_languages: Vec<String>,
    pub interpreter_needed: bool,
    /// Contact details and identifiers are omitted for roles with no need to know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Contact details and identifiers.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Contact {
    pub phone: Option<String>,
    pub email: Option<String>,
    pub address: Option<String>,
    pub uci: Option<String>,
    pub cbsa_client_id: Option<String>,
    pub passport_number: Option<String>,
}

fn list_of(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

impl PersonRow {
    /// The view of this row for `actor`.
    pub fn view(self, actor: &Actor) -> Person {
        let contact = actor.role.sees_contact_details().then_some(Contact {
            phone: self.phone,
            email: self.email,
            address: self.address,
            uci: self.uci,
            cbsa_client_id: self.cbsa_client_id,
            passport_number: self.passport_number,
        });
        Person {
            id: self.id,
            display_name: self.display_name,
            given_names: self.given_names,
            family_name: self.family_name,
            original_script_name: self.original_script_name,
            aliases: list_of(&self.aliases),
            sex: self.sex,
            date_of_birth: self.date_of_birth,
            date_of_birth_approximate: self.date_of_birth_approximate,
            nationalities: list_of(&self.nationalities),
            preferred_languages: list_of(&self.preferred_languages),
            interpreter_needed: self.interpreter_needed,
            contact,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }

    /// The raw input that would recreate this row (to prefill an edit form).
    pub fn to_input(&self) -> PersonInput {
        PersonInput {
            given_names: self.given_names.clone(),
            family_name: self.family_name.clone(),
            original_script_name: self.original_script_name.clone(),
            aliases: list_of(&self.aliases),
            sex: Some(self.sex.clone()),
            date_of_birth: self.date_of_birth.map(|d| d.to_string()),
            date_of_birth_approximate: self.date_of_birth_approximate,
            nationalities: list_of(&self.nationalities),
            preferred_languages: list_of(&self.preferred_languages),
            interpreter_needed: self.interpreter_needed,
            phone: self.phone.clone(),
            email: self.email.clone(),
            address: self.address.clone(),
            uci: self.uci.clone(),
            cbsa_client_id: self.cbsa_client_id.clone(),
            passport_number: self.passport_number.clone(),
        }
    }
}

/// Lower-cased text that the name and number search looks in.
pub fn search_text(d: &PersonData) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for s in [
        &d.given_names,
        &d.family_name,
        &d.original_script_name,
        &d.uci,
        &d.cbsa_client_id,
        &d.passport_number,
        &d.phone,
    ]
    .into_iter()
    .flatten()
    {
        parts.push(s);
    }
    for a in &d.aliases {
        parts.push(a);
    }
    parts.join(" | ").to_lowercase()
}

/// What the audit trail keeps of a person's record: the names of the fields
/// that hold a value, never the values, so that deleting the person at the
/// end of retention leaves nothing of them in the (unchangeable) trail
/// (docs/adr/0026).
fn audit_json(d: &PersonData) -> serde_json::Value {
    let fields: Vec<String> = match serde_json::to_value(d) {
        Ok(serde_json::Value::Object(m)) => m
            .into_iter()
            .filter(|(_, v)| {
                !(v.is_null() || v == &json!([]) || v == &json!(false) || v == &json!(""))
            })
            .map(|(k, _)| k)
            .collect(),
        _ => Vec::new(),
    };
    json!({ "fields": fields })
}

/// The names of the fields an update changed (values are not kept; see [`audit_json`]).
fn audit_changed(before: Option<&PersonData>, after: &PersonData) -> serde_json::Value {
    let a = serde_json::to_value(after).unwrap_or_else(|_| json!({}));
    let b = before
        .and_then(|b| serde_json::to_value(b).ok())
        .unwrap_or_else(|| json!({}));
    let changed: Vec<String> = match a {
        serde_json::Value::Object(m) => m
            .into_iter()
            .filter(|(k, v)| b.get(k) != Some(v))
            .map(|(k, _)| k)
            .collect(),
        _ => Vec::new(),
    };
    json!({ "changed": changed })
}

/// Inserts a validated person inside a transaction and audits it.
pub async fn insert(tx: &mut Tx, actor: &Actor, d: &PersonData) -> Result<Uuid> {
    let id = Uuid::new_v4();
    let now = crate::now();
    let name = display_name(
        d.given_names.as_deref(),
        d.family_name.as_deref(),
        d.original_script_name.as_deref(),
    );
    on_tx!(tx, c => sqlx::query(
        "INSERT INTO persons (id, given_names, family_name, original_script_name, display_name, search_text, aliases, sex, \
         date_of_birth, date_of_birth_approximate, nationalities, preferred_languages, interpreter_needed, phone, email, address, \
         uci, cbsa_client_id, passport_number, created_by, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, 1, $21, $21)")
        .bind(id).bind(&d.given_names).bind(&d.family_name).bind(&d.original_script_name).bind(&name)
        .bind(search_text(d)).bind(json!(d.aliases).to_string()).bind(&d.sex).bind(d.date_of_birth)
        .bind(d.date_of_birth_approximate).bind(json!(d.nationalities).to_string())
        .bind(json!(d.preferred_languages).to_string()).bind(d.interpreter_needed).bind(&d.phone)
        .bind(&d.email).bind(&d.address).bind(&d.uci).bind(&d.cbsa_client_id).bind(&d.passport_number)
        .bind(actor.user_id).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))?;
    crate::duplicates::index(tx, id, d).await?;
    crate::search::index(tx, id, d).await?;
    audit::record(
        tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "person",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(audit_json(d)),
        },
    )
    .await?;
    Ok(id)
}

/// Creates a person on no case yet.
pub async fn create(store: &Store, actor: &Actor, input: &PersonInput) -> Result<Person> {
    actor.require(Resource::Person, Action::Create)?;
    let d = input.validate(chrono::Utc::now().date_naive())?;
    let mut tx = store.begin().await?;
    let id = insert(&mut tx, actor, &d).await?;
    tx.commit().await?;
    // Stored duplicate candidates at once (a few ms); on failure the
    // pending mark written by `insert` retries in the background.
    let _ = crate::duplicates::refresh(store, id).await;
    get(store, actor, id).await
}

/// Fetches a person's row if it is in the actor's scope.
pub async fn get_row(store: &Store, actor: &Actor, id: Uuid) -> Result<PersonRow> {
    actor.require(Resource::Person, Action::Read)?;
    let mut q = Sql::new("SELECT p.* FROM persons p WHERE p.id = ");
    q.bind(Param::Uuid(id));
    actor.push_person_scope(&mut q);
    on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, PersonRow>(&q.text), q.params).fetch_optional(p).await)?
        .ok_or(Error::NotFound)
}

/// Fetches a person if it is in the actor's scope (404 otherwise).
pub async fn get(store: &Store, actor: &Actor, id: Uuid) -> Result<Person> {
    Ok(get_row(store, actor, id).await?.view(actor))
}

/// Updates a person, if `version` is still current.
pub async fn update(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    version: i64,
    input: &PersonInput,
) -> Result<Person> {
    actor.require(Resource::Person, Action::Update)?;
    let before = get_row(store, actor, id).await?;
    let d = input.validate(chrono::Utc::now().date_naive())?;
    let name = display_name(
        d.given_names.as_deref(),
        d.family_name.as_deref(),
        d.original_script_name.as_deref(),
    );
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE persons SET given_names = $1, family_name = $2, original_script_name = $3, display_name = $4, search_text = $5, \
         aliases = $6, sex = $7, date_of_birth = $8, date_of_birth_approximate = $9, nationalities = $10, preferred_languages = $11, \
         interpreter_needed = $12, phone = $13, email = $14, address = $15, uci = $16, cbsa_client_id = $17, passport_number = $18, \
         version = version + 1, updated_at = $19 WHERE id = $20 AND version = $21")
        .bind(&d.given_names).bind(&d.family_name).bind(&d.original_script_name).bind(&name).bind(search_text(&d))
        .bind(json!(d.aliases).to_string()).bind(&d.sex).bind(d.date_of_birth).bind(d.date_of_birth_approximate)
        .bind(json!(d.nationalities).to_string()).bind(json!(d.preferred_languages).to_string())
        .bind(d.interpreter_needed).bind(&d.phone).bind(&d.email).bind(&d.address).bind(&d.uci)
        .bind(&d.cbsa_client_id).bind(&d.passport_number).bind(crate::now()).bind(id).bind(version)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    crate::duplicates::index(&mut tx, id, &d).await?;
    crate::search::index(&mut tx, id, &d).await?;
    let before_data = before
        .to_input()
        .validate(chrono::Utc::now().date_naive())
        .ok();
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "person",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(audit_changed(before_data.as_ref(), &d)),
        },
    )
    .await?;
    tx.commit().await?;
    let _ = crate::duplicates::refresh(store, id).await;
    get(store, actor, id).await
}

/// At most this many people are counted for a list of persons: past it the
/// total is a lower bound (counting every one of a million people in scope
/// took 14 s).
pub const COUNT_CAP: i64 = 10_000;

/// A page of persons and how many there are.
#[derive(Debug, Clone)]
pub struct PersonList {
    pub items: Vec<Person>,
    /// Every person that matches, or the cap ([`COUNT_CAP`] unless a test
    /// lowered it) when `total_is_lower_bound`.
    pub total: i64,
    pub total_is_lower_bound: bool,
}

/// Lists persons in scope that `q` finds as the search box and the case
/// list do (every word begins one of their names in any script, an
/// identifier or their phone number; docs/adr/0031), by name. A query that
/// is too long to be a search finds nothing.
pub async fn search(
    store: &Store,
    actor: &Actor,
    q: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<PersonList> {
    actor.require(Resource::Person, Action::Read)?;
    // People merged into another record are hidden (docs/adr/0032).
    let mut w = Sql::new(" FROM persons p WHERE p.merged_into IS NULL");
    actor.push_person_scope(&mut w);
    // The terms' indexes, not `LIKE '%q%'` over every person (seconds at a
    // million people). A word common to more than `common_word.people`
    // people is asked of each person in name order, so that the page and the
    // capped count stop early (ADR 0035, as the case list does); other
    // queries gather the people they find.
    let q = q.map(str::trim).filter(|s| !s.is_empty());
    let mut gathered = false;
    if let Some(q) = q {
        match homeward_domain::search::Query::parse(q) {
            Ok(query) if !query.is_empty() => {
                if crate::search::is_common(store, &query).await? {
                    crate::search::push_person_match_each(&mut w, &query, "p.id");
                } else {
                    gathered = true;
                    w.push(" AND p.id IN (");
                    crate::search::push_people_matching(&mut w, &query, "SELECT");
                    w.push(")");
                }
            }
            _ => {
                w.push(" AND 1 = 0");
            }
        }
    }
    let cap = store.person_count_cap;
    let mut c = w.clone();
    c.push(" LIMIT ").bind(Param::I64(cap + 1));
    let count_sql = format!("SELECT COUNT(*) FROM (SELECT 1{}) x", c.text);
    let counted: i64 = on_db!(&store.db, p => bind_params!(sqlx::query_scalar(&count_sql), c.params).fetch_one(p).await)?;
    // Everyone in scope, a common word, or more than the cap: in the order
    // of the `(display_name, id)` index (migration 0048), so that a page is
    // read, not every match sorted (33 s for a two-letter query at a
    // million). Fewer gathered: the people found, sorted; walking the index
    // in name order for a few of them read 900,000 people (15 s at a
    // million), and `|| ''` keeps the planners from choosing that walk.
    let order = if gathered && counted <= cap {
        " ORDER BY p.display_name || '', p.id LIMIT "
    } else {
        " ORDER BY p.display_name, p.id LIMIT "
    };
    let mut s = w.clone();
    s.push(order)
        .bind(Param::I64(limit.clamp(1, 200)))
        .push(" OFFSET ")
        .bind(Param::I64(offset.max(0)));
    let sql = format!("SELECT p.*{}", s.text);
    let rows = on_db!(&store.db, p => bind_params!(sqlx::query_as::<_, PersonRow>(&sql), s.params).fetch_all(p).await)?;
    Ok(PersonList {
        items: rows.into_iter().map(|r| r.view(actor)).collect(),
        total: counted.min(cap),
        total_is_lower_bound: counted > cap,
    })
}

/// The case a person belongs to (the first, if several), for navigation.
/// Callers have already checked that the person is in scope.
pub async fn case_of(store: &Store, id: Uuid) -> Result<Option<Uuid>> {
    Ok(
        on_db!(&store.db, p => sqlx::query_scalar("SELECT case_id FROM case_members WHERE person_id = $1 LIMIT 1")
        .bind(id).fetch_optional(p).await)?,
    )
}
