//! Two-factor sign-in in a real browser (headless Chromium through
//! chromedriver), on SQLite and PostgreSQL, with two-factor required:
//!
//! 1. after the password, the enrolment page: a QR code (inline SVG with a
//!    text alternative) and the key as text; every other page leads back;
//! 2. the key read from the page gives the code an authenticator app would
//!    show; confirming it shows ten recovery codes once, then the dashboard;
//! 3. signing out and in again asks for a code on a second page: a wrong
//!    code is refused with a message, the next one signs in.
//!
//! Run: `cargo test -p homeward-e2e --test two_factor -- --test-threads=1`.

mod support;

use homeward_domain::totp;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_factor_postgres() {
    journey(Db::Postgres).await;
}

fn code(secret: &str, steps: i64) -> String {
    totp::code_at(
        secret,
        chrono::Utc::now().timestamp() + steps * totp::STEP_SECONDS,
    )
    .unwrap()
}

async fn password(c: &fantoccini::Client, base: &str, email: &str) {
    open(c, base, "/login").await;
    type_into(c, "f-email", email).await;
    type_into(c, "f-password", PASSWORD).await;
    click_and_load(c, "form[action='/login'] button[type='submit']").await;
}

async fn journey(db: Db) {
    let app = App::start_with(
        db,
        homeward_web::WebConfig {
            require_two_factor: true,
            ..Default::default()
        },
    )
    .await;
    app.user("c@iom.int", "Amira", "counsellor", Some("toronto"))
        .await;
    let base = app.base.clone();
    let name = format!("two-factor-{}", db.name());
    with_browser(&name, move |c| async move {
        // 1. The password leads to enrolment, and nowhere else.
        password(&c, &base, "c@iom.int").await;
        assert_eq!(path_of(&c).await, "/account/two-factor");
        wait_css(&c, "figure.qr svg").await;
        assert!(text_of(&c, "#qr-alt").await.contains("c@iom.int"));
        open(&c, &base, "/cases").await;
        assert_eq!(path_of(&c).await, "/account/two-factor");
        assert_no_raw_keys(&c, "enrolment").await;
        screenshot(&c, "two-factor-enrol.png").await;

        // 2. The key as text gives the app's code.
        let secret: String = text_of(&c, "#totp-secret")
            .await
            .split_whitespace()
            .collect();
        assert!(totp::base32_decode(&secret).is_some_and(|k| k.len() == 20));
        type_into(&c, "f-code", &code(&secret, 0)).await;
        click_and_load(&c, "#two-factor-setup-form button[type='submit']").await;
        let codes = texts_of(&c, "#recovery-codes code").await;
        assert_eq!(codes.len(), 10, "{codes:?}");
        assert_no_raw_keys(&c, "recovery codes").await;
        // Going on asks to confirm they are saved: the browser holds the
        // form until the box is ticked.
        click(&c, "#codes-saved button[type='submit']").await;
        assert_eq!(path_of(&c).await, "/account/two-factor");
        click(&c, "#codes-saved input[name='saved']").await;
        click_and_load(&c, "#codes-saved button[type='submit']").await;
        assert_eq!(path_of(&c).await, "/?saved=1");

        // 3. Next sign-in: a code on a second page.
        sign_out(&c).await;
        password(&c, &base, "c@iom.int").await;
        assert!(path_of(&c).await.starts_with("/login/two-factor"));
        let wrong = (0..1_000_000)
            .map(|n| format!("{n:06}"))
            .find(|w| (-2..=2).all(|s| code(&secret, s) != *w))
            .unwrap();
        type_into(&c, "f-code", &wrong).await;
        click_and_load(&c, "#two-factor-form button[type='submit']").await;
        assert!(text_of(&c, "[role='alert']").await.contains("not right"));
        type_into(&c, "f-code", &code(&secret, 1)).await;
        click_and_load(&c, "#two-factor-form button[type='submit']").await;
        assert_eq!(path_of(&c).await, "/");
        assert_no_raw_keys(&c, "dashboard").await;
    })
    .await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}
