//! Sign-in throttling and password rules over real HTTP on SQLite and
//! PostgreSQL (docs/adr/0024): five wrong passwords, then even the right one
//! gets 429 and the generic message; an unknown email gets the very same
//! answers; another account from the same address still signs in; an admin
//! cannot create a user with a short or common password or the email as
//! password, and nothing is written.

use homeward_store::{both_databases, users, Store};
use reqwest::{Client, StatusCode};

mod support;

use support::{browser as client, hidden, meta_csrf, post_sign_in, start, App, PW};

/// One sign-in through the real form: the status, and the page with the
/// per-request form token and the typed email blanked out (to compare answers).
async fn attempt(app: &App, c: &Client, email: &str, password: &str) -> (StatusCode, String) {
    let res = post_sign_in(app, c, email, password, "/").await;
    let status = res.status();
    let signed_in = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("hw_session="));
    assert_eq!(signed_in, status == StatusCode::SEE_OTHER, "{email}");
    let body = res.text().await.unwrap();
    if status == StatusCode::SEE_OTHER {
        return (status, body);
    }
    assert!(
        body.contains(&format!("value=\"{email}\"")),
        "keeps the email"
    );
    assert!(!body.contains(password), "never echoes the password");
    let token = hidden(&body, "_login_csrf");
    (
        status,
        body.replace(&token, "TOKEN").replace(email, "EMAIL"),
    )
}

const BAD: &str = "The email or password is not right.";
const TOO_MANY: &str = "Too many attempts. Please try again in a few minutes.";

async fn throttled_after_five_failures(store: Store) {
    let app = start(store).await;
    app.user("known@iom.int", "counsellor", None).await;
    app.user("other@iom.int", "counsellor", None).await;
    let c = client();

    let mut known = Vec::new();
    for _ in 0..5 {
        let (s, body) = attempt(&app, &c, "known@iom.int", "wrong password!!").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert!(body.contains(BAD));
        known.push(body);
    }
    // The right password now gets the generic answer, and no session.
    let (s, throttled) = attempt(&app, &c, "known@iom.int", PW).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.contains(TOO_MANY) && !throttled.contains(BAD));

    // An unknown email: the very same answers, failure by failure.
    for (i, body) in known.iter().enumerate() {
        let (s, b) = attempt(&app, &c, "nobody@iom.int", "wrong password!!").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        assert_eq!(&b, body, "failure {i}");
    }
    let (s, b) = attempt(&app, &c, "nobody@iom.int", "anything at all").await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(b, throttled);

    // Another account from the same address still signs in.
    let (s, _) = attempt(&app, &client(), "other@iom.int", PW).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    // The throttled account is still refused, and it was audited.
    let (s, _) = attempt(&app, &client(), "known@iom.int", PW).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let n: i64 = homeward_store::on_db!(&app.store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'sign_in_throttled'")
        .fetch_one(p).await)
    .unwrap();
    assert_eq!(n, 2, "one entry per throttled account");
}
both_databases!(throttle, throttled_after_five_failures);

async fn password_rules_on_user_creation(store: Store) {
    let app = start(store).await;
    app.user("admin@iom.int", "admin", None).await;
    let c = client();
    let (s, _) = attempt(&app, &c, "admin@iom.int", PW).await;
    assert_eq!(s, StatusCode::SEE_OTHER);
    let page = c
        .get(app.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = meta_csrf(&page);
    for (password, message) in [
        ("short", "at least 12 characters"),
        ("Password1234", "too common"),
        ("QWERTYUIOP123", "too common"),
        ("new.user@iom.int", "must not be the email address"),
        ("my new.user password", "must not contain the email address"),
    ] {
        let r = c
            .post(app.url("/admin/users"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("email", "new.user@iom.int"),
                ("name", "New User"),
                ("role", "counsellor"),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{password}");
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{password}: {message}");
        assert!(body.contains("value=\"new.user@iom.int\""));
        if password != "new.user@iom.int" {
            assert!(!body.contains(&format!("value=\"{password}\"")));
        }
        assert!(users::by_email(&app.store, "new.user@iom.int")
            .await
            .unwrap()
            .is_none());
    }
    let r = c
        .post(app.url("/admin/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "new.user@iom.int"),
            ("name", "New User"),
            ("role", "counsellor"),
            ("password", "three unrelated words"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(users::by_email(&app.store, "new.user@iom.int")
        .await
        .unwrap()
        .is_some());
}
both_databases!(password_rules, password_rules_on_user_creation);
