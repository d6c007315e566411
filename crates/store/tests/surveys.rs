//! RSS surveys on SQLite and PostgreSQL: scored and stored with the
//! questionnaire's version, bad answers refused with nothing written,
//! oldest first, and who may.

use chrono::{Duration, NaiveDate};
use homeward_domain::reintegration::ArrivalInput;
use homeward_domain::rss::{self, Questionnaire};
use homeward_store::testing::{self, user};
use homeward_store::{both_databases, cases, on_db, plans, surveys, Actor, Error, Store};
use std::collections::HashMap;
use uuid::Uuid;

fn today() -> NaiveDate {
    homeward_store::now().date_naive()
}

async fn exec(store: &Store, sql: &str, id: Uuid) {
    on_db!(&store.db, p => sqlx::query(sql).bind(id).execute(p).await.map(|_| ())).unwrap();
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

/// A family that arrived in Hungary 100 days ago (case reintegrating), and
/// the mission officer there.
async fn arrived(store: &Store, cbsa: &Actor, counsellor: &Actor, hu: &Actor) -> Uuid {
    let (id, _, _) = testing::eligible_family(store, cbsa, counsellor).await;
    exec(
        store,
        "UPDATE cases SET status = 'departed' WHERE id = $1",
        id,
    )
    .await;
    plans::confirm_arrival(
        store,
        hu,
        id,
        &ArrivalInput {
            arrived_on: Some(today()),
            place: Some("Budapest".into()),
        },
    )
    .await
    .expect("arrival");
    // Arrival is confirmed for today at the latest; move it back for dated surveys.
    on_db!(&store.db, p => sqlx::query("UPDATE arrivals SET arrived_on = $1 WHERE case_id = $2")
        .bind(today() - Duration::days(100)).bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    id
}

/// For each indicator, the option scoring `target` (1 best, 0 worst).
fn extreme(q: &Questionnaire, target: f64) -> HashMap<String, String> {
    q.indicators
        .iter()
        .map(|i| {
            let o = i.scale.iter().find(|o| o.score == Some(target)).unwrap();
            (i.id.clone(), o.value.clone())
        })
        .collect()
}

fn answers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The worked example of the domain's tests: 0.55, 0.875, 0.65, 9.5/14.
fn by_hand() -> HashMap<String, String> {
    answers(&[
        ("income_sufficiency", "sometimes"),
        ("employment", "occasional"),
        ("debt", "no_debt"),
        ("food_security", "rarely"),
        ("borrowing", "no"),
        ("housing", "adequate_stable"),
        ("healthcare", "sometimes"),
        ("children_education", "no_children"),
        ("documentation", "all"),
        ("drinking_water", "always"),
        ("belonging", "partly"),
        ("discrimination", "never"),
        ("safety", "safe"),
        ("distress", "often"),
        ("stay_or_leave", " unsure "),
    ])
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

async fn scored_and_stored(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let sup = user(&store, "sup@iom.int", "supervisor", None).await;
    let id = arrived(&store, &cbsa, &c, &hu).await;
    let q = surveys::questionnaire(&store).clone();
    assert_eq!(q.key(), "homeward-rss-default@1");

    // Scored by the questionnaire, stored with its key and the answers (trimmed).
    let s = surveys::record(
        &store,
        &hu,
        id,
        Some(today() - Duration::days(10)),
        &by_hand(),
    )
    .await
    .unwrap();
    assert_eq!(s.case_id, id);
    assert_eq!(s.questionnaire, "homeward-rss-default@1");
    assert!(close(s.economic, 0.55), "{s:?}");
    assert!(close(s.social, 0.875), "{s:?}");
    assert!(close(s.psychosocial, 0.65), "{s:?}");
    assert!(close(s.composite, 9.5 / 14.0), "{s:?}");
    assert_eq!(s.answers.len(), 15);
    assert_eq!(s.answers["stay_or_leave"], "unsure");
    assert_eq!(s.answers["children_education"], "no_children");
    assert_eq!(s.recorded_by_name.as_deref(), Some("hu@iom.int"));
    assert_eq!(s.surveyed_on, today() - Duration::days(10));

    // Without a date: today. An earlier survey recorded later still lists first.
    let best = surveys::record(&store, &hu, id, None, &extreme(&q, 1.0))
        .await
        .unwrap();
    assert_eq!(best.surveyed_on, today());
    assert!([
        best.economic,
        best.social,
        best.psychosocial,
        best.composite
    ]
    .iter()
    .all(|x| close(*x, 1.0)));
    let worst = surveys::record(
        &store,
        &hu,
        id,
        Some(today() - Duration::days(100)),
        &extreme(&q, 0.0),
    )
    .await
    .unwrap();
    assert!(close(worst.composite, 0.0));
    let all = surveys::list(&store, &sup, id).await.unwrap();
    assert_eq!(
        all.iter().map(|s| s.id).collect::<Vec<_>>(),
        [worst.id, s.id, best.id]
    );
    assert_eq!(all[1].answers, s.answers);
    assert!(close(all[1].composite, s.composite));

    // A new questionnaire version scores new surveys; old ones keep theirs.
    let mut v2 = q.clone();
    v2.version = 2;
    v2.composite = rss::Composite::MeanOfDimensions;
    let mut store2 = store.clone();
    store2.set_questionnaire(v2);
    let s2 = surveys::record(&store2, &hu, id, None, &by_hand())
        .await
        .unwrap();
    assert_eq!(s2.questionnaire, "homeward-rss-default@2");
    assert!(close(s2.composite, (0.55 + 0.875 + 0.65) / 3.0), "{s2:?}");
    let all = surveys::list(&store2, &hu, id).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[1].questionnaire, "homeward-rss-default@1");
    assert!(close(all[1].composite, 9.5 / 14.0));
}
both_databases!(scores, scored_and_stored);

async fn bad_answers(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let id = arrived(&store, &cbsa, &c, &hu).await;
    let (surveys_before, audit_before) = (
        count(&store, "rss_surveys").await,
        count(&store, "audit_log").await,
    );
    let mut a = by_hand();
    a.remove("debt");
    a.insert("housing".into(), "castle".into());
    a.insert("favourite_colour".into(), "blue".into());
    let Err(Error::Invalid(inv)) =
        surveys::record(&store, &hu, id, Some(today() + Duration::days(1)), &a).await
    else {
        panic!("bad answers accepted")
    };
    assert_eq!(inv.for_field("debt"), Some("rss-answer-missing"));
    assert_eq!(inv.for_field("housing"), Some("rss-unknown-answer"));
    assert_eq!(
        inv.for_field("favourite_colour"),
        Some("rss-unknown-indicator")
    );
    assert_eq!(inv.for_field("surveyed_on"), Some("in-the-future"));
    let Err(Error::Invalid(inv)) = surveys::record(
        &store,
        &hu,
        id,
        Some(today() - Duration::days(101)),
        &by_hand(),
    )
    .await
    else {
        panic!("a survey before arrival accepted")
    };
    assert_eq!(inv.for_field("surveyed_on"), Some("date-before-arrival"));
    assert!(surveys::record(&store, &hu, id, None, &HashMap::new())
        .await
        .is_err());
    assert_eq!(count(&store, "rss_surveys").await, surveys_before);
    assert_eq!(count(&store, "audit_log").await, audit_before);
    // Not on a closed case, nor before arrival.
    exec(
        &store,
        "UPDATE cases SET status = 'closed' WHERE id = $1",
        id,
    )
    .await;
    let Err(Error::Invalid(inv)) = surveys::record(&store, &hu, id, None, &by_hand()).await else {
        panic!("recorded on a closed case")
    };
    assert_eq!(inv.for_field("case"), Some("case-not-in-reintegration"));
    let (other, _, _) = testing::eligible_family(&store, &cbsa, &c).await;
    cases::transition(&store, &c, other, "preparing_departure", None, None)
        .await
        .unwrap();
    let Err(Error::Invalid(inv)) = surveys::record(&store, &hu, other, None, &by_hand()).await
    else {
        panic!("recorded before departure")
    };
    assert_eq!(inv.for_field("case"), Some("case-not-in-reintegration"));
    assert_eq!(count(&store, "rss_surveys").await, surveys_before);
}
both_databases!(refused_answers, bad_answers);

async fn who_may(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let mx = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    let sup = user(&store, "sup@iom.int", "supervisor", None).await;
    let fin = user(&store, "fin@iom.int", "finance", None).await;
    let admin = user(&store, "admin@iom.int", "admin", None).await;
    let analyst = user(&store, "an@iom.int", "analyst", None).await;
    let id = arrived(&store, &cbsa, &c, &hu).await;
    surveys::record(&store, &hu, id, None, &by_hand())
        .await
        .unwrap();
    assert_eq!(surveys::list(&store, &sup, id).await.unwrap().len(), 1);
    for a in [&fin, &cbsa, &c, &admin, &analyst] {
        assert!(matches!(
            surveys::list(&store, a, id).await,
            Err(Error::Forbidden)
        ));
    }
    for a in [&fin, &cbsa, &c, &sup, &admin, &analyst] {
        assert!(matches!(
            surveys::record(&store, a, id, None, &by_hand()).await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        surveys::list(&store, &mx, id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        surveys::record(&store, &mx, id, None, &by_hand()).await,
        Err(Error::NotFound)
    ));
    assert_eq!(count(&store, "rss_surveys").await, 1);
}
both_databases!(roles, who_may);

#[test]
fn questionnaire_files_are_checked() {
    let dir = std::env::temp_dir().join(format!("homeward-rss-{}", Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.json");
    let q = rss::default_questionnaire().unwrap();
    std::fs::write(&good, serde_json::to_string(&q).unwrap()).unwrap();
    assert_eq!(surveys::load_questionnaire(&good).unwrap(), q);
    let bad = dir.join("bad.json");
    std::fs::write(&bad, "{\"id\": \"x\"}").unwrap();
    let Err(Error::Invalid(inv)) = surveys::load_questionnaire(&bad) else {
        panic!("a bad file was accepted")
    };
    assert_eq!(
        inv.for_field("questionnaire"),
        Some("rss-questionnaire-unreadable")
    );
    assert!(matches!(
        surveys::load_questionnaire(&dir.join("missing.json")),
        Err(Error::Io(_))
    ));
    let _ = std::fs::remove_dir_all(&dir);
}
