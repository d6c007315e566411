//! Reports, the dashboard and exports in a real browser (headless Chromium),
//! on SQLite and on PostgreSQL, over the demo data (200 cases from 2012 on,
//! with their reintegration), with the job worker running:
//!
//! 1. the supervisor's home page shows the programme panels (SVG charts with
//!    `role="img"` and the numbers behind them in tables); the filter form
//!    with a period over the demo's years shows departures; a bad period
//!    ("2026-13") comes back with its message next to the field, the typed
//!    value kept, and a 422, not a 500;
//! 2. the supervisor's donor report for that period shows its tables and
//!    links to XLSX, CSV and PDF; the browser fetches each (with its session
//!    cookie): right type, and the CSV's totals are the screen's;
//! 3. the supervisor exports the case list (two columns, CSV) from the case
//!    list's button, lands on the downloads, which refresh themselves until
//!    the row says Ready; the file has exactly those two columns;
//! 4. an analyst makes a de-identified export through its form; it becomes
//!    Ready in their downloads, with no names in it;
//! 5. refusals: the analyst gets 403 on the donor report (page and CSV) and
//!    on the case list export; a counsellor on the de-identified export; an
//!    admin sees no programme panels on the home page and no report.
//!
//! The supervisor's filtered dashboard is saved as
//! `target/e2e-screenshots/dashboard.png`.
//!
//! Run: `cargo test -p homeward-e2e --test reports_exports`.

mod support;

use fantoccini::Client;
use homeward_web::jobs::{spawn_worker, Shutdown, Wake, WorkerConfig};
use serde_json::json;
use std::time::Duration;
use support::*;

const SUPERVISOR: &str = "sup@iom.int";
const ANALYST: &str = "analyst@iom.int";
const COUNSELLOR: &str = "c@iom.int";
const ADMIN: &str = "admin@iom.int";

/// A period over the demo's referrals and departures (2012 to 2015).
const PERIOD: &str = "2012-06-01..2016-06-30";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_exports_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reports_exports_postgres() {
    journey(Db::Postgres).await;
}

