//! The duplicate review queue and merges on SQLite and PostgreSQL
//! (docs/adr/0032): stored candidates follow creation and are excluded once
//! decided "not duplicates" or merged; a merge moves every row of every
//! table referencing persons and its undo puts back exactly what it was;
//! conflicts (both people on one case), stale versions, second undos,
//! roles and record scope are refused.

use homeward_domain::person::PersonInput;
use homeward_store::duplicates::{self, Subject};
use homeward_store::merges::{self, MergeInput};
use homeward_store::testing::user;
use homeward_store::{audit, both_databases, cases, on_db, persons, Actor, Error, Store};
use std::collections::BTreeSet;
use uuid::Uuid;

fn person(given: &str, family: &str, dob: &str) -> PersonInput {
    PersonInput {
        given_names: Some(given.into()),
        family_name: Some(family.into()),
        date_of_birth: Some(dob.into()),
        sex: Some("female".into()),
        nationalities: vec!["HU".into()],
        ..Default::default()
    }
}

/// A case whose principal is `p`: (case id, person id).
async fn register(store: &Store, actor: &Actor, p: PersonInput) -> (Uuid, Uuid) {
    let input = cases::CaseInput {
        principal: Some(p),
        country_of_return: Some("HU".into()),
        ..Default::default()
    };
    let c = cases::create(store, actor, &input).await.expect("case");
    (c.summary.id, c.members[0].person.id)
}

async fn exec(store: &Store, sql: &str, binds: &[Uuid]) {
    on_db!(&store.db, p => {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.execute(p).await.map(|_| ())
    })
    .expect(sql);
}

/// Rows of every table a merge touches, with the person they point at.
async fn snapshot(store: &Store) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (table, key, person, shared) in merges::moved_tables() {
        let shared = shared
            .map(|s| format!("CAST({s} AS TEXT)"))
            .unwrap_or("''".into());
        let sql = format!("SELECT {key}, {person}, {shared} FROM {table}");
        let rows: Vec<(Uuid, Uuid, Option<String>)> =
            on_db!(&store.db, p => sqlx::query_as(&sql).fetch_all(p).await).unwrap();
        for (k, p, s) in rows {
            out.insert(format!("{table}:{k}:{p}:{}", s.unwrap_or_default()));
        }
    }
    type Row = (Uuid, Option<String>, Option<String>, Option<String>);
    let people: Vec<Row> = on_db!(&store.db, p => sqlx::query_as(
        "SELECT id, phone, uci, external_id FROM persons").fetch_all(p).await)
    .unwrap();
    for (id, phone, uci, ext) in people {
        out.insert(format!("persons:{id}:{phone:?}:{uci:?}:{ext:?}"));
    }
    out
}

/// Every (table, column) with a foreign key to persons.
async fn references(store: &Store) -> BTreeSet<(String, String)> {
    match &store.db {
        homeward_store::Db::Postgres(p) => sqlx::query_as::<_, (String, String)>(
            "SELECT kcu.table_name::text, kcu.column_name::text FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name \
             JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name \
             WHERE tc.constraint_type = 'FOREIGN KEY' AND ccu.table_name = 'persons'",
        )
        .fetch_all(p)
        .await
        .unwrap()
        .into_iter()
        .collect(),
        homeward_store::Db::Sqlite(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(p)
            .await
            .unwrap();
            let mut out = BTreeSet::new();
            for t in tables {
                let fks: Vec<(String, String)> = sqlx::query_as(
                    "SELECT \"table\", \"from\" FROM pragma_foreign_key_list($1)",
                )
                .bind(&t)
                .fetch_all(p)
                .await
                .unwrap();
                for (target, col) in fks {
                    if target == "persons" {
                        out.insert((t.clone(), col));
                    }
                }
            }
            out
        }
    }
}

async fn every_reference_is_moved(store: Store) {
    let mut expected: BTreeSet<(String, String)> = merges::moved_tables()
        .into_iter()
        .map(|(t, _, p, _)| (t.to_string(), p.to_string()))
        .collect();
    // Handled apart: keys and candidates are recomputed, a country's terms
    // follow the memberships by trigger, decisions and merges name both
    // people on purpose.
    for (t, c) in [
        ("person_match_keys", "person_id"),
        ("person_search_terms", "person_id"),
        ("person_country_terms", "person_id"),
        ("duplicate_candidates", "a"),
        ("duplicate_candidates", "b"),
        ("duplicate_pending", "person_id"),
        ("person_not_duplicates", "a"),
        ("person_not_duplicates", "b"),
        ("person_merges", "kept_id"),
        ("person_merges", "merged_id"),
        ("persons", "merged_into"),
    ] {
        expected.insert((t.into(), c.into()));
    }
    let found = references(&store).await;
    assert_eq!(
        found, expected,
        "a table references persons that merges::MOVES does not move"
    );
}
both_databases!(every_reference, every_reference_is_moved);

