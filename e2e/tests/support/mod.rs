//! What the browser tests stand on: the app served in-process on a throw-away
//! database, a chromedriver child process on a free port driving headless
//! Chromium, and small helpers for explicit waits and page checks.
//!
//! Nothing is downloaded: Chromium and chromedriver are Debian's
//! (`apt-get install chromium chromium-driver`). Their paths can be changed
//! with `HOMEWARD_E2E_CHROMIUM` and `HOMEWARD_E2E_CHROMEDRIVER`.

#![allow(dead_code)]

use fantoccini::error::{CmdError, ErrorStatus};
use fantoccini::{Client, ClientBuilder, Locator};
use homeward_store::users::{self, NewUser, User};
use homeward_store::Store;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long any single wait may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

pub const PASSWORD: &str = "a long test password";

/// Which database the app runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

impl Db {
    pub fn name(self) -> &'static str {
        match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        }
    }
}

/// The web app, served in-process on a fresh, migrated database.
pub struct App {
    pub base: String,
    pub store: Store,
    pub db: Db,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl App {
    pub async fn start(db: Db) -> App {
        App::start_with(db, homeward_web::WebConfig::default()).await
    }

    /// [`App::start`] with the web layer's settings (a webhook, say).
    pub async fn start_with(db: Db, config: homeward_web::WebConfig) -> App {
        let (store, _url) = match db {
            Db::Sqlite => homeward_store::testing::sqlite().await,
            Db::Postgres => homeward_store::testing::postgres().await,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the app's port");
        let addr = listener.local_addr().expect("app address");
        let server = tokio::spawn(homeward_web::serve(listener, store.clone(), config));
        App {
            base: format!("http://{addr}"),
            store,
            db,
            server,
        }
    }

    /// A full URL for a path on the app.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Creates a user who signs in with [`PASSWORD`].
    pub async fn user(&self, email: &str, name: &str, role: &str, team: Option<&str>) -> User {
        self.create_user(email, name, role, team, None).await
    }

    /// Creates a mission officer of `country` (ISO 3166 alpha-2) who signs
    /// in with [`PASSWORD`].
    pub async fn mission_officer(&self, email: &str, name: &str, country: &str) -> User {
        self.create_user(email, name, "mission_officer", None, Some(country))
            .await
    }

    async fn create_user(
        &self,
        email: &str,
        name: &str,
        role: &str,
        team: Option<&str>,
        country: Option<&str>,
    ) -> User {
        users::create(
            &self.store,
            None,
            &NewUser {
                email: email.into(),
                name: name.into(),
                role: role.into(),
                team: team.map(Into::into),
                country: country.map(Into::into),
                language: None,
                password: PASSWORD.into(),
                programmes: Vec::new(),
            },
        )
        .await
        .unwrap_or_else(|e| panic!("create user {email}: {e}"))
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_string())
}

/// The folder screenshots go to: `<workspace>/target/e2e-screenshots`.
pub fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("target")
        .join("e2e-screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot folder");
    dir
}

/// A chromedriver child process and the Chromium profile folder it uses.
/// Dropping it kills chromedriver and any Chromium it left behind, then
/// removes the profile.
pub struct Driver {
    child: Child,
    pub port: u16,
    profile: tempfile::TempDir,
    log: PathBuf,
}

impl Driver {
    /// Starts chromedriver on a free port and waits until it says it is ready.
    pub async fn start() -> Driver {
        let exe = env_or("HOMEWARD_E2E_CHROMEDRIVER", "/usr/bin/chromedriver");
        assert!(
            Path::new(&exe).exists(),
            "{exe} is missing: install Debian's chromium and chromium-driver packages"
        );
        let mut last_err = String::new();
        // A free port can be taken between finding it and chromedriver binding
        // it; try a few times.
        for _ in 0..3 {
            let profile = tempfile::Builder::new()
                .prefix("homeward-e2e-chromium-")
                .tempdir()
                .expect("profile folder");
            let port = free_port();
            let log = profile.path().join("chromedriver.log");
            let out = std::fs::File::create(&log).expect("chromedriver log file");
            let err = out.try_clone().expect("chromedriver log file");
            let child = Command::new(&exe)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .spawn()
                .unwrap_or_else(|e| panic!("start {exe}: {e}"));
            let mut d = Driver {
                child,
                port,
                profile,
                log,
            };
            match d.wait_ready().await {
                Ok(()) => return d,
                Err(e) => last_err = format!("{e}\n{}", d.log_text()),
            }
        }
        panic!("chromedriver did not start: {last_err}");
    }

