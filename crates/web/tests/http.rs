//! The real server on a free port, over real HTTP, on SQLite and PostgreSQL.

use homeward_store::{both_databases, on_db, sessions, tokens, users, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{browser, hidden, meta_csrf, start, App, PW};

impl App {
    async fn count(&self, table: &str) -> i64 {
        let q = format!("SELECT COUNT(*) FROM {table}");
        on_db!(&self.store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
    }

    async fn counts(&self) -> (i64, i64, i64) {
        (
            self.count("cases").await,
            self.count("persons").await,
            self.count("case_transitions").await,
        )
    }
}

/// Signs in through the real form; returns the client and the session's CSRF token.
async fn sign_in(app: &App, email: &str) -> (Client, String) {
    let c = browser();
    let page = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let res = c
        .post(app.url("/login"))
        .form(&[
            ("_login_csrf", hidden(&page, "_login_csrf").as_str()),
            ("email", email),
            ("password", PW),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "sign-in of {email}");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("hw_session="));
    let cookie = cookie.expect("session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let dash = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (c, meta_csrf(&dash))
}

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

fn case_form<'a>(
    csrf: &'a str,
    family: &'a str,
    dob: &'a str,
    country: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("_csrf", csrf),
        ("programme", "gta-2012"),
        ("family_name", family),
        ("given_names", "Ana"),
        ("date_of_birth", dob),
        ("country_of_return", country),
        ("sex", "female"),
        ("nationalities", "HU"),
    ]
}

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
    let id = loc.trim_start_matches("/cases/");
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

async fn problem(r: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().await.unwrap()
}

async fn api_bad_input_is_refused_cleanly(store: Store) {
    let app = start(store).await;
    let tok = app.token("c@iom.int", "counsellor", None).await;
    let other = app.token("c2@iom.int", "counsellor", None).await;
    let c = Client::new();
    let auth = |r: reqwest::RequestBuilder| r.bearer_auth(&tok);
    let before = app.counts().await;
    let audit_before = app.count("audit_log").await;

    problem(
        c.get(app.url("/api/v1/cases")).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    problem(
        c.get(app.url("/api/v1/cases"))
            .bearer_auth("hwt_forged")
            .send()
            .await
            .unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    let p = problem(
        auth(c.post(app.url("/api/v1/cases")))
            .header("content-type", "application/json")
            .body("{\"principal\": ")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(p["type"], "https://homeward.invalid/problems/json-syntax");
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&json!({"principal": {"family_name": 42}}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&json!({"principal": {"family_name": "A"}, "is_admin": true}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .body("{}")
            .send()
            .await
            .unwrap(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
    )
    .await;
    let big = json!({"principal": {"family_name": "x".repeat(400 * 1024)}});
    problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&big)
            .send()
            .await
            .unwrap(),
        StatusCode::PAYLOAD_TOO_LARGE,
    )
    .await;
    let p = problem(
        auth(c.post(app.url("/api/v1/cases")))
            .json(&json!({"principal": {"date_of_birth": "yesterday"}, "country_of_return": "XX1"}))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let fields: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"principal.family_name")
            && fields.contains(&"principal.date_of_birth")
            && fields.contains(&"country_of_return"),
        "{p}"
    );
    problem(
        auth(c.get(app.url("/api/v1/cases?page=abc")))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/cases?per_page=100000")))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/cases?status=deported")))
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/cases/not-a-uuid")))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        auth(c.get(app.url(&format!("/api/v1/cases/{}", uuid::Uuid::new_v4()))))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    problem(
        auth(c.get(app.url("/api/v1/nothing-here")))
            .send()
            .await
            .unwrap(),
        StatusCode::NOT_FOUND,
    )
    .await;
    assert_eq!(app.counts().await, before, "no bad request wrote anything");
    assert_eq!(app.count("audit_log").await, audit_before);

    // A good request works; another counsellor's fetch of it is a 404, and so is a change.
    let r = auth(c.post(app.url("/api/v1/cases"))).json(&json!({"principal": {"family_name": "Lakatos", "given_names": "Zoltán", "nationalities": ["HU"]}, "country_of_return": "HU"})).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let case: Value = r.json().await.unwrap();
    let id = case["id"].as_str().unwrap().to_string();
    assert_eq!(case["status"], "referred");
    assert_eq!(
        case["members"][0]["person"]["display_name"],
        "Lakatos, Zoltán"
    );
    let r = c
        .get(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let r = c
        .patch(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(&other)
        .json(&json!({"version": 1, "country_of_return": "MX"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::NOT_FOUND).await;
    let listed: Value = c
        .get(app.url("/api/v1/cases"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed["total"], 0);

    // Optimistic concurrency: a stale version answers 409 and changes nothing.
    let v = case["version"].as_i64().unwrap();
    let r = auth(c.patch(app.url(&format!("/api/v1/cases/{id}"))))
        .json(&json!({"version": v, "country_of_return": "CZ"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = auth(c.patch(app.url(&format!("/api/v1/cases/{id}"))))
        .json(&json!({"version": v, "country_of_return": "MX"}))
        .send()
        .await
        .unwrap();
    problem(r, StatusCode::CONFLICT).await;
    let now: Value = auth(c.get(app.url(&format!("/api/v1/cases/{id}"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(now["country_of_return"], "CZ");

    // Transitions through the API, with the workflow's refusals as problems.
    let p = problem(
        auth(c.post(app.url(&format!("/api/v1/cases/{id}/transitions"))))
            .json(&json!({"to": "eligible"}))
            .send()
            .await
            .unwrap(),
        StatusCode::CONFLICT,
    )
    .await;
    assert_eq!(
        p["type"],
        "https://homeward.invalid/problems/transition-not-allowed"
    );
    let r = auth(c.post(app.url(&format!("/api/v1/cases/{id}/transitions"))))
        .json(&json!({"to": "intake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let tl: Value = auth(c.get(app.url(&format!("/api/v1/cases/{id}/transitions"))))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(tl.as_array().unwrap().len(), 2);
}
both_databases!(api_bad_input, api_bad_input_is_refused_cleanly);

async fn roles_are_refused_what_they_may_not_see(store: Store) {
    let app = start(store).await;
    let counsellor = app.token("c@iom.int", "counsellor", None).await;
    let roles = [
        ("supervisor", None),
        ("cbsa_officer", None),
        ("mission_officer", Some("HU")),
        ("finance", None),
        ("analyst", None),
        ("admin", None),
        ("auditor", None),
    ];
    let mut tok = std::collections::HashMap::new();
    for (r, country) in roles {
        tok.insert(r, app.token(&format!("{r}@iom.int"), r, country).await);
    }
    let c = Client::new();
    let case: Value = c.post(app.url("/api/v1/cases")).bearer_auth(&counsellor)
        .json(&json!({"principal": {"family_name": "García", "phone": "+1 416 555 0100", "uci": "12345678"}, "country_of_return": "CO"}))
        .send().await.unwrap().json().await.unwrap();
    let id = case["id"].as_str().unwrap();
    let case_url = app.url(&format!("/api/v1/cases/{id}"));
    let status = |t: &str, url: &str| {
        let (c, t, url) = (c.clone(), t.to_string(), url.to_string());
        async move { c.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    // Case records: roles without case access are forbidden; the HU mission officer cannot see a CO case.
    for r in ["analyst", "admin", "auditor"] {
        assert_eq!(
            status(&tok[r], &app.url("/api/v1/cases")).await,
            StatusCode::FORBIDDEN,
            "{r}"
        );
        assert_eq!(
            status(&tok[r], &case_url).await,
            StatusCode::FORBIDDEN,
            "{r}"
        );
    }
    assert_eq!(
        status(&tok["mission_officer"], &case_url).await,
        StatusCode::NOT_FOUND
    );
    for r in ["supervisor", "cbsa_officer", "finance"] {
        assert_eq!(status(&tok[r], &case_url).await, StatusCode::OK, "{r}");
    }
    // Finance sees the case but not the person's contact details or identifiers.
    let f: Value = c
        .get(&case_url)
        .bearer_auth(&tok["finance"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(f["members"][0]["person"].get("contact").is_none());
    let s: Value = c
        .get(&case_url)
        .bearer_auth(&tok["supervisor"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        s["members"][0]["person"]["contact"]["phone"],
        "+1 416 555 0100"
    );
    // Only CBSA may decide eligibility; finance may not move cases at all.
    let r = c
        .post(app.url(&format!("/api/v1/cases/{id}/transitions")))
        .bearer_auth(&tok["finance"])
        .json(&json!({"to": "intake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("/api/v1/cases/{id}/transitions")))
        .bearer_auth(&tok["cbsa_officer"])
        .json(&json!({"to": "intake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Only CBSA, counsellors and supervisors create cases.
    for r in ["mission_officer", "finance", "analyst", "admin", "auditor"] {
        let res = c
            .post(app.url("/api/v1/cases"))
            .bearer_auth(&tok[r])
            .json(&json!({"principal": {"family_name": "X"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{r}");
    }
    // The audit trail is the auditor's alone.
    for (r, t) in &tok {
        let want = if *r == "auditor" {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status(t, &app.url("/api/v1/audit")).await, want, "{r}");
    }
    assert_eq!(
        status(&counsellor, &app.url("/api/v1/audit")).await,
        StatusCode::FORBIDDEN
    );
    let a: Value = c
        .get(app.url(&format!("/api/v1/audit?case_id={id}&action=read")))
        .bearer_auth(&tok["auditor"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(a["total"].as_i64().unwrap() >= 4, "reads are audited: {a}");

    // Pages follow the same rules.
    app.user("an2@iom.int", "analyst", None).await;
    app.user("ad2@iom.int", "admin", None).await;
    app.user("au2@iom.int", "auditor", None).await;
    app.user("c3@iom.int", "counsellor", None).await;
    let (an, _) = sign_in(&app, "an2@iom.int").await;
    assert_eq!(
        an.get(app.url("/tasks")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        an.get(app.url("/cases")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        an.get(app.url(&format!("/cases/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        an.get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let dash = an
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dash.contains("Cases by status") && !dash.contains("García"),
        "analysts get counts, never names"
    );
    let (c3, _) = sign_in(&app, "c3@iom.int").await;
    assert_eq!(
        c3.get(app.url(&format!("/cases/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c3.get(app.url("/audit")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c3.get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    // CBSA and finance read cases but may not edit them or their people.
    app.user("cb2@iom.int", "cbsa_officer", None).await;
    app.user("fi2@iom.int", "finance", None).await;
    let pid = s["members"][0]["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for email in ["cb2@iom.int", "fi2@iom.int"] {
        let (b, _) = sign_in(&app, email).await;
        assert_eq!(
            b.get(app.url(&format!("/cases/{id}")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK,
            "{email}"
        );
        assert_eq!(
            b.get(app.url(&format!("/cases/{id}/edit")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
        assert_eq!(
            b.get(app.url(&format!("/persons/{pid}/edit")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
    }
    let (fi, _) = sign_in(&app, "fi2@iom.int").await;
    let page = fi
        .get(app.url(&format!("/cases/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("416 555 0100") && !page.contains("12345678"),
        "finance sees no contact details or identifiers"
    );
    let (au, _) = sign_in(&app, "au2@iom.int").await;
    let page = au
        .get(app.url("/audit?action=create&entity=case"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("c@iom.int"));
    let (ad, csrf) = sign_in(&app, "ad2@iom.int").await;
    assert_eq!(
        ad.get(app.url("/cases")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ad.get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // The admin creates a user (errors keep the typed values) and deactivates one.
    let r = ad
        .post(app.url("/admin/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "new@iom.int"),
            ("name", "New"),
            ("role", "mission_officer"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"new@iom.int\"")
            && body.contains("at least 12 characters")
            && !body.contains("value=\"short\"")
    );
    let r = ad
        .post(app.url("/admin/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "new@iom.int"),
            ("name", "New"),
            ("role", "mission_officer"),
            ("country", "hu"),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let u = users::by_email(&app.store, "c3@iom.int")
        .await
        .unwrap()
        .unwrap();
    let r = ad
        .post(app.url(&format!("/admin/users/{}/active", u.id)))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("active", "false"),
            ("version", &u.version.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c3.get(app.url("/cases")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "a deactivated user is signed out"
    );
}
both_databases!(access_matrix, roles_are_refused_what_they_may_not_see);

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

async fn eligibility_what_if(store: Store) {
    let app = start(store).await;
    let tok = app.token("f@iom.int", "finance", None).await;
    let c = Client::new();
    let body = json!({"programme": "gta-2012", "application_date": "2012-09-01", "residence_region": "GTA",
        "claim": {"filed_on": "2012-03-01", "outcome": "rejected", "decided_on": "2012-06-01", "designated_country_of_origin": false},
        "federal_court_leave_filed_on": null, "prra_applied_on": null, "prra_decided_on": null,
        "criminality": "none", "compliant_with_conditions": true, "prior_avrr_assistance": false});
    let before = app.counts().await;
    let audit = app.count("audit_log").await;
    let url = app.url("/api/v1/eligibility/evaluate");
    let r: Value = c
        .post(&url)
        .bearer_auth(&tok)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["eligible"], true);
    assert_eq!(r["entitlement"]["amount_minor"], 200000);
    assert_eq!(r["entitlement"]["currency"], "CAD");
    assert_eq!(r["rule_set"], "gta-2012@1");
    assert!(r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .all(|x| x["outcome"] == "pass" && x["explanation"].as_str().unwrap().len() > 5));
    // Ineligible: false, no entitlement, at least one failing rule; explanations in the caller's language.
    let mut w = body.clone();
    w["claim"]["outcome"] = json!("withdrawn");
    let r: Value = c
        .post(&url)
        .bearer_auth(&tok)
        .header("accept-language", "fr")
        .json(&w)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["eligible"], false);
    assert!(r["entitlement"].is_null());
    let failing: Vec<&Value> = r["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["outcome"] == "fail")
        .collect();
    assert_eq!(failing.len(), 1);
    assert!(
        failing[0]["explanation"]
            .as_str()
            .unwrap()
            .contains("demande retirée"),
        "{r}"
    );
    // Malformed input: 422 with what is wrong.
    for bad in [
        json!({"programme": "gta-2012"}),
        {
            let mut b = body.clone();
            b["application_date"] = json!("2012-02-30");
            b
        },
        {
            let mut b = body.clone();
            b["criminality"] = json!("some");
            b
        },
        {
            let mut b = body.clone();
            b["surprise"] = json!(1);
            b
        },
    ] {
        let p = problem(
            c.post(&url)
                .bearer_auth(&tok)
                .json(&bad)
                .send()
                .await
                .unwrap(),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        assert!(p["detail"].as_str().is_some(), "{p}");
    }
    let mut b = body.clone();
    b["application_date"] = json!("2011-01-01");
    let p = problem(
        c.post(&url)
            .bearer_auth(&tok)
            .json(&b)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "application_date");
    b["programme"] = json!("nope");
    let p = problem(
        c.post(&url)
            .bearer_auth(&tok)
            .json(&b)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "programme");
    problem(
        c.post(&url).json(&body).send().await.unwrap(),
        StatusCode::UNAUTHORIZED,
    )
    .await;
    assert_eq!(app.counts().await, before, "the calculator stores nothing");
    assert_eq!(app.count("audit_log").await, audit);

    // The what-if page, in the browser's way.
    app.user("a@iom.int", "analyst", None).await;
    let (b, csrf) = sign_in(&app, "a@iom.int").await;
    assert_eq!(
        b.get(app.url("/eligibility"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let form = [
        ("_csrf", csrf.as_str()),
        ("programme", "gta-2012"),
        ("application_date", "2012-09-01"),
        ("residence_region", "GTA"),
        ("claim_filed_on", "2012-03-01"),
        ("claim_outcome", "rejected"),
        ("claim_decided_on", "2012-06-01"),
        ("federal_court_leave_filed_on", "2012-08-01"),
        ("criminality", "none"),
        ("compliant_with_conditions", "yes"),
        ("prior_avrr_assistance", "no"),
    ];
    let page = b
        .post(app.url("/eligibility"))
        .form(&form)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("CAD 1,500.00"),
        "leave filed: the second tier"
    );
    let mut bad = form.to_vec();
    bad[2] = ("application_date", "01/09/2012");
    let r = b
        .post(app.url("/eligibility"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("value=\"01/09/2012\"") && page.contains("Enter a real date"));
}
both_databases!(eligibility, eligibility_what_if);

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
    let case_url = r.headers()["location"].to_str().unwrap().to_string();
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
        StatusCode::FORBIDDEN
    );
    let r = c
        .post(app.url(&format!("{case_url}/consents")))
        .form(&[("_csrf", csrf.as_str()), ("purpose", "share_with_mission")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
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
        .post(app.url(&format!("{case_url}/attachments?_csrf={csrf}")))
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
        .post(app.url(&format!("{case_url}/attachments?_csrf={csrf}")))
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

async fn actor_of(app: &App, email: &str) -> homeward_store::Actor {
    users::by_email(&app.store, email)
        .await
        .unwrap()
        .expect("user")
        .actor(None)
}

async fn travel_letters_departure_and_inbox(store: Store) {
    use chrono::{Duration, Utc};
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let cbsa_tok = tokens::create(&app.store, actor_of(&app, "cbsa@cbsa.gc.ca").await.user_id)
        .await
        .unwrap();
    let c_tok = tokens::create(&app.store, actor_of(&app, "c@iom.int").await.user_id)
        .await
        .unwrap();
    let hu_tok = app.token("hu@iom.int", "mission_officer", Some("HU")).await;
    let mx_tok = app.token("mx@iom.int", "mission_officer", Some("MX")).await;
    let an_tok = app.token("an@iom.int", "analyst", None).await;
    let fin_tok = app.token("fin@iom.int", "finance", None).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (id, mother, son) =
        homeward_store::testing::eligible_family(&app.store, &cbsa, &couns).await;
    let case_url = format!("/cases/{id}");
    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    let get = |cl: &Client, p: &str| {
        let u = app.url(p);
        let cl = cl.clone();
        async move { cl.get(u).send().await.unwrap().text().await.unwrap() }
    };
    let page = get(&c, &case_url).await;
    assert!(page.contains("id=\"travel\"") && page.contains("Book flights"));

    // A booking with mistakes comes back with what was typed and nothing saved.
    let m = format!("traveller.{mother}");
    let s = format!("traveller.{son}");
    let mt = format!("ticket.{mother}");
    let mut form: Vec<(&str, &str)> = vec![
        ("_csrf", csrf.as_str()),
        (m.as_str(), "on"),
        (mt.as_str(), "12"),
        ("segments[0].carrier", "AC"),
        ("segments[0].flight_number", "876"),
        ("segments[0].from", "XXQ"),
        ("segments[0].to", "FRA"),
        ("segments[0].departs_local", "2027-03-13T22:00"),
        ("segments[0].arrives_local", "2027-03-14T12:00"),
        ("segments[1].carrier", "LH"),
        ("segments[1].flight_number", "1334"),
        ("segments[1].from", "FRA"),
        ("segments[1].to", "BUD"),
        ("segments[1].departs_local", "2027-03-14T12:45"),
        ("segments[1].arrives_local", "2027-03-14T14:15"),
        ("fare", "18,42.5x"),
        ("fare_currency", "CAD"),
        ("departure_assistance", "on"),
    ];
    let r = c
        .post(app.url(&format!("{case_url}/itineraries")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Enter an amount such as 1842.50."), "{body}");
    form[15] = ("fare", "1842.50");
    let r = c
        .post(app.url(&format!("{case_url}/itineraries")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("A ticket number has 13 digits") && body.contains("value=\"XXQ\""),
        "{body}"
    );
    assert_eq!(app.count("itineraries").await, 0);
    // Fixed: the family flies across the spring-forward night.
    form[2] = (mt.as_str(), "014 2345678901");
    form[5] = ("segments[0].from", "yyz");
    form.push((s.as_str(), "on"));
    let r = c
        .post(app.url(&format!("{case_url}/itineraries")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get(&c, &case_url).await;
    assert!(
        page.contains("2027-03-13 22:00") && page.contains("America/Toronto"),
        "local times with their zone"
    );
    assert!(
        page.contains("Short connection"),
        "a 45-minute connection is flagged"
    );
    assert!(page.contains("CAD 1,842.50"));

    // Who reads the itinerary over the API; who may not book.
    let api = Client::new();
    let read = |tok: &str| {
        api.get(app.url(&format!("/api/v1/cases/{id}/itineraries")))
            .bearer_auth(tok)
            .send()
    };
    let its: Value = read(&cbsa_tok).await.unwrap().json().await.unwrap();
    assert_eq!(its[0]["segments"][0]["departs_at"], "2027-03-14T03:00:00Z");
    assert_eq!(its[0]["segments"][1]["departs_at"], "2027-03-14T11:45:00Z");
    assert_eq!(read(&hu_tok).await.unwrap().status(), StatusCode::OK);
    assert_eq!(read(&fin_tok).await.unwrap().status(), StatusCode::OK);
    assert_eq!(read(&mx_tok).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(read(&an_tok).await.unwrap().status(), StatusCode::FORBIDDEN);
    for tok in [&cbsa_tok, &hu_tok, &fin_tok] {
        let r = api
            .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
            .bearer_auth(tok)
            .json(&json!({"travellers": [{"person_id": mother}], "segments": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
        .bearer_auth(&c_tok)
        .json(&json!({"travellers": [{"person_id": mother}], "segments": [{"carrier": "AC"}], "deportee": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
        .bearer_auth(&c_tok)
        .header("content-type", "application/json")
        .body("{\"travellers\": [")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert_eq!(app.count("itineraries").await, 1);

    // Airports as you type, for any signed-in user only.
    let a: Value = api
        .get(app.url("/api/v1/airports?q=toronto"))
        .bearer_auth(&an_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(a.as_array().unwrap().iter().any(|x| x["iata"] == "YYZ"));
    let opts = get(&c, "/airports/suggest?segments%5B0%5D.from=bogo").await;
    assert!(opts.contains("value=\"BOG\""), "{opts}");
    let r = Client::new()
        .get(app.url("/api/v1/airports?q=yyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The letter form offers the principal's own language first.
    on_db!(&app.store.db, p => sqlx::query("UPDATE persons SET preferred_languages = $1 WHERE id = $2")
        .bind("[\"hu\",\"en\"]").bind(mother).execute(p).await.map(|_| ()))
    .unwrap();
    let page = get(&c, &case_url).await;
    let langs = &page[page.find("id=\"f-let-lang\"").expect("the language choice")..];
    assert!(
        langs.find("value=\"hu\"").unwrap() < langs.find("value=\"en\"").unwrap(),
        "Hungarian first"
    );
    // The travel letter in Hungarian, stored with its hash; CBSA may not read it.
    let r = c
        .post(app.url(&format!("{case_url}/letters")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("kind", "travel-letter"),
            ("lang", "hu"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ls: Value = api
        .get(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&c_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ls[0]["kind"], "travel-letter");
    assert_eq!(ls[0]["lang"], "hu");
    let lid = ls[0]["id"].as_str().unwrap().to_string();
    let r = c
        .get(app.url(&format!("/letters/{lid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    {
        use sha2::Digest;
        assert_eq!(ls[0]["sha256"], hex::encode(sha2::Sha256::digest(&pdf)));
    }
    let r = api
        .get(app.url(&format!("/api/v1/letters/{lid}")))
        .bearer_auth(&cbsa_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = api
        .get(app.url(&format!("/api/v1/letters/{lid}")))
        .bearer_auth(&hu_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&c_tok)
        .json(&json!({"kind": "removal-order", "lang": "xx"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&cbsa_tok)
        .json(&json!({"kind": "departure-confirmation", "lang": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Rebooked for today; the departure needs fitness checks within 72 hours.
    homeward_store::cases::transition(&app.store, &couns, id, "preparing_departure", None, None)
        .await
        .unwrap();
    let toronto = chrono_tz::America::Toronto;
    let dep = Utc::now() + Duration::hours(1);
    let arr = dep + Duration::hours(9);
    let fmt = |t: chrono::DateTime<Utc>, tz: chrono_tz::Tz| {
        t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
    };
    let old = its[0]["id"].as_str().unwrap().to_string();
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
        .bearer_auth(&c_tok)
        .json(&json!({
            "travellers": [{"person_id": mother}, {"person_id": son}],
            "segments": [{"carrier": "AC", "flight_number": "880", "from": "YYZ", "to": "BUD",
                "departs_local": fmt(dep, toronto), "arrives_local": fmt(arr, chrono_tz::Europe::Budapest)}],
            "replaces": old, "reason": "Earlier flight found",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let it: Value = r.json().await.unwrap();
    let iid = it["id"].as_str().unwrap().to_string();
    let v = it["version"].as_i64().unwrap().to_string();
    let r = c
        .post(app.url(&format!("/itineraries/{iid}/departure")))
        .form(&[("_csrf", csrf.as_str()), ("version", v.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Horváth, Bence: no fitness-to-travel check"),
        "{body}"
    );
    for p in [mother, son] {
        homeward_store::readiness::add_fitness(
            &app.store,
            &couns,
            id,
            &homeward_store::readiness::FitnessInput {
                person_id: Some(p),
                status: Some("fit".into()),
                checked_at: Some(Utc::now() - Duration::hours(20)),
                special_assistance: vec!["WCHR".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    // Only IOM Toronto confirms a departure.
    let r = api
        .post(app.url(&format!("/api/v1/itineraries/{iid}/departure")))
        .bearer_auth(&cbsa_tok)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("/itineraries/{iid}/departure")))
        .form(&[("_csrf", csrf.as_str()), ("version", v.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get(&c, &case_url).await;
    assert!(
        page.contains("id=\"case-status\">Departed"),
        "the case departed"
    );

    // The manifest: the mission of the country of return sees its arrivals,
    // CBSA sees the flight but no health codes, another mission nothing.
    let man = |tok: &str| {
        api.get(app.url("/api/v1/manifests"))
            .bearer_auth(tok)
            .send()
    };
    let mc: Value = man(&c_tok).await.unwrap().json().await.unwrap();
    assert_eq!(mc[0]["flight_number"], "880");
    assert_eq!(mc[0]["travellers"].as_array().unwrap().len(), 2);
    assert_eq!(mc[0]["travellers"][0]["special_assistance"][0], "WCHR");
    let mb: Value = man(&cbsa_tok).await.unwrap().json().await.unwrap();
    assert!(mb[0]["travellers"][0]["special_assistance"].is_null());
    let mh: Value = man(&hu_tok).await.unwrap().json().await.unwrap();
    assert_eq!(mh[0]["travellers"].as_array().unwrap().len(), 2);
    let mm: Value = man(&mx_tok).await.unwrap().json().await.unwrap();
    assert!(mm.as_array().unwrap().is_empty());
    assert_eq!(man(&an_tok).await.unwrap().status(), StatusCode::FORBIDDEN);
    let page = get(&c, "/manifests").await;
    assert!(page.contains("AC880") && page.contains("Horváth, Ágnes"));

    // Times in the reader's zone: Toronto for IOM Toronto, Budapest for the HU mission.
    let (hu, _) = sign_in(&app, "hu@iom.int").await;
    let hu_page = get(&hu, &case_url).await;
    let zone_of = |page: &str| {
        let tl = &page[page.find("id=\"tl-h\"").expect("the timeline")..];
        (tl.contains(" EST "), tl.contains(" CET "))
    };
    assert_eq!(
        zone_of(&hu_page),
        (false, true),
        "the mission reads Budapest time"
    );
    assert_eq!(
        zone_of(&get(&c, &case_url).await),
        (true, false),
        "Toronto reads Toronto time"
    );
    // CBSA's inbox tells the referring officer; the counsellor's inbox is empty.
    let (cb, cb_csrf) = sign_in(&app, "cbsa@cbsa.gc.ca").await;
    let inbox = get(&cb, "/inbox").await;
    assert!(
        inbox.contains("Departure confirmed for case") && inbox.contains("AC880"),
        "{inbox}"
    );
    let n: Value = api
        .get(app.url("/api/v1/notifications"))
        .bearer_auth(&cbsa_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n.as_array().unwrap().len(), 1);
    let nid = n[0]["id"].as_str().unwrap().to_string();
    let r = api
        .post(app.url(&format!("/api/v1/notifications/{nid}/read")))
        .bearer_auth(&c_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "not the counsellor's message"
    );
    let r = cb
        .post(app.url(&format!("/inbox/{nid}/read")))
        .form(&[("_csrf", cb_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let inbox = get(&cb, "/inbox").await;
    assert!(!inbox.contains("class=\"unread\""));
    assert!(get(&c, "/inbox").await.contains("No messages."));
    // CBSA sees the departure confirmation letter but not the travel letter.
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&c_tok)
        .json(&json!({"kind": "departure-confirmation", "lang": "fr"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let seen: Value = api
        .get(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&cbsa_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["departure-confirmation"]);
}
both_databases!(travel, travel_letters_departure_and_inbox);

async fn admins_see_and_retry_background_jobs(store: Store) {
    use homeward_store::jobs::{self, Attempt, Backoff, NewJob};
    let app = start(store).await;
    app.user("admin@iom.int", "admin", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let mut tx = app.store.begin().await.unwrap();
    let id = jobs::enqueue_job(
        &mut tx,
        &NewJob {
            kind: "cbsa_webhook",
            payload: &json!({"case_number": "TOR-2026-000042", "travellers": [{"name": "Secret, Person"}]}),
            run_at: homeward_store::now(),
            dedupe_key: None,
            max_attempts: 1,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    jobs::claim(
        &app.store,
        "w",
        &["cbsa_webhook"],
        std::time::Duration::from_secs(60),
    )
    .await
    .unwrap()
    .unwrap();
    jobs::finish(
        &app.store,
        id,
        "w",
        Attempt::GiveUp {
            http_status: Some(403),
            error: "HTTP 403 from the receiver".into(),
        },
        &Backoff::default(),
    )
    .await
    .unwrap();
    let (a, csrf) = sign_in(&app, "admin@iom.int").await;
    let page = a
        .get(app.url("/admin/jobs"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&id.to_string()) && page.contains("data-status=\"failed\""));
    assert!(page.contains("HTTP 403 from the receiver"));
    assert!(
        !page.contains("Secret, Person") && !page.contains("TOR-2026-000042"),
        "no payload"
    );
    // Others are refused, the page and the retry alike.
    let (c, c_csrf) = sign_in(&app, "c@iom.int").await;
    let r = c.get(app.url("/admin/jobs")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .form(&[("_csrf", c_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Without the CSRF token nothing happens; with it the job is due again.
    let r = a
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        jobs::get(&app.store, id).await.unwrap().status.as_str(),
        "failed"
    );
    let r = a
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        jobs::get(&app.store, id).await.unwrap().status.as_str(),
        "pending"
    );
    let audited: i64 = on_db!(&app.store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'job' AND action = 'retry' AND entity_id = $1")
        .bind(id.to_string()).fetch_one(p).await)
    .unwrap();
    assert_eq!(audited, 1);
    let r = a
        .post(app.url(&format!("/admin/jobs/{}/retry", uuid::Uuid::new_v4())))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}
both_databases!(admin_jobs, admins_see_and_retry_background_jobs);

async fn a_case_for_someone_already_known(store: Store) {
    app_case_for_existing(start(store).await).await;
}

async fn app_case_for_existing(app: App) {
    app.user("c@iom.int", "counsellor", None).await;
    app.user("c2@iom.int", "counsellor", None).await;
    app.token("an@iom.int", "analyst", None).await;
    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    // A first case (since closed, say) made the person known.
    let r = c
        .post(app.url("/cases"))
        .form(&case_form(&csrf, "Lakatos", "1984-02-03", "HU"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = r.headers()["location"].to_str().unwrap().to_string();
    let person: uuid::Uuid = on_db!(&app.store.db, p => sqlx::query_scalar(
        "SELECT principal_person_id FROM cases WHERE id = $1")
        .bind(uuid::Uuid::parse_str(first.trim_start_matches("/cases/")).unwrap()).fetch_one(p).await)
    .unwrap();
    let text = |r: reqwest::Response| async move { r.text().await.unwrap() };
    // Found by name without JavaScript, and as the user types.
    let page = text(
        c.get(app.url("/cases/new?person_q=lakat"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&format!("value=\"{person}\"")) && page.contains("Lakatos, Ana · 1984-02-03"),
        "{page}"
    );
    let frag = text(
        c.get(app.url("/persons/suggest?person_q=Lakatos"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(frag.contains(&format!("value=\"{person}\"")) && frag.contains("form=\"case-form\""));
    // Another counsellor's person is not offered, and cannot be chosen by id.
    let (c2, csrf2) = sign_in(&app, "c2@iom.int").await;
    let frag = text(
        c2.get(app.url("/persons/suggest?person_q=Lakatos"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!frag.contains(&person.to_string()), "{frag}");
    let before = app.counts().await;
    let pid = person.to_string();
    let r = c2
        .post(app.url("/cases"))
        .form(&[
            ("_csrf", csrf2.as_str()),
            ("programme", "gta-2012"),
            ("country_of_return", "HU"),
            ("principal_person_id", pid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.counts().await, before);
    // Both a known person and a typed one: refused, with everything kept.
    let mut both = case_form(&csrf, "Lakatos", "1984-02-03", "HU");
    both.push(("principal_person_id", pid.as_str()));
    let r = c.post(app.url("/cases")).form(&both).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("not both") && body.contains("value=\"Lakatos\""),
        "{body}"
    );
    let r = c
        .post(app.url("/cases"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("programme", "gta-2012"),
            ("principal_person_id", "not-a-uuid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.counts().await, before);
    // The new case is the known person's: no second person is created.
    let r = c
        .post(app.url("/cases"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("programme", "gta-2012"),
            ("country_of_return", "HU"),
            ("principal_person_id", pid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let second = r.headers()["location"].to_str().unwrap().to_string();
    assert_ne!(second, first);
    let after = app.counts().await;
    assert_eq!(
        (after.0, after.1),
        (before.0 + 1, before.1),
        "a case, no new person"
    );
    let page = text(c.get(app.url(&second)).send().await.unwrap()).await;
    assert!(page.contains("Lakatos, Ana"));
    // The search is for those who open cases.
    let (an, _) = sign_in(&app, "an@iom.int").await;
    let r = an
        .get(app.url("/persons/suggest?person_q=Lak"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
both_databases!(existing_person, a_case_for_someone_already_known);

/// A tiny valid PNG (1×1), as a receipt scan.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// The first `action="...{part}..."` form's hidden field `name` after `anchor`.
fn hidden_after(html: &str, anchor: &str, name: &str) -> String {
    let i = html
        .find(anchor)
        .unwrap_or_else(|| panic!("no {anchor} in page"));
    hidden(&html[i..], name)
}

async fn reintegration_pages_and_api(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    app.user("hu@iom.int", "mission_officer", Some("HU")).await;
    app.user("mx@iom.int", "mission_officer", Some("MX")).await;
    app.user("fin@iom.int", "finance", None).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let tok = |e: &'static str| {
        let app = &app;
        async move {
            tokens::create(&app.store, actor_of(app, e).await.user_id)
                .await
                .unwrap()
        }
    };
    let (cbsa_tok, c_tok, mx_tok, fin_tok, hu_tok) = (
        tok("cbsa@cbsa.gc.ca").await,
        tok("c@iom.int").await,
        tok("mx@iom.int").await,
        tok("fin@iom.int").await,
        tok("hu@iom.int").await,
    );
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (id, _, _) = homeward_store::testing::eligible_family(&app.store, &cbsa, &couns).await;
    // The flight itself is another test's subject.
    on_db!(&app.store.db, p => sqlx::query("UPDATE cases SET status = 'departed' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    let case_url = format!("/cases/{id}");
    let get = |cl: &Client, p: &str| {
        let u = app.url(p);
        let cl = cl.clone();
        async move { cl.get(u).send().await.unwrap().text().await.unwrap() }
    };
    let post = |cl: &Client, p: &str, form: Vec<(&str, String)>| {
        let req = cl.post(app.url(p)).form(&form);
        async move { req.send().await.unwrap() }
    };
    let today = chrono::Utc::now().date_naive().to_string();

    // Arrival: a date that is not one comes back with the place typed.
    let (hu, hu_csrf) = sign_in(&app, "hu@iom.int").await;
    let page = get(&hu, &case_url).await;
    assert!(page.contains("id=\"reintegration\"") && page.contains("Confirm arrival"));
    let r = post(
        &hu,
        &format!("{case_url}/arrival"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("arrived_on", "14/03/2027".into()),
            ("place", "Budapest <airport>".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"Budapest &lt;airport&gt;\""),
        "kept and escaped"
    );
    assert_eq!(app.count("arrivals").await, 0);
    let r = post(
        &hu,
        &format!("{case_url}/arrival"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("arrived_on", today.clone()),
            ("place", "Budapest".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get(&hu, &case_url).await;
    assert!(page.contains("Reintegrating") || page.contains("reintegrating"));
    assert!(
        page.contains("id=\"followups\""),
        "follow-ups scheduled at arrival"
    );

    // The vendor registry: refused without a category, kept per country.
    let r = post(
        &hu,
        "/vendors",
        vec![
            ("_csrf", hu_csrf.clone()),
            ("name", "Kovács Bútor Kft.".into()),
            ("country", "HU".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("value=\"Kovács Bútor Kft.\""));
    assert_eq!(app.count("vendors").await, 0);
    let r = post(
        &hu,
        "/vendors",
        vec![
            ("_csrf", hu_csrf.clone()),
            ("name", "Kovács Bútor Kft.".into()),
            ("country", "HU".into()),
            ("category.housing", "on".into()),
            ("category.daily_necessities", "on".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(get(&hu, "/vendors").await.contains("Kovács Bútor Kft."));
    let (mx, _) = sign_in(&app, "mx@iom.int").await;
    assert!(
        !get(&mx, "/vendors").await.contains("Kovács"),
        "another country's mission"
    );
    let (cb, _) = sign_in(&app, "cbsa@cbsa.gc.ca").await;
    assert_eq!(
        cb.get(app.url("/vendors")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let page = get(&hu, &case_url).await;
    let vi = page.find("name=\"vendor_id\"").expect("vendor select");
    let vendor = page[vi..]
        .split("<option value=\"")
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // The plan: over the entitlement refused, then a component and approval.
    let r = post(
        &hu,
        &format!("{case_url}/plan/components"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("dimension", "economic".into()),
            ("category", "housing".into()),
            ("description", "Rent".into()),
            ("budget", "999999".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("plan_components").await, 0);
    let r = post(
        &hu,
        &format!("{case_url}/plan/components"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("dimension", "economic".into()),
            ("category", "housing".into()),
            ("description", "Six months' rent".into()),
            ("budget", "900".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (sup, sup_csrf) = sign_in(&app, "sup@iom.int").await;
    let page = get(&sup, &case_url).await;
    let version = hidden_after(&page, "/plan/approval", "version");
    let r = post(
        &sup,
        &format!("{case_url}/plan/approval"),
        vec![("_csrf", sup_csrf.clone()), ("version", version)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(get(&sup, &case_url)
        .await
        .contains("data-status=\"approved\""));

    // Purchases: bad amounts, currencies and rates are refused with their message.
    let request = |amount: &str, currency: &str, rate: &str| {
        vec![
            ("_csrf", hu_csrf.clone()),
            ("category", "housing".to_string()),
            ("vendor_id", vendor.clone()),
            ("description", "Bed and mattress".to_string()),
            ("amount", amount.to_string()),
            ("currency", currency.to_string()),
            ("rate", rate.to_string()),
            ("rate_source", "Magyar Nemzeti Bank".to_string()),
            ("rate_date", today.clone()),
        ]
    };
    for (amount, currency, rate, message) in [
        ("-15000", "HUF", "0.0037", "The amount cannot be negative."),
        (
            "15000",
            "XQZ",
            "0.0037",
            "Homeward does not know this currency.",
        ),
        ("15000", "HUF", "0", "An exchange rate cannot be zero."),
    ] {
        let r = post(
            &hu,
            &format!("{case_url}/purchases"),
            request(amount, currency, rate),
        )
        .await;
        assert_eq!(
            r.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{amount} {currency} {rate}"
        );
        let body = r.text().await.unwrap();
        assert!(body.contains(message), "{message}");
        assert!(
            body.contains(&format!("value=\"{amount}\"")),
            "typed amount kept"
        );
    }
    assert_eq!(app.count("purchases").await, 0);
    let r = post(
        &hu,
        &format!("{case_url}/purchases"),
        request("150000", "HUF", "0.0037"),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get(&hu, &case_url).await;
    assert!(!page.contains("/payment?"), "the mission never pays");

    // Finance approves and pays with a receipt; a text file is no receipt.
    let (fin, fin_csrf) = sign_in(&app, "fin@iom.int").await;
    let page = get(&fin, &case_url).await;
    assert!(
        page.contains("id=\"ledger-table\""),
        "finance sees the money"
    );
    assert!(
        !page.contains("id=\"followups\"") && !page.contains("id=\"surveys\""),
        "but not the returnee's life"
    );
    assert!(!page.contains("id=\"counselling\""), "nor counselling");
    let pi = page.find("/decision").expect("decision form");
    let purchase: String = page[..pi].rsplit("/purchases/").next().unwrap().to_string();
    let version = hidden_after(&page, "/decision", "version");
    let r = post(
        &fin,
        &format!("/purchases/{purchase}/decision"),
        vec![
            ("_csrf", fin_csrf.clone()),
            ("to", "approved".into()),
            ("version", version),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get(&fin, &case_url).await;
    let version = hidden_after(&page, "/payment?", "version");
    let pay = |bytes: &'static [u8], name: &'static str| {
        let u = app.url(&format!("/purchases/{purchase}/payment?_csrf={fin_csrf}"));
        let fin = fin.clone();
        let version = version.clone();
        async move {
            let form = reqwest::multipart::Form::new()
                .text("version", version)
                .part(
                    "receipt",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            fin.post(u).multipart(form).send().await.unwrap()
        }
    };
    let atts = app.count("attachments").await;
    let r = pay(b"not a receipt", "receipt.txt").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.count("attachments").await, atts, "no receipt row");
    let r = pay(PNG, "receipt.png").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = fin
        .get(app.url(&format!("/purchases/{purchase}/receipt")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);
    let r = cb
        .get(app.url(&format!("/purchases/{purchase}/receipt")))
        .send()
        .await
        .unwrap();
    assert!(matches!(
        r.status(),
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));

    // The API: the same data to the roles with a need to know, refused to the others.
    let api = |t: &str, p: &str| {
        let u = app.url(&format!("/api/v1{p}"));
        let t = t.to_string();
        async move { Client::new().get(u).bearer_auth(t).send().await.unwrap() }
    };
    let ledger: Value = api(&fin_tok, &format!("/cases/{id}/ledger"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(ledger["paid"]["currency"], "CAD");
    assert!(ledger["paid"]["minor"].as_i64().unwrap() > 0);
    assert_eq!(ledger["budgeted"]["minor"], 90000);
    for (t, p, want) in [
        (
            &cbsa_tok,
            format!("/cases/{id}/purchases"),
            StatusCode::FORBIDDEN,
        ),
        (
            &cbsa_tok,
            format!("/cases/{id}/plan"),
            StatusCode::FORBIDDEN,
        ),
        (&c_tok, format!("/cases/{id}/ledger"), StatusCode::FORBIDDEN),
        (
            &fin_tok,
            format!("/cases/{id}/followups"),
            StatusCode::FORBIDDEN,
        ),
        (
            &fin_tok,
            format!("/cases/{id}/surveys"),
            StatusCode::FORBIDDEN,
        ),
        (
            &mx_tok,
            format!("/cases/{id}/ledger"),
            StatusCode::NOT_FOUND,
        ),
        (
            &mx_tok,
            format!("/cases/{id}/followups"),
            StatusCode::NOT_FOUND,
        ),
        (&hu_tok, format!("/cases/{id}/followups"), StatusCode::OK),
        (&hu_tok, "/rss/questionnaire".to_string(), StatusCode::OK),
        (
            &fin_tok,
            "/rss/questionnaire".to_string(),
            StatusCode::FORBIDDEN,
        ),
        (&cbsa_tok, "/vendors".to_string(), StatusCode::FORBIDDEN),
    ] {
        assert_eq!(api(t, &p).await.status(), want, "{p}");
    }
    let page = get(&cb, &case_url).await;
    assert!(
        !page.contains("id=\"reintegration\"") && !page.contains("id=\"ledger-table\""),
        "CBSA sees no reintegration detail"
    );
    // Finance never requests purchases (four eyes start with the mission).
    let r = Client::new().post(app.url(&format!("/api/v1/cases/{id}/purchases"))).bearer_auth(&fin_tok)
        .json(&json!({"vendor_id": vendor, "category": "housing", "description": "x", "amount": "10", "currency": "CAD"}))
        .send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Follow-ups and a survey, in the mission officer's forms.
    let page = get(&hu, &case_url).await;
    let fi = page.find("name=\"followup\"").expect("follow-up select");
    let first = page[fi..]
        .split("<option value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = post(
        &hu,
        &format!("{case_url}/followups"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("followup", first.clone()),
            ("held_on", today.clone()),
            ("outcome", "reached".into()),
            ("notes", "Settled in".into()),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "contact mode missing"
    );
    assert!(r.text().await.unwrap().contains("Settled in"));
    let r = post(
        &hu,
        &format!("{case_url}/followups"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("followup", first),
            ("held_on", today.clone()),
            ("outcome", "reached".into()),
            ("contact_mode", "in_person".into()),
            ("notes", "Settled in".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let q: Value = api(&hu_tok, "/rss/questionnaire")
        .await
        .json()
        .await
        .unwrap();
    let mut answers = vec![("_csrf", hu_csrf.clone()), ("surveyed_on", today.clone())];
    let ids: Vec<String> = q["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| format!("answer.{}", i["id"].as_str().unwrap()))
        .collect();
    let values: Vec<String> = q["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["scale"][0]["value"].as_str().unwrap().to_string())
        .collect();
    for (k, v) in ids.iter().zip(&values).skip(1) {
        answers.push((k.as_str(), v.clone()));
    }
    let r = post(&hu, &format!("{case_url}/surveys"), answers.clone()).await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "one question unanswered"
    );
    assert_eq!(app.count("rss_surveys").await, 0);
    answers.push((ids[0].as_str(), values[0].clone()));
    let r = post(&hu, &format!("{case_url}/surveys"), answers).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        get(&hu, &case_url).await.contains("100 %"),
        "top answers score 100 %"
    );

    // Closure: a reason is needed; reopening needs one too.
    let r = post(
        &hu,
        &format!("{case_url}/closure"),
        vec![("_csrf", hu_csrf.clone()), ("reason", "".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        &hu,
        &format!("{case_url}/closure"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("reason", "support_period_ended".into()),
            ("note", "Twelve months done".into()),
        ],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let s = homeward_store::cases::summary(&app.store, &actor_of(&app, "hu@iom.int").await, id)
        .await
        .unwrap();
    assert_eq!(s.status, "closed");
    let r = post(
        &hu,
        &format!("{case_url}/reopen"),
        vec![("_csrf", hu_csrf.clone()), ("reopen_reason", " ".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post(
        &hu,
        &format!("{case_url}/reopen"),
        vec![
            ("_csrf", hu_csrf.clone()),
            ("reopen_reason", "Closed by mistake".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let s = homeward_store::cases::summary(&app.store, &actor_of(&app, "hu@iom.int").await, id)
        .await
        .unwrap();
    assert_ne!(s.status, "closed");
    // Without the CSRF token nothing changes.
    let r = post(
        &hu,
        &format!("{case_url}/closure"),
        vec![("reason", "opted_out".into())],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
both_databases!(reintegration, reintegration_pages_and_api);

async fn admins_set_the_follow_up_schedule(store: Store) {
    let app = start(store).await;
    app.user("admin@iom.int", "admin", None).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let (admin, csrf) = sign_in(&app, "admin@iom.int").await;
    let page = admin
        .get(app.url("/admin/programmes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"0, 3, 6, 12\""), "the defaults");
    let post = |form: Vec<(&str, &str)>| {
        let req = admin
            .post(app.url("/admin/programmes/gta-2012/followups"))
            .form(&form);
        async move { req.send().await.unwrap() }
    };
    // Not numbers, or not increasing: refused with the text kept, nothing saved.
    for (months, message) in [
        ("0, three, 6", "Enter a whole number."),
        ("0, 6, 3", "increasing order"),
    ] {
        let r = post(vec![
            ("_csrf", &csrf),
            ("offsets_months", months),
            ("grace_days", "10"),
        ])
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{months}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains(message) && body.contains(&format!("value=\"{months}\"")),
            "{body}"
        );
    }
    let s = homeward_store::programmes::followup_schedule(&app.store, "gta-2012")
        .await
        .unwrap();
    assert_eq!(s.offsets_months, vec![0, 3, 6, 12]);
    let r = post(vec![
        ("_csrf", &csrf),
        ("offsets_months", "0, 1, 6, 12, 24"),
        ("grace_days", "10"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let s = homeward_store::programmes::followup_schedule(&app.store, "gta-2012")
        .await
        .unwrap();
    assert_eq!(
        (s.offsets_months, s.grace_days),
        (vec![0, 1, 6, 12, 24], 10)
    );
    // Only administrators.
    let (sup, sup_csrf) = sign_in(&app, "sup@iom.int").await;
    assert_eq!(
        sup.get(app.url("/admin/programmes"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = sup
        .post(app.url("/admin/programmes/gta-2012/followups"))
        .form(&[("_csrf", sup_csrf.as_str()), ("offsets_months", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let s = homeward_store::programmes::followup_schedule(&app.store, "gta-2012")
        .await
        .unwrap();
    assert_eq!(s.offsets_months.len(), 5);
}
both_databases!(programme_settings, admins_set_the_follow_up_schedule);