struct World {
    sup: Actor,
    /// Case 1: Ágnes Horváth (principal) and her son.
    case1: Uuid,
    agnes: Uuid,
    /// Case 2: Agnes Horvath again (principal).
    case2: Uuid,
    agnes_again: Uuid,
}

async fn world(store: &Store) -> World {
    let sup = user(store, "sup@iom.int", "supervisor", None).await;
    let (case1, agnes) = register(store, &sup, person("Ágnes", "Horváth", "1980-05-17")).await;
    cases::add_member(
        store,
        &sup,
        case1,
        "child",
        &person("Bence", "Horváth", "2012-01-01"),
    )
    .await
    .unwrap();
    let (case2, agnes_again) = register(
        store,
        &sup,
        PersonInput {
            uci: Some("1111-2222".into()),
            phone: Some("+1 416 555 0101".into()),
            ..person("Agnes", "HORVATH", "1980-05-17")
        },
    )
    .await;
    World {
        sup,
        case1,
        agnes,
        case2,
        agnes_again,
    }
}

async fn version(store: &Store, id: Uuid) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar("SELECT version FROM persons WHERE id = $1").bind(id).fetch_one(p).await)
        .unwrap()
}

async fn merge_and_undo(store: Store) {
    let w = world(&store).await;
    // Created through cases::create: marked pending, scored in the background.
    assert!(duplicates::pending(&store).await.unwrap() >= 3);
    duplicates::refresh_pending(&store, 100).await.unwrap();
    assert_eq!(duplicates::pending(&store).await.unwrap(), 0);
    let (queue, counts) = duplicates::queue(&store, &w.sup, None, 50, 0)
        .await
        .unwrap();
    assert_eq!(counts.likely, 1, "{queue:?}");
    assert_eq!(
        duplicates::ordered(queue[0].a, queue[0].b),
        duplicates::ordered(w.agnes, w.agnes_again)
    );

    // The second record has rows of every kind, and shares case 1 as "other".
    let it = Uuid::new_v4();
    exec(&store, "INSERT INTO itineraries (id, case_id, status, departs_at, arrives_at, origin, destination, created_at, updated_at) \
        VALUES ($1, $2, 'booked', '2026-01-01T10:00:00Z', '2026-01-01T20:00:00Z', 'YYZ', 'BUD', '2025-12-01T00:00:00Z', '2025-12-01T00:00:00Z')", &[it, w.case2]).await;
    exec(
        &store,
        "INSERT INTO itinerary_travellers (itinerary_id, person_id) VALUES ($1, $2)",
        &[it, w.agnes_again],
    )
    .await;
    exec(
        &store,
        "INSERT INTO itinerary_travellers (itinerary_id, person_id) VALUES ($1, $2)",
        &[it, w.agnes],
    )
    .await;
    for (table, extra) in [
        ("vulnerabilities", "kind"),
        ("fitness_checks", "status"),
        ("travel_documents", "kind"),
    ] {
        let sql = format!("INSERT INTO {table} (id, case_id, person_id, {extra}, recorded_at) VALUES ($1, $2, $3, 'x', '2025-12-01T00:00:00Z')");
        exec(&store, &sql, &[Uuid::new_v4(), w.case2, w.agnes_again]).await;
    }
    exec(
        &store,
        "INSERT INTO case_members (case_id, person_id, relationship) VALUES ($1, $2, 'other')",
        &[w.case1, w.agnes_again],
    )
    .await;
    let before = snapshot(&store).await;

    // Stale version: refused, nothing moved.
    let stale = MergeInput {
        kept: w.agnes,
        kept_version: version(&store, w.agnes).await - 1,
        merged: w.agnes_again,
        merged_version: version(&store, w.agnes_again).await,
    };
    assert!(matches!(
        merges::merge(&store, &w.sup, &stale).await,
        Err(Error::Conflict)
    ));
    assert_eq!(snapshot(&store).await, before);

    let input = MergeInput {
        kept_version: stale.kept_version + 1,
        ..stale.clone()
    };
    let m = merges::merge(&store, &w.sup, &input).await.unwrap();
    assert_eq!(m.moved.rows["cases"], vec![w.case2]);
    assert_eq!(m.moved.rows["case_members"], vec![w.case2]);
    for t in ["vulnerabilities", "fitness_checks", "travel_documents"] {
        assert_eq!(m.moved.rows[t].len(), 1, "{t}");
    }
    assert_eq!(m.moved.dropped.len(), 2, "case 1 and the itinerary");
    assert_eq!(m.moved.filled, vec!["phone", "uci"]);
    // Nothing points at the merged record any more.
    for (table, _, col, _) in merges::moved_tables() {
        let sql = format!("SELECT COUNT(*) FROM {table} WHERE {col} = $1");
        let n: i64 =
            on_db!(&store.db, p => sqlx::query_scalar(&sql).bind(w.agnes_again).fetch_one(p).await)
                .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    let c2 = cases::get(&store, &w.sup, w.case2).await.unwrap();
    assert_eq!(c2.members[0].person.id, w.agnes);
    let kept = persons::get(&store, &w.sup, w.agnes).await.unwrap();
    assert_eq!(kept.contact.unwrap().uci.as_deref(), Some("1111-2222"));
    // Hidden: search, candidates, the queue.
    let found = persons::search(&store, &w.sup, Some("horvath"), 50, 0)
        .await
        .unwrap()
        .items;
    assert!(found.iter().all(|p| p.id != w.agnes_again));
    let terms: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM person_search_terms WHERE person_id = $1 AND term NOT LIKE '~%'")
        .bind(w.agnes_again).fetch_one(p).await)
    .unwrap();
    assert_eq!(terms, 0, "the merged record is out of the search box");
    let cands = duplicates::candidates_for(&store, Subject::Person(w.agnes))
        .await
        .unwrap();
    assert!(cands.iter().all(|c| c.id != w.agnes_again));
    assert_eq!(
        duplicates::queue(&store, &w.sup, None, 50, 0)
            .await
            .unwrap()
            .1
            .likely,
        0
    );
    assert!(duplicates::all_pairs(&store, 0.0).await.unwrap().is_empty());
    assert_eq!(duplicates::backfill(&store).await.unwrap(), 0);
    // The audit trail names both ids and counts, no values.
    let audit: String = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'merge'").fetch_one(p).await)
    .unwrap();
    assert!(audit.contains(&w.agnes.to_string()) && audit.contains(&w.agnes_again.to_string()));
    assert!(
        !audit.contains("1111") && !audit.contains("Horv"),
        "{audit}"
    );
    // Merging the merged record again: refused.
    let again = MergeInput {
        kept_version: version(&store, w.agnes).await,
        merged_version: version(&store, w.agnes_again).await,
        ..input.clone()
    };
    assert!(matches!(
        merges::merge(&store, &w.sup, &again).await,
        Err(Error::Invalid(i)) if i.for_field("merge") == Some("already-merged")
    ));

    // Undo: exactly as before.
    let u = merges::undo(&store, &w.sup, m.id).await.unwrap();
    let terms: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM person_search_terms WHERE person_id = $1 AND term NOT LIKE '~%'")
        .bind(w.agnes_again).fetch_one(p).await)
    .unwrap();
    assert!(terms > 0, "back in the search box");
    assert!(u.undone_at.is_some());
    assert_eq!(snapshot(&store).await, before);
    assert!(matches!(
        merges::undo(&store, &w.sup, m.id).await,
        Err(Error::Invalid(i)) if i.for_field("merge") == Some("undo-done")
    ));
    let (queue, _) = duplicates::queue(&store, &w.sup, None, 50, 0)
        .await
        .unwrap();
    assert_eq!(queue.len(), 1, "the pair is a candidate again");
    let (history, total) = merges::history(&store, &w.sup, 50, 0).await.unwrap();
    assert_eq!((history.len(), total), (1, 1));
}
both_databases!(merge_moves_everything_and_undo_restores_it, merge_and_undo);

