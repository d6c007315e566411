//! The bulk load (`homeward_demo::cases::load`) sets the loaded tables' secondary indexes,
//! foreign keys and the per-case triggers aside inside its one transaction
//! and puts them back before committing: afterwards the schema must be
//! exactly what the migrations made and every row must satisfy the foreign
//! keys. And a seed must always give the same cases and people.

use homeward_demo::cases as demo;
use homeward_store::{both_databases, on_db, testing, Db, Store};

/// The schema objects the load touches, as comparable text.
async fn schema(store: &Store) -> Vec<String> {
    let queries: &[&str] = match store.db {
        Db::Sqlite(_) => &[
            "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || IFNULL(sql, '') FROM sqlite_master ORDER BY type, name",
            "SELECT tbl || ' ' || IFNULL(idx, '') || ' ' || stat FROM sqlite_stat1 ORDER BY tbl, idx",
        ],
        Db::Postgres(_) => &[
            "SELECT indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1",
            "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) || ' ' || convalidated::text \
             FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1",
            "SELECT tgrelid::regclass::text || ' ' || tgname || ' ' || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
        ],
    };
    let mut out = Vec::new();
    for q in queries {
        let rows: Vec<String> =
            on_db!(&store.db, p => sqlx::query_scalar(q).fetch_all(p).await).unwrap();
        assert!(!rows.is_empty(), "{q}");
        out.extend(rows);
    }
    out
}

async fn the_load_leaves_the_schema_as_migrated(store: Store) {
    let before = schema(&store).await;
    let n = demo::load(&store, 300, 11, &mut |_| {}).await.unwrap();
    assert_eq!(n, 300);
    assert_eq!(schema(&store).await, before);
    if let Db::Sqlite(p) = &store.db {
        let broken: Vec<(String, String)> =
            sqlx::query_as("SELECT \"table\", parent FROM pragma_foreign_key_check")
                .fetch_all(p)
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
        let on: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(on, 1, "the pool's connections still check foreign keys");
    }
    // The numbering continues after the generated cases; the counts agree.
    let (cases, counted): (i64, i64) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM cases), (SELECT CAST(SUM(n) AS BIGINT) FROM case_counts)")
        .fetch_one(p).await)
    .unwrap();
    assert_eq!((cases, counted), (300, 300));
    // The load writes the principal's name onto each case itself (migration
    // 0020's insert trigger is set aside).
    let stale: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases c JOIN persons p ON p.id = c.principal_person_id WHERE c.principal_name <> p.display_name")
        .fetch_one(p).await)
    .unwrap();
    assert_eq!(stale, 0);
    // The load writes the case milestones once at the end (migration 0044's
    // triggers are set aside): the same as the triggers, row by row, give.
    let (wrong, registered, departed): (i64, i64, i64) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT \
           (SELECT COUNT(*) FROM cases c WHERE \
              COALESCE(CAST(c.registered_at AS TEXT), '-') <> COALESCE((SELECT CAST(MIN(t.at) AS TEXT) FROM case_transitions t WHERE t.case_id = c.id AND t.to_status = 'intake'), '-') \
           OR COALESCE(CAST(c.approved_at AS TEXT), '-') <> COALESCE((SELECT CAST(MIN(t.at) AS TEXT) FROM case_transitions t WHERE t.case_id = c.id AND t.to_status = 'eligible'), '-') \
           OR COALESCE(CAST(c.refused_at AS TEXT), '-') <> COALESCE((SELECT CAST(MIN(t.at) AS TEXT) FROM case_transitions t WHERE t.case_id = c.id AND t.to_status = 'ineligible'), '-') \
           OR COALESCE(CAST(c.withdrawn_at AS TEXT), '-') <> COALESCE((SELECT CAST(MIN(t.at) AS TEXT) FROM case_transitions t WHERE t.case_id = c.id AND t.to_status = 'withdrawn'), '-') \
           OR COALESCE(CAST(c.departed_at AS TEXT), '-') <> COALESCE((SELECT CAST(MIN(i.departed_at) AS TEXT) FROM itineraries i WHERE i.case_id = c.id), '-')), \
           (SELECT COUNT(*) FROM cases WHERE registered_at IS NOT NULL), \
           (SELECT COUNT(*) FROM cases WHERE departed_at IS NOT NULL)")
        .fetch_one(p).await)
    .unwrap();
    assert_eq!(wrong, 0);
    assert!(
        registered > 100 && departed > 50,
        "{registered} registered, {departed} departed"
    );
    // The members' search terms for their case's country (migration 0047's
    // member trigger is set aside; the search backfill after the load writes
    // them): exactly the join they stand for.
    let (missing, extra, held): (i64, i64, i64) = on_db!(&store.db, p => sqlx::query_as(
        "WITH want AS (SELECT DISTINCT c.country_of_return AS country, t.term, t.person_id \
           FROM person_search_terms t JOIN case_members m ON m.person_id = t.person_id \
           JOIN cases c ON c.id = m.case_id \
           WHERE c.country_of_return IS NOT NULL AND t.term NOT LIKE '~%') \
         SELECT \
           (SELECT COUNT(*) FROM want w WHERE NOT EXISTS (SELECT 1 FROM person_country_terms k \
              WHERE k.country = w.country AND k.term = w.term AND k.person_id = w.person_id)), \
           (SELECT COUNT(*) FROM person_country_terms k WHERE NOT EXISTS (SELECT 1 FROM want w \
              WHERE k.country = w.country AND k.term = w.term AND k.person_id = w.person_id)), \
           (SELECT COUNT(*) FROM person_country_terms)")
        .fetch_one(p).await)
    .unwrap();
    assert_eq!((missing, extra), (0, 0));
    assert!(held > 1000, "{held} terms held");
}
both_databases!(bulk_load, the_load_leaves_the_schema_as_migrated);

