//! Retention and subject access on SQLite and PostgreSQL (docs/adr/0026):
//! the dry run lists exactly who is due (dates on both sides of the limit),
//! the purge leaves no row about them in any table and no file, the
//! de-identified counts remain, the audit chain still verifies, open cases
//! are never touched; a person's export holds their data and nobody else's.

use chrono::NaiveDate;
use homeward_domain::person::PersonInput;
use homeward_store::testing::{self, user};
use homeward_store::{
    audit, both_databases, cases, consents, on_db, retention, subject_access, Actor, Error, Store,
};
use uuid::Uuid;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A case for one new person, referred by `cbsa`.
async fn case_for(
    store: &Store,
    cbsa: &Actor,
    programme: &str,
    given: &str,
    family: &str,
    passport: &str,
) -> (Uuid, Uuid) {
    let input = cases::CaseInput {
        programme: Some(programme.into()),
        principal: Some(PersonInput {
            given_names: Some(given.into()),
            family_name: Some(family.into()),
            phone: Some(format!("+1 416 555 {}", &passport[passport.len() - 4..])),
            passport_number: Some(passport.into()),
            ..Default::default()
        }),
        country_of_return: Some("HU".into()),
        ..Default::default()
    };
    let c = cases::create(store, cbsa, &input).await.expect("case");
    (c.summary.id, c.members[0].person.id)
}

/// Ends a case (`closed` or `withdrawn`) on a given day, as if it had.
async fn end(store: &Store, case_id: Uuid, status: &str, on: &str) {
    let at = format!("{on}T12:00:00Z")
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = $1 WHERE id = $2")
        .bind(status).bind(case_id).execute(p).await.map(|_| ()))
    .unwrap();
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO case_transitions (id, case_id, from_status, to_status, reason, actor_id, at) VALUES ($1, $2, 'referred', $3, 'x', NULL, $4)")
        .bind(Uuid::new_v4()).bind(case_id).bind(status).bind(at).execute(p).await.map(|_| ()))
    .unwrap();
}

/// Every (table, column, type) of the schema, type `uuid` or `text`.
async fn columns(store: &Store) -> Vec<(String, String, String)> {
    match &store.db {
        homeward_store::Db::Postgres(p) => sqlx::query_as::<_, (String, String, String)>(
            "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name NOT LIKE '\\_sqlx%'",
        )
        .fetch_all(p)
        .await
        .unwrap()
        .into_iter()
        .map(|(t, c, ty)| (t, c, ty.to_lowercase()))
        .collect(),
        homeward_store::Db::Sqlite(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
            )
            .fetch_all(p)
            .await
            .unwrap();
            let mut out = Vec::new();
            for t in tables {
                let cols: Vec<(String, String)> = sqlx::query_as(
                    "SELECT name, type FROM pragma_table_info($1)",
                )
                .bind(&t)
                .fetch_all(p)
                .await
                .unwrap();
                for (c, ty) in cols {
                    out.push((t.clone(), c, ty.to_lowercase()));
                }
            }
            out
        }
    }
}

/// Rows of any table, other than the audit trail, that hold one of `ids`
/// in a uuid column or as text; and rows of any table (the audit trail
/// included) whose text holds one of `words`.
async fn leftovers(store: &Store, ids: &[Uuid], words: &[&str]) -> Vec<String> {
    let mut found = Vec::new();
    for (table, col, ty) in columns(store).await {
        if ty == "uuid" && table != "audit_log" {
            for id in ids {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE {col} = $1");
                let n: i64 =
                    on_db!(&store.db, p => sqlx::query_scalar(&sql).bind(id).fetch_one(p).await)
                        .unwrap();
                if n > 0 {
                    found.push(format!("{table}.{col} = {id}"));
                }
            }
        }
        if ty == "text" || ty.starts_with("character") || ty == "jsonb" {
            let mut needles: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            if table != "audit_log" {
                needles.extend(ids.iter().map(|i| i.to_string()));
            }
            for w in needles {
                let sql = format!("SELECT COUNT(*) FROM {table} WHERE CAST({col} AS TEXT) LIKE $1");
                let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(&sql).bind(format!("%{w}%")).fetch_one(p).await)
                    .unwrap();
                if n > 0 {
                    found.push(format!("{table}.{col} holds {w}"));
                }
            }
        }
    }
    found
}

