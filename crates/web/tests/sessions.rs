//! Signing in and out, session expiry, the security headers on pages, and the language switch.

use homeward_store::{both_databases, on_db, sessions, Store};
use reqwest::StatusCode;

mod support;

use support::{browser, hidden, sign_in_csrf as sign_in, start, PW};

async fn sign_in_out_and_expiry(store: Store) {
    let app = start(store).await;
    app.user("c@iom.int", "counsellor", None).await;
    let c = browser();
    assert_eq!(
        c.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "anonymous users go to sign-in"
    );
    let mut page = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // Wrong password and unknown email get the same answer, and the email stays typed.
    let mut answers = Vec::new();
    for email in ["c@iom.int", "nobody@iom.int"] {
        let token = hidden(&page, "_login_csrf");
        let r = c
            .post(app.url("/login"))
            .form(&[
                ("_login_csrf", token.as_str()),
                ("email", email),
                ("password", "wrong password!"),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        let status = r.status();
        let body = r.text().await.unwrap();
        page = body.clone();
        assert!(body.contains(&format!("value=\"{email}\"")));
        answers.push((status, body.contains("The email or password is not right.")));
    }
    assert_eq!(answers[0], (StatusCode::UNAUTHORIZED, true));
    assert_eq!(answers[0], answers[1]);
    // A sign-in form posted without its double-submit token is refused.
    let r = browser()
        .post(app.url("/login"))
        .form(&[("email", "c@iom.int"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // An open redirect through `next` is not possible.
    let page = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(app.url("/login"))
        .form(&[
            ("_login_csrf", hidden(&page, "_login_csrf").as_str()),
            ("email", "c@iom.int"),
            ("password", PW),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/");

    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    let dash = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(dash.headers()["x-frame-options"], "DENY");
    let csp = dash.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    // No inline script or style anywhere on our pages.
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(dash.headers()["referrer-policy"], "no-referrer");
    // Not behind TLS here: no HSTS.
    assert!(!dash.headers().contains_key("strict-transport-security"));
    assert!(dash.headers().contains_key("x-request-id"));
    assert!(dash.text().await.unwrap().contains("User counsellor"));
    // Sign-out needs the CSRF token, then ends the session.
    assert_eq!(
        c.post(app.url("/logout")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.post(app.url("/logout"))
            .form(&[("_csrf", csrf.as_str())])
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        c.get(app.url("/")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );

    // An idle session ends: pages go to sign-in, the API answers 401.
    let (c, _) = sign_in(&app, "c@iom.int").await;
    on_db!(&app.store.db, p => sqlx::query("UPDATE sessions SET last_seen_at = $1")
        .bind(chrono::Utc::now() - chrono::Duration::hours(2)).execute(p).await.map(|_| ()))
    .unwrap();
    assert_eq!(
        c.get(app.url("/cases")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let r = c.get(app.url("/api/v1/cases")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let _ = sessions::Lifetimes::default();
}
both_databases!(sign_in, sign_in_out_and_expiry);

async fn language_switch(store: Store) {
    let app = start(store).await;
    app.user("c@iom.int", "counsellor", None).await;
    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    let r = c
        .post(app.url("/lang"))
        .header("referer", app.url("/cases"))
        .form(&[("_csrf", csrf.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/cases");
    let page = c
        .get(app.url("/cases"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("<html lang=\"fr\">"));
    assert!(page.contains("Dossiers") && page.contains("Tous les statuts"));
    // The choice is remembered for the user's next session.
    let (c2, _) = sign_in(&app, "c@iom.int").await;
    let page = c2
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Tableau de bord"));
    // Anonymous visitors get their browser's language.
    let page = browser()
        .get(app.url("/login"))
        .header("accept-language", "fr-CA,fr;q=0.9")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Connexion à Homeward"));
}
both_databases!(language, language_switch);
