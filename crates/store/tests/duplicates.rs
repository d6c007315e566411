//! Duplicate detection on SQLite and PostgreSQL (docs/adr/0029): the same
//! person registered twice (accents, Cyrillic and its transliteration,
//! swapped names, day and month swapped) is found at the right level, from
//! one person and across the database; family members and namesakes born
//! decades apart are not; keys follow updates; the backfill keys people
//! loaded without them, once.

use homeward_domain::duplicates::Level;
use homeward_domain::person::PersonInput;
use homeward_store::duplicates::{self, Subject};
use homeward_store::testing::user;
use homeward_store::{both_databases, cases, on_db, persons, Actor, Store};
use uuid::Uuid;

fn person(given: &str, family: &str, dob: Option<&str>, sex: &str) -> PersonInput {
    PersonInput {
        given_names: (!given.is_empty()).then(|| given.to_string()),
        family_name: (!family.is_empty()).then(|| family.to_string()),
        date_of_birth: dob.map(String::from),
        sex: Some(sex.into()),
        nationalities: vec!["HU".into()],
        ..Default::default()
    }
}

/// A case whose principal is `p`; returns the person's id.
async fn register(store: &Store, actor: &Actor, p: PersonInput) -> Uuid {
    let input = cases::CaseInput {
        principal: Some(p),
        country_of_return: Some("HU".into()),
        ..Default::default()
    };
    cases::create(store, actor, &input)
        .await
        .expect("case")
        .members[0]
        .person
        .id
}

struct People {
    agnes: Uuid,
    agnes_again: Uuid,
    agnes_no_date: Uuid,
    bence: Uuid,
    dmitry: Uuid,
    dmitry_cyrillic: Uuid,
    swapped: Uuid,
    juan: Uuid,
    juan_junior: Uuid,
}

async fn people(store: &Store, sup: &Actor) -> People {
    let r = |p| register(store, sup, p);
    let agnes = r(person("Ágnes", "Horváth", Some("1980-05-17"), "female")).await;
    let agnes_again = r(person("Agnes", "HORVATH", Some("1980-05-17"), "female")).await;
    let agnes_no_date = r(person("Agnes", "Horvath", None, "unknown")).await;
    let bence = r(person("Bence", "Horváth", Some("2015-01-01"), "male")).await;
    let dmitry = r(person("Dmitry", "Kuznetsov", Some("1985-03-04"), "male")).await;
    let dmitry_cyrillic = r(PersonInput {
        original_script_name: Some("Кузнецов Дмитрий".into()),
        ..person("", "", Some("1985-04-03"), "male")
    })
    .await;
    let swapped = r(person("Kuznetsov", "Dmitry", Some("1985-03-04"), "male")).await;
    let juan = r(person("Juan", "Garcia", Some("1950-02-02"), "male")).await;
    let juan_junior = r(person("Juan", "Garcia", Some("1982-07-09"), "male")).await;
    People {
        agnes,
        agnes_again,
        agnes_no_date,
        bence,
        dmitry,
        dmitry_cyrillic,
        swapped,
        juan,
        juan_junior,
    }
}

fn level_of(c: &[duplicates::Candidate], id: Uuid) -> Option<Level> {
    c.iter().find(|c| c.id == id).map(|c| c.level)
}

