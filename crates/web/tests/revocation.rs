//! A revocation after approval over real HTTP, on SQLite and PostgreSQL
//! (issue 23): CBSA revokes through the API with its reason; the booked
//! flight is cancelled, and the counsellor's inbox says so in words.

use homeward_store::{both_databases, cases, testing, tokens, travel, Store};
use reqwest::StatusCode;
use serde_json::json;

mod support;

use support::{actor_of, sign_in_csrf, start};

async fn cbsa_revokes_and_the_counsellor_is_told(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (case, mother, _) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    let day = (homeward_store::now() + chrono::Duration::days(10)).date_naive();
    let it = travel::book(
        &app.store,
        &couns,
        case,
        &travel::ItineraryInput {
            travellers: vec![travel::TravellerForm {
                person_id: Some(mother),
                ticket_number: Some("014-2345678901".into()),
            }],
            segments: vec![travel::SegmentForm {
                carrier: Some("AC".into()),
                flight_number: Some("876".into()),
                from: Some("YYZ".into()),
                to: Some("BUD".into()),
                departs_local: Some(format!("{day}T22:00")),
                arrives_local: Some(format!("{}T14:15", day.succ_opt().unwrap())),
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap()
    .id;
    cases::transition(&app.store, &couns, case, "preparing_departure", None, None)
        .await
        .unwrap();
    let tok = tokens::create(&app.store, cbsa.user_id).await.unwrap();
    let url = app.url(&format!("/api/v1/cases/{case}/transitions"));
    let api = reqwest::Client::new();
    // A revocation needs its reason; without one nothing changes.
    let r = api
        .post(&url)
        .bearer_auth(&tok)
        .json(&json!({"to": "ineligible"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        travel::get(&app.store, &couns, it).await.unwrap().status,
        "booked"
    );
    let r = api
        .post(&url)
        .bearer_auth(&tok)
        .json(&json!({"to": "ineligible", "reason": "The removal order was stayed by the court."}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        travel::get(&app.store, &couns, it).await.unwrap().status,
        "cancelled"
    );
    let (c, _) = sign_in_csrf(&app, "c@iom.int").await;
    let inbox = c
        .get(app.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        inbox.contains("was revoked and its booked flights were cancelled (1). Reason: The removal order was stayed by the court."),
        "{inbox}"
    );
}
both_databases!(revoked, cbsa_revokes_and_the_counsellor_is_told);
