//! Health and readiness, metrics, the API documents and assets, and HSTS behind TLS.

use homeward_store::{both_databases, Store};
use reqwest::{Client, StatusCode};
use serde_json::Value;

mod support;

async fn health_metrics_and_docs(store: Store) {
    let app = support::start_with(
        store,
        support::Options {
            metrics_token: Some(support::METRICS_TOKEN.into()),
            ..Default::default()
        },
    )
    .await;
    let c = Client::new();
    assert_eq!(
        c.get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
        "ok"
    );
    assert_eq!(
        c.get(app.url("/readyz")).send().await.unwrap().status(),
        StatusCode::OK
    );
    let m = c
        .get(app.url("/metrics"))
        .bearer_auth(support::METRICS_TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(m.contains("homeward_http_requests_total"), "{m}");
    let doc: Value = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/cases",
        "/api/v1/cases/{id}",
        "/api/v1/cases/{id}/transitions",
        "/api/v1/persons",
        "/api/v1/programmes",
        "/api/v1/audit",
    ] {
        assert!(doc["paths"].get(p).is_some(), "{p} documented");
    }
    let docs = c.get(app.url("/api/docs/")).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let js = c
        .get(app.url("/assets/htmx-2.0.11.min.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    app.store.close().await;
    assert_eq!(
        c.get(app.url("/readyz")).send().await.unwrap().status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
}
both_databases!(operations, health_metrics_and_docs);

/// Behind TLS the browser is told to use nothing else; the API explorer
/// alone may use inline styles (Swagger UI), never inline scripts.
async fn strict_transport_behind_tls(store: Store) {
    let app = support::start_with(
        store,
        support::Options {
            secure_cookies: true,
            ..Default::default()
        },
    )
    .await;
    let login = reqwest::get(app.url("/login")).await.unwrap();
    assert_eq!(
        login.headers()["strict-transport-security"],
        "max-age=31536000; includeSubDomains"
    );
    let docs = reqwest::get(app.url("/api/docs/")).await.unwrap();
    let csp = docs.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self';"), "{csp}");
}

both_databases!(hsts, strict_transport_behind_tls);
