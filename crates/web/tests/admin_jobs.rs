//! Administrators see failed background jobs (without their payload) and retry them.

use homeward_store::{both_databases, on_db, Store};
use reqwest::StatusCode;
use serde_json::json;

mod support;

use support::{sign_in_csrf as sign_in, start};

async fn admins_see_and_retry_background_jobs(store: Store) {
    use homeward_store::jobs::{self, Attempt, Backoff, NewJob};
    let app = start(store).await;
    app.user("admin@iom.int", "admin", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let mut tx = app.store.begin().await.unwrap();
    let id = jobs::enqueue_job(
        &mut tx,
        &NewJob {
            kind: "cbsa_webhook",
            payload: &json!({"case_number": "TOR-2026-000042", "travellers": [{"name": "Secret, Person"}]}),
            run_at: homeward_store::now(),
            dedupe_key: None,
            max_attempts: 1,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    jobs::claim(
        &app.store,
        "w",
        &["cbsa_webhook"],
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap()
    .unwrap();
    jobs::finish(
        &app.store,
        id,
        "w",
        Attempt::GiveUp {
            http_status: Some(403),
            error: "HTTP 403 from the receiver".into(),
        },
        &Backoff::default(),
    )
    .await
    .unwrap();
    let (a, csrf) = sign_in(&app, "admin@iom.int").await;
    let page = a
        .get(app.url("/admin/jobs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&id.to_string()) && page.contains("data-status=\"failed\""));
    assert!(page.contains("HTTP 403 from the receiver"));
    assert!(
        !page.contains("Secret, Person") && !page.contains("TOR-2026-000042"),
        "no payload"
    );
    // Others are refused, the page and the retry alike.
    let (c, c_csrf) = sign_in(&app, "c@iom.int").await;
    let r = c.get(app.url("/admin/jobs")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .form(&[("_csrf", c_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Without the CSRF token nothing happens; with it the job is due again.
    let r = a
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        jobs::get(&app.store, id).await.unwrap().status.as_str(),
        "failed"
    );
    let r = a
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        jobs::get(&app.store, id).await.unwrap().status.as_str(),
        "pending"
    );
    let audited: i64 = on_db!(&app.store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'job' AND action = 'retry' AND entity_id = $1")
        .bind(id.to_string()).fetch_one(p).await)
    .unwrap();
    assert_eq!(audited, 1);
    let r = a
        .post(app.url(&format!("/admin/jobs/{}/retry", uuid::Uuid::new_v4())))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
both_databases!(admin_jobs, admins_see_and_retry_background_jobs);
