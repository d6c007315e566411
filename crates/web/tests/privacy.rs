//! Retention and subject access over HTTP, on SQLite and PostgreSQL
//! (docs/adr/0026): admins only (every other role 403), the purge refused
//! without the admin's password (nothing changes) and done with it, the
//! programme setting validated, the export as JSON and as a real PDF.

use homeward_domain::person::PersonInput;
use homeward_store::{both_databases, cases, on_db, retention, testing, users, Store};
use reqwest::StatusCode;
use uuid::Uuid;

mod support;

use support::{sign_in_csrf, start, App, PW};

async fn persons(store: &Store) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM persons").fetch_one(p).await)
        .unwrap()
}

/// One person with a case withdrawn in 2010, retention 5 years.
async fn setup(app: &App) -> Uuid {
    let store = &app.store;
    let admin = app.user("admin@iom.int", "admin", None).await;
    let admin = users::get(store, admin).await.unwrap().actor(None);
    retention::set_years(store, &admin, "gta-2012", Some(5))
        .await
        .unwrap();
    let cbsa = testing::user(store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = cases::create(
        store,
        &cbsa,
        &cases::CaseInput {
            principal: Some(PersonInput {
                given_names: Some("Réka".into()),
                family_name: Some("Zöldfa".into()),
                passport_number: Some("HU5550001".into()),
                ..Default::default()
            }),
            country_of_return: Some("HU".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let id = c.summary.id;
    let at = "2010-03-01T10:00:00Z"
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'withdrawn' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO case_transitions (id, case_id, from_status, to_status, reason, actor_id, at) VALUES ($1, $2, 'referred', 'withdrawn', 'x', NULL, $3)")
        .bind(Uuid::new_v4()).bind(id).bind(at).execute(p).await.map(|_| ()))
    .unwrap();
    c.members[0].person.id
}

async fn others_are_refused(store: Store) {
    let app = start(store).await;
    let person = setup(&app).await;
    for (email, role, country) in [
        ("c@iom.int", "counsellor", None),
        ("s@iom.int", "supervisor", None),
        ("o@cbsa.gc.ca", "cbsa_officer", None),
        ("m@iom.int", "mission_officer", Some("HU")),
        ("f@iom.int", "finance", None),
        ("a@iom.int", "analyst", None),
        ("au@iom.int", "auditor", None),
    ] {
        app.user(email, role, country).await;
        let (c, csrf) = sign_in_csrf(&app, email).await;
        for path in [
            "/admin/retention".to_string(),
            "/admin/persons".to_string(),
            format!("/admin/persons/{person}"),
            format!("/admin/persons/{person}/export.json"),
            format!("/admin/persons/{person}/export.pdf"),
        ] {
            let r = c.get(app.url(&path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} {path}");
        }
        let r = c
            .post(app.url("/admin/retention/purge"))
            .form(&[("_csrf", csrf.as_str()), ("password", PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} purge");
        let r = c
            .post(app.url("/admin/programmes/gta-2012/retention"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("retention_years_after_closure", "0"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} setting");
    }
    assert_eq!(persons(&app.store).await, 1);
    assert_eq!(
        retention::years_of(&app.store, "gta-2012").await.unwrap(),
        Some(5)
    );
}
both_databases!(other_roles_refused, others_are_refused);

async fn admin_exports_and_purges(store: Store) {
    let app = start(store).await;
    let person = setup(&app).await;
    let (c, csrf) = sign_in_csrf(&app, "admin@iom.int").await;
    // The dry run.
    let page = c.get(app.url("/admin/retention")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("id=\"retention-persons\">1<"), "{html}");
    assert!(!html.contains("Zöldfa"), "the report names nobody");
    // The programme setting: a bad value is refused on its field.
    let r = c
        .post(app.url("/admin/programmes/gta-2012/retention"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("retention_years_after_closure", "five"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        retention::years_of(&app.store, "gta-2012").await.unwrap(),
        Some(5)
    );
    // Subject access: bad and unknown ids are 404s.
    for path in [
        "/admin/persons/not-a-uuid".to_string(),
        format!("/admin/persons/{}", Uuid::new_v4()),
        format!("/admin/persons/{}/export.json", Uuid::new_v4()),
        format!("/admin/persons/{person}/export.exe"),
    ] {
        let r = c.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let r = c
        .get(app.url(&format!("/admin/persons/{person}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .get(app.url(&format!("/admin/persons/{person}/export.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(doc["person"]["family_name"], "Zöldfa");
    assert_eq!(doc["cases"].as_array().map(Vec::len), Some(1));
    let r = c
        .get(app.url(&format!("/admin/persons/{person}/export.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/pdf")
    );
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    assert!(text.contains("HU5550001"), "{text}");
    // The purge without the right password changes nothing.
    for pw in ["", "not the password"] {
        let r = c
            .post(app.url("/admin/retention/purge"))
            .form(&[("_csrf", csrf.as_str()), ("password", pw)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert_eq!(persons(&app.store).await, 1);
    }
    // With it, the person goes and the counts remain.
    let r = c
        .post(app.url("/admin/retention/purge"))
        .form(&[("_csrf", csrf.as_str()), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(persons(&app.store).await, 0);
    let html = c
        .get(app.url("/admin/retention?deleted=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("retention-purged"), "{html}");
    assert!(html.contains("2010-03"));
    let r = c
        .get(app.url(&format!("/admin/persons/{person}/export.json")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
both_databases!(admin_flow, admin_exports_and_purges);
