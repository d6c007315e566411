//! The search box over HTTP, on SQLite and PostgreSQL (docs/adr/0031): the
//! header shows it to the roles that read persons and to no other; the page
//! works without JavaScript, the fragment for htmx, the JSON API with its
//! problem documents; matches are marked and names escaped; a mission
//! officer finds only their country's people; other roles get 403.

use homeward_store::{both_databases, cases, users, Store};
use reqwest::StatusCode;

mod support;

use support::{sign_in_home, start};

/// A case returning to `country` whose principal is named so; its number.
async fn register(store: &Store, given: &str, family: &str, country: &str) -> String {
    let sup = users::by_email(store, "sup@iom.int")
        .await
        .expect("read")
        .expect("supervisor")
        .actor(None);
    let input = cases::CaseInput {
        principal: Some(homeward_domain::person::PersonInput {
            given_names: Some(given.into()),
            family_name: Some(family.into()),
            phone: Some("+1 416 555 0199".into()),
            sex: Some("female".into()),
            ..Default::default()
        }),
        country_of_return: Some(country.into()),
        ..Default::default()
    };
    let c = cases::create(store, &sup, &input).await.expect("case");
    // The mission of the country has its part in it (issue 22).
    homeward_store::testing::give_mission_its_part(store, c.summary.id).await;
    c.summary.case_number
}

