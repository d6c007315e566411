//! The duplicate review queue over HTTP, on SQLite and PostgreSQL
//! (docs/adr/0032): a supervisor sees the pair, compares it (differences
//! marked, no restricted data), must confirm a merge, merges, undoes, and a
//! second undo is refused with a message; the API lists, merges (stale
//! versions 409), undoes and dismisses pairs; CSRF is required; every other
//! role is refused (403) on pages and API; bad ids answer 404.

use homeward_domain::person::PersonInput;
use homeward_store::testing::user;
use homeward_store::{both_databases, cases, duplicates, on_db, Actor, Store};
use reqwest::StatusCode;
use uuid::Uuid;

mod support;

use support::{sign_in_csrf, start};

fn person(given: &str, family: &str, phone: Option<&str>) -> PersonInput {
    PersonInput {
        given_names: Some(given.into()),
        family_name: Some(family.into()),
        date_of_birth: Some("1980-05-17".into()),
        sex: Some("female".into()),
        nationalities: vec!["HU".into()],
        phone: phone.map(Into::into),
        ..Default::default()
    }
}

/// Two cases whose principals are the same woman: (case 1, her, her again).
async fn pair(store: &Store, sup: &Actor) -> (Uuid, Uuid, Uuid) {
    let mut out = Vec::new();
    for p in [
        person("Ágnes", "Horváth", None),
        person("Agnes", "HORVATH", Some("+1 416 555 0101")),
    ] {
        let c = cases::create(
            store,
            sup,
            &cases::CaseInput {
                principal: Some(p),
                country_of_return: Some("HU".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        out.push((c.summary.id, c.members[0].person.id));
    }
    duplicates::refresh_pending(store, 100).await.unwrap();
    (out[0].0, out[0].1, out[1].1)
}

async fn version(store: &Store, id: Uuid) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar("SELECT version FROM persons WHERE id = $1").bind(id).fetch_one(p).await)
        .unwrap()
}

async fn review_merge_and_undo(store: Store) {
    let app = start(store).await;
    let sup = user(&app.store, "sup@iom.int", "supervisor", None).await;
    let (case1, a, b) = pair(&app.store, &sup).await;
    let (x, y) = duplicates::ordered(a, b);
    let (c, csrf) = sign_in_csrf(&app, "sup@iom.int").await;

    let html = c
        .get(app.url("/duplicates"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains(&format!("/duplicates/{x}/{y}")), "{html}");
    assert!(html.contains("id=\"count-likely\">1<"));
    let possible = c
        .get(app.url("/duplicates?level=possible"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(possible.contains("id=\"no-duplicates\""));

    // The case page's notice.
    let notice = c
        .get(app.url(&format!("/cases/{case1}/duplicates")))
        .send()
        .await
        .unwrap();
    assert_eq!(notice.status(), StatusCode::OK);
    assert!(notice
        .text()
        .await
        .unwrap()
        .contains(&format!("/duplicates/{a}/{b}")));
    let case_page = c
        .get(app.url(&format!("/cases/{case1}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case_page.contains(&format!("hx-get=\"/cases/{case1}/duplicates\"")));

    let compare = c
        .get(app.url(&format!("/duplicates/{a}/{b}")))
        .send()
        .await
        .unwrap();
    assert_eq!(compare.status(), StatusCode::OK);
    let html = compare.text().await.unwrap();
    assert!(html.contains("Ágnes") && html.contains("HORVATH"));
    assert!(html.contains("class=\"differs\""), "the names differ");
    assert!(!html.contains("Vulnerab"), "no restricted data");
    let form = |keep: &str, confirm: bool, va: i64, vb: i64| {
        let mut f = vec![
            ("_csrf".to_string(), csrf.clone()),
            ("keep".to_string(), keep.to_string()),
            ("left_version".to_string(), va.to_string()),
            ("right_version".to_string(), vb.to_string()),
        ];
        if confirm {
            f.push(("confirm".into(), "on".into()));
        }
        f
    };
    let (va, vb) = (version(&app.store, a).await, version(&app.store, b).await);
    let url = app.url(&format!("/duplicates/{a}/{b}/merge"));

    // Without the CSRF token: refused.
    let r = c
        .post(&url)
        .form(&form("left", true, va, vb)[1..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Without confirming: the page again, the box marked.
    let r = c
        .post(&url)
        .form(&form("left", false, va, vb))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("id=\"merge-confirm-error\""));
    // A stale version: a clear message, nothing merged.
    let r = c
        .post(&url)
        .form(&form("left", true, va - 1, vb))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("changed since you opened"));
    // Merged, keeping the left.
    let r = c
        .post(&url)
        .form(&form("left", true, va, vb))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let merged_into: Option<Uuid> = on_db!(&app.store.db, p => sqlx::query_scalar(
        "SELECT merged_into FROM persons WHERE id = $1").bind(b).fetch_one(p).await)
    .unwrap();
    assert_eq!(merged_into, Some(a));
    let html = c
        .get(app.url("/duplicates"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"no-duplicates\""));

    // The kept person's audit trail shows the merged record's entries too,
    // and says so, to the auditor only.
    user(&app.store, "aud@iom.int", "auditor", None).await;
    let (aud, _) = sign_in_csrf(&app, "aud@iom.int").await;
    let trail = aud
        .get(app.url(&format!("/audit?person={a}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(trail.contains("id=\"audit-merged\""), "{trail}");
    assert!(trail.contains(&format!("href=\"/audit?person={b}\"")));
    assert!(
        trail.contains(&format!("<code class=\"id\">{b}</code>")),
        "the merged record's own entries"
    );
    let r = c
        .get(app.url(&format!("/audit?person={a}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let history = c
        .get(app.url("/duplicates/merges"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let merge_id: Uuid = on_db!(&app.store.db, p => sqlx::query_scalar("SELECT id FROM person_merges").fetch_one(p).await).unwrap();
    assert!(history.contains(&format!("/duplicates/merges/{merge_id}/undo")));
    let undo = app.url(&format!("/duplicates/merges/{merge_id}/undo"));
    let r = c
        .post(&undo)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(&undo)
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("already undone"));

    // Not the same person: remembered, out of the queue.
    let r = c
        .post(app.url(&format!("/duplicates/{a}/{b}/not-duplicates")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    duplicates::refresh_pending(&app.store, 100).await.unwrap();
    let html = c
        .get(app.url("/duplicates"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"no-duplicates\""));

    // Bad ids.
    for path in [
        "/duplicates/not-an-id/x".to_string(),
        format!("/duplicates/{a}/{}", Uuid::new_v4()),
        format!("/duplicates/{a}/{a}"),
    ] {
        let r = c.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}
both_databases!(review_merge_and_undo_in_the_browser, review_merge_and_undo);

async fn api_merge_and_undo(store: Store) {
    let app = start(store).await;
    let sup = user(&app.store, "sup@iom.int", "supervisor", None).await;
    let (_, a, b) = pair(&app.store, &sup).await;
    let token = homeward_store::tokens::create(&app.store, sup.user_id)
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let r = c
        .get(app.url("/api/v1/duplicates?level=likely"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["counts"]["likely"], 1);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    let r = c
        .get(app.url("/api/v1/duplicates?level=maybe"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);

    let url = app.url(&format!("/api/v1/duplicates/{a}/{b}/merge"));
    let body = |kept: Uuid, kv: i64, mv: i64| serde_json::json!({"kept": kept, "kept_version": kv, "merged_version": mv});
    let (va, vb) = (version(&app.store, a).await, version(&app.store, b).await);
    let r = c
        .post(&url)
        .bearer_auth(&token)
        .json(&body(b, vb, va + 7))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let r = c
        .post(&url)
        .bearer_auth(&token)
        .json(&body(Uuid::new_v4(), vb, va))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(&url)
        .bearer_auth(&token)
        .json(&body(b, vb, va))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: serde_json::Value = r.json().await.unwrap();
    assert_eq!(m["kept_id"], b.to_string());
    assert_eq!(m["moved"]["rows"]["cases"].as_array().unwrap().len(), 1);
    let id = m["id"].as_str().unwrap().to_string();
    let (vb2, va2) = (version(&app.store, b).await, version(&app.store, a).await);
    let r = c
        .post(&url)
        .bearer_auth(&token)
        .json(&body(b, vb2, va2))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "already merged"
    );

    let r = c
        .get(app.url("/api/v1/duplicates/merges"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let h: serde_json::Value = r.json().await.unwrap();
    assert_eq!(h["total"], 1);
    let undo = app.url(&format!("/api/v1/duplicates/merges/{id}/undo"));
    let r = c.post(&undo).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c.post(&undo).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p: serde_json::Value = r.json().await.unwrap();
    assert!(p.to_string().contains("undo-done"), "{p}");
    let r = c
        .post(app.url(&format!(
            "/api/v1/duplicates/merges/{}/undo",
            Uuid::new_v4()
        )))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = c
        .post(app.url(&format!("/api/v1/duplicates/{a}/{b}/not-duplicates")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = c
        .get(app.url("/api/v1/duplicates"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let page: serde_json::Value = r.json().await.unwrap();
    assert_eq!(page["counts"]["likely"], 0);
    let spec = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(spec.contains("/api/v1/duplicates/{a}/{b}/merge") && spec.contains("MergeBody"));
}
both_databases!(api, api_merge_and_undo);

async fn other_roles_refused(store: Store) {
    let app = start(store).await;
    let sup = user(&app.store, "sup@iom.int", "supervisor", None).await;
    let (case1, a, b) = pair(&app.store, &sup).await;
    for role in [
        "counsellor",
        "cbsa_officer",
        "mission_officer",
        "finance",
        "analyst",
        "admin",
        "auditor",
    ] {
        let email = format!("{role}@iom.int");
        let token = app.token(&email, role, Some("HU")).await;
        let (c, csrf) = sign_in_csrf(&app, &email).await;
        for path in [
            "/duplicates".to_string(),
            "/duplicates/merges".to_string(),
            format!("/duplicates/{a}/{b}"),
            format!("/cases/{case1}/duplicates"),
        ] {
            let r = c.get(app.url(&path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} {path}");
        }
        let r = c
            .post(app.url(&format!("/duplicates/{a}/{b}/merge")))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("keep", "left"),
                ("confirm", "on"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
        let api = reqwest::Client::new();
        let r = api
            .get(app.url("/api/v1/duplicates"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
        let r = api
            .post(app.url(&format!("/api/v1/duplicates/{a}/{b}/merge")))
            .bearer_auth(&token)
            .json(&serde_json::json!({"kept": a, "kept_version": 1, "merged_version": 1}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role}");
        let home = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            !home.contains("href=\"/duplicates\""),
            "{role} sees no link"
        );
    }
    let n: i64 = on_db!(&app.store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM person_merges").fetch_one(p).await).unwrap();
    assert_eq!(n, 0);
}
both_databases!(other_roles, other_roles_refused);
