//! The donor report over real HTTP on SQLite and PostgreSQL: a known
//! dataset, the expected numbers worked out by hand, and the screen, CSV,
//! XLSX, PDF and JSON all checked against them; refusals and bad periods.

use homeward_store::{both_databases, on_db, tokens, Store};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use uuid::Uuid;

mod support;

use support::data::Data;
use support::{sign_in, start};

/// The dataset of 2026-Q3 (1 July to 30 September, Toronto days) with the
/// edge cases the definitions decide.
async fn dataset(store: &Store, user: Uuid) {
    let programme: Uuid = on_db!(&store.db, p => sqlx::query_scalar("SELECT id FROM programmes WHERE code = 'gta-2012'").fetch_one(p).await).unwrap();
    let mut d = Data {
        store,
        programme,
        user,
        n: 0,
    };
    // A (HU): referred, enrolled and approved in the period; departed after 30 days.
    let a = d
        .case(Some("HU"), "2026-07-02T15:00:00Z", "reintegrating")
        .await;
    d.moved(a, "intake", "2026-07-03T15:00:00Z").await;
    d.moved(a, "eligible", "2026-07-10T15:00:00Z").await;
    d.departed(a, "2026-08-01T15:00:00Z", 150_000).await;
    d.purchase(a, "paid", 200_000, Some("2026-08-15T15:00:00Z"))
        .await;
    d.purchase(a, "paid", 99_900, Some("2026-10-05T15:00:00Z"))
        .await; // after the period
    d.purchase(a, "requested", 50_000, None).await; // not paid
    d.survey(a, "2026-08-20", [0.1, 0.1, 0.1, 0.1]).await; // superseded
    d.survey(a, "2026-09-01", [0.5, 0.6, 0.7, 0.6]).await;
    // B (HU): referred and enrolled before, approved in the period; a family on
    // two itineraries: departs with the first, 32 days after referral.
    let b = d.case(Some("HU"), "2026-06-20T15:00:00Z", "departed").await;
    d.moved(b, "intake", "2026-06-21T15:00:00Z").await;
    d.moved(b, "eligible", "2026-07-05T15:00:00Z").await;
    d.departed(b, "2026-07-22T15:00:00Z", 80_000).await;
    d.departed(b, "2026-07-23T15:00:00Z", 70_000).await;
    // C (CO): boards at 23:30 Toronto on 29 September (03:30 UTC on the 30th): 81 days.
    let c = d
        .case(Some("CO"), "2026-07-10T15:00:00Z", "monitoring")
        .await;
    d.moved(c, "intake", "2026-07-11T15:00:00Z").await;
    d.moved(c, "eligible", "2026-07-20T15:00:00Z").await;
    d.departed(c, "2026-09-30T03:30:00Z", 200_000).await;
    d.purchase(c, "delivered", 100_000, Some("2026-09-10T15:00:00Z"))
        .await;
    d.survey(c, "2026-09-15", [0.3, 0.4, 0.5, 0.4]).await;
    // D (CO): withdraws.
    let dd = d
        .case(Some("CO"), "2026-08-01T15:00:00Z", "withdrawn")
        .await;
    d.moved(dd, "intake", "2026-08-02T15:00:00Z").await;
    d.moved(dd, "withdrawn", "2026-08-10T15:00:00Z").await;
    // E (MX): refused.
    let e = d
        .case(Some("MX"), "2026-09-01T15:00:00Z", "ineligible")
        .await;
    d.moved(e, "intake", "2026-09-02T15:00:00Z").await;
    d.moved(e, "ineligible", "2026-09-20T15:00:00Z").await;
    // F (no country yet): referred at 23:59 Toronto on the last day.
    d.case(None, "2026-09-30T03:59:00Z", "referred").await;
    // G (HU): referred at midnight Toronto on 1 October: outside.
    let g = d.case(Some("HU"), "2026-10-01T04:00:00Z", "intake").await;
    d.moved(g, "intake", "2026-10-02T15:00:00Z").await;
    // H (HU): first departed in June; a second itinerary in the period does
    // not make it a departure of the period.
    let h = d
        .case(Some("HU"), "2026-05-01T15:00:00Z", "reintegrating")
        .await;
    d.departed(h, "2026-06-15T15:00:00Z", 90_000).await;
    d.departed(h, "2026-07-05T15:00:00Z", 60_000).await;
    d.purchase(h, "paid", 40_000, Some("2026-07-15T15:00:00Z"))
        .await;
    d.survey(h, "2026-07-20", [0.9, 0.9, 0.9, 0.9]).await;
}

