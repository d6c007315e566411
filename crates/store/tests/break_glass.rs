//! Breaking the glass (issue 22) on SQLite and PostgreSQL: only a
//! supervisor, only with a reason, one case, for a short time; recorded in
//! the audit trail, listed for the auditor, told to the case's counsellor.

use homeward_store::testing::{eligible_family, user};
use homeward_store::{
    both_databases, break_glass, cases, notifications, on_db, users, Error, Store,
};

async fn count(store: &Store, sql: &str) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

async fn a_supervisor_opens_a_case_with_a_reason(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let auditor = user(&store, "audit@example.org", "auditor", None).await;
    let (id, _, _) = eligible_family(&store, &cbsa, &c).await;
    let (other, _, _) = eligible_family(&store, &cbsa, &c).await;
    // The counsellor works in another team: the supervisor does not see
    // the case.
    on_db!(&store.db, p => sqlx::query("UPDATE users SET team = 'other' WHERE id = $1")
        .bind(c.user_id).execute(p).await.map(|_| ()))
    .unwrap();
    assert!(matches!(
        cases::get(&store, &sup, id).await,
        Err(Error::NotFound)
    ));
    let number = cases::summary(&store, &c, id).await.unwrap().case_number;
    let reason = "Counsellor on leave; the family called in distress";

    // Refused: another role, no reason, a word, an unknown case. Nothing written.
    assert!(matches!(
        break_glass::open(&store, &c, &number, reason).await,
        Err(Error::Forbidden)
    ));
    let field = |r: Result<_, Error>, f: &str| match r {
        Err(Error::Invalid(inv)) => inv.for_field(f).map(str::to_string),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(
            break_glass::open(&store, &sup, &number, " ").await,
            "reason"
        )
        .as_deref(),
        Some("required")
    );
    assert_eq!(
        field(
            break_glass::open(&store, &sup, &number, "urgent").await,
            "reason"
        )
        .as_deref(),
        Some("reason-too-short")
    );
    assert_eq!(
        field(
            break_glass::open(&store, &sup, "TOR-1999-999999", reason).await,
            "case_number"
        )
        .as_deref(),
        Some("not-found")
    );
    assert_eq!(
        field(
            break_glass::open(&store, &sup, &"9".repeat(5000), reason).await,
            "case_number"
        )
        .as_deref(),
        Some("not-found")
    );
    assert_eq!(count(&store, "SELECT COUNT(*) FROM break_glass").await, 0);

    // Granted: the case (typed in lower case) is in scope for the next
    // request's actor, the other case is not.
    let (got, until) = break_glass::open(&store, &sup, &number.to_lowercase(), reason)
        .await
        .unwrap();
    assert_eq!(got, id);
    let minutes = (until - homeward_store::now()).num_minutes();
    assert!((55..=60).contains(&minutes), "{minutes}");
    let sup_now = users::get(&store, sup.user_id).await.unwrap().actor(None);
    assert!(cases::get(&store, &sup_now, id).await.is_ok());
    assert!(matches!(
        cases::get(&store, &sup_now, other).await,
        Err(Error::NotFound)
    ));
    let (rows, total) = cases::list(
        &store,
        &sup_now,
        &cases::CaseFilter {
            per_page: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((rows.len(), total), (1, 1));
    assert_eq!(rows[0].id, id);

    // Recorded, listed for the auditor (only), and told to the counsellor.
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'break-glass' AND entity = 'case'"
        )
        .await,
        1
    );
    let listed = break_glass::list(&store, &auditor, 50).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].case_id, listed[0].reason.as_str()), (id, reason));
    assert_eq!(listed[0].user_email, "sup@example.org");
    for not in [&sup, &c, &cbsa] {
        assert!(matches!(
            break_glass::list(&store, not, 50).await,
            Err(Error::Forbidden)
        ));
    }
    let told = notifications::inbox(&store, &c, 10).await.unwrap();
    assert!(told
        .iter()
        .any(|n| n.kind == "break-glass" && n.case_id == Some(id)));

    // Expired: out of scope again on the next request.
    on_db!(&store.db, p => sqlx::query("UPDATE break_glass SET expires_at = $1")
        .bind(homeward_store::now() - chrono::Duration::minutes(1)).execute(p).await.map(|_| ()))
    .unwrap();
    let later = users::get(&store, sup.user_id).await.unwrap().actor(None);
    assert!(matches!(
        cases::get(&store, &later, id).await,
        Err(Error::NotFound)
    ));
    // A grant never opens anything to a role that may not break the glass.
    on_db!(&store.db, p => sqlx::query("UPDATE break_glass SET expires_at = $1, user_id = $2")
        .bind(homeward_store::now() + chrono::Duration::minutes(30)).bind(cbsa.user_id).execute(p).await.map(|_| ())).unwrap();
    assert!(users::get(&store, cbsa.user_id)
        .await
        .unwrap()
        .actor(None)
        .break_glass
        .is_empty());
}
both_databases!(opens, a_supervisor_opens_a_case_with_a_reason);