/// Merges the second Ágnes into the first at their current versions.
async fn merge_again_into_first(store: &Store, w: &World) -> merges::Merge {
    let input = MergeInput {
        kept: w.agnes,
        kept_version: version(store, w.agnes).await,
        merged: w.agnes_again,
        merged_version: version(store, w.agnes_again).await,
    };
    merges::merge(store, &w.sup, &input).await.unwrap()
}

/// The audit entry ids a filter finds (at most 500).
async fn audit_ids(store: &Store, actor: &Actor, f: audit::AuditFilter) -> BTreeSet<i64> {
    let f = audit::AuditFilter { limit: 500, ..f };
    let (rows, total) = audit::list(store, actor, &f).await.unwrap();
    assert_eq!(rows.len() as i64, total);
    rows.into_iter().map(|r| r.id).collect()
}

async fn merged_history_in_audit(store: Store) {
    let w = world(&store).await;
    let auditor = user(&store, "aud@iom.int", "auditor", None).await;
    let by_person = |id: Uuid| audit::AuditFilter {
        person_id: Some(id),
        ..Default::default()
    };
    // The second record's own entries (its creation) and its case's.
    let theirs = audit_ids(&store, &auditor, by_person(w.agnes_again)).await;
    assert!(!theirs.is_empty());
    let own = audit_ids(&store, &auditor, by_person(w.agnes)).await;
    assert!(
        own.is_disjoint(&theirs),
        "separate people, separate histories"
    );

    let m = merge_again_into_first(&store, &w).await;
    assert_eq!(
        audit::merged_people(&store, w.agnes).await.unwrap(),
        vec![w.agnes_again]
    );
    let kept = audit_ids(&store, &auditor, by_person(w.agnes)).await;
    assert!(
        kept.is_superset(&theirs),
        "the kept person's history holds the merged one's"
    );
    assert!(kept.is_superset(&own));
    // The person's subject access export holds the merged record's trail.
    let doc = homeward_store::subject_access::export(&store, None, w.agnes)
        .await
        .unwrap();
    let exported = doc["audit"].as_array().unwrap().len();
    assert!(
        exported >= kept.len() && kept.len() > own.len(),
        "{exported}"
    );

    merges::undo(&store, &w.sup, m.id).await.unwrap();
    assert!(audit::merged_people(&store, w.agnes)
        .await
        .unwrap()
        .is_empty());
    let after_undo = audit_ids(&store, &auditor, by_person(w.agnes)).await;
    assert!(
        after_undo.is_disjoint(&theirs),
        "an undone merge gives the history back"
    );
    // Other roles may not read the trail at all.
    assert!(matches!(
        audit::list(&store, &w.sup, &by_person(w.agnes)).await,
        Err(Error::Forbidden)
    ));
}
both_databases!(
    merged_history_shows_in_the_audit_trail,
    merged_history_in_audit
);

