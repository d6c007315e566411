//! Closing a case after return and reopening it, on SQLite and PostgreSQL:
//! reason codes, no money left dangling, who may, the closure history, and
//! a case closed as ineligible staying closed.

use homeward_domain::reintegration::{PurchaseRequestInput, VendorInput};
use homeward_domain::TransitionError;
use homeward_store::testing::{self, user};
use homeward_store::Store;
use homeward_store::{both_databases, cases, closure, on_db, purchases, vendors, Actor, Error};
use uuid::Uuid;

struct Setup {
    id: Uuid,
    hu: Actor,
    fin: Actor,
    cbsa: Actor,
    c: Actor,
    sup: Actor,
}

/// A family returned to Hungary, in monitoring.
async fn monitored_case(store: &Store) -> Setup {
    let cbsa = user(store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(store, "c@iom.int", "counsellor", None).await;
    let hu = user(store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let fin = user(store, "fin@iom.int", "finance", None).await;
    let sup = user(store, "sup@iom.int", "supervisor", None).await;
    let (id, _, _) = testing::eligible_family(store, &cbsa, &c).await;
    // The departure and arrival are tested elsewhere; here the case has returned.
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'monitoring' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    Setup {
        id,
        hu,
        fin,
        cbsa,
        c,
        sup,
    }
}

async fn status(store: &Store, id: Uuid) -> String {
    on_db!(&store.db, p => sqlx::query_scalar::<_, String>("SELECT status FROM cases WHERE id = $1")
        .bind(id).fetch_one(p).await)
    .unwrap()
}

async fn closures(store: &Store) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM case_closures")
        .fetch_one(p).await)
    .unwrap()
}

fn field(e: Error, f: &str) -> String {
    match e {
        Error::Invalid(inv) => inv.for_field(f).unwrap_or("").to_string(),
        e => panic!("{e:?}"),
    }
}

