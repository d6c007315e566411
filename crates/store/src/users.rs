//! Staff users: creation, sign-in checks, administration.

use crate::actor::Actor;
use crate::audit::{self, map_unique, Entry};
use crate::{on_db, on_tx, passwords, Error, Result, Store};
use chrono::{DateTime, Utc};
use homeward_domain::{validation, Action, Invalid, Resource, Role};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

/// A user as stored (without the password hash).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub team: Option<String>,
    pub country: Option<String>,
    pub language: String,
    pub active: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The codes of the programmes the user belongs to (admins and
    /// auditors work across all of them whatever this holds).
    #[sqlx(skip)]
    pub programmes: Vec<String>,
    /// The same programmes' ids, for the record scope.
    #[sqlx(skip)]
    #[serde(skip)]
    pub programme_ids: Vec<Uuid>,
    /// The office zone of the user's first programme (the oldest), where
    /// their days are counted; `None` for a user of no programme.
    #[sqlx(skip)]
    #[serde(skip)]
    pub time_zone: Option<String>,
    /// The cases a supervisor opened by breaking the glass, while the
    /// grants last (read with the user for a request).
    #[sqlx(skip)]
    #[serde(skip)]
    pub break_glass: Vec<Uuid>,
}

const COLS: &str =
    "id, email, name, role, team, country, language, active, version, created_at, updated_at";

/// What an admin types to create a user.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub email: String,
    pub name: String,
    pub role: String,
    pub team: Option<String>,
    pub country: Option<String>,
    pub language: Option<String>,
    pub password: String,
    /// Codes of the programmes the user belongs to; none means the
    /// office's first programme (the one created first).
    pub programmes: Vec<String>,
}

impl User {
    /// The user's role (unknown stored roles act as no role at all: analyst).
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Analyst)
    }

    /// Builds the actor for requests made by this user.
    pub fn actor(&self, request_id: Option<String>) -> Actor {
        Actor {
            user_id: self.id,
            email: self.email.clone(),
            name: self.name.clone(),
            role: self.role(),
            team: self.team.clone(),
            country: self.country.clone(),
            programmes: match self.role().across_programmes() {
                true => None,
                false => Some(self.programme_ids.clone()),
            },
            time_zone: self
                .time_zone
                .as_deref()
                .and_then(|z| z.parse().ok())
                .unwrap_or(homeward_domain::programme::DEFAULT_TIME_ZONE),
            break_glass: self.break_glass.clone(),
            request_id,
        }
    }
}

fn validate(n: &NewUser) -> Result<(String, Role, Option<String>), Invalid> {
    let mut inv = Invalid::default();
    let email = n.email.trim().to_lowercase();
    if !validation::is_email(&email) {
        inv.add("email", "invalid-email");
    }
    validation::text(&mut inv, "name", Some(&n.name), true, 200);
    let role = Role::parse(n.role.trim());
    if role.is_none() {
        inv.add("role", "invalid-choice");
    }
    let country = validation::clean(n.country.as_deref()).map(|c| c.to_ascii_uppercase());
    if let Some(c) = &country {
        if !validation::is_country_code(c) {
            inv.add("country", "invalid-country");
        }
    }
    if role.is_some_and(|r| r.needs_country()) && country.is_none() {
        inv.add("country", "required");
    }
    validation::text(&mut inv, "team", n.team.as_deref(), false, 100);
    if let Err(code) = passwords::check_rules(&n.password, &email) {
        inv.add("password", code);
    }
    inv.into_result()?;
    Ok((email, role.unwrap_or(Role::Analyst), country))
}

