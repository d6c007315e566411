//! The returnee's access code (issue 22) on SQLite and PostgreSQL: given to
//! adults only by the staff who may, stored hashed, shown once; opens the
//! page only with the right date of birth; one answer for every failure;
//! throttled per code; revoked and replaced by staff; expired a set time
//! after closure; the person withdraws their own consent and nobody else's.

use chrono::NaiveDate;
use homeward_store::returnee_access::{self, Opened};
use homeward_store::testing::{eligible_family, user};
use homeward_store::{both_databases, cases, consents, on_db, Error, Store};

async fn exec(store: &Store, sql: &str, id: uuid::Uuid) {
    on_db!(&store.db, p => sqlx::query(sql).bind(id).execute(p).await.map(|_| ())).unwrap();
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

async fn a_code_opens_the_persons_own_page(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let fin = user(&store, "fin@example.org", "finance", None).await;
    let hu = user(&store, "hu@example.org", "mission_officer", Some("HU")).await;
    let (id, mother, son) = eligible_family(&store, &cbsa, &c).await;

    // Who gives codes, to whom.
    assert!(matches!(
        returnee_access::issue(&store, &fin, id, mother).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        returnee_access::issue(&store, &cbsa, id, mother).await,
        Err(Error::Forbidden)
    ));
    let field = |r: Result<String, Error>| match r {
        Err(Error::Invalid(inv)) => inv.for_field("person_id").map(str::to_string),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(returnee_access::issue(&store, &c, id, mother).await).as_deref(),
        Some("date-of-birth-needed")
    );
    exec(
        &store,
        "UPDATE persons SET date_of_birth = '1985-04-12' WHERE id = $1",
        mother,
    )
    .await;
    assert_eq!(
        field(returnee_access::issue(&store, &c, id, son).await).as_deref(),
        Some("child-has-no-code")
    );
    assert_eq!(
        field(returnee_access::issue(&store, &c, id, uuid::Uuid::new_v4()).await).as_deref(),
        Some("not-on-case")
    );
    let code = returnee_access::issue(&store, &c, id, mother)
        .await
        .unwrap();
    assert_eq!(code.len(), 24, "{code}");
    // Stored hashed: the code is nowhere in the database or the audit.
    let plain = code.replace('-', "");
    let leaked: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM returnee_access WHERE code_hash LIKE $1) + (SELECT COUNT(*) FROM audit_log WHERE after_json LIKE $1)")
        .bind(format!("%{plain}%")).fetch_one(p).await).unwrap();
    assert_eq!(leaked, 0);

    // Opens with the date of birth; typed loosely (lower case, spaces).
    let dob = day("1985-04-12");
    let typed = code.to_lowercase().replace('-', " ");
    let Opened::Session(token) = returnee_access::open(&store, &typed, dob, Some("203.0.113.9"))
        .await
        .unwrap()
    else {
        panic!("the right code and date of birth")
    };
    let who = returnee_access::returnee(&store, &token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((who.case_id, who.person_id), (id, mother));
    assert!(returnee_access::returnee(&store, "not a token")
        .await
        .unwrap()
        .is_none());

    // One answer for a wrong date, a wrong code, nothing typed.
    for (code_typed, date) in [
        (code.as_str(), day("1985-04-13")),
        (code.as_str(), None),
        ("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ", dob),
        ("", dob),
        ("<script>", dob),
    ] {
        assert_eq!(
            returnee_access::open(&store, code_typed, date, Some("198.51.100.1"))
                .await
                .unwrap(),
            Opened::Refused,
            "{code_typed:?} {date:?}"
        );
    }
    // The person's own consents, and only theirs, can be withdrawn.
    let mine = returnee_access::consents(&store, &who).await.unwrap();
    let share = mine
        .iter()
        .find(|k| k.purpose == "share_with_mission")
        .unwrap();
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();
    assert!(cases::get(&store, &hu, id).await.is_ok());
    let sons = consents::give_for(
        &store,
        &c,
        id,
        &consents::NewConsent {
            purpose: "share_with_cbsa".into(),
            person_id: Some(son),
            given_by_person_id: Some(mother),
        },
    )
    .await
    .unwrap()
    .into_iter()
    .find(|k| k.person_id == Some(son))
    .unwrap();
    assert!(matches!(
        returnee_access::withdraw_consent(&store, &who, sons.id).await,
        Err(Error::NotFound)
    ));
    returnee_access::withdraw_consent(&store, &who, share.id)
        .await
        .unwrap();
    assert!(
        matches!(cases::get(&store, &hu, id).await, Err(Error::NotFound)),
        "the mission loses the case"
    );
    assert!(matches!(
        returnee_access::withdraw_consent(&store, &who, share.id).await,
        Err(Error::NotFound)
    ));

    // Replaced: the old code opens nothing and its page closes.
    let listed = returnee_access::list(&store, &c, id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    let new_code = returnee_access::issue(&store, &c, id, mother)
        .await
        .unwrap();
    assert_ne!(new_code, code);
    assert_eq!(
        returnee_access::open(&store, &code, dob, None)
            .await
            .unwrap(),
        Opened::Refused
    );
    assert!(matches!(
        returnee_access::open(&store, &new_code, dob, None)
            .await
            .unwrap(),
        Opened::Session(_)
    ));
    // Revoked: nothing opens, open pages close.
    let current = returnee_access::list(&store, &c, id).await.unwrap()[0].id;
    let Opened::Session(t2) = returnee_access::open(&store, &new_code, dob, None)
        .await
        .unwrap()
    else {
        panic!()
    };
    returnee_access::revoke(&store, &c, id, current)
        .await
        .unwrap();
    assert!(returnee_access::returnee(&store, &t2)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        returnee_access::open(&store, &new_code, dob, None)
            .await
            .unwrap(),
        Opened::Refused
    );
    assert!(matches!(
        returnee_access::revoke(&store, &c, id, current).await,
        Err(Error::NotFound)
    ));
}
both_databases!(opens, a_code_opens_the_persons_own_page);

async fn codes_are_throttled_and_expire(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let (id, mother, _) = eligible_family(&store, &cbsa, &c).await;
    exec(
        &store,
        "UPDATE persons SET date_of_birth = '1985-04-12' WHERE id = $1",
        mother,
    )
    .await;
    let code = returnee_access::issue(&store, &c, id, mother)
        .await
        .unwrap();
    let dob = day("1985-04-12");
    // Five wrong dates for this code, from five addresses: the code is
    // throttled, even with the right date.
    for i in 0..5 {
        let addr = format!("192.0.2.{i}");
        assert_eq!(
            returnee_access::open(&store, &code, day("1990-01-01"), Some(&addr))
                .await
                .unwrap(),
            Opened::Refused
        );
    }
    assert_eq!(
        returnee_access::open(&store, &code, dob, Some("192.0.2.200"))
            .await
            .unwrap(),
        Opened::Throttled
    );

    // Expiry: a case closed longer ago than the programme allows.
    let (other, p2, _) = eligible_family(&store, &cbsa, &c).await;
    exec(
        &store,
        "UPDATE persons SET date_of_birth = '1985-04-12' WHERE id = $1",
        p2,
    )
    .await;
    let code2 = returnee_access::issue(&store, &c, other, p2).await.unwrap();
    assert!(matches!(
        returnee_access::open(&store, &code2, dob, None)
            .await
            .unwrap(),
        Opened::Session(_)
    ));
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO case_closures (id, case_id, from_status, reason, closed_by, closed_at) VALUES ($1, $2, 'monitoring', 'completed', $3, $4)")
        .bind(uuid::Uuid::new_v4()).bind(other).bind(c.user_id).bind(homeward_store::now() - chrono::Duration::days(400))
        .execute(p).await.map(|_| ())).unwrap();
    exec(
        &store,
        "UPDATE cases SET status = 'closed' WHERE id = $1",
        other,
    )
    .await;
    assert_eq!(
        returnee_access::open(&store, &code2, dob, None)
            .await
            .unwrap(),
        Opened::Refused
    );
    exec(&store, "UPDATE programmes SET returnee_access_days = 500 WHERE id = (SELECT programme_id FROM cases WHERE id = $1)", other).await;
    assert!(matches!(
        returnee_access::open(&store, &code2, dob, None)
            .await
            .unwrap(),
        Opened::Session(_)
    ));
}
both_databases!(throttle_expiry, codes_are_throttled_and_expire);
