//! Issue 22: consent per person, and the mission's part in a case (it sees
//! a case only from departure preparation on, while the principal's consent
//! to share with it is in force), everywhere a case can appear. CBSA reads
//! travel plans only with consent to share with it.

use homeward_domain::search::Query;
use homeward_store::cases::{self, CaseFilter};
use homeward_store::search;
use homeward_store::testing::{eligible_family, user};
use homeward_store::{both_databases, consents, on_db, travel, Error, Store};

/// What the mission can find of the case: (get, in the list, counted by
/// status, found by name in search).
async fn mission_view(
    store: &Store,
    mission: &homeward_store::Actor,
    id: uuid::Uuid,
) -> (bool, bool, i64, bool) {
    let got = match cases::get(store, mission, id).await {
        Ok(_) => true,
        Err(Error::NotFound) => false,
        Err(e) => panic!("{e:?}"),
    };
    let (rows, total) = cases::list(
        store,
        mission,
        &CaseFilter {
            per_page: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let listed = rows.iter().any(|c| c.id == id);
    assert_eq!(
        total,
        rows.len() as i64,
        "the total counts what the list shows"
    );
    let counted: i64 = cases::counts_by_status(store, mission)
        .await
        .unwrap()
        .iter()
        .map(|(_, n)| n)
        .sum();
    let found = search::search(store, mission, &Query::parse("horvath").unwrap(), 20)
        .await
        .unwrap();
    let searched = found.cases.iter().any(|c| c.id == id) || !found.persons.is_empty();
    (got, listed, counted, searched)
}

async fn the_mission_sees_a_case_only_when_it_has_a_role_in_it(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let hu = user(&store, "hu@example.org", "mission_officer", Some("HU")).await;
    let (id, mother, _son) = eligible_family(&store, &cbsa, &c).await;
    // The family consented to share with the mission at counselling
    // (`eligible_family`), but the case has not reached departure
    // preparation: the mission has no part in it yet.
    assert_eq!(
        mission_view(&store, &hu, id).await,
        (false, false, 0, false)
    );
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();
    assert_eq!(mission_view(&store, &hu, id).await, (true, true, 1, true));
    // The principal withdraws: gone on the next read, everywhere.
    let ks = consents::list(&store, &c, id).await.unwrap();
    let share = ks
        .iter()
        .find(|k| k.purpose == "share_with_mission" && k.person_id == Some(mother))
        .unwrap();
    consents::withdraw(&store, &c, id, share.id, "Asked by phone")
        .await
        .unwrap();
    assert_eq!(
        mission_view(&store, &hu, id).await,
        (false, false, 0, false)
    );
    // The case's counsellor still sees it, and another mission never did.
    assert!(cases::get(&store, &c, id).await.is_ok());
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    consents::give(&store, &c, id, "share_with_mission")
        .await
        .unwrap();
    assert_eq!(mission_view(&store, &hu, id).await, (true, true, 1, true));
    assert!(!mission_view(&store, &mx, id).await.0);
}
both_databases!(
    mission_role,
    the_mission_sees_a_case_only_when_it_has_a_role_in_it
);

async fn a_new_referral_is_not_the_missions(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let hu = user(&store, "hu@example.org", "mission_officer", Some("HU")).await;
    let input = homeward_store::testing::hungarian_referral("Ferenc");
    let id = cases::create(&store, &cbsa, &input)
        .await
        .unwrap()
        .summary
        .id;
    // Even with consent given at once, a referral is not the mission's.
    cases::transition(&store, &c, id, "intake", None, None)
        .await
        .unwrap();
    consents::give(&store, &c, id, "share_with_mission")
        .await
        .unwrap();
    assert_eq!(
        mission_view(&store, &hu, id).await,
        (false, false, 0, false)
    );
}
both_databases!(new_referral, a_new_referral_is_not_the_missions);

async fn each_adult_consents_and_an_adult_for_a_child(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let (id, mother, son) = eligible_family(&store, &cbsa, &c).await;
    let give = |person_id, given_by_person_id| consents::NewConsent {
        purpose: "share_with_cbsa".into(),
        person_id,
        given_by_person_id,
    };
    let code = |r: Result<Vec<consents::Consent>, Error>, field: &str| match r {
        Err(Error::Invalid(inv)) => inv.for_field(field).map(str::to_string),
        other => panic!("{other:?}"),
    };
    let before: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM consents").fetch_one(p).await).unwrap();
    // The son (born 2015) is a child: someone must give it for him, an adult.
    assert_eq!(
        code(
            consents::give_for(&store, &c, id, &give(Some(son), None)).await,
            "given_by_person_id"
        )
        .as_deref(),
        Some("guardian-required")
    );
    assert_eq!(
        code(
            consents::give_for(&store, &c, id, &give(Some(son), Some(son))).await,
            "given_by_person_id"
        )
        .as_deref(),
        Some("guardian-required")
    );
    // The mother consents for herself, not through someone else.
    assert_eq!(
        code(
            consents::give_for(&store, &c, id, &give(Some(mother), Some(son))).await,
            "given_by_person_id"
        )
        .as_deref(),
        Some("adult-consents-themselves")
    );
    // Someone not on the case neither consents nor gives consent.
    let stranger = uuid::Uuid::new_v4();
    assert_eq!(
        code(
            consents::give_for(&store, &c, id, &give(Some(stranger), None)).await,
            "person_id"
        )
        .as_deref(),
        Some("not-on-case")
    );
    assert_eq!(
        code(
            consents::give_for(&store, &c, id, &give(Some(son), Some(stranger))).await,
            "given_by_person_id"
        )
        .as_deref(),
        Some("not-on-case")
    );
    let after: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM consents").fetch_one(p).await).unwrap();
    assert_eq!(before, after, "nothing refused was written");
    // The mother gives the son's; it is his, and the case's (the
    // principal's) consent to share with CBSA is still not given.
    let ks = consents::give_for(&store, &c, id, &give(Some(son), Some(mother)))
        .await
        .unwrap();
    let his = ks.iter().find(|k| k.purpose == "share_with_cbsa").unwrap();
    assert_eq!(his.person_id, Some(son));
    assert_eq!(his.given_by_person_id, Some(mother));
    assert_eq!(his.given_by_name.as_deref(), Some("Horváth, Ágnes"));
    assert!(consents::in_force_for(&store, id, son, "share_with_cbsa")
        .await
        .unwrap());
    assert!(!consents::in_force(&store, id, "share_with_cbsa")
        .await
        .unwrap());
    // Giving it again while in force changes nothing.
    let again = consents::give_for(&store, &c, id, &give(Some(son), Some(mother)))
        .await
        .unwrap();
    assert_eq!(again.len(), ks.len());
}
both_databases!(per_person, each_adult_consents_and_an_adult_for_a_child);

async fn cbsa_reads_travel_plans_only_with_consent(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let (id, mother, son) = eligible_family(&store, &cbsa, &c).await;
    let day = (homeward_store::now() + chrono::Duration::days(10)).date_naive();
    let next = day.succ_opt().unwrap();
    let input = travel::ItineraryInput {
        travellers: [(mother, "014-2345678901"), (son, "0142345678902")]
            .into_iter()
            .map(|(p, t)| travel::TravellerForm {
                person_id: Some(p),
                ticket_number: Some(t.into()),
            })
            .collect(),
        segments: vec![travel::SegmentForm {
            carrier: Some("AC".into()),
            flight_number: Some("876".into()),
            from: Some("YYZ".into()),
            to: Some("BUD".into()),
            departs_local: Some(format!("{day}T22:00")),
            arrives_local: Some(format!("{next}T14:15")),
        }],
        booking_reference: Some("abc123".into()),
        fare_minor: Some(184_250),
        fare_currency: Some("cad".into()),
        ..Default::default()
    };
    let it = travel::book(&store, &c, id, &input).await.unwrap().id;
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();
    assert_eq!(travel::list(&store, &c, id).await.unwrap().len(), 1);
    // The case itself is CBSA's (the legal minimum), its travel plan is not.
    assert!(cases::get(&store, &cbsa, id).await.is_ok());
    assert!(travel::list(&store, &cbsa, id).await.unwrap().is_empty());
    assert!(matches!(
        travel::get(&store, &cbsa, it).await,
        Err(Error::NotFound)
    ));
    let from = homeward_store::now() - chrono::Duration::days(1);
    let to = homeward_store::now() + chrono::Duration::days(60);
    let on_manifest = |m: &[travel::ManifestFlight]| {
        m.iter()
            .flat_map(|f| f.travellers.iter())
            .any(|t| t.case_id == id)
    };
    assert!(!on_manifest(
        &travel::manifests(&store, &cbsa, from, to).await.unwrap()
    ));
    consents::give(&store, &c, id, "share_with_cbsa")
        .await
        .unwrap();
    assert_eq!(travel::list(&store, &cbsa, id).await.unwrap().len(), 1);
    assert!(travel::get(&store, &cbsa, it).await.is_ok());
    assert!(on_manifest(
        &travel::manifests(&store, &cbsa, from, to).await.unwrap()
    ));
}
both_databases!(cbsa_travel, cbsa_reads_travel_plans_only_with_consent);
