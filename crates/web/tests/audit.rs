//! The auditor's view over real HTTP on SQLite and PostgreSQL: reads of
//! restricted data recorded from the page and the API, filters by person (or
//! case), user, action and period, the CSV export of the filtered trail, the
//! chain sealed before it is shown, and every other role refused.

use homeward_store::audit::{self, Entry};
use homeward_store::counselling::{self, SessionInput};
use homeward_store::readiness::{self, VulnerabilityInput};
use homeward_store::users::{self, NewUser};
use homeward_store::{both_databases, cases, tokens, Actor, Store};
use reqwest::{Client, StatusCode};
use serde_json::Value;

mod support;

use support::{sign_in, start, App, PW};

impl App {
    /// A user of the Toronto team, as the store acts for them.
    async fn staff(&self, email: &str, role: &str) -> Actor {
        users::create(
            &self.store,
            None,
            &NewUser {
                email: email.into(),
                name: format!("User {role}"),
                role: role.into(),
                team: Some("toronto".into()),
                country: None,
                language: None,
                password: PW.into(),
                programmes: Vec::new(),
            },
        )
        .await
        .unwrap()
        .actor(None)
    }

    async fn actor_token(&self, actor: &Actor) -> String {
        tokens::create(&self.store, actor.user_id).await.unwrap()
    }

    async fn api(&self, token: &str, path: &str) -> (StatusCode, Value) {
        let res = Client::new()
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }
}

fn case_input(family: &str) -> cases::CaseInput {
    cases::CaseInput {
        principal: Some(homeward_domain::person::PersonInput {
            family_name: Some(family.into()),
            given_names: Some("Ana".into()),
            ..Default::default()
        }),
        country_of_return: Some("HU".into()),
        ..Default::default()
    }
}

fn items(v: &Value) -> &Vec<Value> {
    v["items"].as_array().expect("items")
}

