//! Questions and complaints (issue 22) on SQLite and PostgreSQL: sent by the
//! person from their page or written down by staff, due a programme-set
//! number of days later, read and answered by the supervisors of the case's
//! scope only, the answer shown to the person, overdue ones in the
//! supervisor's tasks, the text sealed, every step audited.

use chrono::Duration;
use homeward_store::feedback::{self, NewItem, Showing};
use homeward_store::returnee_access::{self, Opened};
use homeward_store::testing::{eligible_family, user};
use homeward_store::{both_databases, on_db, tasks, Error, Store};

async fn exec(store: &Store, sql: &str, id: uuid::Uuid) {
    on_db!(&store.db, p => sqlx::query(sql).bind(id).execute(p).await.map(|_| ())).unwrap();
}

async fn count(store: &Store, sql: &str) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

/// A supervisor of another team: the case is outside their scope.
async fn other_supervisor(store: &Store) -> homeward_store::Actor {
    homeward_store::users::create(
        store,
        None,
        &homeward_store::users::NewUser {
            email: "other@example.org".into(),
            name: "Other".into(),
            role: "supervisor".into(),
            team: Some("elsewhere".into()),
            country: None,
            language: None,
            password: "a long test password".into(),
            programmes: Vec::new(),
        },
    )
    .await
    .unwrap()
    .actor(None)
}

