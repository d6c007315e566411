//! De-identified exports over real HTTP with the job worker running, on
//! SQLite and PostgreSQL: an analyst's export through the form, its CSV and
//! XLSX checked against counts worked out by hand, every other role
//! refused, files for their owner only, and bad requests answered with the
//! field named and nothing written.

use chrono::{DateTime, NaiveDate, Utc};
use homeward_store::sql::Param;
use homeward_store::{bind_params, both_databases, on_db, testing, tokens, Actor, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;
use uuid::Uuid;

mod support;

use support::{sign_in_home as sign_in, start_with_worker as start, App};

impl App {
    async fn count(&self, q: &str) -> i64 {
        on_db!(&self.store.db, p => sqlx::query_scalar::<_, i64>(q).fetch_one(p).await).unwrap()
    }
}

async fn token(store: &Store, a: &Actor) -> String {
    tokens::create(store, a.user_id).await.unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn exec(store: &Store, sql: &str, params: Vec<Param>) {
    on_db!(&store.db, p => bind_params!(sqlx::query(sql), params).execute(p).await.map(|_| ()))
        .unwrap();
}

/// `k` identical cases of `members` (relationship, sex, date of birth);
/// every name, number and full date of birth goes into `secrets`.
async fn batch(
    store: &Store,
    n: &mut usize,
    k: usize,
    referred: &str,
    country: &str,
    members: &[(&str, &str, Option<&str>)],
    secrets: &mut Vec<String>,
) {
    let programme: Uuid = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT id FROM programmes WHERE code = 'gta-2012'").fetch_one(p).await)
    .unwrap();
    let now = homeward_store::now();
    for _ in 0..k {
        *n += 1;
        let case = Uuid::new_v4();
        let number = format!("TOR-2012-{:05}", 80000 + *n);
        let mut people = Vec::new();
        for (j, (rel, sex, dob)) in members.iter().enumerate() {
            let id = Uuid::new_v4();
            let name = format!("Zuzana{n}q{j} Novakova{n}q{j}");
            let uci = format!("UCI{:08}", *n * 10 + j);
            let passport = format!("PX{:07}", *n * 10 + j);
            let phone = format!("+1 647 555 {:04}", *n * 10 + j);
            let dob = dob.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
            exec(store,
                "INSERT INTO persons (id, display_name, search_text, sex, date_of_birth, phone, uci, passport_number, \
                 created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                vec![Param::Uuid(id), Param::Text(name.clone()), Param::Text(name.to_lowercase()),
                     Param::Text(sex.to_string()), Param::OptDate(dob), Param::Text(phone.clone()),
                     Param::Text(uci.clone()), Param::Text(passport.clone()), Param::Time(now)]).await;
            secrets.extend([name, uci, passport, phone]);
            if let Some(d) = dob {
                secrets.push(d.to_string());
            }
            people.push((id, rel.to_string()));
        }
        exec(store,
            "INSERT INTO cases (id, case_number, programme_id, principal_person_id, country_of_return, status, \
             referred_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'counselling', $6, $7, $7)",
            vec![Param::Uuid(case), Param::Text(number.clone()), Param::Uuid(programme), Param::Uuid(people[0].0),
                 Param::Text(country.into()), Param::Time(at(referred)), Param::Time(now)]).await;
        secrets.push(number);
        for (id, rel) in people {
            exec(
                store,
                "INSERT INTO case_members (case_id, person_id, relationship) VALUES ($1, $2, $3)",
                vec![Param::Uuid(case), Param::Uuid(id), Param::Text(rel)],
            )
            .await;
        }
    }
}

/// 16 cases, 34 people:
/// - 5 Hungarian families referred in July 2012: a woman of 32, her son of 4;
/// - 3 Colombian men of 17 (18 the day after their referral, which was
///   31 July in Toronto but 1 August in UTC);
/// - 6 Hungarian couples referred in September: a man of 42, his wife
///   (date of birth unknown);
/// - 2 Mexican women of 62 with their fathers of 82, referred in October.
async fn dataset(store: &Store) -> Vec<String> {
    let (mut n, mut s) = (0, Vec::new());
    batch(
        store,
        &mut n,
        5,
        "2012-07-10T15:00:00Z",
        "HU",
        &[
            ("principal", "female", Some("1980-03-15")),
            ("child", "male", Some("2008-05-01")),
        ],
        &mut s,
    )
    .await;
    batch(
        store,
        &mut n,
        3,
        "2012-08-01T03:30:00Z",
        "CO",
        &[("principal", "male", Some("1994-08-01"))],
        &mut s,
    )
    .await;
    batch(
        store,
        &mut n,
        6,
        "2012-09-15T12:00:00Z",
        "HU",
        &[
            ("principal", "male", Some("1970-01-01")),
            ("spouse", "female", None),
        ],
        &mut s,
    )
    .await;
    batch(
        store,
        &mut n,
        2,
        "2012-10-02T12:00:00Z",
        "MX",
        &[
            ("principal", "female", Some("1950-06-01")),
            ("parent", "male", Some("1930-01-01")),
        ],
        &mut s,
    )
    .await;
    s
}

/// Waits until the newest `n` exports on the downloads page are ready;
/// returns their download links, newest first.
async fn ready_links(app: &App, b: &Client, n: usize) -> Vec<String> {
    for _ in 0..400 {
        let page = b
            .get(app.url("/downloads"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let done = page.matches("data-status=\"done\"").count();
        if page.contains("data-status=\"failed\"") {
            panic!("an export failed: {page}");
        }
        if done >= n {
            assert!(page.contains("data-kind=\"deidentified\""), "{page}");
            assert!(page.contains("De-identified counts"), "{page}");
            return page
                .match_indices("href=\"/downloads/")
                .map(|(i, _)| page[i + 6..].split('"').next().unwrap().to_string())
                .collect();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the exports did not finish");
}

async fn analyst_exports_through_the_form(store: Store) {
    let app = start(store.clone()).await;
    let secrets = dataset(&store).await;
    testing::user(&store, "an@iom.int", "analyst", None).await;
    let (b, csrf, dash) = sign_in(&app, "an@iom.int").await;
    assert!(
        dash.contains("href=\"/exports/deidentified/new\""),
        "nav entry"
    );
    assert!(dash.contains("href=\"/downloads\""), "downloads entry");
    let form = b
        .get(app.url("/exports/deidentified/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for d in [
        "referral_month",
        "age_band",
        "relationship",
        "entitlement_tier",
    ] {
        assert!(form.contains(&format!("name=\"dim-{d}\"")), "{d}");
    }

    let post = |fields: Vec<(&'static str, String)>| {
        let b = b.clone();
        let url = app.url("/exports/deidentified");
        async move { b.post(url).form(&fields).send().await.unwrap() }
    };
    // A bad period comes back with its message, every choice kept.
    let r = post(vec![
        ("_csrf", csrf.clone()),
        ("dim-sex", "on".into()),
        ("dim-age_band", "on".into()),
        ("unit", "people".into()),
        ("period", "2012-13".into()),
        ("format", "xlsx".into()),
        ("hxl", "on".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"e-period\""), "{page}");
    assert!(page.contains("Enter a month (2026-10)"), "{page}");
    assert!(page.contains("name=\"dim-sex\" checked"), "{page}");
    assert!(page.contains("name=\"dim-age_band\" checked"), "{page}");
    assert!(!page.contains("name=\"dim-status\" checked"), "{page}");
    assert!(page.contains("value=\"2012-13\""), "{page}");
    assert!(page.contains("value=\"xlsx\" checked"), "{page}");
    assert!(page.contains("name=\"hxl\" checked"), "{page}");
    // Relationship with cases: named by the dimensions.
    let r = post(vec![
        ("_csrf", csrf.clone()),
        ("dim-relationship", "on".into()),
        ("unit", "cases".into()),
        ("format", "csv".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"e-dimensions\""), "{page}");
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, 0);

    // People by country and sex, CSV with HXL. Worked out by hand: HU 5
    // mothers + 6 wives = 11 women, 5 sons + 6 husbands = 11 men; CO 3
    // men, MX 2 and 2: suppressed, 7 together. No total.
    let r = post(vec![
        ("_csrf", csrf.clone()),
        ("dim-country_of_return", "on".into()),
        ("dim-sex", "on".into()),
        ("unit", "people".into()),
        ("format", "csv".into()),
        ("hxl", "on".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/downloads");
    let links = ready_links(&app, &b, 1).await;
    let res = b.get(app.url(&links[0])).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(disposition.contains("deidentified-"), "{disposition}");
    let csv = res.text().await.unwrap();
    assert_eq!(
        csv,
        "Country of return,Sex,People\n\
         #country+code,#affected+sex,#affected+num\n\
         HU,female,11\n\
         HU,male,11\n\
         Suppressed groups (fewer than 5 each),,7\n"
    );
    for s in &secrets {
        assert!(!csv.contains(s.as_str()), "{s} in the file");
    }

    // People by age band at referral and relationship, XLSX, for the
    // third quarter (the Mexicans are out): 0–4 children 5, 25–34
    // principals 5, 35–49 principals 6, unknown partners 6; the Colombian
    // 17-year-olds (3) alone make "<5".
    let r = post(vec![
        ("_csrf", csrf.clone()),
        ("dim-age_band", "on".into()),
        ("dim-relationship", "on".into()),
        ("unit", "people".into()),
        ("period", "2012-Q3".into()),
        ("format", "xlsx".into()),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let links = ready_links(&app, &b, 2).await;
    let bytes = b
        .get(app.url(&links[0]))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    for s in &secrets {
        assert!(
            !bytes.windows(s.len()).any(|w| w == s.as_bytes()),
            "{s} in the workbook"
        );
    }
    use calamine::{Data, Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range_at(0).unwrap().unwrap();
    let rows: Vec<Vec<Data>> = range.rows().map(|r| r.to_vec()).collect();
    let s = |v: &str| Data::String(v.into());
    assert_eq!(
        rows,
        vec![
            vec![
                s("Age band at referral"),
                s("Relationship to the principal applicant"),
                s("People")
            ],
            vec![s("0–4"), s("child"), Data::Float(5.0)],
            vec![s("25–34"), s("principal"), Data::Float(5.0)],
            vec![s("35–49"), s("principal"), Data::Float(6.0)],
            vec![s("unknown"), s("partner"), Data::Float(6.0)],
            vec![
                s("Suppressed groups (fewer than 5 each)"),
                Data::Empty,
                s("<5")
            ],
        ]
    );

    // Another analyst sees neither the exports nor their files.
    let other = testing::user(&store, "an2@iom.int", "analyst", None).await;
    let t2 = token(&store, &other).await;
    let id = links[0].trim_start_matches("/downloads/").to_string();
    for path in [
        format!("/api/v1/exports/{id}"),
        format!("/api/v1/exports/{id}/file"),
    ] {
        let r = Client::new()
            .get(app.url(&path))
            .bearer_auth(&t2)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let (b2, _, _) = sign_in(&app, "an2@iom.int").await;
    let r = b2.get(app.url(&links[0])).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let mine = b2
        .get(app.url("/downloads"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!mine.contains(&id), "{mine}");
}
both_databases!(form, analyst_exports_through_the_form);

async fn post_api(app: &App, tok: &str, body: Value) -> (StatusCode, Value) {
    let r = Client::new()
        .post(app.url("/api/v1/exports/deidentified"))
        .bearer_auth(tok)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn refusals_and_bad_requests(store: Store) {
    let app = start(store.clone()).await;
    dataset(&store).await;
    let good = json!({"dimensions": ["sex"], "format": "csv"});
    for (role, country) in [
        ("counsellor", None),
        ("cbsa_officer", None),
        ("mission_officer", Some("HU")),
        ("finance", None),
        ("admin", None),
        ("auditor", None),
    ] {
        let email = format!("{role}@iom.int");
        let a = testing::user(&store, &email, role, country).await;
        let (s, _) = post_api(&app, &token(&store, &a).await, good.clone()).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{role} on the API");
        let (b, csrf, dash) = sign_in(&app, &email).await;
        assert!(
            !dash.contains("/exports/deidentified/new"),
            "{role} has no nav entry"
        );
        let r = b
            .get(app.url("/exports/deidentified/new"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} on the page");
        let r = b
            .post(app.url("/exports/deidentified"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("dim-sex", "on"),
                ("format", "csv"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} posting the form");
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, 0);

    let an = testing::user(&store, "an@iom.int", "analyst", None).await;
    let ta = token(&store, &an).await;
    // The case list export stays refused to analysts.
    let r = Client::new()
        .post(app.url("/api/v1/exports"))
        .bearer_auth(&ta)
        .json(&json!({"columns": ["status"], "format": "csv"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let many: Vec<&str> = std::iter::repeat_n("sex", 5000).collect();
    for (body, field, code) in [
        (
            json!({"dimensions": ["sex", "name"], "format": "csv"}),
            "dimensions",
            "unknown-dimension",
        ),
        (
            json!({"dimensions": ["sex"], "period": "2012-13", "format": "csv"}),
            "period",
            "invalid-period",
        ),
        (
            json!({"dimensions": ["sex"], "from": "2012-07-01", "format": "csv"}),
            "to",
            "required",
        ),
        (
            json!({"dimensions": ["sex"], "format": "csv", "colour": "red"}),
            "colour",
            "unknown-field",
        ),
        (
            json!({"dimensions": many, "format": "csv"}),
            "dimensions",
            "too-many-dimensions",
        ),
        (
            json!({"dimensions": ["sex"], "period": "2".repeat(100_000), "format": "csv"}),
            "period",
            "too-long",
        ),
        (
            json!({"dimensions": ["relationship"], "unit": "cases", "format": "csv"}),
            "dimensions",
            "dimension-needs-people",
        ),
        (
            json!({"dimensions": ["sex"], "format": "pdf"}),
            "format",
            "unknown-format",
        ),
    ] {
        let (s, p) = post_api(&app, &ta, body).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
        let errors = p["errors"].as_array().cloned().unwrap_or_default();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{field} {code}: {p}"
        );
    }
    // A body of the wrong shape: 422 too, naming what is wrong.
    let (s, p) = post_api(&app, &ta, json!({"dimensions": "sex", "format": "csv"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert!(
        p["detail"].as_str().unwrap_or("").contains("sequence"),
        "{p}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM exports").await, 0);
    assert_eq!(app.count("SELECT COUNT(*) FROM jobs").await, 0);

    // A good one, by the API: status and file through the exports
    // endpoints. Cases by referral month in Toronto's months: July 5 + 3
    // (the Colombians' 1 August 03:30 UTC is 31 July), September 6;
    // October's 2 suppressed.
    let (s, e) = post_api(
        &app,
        &ta,
        json!({"dimensions": ["referral_month"], "unit": "cases", "format": "csv"}),
    )
    .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{e}");
    assert_eq!(e["kind"], "deidentified");
    assert_eq!(e["deidentified"]["unit"], "cases");
    let id = e["id"].as_str().unwrap().to_string();
    let mut done = Value::Null;
    for _ in 0..400 {
        done = Client::new()
            .get(app.url(&format!("/api/v1/exports/{id}")))
            .bearer_auth(&ta)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if matches!(done["status"].as_str(), Some("done" | "failed")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(done["status"], "done", "{done}");
    let text = Client::new()
        .get(app.url(&format!("/api/v1/exports/{id}/file")))
        .bearer_auth(&ta)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        text,
        "Month of referral,Cases\n2012-07,8\n2012-09,6\nSuppressed groups (fewer than 5 each),<5\n"
    );

    // Documented in the OpenAPI description, with its request schema.
    let doc: Value = Client::new()
        .get(app.url("/api/v1/openapi.json"))
        .bearer_auth(&ta)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/exports/deidentified"]["post"].is_object());
    let schema = &doc["components"]["schemas"]["DeidentifiedRequest"];
    assert!(schema["properties"]["dimensions"].is_object(), "{schema}");

    // Supervisors may too.
    let sup = testing::user(&store, "sup@iom.int", "supervisor", None).await;
    let (s, e) = post_api(&app, &token(&store, &sup).await, good).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{e}");
    let (b, _, dash) = sign_in(&app, "sup@iom.int").await;
    assert!(dash.contains("href=\"/exports/deidentified/new\""));
    let r = b
        .get(app.url("/exports/deidentified/new"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
both_databases!(refusals, refusals_and_bad_requests);