struct World {
    admin: Actor,
    counsellor: Actor,
    /// The Horváth family, withdrawn in 2015: due.
    family: (Uuid, Uuid, Uuid),
    /// Closed 2020-05-31, 5 years: due on 2025-06-01.
    due: (Uuid, Uuid),
    /// Closed 2020-06-01: kept until 2025-06-01 included.
    kept: (Uuid, Uuid),
    /// A case closed in 2010 and another still open.
    open: (Uuid, Uuid),
    /// A programme with no retention period.
    forever: (Uuid, Uuid),
}

const TODAY: &str = "2025-06-01";

async fn world(store: &Store) -> World {
    let cbsa = user(store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let counsellor = user(store, "c@iom.int", "counsellor", None).await;
    let admin = user(store, "admin@iom.int", "admin", None).await;
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO programmes (id, code, name, host_region, case_prefix, starts_on, currency, version, created_at, updated_at) \
         VALUES ($1, 'keep-2016', 'Kept', 'GTA', 'KEP', $2, 'CAD', 1, $3, $3)")
        .bind(Uuid::new_v4()).bind(d("2016-01-01")).bind(homeward_store::now()).execute(p).await.map(|_| ()))
    .unwrap();
    // CBSA refers to both programmes.
    let cbsa = testing::join_programme(store, &cbsa, "keep-2016").await;
    retention::set_years(store, &admin, "gta-2012", Some(5))
        .await
        .unwrap();
    let (fam, mother, son) = testing::eligible_family(store, &cbsa, &counsellor).await;
    // A departure job whose payload copies the family's names.
    let number: String =
        on_db!(&store.db, p => sqlx::query_scalar("SELECT case_number FROM cases WHERE id = $1")
        .bind(fam).fetch_one(p).await)
        .unwrap();
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO jobs (id, kind, payload, run_at, attempts, max_attempts, created_at) VALUES ($1, 'cbsa_webhook', $2, $3, 0, 5, $3)")
        .bind(Uuid::new_v4())
        .bind(serde_json::json!({"event": "departure.confirmed", "case_number": number, "travellers": [{"name": "Ágnes Horváth"}]}).to_string())
        .bind(homeward_store::now()).execute(p).await.map(|_| ()))
    .unwrap();
    end(store, fam, "withdrawn", "2015-01-10").await;
    let due = case_for(store, &cbsa, "gta-2012", "Dora", "Duepast", "HU1000001").await;
    end(store, due.0, "closed", "2020-05-31").await;
    let kept = case_for(store, &cbsa, "gta-2012", "Kata", "Keptday", "HU1000002").await;
    end(store, kept.0, "closed", "2020-06-01").await;
    consents::give(store, &counsellor, kept.0, "share_with_mission")
        .await
        .ok();
    let open = case_for(store, &cbsa, "gta-2012", "Olga", "Opencase", "HU1000003").await;
    end(store, open.0, "closed", "2010-01-01").await;
    let again = cases::create(
        store,
        &cbsa,
        &cases::CaseInput {
            principal_person_id: Some(open.1),
            country_of_return: Some("HU".into()),
            ..Default::default()
        },
    )
    .await
    .expect("second case");
    assert_ne!(again.summary.id, open.0);
    let forever = case_for(store, &cbsa, "keep-2016", "Fanni", "Forever", "HU1000004").await;
    end(store, forever.0, "closed", "2010-01-01").await;
    World {
        admin,
        counsellor,
        family: (fam, mother, son),
        due,
        kept,
        open,
        forever,
    }
}

async fn dry_run_lists_exactly_the_due(store: Store) {
    let w = world(&store).await;
    let plan = retention::plan(&store, d(TODAY)).await.unwrap();
    let mut persons: Vec<Uuid> = plan
        .households
        .iter()
        .flat_map(|h| h.persons.clone())
        .collect();
    persons.sort();
    let mut expected = vec![w.family.1, w.family.2, w.due.1];
    expected.sort();
    assert_eq!(persons, expected);
    assert_eq!(
        plan.lines,
        vec![retention::ProgrammeLine {
            programme: "gta-2012".into(),
            retention_years: 5,
            persons: 3,
            cases: 2,
            oldest_closure: d("2015-01-10"),
        }]
    );
    // A day earlier the one closed on 2020-05-31 is still kept.
    let earlier = retention::plan(&store, d("2025-05-31")).await.unwrap();
    assert_eq!(earlier.persons(), 2);
    // The dry run changes nothing.
    assert!(!leftovers(&store, &[w.due.1], &[]).await.is_empty());
    let _ = (&w.kept, &w.open, &w.forever, &w.counsellor);
}
both_databases!(dry_run, dry_run_lists_exactly_the_due);