    async fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("chromedriver exited: {status}"));
            }
            if let Some(body) = http_get(self.port, "/status").await {
                if body.contains("\"ready\":true") || body.contains("\"ready\": true") {
                    return Ok(());
                }
            }
            if Instant::now() > deadline {
                return Err("chromedriver did not answer /status in time".into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What chromedriver printed so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The WebDriver capabilities: Debian's Chromium, headless, quiet on the
    /// network, with a fresh profile.
    pub fn capabilities(&self) -> serde_json::Map<String, serde_json::Value> {
        let binary = env_or("HOMEWARD_E2E_CHROMIUM", "/usr/bin/chromium");
        let profile = self.profile.path().join("profile");
        let args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--no-default-browser-check".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-extensions".into(),
            "--disable-features=Translate,MediaRouter,OptimizationHints".into(),
            "--password-store=basic".into(),
            "--lang=en-US".into(),
            "--window-size=1280,1100".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": binary,
                "args": args,
                "prefs": { "intl.accept_languages": "en-US,en" },
            },
        });
        match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!(),
        }
    }

    /// Opens a browser session.
    pub async fn connect(&self) -> Client {
        let url = format!("http://127.0.0.1:{}", self.port);
        ClientBuilder::new(HttpConnector::new())
            .capabilities(self.capabilities())
            .connect(&url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "open a Chromium session through chromedriver: {e}\n{}",
                    self.log_text()
                )
            })
    }

    /// The live processes whose command line names this driver's profile
    /// folder: the Chromium processes this driver started. (A zombie's
    /// command line is empty, so the dead are not counted.)
    fn browser_pids(&self) -> Vec<i32> {
        let needle = self.profile.path().to_string_lossy().into_owned();
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        let me = std::process::id() as i32;
        entries
            .flatten()
            .filter_map(|e| {
                let pid = e.file_name().to_str()?.parse::<i32>().ok()?;
                let cmd = std::fs::read(e.path().join("cmdline")).ok()?;
                (pid != me && String::from_utf8_lossy(&cmd).contains(&needle)).then_some(pid)
            })
            .collect()
    }

    fn kill_browsers(&self) {
        for pid in self.browser_pids() {
            // SAFETY: kill(2) on a pid read from /proc; no memory is touched.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // A closed session's Chromium may still be exiting: give it a moment
        // while chromedriver is alive to reap it, then kill what is left.
        let deadline = Instant::now() + Duration::from_secs(5);
        while !self.browser_pids().is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill_browsers();
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.kill_browsers();
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("find a free port");
    l.local_addr().expect("port").port()
}

/// A minimal HTTP/1.1 GET to 127.0.0.1:`port`; the body, or None.
/// (chromedriver keeps the connection open, so the body is read by its
/// Content-Length.)
async fn http_get(port: u16, path: &str) -> Option<String> {
    let fut = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .ok()?;
        let req =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes()).await.ok()?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).await.ok()?;
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let len = head.lines().find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.trim()
                        .eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())
                        .flatten()
                });
                if n == 0 || len.is_some_and(|len| body.len() >= len) {
                    return Some(body.to_string());
                }
            }
            if n == 0 {
                return None;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(2), fut)
        .await
        .ok()
        .flatten()
}

