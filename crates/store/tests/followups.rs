//! Follow-ups on SQLite and PostgreSQL: the schedule created at arrival from
//! the programme's, each outcome, version conflicts, the overdue task, and
//! who may.

use chrono::{Duration, NaiveDate};
use homeward_domain::followups::{FollowUpInput, Schedule};
use homeward_domain::reintegration::ArrivalInput;
use homeward_store::followups::{self, FollowUp};
use homeward_store::testing::{self, user};
use homeward_store::{both_databases, on_db, plans, programmes, tasks, Actor, Error, Store};
use uuid::Uuid;

struct People {
    cbsa: Actor,
    counsellor: Actor,
    hu: Actor,
    mx: Actor,
    sup: Actor,
    finance: Actor,
    admin: Actor,
}

async fn people(store: &Store) -> People {
    People {
        cbsa: user(store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await,
        counsellor: user(store, "c@iom.int", "counsellor", None).await,
        hu: user(store, "hu@iom.int", "mission_officer", Some("HU")).await,
        mx: user(store, "mx@iom.int", "mission_officer", Some("MX")).await,
        sup: user(store, "sup@iom.int", "supervisor", None).await,
        finance: user(store, "fin@iom.int", "finance", None).await,
        admin: user(store, "admin@iom.int", "admin", None).await,
    }
}

fn today() -> NaiveDate {
    homeward_store::now().date_naive()
}

/// A family that departed to Hungary and arrived today (case reintegrating).
async fn arrived(store: &Store, p: &People) -> Uuid {
    let (id, _, _) = testing::eligible_family(store, &p.cbsa, &p.counsellor).await;
    exec(
        store,
        "UPDATE cases SET status = 'departed' WHERE id = $1",
        id,
    )
    .await;
    plans::confirm_arrival(
        store,
        &p.hu,
        id,
        &ArrivalInput {
            arrived_on: Some(today()),
            place: Some("Budapest Liszt Ferenc airport".into()),
        },
    )
    .await
    .expect("arrival");
    id
}

async fn exec(store: &Store, sql: &str, id: Uuid) {
    on_db!(&store.db, p => sqlx::query(sql).bind(id).execute(p).await.map(|_| ())).unwrap();
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn set_due(store: &Store, followup: Uuid, due: NaiveDate) {
    on_db!(&store.db, p => sqlx::query("UPDATE followups SET due_on = $1 WHERE id = $2")
        .bind(due).bind(followup).execute(p).await.map(|_| ()))
    .unwrap();
}

fn contact(outcome: &str) -> FollowUpInput {
    FollowUpInput {
        held_on: Some(today()),
        outcome: Some(outcome.into()),
        contact_mode: Some("phone".into()),
        notes: Some("Rent paid; the son goes to school.".into()),
        rescheduled_to: None,
    }
}

fn dues(f: &[FollowUp]) -> Vec<NaiveDate> {
    f.iter().map(|f| f.due_on).collect()
}

async fn schedule_at_arrival(store: Store) {
    let p = people(&store).await;
    // Defaults: on arrival, then after 3, 6 and 12 months.
    let a = arrived(&store, &p).await;
    let fa = followups::list(&store, &p.hu, a).await.unwrap();
    assert_eq!(dues(&fa), Schedule::default().due_dates(today()));
    assert_eq!(dues(&fa)[0], today());
    assert!(fa
        .iter()
        .all(|f| f.outcome.is_none() && !f.overdue && f.version == 1));

    // A programme's own schedule, checked, by admins only.
    let own = Schedule {
        offsets_months: vec![1, 2, 24],
        grace_days: 5,
    };
    assert!(matches!(
        programmes::set_followup_schedule(&store, &p.sup, "gta-2012", &own).await,
        Err(Error::Forbidden)
    ));
    let Err(Error::Invalid(inv)) = programmes::set_followup_schedule(
        &store,
        &p.admin,
        "gta-2012",
        &Schedule {
            offsets_months: vec![3, 1],
            grace_days: 91,
        },
    )
    .await
    else {
        panic!("a bad schedule was accepted")
    };
    assert_eq!(
        inv.for_field("offsets_months"),
        Some("schedule-not-increasing")
    );
    assert_eq!(inv.for_field("grace_days"), Some("out-of-range"));
    assert_eq!(
        programmes::followup_schedule(&store, "gta-2012")
            .await
            .unwrap(),
        Schedule::default()
    );
    programmes::set_followup_schedule(&store, &p.admin, "gta-2012", &own)
        .await
        .unwrap();
    assert_eq!(
        programmes::followup_schedule(&store, "gta-2012")
            .await
            .unwrap(),
        own
    );
    let b = arrived(&store, &p).await;
    let fb = followups::list(&store, &p.hu, b).await.unwrap();
    assert_eq!(dues(&fb), own.due_dates(today()));
    assert_eq!(fb.len(), 3);
    // Schedules already made stay as they were.
    assert_eq!(
        dues(&followups::list(&store, &p.hu, a).await.unwrap()),
        dues(&fa)
    );
    // A failed arrival creates no schedule.
    let before = count(&store, "followups").await;
    let (c, _, _) = testing::eligible_family(&store, &p.cbsa, &p.counsellor).await;
    assert!(plans::confirm_arrival(
        &store,
        &p.hu,
        c,
        &ArrivalInput {
            arrived_on: Some(today()),
            place: Some("Budapest".into())
        }
    )
    .await
    .is_err());
    assert_eq!(count(&store, "followups").await, before);
}
both_databases!(schedule, schedule_at_arrival);

async fn outcomes(store: Store) {
    let p = people(&store).await;
    let id = arrived(&store, &p).await;
    let f = followups::list(&store, &p.hu, id).await.unwrap();
    let first = &f[0];

    // Not reached: the attempt is kept, the follow-up stays open on its date.
    let r = followups::record(&store, &p.hu, first.id, &contact("not_reached"), Some(1))
        .await
        .unwrap();
    assert_eq!(r.outcome.as_deref(), Some("not_reached"));
    assert_eq!(r.held_on, Some(today()));
    assert_eq!(r.contact_mode.as_deref(), Some("phone"));
    assert_eq!(r.due_on, first.due_on);
    assert_eq!(r.recorded_by_name.as_deref(), Some("hu@iom.int"));
    assert!(r.recorded_at.is_some());
    assert_eq!(r.version, 2);

    // Rescheduled: moved to the new date, still open.
    let later = today() + Duration::days(7);
    let r = followups::record(
        &store,
        &p.hu,
        first.id,
        &FollowUpInput {
            rescheduled_to: Some(later),
            ..contact("rescheduled")
        },
        None,
    )
    .await
    .unwrap();
    assert_eq!(r.due_on, later);
    assert_eq!(r.outcome.as_deref(), Some("rescheduled"));
    assert_eq!(r.version, 3);

    // A stale version loses and writes nothing.
    let (attempts, audit) = (
        count(&store, "followup_attempts").await,
        count(&store, "audit_log").await,
    );
    assert!(matches!(
        followups::record(&store, &p.hu, first.id, &contact("reached"), Some(2)).await,
        Err(Error::Conflict)
    ));
    // Bad input is refused with every problem, and writes nothing.
    let Err(Error::Invalid(inv)) = followups::record(
        &store,
        &p.hu,
        first.id,
        &FollowUpInput {
            held_on: Some(today() + Duration::days(1)),
            outcome: Some("happy".into()),
            contact_mode: Some("carrier_pigeon".into()),
            notes: None,
            rescheduled_to: None,
        },
        Some(3),
    )
    .await
    else {
        panic!("bad input accepted")
    };
    assert_eq!(inv.for_field("held_on"), Some("in-the-future"));
    assert_eq!(inv.for_field("outcome"), Some("invalid-choice"));
    assert_eq!(inv.for_field("contact_mode"), Some("invalid-choice"));
    let Err(Error::Invalid(inv)) = followups::record(
        &store,
        &p.hu,
        first.id,
        &FollowUpInput {
            held_on: Some(today() - Duration::days(1)),
            ..contact("rescheduled")
        },
        Some(3),
    )
    .await
    else {
        panic!("bad input accepted")
    };
    assert_eq!(inv.for_field("held_on"), Some("date-before-arrival"));
    assert_eq!(inv.for_field("rescheduled_to"), Some("required"));
    assert_eq!(count(&store, "followup_attempts").await, attempts);
    assert_eq!(count(&store, "audit_log").await, audit);
    assert_eq!(
        followups::list(&store, &p.hu, id).await.unwrap()[0].version,
        3
    );

    // Reached: completed, and not recorded again.
    let r = followups::record(&store, &p.hu, first.id, &contact("reached"), Some(3))
        .await
        .unwrap();
    assert_eq!(r.outcome.as_deref(), Some("reached"));
    assert_eq!(r.due_on, later);
    let Err(Error::Invalid(inv)) =
        followups::record(&store, &p.hu, first.id, &contact("not_reached"), None).await
    else {
        panic!("a completed follow-up was recorded again")
    };
    assert_eq!(inv.for_field("followup"), Some("followup-completed"));
    // Refused completes too (the returnee's choice, recorded).
    let r = followups::record(&store, &p.hu, f[1].id, &contact("refused"), None)
        .await
        .unwrap();
    assert_eq!(r.outcome.as_deref(), Some("refused"));

    // Every attempt is kept, oldest first.
    let h = followups::attempts(&store, &p.sup, first.id).await.unwrap();
    assert_eq!(
        h.iter().map(|a| a.outcome.as_str()).collect::<Vec<_>>(),
        ["not_reached", "rescheduled", "reached"]
    );
    assert_eq!(h[1].rescheduled_to, Some(later));
    assert_eq!(h[1].due_before, first.due_on);
    assert_eq!(h[2].due_before, later);
    assert_eq!(
        h[0].notes.as_deref(),
        Some("Rent paid; the son goes to school.")
    );

    // The case's status is left alone; recording needs reintegration or monitoring.
    assert_eq!(
        homeward_store::cases::summary(&store, &p.hu, id)
            .await
            .unwrap()
            .status,
        "reintegrating"
    );
    exec(
        &store,
        "UPDATE cases SET status = 'monitoring' WHERE id = $1",
        id,
    )
    .await;
    followups::record(&store, &p.hu, f[2].id, &contact("not_reached"), None)
        .await
        .unwrap();
    exec(
        &store,
        "UPDATE cases SET status = 'closed' WHERE id = $1",
        id,
    )
    .await;
    let Err(Error::Invalid(inv)) =
        followups::record(&store, &p.hu, f[2].id, &contact("reached"), None).await
    else {
        panic!("recorded on a closed case")
    };
    assert_eq!(inv.for_field("case"), Some("case-not-in-reintegration"));
}
both_databases!(recording, outcomes);

async fn overdue(store: Store) {
    let p = people(&store).await;
    let id = arrived(&store, &p).await;
    let f = followups::list(&store, &p.hu, id).await.unwrap();
    let overdue_tasks = |a: Actor| {
        let store = store.clone();
        async move {
            tasks::list(&store, &a, chrono::Utc::now(), today())
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.kind == "followup-overdue")
                .collect::<Vec<_>>()
        }
    };
    assert!(overdue_tasks(p.hu.clone()).await.is_empty());
    // Exactly the grace period (14 days) past due: not yet overdue.
    set_due(&store, f[0].id, today() - Duration::days(14)).await;
    assert!(!followups::list(&store, &p.hu, id).await.unwrap()[0].overdue);
    assert!(overdue_tasks(p.hu.clone()).await.is_empty());
    // One day more: overdue, for the mission of the case's country only.
    let due = today() - Duration::days(15);
    set_due(&store, f[0].id, due).await;
    assert!(followups::list(&store, &p.hu, id).await.unwrap()[0].overdue);
    let t = overdue_tasks(p.hu.clone()).await;
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].case_id, id);
    assert_eq!(t[0].due.map(|d| d.date_naive()), Some(due));
    assert!(overdue_tasks(p.mx.clone()).await.is_empty());
    assert_eq!(overdue_tasks(p.sup.clone()).await.len(), 1);
    // A programme's own grace period counts.
    programmes::set_followup_schedule(
        &store,
        &p.admin,
        "gta-2012",
        &Schedule {
            offsets_months: vec![0, 3],
            grace_days: 30,
        },
    )
    .await
    .unwrap();
    assert!(!followups::list(&store, &p.hu, id).await.unwrap()[0].overdue);
    assert!(overdue_tasks(p.hu.clone()).await.is_empty());
    set_due(&store, f[0].id, today() - Duration::days(31)).await;
    assert_eq!(overdue_tasks(p.hu.clone()).await.len(), 1);
    // Not reached keeps it overdue; reached ends the task.
    followups::record(&store, &p.hu, f[0].id, &contact("not_reached"), None)
        .await
        .unwrap();
    assert_eq!(overdue_tasks(p.hu.clone()).await.len(), 1);
    let r = followups::record(&store, &p.hu, f[0].id, &contact("reached"), None)
        .await
        .unwrap();
    assert!(!r.overdue);
    assert!(overdue_tasks(p.hu.clone()).await.is_empty());
    // Closed cases have no tasks.
    set_due(&store, f[1].id, today() - Duration::days(100)).await;
    assert_eq!(overdue_tasks(p.hu.clone()).await.len(), 1);
    exec(
        &store,
        "UPDATE cases SET status = 'closed' WHERE id = $1",
        id,
    )
    .await;
    assert!(overdue_tasks(p.hu.clone()).await.is_empty());
}
both_databases!(overdue_task, overdue);