async fn finds_duplicates(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let p = people(&store, &sup).await;

    let c = duplicates::candidates_for(&store, Subject::Person(p.agnes))
        .await
        .unwrap();
    assert_eq!(level_of(&c, p.agnes_again), Some(Level::Likely), "{c:?}");
    assert_eq!(
        level_of(&c, p.agnes_no_date),
        Some(Level::Possible),
        "{c:?}"
    );
    assert_eq!(level_of(&c, p.bence), None, "{c:?}");
    assert_eq!(level_of(&c, p.agnes), None, "never their own candidate");

    let c = duplicates::candidates_for(&store, Subject::Person(p.dmitry))
        .await
        .unwrap();
    assert_eq!(
        level_of(&c, p.dmitry_cyrillic),
        Some(Level::Likely),
        "{c:?}"
    );
    assert_eq!(level_of(&c, p.swapped), Some(Level::Likely), "{c:?}");
    assert_eq!(c.len(), 2, "{c:?}");

    let c = duplicates::candidates_for(&store, Subject::Person(p.juan))
        .await
        .unwrap();
    assert!(c.is_empty(), "{c:?}");

    // Someone about to be registered.
    let new = person("Dmitrij", "Kouznetsov", Some("1985-03-04"), "male")
        .validate(chrono::Utc::now().date_naive())
        .unwrap();
    let c = duplicates::candidates_for(&store, Subject::Data(&new))
        .await
        .unwrap();
    assert_eq!(level_of(&c, p.dmitry), Some(Level::Likely), "{c:?}");

    // The whole database.
    let pairs = duplicates::all_pairs(&store, 0.0).await.unwrap();
    let key = |a: Uuid, b: Uuid| (a.min(b), a.max(b));
    let found: Vec<((Uuid, Uuid), Level)> = pairs.iter().map(|x| ((x.a, x.b), x.level)).collect();
    // Pairs that share several keys (name, name pair, year) come out once.
    let mut unique: Vec<(Uuid, Uuid)> = found.iter().map(|(k, _)| *k).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), found.len(), "{found:?}");
    assert!(pairs.iter().all(|x| x.a < x.b));
    for (a, b, level) in [
        (p.agnes, p.agnes_again, Level::Likely),
        (p.agnes, p.agnes_no_date, Level::Possible),
        (p.agnes_again, p.agnes_no_date, Level::Possible),
        (p.dmitry, p.dmitry_cyrillic, Level::Likely),
        (p.dmitry, p.swapped, Level::Likely),
        (p.swapped, p.dmitry_cyrillic, Level::Likely),
    ] {
        assert!(found.contains(&(key(a, b), level)), "{a} {b}: {found:?}");
    }
    assert_eq!(found.len(), 6, "{found:?}");
    assert!(pairs.iter().all(|x| x.a < x.b && x.a_external_id.is_none()));
    assert!(pairs.windows(2).all(|w| w[0].score >= w[1].score));
    let likely = duplicates::all_pairs(&store, duplicates_likely())
        .await
        .unwrap();
    assert_eq!(likely.len(), 4, "{likely:?}");
    let _ = p.juan_junior;
}

fn duplicates_likely() -> f64 {
    homeward_domain::duplicates::LIKELY
}

async fn keys_follow_updates(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let a = register(
        &store,
        &sup,
        person("Amina", "Yusuf", Some("1990-01-01"), "female"),
    )
    .await;
    let b = register(
        &store,
        &sup,
        person("Fatima", "Bello", Some("1990-01-01"), "female"),
    )
    .await;
    assert!(duplicates::candidates_for(&store, Subject::Person(a))
        .await
        .unwrap()
        .is_empty());
    let before = persons::get(&store, &sup, b).await.expect("in scope");
    persons::update(
        &store,
        &sup,
        b,
        before.version,
        &person("Amina", "Yusuf", Some("1990-01-10"), "female"),
    )
    .await
    .expect("update");
    let c = duplicates::candidates_for(&store, Subject::Person(a))
        .await
        .unwrap();
    assert_eq!(level_of(&c, b), Some(Level::Likely), "{c:?}");
}

