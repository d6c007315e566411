//! The demo's live programme: beside the GTA pilot's history (2012–2015),
//! a programme whose referrals run up to today, so that every role's first
//! screen, the dashboard's current month and the donor report's current
//! quarter show work to do. It is set up as an administrator would (the
//! store's own use cases: the programme with its first rule document, then
//! the demo staff's programmes), and its cases are written by the bulk
//! loader with a window that ends now ([`cases::LoadOptions::window`]).

use crate::cases::{self, LoadOptions, Progress};
use chrono::{Duration, Utc};
use homeward_domain::programme::{AuthorityInput, ProgrammeInput};
use homeward_store::{programmes, users, Error, Result, Store};
use serde_json::json;

/// The live programme's code.
pub const CODE: &str = "gta-live";

/// Days of referrals up to today.
const DAYS: i64 = 420;

fn input() -> ProgrammeInput {
    ProgrammeInput {
        code: Some(CODE.into()),
        name: Some("AVRR Greater Toronto Area (demo, current dates)".into()),
        host_country: Some("CA".into()),
        time_zone: Some("America/Toronto".into()),
        currency: Some("CAD".into()),
        referring_authority: Some(AuthorityInput::Named {
            name: Some("Canada Border Services Agency".into()),
            short_name: Some("CBSA".into()),
        }),
        opens_on: Some("2025-01-01".into()),
        regions: Some(vec!["GTA".into()]),
        languages: Some(vec!["en".into(), "fr".into(), "es".into()]),
        case_prefix: Some("GTL".into()),
        letterhead: Some(
            "International Organization for Migration (IOM)\nOffice in Toronto (demo)".into(),
        ),
        ..Default::default()
    }
}

/// The pilot's criteria and amounts, in force from the live programme's
/// opening and without an end.
fn rules() -> serde_json::Value {
    json!({
        "programme": CODE, "version": 1, "effective_from": "2025-01-01", "currency": "CAD",
        "residence_regions": ["GTA"], "eligible_claim_outcomes": ["rejected"],
        "excluded_criminality": ["declared", "confirmed"], "requires_compliance": true,
        "prior_assistance_excludes": true, "dco_amount_minor": 50000,
        "tiered_claims_before": "2012-12-15",
        "tiers": {"before_federal_court_leave": 200000, "before_prra_application": 150000,
                  "prra_pending": 100000, "after_prra_decision": 100000},
        "later_claims_tiers": {"before_federal_court_leave": 200000, "before_prra_application": 150000,
                               "prra_pending": 100000, "after_prra_decision": 100000},
    })
}

/// Creates the live programme (if missing) as the demo administrator, and
/// puts every demo user in both programmes.
pub async fn ensure_programme(store: &Store) -> Result<()> {
    programmes::ensure_defaults(store).await?;
    let people = cases::ensure_users(store).await?;
    let admin_id = people
        .iter()
        .find(|(_, _, role)| role == "admin")
        .map(|(_, id, _)| *id)
        .ok_or(Error::NotFound)?;
    let admin = users::get(store, admin_id).await?.actor(None);
    match programmes::by_code(store, CODE).await {
        Ok(_) => {}
        Err(Error::NotFound) => {
            programmes::create(store, &admin, &input(), Some(&rules())).await?;
        }
        Err(e) => return Err(e),
    }
    let both = ["gta-2012".to_string(), CODE.to_string()];
    for (_, id, _) in &people {
        let u = users::get(store, *id).await?;
        if u.programmes.len() < both.len() {
            users::set_programmes(store, &admin, *id, &both, u.version).await?;
        }
    }
    Ok(())
}

/// Loads `n_cases` cases of the live programme, referred over the last
/// 420 days; none goes further than today allows.
pub async fn load(store: &Store, n_cases: u64, seed: u64, progress: Progress<'_>) -> Result<u64> {
    ensure_programme(store).await?;
    let opts = LoadOptions {
        returns: false,
        programme: Some(CODE),
        window: Some((Utc::now() - Duration::days(DAYS), DAYS - 1)),
    };
    let n = cases::load_with(store, n_cases, seed, opts, progress).await?;
    feedback(store).await?;
    departures_told(store).await?;
    Ok(n)
}

