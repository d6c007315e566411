//! Changing a travel document over real HTTP, on SQLite and PostgreSQL
//! (issue 23): the counsellor opens the document as a form (filled in),
//! a bad date comes back with what was typed, a good change is saved and
//! shown on the case; the API takes the same change; finance is refused,
//! a document of another case is not found.

use homeward_store::{both_databases, readiness, testing, tokens, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

mod support;

use support::{actor_of, sign_in_csrf, start};

async fn a_document_is_changed(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    app.user("fin@iom.int", "finance", None).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (case, mother, _) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    let (other, _, _) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    let doc = readiness::documents(&app.store, &couns, case)
        .await
        .unwrap()
        .into_iter()
        .find(|d| d.person_id == mother)
        .unwrap();
    let edit = format!("/cases/{case}/documents/{}/edit", doc.id);
    let save = format!("/cases/{case}/documents/{}", doc.id);

    let (c, csrf) = sign_in_csrf(&app, "c@iom.int").await;
    let page = c.get(app.url(&edit)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("value=\"HU1234567\"") && page.contains("value=\"2031-01-01\""));
    let form = |expires: &'static str| {
        vec![
            ("_csrf", csrf.clone()),
            ("person_id", mother.to_string()),
            ("kind", "passport".to_string()),
            ("number", "HU7777777".to_string()),
            ("issuing_country", "HU".to_string()),
            ("expires_on", expires.to_string()),
        ]
    };
    let r = c
        .post(app.url(&save))
        .form(&form("31/12/2035"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("value=\"31/12/2035\"") && body.contains("value=\"HU7777777\""));
    let r = c
        .post(app.url(&save))
        .form(&form("2035-12-31"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Saved, and said so once on the case.
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(back, format!("/cases/{case}?done=saved#documents"));
    let case_page = c
        .get(app.url(&back))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(case_page.contains("HU7777777") && case_page.contains("2035-12-31"));
    assert!(
        case_page.contains(&edit),
        "each document links to its change"
    );

    // Finance may not; another case's document is not there.
    let (f, f_csrf) = sign_in_csrf(&app, "fin@iom.int").await;
    assert_eq!(
        f.get(app.url(&edit)).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let r = f
        .post(app.url(&save))
        .form(&[("_csrf", f_csrf.as_str()), ("kind", "passport")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        c.get(app.url(&format!("/cases/{other}/documents/{}/edit", doc.id)))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // The API: the whole document as edited.
    let tok = tokens::create(&app.store, couns.user_id).await.unwrap();
    let r = reqwest::Client::new()
        .put(app.url(&format!("/api/v1/cases/{case}/documents/{}", doc.id)))
        .bearer_auth(&tok)
        .json(
            &json!({"person_id": mother, "kind": "passport", "number": "HU8888888",
                      "issuing_country": "HU", "expires_on": "2036-01-31"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let docs: Value = r.json().await.unwrap();
    assert!(docs
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["number"] == "HU8888888" && d["expires_on"] == "2036-01-31"));
}
both_databases!(documents, a_document_is_changed);