async fn backfill_keys_everyone_once(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let p = people(&store, &sup).await;
    let before = duplicates::all_pairs(&store, 0.0).await.unwrap();
    assert_eq!(duplicates::backfill(&store).await.unwrap(), 0);
    // As after a bulk load that wrote no keys.
    on_db!(&store.db, c => sqlx::query("DELETE FROM person_match_keys").execute(c).await.map(|_| ()))
        .unwrap();
    assert!(duplicates::all_pairs(&store, 0.0).await.unwrap().is_empty());
    assert_eq!(duplicates::backfill(&store).await.unwrap(), 9);
    assert_eq!(duplicates::backfill(&store).await.unwrap(), 0);
    assert_eq!(duplicates::all_pairs(&store, 0.0).await.unwrap(), before);
    let c = duplicates::candidates_for(&store, Subject::Person(p.agnes))
        .await
        .unwrap();
    assert_eq!(level_of(&c, p.agnes_again), Some(Level::Likely));
}

/// A name shared by more than `COMMON_NAME` people is weak evidence: among
/// them a date one slip away is only `possible` and an unknown date no
/// candidate, from one person and across the database; a rare name keeps
/// its levels in the same database.
async fn common_names(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let create = |p: PersonInput| {
        let (store, sup) = (store.clone(), sup.clone());
        async move { persons::create(&store, &sup, &p).await.expect("person").id }
    };
    let juan = create(person("Juan", "García", Some("1985-03-04"), "male")).await;
    let slip = create(person("Juan", "Garcia", Some("1985-04-03"), "male")).await;
    let no_date = create(person("Juan", "Garcia", None, "male")).await;
    let same_day = create(person("JUAN", "GARCIA", Some("1985-03-04"), "male")).await;
    let agnes = create(person("Ágnes", "Horváth", Some("1980-05-17"), "female")).await;
    let agnes_slip = create(person("Agnes", "Horvath", Some("1980-07-17"), "female")).await;
    let agnes_no_date = create(person("Agnes", "Horvath", None, "female")).await;
    let levels = |store: Store, who: Uuid| async move {
        duplicates::candidates_for(&store, Subject::Person(who))
            .await
            .expect("candidates")
    };
    // Four Juan Garcías: a rare name still.
    let c = levels(store.clone(), juan).await;
    assert_eq!(level_of(&c, slip), Some(Level::Likely), "{c:?}");
    assert_eq!(level_of(&c, no_date), Some(Level::Possible), "{c:?}");
    // Now a common one: namesakes born in other years, as in a large
    // database.
    let common = homeward_domain::duplicates::COMMON_NAME;
    for i in 0..common {
        // Born 1930 to 1979, in January or June: far from 1985-03-04.
        let dob = format!("{}-{:02}-15", 1930 + i % 50, 1 + 5 * (i / 50 % 2));
        create(person("Juan", "García", Some(&dob), "male")).await;
    }
    let c = levels(store.clone(), juan).await;
    assert_eq!(level_of(&c, same_day), Some(Level::Likely), "{c:?}");
    assert_eq!(level_of(&c, slip), Some(Level::Possible), "{c:?}");
    assert_eq!(level_of(&c, no_date), None, "{c:?}");
    let c = levels(store.clone(), agnes).await;
    assert_eq!(level_of(&c, agnes_slip), Some(Level::Likely), "{c:?}");
    assert_eq!(level_of(&c, agnes_no_date), Some(Level::Possible), "{c:?}");
    let pairs = duplicates::all_pairs(&store, 0.0).await.expect("pairs");
    let level = |a: Uuid, b: Uuid| {
        pairs
            .iter()
            .find(|x| (x.a, x.b) == (a.min(b), a.max(b)))
            .map(|x| x.level)
    };
    assert_eq!(level(juan, same_day), Some(Level::Likely));
    assert_eq!(level(juan, slip), Some(Level::Possible));
    assert_eq!(level(juan, no_date), None);
    assert_eq!(level(agnes, agnes_slip), Some(Level::Likely));
    assert_eq!(level(agnes, agnes_no_date), Some(Level::Possible));
}

both_databases!(finds_duplicates_at_the_right_level, finds_duplicates);
both_databases!(keys_follow_person_updates, keys_follow_updates);
both_databases!(backfill_is_idempotent, backfill_keys_everyone_once);
both_databases!(a_common_name_weighs_less, common_names);
