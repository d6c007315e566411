//! Issue 26's penetration-test findings, each over real HTTP on SQLite and
//! PostgreSQL: redirects that stay on the site, the subject-access export
//! behind re-authentication, private and bounded metrics, API tokens that
//! can be listed, expired and revoked, and upload names that match their
//! content.

use homeward_store::tokens::{self, NewToken};
use homeward_store::{both_databases, on_db, testing, users, Store};
use reqwest::{Client, StatusCode, Url};
use serde_json::Value;
use uuid::Uuid;

mod support;

use support::{browser, hidden, sign_in_csrf, start, start_with, App, Options, PW};

/// Values a `next` or `_back` might carry to leave the site, as typed
/// (each is sent percent-encoded once, as a browser would, and once more
/// encoded, which must then read as a harmless local path).
fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "//evil.example",
        "/\\evil.example",
        "/%2F%2Fevil.example",
        "https:evil.example",
        "https://evil.example/x",
        "javascript:alert(1)",
        "/.//evil.example",
        "/\u{2215}evil.example",
        "/\u{FF0F}evil.example",
        "/\u{2044}evil.example",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for c in [
        '\t', '\r', '\n', '\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', ' ',
    ] {
        v.push(format!("/{c}/evil.example"));
    }
    v
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Where a browser would go for `location`, resolved as the URL standard
/// says (tabs and newlines dropped, backslashes read as slashes): it must
/// be this server.
fn assert_stays(app: &App, location: &str, what: &str) {
    let base = Url::parse(&app.base).unwrap();
    let to = base
        .join(location)
        .unwrap_or_else(|e| panic!("{what}: {location:?}: {e}"));
    assert_eq!(
        (to.scheme(), to.host_str(), to.port()),
        (base.scheme(), base.host_str(), base.port()),
        "{what} leaves the site: Location {location:?}"
    );
}

/// An attribute value as the browser reads it.
fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .unwrap_or_else(|| panic!("no Location ({})", r.status()))
        .to_str()
        .unwrap()
        .to_string()
}

async fn redirects_stay_on_this_site(store: Store) {
    let app = start(store).await;
    app.user("c@iom.int", "counsellor", None).await;
    let (signed_in, csrf) = sign_in_csrf(&app, "c@iom.int").await;
    let anonymous = browser();
    for raw in hostile() {
        for sent in [enc(&raw), enc(&enc(&raw))] {
            // A signed-in user following a sign-in link.
            let r = signed_in
                .get(app.url(&format!("/login?next={sent}")))
                .send()
                .await
                .unwrap();
            assert!(r.status().is_redirection(), "{raw:?}: {}", r.status());
            assert_stays(&app, &location(&r), "GET /login?next=");

            // An anonymous page auto-posting the language switch.
            let r = anonymous
                .post(app.url("/lang"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("lang=en&_back={sent}"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{raw:?}");
            assert_stays(&app, &location(&r), "POST /lang _back");

            // The re-authentication form, with the right password.
            let r = signed_in
                .post(app.url("/reauth"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!(
                    "_csrf={}&_reauth_password={}&next={sent}",
                    enc(&csrf),
                    enc(PW)
                ))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{raw:?}");
            assert_stays(&app, &location(&r), "POST /reauth next");

            // The re-authentication page keeps only a safe `next`.
            let page = signed_in
                .get(app.url(&format!("/reauth?next={sent}")))
                .send()
                .await
                .unwrap();
            assert_eq!(page.status(), StatusCode::OK, "{raw:?}");
            let next = hidden(&page.text().await.unwrap(), "next");
            assert_stays(&app, &unescape(&next), "GET /reauth hidden next");
        }
    }
    // Signing in with a hostile `next` lands here too.
    let (_, r) = support::sign_in_to(&app, "c@iom.int", "/\t/evil.example").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_stays(&app, &location(&r), "POST /login next");
    // A local path with its query is kept as it was.
    let r = signed_in
        .get(app.url(&format!("/login?next={}", enc("/cases?status=referred"))))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&r), "/cases?status=referred");
}
both_databases!(redirects, redirects_stay_on_this_site);

async fn make_sessions_stale(store: &Store) {
    on_db!(&store.db, p => sqlx::query("UPDATE sessions SET reauthenticated_at = $1")
        .bind(chrono::Utc::now() - chrono::Duration::hours(1)).execute(p).await.map(|_| ()))
    .unwrap();
}

async fn audit_count(store: &Store, action: &str) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action).fetch_one(p).await)
    .unwrap()
}

