//! The CBSA webhook sent by the job worker to a real HTTP receiver (axum on a
//! free port), on SQLite and PostgreSQL: signed, retried with backoff until a
//! 2xx, each attempt recorded, and delivered even when the receiver only
//! comes up later.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use homeward_store::jobs::{self, Backoff, Status};
use homeward_store::{both_databases, Store};
use homeward_web::jobs::cbsa_webhook::{self, WebhookConfig};
use homeward_web::jobs::{sign, spawn_worker, verify, Shutdown, Wake, WorkerConfig};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use uuid::Uuid;

const SECRET: &[u8] = b"a shared secret of some length";

/// One request as the receiver saw it.
#[derive(Clone, Debug)]
struct Received {
    answered: u16,
    content_type: Option<String>,
    signature: Option<String>,
    delivery: Option<String>,
    attempt: Option<String>,
    body: Bytes,
}

/// A receiver answering the n-th request (from 0) with `plan(n)`.
#[derive(Clone)]
struct Receiver {
    plan: fn(usize) -> u16,
    seen: Arc<Mutex<Vec<Received>>>,
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    let mut seen = r.seen.lock().unwrap();
    let answered = (r.plan)(seen.len());
    seen.push(Received {
        answered,
        content_type: h("content-type"),
        signature: h("x-homeward-signature"),
        delivery: h("x-homeward-delivery"),
        attempt: h("x-homeward-attempt"),
        body,
    });
    StatusCode::from_u16(answered).unwrap()
}

/// Starts a receiver on `listener`; returns what it sees.
fn receive(listener: tokio::net::TcpListener, plan: fn(usize) -> u16) -> Arc<Mutex<Vec<Received>>> {
    let r = Receiver {
        plan,
        seen: Arc::default(),
    };
    let seen = r.seen.clone();
    let app = Router::new().route("/hook", post(hook)).with_state(r);
    tokio::spawn(async move { axum::serve(listener, app).await });
    seen
}

fn worker_config(port: u16) -> WorkerConfig {
    WorkerConfig {
        poll_interval: Duration::from_millis(20),
        backoff: Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
        },
        webhook: Some(
            WebhookConfig::new(&format!("http://127.0.0.1:{port}/hook"), SECRET).unwrap(),
        ),
        ..WorkerConfig::default()
    }
}

fn payload() -> Value {
    json!({
        "event": "departure.confirmed",
        "case_number": "TOR-2012-000123",
        "travellers": [
            {"name": "Horváth Ágnes", "uci": "1234-5678", "cbsa_client_id": "C-991", "passport_number": "HU1234567"},
            {"name": "Horváth Bence", "uci": null, "cbsa_client_id": "C-992", "passport_number": null}
        ],
        "flight": {"carrier": "AC", "number": "AC 878", "from": "YYZ", "to": "BUD", "departs_local": "2012-07-14T18:25"},
        "departed_at_utc": "2012-07-14T22:25:00Z"
    })
}