async fn journey(db: Db) {
    let wake = Wake::default();
    let app = App::start_with(
        db,
        homeward_web::WebConfig {
            jobs_wake: wake.clone(),
            ..Default::default()
        },
    )
    .await;
    // Exports are written by the job worker, as in `homeward serve`.
    let shutdown = Shutdown::default();
    let worker = spawn_worker(
        app.store.clone(),
        WorkerConfig {
            poll_interval: Duration::from_millis(200),
            wake,
            shutdown: shutdown.clone(),
            ..WorkerConfig::default()
        },
    );
    homeward_demo::cases::load(&app.store, 200, 2012, &mut |_| {})
        .await
        .expect("load the demo cases");
    homeward_demo::returns::load(&app.store, 2012)
        .await
        .expect("load the demo reintegration");
    app.user(SUPERVISOR, "Sofia Rossi", "supervisor", Some("toronto"))
        .await;
    app.user(ANALYST, "Ana Lyst", "analyst", None).await;
    app.user(COUNSELLOR, "Amira", "counsellor", Some("toronto"))
        .await;
    app.user(ADMIN, "Sam Admin", "admin", None).await;
    let base = app.base.clone();
    with_browser(
        &format!("{}-reports-exports", db.name()),
        move |c| async move {
            steps(&c, &base).await;
        },
    )
    .await;
    shutdown.trigger();
    let _ = worker.await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

/// What the browser got when it fetched a URL with its own cookies.
#[derive(Debug)]
struct Fetched {
    status: i64,
    content_type: String,
    disposition: String,
    size: i64,
    /// The first bytes, as text (Latin-1 for binary files).
    head: String,
    /// The whole body as UTF-8 text.
    text: String,
}

/// Fetches `path` from the page on screen (same origin, the session's
/// cookies), as a download link would.
async fn fetch(c: &Client, path: &str) -> Fetched {
    let v = c
        .execute_async(
            "const [url, done] = arguments;\
             fetch(url, {credentials: 'same-origin'}).then(async r => {\
               const b = new Uint8Array(await r.arrayBuffer());\
               done({status: r.status,\
                 type: r.headers.get('content-type') || '',\
                 disposition: r.headers.get('content-disposition') || '',\
                 size: b.length,\
                 head: String.fromCharCode(...b.slice(0, 8)),\
                 text: new TextDecoder().decode(b)});\
             }).catch(e => done({error: String(e)}));",
            vec![json!(path)],
        )
        .await
        .unwrap_or_else(|e| panic!("fetch {path}: {e}"));
    assert!(v.get("error").is_none(), "fetch {path}: {v}");
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    Fetched {
        status: v["status"].as_i64().unwrap_or_default(),
        content_type: s("type"),
        disposition: s("disposition"),
        size: v["size"].as_i64().unwrap_or_default(),
        head: s("head"),
        text: s("text"),
    }
}

/// The text content of an element, shown or not (panel tables sit in
/// closed `<details>`, whose text WebDriver reports as empty).
async fn content_of(c: &Client, css: &str) -> String {
    wait_css(c, css).await;
    let v = c
        .execute(
            "return document.querySelector(arguments[0]).textContent.trim()",
            vec![json!(css)],
        )
        .await
        .unwrap_or_else(|e| panic!("text of `{css}`: {e}"));
    v.as_str().unwrap_or_default().to_string()
}

/// The cells of each row of a table's body (header cell first), shown or not.
async fn rows_of(c: &Client, table: &str) -> Vec<Vec<String>> {
    wait_css(c, table).await;
    let v = c
        .execute(
            "return Array.from(document.querySelectorAll(arguments[0] + ' tbody tr'))\
               .map(tr => Array.from(tr.cells).map(td => td.textContent.trim()));",
            vec![json!(table)],
        )
        .await
        .unwrap_or_else(|e| panic!("rows of `{table}`: {e}"));
    serde_json::from_value(v).unwrap_or_else(|e| panic!("rows of `{table}`: {e}"))
}

fn number(s: &str) -> i64 {
    s.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{s:?} is not a count"))
}

/// The fields of a CSV line (no quoted commas in the lines read here).
fn fields(line: &str) -> Vec<String> {
    line.trim_start_matches('\u{feff}')
        .trim_end_matches('\r')
        .split(',')
        .map(|f| f.trim_matches('"').to_string())
        .collect()
}

/// Waits for the downloads page to show the newest export of `kind` as
/// Ready (the list refreshes itself with htmx every 2 s while one is being
/// written), and returns its download link.
async fn wait_ready(c: &Client, kind: &str) -> String {
    let row = format!("#download-table tbody tr:first-child td[data-kind='{kind}']");
    wait_css(c, &row).await;
    wait_until(&format!("the {kind} export to be ready"), || async {
        let done = present(
            c,
            "#download-table tbody tr:first-child[data-status='done']",
        )
        .await;
        done.then_some(())
    })
    .await;
    let cells = rows_of(c, "#download-table").await;
    assert!(
        cells[0].iter().any(|x| x == "Ready"),
        "the row says Ready: {cells:?}"
    );
    let link = wait_css(
        c,
        "#download-table tbody tr:first-child a[href^='/downloads/'][download]",
    )
    .await;
    assert!(link
        .text()
        .await
        .expect("the link's text")
        .starts_with("Download"));
    link.attr("href")
        .await
        .expect("the link's href")
        .expect("an href")
}

/// The refusal page: 403, "Not allowed", and nothing of what was refused.
async fn assert_refused(c: &Client, base: &str, path: &str, who: &str) {
    open(c, base, path).await;
    assert_eq!(
        text_of(c, "main h1").await,
        "Not allowed",
        "{who} is refused {path}"
    );
    assert!(text_of(c, "main")
        .await
        .contains("Your role does not allow this."));
    assert_eq!(page_status(c).await, 403, "{who} on {path}");
    assert!(
        !present(c, "main table").await,
        "{who} sees no table on {path}"
    );
    assert!(
        !present(c, "main form").await,
        "{who} sees no form on {path}"
    );
}

async fn steps(c: &Client, base: &str) {
    // 1. The supervisor's dashboard, filtered, and a bad period.
    sign_in(c, base, SUPERVISOR).await;
    wait_css(c, "#dash-panels").await;
    assert_eq!(page_status(c).await, 200);
    assert!(present(c, "#dash-panels svg[role='img']").await);
    let statuses = rows_of(c, "#dash-statuses").await;
    assert!(!statuses.is_empty(), "cases by status, in numbers");
    assert!(
        statuses.iter().map(|r| number(&r[1])).sum::<i64>() > 0,
        "the demo's cases are counted: {statuses:?}"
    );
    assert!(
        present(c, "#f-counsellor").await,
        "supervisors filter by counsellor"
    );
    assert_no_raw_keys(c, "the supervisor's dashboard").await;

    type_into(c, "f-period", PERIOD).await;
    choose(c, "#f-programme", "gta-2012").await;
    click_and_load(c, "#dash-filter button[type='submit']").await;
    assert_eq!(page_status(c).await, 200);
    assert!(path_of(c).await.starts_with("/?period="));
    assert_eq!(value_of(c, "f-period").await, PERIOD);
    assert!(text_of(c, "#dash-subtitle-p")
        .await
        .contains("from 2012-06-01 to 2016-06-30"));
    let charts = c
        .find_all(fantoccini::Locator::Css("#dash-panels svg[role='img']"))
        .await
        .expect("the charts");
    assert!(charts.len() >= 6, "a chart per panel: {}", charts.len());
    let departures = rows_of(c, "#dash-departures").await;
    assert_eq!(departures[0][0], "Departures");
    let departed = number(&departures[0][1]);
    assert!(departed > 0, "departures in the period: {departures:?}");
    let countries = rows_of(c, "#dash-countries").await;
    assert!(
        countries.iter().map(|r| number(&r[1])).sum::<i64>() > 0,
        "departures by country: {countries:?}"
    );
    assert!(content_of(c, "#chart-departures title")
        .await
        .contains("Departures"));
    assert_no_raw_keys(c, "the filtered dashboard").await;
    full_page_screenshot(c, "dashboard.png").await;

    type_into(c, "f-period", "2026-13").await;
    click_and_load(c, "#dash-filter button[type='submit']").await;
    assert_eq!(
        page_status(c).await,
        422,
        "a bad period is the user's error"
    );
    assert!(present(c, "#dash-filter-error").await);
    let message = text_of(c, "#e-period").await;
    assert!(message.contains("Enter a month"), "{message}");
    let beside = c
        .execute(
            "const e = document.querySelector('#e-period');\
             const f = document.querySelector('#f-period');\
             return e.closest('.field') === f.closest('.field')\
               && f.getAttribute('aria-describedby') === 'e-period'\
               && f.getAttribute('aria-invalid') === 'true';",
            vec![],
        )
        .await
        .expect("where the message is");
    assert_eq!(beside, true, "the message sits with its field");
    assert_eq!(
        value_of(c, "f-period").await,
        "2026-13",
        "the typed value is kept"
    );
    assert!(!present(c, "#dash-panels svg[role='img']").await);
    assert_no_raw_keys(c, "the dashboard with a bad period").await;

    // 2. The donor report for the period, and its three files.
    click_and_load(c, "header nav a[href='/reports/donor']").await;
    assert_eq!(page_status(c).await, 200);
    type_into(c, "f-period", PERIOD).await;
    click_and_load(c, "form[action='/reports/donor'] button[type='submit']").await;
    assert_eq!(page_status(c).await, 200);
    assert!(text_of(c, "#report-subtitle").await.contains("2012-06-01"));
    for t in ["activity", "costs", "reintegration", "rss"] {
        assert!(present(c, &format!("#report-{t}")).await, "the {t} table");
    }
    let activity = rows_of(c, "#report-activity").await;
    let total = activity.last().expect("a total row");
    assert_eq!(total[0], "Total");
    let report_departures = number(&total[6]);
    assert!(
        report_departures > 0,
        "departures in the report: {activity:?}"
    );
    assert_no_raw_keys(c, "the donor report").await;
    let mut hrefs = Vec::new();
    for e in c
        .find_all(fantoccini::Locator::Css("#report-downloads a[download]"))
        .await
        .expect("the download links")
    {
        hrefs.push(e.attr("href").await.expect("href").expect("an href"));
    }
    let q = format!("?period={PERIOD}");
    assert_eq!(
        hrefs,
        ["xlsx", "csv", "pdf"].map(|x| format!("/reports/donor.{x}{q}")),
    );

    let csv = fetch(c, &hrefs[1]).await;
    assert_eq!(csv.status, 200, "{csv:?}");
    assert!(csv.content_type.starts_with("text/csv"), "{csv:?}");
    assert!(csv.disposition.contains("attachment"), "{csv:?}");
    let csv_total = csv
        .text
        .lines()
        .map(fields)
        .find(|f| f[0] == "Total")
        .expect("the activity total in the CSV");
    assert_eq!(
        csv_total[1..7],
        total[1..7],
        "the CSV's counts are the screen's"
    );
    let xlsx = fetch(c, &hrefs[0]).await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.content_type.contains("spreadsheetml"), "{xlsx:?}");
    assert!(xlsx.head.starts_with("PK") && xlsx.size > 1000, "a zip");
    let pdf = fetch(c, &hrefs[2]).await;
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.content_type, "application/pdf");
    assert!(pdf.head.starts_with("%PDF") && pdf.size > 1000, "a PDF");

    // 3. A case list export: two columns, CSV.
    click_and_load(c, "header nav a[href='/cases']").await;
    click_and_load(c, "#export-link button[type='submit']").await;
    assert!(path_of(c).await.starts_with("/exports/new"));
    assert_eq!(page_status(c).await, 200);
    assert_no_raw_keys(c, "the export form").await;
    c.execute(
        "document.querySelectorAll('#export-form input[type=checkbox]')\
           .forEach(b => { b.checked = false; });",
        vec![],
    )
    .await
    .expect("clear the columns");
    click(c, "#col-case_number").await;
    click(c, "#col-country_of_return").await;
    click(c, "#format-csv").await;
    assert!(is_checked(c, "#col-case_number").await);
    assert!(!is_checked(c, "#col-principal_name").await);
    click_and_load(c, "#export-form button[type='submit']").await;
    assert_eq!(path_of(c).await, "/downloads");
    let link = wait_ready(c, "cases").await;
    assert_no_raw_keys(c, "the downloads").await;
    let file = fetch(c, &link).await;
    assert_eq!(file.status, 200, "{file:?}");
    let lines: Vec<&str> = file.text.lines().collect();
    assert_eq!(
        fields(lines[0]),
        ["Case number", "Country of return"],
        "the two columns chosen"
    );
    assert!(lines.len() > 100, "the demo's cases: {} lines", lines.len());
    assert!(lines[1].starts_with("TOR-"), "{}", lines[1]);
    sign_out(c).await;

    // 4. The analyst's de-identified export; the analyst's refusals.
    sign_in(c, base, ANALYST).await;
    wait_css(c, "#dash-suppressed-note").await;
    assert!(present(c, "#dash-panels svg[role='img']").await);
    assert!(!present(c, "header nav a[href='/reports/donor']").await);
    click_and_load(c, "header nav a[href='/exports/deidentified/new']").await;
    assert_eq!(page_status(c).await, 200);
    assert_no_raw_keys(c, "the de-identified export form").await;
    assert!(is_checked(c, "#dim-country_of_return").await);
    assert!(is_checked(c, "#dim-sex").await);
    type_into(c, "f-period", PERIOD).await;
    click(c, "#unit-people").await;
    click_and_load(c, "#deid-form button[type='submit']").await;
    assert_eq!(path_of(c).await, "/downloads");
    let link = wait_ready(c, "deidentified").await;
    assert_eq!(
        rows_of(c, "#download-table").await.len(),
        1,
        "the analyst sees only their own export"
    );
    let file = fetch(c, &link).await;
    assert_eq!(file.status, 200, "{file:?}");
    let lines: Vec<&str> = file.text.lines().collect();
    assert_eq!(
        fields(lines[0]),
        ["Country of return", "Sex", "People"],
        "{}",
        file.text
    );
    assert!(lines.len() > 1, "counts: {}", file.text);
    assert!(
        !file.text.contains("TOR-"),
        "no case numbers: {}",
        file.text
    );

    assert_refused(c, base, "/reports/donor", "the analyst").await;
    assert_no_raw_keys(c, "the refusal page").await;
    let refused = fetch(c, &hrefs[1]).await;
    assert_eq!(refused.status, 403, "the analyst gets no donor CSV");
    assert!(!refused.content_type.starts_with("text/csv"));
    assert_refused(c, base, "/exports/new", "the analyst").await;
    sign_out(c).await;

    // 5. The counsellor and the admin.
    sign_in(c, base, COUNSELLOR).await;
    assert!(!present(c, "header nav a[href='/exports/deidentified/new']").await);
    assert_refused(c, base, "/exports/deidentified/new", "the counsellor").await;
    assert_refused(c, base, "/reports/donor", "the counsellor").await;
    sign_out(c).await;

    sign_in(c, base, ADMIN).await;
    assert_eq!(page_status(c).await, 200);
    wait_css(c, "main h1").await;
    assert!(!present(c, "#dash-panels").await, "no panels for the admin");
    assert!(
        !present(c, "svg[role='img']").await,
        "no charts for the admin"
    );
    assert!(!present(c, "#dash-filter").await);
    assert_refused(c, base, "/reports/donor", "the admin").await;
    assert_refused(c, base, "/exports/new", "the admin").await;
    assert_refused(c, base, "/exports/deidentified/new", "the admin").await;
}
