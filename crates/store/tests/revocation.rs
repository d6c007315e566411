//! A revocation after approval (issue 23) on SQLite and PostgreSQL: CBSA
//! moves a case preparing departure to ineligible; its booked itinerary is
//! cancelled with the reason, in the same transaction, and the counsellor,
//! the team's supervisor and the mission with its part in the case are told
//! (another country's mission is not, and neither is anyone for a refusal
//! before approval).

use homeward_store::testing::{eligible_family, user};
use homeward_store::{both_databases, cases, notifications, on_db, travel, Actor, Store};

async fn kinds(store: &Store, a: &Actor) -> Vec<String> {
    notifications::inbox(store, a, 50)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.kind)
        .collect()
}

async fn revocation_cancels_and_tells(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let hu = user(&store, "hu@example.org", "mission_officer", Some("HU")).await;
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    let (id, mother, _) = eligible_family(&store, &cbsa, &c).await;
    let day = (homeward_store::now() + chrono::Duration::days(10)).date_naive();
    let input = travel::ItineraryInput {
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
        booking_reference: Some("abc123".into()),
        ..Default::default()
    };
    let it = travel::book(&store, &c, id, &input).await.unwrap().id;
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();
    let reason = "New information on the claim: the approval no longer holds.";
    cases::transition(&store, &cbsa, id, "ineligible", Some(reason), None)
        .await
        .unwrap();
    let (status, events): (String, i64) = on_db!(&store.db, p => sqlx::query_as(
        "SELECT i.status, (SELECT COUNT(*) FROM itinerary_events e WHERE e.itinerary_id = i.id AND e.kind = 'cancelled' AND e.reason = $2) \
         FROM itineraries i WHERE i.id = $1")
        .bind(it).bind(reason).fetch_one(p).await).unwrap();
    assert_eq!((status.as_str(), events), ("cancelled", 1));
    for (who, told) in [
        (&c, true),
        (&sup, true),
        (&hu, true),
        (&mx, false),
        (&cbsa, false),
    ] {
        assert_eq!(
            kinds(&store, who).await.iter().any(|k| k == "revoked"),
            told,
            "{:?}",
            who.role
        );
    }
    let n = notifications::inbox(&store, &c, 50).await.unwrap();
    let revoked = n.iter().find(|n| n.kind == "revoked").unwrap();
    assert_eq!(revoked.payload["reason"], reason);
    assert_eq!(revoked.payload["cancelled_itineraries"], 1);
}
both_databases!(revoked_after_approval, revocation_cancels_and_tells);

async fn a_refusal_before_approval_sets_off_nothing(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let hu = user(&store, "hu@example.org", "mission_officer", Some("HU")).await;
    let (id, _, _) = eligible_family(&store, &cbsa, &c).await;
    // From eligible: the counsellor is told, the mission had no part yet.
    cases::transition(
        &store,
        &cbsa,
        id,
        "ineligible",
        Some("Revoked before travel was arranged."),
        None,
    )
    .await
    .unwrap();
    assert!(kinds(&store, &c).await.iter().any(|k| k == "revoked"));
    assert!(!kinds(&store, &hu).await.iter().any(|k| k == "revoked"));
}
both_databases!(
    revoked_before_travel,
    a_refusal_before_approval_sets_off_nothing
);
