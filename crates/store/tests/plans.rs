//! Arrival and the reintegration plan on SQLite and PostgreSQL: who may,
//! the plan within the entitlement, approval by a supervisor.

use homeward_domain::reintegration::{ArrivalInput, PlanComponentInput};
use homeward_store::testing::{self, user};
use homeward_store::{both_databases, cases, on_db, plans, Error, Store};

fn part(category: &str, dimension: &str, budget: &str) -> PlanComponentInput {
    PlanComponentInput {
        dimension: Some(dimension.into()),
        category: Some(category.into()),
        description: Some("As agreed with the returnee".into()),
        budget: Some(budget.into()),
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn arrival_and_plan(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let mx = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    let sup = user(&store, "sup@iom.int", "supervisor", None).await;
    let (id, _, _) = testing::eligible_family(&store, &cbsa, &c).await;
    let today = chrono::Utc::now().date_naive();
    let arrival = ArrivalInput {
        arrived_on: Some(today),
        place: Some("Budapest Liszt Ferenc airport".into()),
    };
    // Not before the case has departed (preparing departure, the mission
    // already sees it).
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'preparing_departure' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    let Err(Error::Invalid(inv)) = plans::confirm_arrival(&store, &hu, id, &arrival).await else {
        panic!()
    };
    assert_eq!(inv.for_field("case"), Some("case-not-departed"));
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'departed' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    // Only the mission of the country of return; bad dates refused.
    assert!(matches!(
        plans::confirm_arrival(&store, &mx, id, &arrival).await,
        Err(Error::NotFound)
    ));
    for a in [&cbsa, &c, &sup] {
        assert!(matches!(
            plans::confirm_arrival(&store, a, id, &arrival).await,
            Err(Error::Forbidden)
        ));
    }
    let Err(Error::Invalid(inv)) = plans::confirm_arrival(
        &store,
        &hu,
        id,
        &ArrivalInput {
            arrived_on: Some(today + chrono::Duration::days(2)),
            place: None,
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("arrived_on"), Some("in-the-future"));
    assert_eq!(inv.for_field("place"), Some("required"));
    // No components before arrival.
    assert!(matches!(
        plans::add_component(&store, &hu, id, &part("housing", "economic", "800")).await,
        Err(Error::Invalid(_))
    ));
    let a = plans::confirm_arrival(&store, &hu, id, &arrival)
        .await
        .unwrap();
    assert_eq!(a.arrived_on, today);
    assert_eq!(
        cases::summary(&store, &hu, id).await.unwrap().status,
        "reintegrating"
    );

    // The plan is due 30 days after arrival, in the mission's task list.
    let due: Vec<_> = homeward_store::tasks::list(&store, &hu, chrono::Utc::now(), today)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == "plan-due" && t.case_id == id)
        .collect();
    assert_eq!(due.len(), 1);
    assert_eq!(
        due[0].due.map(|d| d.date_naive()),
        Some(today + chrono::Duration::days(30))
    );
    assert!(
        homeward_store::tasks::list(&store, &mx, chrono::Utc::now(), today)
            .await
            .unwrap()
            .is_empty()
    );
    // The plan: CAD 2,000.00 at most.
    plans::add_component(&store, &hu, id, &part("housing", "economic", "800"))
        .await
        .unwrap();
    let p = plans::add_component(
        &store,
        &hu,
        id,
        &part("daily_necessities", "economic", "700"),
    )
    .await
    .unwrap();
    assert_eq!(p.total_minor, 150_000);
    assert_eq!(p.due_on, Some(today + chrono::Duration::days(30)));
    let before = count(&store, "plan_components").await;
    let Err(Error::Invalid(inv)) =
        plans::add_component(&store, &hu, id, &part("education", "social", "500.01")).await
    else {
        panic!("the plan went over the entitlement")
    };
    assert_eq!(inv.for_field("budget"), Some("plan-exceeds-entitlement"));
    for bad in [
        part("housing", "economic", "-5"),
        part("spaceship", "economic", "5"),
        part("housing", "economic", "ten"),
    ] {
        assert!(matches!(
            plans::add_component(&store, &hu, id, &bad).await,
            Err(Error::Invalid(_))
        ));
    }
    assert_eq!(count(&store, "plan_components").await, before);
    let p = plans::add_component(&store, &hu, id, &part("education", "social", "500"))
        .await
        .unwrap();
    assert_eq!(p.total_minor, 200_000, "exactly the entitlement is allowed");
    // Only a supervisor approves; a stale version loses.
    assert!(matches!(
        plans::approve(&store, &hu, id, p.version).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        plans::approve(&store, &sup, id, p.version - 1).await,
        Err(Error::Conflict)
    ));
    let ok = plans::approve(&store, &sup, id, p.version).await.unwrap();
    assert_eq!(ok.status, "approved");
    assert!(
        !homeward_store::tasks::list(&store, &hu, chrono::Utc::now(), today)
            .await
            .unwrap()
            .iter()
            .any(|t| t.kind == "plan-due")
    );
    assert!(matches!(
        plans::add_component(&store, &hu, id, &part("housing", "economic", "1")).await,
        Err(Error::Invalid(_))
    ));
    // CBSA and counsellors see none of it.
    for a in [&cbsa, &c] {
        assert!(matches!(
            plans::plan(&store, a, id).await,
            Err(Error::Forbidden)
        ));
    }
}
both_databases!(plan_flow, arrival_and_plan);
