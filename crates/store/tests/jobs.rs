//! The job queue on SQLite and PostgreSQL: enqueue inside a transaction,
//! claims and leases, backoff, giving up, admin retry, and several workers
//! (separate connection pools, as separate processes would have) draining one
//! queue with every job processed exactly once.

use homeward_store::jobs::{self, Attempt, Backoff, JobFilter, NewJob, Status};
use homeward_store::{both_databases, Error, Store};
use serde_json::json;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const KINDS: &[&str] = &["test"];
const LEASE: Duration = Duration::from_secs(60);

fn fast() -> Backoff {
    Backoff {
        base: Duration::from_millis(1),
        cap: Duration::from_millis(5),
    }
}

async fn enqueue(store: &Store, payload: serde_json::Value, max_attempts: i32) -> Uuid {
    let mut tx = store.begin().await.unwrap();
    let id = jobs::enqueue_job(
        &mut tx,
        &NewJob {
            kind: "test",
            payload: &payload,
            run_at: homeward_store::now(),
            dedupe_key: None,
            max_attempts,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    id
}

/// Claims until a job is due (backoff of a few milliseconds), failing after 5 s.
async fn claim_soon(store: &Store, worker: &str) -> jobs::Job {
    for _ in 0..500 {
        if let Some(j) = jobs::claim(store, worker, KINDS, LEASE).await.unwrap() {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("no job became due");
}

async fn enqueue_is_transactional(store: Store) {
    let payload = json!({"a": 1});
    // Rolled back: no job.
    {
        let mut tx = store.begin().await.unwrap();
        jobs::enqueue(&mut tx, "test", &payload, homeward_store::now(), None)
            .await
            .unwrap();
        drop(tx);
    }
    assert!(jobs::list(&store, &JobFilter::default())
        .await
        .unwrap()
        .is_empty());
    assert!(jobs::claim(&store, "w1", KINDS, LEASE)
        .await
        .unwrap()
        .is_none());

    // Committed: one job, and the same dedupe key enqueues nothing more.
    let mut tx = store.begin().await.unwrap();
    let id = jobs::enqueue(
        &mut tx,
        "test",
        &payload,
        homeward_store::now(),
        Some("departure:1"),
    )
    .await
    .unwrap();
    let again = jobs::enqueue(
        &mut tx,
        "test",
        &json!({"b": 2}),
        homeward_store::now(),
        Some("departure:1"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(id, again);
    let mut tx = store.begin().await.unwrap();
    let later = jobs::enqueue(
        &mut tx,
        "test",
        &payload,
        homeward_store::now(),
        Some("departure:1"),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(id, later);
    let all = jobs::list(&store, &JobFilter::default()).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].status, Status::Pending);
    assert_eq!(all[0].dedupe_key.as_deref(), Some("departure:1"));

    // Only the kinds a worker asks for; not before run_at.
    assert!(jobs::claim(&store, "w1", &["other"], LEASE)
        .await
        .unwrap()
        .is_none());
    assert!(jobs::claim(&store, "w1", &[], LEASE)
        .await
        .unwrap()
        .is_none());
    let mut tx = store.begin().await.unwrap();
    let future = jobs::enqueue(
        &mut tx,
        "test",
        &payload,
        homeward_store::now() + chrono::Duration::hours(1),
        None,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let j = jobs::claim(&store, "w1", KINDS, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.id, id);
    assert_eq!(j.payload, payload, "the first payload, not the duplicate's");
    assert_eq!(j.attempt, 1);
    assert!(jobs::claim(&store, "w2", KINDS, LEASE)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        jobs::get(&store, future).await.unwrap().status,
        Status::Pending
    );
}
both_databases!(enqueue_in_transaction, enqueue_is_transactional);

async fn claim_finish_backoff_and_giving_up(store: Store) {
    let payload = json!({"case_number": "TOR-2012-000123", "n": [1, 2, 3]});
    let id = enqueue(&store, payload.clone(), 3).await;

    // Attempt 1 fails: rescheduled about 10 s later (±20 %), not claimable now.
    let j = jobs::claim(&store, "w1", KINDS, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.id, j.attempt, j.max_attempts), (id, 1, 3));
    assert_eq!(j.payload, payload);
    assert_eq!(jobs::get(&store, id).await.unwrap().status, Status::Running);
    let before = homeward_store::now();
    let st = jobs::finish(
        &store,
        id,
        "w1",
        Attempt::Retry {
            http_status: Some(503),
            error: "HTTP 503".into(),
        },
        &Backoff::default(),
    )
    .await
    .unwrap();
    assert_eq!(st, Status::Pending);
    let s = jobs::get(&store, id).await.unwrap();
    assert_eq!(s.status, Status::Pending);
    assert_eq!(s.attempts, 1);
    assert_eq!(s.last_error.as_deref(), Some("HTTP 503"));
    assert!(s.locked_by.is_none());
    let wait = (s.run_at - before).num_milliseconds();
    assert!((7_900..=12_100).contains(&wait), "first backoff {wait} ms");
    assert!(jobs::claim(&store, "w1", KINDS, LEASE)
        .await
        .unwrap()
        .is_none());

    // The backoff doubles and is capped.
    let b = Backoff::default();
    for (n, secs) in [
        (1, 10.0),
        (2, 20.0),
        (3, 40.0),
        (9, 2560.0),
        (10, 3600.0),
        (60, 3600.0),
    ] {
        let d = b.delay(n).as_secs_f64();
        assert!(d >= secs * 0.8 && d <= secs * 1.2, "attempt {n}: {d} s");
    }

    // The admin makes it due now; attempts 2 and 3 fail and the job gives up.
    jobs::retry_now(&store, id).await.unwrap();
    let j = jobs::claim(&store, "w1", KINDS, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.attempt, 2);
    let st = jobs::finish(
        &store,
        id,
        "w1",
        Attempt::Retry {
            http_status: None,
            error: "connection refused".into(),
        },
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(st, Status::Pending);
    let j = claim_soon(&store, "w2").await;
    assert_eq!(j.attempt, 3);
    let st = jobs::finish(
        &store,
        id,
        "w2",
        Attempt::Retry {
            http_status: Some(500),
            error: "HTTP 500".into(),
        },
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(st, Status::Failed);
    let s = jobs::get(&store, id).await.unwrap();
    assert_eq!(s.status, Status::Failed);
    assert!(s.failed_at.is_some());
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert!(jobs::claim(&store, "w1", KINDS, LEASE)
        .await
        .unwrap()
        .is_none());
    let failed = jobs::list(
        &store,
        &JobFilter {
            status: Some(Status::Failed),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0].last_error.as_deref(), Some("HTTP 500"));

    let a = jobs::attempts(&store, id).await.unwrap();
    let seen: Vec<_> = a
        .iter()
        .map(|r| {
            (
                r.attempt,
                r.worker.as_str(),
                r.outcome.as_str(),
                r.http_status,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![
            (1, "w1", "retry", Some(503)),
            (2, "w1", "retry", None),
            (3, "w2", "failed", Some(500)),
        ]
    );
    assert_eq!(a[1].error.as_deref(), Some("connection refused"));
    assert!(a
        .iter()
        .all(|r| r.finished_at.is_some_and(|f| f >= r.started_at)));

    // An admin retry of a job that used all its attempts gives it as many again.
    jobs::retry_now(&store, id).await.unwrap();
    let s = jobs::get(&store, id).await.unwrap();
    assert_eq!(
        (s.status, s.attempts, s.max_attempts),
        (Status::Pending, 3, 6)
    );
    let j = jobs::claim(&store, "w3", KINDS, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.attempt, 4);
    let st = jobs::finish(
        &store,
        id,
        "w3",
        Attempt::Ok {
            http_status: Some(200),
        },
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(st, Status::Done);
    let s = jobs::get(&store, id).await.unwrap();
    assert_eq!(s.status, Status::Done);
    assert!(s.last_error.is_none());
    // Finished jobs cannot be finished again nor retried.
    assert!(matches!(
        jobs::finish(&store, id, "w3", Attempt::Ok { http_status: None }, &fast()).await,
        Err(Error::Conflict)
    ));
    assert!(matches!(
        jobs::retry_now(&store, id).await,
        Err(Error::Conflict)
    ));
    assert!(matches!(
        jobs::retry_now(&store, Uuid::new_v4()).await,
        Err(Error::NotFound)
    ));

    // A permanent failure gives up at once.
    let id2 = enqueue(&store, json!({}), 10).await;
    let j = jobs::claim(&store, "w1", KINDS, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.id, id2);
    let st = jobs::finish(
        &store,
        id2,
        "w1",
        Attempt::GiveUp {
            http_status: None,
            error: "not configured".into(),
        },
        &fast(),
    )
    .await
    .unwrap();
    assert_eq!(st, Status::Failed);
    assert_eq!(
        jobs::attempts(&store, id2).await.unwrap()[0].outcome,
        "failed"
    );

    // Redacting delivered payloads keeps the job and its attempts.
    let n = jobs::redact_done(&store, homeward_store::now() + chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(jobs::attempts(&store, id).await.unwrap().len(), 4);
    assert_eq!(
        jobs::list(&store, &JobFilter::default())
            .await
            .unwrap()
            .len(),
        2
    );
}
both_databases!(claim_finish_backoff, claim_finish_backoff_and_giving_up);

async fn leases_run_out(store: Store) {
    let id = enqueue(&store, json!({"x": 1}), 3).await;
    let short = Duration::from_millis(300);
    let j = jobs::claim(&store, "w1", KINDS, short)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j.id, j.attempt), (id, 1));
    // Held: a second worker gets nothing while the lease runs.
    assert!(jobs::claim(&store, "w2", KINDS, short)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        jobs::list(
            &store,
            &JobFilter {
                status: Some(Status::Running),
                ..Default::default()
            }
        )
        .await
        .unwrap()
        .len(),
        1
    );
    // Nor can an admin retry a running job.
    assert!(matches!(
        jobs::retry_now(&store, id).await,
        Err(Error::Conflict)
    ));
    // A worker that does not hold it cannot finish it.
    assert!(matches!(
        jobs::finish(&store, id, "w2", Attempt::Ok { http_status: None }, &fast()).await,
        Err(Error::Conflict)
    ));

    // w1 "crashes": after the lease, w2 claims it again.
    tokio::time::sleep(Duration::from_millis(400)).await;
    let j2 = jobs::claim(&store, "w2", KINDS, LEASE)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((j2.id, j2.attempt), (id, 2));
    // w1 comes back late: its result is refused, w2's stands.
    assert!(matches!(
        jobs::finish(
            &store,
            id,
            "w1",
            Attempt::Ok {
                http_status: Some(200)
            },
            &fast()
        )
        .await,
        Err(Error::Conflict)
    ));
    assert_eq!(jobs::get(&store, id).await.unwrap().status, Status::Running);
    jobs::finish(
        &store,
        id,
        "w2",
        Attempt::Ok {
            http_status: Some(204),
        },
        &fast(),
    )
    .await
    .unwrap();
    let a = jobs::attempts(&store, id).await.unwrap();
    let seen: Vec<_> = a
        .iter()
        .map(|r| {
            (
                r.attempt,
                r.worker.as_str(),
                r.outcome.as_str(),
                r.http_status,
            )
        })
        .collect();
    assert_eq!(
        seen,
        vec![(1, "w1", "lost", None), (2, "w2", "ok", Some(204))]
    );
    assert!(a[0].error.as_deref().unwrap().contains("lease"));

    // A worker that dies on the last allowed attempt: the job is failed by the
    // sweep, not claimed a fourth time.
    let id2 = enqueue(&store, json!({}), 1).await;
    let j = jobs::claim(&store, "w1", KINDS, Duration::from_millis(50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.id, id2);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(jobs::claim(&store, "w2", KINDS, LEASE)
        .await
        .unwrap()
        .is_none());
    assert_eq!(jobs::fail_exhausted(&store).await.unwrap(), 1);
    let s = jobs::get(&store, id2).await.unwrap();
    assert_eq!(s.status, Status::Failed);
    assert_eq!(
        jobs::attempts(&store, id2).await.unwrap()[0].outcome,
        "lost"
    );
}
both_databases!(leases, leases_run_out);

/// Four workers, each with its own connection pool on the same database,
/// drain 200 jobs: each job is processed exactly once.
async fn workers_share_the_queue(store: Store, url: String) {
    const N: usize = 200;
    let mut tx = store.begin().await.unwrap();
    let mut ids = HashSet::new();
    for i in 0..N {
        ids.insert(
            jobs::enqueue(
                &mut tx,
                "test",
                &json!({ "i": i }),
                homeward_store::now(),
                None,
            )
            .await
            .unwrap(),
        );
    }
    tx.commit().await.unwrap();

    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for w in 0..4 {
        let pool = Store::connect(&url).await.unwrap();
        let seen = seen.clone();
        handles.push(tokio::spawn(async move {
            let worker = format!("w{w}");
            let mut mine = 0;
            while let Some(j) = jobs::claim(&pool, &worker, KINDS, LEASE).await.unwrap() {
                seen.lock().unwrap().push(j.id);
                jobs::finish(
                    &pool,
                    j.id,
                    &worker,
                    Attempt::Ok { http_status: None },
                    &fast(),
                )
                .await
                .unwrap();
                mine += 1;
            }
            pool.close().await;
            mine
        }));
    }
    let mut per_worker = Vec::new();
    for h in handles {
        per_worker.push(h.await.unwrap());
    }
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), N, "every claim is a distinct job");
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), ids);
    assert_eq!(per_worker.iter().sum::<usize>(), N);
    let done = jobs::list(
        &store,
        &JobFilter {
            status: Some(Status::Done),
            limit: Some(1000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(done.len(), N);
    assert!(done.iter().all(|j| j.attempts == 1));
    eprintln!("jobs per worker: {per_worker:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_postgres() {
    let (store, url) = homeward_store::testing::postgres().await;
    workers_share_the_queue(store.clone(), url).await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_sqlite() {
    let (store, url) = homeward_store::testing::sqlite().await;
    workers_share_the_queue(store, url).await;
}