async fn who_may(store: Store) {
    let p = people(&store).await;
    let id = arrived(&store, &p).await;
    let f = followups::list(&store, &p.hu, id).await.unwrap();
    assert_eq!(followups::list(&store, &p.sup, id).await.unwrap().len(), 4);
    for a in [&p.finance, &p.cbsa, &p.counsellor, &p.admin] {
        assert!(matches!(
            followups::list(&store, a, id).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            followups::attempts(&store, a, f[0].id).await,
            Err(Error::Forbidden)
        ));
    }
    for a in [&p.finance, &p.cbsa, &p.counsellor, &p.sup, &p.admin] {
        assert!(matches!(
            followups::record(&store, a, f[0].id, &contact("reached"), None).await,
            Err(Error::Forbidden)
        ));
    }
    // Another country's mission: as if the case did not exist.
    assert!(matches!(
        followups::list(&store, &p.mx, id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        followups::attempts(&store, &p.mx, f[0].id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        followups::record(&store, &p.mx, f[0].id, &contact("reached"), None).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        followups::record(&store, &p.hu, Uuid::new_v4(), &contact("reached"), None).await,
        Err(Error::NotFound)
    ));
    assert_eq!(count(&store, "followup_attempts").await, 0);
}
both_databases!(roles, who_may);
