//! Throw-away databases for tests: a temporary SQLite file, or a fresh
//! PostgreSQL database on the server named by `HOMEWARD_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`).

use crate::{HashCost, Store};
use sqlx::Connection;
use uuid::Uuid;

/// The PostgreSQL server used to create test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("HOMEWARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A new, migrated SQLite database in a temporary file. Returns the store and its URL.
pub async fn sqlite() -> (Store, String) {
    let path = std::env::temp_dir().join(format!("homeward-test-{}.db", Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    (open(&url).await, url)
}

/// A new, migrated PostgreSQL database. Returns the store and its URL.
pub async fn postgres() -> (Store, String) {
    let admin = postgres_admin_url();
    let name = format!("homeward_test_{}", Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must run for the tests ({admin}): {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .expect("create test database");
    let _ = c.close().await;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    let url = format!("{base}/{name}");
    (open(&url).await, url)
}

/// Connects to `url` with cheap password hashing and migrates it.
pub async fn open(url: &str) -> Store {
    let mut s = Store::connect(url).await.expect("connect");
    s.hash_cost = HashCost::Cheap;
    s.keys = std::sync::Arc::new(crate::crypto::Keyring::random());
    s.data_dir = std::env::temp_dir().join(format!("homeward-test-data-{}", Uuid::new_v4()));
    s.migrate().await.expect("migrate");
    s.with_training_rules()
}

/// Runs the same async test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:ident, url) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, url) = $crate::testing::sqlite().await;
                super::$body(store, url).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (store, url) = $crate::testing::postgres().await;
                super::$body(store.clone(), url).await;
                store.close().await;
            }
        }
    };
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _) = $crate::testing::sqlite().await;
                super::$body(store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (store, _) = $crate::testing::postgres().await;
                super::$body(store.clone()).await;
                store.close().await;
            }
        }
    };
}

