//! The audit trail's hash chain: sealing under concurrent writers, and
//! `verify` naming the first entry that was changed, removed or reordered
//! behind the application's back. On SQLite and on PostgreSQL alike.

use homeward_store::audit::{self, Entry, ExpectedHead, ProblemKind};
use homeward_store::{both_databases, on_db, Store};

/// Writes `n` entries, each in its own committed transaction.
async fn write(store: &Store, n: usize, tag: &str) {
    for i in 0..n {
        let mut tx = store.begin().await.unwrap();
        audit::record(
            &mut tx,
            None,
            Entry {
                action: "create",
                entity: "thing",
                entity_id: Some(format!("{tag}-{i}")),
                case_id: None,
                before: None,
                after: Some(serde_json::json!({ "i": i })),
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }
}

async fn exec(store: &Store, sql: &str) {
    on_db!(&store.db, p => sqlx::query(sql).execute(p).await.map(|r| r.rows_affected())).unwrap();
}

async fn id_at(store: &Store, seq: i64) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT id FROM audit_log WHERE seq = $1")
        .bind(seq).fetch_one(p).await)
    .unwrap()
}

/// Count, smallest and largest position, and unsealed entries.
async fn positions(store: &Store) -> (i64, Option<i64>, Option<i64>, i64) {
    on_db!(&store.db, p => sqlx::query_as::<_, (i64, Option<i64>, Option<i64>, i64)>(
        "SELECT COUNT(*), MIN(seq), MAX(seq), SUM(CASE WHEN seq IS NULL THEN 1 ELSE 0 END) FROM audit_log")
        .fetch_one(p).await)
    .unwrap()
}

async fn sealing_is_gapless_and_idempotent(store: Store) {
    write(&store, 30, "a").await;
    let first = audit::seal(&store).await.unwrap();
    let (n, min, max, unsealed) = positions(&store).await;
    assert!(first >= 30, "every earlier entry is sealed: {first}");
    assert_eq!((min, max, unsealed), (Some(1), Some(n), 0));
    assert_eq!(
        audit::seal(&store).await.unwrap(),
        0,
        "a second seal is a no-op"
    );
    let head = audit::head(&store).await.unwrap();
    let v = audit::verify(&store, None).await.unwrap();
    assert!(v.problem.is_none(), "{:?}", v.problem);
    assert_eq!(v.entries as i64, n);
    assert_eq!(v.head, head);
    // More entries extend the chain from the same head.
    write(&store, 5, "b").await;
    assert_eq!(audit::seal(&store).await.unwrap(), 5);
    let v = audit::verify(
        &store,
        Some(&format!("{}:{}", head.seq, head.hash).parse().unwrap()),
    )
    .await
    .unwrap();
    assert!(v.problem.is_none(), "{:?}", v.problem);
    assert_eq!(v.head.seq, head.seq + 5);
}
both_databases!(sealing, sealing_is_gapless_and_idempotent);

async fn concurrent_writers_and_sealers_leave_no_gap(store: Store) {
    let mut tasks = Vec::new();
    for w in 0..6 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            write(&s, 40, &format!("w{w}")).await;
        }));
    }
    for _ in 0..2 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                audit::seal(&s).await.unwrap();
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    audit::seal(&store).await.unwrap();
    let (n, min, max, unsealed) = positions(&store).await;
    assert!(n >= 240);
    assert_eq!((min, max, unsealed), (Some(1), Some(n), 0), "gapless");
    let v = audit::verify(&store, None).await.unwrap();
    assert!(v.problem.is_none(), "{:?}", v.problem);
    assert_eq!(v.entries as i64, n);
}
both_databases!(concurrency, concurrent_writers_and_sealers_leave_no_gap);

/// On PostgreSQL an entry of a transaction still open when the sealer runs
/// commits later with a smaller id; it is sealed by the next run, not skipped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entry_committed_after_a_seal_is_sealed_by_the_next() {
    let (store, _) = homeward_store::testing::postgres().await;
    let mut late = store.begin().await.unwrap();
    audit::record(
        &mut late,
        None,
        Entry {
            action: "create",
            entity: "late",
            entity_id: None,
            case_id: None,
            before: None,
            after: None,
        },
    )
    .await
    .unwrap();
    write(&store, 3, "early").await;
    audit::seal(&store).await.unwrap();
    late.commit().await.unwrap();
    assert_eq!(audit::seal(&store).await.unwrap(), 1);
    let (n, min, max, unsealed) = positions(&store).await;
    assert_eq!((min, max, unsealed), (Some(1), Some(n), 0));
    let late_seq: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT seq FROM audit_log WHERE entity = 'late'").fetch_one(p).await)
    .unwrap();
    assert_eq!(late_seq, n, "last in the chain though its id is smaller");
    assert!(audit::verify(&store, None).await.unwrap().problem.is_none());
    store.close().await;
}

/// Ten sealed entries to tamper with.
async fn sealed(store: &Store) -> i64 {
    write(store, 10, "t").await;
    audit::seal(store).await.unwrap();
    let v = audit::verify(store, None).await.unwrap();
    assert!(v.problem.is_none());
    v.head.seq
}

async fn problem(store: &Store) -> audit::Problem {
    let v = audit::verify(store, None).await.unwrap();
    v.problem.expect("verify finds the tampering")
}

async fn a_changed_field_is_named(store: Store) {
    sealed(&store).await;
    let id = id_at(&store, 4).await;
    exec(
        &store,
        "UPDATE audit_log SET actor_email = 'someone@else.org' WHERE seq = 4",
    )
    .await;
    let p = problem(&store).await;
    assert_eq!(
        (p.seq, p.id, p.kind),
        (4, Some(id), ProblemKind::Changed),
        "{p:?}"
    );
    // The sealer goes on; the break stays visible.
    write(&store, 2, "after").await;
    audit::seal(&store).await.unwrap();
    assert_eq!(problem(&store).await.seq, 4);
}
both_databases!(changed, a_changed_field_is_named);

