//! What the HTTP tests share: the real server on a free port (with the job
//! worker when a test needs one), users and API tokens, signing in through
//! the real form, and reading pages and API answers.
#![allow(dead_code)]

pub mod data;

use homeward_store::users::{self, NewUser};
use homeward_store::{on_db, tokens, Actor, Store};
use homeward_web::jobs::{spawn_worker, Shutdown, Wake, WorkerConfig};
use reqwest::redirect::Policy;
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;
use std::time::Duration;
use uuid::Uuid;

/// Every test user's password.
pub const PW: &str = "a long test password";

/// A running server; its job worker (if any) stops when it is dropped.
pub struct App {
    pub base: String,
    pub store: Store,
    shutdown: Option<Shutdown>,
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(s) = &self.shutdown {
            s.trigger();
        }
    }
}

/// How a test server runs.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// A job worker polling every 50 ms.
    pub worker: bool,
    /// Users without two-factor sign-in must set it up after their password
    /// (off unless a test exercises it, so [`sign_in`] needs no code).
    pub require_two_factor: bool,
    /// Behind TLS: `Secure` cookies and HSTS.
    pub secure_cookies: bool,
    /// The token `/metrics` answers (none: not served).
    pub metrics_token: Option<String>,
}

/// A metrics token for tests that read `/metrics`.
pub const METRICS_TOKEN: &str = "test-metrics-token-0123456789";

/// The server alone.
pub async fn start(store: Store) -> App {
    start_with(store, Options::default()).await
}

/// The server and a job worker polling every 50 ms.
pub async fn start_with_worker(store: Store) -> App {
    start_with(
        store,
        Options {
            worker: true,
            ..Options::default()
        },
    )
    .await
}

/// The server with `options`.
pub async fn start_with(store: Store, options: Options) -> App {
    serve(store, options).await
}

async fn serve(store: Store, options: Options) -> App {
    let worker = options.worker;
    let wake = Wake::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(homeward_web::serve(
        listener,
        store.clone(),
        homeward_web::WebConfig {
            jobs_wake: wake.clone(),
            require_two_factor: options.require_two_factor,
            secure_cookies: options.secure_cookies,
            metrics_token: options.metrics_token.clone(),
            public_url: Some(format!("http://{addr}")),
            ..Default::default()
        },
    ));
    let shutdown = worker.then(|| {
        let shutdown = Shutdown::default();
        spawn_worker(
            store.clone(),
            WorkerConfig {
                poll_interval: Duration::from_millis(50),
                wake,
                shutdown: shutdown.clone(),
                ..WorkerConfig::default()
            },
        );
        shutdown
    });
    App {
        base: format!("http://{addr}"),
        store,
        shutdown,
    }
}

impl App {
    pub fn url(&self, p: &str) -> String {
        format!("{}{}", self.base, p)
    }

    /// A user of the Toronto team with [`PW`].
    pub async fn user(&self, email: &str, role: &str, country: Option<&str>) -> Uuid {
        users::create(
            &self.store,
            None,
            &NewUser {
                email: email.into(),
                name: format!("User {role}"),
                role: role.into(),
                team: Some("toronto".into()),
                country: country.map(Into::into),
                language: None,
                password: PW.into(),
                programmes: Vec::new(),
            },
        )
        .await
        .unwrap()
        .id
    }

    /// A new user's API token.
    pub async fn token(&self, email: &str, role: &str, country: Option<&str>) -> String {
        let id = self.user(email, role, country).await;
        tokens::create(&self.store, id).await.unwrap()
    }

    /// The number of rows in `table`.
    pub async fn rows(&self, table: &str) -> i64 {
        let q = format!("SELECT COUNT(*) FROM {table}");
        on_db!(&self.store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
    }

    /// The numbers of cases, persons and case transitions: what a refused
    /// request must leave as they were.
    pub async fn counts(&self) -> (i64, i64, i64) {
        (
            self.rows("cases").await,
            self.rows("persons").await,
            self.rows("case_transitions").await,
        )
    }
}

/// The user with `email`, as the store acts for them.
pub async fn actor_of(app: &App, email: &str) -> Actor {
    users::by_email(&app.store, email)
        .await
        .unwrap()
        .expect("user")
        .actor(None)
}

/// A client that keeps cookies and does not follow redirects.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The value of hidden input `name`.
pub fn hidden(html: &str, name: &str) -> String {
    let pat = format!("name=\"{name}\" value=\"");
    let i = html
        .find(&pat)
        .unwrap_or_else(|| panic!("no {name} in page"))
        + pat.len();
    html[i..].split('"').next().unwrap().to_string()
}

/// The hidden field `name` that first follows `anchor` (such as part of a
/// form's `action`).
pub fn hidden_after(html: &str, anchor: &str, name: &str) -> String {
    let i = html
        .find(anchor)
        .unwrap_or_else(|| panic!("no {anchor} in page"));
    hidden(&html[i..], name)
}

/// The session's CSRF token from a page's meta tag.
pub fn meta_csrf(html: &str) -> String {
    let pat = "<meta name=\"csrf-token\" content=\"";
    let i = html.find(pat).expect("csrf meta") + pat.len();
    html[i..].split('"').next().unwrap().to_string()
}

/// Posts the real sign-in form from `c` (read first for its double-submit
/// token) with `password` and `next`; the answer. Every sign-in of the
/// tests goes through here.
pub async fn post_sign_in(
    app: &App,
    c: &Client,
    email: &str,
    password: &str,
    next: &str,
) -> Response {
    let page = c
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    c.post(app.url("/login"))
        .form(&[
            ("_login_csrf", hidden(&page, "_login_csrf").as_str()),
            ("email", email),
            ("password", password),
            ("next", next),
        ])
        .send()
        .await
        .unwrap()
}

/// Posts the real sign-in form with [`PW`] and `next` from a new client;
/// the client and the answer.
pub async fn sign_in_to(app: &App, email: &str, next: &str) -> (Client, Response) {
    let c = browser();
    let res = post_sign_in(app, &c, email, PW, next).await;
    (c, res)
}

/// Signs in through the real form; the session cookie it sets is
/// `HttpOnly` and `SameSite=Lax`.
pub async fn sign_in(app: &App, email: &str) -> Client {
    let (c, res) = sign_in_to(app, email, "/").await;
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
    c
}

/// Signs in; returns the client and the session's CSRF token.
pub async fn sign_in_csrf(app: &App, email: &str) -> (Client, String) {
    let (c, csrf, _) = sign_in_home(app, email).await;
    (c, csrf)
}

/// Signs in; returns the client, the session's CSRF token and the home
/// page's HTML (for the navigation).
pub async fn sign_in_home(app: &App, email: &str) -> (Client, String, String) {
    let c = sign_in(app, email).await;
    let home = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (c, meta_csrf(&home), home)
}

/// An API refusal: `status`, as problem+json; its body.
pub async fn problem(r: Response, status: StatusCode) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    r.json().await.unwrap()
}

/// The new-case form for Ana `family`, born `dob`, returning to `country`.
pub fn case_form<'a>(
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

/// The returnee's code as the staff page shows it once.
pub fn code_in(html: &str) -> String {
    let pat = "<code id=\"returnee-code\">";
    let i = html.find(pat).expect("the code on the page") + pat.len();
    html[i..].split('<').next().unwrap().to_string()
}
