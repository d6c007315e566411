//! The returnee's own page in a real browser (headless Chromium, at a
//! phone's width), on SQLite and PostgreSQL (issue 22): a returnee opens
//! their page in Hungarian with their code and date of birth, sees where
//! their case stands, withdraws their consent to share with the mission,
//! and the mission loses the case on its next read; sends a complaint (an
//! empty one is refused with the reason beside each field), a supervisor
//! answers it, and the answer is on her page. axe-core finds no WCAG 2.1
//! AA problem on any state of the page.
//!
//! Run: `cargo test -p homeward-e2e --test returnee_page -- --test-threads=1`.

mod support;

use homeward_store::{cases, on_db, returnee_access, Store};
use support::*;
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returnee_page_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn returnee_page_postgres() {
    journey(Db::Postgres).await;
}

struct Ctx {
    base: String,
    store: Store,
    case_id: Uuid,
    code: String,
    mission: homeward_store::Actor,
    supervisor: homeward_store::Actor,
}

async fn journey(db: Db) {
    let app = App::start(db).await;
    let cbsa = app
        .user(
            "officer@cbsa.example",
            "Jean Tremblay",
            "cbsa_officer",
            None,
        )
        .await;
    let couns = app
        .user("c@iom.int", "Amira", "counsellor", Some("toronto"))
        .await;
    let mission = app
        .mission_officer("hu@iom.int", "Katalin Nagy", "HU")
        .await;
    let (case_id, mother, _) =
        homeward_store::testing::eligible_family(&app.store, &cbsa.actor(None), &couns.actor(None))
            .await;
    on_db!(&app.store.db, p => sqlx::query("UPDATE persons SET date_of_birth = '1985-04-12', preferred_languages = '[\"hu\"]' WHERE id = $1")
        .bind(mother).execute(p).await.map(|_| ()))
    .expect("her date of birth");
    cases::transition(
        &app.store,
        &couns.actor(None),
        case_id,
        "preparing_departure",
        None,
        None,
    )
    .await
    .expect("preparing departure");
    let code = returnee_access::issue(&app.store, &couns.actor(None), case_id, mother)
        .await
        .expect("her code");
    let supervisor = app
        .user("s@iom.int", "Sofia", "supervisor", Some("toronto"))
        .await
        .actor(None);
    let mission = mission.actor(None);
    assert!(
        cases::get(&app.store, &mission, case_id).await.is_ok(),
        "the mission's part"
    );
    let ctx = Ctx {
        base: app.base.clone(),
        store: app.store.clone(),
        case_id,
        code,
        mission,
        supervisor,
    };
    with_browser(
        &format!("{}-returnee-page", db.name()),
        move |c| async move {
            steps(&c, &ctx).await;
        },
    )
    .await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

async fn steps(c: &fantoccini::Client, x: &Ctx) {
    open(c, &x.base, "/my?lang=hu").await;
    assert_eq!(text_of(c, "h1").await, "Hazatérése az IOM segítségével");
    assert_accessible_on_phone(c, "the returnee's sign-in").await;
    // Typed as people type: lower case, spaces for dashes.
    type_into(c, "my-code", &x.code.to_lowercase().replace('-', " ")).await;
    set_value(c, "my-dob", "1985-04-12").await;
    click_and_load(c, "#my-sign-in button[type='submit']").await;
    let now = text_of(c, "#my-steps [aria-current='step']").await;
    assert!(now.contains("Az utazás előkészítése"), "{now}");
    assert_accessible_on_phone(c, "the returnee's page").await;
    screenshot(c, "returnee-page-hu.png").await;
    click_and_load(
        c,
        "li[data-purpose='share_with_mission'] button[type='submit']",
    )
    .await;
    assert!(text_of(c, "#my-notice").await.contains("visszavonta"));
    assert!(text_of(c, "li[data-purpose='share_with_mission']")
        .await
        .contains("Visszavonva"));
    // The mission's next read: the case is gone.
    assert!(matches!(
        cases::get(&x.store, &x.mission, x.case_id).await,
        Err(homeward_store::Error::NotFound)
    ));

    // A complaint: sent empty, each field says what is missing.
    click_and_load(c, "#my-feedback-form button[type='submit']").await;
    assert!(!text_of(c, "#my-kind-error").await.is_empty());
    assert!(!text_of(c, "#my-body-error").await.is_empty());
    assert_accessible_on_phone(c, "the returnee's page with errors").await;
    click(c, "input[name='kind'][value='complaint']").await;
    let complaint = "Senki nem mondta meg, mikor indul a járatom.";
    type_into(c, "my-body", complaint).await;
    click_and_load(c, "#my-feedback-form button[type='submit']").await;
    assert!(text_of(c, "#my-messages").await.contains(complaint));
    // A supervisor answers; the answer is on her page.
    let today = homeward_store::now().date_naive();
    let waiting = homeward_store::feedback::register(
        &x.store,
        &x.supervisor,
        homeward_store::feedback::Showing::Open,
        today,
        10,
    )
    .await
    .expect("the register");
    let answer = "A járata hétfőn 18:40-kor indul. Elnézést kérünk.";
    homeward_store::feedback::answer(&x.store, &x.supervisor, waiting[0].id, answer)
        .await
        .expect("answered");
    open(c, &x.base, "/my?lang=hu").await;
    assert!(text_of(c, "#my-messages .my-answer").await.contains(answer));
    assert_accessible_on_phone(c, "the returnee's page with an answer").await;
}