async fn the_auditor_filters_and_exports_the_trail(store: Store) {
    let app = start(store.clone()).await;
    let counsellor = app.staff("c@iom.int", "counsellor").await;
    let auditor = app.staff("aud@iom.int", "auditor").await;
    let admin = app.staff("admin@iom.int", "admin").await;
    let cbsa = app.staff("cbsa@cbsa.gc.ca", "cbsa_officer").await;

    let a = cases::create(&store, &counsellor, &case_input("Kovács"))
        .await
        .unwrap();
    let b = cases::create(&store, &counsellor, &case_input("Horváth"))
        .await
        .unwrap();
    let (a_id, a_number) = (a.summary.id, a.summary.case_number.clone());
    let a_person = a.members[0].person.id;
    cases::transition(&store, &counsellor, a_id, "intake", None, None)
        .await
        .unwrap();
    cases::transition(&store, &counsellor, a_id, "counselling", None, None)
        .await
        .unwrap();
    counselling::add(
        &store,
        &counsellor,
        a_id,
        &SessionInput {
            held_on: Some("2026-01-05".into()),
            duration_minutes: Some(45),
            language: Some("hu".into()),
            notes: Some("Worried about the family in Miskolc".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    readiness::add_vulnerability(
        &store,
        &counsellor,
        a_id,
        &VulnerabilityInput {
            person_id: Some(a_person),
            kind: Some("victim_of_trafficking".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A value a spreadsheet would run as a formula.
    let mut tx = store.begin().await.unwrap();
    audit::record(
        &mut tx,
        Some(&counsellor),
        Entry {
            action: "note",
            entity: "=HYPERLINK(\"http://evil\")",
            entity_id: None,
            case_id: None,
            before: None,
            after: None,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();

    // The counsellor opens the case page, and the restricted lists by API.
    let web = sign_in(&app, "c@iom.int").await;
    let res = web
        .get(app.url(&format!("/cases/{a_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let ct = app.actor_token(&counsellor).await;
    for section in ["counselling", "vulnerabilities"] {
        let (s, _) = app
            .api(&ct, &format!("/api/v1/cases/{a_id}/{section}"))
            .await;
        assert_eq!(s, StatusCode::OK, "{section}");
    }

    let at = app.actor_token(&auditor).await;
    // Reads of restricted data, by this user, of this case.
    let (s, v) = app
        .api(
            &at,
            &format!("/api/v1/audit?user=C@iom.int&action=read&person={a_number}&per_page=100"),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let entities: Vec<&str> = items(&v)
        .iter()
        .map(|i| i["entity"].as_str().unwrap())
        .collect();
    assert!(entities.contains(&"case"), "{entities:?}");
    for e in ["counselling", "vulnerability"] {
        assert!(
            entities.iter().filter(|x| **x == e).count() >= 2,
            "reads of {e} from the page and the API are recorded: {entities:?}"
        );
    }
    assert!(
        items(&v)
            .iter()
            .all(|i| i["seq"].as_i64().is_some() && i["hash"].as_str().is_some()),
        "the view seals first: {v}"
    );
    assert!(
        !v.to_string().contains("Miskolc"),
        "the trail never copies restricted content"
    );
    // By person: their case's entries, not the other case's.
    let (_, v) = app
        .api(
            &at,
            &format!("/api/v1/audit?person={a_person}&per_page=500"),
        )
        .await;
    let total = v["total"].as_i64().unwrap();
    assert!(total >= 8, "{v}");
    assert!(items(&v)
        .iter()
        .all(|i| i["case_id"].as_str() == Some(&a_id.to_string())
            || i["entity_id"].as_str() == Some(&a_person.to_string())));
    let (_, v) = app
        .api(&at, &format!("/api/v1/audit?person={}", b.summary.id))
        .await;
    assert!(items(&v)
        .iter()
        .all(|i| i["case_id"].as_str() == Some(&b.summary.id.to_string())));
    assert!(v["total"].as_i64().unwrap() >= 1);
    // By period.
    let today = chrono::Utc::now().date_naive();
    let (_, v) = app
        .api(
            &at,
            &format!(
                "/api/v1/audit?from={}&to={today}",
                today.succ_opt().unwrap()
            ),
        )
        .await;
    assert_eq!(v["total"], 0, "{v}");
    let (_, v) = app
        .api(&at, &format!("/api/v1/audit?from={today}&to={today}"))
        .await;
    assert!(v["total"].as_i64().unwrap() > total);

    // The page, with paging and the chain head to note down.
    let aw = sign_in(&app, "aud@iom.int").await;
    let res = aw
        .get(app.url(&format!("/audit?person={a_number}&action=read")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    let head = audit::head(&store).await.unwrap();
    assert!(html.contains(&head.hash), "the head is shown");
    assert!(html.contains("format=csv"), "an export link");

    // The export: the same entries as the filter, as CSV, neutralised.
    let res = aw
        .get(app.url(&format!("/audit?person={a_person}&format=csv")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = res.text().await.unwrap();
    let mut r = csv::Reader::from_reader(csv.as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[0], "Position");
    assert_eq!(header.len(), 12);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(
        rows.len() as i64,
        total,
        "every entry of the filter, no paging"
    );
    assert!(rows.iter().all(|x| !x[0].is_empty() && x[11].len() == 64));
    let res = aw
        .get(app.url("/audit?action=note&format=csv"))
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert!(
        csv.contains("'=HYPERLINK"),
        "formula neutralised in the export: {csv}"
    );
    // Exports are themselves in the trail.
    let (_, v) = app.api(&at, "/api/v1/audit?action=export").await;
    assert_eq!(v["total"], 2, "{v}");
    assert_eq!(items(&v)[0]["actor_email"], "aud@iom.int");

    // Everyone else is refused, page, export and API.
    for (email, actor) in [
        ("c@iom.int", &counsellor),
        ("admin@iom.int", &admin),
        ("cbsa@cbsa.gc.ca", &cbsa),
    ] {
        let c = if email == "c@iom.int" {
            web.clone()
        } else {
            sign_in(&app, email).await
        };
        for path in ["/audit", "/audit?format=csv"] {
            let res = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::FORBIDDEN, "{email} {path}");
        }
        let t = app.actor_token(actor).await;
        let (s, _) = app.api(&t, "/api/v1/audit").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{email} API");
    }
    // And the chain holds after all this.
    audit::seal(&store).await.unwrap();
    let verdict = audit::verify(&store, None).await.unwrap();
    assert!(verdict.problem.is_none(), "{:?}", verdict.problem);
}
both_databases!(auditor, the_auditor_filters_and_exports_the_trail);
