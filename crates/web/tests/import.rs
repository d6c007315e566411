//! Person imports over HTTP with the job worker running, on SQLite and
//! PostgreSQL (docs/adr/0030, docs/adr/0033): supervisors upload a CSV on
//! the page (the CSRF token in the query string) or the API, follow the
//! progress to the summary and download the report of invalid rows; a
//! re-upload creates nobody; bad files (no header, UTF-16, Latin-1 rows, a
//! 50 MB line, a bad date, an empty file) are reported clearly and lose no
//! good row; over 100 MB is a 413; another supervisor's import is a 404;
//! every other role gets 403, the anonymous the sign-in page or a 401.

use homeward_store::{both_databases, on_db, tokens, Store};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use std::time::Duration;

mod support;

use support::{sign_in_csrf, start_with_worker as start, App};

const CSV: &str = "external_id,given_names,family_name,date_of_birth,nationality\n\
W1,Ana,Pop,1990-01-02,RO\n\
W2,Ion,Pop,1990-02-30,RO\n\
W3,Mihai,Ionescu,,MD\n";

async fn persons(store: &Store) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM persons").fetch_one(p).await)
        .unwrap()
}

fn upload(bytes: &[u8]) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("list.csv"),
    )
}

/// Follows an import's page until the job has finished; returns its HTML.
async fn page_until_done(app: &App, c: &Client, path: &str) -> String {
    for _ in 0..2400 {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let html = r.text().await.unwrap();
        if !html.contains("data-status=\"queued\"") && !html.contains("data-status=\"running\"") {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

/// Uploads on the page and follows the redirect to the finished import.
async fn import_on_page(
    app: &App,
    c: &Client,
    csrf: &str,
    form: reqwest::multipart::Form,
) -> (String, String) {
    let r = c
        .post(app.url("/persons/import"))
        .header("x-csrf-token", csrf)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let location = r.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/persons/import/"), "{location}");
    let html = page_until_done(app, c, &location).await;
    (location, html)
}

async fn supervisors_import(store: Store) {
    let app = start(store).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let (c, csrf) = sign_in_csrf(&app, "sup@iom.int").await;
    let page = c.get(app.url("/persons/import")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("id=\"import-form\"") && html.contains("enctype=\"multipart/form-data\"")
    );

    // Without the CSRF token: refused, nothing written.
    let r = c
        .post(app.url("/persons/import"))
        .multipart(upload(CSV.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(persons(&app.store).await, 0);

    let (location, html) = import_on_page(&app, &c, &csrf, upload(CSV.as_bytes())).await;
    assert!(html.contains("data-status=\"done\""), "{html}");
    assert!(html.contains("id=\"import-created\">2<"), "{html}");
    assert!(html.contains("id=\"import-invalid\">1<"));
    assert!(
        !html.contains(&format!("hx-get=\"{location}\"")),
        "polling stops once done"
    );
    assert_eq!(persons(&app.store).await, 2);
    let link = format!("{location}/report");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    let report = c.get(app.url(&link)).send().await.unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    assert!(report.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = report.text().await.unwrap();
    assert!(text.contains("3,W2,date_of_birth,invalid-date"), "{text}");
    // The form lists it.
    let html = c
        .get(app.url("/persons/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("href=\"{location}\"")));

    // Another supervisor can neither see it nor fetch its report.
    app.user("sup2@iom.int", "supervisor", None).await;
    let (c2, _) = sign_in_csrf(&app, "sup2@iom.int").await;
    for path in [location.clone(), link.clone()] {
        let r = c2.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = c
        .get(app.url("/persons/import/not-an-id"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Again: nothing new.
    let (_, html) = import_on_page(&app, &c, &csrf, upload(CSV.as_bytes())).await;
    assert!(html.contains("id=\"import-unchanged\">2<"), "{html}");
    assert_eq!(persons(&app.store).await, 2);

    // A dry run writes nothing.
    let form = upload(b"family_name\nNagy\n").text("dry_run", "1");
    let (_, html) = import_on_page(&app, &c, &csrf, form).await;
    assert!(html.contains("id=\"import-dry-run\""), "{html}");
    assert!(html.contains("id=\"import-created\">1<"));
    assert_eq!(persons(&app.store).await, 2);

    // A bad mapping: said next to the form, what was typed kept.
    let form = upload(CSV.as_bytes())
        .text("mapping", "Surname,nickname")
        .text("dry_run", "1");
    let r = c
        .post(app.url("/persons/import"))
        .header("x-csrf-token", csrf.as_str())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"import-error\"") && html.contains("Surname,nickname"));
    assert!(html.contains(" checked>"));
    // No file at all.
    let form = reqwest::multipart::Form::new().text("mapping", "");
    let r = c
        .post(app.url("/persons/import"))
        .header("x-csrf-token", csrf.as_str())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Files refused as a whole: a clear message on the import's page, never a 500.
    for (bytes, says) in [
        (&b"Ana,Pop,1990-01-02\n"[..], "must be a header"),
        (&b"\xff\xfef\x00a\x00\n\x00"[..], "UTF-16"),
        (&b""[..], "the file is empty"),
    ] {
        let (_, html) = import_on_page(&app, &c, &csrf, upload(bytes)).await;
        assert!(html.contains("data-status=\"refused\""), "{html}");
        assert!(
            html.contains("id=\"import-error\"") && html.contains(says),
            "{says}: {html}"
        );
    }
    // In French.
    let r = c
        .post(app.url("/persons/import"))
        .header("x-csrf-token", csrf.as_str())
        .multipart(upload(b"x,y\n1,2\n"))
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    page_until_done(&app, &c, &location).await;
    let r = c
        .post(app.url("/lang"))
        .form(&[("_csrf", csrf.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("doit être un en-tête"), "{html}");
    assert_eq!(persons(&app.store).await, 2);
}
both_databases!(upload_by_supervisor, supervisors_import);

/// Good rows are kept whatever else is in the file.
async fn bad_rows_keep_good_ones(store: Store) {
    let app = start(store).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let (c, csrf) = sign_in_csrf(&app, "sup@iom.int").await;
    let mut data = b"\xef\xbb\xbfexternal_id,family_name,date_of_birth\r\n".to_vec();
    data.extend(b"G1,Good,1990-01-01\r\n"); // 2
    data.extend(b"G2,Bad date,1990-13-01\r\n"); // 3
    data.extend(b"G3,Horv\xe1th,\r\n"); // 4: Latin-1
    data.extend(b"G4,"); // 5: 50 MB
    data.extend(std::iter::repeat_n(b'y', 50 * 1024 * 1024));
    data.extend(b",\r\n");
    data.extend(b"G5,\"Quoted\r\nacross lines\",\r\n"); // 6-7: a name with a line break
    data.extend(b"G1,Again,\r\n"); // 8
    data.extend(b"G6,Good too,\r\n"); // 9
    let (location, html) = import_on_page(&app, &c, &csrf, upload(&data)).await;
    assert!(html.contains("data-status=\"done\""), "{html}");
    assert!(html.contains("id=\"import-created\">2<"), "{html}");
    assert!(html.contains("id=\"import-invalid\">5<"), "{html}");
    assert_eq!(persons(&app.store).await, 2);
    let report = c
        .get(app.url(&format!("{location}/report")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for line in [
        "3,G2,date_of_birth,invalid-date",
        "4,G3,line,not-utf8",
        "5,,line,record-too-large",
        "6,G5,family_name,control-characters",
        "8,G1,external_id,repeated-external-id",
    ] {
        assert!(report.contains(line), "{line}: {report}");
    }
}
both_databases!(bad_rows, bad_rows_keep_good_ones);

async fn api_imports(store: Store) {
    let app = start(store).await;
    let sup = app.user("sup@iom.int", "supervisor", None).await;
    let tok = tokens::create(&app.store, sup).await.unwrap();
    let c = Client::new();
    let post = |body: Vec<u8>, query: &str| {
        c.post(app.url(&format!("/api/v1/persons/import{query}")))
            .bearer_auth(&tok)
            .header("content-type", "text/csv")
            .body(body)
            .send()
    };
    let r = post(CSV.as_bytes().to_vec(), "").await.unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let started: Value = r.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/persons/import/{}", started["id"].as_str().unwrap())
    );
    let done = wait(&app, &c, &tok, &location).await;
    assert_eq!(done["status"], "done");
    assert_eq!(done["created"], 2);
    assert_eq!(done["invalid"], 1);
    assert_eq!(done["total_rows"], 3);
    assert_eq!(done["has_report"], true);
    let r = c
        .get(app.url(&format!("{location}/report")))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("3,W2,date_of_birth,invalid-date"));

    // A dry run with a mapping, as a multipart form.
    let form =
        upload(b"Ref,Surname\nM1,Nagy\n").text("mapping", "Ref,external_id\nSurname,family_name");
    let r = c
        .post(app.url("/api/v1/persons/import?dry_run=true"))
        .bearer_auth(&tok)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let done = wait(&app, &c, &tok, &location).await;
    assert_eq!(
        (done["dry_run"].as_bool(), done["created"].as_i64()),
        (Some(true), Some(1))
    );
    assert_eq!(persons(&app.store).await, 2);

    // A refused file says why, with a code.
    let r = post(b"\xff\xfex\x00".to_vec(), "").await.unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let done = wait(&app, &c, &tok, &location).await;
    assert_eq!(done["status"], "refused");
    assert_eq!(done["error_code"], "utf16");
    assert!(done["error"].as_str().unwrap().contains("UTF-16"));

    // Problems, not 500s: a bad mapping, a wrong media type, too large.
    let r = post(CSV.as_bytes().to_vec(), "?mapping=a,nickname")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = c
        .post(app.url("/api/v1/persons/import"))
        .bearer_auth(&tok)
        .json(&serde_json::json!({"x": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let mut big = b"family_name\n".to_vec();
    big.resize(100 * 1024 * 1024 + 10, b'a');
    let r = post(big, "").await.unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p: Value = r.json().await.unwrap();
    assert!(p["detail"].as_str().unwrap().contains("100 MB"), "{p}");
    let left = std::fs::read_dir(app.store.data_dir.join("import-uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(left, 0, "nothing left of the refused upload");

    // Another supervisor: 404; other roles: 403; nobody: 401.
    let other = app.user("sup2@iom.int", "supervisor", None).await;
    let tok2 = tokens::create(&app.store, other).await.unwrap();
    let r = c
        .get(app.url(&location))
        .bearer_auth(&tok2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let couns = app.user("c@iom.int", "counsellor", None).await;
    let tok3 = tokens::create(&app.store, couns).await.unwrap();
    let r = c
        .get(app.url(&location))
        .bearer_auth(&tok3)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url("/api/v1/persons/import"))
        .bearer_auth(&tok3)
        .header("content-type", "text/csv")
        .body(CSV)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c.get(app.url(&location)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Documented.
    let doc: Value = c
        .get(app.url("/api/v1/openapi.json"))
        .bearer_auth(&tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/persons/import"]["post"].is_object());
    assert!(doc["paths"]["/api/v1/persons/import/{id}"]["get"].is_object());
    assert!(doc["paths"]["/api/v1/persons/import/{id}/report"]["get"].is_object());
}
both_databases!(api, api_imports);

async fn wait(app: &App, c: &Client, tok: &str, location: &str) -> Value {
    for _ in 0..2400 {
        let r = c
            .get(app.url(location))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let v: Value = r.json().await.unwrap();
        if !matches!(v["status"].as_str(), Some("queued" | "running")) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

async fn other_roles_refused(store: Store) {
    let app = start(store).await;
    for (email, role, country) in [
        ("c@iom.int", "counsellor", None),
        ("a@iom.int", "admin", None),
        ("cbsa@cbsa.gc.ca", "cbsa_officer", None),
        ("m@iom.int", "mission_officer", Some("HU")),
        ("f@iom.int", "finance", None),
        ("an@iom.int", "analyst", None),
        ("au@iom.int", "auditor", None),
    ] {
        app.user(email, role, country).await;
        let (c, csrf) = sign_in_csrf(&app, email).await;
        let r = c.get(app.url("/persons/import")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
        let r = c
            .post(app.url("/persons/import"))
            .header("x-csrf-token", csrf.as_str())
            .multipart(upload(CSV.as_bytes()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
        let id = uuid::Uuid::new_v4();
        let r = c
            .get(app.url(&format!("/persons/import/{id}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
    }
    assert_eq!(persons(&app.store).await, 0);
    let r = support::browser()
        .get(app.url("/persons/import"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}
both_databases!(other_roles, other_roles_refused);

/// While the job waits or runs, the page shows a `<progress>` bar that htmx
/// refreshes, and a plain link does the same without JavaScript; the
/// progress counts rows once the job has counted them.
async fn progress_while_running(store: Store) {
    let app = support::start(store).await; // no worker: the import waits
    app.user("sup@iom.int", "supervisor", None).await;
    let (c, csrf) = sign_in_csrf(&app, "sup@iom.int").await;
    let r = c
        .post(app.url("/persons/import"))
        .header("x-csrf-token", csrf.as_str())
        .multipart(upload(CSV.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let html = c
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-status=\"queued\""), "{html}");
    assert!(html.contains("<progress id=\"import-progress\""));
    assert!(
        html.contains(&format!("hx-get=\"{location}\""))
            && html.contains("hx-trigger=\"every 1s\"")
    );
    assert!(html.contains(&format!("id=\"import-refresh\" href=\"{location}\"")));
    assert!(!html.contains("<script>"), "no inline script");
    // The job's progress as it counts rows.
    on_db!(&app.store.db, p => sqlx::query(
        "UPDATE person_imports SET status = 'running', total_rows = 3, rows_done = 2")
        .execute(p).await.map(|r| r.rows_affected()))
    .unwrap();
    let html = c
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("max=\"3\" value=\"2\""), "{html}");
    assert!(html.contains("2 of 3 rows"));
    assert_eq!(persons(&app.store).await, 0);
}
both_databases!(progress, progress_while_running);
