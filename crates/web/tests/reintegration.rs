//! Reintegration: arrival, vendors, plan, purchases and receipts, follow-ups, surveys, closure.

use homeward_store::{both_databases, on_db, tokens, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{actor_of, hidden_after, sign_in_csrf as sign_in, start};

/// A tiny valid PNG (1×1), as a receipt scan.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

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
    assert_eq!(app.rows("arrivals").await, 0);
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
    assert_eq!(app.rows("vendors").await, 0);
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
    assert_eq!(app.rows("plan_components").await, 0);
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
    assert_eq!(app.rows("purchases").await, 0);
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
    let version = hidden_after(&page, "/payment#", "version");
    let pay = |bytes: &'static [u8], name: &'static str| {
        let u = app.url(&format!("/purchases/{purchase}/payment"));
        let fin_csrf = fin_csrf.clone();
        let fin = fin.clone();
        let version = version.clone();
        async move {
            // As the page's form sends it: the CSRF token first.
            let form = reqwest::multipart::Form::new()
                .text("_csrf", fin_csrf)
                .text("version", version)
                .part(
                    "receipt",
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
            fin.post(u).multipart(form).send().await.unwrap()
        }
    };
    let atts = app.rows("attachments").await;
    let r = pay(b"not a receipt", "receipt.txt").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.rows("attachments").await, atts, "no receipt row");
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
    assert_eq!(app.rows("rss_surveys").await, 0);
    answers.push((ids[0].as_str(), values[0].clone()));
    let r = post(&hu, &format!("{case_url}/surveys"), answers).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        get(&hu, &case_url)
            .await
            .contains("<td class=\"num\">1.00</td>"),
        "top answers score 1.00, on the same 0 to 1 scale as the dashboard"
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