/// Runs `body` with a browser session. Whatever happens in `body` (a failed
/// assertion included), the session is closed and chromedriver is killed;
/// on failure a screenshot and the page's HTML are saved as
/// `failure-<name>.png` / `.html` next to the other screenshots.
pub async fn with_browser<F, Fut>(name: &str, body: F)
where
    F: FnOnce(Client) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let dir = screenshot_dir();
    for ext in ["png", "html"] {
        let _ = std::fs::remove_file(dir.join(format!("failure-{name}.{ext}")));
    }
    let driver = Driver::start().await;
    let client = driver.connect().await;
    let outcome = tokio::spawn(body(client.clone())).await;
    if outcome.is_err() {
        if let Ok(Ok(png)) =
            tokio::time::timeout(Duration::from_secs(10), client.screenshot()).await
        {
            let _ = std::fs::write(dir.join(format!("failure-{name}.png")), png);
        }
        if let Ok(Ok(html)) = tokio::time::timeout(Duration::from_secs(10), client.source()).await {
            let _ = std::fs::write(dir.join(format!("failure-{name}.html")), html);
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(15), client.close()).await;
    drop(driver);
    if let Err(e) = outcome {
        match e.try_into_panic() {
            Ok(p) => std::panic::resume_unwind(p),
            Err(e) => panic!("browser test task failed: {e}"),
        }
    }
}

/// Waits until `check` returns Some, polling every 100 ms, for at most [`WAIT`].
pub async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits for an element matching the CSS selector.
pub async fn wait_css(c: &Client, css: &str) -> fantoccini::elements::Element {
    let found = c
        .wait()
        .at_most(WAIT)
        .every(Duration::from_millis(100))
        .for_element(Locator::Css(css))
        .await;
    match found {
        Ok(e) => e,
        Err(e) => {
            let at = c
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            panic!("waiting for `{css}` on {at}: {e}")
        }
    }
}

/// The page's path and query, without the one-time `done=` message marker
/// a save adds (the page is the same; the message is checked on its own).
pub async fn path_of(c: &Client) -> String {
    let u = c.current_url().await.expect("current url");
    let kept: Vec<&str> = u
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("done="))
        .collect();
    match kept.is_empty() {
        false => format!("{}?{}", u.path(), kept.join("&")),
        true => u.path().to_string(),
    }
}

/// The HTTP status of the document on screen (Chromium's Navigation Timing).
pub async fn page_status(c: &Client) -> i64 {
    let v = c
        .execute(
            "const n = performance.getEntriesByType('navigation')[0];\
             return n ? n.responseStatus : null;",
            vec![],
        )
        .await
        .expect("read the page's status");
    v.as_i64()
        .unwrap_or_else(|| panic!("no response status for this page: {v}"))
}