/// Creates a user. `actor` is `None` for the command line and demo loader.
pub async fn create(store: &Store, actor: Option<&Actor>, n: &NewUser) -> Result<User> {
    if let Some(a) = actor {
        a.require(Resource::User, Action::Create)?;
    }
    let (email, role, country) = validate(n)?;
    let programmes = named_programmes(store, &n.programmes).await?;
    let hash = passwords::hash(store.hash_cost, &n.password);
    let now = crate::now();
    let id = Uuid::new_v4();
    let language = match n.language.as_deref() {
        Some("fr") => "fr",
        _ => "en",
    };
    let team = validation::clean(n.team.as_deref());
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO users (id, email, name, role, team, country, language, password_hash, active, version, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, TRUE, 1, $9, $9)")
        .bind(id).bind(&email).bind(n.name.trim()).bind(role.as_str()).bind(&team)
        .bind(&country).bind(language).bind(&hash).bind(now)
        .execute(c).await.map(|r| r.rows_affected()))
        .map_err(|e| map_unique(e, "email"))?;
    let codes = insert_programmes(&mut tx, id, &programmes).await?;
    audit::record(
        &mut tx,
        actor,
        Entry {
            action: "create",
            entity: "user",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({"email": email, "name": n.name.trim(), "role": role.as_str(), "team": team, "country": country, "programmes": codes})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// Fetches a user by id.
pub async fn get(store: &Store, id: Uuid) -> Result<User> {
    let sql = format!("SELECT {COLS} FROM users WHERE id = $1");
    let mut u =
        on_db!(&store.db, p => sqlx::query_as::<_, User>(&sql).bind(id).fetch_optional(p).await)?
            .ok_or(Error::NotFound)?;
    with_programmes(store, std::slice::from_mut(&mut u), Some(id)).await?;
    Ok(u)
}

/// Fills in the programmes of `users`: of user `one` only, or of all.
async fn with_programmes(store: &Store, users: &mut [User], one: Option<Uuid>) -> Result<()> {
    let base = "SELECT up.user_id, g.id, g.code, g.time_zone FROM user_programmes up \
        JOIN programmes g ON g.id = up.programme_id";
    let order = "ORDER BY g.created_at, g.code";
    let rows: Vec<(Uuid, Uuid, String, String)> = match one {
        Some(id) => {
            on_db!(&store.db, p => sqlx::query_as(&format!("{base} WHERE up.user_id = $1 {order}"))
            .bind(id).fetch_all(p).await)?
        }
        None => on_db!(&store.db, p => sqlx::query_as(&format!("{base} {order}"))
            .fetch_all(p).await)?,
    };
    if let Some(id) = one {
        for u in users.iter_mut().filter(|u| u.id == id) {
            u.break_glass = crate::break_glass::granted(store, u.id, u.role()).await?;
        }
    }
    for u in users.iter_mut() {
        u.programmes.clear();
        u.programme_ids.clear();
        u.time_zone = None;
        for (_, id, code, zone) in rows.iter().filter(|r| r.0 == u.id) {
            u.programmes.push(code.clone());
            u.programme_ids.push(*id);
            u.time_zone.get_or_insert_with(|| zone.clone());
        }
    }
    Ok(())
}

/// The programmes named by `codes`, as (id, code) (each unknown code is a
/// problem on `programmes`); none named means the first programme created.
async fn named_programmes(store: &Store, codes: &[String]) -> Result<Vec<(Uuid, String)>> {
    if codes.is_empty() {
        let first: Option<(Uuid, String)> = on_db!(&store.db, p => sqlx::query_as(
            "SELECT id, code FROM programmes ORDER BY created_at, code LIMIT 1").fetch_optional(p).await)?;
        return Ok(first.into_iter().collect());
    }
    let mut out: Vec<(Uuid, String)> = Vec::new();
    let mut inv = Invalid::default();
    for code in codes {
        match crate::programmes::by_code(store, code.trim()).await {
            Ok(p) if !out.iter().any(|(id, _)| *id == p.id) => out.push((p.id, p.code)),
            Ok(_) => {}
            Err(Error::NotFound) => inv.add("programmes", "unknown-programme"),
            Err(e) => return Err(e),
        }
    }
    inv.into_result()?;
    Ok(out)
}

/// Makes `programmes` those of user `user`; their codes, sorted, for the
/// audit trail.
async fn insert_programmes(
    tx: &mut crate::Tx,
    user: Uuid,
    programmes: &[(Uuid, String)],
) -> Result<Vec<String>> {
    on_tx!(tx, c => sqlx::query("DELETE FROM user_programmes WHERE user_id = $1")
        .bind(user).execute(c).await.map(|r| r.rows_affected()))?;
    for (id, _) in programmes {
        on_tx!(tx, c => sqlx::query("INSERT INTO user_programmes (user_id, programme_id) VALUES ($1, $2)")
            .bind(user).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    }
    let mut codes: Vec<String> = programmes.iter().map(|(_, code)| code.clone()).collect();
    codes.sort();
    Ok(codes)
}

/// Changes the programmes user `id` belongs to (admins only). At least one
/// is needed: a user of no programme would see nothing.
pub async fn set_programmes(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    codes: &[String],
    version: i64,
) -> Result<User> {
    actor.require(Resource::User, Action::Manage)?;
    if codes.iter().all(|c| c.trim().is_empty()) {
        let mut inv = Invalid::default();
        inv.add("programmes", "required");
        return Err(inv.into());
    }
    let programmes = named_programmes(store, codes).await?;
    let before = get(store, id).await?;
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE users SET version = version + 1, updated_at = $1 WHERE id = $2 AND version = $3")
        .bind(crate::now()).bind(id).bind(version).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    let codes = insert_programmes(&mut tx, id, &programmes).await?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "change_programmes",
            entity: "user",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: Some(json!({"programmes": before.programmes})),
            after: Some(json!({"programmes": codes})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// Fetches a user by email (any case).
pub async fn by_email(store: &Store, email: &str) -> Result<Option<User>> {
    let sql = format!("SELECT {COLS} FROM users WHERE email = $1");
    let u = on_db!(&store.db, p => sqlx::query_as::<_, User>(&sql).bind(email.trim().to_lowercase()).fetch_optional(p).await)?;
    match u {
        Some(mut u) => {
            let id = u.id;
            with_programmes(store, std::slice::from_mut(&mut u), Some(id)).await?;
            Ok(Some(u))
        }
        None => Ok(None),
    }
}

/// Checks an email and password. Unknown emails cost the same time as known ones.
pub async fn authenticate(store: &Store, email: &str, password: &str) -> Result<Option<User>> {
    let email = email.trim().to_lowercase();
    let row: Option<(Uuid, String, bool)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, password_hash, active FROM users WHERE email = $1")
        .bind(&email).fetch_optional(p).await)?;
    let stored = row.as_ref().map(|(_, hash, _)| hash.as_str());
    let ok = passwords::check(store.hash_cost, password, stored);
    match row {
        Some((id, _, active)) if ok && active => Ok(Some(get(store, id).await?)),
        _ => Ok(None),
    }
}

/// Lists every user (admins only).
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<User>> {
    actor.require(Resource::User, Action::Read)?;
    let sql = format!("SELECT {COLS} FROM users ORDER BY name, email");
    let mut users = on_db!(&store.db, p => sqlx::query_as::<_, User>(&sql).fetch_all(p).await)?;
    with_programmes(store, &mut users, None).await?;
    Ok(users)
}

/// [`list`], narrowed to the users whose name or email holds `q` (accents
/// and case aside) and who have `role`, when given.
pub async fn search(
    store: &Store,
    actor: &Actor,
    q: Option<&str>,
    role: Option<&str>,
) -> Result<Vec<User>> {
    let fold = homeward_domain::airports::fold;
    let q = q.map(fold).filter(|q| !q.trim().is_empty());
    let mut users = list(store, actor).await?;
    users.retain(|u| {
        role.is_none_or(|r| r.is_empty() || u.role == r)
            && q.as_deref().is_none_or(|q| {
                fold(&u.name).contains(q.trim()) || fold(&u.email).contains(q.trim())
            })
    });
    Ok(users)
}

/// Lists active counsellors who work in a programme of `actor`'s, for
/// assignment and the dashboard's filter.
pub async fn counsellors(store: &Store, actor: &Actor) -> Result<Vec<User>> {
    let mut q = crate::sql::Sql::new(&format!(
        "SELECT {COLS} FROM users WHERE role = 'counsellor' AND active = TRUE \
         AND EXISTS (SELECT 1 FROM user_programmes up WHERE up.user_id = users.id"
    ));
    actor.push_programme_scope(&mut q, "up.programme_id");
    q.push(") ORDER BY name");
    Ok(
        on_db!(&store.db, p => crate::bind_params!(sqlx::query_as::<_, User>(&q.text), q.params).fetch_all(p).await)?,
    )
}

/// Activates or deactivates a user; deactivation ends their sessions and tokens.
pub async fn set_active(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    active: bool,
    version: i64,
) -> Result<User> {
    actor.require(Resource::User, Action::Manage)?;
    if id == actor.user_id && !active {
        let mut inv = Invalid::default();
        inv.add("active", "cannot-deactivate-self");
        return Err(inv.into());
    }
    let before = get(store, id).await?;
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE users SET active = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
        .bind(active).bind(crate::now()).bind(id).bind(version).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    if !active {
        on_tx!(&mut tx, c => sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(crate::now()).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: if active { "activate" } else { "deactivate" },
            entity: "user",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: Some(json!({"active": before.active})),
            after: Some(json!({"active": active})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// Changes a user's role (admins only; not their own, so an admin cannot
/// lock themselves out). A role that needs a country keeps or needs one.
pub async fn set_role(
    store: &Store,
    actor: &Actor,
    id: Uuid,
    role: &str,
    version: i64,
) -> Result<User> {
    actor.require(Resource::User, Action::Manage)?;
    let mut inv = Invalid::default();
    let Some(new_role) = Role::parse(role.trim()) else {
        inv.add("role", "invalid-choice");
        return Err(inv.into());
    };
    if id == actor.user_id {
        inv.add("role", "cannot-change-own-role");
        return Err(inv.into());
    }
    let before = get(store, id).await?;
    if new_role.needs_country() && before.country.is_none() {
        inv.add("country", "required");
        return Err(inv.into());
    }
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE users SET role = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND version = $4")
        .bind(new_role.as_str()).bind(crate::now()).bind(id).bind(version).execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "change_role",
            entity: "user",
            entity_id: Some(id.to_string()),
            case_id: None,
            before: Some(json!({"role": before.role})),
            after: Some(json!({"role": new_role.as_str()})),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, id).await
}

/// Stores the user's preferred interface language.
pub async fn set_language(store: &Store, id: Uuid, language: &str) -> Result<()> {
    on_db!(&store.db, p => sqlx::query("UPDATE users SET language = $1 WHERE id = $2").bind(language).bind(id).execute(p).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Sets the actor's own password, once the caller has checked the current
/// one: the new one must follow the password rules and differ from the
/// email; every other session of the user ends (a stolen session does not
/// outlive the change), the one with `keep_token_hash` stays. Audited
/// without any password. Field errors name `new_password`.
pub async fn change_own_password(
    store: &Store,
    actor: &Actor,
    new_password: &str,
    confirm: &str,
    keep_token_hash: &str,
) -> Result<()> {
    let mut inv = Invalid::default();
    if let Err(code) = passwords::check_rules(new_password, &actor.email) {
        inv.add("new_password", code);
    } else if new_password != confirm {
        inv.add("confirm_password", "passwords-differ");
    }
    inv.into_result()?;
    let hash = passwords::hash(store.hash_cost, new_password);
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE users SET password_hash = $1, version = version + 1, updated_at = $2 WHERE id = $3 AND active = TRUE")
        .bind(&hash).bind(crate::now()).bind(actor.user_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::NotFound);
    }
    let ended = on_tx!(&mut tx, c => sqlx::query(
        "DELETE FROM sessions WHERE user_id = $1 AND token_hash <> $2")
        .bind(actor.user_id).bind(keep_token_hash)
        .execute(c).await.map(|r| r.rows_affected()))?;
    // A token is a password by another name: one a thief copied must not
    // outlive the change either (unless it was made for a service).
    let revoked = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE api_tokens SET revoked_at = $1, revoked_by = $2 \
         WHERE user_id = $2 AND revoked_at IS NULL AND keep_on_password_change = FALSE")
        .bind(crate::now()).bind(actor.user_id)
        .execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "change_password",
            entity: "user",
            entity_id: Some(actor.user_id.to_string()),
            case_id: None,
            before: None,
            after: Some(json!({"other_sessions_ended": ended, "api_tokens_revoked": revoked})),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
