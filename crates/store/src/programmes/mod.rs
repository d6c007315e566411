//! Programmes: the AVRR programmes Homeward runs (the first is `gta-2012`,
//! the GTA pilot), each set up by an administrator as data: its office's
//! zone and currency, the referring authority, accepted regions, clocks,
//! languages and letterhead ([`Programme`]), its rules as versioned
//! documents ([`rules`]), and its configuration (the follow-up schedule, the
//! monthly departure target, retention).

pub mod rules;
pub(crate) mod stored;

pub use stored::{by_code, by_id, list, Programme};

use crate::actor::Actor;
use crate::audit::{self, Entry};
use crate::{on_db, on_tx, Error, Result, Store};
use chrono::NaiveDate;
use homeward_domain::followups::Schedule;
use homeward_domain::programme::{ProgrammeInput, Settings};
use homeward_domain::{Action, Resource};
use serde_json::json;
use uuid::Uuid;

/// The GTA pilot as Homeward first ran it: created when missing, and its
/// settings filled in on databases from before programmes were data.
fn pilot() -> Settings {
    let input = ProgrammeInput {
        code: Some("gta-2012".into()),
        name: Some("AVRR pilot, Greater Toronto Area".into()),
        host_country: Some("CA".into()),
        time_zone: Some("America/Toronto".into()),
        currency: Some("CAD".into()),
        referring_authority: Some(homeward_domain::programme::AuthorityInput::Named {
            name: Some("Canada Border Services Agency".into()),
            short_name: Some("CBSA".into()),
        }),
        opens_on: Some("2012-06-29".into()),
        closes_on: Some("2015-03-31".into()),
        regions: Some(vec!["GTA".into()]),
        languages: Some(vec!["en".into(), "fr".into()]),
        case_prefix: Some("TOR".into()),
        letterhead: Some(
            "International Organization for Migration (IOM)\nOffice in Toronto".into(),
        ),
        ..Default::default()
    };
    // The pilot's settings are part of the source; the tests check them.
    input
        .check()
        .unwrap_or_else(|e| panic!("the pilot's settings: {e}"))
}

