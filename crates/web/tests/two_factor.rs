//! Two-factor sign-in and re-authentication over real HTTP on SQLite and
//! PostgreSQL (docs/adr/0027): enrolment from the password page when
//! two-factor is required (QR code, secret as text, a first code, ten
//! recovery codes shown once), the second sign-in page with a code computed
//! here from the secret, wrong, reused, malformed and huge codes refused,
//! codes throttled like passwords, recovery codes working once, a
//! half-signed-in user reaching no page and no API; the admin reset
//! (audited, never with the secret; 403 for others); the password asked
//! again before an export, a donor report download and a role change.

use homeward_domain::totp;
use homeward_store::{both_databases, on_db, Store};
use reqwest::{Client, StatusCode};
use uuid::Uuid;

mod support;

use support::{browser, hidden, meta_csrf, sign_in_to, start_with, App, Options, PW};

fn required() -> Options {
    Options {
        require_two_factor: true,
        ..Options::default()
    }
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The code of `secret` `steps` steps from now.
fn code(secret: &str, steps: i64) -> String {
    totp::code_at(secret, unix_now() + steps * totp::STEP_SECONDS).unwrap()
}

/// A code that matches none of the steps the server could accept.
fn wrong_code(secret: &str) -> String {
    let near: Vec<String> = (-2..=2).map(|s| code(secret, s)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

async fn text(c: &Client, url: &str) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// The password step: returns the client and where it was sent.
async fn password(app: &App, email: &str) -> (Client, String) {
    let (c, r) = sign_in_to(app, email, "/cases").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "password of {email}");
    let to = location(&r);
    (c, to)
}

/// Posts a code on the second sign-in page.
async fn submit_code(app: &App, c: &Client, code: &str) -> reqwest::Response {
    let (s, page) = text(c, &app.url("/login/two-factor?next=%2Fcases")).await;
    assert_eq!(s, StatusCode::OK);
    c.post(app.url("/login/two-factor"))
        .form(&[
            ("_csrf", meta_csrf(&page).as_str()),
            ("code", code),
            ("next", hidden(&page, "next").as_str()),
        ])
        .send()
        .await
        .unwrap()
}

/// A half-signed-in client reaches nothing but its own page.
async fn reaches_nothing(app: &App, c: &Client, own: &str) {
    for path in [
        "/",
        "/cases",
        "/admin/users",
        "/exports/new",
        "/reauth",
        "/account/two-factor/recovery-codes",
    ] {
        let r = c.get(app.url(path)).send().await.unwrap();
        if path == own {
            continue;
        }
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), own, "{path}");
    }
    for path in ["/api/v1/me", "/api/v1/cases"] {
        let r = c.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(r
            .headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/problem+json"));
        assert!(r.text().await.unwrap().contains("two-factor-required"));
    }
    // A POST elsewhere is refused too (before its CSRF check).
    let r = c
        .post(app.url("/exports"))
        .form(&[("format", "csv")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

/// Signs in, enrols from the page it is sent to; returns the client (fully
/// signed in), the secret and the recovery codes.
async fn enrol(app: &App, email: &str) -> (Client, String, Vec<String>) {
    let (c, to) = password(app, email).await;
    assert_eq!(to, "/account/two-factor");
    let (s, page) = text(&c, &app.url(&to)).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<svg"), "inline QR code");
    assert!(page.contains("id=\"qr-alt\""), "text alternative");
    let secret = hidden_attr(&page, "data-secret");
    assert!(totp::base32_decode(&secret).is_some_and(|k| k.len() == 20));
    // Reloading keeps the same secret (the app scanned it).
    let (_, again) = text(&c, &app.url(&to)).await;
    assert_eq!(hidden_attr(&again, "data-secret"), secret);
    let csrf = meta_csrf(&page);
    // A wrong code, then the right one.
    let r = c
        .post(app.url("/account/two-factor"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", wrong_code(&secret).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(app.url("/account/two-factor"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", code(&secret, 0).as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    let codes: Vec<String> = body
        .split("<li><code>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(codes.len(), 10, "{body}");
    // They can be kept: a text file to download holds every code, and the
    // way on asks the user to say they saved them.
    let pat = "href=\"data:text/plain;charset=utf-8,";
    let at = body.find(pat).expect("the download link") + pat.len();
    let href = body[at..].split('"').next().unwrap();
    let file = percent_encoding::percent_decode_str(href)
        .decode_utf8()
        .unwrap()
        .to_string();
    assert!(codes.iter().all(|k| file.contains(k.as_str())), "{file}");
    assert!(
        body.contains("id=\"codes-print\"") && body.contains("name=\"saved\" value=\"1\" required")
    );
    let (s, _) = text(&c, &app.url("/")).await;
    assert_eq!(s, StatusCode::OK, "fully signed in after enrolment");
    (c, secret, codes)
}

fn hidden_attr(html: &str, attr: &str) -> String {
    let pat = format!("{attr}=\"");
    let i = html.find(&pat).unwrap_or_else(|| panic!("no {attr}")) + pat.len();
    html[i..].split('"').next().unwrap().to_string()
}

async fn sign_out(app: &App, c: &Client) {
    let (_, page) = text(c, &app.url("/")).await;
    let r = c
        .post(app.url("/logout"))
        .form(&[("_csrf", meta_csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

async fn audit_count(store: &Store, action: &str) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action).fetch_one(p).await)
    .unwrap()
}

/// Lets the next code work again (each test step otherwise waits 30 s).
async fn forget_last_step(store: &Store, email: &str) {
    on_db!(&store.db, p => sqlx::query("UPDATE users SET totp_last_step = 0 WHERE email = $1")
        .bind(email).execute(p).await.map(|_| ()))
    .unwrap();
}

async fn enrolment_and_sign_in_with_codes(store: Store) {
    let app = start_with(store, required()).await;
    app.user("c@iom.int", "counsellor", None).await;

    // After the password: only the enrolment page.
    let (half, to) = password(&app, "c@iom.int").await;
    assert_eq!(to, "/account/two-factor");
    reaches_nothing(&app, &half, "/account/two-factor").await;
    drop(half);

    let (c, secret, recovery) = enrol(&app, "c@iom.int").await;
    assert_eq!(audit_count(&app.store, "two_factor_enable").await, 1);
    let entries: Vec<(Option<String>,)> = on_db!(&app.store.db, p => sqlx::query_as(
        "SELECT after_json FROM audit_log").fetch_all(p).await)
    .unwrap();
    assert!(entries
        .iter()
        .all(|(a,)| !a.clone().unwrap_or_default().contains(&secret)));
    sign_out(&app, &c).await;

    // Next sign-in: the password, then the second page.
    let (c, to) = password(&app, "c@iom.int").await;
    assert_eq!(to, "/login/two-factor?next=%2Fcases");
    reaches_nothing(&app, &c, "/login/two-factor").await;
    // Empty, malformed, huge, wrong, and the code already used at enrolment.
    let r = submit_code(&app, &c, "").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("Type the code"));
    for bad in [
        "abcdef".to_string(),
        "9".repeat(10_000),
        wrong_code(&secret),
        code(&secret, 0),
    ] {
        let r = submit_code(&app, &c, &bad).await;
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{}",
            &bad[..bad.len().min(12)]
        );
        let body = r.text().await.unwrap();
        assert!(body.contains("not right, or it was already used"));
    }
    // The next step's code (a clock 30 s ahead is accepted) signs in.
    let next = code(&secret, 1);
    let r = submit_code(&app, &c, &next).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/cases");
    let (s, _) = text(&c, &app.url("/cases")).await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = text(&c, &app.url("/api/v1/me")).await;
    assert_eq!(s, StatusCode::OK);
    sign_out(&app, &c).await;

    // The same code again: refused (reuse).
    let (c, _) = password(&app, "c@iom.int").await;
    let r = submit_code(&app, &c, &next).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a code works once");
    // A recovery code works, once.
    let r = submit_code(&app, &c, &recovery[3].to_uppercase()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Told so, with how many remain.
    assert_eq!(r.headers()["location"], "/account/two-factor?recovery=used");
    assert_eq!(audit_count(&app.store, "recovery_code_use").await, 1);
    let (s, page) = text(&c, &app.url("/account/two-factor?recovery=used")).await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("<strong id=\"codes-left\">9</strong>"));
    assert!(page.contains("id=\"recovery-used\"") && page.contains("9 remain"));
    sign_out(&app, &c).await;
    let (c, _) = password(&app, "c@iom.int").await;
    let r = submit_code(&app, &c, &recovery[3]).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "a recovery code works once"
    );
    let r = submit_code(&app, &c, &recovery[4]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // New recovery codes (re-authentication is fresh: just signed in).
    let (_, page) = text(&c, &app.url("/account/two-factor")).await;
    let r = c
        .post(app.url("/account/two-factor/recovery-codes"))
        .form(&[("_csrf", meta_csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    assert_eq!(body.matches("<li><code>").count(), 10);
    sign_out(&app, &c).await;
    let (c, _) = password(&app, "c@iom.int").await;
    let r = submit_code(&app, &c, &recovery[5]).await;
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "old codes stop working"
    );
}
both_databases!(enrolment_and_sign_in, enrolment_and_sign_in_with_codes);

async fn wrong_codes_are_throttled(store: Store) {
    let app = start_with(store, required()).await;
    app.user("c@iom.int", "counsellor", None).await;
    let (c, secret, _) = enrol(&app, "c@iom.int").await;
    sign_out(&app, &c).await;
    let (c, _) = password(&app, "c@iom.int").await;
    for _ in 0..5 {
        let r = submit_code(&app, &c, &wrong_code(&secret)).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    forget_last_step(&app.store, "c@iom.int").await;
    // Even the right code is now refused, and so is the password.
    let r = submit_code(&app, &c, &code(&secret, 0)).await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let c2 = browser();
    let (_, page) = text(&c2, &app.url("/login")).await;
    let r = c2
        .post(app.url("/login"))
        .form(&[
            ("_login_csrf", hidden(&page, "_login_csrf").as_str()),
            ("email", "c@iom.int"),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}
both_databases!(throttled, wrong_codes_are_throttled);

async fn admin_resets_two_factor(store: Store) {
    let app = start_with(store, required()).await;
    let cid = app.user("c@iom.int", "counsellor", None).await;
    app.user("admin@iom.int", "admin", None).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let (counsellor, secret, _) = enrol(&app, "c@iom.int").await;
    let (admin, _, _) = enrol(&app, "admin@iom.int").await;
    let (sup, _, _) = enrol(&app, "sup@iom.int").await;

    // Not for a supervisor.
    let (_, page) = text(&sup, &app.url("/")).await;
    let r = sup
        .post(app.url(&format!("/admin/users/{cid}/two-factor/reset")))
        .form(&[("_csrf", meta_csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(audit_count(&app.store, "two_factor_reset").await, 0);

    let (s, page) = text(&admin, &app.url("/admin/users")).await;
    assert_eq!(s, StatusCode::OK);
    let action = format!("/admin/users/{cid}/two-factor/reset");
    assert!(page.contains(&action));
    let r = admin
        .post(app.url(&action))
        .form(&[("_csrf", meta_csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (actor, entity_id, before, after): (Option<String>, Option<String>, Option<String>, Option<String>) =
        on_db!(&app.store.db, p => sqlx::query_as(
            "SELECT actor_email, entity_id, before_json, after_json FROM audit_log WHERE action = 'two_factor_reset'")
            .fetch_one(p).await)
        .unwrap();
    assert_eq!(actor.as_deref(), Some("admin@iom.int"));
    assert_eq!(entity_id, Some(cid.to_string()));
    let json = format!("{before:?}{after:?}");
    assert!(json.contains("two_factor") && !json.contains(&secret));

    // The counsellor's session ended; the next sign-in enrols again.
    let r = counsellor.get(app.url("/cases")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/login"));
    let (_, to) = password(&app, "c@iom.int").await;
    assert_eq!(to, "/account/two-factor");
}
both_databases!(admin_reset, admin_resets_two_factor);

/// Moves every session's last re-authentication 11 minutes back.
async fn age_reauthentication(store: &Store) {
    let t = homeward_store::now() - chrono::Duration::minutes(11);
    on_db!(&store.db, p => sqlx::query("UPDATE sessions SET reauthenticated_at = $1")
        .bind(t).execute(p).await.map(|_| ()))
    .unwrap();
}

async fn reauthentication_before_sensitive_actions(store: Store) {
    let app = start_with(store, Options::default()).await;
    app.user("sup@iom.int", "supervisor", None).await;
    app.user("admin@iom.int", "admin", None).await;
    let target = app.user("c@iom.int", "counsellor", None).await;
    let token = app.token("api@iom.int", "supervisor", None).await;
    let (c, csrf) = support::sign_in_csrf(&app, "sup@iom.int").await;

    // Just signed in: the export starts at once.
    let form = [
        ("_csrf", csrf.as_str()),
        ("col-case_number", "on"),
        ("format", "csv"),
        ("q", "Horvath"),
    ];
    let r = c
        .post(app.url("/exports"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // Eleven minutes later: the password first, the form kept.
    age_reauthentication(&app.store).await;
    let r = c
        .post(app.url("/exports"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("name=\"_reauth_password\""));
    assert!(page.contains("action=\"/exports\""));
    assert_eq!(hidden(&page, "col-case_number"), "on");
    assert_eq!(hidden(&page, "q"), "Horvath");
    let n: i64 = on_db!(&app.store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM exports").fetch_one(p).await).unwrap();
    assert_eq!(n, 1, "no export started without the password");
    let mut again: Vec<(&str, &str)> = form.to_vec();
    again.push(("_reauth_password", "not the password"));
    let r = c
        .post(app.url("/exports"))
        .form(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let long = "x".repeat(10_000);
    let mut huge: Vec<(&str, &str)> = form.to_vec();
    huge.push(("_reauth_password", &long));
    let r = c
        .post(app.url("/exports"))
        .form(&huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let mut right: Vec<(&str, &str)> = form.to_vec();
    right.push(("_reauth_password", PW));
    let r = c
        .post(app.url("/exports"))
        .form(&right)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/downloads");
    let n: i64 = on_db!(&app.store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM exports").fetch_one(p).await).unwrap();
    assert_eq!(n, 2);

    // The API with the browser session: 403 until re-authenticated; a token is exempt.
    age_reauthentication(&app.store).await;
    let body = serde_json::json!({"columns": ["case_number"], "format": "csv"});
    let r = c
        .post(app.url("/api/v1/exports"))
        .header("x-csrf-token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("reauthentication-required"));
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/exports"))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);

    // A donor report download: to /reauth and back.
    let wanted = "/reports/donor.csv?period=2026-Q3";
    let r = c.get(app.url(wanted)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.starts_with("/reauth?next="), "{to}");
    let (s, page) = text(&c, &app.url(&to)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(hidden(&page, "next"), wanted);
    let r = c
        .post(app.url("/reauth"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("next", wanted),
            ("_reauth_password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), wanted);
    let r = c.get(app.url(wanted)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    // Off-site `next` targets are ignored.
    let r = c
        .post(app.url("/reauth"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("next", "//evil.example/"),
            ("_reauth_password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/");

    // A role change by the admin.
    let (admin, acsrf) = support::sign_in_csrf(&app, "admin@iom.int").await;
    age_reauthentication(&app.store).await;
    let action = format!("/admin/users/{target}/role");
    let r = admin
        .post(app.url(&action))
        .form(&[
            ("_csrf", acsrf.as_str()),
            ("role", "supervisor"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let page = r.text().await.unwrap();
    assert!(page.contains("name=\"_reauth_password\""));
    assert!(page.contains(&format!("action=\"{action}\"")));
    let role: String =
        on_db!(&app.store.db, p => sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(target).fetch_one(p).await)
        .unwrap();
    assert_eq!(role, "counsellor");
    let r = admin
        .post(app.url(&action))
        .form(&[
            ("_csrf", acsrf.as_str()),
            ("role", hidden(&page, "role").as_str()),
            ("version", hidden(&page, "version").as_str()),
            ("_reauth_password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let role: String =
        on_db!(&app.store.db, p => sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(target).fetch_one(p).await)
        .unwrap();
    assert_eq!(role, "supervisor");
    assert_eq!(audit_count(&app.store, "change_role").await, 1);
    // Not one's own role; nor by a non-admin.
    let me: Uuid = on_db!(&app.store.db, p => sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@iom.int'")
        .fetch_one(p).await)
    .unwrap();
    let r = admin
        .post(app.url(&format!("/admin/users/{me}/role")))
        .form(&[
            ("_csrf", acsrf.as_str()),
            ("role", "analyst"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(app.url(&action))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("role", "admin"),
            ("version", "2"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
both_databases!(reauthentication, reauthentication_before_sensitive_actions);

async fn reauthentication_asks_for_a_code(store: Store) {
    let app = start_with(store, required()).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let (c, secret, _) = enrol(&app, "sup@iom.int").await;
    let (_, page) = text(&c, &app.url("/")).await;
    let csrf = meta_csrf(&page);
    age_reauthentication(&app.store).await;
    let wanted = "/reports/donor.csv?period=2026-Q3";
    let (s, page) = text(
        &c,
        &app.url(&format!(
            "/reauth?next={}",
            "%2Freports%2Fdonor.csv%3Fperiod%3D2026-Q3"
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("name=\"_reauth_code\""));
    let post = |code: String| {
        let c = c.clone();
        let url = app.url("/reauth");
        let csrf = csrf.clone();
        async move {
            c.post(url)
                .form(&[
                    ("_csrf", csrf.as_str()),
                    ("next", wanted),
                    ("_reauth_password", PW),
                    ("_reauth_code", code.as_str()),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(post(String::new()).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        post(wrong_code(&secret)).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = post(code(&secret, 1)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), wanted);
}
both_databases!(reauth_code, reauthentication_asks_for_a_code);

/// The retention purge asks for the password and, for an admin with
/// two-factor on, the code, every time; wrong answers go through the sign-in
/// throttle (docs/asvs.md 3.7.1). Nothing is deleted until both are right.
async fn purge_asks_for_the_code(store: Store) {
    let app = start_with(store, required()).await;
    app.user("admin@iom.int", "admin", None).await;
    let (c, secret, _) = enrol(&app, "admin@iom.int").await;
    let (s, page) = text(&c, &app.url("/admin/retention")).await;
    assert_eq!(s, StatusCode::OK);
    let csrf = meta_csrf(&page);
    let purge = |code: String| {
        c.post(app.url("/admin/retention/purge"))
            .form(&[
                ("_csrf", csrf.clone()),
                ("password", PW.to_string()),
                ("code", code),
            ])
            .send()
    };
    // The password alone, or with a wrong code: refused, the form again.
    for code in [String::new(), wrong_code(&secret), "9".repeat(5000)] {
        let r = purge(code).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        let body = r.text().await.unwrap();
        assert!(body.contains("Nothing was deleted"), "{body}");
    }
    forget_last_step(&app.store, "admin@iom.int").await;
    let r = purge(code(&secret, 0)).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Wrong answers count towards the throttle: after five, even the
    // right code is refused for a while.
    for _ in 0..5 {
        let r = purge(wrong_code(&secret)).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    forget_last_step(&app.store, "admin@iom.int").await;
    let r = purge(code(&secret, 0)).await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("Too many wrong attempts"));
}
both_databases!(purge_code, purge_asks_for_the_code);