/// The activity table worked out by hand: country, referrals, enrolments,
/// withdrawals, approvals, refusals, departures, average, median days.
fn expected_activity() -> Vec<Vec<&'static str>> {
    vec![
        vec!["CO", "2", "2", "1", "1", "0", "1", "81.0", "81.0"],
        vec!["HU", "1", "1", "0", "2", "0", "2", "31.0", "31.0"],
        vec!["MX", "1", "1", "0", "0", "1", "0", "", ""],
        vec!["?", "1", "0", "0", "0", "0", "0", "", ""],
        vec!["Total", "5", "4", "1", "3", "1", "3", "47.7", "32.0"],
    ]
}

/// Currency, returns, tickets, reintegration, per return (3), in CAD.
/// Tickets: A 1,500 + B 800 + 700 + C 2,000 (H left in June).
/// Reintegration: A 2,000 (the October payment is after the period) + C 1,000.
fn expected_costs() -> Vec<&'static str> {
    vec![
        "CAD", "3", "5000.00", "3000.00", "1666.67", "1000.00", "2666.67",
    ]
}

/// RSS: latest survey per case in the period; H's counts for HU too.
/// HU: A (0.5, 0.6, 0.7, 0.6) and H (0.9 ×4) → 0.70 0.75 0.80 0.75.
/// CO: C (0.3, 0.4, 0.5, 0.4). Total of 3: 0.57 0.63 0.70 0.63.
fn expected_rss() -> Vec<Vec<&'static str>> {
    vec![
        vec!["CO", "1", "0.30", "0.40", "0.50", "0.40"],
        vec!["HU", "2", "0.70", "0.75", "0.80", "0.75"],
        vec!["Total", "3", "0.57", "0.63", "0.70", "0.63"],
    ]
}

/// Reintegration status now of the period's returns (A, B, C).
fn expected_status() -> Vec<Vec<&'static str>> {
    vec![
        vec!["Departed", "1"],
        vec!["Reintegrating", "1"],
        vec!["Monitoring", "1"],
        vec!["Closed", "0"],
    ]
}

/// The rows of `<table id="report-{id}">` as cell texts.
fn html_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("<table id=\"report-{id}\">"))
        .unwrap_or_else(|| panic!("no table {id}"));
    let table = &html[start..];
    let table = &table[..table.find("</table>").unwrap()];
    let body = &table[table.find("<tbody>").unwrap()..];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            let mut cells = Vec::new();
            let mut rest = row;
            while let Some(i) = rest.find("<t") {
                let after = &rest[i..];
                let content = &after[after.find('>').unwrap() + 1..];
                let end = content.find("</t").unwrap();
                cells.push(content[..end].trim().to_string());
                rest = &content[end + 3..];
            }
            cells
        })
        .collect()
}

fn normalise(rows: Vec<Vec<String>>, unknown: &str) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|r| {
            r.into_iter()
                .map(|c| {
                    let c = c.replace("CAD ", "").replace(',', "");
                    if c == unknown {
                        "?".into()
                    } else if c == "—" {
                        String::new()
                    } else {
                        c
                    }
                })
                .collect()
        })
        .collect()
}

fn owned(v: Vec<Vec<&str>>) -> Vec<Vec<String>> {
    v.into_iter()
        .map(|r| r.into_iter().map(String::from).collect())
        .collect()
}