async fn principal_conflict_and_chained_undo(store: Store) {
    let w = world(&store).await;
    // Both on case 2, the second record its principal: merging it into the
    // first makes the first the principal; undo gives back "spouse".
    exec(
        &store,
        "INSERT INTO case_members (case_id, person_id, relationship) VALUES ($1, $2, 'spouse')",
        &[w.case2, w.agnes],
    )
    .await;
    let before = snapshot(&store).await;
    let m = merge_again_into_first(&store, &w).await;
    let rel: String = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT relationship FROM case_members WHERE case_id = $1 AND person_id = $2").bind(w.case2).bind(w.agnes).fetch_one(p).await).unwrap();
    assert_eq!(rel, "principal");
    // The kept person is then merged into a third record: the first undo
    // must wait for the second.
    let (_, third) = register(&store, &w.sup, person("Agnes", "Horvat", "1980-05-17")).await;
    let m2 = merges::merge(
        &store,
        &w.sup,
        &MergeInput {
            kept: third,
            kept_version: version(&store, third).await,
            merged: w.agnes,
            merged_version: version(&store, w.agnes).await,
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        merges::undo(&store, &w.sup, m.id).await,
        Err(Error::Invalid(i)) if i.for_field("merge") == Some("undo-kept-merged")
    ));
    merges::undo(&store, &w.sup, m2.id).await.unwrap();
    merges::undo(&store, &w.sup, m.id).await.unwrap();
    let mut after = snapshot(&store).await;
    after.retain(|r| !r.contains(&third.to_string()));
    assert_eq!(after, before);
    let _ = w.case1;
}
both_databases!(principal_conflict, principal_conflict_and_chained_undo);