/// Clicks `css` and waits until the browser has left the current document
/// and the new one has loaded (the old `<html>` element goes stale).
pub async fn click_and_load(c: &Client, css: &str) {
    let old = c.find(Locator::Css("html")).await.expect("the page's root");
    wait_css(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
    wait_until(&format!("a new page after clicking `{css}`"), || {
        let old = old.clone();
        async move {
            match old.tag_name().await {
                Err(CmdError::Standard(w)) if w.error == ErrorStatus::StaleElementReference => {
                    Some(())
                }
                _ => None,
            }
        }
    })
    .await;
    wait_until("the page to finish loading", || async {
        match c.execute("return document.readyState", vec![]).await {
            Ok(v) if v == "complete" => Some(()),
            _ => None,
        }
    })
    .await;
}

/// Opens a path and waits until it has loaded.
pub async fn open(c: &Client, app: &str, path: &str) {
    c.goto(&format!("{app}{path}"))
        .await
        .unwrap_or_else(|e| panic!("open {path}: {e}"));
}

/// A CSS selector for the element with this id. Form ids keep the field's
/// dots (`f-referral.claim_outcome`), which CSS reads as classes unless escaped.
pub fn by_id(id: &str) -> String {
    format!("#{}", id.replace('.', "\\."))
}

/// Types into the input with the given id (after clearing it).
pub async fn type_into(c: &Client, id: &str, text: &str) {
    type_css(c, &by_id(id), text).await;
}

/// Types into the input matching `css` (after clearing it).
pub async fn type_css(c: &Client, css: &str, text: &str) {
    let e = wait_css(c, css).await;
    e.clear()
        .await
        .unwrap_or_else(|e| panic!("clear `{css}`: {e}"));
    e.send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into `{css}`: {e}"));
}

/// Chooses the option with this value in the select matching `css`.
pub async fn choose(c: &Client, css: &str, value: &str) {
    wait_css(c, css)
        .await
        .select_by_value(value)
        .await
        .unwrap_or_else(|e| panic!("choose {value:?} in `{css}`: {e}"));
}

/// Clicks something that changes the page in place (no navigation).
pub async fn click(c: &Client, css: &str) {
    wait_css(c, css)
        .await
        .click()
        .await
        .unwrap_or_else(|e| panic!("click `{css}`: {e}"));
}

/// Opens the `<details>` matching `css` (its fields cannot be typed into
/// while it is closed) and waits until it is open.
pub async fn open_details(c: &Client, css: &str) {
    let open = format!("{css}[open]");
    if !present(c, &open).await {
        click(c, &format!("{css} > summary")).await;
    }
    wait_css(c, &open).await;
}

/// Signs in through the sign-in page and lands on the dashboard.
pub async fn sign_in(c: &Client, app: &str, email: &str) {
    open(c, app, "/login").await;
    type_into(c, "f-email", email).await;
    type_into(c, "f-password", PASSWORD).await;
    click_and_load(c, "form[action='/login'] button[type='submit']").await;
    assert_eq!(path_of(c).await, "/", "{email} signs in to the dashboard");
}

/// Signs out with the header's button and lands on the sign-in page.
pub async fn sign_out(c: &Client) {
    click_and_load(c, "form[action='/logout'] button[type='submit']").await;
    assert_eq!(path_of(c).await, "/login", "signing out leads to sign-in");
}

/// Sets an input's value the way a date picker would (typing into
/// `<input type=date>` depends on the browser's locale), then fires the
/// input and change events.
pub async fn set_value(c: &Client, id: &str, value: &str) {
    set_value_css(c, &by_id(id), value).await;
}

/// [`set_value`] for the input matching `css`.
pub async fn set_value_css(c: &Client, css: &str, value: &str) {
    wait_css(c, css).await;
    c.execute(
        "const e = document.querySelector(arguments[0]); e.value = arguments[1];\
         e.dispatchEvent(new Event('input', {bubbles: true}));\
         e.dispatchEvent(new Event('change', {bubbles: true}));",
        vec![json!(css), json!(value)],
    )
    .await
    .unwrap_or_else(|e| panic!("set `{css}`: {e}"));
}

/// The text of the element matching `css` (waiting for it).
pub async fn text_of(c: &Client, css: &str) -> String {
    wait_css(c, css)
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("text of `{css}`: {e}"))
}

/// The texts of every element matching `css`, in page order (waiting for
/// the first).
pub async fn texts_of(c: &Client, css: &str) -> Vec<String> {
    wait_css(c, css).await;
    let mut out = Vec::new();
    for e in c
        .find_all(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("find `{css}`: {e}"))
    {
        out.push(
            e.text()
                .await
                .unwrap_or_else(|e| panic!("text of `{css}`: {e}")),
        );
    }
    out
}

/// The (term, description) pairs of the `<dl>` lists inside `css`, as shown.
pub async fn definitions(c: &Client, css: &str) -> Vec<(String, String)> {
    wait_css(c, css).await;
    let v = c
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0] + ' dl > dt'))\
               .map(dt => [dt.innerText.trim(),\
                 dt.nextElementSibling ? dt.nextElementSibling.innerText.trim() : '']);",
            vec![json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("read the lists in `{css}`: {e}"));
    serde_json::from_value(v).unwrap_or_else(|e| panic!("the lists in `{css}`: {e}"))
}

/// The current value of an input (its `value` property: what is in the box).
pub async fn value_of(c: &Client, id: &str) -> String {
    value_css(c, &by_id(id)).await
}

/// The current value of the input matching `css`.
pub async fn value_css(c: &Client, css: &str) -> String {
    wait_css(c, css)
        .await
        .prop("value")
        .await
        .unwrap_or_else(|e| panic!("value of `{css}`: {e}"))
        .unwrap_or_default()
}