async fn a_complaint_is_answered_and_the_person_reads_the_answer(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let fin = user(&store, "fin@example.org", "finance", None).await;
    let other = other_supervisor(&store).await;
    let (id, mother, son) = eligible_family(&store, &cbsa, &c).await;
    exec(
        &store,
        "UPDATE persons SET date_of_birth = '1985-04-12' WHERE id = $1",
        mother,
    )
    .await;
    exec(&store, "UPDATE programmes SET feedback_due_days = 10 WHERE id = (SELECT programme_id FROM cases WHERE id = $1)", id).await;

    // Staff write down a call: bad input is named and nothing is written.
    let bad = NewItem {
        person_id: Some(uuid::Uuid::new_v4()),
        kind: "praise".into(),
        channel: "page".into(),
        body: "  ".into(),
    };
    let Err(Error::Invalid(inv)) = feedback::record(&store, &c, id, &bad).await else {
        panic!("refused")
    };
    for (field, code) in [
        ("person_id", "not-on-case"),
        ("kind", "invalid-choice"),
        ("channel", "invalid-choice"),
        ("body", "required"),
    ] {
        assert_eq!(inv.for_field(field), Some(code), "{field}");
    }
    assert_eq!(count(&store, "SELECT COUNT(*) FROM feedback").await, 0);
    let call = NewItem {
        person_id: Some(son),
        kind: "question".into(),
        channel: "phone".into(),
        body: "When will the school papers be ready?".into(),
    };
    assert!(matches!(
        feedback::record(&store, &fin, id, &call).await,
        Err(Error::Forbidden | Error::NotFound)
    ));
    assert!(matches!(
        feedback::record(&store, &cbsa, id, &call).await,
        Err(Error::Forbidden)
    ));
    feedback::record(&store, &c, id, &call).await.unwrap();

    // The person sends a complaint from their page.
    let code = returnee_access::issue(&store, &c, id, mother)
        .await
        .unwrap();
    let dob = chrono::NaiveDate::from_ymd_opt(1985, 4, 12);
    let Opened::Session(token) = returnee_access::open(&store, &code, dob, None)
        .await
        .unwrap()
    else {
        panic!("opens")
    };
    let who = returnee_access::returnee(&store, &token)
        .await
        .unwrap()
        .unwrap();
    let Err(Error::Invalid(inv)) = feedback::send(&store, &who, "", &"x".repeat(5001)).await else {
        panic!("refused")
    };
    assert_eq!(inv.for_field("kind"), Some("required"));
    assert_eq!(inv.for_field("body"), Some("too-long"));
    let text = "The interpreter did not come to my appointment.";
    let fid = feedback::send(&store, &who, "complaint", text)
        .await
        .unwrap();
    // Sealed: the text is not in the database as written.
    let plain = count(
        &store,
        "SELECT COUNT(*) FROM feedback WHERE body LIKE '%interpreter%'",
    )
    .await;
    assert_eq!(plain, 0);
    let mine = feedback::mine(&store, &who).await.unwrap();
    assert_eq!(mine.len(), 1, "the person sees their own, not the son's");
    assert_eq!(mine[0].body, text);
    assert!(mine[0].answer.is_none());
    let today = homeward_store::now().date_naive();
    assert!(mine[0].due_on >= today + Duration::days(9));

    // Only the case's supervisors read the register.
    for who in [&c, &fin, &cbsa] {
        assert!(matches!(
            feedback::register(&store, who, Showing::Open, today, 50).await,
            Err(Error::Forbidden)
        ));
    }
    assert!(feedback::register(&store, &other, Showing::Open, today, 50)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        feedback::get(&store, &other, fid, today).await,
        Err(Error::NotFound)
    ));
    let open = feedback::register(&store, &sup, Showing::Open, today, 50)
        .await
        .unwrap();
    assert_eq!(open.len(), 2);
    let item = open.iter().find(|i| i.id == fid).unwrap();
    assert_eq!(
        (
            item.body.as_str(),
            item.channel.as_str(),
            item.recorded_by_name.is_none()
        ),
        (text, "page", true)
    );
    assert!(!item.overdue);
    assert_eq!(
        feedback::open_counts(&store, &sup, today).await.unwrap(),
        Some((2, 0))
    );
    assert_eq!(
        feedback::open_counts(&store, &c, today).await.unwrap(),
        None
    );

    // Overdue: in the supervisor's tasks and counts, nobody else's.
    let late_day = today + Duration::days(30);
    let later = homeward_store::now() + Duration::days(30);
    let kinds = |ts: Vec<tasks::Task>| {
        ts.into_iter()
            .filter(|t| t.kind == "feedback-overdue")
            .count()
    };
    assert_eq!(
        kinds(tasks::list(&store, &sup, later, late_day).await.unwrap()),
        2
    );
    assert_eq!(
        kinds(tasks::list(&store, &c, later, late_day).await.unwrap()),
        0
    );
    assert_eq!(
        feedback::open_counts(&store, &sup, late_day).await.unwrap(),
        Some((2, 2))
    );

    // The answer: checked, once, then on the person's page.
    assert!(matches!(
        feedback::answer(&store, &sup, fid, " ").await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        feedback::answer(&store, &other, fid, "Sorry").await,
        Err(Error::NotFound)
    ));
    let answer = "We are sorry. A new appointment with an interpreter is set.";
    feedback::answer(&store, &sup, fid, answer).await.unwrap();
    let Err(Error::Invalid(inv)) = feedback::answer(&store, &sup, fid, "Again").await else {
        panic!("answered once")
    };
    assert_eq!(inv.for_field("answer"), Some("answered"));
    let mine = feedback::mine(&store, &who).await.unwrap();
    assert_eq!(mine[0].answer.as_deref(), Some(answer));
    assert_eq!(
        feedback::register(&store, &sup, Showing::Open, today, 50)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        feedback::register(&store, &sup, Showing::All, today, 50)
            .await
            .unwrap()
            .len(),
        2
    );

    // Every step audited, never the text.
    let audited = count(&store, "SELECT COUNT(*) FROM audit_log WHERE entity = 'feedback' AND action IN ('create', 'answer')").await;
    assert_eq!(audited, 3);
    let leaked = count(&store, "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%interpreter%' OR after_json LIKE '%sorry%'").await;
    assert_eq!(leaked, 0);
}
both_databases!(
    answered,
    a_complaint_is_answered_and_the_person_reads_the_answer
);
