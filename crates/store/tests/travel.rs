//! Itineraries, rebooking, departure confirmation, the CBSA inbox and letters,
//! on SQLite and PostgreSQL alike.

use chrono::{DateTime, Duration, TimeZone, Utc};
use chrono_tz::Tz;
use homeward_store::cases;
use homeward_store::departures::{self, DepartureInput};
use homeward_store::readiness::{self, FitnessInput};
use homeward_store::travel::{self, ItineraryInput, SegmentForm, TravellerForm};
use homeward_store::{both_databases, letters, notifications, on_db, Actor, Error, Store};
use uuid::Uuid;

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn user(store: &Store, email: &str, role: &str, country: Option<&str>) -> Actor {
    homeward_store::testing::user(store, email, role, country).await
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn eligible_family(store: &Store, cbsa: &Actor, c: &Actor) -> (Uuid, Uuid, Uuid) {
    homeward_store::testing::eligible_family(store, cbsa, c).await
}

fn seg(carrier: &str, n: &str, from: &str, to: &str, dep: &str, arr: &str) -> SegmentForm {
    SegmentForm {
        carrier: Some(carrier.into()),
        flight_number: Some(n.into()),
        from: Some(from.into()),
        to: Some(to.into()),
        departs_local: Some(dep.into()),
        arrives_local: Some(arr.into()),
    }
}

fn family(mother: Uuid, son: Uuid) -> Vec<TravellerForm> {
    vec![
        TravellerForm {
            person_id: Some(mother),
            ticket_number: Some("014-2345678901".into()),
        },
        TravellerForm {
            person_id: Some(son),
            ticket_number: Some("0142345678902".into()),
        },
    ]
}

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn local(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

async fn booking_departure_and_cbsa_inbox(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let cbsa2 = user(&store, "other@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let mx = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    let fin = user(&store, "fin@iom.int", "finance", None).await;
    let (id, mother, son) = eligible_family(&store, &cbsa, &c).await;

    // A family on two segments across North America's spring-forward night
    // (14 March 2027): Toronto is UTC-5 at departure, UTC-4 by the connection.
    let input = ItineraryInput {
        travellers: family(mother, son),
        segments: vec![
            seg(
                "AC",
                "876",
                "yyz",
                "FRA",
                "2027-03-13T22:00",
                "2027-03-14T12:00",
            ),
            seg(
                "LH",
                "1334",
                "FRA",
                "BUD",
                "2027-03-14T12:45",
                "2027-03-14T14:15",
            ),
        ],
        booking_reference: Some("abc123".into()),
        fare_minor: Some(184_250),
        fare_currency: Some("cad".into()),
        departure_assistance: true,
        transit_assistance: true,
        arrival_reception: true,
        ..Default::default()
    };
    let it = travel::book(&store, &c, id, &input).await.unwrap();
    assert_eq!(it.status, "booked");
    assert_eq!(it.booking_reference.as_deref(), Some("ABC123"));
    assert_eq!(it.segments[0].departs_at, utc("2027-03-14T03:00:00Z"));
    assert_eq!(it.segments[0].arrives_at, utc("2027-03-14T11:00:00Z"));
    assert_eq!(it.segments[1].departs_at, utc("2027-03-14T11:45:00Z"));
    assert_eq!(it.segments[0].departs_local, "2027-03-13T22:00");
    assert_eq!(it.segments[0].from_tz, "America/Toronto");
    assert_eq!(
        (it.origin.as_str(), it.destination.as_str()),
        ("YYZ", "BUD")
    );
    assert_eq!(it.warnings, vec!["short-connection:FRA".to_string()]);
    assert_eq!(it.travellers.len(), 2);
    assert!(it
        .travellers
        .iter()
        .all(|t| t.ticket_number.as_deref().is_some_and(|n| n.len() == 13)));

    // Bad bookings are refused whole: nothing is written.
    let before = (
        count(&store, "itineraries").await,
        count(&store, "itinerary_segments").await,
    );
    let stranger = Uuid::new_v4();
    let bad = ItineraryInput {
        travellers: vec![
            TravellerForm {
                person_id: Some(stranger),
                ticket_number: Some("12".into()),
            },
            TravellerForm {
                person_id: Some(mother),
                ticket_number: Some("x".into()),
            },
        ],
        segments: vec![
            seg(
                "AC",
                "876",
                "YYZ",
                "FRA",
                "2027-03-13T22:00",
                "2027-03-14T12:00",
            ),
            seg(
                "LH",
                "1334",
                "MUC",
                "BUD",
                "2027-03-14T10:45",
                "2027-03-14T14:15",
            ),
        ],
        booking_reference: Some("TOO-LONG-REF".into()),
        fare_minor: Some(-5),
        fare_currency: Some("dollars".into()),
        ..Default::default()
    };
    let Err(Error::Invalid(inv)) = travel::book(&store, &c, id, &bad).await else {
        panic!("accepted a bad booking")
    };
    assert_eq!(
        inv.for_field("travellers[0].person_id"),
        Some("not-on-case")
    );
    assert_eq!(
        inv.for_field("travellers[1].person_id"),
        Some("traveller-already-booked")
    );
    assert_eq!(
        inv.for_field("segments[1].from"),
        Some("segments-do-not-connect")
    );
    assert_eq!(
        inv.for_field("booking_reference"),
        Some("invalid-booking-reference")
    );
    assert_eq!(inv.for_field("fare_minor"), Some("out-of-range"));
    assert_eq!(
        before,
        (
            count(&store, "itineraries").await,
            count(&store, "itinerary_segments").await
        )
    );
    let Err(Error::Invalid(inv)) = travel::book(
        &store,
        &c,
        id,
        &ItineraryInput {
            travellers: family(mother, son),
            segments: vec![seg(
                "AC",
                "876",
                "YYZ",
                "FRA",
                "2027-03-14T02:30",
                "2027-03-14T12:00",
            )],
            ..Default::default()
        },
    )
    .await
    else {
        panic!("a local time that never happened was accepted")
    };
    assert!(inv
        .errors
        .iter()
        .any(|e| e.code == "nonexistent-local-time" || e.code == "traveller-already-booked"));

    // Who sees it: CBSA, the mission of the country of return and finance read;
    // only IOM Toronto books; another country's mission does not see the case.
    // CBSA reads the plan only with the consent to share with it, the
    // mission once the case prepares departure (issue 22).
    assert!(travel::list(&store, &cbsa, id).await.unwrap().is_empty());
    assert!(matches!(
        travel::list(&store, &hu, id).await,
        Err(Error::NotFound)
    ));
    homeward_store::consents::give(&store, &c, id, "share_with_cbsa")
        .await
        .unwrap();
    assert_eq!(travel::list(&store, &cbsa, id).await.unwrap().len(), 1);
    assert_eq!(
        travel::list(&store, &fin, id).await.unwrap()[0].fare_minor,
        Some(184_250)
    );
    assert!(matches!(
        travel::list(&store, &mx, id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        travel::get(&store, &mx, it.id).await,
        Err(Error::NotFound)
    ));
    for a in [&cbsa, &hu, &fin] {
        assert!(matches!(
            travel::book(&store, a, id, &input).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            travel::change(&store, a, it.id, "no_show", Some("x"), None).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            departures::confirm(&store, a, it.id, &DepartureInput::default(), false).await,
            Err(Error::Forbidden)
        ));
    }

    // The family postpones; the reason is required and kept.
    let Err(Error::Invalid(inv)) = travel::change(&store, &c, it.id, "postponed", None, None).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("reason"), Some("required"));
    let p = travel::change(
        &store,
        &c,
        it.id,
        "postponed",
        Some("Son has a fever"),
        Some(it.version),
    )
    .await
    .unwrap();
    assert_eq!(p.status, "postponed");
    assert!(matches!(
        travel::change(&store, &c, it.id, "no_show", Some("x"), None).await,
        Err(Error::Invalid(_))
    ));

    // Rebooked for today: the case moves to preparing_departure first.
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();
    assert_eq!(travel::list(&store, &hu, id).await.unwrap().len(), 1);
    let toronto: Tz = "America/Toronto".parse().unwrap();
    let budapest: Tz = "Europe/Budapest".parse().unwrap();
    let dep = Utc::now() + Duration::hours(1);
    let dep = Utc.timestamp_opt(dep.timestamp() / 60 * 60, 0).unwrap();
    let arr = dep + Duration::hours(9);
    let rebook = ItineraryInput {
        travellers: family(mother, son),
        segments: vec![seg(
            "AC",
            "880",
            "YYZ",
            "BUD",
            &local(dep, toronto),
            &local(arr, budapest),
        )],
        replaces: Some(it.id),
        ..Default::default()
    };
    let Err(Error::Invalid(inv)) = travel::book(&store, &c, id, &rebook).await else {
        panic!("rebooked without a reason")
    };
    assert_eq!(inv.for_field("reason"), Some("required"));
    let it2 = travel::book(
        &store,
        &c,
        id,
        &ItineraryInput {
            reason: Some("Fever gone; new flight".into()),
            ..rebook.clone()
        },
    )
    .await
    .unwrap();
    let all = travel::list(&store, &c, id).await.unwrap();
    let old = all.iter().find(|i| i.id == it.id).unwrap();
    assert_eq!(old.status, "rebooked");
    let kinds: Vec<&str> = old.events.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["booked", "postponed", "rebooked"]);
    assert_eq!(old.events[1].reason.as_deref(), Some("Son has a fever"));
    assert_eq!(it2.replaces_id, Some(it.id));
    // The fitness checks are due before this flight, for each traveller.
    let toronto_today = Utc::now().with_timezone(&toronto).date_naive();
    let due: Vec<_> = homeward_store::tasks::list(&store, &c, Utc::now(), toronto_today)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.kind == "fitness-check-due" && t.due == Some(it2.departs_at))
        .collect();
    assert_eq!(due.len(), 2, "{due:?}");

    // A case becomes departed only through a departure confirmation ...
    let Err(Error::Transition(homeward_domain::TransitionError::Precondition(p))) =
        cases::transition(&store, &c, id, "departed", None, None).await
    else {
        panic!()
    };
    assert_eq!(p, "needs_departure_confirmation");
    // ... and only with fitness checks made within 72 hours before the flight.
    let Err(Error::Invalid(inv)) =
        departures::confirm(&store, &c, it2.id, &DepartureInput::default(), true).await
    else {
        panic!("departed without fitness checks")
    };
    assert_eq!(inv.errors.len(), 2);
    assert!(inv
        .errors
        .iter()
        .all(|e| e.code == "fitness-check-outside-window"));
    for (pid, hours) in [(mother, 100), (son, 2)] {
        readiness::add_fitness(
            &store,
            &c,
            id,
            &FitnessInput {
                person_id: Some(pid),
                status: Some("fit".into()),
                checked_at: Some(Utc::now() - Duration::hours(hours)),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    }
    let Err(Error::Invalid(inv)) =
        departures::confirm(&store, &c, it2.id, &DepartureInput::default(), true).await
    else {
        panic!("a four-day-old fitness check was accepted")
    };
    assert_eq!(inv.errors.len(), 1);
    readiness::add_fitness(
        &store,
        &c,
        id,
        &FitnessInput {
            person_id: Some(mother),
            status: Some("fit".into()),
            checked_at: Some(Utc::now() - Duration::hours(3)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // A boarding time in the future is refused.
    let Err(Error::Invalid(inv)) = departures::confirm(
        &store,
        &c,
        it2.id,
        &DepartureInput {
            boarded_at_local: Some(local(Utc::now() + Duration::hours(3), toronto)),
            version: None,
        },
        true,
    )
    .await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("boarded_at_local"), Some("in-the-future"));
    assert_eq!(count(&store, "notifications").await, 0);

    let done = departures::confirm(&store, &c, it2.id, &DepartureInput::default(), true)
        .await
        .unwrap();
    assert_eq!(done.status, "departed");
    assert_eq!(done.departure_confirmed_by.as_deref(), Some("c@iom.int"));
    assert_eq!(
        cases::summary(&store, &c, id).await.unwrap().status,
        "departed"
    );
    // The case milestones the reports count (migration 0044) followed the
    // workflow and the departure: the first move into each status, the
    // confirmed departure time, nothing for statuses never reached.
    let milestones = |store: Store| async move {
        on_db!(&store.db, p => sqlx::query_as::<_, (Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<DateTime<Utc>>)>(
            "SELECT registered_at, approved_at, refused_at, withdrawn_at, departed_at FROM cases WHERE id = $1")
            .bind(id).fetch_one(p).await)
        .unwrap()
    };
    let first_move = |to: &'static str| {
        let store = store.clone();
        async move {
            on_db!(&store.db, p => sqlx::query_scalar::<_, DateTime<Utc>>(
                "SELECT MIN(at) FROM case_transitions WHERE case_id = $1 AND to_status = $2")
                .bind(id).bind(to).fetch_one(p).await)
            .unwrap()
        }
    };
    let m = milestones(store.clone()).await;
    assert_eq!(m.0, Some(first_move("intake").await));
    assert_eq!(m.1, Some(first_move("eligible").await));
    assert_eq!((m.2, m.3), (None, None));
    assert_eq!(m.4, done.departed_at);
    // A departure that is corrected or deleted leaves the earliest one left.
    let earlier = done.departed_at.unwrap() - Duration::days(2);
    on_db!(&store.db, p => sqlx::query("UPDATE itineraries SET departed_at = $1 WHERE id = $2")
        .bind(earlier).bind(it.id).execute(p).await.map(|_| ()))
    .unwrap();
    assert_eq!(milestones(store.clone()).await.4, Some(earlier));
    on_db!(&store.db, p => sqlx::query("UPDATE itineraries SET departed_at = NULL WHERE id = $1")
        .bind(it.id).execute(p).await.map(|_| ()))
    .unwrap();
    assert_eq!(milestones(store.clone()).await.4, done.departed_at);
    // CBSA's referring officer is told, once; the other officer is not.
    let inbox = notifications::inbox(&store, &cbsa, 50).await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].kind, "departure-confirmed");
    assert_eq!(inbox[0].payload["segments"][0]["flight"], "AC880");
    assert_eq!(inbox[0].payload["travellers"].as_array().unwrap().len(), 2);
    assert!(!inbox[0].payload.to_string().contains("fit"));
    assert_eq!(notifications::unread(&store, &cbsa).await.unwrap(), 1);
    assert!(notifications::inbox(&store, &cbsa2, 50)
        .await
        .unwrap()
        .is_empty());
    // Nobody marks someone else's message read.
    assert!(matches!(
        notifications::mark_read(&store, &cbsa2, inbox[0].id).await,
        Err(Error::NotFound)
    ));
    notifications::mark_read(&store, &cbsa, inbox[0].id)
        .await
        .unwrap();
    assert_eq!(notifications::unread(&store, &cbsa).await.unwrap(), 0);
    // The webhook job was queued in the same transaction, once.
    let jobs: Vec<(String, String)> =
        on_db!(&store.db, p => sqlx::query_as("SELECT kind, payload FROM jobs")
        .fetch_all(p).await)
        .unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].0, departures::CBSA_WEBHOOK_JOB);
    let body: serde_json::Value = serde_json::from_str(&jobs[0].1).unwrap();
    assert_eq!(body, inbox[0].payload);
    // Confirming twice is refused.
    assert!(matches!(
        departures::confirm(&store, &c, it2.id, &DepartureInput::default(), true).await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(count(&store, "notifications").await, 1);
}
both_databases!(booking_and_departure, booking_departure_and_cbsa_inbox);

async fn letters_follow_who_may_read_them(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let fin = user(&store, "fin@iom.int", "finance", None).await;
    let (id, _, _) = eligible_family(&store, &cbsa, &c).await;
    let v = cases::summary(&store, &c, id).await.unwrap().version;
    let travel_letter = letters::save(&store, &c, id, "travel-letter", "fr", v, PDF)
        .await
        .unwrap();
    assert_eq!(travel_letter.size, PDF.len() as i64);
    assert_eq!(travel_letter.data_version, v);
    {
        use sha2::Digest;
        assert_eq!(travel_letter.sha256, hex::encode(sha2::Sha256::digest(PDF)));
    }
    let confirmation = letters::save(&store, &c, id, "departure-confirmation", "en", v, PDF)
        .await
        .unwrap();
    let (_, bytes) = letters::content(&store, &c, travel_letter.id)
        .await
        .unwrap();
    assert_eq!(bytes, PDF);
    // CBSA gets the departure confirmation, not the traveller's letter.
    let seen: Vec<String> = letters::list(&store, &cbsa, id)
        .await
        .unwrap()
        .into_iter()
        .map(|l| l.kind)
        .collect();
    assert_eq!(seen, vec!["departure-confirmation".to_string()]);
    assert!(matches!(
        letters::content(&store, &cbsa, travel_letter.id).await,
        Err(Error::NotFound)
    ));
    letters::content(&store, &cbsa, confirmation.id)
        .await
        .unwrap();
    // The mission gets the travel letter (once the case prepares
    // departure, issue 22); finance no letters at all.
    assert!(matches!(
        letters::content(&store, &hu, travel_letter.id).await,
        Err(Error::NotFound)
    ));
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();
    letters::content(&store, &hu, travel_letter.id)
        .await
        .unwrap();
    assert!(matches!(
        letters::content(&store, &hu, confirmation.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        letters::list(&store, &fin, id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        letters::save(&store, &cbsa, id, "departure-confirmation", "en", v, PDF).await,
        Err(Error::Forbidden)
    ));
    // A letter whose bytes were changed in the database is not served.
    on_db!(&store.db, p => sqlx::query("UPDATE letters SET content = $1 WHERE id = $2")
        .bind(b"%PDF-tampered".to_vec()).bind(travel_letter.id).execute(p).await.map(|r| r.rows_affected())).unwrap();
    assert!(letters::content(&store, &c, travel_letter.id)
        .await
        .is_err());
}
both_databases!(letters_access, letters_follow_who_may_read_them);