async fn purge_deletes_everything_about_them(store: Store) {
    let w = world(&store).await;
    let keys: Vec<String> = on_db!(&store.db, p => sqlx::query_scalar("SELECT storage_key FROM attachments WHERE case_id = $1")
        .bind(w.family.0).fetch_all(p).await)
    .unwrap();
    assert!(!keys.is_empty());
    let files: Vec<_> = keys
        .iter()
        .map(|k| store.data_dir.join("attachments").join(k))
        .collect();
    assert!(files.iter().all(|f| f.exists()));
    let plan = retention::plan(&store, d(TODAY)).await.unwrap();
    // Only admins (or the system) may purge.
    assert!(matches!(
        retention::purge(&store, Some(&w.counsellor), &plan).await,
        Err(Error::Forbidden)
    ));
    let out = retention::purge(&store, Some(&w.admin), &plan)
        .await
        .unwrap();
    assert_eq!(
        (out.households, out.persons, out.cases, out.skipped),
        (2, 3, 2, 0)
    );
    assert_eq!(out.files_deleted, keys.len() as u64);
    assert!(files.iter().all(|f| !f.exists()), "attachment files remain");
    let ids = [w.family.0, w.family.1, w.family.2, w.due.0, w.due.1];
    let words = [
        "Horváth",
        "Ágnes",
        "Bence",
        "Duepast",
        "HU1234567",
        "HU1000001",
    ];
    let left = leftovers(&store, &ids, &words).await;
    assert!(left.is_empty(), "left behind: {left:?}");
    // The others are all still there.
    for keep in [w.kept.1, w.open.1, w.forever.1] {
        assert!(!leftovers(&store, &[keep], &[]).await.is_empty());
    }
    // De-identified counts remain.
    let counts = retention::purged_counts(&store).await.unwrap();
    assert_eq!(
        counts,
        vec![
            retention::PurgedCount {
                programme_code: "gta-2012".into(),
                closure_month: "2015-01".into(),
                persons: 2,
                cases: 1
            },
            retention::PurgedCount {
                programme_code: "gta-2012".into(),
                closure_month: "2020-05".into(),
                persons: 1,
                cases: 1
            },
        ]
    );
    // The trail records the purge by counts and rule only, and still verifies.
    let after: Vec<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'retention_purge' ORDER BY id")
        .fetch_all(p).await)
    .unwrap();
    assert_eq!(after.len(), 2);
    assert!(after
        .iter()
        .all(|a| a.contains("retention_years_after_closure")));
    assert!(
        after.iter().any(|a| a.contains("\"persons\":2")),
        "{after:?}"
    );
    audit::seal(&store).await.unwrap();
    let v = audit::verify(&store, None).await.unwrap();
    assert!(v.problem.is_none(), "{:?}", v.problem);
    // The same plan again finds nothing left to do.
    let again = retention::purge(&store, None, &plan).await.unwrap();
    assert_eq!((again.households, again.skipped), (0, 2));
    assert_eq!(
        retention::plan(&store, d(TODAY)).await.unwrap().persons(),
        0
    );
}
both_databases!(purge, purge_deletes_everything_about_them);

async fn a_case_reopened_after_the_plan_is_kept(store: Store) {
    let w = world(&store).await;
    let plan = retention::plan(&store, d(TODAY)).await.unwrap();
    // The due person's case is reopened between the dry run and the purge.
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'monitoring' WHERE id = $1")
        .bind(w.due.0).execute(p).await.map(|_| ()))
    .unwrap();
    let out = retention::purge(&store, None, &plan).await.unwrap();
    assert_eq!((out.households, out.skipped), (1, 1));
    assert!(!leftovers(&store, &[w.due.1], &[]).await.is_empty());
    assert!(!leftovers(&store, &[w.open.1], &[]).await.is_empty());
}
both_databases!(reopened, a_case_reopened_after_the_plan_is_kept);