async fn not_duplicates_remembered(store: Store) {
    let w = world(&store).await;
    duplicates::refresh_pending(&store, 100).await.unwrap();
    homeward_store::merges::mark_not_duplicates(&store, &w.sup, w.agnes_again, w.agnes)
        .await
        .unwrap();
    // Idempotent.
    homeward_store::merges::mark_not_duplicates(&store, &w.sup, w.agnes, w.agnes_again)
        .await
        .unwrap();
    assert!(duplicates::is_not_duplicate(&store, w.agnes, w.agnes_again)
        .await
        .unwrap());
    assert!(duplicates::queue(&store, &w.sup, None, 50, 0)
        .await
        .unwrap()
        .0
        .is_empty());
    let cands = duplicates::candidates_for(&store, Subject::Person(w.agnes))
        .await
        .unwrap();
    assert!(cands.iter().all(|c| c.id != w.agnes_again));
    assert!(duplicates::all_pairs(&store, 0.0).await.unwrap().is_empty());
    // A change to either person does not bring the pair back.
    let v = version(&store, w.agnes).await;
    persons::update(
        &store,
        &w.sup,
        w.agnes,
        v,
        &person("Agnes", "Horváth", "1980-05-17"),
    )
    .await
    .unwrap();
    duplicates::refresh_pending(&store, 100).await.unwrap();
    assert!(duplicates::queue(&store, &w.sup, None, 50, 0)
        .await
        .unwrap()
        .0
        .is_empty());
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'not_duplicates'").fetch_one(p).await)
    .unwrap();
    assert_eq!(n, 1);
}
both_databases!(not_duplicates, not_duplicates_remembered);

