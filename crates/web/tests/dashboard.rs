//! The programme dashboard over real HTTP on SQLite and PostgreSQL: a known
//! dataset and its figures worked out by hand, the charts (SVG, role=img,
//! numbers in tables), filters, bad filters, the departure target set on
//! the programme page, the analysts' suppression, refused roles, a mission
//! officer of another country, and the JSON API agreeing with the page.

use homeward_store::{both_databases, on_db, tokens, Store};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use uuid::Uuid;

mod support;

use support::data::Data;
use support::{hidden, sign_in, start};

/// Q3 2026 (Toronto days): six Hungarian returnees referred on 1 July,
/// registered (intake) on 3 July, departed 10, 20, 30, 40, 50 and 60 days
/// after referral (so 8 to 58 days after registration); one housing
/// purchase of CAD 380.00 paid in August and one RSS survey for the first;
/// one Colombian case withdrawn.
async fn dataset(store: &Store, user: Uuid) {
    let programme: Uuid = on_db!(&store.db, p => sqlx::query_scalar("SELECT id FROM programmes WHERE code = 'gta-2012'").fetch_one(p).await).unwrap();
    let mut d = Data {
        store,
        programme,
        user,
        n: 0,
    };
    let departures = [
        "2026-07-11T15:00:00Z",
        "2026-07-21T15:00:00Z",
        "2026-07-31T15:00:00Z",
        "2026-08-10T15:00:00Z",
        "2026-08-20T15:00:00Z",
        "2026-08-30T15:00:00Z",
    ];
    for (i, when) in departures.iter().enumerate() {
        let c = d
            .case(Some("HU"), "2026-07-01T15:00:00Z", "reintegrating")
            .await;
        d.moved(c, "intake", "2026-07-03T15:00:00Z").await;
        d.departed(c, when, 100_000).await;
        if i == 0 {
            d.purchase_in(c, "housing", "paid", 38_000, Some("2026-08-15T15:00:00Z"))
                .await;
            d.survey(c, "2026-09-01", [0.5, 0.6, 0.7, 0.6]).await;
        }
    }
    let co = d
        .case(Some("CO"), "2026-08-01T15:00:00Z", "withdrawn")
        .await;
    d.moved(co, "withdrawn", "2026-08-05T15:00:00Z").await;
}

/// The rows of `<table id="dash-{id}">` as cell texts.
fn html_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html
        .find(&format!("<table id=\"dash-{id}\">"))
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
                cells.push(unescape(content[..end].trim()));
                rest = &content[end + 3..];
            }
            cells
        })
        .collect()
}

