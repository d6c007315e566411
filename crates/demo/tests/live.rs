//! The demo's live programme (`homeward_demo::live`), on SQLite and
//! PostgreSQL: beside the pilot's history, cases referred up to today, none
//! with an event after now, that the demo staff (members of both
//! programmes) see as current work: this year's donor report counts them,
//! the counsellor's task list holds them, and a user of the pilot alone
//! does not see them.

use chrono::{Datelike, Utc};
use homeward_demo::{cases as demo, live, returns as demo_returns};
use homeward_domain::report::Period;
use homeward_store::users::NewUser;
use homeward_store::{both_databases, cases, on_db, reports, tasks, users, Actor, Store};

async fn actor(store: &Store, email: &str) -> Actor {
    users::by_email(store, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email}"))
        .actor(None)
}

async fn the_live_programme_shows_current_work(store: Store) {
    demo::load(&store, 60, 2012, &mut |_| {}).await.unwrap();
    let n = live::load(&store, 120, 2026, &mut |_| {}).await.unwrap();
    assert_eq!(n, 120);
    demo_returns::load(&store, 2012).await.unwrap();
    let now = Utc::now();

    // Its cases: all in the live programme, none dated after now.
    let (cases_n, latest): (i64, Option<chrono::DateTime<Utc>>) =
        on_db!(&store.db, p => sqlx::query_as(
        "SELECT COUNT(*), MAX(t.at) FROM cases c JOIN programmes g ON g.id = c.programme_id \
         JOIN case_transitions t ON t.case_id = c.id WHERE g.code = 'gta-live'")
        .fetch_one(p).await)
        .unwrap();
    assert!(cases_n >= 120, "{cases_n}");
    assert!(latest.is_some_and(|t| t <= now), "{latest:?}");
    // Old cases have gone far, new ones are still early: both are there.
    let statuses: Vec<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT DISTINCT c.status FROM cases c JOIN programmes g ON g.id = c.programme_id WHERE g.code = 'gta-live'")
        .fetch_all(p).await)
    .unwrap();
    for s in ["referred", "reintegrating"] {
        assert!(statuses.iter().any(|x| x == s), "{s} in {statuses:?}");
    }

    // The supervisor's donor report for this year counts its referrals.
    let sup = actor(&store, "supervisor@homeward.test").await;
    let year = Period::year(now.year()).unwrap();
    let r = reports::donor(&store, &sup, &year, Some(live::CODE))
        .await
        .unwrap();
    assert!(r.total.referrals > 0, "{:?}", r.total);
    let pilot = reports::donor(&store, &sup, &year, Some("gta-2012"))
        .await
        .unwrap();
    assert_eq!(pilot.total.referrals, 0);

    // The counsellor's day has live cases on it.
    let counsellor = actor(&store, "counsellor@homeward.test").await;
    let today = now.date_naive();
    let list = tasks::list(&store, &counsellor, now, today).await.unwrap();
    let live_numbers: Vec<&str> = list
        .iter()
        .map(|t| t.case_number.as_str())
        .filter(|n| n.starts_with("GTL-"))
        .collect();
    assert!(!live_numbers.is_empty(), "{list:?}");

    // A user of the pilot alone does not see the live cases.
    let only_pilot = users::create(
        &store,
        None,
        &NewUser {
            email: "pilot.supervisor@homeward.test".into(),
            name: "Pilot supervisor".into(),
            role: "supervisor".into(),
            password: "a long test password".into(),
            programmes: vec!["gta-2012".into()],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .actor(None);
    let all = cases::CaseFilter::default();
    let (seen, _) = cases::list(&store, &only_pilot, &all).await.unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|c| c.programme_code == "gta-2012"));
    let live_only = cases::CaseFilter {
        programme: Some(live::CODE.into()),
        ..Default::default()
    };
    let (none, n) = cases::list(&store, &only_pilot, &live_only).await.unwrap();
    assert!(none.is_empty() && n == 0, "{n}");
    let (theirs, n) = cases::list(&store, &sup, &live_only).await.unwrap();
    assert!(!theirs.is_empty() && n > 0);
    assert!(theirs.iter().all(|c| c.programme_code == live::CODE));
}

both_databases!(live_programme, the_live_programme_shows_current_work);
