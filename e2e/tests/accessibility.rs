//! Every role's screens at a phone's width, in a real browser (headless
//! Chromium through chromedriver), on the demo's data (both programmes,
//! with returns): each page a role opens is checked with axe-core's WCAG
//! 2.0/2.1 A and AA rules and for nothing wider than 390 px
//! (`support::accessibility_problems`, docs/adr/0048). A page is checked
//! once, by the first role below that may open it, except the home page,
//! which differs by role. Every problem on every page is listed at once.
//!
//! Pages do not depend on the database, so this walk runs on SQLite only;
//! the journeys that reach pages in other states check them on both.
//!
//! Run: `cargo test -p homeward-e2e --test accessibility -- --test-threads=1`.

mod support;

use fantoccini::Client;
use homeward_demo::{cases as demo, live, returns as demo_returns};
use support::*;

/// The demo users, one per role, in the order pages are first checked.
const ROLES: [&str; 8] = [
    "counsellor@homeward.test",
    "supervisor@homeward.test",
    "cbsa@homeward.test",
    "mission.hu@homeward.test",
    "finance@homeward.test",
    "analyst@homeward.test",
    "admin@homeward.test",
    "auditor@homeward.test",
];

/// The screens of the day's work (with a case page, found from the list).
const PAGES: [&str; 29] = [
    "/",
    "/cases",
    "/cases/new",
    "/tasks",
    "/inbox",
    "/manifests",
    "/vendors",
    "/reports/donor",
    "/duplicates",
    "/downloads",
    "/exports/new",
    "/exports/deidentified/new",
    "/search?q=an",
    "/account/password",
    "/account/tokens",
    "/account/two-factor",
    "/admin/users",
    "/admin/users/new",
    "/admin/programmes",
    "/admin/jobs",
    "/admin/retention",
    "/audit",
    "/audit/break-glass",
    "/cases/break-glass",
    "/feedback",
    "/feedback?show=all",
    "/purchases",
    "/purchases?status=approved",
    "/my?lang=hu",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_role_every_screen() {
    let app = App::start(Db::Sqlite).await;
    demo::load(&app.store, 40, 2012, &mut |_| {})
        .await
        .expect("the pilot's demo cases");
    live::load(&app.store, 40, 2026, &mut |_| {})
        .await
        .expect("the live programme's cases");
    demo_returns::load(&app.store, 2012)
        .await
        .expect("what followed return");
    let base = app.base.clone();
    with_browser("accessibility", move |c| async move {
        walk(&c, &base).await;
    })
    .await;
}

async fn sign_in_demo(c: &Client, base: &str, email: &str) {
    open(c, base, "/login").await;
    type_into(c, "f-email", email).await;
    type_into(c, "f-password", demo::DEMO_PASSWORD).await;
    click_and_load(c, "form[action='/login'] button[type='submit']").await;
    assert_eq!(path_of(c).await, "/", "{email} signs in");
}

async fn walk(c: &Client, base: &str) {
    let mut checked: Vec<String> = Vec::new();
    let mut problems: Vec<String> = Vec::new();
    for email in ROLES {
        sign_in_demo(c, base, email).await;
        let mut pages: Vec<String> = PAGES.iter().map(|p| p.to_string()).collect();
        // A case of the role's own, from its list.
        open(c, base, "/cases").await;
        if page_status(c).await == 200 {
            let first = c
                .execute(
                    "const a = document.querySelector('main table a[href^=\"/cases/\"]');\
                     return a ? a.getAttribute('href') : null;",
                    vec![],
                )
                .await
                .expect("read the case list");
            if let Some(href) = first.as_str() {
                pages.push(href.to_string());
                pages.push(format!("{href}/feedback/new"));
            }
        }
        // An item of the register, for the roles that read it.
        open(c, base, "/feedback?show=all").await;
        if page_status(c).await == 200 {
            let first = c
                .execute(
                    "const a = document.querySelector('main table a[href^=\"/feedback/\"]');\
                     return a ? a.getAttribute('href') : null;",
                    vec![],
                )
                .await
                .expect("read the register");
            if let Some(href) = first.as_str() {
                pages.push(href.to_string());
            }
        }
        if email.starts_with("admin") {
            pages.push(format!("/admin/programmes/{}/setup", live::CODE));
        }
        for page in pages {
            // The home page differs by role; every other page is checked once.
            let key = if page == "/" {
                format!("/ as {email}")
            } else if page.ends_with("/feedback/new") {
                "recording a question or complaint".to_string()
            } else if page.starts_with("/feedback/") {
                "an item of the register".to_string()
            } else if page.starts_with("/cases/") && page != "/cases/new" {
                "a case page".to_string()
            } else {
                page.clone()
            };
            if checked.contains(&key) {
                continue;
            }
            open(c, base, &page).await;
            if page_status(c).await != 200 {
                continue;
            }
            checked.push(key.clone());
            for p in accessibility_problems(c).await {
                problems.push(format!("{key} ({email}): {p}"));
            }
        }
        sign_out(c).await;
    }
    assert!(checked.len() >= 25, "too few pages reached: {checked:?}");
    for must in [
        "/feedback",
        "/purchases",
        "an item of the register",
        "recording a question or complaint",
        "a case page",
    ] {
        assert!(
            checked.iter().any(|k| k == must),
            "{must} not reached: {checked:?}"
        );
    }
    assert!(
        problems.is_empty(),
        "{} problems on {} pages:\n{}",
        problems.len(),
        checked.len(),
        problems.join("\n")
    );
}
