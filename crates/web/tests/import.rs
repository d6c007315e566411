//! The import page over HTTP, on SQLite and PostgreSQL (docs/adr/0030):
//! supervisors upload a CSV (the CSRF token in the query string), see the
//! summary and download the report of invalid rows; a re-upload creates
//! nobody; a file without a header is refused with a message (never a 500);
//! every other role gets 403, the anonymous the sign-in page.

use homeward_store::{both_databases, on_db, Store};
use reqwest::StatusCode;

mod support;

use support::{sign_in_csrf, start};

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

    let url = app.url(&format!("/persons/import?_csrf={csrf}"));
    let r = c
        .post(&url)
        .multipart(upload(CSV.as_bytes()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"import-created\">2<"), "{html}");
    assert!(html.contains("id=\"import-invalid\">1<"));
    assert!(html.contains("Not a date (expected YYYY-MM-DD)."));
    assert_eq!(persons(&app.store).await, 2);
    let i = html.find("/persons/import/reports/").expect("report link");
    let link = html[i..].split('"').next().unwrap().to_string();
    let report = c.get(app.url(&link)).send().await.unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    assert!(report
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = report.text().await.unwrap();
    assert!(text.contains("3,W2,date_of_birth,invalid-date"), "{text}");

    // Another supervisor cannot fetch it.
    app.user("sup2@iom.int", "supervisor", None).await;
    let (c2, _) = sign_in_csrf(&app, "sup2@iom.int").await;
    let r = c2.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Again: nothing new.
    let r = c
        .post(&url)
        .multipart(upload(CSV.as_bytes()))
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"import-unchanged\">2<"), "{html}");
    assert_eq!(persons(&app.store).await, 2);

    // A dry run writes nothing.
    let form = upload(b"family_name\nNagy\n").text("dry_run", "1");
    let r = c.post(&url).multipart(form).send().await.unwrap();
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"import-dry-run\""));
    assert_eq!(persons(&app.store).await, 2);

    // No header, not UTF-8, no file: a clear message, never a 500.
    for (bytes, status) in [
        (
            &b"Ana,Pop,1990-01-02\n"[..],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (&b"\xff\xfe\x00n\n"[..], StatusCode::UNPROCESSABLE_ENTITY),
        (&b""[..], StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let r = c.post(&url).multipart(upload(bytes)).send().await.unwrap();
        assert_eq!(r.status(), status);
        let html = r.text().await.unwrap();
        assert!(html.contains("id=\"import-error\""), "{html}");
    }
    // French.
    let r = c
        .post(&url)
        .header("accept-language", "fr")
        .multipart(upload(b"x,y\n1,2\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(persons(&app.store).await, 2);
}
both_databases!(upload_by_supervisor, supervisors_import);

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
            .post(app.url(&format!("/persons/import?_csrf={csrf}")))
            .multipart(upload(CSV.as_bytes()))
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