async fn donor_report_numbers_agree(store: Store) {
    let app = start(store).await;
    let sup = app.user("sup@example.org", "supervisor", None).await;
    dataset(&app.store, sup).await;
    let c = sign_in(&app, "sup@example.org").await;
    let get = |path: &str| c.get(app.url(path)).send();

    // Screen.
    let res = get("/reports/donor?period=2026-Q3").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let activity = normalise(html_rows(&html, "activity"), "Not yet known");
    assert_eq!(activity, owned(expected_activity()), "screen");
    let costs = normalise(html_rows(&html, "costs"), "");
    assert_eq!(
        costs,
        vec![expected_costs()
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()],
        "screen costs"
    );
    assert_eq!(
        normalise(html_rows(&html, "rss"), ""),
        owned(expected_rss()),
        "screen rss"
    );
    assert_eq!(
        normalise(html_rows(&html, "reintegration"), ""),
        owned(expected_status())
    );
    assert!(html.contains("href=\"/reports/donor.xlsx?period=2026-Q3\""));
    let dash = get("/").await.unwrap().text().await.unwrap();
    assert!(dash.contains("href=\"/reports/donor\""), "nav item");

    // A month, a custom range and the same range as a key agree with the quarter's parts.
    let july = get("/reports/donor?from=2026-07-01&to=2026-07-31")
        .await
        .unwrap();
    assert_eq!(july.status(), StatusCode::OK);
    let july = normalise(html_rows(&july.text().await.unwrap(), "activity"), "");
    // July: A, B and C's approvals, A's referral and enrolment, C's referral and enrolment, B's departure.
    assert_eq!(
        july.last().unwrap(),
        &owned(vec![vec![
            "Total", "2", "2", "0", "3", "0", "1", "32.0", "32.0"
        ]])[0]
    );

    // CSV.
    let res = get("/reports/donor.csv?period=2026-Q3").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("donor-report-2026-Q3.csv"));
    let body = res.bytes().await.unwrap();
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&body[..]);
    let records: Vec<Vec<String>> = rd
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let section = |title: &str| -> Vec<Vec<String>> {
        let i = records
            .iter()
            .position(|r| r.len() == 1 && r[0] == title)
            .unwrap_or_else(|| panic!("no CSV section {title}"));
        records[i + 2..]
            .iter()
            .take_while(|r| !(r.len() == 1 && r[0].is_empty()))
            .cloned()
            .collect()
    };
    assert_eq!(
        normalise(section("Activity by country of return"), "Not yet known"),
        owned(expected_activity()),
        "CSV"
    );
    assert_eq!(
        section("Cost per return"),
        owned(vec![expected_costs()]),
        "CSV costs"
    );
    assert_eq!(
        section("Reintegration sustainability (RSS) averages"),
        owned(expected_rss())
    );

    // XLSX: read back; numbers are numbers.
    use calamine::{DataType, Reader};
    let res = get("/reports/donor.xlsx?period=2026-Q3").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut wb: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(
        wb.sheet_names(),
        vec!["Activity", "Cost per return", "Reintegration status", "RSS"]
    );
    let sheet_rows = |range: calamine::Range<calamine::Data>, decimals: &[usize]| {
        range
            .rows()
            .skip(4)
            .take_while(|r| r.iter().skip(1).any(|c| !c.is_empty()))
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(i, c)| match c {
                        calamine::Data::Float(f) => {
                            format!("{f:.d$}", d = decimals.get(i).copied().unwrap_or(0))
                        }
                        calamine::Data::Int(n) => n.to_string(),
                        calamine::Data::Empty => String::new(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let act = sheet_rows(
        wb.worksheet_range_at(0).unwrap().unwrap(),
        &[0, 0, 0, 0, 0, 0, 0, 1, 1],
    );
    assert_eq!(
        normalise(act, "Not yet known"),
        owned(expected_activity()),
        "XLSX"
    );
    let cost = sheet_rows(
        wb.worksheet_range_at(1).unwrap().unwrap(),
        &[0, 0, 2, 2, 2, 2, 2],
    );
    assert_eq!(cost, owned(vec![expected_costs()]), "XLSX costs");
    let rss = sheet_rows(
        wb.worksheet_range_at(3).unwrap().unwrap(),
        &[0, 0, 2, 2, 2, 2],
    );
    assert_eq!(rss, owned(expected_rss()), "XLSX rss");

    // PDF: the same formatted cells, in order, in the extracted text.
    let res = get("/reports/donor.pdf?period=2026-Q3").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let pdf = res.bytes().await.unwrap();
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let words: Vec<&str> = text.split_whitespace().collect();
    let flat = words.join(" ");
    for row in expected_activity() {
        let cells: Vec<&str> = row
            .iter()
            .map(|c| match *c {
                "" => "—",
                "?" => "Not yet known",
                c => c,
            })
            .collect();
        assert!(
            flat.contains(&cells.join(" ")),
            "PDF lacks {cells:?} in {flat}"
        );
    }
    assert!(
        flat.contains("CAD 3 CAD 5,000.00 CAD 3,000.00 CAD 1,666.67 CAD 1,000.00 CAD 2,666.67"),
        "PDF costs in {flat}"
    );
    for row in expected_rss() {
        assert!(flat.contains(&row.join(" ")), "PDF lacks {row:?}");
    }

    // JSON.
    let token = tokens::create(&app.store, sup).await.unwrap();
    let j: Value = Client::new()
        .get(app.url("/api/v1/reports/donor?period=2026-Q3"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["period"]["from"], "2026-07-01");
    assert_eq!(j["period"]["to"], "2026-09-30");
    assert_eq!(j["total"]["referrals"], 5);
    assert_eq!(j["total"]["departures"], 3);
    assert_eq!(j["total"]["days_average"], 47.7);
    assert_eq!(j["total"]["days_median"], 32.0);
    assert_eq!(j["costs"][0]["cost_per_return_minor"], 266_667);
    assert_eq!(j["costs"][0]["tickets_minor"], 500_000);
    assert_eq!(j["rss_total"]["surveys"], 3);
    assert_eq!(j["countries"][3]["country"], Value::Null);

    // French: the same numbers, written the French way.
    let fr = c
        .get(app.url("/reports/donor.csv?period=2026-Q3"))
        .header("accept-language", "fr")
        .send()
        .await
        .unwrap();
    assert_eq!(fr.status(), StatusCode::OK);
}

both_databases!(donor_numbers, donor_report_numbers_agree);

async fn donor_report_refusals_and_bad_periods(store: Store) {
    let app = start(store).await;
    for (email, role, country) in [
        ("sup@example.org", "supervisor", None),
        ("fin@example.org", "finance", None),
        ("cbsa@example.org", "cbsa_officer", None),
        ("cou@example.org", "counsellor", None),
        ("mis@example.org", "mission_officer", Some("HU")),
        ("ana@example.org", "analyst", None),
        ("adm@example.org", "admin", None),
        ("aud@example.org", "auditor", None),
    ] {
        let allowed = matches!(role, "supervisor" | "finance" | "cbsa_officer");
        app.user(email, role, country).await;
        let c = sign_in(&app, email).await;
        let dash = c
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert_eq!(
            dash.contains("href=\"/reports/donor\""),
            allowed,
            "{role} nav"
        );
        for path in [
            "/reports/donor?period=2026-Q3",
            "/reports/donor.csv?period=2026-Q3",
            "/reports/donor.xlsx?period=2026-Q3",
            "/reports/donor.pdf?period=2026-Q3",
            // Refused before the period is even read.
            "/reports/donor.csv?period=nonsense",
        ] {
            let res = c.get(app.url(path)).send().await.unwrap();
            let want = match (allowed, path.contains("nonsense")) {
                (false, _) => StatusCode::FORBIDDEN,
                (true, true) => StatusCode::UNPROCESSABLE_ENTITY,
                (true, false) => StatusCode::OK,
            };
            assert_eq!(res.status(), want, "{role} {path}");
        }
        let token = app.token(&format!("api-{email}"), role, country).await;
        let res = Client::new()
            .get(app.url("/api/v1/reports/donor?period=2026-Q3"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let want = if allowed {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(res.status(), want, "{role} API");
    }

    // Bad periods: a clear 422 with the message by the field, never a 500.
    let c = sign_in(&app, "fin@example.org").await;
    for (q, field, msg) in [
        (
            "period=2026-Q7",
            "e-period",
            "Enter a month (2026-10), a quarter",
        ),
        (
            "period=2026-13",
            "e-period",
            "Enter a month (2026-10), a quarter",
        ),
        (
            "period=%3D1%2B1",
            "e-period",
            "Enter a month (2026-10), a quarter",
        ),
        (
            "from=2026-10-05&to=2026-10-01",
            "e-to",
            "The period ends before it starts.",
        ),
        ("from=2026-02-30&to=", "e-from", "Enter a real date"),
        (
            "period=1900-01-01..2026-01-01",
            "e-period",
            "at most ten years",
        ),
    ] {
        let res = c
            .get(app.url(&format!("/reports/donor?{q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("id=\"{field}\"")), "{q}: {field}");
        assert!(html.contains(msg), "{q}: {msg}");
        assert!(!html.contains("report-activity"), "{q}: no tables");
        for ext in ["csv", "xlsx", "pdf"] {
            let res = c
                .get(app.url(&format!("/reports/donor.{ext}?{q}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{ext} {q}");
        }
    }
    let token = app.token("api2@example.org", "cbsa_officer", None).await;
    let res = Client::new()
        .get(app.url("/api/v1/reports/donor?from=2026-10-05&to=2026-10-01"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let j: Value = res.json().await.unwrap();
    assert!(j.to_string().contains("period-ends-before-start"), "{j}");
    // No period at all: the current quarter.
    let res = Client::new()
        .get(app.url("/api/v1/reports/donor"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let j: Value = res.json().await.unwrap();
    assert!(j["period"]["key"].as_str().unwrap().contains("-Q"), "{j}");
}

both_databases!(donor_access, donor_report_refusals_and_bad_periods);
