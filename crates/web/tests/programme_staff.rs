//! Staff belong to programmes (issue 21), over HTTP on SQLite and
//! PostgreSQL: the users API admins run (create with programmes, change
//! role and programmes, deactivate, reset two-factor; everyone else
//! refused), the record scope that keeps one programme's staff out of
//! another's cases, counts and money (404, as for any other scope), and
//! each office's own zone on the pages.

use chrono::{DateTime, Utc};
use homeward_store::{both_databases, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{problem, sign_in, start, PW};

fn brussels() -> Value {
    json!({
        "code": "be-2026", "name": "AVRR Belgium", "host_country": "BE",
        "time_zone": "Europe/Brussels", "currency": "EUR", "referring_authority": "Fedasil",
        "opens_on": "2026-01-01", "closes_on": null, "regions": ["Brussels", "Flanders", "Wallonia"],
        "referral_facts": ["residence_region", "claim_filed_on", "claim_outcome", "irb_decided_on",
            "compliant_with_conditions", "criminality", "prior_avrr_assistance"],
    })
}

fn new_user(email: &str, role: &str, programmes: &[&str]) -> Value {
    json!({"email": email, "name": format!("BE {role}"), "role": role, "team": "brussels",
        "password": PW, "programmes": programmes})
}

async fn staff_of_programmes(store: Store) {
    let app = start(store).await;
    let admin = app.token("admin@iom.int", "admin", None).await;
    let gta_counsellor = app.token("gta-c@iom.int", "counsellor", None).await;
    let gta_supervisor = app.token("gta-s@iom.int", "supervisor", None).await;
    let auditor = app.token("auditor@iom.int", "auditor", None).await;
    let c = Client::new();
    let url = |p: &str| app.url(p);
    let created = c
        .post(url("/api/v1/programmes"))
        .bearer_auth(&admin)
        .json(&brussels())
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::CREATED);

    // Only admins manage users: refused before the body is read.
    let users_before = app.rows("users").await;
    for (who, body) in [
        (
            &gta_supervisor,
            new_user("x@iom.int", "counsellor", &["be-2026"]),
        ),
        (&gta_counsellor, json!("not an object")),
        (&auditor, new_user("y@iom.int", "counsellor", &[])),
    ] {
        problem(
            c.post(url("/api/v1/users"))
                .bearer_auth(who)
                .json(&body)
                .send()
                .await
                .unwrap(),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    for path in [
        "/api/v1/users",
        "/api/v1/users/00000000-0000-0000-0000-000000000000",
    ] {
        assert_eq!(
            c.get(url(path))
                .bearer_auth(&gta_supervisor)
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            c.get(url(path)).send().await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // Bad input: every problem named, nothing kept.
    let p = problem(
        c.post(url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(
                &json!({"email": "not-an-email", "name": "", "role": "king", "password": "short",
                "programmes": ["no-such-programme"]}),
            )
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
    for f in ["email", "name", "role", "password"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    let p = problem(
        c.post(url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&new_user("z@iom.int", "counsellor", &["no-such-programme"]))
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "programmes");
    assert_eq!(p["errors"][0]["code"], "unknown-programme");
    problem(
        c.post(url("/api/v1/users"))
            .bearer_auth(&admin)
            .body("{\"email\": ")
            .header("content-type", "application/json")
            .send()
            .await
            .unwrap(),
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert_eq!(app.rows("users").await, users_before);

    // The Brussels office's staff, created through the API.
    let mut be = std::collections::HashMap::new();
    for role in ["counsellor", "supervisor", "finance"] {
        let r = c
            .post(url("/api/v1/users"))
            .bearer_auth(&admin)
            .json(&new_user(&format!("be-{role}@iom.int"), role, &["be-2026"]))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED, "{role}");
        let u: Value = r.json().await.unwrap();
        assert_eq!(u["programmes"], json!(["be-2026"]));
        let id: uuid::Uuid = u["id"].as_str().unwrap().parse().unwrap();
        let token = homeward_store::tokens::create(&app.store, id)
            .await
            .unwrap();
        be.insert(role, (u, token));
    }
    // The same email again: a conflict, not a second account.
    let again = c
        .post(url("/api/v1/users"))
        .bearer_auth(&admin)
        .json(&new_user(
            "be-counsellor@iom.int",
            "counsellor",
            &["be-2026"],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::CONFLICT);

    // Each counsellor opens a case in their own programme, by default.
    let open = |token: String, body: Value| {
        let c = c.clone();
        let u = url("/api/v1/cases");
        async move {
            c.post(u)
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let gta_case: Value = open(
        gta_counsellor.clone(),
        json!({"principal": {"family_name": "García"}, "country_of_return": "CO"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(gta_case["programme_code"], "gta-2012");
    let be_token = be["counsellor"].1.clone();
    let r = open(
        be_token.clone(),
        json!({"principal": {"family_name": "Peeters"}, "country_of_return": "CO"}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let be_case: Value = r.json().await.unwrap();
    assert_eq!(be_case["programme_code"], "be-2026");
    // A programme one does not work in is as unknown; nothing is opened.
    let cases_before = app.rows("cases").await;
    let p = problem(
        open(
            be_token.clone(),
            json!({"programme": "gta-2012", "principal": {"family_name": "Janssens"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["code"], "unknown-programme");
    assert_eq!(app.rows("cases").await, cases_before);
    // A fact its referrals do not record (Belgium has no PRRA) is refused
    // by name, whoever sends it.
    let p = problem(
        open(
            be_token.clone(),
            json!({"principal": {"family_name": "Janssens"}, "country_of_return": "CO",
                "referral": {"residence_region": "Brussels", "prra_applied_on": "2026-03-01"}}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "referral.prra_applied_on");
    assert_eq!(p["errors"][0]["code"], "not-recorded-by-programme");
    assert_eq!(app.rows("cases").await, cases_before);

    // One programme's staff never see the other's cases: 404, as for any
    // case out of scope; lists hold their own programme's only.
    let case_url = |c: &Value| url(&format!("/api/v1/cases/{}", c["id"].as_str().unwrap()));
    let status = |t: &str, u: String| {
        let (c, t) = (c.clone(), t.to_string());
        async move { c.get(u).bearer_auth(t).send().await.unwrap().status() }
    };
    let be_supervisor = be["supervisor"].1.clone();
    assert_eq!(
        status(&be_supervisor, case_url(&be_case)).await,
        StatusCode::OK
    );
    assert_eq!(
        status(&be_supervisor, case_url(&gta_case)).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&be_token, case_url(&gta_case)).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&gta_supervisor, case_url(&be_case)).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        status(&gta_supervisor, case_url(&gta_case)).await,
        StatusCode::OK
    );
    let listed = |t: String| {
        let (c, u) = (c.clone(), url("/api/v1/cases"));
        async move {
            let v: Value = c
                .get(u)
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let items = v.get("items").cloned().unwrap_or(v);
            items
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["programme_code"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(listed(be_supervisor.clone()).await, vec!["be-2026"]);
    assert_eq!(listed(gta_supervisor.clone()).await, vec!["gta-2012"]);
    // Changing the case of another programme is refused the same way.
    let r = c
        .patch(case_url(&gta_case))
        .bearer_auth(&be_supervisor)
        .json(&json!({"country_of_return": "MX", "version": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    // Money and counts: a programme one does not work in is refused;
    // one's own is reported in its currency.
    let be_finance = be["finance"].1.clone();
    problem(
        c.get(url("/api/v1/reports/donor?period=2026&programme=gta-2012"))
            .bearer_auth(&be_finance)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let r = c
        .get(url("/api/v1/reports/donor?period=2026&programme=be-2026"))
        .bearer_auth(&be_finance)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let report: Value = r.json().await.unwrap();
    assert_eq!(report["period"]["from"], "2026-01-01");
    assert_eq!(report["period"]["to"], "2026-12-31");
    // Without a programme, each reader's report counts their own
    // programmes' referrals only: one case each this year.
    for (token, who, zone) in [
        (&be_finance, "Brussels finance", chrono_tz::Europe::Brussels),
        (
            &gta_supervisor,
            "Toronto supervisor",
            chrono_tz::America::Toronto,
        ),
    ] {
        // The year as the reader's office counts it.
        let year = Utc::now().with_timezone(&zone).format("%Y").to_string();
        let r: Value = c
            .get(url(&format!("/api/v1/reports/donor?period={year}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(r["total"]["referrals"], 1, "{who}: {r}");
    }
    assert_eq!(
        status(
            &be_supervisor,
            url("/api/v1/reports/donor?period=2026&programme=gta-2012")
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    problem(
        c.get(url("/api/v1/dashboard?programme=gta-2012"))
            .bearer_auth(&be_supervisor)
            .send()
            .await
            .unwrap(),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;

    // Each office reads times in its own zone.
    let referred = |c: &Value| {
        c["referred_at"]
            .as_str()
            .unwrap()
            .parse::<DateTime<Utc>>()
            .unwrap()
    };
    let be_page = sign_in(&app, "be-supervisor@iom.int")
        .await
        .get(url(&format!("/cases/{}", be_case["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let brussels_time = referred(&be_case)
        .with_timezone(&chrono_tz::Europe::Brussels)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string();
    assert!(
        be_page.contains(&brussels_time),
        "{brussels_time} on the Brussels page"
    );
    let gta_page = sign_in(&app, "gta-s@iom.int")
        .await
        .get(url(&format!("/cases/{}", gta_case["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let toronto_time = referred(&gta_case)
        .with_timezone(&chrono_tz::America::Toronto)
        .format("%Y-%m-%d %H:%M %Z")
        .to_string();
    assert!(
        gta_page.contains(&toronto_time),
        "{toronto_time} on the Toronto page"
    );

    // The referral form asks what the programme records: Belgium has no
    // PRRA, so its counsellors are not asked about one.
    let form = |email: &'static str| {
        let app = &app;
        async move {
            sign_in(app, email)
                .await
                .get(app.url("/cases/new"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let be_form = form("be-counsellor@iom.int").await;
    assert!(be_form.contains("name=\"referral.claim_outcome\""));
    assert!(!be_form.contains("name=\"referral.prra_applied_on\""));
    assert!(!be_form.contains("name=\"referral.federal_court_leave_filed_on\""));
    let gta_form = form("gta-c@iom.int").await;
    assert!(gta_form.contains("name=\"referral.prra_applied_on\""));

    // Changing a user's programmes: stale versions and none at all refused.
    let (sup, _) = &be["supervisor"];
    let sup_url = url(&format!("/api/v1/users/{}", sup["id"].as_str().unwrap()));
    let version = sup["version"].as_i64().unwrap();
    let put = |path: &str, body: Value| {
        let (c, u, a) = (c.clone(), format!("{sup_url}{path}"), admin.clone());
        async move { c.put(u).bearer_auth(a).json(&body).send().await.unwrap() }
    };
    problem(
        put("/programmes", json!({"programmes": [], "version": version})).await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    problem(
        put(
            "/programmes",
            json!({"programmes": ["be-2026", "gta-2012"], "version": version + 7}),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    let r = put(
        "/programmes",
        json!({"programmes": ["be-2026", "gta-2012"], "version": version}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let sup: Value = r.json().await.unwrap();
    assert_eq!(sup["programmes"], json!(["gta-2012", "be-2026"]));
    // Now the pilot's figures are theirs to read (its cases stay with
    // their Toronto team: a supervisor's scope is still their team's).
    assert_eq!(
        status(
            &be_supervisor,
            url("/api/v1/reports/donor?period=2026&programme=gta-2012")
        )
        .await,
        StatusCode::OK
    );
    assert_eq!(
        status(&be_supervisor, case_url(&gta_case)).await,
        StatusCode::NOT_FOUND
    );
    // The change is in the audit trail.
    let audit: Value = c
        .get(url("/api/v1/audit?entity=user"))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(audit.to_string().contains("change_programmes"), "{audit}");

    // A new role, then deactivation: the token stops working.
    let version = sup["version"].as_i64().unwrap();
    let r = put("/role", json!({"role": "counsellor", "version": version})).await;
    assert_eq!(r.status(), StatusCode::OK);
    let sup: Value = r.json().await.unwrap();
    assert_eq!(sup["role"], "counsellor");
    problem(
        put(
            "/role",
            json!({"role": "emperor", "version": sup["version"]}),
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY,
    )
    .await;
    let r = put(
        "/active",
        json!({"active": false, "version": sup["version"]}),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        status(&be_supervisor, case_url(&be_case)).await,
        StatusCode::UNAUTHORIZED
    );
    // Two-factor reset: admins only, unknown users 404.
    let reset = |t: &str, id: &str| {
        let (c, u, t) = (
            c.clone(),
            url(&format!("/api/v1/users/{id}/two-factor")),
            t.to_string(),
        );
        async move { c.delete(u).bearer_auth(t).send().await.unwrap().status() }
    };
    let cid = be["counsellor"].0["id"].as_str().unwrap().to_string();
    assert_eq!(reset(&be_token, &cid).await, StatusCode::FORBIDDEN);
    assert_eq!(reset(&admin, &cid).await, StatusCode::NO_CONTENT);
    assert_eq!(
        reset(&admin, "00000000-0000-0000-0000-000000000000").await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(reset(&admin, "not-a-uuid").await, StatusCode::NOT_FOUND);
}

both_databases!(programme_staff, staff_of_programmes);
