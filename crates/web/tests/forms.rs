//! Case and person forms: CSRF, typed input kept on errors, oversize bodies, stale versions.

use homeward_store::{both_databases, on_db, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

mod support;

use support::{case_form, hidden, problem, sign_in_csrf as sign_in, start};

async fn forms_keep_input_and_need_csrf(store: Store) {
    let app = start(store).await;
    app.user("c@iom.int", "counsellor", None).await;
    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    let before = app.counts().await;
    // Missing and wrong CSRF tokens: refused, nothing written.
    let r = c
        .post(app.url("/cases"))
        .form(&case_form("", "Kovács", "1980-01-01", "HU")[1..])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url("/cases"))
        .form(&case_form("forged", "Kovács", "1980-01-01", "HU"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.text().await.unwrap().contains("Form expired"),
        "people get a page, not JSON"
    );
    // The API with a session cookie needs the header too; with it, it works.
    let body = json!({"principal": {"family_name": "Header"}, "country_of_return": "HU"});
    let r = c
        .post(app.url("/api/v1/cases"))
        .json(&body)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::FORBIDDEN).await;
    assert_eq!(app.counts().await, before);
    let r = c
        .post(app.url("/api/v1/cases"))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let before = app.counts().await;
    // Invalid input: the form comes back with what was typed and the errors by the fields.
    let r = c
        .post(app.url("/cases"))
        .form(&case_form(&csrf, "Kovács <b>", "2999-01-01", "Hungary"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"Kovács &lt;b&gt;\""),
        "typed value kept and escaped"
    );
    assert!(body.contains("This date is in the future."));
    assert!(body.contains("Use two-letter ISO 3166 country codes"));
    assert!(body.contains("value=\"Hungary\""));
    assert_eq!(app.counts().await, before, "nothing half-written");
    // Oversize form: refused with 413, nothing written.
    let big = "x".repeat(300 * 1024);
    let r = c
        .post(app.url("/cases"))
        .form(&case_form(&csrf, &big, "1980-01-01", "HU"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(app.counts().await, before);
    // A valid form creates the case and shows it.
    let r = c
        .post(app.url("/cases"))
        .form(&case_form(&csrf, "Kovács", "1980-01-01", "hu"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let page = c
        .get(app.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Kovács, Ana"));
    assert!(page.contains("TOR-"));
    // The list finds it by name, accents and case as typed.
    let list = c
        .get(app.url("/cases?q=kovács"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("Kovács, Ana"));
    // Workflow buttons: the counsellor sees only what they may do.
    assert!(page.contains("name=\"to\" value=\"intake\""));
    assert!(!page.contains("name=\"to\" value=\"eligible\""));
    // The new case, saved and said so.
    assert!(loc.ends_with("?done=saved"), "{loc}");
    assert!(page.contains("id=\"done\""));
    let id = loc
        .trim_start_matches("/cases/")
        .trim_end_matches("?done=saved");
    let version = hidden(&page, "version");
    let r = c
        .post(app.url(&format!("/cases/{id}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "withdrawn"),
            ("version", version.as_str()),
            ("reason", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "withdrawal needs a reason"
    );
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("Give a reason for this step."));
    let r = c
        .post(app.url(&format!("/cases/{id}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "intake"),
            ("version", version.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Replaying the old version is a conflict, not a silent double step.
    let r = c
        .post(app.url(&format!("/cases/{id}/transition")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "counselling"),
            ("version", version.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Opening the case page was recorded as a read.
    let reads: i64 = on_db!(&app.store.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = 'read' AND entity = 'case'").fetch_one(p).await).unwrap();
    assert!(reads >= 1);
    // Editing a person: errors keep the typed values; a stale version is a conflict that keeps them too.
    let case: Value = c
        .get(app.url(&format!("/api/v1/cases/{id}")))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pid = case["members"][0]["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let edit = c
        .get(app.url(&format!("/persons/{pid}/edit")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let pv = hidden(&edit, "version");
    let r = c
        .post(app.url(&format!("/persons/{pid}/edit")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("version", pv.as_str()),
            ("family_name", "Kovácsné"),
            ("email", "not-an-email"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"Kovácsné\"")
            && body.contains("value=\"not-an-email\"")
            && body.contains("Enter a valid email address.")
    );
    let r = c
        .post(app.url(&format!("/persons/{pid}/edit")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("version", pv.as_str()),
            ("family_name", "Kovácsné"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(app.url(&format!("/persons/{pid}/edit")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("version", pv.as_str()),
            ("family_name", "Stale Name"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("value=\"Stale Name\""));
    // Adding a family member through the case page.
    let r = c
        .post(app.url(&format!("/cases/{id}/members")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("relationship", "child"),
            ("family_name", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(app.url(&format!("/cases/{id}/members")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("relationship", "child"),
            ("family_name", "Kovács"),
            ("given_names", "Bence"),
            ("date_of_birth", "2010-05-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url(&format!("/cases/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Kovács, Bence") && page.contains("Child"));
    // A malformed id is a 404 page, not a crash.
    assert_eq!(
        c.get(app.url("/cases/not-a-uuid"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}
both_databases!(forms, forms_keep_input_and_need_csrf);