/// CBSA's inbox as the confirmations would have left it: the messages of
/// the live programme's latest departures (once: not when it holds some).
async fn departures_told(store: &Store) -> Result<()> {
    let people = cases::ensure_users(store).await?;
    let (Some(sup), Some(cbsa)) = (
        people.iter().find(|(_, _, role)| role == "supervisor"),
        people.iter().find(|(_, _, role)| role == "cbsa_officer"),
    ) else {
        return Ok(());
    };
    let cbsa = users::get(store, cbsa.1).await?.actor(None);
    if homeward_store::notifications::unread(store, &cbsa).await? > 0 {
        return Ok(());
    }
    let sup = users::get(store, sup.1).await?.actor(None);
    let latest: Vec<uuid::Uuid> = homeward_store::on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT i.id FROM itineraries i JOIN cases c ON c.id = i.case_id JOIN programmes g ON g.id = c.programme_id \
         WHERE g.code = $1 AND i.departed_at IS NOT NULL ORDER BY i.departed_at DESC, i.id LIMIT 6")
        .bind(CODE).fetch_all(p).await)?;
    for id in latest {
        match homeward_store::departures::announce(store, &sup, id).await {
            Ok(()) | Err(Error::NotFound | Error::Forbidden) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// A few questions and complaints on recent cases, written down by the demo
/// supervisor as calls, one of them past its answer day, so the register,
/// the supervisor's tasks and the dashboard show what they are for.
async fn feedback(store: &Store) -> Result<()> {
    use homeward_store::feedback::{self, NewItem};
    let people = cases::ensure_users(store).await?;
    let Some(sup) = people.iter().find(|(_, _, role)| role == "supervisor") else {
        return Ok(());
    };
    let sup = users::get(store, sup.1).await?.actor(None);
    let sample: Vec<(uuid::Uuid, uuid::Uuid)> = homeward_store::on_db!(&store.db, p => sqlx::query_as(
        "SELECT c.id, c.principal_person_id FROM cases c JOIN programmes g ON g.id = c.programme_id \
         WHERE g.code = $1 AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.case_id = c.id) \
         ORDER BY c.referred_at DESC, c.id LIMIT 40")
        .bind(CODE).fetch_all(p).await)?;
    let texts = [
        ("question", "phone", "Asked whether her daughter's school records can be translated before the flight."),
        ("complaint", "in_person", "Said the interpreter at the last counselling meeting did not speak his dialect and he did not understand the declaration."),
        ("question", "email", "Wants to know if the reintegration support can go towards tools for a carpentry workshop."),
    ];
    let mut written = Vec::new();
    for ((case_id, person_id), (kind, channel, body)) in
        sample.into_iter().zip(texts.iter().cycle())
    {
        if written.len() == texts.len() {
            break;
        }
        let item = NewItem {
            person_id: Some(person_id),
            kind: (*kind).into(),
            channel: (*channel).into(),
            body: (*body).into(),
        };
        // Cases outside the supervisor's team are not theirs to write on.
        match feedback::record(store, &sup, case_id, &item).await {
            Ok(id) => written.push(id),
            Err(Error::NotFound | Error::Forbidden) => continue,
            Err(e) => return Err(e),
        }
    }
    if let Some(late) = written.first() {
        let received = Utc::now() - Duration::days(40);
        homeward_store::on_db!(&store.db, p => sqlx::query(
            "UPDATE feedback SET received_at = $1, due_on = $2 WHERE id = $3")
            .bind(received).bind((received + Duration::days(30)).date_naive()).bind(late)
            .execute(p).await.map(|_| ()))?;
    }
    Ok(())
}
