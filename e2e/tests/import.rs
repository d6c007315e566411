//! Bulk import of persons in a real browser (headless Chromium), on SQLite
//! and on PostgreSQL, with the job worker running (docs/adr/0033):
//!
//! 1. a supervisor chooses a CSV file of 2,000 people (one impossible date,
//!    one Latin-1 row) on `/persons/import` and submits it; the browser lands
//!    on the import's page, which htmx refreshes by itself (a `<progress>`
//!    bar while the job runs) until the summary shows 1,998 created and 2
//!    invalid; the report link gives a CSV naming both lines;
//! 2. the same file again: everything unchanged, nobody created;
//! 3. a UTF-16 file is refused with a message saying so, nothing imported;
//! 4. a counsellor is refused the page (403).
//!
//! The finished import is saved as `target/e2e-screenshots/import.png`.
//!
//! Run: `cargo test -p homeward-e2e --test import`.

mod support;

use fantoccini::Client;
use homeward_web::jobs::{spawn_worker, Shutdown, Wake, WorkerConfig};
use serde_json::json;
use std::time::Duration;
use support::*;

const SUPERVISOR: &str = "sup@iom.int";
const COUNSELLOR: &str = "c@iom.int";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_postgres() {
    journey(Db::Postgres).await;
}

async fn journey(db: Db) {
    let wake = Wake::default();
    let app = App::start_with(
        db,
        homeward_web::WebConfig {
            jobs_wake: wake.clone(),
            ..Default::default()
        },
    )
    .await;
    let shutdown = Shutdown::default();
    let worker = spawn_worker(
        app.store.clone(),
        WorkerConfig {
            poll_interval: Duration::from_millis(200),
            wake,
            shutdown: shutdown.clone(),
            ..WorkerConfig::default()
        },
    );
    app.user(SUPERVISOR, "Sofia Rossi", "supervisor", Some("toronto"))
        .await;
    app.user(COUNSELLOR, "Amira", "counsellor", Some("toronto"))
        .await;
    let dir = tempfile::tempdir().expect("a scratch folder");
    let list = dir.path().join("referrals.csv");
    let mut data = b"external_id,given_names,family_name,date_of_birth,nationality\n".to_vec();
    for i in 0..2000 {
        match i {
            500 => data.extend(b"E00500,Ana,Pop,1990-02-30,RO\n"),
            900 => data.extend(b"E00900,\xc1gnes,Horv\xe1th,1980-01-01,HU\n"),
            _ => data.extend(format!("E{i:05},Name{i},Family{i},1990-01-02,RO\n").as_bytes()),
        }
    }
    std::fs::write(&list, &data).expect("write the list");
    let utf16 = dir.path().join("unicode.csv");
    std::fs::write(&utf16, b"\xff\xfef\x00a\x00m\x00\n\x00").expect("write the UTF-16 file");
    let base = app.base.clone();
    let store = app.store.clone();
    with_browser(&format!("{}-import", db.name()), move |c| async move {
        steps(&c, &base, &list, &utf16).await;
        let n: i64 = homeward_store::on_db!(&store.db, p => sqlx::query_scalar(
            "SELECT COUNT(*) FROM persons").fetch_one(p).await)
        .expect("count persons");
        assert_eq!(n, 1998, "the good rows, once");
    })
    .await;
    shutdown.trigger();
    let _ = worker.await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

/// Chooses `file` in the form and submits it; returns once the import's
/// page has loaded.
async fn submit(c: &Client, base: &str, file: &std::path::Path) {
    open(c, base, "/persons/import").await;
    let input = wait_css(c, "#import-file").await;
    input
        .send_keys(file.to_str().expect("a UTF-8 path"))
        .await
        .expect("choose the file");
    click_and_load(c, "#import-submit").await;
    assert!(
        path_of(c).await.starts_with("/persons/import/"),
        "lands on the import's page"
    );
}

/// Waits, without reloading, until the page says the import has finished.
async fn wait_finished(c: &Client) -> String {
    let first = wait_css(c, "#import-job").await;
    let status = first.attr("data-status").await.ok().flatten();
    if matches!(status.as_deref(), Some("queued" | "running")) {
        assert!(
            present(c, "progress#import-progress").await,
            "a progress bar while the job runs"
        );
        assert!(present(c, "#import-refresh").await, "and a link without JS");
    }
    // The job may take a while on a loaded machine: longer than WAIT.
    let finished = "#import-job[data-status='done'], #import-job[data-status='refused'], \
                    #import-job[data-status='failed']";
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    while !present(c, finished).await {
        if std::time::Instant::now() > deadline {
            // Did the job not finish, or did the page not refresh itself?
            let at = path_of(c).await;
            c.refresh().await.expect("reload");
            let after = wait_css(c, "#import-job").await.attr("data-status").await;
            panic!("{at} not finished in 180 s without reloading; after a reload: {after:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    wait_css(c, "#import-job")
        .await
        .attr("data-status")
        .await
        .expect("the status")
        .expect("a status")
}

async fn fetch_text(c: &Client, path: &str) -> (i64, String, String) {
    let v = c
        .execute_async(
            "const [url, done] = arguments;\
             fetch(url, {credentials: 'same-origin'}).then(async r => done({status: r.status,\
               type: r.headers.get('content-type') || '', text: await r.text()}))\
             .catch(e => done({error: String(e)}));",
            vec![json!(path)],
        )
        .await
        .unwrap_or_else(|e| panic!("fetch {path}: {e}"));
    assert!(v.get("error").is_none(), "fetch {path}: {v}");
    (
        v["status"].as_i64().unwrap_or_default(),
        v["type"].as_str().unwrap_or_default().to_string(),
        v["text"].as_str().unwrap_or_default().to_string(),
    )
}

async fn steps(c: &Client, base: &str, list: &std::path::Path, utf16: &std::path::Path) {
    // 1. The list: progress, then the counts and the report.
    sign_in(c, base, SUPERVISOR).await;
    submit(c, base, list).await;
    assert_eq!(wait_finished(c).await, "done");
    assert_eq!(text_of(c, "#import-rows").await, "2000");
    assert_eq!(text_of(c, "#import-created").await, "1998");
    assert_eq!(text_of(c, "#import-invalid").await, "2");
    assert_no_raw_keys(c, "the finished import").await;
    full_page_screenshot(c, "import.png").await;
    let href = wait_css(c, "#import-report")
        .await
        .attr("href")
        .await
        .expect("the link's href")
        .expect("an href");
    let (status, ctype, report) = fetch_text(c, &href).await;
    assert_eq!(status, 200);
    assert!(ctype.starts_with("text/csv"), "{ctype}");
    assert!(
        report.contains("502,E00500,date_of_birth,invalid-date"),
        "{report}"
    );
    assert!(report.contains("902,E00900,line,not-utf8"), "{report}");

    // 2. Again: nobody new.
    submit(c, base, list).await;
    assert_eq!(wait_finished(c).await, "done");
    assert_eq!(text_of(c, "#import-created").await, "0");
    assert_eq!(text_of(c, "#import-unchanged").await, "1998");

    // 3. A UTF-16 file: refused, and why.
    submit(c, base, utf16).await;
    assert_eq!(wait_finished(c).await, "refused");
    assert!(text_of(c, "#import-error").await.contains("UTF-16"));

    // The form lists the three imports.
    open(c, base, "/persons/import").await;
    assert_eq!(
        c.find_all(fantoccini::Locator::Css("#import-recent tbody tr"))
            .await
            .expect("the list")
            .len(),
        3
    );

    // 4. A counsellor may not.
    sign_out(c).await;
    sign_in(c, base, COUNSELLOR).await;
    open(c, base, "/persons/import").await;
    assert_eq!(text_of(c, "main h1").await, "Not allowed");
    assert!(!present(c, "#import-form").await);
}