/// CBSA's referral of `given` Horváth to Hungary: a failed claim of 2012,
/// every fact the pilot asks for recorded.
pub fn hungarian_referral(given: &str) -> crate::cases::CaseInput {
    use homeward_domain::person::PersonInput;
    use homeward_domain::referral::ReferralInput;
    crate::cases::CaseInput {
        principal: Some(PersonInput {
            family_name: Some("Horváth".into()),
            given_names: Some(given.into()),
            ..Default::default()
        }),
        country_of_return: Some("HU".into()),
        referral: Some(ReferralInput {
            claim_filed_on: Some("2012-03-01".into()),
            claim_outcome: Some("rejected".into()),
            irb_decided_on: Some("2012-06-01".into()),
            designated_country_of_origin: Some(false),
            compliant_with_conditions: Some(true),
            criminality: Some("none".into()),
            residence_region: Some("GTA".into()),
            prior_avrr_assistance: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Puts case `id` in `status`, written directly, without the workflow's
/// checks (a test's setting).
pub async fn set_status(store: &Store, id: Uuid, status: &str) {
    crate::on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = $1 WHERE id = $2")
        .bind(status).bind(id).execute(p).await.map(|_| ()))
    .expect("status");
}

/// A Hungarian housing vendor registered by `mission`, and a purchase of
/// `amount` CAD from it requested on case `id` (returned or later):
/// something for finance to decide. Returns the purchase.
pub async fn housing_purchase(
    store: &Store,
    mission: &crate::Actor,
    id: Uuid,
    amount: &str,
) -> crate::purchases::Purchase {
    use homeward_domain::reintegration::{PurchaseRequestInput, VendorInput};
    let vendor = crate::vendors::create(
        store,
        mission,
        &VendorInput {
            name: Some("Debreceni Lakás Kft.".into()),
            country: Some("HU".into()),
            categories: vec!["housing".into()],
            contact: None,
        },
    )
    .await
    .expect("vendor")
    .id;
    crate::purchases::request(
        store,
        mission,
        id,
        &PurchaseRequestInput {
            category: Some("housing".into()),
            description: Some("First month's rent".into()),
            amount: Some(amount.into()),
            currency: Some("CAD".into()),
            vendor_id: Some(vendor),
            ..Default::default()
        },
    )
    .await
    .expect("purchase")
}

/// Gives the mission of the case's country its part in it, as the test's
/// setting (issue 22): the case prepares departure and its principal
/// consents to share with the mission. Written directly, without the
/// workflow's checks.
pub async fn give_mission_its_part(store: &Store, case_id: Uuid) {
    set_status(store, case_id, "preparing_departure").await;
    crate::on_db!(&store.db, p => sqlx::query(
        "INSERT INTO consents (id, case_id, person_id, purpose, given_at) \
         SELECT $1, id, principal_person_id, 'share_with_mission', $2 FROM cases WHERE id = $3")
        .bind(Uuid::new_v4()).bind(crate::now()).bind(case_id).execute(p).await.map(|_| ()))
    .expect("consent");
}

/// A family (mother and son, Horváth) referred by `cbsa` and taken through
/// counselling, application and CBSA's approval by `counsellor`, with valid
/// passports and the mother's consent to health data and to share with the
/// mission: ready for flights to be booked.
/// Returns (case id, mother's person id, son's person id).
pub async fn eligible_family(
    store: &Store,
    cbsa: &crate::Actor,
    counsellor: &crate::Actor,
) -> (Uuid, Uuid, Uuid) {
    use crate::{attachments, cases, consents, readiness};
    use homeward_domain::person::PersonInput;
    let input = hungarian_referral("Ágnes");
    let id = cases::create(store, cbsa, &input)
        .await
        .expect("refer")
        .summary
        .id;
    cases::transition(store, counsellor, id, "intake", None, None)
        .await
        .expect("intake");
    let child = PersonInput {
        family_name: Some("Horváth".into()),
        given_names: Some("Bence".into()),
        date_of_birth: Some("2015-01-01".into()),
        ..Default::default()
    };
    let d = cases::add_member(store, counsellor, id, "child", &child)
        .await
        .expect("add the son");
    let (mother, son) = (d.members[0].person.id, d.members[1].person.id);
    cases::transition(store, counsellor, id, "counselling", None, None)
        .await
        .expect("counselling");
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
    attachments::add(store, counsellor, id, "declaration", "d.pdf", pdf)
        .await
        .expect("declaration");
    cases::transition(store, counsellor, id, "applied", None, None)
        .await
        .expect("apply");
    cases::transition(store, cbsa, id, "eligible", None, None)
        .await
        .expect("approve");
    for (p, n) in [(mother, "HU1234567"), (son, "HU7654321")] {
        readiness::add_document(
            store,
            counsellor,
            id,
            &readiness::DocumentInput {
                person_id: Some(p),
                kind: Some("passport".into()),
                number: Some(n.into()),
                issuing_country: Some("HU".into()),
                expires_on: Some("2031-01-01".into()),
                ..Default::default()
            },
        )
        .await
        .expect("passport");
    }
    for purpose in ["collect_health_data", "share_with_mission"] {
        consents::give(store, counsellor, id, purpose)
            .await
            .expect("consent");
    }
    (id, mother, son)
}

/// A user of `role` (team "t") who signs in with "a long test password",
/// as the actor the store's use cases take.
pub async fn user(store: &Store, email: &str, role: &str, country: Option<&str>) -> crate::Actor {
    crate::users::create(
        store,
        None,
        &crate::users::NewUser {
            email: email.into(),
            name: email.into(),
            role: role.into(),
            team: Some("t".into()),
            country: country.map(Into::into),
            language: None,
            password: "a long test password".into(),
            programmes: Vec::new(),
        },
    )
    .await
    .expect("create a test user")
    .actor(None)
}

/// `actor`'s user also works in programme `code` (as an admin would have
/// set it); the actor as the store now builds it.
pub async fn join_programme(store: &Store, actor: &crate::Actor, code: &str) -> crate::Actor {
    let p = crate::programmes::by_code(store, code)
        .await
        .expect("the programme");
    crate::on_db!(&store.db, c => sqlx::query(
        "INSERT INTO user_programmes (user_id, programme_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
        .bind(actor.user_id).bind(p.id).execute(c).await.map(|_| ()))
    .expect("join the programme");
    crate::users::get(store, actor.user_id)
        .await
        .expect("the user")
        .actor(None)
}
