//! The demo's reintegration data (`homeward_demo::returns::load`), on SQLite and
//! PostgreSQL, read back through the use cases as the demo users would:
//! arrivals and follow-ups on every case in reintegration or monitoring,
//! money within each entitlement, overdue follow-ups on the missions' task
//! lists, surveys scored between 0 and 1, closures of cases closed after
//! return, and the same data from the same seed.

use homeward_demo::cases as demo;
use homeward_demo::returns as demo_returns;
use homeward_store::{
    both_databases, cases, closure, followups, on_db, plans, purchases, surveys, tasks, testing,
    users, vendors, Actor, Store,
};
use uuid::Uuid;

async fn actor(store: &Store, email: &str) -> Actor {
    users::by_email(store, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email}"))
        .actor(None)
}

/// Case ids in these statuses (all, whatever the scope).
async fn cases_in(store: &Store, sql: &str) -> Vec<(Uuid, Option<String>)> {
    on_db!(&store.db, p => sqlx::query_as::<_, (Uuid, Option<String>)>(sql).fetch_all(p).await)
        .unwrap()
}

async fn loaded(store: &Store) -> demo_returns::DemoReturns {
    demo::load(store, 300, 2012, &mut |_| {}).await.unwrap();
    demo_returns::load(store, 2012).await.unwrap()
}