async fn roles_and_scope_refused(store: Store) {
    let w = world(&store).await;
    duplicates::refresh_pending(&store, 100).await.unwrap();
    let input = MergeInput {
        kept: w.agnes,
        kept_version: version(&store, w.agnes).await,
        merged: w.agnes_again,
        merged_version: version(&store, w.agnes_again).await,
    };
    for role in [
        "counsellor",
        "cbsa_officer",
        "mission_officer",
        "finance",
        "analyst",
        "admin",
        "auditor",
    ] {
        let a = user(&store, &format!("{role}@iom.int"), role, Some("HU")).await;
        assert!(
            matches!(
                duplicates::queue(&store, &a, None, 50, 0).await,
                Err(Error::Forbidden)
            ),
            "{role}"
        );
        assert!(
            matches!(
                merges::merge(&store, &a, &input).await,
                Err(Error::Forbidden)
            ),
            "{role}"
        );
        assert!(
            matches!(
                homeward_store::merges::mark_not_duplicates(&store, &a, w.agnes, w.agnes_again)
                    .await,
                Err(Error::Forbidden)
            ),
            "{role}"
        );
    }
    // A supervisor of another team: case 2 is assigned to a counsellor of
    // team "t", so out of their scope.
    let other = homeward_store::users::create(
        &store,
        None,
        &homeward_store::users::NewUser {
            email: "other@iom.int".into(),
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
    .actor(None);
    let counsellor: Uuid = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT id FROM users WHERE email = 'counsellor@iom.int'").fetch_one(p).await)
    .unwrap();
    exec(&store, "UPDATE cases SET counsellor_id = $1", &[counsellor]).await;
    assert!(duplicates::queue(&store, &other, None, 50, 0)
        .await
        .unwrap()
        .0
        .is_empty());
    assert!(matches!(
        merges::merge(&store, &other, &input).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        homeward_store::merges::mark_not_duplicates(&store, &other, w.agnes, w.agnes_again).await,
        Err(Error::NotFound)
    ));
    // Bad ids: unknown, or the same person twice.
    let same = MergeInput {
        merged: w.agnes,
        ..input.clone()
    };
    assert!(matches!(
        merges::merge(&store, &w.sup, &same).await,
        Err(Error::NotFound)
    ));
    let unknown = MergeInput {
        merged: Uuid::new_v4(),
        ..input.clone()
    };
    assert!(matches!(
        merges::merge(&store, &w.sup, &unknown).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        merges::undo(&store, &w.sup, Uuid::new_v4()).await,
        Err(Error::NotFound)
    ));
    // The supervisor of team "t" still may.
    assert_eq!(
        duplicates::queue(&store, &w.sup, None, 50, 0)
            .await
            .unwrap()
            .0
            .len(),
        1
    );
    merges::merge(&store, &w.sup, &input).await.unwrap();
}
both_databases!(roles_and_scope, roles_and_scope_refused);

async fn full_run_stores_candidates(store: Store) {
    let w = world(&store).await;
    let started = homeward_store::now();
    let pairs = duplicates::all_pairs(&store, 0.0).await.unwrap();
    duplicates::store_all(&store, &pairs, started)
        .await
        .unwrap();
    assert_eq!(duplicates::pending(&store).await.unwrap(), 0);
    let (q, counts) = duplicates::queue(&store, &w.sup, None, 50, 0)
        .await
        .unwrap();
    assert_eq!((q.len(), counts.likely), (1, 1));
    let likely = duplicates::likely_for_case(&store, &w.sup, w.case1)
        .await
        .unwrap();
    assert_eq!(likely, vec![(w.agnes, w.agnes_again)]);
}
both_databases!(full_run, full_run_stores_candidates);

/// Costs of keeping the stored candidates current (docs/adr/0032):
/// `HOMEWARD_DUP_REVIEW_PEOPLE=2000 cargo test -p homeward-store --test
/// merges cost -- --ignored --nocapture`.
async fn cost_of_stored_candidates(store: Store) {
    use std::time::Instant;
    let n: usize = std::env::var("HOMEWARD_DUP_REVIEW_PEOPLE")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let sup = user(&store, "sup@iom.int", "supervisor", None).await;
    let given = [
        "Agnes", "Bence", "Dmitry", "Olena", "Mohammed", "Juan", "Maria", "Ivan",
    ];
    let family = [
        "Horvath",
        "Kuznetsov",
        "Garcia",
        "Popescu",
        "Haddad",
        "Nagy",
        "Kovacs",
        "Shevchenko",
        "Rahman",
        "Lopez",
    ];
    let mut create = Vec::with_capacity(n);
    let mut refresh = Vec::with_capacity(n);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let p = PersonInput {
            given_names: Some(given[i % given.len()].into()),
            family_name: Some(family[(i / given.len()) % family.len()].into()),
            date_of_birth: Some(format!(
                "{}-{:02}-{:02}",
                1960 + i % 40,
                1 + i % 12,
                1 + i % 28
            )),
            sex: Some("female".into()),
            nationalities: vec!["HU".into()],
            ..Default::default()
        };
        let t = Instant::now();
        let id = persons::create(&store, &sup, &p).await.unwrap().id;
        create.push(t.elapsed());
        let t = Instant::now();
        duplicates::refresh(&store, id).await.unwrap();
        refresh.push(t.elapsed());
        ids.push(id);
    }
    let pct = |v: &mut Vec<std::time::Duration>, q: f64| {
        v.sort();
        v[((v.len() as f64 - 1.0) * q) as usize]
    };
    println!(
        "{n} people: persons::create (with its refresh) p50 {:?} p99 {:?}; refresh alone p50 {:?} p99 {:?}",
        pct(&mut create, 0.5),
        pct(&mut create, 0.99),
        pct(&mut refresh, 0.5),
        pct(&mut refresh, 0.99)
    );
    // What an import adds per row: the pending mark, in its transaction.
    let t = Instant::now();
    let mut tx = store.begin().await.unwrap();
    for id in &ids {
        duplicates::mark_pending(&mut tx, *id).await.unwrap();
    }
    tx.commit().await.unwrap();
    println!("mark_pending: {:?} per row", t.elapsed() / n as u32);
    let t = Instant::now();
    let done = duplicates::refresh_pending(&store, n as i64).await.unwrap();
    println!(
        "refresh_pending: {done} people in {:?} ({:?} each)",
        t.elapsed(),
        t.elapsed() / done.max(1) as u32
    );
    let t = Instant::now();
    let (q, counts) = duplicates::queue(&store, &sup, None, 50, 0).await.unwrap();
    println!(
        "queue page: {:?} ({} shown, {} likely, {} possible)",
        t.elapsed(),
        q.len(),
        counts.likely,
        counts.possible
    );
}

mod cost {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore]
    async fn sqlite() {
        let (store, _) = homeward_store::testing::sqlite().await;
        super::cost_of_stored_candidates(store).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore]
    async fn postgres() {
        let (store, _) = homeward_store::testing::postgres().await;
        super::cost_of_stored_candidates(store.clone()).await;
        store.close().await;
    }
}