/// Creates the GTA pilot and its first rules if they are missing, so a
/// fresh database can take cases.
pub async fn ensure_defaults(store: &Store) -> Result<()> {
    let s = pilot();
    let now = crate::now();
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO programmes (id, code, name, host_region, case_prefix, starts_on, ends_on, currency, version, created_at, updated_at) \
         VALUES ($1, $2, $3, 'GTA', $4, $5, $6, $7, 1, $8, $8) ON CONFLICT (code) DO NOTHING")
        .bind(Uuid::new_v4()).bind(&s.code).bind(&s.name).bind(&s.case_prefix).bind(s.opens_on).bind(s.closes_on)
        .bind(s.currency.code()).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
    // Settings that came with programmes as data, on a pilot from before them.
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE programmes SET regions = $1, referral_facts = $2, languages = $3, letterhead = $4 \
         WHERE code = $5 AND regions = '[]'")
        .bind(json!(s.regions).to_string()).bind(json!(s.referral_facts).to_string())
        .bind(json!(s.languages).to_string()).bind(&s.letterhead).bind(&s.code)
        .execute(c).await.map(|r| r.rows_affected()))?;
    for rs in homeward_domain::eligibility::builtin_rule_sets() {
        rules::insert_builtin(&mut tx, &rs, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Creates a programme from its settings and, when given, its first rule
/// document (`rules`, checked against the settings). Every problem with
/// either is reported at once; nothing is kept unless all is well. Audited
/// with the rules' version. Codes beyond the settings' and the rules' own:
/// `code` `code-taken`.
///
/// Who may: admins (`Programme`/`Manage`).
pub async fn create(
    store: &Store,
    actor: &Actor,
    input: &ProgrammeInput,
    rules: Option<&serde_json::Value>,
) -> Result<Programme> {
    actor.require(Resource::Programme, Action::Manage)?;
    let (settings, rule_set) = check_with_rules(input, rules)?;
    let id = Uuid::new_v4();
    let now = crate::now();
    let mut tx = store.begin().await?;
    let taken: Option<Uuid> = on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT id FROM programmes WHERE code = $1").bind(&settings.code).fetch_optional(c).await)?;
    if taken.is_some() {
        return Err(Error::invalid("code", "code-taken"));
    }
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO programmes (id, code, name, host_region, host_country, time_zone, currency, authority_name, \
         authority_short_name, referral_facts, regions, languages, case_prefix, starts_on, ends_on, contact_hours, \
         departure_target_days, letterhead, signatory, version, created_at, updated_at, returnee_access_days, feedback_due_days) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 1, $20, $20, $21, $22)")
        .bind(id).bind(&settings.code).bind(&settings.name).bind(&settings.host_country).bind(&settings.host_country)
        .bind(settings.time_zone.name()).bind(settings.currency.code()).bind(&settings.authority.name)
        .bind(&settings.authority.short_name).bind(json!(settings.referral_facts).to_string())
        .bind(json!(settings.regions).to_string()).bind(json!(settings.languages).to_string())
        .bind(&settings.case_prefix).bind(settings.opens_on).bind(settings.closes_on)
        .bind(i64::from(settings.contact_hours)).bind(i64::from(settings.departure_target_days))
        .bind(&settings.letterhead).bind(&settings.signatory).bind(now)
        .bind(settings.returnee_access_days as i32).bind(settings.feedback_due_days as i32)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if let Some(rs) = &rule_set {
        rules::insert(&mut tx, id, rs, Some(actor), now).await?;
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "create",
            entity: "programme",
            entity_id: Some(settings.code.clone()),
            case_id: None,
            before: None,
            after: Some(json!({
                "name": settings.name, "time_zone": settings.time_zone.name(),
                "currency": settings.currency.code(), "referring_authority": settings.authority,
                "rules_version": rule_set.as_ref().map(|r| r.version),
            })),
        },
    )
    .await?;
    tx.commit().await?;
    by_id(store, id).await
}

/// Checks settings and an optional first rule document together, so one
/// answer names every problem with both.
fn check_with_rules(
    input: &ProgrammeInput,
    rules: Option<&serde_json::Value>,
) -> Result<(Settings, Option<homeward_domain::eligibility::RuleSet>)> {
    let settings = input.check();
    let Some(doc) = rules else {
        return Ok((settings?, None));
    };
    match settings {
        Ok(s) => {
            let ctx = homeward_domain::programme::rules::Context {
                programme: &s.code,
                currency: s.currency.code(),
                opens_on: s.opens_on,
                closes_on: s.closes_on,
                existing: &[],
            };
            let rs = homeward_domain::programme::rules::check(doc, &ctx)?;
            Ok((s, Some(rs)))
        }
        Err(mut inv) => {
            // The rules can only be checked against valid settings; still
            // name what is wrong with the document on its own.
            let code = input.code.clone().unwrap_or_default();
            let currency = input.currency.clone().unwrap_or_default();
            let ctx = homeward_domain::programme::rules::Context {
                programme: &code,
                currency: &currency,
                opens_on: NaiveDate::MIN,
                closes_on: None,
                existing: &[],
            };
            if let Err(e) = homeward_domain::programme::rules::check(doc, &ctx) {
                inv.errors.extend(e.errors.into_iter().filter(|x| {
                    !matches!(
                        x.code.as_str(),
                        "currency-not-programme" | "programme-mismatch"
                    )
                }));
            }
            Err(Error::Invalid(inv))
        }
    }
}