async fn the_demo_has_reintegration_data(store: Store) {
    let counts = loaded(&store).await;
    assert!(
        counts.vendors >= 2 && counts.arrivals > 0 && counts.purchases > 0,
        "{counts}"
    );
    assert!(
        counts.receipts > 0 && counts.surveys > 0 && counts.closures > 0,
        "{counts}"
    );
    let sup = actor(&store, "supervisor@homeward.test").await;
    let fin = actor(&store, "finance@homeward.test").await;
    let hu = actor(&store, "mission.hu@homeward.test").await;
    let co = actor(&store, "mission.co@homeward.test").await;

    // Every case in reintegration or monitoring has its arrival and schedule.
    let open = cases_in(
        &store,
        "SELECT id, country_of_return FROM cases WHERE status IN ('reintegrating', 'monitoring')",
    )
    .await;
    assert!(open.len() > 20, "{}", open.len());
    for (id, _) in &open {
        let a = plans::arrival(&store, &sup, *id).await.unwrap();
        assert!(a.is_some_and(|a| !a.place.is_empty()), "{id}");
        assert!(!followups::list(&store, &sup, *id).await.unwrap().is_empty());
    }
    // The HU mission sees its arrivals (not "Arrival not confirmed yet").
    let hu_open: Vec<Uuid> = open
        .iter()
        .filter(|(_, c)| c.as_deref() == Some("HU"))
        .map(|(id, _)| *id)
        .collect();
    assert!(!hu_open.is_empty());
    // ... those whose principal consented to share with it (most).
    let mut seen = 0;
    for id in &hu_open {
        match plans::arrival(&store, &hu, *id).await {
            Ok(a) => {
                assert!(a.is_some());
                seen += 1;
            }
            Err(homeward_store::Error::NotFound) => {
                assert!(
                    !homeward_store::consents::in_force(&store, *id, "share_with_mission")
                        .await
                        .unwrap()
                );
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    assert!(
        seen * 10 >= hu_open.len() * 8,
        "{seen} of {}",
        hu_open.len()
    );

    // Money: within the entitlement, the plan's total budgeted, paid with receipts.
    let returned = cases_in(
        &store,
        "SELECT id, country_of_return FROM cases WHERE status IN ('reintegrating', 'monitoring', 'closed')",
    )
    .await;
    let mut with_money = 0;
    for (id, _) in &returned {
        let Some(ledger) = purchases::ledger(&store, &fin, *id).await.unwrap() else {
            continue;
        };
        with_money += 1;
        assert!(ledger.remaining.minor >= 0, "{id}: {ledger:?}");
        let plan = plans::plan(&store, &fin, *id).await.unwrap();
        assert_eq!(ledger.budgeted.minor, plan.total_minor, "{id}");
        assert!(plan.total_minor <= ledger.entitlement.minor);
        for p in purchases::list(&store, &fin, *id).await.unwrap() {
            assert_ne!(Some(p.requested_by), p.decided_by, "four eyes");
            assert!(p.vendor_id.is_some());
            if matches!(p.status.as_str(), "paid" | "delivered") {
                let (a, bytes) = purchases::receipt(&store, &fin, p.id).await.unwrap();
                assert_eq!(a.content_type, "application/pdf");
                assert!(bytes.starts_with(b"%PDF"));
            }
        }
    }
    assert!(with_money > 20, "{with_money}");
    // The HU mission's vendors are Hungarian and priced in forints.
    let hu_vendors = vendors::list(&store, &hu, None, false).await.unwrap();
    assert!((2..=3).contains(&hu_vendors.len()));
    assert!(hu_vendors.iter().all(|v| v.country == "HU"));

    // Tasks: overdue follow-ups for the HU mission; only CO cases for CO's.
    let now = homeward_store::now();
    let hu_tasks = tasks::list(&store, &hu, now, now.date_naive())
        .await
        .unwrap();
    assert!(
        hu_tasks.iter().any(|t| t.kind == "followup-overdue"),
        "{:?}",
        hu_tasks.iter().map(|t| t.kind).collect::<Vec<_>>()
    );
    let co_tasks = tasks::list(&store, &co, now, now.date_naive())
        .await
        .unwrap();
    assert!(!co_tasks.is_empty());
    for t in &co_tasks {
        let c = cases::summary(&store, &sup, t.case_id).await.unwrap();
        assert_eq!(
            c.country_of_return.as_deref(),
            Some("CO"),
            "{}",
            t.case_number
        );
    }

    // Surveys of monitored and closed cases, scored between 0 and 1.
    let monitored = cases_in(
        &store,
        "SELECT id, country_of_return FROM cases WHERE status IN ('monitoring', 'closed')",
    )
    .await;
    let mut surveyed = 0;
    for (id, _) in &monitored {
        for s in surveys::list(&store, &sup, *id).await.unwrap() {
            surveyed += 1;
            for x in [s.economic, s.social, s.psychosocial, s.composite] {
                assert!((0.0..=1.0).contains(&x), "{id}: {x}");
            }
            assert_eq!(s.questionnaire, store.questionnaire.key());
            assert_eq!(s.answers.len(), store.questionnaire.indicators.len());
        }
    }
    assert!(surveyed > 0);

    // Closures of cases closed after return, with a reason code.
    let closed = cases_in(
        &store,
        "SELECT c.id, c.country_of_return FROM cases c WHERE c.status = 'closed' AND EXISTS \
         (SELECT 1 FROM case_transitions t WHERE t.case_id = c.id AND t.to_status = 'closed' \
          AND t.from_status IN ('reintegrating', 'monitoring'))",
    )
    .await;
    assert!(!closed.is_empty());
    for (id, _) in &closed {
        let h = closure::history(&store, &sup, *id).await.unwrap();
        assert!(!h.is_empty(), "{id}");
        assert!(homeward_domain::reintegration::CLOSURE_REASONS.contains(&h[0].reason.as_str()));
    }

    // Loaded once only.
    assert!(demo_returns::load(&store, 2012).await.is_err());
}
both_databases!(demo_reintegration, the_demo_has_reintegration_data);

/// Vendors and every amount, in a stable order.
async fn money(
    store: &Store,
) -> (
    Vec<(String, String, String)>,
    Vec<(String, String, i64, i64, String)>,
) {
    let v = on_db!(&store.db, p => sqlx::query_as::<_, (String, String, String)>(
        "SELECT country, name, categories FROM vendors ORDER BY country, name").fetch_all(p).await)
    .unwrap();
    let a = on_db!(&store.db, p => sqlx::query_as::<_, (String, String, i64, i64, String)>(
        "SELECT c.case_number, x.kind, x.amount, x.programme, x.status FROM ( \
           SELECT case_id, 'component' AS kind, budget_minor AS amount, budget_minor AS programme, category AS status \
           FROM plan_components \
           UNION ALL SELECT case_id, 'purchase', local_minor, programme_minor, status FROM purchases) x \
         JOIN cases c ON c.id = x.case_id ORDER BY 1, 2, 3, 4, 5").fetch_all(p).await)
    .unwrap();
    (v, a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_seed_gives_the_same_data() {
    let (a, _) = testing::sqlite().await;
    let (b, _) = testing::sqlite().await;
    let (ca, cb) = (loaded(&a).await, loaded(&b).await);
    assert_eq!(ca, cb);
    let (ma, mb) = (money(&a).await, money(&b).await);
    assert!(!ma.0.is_empty() && !ma.1.is_empty());
    assert_eq!(ma, mb);
}