async fn a_removed_entry_is_named(store: Store) {
    let last = sealed(&store).await;
    exec(&store, "DELETE FROM audit_log WHERE seq = 4").await;
    let p = problem(&store).await;
    assert_eq!((p.seq, p.kind), (4, ProblemKind::Gap), "{p:?}");
    // Removing the last entry leaves no gap, but the head remembers.
    let (store2, _) = fresh(&store).await;
    let last2 = sealed(&store2).await;
    exec(
        &store2,
        &format!("DELETE FROM audit_log WHERE seq = {last2}"),
    )
    .await;
    let p = problem(&store2).await;
    assert_eq!((p.seq, p.kind), (last2, ProblemKind::Truncated), "{p:?}");
    assert!(last > 0);
    store2.close().await;
}
both_databases!(removed, a_removed_entry_is_named);

/// Another empty database of the same kind.
async fn fresh(store: &Store) -> (Store, String) {
    if store.is_postgres() {
        homeward_store::testing::postgres().await
    } else {
        homeward_store::testing::sqlite().await
    }
}

async fn swapped_entries_are_named(store: Store) {
    sealed(&store).await;
    let fifth = id_at(&store, 5).await;
    exec(&store, "UPDATE audit_log SET seq = -1 WHERE seq = 4").await;
    exec(&store, "UPDATE audit_log SET seq = 4 WHERE seq = 5").await;
    exec(&store, "UPDATE audit_log SET seq = 5 WHERE seq = -1").await;
    let p = problem(&store).await;
    assert_eq!(
        (p.seq, p.id, p.kind),
        (4, Some(fifth), ProblemKind::Reordered),
        "{p:?}"
    );
}
both_databases!(reordered, swapped_entries_are_named);

async fn an_edited_hash_is_named(store: Store) {
    sealed(&store).await;
    let id = id_at(&store, 6).await;
    exec(
        &store,
        &format!(
            "UPDATE audit_log SET hash = '{}' WHERE seq = 6",
            "ab".repeat(32)
        ),
    )
    .await;
    let p = problem(&store).await;
    assert_eq!(
        (p.seq, p.id, p.kind),
        (6, Some(id), ProblemKind::HashEdited),
        "{p:?}"
    );
}
both_databases!(hash_edited, an_edited_hash_is_named);

/// Someone with the database can rebuild the whole chain; only a head
/// recorded outside the database shows it.
async fn a_rebuilt_chain_fails_the_recorded_head(store: Store) {
    sealed(&store).await;
    let recorded = audit::head(&store).await.unwrap();
    exec(
        &store,
        "UPDATE audit_log SET action = 'nothing' WHERE seq = 3",
    )
    .await;
    exec(&store, "UPDATE audit_log SET seq = NULL, hash = NULL").await;
    exec(
        &store,
        &format!(
            "UPDATE audit_chain_head SET seq = 0, hash = '{}'",
            "0".repeat(64)
        ),
    )
    .await;
    audit::seal(&store).await.unwrap();
    assert!(audit::verify(&store, None).await.unwrap().problem.is_none());
    let expect: ExpectedHead = format!("{}:{}", recorded.seq, recorded.hash)
        .parse()
        .unwrap();
    let p = audit::verify(&store, Some(&expect))
        .await
        .unwrap()
        .problem
        .expect("the recorded head is gone");
    assert_eq!(
        (p.seq, p.kind),
        (recorded.seq, ProblemKind::ExpectedHeadMissing)
    );
    assert!("12:zz".parse::<ExpectedHead>().is_err());
}
both_databases!(rebuilt, a_rebuilt_chain_fails_the_recorded_head);

/// Sealing and verifying speed, printed (`--ignored --nocapture`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn measure_sealing_and_verifying() {
    let n: i64 = std::env::var("AUDIT_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    for pg in [false, true] {
        let (store, _) = if pg {
            homeward_store::testing::postgres().await
        } else {
            homeward_store::testing::sqlite().await
        };
        let fill = if pg {
            "INSERT INTO audit_log (at, actor_email, action, entity, entity_id, after_json) \
             SELECT now(), 'c@iom.int', 'update', 'case', md5(g::text), '{\"status\":\"intake\"}' FROM generate_series(1, $1) g"
        } else {
            "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < $1) \
             INSERT INTO audit_log (at, actor_email, action, entity, entity_id, after_json) \
             SELECT '2026-01-01 10:00:00.123456+00:00', 'c@iom.int', 'update', 'case', hex(randomblob(16)), '{\"status\":\"intake\"}' FROM g"
        };
        on_db!(&store.db, p => sqlx::query(fill).bind(n).execute(p).await.map(|r| r.rows_affected())).unwrap();
        let t = std::time::Instant::now();
        let sealed = audit::seal(&store).await.unwrap();
        let seal_s = t.elapsed().as_secs_f64();
        let t = std::time::Instant::now();
        let v = audit::verify(&store, None).await.unwrap();
        let verify_s = t.elapsed().as_secs_f64();
        assert!(v.problem.is_none());
        println!(
            "{}: sealed {sealed} in {seal_s:.2} s ({:.0}/s); verified {} in {verify_s:.2} s ({:.1} s per million)",
            if pg { "postgres" } else { "sqlite" },
            sealed as f64 / seal_s,
            v.entries,
            verify_s * 1e6 / v.entries as f64
        );
        store.close().await;
    }
}