/// Changes a programme's settings (its code stays; its currency too once
/// it has rules, since they are written in it). `version` must be the one
/// read (`stale` otherwise). Audited with before and after.
///
/// Who may: admins (`Programme`/`Manage`).
pub async fn update(
    store: &Store,
    actor: &Actor,
    code: &str,
    input: &ProgrammeInput,
    version: i64,
) -> Result<Programme> {
    actor.require(Resource::Programme, Action::Manage)?;
    let before = by_code(store, code).await?;
    let mut input = input.clone();
    match input.code.as_deref().map(str::trim) {
        None | Some("") => input.code = Some(code.to_string()),
        Some(c) if c != code => return Err(Error::invalid("code", "code-fixed")),
        Some(_) => {}
    }
    let s = input.check()?;
    if s.currency.code() != before.currency && !rules::versions(store, before.id).await?.is_empty()
    {
        return Err(Error::invalid("currency", "currency-fixed"));
    }
    let mut tx = store.begin().await?;
    let n = on_tx!(&mut tx, c => sqlx::query(
        "UPDATE programmes SET name = $1, host_country = $2, time_zone = $3, currency = $4, authority_name = $5, \
         authority_short_name = $6, referral_facts = $7, regions = $8, languages = $9, case_prefix = $10, starts_on = $11, \
         ends_on = $12, contact_hours = $13, departure_target_days = $14, letterhead = $15, signatory = $16, \
         version = version + 1, updated_at = $17, returnee_access_days = $20, feedback_due_days = $21 WHERE id = $18 AND version = $19")
        .bind(&s.name).bind(&s.host_country).bind(s.time_zone.name()).bind(s.currency.code())
        .bind(&s.authority.name).bind(&s.authority.short_name).bind(json!(s.referral_facts).to_string())
        .bind(json!(s.regions).to_string()).bind(json!(s.languages).to_string()).bind(&s.case_prefix)
        .bind(s.opens_on).bind(s.closes_on).bind(i64::from(s.contact_hours)).bind(i64::from(s.departure_target_days))
        .bind(&s.letterhead).bind(&s.signatory).bind(crate::now()).bind(before.id).bind(version)
        .bind(s.returnee_access_days as i32).bind(s.feedback_due_days as i32)
        .execute(c).await.map(|r| r.rows_affected()))?;
    if n == 0 {
        return Err(Error::Conflict);
    }
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "programme",
            entity_id: Some(code.to_string()),
            case_id: None,
            before: Some(json!(before)),
            after: Some(json!({
                "name": s.name, "time_zone": s.time_zone.name(), "currency": s.currency.code(),
                "referring_authority": s.authority, "regions": s.regions, "opens_on": s.opens_on, "closes_on": s.closes_on,
            })),
        },
    )
    .await?;
    tx.commit().await?;
    by_code(store, code).await
}

/// Settings typed as a programme's current ones (an edit form's start).
pub fn input_of(p: &Programme) -> ProgrammeInput {
    ProgrammeInput {
        code: Some(p.code.clone()),
        name: Some(p.name.clone()),
        host_country: Some(p.host_country.clone()),
        time_zone: Some(p.time_zone.clone()),
        currency: Some(p.currency.clone()),
        referring_authority: Some(homeward_domain::programme::AuthorityInput::Named {
            name: Some(p.referring_authority.name.clone()),
            short_name: Some(p.referring_authority.short_name.clone()),
        }),
        referral_facts: Some(p.referral_facts.clone()),
        opens_on: Some(p.opens_on.to_string()),
        closes_on: p.closes_on.map(|d| d.to_string()),
        regions: Some(p.regions.clone()),
        contact_hours: Some(p.contact_hours),
        departure_target_days: Some(p.departure_target_days),
        returnee_access_days: Some(p.returnee_access_days),
        feedback_due_days: Some(p.feedback_due_days),
        languages: Some(p.languages.clone()),
        case_prefix: Some(p.case_prefix.clone()),
        letterhead: p.letterhead.clone(),
        signatory: p.signatory.clone(),
        rules: None,
        version: Some(p.version),
    }
}

/// Reads a stored schedule. Writes are validated, so a bad value means the
/// row was edited by hand: the defaults keep arrivals working, and the log says why.
fn parse_schedule(code: &str, json: Option<&str>) -> Schedule {
    let Some(json) = json else {
        return Schedule::default();
    };
    match serde_json::from_str::<Schedule>(json) {
        Ok(s) if s.validate().is_ok() => s,
        _ => {
            tracing::warn!(
                programme = code,
                "invalid followup_schedule; using the defaults"
            );
            Schedule::default()
        }
    }
}