async fn closing_and_reopening(store: Store) {
    let s = monitored_case(&store).await;
    let (id, hu) = (s.id, &s.hu);
    // Reason codes only.
    for (reason, code) in [("", "required"), ("went home happy", "invalid-choice")] {
        let e = closure::close(&store, hu, id, reason, None)
            .await
            .unwrap_err();
        assert_eq!(field(e, "reason"), code);
    }
    let long = "x".repeat(2001);
    let e = closure::close(&store, hu, id, "opted_out", Some(&long))
        .await
        .unwrap_err();
    assert_eq!(field(e, "note"), "too-long");
    // Who may: the mission of the country and supervisors.
    for a in [&s.c, &s.fin, &s.cbsa] {
        assert!(matches!(
            closure::close(&store, a, id, "opted_out", None).await,
            Err(Error::Forbidden)
        ));
    }
    let mx = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    assert!(matches!(
        closure::close(&store, &mx, id, "opted_out", None).await,
        Err(Error::NotFound)
    ));
    // Money not left dangling: a request, then an approval, hold the closure.
    let v = vendors::create(
        &store,
        hu,
        &VendorInput {
            name: Some("Bolt".into()),
            country: Some("HU".into()),
            categories: vec!["housing".into()],
            contact: None,
        },
    )
    .await
    .unwrap()
    .id;
    let p = purchases::request(
        &store,
        hu,
        id,
        &PurchaseRequestInput {
            category: Some("housing".into()),
            description: Some("Rent".into()),
            amount: Some("100".into()),
            currency: Some("CAD".into()),
            vendor_id: Some(v),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let e = closure::close(&store, hu, id, "support_period_ended", None)
        .await
        .unwrap_err();
    assert_eq!(field(e, "case"), "open-purchases");
    purchases::decide(&store, &s.fin, p.id, "approved", None, None)
        .await
        .unwrap();
    let e = closure::close(&store, &s.sup, id, "support_period_ended", None)
        .await
        .unwrap_err();
    assert_eq!(field(e, "case"), "open-purchases");
    assert_eq!(status(&store, id).await, "monitoring");
    assert_eq!(closures(&store).await, 0);
    purchases::decide(
        &store,
        &s.fin,
        p.id,
        "cancelled",
        Some("vendor closed"),
        None,
    )
    .await
    .unwrap();
    // Closed, with the code as the transition's reason and the note kept.
    closure::close(
        &store,
        hu,
        id,
        " lost_contact ",
        Some("No answer since May"),
    )
    .await
    .unwrap();
    assert_eq!(status(&store, id).await, "closed");
    let d = cases::get(&store, hu, id).await.unwrap();
    let last = d.timeline.last().unwrap();
    assert_eq!(
        (last.to_status.as_str(), last.reason.as_deref()),
        ("closed", Some("lost_contact"))
    );
    assert!(
        d.allowed_transitions.is_empty(),
        "reopening has its own action"
    );
    // No new purchase on a closed case.
    let e = purchases::request(
        &store,
        hu,
        id,
        &PurchaseRequestInput {
            category: Some("housing".into()),
            description: Some("Rent".into()),
            amount: Some("100".into()),
            currency: Some("CAD".into()),
            vendor_id: Some(v),
            ..Default::default()
        },
    )
    .await
    .unwrap_err();
    assert_eq!(field(e, "case"), "case-not-returned");
    // Closing twice is refused by the workflow.
    assert!(matches!(
        closure::close(&store, hu, id, "opted_out", None).await,
        Err(Error::Transition(TransitionError::NotAllowed { .. }))
    ));
    // History: anyone who reads the case, except CBSA.
    for a in [hu, &s.fin, &s.sup, &s.c] {
        let h = closure::history(&store, a, id).await.unwrap();
        assert_eq!(h.len(), 1);
        assert_eq!(h[0].reason, "lost_contact");
        assert_eq!(h[0].note.as_deref(), Some("No answer since May"));
        assert_eq!(h[0].closed_by_name.as_deref(), Some("hu@iom.int"));
        assert!(h[0].reopened_at.is_none());
    }
    assert!(matches!(
        closure::history(&store, &s.cbsa, id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        closure::history(&store, &mx, id).await,
        Err(Error::NotFound)
    ));
    // Reopening: a reason, the right people, back to monitoring.
    let e = closure::reopen(&store, hu, id, "  ").await.unwrap_err();
    assert_eq!(field(e, "reason"), "required");
    for a in [&s.c, &s.fin, &s.cbsa] {
        assert!(matches!(
            closure::reopen(&store, a, id, "back in contact").await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        closure::reopen(&store, &mx, id, "back in contact").await,
        Err(Error::NotFound)
    ));
    assert_eq!(status(&store, id).await, "closed");
    closure::reopen(&store, hu, id, "Back in contact: called the mission")
        .await
        .unwrap();
    assert_eq!(status(&store, id).await, "monitoring");
    let e = closure::reopen(&store, hu, id, "again").await.unwrap_err();
    assert_eq!(field(e, "case"), "not-reopenable");
    // Closed again (by a supervisor): the history keeps both, newest first.
    closure::close(&store, &s.sup, id, "support_period_ended", None)
        .await
        .unwrap();
    let h = closure::history(&store, hu, id).await.unwrap();
    assert_eq!(
        h.iter().map(|c| c.reason.as_str()).collect::<Vec<_>>(),
        ["support_period_ended", "lost_contact"]
    );
    assert!(h[0].reopened_at.is_none());
    assert!(h[1].reopened_at.is_some());
    assert_eq!(
        h[1].reopen_reason.as_deref(),
        Some("Back in contact: called the mission")
    );
    // The supervisor reopens too.
    closure::reopen(&store, &s.sup, id, "Closed too early")
        .await
        .unwrap();
    assert_eq!(status(&store, id).await, "monitoring");
    let audited: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE case_id = $1 AND action IN ('close', 'reopen')")
        .bind(id).fetch_one(p).await)
    .unwrap();
    assert_eq!(audited, 4);
}
both_databases!(close_and_reopen, closing_and_reopening);

/// The plain transition no longer closes a returned case without a reason
/// code, and reopens only to the status before closure.
async fn the_plain_transition_goes_through_closure(store: Store) {
    let s = monitored_case(&store).await;
    let (id, hu) = (s.id, &s.hu);
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'reintegrating' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    let e = cases::transition(&store, hu, id, "closed", Some("all done"), None)
        .await
        .unwrap_err();
    assert_eq!(field(e, "reason"), "invalid-choice");
    assert_eq!(closures(&store).await, 0);
    let d = cases::transition(&store, hu, id, "closed", Some("opted_out"), None)
        .await
        .unwrap();
    assert_eq!(d.summary.status, "closed");
    assert_eq!(closure::history(&store, hu, id).await.unwrap().len(), 1);
    // Closed from reintegrating: not back to monitoring.
    let e = cases::transition(&store, hu, id, "monitoring", Some("back"), None)
        .await
        .unwrap_err();
    assert_eq!(field(e, "case"), "not-reopenable");
    let e = cases::transition(&store, hu, id, "reintegrating", None, None)
        .await
        .unwrap_err();
    assert_eq!(field(e, "reason"), "required");
    let d = cases::transition(&store, hu, id, "reintegrating", Some("back"), None)
        .await
        .unwrap();
    assert_eq!(d.summary.status, "reintegrating");
}
both_databases!(plain_transition, the_plain_transition_goes_through_closure);

/// A case closed as ineligible is not reopened, by anyone.
async fn an_ineligible_case_stays_closed(store: Store) {
    let s = monitored_case(&store).await;
    let id = s.id;
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'applied' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    cases::transition(&store, &s.cbsa, id, "ineligible", Some("criminality"), None)
        .await
        .unwrap();
    // Not through closure: it is for cases after return.
    assert!(matches!(
        closure::close(&store, &s.sup, id, "no_longer_meets_criteria", None).await,
        Err(Error::Transition(TransitionError::NotAllowed { .. }))
    ));
    cases::transition(&store, &s.c, id, "closed", Some("Refused by CBSA"), None)
        .await
        .unwrap();
    assert_eq!(status(&store, id).await, "closed");
    let e = closure::reopen(&store, &s.sup, id, "try again")
        .await
        .unwrap_err();
    assert_eq!(field(e, "case"), "not-reopenable");
    for to in ["reintegrating", "monitoring"] {
        let e = cases::transition(&store, &s.sup, id, to, Some("try again"), None)
            .await
            .unwrap_err();
        assert_eq!(field(e, "case"), "not-reopenable");
    }
    assert_eq!(status(&store, id).await, "closed");
    assert!(closure::history(&store, &s.sup, id)
        .await
        .unwrap()
        .is_empty());
    // A case that is not closed is not reopened either.
    let s2 = monitored_case_again(&store, &s).await;
    let e = closure::reopen(&store, &s.hu, s2, "why").await.unwrap_err();
    assert_eq!(field(e, "case"), "not-reopenable");
}
both_databases!(ineligible_stays_closed, an_ineligible_case_stays_closed);

/// A second returned case for the same people.
async fn monitored_case_again(store: &Store, s: &Setup) -> Uuid {
    let (id, _, _) = testing::eligible_family(store, &s.cbsa, &s.c).await;
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'monitoring' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    id
}
