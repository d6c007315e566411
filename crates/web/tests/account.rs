//! Changing one's own password (ASVS 2.1.5, 2.1.6, 3.3.3): the current
//! password first (throttled like sign-in), the password rules for the new
//! one, every other session ends, audited without the password. Both databases.

mod support;

use homeward_store::{both_databases, on_db, Store};
use reqwest::StatusCode;
use support::{browser, post_sign_in, sign_in_csrf, start, App, PW};

const NEW: &str = "Tamarind-harbour-1987";

/// Signs in with `password` through the real form; the status of the answer.
async fn try_sign_in(app: &App, email: &str, password: &str) -> StatusCode {
    post_sign_in(app, &browser(), email, password, "/")
        .await
        .status()
}

async fn own_password(store: Store) {
    let app = start(store.clone()).await;
    app.user("amira@iom.int", "counsellor", None).await;

    // Nobody signed in: the sign-in page.
    let anon = browser()
        .get(app.url("/account/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), StatusCode::SEE_OTHER);
    assert!(anon.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login"));

    let (a, csrf) = sign_in_csrf(&app, "amira@iom.int").await;
    let (b, _) = sign_in_csrf(&app, "amira@iom.int").await;
    let page = a.get(app.url("/account/password")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page
        .text()
        .await
        .unwrap()
        .contains("name=\"current_password\""));

    let post = |fields: Vec<(&'static str, String)>| {
        let mut form = vec![("_csrf", csrf.clone())];
        form.extend(fields);
        a.post(app.url("/account/password")).form(&form).send()
    };
    // Without the CSRF token: refused.
    let r = a
        .post(app.url("/account/password"))
        .form(&[
            ("current_password", PW),
            ("new_password", NEW),
            ("confirm_password", NEW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A wrong current password: said next to the field, nothing changes, no password echoed.
    let r = post(vec![
        ("current_password", "not my password at all".into()),
        ("new_password", NEW.into()),
        ("confirm_password", NEW.into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        !html.contains(NEW),
        "a password is never written back into the page"
    );
    assert!(html.contains("aria-invalid"), "{html}");
    // Rules on the new one: too short, the email itself, the two differ; a 10 kB
    // current password is just wrong (no 500).
    for (current, new, confirm, field) in [
        (
            PW.to_string(),
            "short".to_string(),
            "short".to_string(),
            "new_password",
        ),
        (
            PW.to_string(),
            "amira@iom.int".to_string(),
            "amira@iom.int".to_string(),
            "new_password",
        ),
        (
            PW.to_string(),
            NEW.to_string(),
            format!("{NEW}x"),
            "confirm_password",
        ),
        (
            "x".repeat(10_000),
            NEW.to_string(),
            NEW.to_string(),
            "current_password",
        ),
    ] {
        let r = post(vec![
            ("current_password", current),
            ("new_password", new),
            ("confirm_password", confirm),
        ])
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let html = r.text().await.unwrap();
        assert!(
            html.contains(&format!("id=\"e-{field}\"")),
            "{field}: {html}"
        );
    }
    assert_eq!(
        try_sign_in(&app, "amira@iom.int", PW).await,
        StatusCode::SEE_OTHER
    );

    // The change: this session stays, the other one ends, the old password stops working.
    let r = post(vec![
        ("current_password", PW.into()),
        ("new_password", NEW.into()),
        ("confirm_password", NEW.into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("role=\"status\""));
    assert_eq!(
        a.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        b.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        try_sign_in(&app, "amira@iom.int", NEW).await,
        StatusCode::SEE_OTHER
    );
    assert_ne!(
        try_sign_in(&app, "amira@iom.int", PW).await,
        StatusCode::SEE_OTHER
    );

    // Audited, with no password in the entry.
    let after: Vec<Option<String>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'change_password'").fetch_all(p).await)
    .unwrap();
    assert_eq!(after.len(), 1);
    let json = after[0].clone().unwrap_or_default();
    assert!(!json.contains(NEW) && !json.contains(PW), "{json}");
}

both_databases!(account_password, own_password);