async fn subject_access_export_asks_for_the_password(store: Store) {
    let app = start(store.clone()).await;
    app.user("admin@iom.int", "admin", None).await;
    let cbsa = testing::user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let couns = testing::user(&store, "couns@iom.int", "counsellor", None).await;
    let (_, person, _) = testing::eligible_family(&store, &cbsa, &couns).await;
    let (c, csrf) = sign_in_csrf(&app, "admin@iom.int").await;
    make_sessions_stale(&store).await;
    let before = audit_count(&store, "subject_access_export").await;
    for file in ["export.json", "export.pdf"] {
        let path = format!("/admin/persons/{person}/{file}");
        let r = c.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{file}");
        let to = location(&r);
        assert!(to.starts_with("/reauth?next="), "{to}");
        assert_eq!(
            r.headers().get("content-disposition"),
            None,
            "nothing about the person is sent"
        );
        // A wrong password: still nothing.
        let r = c
            .post(app.url("/reauth"))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("_reauth_password", "not the password at all"),
                ("next", path.as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(audit_count(&store, "subject_access_export").await, before);
    // The password: back to the download, which now works and is audited.
    let path = format!("/admin/persons/{person}/export.json");
    let r = c
        .post(app.url("/reauth"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("_reauth_password", PW),
            ("next", path.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), path);
    let r = c.get(app.url(&path)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: Value = r.json().await.unwrap();
    assert!(doc.to_string().contains("Horváth"));
    assert_eq!(
        audit_count(&store, "subject_access_export").await,
        before + 1
    );
}
both_databases!(subject_access, subject_access_export_asks_for_the_password);

async fn metrics_are_private_and_bounded(store: Store) {
    // No token configured: not served on the application's address.
    let app = start(store.clone()).await;
    let c = Client::new();
    assert_eq!(
        c.get(app.url("/metrics")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    drop(app);

    let app = start_with(
        store,
        Options {
            metrics_token: Some(support::METRICS_TOKEN.into()),
            ..Default::default()
        },
    )
    .await;
    for auth in [None, Some("wrong-token-wrong-token"), Some("")] {
        let mut r = c.get(app.url("/metrics"));
        if let Some(a) = auth {
            r = r.bearer_auth(a);
        }
        assert_eq!(r.send().await.unwrap().status(), StatusCode::UNAUTHORIZED);
    }
    let scrape = || async {
        c.get(app.url("/metrics"))
            .bearer_auth(support::METRICS_TOKEN)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    // Made-up methods and paths, each unique, add no series of their own.
    let made_up = |i: usize| {
        let c = c.clone();
        let method = format!("X{}{}", "M".repeat(8000), i);
        let (odd, page) = (
            app.url(&format!("/no-such-page-{i}-{}", Uuid::new_v4())),
            app.url(&format!("/made-up-{i}-{}", Uuid::new_v4())),
        );
        async move {
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            c.request(m, odd).send().await.unwrap();
            c.get(page).send().await.unwrap();
        }
    };
    for i in 0..3 {
        made_up(i).await;
    }
    let first = scrape().await;
    for i in 3..40 {
        made_up(i).await;
    }
    let second = scrape().await;
    assert!(!second.contains("MMMMMMMM"), "a method became a label");
    assert!(!second.contains("no-such-page") && !second.contains("made-up"));
    assert!(second.contains("route=\"unmatched\""), "{}", second);
    // Counts grow, series do not: 37 more made-up methods, the same lines.
    // (Only this test sends made-up methods; other tests share the recorder.)
    let other = |s: &str| {
        s.lines()
            .filter(|l| l.contains("method=\"other\""))
            .map(|l| l.rsplit_once(' ').map_or(l, |(k, _)| k).to_string())
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert!(!other(&first).is_empty(), "{first}");
    assert_eq!(other(&first), other(&second));
    // Known routes are labelled by their template, not the id in the path.
    let _ = c
        .get(app.url(&format!("/api/v1/cases/{}", Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    let third = scrape().await;
    assert!(third.contains("route=\"/api/v1/cases/{id}\""), "{third}");
}
both_databases!(metrics, metrics_are_private_and_bounded);

async fn status_of(app: &App, token: &str) -> StatusCode {
    Client::new()
        .get(app.url("/api/v1/me"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
}

async fn api_tokens_can_be_listed_expired_and_revoked(store: Store) {
    let app = start(store.clone()).await;
    let amira = app.user("amira@iom.int", "counsellor", None).await;
    let other = app.user("other@iom.int", "counsellor", None).await;
    let admin = app.user("admin@iom.int", "admin", None).await;
    let named = |name: &str, days: Option<i64>, keep: bool| NewToken {
        name: name.into(),
        expires_in_days: days,
        keep_on_password_change: keep,
    };
    let (info, script) = tokens::issue(
        &store,
        amira,
        &named("Monthly report script", Some(30), false),
    )
    .await
    .unwrap();
    let (_, service) = tokens::issue(&store, amira, &named("Case system", None, true))
        .await
        .unwrap();
    let (_, short) = tokens::issue(&store, amira, &named("Short-lived", Some(1), false))
        .await
        .unwrap();
    let (other_info, other_tok) =
        tokens::issue(&store, other, &named("Other service", None, false))
            .await
            .unwrap();
    // Names and lifetimes are checked.
    for bad in [
        named(&"n".repeat(101), None, false),
        named("x", Some(0), false),
        named("x", Some(100_000), false),
    ] {
        assert!(matches!(
            tokens::issue(&store, amira, &bad).await,
            Err(homeward_store::Error::Invalid(_))
        ));
    }

    // The owner lists their own through the API: names, dates, no secret.
    assert_eq!(status_of(&app, &script).await, StatusCode::OK);
    let list: Value = Client::new()
        .get(app.url("/api/v1/tokens"))
        .bearer_auth(&script)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 3, "only their own: {list}");
    let mine = items
        .iter()
        .find(|t| t["id"] == info.id.to_string())
        .unwrap();
    assert_eq!(mine["name"], "Monthly report script");
    assert!(mine["expires_at"].is_string() && mine["last_used_at"].is_string());
    assert!(
        !list.to_string().contains(&script[4..]),
        "no secret in the list"
    );
    assert!(!list.to_string().contains("token_hash"));
    // Another user's list or token: not theirs.
    let r = Client::new()
        .get(app.url(&format!("/api/v1/tokens?user_id={other}")))
        .bearer_auth(&script)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = Client::new()
        .delete(app.url(&format!("/api/v1/tokens/{}", other_info.id)))
        .bearer_auth(&script)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &other_tok).await, StatusCode::OK);
    for bad in ["not-a-uuid", "'; DROP TABLE api_tokens; --"] {
        let r = Client::new()
            .delete(app.url(&format!("/api/v1/tokens/{}", enc(bad))))
            .bearer_auth(&script)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // An expired token stops working.
    on_db!(&store.db, p => sqlx::query("UPDATE api_tokens SET expires_at = $1 WHERE name = 'Short-lived'")
        .bind(chrono::Utc::now() - chrono::Duration::seconds(1)).execute(p).await.map(|_| ()))
    .unwrap();
    assert_eq!(status_of(&app, &short).await, StatusCode::UNAUTHORIZED);

    // The page: their tokens by name, with a revoke button that works.
    let (c, csrf) = sign_in_csrf(&app, "amira@iom.int").await;
    let page = c.get(app.url("/account/tokens")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Monthly report script") && html.contains("Case system"));
    assert!(html.contains("Expired") && !html.contains("Other service"));
    // Someone else's token through the owner's page: not found, still works.
    let r = c
        .post(app.url(&format!("/account/tokens/{}/revoke", other_info.id)))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&app, &other_tok).await, StatusCode::OK);
    // Without the CSRF token: refused.
    let r = c
        .post(app.url(&format!("/account/tokens/{}/revoke", info.id)))
        .form(&[("x", "y")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, &script).await, StatusCode::OK);
    let r = c
        .post(app.url(&format!("/account/tokens/{}/revoke", info.id)))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, &script).await, StatusCode::UNAUTHORIZED);
    let html = c
        .get(app.url(&location(&r)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"token-revoked\"") && html.contains("Revoked"));

    // A password change revokes tokens, except a service's.
    let (_, again) = tokens::issue(&store, amira, &named("Laptop", None, false))
        .await
        .unwrap();
    assert_eq!(status_of(&app, &again).await, StatusCode::OK);
    let new_pw = "a brand new long password";
    let r = c
        .post(app.url("/account/password"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("current_password", PW),
            ("new_password", new_pw),
            ("confirm_password", new_pw),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    assert_eq!(status_of(&app, &again).await, StatusCode::UNAUTHORIZED);
    assert_eq!(status_of(&app, &service).await, StatusCode::OK);

    // Admins see and revoke anyone's, on the page and through the API;
    // others may not use the admin page.
    let r = c
        .get(app.url(&format!("/admin/users/{other}/tokens")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("/admin/tokens/{}/revoke", other_info.id)))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&app, &other_tok).await, StatusCode::OK);
    let (a, acsrf) = sign_in_csrf(&app, "admin@iom.int").await;
    let html = a
        .get(app.url(&format!("/admin/users/{other}/tokens")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Other service"), "{html}");
    let r = a
        .post(app.url(&format!("/admin/tokens/{}/revoke", other_info.id)))
        .form(&[("_csrf", acsrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&app, &other_tok).await, StatusCode::UNAUTHORIZED);
    let admin_tok = tokens::create(&store, admin).await.unwrap();
    let r = Client::new()
        .delete(app.url(&format!(
                "/api/v1/tokens/{}",
                tokens::list_all(&store, Some("amira@iom.int"))
                    .await
                    .unwrap()
                    .iter()
                    .find(|t| t.name == "Case system")
                    .unwrap()
                    .id
            )))
        .bearer_auth(&admin_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    assert!(body["revoked_at"].is_string());
    assert_eq!(status_of(&app, &service).await, StatusCode::UNAUTHORIZED);

    // Deactivation revokes even a service's token.
    let (_, kept) = tokens::issue(&store, other, &named("Service", None, true))
        .await
        .unwrap();
    let admin_actor = users::get(&store, admin).await.unwrap().actor(None);
    let v = users::get(&store, other).await.unwrap().version;
    users::set_active(&store, &admin_actor, other, false, v)
        .await
        .unwrap();
    users::set_active(&store, &admin_actor, other, true, v + 1)
        .await
        .unwrap();
    assert_eq!(status_of(&app, &kept).await, StatusCode::UNAUTHORIZED);
    // Every revocation is in the audit trail.
    assert!(audit_count(&store, "revoke").await >= 3);
}
both_databases!(api_tokens, api_tokens_can_be_listed_expired_and_revoked);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n";

async fn upload_names_match_their_content(store: Store) {
    let app = start(store.clone()).await;
    let cbsa = testing::user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let couns = testing::user(&store, "couns@iom.int", "counsellor", None).await;
    let (case, _, _) = testing::eligible_family(&store, &cbsa, &couns).await;
    let token = tokens::create(&store, couns.user_id).await.unwrap();
    for (sent, kept) in [
        ("passport-scan.hta", "passport-scan.pdf"),
        ("scan\u{202e}fdp.exe", "scanfdp.pdf"),
        ("..\\..\\win.ini", "win.pdf"),
        ("d\u{200b}ecl\u{2066}aration.PDF", "declaration.PDF"),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("kind", "identity")
            .part(
                "file",
                reqwest::multipart::Part::bytes(PDF.to_vec()).file_name(sent.to_string()),
            );
        let r = Client::new()
            .post(app.url(&format!("/api/v1/cases/{case}/attachments")))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{sent:?}");
        let a: Value = r.json().await.unwrap();
        assert_eq!(a["file_name"], kept, "{sent:?}");
        let r = Client::new()
            .get(app.url(&format!(
                "/api/v1/cases/{case}/attachments/{}",
                a["id"].as_str().unwrap()
            )))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let cd = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(cd.contains(&format!("filename=\"{kept}\"")), "{cd}");
        assert!(
            !cd.contains("%E2%80%AE") && !cd.contains(".exe") && !cd.contains(".hta"),
            "{cd}"
        );
    }
    // Every name in the list ends with its type's extension.
    let list: Value = Client::new()
        .get(app.url(&format!("/api/v1/cases/{case}/attachments")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for a in list.as_array().unwrap() {
        let name = a["file_name"].as_str().unwrap().to_lowercase();
        let ext = match a["content_type"].as_str().unwrap() {
            "application/pdf" => ".pdf",
            "image/png" => ".png",
            _ => ".jp",
        };
        assert!(name.ends_with(ext) || name.contains(".jp"), "{name}");
    }
}
both_databases!(upload_names, upload_names_match_their_content);

/// An upload from a page carries the CSRF token as the form's first field,
/// never in the address (where logs and the history would keep it): sent
/// so, it passes; in the address only, after the file, or wrong, it is
/// refused and nothing is kept.
async fn upload_token_travels_in_the_body(store: Store) {
    let app = start(store.clone()).await;
    let cbsa = testing::user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let couns = testing::user(&store, "couns@iom.int", "counsellor", None).await;
    let (case, _, _) = testing::eligible_family(&store, &cbsa, &couns).await;
    let (c, csrf) = sign_in_csrf(&app, "couns@iom.int").await;
    let page = c
        .get(app.url(&format!("/cases/{case}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("?_csrf="), "no token in any form's address");
    let file = || reqwest::multipart::Part::bytes(PDF.to_vec()).file_name("scan.pdf");
    let attachments = || async {
        homeward_store::attachments::list(&store, &couns, case)
            .await
            .unwrap()
            .len()
    };
    let upload = |query: &str, form: reqwest::multipart::Form| {
        c.post(app.url(&format!("/cases/{case}/attachments{query}")))
            .multipart(form)
            .send()
    };
    let first = |token: &str| reqwest::multipart::Form::new().text("_csrf", token.to_string());
    let refused = [
        (
            format!("?_csrf={csrf}"),
            reqwest::multipart::Form::new()
                .text("kind", "identity")
                .part("file", file()),
        ),
        (
            String::new(),
            reqwest::multipart::Form::new()
                .text("kind", "identity")
                .part("file", file())
                .text("_csrf", csrf.clone()),
        ),
        (
            String::new(),
            first("not-the-token")
                .text("kind", "identity")
                .part("file", file()),
        ),
    ];
    let before = attachments().await;
    for (query, form) in refused {
        let r = upload(&query, form).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{query}");
    }
    assert_eq!(attachments().await, before, "nothing kept");
    let r = upload(
        "",
        first(&csrf).text("kind", "identity").part("file", file()),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(attachments().await, before + 1, "the file is kept whole");
}
both_databases!(upload_token, upload_token_travels_in_the_body);
