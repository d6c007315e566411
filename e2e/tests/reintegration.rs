//! A returned family's reintegration, in a real browser (headless Chromium),
//! on SQLite and on PostgreSQL:
//!
//! 1. the mission officer in Hungary confirms the arrival, registers a
//!    vendor, and builds the plan; the supervisor approves it;
//! 2. the mission officer requests an in-kind purchase (a negative price
//!    first: refused with its message, everything typed kept);
//! 3. finance approves it and records the payment with the receipt's scan;
//!    the mission officer confirms the delivery; the ledger adds up;
//! 4. the mission officer records three follow-ups and two RSS surveys, and
//!    the scores show over time;
//! 5. the mission officer closes the case with a reason.
//!
//! Run: `cargo test -p homeward-e2e --test reintegration -- --test-threads=1`.

mod support;

use fantoccini::Client;
use homeward_store::{on_db, Store};
use support::*;
use uuid::Uuid;

const CBSA: &str = "officer@cbsa.example";
const COUNSELLOR: &str = "c@iom.int";
const MISSION: &str = "hu@iom.int";
const FINANCE: &str = "fin@iom.int";
const SUPERVISOR: &str = "sup@iom.int";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reintegration_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reintegration_postgres() {
    journey(Db::Postgres).await;
}

struct Ctx {
    base: String,
    store: Store,
    case_id: Uuid,
}

async fn journey(db: Db) {
    let app = App::start(db).await;
    let cbsa = app.user(CBSA, "Jean Tremblay", "cbsa_officer", None).await;
    let couns = app
        .user(COUNSELLOR, "Amira", "counsellor", Some("toronto"))
        .await;
    app.mission_officer(MISSION, "Katalin Nagy", "HU").await;
    app.user(FINANCE, "Farid Haddad", "finance", None).await;
    app.user(SUPERVISOR, "Sofia Rossi", "supervisor", None)
        .await;
    let (case_id, _, _) =
        homeward_store::testing::eligible_family(&app.store, &cbsa.actor(None), &couns.actor(None))
            .await;
    // The flight is the travel test's subject: the family has left.
    on_db!(&app.store.db, p => sqlx::query("UPDATE cases SET status = 'departed' WHERE id = $1")
        .bind(case_id).execute(p).await.map(|_| ()))
    .expect("the case departs");
    let ctx = Ctx {
        base: app.base.clone(),
        store: app.store.clone(),
        case_id,
    };
    with_browser(
        &format!("{}-reintegration", db.name()),
        move |c| async move {
            steps(&c, &ctx).await;
        },
    )
    .await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).expect("count")
}

/// A receipt scan: a small PNG in a temporary file the browser uploads.
fn receipt_file() -> std::path::PathBuf {
    const PNG: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44,
        0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F,
        0x15, 0xC4, 0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00,
        0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49,
        0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    let p = std::env::temp_dir().join(format!("receipt-{}.png", Uuid::new_v4()));
    std::fs::write(&p, PNG).expect("write the receipt scan");
    p
}

/// Records a follow-up held today.
async fn followup(c: &Client, today: &str, outcome: &str, mode: &str, notes: &str) {
    open_details(c, "#record-followup").await;
    set_value(c, "f-fu-held_on", today).await;
    choose(c, "#f-fu-outcome", outcome).await;
    choose(c, "#f-fu-contact_mode", mode).await;
    type_into(c, "f-fu-notes", notes).await;
    click_and_load(c, "form[action*='/followups'] button[type='submit']").await;
}

/// Records a survey answering each question with its `n`-th option.
async fn survey(c: &Client, today: &str, n: usize) {
    open_details(c, "#record-survey").await;
    set_value(c, "f-sv-surveyed_on", today).await;
    let selects = texts_of(c, "#record-survey select").await.len();
    assert_eq!(selects, 15, "the 15 RSS indicators");
    c.execute(
        "document.querySelectorAll('#record-survey select').forEach(s => { s.selectedIndex = Math.min(arguments[0] + 1, s.options.length - 1); });",
        vec![serde_json::json!(n)],
    )
    .await
    .expect("answer the survey");
    click_and_load(c, "form[action*='/surveys'] button[type='submit']").await;
}