/// Whether the checkbox matching `css` is ticked.
pub async fn is_checked(c: &Client, css: &str) -> bool {
    wait_css(c, css)
        .await
        .is_selected()
        .await
        .unwrap_or_else(|e| panic!("is `{css}` ticked: {e}"))
}

/// Whether an element matching `css` is on the page now (no waiting).
pub async fn present(c: &Client, css: &str) -> bool {
    match c.find(Locator::Css(css)).await {
        Ok(_) => true,
        Err(CmdError::Standard(w)) if w.error == ErrorStatus::NoSuchElement => false,
        Err(e) => panic!("look for `{css}`: {e}"),
    }
}

/// Saves a screenshot of the visible page; returns its path.
pub async fn screenshot(c: &Client, file: &str) -> PathBuf {
    let png = c.screenshot().await.expect("screenshot");
    let path = screenshot_dir().join(file);
    std::fs::write(&path, png).expect("write screenshot");
    path
}

/// Saves a screenshot of the element matching `css` alone; returns its path.
pub async fn element_screenshot(c: &Client, css: &str, file: &str) -> PathBuf {
    let png = wait_css(c, css)
        .await
        .screenshot()
        .await
        .unwrap_or_else(|e| panic!("screenshot of `{css}`: {e}"));
    let path = screenshot_dir().join(file);
    std::fs::write(&path, png).expect("write screenshot");
    path
}

/// Saves a screenshot of the whole page, not just what fits in the window:
/// the window is made as tall as the page for the shot, then put back.
pub async fn full_page_screenshot(c: &Client, file: &str) -> PathBuf {
    let (w, h) = c.get_window_size().await.expect("window size");
    let num = |v: serde_json::Value| v.as_f64().unwrap_or(0.0).ceil() as u32;
    let page = num(c
        .execute("return document.documentElement.scrollHeight", vec![])
        .await
        .expect("page height"));
    let chrome = num(c
        .execute("return window.outerHeight - window.innerHeight", vec![])
        .await
        .expect("window chrome"));
    c.set_window_size(w as u32, page + chrome)
        .await
        .expect("grow the window");
    wait_until("the window to fit the page", || async {
        let v = c
            .execute(
                "return window.innerHeight >= document.documentElement.scrollHeight",
                vec![],
            )
            .await
            .ok()?;
        (v == true).then_some(())
    })
    .await;
    let path = screenshot(c, file).await;
    c.set_window_size(w as u32, h as u32)
        .await
        .expect("restore the window");
    path
}

/// The page's visible text (and its title).
pub async fn visible_text(c: &Client) -> String {
    let v = c
        .execute(
            "return document.title + '\\n' + document.body.innerText",
            vec![],
        )
        .await
        .expect("read the page's text");
    v.as_str().unwrap_or_default().to_string()
}

/// The first segments of the translation keys (`field`, `status`, `nav`...),
/// read from the app's message files.
fn key_prefixes() -> Vec<String> {
    let mut out = Vec::new();
    for lang in ["en", "fr"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/web/locales")
            .join(lang)
            .join("main.ftl");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {p:?}: {e}"));
        for line in text.lines() {
            let Some((key, _)) = line.split_once(" =") else {
                continue;
            };
            if key.starts_with(|c: char| c.is_ascii_lowercase()) {
                if let Some((first, _)) = key.split_once('-') {
                    if !out.iter().any(|o| o == first) {
                        out.push(first.to_string());
                    }
                }
            }
        }
    }
    // Keys built in code whose prefix may be missing from the files.
    for extra in [
        "field", "status", "error", "role", "to", "hint", "col", "nav", "sex",
    ] {
        if !out.iter().any(|o| o == extra) {
            out.push(extra.to_string());
        }
    }
    out
}

/// Splits text into words the way [`raw_keys`] reads it.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

