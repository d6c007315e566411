//! Programmes as data over HTTP (issue 21), on SQLite and PostgreSQL: the
//! API contract (`GET /api/v1/programmes/{code}`, `.../rules`, `POST
//! /api/v1/programmes`, rule versions and their preview), who is refused,
//! what a refused document leaves (nothing), a second programme evaluated
//! by its own rules in its own currency, and the admin's setup pages.

use homeward_store::{both_databases, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{problem, sign_in_csrf, start};

fn rules(from: &str, top: i64) -> Value {
    json!({
        "effective_from": from, "currency": "EUR",
        "residence_regions": ["Brussels", "Flanders", "Wallonia"],
        "eligible_claim_outcomes": ["rejected", "withdrawn"], "excluded_criminality": ["confirmed"],
        "requires_compliance": true, "prior_assistance_excludes": true,
        "tiered_claims_before": "2026-06-01",
        "tiers": {"before_federal_court_leave": top, "before_prra_application": 100000, "prra_pending": 75000, "after_prra_decision": 50000},
        "later_claims_tiers": {"before_federal_court_leave": top, "before_prra_application": 90000, "prra_pending": 60000, "after_prra_decision": 40000},
    })
}

fn brussels() -> Value {
    json!({
        "code": "be-2026", "name": "AVRR Belgium", "host_country": "BE",
        "time_zone": "Europe/Brussels", "currency": "EUR", "referring_authority": "Fedasil",
        "opens_on": "2026-01-01", "closes_on": null, "regions": ["Brussels", "Flanders", "Wallonia"],
        "rules": rules("2026-01-01", 150000),
    })
}

async fn programmes_over_http(store: Store) {
    let app = start(store).await;
    let admin = app.token("admin@iom.int", "admin", None).await;
    let counsellor = app.token("c@iom.int", "counsellor", None).await;
    let c = Client::new();
    let url = |p: &str| app.url(p);

    // The pilot, as the contract reads it.
    let p: Value = c
        .get(url("/api/v1/programmes/gta-2012"))
        .bearer_auth(&counsellor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(p["time_zone"], "America/Toronto");
    assert_eq!(p["currency"], "CAD");
    assert_eq!(p["referring_authority"]["short_name"], "CBSA");
    let r: Value = c
        .get(url("/api/v1/programmes/gta-2012/rules"))
        .bearer_auth(&counsellor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["tiers"]["before_federal_court_leave"], 200000);
    assert_eq!(r["version"], 1);
    problem(
        c.get(url("/api/v1/programmes/nope"))
            .bearer_auth(&counsellor)
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;

    // Creating: admins only; refused before the body is read.
    let programmes = app.rows("programmes").await;
    problem(
        c.post(url("/api/v1/programmes"))
            .bearer_auth(&counsellor)
            .json(&brussels())
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        c.post(url("/api/v1/programmes"))
            .bearer_auth(&counsellor)
            .body("{not json")
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    problem(
        c.post(url("/api/v1/programmes"))
            .json(&brussels())
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    // A document with errors: every problem located, nothing kept.
    let mut bad = brussels();
    bad["time_zone"] = json!("Brussels");
    bad["rules"]["tiers"]["prra_pending"] = json!(12.5);
    bad["rules"]["effective_to"] = json!("2025-01-01");
    bad["rules"]["bonus"] = json!(true);
    let p = problem(
        c.post(url("/api/v1/programmes"))
            .bearer_auth(&admin)
            .json(&bad)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<(String, String)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_string(),
                e["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    for want in [
        ("time_zone", "unknown-time-zone"),
        ("rules.tiers.prra_pending", "not-integer"),
        ("rules.effective_to", "dates-unordered"),
        ("rules.bonus", "unknown-key"),
    ] {
        assert!(
            fields.contains(&(want.0.into(), want.1.into())),
            "{want:?} not in {fields:?}"
        );
    }
    assert_eq!(
        app.rows("programmes").await,
        programmes,
        "nothing half-saved"
    );
    for malformed in ["{", "[]", "{\"code\": 7}"] {
        let r = c
            .post(url("/api/v1/programmes"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body(malformed)
            .send()
            .await
            .unwrap();
        assert!(r.status().is_client_error(), "{malformed}: {}", r.status());
    }
    let huge = json!({"code": "x".repeat(300_000)});
    let r = c
        .post(url("/api/v1/programmes"))
        .bearer_auth(&admin)
        .json(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // The contract's creation.
    let r = c
        .post(url("/api/v1/programmes"))
        .bearer_auth(&admin)
        .json(&brussels())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let be: Value = r.json().await.unwrap();
    assert_eq!(be["time_zone"], "Europe/Brussels");
    assert_eq!(be["referring_authority"]["name"], "Fedasil");
    let got: Value = c
        .get(url("/api/v1/programmes/be-2026"))
        .bearer_auth(&counsellor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (got["currency"].as_str(), got["time_zone"].as_str()),
        (Some("EUR"), Some("Europe/Brussels"))
    );
    let doc: Value = c
        .get(url("/api/v1/programmes/be-2026/rules"))
        .bearer_auth(&counsellor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (doc["currency"].as_str(), doc["version"].as_i64()),
        (Some("EUR"), Some(1))
    );
    let p = problem(
        c.post(url("/api/v1/programmes"))
            .bearer_auth(&admin)
            .json(&brussels())
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "code-taken");

    // Its cases are evaluated by its rules, in its currency.
    let q = json!({"programme": "be-2026", "application_date": "2026-09-01", "residence_region": "Brussels",
        "claim": {"filed_on": "2025-03-01", "outcome": "rejected", "decided_on": "2026-02-01", "designated_country_of_origin": false},
        "criminality": "none", "compliant_with_conditions": true, "prior_avrr_assistance": false});
    let e: Value = c
        .post(url("/api/v1/eligibility/evaluate"))
        .bearer_auth(&counsellor)
        .json(&q)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(e["rule_set"], "be-2026@1");
    assert_eq!(
        (
            e["entitlement"]["amount_minor"].as_i64(),
            e["entitlement"]["currency"].as_str()
        ),
        (Some(150000), Some("EUR"))
    );
    let mut gta = q.clone();
    gta["residence_region"] = json!("GTA");
    let e: Value = c
        .post(url("/api/v1/eligibility/evaluate"))
        .bearer_auth(&counsellor)
        .json(&gta)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(e["eligible"], false, "the GTA is not Belgium's: {e}");

    // Versions: preview (nothing written), add, list, get.
    let v2 = rules("2027-01-01", 180000);
    problem(
        c.post(url("/api/v1/programmes/be-2026/rules/preview"))
            .bearer_auth(&counsellor)
            .json(&v2)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let pv: Value = c
        .post(url("/api/v1/programmes/be-2026/rules/preview"))
        .bearer_auth(&admin)
        .json(&v2)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pv["version"], 2);
    assert!(
        pv["changes"].as_array().unwrap().is_empty(),
        "no open case yet: {pv}"
    );
    let p = problem(
        c.post(url("/api/v1/programmes/be-2026/rules/versions"))
            .bearer_auth(&admin)
            .json(&rules("2026-01-01", 1))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "rules.effective_from");
    let r = c
        .post(url("/api/v1/programmes/be-2026/rules/versions"))
        .bearer_auth(&admin)
        .json(&v2)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let list: Value = c
        .get(url("/api/v1/programmes/be-2026/rules/versions"))
        .bearer_auth(&counsellor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let one: Value = c
        .get(url("/api/v1/programmes/be-2026/rules/versions/2"))
        .bearer_auth(&counsellor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(one["rules"]["tiers"]["before_federal_court_leave"], 180000);
    for missing in [
        "/api/v1/programmes/be-2026/rules/versions/9",
        "/api/v1/programmes/be-2026/rules/versions/x",
    ] {
        problem(
            c.get(url(missing))
                .bearer_auth(&counsellor)
                .send()
                .await
                .unwrap(),
            StatusCode::NOT_FOUND,
        )
        .await;
    }
    // What-if with a named version.
    let mut w = q.clone();
    w["rule_version"] = json!(2);
    let e: Value = c
        .post(url("/api/v1/eligibility/evaluate"))
        .bearer_auth(&counsellor)
        .json(&w)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            e["rule_set"].as_str(),
            e["entitlement"]["amount_minor"].as_i64()
        ),
        (Some("be-2026@2"), Some(180000))
    );

    // Settings change with the version read.
    let mut edit = brussels();
    edit.as_object_mut().unwrap().remove("rules");
    edit["name"] = json!("AVRR Belgium (Fedasil)");
    edit["version"] = be["version"].clone();
    problem(
        c.patch(url("/api/v1/programmes/be-2026"))
            .bearer_auth(&counsellor)
            .json(&edit)
            .send()
            .await
            .unwrap(),
        StatusCode::FORBIDDEN,
    )
    .await;
    let changed: Value = c
        .patch(url("/api/v1/programmes/be-2026"))
        .bearer_auth(&admin)
        .json(&edit)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(changed["name"], "AVRR Belgium (Fedasil)");
    problem(
        c.patch(url("/api/v1/programmes/be-2026"))
            .bearer_auth(&admin)
            .json(&edit)
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;

    // The setup pages: admins only.
    let (staff, _) = sign_in_csrf(&app, "c@iom.int").await;
    for path in ["/admin/programmes/new", "/admin/programmes/be-2026/setup"] {
        let r = staff.get(url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let (b, csrf) = sign_in_csrf(&app, "admin@iom.int").await;
    let page = b.get(url("/admin/programmes/new")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    // A bad document comes back with its problems listed and what was typed kept.
    let bad_doc =
        r#"{"effective_from": "2026-03-01", "currency": "EUR", "tiers": {"prra_pending": -5}}"#;
    let form = [
        ("_csrf", csrf.as_str()),
        ("programme_code", "nl-2026"),
        ("name", "AVRR Netherlands"),
        ("host_country", "NL"),
        ("time_zone", "Europe/Amsterdam"),
        ("currency", "EUR"),
        ("authority_name", "Repatriation and Departure Service"),
        ("authority_short_name", "DT&V"),
        ("opens_on", "2026-03-01"),
        ("regions", "Noord-Holland, Zuid-Holland"),
        ("document", bad_doc),
    ];
    let r = b
        .post(url("/admin/programmes/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"rule-problems\""), "{html}");
    assert!(html.contains("<code>tiers.prra_pending</code>"));
    assert!(html.contains("value=\"Repatriation and Departure Service\""));
    let typed = html
        .split("id=\"f-document\"")
        .nth(1)
        .and_then(|t| t.split("</textarea>").next())
        .unwrap_or("");
    assert!(
        typed.contains("prra_pending") && typed.contains(": -5"),
        "what was typed is kept: {typed}"
    );
    assert!(!html.contains("error-"), "an untranslated key");
    assert_eq!(
        app.rows("programmes").await,
        programmes + 1,
        "nothing half-saved"
    );
    // Valid: created, then its setup page.
    let good = serde_json::to_string(&{
        let mut d = rules("2026-03-01", 120000);
        d["residence_regions"] = json!(["Noord-Holland", "Zuid-Holland"]);
        d
    })
    .unwrap();
    let mut form = form.to_vec();
    form.retain(|(k, _)| *k != "document");
    form.push(("document", good.as_str()));
    form.push(("feedback_due_days", "21"));
    form.push(("returnee_access_days", "400"));
    let r = b
        .post(url("/admin/programmes/new"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/admin/programmes/nl-2026/setup");
    let html = b
        .get(url("/admin/programmes/nl-2026/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Europe/Amsterdam") && html.contains("DT&amp;V"));
    assert!(
        html.contains("name=\"feedback_due_days\" value=\"21\"")
            && html.contains("name=\"returnee_access_days\" value=\"400\""),
        "the returnee's settings are kept"
    );
    // A new version through the multipart form: preview, then add.
    let next = good
        .replace("2026-03-01", "2027-01-01")
        .replace("120000", "130000");
    let form = |action: &'static str, doc: String| {
        reqwest::multipart::Form::new()
            .text("document", doc)
            .text("action", action)
    };
    let r = b
        .post(url("/admin/programmes/nl-2026/rules"))
        .header("x-csrf-token", &*csrf)
        .multipart(form("preview", next.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"rule-preview\""));
    let r = b
        .post(url("/admin/programmes/nl-2026/rules"))
        .header("x-csrf-token", &*csrf)
        .multipart(form("add", "{\"effective_from\": ".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("line 1"));
    // Uploaded as a file, it wins over the text box.
    let upload = reqwest::multipart::Form::new()
        .text("document", "ignored")
        .text("action", "add")
        .part(
            "file",
            reqwest::multipart::Part::bytes(next.into_bytes()).file_name("rules.json"),
        );
    let r = b
        .post(url("/admin/programmes/nl-2026/rules"))
        .header("x-csrf-token", &*csrf)
        .multipart(upload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list: Value = c
        .get(url("/api/v1/programmes/nl-2026/rules/versions"))
        .bearer_auth(&counsellor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    // The multipart form without its token is refused.
    let r = b
        .post(url("/admin/programmes/nl-2026/rules"))
        .multipart(form("add", "{}".into()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
both_databases!(programmes_http, programmes_over_http);