async fn steps(c: &Client, x: &Ctx) {
    let base = x.base.as_str();
    let case_path = format!("/cases/{}", x.case_id);
    let today = chrono::Utc::now().date_naive().to_string();

    // 1. Arrival, a vendor, the plan.
    sign_in(c, base, MISSION).await;
    open(c, base, &case_path).await;
    assert_eq!(text_of(c, "#reint-h").await, "Reintegration");
    set_value(c, "f-arr-arrived_on", &today).await;
    type_into(c, "f-arr-place", "Budapest Liszt Ferenc airport").await;
    click_and_load(c, "#confirm-arrival").await;
    assert!(text_of(c, "#arrival").await.contains("Budapest"));
    assert_eq!(
        texts_of(c, "#followup-table tbody tr").await.len(),
        4,
        "follow-ups on arrival, at 3, 6 and 12 months"
    );
    open(c, base, "/vendors").await;
    type_into(c, "f-name", "Kovács Bútor Kft.").await;
    assert_eq!(
        value_of(c, "f-country").await,
        "HU",
        "the mission's own country"
    );
    click(c, &by_id("f-category.housing")).await;
    click(c, &by_id("f-category.daily_necessities")).await;
    click_and_load(c, "#add-vendor").await;
    assert!(text_of(c, "#vendor-table")
        .await
        .contains("Kovács Bútor Kft."));
    open(c, base, &case_path).await;
    open_details(c, "#add-component").await;
    choose(c, "#f-pc-dimension", "economic").await;
    choose(c, "#f-pc-category", "housing").await;
    type_into(c, "f-pc-budget", "900").await;
    type_into(c, "f-pc-description", "Furniture for the flat in Miskolc").await;
    click_and_load(c, "form[action*='/plan/components'] button[type='submit']").await;
    assert!(text_of(c, "#plan-total").await.contains("900"));
    sign_out(c).await;
    sign_in(c, base, SUPERVISOR).await;
    open(c, base, &case_path).await;
    click_and_load(c, "#approve-plan").await;
    assert_eq!(text_of(c, "#plan .badge").await, "Approved");
    sign_out(c).await;

    // 2. A purchase request; a negative price is refused and nothing is lost.
    sign_in(c, base, MISSION).await;
    open(c, base, &case_path).await;
    open_details(c, "#request-purchase").await;
    choose(c, "#f-pu-category", "housing").await;
    let vendor = c
        .execute(
            "return document.querySelector('#f-pu-vendor_id').options[1].value",
            vec![],
        )
        .await
        .expect("a vendor to choose");
    choose(c, "#f-pu-vendor_id", vendor.as_str().expect("vendor id")).await;
    type_into(c, "f-pu-amount", "-150000").await;
    type_into(c, "f-pu-currency", "HUF").await;
    type_into(c, "f-pu-rate", "0.0037").await;
    type_into(c, "f-pu-rate_source", "Magyar Nemzeti Bank").await;
    set_value(c, "f-pu-rate_date", &today).await;
    type_into(c, "f-pu-description", "Bed, mattress and a wardrobe").await;
    click_and_load(c, "form[action*='/purchases'] button[type='submit']").await;
    assert!(text_of(c, "#purchase-errors")
        .await
        .contains("cannot be negative"));
    assert_eq!(
        value_of(c, "f-pu-description").await,
        "Bed, mattress and a wardrobe"
    );
    assert_eq!(count(&x.store, "purchases").await, 0);
    type_into(c, "f-pu-amount", "150000").await;
    click_and_load(c, "form[action*='/purchases'] button[type='submit']").await;
    assert_eq!(text_of(c, ".purchase .badge").await, "Requested");
    sign_out(c).await;

    // 3. Finance approves and pays with the receipt; the mission confirms delivery.
    sign_in(c, base, FINANCE).await;
    open(c, base, &case_path).await;
    assert!(
        !present(c, "#followups").await,
        "finance sees no follow-ups"
    );
    click(c, "details[id^='confirm-approved-'] > summary").await;
    click_and_load(c, "button[id^='purchase-approved-']").await;
    assert_eq!(text_of(c, ".purchase .badge").await, "Approved");
    let receipt = receipt_file();
    wait_css(c, "input[id^='receipt-file-']")
        .await
        .send_keys(receipt.to_str().expect("path"))
        .await
        .expect("choose the receipt");
    click_and_load(c, "button[id^='purchase-pay-']").await;
    assert_eq!(text_of(c, ".purchase .badge").await, "Paid");
    assert!(present(c, "a[id^='receipt-']").await);
    let _ = std::fs::remove_file(receipt);
    let ledger = text_of(c, "#ledger-table").await;
    assert!(
        ledger.contains("555.00"),
        "150,000 HUF at 0.0037 is CAD 555.00: {ledger}"
    );
    sign_out(c).await;
    sign_in(c, base, MISSION).await;
    open(c, base, &case_path).await;
    click_and_load(c, "button[id^='purchase-delivered-']").await;
    assert_eq!(text_of(c, ".purchase .badge").await, "Delivered");

    // 4. Three follow-ups and two surveys.
    followup(c, &today, "reached", "in_person", "Settled in the flat").await;
    followup(c, &today, "not_reached", "phone", "No answer").await;
    followup(c, &today, "reached", "phone", "Working at the bakery").await;
    let outcomes = texts_of(c, "#followup-table tbody tr").await;
    assert_eq!(
        outcomes.iter().filter(|r| r.contains("Reached")).count(),
        2,
        "{outcomes:?}"
    );
    survey(c, &today, 1).await;
    survey(c, &today, 0).await;
    let rows = texts_of(c, "#survey-table tbody tr").await;
    assert_eq!(rows.len(), 2, "scores over time");
    assert!(rows[1].contains("1.00"), "scores from 0 to 1: {rows:?}");
    assert_eq!(count(&x.store, "rss_surveys").await, 2);

    // 5. Closure with a reason.
    choose(c, "#f-cl-reason", "support_period_ended").await;
    type_into(c, "f-cl-note", "Twelve months of support completed").await;
    click(c, "#confirm-close > summary").await;
    click_and_load(c, "#close-case").await;
    assert!(text_of(c, "#closure-history")
        .await
        .contains("Support period ended"));
    assert!(
        text_of(c, ".timeline")
            .await
            .contains("Support period ended"),
        "the timeline says the reason in words"
    );
    assert!(present(c, "#reopen-case").await);
    full_page_screenshot(c, "reintegration-closed-case.png").await;
}