/// Dashed words the translations themselves use as prose ("Record a
/// fitness-to-travel check"): a page showing them is translated, even when
/// they read like a key.
fn prose_words() -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for lang in ["en", "fr"] {
        let p = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../crates/web/locales")
            .join(lang)
            .join("main.ftl");
        let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {p:?}: {e}"));
        for line in text.lines() {
            // A message's value follows ` = `; a continuation line is indented.
            let value = match line.split_once(" =") {
                Some((key, v)) if key.starts_with(|c: char| c.is_ascii_lowercase()) => v,
                _ if line.starts_with(char::is_whitespace) => line,
                _ => continue,
            };
            for w in words(value).filter(|w| w.contains('-')) {
                if !out.iter().any(|o| o == w) {
                    out.push(w.to_string());
                }
            }
        }
    }
    out
}

/// Words in `text` that look like untranslated message keys (`field-xyz`,
/// `status-referred`): lowercase ASCII, dash-separated segments each starting
/// with a letter, the first being a known key prefix, and not a word the
/// translations use as prose.
pub fn raw_keys(text: &str) -> Vec<String> {
    let prefixes = key_prefixes();
    let prose = prose_words();
    words(text)
        .filter(|w| !prose.iter().any(|p| p == w))
        .filter(|w| {
            let segs: Vec<&str> = w.split('-').collect();
            segs.len() >= 2
                && segs.iter().all(|s| {
                    s.starts_with(|c: char| c.is_ascii_lowercase())
                        && s.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
                })
                && prefixes.iter().any(|p| p == segs[0])
        })
        .map(str::to_string)
        .collect()
}

/// Fails if the page shows any untranslated message key.
pub async fn assert_no_raw_keys(c: &Client, page: &str) {
    let text = visible_text(c).await;
    let raw = raw_keys(&text);
    assert!(
        raw.is_empty(),
        "{page} shows untranslated keys {raw:?}:\n{text}"
    );
}

/// axe-core's script, installed from the npm registry into `e2e/axe` by
/// `npm ci` (scripts/test and .ci/run do it).
fn axe_script() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; run `npm ci` in e2e/axe (scripts/test does)",
            path.display()
        )
    })
}

/// Checks the page on screen at a phone's width (390 px): no WCAG 2.0 and
/// 2.1 A or AA violation that axe-core finds, and nothing wider than the
/// screen. The window is put back afterwards. `page` names it in failures.
pub async fn assert_accessible_on_phone(c: &Client, page: &str) {
    let problems = accessibility_problems(c).await;
    assert!(problems.is_empty(), "{page}: {}", problems.join("\n"));
}

/// What [`assert_accessible_on_phone`] finds wrong with the page on screen
/// (nothing: an empty list).
pub async fn accessibility_problems(c: &Client) -> Vec<String> {
    let mut out = Vec::new();
    let (w, h) = c.get_window_size().await.expect("window size");
    c.set_window_size(390, 844).await.expect("a phone's window");
    wait_until("the phone-width layout", || async {
        let v = c.execute("return window.innerWidth", vec![]).await.ok()?;
        (v.as_f64().unwrap_or(0.0) <= 400.0).then_some(())
    })
    .await;
    let wide = c
        .execute(
            "const over = document.documentElement.scrollWidth - window.innerWidth;\
             const what = Array.from(document.querySelectorAll('body *'))\
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)\
               .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')\
                 + (e.className ? '.' + String(e.className).split(' ').join('.') : ''));\
             return {over, what};",
            vec![],
        )
        .await
        .expect("measure the page");
    if wide["over"].as_f64().unwrap_or(0.0) > 1.0 {
        out.push(format!(
            "{} px wider than a 390 px screen: {}",
            wide["over"], wide["what"]
        ));
    }
    c.execute(&format!("{}\n;return true;", axe_script()), vec![])
        .await
        .expect("load axe-core");
    let v = c
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})\
               .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,\
                 nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))))\
               .catch(e => done([{id: 'axe-error', help: String(e)}]));",
            vec![],
        )
        .await
        .expect("run axe-core");
    c.set_window_size(w as u32, h as u32)
        .await
        .expect("restore the window");
    for violation in v.as_array().cloned().unwrap_or_default() {
        out.push(format!("WCAG 2.1 AA at 390 px: {violation}"));
    }
    out
}