async fn retention_setting_is_checked(store: Store) {
    let admin = user(&store, "admin@iom.int", "admin", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    assert!(matches!(
        retention::set_years(&store, &c, "gta-2012", Some(5)).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        retention::set_years(&store, &admin, "gta-2012", Some(-1)).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        retention::set_years(&store, &admin, "nope", Some(1)).await,
        Err(Error::NotFound)
    ));
    retention::set_years(&store, &admin, "gta-2012", Some(7))
        .await
        .unwrap();
    assert_eq!(
        retention::years_of(&store, "gta-2012").await.unwrap(),
        Some(7)
    );
    retention::set_years(&store, &admin, "gta-2012", None)
        .await
        .unwrap();
    assert_eq!(retention::years_of(&store, "gta-2012").await.unwrap(), None);
}
both_databases!(setting, retention_setting_is_checked);

async fn subject_access_export_holds_their_data_only(store: Store) {
    let w = world(&store).await;
    let mother = w.family.1;
    // Admins only; unknown people are not found.
    assert!(matches!(
        subject_access::export(&store, Some(&w.counsellor), mother).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        subject_access::export(&store, Some(&w.admin), Uuid::new_v4()).await,
        Err(Error::NotFound)
    ));
    // A counselling note, sealed at rest, is exported readable.
    homeward_store::counselling::add(
        &store,
        &w.counsellor,
        w.family.0,
        &homeward_store::counselling::SessionInput {
            held_on: Some("2014-05-02".into()),
            duration_minutes: Some(45),
            language: Some("hu".into()),
            topics: vec![],
            notes: Some("Wishes to open a bakery in Miskolc".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let stored: Option<String> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT notes FROM counselling_sessions WHERE case_id = $1")
        .bind(w.family.0).fetch_one(p).await)
    .unwrap();
    let sealed = stored.as_deref().is_some_and(|n| n.starts_with("hwenc:"));
    let doc = subject_access::export(&store, Some(&w.admin), mother)
        .await
        .unwrap();
    assert_eq!(
        doc["cases"][0]["counselling_sessions"][0]["notes"], "Wishes to open a bakery in Miskolc",
        "sealed at rest: {sealed}"
    );
    let text = doc.to_string();
    assert_eq!(doc["person"]["family_name"], "Horváth");
    assert_eq!(doc["person"]["given_names"], "Ágnes");
    let case = &doc["cases"][0];
    assert_eq!(case["case"]["id"], w.family.0.to_string());
    for section in [
        "status_history",
        "referral",
        "consents",
        "attachments",
        "travel_documents",
        "membership",
    ] {
        assert!(
            case[section].as_array().is_some_and(|a| !a.is_empty()),
            "{section} empty: {}",
            case[section]
        );
    }
    // Her own passport, not her son's; nobody else's data.
    assert!(text.contains("HU1234567"));
    for other in [
        "HU7654321",
        "Bence",
        "Duepast",
        "Keptday",
        "Opencase",
        "Forever",
    ] {
        assert!(!text.contains(other), "{other} in the export");
    }
    for other in [w.family.2, w.due.1, w.kept.1, w.open.1] {
        assert!(!text.contains(&other.to_string()), "{other} in the export");
    }
    assert!(doc["audit"].as_array().is_some_and(|a| !a.is_empty()));
    // The export is audited, without its content.
    let after: Vec<Option<String>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE action = 'subject_access_export' AND entity_id = $1")
        .bind(mother.to_string()).fetch_all(p).await)
    .unwrap();
    assert_eq!(after.len(), 1);
    assert!(!after[0].as_deref().unwrap_or("").contains("Horv"));
    // The person's records in the audit trail name fields, not values.
    let person_entries: Vec<Option<String>> = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT after_json FROM audit_log WHERE entity = 'person' AND entity_id = $1 AND action = 'create'")
        .bind(mother.to_string()).fetch_all(p).await)
    .unwrap();
    assert_eq!(person_entries.len(), 1);
    let e = person_entries[0].as_deref().unwrap_or("");
    assert!(e.contains("family_name") && !e.contains("Horv"), "{e}");
}
both_databases!(
    subject_access_export,
    subject_access_export_holds_their_data_only
);
