//! An administrator sets up a programme in a real browser (headless
//! Chromium through chromedriver), on SQLite and PostgreSQL (issue 21):
//!
//! 1. the new-programme form with a rule document that has errors: every
//!    problem is listed with where it is, what was typed stays in the
//!    form, and nothing is created;
//! 2. the same form with a valid document: the programme exists, with its
//!    zone and currency, and its setup page lists version 1;
//! 3. a second version: the preview shows what it would change before
//!    anything is kept, then adding it lists version 2;
//! 4. a counsellor is refused the setup pages.
//!
//! Run: `cargo test -p homeward-e2e --test programme_setup -- --test-threads=1`.

mod support;

use fantoccini::Client;
use serde_json::json;
use support::*;

const ADMIN: &str = "admin@iom.int";
const COUNSELLOR: &str = "amira@iom.int";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programme_setup_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn programme_setup_postgres() {
    journey(Db::Postgres).await;
}

fn document(from: &str, top: serde_json::Value) -> String {
    json!({
        "effective_from": from, "currency": "EUR",
        "residence_regions": ["Brussels", "Flanders", "Wallonia"],
        "eligible_claim_outcomes": ["rejected", "withdrawn"], "excluded_criminality": ["confirmed"],
        "requires_compliance": true, "prior_assistance_excludes": true,
        "tiered_claims_before": "2027-06-01",
        "tiers": {"before_federal_court_leave": top, "before_prra_application": 100000,
                  "prra_pending": 75000, "after_prra_decision": 50000},
        "later_claims_tiers": {"before_federal_court_leave": top, "before_prra_application": 90000,
                               "prra_pending": 60000, "after_prra_decision": 40000},
    })
    .to_string()
}

async fn journey(db: Db) {
    let app = App::start(db).await;
    app.user(ADMIN, "Sam Admin", "admin", None).await;
    app.user(COUNSELLOR, "Amira", "counsellor", Some("toronto"))
        .await;
    let base = app.base.clone();
    let store = app.store.clone();
    with_browser(
        &format!("{}-programme-setup", db.name()),
        move |c| async move {
            steps(&c, &base, &store).await;
        },
    )
    .await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

async fn fill_settings(c: &Client) {
    type_into(c, "f-programme_code", "be-2027").await;
    type_into(c, "f-name", "AVRR Belgium").await;
    type_into(c, "f-host_country", "BE").await;
    type_into(c, "f-time_zone", "Europe/Brussels").await;
    type_into(c, "f-currency", "EUR").await;
    type_into(c, "f-authority_name", "Fedasil").await;
    set_value(c, "f-opens_on", "2027-01-01").await;
    type_into(c, "f-regions", "Brussels, Flanders, Wallonia").await;
}

async fn steps(c: &Client, base: &str, store: &homeward_store::Store) {
    sign_in(c, base, ADMIN).await;
    open(c, base, "/admin/programmes/new").await;
    wait_css(c, "#create-programme").await;
    assert_no_raw_keys(c, "new programme").await;
    fill_settings(c).await;

    // 1. A document with a negative amount, an unknown key and dates out
    //    of order: each named where it is; nothing created.
    let mut bad: serde_json::Value =
        serde_json::from_str(&document("2027-01-01", json!(-5))).unwrap();
    bad["bonus"] = json!(true);
    bad["effective_to"] = json!("2026-01-01");
    set_value(c, "f-document", &bad.to_string()).await;
    click_and_load(c, "#create-programme").await;
    let problems = text_of(c, "#rule-problems").await;
    for at in ["tiers.before_federal_court_leave", "bonus", "effective_to"] {
        assert!(problems.contains(at), "{at} named in: {problems}");
    }
    assert_accessible_on_phone(c, "new programme, refused").await;
    assert_eq!(
        value_of(c, "f-name").await,
        "AVRR Belgium",
        "what was typed stays"
    );
    assert_eq!(value_of(c, "f-time_zone").await, "Europe/Brussels");
    assert!(
        value_of(c, "f-document").await.contains("bonus"),
        "the document stays as typed"
    );
    assert!(
        homeward_store::programmes::by_code(store, "be-2027")
            .await
            .is_err(),
        "nothing created from a refused document"
    );

    // 2. A valid document: created, and its setup page lists version 1.
    set_value(c, "f-document", &document("2027-01-01", json!(150000))).await;
    click_and_load(c, "#create-programme").await;
    assert_eq!(path_of(c).await, "/admin/programmes/be-2027/setup");
    let heading = text_of(c, "h1").await;
    assert!(
        heading.contains("EUR") && heading.contains("Europe/Brussels"),
        "{heading}"
    );
    let versions = texts_of(c, "#rules > .table-wrap tbody tr").await;
    assert_eq!(versions.len(), 1, "{versions:?}");
    assert!(versions[0].starts_with('1'), "{versions:?}");
    assert_no_raw_keys(c, "programme setup").await;

    // 3. A second version: previewed first (nothing kept), then added.
    set_value(c, "f-document", &document("2027-07-01", json!(120000))).await;
    click_and_load(c, "#preview-rules").await;
    let preview = text_of(c, "#rule-preview").await;
    assert!(
        preview.contains('2') && preview.contains("2027-07-01"),
        "{preview}"
    );
    assert_eq!(
        texts_of(c, "#rules > .table-wrap tbody tr").await.len(),
        1,
        "a preview keeps nothing"
    );
    assert_accessible_on_phone(c, "programme setup with a preview").await;
    set_value(c, "f-document", &document("2027-07-01", json!(120000))).await;
    click_and_load(c, "#add-rules").await;
    wait_until("version 2 listed", || async {
        (texts_of(c, "#rules > .table-wrap tbody tr").await.len() == 2).then_some(())
    })
    .await;

    // The users page and a user's programmes, where staff join it.
    open(c, base, "/admin/users").await;
    assert_accessible_on_phone(c, "users").await;
    let link = wait_css(c, "a[href^='/admin/users/'][href$='/programmes']").await;
    link.click().await.expect("open a user's programmes");
    wait_css(c, "input[name='programme:be-2027']").await;
    assert_accessible_on_phone(c, "a user's programmes").await;

    // 4. Not for a counsellor.
    sign_out(c).await;
    sign_in(c, base, COUNSELLOR).await;
    open(c, base, "/admin/programmes/be-2027/setup").await;
    let body = visible_text(c).await;
    assert!(!body.contains("Fedasil"), "a counsellor sees no setup page");
    assert!(!present(c, "#add-rules").await);
}
