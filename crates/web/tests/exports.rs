//! Case list exports over real HTTP with the job worker running, on SQLite
//! and PostgreSQL: record scope, restricted columns, neutralised cells, the
//! HXL row, owners only, bad input and CSRF.

use homeward_domain::person::PersonInput;
use homeward_store::cases::{self, CaseInput};
use homeward_store::{both_databases, exports, on_db, testing, tokens, Actor, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

const EVIL: &str = "=HYPERLINK(\"http://evil.example\",\"x\")";

mod support;

use support::{sign_in_csrf as sign_in, start_with_worker as start, App};

impl App {
    async fn count(&self, q: &str) -> i64 {
        on_db!(&self.store.db, p => sqlx::query_scalar::<_, i64>(q).fetch_one(p).await).unwrap()
    }
}

async fn case(store: &Store, by: &Actor, family: &str, country: &str, phone: &str) {
    cases::create(
        store,
        by,
        &CaseInput {
            principal: Some(PersonInput {
                family_name: Some(family.into()),
                phone: Some(phone.into()),
                ..Default::default()
            }),
            country_of_return: Some(country.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap_or_else(|e| panic!("case {family}: {e:?}"));
}

/// Two counsellors' cases in Hungary and Colombia; the first counsellor's
/// Hungarian case has a formula for a name.
async fn data(store: &Store) -> (Actor, Actor) {
    let c1 = testing::user(store, "c1@iom.int", "counsellor", None).await;
    let c2 = testing::user(store, "c2@iom.int", "counsellor", None).await;
    case(store, &c1, EVIL, "HU", "+1 416 555 0100").await;
    case(store, &c1, "Gomez", "CO", "416 555 0101").await;
    case(store, &c2, "Kovacs", "HU", "416 555 0102").await;
    case(store, &c2, "Restrepo", "CO", "416 555 0103").await;
    (c1, c2)
}

async fn token(store: &Store, a: &Actor) -> String {
    tokens::create(store, a.user_id).await.unwrap()
}

async fn post_export(app: &App, tok: &str, body: Value) -> (StatusCode, Value) {
    let r = Client::new()
        .post(app.url("/api/v1/exports"))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// Polls the export until it is finished; returns it.
async fn wait_done(app: &App, tok: &str, id: &str) -> Value {
    for _ in 0..400 {
        let e: Value = Client::new()
            .get(app.url(&format!("/api/v1/exports/{id}")))
            .bearer_auth(tok)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(e["status"].as_str(), Some("done" | "failed")) {
            return e;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("export {id} did not finish");
}

async fn file(app: &App, tok: &str, id: &str) -> reqwest::Response {
    Client::new()
        .get(app.url(&format!("/api/v1/exports/{id}/file")))
        .bearer_auth(tok)
        .send()
        .await
        .unwrap()
}

async fn scope_columns_neutralisation_and_owners(store: Store) {
    let app = start(store.clone()).await;
    let (c1, c2) = data(&store).await;
    let t1 = token(&store, &c1).await;
    let t2 = token(&store, &c2).await;

    // A counsellor's CSV: their own cases only, contact column allowed, the
    // formula name and the phone starting with '+' neutralised, HXL row.
    let (s, e) = post_export(
        &app,
        &t1,
        json!({"columns": ["case_number", "principal_name", "country_of_return", "phone"],
               "format": "csv", "hxl": true}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{e}");
    let id = e["id"].as_str().unwrap().to_string();
    let done = wait_done(&app, &t1, &id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["rows_written"], 2);
    assert_eq!(done["total_rows"], 2);
    let r = file(&app, &t1, &id).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = r.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[0],
        "Case number,Principal applicant,Country of return,Phone"
    );
    assert_eq!(
        lines[1],
        "#affected+case+id,#affected+name,#country+code,#contact+phone"
    );
    assert!(
        text.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"x\"\")\""),
        "{text}"
    );
    assert!(text.contains(",'+1 416 555 0100"), "{text}");
    assert!(text.contains("GOMEZ") || text.contains("Gomez"), "{text}");
    assert!(
        !text.contains("Kovacs") && !text.contains("KOVACS"),
        "{text}"
    );
    assert!(
        !text.contains("Restrepo") && !text.contains("RESTREPO"),
        "{text}"
    );

    // Someone else's export and its file are not found, by API and page.
    let r = Client::new()
        .get(app.url(&format!("/api/v1/exports/{id}")))
        .bearer_auth(&t2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(file(&app, &t2, &id).await.status(), StatusCode::NOT_FOUND);
    let (b2, _) = sign_in(&app, "c2@iom.int").await;
    let r = b2
        .get(app.url(&format!("/downloads/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let page = b2
        .get(app.url("/downloads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&id), "another user's downloads list it");
    // The owner's download was audited.
    let audited = app
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'export' AND action = 'download' AND entity_id = '{id}'"
        ))
        .await;
    assert_eq!(audited, 1);

    // Finance sees every case but never contact details.
    let fin = testing::user(&store, "f@iom.int", "finance", None).await;
    let tf = token(&store, &fin).await;
    let (s, e) = post_export(
        &app,
        &tf,
        json!({"columns": ["case_number", "phone"], "format": "csv"}),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{e}");
    let (s, e) = post_export(
        &app,
        &tf,
        json!({"columns": ["case_number", "household_size"], "format": "csv"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{e}");
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(wait_done(&app, &tf, &id).await["rows_written"], 4);
    let text = file(&app, &tf, &id).await.text().await.unwrap();
    assert_eq!(
        text.lines().nth(1).map(|l| l.ends_with(",1")),
        Some(true),
        "{text}"
    );

    // A Hungarian mission officer's XLSX: Hungarian cases only (once they
    // prepare departure with consent to share, issue 22), neutralised.
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'preparing_departure' WHERE country_of_return = 'HU'")
        .execute(p).await.map(|_| ())).unwrap();
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO consents (id, case_id, person_id, purpose, given_at) \
         SELECT id, id, principal_person_id, 'share_with_mission', referred_at FROM cases WHERE country_of_return = 'HU'")
        .execute(p).await.map(|_| ())).unwrap();
    let mo = testing::user(&store, "m@iom.int", "mission_officer", Some("HU")).await;
    let tm = token(&store, &mo).await;
    let (s, e) = post_export(
        &app,
        &tm,
        json!({"columns": ["principal_name", "country_of_return"], "format": "xlsx", "hxl": true}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{e}");
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(wait_done(&app, &tm, &id).await["status"], "done");
    let bytes = file(&app, &tm, &id).await.bytes().await.unwrap();
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    assert_eq!(rows.len(), 4, "{rows:?}");
    assert_eq!(rows[1][1], Data::String("#country+code".into()));
    for r in &rows[2..] {
        assert_eq!(r[1], Data::String("HU".into()), "{rows:?}");
    }
    assert!(
        rows[2..]
            .iter()
            .any(|r| r[0] == Data::String(format!("'{EVIL}"))),
        "{rows:?}"
    );

    // The analyst's export is the de-identified one, not this.
    let an = testing::user(&store, "a@iom.int", "analyst", None).await;
    let ta = token(&store, &an).await;
    let (s, _) = post_export(
        &app,
        &ta,
        json!({"columns": ["case_number"], "format": "csv"}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
both_databases!(scope_and_owners, scope_columns_neutralisation_and_owners);

async fn form_errors_csrf_and_downloads(store: Store) {
    let app = start(store.clone()).await;
    data(&store).await;
    let (b, csrf) = sign_in(&app, "c1@iom.int").await;
    let list = b
        .get(app.url("/cases?country=HU"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains("action=\"/exports/new\""),
        "export entry on the case list"
    );
    let form = b
        .get(app.url("/exports/new?country=HU"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("name=\"col-phone\""));
    assert!(form.contains("name=\"country\" value=\"HU\""));

    let post = |fields: Vec<(&'static str, String)>| {
        let b = b.clone();
        let url = app.url("/exports");
        async move { b.post(url).form(&fields).send().await.unwrap() }
    };
    // Without the CSRF token: refused, nothing written.
    let r = post(vec![
        ("col-case_number", "on".into()),
        ("format", "csv".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    for (fields, message) in [
        (
            vec![("format", "csv".to_string())],
            "Choose at least one column.",
        ),
        (
            vec![("col-bogus", "on".to_string()), ("format", "csv".into())],
            "One of the columns does not exist",
        ),
        (
            vec![
                ("col-case_number", "on".to_string()),
                ("format", "pdf".into()),
            ],
            "Choose CSV or XLSX.",
        ),
    ] {
        let mut fields = fields;
        fields.push(("_csrf", csrf.clone()));
        let r = post(fields).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{message}: {body}");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM jobs WHERE kind = 'case_export'")
            .await,
        0
    );

    // A good one, with the list's filter: to the downloads, then the file.
    let r = post(vec![
        ("_csrf", csrf.clone()),
        ("col-case_number", "on".into()),
        ("col-principal_name", "on".into()),
        ("format", "csv".into()),
        ("country", "HU".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/downloads");
    let mut page = String::new();
    for _ in 0..400 {
        page = b
            .get(app.url("/downloads"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains("data-status=\"done\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(page.contains("data-status=\"done\""), "{page}");
    assert!(page.contains("1 of 1 rows"), "{page}");
    let i = page.find("href=\"/downloads/").expect("download link") + 6;
    let href = page[i..].split('"').next().unwrap().to_string();
    let text = b
        .get(app.url(&href))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("'=HYPERLINK"), "{text}");

    // Roles without the case list export are refused the form.
    testing::user(&store, "an@iom.int", "analyst", None).await;
    let (ba, _) = sign_in(&app, "an@iom.int").await;
    let r = ba.get(app.url("/exports/new")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
both_databases!(forms, form_errors_csrf_and_downloads);

/// A week after it is written the file is deleted from disk (it holds
/// personal data); the owner's downloads still list it, as expired.
async fn expired_files_are_deleted(store: Store) {
    let app = start(store.clone()).await;
    let (c1, _) = data(&store).await;
    let tok = token(&store, &c1).await;
    let (s, e) = post_export(
        &app,
        &tok,
        json!({"columns": ["case_number", "phone"], "format": "csv"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{e}");
    let id = e["id"].as_str().unwrap().to_string();
    assert_eq!(wait_done(&app, &tok, &id).await["status"], "done");
    let path = store.data_dir.join(format!("exports/{id}.csv"));
    assert!(path.exists());

    // Not yet expired: nothing is deleted.
    let now = homeward_store::now();
    assert_eq!(exports::purge_expired(&store, now).await.unwrap(), 0);
    assert_eq!(file(&app, &tok, &id).await.status(), StatusCode::OK);

    let later = now + chrono::TimeDelta::days(exports::KEEP_DAYS) + chrono::TimeDelta::hours(1);
    assert_eq!(exports::purge_expired(&store, later).await.unwrap(), 1);
    assert!(!path.exists(), "the file is gone from disk");
    // Once is enough: a second pass finds nothing left.
    assert_eq!(exports::purge_expired(&store, later).await.unwrap(), 0);
    on_db!(&store.db, p => sqlx::query("UPDATE exports SET expires_at = $1 WHERE id = $2")
        .bind(now - chrono::TimeDelta::hours(1)).bind(uuid::Uuid::parse_str(&id).unwrap())
        .execute(p).await.map(|_| ()))
    .unwrap();
    assert_eq!(file(&app, &tok, &id).await.status(), StatusCode::NOT_FOUND);
    let (client, _) = sign_in(&app, "c1@iom.int").await;
    let page = client
        .get(app.url("/downloads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("id=\"export-{id}\"")), "{page}");
    assert!(page.contains("Expired"), "{page}");
    assert!(!page.contains(&format!("/downloads/{id}\"")), "{page}");
}
both_databases!(expiry, expired_files_are_deleted);