/// Cell text as a reader sees it (askama writes `<` as `&#60;`).
fn unescape(s: &str) -> String {
    s.replace("&#60;", "<")
        .replace("&lt;", "<")
        .replace("&#62;", ">")
        .replace("&gt;", ">")
        .replace("&#39;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// The row of a table whose first cell is `label`.
fn row(html: &str, id: &str, label: &str) -> Vec<String> {
    html_rows(html, id)
        .into_iter()
        .find(|r| r[0] == label)
        .unwrap_or_else(|| panic!("no row {label} in {id}"))
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

async fn dashboard_figures_and_roles(store: Store) {
    let app = start(store).await;
    let sup = app.user("sup@example.org", "supervisor", None).await;
    dataset(&app.store, sup).await;

    // The administrator sets the target on the programme page; a bad value
    // comes back with its message and what was typed.
    app.user("adm@example.org", "admin", None).await;
    let adm = sign_in(&app, "adm@example.org").await;
    let page = adm
        .get(app.url("/admin/programmes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("action=\"/admin/programmes/gta-2012/target\""));
    let csrf = hidden(&page, "_csrf");
    let res = adm
        .post(app.url("/admin/programmes/gta-2012/target"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("monthly_departure_target", "four"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("Enter a whole number."), "target message");
    assert!(html.contains("value=\"four\""), "typed value kept");
    let res = adm
        .post(app.url("/admin/programmes/gta-2012/target"))
        .form(&[("_csrf", csrf.as_str()), ("monthly_departure_target", "4")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let page = adm
        .get(app.url("/admin/programmes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("name=\"monthly_departure_target\" value=\"4\""));
    // Admins hold no case data: no panels on their home page.
    let home = adm.get(app.url("/?period=2026-Q3")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    let home = home.text().await.unwrap();
    assert!(
        !home.contains("<svg") && !home.contains("dash-panels"),
        "admin panels"
    );

    // The supervisor's page: every chart an image with its text alternative,
    // the numbers in tables.
    let c = sign_in(&app, "sup@example.org").await;
    let res = c.get(app.url("/?period=2026-Q3")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert_eq!(html.matches("<svg ").count(), 8, "eight charts");
    assert_eq!(html.matches("role=\"img\"").count(), 8);
    assert!(html.contains("aria-labelledby=\"chart-departures-title chart-departures-desc\""));
    assert!(html.contains("<desc id=\"chart-countries-desc\">HU: 6</desc>"));
    assert!(html.contains("<title>Hungary") || html.contains("<title>HU: 6</title>"));
    assert!(
        html.contains("href=\"/cases/"),
        "the supervisor's own lists keep their links"
    );
    assert_eq!(
        row(&html, "statuses", "Reintegrating"),
        s(&["Reintegrating", "6"])
    );
    assert_eq!(row(&html, "statuses", "Withdrawn"), s(&["Withdrawn", "1"]));
    assert_eq!(
        row(&html, "departures", "Departures"),
        s(&["Departures", "6"])
    );
    // Target 4 a month: 12 for the quarter; 6 of 12 is 50 %.
    assert_eq!(row(&html, "departures", "Target"), s(&["Target", "12"]));
    assert_eq!(
        row(&html, "departures", "Share of the target"),
        s(&["Share of the target", "50.0 %"])
    );
    // 10 … 60 days: average and median 35; from registration 8 … 58: 33.
    assert_eq!(
        row(&html, "days", "From referral"),
        s(&["From referral", "6", "35.0", "35.0"])
    );
    assert_eq!(
        row(&html, "days", "From registration"),
        s(&["From registration", "6", "33.0", "33.0"])
    );
    assert_eq!(html_rows(&html, "countries"), vec![s(&["HU", "6"])]);
    assert_eq!(
        html_rows(&html, "spending"),
        vec![s(&["Housing", "CAD 380.00", "100.0 %"])]
    );
    assert_eq!(row(&html, "rss", "Economic"), s(&["Economic", "0.50"]));
    assert_eq!(html_rows(&html, "tiers"), Vec::<Vec<String>>::new());
    let overdue = html_rows(&html, "overdue");
    assert_eq!(overdue.len(), 3);
    // No period: the current month, shown in the form.
    let now = c
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let month = chrono::Utc::now()
        .with_timezone(&chrono_tz::America::Toronto)
        .format("%Y-%m")
        .to_string();
    assert!(
        now.contains(&format!("name=\"period\" value=\"{month}\"")),
        "default month"
    );
    assert_eq!(
        row(&now, "departures", "Departures"),
        s(&["Departures", "0"])
    );

    // Filters: Colombia only; a month; a custom range.
    let co = c
        .get(app.url("/?period=2026-Q3&country=co"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        row(&co, "statuses", "Reintegrating"),
        s(&["Reintegrating", "0"])
    );
    assert_eq!(row(&co, "statuses", "Withdrawn"), s(&["Withdrawn", "1"]));
    assert!(html_rows(&co, "countries").is_empty());
    assert!(
        co.contains("<option value=\"CO\" selected>"),
        "the chosen country is kept"
    );
    let july = c
        .get(app.url("/?period=2026-07"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // July: 11, 21 and 31 July; target 4.
    assert_eq!(
        row(&july, "departures", "Departures"),
        s(&["Departures", "3"])
    );
    assert_eq!(row(&july, "departures", "Target"), s(&["Target", "4"]));
    let range = c
        .get(app.url("/?from=2026-08-01&to=2026-08-31&programme=gta-2012"))
        .send()
        .await
        .unwrap();
    assert_eq!(range.status(), StatusCode::OK);
    let range = range.text().await.unwrap();
    assert_eq!(
        row(&range, "days", "From referral"),
        s(&["From referral", "3", "50.0", "50.0"])
    );

    // Bad filters: 422, each message next to its field, the input kept, no charts.
    for (q, fields, kept) in [
        (
            "period=2026-Q7&country=Hungary&counsellor=bob",
            vec!["e-period", "e-country", "e-counsellor"],
            vec!["value=\"2026-Q7\"", "value=\"Hungary\""],
        ),
        (
            "from=2026-10-05&to=2026-10-01",
            vec!["e-to"],
            vec!["value=\"2026-10-05\""],
        ),
        (
            "programme=nope-2030",
            vec!["e-programme"],
            vec!["value=\"nope-2030\" selected"],
        ),
        ("period=%3Cscript%3E", vec!["e-period"], vec!["script"]),
    ] {
        let res = c.get(app.url(&format!("/?{q}"))).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        let html = res.text().await.unwrap();
        for f in fields {
            assert!(html.contains(&format!("id=\"{f}\"")), "{q}: {f}");
        }
        for k in kept {
            assert!(html.contains(k), "{q}: {k}");
        }
        assert!(!html.contains("<svg"), "{q}: no charts");
        assert!(!html.contains("<script>"), "{q}: escaped");
        assert!(html.contains("The filter could not be used"), "{q}");
    }
    let bad = c
        .get(app.url("/?period=2026-Q7"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("Enter a month (2026-10), a quarter"));
    let bad = c
        .get(app.url("/?programme=nope-2030"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(bad.contains("There is no such programme."));

    // The JSON agrees with the page.
    let token = tokens::create(&app.store, sup).await.unwrap();
    let api = |path: &str, token: &str| {
        Client::new()
            .get(app.url(path))
            .bearer_auth(token.to_string())
            .send()
    };
    let res = api("/api/v1/dashboard?period=2026-Q3", &token)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let j: Value = res.json().await.unwrap();
    assert_eq!(j["filter"]["period"]["from"], "2026-07-01");
    assert_eq!(j["departures"]["departures"], 6);
    assert_eq!(j["departures"]["target"], 12);
    assert_eq!(j["departures"]["percent_of_target"], 50.0);
    assert_eq!(j["days"]["referral_average"], 35.0);
    assert_eq!(j["days"]["registration_median"], 33.0);
    assert_eq!(j["countries"][0]["key"], "HU");
    assert_eq!(j["countries"][0]["n"], 6);
    assert_eq!(j["spending"][0]["amount_minor"], 38_000);
    assert_eq!(j["spending"][0]["percent"], 100.0);
    assert_eq!(j["rss"]["economic"], 0.5);
    assert_eq!(j["suppressed_below"], Value::Null);
    let status = |j: &Value, k: &str| {
        j["statuses"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["key"] == k)
            .unwrap()["n"]
            .clone()
    };
    assert_eq!(status(&j, "reintegrating"), 6);
    let res = api("/api/v1/dashboard?country=Hungary", &token)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    let j: Value = res.json().await.unwrap();
    assert!(j.to_string().contains("invalid-country"), "{j}");

    // Analysts: the whole programme, counts below five as "<5", no case
    // numbers, names or links.
    let an_token = app.token("ana@example.org", "analyst", None).await;
    let an = sign_in(&app, "ana@example.org").await;
    let html = an
        .get(app.url("/?period=2026-Q3"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("role=\"img\"").count(), 8);
    assert_eq!(
        row(&html, "statuses", "Reintegrating"),
        s(&["Reintegrating", "6"])
    );
    assert_eq!(row(&html, "statuses", "Withdrawn"), s(&["Withdrawn", "<5"]));
    assert_eq!(html_rows(&html, "countries"), vec![s(&["HU", "6"])]);
    assert_eq!(
        html_rows(&html, "spending"),
        vec![s(&["Housing", "<5", "<5"])]
    );
    assert_eq!(row(&html, "rss", "Economic"), s(&["Economic", "—"]));
    assert!(html.contains("Counts below 5 are shown as"));
    assert!(
        !html.contains("TOR-2026") && !html.contains("Person 1") && !html.contains("/cases/"),
        "no case data"
    );
    let j: Value = api("/api/v1/dashboard?period=2026-Q3", &an_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["suppressed_below"], 5);
    assert_eq!(status(&j, "withdrawn"), Value::Null);
    assert_eq!(status(&j, "reintegrating"), 6);
    assert_eq!(j["departures"]["departures"], 6);
    assert!(!j.to_string().contains("TOR-2026"));

    // A mission officer for Colombia sees none of Hungary's figures.
    let co_token = app
        .token("co@example.org", "mission_officer", Some("CO"))
        .await;
    let mo = sign_in(&app, "co@example.org").await;
    let html = mo
        .get(app.url("/?period=2026-Q3&country=HU"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        row(&html, "statuses", "Reintegrating"),
        s(&["Reintegrating", "0"])
    );
    assert!(html_rows(&html, "spending").is_empty());
    assert!(!html.contains("380.00") && !html.contains("HU: 6"));
    let html = mo
        .get(app.url("/?period=2026-Q3"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // A withdrawn case never prepared departure: not the mission's (issue 22).
    assert_eq!(row(&html, "statuses", "Withdrawn"), s(&["Withdrawn", "0"]));
    assert_eq!(
        row(&html, "statuses", "Reintegrating"),
        s(&["Reintegrating", "0"])
    );
    assert!(
        !html.contains("id=\"dash-days\""),
        "no days panel for the mission"
    );
    let j: Value = api("/api/v1/dashboard?period=2026-Q3", &co_token)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(j["spending"], serde_json::json!([]));
    assert_eq!(j["rss"]["surveys"], 0);
    assert_eq!(j["days"], Value::Null);
    assert_eq!(status(&j, "reintegrating"), 0);

    // Admins and auditors: refused by the API, whatever the filter.
    for (email, role) in [
        ("adm2@example.org", "admin"),
        ("aud@example.org", "auditor"),
    ] {
        let t = app.token(email, role, None).await;
        for q in ["", "?period=nonsense"] {
            let res = api(&format!("/api/v1/dashboard{q}"), &t).await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{role} {q}");
        }
    }
    app.user("aud2@example.org", "auditor", None).await;
    let au = sign_in(&app, "aud2@example.org").await;
    let home = au.get(app.url("/?period=nonsense")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(!home.text().await.unwrap().contains("<svg"));
}

both_databases!(dashboard_http, dashboard_figures_and_roles);
