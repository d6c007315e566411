//! Reintegration purchases on SQLite and PostgreSQL: four eyes, bad input
//! refused with nothing written, and the entitlement cap holding while many
//! approvals race on separate connections (as on several processes).

use homeward_domain::reintegration::PurchaseRequestInput;
use homeward_store::testing::{self, user};
use homeward_store::{both_databases, on_db, purchases, Actor, Error, Store};
use uuid::Uuid;

/// A family returned to Hungary with a CAD 2,000.00 entitlement.
async fn returned_case(store: &Store) -> (Uuid, Actor, Actor, Actor, Actor) {
    let cbsa = user(store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(store, "c@iom.int", "counsellor", None).await;
    let hu = user(store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let fin = user(store, "fin@iom.int", "finance", None).await;
    let (id, _, _) = testing::eligible_family(store, &cbsa, &c).await;
    // The departure itself is tested with travel; here the case has returned.
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'reintegrating' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    (id, hu, fin, cbsa, c)
}

fn cad(amount: &str) -> PurchaseRequestInput {
    PurchaseRequestInput {
        category: Some("housing".into()),
        description: Some("Three months' rent, Debrecen".into()),
        amount: Some(amount.into()),
        currency: Some("CAD".into()),
        ..Default::default()
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn four_eyes_and_bad_input(store: Store) {
    let (id, hu, fin, cbsa, c) = returned_case(&store).await;
    // Local currency at a recorded rate: HUF 150,000 at 0.0038 CAD.
    let p = purchases::request(
        &store,
        &hu,
        id,
        &PurchaseRequestInput {
            category: Some("daily_necessities".into()),
            description: Some("Furniture and kitchen equipment".into()),
            amount: Some("150000".into()),
            currency: Some("HUF".into()),
            rate: Some("0.0038".into()),
            rate_source: Some("Magyar Nemzeti Bank".into()),
            rate_date: Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (p.programme_minor, p.programme_currency.as_str()),
        (57_000, "CAD")
    );
    assert_eq!(
        p.rate_numerator * 10_000,
        38 * p.rate_denominator,
        "0.0038 kept exactly"
    );
    // Bad input: nothing written.
    let before = count(&store, "purchases").await;
    for (input, field, code) in [
        (cad("-5"), "amount", "negative-amount"),
        (
            PurchaseRequestInput {
                currency: Some("XYZ".into()),
                ..cad("10")
            },
            "currency",
            "unknown-currency",
        ),
        (
            PurchaseRequestInput {
                currency: Some("HUF".into()),
                rate: Some("0".into()),
                rate_source: Some("bank".into()),
                rate_date: Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
                ..cad("1000")
            },
            "rate",
            "rate-zero",
        ),
    ] {
        let Err(Error::Invalid(inv)) = purchases::request(&store, &hu, id, &input).await else {
            panic!("accepted {input:?}")
        };
        assert_eq!(inv.for_field(field), Some(code), "{inv:?}");
    }
    assert_eq!(count(&store, "purchases").await, before);
    // Who may: CBSA and counsellors see none of it; only the mission requests.
    for a in [&cbsa, &c] {
        assert!(matches!(
            purchases::list(&store, a, id).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            purchases::request(&store, a, id, &cad("10")).await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        purchases::request(&store, &fin, id, &cad("10")).await,
        Err(Error::Forbidden)
    ));
    let other = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    assert!(matches!(
        purchases::list(&store, &other, id).await,
        Err(Error::NotFound)
    ));
    // The mission may not approve; finance approves, then pays only with a receipt.
    let Err(Error::Invalid(inv)) =
        purchases::decide(&store, &hu, p.id, "approved", None, None).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("to"), Some("purchase-transition-forbidden"));
    let a = purchases::decide(&store, &fin, p.id, "approved", None, Some(p.version))
        .await
        .unwrap();
    assert_eq!(a.status, "approved");
    assert_eq!(a.decided_by, Some(fin.user_id));
    let Err(Error::Invalid(inv)) = purchases::decide(&store, &fin, p.id, "paid", None, None).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("to"), Some("receipt-required"));
    // Stale versions lose cleanly.
    assert!(matches!(
        purchases::decide(
            &store,
            &fin,
            p.id,
            "cancelled",
            Some("vendor closed"),
            Some(p.version)
        )
        .await,
        Err(Error::Conflict)
    ));
    let l = purchases::ledger(&store, &fin, id).await.unwrap().unwrap();
    assert_eq!((l.committed.minor, l.remaining.minor), (57_000, 143_000));
}
both_databases!(purchase_rules, four_eyes_and_bad_input);

/// A finance officer who is also... requested nothing: four eyes is about the
/// person, so a requester with both hats is refused.
async fn nobody_approves_their_own_request(store: Store) {
    let (id, hu, _fin, _, _) = returned_case(&store).await;
    let p = purchases::request(&store, &hu, id, &cad("100"))
        .await
        .unwrap();
    // The requester's account becomes finance (a role change): still refused.
    on_db!(&store.db, c => sqlx::query("UPDATE users SET role = 'finance' WHERE id = $1")
        .bind(hu.user_id).execute(c).await.map(|_| ()))
    .unwrap();
    let same_person = Actor {
        role: homeward_domain::Role::Finance,
        ..hu.clone()
    };
    let Err(Error::Invalid(inv)) =
        purchases::decide(&store, &same_person, p.id, "approved", None, None).await
    else {
        panic!("approved their own request")
    };
    assert_eq!(inv.for_field("to"), Some("four-eyes"));
}
both_databases!(own_request, nobody_approves_their_own_request);

async fn the_cap_holds_under_racing_approvals(store: Store) {
    let (id, hu, fin, _, _) = returned_case(&store).await;
    // Ten requests of CAD 500.00 against CAD 2,000.00: four can be approved.
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(
            purchases::request(&store, &hu, id, &cad("500"))
                .await
                .unwrap()
                .id,
        );
    }
    let url = match &store.db {
        homeward_store::Db::Sqlite(p) => {
            format!("sqlite://{}", p.connect_options().get_filename().display())
        }
        homeward_store::Db::Postgres(_) => std::env::var("HOMEWARD_RACE_URL").unwrap_or_default(),
    };
    // Each approval on its own pool, as if from its own process, all let go
    // at the same moment.
    let mut stores = Vec::new();
    for _ in &ids {
        stores.push(if url.is_empty() {
            store.clone()
        } else {
            testing::open(&url).await
        });
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(ids.len()));
    let mut tasks = Vec::new();
    for (pid, store) in ids.into_iter().zip(stores) {
        let fin = fin.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            purchases::decide(&store, &fin, pid, "approved", None, None).await
        }));
    }
    let mut approved = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(p) => {
                assert_eq!(p.status, "approved");
                approved += 1;
            }
            Err(Error::Invalid(inv)) => {
                assert_eq!(
                    inv.for_field("amount"),
                    Some("purchase-exceeds-entitlement")
                );
                refused += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((approved, refused), (4, 6));
    let total: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(programme_minor), 0) AS BIGINT) FROM purchases WHERE case_id = $1 AND status = 'approved'")
        .bind(id).fetch_one(p).await)
    .unwrap();
    assert_eq!(total, 200_000);
    let l = purchases::ledger(&store, &fin, id).await.unwrap().unwrap();
    assert_eq!(l.remaining.minor, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cap_race_sqlite() {
    let (store, _) = testing::sqlite().await;
    the_cap_holds_under_racing_approvals(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cap_race_postgres() {
    let (store, url) = testing::postgres().await;
    std::env::set_var("HOMEWARD_RACE_URL", &url);
    the_cap_holds_under_racing_approvals(store).await;
}