/// The follow-up schedule of the programme with this code (the defaults
/// unless configured).
///
/// Who may: anyone the caller lets through (configuration, no case data).
pub async fn followup_schedule(store: &Store, code: &str) -> Result<Schedule> {
    let json: Option<Option<String>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT followup_schedule FROM programmes WHERE code = $1")
        .bind(code).fetch_optional(p).await)?;
    let json = json.ok_or(Error::NotFound)?;
    Ok(parse_schedule(code, json.as_deref()))
}

/// The follow-up schedule of every programme, by programme id (for queries
/// across programmes, such as the overdue tasks).
pub async fn followup_schedules(store: &Store) -> Result<Vec<(Uuid, Schedule)>> {
    let rows: Vec<(Uuid, String, Option<String>)> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, code, followup_schedule FROM programmes ORDER BY code")
        .fetch_all(p).await)?;
    Ok(rows
        .into_iter()
        .map(|(id, code, json)| (id, parse_schedule(&code, json.as_deref())))
        .collect())
}

/// Sets a programme's follow-up schedule (checked by `Schedule::validate`:
/// `offsets_months`, `grace_days`). It applies to arrivals confirmed from
/// now on; schedules already created are left as they are. Audited.
///
/// Who may: admins (programme configuration).
pub async fn set_followup_schedule(
    store: &Store,
    actor: &Actor,
    code: &str,
    schedule: &Schedule,
) -> Result<Schedule> {
    actor.require(Resource::Programme, Action::Manage)?;
    schedule.validate()?;
    let before = followup_schedule(store, code).await?;
    let json = serde_json::to_string(schedule)
        .map_err(|e| Error::Io(format!("followup schedule: {e}")))?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE programmes SET followup_schedule = $1, version = version + 1, updated_at = $2 WHERE code = $3")
        .bind(&json).bind(crate::now()).bind(code).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "programme_followup_schedule",
            entity_id: Some(code.to_string()),
            case_id: None,
            before: Some(json!(before)),
            after: Some(json!(schedule)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(schedule.clone())
}

/// The most departures a month a target may name: far above any AVRR
/// programme (CBSA projected up to 2,719 returns a year), so a typo of a
/// few extra digits is refused.
pub const MAX_MONTHLY_TARGET: i64 = 100_000;

/// Sets (or, with `None`, clears) a programme's monthly departure target,
/// which the dashboard sets departures against. Audited. Code on the field
/// `monthly_departure_target`: `out-of-range` (0 to [`MAX_MONTHLY_TARGET`]).
///
/// Who may: admins (programme configuration).
pub async fn set_departure_target(
    store: &Store,
    actor: &Actor,
    code: &str,
    target: Option<i64>,
) -> Result<Programme> {
    actor.require(Resource::Programme, Action::Manage)?;
    if target.is_some_and(|t| !(0..=MAX_MONTHLY_TARGET).contains(&t)) {
        let mut inv = homeward_domain::Invalid::default();
        inv.add("monthly_departure_target", "out-of-range");
        return Err(Error::Invalid(inv));
    }
    let before = by_code(store, code).await?;
    let mut tx = store.begin().await?;
    on_tx!(&mut tx, c => sqlx::query(
        "UPDATE programmes SET monthly_departure_target = $1, version = version + 1, updated_at = $2 WHERE code = $3")
        .bind(target).bind(crate::now()).bind(code).execute(c).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        Some(actor),
        Entry {
            action: "update",
            entity: "programme_departure_target",
            entity_id: Some(code.to_string()),
            case_id: None,
            before: Some(json!({ "monthly_departure_target": before.monthly_departure_target })),
            after: Some(json!({ "monthly_departure_target": target })),
        },
    )
    .await?;
    tx.commit().await?;
    by_code(store, code).await
}