/// With `returns`, every case after return gets its arrival, an approved
/// plan and purchases from its country's vendor; monitored and closed ones
/// RSS surveys; nothing goes to a case before return; the schema and the
/// foreign keys hold as without.
async fn the_load_with_returns_fills_reintegration(store: Store) {
    let before = schema(&store).await;
    let opts = demo::LoadOptions {
        returns: true,
        ..Default::default()
    };
    let n = demo::load_with(&store, 400, 11, opts, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(n, 400);
    assert_eq!(schema(&store).await, before);
    let count = |q: &'static str| {
        let store = store.clone();
        async move {
            on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(q).fetch_one(p).await).unwrap()
        }
    };
    let returned = count(
        "SELECT COUNT(*) FROM cases c WHERE c.status IN ('reintegrating', 'monitoring', 'closed') \
         AND c.country_of_return IS NOT NULL",
    )
    .await;
    assert!(returned > 50, "{returned}");
    assert_eq!(count("SELECT COUNT(*) FROM arrivals").await, returned);
    assert_eq!(
        count("SELECT COUNT(*) FROM reintegration_plans WHERE status = 'approved'").await,
        returned
    );
    let purchases = count("SELECT COUNT(*) FROM purchases").await;
    assert!(
        purchases >= 2 * returned && purchases <= 3 * returned,
        "{purchases}"
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM purchases p JOIN vendors v ON v.id = p.vendor_id \
               JOIN cases c ON c.id = p.case_id WHERE v.country = c.country_of_return"
        )
        .await,
        purchases
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM purchases WHERE status IN ('paid', 'delivered') AND paid_at IS NULL").await,
        0
    );
    assert_eq!(
        count(
            "SELECT COUNT(*) FROM rss_surveys s JOIN cases c ON c.id = s.case_id \
               WHERE c.status NOT IN ('monitoring', 'closed')"
        )
        .await,
        0
    );
    assert!(count("SELECT COUNT(*) FROM rss_surveys").await > 0);
    if let Db::Sqlite(p) = &store.db {
        let broken: Vec<(String, String)> =
            sqlx::query_as("SELECT \"table\", parent FROM pragma_foreign_key_check")
                .fetch_all(p)
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
    }
}
both_databases!(bulk_load_returns, the_load_with_returns_fills_reintegration);

/// Cases and people (SQLite), without the user ids (each database has its
/// own accounts) and the itineraries (dated from today).
async fn content(store: &Store) -> Vec<String> {
    on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT hex(c.id) || ' ' || c.case_number || ' ' || c.status || ' ' || IFNULL(c.country_of_return, '-') \
         || ' ' || hex(p.id) || ' ' || p.display_name || ' ' || IFNULL(p.date_of_birth, '-') FROM cases c \
         JOIN case_members m ON m.case_id = c.id JOIN persons p ON p.id = m.person_id ORDER BY 1")
        .fetch_all(p).await)
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seed_gives_the_same_cases_and_people() {
    let (a, _) = testing::sqlite().await;
    let (b, _) = testing::sqlite().await;
    let (c, _) = testing::sqlite().await;
    demo::load(&a, 120, 5, &mut |_| {}).await.unwrap();
    demo::load(&b, 120, 5, &mut |_| {}).await.unwrap();
    demo::load(&c, 120, 6, &mut |_| {}).await.unwrap();
    let (ca, cb, cc) = (content(&a).await, content(&b).await, content(&c).await);
    assert!(ca.len() > 120);
    assert_eq!(ca, cb);
    assert_ne!(ca, cc);
}
