//! Each role's day in a real browser (headless Chromium), on SQLite and on
//! PostgreSQL (issue 23): from the home page, through the role's queue, to
//! the action (asked twice where it is a decision), the message that says
//! it was saved, and back home, where the queue has moved on. Each home is
//! checked at a phone's width with axe-core.
//!
//! - counsellor: a new referral waiting for contact → start intake;
//! - CBSA: an application waiting for a decision → approve eligibility;
//! - mission officer: a departed family → confirm the arrival;
//! - finance: a purchase waiting for a decision → approve it;
//! - supervisor: a question waiting for an answer → answer it;
//! - analyst, admin, auditor: their home and the pages their menu leads to.
//!
//! Run: `cargo test -p homeward-e2e --test role_days -- --test-threads=1`.

mod support;

use fantoccini::Client;
use homeward_store::{cases, feedback, testing, Actor, Store};
use support::*;
use uuid::Uuid;

const CBSA: &str = "officer@cbsa.example";
const COUNSELLOR: &str = "c@iom.int";
const MISSION: &str = "hu@iom.int";
const FINANCE: &str = "fin@iom.int";
const SUPERVISOR: &str = "sup@iom.int";
const ANALYST: &str = "an@iom.int";
const ADMIN: &str = "admin@iom.int";
const AUDITOR: &str = "audit@iom.int";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_days_sqlite() {
    days(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_days_postgres() {
    days(Db::Postgres).await;
}

/// The count of queue `name` on the home page on screen.
async fn queue_count(c: &Client, name: &str) -> String {
    text_of(c, &format!("#queue-{name} .n")).await
}

/// Home, by the brand link in the header, as a user goes back.
async fn home(c: &Client) {
    click_and_load(c, "header a.brand").await;
    assert_eq!(path_of(c).await, "/");
}

/// A case taken by `couns` up to its application, waiting for CBSA.
async fn application(store: &Store, cbsa: &Actor, couns: &Actor) -> Uuid {
    let id = cases::create(store, cbsa, &testing::hungarian_referral("Éva"))
        .await
        .expect("refer")
        .summary
        .id;
    for to in ["intake", "counselling"] {
        cases::transition(store, couns, id, to, None, None)
            .await
            .expect(to);
    }
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
    homeward_store::attachments::add(store, couns, id, "declaration", "d.pdf", pdf)
        .await
        .expect("declaration");
    cases::transition(store, couns, id, "applied", None, None)
        .await
        .expect("apply");
    id
}

async fn days(db: Db) {
    let app = App::start(db).await;
    let cbsa = app.user(CBSA, "Jean Tremblay", "cbsa_officer", None).await;
    let couns = app
        .user(COUNSELLOR, "Amira", "counsellor", Some("toronto"))
        .await;
    let hu = app.mission_officer(MISSION, "Katalin Nagy", "HU").await;
    app.user(FINANCE, "Farid Haddad", "finance", None).await;
    let sup = app
        .user(SUPERVISOR, "Sofia Rossi", "supervisor", Some("toronto"))
        .await;
    app.user(ANALYST, "Ana Lima", "analyst", None).await;
    app.user(ADMIN, "Ada Admin", "admin", None).await;
    app.user(AUDITOR, "Otto Audit", "auditor", None).await;
    let (cbsa, couns, hu, sup) = (
        cbsa.actor(None),
        couns.actor(None),
        hu.actor(None),
        sup.actor(None),
    );
    let store = app.store.clone();

    // A referral waiting for its first contact, an application waiting for
    // CBSA, a departed family, and a returned one with a purchase to decide
    // and a question to answer.
    let waiting = cases::create(&store, &cbsa, &testing::hungarian_referral("Réka"))
        .await
        .expect("refer")
        .summary
        .id;
    application(&store, &cbsa, &couns).await;
    let (departed, _, _) = testing::eligible_family(&store, &cbsa, &couns).await;
    testing::set_status(&store, departed, "departed").await;
    let (returned, mother, _) = testing::eligible_family(&store, &cbsa, &couns).await;
    testing::set_status(&store, returned, "reintegrating").await;
    testing::housing_purchase(&store, &hu, returned, "400").await;
    feedback::record(
        &store,
        &sup,
        returned,
        &feedback::NewItem {
            person_id: Some(mother),
            kind: "question".into(),
            channel: "phone".into(),
            body: "Can the support pay for a sewing machine?".into(),
        },
    )
    .await
    .expect("question");

    let base = app.base.clone();
    with_browser(&format!("{}-role-days", db.name()), move |c| async move {
        counsellor_day(&c, &base, waiting).await;
        cbsa_day(&c, &base).await;
        mission_day(&c, &base).await;
        finance_day(&c, &base).await;
        supervisor_day(&c, &base).await;
        other_days(&c, &base).await;
    })
    .await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

async fn counsellor_day(c: &Client, base: &str, waiting: Uuid) {
    sign_in(c, base, COUNSELLOR).await;
    assert_accessible_on_phone(c, "counsellor's home").await;
    assert!(present(c, "#queue-tasks").await);
    click_and_load(c, &format!("#waiting a[href='/cases/{waiting}']")).await;
    assert!(text_of(c, "#next").await.contains("Counsellor"));
    click_and_load(
        c,
        "form[action$='/transition'] input[name='to'][value='intake'] ~ button[type='submit']",
    )
    .await;
    assert_eq!(text_of(c, "#done").await, "Saved.");
    assert_eq!(text_of(c, "#case-status").await, "Intake");
    home(c).await;
    assert!(
        !present(c, &format!("#waiting a[href='/cases/{waiting}']")).await,
        "contacted: no longer waiting"
    );
    sign_out(c).await;
}

async fn cbsa_day(c: &Client, base: &str) {
    sign_in(c, base, CBSA).await;
    assert_accessible_on_phone(c, "CBSA's home").await;
    assert!(!present(c, "#waiting").await, "CBSA contacts nobody");
    assert_eq!(queue_count(c, "awaiting-decision").await, "1");
    click_and_load(c, "#queue-awaiting-decision a").await;
    assert_eq!(path_of(c).await, "/cases?status=applied");
    click_and_load(c, "table a[href^='/cases/']").await;
    // A decision is asked twice: the first click only opens the question.
    click(c, "#confirm-eligible > summary").await;
    assert!(text_of(c, "#confirm-eligible")
        .await
        .contains("cannot be taken back"));
    assert_accessible_on_phone(c, "an eligibility decision, asked").await;
    click_and_load(c, "#confirm-eligible button[type='submit']").await;
    assert_eq!(text_of(c, "#done").await, "Saved.");
    assert_eq!(text_of(c, "#case-status").await, "Eligible");
    home(c).await;
    assert_eq!(queue_count(c, "awaiting-decision").await, "0");
    sign_out(c).await;
}

async fn mission_day(c: &Client, base: &str) {
    sign_in(c, base, MISSION).await;
    assert_accessible_on_phone(c, "the mission's home").await;
    assert_eq!(queue_count(c, "arrivals-expected").await, "1");
    click_and_load(c, "#queue-arrivals-expected a").await;
    click_and_load(c, "table a[href^='/cases/']").await;
    assert!(text_of(c, "#next").await.contains("Mission officer"));
    let today = chrono::Utc::now().date_naive().to_string();
    set_value(c, "f-arr-arrived_on", &today).await;
    type_into(c, "f-arr-place", "Budapest Ferenc Liszt airport").await;
    click_and_load(c, "#confirm-arrival").await;
    assert_eq!(text_of(c, "#done").await, "Saved.");
    assert!(text_of(c, "#arrival").await.contains("Budapest"));
    home(c).await;
    assert_eq!(queue_count(c, "arrivals-expected").await, "0");
    sign_out(c).await;
}

async fn finance_day(c: &Client, base: &str) {
    sign_in(c, base, FINANCE).await;
    assert_accessible_on_phone(c, "finance's home").await;
    assert_eq!(queue_count(c, "purchases-requested").await, "1");
    assert_eq!(queue_count(c, "purchases-approved").await, "0");
    click_and_load(c, "#queue-purchases-requested a").await;
    assert_eq!(path_of(c).await, "/purchases");
    click_and_load(c, "table a[href^='/cases/']").await;
    click(c, "details[id^='confirm-approved-'] > summary").await;
    click_and_load(c, "button[id^='purchase-approved-']").await;
    assert_eq!(text_of(c, "#done").await, "Saved.");
    assert_eq!(text_of(c, ".purchase .badge").await, "Approved");
    home(c).await;
    assert_eq!(queue_count(c, "purchases-requested").await, "0");
    assert_eq!(queue_count(c, "purchases-approved").await, "1");
    sign_out(c).await;
}

async fn supervisor_day(c: &Client, base: &str) {
    sign_in(c, base, SUPERVISOR).await;
    assert_accessible_on_phone(c, "the supervisor's home").await;
    assert_eq!(queue_count(c, "feedback").await, "1");
    click_and_load(c, "#queue-feedback a").await;
    assert_eq!(path_of(c).await, "/feedback");
    click_and_load(c, "table a[href^='/feedback/']").await;
    type_into(c, "f-answer", "Yes: tools for a trade are in-kind support.").await;
    click_and_load(c, "#feedback-answer-form button[type='submit']").await;
    home(c).await;
    assert_eq!(queue_count(c, "feedback").await, "0");
    sign_out(c).await;
}

/// Roles without a queue: their home, and the first page of their menu.
async fn other_days(c: &Client, base: &str) {
    for (who, link) in [
        (ANALYST, "/exports/deidentified/new"),
        (ADMIN, "/admin/users"),
        (AUDITOR, "/audit"),
    ] {
        sign_in(c, base, who).await;
        assert!(!present(c, "#work").await, "{who} has no queue");
        assert_accessible_on_phone(c, &format!("{who}'s home")).await;
        click_and_load(c, &format!("#main-menu a[href='{link}']")).await;
        assert_eq!(page_status(c).await, 200, "{who} on {link}");
        assert_accessible_on_phone(c, link).await;
        sign_out(c).await;
    }
}