async fn enqueue(store: &Store, wake: &Wake) -> Uuid {
    let mut tx = store.begin().await.unwrap();
    let id = cbsa_webhook::enqueue(
        &mut tx,
        &payload(),
        &format!("departure:{}", Uuid::new_v4()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    wake.wake();
    id
}

async fn wait_for(store: &Store, id: Uuid, status: Status) -> jobs::JobSummary {
    for _ in 0..1000 {
        let j = jobs::get(store, id).await.unwrap();
        if j.status == status {
            return j;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!(
        "job {id} never became {status:?}: {:?} {:?}",
        jobs::get(store, id).await.unwrap(),
        jobs::attempts(store, id).await.unwrap()
    );
}

async fn stop(shutdown: &Shutdown, worker: tokio::task::JoinHandle<()>) {
    shutdown.trigger();
    tokio::time::timeout(Duration::from_secs(15), worker)
        .await
        .expect("the worker stops on shutdown")
        .unwrap();
}

async fn retried_until_accepted(store: Store) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = receive(listener, |n| if n < 2 { 503 } else { 200 });
    let config = worker_config(port);
    let (wake, shutdown) = (config.wake.clone(), config.shutdown.clone());
    let worker = spawn_worker(store.clone(), config);

    let id = enqueue(&store, &wake).await;
    let job = wait_for(&store, id, Status::Done).await;
    assert_eq!(job.attempts, 3);
    assert!(job.last_error.is_none());

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "two refusals, then one accepted POST");
    let accepted: Vec<_> = seen.iter().filter(|r| r.answered == 200).collect();
    assert_eq!(accepted.len(), 1);
    let ok = accepted[0];
    let signature = ok.signature.as_deref().unwrap();
    assert!(signature.starts_with("sha256="));
    assert_eq!(signature.len(), "sha256=".len() + 64);
    assert_eq!(signature, signature.to_lowercase());
    assert!(verify(SECRET, &ok.body, signature));
    assert_eq!(signature, sign(SECRET, &ok.body));
    assert!(!verify(
        b"another secret of some length",
        &ok.body,
        signature
    ));
    let body: Value = serde_json::from_slice(&ok.body).unwrap();
    assert_eq!(body, payload());
    assert_eq!(ok.content_type.as_deref(), Some("application/json"));
    // Every attempt names the same delivery (the job) and its number.
    for (n, r) in seen.iter().enumerate() {
        assert_eq!(r.delivery.as_deref(), Some(id.to_string().as_str()));
        assert_eq!(r.attempt.as_deref(), Some((n + 1).to_string().as_str()));
        assert!(verify(SECRET, &r.body, r.signature.as_deref().unwrap()));
    }

    let attempts = jobs::attempts(&store, id).await.unwrap();
    let recorded: Vec<_> = attempts
        .iter()
        .map(|a| (a.attempt, a.outcome.as_str(), a.http_status))
        .collect();
    assert_eq!(
        recorded,
        vec![
            (1, "retry", Some(503)),
            (2, "retry", Some(503)),
            (3, "ok", Some(200)),
        ]
    );
    assert!(attempts[0].error.as_deref().unwrap().contains("503"));
    assert!(attempts.iter().all(|a| a.finished_at.is_some()));

    stop(&shutdown, worker).await;
}
both_databases!(retries_until_2xx, retried_until_accepted);

async fn receiver_down_at_first(store: Store) {
    // A free port with nothing listening on it yet.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let config = worker_config(port);
    let (wake, shutdown) = (config.wake.clone(), config.shutdown.clone());
    let worker = spawn_worker(store.clone(), config);
    let id = enqueue(&store, &wake).await;

    // Refused connections are retried...
    let mut failed = Vec::new();
    for _ in 0..500 {
        failed = jobs::attempts(&store, id).await.unwrap();
        if failed.iter().filter(|a| a.outcome == "retry").count() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let retries: Vec<_> = failed.iter().filter(|a| a.outcome == "retry").collect();
    assert!(retries.len() >= 2, "{failed:?}");
    assert!(retries.iter().all(|a| a.http_status.is_none()));
    assert!(
        retries.iter().all(|a| a
            .error
            .as_deref()
            .is_some_and(|e| e.to_lowercase().contains("connect"))),
        "{retries:?}"
    );

    // ...until the receiver comes up.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    let seen = receive(listener, |_| 200);
    let job = wait_for(&store, id, Status::Done).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    assert!(verify(
        SECRET,
        &seen[0].body,
        seen[0].signature.as_deref().unwrap()
    ));
    assert_eq!(
        serde_json::from_slice::<Value>(&seen[0].body).unwrap(),
        payload()
    );
    assert_eq!(
        seen[0].attempt.as_deref(),
        Some(job.attempts.to_string().as_str())
    );
    let attempts = jobs::attempts(&store, id).await.unwrap();
    let last = attempts.last().unwrap();
    assert_eq!((last.outcome.as_str(), last.http_status), ("ok", Some(200)));
    assert!(attempts[..attempts.len() - 1]
        .iter()
        .all(|a| a.outcome == "retry" && a.http_status.is_none()));

    stop(&shutdown, worker).await;
}
both_databases!(receiver_comes_up_later, receiver_down_at_first);

async fn not_configured_fails_visibly(store: Store) {
    let config = WorkerConfig {
        webhook: None,
        ..worker_config(9)
    };
    let (wake, shutdown) = (config.wake.clone(), config.shutdown.clone());
    let worker = spawn_worker(store.clone(), config);
    let id = enqueue(&store, &wake).await;
    let job = wait_for(&store, id, Status::Failed).await;
    assert!(job.last_error.unwrap().contains("not configured"));
    let attempts = jobs::attempts(&store, id).await.unwrap();
    assert_eq!(attempts.len(), 1);
    assert_eq!(attempts[0].outcome, "failed");
    stop(&shutdown, worker).await;
}
both_databases!(not_configured, not_configured_fails_visibly);

#[test]
fn signatures_verify_only_the_signed_body_with_the_right_secret() {
    // RFC 4231, test case 2.
    assert_eq!(
        sign(b"Jefe", b"what do ya want for nothing?"),
        "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
    let body = br#"{"case_number":"TOR-2012-000123"}"#;
    let header = sign(SECRET, body);
    assert!(verify(SECRET, body, &header));
    assert!(verify(
        SECRET,
        body,
        &header.to_uppercase().replace("SHA256=", "sha256=")
    ));
    assert!(!verify(b"a wrong secret of some length", body, &header));
    assert!(!verify(
        SECRET,
        br#"{"case_number":"TOR-2012-000124"}"#,
        &header
    ));
    assert!(!verify(SECRET, &body[..body.len() - 1], &header));
    assert!(!verify(SECRET, body, header.trim_start_matches("sha256=")));
    assert!(!verify(SECRET, body, &header[..header.len() - 2]));
    assert!(!verify(SECRET, body, "sha256=zz"));
    assert!(!verify(SECRET, body, ""));
}

#[test]
fn webhook_settings_are_checked_and_the_secret_never_shown() {
    let c = WebhookConfig::new("https://cbsa.example/hooks/departures", SECRET).unwrap();
    assert_eq!(c.url(), "https://cbsa.example/hooks/departures");
    let shown = format!("{c:?}");
    assert!(!shown.contains("shared secret"), "{shown}");
    assert!(WebhookConfig::new("ftp://cbsa.example/x", SECRET).is_err());
    assert!(WebhookConfig::new("cbsa.example/x", SECRET).is_err());
    assert!(WebhookConfig::new("https://cbsa.example/x", b"short").is_err());
}
