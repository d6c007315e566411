//! A family flown home, in a real browser (headless Chromium), on SQLite and
//! on PostgreSQL, with the CBSA webhook pointed at a receiver that is down
//! at first:
//!
//! 1. the counsellor books mother and son on two flights across North
//!    America's spring-forward night (a wrong ticket number first: the form
//!    comes back with its message and everything typed); the page shows
//!    each time in its airport's zone, the database holds the right UTC
//!    instants, and the 45-minute connection is flagged;
//! 2. the counsellor makes their travel letter (in French): a real PDF,
//!    kept with its hash;
//! 3. the family postpones; the counsellor records it with a reason and
//!    rebooks them on today's flight in place of the old booking;
//! 4. the departure confirmation is refused while the fitness checks are
//!    missing, then goes through: the case is departed;
//! 5. the CBSA officer who referred them finds the confirmation in the inbox
//!    and marks it read; CBSA cannot book or confirm;
//! 6. the webhook receiver, started only after the first attempts failed,
//!    gets exactly one accepted POST, signed with the shared secret over the
//!    exact body, naming the case, both travellers and the flight.
//!
//! Run: `cargo test -p homeward-e2e -- --test-threads=1`.

mod support;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Duration, Utc};
use fantoccini::Client;
use homeward_store::jobs::Backoff;
use homeward_store::{on_db, readiness, users, Store};
use homeward_web::jobs::{spawn_worker, verify, Shutdown, Wake, WebhookConfig, WorkerConfig};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use support::*;
use uuid::Uuid;

const CBSA: &str = "officer@cbsa.example";
const COUNSELLOR: &str = "c@iom.int";
const SECRET: &[u8] = b"the secret CBSA and IOM share";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn travel_and_departure_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn travel_and_departure_postgres() {
    journey(Db::Postgres).await;
}

/// What the webhook receiver saw: (status answered, signature header, body).
type Seen = Arc<Mutex<Vec<(u16, String, Bytes)>>>;

