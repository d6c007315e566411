//! Store behaviour, run on SQLite and on PostgreSQL alike.

use homeward_domain::person::PersonInput;
use homeward_store::cases::{self, CaseFilter, CaseInput, CaseUpdate};
use homeward_store::users::{self, NewUser};
use homeward_store::{
    audit, both_databases, on_db, persons, sessions, tokens, Actor, Error, Store,
};
use uuid::Uuid;

async fn user(
    store: &Store,
    email: &str,
    role: &str,
    team: Option<&str>,
    country: Option<&str>,
) -> Actor {
    users::create(
        store,
        None,
        &NewUser {
            email: email.into(),
            name: email.split('@').next().unwrap_or("x").into(),
            role: role.into(),
            team: team.map(Into::into),
            country: country.map(Into::into),
            language: None,
            password: "a long test password".into(),
            programmes: Vec::new(),
        },
    )
    .await
    .unwrap()
    .actor(None)
}

fn person(family: &str) -> PersonInput {
    PersonInput {
        given_names: Some("Ana".into()),
        family_name: Some(family.into()),
        ..Default::default()
    }
}

fn new_case(family: &str, country: &str) -> CaseInput {
    CaseInput {
        principal: Some(person(family)),
        country_of_return: Some(country.into()),
        ..Default::default()
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn creates_cases_with_numbers_timeline_and_audit(store: Store) {
    let c = user(&store, "c@iom.int", "counsellor", Some("t"), None).await;
    let a = cases::create(&store, &c, &new_case("Kovács", "HU"))
        .await
        .unwrap();
    let b = cases::create(&store, &c, &new_case("Horváth", "hu"))
        .await
        .unwrap();
    let year = chrono::Datelike::year(&chrono::Utc::now());
    assert_eq!(a.summary.case_number, format!("TOR-{year}-000001"));
    assert_eq!(b.summary.case_number, format!("TOR-{year}-000002"));
    assert_eq!(b.summary.country_of_return.as_deref(), Some("HU"));
    assert_eq!(a.summary.status, "referred");
    assert_eq!(
        a.summary.counsellor_id,
        Some(c.user_id),
        "a counsellor's new case is theirs"
    );
    assert_eq!(a.members.len(), 1);
    assert_eq!(a.members[0].relationship, "principal");
    assert_eq!(a.timeline.len(), 1);
    let entries: i64 = on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'case' AND action = 'create' AND actor_id = $1")
        .bind(c.user_id).fetch_one(p).await).unwrap();
    assert_eq!(entries, 2);
}
both_databases!(creates_cases, creates_cases_with_numbers_timeline_and_audit);

async fn record_scope_is_applied_in_every_query(store: Store) {
    let c1 = user(&store, "c1@iom.int", "counsellor", Some("toronto"), None).await;
    let c2 = user(&store, "c2@iom.int", "counsellor", Some("toronto"), None).await;
    let sup = user(&store, "s@iom.int", "supervisor", Some("toronto"), None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", None, Some("HU")).await;
    let analyst = user(&store, "an@iom.int", "analyst", None, None).await;
    let mine = cases::create(&store, &c1, &new_case("Kovács", "HU"))
        .await
        .unwrap();
    let theirs = cases::create(&store, &c2, &new_case("García", "CO"))
        .await
        .unwrap();

    assert!(matches!(
        cases::get(&store, &c1, theirs.summary.id).await,
        Err(Error::NotFound)
    ));
    let pid = theirs.summary.principal_person_id;
    assert!(matches!(
        persons::get(&store, &c1, pid).await,
        Err(Error::NotFound)
    ));
    let (rows, total) = cases::list(
        &store,
        &c1,
        &CaseFilter {
            per_page: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(total, 1);
    assert_eq!(rows[0].id, mine.summary.id);
    let counts = cases::counts_by_status(&store, &c1).await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 1);
    let ps = persons::search(&store, &c1, Some("garcía"), 10, 0)
        .await
        .unwrap()
        .items;
    assert!(ps.is_empty(), "search never leaks people out of scope");

    let (_, total) = cases::list(
        &store,
        &sup,
        &CaseFilter {
            per_page: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(total, 2, "a supervisor sees the team");
    // A referral is not the mission's (issue 22): the Hungarian case is
    // once it prepares departure with its principal's consent to share.
    assert!(matches!(
        cases::get(&store, &hu, mine.summary.id).await,
        Err(Error::NotFound)
    ));
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'preparing_departure' WHERE id = $1")
        .bind(mine.summary.id).execute(p).await.map(|_| ()))
    .unwrap();
    homeward_store::consents::give(&store, &c1, mine.summary.id, "share_with_mission")
        .await
        .unwrap();
    let (rows, total) = cases::list(
        &store,
        &hu,
        &CaseFilter {
            per_page: 50,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (total, rows[0].country_of_return.as_deref()),
        (1, Some("HU"))
    );
    assert!(matches!(
        cases::get(&store, &hu, theirs.summary.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        cases::list(&store, &analyst, &CaseFilter::default()).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        cases::get(&store, &analyst, mine.summary.id).await,
        Err(Error::Forbidden)
    ));
    // The analyst still gets aggregate counts, never records.
    let counts = cases::counts_by_status(&store, &analyst).await.unwrap();
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 2);
}
both_databases!(record_scope, record_scope_is_applied_in_every_query);

async fn stale_updates_conflict_and_change_nothing(store: Store) {
    let sup = user(&store, "s@iom.int", "supervisor", None, None).await;
    let c = cases::create(&store, &sup, &new_case("Lakatos", "HU"))
        .await
        .unwrap();
    let v = c.summary.version;
    let upd = CaseUpdate {
        version: v,
        country_of_return: Some(Some("CZ".into())),
        destination_locality: Some(Some("Ostrava".into())),
        counsellor_id: None,
    };
    let after = cases::update(&store, &sup, c.summary.id, &upd)
        .await
        .unwrap();
    assert_eq!(after.summary.version, v + 1);
    let stale = CaseUpdate {
        country_of_return: Some(Some("MX".into())),
        ..upd.clone()
    };
    assert!(matches!(
        cases::update(&store, &sup, c.summary.id, &stale).await,
        Err(Error::Conflict)
    ));
    let now = cases::get(&store, &sup, c.summary.id).await.unwrap();
    assert_eq!(now.summary.country_of_return.as_deref(), Some("CZ"));

    let p = &now.members[0].person;
    persons::update(&store, &sup, p.id, p.version, &person("Lakatosné"))
        .await
        .unwrap();
    assert!(matches!(
        persons::update(&store, &sup, p.id, p.version, &person("X")).await,
        Err(Error::Conflict)
    ));
    assert_eq!(
        persons::get(&store, &sup, p.id)
            .await
            .unwrap()
            .family_name
            .as_deref(),
        Some("Lakatosné")
    );
}
both_databases!(
    optimistic_concurrency,
    stale_updates_conflict_and_change_nothing
);

async fn invalid_input_writes_nothing(store: Store) {
    let c = user(&store, "c@iom.int", "counsellor", None, None).await;
    let before = (
        count(&store, "persons").await,
        count(&store, "cases").await,
        count(&store, "audit_log").await,
    );
    let bad = CaseInput {
        principal: Some(PersonInput {
            date_of_birth: Some("1990-13-45".into()),
            ..Default::default()
        }),
        country_of_return: Some("Hungary".into()),
        ..Default::default()
    };
    let Err(Error::Invalid(inv)) = cases::create(&store, &c, &bad).await else {
        panic!("expected invalid")
    };
    assert_eq!(
        inv.for_field("principal.family_name"),
        Some("name-required")
    );
    assert_eq!(
        inv.for_field("principal.date_of_birth"),
        Some("invalid-date")
    );
    assert_eq!(inv.for_field("country_of_return"), Some("invalid-country"));
    let Err(Error::Invalid(inv)) = cases::create(
        &store,
        &c,
        &CaseInput {
            programme: Some("nope".into()),
            ..new_case("A", "HU")
        },
    )
    .await
    else {
        panic!("expected invalid")
    };
    assert_eq!(inv.for_field("programme"), Some("unknown-programme"));
    let after = (
        count(&store, "persons").await,
        count(&store, "cases").await,
        count(&store, "audit_log").await,
    );
    assert_eq!(before, after);
}
both_databases!(invalid_input, invalid_input_writes_nothing);

async fn the_workflow_is_enforced_and_recorded(store: Store) {
    let c = user(&store, "c@iom.int", "counsellor", None, None).await;
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None, None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", None, Some("HU")).await;
    let id = cases::create(&store, &c, &new_case("Orsós", "HU"))
        .await
        .unwrap()
        .summary
        .id;
    for to in ["intake", "counselling"] {
        cases::transition(&store, &c, id, to, None, None)
            .await
            .unwrap();
    }
    // No application without the signed declaration on file.
    assert!(matches!(
        cases::transition(&store, &c, id, "applied", None, None).await,
        Err(Error::Transition(_))
    ));
    homeward_store::attachments::add(&store, &c, id, "declaration", "d.pdf", b"%PDF-1.4\n%x\n")
        .await
        .unwrap();
    cases::transition(&store, &c, id, "applied", None, None)
        .await
        .unwrap();
    // Only CBSA decides eligibility.
    assert!(matches!(
        cases::transition(&store, &c, id, "eligible", None, None).await,
        Err(Error::Transition(_))
    ));
    let d = cases::transition(&store, &cbsa, id, "eligible", None, None)
        .await
        .unwrap();
    assert_eq!(d.summary.status, "eligible");
    // A stale version is refused.
    assert!(matches!(
        cases::transition(
            &store,
            &c,
            id,
            "preparing_departure",
            None,
            Some(d.summary.version - 1)
        )
        .await,
        Err(Error::Conflict)
    ));
    // No departure preparations without a travel document.
    let Err(Error::Transition(homeward_domain::TransitionError::Blocked(b))) =
        cases::transition(&store, &c, id, "preparing_departure", None, None).await
    else {
        panic!("expected blockers")
    };
    assert_eq!(b[0].code, "no-document");
    let pid = cases::get(&store, &c, id).await.unwrap().members[0]
        .person
        .id;
    homeward_store::readiness::add_document(
        &store,
        &c,
        id,
        &homeward_store::readiness::DocumentInput {
            person_id: Some(pid),
            kind: Some("passport".into()),
            number: Some("hu1234567".into()),
            issuing_country: Some("HU".into()),
            expires_on: Some("2031-01-01".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();
    // Departed only through a departure confirmation (tested in travel.rs).
    for purpose in ["collect_health_data", "share_with_mission"] {
        homeward_store::consents::give(&store, &c, id, purpose)
            .await
            .unwrap();
    }
    homeward_store::readiness::add_fitness(
        &store,
        &c,
        id,
        &homeward_store::readiness::FitnessInput {
            person_id: Some(pid),
            status: Some("fit".into()),
            checked_at: Some(chrono::Utc::now() - chrono::Duration::hours(2)),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let dep = chrono::Utc::now() + chrono::Duration::hours(1);
    let t = |at: chrono::DateTime<chrono::Utc>, tz: chrono_tz::Tz| {
        Some(at.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string())
    };
    let it = homeward_store::travel::book(
        &store,
        &c,
        id,
        &homeward_store::travel::ItineraryInput {
            travellers: vec![homeward_store::travel::TravellerForm {
                person_id: Some(pid),
                ticket_number: None,
            }],
            segments: vec![homeward_store::travel::SegmentForm {
                carrier: Some("AC".into()),
                flight_number: Some("880".into()),
                from: Some("YYZ".into()),
                to: Some("BUD".into()),
                departs_local: t(dep, chrono_tz::America::Toronto),
                arrives_local: t(
                    dep + chrono::Duration::hours(9),
                    chrono_tz::Europe::Budapest,
                ),
            }],
            ..Default::default()
        },
    )
    .await
    .unwrap();
    homeward_store::departures::confirm(
        &store,
        &c,
        it.id,
        &homeward_store::departures::DepartureInput::default(),
        false,
    )
    .await
    .unwrap();
    assert!(matches!(
        cases::transition(&store, &c, id, "withdrawn", Some("x"), None).await,
        Err(Error::Transition(_))
    ));
    cases::transition(&store, &hu, id, "reintegrating", None, None)
        .await
        .unwrap();
    let d = cases::get(&store, &hu, id).await.unwrap();
    let path: Vec<&str> = d.timeline.iter().map(|t| t.to_status.as_str()).collect();
    assert_eq!(
        path,
        [
            "referred",
            "intake",
            "counselling",
            "applied",
            "eligible",
            "preparing_departure",
            "departed",
            "reintegrating"
        ]
    );
    assert_eq!(d.timeline[4].actor_name.as_deref(), Some("cbsa"));
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'transition' AND case_id = $1").bind(id).fetch_one(p).await).unwrap();
    assert_eq!(n, 7);
    let evaluations: i64 = on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM eligibility_evaluations WHERE case_id = $1").bind(id).fetch_one(p).await).unwrap();
    assert_eq!(evaluations, 1, "the application stored its evaluation");
    // Unknown targets are validation errors, not crashes.
    assert!(matches!(
        cases::transition(&store, &hu, id, "teleported", None, None).await,
        Err(Error::Invalid(_))
    ));
}
both_databases!(workflow, the_workflow_is_enforced_and_recorded);

async fn family_members_join_the_case(store: Store) {
    let c = user(&store, "c@iom.int", "counsellor", None, None).await;
    let id = cases::create(&store, &c, &new_case("Rostás", "HU"))
        .await
        .unwrap()
        .summary
        .id;
    let d = cases::add_member(&store, &c, id, "child", &person("Rostás"))
        .await
        .unwrap();
    assert_eq!(d.members.len(), 2);
    assert!(matches!(
        cases::add_member(&store, &c, id, "principal", &person("X")).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        cases::add_member(&store, &c, id, "cousin", &person("X")).await,
        Err(Error::Invalid(_))
    ));
}
both_databases!(family, family_members_join_the_case);

async fn users_sessions_and_tokens(store: Store) {
    let admin = user(&store, "admin@iom.int", "admin", None, None).await;
    let c = user(&store, "c@iom.int", "counsellor", None, None).await;
    let dup = users::create(
        &store,
        Some(&admin),
        &NewUser {
            email: "C@IOM.INT".into(),
            name: "Dup".into(),
            role: "counsellor".into(),
            password: "a long test password".into(),
            ..Default::default()
        },
    )
    .await;
    assert!(matches!(dup, Err(Error::Duplicate("email"))));
    let bad = users::create(
        &store,
        Some(&admin),
        &NewUser {
            email: "m@iom.int".into(),
            name: "M".into(),
            role: "mission_officer".into(),
            password: "short".into(),
            ..Default::default()
        },
    )
    .await;
    let Err(Error::Invalid(inv)) = bad else {
        panic!()
    };
    assert_eq!(inv.for_field("country"), Some("required"));
    assert_eq!(inv.for_field("password"), Some("password-too-short"));
    assert!(matches!(
        users::create(&store, Some(&c), &NewUser::default()).await,
        Err(Error::Forbidden)
    ));

    assert!(
        users::authenticate(&store, "c@iom.int", "a long test password")
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        users::authenticate(&store, " C@iom.int ", "a long test password")
            .await
            .unwrap()
            .is_some()
    );
    assert!(users::authenticate(&store, "c@iom.int", "wrong password!!")
        .await
        .unwrap()
        .is_none());
    assert!(
        users::authenticate(&store, "nobody@iom.int", "a long test password")
            .await
            .unwrap()
            .is_none()
    );

    let life = sessions::Lifetimes::default();
    let (tok, _) = sessions::create(&store, c.user_id, life).await.unwrap();
    assert!(sessions::touch(&store, &tok, life).await.unwrap().is_some());
    sessions::age(&store, &tok, chrono::Duration::minutes(31))
        .await
        .unwrap();
    assert!(
        sessions::touch(&store, &tok, life).await.unwrap().is_none(),
        "idle sessions end"
    );
    let short = sessions::Lifetimes {
        idle: chrono::Duration::minutes(30),
        absolute: chrono::Duration::seconds(0),
    };
    let (tok, _) = sessions::create(&store, c.user_id, short).await.unwrap();
    assert!(
        sessions::touch(&store, &tok, short)
            .await
            .unwrap()
            .is_none(),
        "absolute expiry ends sessions"
    );

    let api = tokens::create(&store, c.user_id).await.unwrap();
    assert_eq!(
        tokens::authenticate(&store, &api)
            .await
            .unwrap()
            .map(|u| u.id),
        Some(c.user_id)
    );
    assert!(tokens::authenticate(&store, "hwt_forged")
        .await
        .unwrap()
        .is_none());
    let (tok, _) = sessions::create(&store, c.user_id, life).await.unwrap();
    let u = users::get(&store, c.user_id).await.unwrap();
    users::set_active(&store, &admin, c.user_id, false, u.version)
        .await
        .unwrap();
    assert!(
        tokens::authenticate(&store, &api).await.unwrap().is_none(),
        "deactivation revokes tokens"
    );
    assert!(
        sessions::touch(&store, &tok, life).await.unwrap().is_none(),
        "deactivation ends sessions"
    );
    assert!(
        users::authenticate(&store, "c@iom.int", "a long test password")
            .await
            .unwrap()
            .is_none()
    );
}
both_databases!(users_and_sessions, users_sessions_and_tokens);

async fn the_auditor_filters_the_trail(store: Store) {
    let c = user(&store, "c@iom.int", "counsellor", None, None).await;
    let aud = user(&store, "aud@iom.int", "auditor", None, None).await;
    let id = cases::create(&store, &c, &new_case("Balogh", "HU"))
        .await
        .unwrap()
        .summary
        .id;
    audit::record_read(&store, &c, "case", id, Some(id))
        .await
        .unwrap();
    let f = audit::AuditFilter {
        case_id: Some(id),
        limit: 50,
        ..Default::default()
    };
    let (rows, total) = audit::list(&store, &aud, &f).await.unwrap();
    assert_eq!(total, 2);
    assert_eq!(rows[0].action, "read");
    let f = audit::AuditFilter {
        actor_email: Some("C@iom.int".into()),
        action: Some("create".into()),
        limit: 50,
        ..Default::default()
    };
    let (rows, _) = audit::list(&store, &aud, &f).await.unwrap();
    assert!(rows
        .iter()
        .all(|r| r.actor_email.as_deref() == Some("c@iom.int") && r.action == "create"));
    assert!(rows.len() >= 2);
    assert!(matches!(
        audit::list(&store, &c, &f).await,
        Err(Error::Forbidden)
    ));
}
both_databases!(audit_trail, the_auditor_filters_the_trail);

/// The ids of every case in the order the list's old query gave: sorted on
/// the principal's name in persons (migration 0020 sorts on a copy of it).
async fn oracle(store: &Store, col: &str, dir: &str) -> Vec<Uuid> {
    let q = format!(
        "SELECT c.id FROM cases c JOIN persons p ON p.id = c.principal_person_id ORDER BY {col} {dir}, c.id {dir}"
    );
    on_db!(&store.db, p => sqlx::query_scalar::<_, Uuid>(&q).fetch_all(p).await).unwrap()
}

async fn every_sort_gives_the_same_order_and_names_follow_edits(store: Store) {
    // The demo's cases, as a realistic list to sort.
    homeward_demo::cases::load(&store, 60, 3, &mut |_| {})
        .await
        .unwrap();
    // The demo supervisor's team scope covers every case.
    let sup = users::by_email(&store, "supervisor@homeward.test")
        .await
        .unwrap()
        .unwrap()
        .actor(None);
    for (family, cc) in [
        ("Zed", "HU"),
        ("Bell", "MX"),
        ("Maro", "HU"),
        ("Bell", "CO"),
    ] {
        cases::create(&store, &sup, &new_case(family, cc))
            .await
            .unwrap();
    }
    let list = |sort: &'static str, desc: bool| {
        let store = store.clone();
        let sup = sup.clone();
        async move {
            let mut ids = Vec::new();
            for page in 1..=4 {
                let (rows, total) = cases::list(
                    &store,
                    &sup,
                    &CaseFilter {
                        sort: Some(sort.into()),
                        desc,
                        page,
                        per_page: 20,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
                assert_eq!(total, 64);
                ids.extend(rows.into_iter().map(|r| (r.id, r.principal_name)));
            }
            ids
        }
    };
    let check = |rows: &[(Uuid, String)], want: &[Uuid]| {
        assert_eq!(rows.iter().map(|r| r.0).collect::<Vec<_>>(), want);
    };
    for (sort, col) in [
        ("name", "p.display_name"),
        ("case_number", "c.case_number"),
        ("status", "c.status"),
        ("referred_at", "c.referred_at"),
        ("updated_at", "c.updated_at"),
    ] {
        for desc in [false, true] {
            let dir = if desc { "DESC" } else { "ASC" };
            check(&list(sort, desc).await, &oracle(&store, col, dir).await);
        }
    }
    // A renamed principal moves in the name order, and the list shows the new name.
    let first = list("name", false).await;
    let last = first.last().unwrap().0;
    let c = cases::get(&store, &sup, last).await.unwrap();
    let p = &c.members[0].person;
    persons::update(&store, &sup, p.id, p.version, &person("Aaberg"))
        .await
        .unwrap();
    let after = list("name", false).await;
    check(&after, &oracle(&store, "p.display_name", "ASC").await);
    assert_eq!(after[0].0, last);
    let stale: i64 = on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM cases c JOIN persons p ON p.id = c.principal_person_id WHERE c.principal_name <> p.display_name")
        .fetch_one(p).await).unwrap();
    assert_eq!(stale, 0);
}
both_databases!(
    list_sorts,
    every_sort_gives_the_same_order_and_names_follow_edits
);

#[test]
fn both_databases_share_one_migration_history() {
    let (s, p) = Store::migration_versions();
    assert!(!s.is_empty());
    assert_eq!(s, p);
}

/// The pool does not ping a connection before every statement (ADR 0037), but
/// one that sat idle while the server dropped it is checked and replaced, so
/// the next request after a PostgreSQL restart still succeeds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_connections_dropped_while_idle_are_replaced() {
    let (store, url) = homeward_store::testing::postgres().await;
    store.ping().await.expect("first ping");
    let name = url.rsplit('/').next().expect("database name").to_string();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(
        &homeward_store::testing::postgres_admin_url(),
    )
    .await
    .expect("admin connection");
    let dropped: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
    )
    .bind(&name)
    .fetch_all(&mut admin)
    .await
    .expect("terminate");
    assert!(dropped.iter().any(|d| *d), "the pool held a connection");
    tokio::time::sleep(homeward_store::IDLE_BEFORE_PING + std::time::Duration::from_millis(300))
        .await;
    store
        .ping()
        .await
        .expect("a fresh connection replaces the dropped one");
}

/// A case checked for one user (`cases::check`, what the case page passes to
/// its sections) answers only that user: another user given it is refused as
/// out of scope, a role without case access is refused, and readers given a
/// bare id still check the scope themselves.
async fn remembered_summaries_stay_with_their_reader(store: Store) {
    use homeward_store::cases::scope;
    use homeward_store::consents;
    let c1 = user(&store, "c1@iom.int", "counsellor", Some("toronto"), None).await;
    let c2 = user(&store, "c2@iom.int", "counsellor", Some("toronto"), None).await;
    let analyst = user(&store, "an@iom.int", "analyst", None, None).await;
    let mine = cases::create(&store, &c1, &new_case("Kovács", "HU"))
        .await
        .unwrap();
    let id = mine.summary.id;
    let checked = cases::check(&store, &c1, id).await.unwrap();
    assert_eq!(checked.id(), id);
    let same = scope::summary(&store, &c1, (&checked).into()).await;
    let other = scope::summary(&store, &c2, (&checked).into()).await;
    let analysed = scope::summary(&store, &analyst, (&checked).into()).await;
    assert_eq!(same.unwrap().case_number, mine.summary.case_number);
    assert!(matches!(other, Err(Error::NotFound)), "{other:?}");
    assert!(matches!(analysed, Err(Error::Forbidden)), "{analysed:?}");
    // The same through a section reader, with the checked case and with the id.
    assert!(consents::list(&store, &c1, &checked).await.is_ok());
    let other = consents::list(&store, &c2, &checked).await;
    assert!(matches!(other, Err(Error::NotFound)), "{other:?}");
    let by_id = consents::list(&store, &c2, id).await;
    assert!(matches!(by_id, Err(Error::NotFound)), "{by_id:?}");
    assert!(matches!(
        cases::check(&store, &c2, id).await,
        Err(Error::NotFound)
    ));
}
both_databases!(
    remembered_summaries,
    remembered_summaries_stay_with_their_reader
);
