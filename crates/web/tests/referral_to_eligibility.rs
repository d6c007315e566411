//! From CBSA's referral to eligibility and departure preparations, on the pages and the API.

use homeward_store::{both_databases, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{hidden, problem, sign_in_csrf as sign_in, start};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn the_path_from_referral_to_eligibility(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let hu_tok = app.token("hu@iom.int", "mission_officer", Some("HU")).await;
    let (cb, cb_csrf) = sign_in(&app, "cbsa@cbsa.gc.ca").await;
    // CBSA refers with the immigration facts; a bad fact comes back with the form kept.
    let mut form = vec![
        ("_csrf", cb_csrf.as_str()),
        ("programme", "gta-2012"),
        ("family_name", "Kolompár"),
        ("given_names", "Erzsébet"),
        ("country_of_return", "HU"),
        ("referral.claim_filed_on", "2012-03-01"),
        ("referral.claim_outcome", "rejected"),
        ("referral.irb_decided_on", "2012-02-01"),
        ("referral.designated_country_of_origin", "no"),
        ("referral.compliant_with_conditions", "yes"),
        ("referral.criminality", "none"),
        ("referral.residence_region", "GTA"),
        ("referral.prior_avrr_assistance", "no"),
    ];
    let before = app.counts().await;
    let r = cb.post(app.url("/cases")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("The decision cannot come before the claim.")
            && body.contains("value=\"Kolompár\"")
    );
    assert_eq!(app.counts().await, before);
    form[7] = ("referral.irb_decided_on", "2012-06-01");
    let r = cb.post(app.url("/cases")).form(&form).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let saved = r.headers()["location"].to_str().unwrap().to_string();
    // The case, and a message that it is saved.
    let case_url = saved.trim_end_matches("?done=saved").to_string();
    assert_ne!(case_url, saved);
    let id = case_url.trim_start_matches("/cases/").to_string();
    let page = cb
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"contact-clock\"") && page.contains("Rejected by the Board"));
    assert!(
        !page.contains("id=\"counselling\"")
            && !page.contains("id=\"consent\"")
            && !page.contains("id=\"attachments\""),
        "CBSA sees no counselling, consent or attachments"
    );

    // The counsellor sees the new referral first thing and takes it by starting the intake.
    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    let dash = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(dash.contains("id=\"waiting\"") && dash.contains("Kolompár, Erzsébet"));
    let page = c
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = hidden(&page, "version");
    let r = c
        .post(app.url(&format!("{case_url}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "intake"),
            ("version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("id=\"contact-clock\""), "the clock stopped");
    let v = hidden(&page, "version");
    c.post(app.url(&format!("{case_url}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "counselling"),
            ("version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();

    // A counselling session: bad input keeps what was typed; then it is recorded.
    let r = c
        .post(app.url(&format!("{case_url}/counselling")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("held_on", "2020-01-01"),
            ("duration_minutes", "ninety"),
            ("language", "hu"),
            ("notes", "Fears for her son's schooling."),
            ("topic.return_options", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Fears for her son&#39;s schooling.")
            && body.contains("Enter a whole number."),
        "notes kept"
    );
    let r = c
        .post(app.url(&format!("{case_url}/counselling")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("held_on", "2020-01-01"),
            ("duration_minutes", "90"),
            ("language", "hu"),
            ("notes", "Fears for her son's schooling."),
            ("topic.return_options", "on"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The mission sees the notes only once the person consents to sharing with it.
    let cn = app.url(&format!("/api/v1/cases/{id}/counselling"));
    assert_eq!(
        Client::new()
            .get(&cn)
            .bearer_auth(&hu_tok)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND,
        "a case in counselling is not the mission's"
    );
    let r = c
        .post(app.url(&format!("{case_url}/consents")))
        .form(&[("_csrf", csrf.as_str()), ("purpose", "share_with_mission")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // ... and once the case is the mission's: preparing departure (issue 22).
    homeward_store::on_db!(&app.store.db, p => sqlx::query("UPDATE cases SET status = 'preparing_departure' WHERE id = $1")
        .bind(uuid::Uuid::parse_str(&id).unwrap()).execute(p).await.map(|_| ()))
    .unwrap();
    let notes: Value = Client::new()
        .get(&cn)
        .bearer_auth(&hu_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(notes[0]["notes"], "Fears for her son's schooling.");
    // Back to counselling, where the rest of this walk goes on.
    homeward_store::on_db!(&app.store.db, p => sqlx::query("UPDATE cases SET status = 'counselling' WHERE id = $1")
        .bind(uuid::Uuid::parse_str(&id).unwrap()).execute(p).await.map(|_| ()))
    .unwrap();

    // The declaration: uploads need the CSRF token and a real PDF, PNG or JPEG.
    let up = |name: &str, bytes: &[u8]| {
        reqwest::multipart::Form::new()
            .text("kind", "declaration")
            .part(
                "file",
                reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
            )
    };
    let r = c
        .post(app.url(&format!("{case_url}/attachments")))
        .multipart(up("d.pdf", PDF))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("{case_url}/attachments")))
        .header("x-csrf-token", &*csrf)
        .multipart(up("evil.pdf", b"#!/bin/sh\nrm -rf /\n"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Only PDF, PNG and JPEG files are accepted"));
    // Applying without the declaration is refused with the reason.
    let page = c
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = hidden(&page, "version");
    let r = c
        .post(app.url(&format!("{case_url}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "applied"),
            ("version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Attach the signed voluntary-return declaration"));
    let r = c
        .post(app.url(&format!("{case_url}/attachments")))
        .header("x-csrf-token", &*csrf)
        .multipart(up("Déclaration.pdf", PDF))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list: Value = c
        .get(app.url(&format!("/api/v1/cases/{id}/attachments")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let aid = list[0]["id"].as_str().unwrap().to_string();
    let r = c
        .get(app.url(&format!("{case_url}/attachments/{aid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    assert_eq!(r.bytes().await.unwrap().as_ref(), PDF);
    assert_eq!(
        cb.get(app.url(&format!("{case_url}/attachments/{aid}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // The application stores the evaluation; the case page explains it.
    let r = c
        .post(app.url(&format!("{case_url}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "applied"),
            ("version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("CAD 2,000.00")
            && page.contains("gta-2012@1001")
            && page.contains("refused by the Immigration and Refugee Board")
    );
    // CBSA approves.
    let page = cb
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("CAD 2,000.00"),
        "CBSA sees the evaluation it decides on"
    );
    let v = hidden(&page, "version");
    let r = cb
        .post(app.url(&format!("{case_url}/transition")))
        .form(&[
            ("_csrf", cb_csrf.as_str()),
            ("to", "eligible"),
            ("version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let e: Value = cb
        .get(app.url(&format!("/api/v1/cases/{id}/evaluation")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(e["amount_minor"], 200000);
    // Referral facts over the API: a stale version is a conflict.
    let r = cb
        .put(app.url(&format!("/api/v1/cases/{id}/referral")))
        .header("x-csrf-token", &cb_csrf)
        .json(&json!({"version": 99, "facts": {}}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT).await;
    let r = cb
        .put(app.url(&format!("/api/v1/cases/{id}/referral")))
        .header("x-csrf-token", &cb_csrf)
        .json(&json!({"version": 1, "facts": {"claim_outcome": "maybe"}}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    // Departure preparations wait for a valid travel document, and say so.
    let page = c
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = hidden(&page, "version");
    let r = c
        .post(app.url(&format!("{case_url}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "preparing_departure"),
            ("version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Kolompár, Erzsébet: No travel document is on file."));
    let detail: Value = c
        .get(app.url(&format!("/api/v1/cases/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = detail["members"][0]["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = c
        .post(app.url(&format!("{case_url}/documents")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", pid.as_str()),
            ("kind", "passport"),
            ("number", "hu7654321"),
            ("issuing_country", "Hungary"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"hu7654321\"") && body.contains("Use two-letter ISO 3166"),
        "{}",
        body.lines()
            .filter(|l| l.contains("alert")
                || l.contains("error-text")
                || l.contains("<h1")
                || l.contains("<h2"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    let r = c
        .post(app.url(&format!("{case_url}/documents")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", pid.as_str()),
            ("kind", "passport"),
            ("number", "hu7654321"),
            ("issuing_country", "HU"),
            ("expires_on", "2031-05-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Fitness is health data: refused until the person consents to its collection.
    let fit = json!({"person_id": pid, "status": "fit", "special_assistance": ["WCHR"]});
    let r = c
        .post(app.url(&format!("/api/v1/cases/{id}/fitness")))
        .header("x-csrf-token", &csrf)
        .json(&fit)
        .send()
        .await
        .unwrap();
    let p = problem(r, StatusCode::UNPROCESSABLE_ENTITY).await;
    assert_eq!(p["errors"][0]["code"], "needs-health-consent");
    let page = c
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let v = hidden(&page, "version");
    let r = c
        .post(app.url(&format!("{case_url}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "preparing_departure"),
            ("version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        Client::new()
            .get(app.url(&format!("/api/v1/cases/{id}/fitness")))
            .bearer_auth(&hu_tok)
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "shared with the mission by consent"
    );
    let cb_docs: Value = cb
        .get(app.url(&format!("/api/v1/cases/{id}/documents")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(cb_docs[0]["number"], "HU7654321");
    assert_eq!(
        cb.get(app.url(&format!("/api/v1/cases/{id}/vulnerabilities")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let tasks = c.get(app.url("/tasks")).send().await.unwrap();
    assert_eq!(tasks.status(), StatusCode::OK);
    assert!(
        tasks
            .text()
            .await
            .unwrap()
            .contains("Fitness-to-travel check due"),
        "preparing departure without a fitness check"
    );
    let api_tasks: Value = c
        .get(app.url("/api/v1/tasks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api_tasks[0]["kind"], "fitness-check-due");
    // French labels on the new sections.
    let r = c
        .post(app.url("/lang"))
        .form(&[("_csrf", csrf.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url(&case_url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Séances de counseling")
            && page.contains("Pièces jointes")
            && page.contains("Consentement")
    );
    assert!(
        page.contains("2\u{202f}000,00\u{a0}CAD"),
        "amounts written the French way"
    );
}
both_databases!(before_departure, the_path_from_referral_to_eligibility);
