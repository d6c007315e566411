//! Flights, travel letters, the departure, the manifest, time zones and the inbox.

use homeward_store::{both_databases, on_db, tokens, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{actor_of, sign_in_csrf as sign_in, start};

async fn travel_letters_departure_and_inbox(store: Store) {
    use chrono::{Duration, Utc};
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let cbsa_tok = tokens::create(&app.store, actor_of(&app, "cbsa@cbsa.gc.ca").await.user_id)
        .await
        .unwrap();
    let c_tok = tokens::create(&app.store, actor_of(&app, "c@iom.int").await.user_id)
        .await
        .unwrap();
    let hu_tok = app.token("hu@iom.int", "mission_officer", Some("HU")).await;
    let mx_tok = app.token("mx@iom.int", "mission_officer", Some("MX")).await;
    let an_tok = app.token("an@iom.int", "analyst", None).await;
    let fin_tok = app.token("fin@iom.int", "finance", None).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (id, mother, son) =
        homeward_store::testing::eligible_family(&app.store, &cbsa, &couns).await;
    // The family consents to share its travel plans with CBSA (issue 22).
    homeward_store::consents::give(&app.store, &couns, id, "share_with_cbsa")
        .await
        .unwrap();
    let case_url = format!("/cases/{id}");
    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    let get = |cl: &Client, p: &str| {
        let u = app.url(p);
        let cl = cl.clone();
        async move { cl.get(u).send().await.unwrap().text().await.unwrap() }
    };
    let page = get(&c, &case_url).await;
    assert!(page.contains("id=\"travel\"") && page.contains("Book flights"));

    // A booking with mistakes comes back with what was typed and nothing saved.
    let m = format!("traveller.{mother}");
    let s = format!("traveller.{son}");
    let mt = format!("ticket.{mother}");
    let mut form: Vec<(&str, &str)> = vec![
        ("_csrf", csrf.as_str()),
        (m.as_str(), "on"),
        (mt.as_str(), "12"),
        ("segments[0].carrier", "AC"),
        ("segments[0].flight_number", "876"),
        ("segments[0].from", "XXQ"),
        ("segments[0].to", "FRA"),
        ("segments[0].departs_local", "2027-03-13T22:00"),
        ("segments[0].arrives_local", "2027-03-14T12:00"),
        ("segments[1].carrier", "LH"),
        ("segments[1].flight_number", "1334"),
        ("segments[1].from", "FRA"),
        ("segments[1].to", "BUD"),
        ("segments[1].departs_local", "2027-03-14T12:45"),
        ("segments[1].arrives_local", "2027-03-14T14:15"),
        ("fare", "18,42.5x"),
        ("fare_currency", "CAD"),
        ("departure_assistance", "on"),
    ];
    let r = c
        .post(app.url(&format!("{case_url}/itineraries")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Enter an amount such as 1842.50."), "{body}");
    form[15] = ("fare", "1842.50");
    let r = c
        .post(app.url(&format!("{case_url}/itineraries")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("A ticket number has 13 digits") && body.contains("value=\"XXQ\""),
        "{body}"
    );
    assert_eq!(app.rows("itineraries").await, 0);
    // Fixed: the family flies across the spring-forward night.
    form[2] = (mt.as_str(), "014 2345678901");
    form[5] = ("segments[0].from", "yyz");
    form.push((s.as_str(), "on"));
    let r = c
        .post(app.url(&format!("{case_url}/itineraries")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get(&c, &case_url).await;
    assert!(
        page.contains("2027-03-13 22:00") && page.contains("America/Toronto"),
        "local times with their zone"
    );
    assert!(
        page.contains("Short connection"),
        "a 45-minute connection is flagged"
    );
    assert!(page.contains("CAD 1,842.50"));

    // Who reads the itinerary over the API; who may not book.
    let api = Client::new();
    let read = |tok: &str| {
        api.get(app.url(&format!("/api/v1/cases/{id}/itineraries")))
            .bearer_auth(tok)
            .send()
    };
    let its: Value = read(&cbsa_tok).await.unwrap().json().await.unwrap();
    assert_eq!(its[0]["segments"][0]["departs_at"], "2027-03-14T03:00:00Z");
    assert_eq!(its[0]["segments"][1]["departs_at"], "2027-03-14T11:45:00Z");
    // Not the mission's before the case prepares departure (issue 22).
    assert_eq!(read(&hu_tok).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(read(&fin_tok).await.unwrap().status(), StatusCode::OK);
    assert_eq!(read(&mx_tok).await.unwrap().status(), StatusCode::NOT_FOUND);
    assert_eq!(read(&an_tok).await.unwrap().status(), StatusCode::FORBIDDEN);
    for tok in [&cbsa_tok, &hu_tok, &fin_tok] {
        let r = api
            .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
            .bearer_auth(tok)
            .json(&json!({"travellers": [{"person_id": mother}], "segments": []}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
        .bearer_auth(&c_tok)
        .json(&json!({"travellers": [{"person_id": mother}], "segments": [{"carrier": "AC"}], "deportee": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
        .bearer_auth(&c_tok)
        .header("content-type", "application/json")
        .body("{\"travellers\": [")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    assert_eq!(app.rows("itineraries").await, 1);

    // Airports as you type, for any signed-in user only.
    let a: Value = api
        .get(app.url("/api/v1/airports?q=toronto"))
        .bearer_auth(&an_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(a.as_array().unwrap().iter().any(|x| x["iata"] == "YYZ"));
    let opts = get(&c, "/airports/suggest?segments%5B0%5D.from=bogo").await;
    assert!(opts.contains("value=\"BOG\""), "{opts}");
    let r = Client::new()
        .get(app.url("/api/v1/airports?q=yyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The letter form offers the principal's own language first.
    on_db!(&app.store.db, p => sqlx::query("UPDATE persons SET preferred_languages = $1 WHERE id = $2")
        .bind("[\"hu\",\"en\"]").bind(mother).execute(p).await.map(|_| ()))
    .unwrap();
    let page = get(&c, &case_url).await;
    let langs = &page[page.find("id=\"f-let-lang\"").expect("the language choice")..];
    assert!(
        langs.find("value=\"hu\"").unwrap() < langs.find("value=\"en\"").unwrap(),
        "Hungarian first"
    );
    // The travel letter in Hungarian, stored with its hash; CBSA may not read it.
    let r = c
        .post(app.url(&format!("{case_url}/letters")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("kind", "travel-letter"),
            ("lang", "hu"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ls: Value = api
        .get(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&c_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ls[0]["kind"], "travel-letter");
    assert_eq!(ls[0]["lang"], "hu");
    let lid = ls[0]["id"].as_str().unwrap().to_string();
    let r = c
        .get(app.url(&format!("/letters/{lid}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    {
        use sha2::Digest;
        assert_eq!(ls[0]["sha256"], hex::encode(sha2::Sha256::digest(&pdf)));
    }
    // The travel letter is for airlines and borders: no private page on it.
    let squash = |b: &[u8]| -> String {
        pdf_extract::extract_text_from_mem(b)
            .unwrap()
            .split_whitespace()
            .collect()
    };
    assert!(!squash(&pdf).contains("/my"));
    // The person's application tells them where their own page is.
    let r = c
        .post(app.url(&format!("{case_url}/letters")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("kind", "application"),
            ("lang", "en"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ls: Value = api
        .get(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&c_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let application = ls
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "application")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let bytes = c
        .get(app.url(&format!("/letters/{application}")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let text = squash(&bytes);
    assert!(text.contains(&app.url("/my")), "{text}");
    let r = api
        .get(app.url(&format!("/api/v1/letters/{lid}")))
        .bearer_auth(&cbsa_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = api
        .get(app.url(&format!("/api/v1/letters/{lid}")))
        .bearer_auth(&hu_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "not the mission's before departure preparation"
    );
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&c_tok)
        .json(&json!({"kind": "removal-order", "lang": "xx"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&cbsa_tok)
        .json(&json!({"kind": "departure-confirmation", "lang": "en"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Rebooked for today; the departure needs fitness checks within 72 hours.
    homeward_store::cases::transition(&app.store, &couns, id, "preparing_departure", None, None)
        .await
        .unwrap();
    let toronto = chrono_tz::America::Toronto;
    let dep = Utc::now() + Duration::hours(1);
    let arr = dep + Duration::hours(9);
    let fmt = |t: chrono::DateTime<Utc>, tz: chrono_tz::Tz| {
        t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
    };
    let old = its[0]["id"].as_str().unwrap().to_string();
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/itineraries")))
        .bearer_auth(&c_tok)
        .json(&json!({
            "travellers": [{"person_id": mother}, {"person_id": son}],
            "segments": [{"carrier": "AC", "flight_number": "880", "from": "YYZ", "to": "BUD",
                "departs_local": fmt(dep, toronto), "arrives_local": fmt(arr, chrono_tz::Europe::Budapest)}],
            "replaces": old, "reason": "Earlier flight found",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let it: Value = r.json().await.unwrap();
    let iid = it["id"].as_str().unwrap().to_string();
    let v = it["version"].as_i64().unwrap().to_string();
    let r = c
        .post(app.url(&format!("/itineraries/{iid}/departure")))
        .form(&[("_csrf", csrf.as_str()), ("version", v.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("Horváth, Bence: no fitness-to-travel check"),
        "{body}"
    );
    for p in [mother, son] {
        homeward_store::readiness::add_fitness(
            &app.store,
            &couns,
            id,
            &homeward_store::readiness::FitnessInput {
                person_id: Some(p),
                status: Some("fit".into()),
                checked_at: Some(Utc::now() - Duration::hours(20)),
                special_assistance: vec!["WCHR".into()],
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    // Only IOM Toronto confirms a departure.
    let r = api
        .post(app.url(&format!("/api/v1/itineraries/{iid}/departure")))
        .bearer_auth(&cbsa_tok)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("/itineraries/{iid}/departure")))
        .form(&[("_csrf", csrf.as_str()), ("version", v.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = get(&c, &case_url).await;
    assert!(
        page.contains("id=\"case-status\">Departed"),
        "the case departed"
    );

    // The manifest: the mission of the country of return sees its arrivals,
    // CBSA sees the flight but no health codes, another mission nothing.
    let man = |tok: &str| {
        api.get(app.url("/api/v1/manifests"))
            .bearer_auth(tok)
            .send()
    };
    let mc: Value = man(&c_tok).await.unwrap().json().await.unwrap();
    assert_eq!(mc[0]["flight_number"], "880");
    assert_eq!(mc[0]["travellers"].as_array().unwrap().len(), 2);
    assert_eq!(mc[0]["travellers"][0]["special_assistance"][0], "WCHR");
    let mb: Value = man(&cbsa_tok).await.unwrap().json().await.unwrap();
    assert!(mb[0]["travellers"][0]["special_assistance"].is_null());
    let mh: Value = man(&hu_tok).await.unwrap().json().await.unwrap();
    assert_eq!(mh[0]["travellers"].as_array().unwrap().len(), 2);
    let mm: Value = man(&mx_tok).await.unwrap().json().await.unwrap();
    assert!(mm.as_array().unwrap().is_empty());
    assert_eq!(man(&an_tok).await.unwrap().status(), StatusCode::FORBIDDEN);
    let page = get(&c, "/manifests").await;
    assert!(page.contains("AC880") && page.contains("Horváth, Ágnes"));

    // Times in the reader's zone: Toronto for IOM Toronto, Budapest for the HU mission.
    let (hu, _) = sign_in(&app, "hu@iom.int").await;
    let hu_page = get(&hu, &case_url).await;
    let zone_of = |page: &str| {
        let tl = &page[page.find("id=\"tl-h\"").expect("the timeline")..];
        (tl.contains(" EST "), tl.contains(" CET "))
    };
    assert_eq!(
        zone_of(&hu_page),
        (false, true),
        "the mission reads Budapest time"
    );
    assert_eq!(
        zone_of(&get(&c, &case_url).await),
        (true, false),
        "Toronto reads Toronto time"
    );
    // CBSA's inbox tells the referring officer; the counsellor's inbox is empty.
    let (cb, cb_csrf) = sign_in(&app, "cbsa@cbsa.gc.ca").await;
    let inbox = get(&cb, "/inbox").await;
    assert!(
        inbox.contains("Departure confirmed for case") && inbox.contains("AC880"),
        "{inbox}"
    );
    let n: Value = api
        .get(app.url("/api/v1/notifications"))
        .bearer_auth(&cbsa_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(n.as_array().unwrap().len(), 1);
    let nid = n[0]["id"].as_str().unwrap().to_string();
    let r = api
        .post(app.url(&format!("/api/v1/notifications/{nid}/read")))
        .bearer_auth(&c_tok)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NOT_FOUND,
        "not the counsellor's message"
    );
    let r = cb
        .post(app.url(&format!("/inbox/{nid}/read")))
        .form(&[("_csrf", cb_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let inbox = get(&cb, "/inbox").await;
    assert!(!inbox.contains("class=\"unread\""));
    assert!(get(&c, "/inbox").await.contains("No messages."));
    // CBSA sees the departure confirmation letter but not the travel letter.
    let r = api
        .post(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&c_tok)
        .json(&json!({"kind": "departure-confirmation", "lang": "fr"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let seen: Value = api
        .get(app.url(&format!("/api/v1/cases/{id}/letters")))
        .bearer_auth(&cbsa_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = seen
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    // CBSA reads the application it decides on, never the travel letter.
    assert_eq!(kinds, vec!["departure-confirmation", "application"]);
}
both_databases!(travel, travel_letters_departure_and_inbox);