async fn search_box(store: Store) {
    let app = start(store).await;
    app.user("sup@iom.int", "supervisor", None).await;
    app.user("mx@iom.int", "mission_officer", Some("MX")).await;
    let number = register(&app.store, "Ágnes", "Horváth", "HU").await;
    register(&app.store, "<script>alert(1)</script>", "Juárez", "MX").await;

    let (c, _, home) = sign_in_home(&app, "sup@iom.int").await;
    assert!(home.contains("id=\"site-search-q\""), "header box");
    // The page, without JavaScript: accents and case ignored, match marked.
    let r = c.get(app.url("/search?q=HORVA")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<mark>Horvá</mark>th"), "{html}");
    assert!(html.contains(&number), "case number listed");
    // The fragment as the user types: names are escaped, never markup.
    let r = c
        .get(app.url("/search/results?q=juar"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<mark>Juár</mark>ez"), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(
        html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<html"), "a fragment");
    // Case numbers, phone numbers.
    let html = c
        .get(app.url(&format!("/search/results?q={}", number.to_lowercase())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"search-cases\""), "{html}");
    assert!(html.contains(&format!("<mark>{number}</mark>")), "{html}");
    let html = c
        .get(app.url("/search/results?q=%2B1%20416%20555"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.matches("<li>").count() >= 2, "{html}");
    // Hostile and empty input: no error.
    for q in ["", "%25", "%27%22", "_", "%F0%9F%98%80"] {
        let r = c
            .get(app.url(&format!("/search/results?q={q}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{q}");
    }
    // Too long: 400 and a message next to the field.
    let long = "a".repeat(201);
    let r = c
        .get(app.url(&format!("/search?q={long}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"search-error\"") && html.contains("aria-invalid=\"true\""));

    // Record scope: the mission officer of Mexico never finds Hungary's case.
    let (mx, _, _) = sign_in_home(&app, "mx@iom.int").await;
    let html = mx
        .get(app.url("/search/results?q=horvath"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("id=\"search-none\""), "{html}");
    let html = mx
        .get(app.url(&format!("/search/results?q={number}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains(&number), "{html}");
    let html = mx
        .get(app.url("/search/results?q=juarez"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<mark>Juárez</mark>"), "{html}");
}

async fn other_roles_refused(store: Store) {
    let app = start(store).await;
    app.user("sup@iom.int", "supervisor", None).await;
    register(&app.store, "Ágnes", "Horváth", "HU").await;
    for role in ["finance", "analyst", "admin", "auditor"] {
        let email = format!("{role}@iom.int");
        app.user(&email, role, None).await;
        let (c, _, home) = sign_in_home(&app, &email).await;
        assert!(!home.contains("id=\"site-search-q\""), "{role}: no box");
        for path in ["/search?q=agnes", "/search/results?q=agnes"] {
            let r = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} {path}");
        }
        let token = homeward_store::tokens::create(
            &app.store,
            users::by_email(&app.store, &email)
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
        let r = reqwest::Client::new()
            .get(app.url("/api/v1/search?q=agnes"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role} api");
    }
    // Not signed in: the sign-in page, not results.
    let r = support::browser()
        .get(app.url("/search/results?q=agnes"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection() || r.status() == StatusCode::UNAUTHORIZED);
}

async fn api(store: Store) {
    let app = start(store).await;
    let token = app.token("sup@iom.int", "supervisor", None).await;
    let mx = app.token("mx@iom.int", "mission_officer", Some("MX")).await;
    let number = register(&app.store, "Дмитрий", "Иванов", "RU").await;
    let client = reqwest::Client::new();
    let get = |t: &str, q: &str| {
        client
            .get(app.url(&format!("/api/v1/search?{q}")))
            .bearer_auth(t)
            .send()
    };
    let r = get(&token, "q=ivanov").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = r.json().await.unwrap();
    let p = &v["persons"][0];
    assert_eq!(p["display_name"], "Иванов, Дмитрий");
    assert!(p["name_segments"]
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["matched"] == true && s["text"] == "Иванов"));
    assert_eq!(p["cases"][0]["case_number"], number.as_str());
    let v: serde_json::Value = get(&token, &format!("q={number}"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["cases"][0]["case_number"], number.as_str());
    let v: serde_json::Value = get(&token, "q=").await.unwrap().json().await.unwrap();
    assert_eq!(
        v,
        serde_json::json!({"persons": [], "cases": [], "more": false})
    );
    let v: serde_json::Value = get(&mx, "q=ivanov").await.unwrap().json().await.unwrap();
    assert_eq!(v["persons"], serde_json::json!([]));
    // Problem documents.
    let r = get(&token, &format!("q={}", "a".repeat(201)))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("application/problem+json"));
    let v: serde_json::Value = r.json().await.unwrap();
    assert!(v["type"].as_str().unwrap().ends_with("query-too-long"));
    let r = get(&token, "q=a&limit=500").await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = client
        .get(app.url("/api/v1/search?q=a"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // In the OpenAPI document.
    let doc: serde_json::Value = client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(doc["paths"]["/api/v1/search"]["get"].is_object());
}

/// A common word in the case list's free text: the page and the API say
/// that more cases match than were counted, in English and in French.
async fn common_word(store: Store) {
    let mut store = store;
    store.common_word = homeward_store::CommonWord {
        people: 0,
        count_cap: 1,
    };
    let app = start(store).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let token = app.token("api@iom.int", "supervisor", None).await;
    register(&app.store, "Ágnes", "Horváth", "HU").await;
    register(&app.store, "Béla", "Horváth", "HU").await;
    register(&app.store, "Juan", "García", "MX").await;
    let (c, csrf, _) = sign_in_home(&app, "sup@iom.int").await;
    let page = |path: &'static str| {
        let r = c.get(app.url(path)).send();
        async move { r.await.unwrap().text().await.unwrap() }
    };
    let html = page("/cases?q=horvath").await;
    assert!(html.contains("More than 1 cases found"), "{html}");
    assert_eq!(html.matches("Horváth, ").count(), 2, "both rows listed");
    let html = page("/cases?q=garcia").await;
    assert!(html.contains("One case found."), "{html}");
    let r = c
        .post(app.url("/lang"))
        .form(&[("_csrf", csrf.as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = page("/cases?q=horvath").await;
    assert!(html.contains("Plus de 1 dossiers trouvés"), "{html}");
    let v: serde_json::Value = reqwest::Client::new()
        .get(app.url("/api/v1/cases?q=horvath"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["total_is_lower_bound"], true);
    assert_eq!(v["items"].as_array().map(Vec::len), Some(2));
}

both_databases!(search_box_finds_within_scope, search_box);
both_databases!(case_list_common_word, common_word);
both_databases!(roles_without_person_access_are_refused, other_roles_refused);
both_databases!(search_api, api);
