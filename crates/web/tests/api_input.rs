//! The JSON API refuses bad input as problem+json, writing nothing; scope and versions hold.

use homeward_store::{both_databases, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{problem, start};

async fn api_bad_input_is_refused_cleanly(store: Store) {
    let app = start(store).await;
    let tok = app.token("c@iom.int", "counsellor", None).await;
    let other = app.token("c2@iom.int", "counsellor", None).await;
    let c = Client::new();
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&tok);
    let before = app.counts().await;
    let audit_before = app.rows("audit_log").await;

    problem(
        c.get(app.url("/api/v1/cases")).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        c.get(app.url("/api/v1/cases"))
            .bearer_auth("hwt_forged")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let p = problem(
        auth(c.post(app.url("/api/v1/cases")))
            .header("content-type", "application/json")
            .body("{\"principal\": ")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["type"], "https://homeward.invalid/problems/json-syntax");
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&json!({"principal": {"family_name": 42}}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&json!({"principal": {"family_name": "A"}, "is_admin": true}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .body("{}")
            .send()
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let big = json!({"principal": {"family_name": "x".repeat(400 * 1024)}});
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&big)
            .send()
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let p = problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&json!({"principal": {"date_of_birth": "yesterday"}, "country_of_return": "XX1"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"principal.family_name")
            && fields.contains(&"principal.date_of_birth")
            && fields.contains(&"country_of_return"),
        "{p}"
    );
    problem(
        auth(c.get(app.url("/api/v1/cases?page=abc")))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/cases?per_page=100000")))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/cases?status=deported")))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/cases/not-a-uuid")))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        auth(c.get(app.url(&format!("/api/v1/cases/{}", uuid::Uuid::new_v4()))))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/nothing-here")))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.counts().await, before, "no bad request wrote anything");
    assert_eq!(app.rows("audit_log").await, audit_before);

    // A good request works; another counsellor's fetch of it is a 404, and so is a change.
    let r = auth(c.post(app.url("/api/v1/cases"))).json(&json!({"principal": {"family_name": "Lakatos", "given_names": "Zoltán", "nationalities": ["HU"]}, "country_of_return": "HU"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let case: Value = r.json().await.unwrap();
    let id = case["id"].as_str().unwrap().to_string();
    assert_eq!(case["status"], "referred");
    assert_eq!(
        case["members"][0]["person"]["display_name"],
        "Lakatos, Zoltán"
    );
    let r = c
        .get(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let r = c
        .patch(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&other)
        .json(&json!({"version": 1, "country_of_return": "MX"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let listed: Value = c
        .get(app.url("/api/v1/cases"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0);

    // Optimistic concurrency: a stale version answers 409 and changes nothing.
    let v = case["version"].as_i64().unwrap();
    let r = auth(c.patch(app.url(&format!("/api/v1/cases/{id}"))))
        .json(&json!({"version": v, "country_of_return": "CZ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = auth(c.patch(app.url(&format!("/api/v1/cases/{id}"))))
        .json(&json!({"version": v, "country_of_return": "MX"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT).await;
    let now: Value = auth(c.get(app.url(&format!("/api/v1/cases/{id}"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["country_of_return"], "CZ");

    // Transitions through the API, with the workflow's refusals as problems.
    let p = problem(
        auth(c.post(app.url(&format!("/api/v1/cases/{id}/transitions"))))
            .json(&json!({"to": "eligible"}))
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        p["type"],
        "https://homeward.invalid/problems/transition-not-allowed"
    );
    let r = auth(c.post(app.url(&format!("/api/v1/cases/{id}/transitions"))))
        .json(&json!({"to": "intake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let tl: Value = auth(c.get(app.url(&format!("/api/v1/cases/{id}/transitions"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tl.as_array().unwrap().len(), 2);
}
both_databases!(api_bad_input, api_bad_input_is_refused_cleanly);