async fn hook(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let sig = headers
        .get("x-homeward-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    seen.lock().expect("receiver log").push((200, sig, body));
    StatusCode::OK
}

struct Ctx {
    base: String,
    store: Store,
    case_id: Uuid,
    mother: Uuid,
    son: Uuid,
    db: &'static str,
}

async fn journey(db: Db) {
    // The receiver's port is reserved but nobody listens yet: the first
    // attempts fail with a refused connection.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        l.local_addr().expect("port").port()
    };
    let webhook = WebhookConfig::new(&format!("http://127.0.0.1:{port}/cbsa/departures"), SECRET)
        .expect("webhook settings");
    let wake = Wake::default();
    let app = App::start_with(
        db,
        homeward_web::WebConfig {
            cbsa_webhook: Some(webhook.clone()),
            jobs_wake: wake.clone(),
            ..Default::default()
        },
    )
    .await;
    let shutdown = Shutdown::default();
    let worker = spawn_worker(
        app.store.clone(),
        WorkerConfig {
            poll_interval: std::time::Duration::from_millis(100),
            backoff: Backoff {
                base: std::time::Duration::from_millis(300),
                cap: std::time::Duration::from_secs(1),
            },
            webhook: Some(webhook),
            wake,
            shutdown: shutdown.clone(),
            ..Default::default()
        },
    );
    let cbsa = app.user(CBSA, "Jean Tremblay", "cbsa_officer", None).await;
    let couns = app
        .user(COUNSELLOR, "Amira", "counsellor", Some("toronto"))
        .await;
    let (case_id, mother, son) =
        homeward_store::testing::eligible_family(&app.store, &cbsa.actor(None), &couns.actor(None))
            .await;
    let ctx = Ctx {
        base: app.base.clone(),
        store: app.store.clone(),
        case_id,
        mother,
        son,
        db: db.name(),
    };
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    with_browser(&format!("{}-travel", db.name()), move |c| async move {
        steps(&c, &ctx, port, seen2).await;
    })
    .await;
    shutdown.trigger();
    let _ = worker.await;
    let delivered = seen.lock().expect("receiver log").len();
    assert_eq!(delivered, 1, "exactly one delivery reached the receiver");
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

fn local(t: chrono::DateTime<Utc>, tz: chrono_tz::Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// Fills segment row `n` of the booking form.
async fn segment(c: &Client, n: usize, fields: [&str; 6]) {
    let names = [
        "carrier",
        "flight_number",
        "from",
        "departs_local",
        "to",
        "arrives_local",
    ];
    for (name, value) in names.iter().zip(fields) {
        set_value(c, &format!("f-it-s{n}-{name}"), value).await;
    }
}

async fn steps(c: &Client, x: &Ctx, port: u16, seen: Seen) {
    let base = x.base.as_str();
    let case_path = format!("/cases/{}", x.case_id);
    let (m, s) = (x.mother, x.son);

    // 1. The booking across the spring-forward night.
    sign_in(c, base, COUNSELLOR).await;
    open(c, base, &case_path).await;
    assert_eq!(text_of(c, "#travel-h").await, "Travel");
    open_details(c, "#book").await;
    click(c, &format!("#f-it-traveller-{m}")).await;
    click(c, &format!("#f-it-traveller-{s}")).await;
    type_into(c, &format!("f-it-ticket-{m}"), "0142345678901").await;
    type_into(c, &format!("f-it-ticket-{s}"), "01423").await;
    // Airports are found as you type, by city, accents or not.
    type_into(c, "f-it-s1-to", "budap").await;
    wait_css(c, "#airport-list option[value='BUD']").await;
    type_into(c, "f-it-s0-to", "frankf").await;
    wait_css(c, "#airport-list option[value='FRA']").await;
    segment(
        c,
        0,
        [
            "AC",
            "876",
            "YYZ",
            "2027-03-13T22:00",
            "FRA",
            "2027-03-14T12:00",
        ],
    )
    .await;
    segment(
        c,
        1,
        [
            "LH",
            "1334",
            "FRA",
            "2027-03-14T12:45",
            "BUD",
            "2027-03-14T14:15",
        ],
    )
    .await;
    type_into(c, "f-it-booking_reference", "k7xq2m").await;
    type_into(c, "f-it-fare", "2 310.40").await;
    type_into(c, "f-it-fare_currency", "CAD").await;
    click(c, "#f-it-arrival_reception").await;
    click_and_load(c, "#book-submit").await;
    let alert = text_of(c, "#booking-errors").await;
    assert!(
        alert.contains("A ticket number has 13 digits"),
        "the bad ticket is named: {alert:?}"
    );
    assert_eq!(value_of(c, &format!("f-it-ticket-{s}")).await, "01423");
    assert_eq!(
        value_of(c, "f-it-s1-to").await,
        "BUD",
        "the flights are kept"
    );
    assert!(
        !present(c, "#travel article.itinerary").await,
        "nothing booked"
    );
    type_into(c, &format!("f-it-ticket-{s}"), "0142345678902").await;
    click_and_load(c, "#book-submit").await;
    let flights = text_of(c, "#travel article.itinerary table.segments").await;
    assert!(
        flights.contains("2027-03-13 22:00 America/Toronto")
            && flights.contains("2027-03-14 12:00 Europe/Berlin")
            && flights.contains("2027-03-14 14:15 Europe/Budapest"),
        "each time in its airport's zone: {flights:?}"
    );
    assert!(text_of(c, "#travel article.itinerary")
        .await
        .contains("Short connection"));
    let first: (chrono::DateTime<Utc>, chrono::DateTime<Utc>) = on_db!(&x.store.db, p => sqlx::query_as(
        "SELECT s.departs_at, s.arrives_at FROM itinerary_segments s JOIN itineraries i ON i.id = s.itinerary_id \
         WHERE i.case_id = $1 AND s.position = 1")
        .bind(x.case_id).fetch_one(p).await)
    .expect("the first flight");
    assert_eq!(
        first.0.to_rfc3339(),
        "2027-03-14T03:00:00+00:00",
        "22:00 EST"
    );
    assert_eq!(
        first.1.to_rfc3339(),
        "2027-03-14T11:00:00+00:00",
        "12:00 CET"
    );
    assert_no_raw_keys(c, "the booked case page").await;

    // 2. The travel letter, in French.
    choose(c, "#f-let-kind", "travel-letter").await;
    choose(c, "#f-let-lang", "fr").await;
    click_and_load(c, "#make-letter").await;
    let link = text_of(c, "#letters a.letter-link[data-kind='travel-letter']").await;
    assert_eq!(link, "Travel letter");
    let (pdf, sha): (Vec<u8>, String) = on_db!(&x.store.db, p => sqlx::query_as(
        "SELECT content, sha256 FROM letters WHERE case_id = $1 AND kind = 'travel-letter' AND lang = 'fr'")
        .bind(x.case_id).fetch_one(p).await)
    .expect("the stored letter");
    assert!(pdf.starts_with(b"%PDF-") && sha.len() == 64);
    screenshot(c, &format!("{}-travel-1-booked.png", x.db)).await;

    // 3. Postponed, then rebooked for today in place of the old booking.
    let old_id = wait_css(c, "#travel article.itinerary")
        .await
        .attr("id")
        .await
        .expect("an id")
        .expect("the itinerary's id")
        .trim_start_matches("itinerary-")
        .to_string();
    choose(c, &format!("#change-kind-{old_id}"), "postponed").await;
    type_into(c, &format!("change-reason-{old_id}"), "Bence has a fever").await;
    click_and_load(
        c,
        &format!("#itinerary-{old_id} form[action*='/change'] button"),
    )
    .await;
    assert_eq!(
        text_of(c, &format!("#itinerary-{old_id} .badge")).await,
        "Postponed"
    );
    homeward_store::cases::transition(
        &x.store,
        &users::by_email(&x.store, COUNSELLOR)
            .await
            .expect("db")
            .expect("counsellor")
            .actor(None),
        x.case_id,
        "preparing_departure",
        None,
        None,
    )
    .await
    .expect("preparing departure");
    open(c, base, &case_path).await;
    let dep = Utc::now() + Duration::minutes(90);
    let arr = dep + Duration::hours(9);
    open_details(c, "#book").await;
    click(c, &format!("#f-it-traveller-{m}")).await;
    click(c, &format!("#f-it-traveller-{s}")).await;
    segment(
        c,
        0,
        [
            "AC",
            "880",
            "YYZ",
            &local(dep, chrono_tz::America::Toronto),
            "BUD",
            &local(arr, chrono_tz::Europe::Budapest),
        ],
    )
    .await;
    choose(c, "#f-it-replaces", &old_id).await;
    type_into(c, "f-it-reason", "Fever gone; next available flight").await;
    click_and_load(c, "#book-submit").await;
    assert_eq!(
        text_of(c, &format!("#itinerary-{old_id} .badge")).await,
        "Rebooked"
    );
    let new_id = wait_css(c, "#travel article.itinerary .badge[data-status='booked']")
        .await
        .find(fantoccini::Locator::XPath("ancestor::article"))
        .await
        .expect("its article")
        .attr("id")
        .await
        .expect("an id")
        .expect("the new itinerary's id")
        .trim_start_matches("itinerary-")
        .to_string();

    // 4. No departure without fitness checks within 72 hours of the flight.
    click_and_load(c, &format!("#confirm-departure-{new_id}")).await;
    let refused = text_of(c, "#departure-errors").await;
    assert!(
        refused.contains("Horváth, Bence") && refused.contains("72 hours"),
        "the missing fitness checks are named: {refused:?}"
    );
    assert_eq!(text_of(c, "#case-status").await, "Preparing departure");
    let actor = users::by_email(&x.store, COUNSELLOR)
        .await
        .expect("db")
        .expect("counsellor")
        .actor(None);
    for p in [m, s] {
        readiness::add_fitness(
            &x.store,
            &actor,
            x.case_id,
            &readiness::FitnessInput {
                person_id: Some(p),
                status: Some("fit".into()),
                checked_at: Some(Utc::now() - Duration::hours(30)),
                ..Default::default()
            },
        )
        .await
        .expect("fitness check");
    }
    open(c, base, &case_path).await;
    click_and_load(c, &format!("#confirm-departure-{new_id}")).await;
    assert_eq!(text_of(c, "#case-status").await, "Departed");
    assert!(present(c, &format!("#departed-{new_id}")).await);
    screenshot(c, &format!("{}-travel-2-departed.png", x.db)).await;
    sign_out(c).await;

    // 5. CBSA's inbox.
    sign_in(c, base, CBSA).await;
    click_and_load(c, "header nav a[href='/inbox']").await;
    let msg = text_of(c, "#inbox tbody tr.unread").await;
    assert!(
        msg.contains("Departure confirmed for case")
            && msg.contains("Horváth, Ágnes")
            && msg.contains("AC880"),
        "{msg:?}"
    );
    assert_no_raw_keys(c, "CBSA's inbox").await;
    click_and_load(c, "#inbox form[action$='/read'] button").await;
    assert!(!present(c, "#inbox tbody tr.unread").await);
    open(c, base, &case_path).await;
    assert!(!present(c, "#book").await, "CBSA does not book");
    assert!(
        !present(c, "form[action*='/departure']").await,
        "CBSA does not confirm departures"
    );
    sign_out(c).await;

    // 6. The receiver comes up after the first attempts failed.
    wait_until("two failed webhook attempts", || async {
        let n: i64 = on_db!(&x.store.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM job_attempts WHERE outcome = 'retry'").fetch_one(p).await)
        .ok()?;
        (n >= 2).then_some(())
    })
    .await;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .expect("the receiver's port is still free");
    let router = axum::Router::new()
        .route("/cbsa/departures", axum::routing::post(hook))
        .with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (sig, body) = wait_until("the webhook delivery", || async {
        let s = seen.lock().ok()?;
        s.first().map(|(_, sig, body)| (sig.clone(), body.clone()))
    })
    .await;
    assert!(
        verify(SECRET, &body, &sig),
        "signed over the exact body: {sig}"
    );
    assert!(!verify(b"another secret entirely", &body, &sig));
    let v: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(v["event"], "departure.confirmed");
    assert_eq!(v["flight"]["flight"], "AC880");
    assert_eq!(v["travellers"].as_array().map(Vec::len), Some(2));
    assert!(v["case_number"]
        .as_str()
        .is_some_and(|n| n.starts_with("TOR-")));
    // The worker records the attempt after the receiver has answered: wait
    // for that record rather than reading it while it still says running.
    let outcomes: Vec<String> = wait_until("the delivered attempt recorded", || async {
        let o: Vec<String> = on_db!(&x.store.db, p => sqlx::query_scalar(
            "SELECT outcome FROM job_attempts ORDER BY attempt").fetch_all(p).await)
        .ok()?;
        (o.last().map(String::as_str) != Some("running")).then_some(o)
    })
    .await;
    assert_eq!(outcomes.last().map(String::as_str), Some("ok"));
    assert!(outcomes.len() >= 3, "{outcomes:?}");
    // Give a stray duplicate the time to show up; none may.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
}
