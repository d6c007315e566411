//! The search box on SQLite and PostgreSQL (docs/adr/0031): names in any
//! script with accents and case ignored, identifiers and phone numbers
//! whatever their separators, case numbers; only within the actor's record
//! scope; roles without access to persons refused; terms follow edits,
//! deletions and the backfill; hostile input harmless.

use homeward_domain::person::PersonInput;
use homeward_domain::search::Query;
use homeward_store::search::{self, Results};
use homeward_store::testing::user;
use homeward_store::{both_databases, cases, on_db, persons, Actor, Error, Store};
use uuid::Uuid;

fn named(given: &str, family: &str) -> PersonInput {
    PersonInput {
        given_names: (!given.is_empty()).then(|| given.to_string()),
        family_name: (!family.is_empty()).then(|| family.to_string()),
        sex: Some("unknown".into()),
        ..Default::default()
    }
}

/// A case returning to `country` whose principal is `p`: (case id, case
/// number, person id).
async fn register(
    store: &Store,
    actor: &Actor,
    p: PersonInput,
    country: &str,
) -> (Uuid, String, Uuid) {
    let input = cases::CaseInput {
        principal: Some(p),
        country_of_return: Some(country.into()),
        ..Default::default()
    };
    let c = cases::create(store, actor, &input).await.expect("case");
    let (id, person) = (c.summary.id, c.members[0].person.id);
    // The mission of the country has a part in it.
    homeward_store::testing::give_mission_its_part(store, id).await;
    (id, c.summary.case_number, person)
}

async fn find(store: &Store, actor: &Actor, q: &str) -> Results {
    search::search(store, actor, &Query::parse(q).expect("query"), 20)
        .await
        .expect("search")
}

async fn person_ids(store: &Store, actor: &Actor, q: &str) -> Vec<Uuid> {
    find(store, actor, q)
        .await
        .persons
        .into_iter()
        .map(|p| p.id)
        .collect()
}

struct People {
    agnes: Uuid,
    dmitry: Uuid,
    olga: Uuid,
    juan: Uuid,
    juan_case: Uuid,
    juan_number: String,
}

async fn people(store: &Store, sup: &Actor) -> People {
    let (_, _, agnes) = register(store, sup, named("Ágnes", "Horváth-Kiss"), "HU").await;
    let (_, _, dmitry) = register(
        store,
        sup,
        PersonInput {
            original_script_name: Some("Дмитрий Иванов".into()),
            ..named("", "")
        },
        "RU",
    )
    .await;
    let (_, _, olga) = register(store, sup, named("Olga", "Ivanova"), "RU").await;
    let (juan_case, juan_number, juan) = register(
        store,
        sup,
        PersonInput {
            uci: Some("1234-5678".into()),
            passport_number: Some("AB 987654".into()),
            phone: Some("+1 (416) 555-0199".into()),
            ..named("Juan", "García López")
        },
        "MX",
    )
    .await;
    People {
        agnes,
        dmitry,
        olga,
        juan,
        juan_case,
        juan_number,
    }
}

async fn names_in_any_script(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let p = people(&store, &sup).await;
    for q in ["agnes", "AGN", "horvath", "Horváth-K", "kiss", "horv agn"] {
        assert_eq!(person_ids(&store, &sup, q).await, vec![p.agnes], "{q}");
    }
    // Cyrillic typed finds the Latin spelling and the other way round.
    let mut both = vec![p.dmitry, p.olga];
    both.sort();
    for q in ["Иван", "ivanov", "IVANO"] {
        let mut found = person_ids(&store, &sup, q).await;
        found.sort();
        assert_eq!(found, both, "{q}");
    }
    assert_eq!(person_ids(&store, &sup, "Дмитрий").await, vec![p.dmitry]);
    assert_eq!(person_ids(&store, &sup, "dmitr iv").await, vec![p.dmitry]);
    assert_eq!(person_ids(&store, &sup, "garcia").await, vec![p.juan]);
    assert!(person_ids(&store, &sup, "petrov").await.is_empty());
    assert!(person_ids(&store, &sup, "agnes ivanova").await.is_empty());
    // The match is marked in the shown name.
    let hit = &find(&store, &sup, "horv").await.persons[0];
    let marked: Vec<(&str, bool)> = hit
        .name_segments
        .iter()
        .map(|s| (s.text.as_str(), s.matched))
        .collect();
    assert!(marked.contains(&("Horv", true)), "{marked:?}");
    let hit = &find(&store, &sup, "ivan").await.persons;
    let dmitry = hit.iter().find(|h| h.id == p.dmitry).expect("dmitry");
    assert!(dmitry
        .name_segments
        .iter()
        .any(|s| s.matched && s.text == "Иван"));
}

async fn numbers(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let p = people(&store, &sup).await;
    for q in [
        "1234-5678",
        "12345678",
        "1234 5",
        "ab987654",
        "AB-9876",
        "+1 416 555 0199",
        "(416) 555-0199",
        "4165550199",
        "555 0199",
    ] {
        assert_eq!(person_ids(&store, &sup, q).await, vec![p.juan], "{q}");
    }
    let hit = &find(&store, &sup, "ab 9876").await.persons[0];
    let m = hit.matched.as_ref().expect("matched field");
    assert_eq!(m.field, "passport_number");
    assert!(m.segments.iter().any(|s| s.matched && s.text == "AB 9876"));
    assert_eq!(
        hit.cases
            .iter()
            .map(|c| c.case_number.as_str())
            .collect::<Vec<_>>(),
        vec![p.juan_number.as_str()]
    );
    // Case numbers: whole, any case, without dashes, by sequence.
    let seq = p
        .juan_number
        .rsplit('-')
        .next()
        .expect("sequence")
        .to_string();
    let short = seq.trim_start_matches('0').to_string();
    for q in [
        p.juan_number.clone(),
        p.juan_number.to_lowercase(),
        p.juan_number.replace('-', ""),
        p.juan_number[..p.juan_number.len() - 2].to_string(),
        seq.clone(),
        short,
    ] {
        let r = find(&store, &sup, &q).await;
        assert!(r.cases.iter().any(|c| c.id == p.juan_case), "{q}: {r:?}");
    }
    let r = find(&store, &sup, &p.juan_number).await;
    assert_eq!(r.cases.len(), 1);
    assert!(r.cases[0]
        .number_segments
        .iter()
        .all(|s| s.matched && s.text == p.juan_number));
    // Names do not list cases.
    assert!(find(&store, &sup, "juan").await.cases.is_empty());
}

async fn scope(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    let hu = user(&store, "hu@example.org", "mission_officer", Some("HU")).await;
    let counsellor = user(&store, "c@example.org", "counsellor", None).await;
    let p = people(&store, &sup).await;
    assert!(person_ids(&store, &mx, "agnes").await.is_empty());
    assert!(person_ids(&store, &mx, "horvath").await.is_empty());
    assert_eq!(person_ids(&store, &mx, "juan").await, vec![p.juan]);
    assert_eq!(person_ids(&store, &hu, "agnes").await, vec![p.agnes]);
    assert!(person_ids(&store, &hu, "juan").await.is_empty());
    assert!(find(&store, &hu, &p.juan_number).await.cases.is_empty());
    assert_eq!(find(&store, &mx, &p.juan_number).await.cases.len(), 1);
    // A counsellor: their own cases (and the intake queue of untaken
    // referrals), never another country's mission officer's.
    let (_, _, own) = register(&store, &counsellor, named("Zoltán", "Juhász"), "HU").await;
    assert_eq!(person_ids(&store, &counsellor, "zolt").await, vec![own]);
    assert!(person_ids(&store, &sup, "zolt").await.contains(&own));
    assert!(person_ids(&store, &mx, "zolt").await.is_empty());
}

/// The case list's free text reads the same terms: names in any script,
/// identifiers, number digits, within scope, counted right.
async fn case_list(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    let p = people(&store, &sup).await;
    let list = |actor: Actor, q: &str| {
        let store = store.clone();
        let q = q.to_string();
        async move {
            let f = cases::CaseFilter {
                q: Some(q),
                page: 1,
                per_page: 50,
                ..Default::default()
            };
            let (rows, total) = cases::list(&store, &actor, &f).await.expect("list");
            assert_eq!(rows.len() as i64, total);
            rows.into_iter().map(|r| r.id).collect::<Vec<Uuid>>()
        }
    };
    let seq = p
        .juan_number
        .rsplit('-')
        .next()
        .expect("sequence")
        .to_string();
    for q in [
        "garcía",
        "GARC lop",
        "juan garc",
        "1234-5678",
        "ab987654",
        seq.as_str(),
        p.juan_number.as_str(),
    ] {
        assert_eq!(list(sup.clone(), q).await, vec![p.juan_case], "{q}");
    }
    // Typed in Cyrillic: Дмитрий Иванов's case and Olga Ivanova's.
    assert_eq!(list(sup.clone(), "Иванов").await.len(), 2);
    assert_eq!(list(sup.clone(), "dmitr").await.len(), 1);
    assert_eq!(list(sup.clone(), "horv").await.len(), 1);
    // Only the words run together begin a term ("horvath").
    assert_eq!(list(sup.clone(), "horv ath").await.len(), 1);
    assert!(list(sup.clone(), "petrov").await.is_empty());
    assert!(list(sup.clone(), "%").await.is_empty());
    assert!(list(sup.clone(), &"x".repeat(500)).await.is_empty());
    assert!(list(mx.clone(), "horv").await.is_empty(), "out of scope");
    assert_eq!(list(mx, "garcia").await, vec![p.juan_case]);
}

/// A common word (more people than `common_word.people`) is matched case by
/// case in the list's order: the same cases in the same order as the set of
/// matches, and past the count cap the total says "at least".
async fn case_list_common(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    let p = people(&store, &sup).await;
    let seq = p
        .juan_number
        .rsplit('-')
        .next()
        .expect("sequence")
        .to_string();
    let page = |store: Store, actor: Actor, q: String, sort: &'static str| async move {
        let f = cases::CaseFilter {
            q: Some(q),
            sort: Some(sort.into()),
            page: 1,
            per_page: 50,
            ..Default::default()
        };
        let l = cases::list_page(&store, &actor, &f).await.expect("list");
        (
            l.rows.into_iter().map(|r| r.id).collect::<Vec<Uuid>>(),
            l.total,
            l.total_is_lower_bound,
        )
    };
    let mut common = store.clone();
    common.common_word = homeward_store::CommonWord {
        people: 0,
        count_cap: 1,
    };
    for q in [
        "garcía",
        "GARC lop",
        "horv ath",
        "juan garc",
        "1234-5678",
        "ab987654",
        &seq,
        "Иванов",
        "ivanov",
        "horv",
        "i",
        "petrov",
        "%",
    ] {
        for sort in ["name", "updated_at", "case_number"] {
            for actor in [&sup, &mx] {
                let exact = page(store.clone(), actor.clone(), q.to_string(), sort).await;
                assert!(!exact.2, "{q}: exact count");
                assert_eq!(exact.0.len() as i64, exact.1, "{q}");
                let each = page(common.clone(), actor.clone(), q.to_string(), sort).await;
                assert_eq!(
                    each.0, exact.0,
                    "{q} sorted by {sort}: same cases, same order"
                );
                if sort == "name" {
                    // Sorted by name, a common word keeps the exact count.
                    assert_eq!((each.1, each.2), (exact.1, false), "{q}");
                    continue;
                }
                assert_eq!(each.1, exact.1.min(1), "{q}: counted up to the cap");
                assert_eq!(each.2, exact.1 > 1, "{q}: lower bound past the cap");
            }
        }
    }
    let ivanov = page(common.clone(), sup.clone(), "Иванов".into(), "updated_at").await;
    assert_eq!((ivanov.0.len(), ivanov.1, ivanov.2), (2, 1, true));
    // Typed as two words, a name written as one ("Anamaria") is found and
    // counted as the list finds it: by the words run together.
    register(&store, &sup, named("Ana Maria", "Szabo"), "HU").await;
    register(&store, &sup, named("Anamaria", "Szabo"), "HU").await;
    let mut counted = store.clone();
    counted.common_word = homeward_store::CommonWord {
        people: 0,
        count_cap: 100,
    };
    let exact = page(store.clone(), sup.clone(), "ana maria".into(), "updated_at").await;
    assert_eq!((exact.0.len(), exact.1), (2, 2));
    let each = page(counted, sup.clone(), "ana maria".into(), "updated_at").await;
    assert_eq!(each, exact, "same cases, same exact total");
    let out_of_scope = page(common, mx, "horv".into(), "updated_at").await;
    assert!(out_of_scope.0.is_empty() && !out_of_scope.2);
}

async fn roles_refused(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    people(&store, &sup).await;
    for role in ["finance", "analyst", "admin", "auditor"] {
        let a = user(&store, &format!("{role}@example.org"), role, None).await;
        let r = search::search(&store, &a, &Query::parse("juan").expect("query"), 20).await;
        assert!(matches!(r, Err(Error::Forbidden)), "{role}: {r:?}");
    }
}

async fn terms_follow_changes(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let p = people(&store, &sup).await;
    let before = persons::get(&store, &sup, p.olga).await.expect("olga");
    let mut input = named("Olga", "Petrova");
    input.sex = Some(before.sex.clone());
    persons::update(&store, &sup, p.olga, before.version, &input)
        .await
        .expect("update");
    assert_eq!(person_ids(&store, &sup, "petrova").await, vec![p.olga]);
    assert_eq!(person_ids(&store, &sup, "ivanov").await, vec![p.dmitry]);
    // A person deleted (as by the retention purge) leaves no terms.
    let loose = persons::create(&store, &sup, &named("Loose", "Person"))
        .await
        .expect("person");
    assert_eq!(person_ids(&store, &sup, "loose").await, vec![loose.id]);
    on_db!(&store.db, c => sqlx::query("DELETE FROM persons WHERE id = $1").bind(loose.id).execute(c).await.map(|_| ()))
        .expect("delete");
    let left: i64 = on_db!(&store.db, c => sqlx::query_scalar("SELECT COUNT(*) FROM person_search_terms WHERE person_id = $1")
        .bind(loose.id).fetch_one(c).await)
    .expect("count");
    assert_eq!(left, 0);
    assert!(person_ids(&store, &sup, "loose").await.is_empty());
    // A person merged into another record is no longer found.
    on_db!(&store.db, c => sqlx::query("UPDATE persons SET merged_into = $1 WHERE id = $2").bind(p.dmitry).bind(p.olga).execute(c).await.map(|_| ()))
        .expect("merge");
    assert!(person_ids(&store, &sup, "petrova").await.is_empty());
}

async fn backfill_once(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let p = people(&store, &sup).await;
    assert_eq!(search::backfill(&store).await.expect("backfill"), 0);
    // As after a bulk load that wrote no terms.
    on_db!(&store.db, c => sqlx::query("DELETE FROM person_search_terms").execute(c).await.map(|_| ()))
        .expect("delete");
    assert!(person_ids(&store, &sup, "agnes").await.is_empty());
    assert_eq!(search::backfill(&store).await.expect("backfill"), 4);
    assert_eq!(search::backfill(&store).await.expect("backfill"), 0);
    assert_eq!(person_ids(&store, &sup, "agnes").await, vec![p.agnes]);
    assert_eq!(person_ids(&store, &sup, "4165550199").await, vec![p.juan]);
}

async fn hostile_input(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    people(&store, &sup).await;
    for q in [
        "",
        "   ",
        "%",
        "_",
        "%%a",
        "'",
        "\"; DROP TABLE persons; --",
        "\\",
        "a_n",
        "😀",
        "\u{10FFFF}",
    ] {
        let r = find(&store, &sup, q).await;
        assert!(r.persons.len() <= 20, "{q}");
    }
    assert_eq!(find(&store, &sup, "").await, Results::default());
    assert_eq!(find(&store, &sup, "%").await, Results::default());
    assert!(Query::parse(&"x".repeat(201)).is_err());
    // The limit holds however many match.
    for i in 0..5 {
        register(&store, &sup, named("Maria", &format!("Test{i}")), "MX").await;
    }
    let r = search::persons(&store, &sup, &Query::parse("maria").expect("q"), 3)
        .await
        .expect("search");
    assert_eq!(r.len(), 3);
}

/// Every (country, term, person) that `person_country_terms` should hold:
/// the person's terms (markers aside) for each country they are on a case
/// returning to.
async fn country_terms_expected(store: &Store) -> Vec<(String, String, Uuid)> {
    on_db!(&store.db, c => sqlx::query_as::<_, (String, String, Uuid)>(
        "SELECT DISTINCT c.country_of_return, t.term, t.person_id FROM person_search_terms t \
         JOIN case_members m ON m.person_id = t.person_id JOIN cases c ON c.id = m.case_id \
         WHERE c.country_of_return IS NOT NULL AND t.term NOT LIKE '~%' \
         ORDER BY 1, 2, 3").fetch_all(c).await)
    .expect("expected")
}

async fn country_terms_held(store: &Store) -> Vec<(String, String, Uuid)> {
    on_db!(&store.db, c => sqlx::query_as::<_, (String, String, Uuid)>(
        "SELECT country, term, person_id FROM person_country_terms ORDER BY 1, 2, 3").fetch_all(c).await)
    .expect("held")
}

async fn assert_country_terms(store: &Store, step: &str) {
    let held = country_terms_held(store).await;
    assert!(!held.is_empty(), "{step}: some rows");
    assert_eq!(held, country_terms_expected(store).await, "{step}");
}

/// The mission officer's copy of the terms follows every change that moves
/// a person in or out of a country: a new case, a member added, the case's
/// country changed, a name edited, a merge and its undo, a purge.
async fn country_terms_follow(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    let hu = user(&store, "hu@example.org", "mission_officer", Some("HU")).await;
    let p = people(&store, &sup).await;
    assert_country_terms(&store, "cases created").await;
    // A family member added to the Mexican case.
    let detail = cases::add_member(
        &store,
        &sup,
        p.juan_case,
        "child",
        &named("Lupita", "García"),
    )
    .await
    .expect("member");
    assert_country_terms(&store, "member added").await;
    assert_eq!(person_ids(&store, &mx, "lupita").await.len(), 1);
    // The case now returns to Hungary: its people move with it.
    let u = cases::CaseUpdate {
        version: detail.summary.version,
        country_of_return: Some(Some("HU".into())),
        ..Default::default()
    };
    cases::update(&store, &sup, p.juan_case, &u)
        .await
        .expect("update");
    assert_country_terms(&store, "country changed").await;
    assert!(person_ids(&store, &mx, "lupita").await.is_empty());
    assert!(person_ids(&store, &mx, "juan").await.is_empty());
    assert_eq!(person_ids(&store, &hu, "juan").await, vec![p.juan]);
    // A name edited.
    let before = persons::get(&store, &sup, p.agnes).await.expect("agnes");
    let mut input = named("Ágota", "Horváth");
    input.sex = Some(before.sex.clone());
    persons::update(&store, &sup, p.agnes, before.version, &input)
        .await
        .expect("edit");
    assert_country_terms(&store, "name edited").await;
    assert!(person_ids(&store, &hu, "agnes").await.is_empty());
    assert_eq!(person_ids(&store, &hu, "agota").await, vec![p.agnes]);
    // Olga (Russia) merged into Ágota (Hungary): Olga's case moves to the
    // kept person, who is then on cases for both countries; the undo puts
    // it back.
    let ru = user(&store, "ru@example.org", "mission_officer", Some("RU")).await;
    let kept = persons::get(&store, &sup, p.agnes).await.expect("kept");
    let merged = persons::get(&store, &sup, p.olga).await.expect("merged");
    let m = homeward_store::merges::merge(
        &store,
        &sup,
        &homeward_store::merges::MergeInput {
            kept: kept.id,
            kept_version: kept.version,
            merged: merged.id,
            merged_version: merged.version,
        },
    )
    .await
    .expect("merge");
    assert_country_terms(&store, "merged").await;
    assert_eq!(person_ids(&store, &ru, "agota").await, vec![p.agnes]);
    assert!(person_ids(&store, &ru, "olga").await.is_empty());
    homeward_store::merges::undo(&store, &sup, m.id)
        .await
        .expect("undo");
    assert_country_terms(&store, "merge undone").await;
    assert!(person_ids(&store, &ru, "agota").await.is_empty());
    assert_eq!(person_ids(&store, &ru, "olga").await, vec![p.olga]);
    // Purged: the membership and the person go, and their copies with them.
    on_db!(&store.db, c => sqlx::query("DELETE FROM case_members WHERE person_id = $1").bind(p.dmitry).execute(c).await.map(|_| ()))
        .expect("members");
    assert_country_terms(&store, "membership deleted").await;
    assert!(person_ids(&store, &ru, "dmitr").await.is_empty());
    on_db!(&store.db, c => sqlx::query("DELETE FROM cases WHERE principal_person_id = $1").bind(p.dmitry).execute(c).await.map(|_| ()))
        .expect("case");
    on_db!(&store.db, c => sqlx::query("DELETE FROM persons WHERE id = $1").bind(p.dmitry).execute(c).await.map(|_| ()))
        .expect("person");
    assert_country_terms(&store, "person deleted").await;
}

/// A mission officer finds the one person of their country whose name
/// begins like many people's of other countries: the candidates are read
/// from their country's terms, not cut off among the others'.
async fn mission_officer_past_the_cap(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    // Terms "garca".."garce" sort before "garcia".
    for family in ["Garca", "Garcb", "Garcc", "Garcd", "Garce"] {
        register(&store, &sup, named("Ana", family), "HU").await;
    }
    let (_, _, juan) = register(&store, &sup, named("Juan", "García"), "MX").await;
    let mut capped = store.clone();
    capped.search_scan_cap = 3;
    let r = search::persons_more(&capped, &mx, &Query::parse("garc").expect("q"), 20)
        .await
        .expect("search");
    assert_eq!(
        r.0.into_iter().map(|h| h.id).collect::<Vec<_>>(),
        vec![juan]
    );
    assert!(!r.1, "every Mexican match was checked");
    // The supervisor's scope is every case: past the cap, "type more".
    let r = search::persons_more(&capped, &sup, &Query::parse("garc").expect("q"), 20)
        .await
        .expect("search");
    assert_eq!(r.0.len(), 3);
    assert!(r.1, "more than the cap");
}

/// The persons API's `q` finds what the search box finds, within scope, and
/// pages and counts it.
async fn person_list(store: Store) {
    let sup = user(&store, "sup@example.org", "supervisor", None).await;
    let mx = user(&store, "mx@example.org", "mission_officer", Some("MX")).await;
    let p = people(&store, &sup).await;
    let ids = |store: Store, actor: Actor, q: &'static str| async move {
        let l = persons::search(&store, &actor, Some(q), 10, 0)
            .await
            .expect("list");
        assert_eq!(
            (l.items.len() as i64, false),
            (l.total, l.total_is_lower_bound),
            "{q}"
        );
        l.items.into_iter().map(|r| r.id).collect::<Vec<Uuid>>()
    };
    for q in [
        "garcía",
        "GARC lop",
        "1234-5678",
        "ab987654",
        "+1 416 555 0199",
    ] {
        assert_eq!(
            ids(store.clone(), sup.clone(), q).await,
            vec![p.juan],
            "{q}"
        );
    }
    let mut both = vec![p.dmitry, p.olga];
    both.sort();
    let mut found = ids(store.clone(), sup.clone(), "Иван").await;
    found.sort();
    assert_eq!(found, both);
    for q in ["petrov", "%", "_", "' OR 1=1 --"] {
        assert!(ids(store.clone(), sup.clone(), q).await.is_empty(), "{q}");
    }
    let long: &'static str = Box::leak("x".repeat(500).into_boxed_str());
    assert!(ids(store.clone(), sup.clone(), long).await.is_empty());
    assert!(
        ids(store.clone(), mx.clone(), "horvath").await.is_empty(),
        "out of scope"
    );
    // Paged: two people match, a page of one holds the second.
    let page = persons::search(&store, &sup, Some("ivanov"), 1, 1)
        .await
        .expect("page");
    assert_eq!(page.total, 2);
    assert_eq!(page.items.len(), 1);
    // Without a query, everyone in scope, by name.
    let all = persons::search(&store, &sup, None, 50, 0)
        .await
        .expect("all");
    assert_eq!(
        (all.total, all.items.len(), all.total_is_lower_bound),
        (4, 4, false)
    );
    // Past the count cap, the total says "at least"; the page is whole.
    let mut capped = store.clone();
    capped.person_count_cap = 2;
    let all = persons::search(&capped, &sup, None, 50, 0)
        .await
        .expect("all");
    assert_eq!(
        (all.total, all.items.len(), all.total_is_lower_bound),
        (2, 4, true)
    );
    let mx_all = persons::search(&capped, &mx, None, 50, 0)
        .await
        .expect("mx");
    assert_eq!((mx_all.total, mx_all.total_is_lower_bound), (1, false));
    assert_eq!(mx_all.items.len(), 1);
    // A common word is asked of each person in name order: the same people.
    let mut each = store.clone();
    each.common_word = homeward_store::CommonWord {
        people: 0,
        count_cap: 1,
    };
    for q in [
        "garcía", "GARC lop", "Иван", "ivanov", "horv ath", "i", "petrov", "%",
    ] {
        let (a, b) = (
            persons::search(&store, &sup, Some(q), 50, 0)
                .await
                .expect("set"),
            persons::search(&each, &sup, Some(q), 50, 0)
                .await
                .expect("each"),
        );
        let ids = |l: &persons::PersonList| {
            let mut v: Vec<Uuid> = l.items.iter().map(|p| p.id).collect();
            v.sort();
            v
        };
        assert_eq!(ids(&a), ids(&b), "{q}");
        assert_eq!((a.total, a.total_is_lower_bound), (b.total, false), "{q}");
    }
    // A query matching more than the cap pages in name order all the same.
    capped.person_count_cap = 1;
    let many = persons::search(&capped, &sup, Some("ivanov"), 50, 0)
        .await
        .expect("many");
    let mut found: Vec<Uuid> = many.items.iter().map(|p| p.id).collect();
    found.sort();
    assert_eq!(found, both);
    assert_eq!((many.total, many.total_is_lower_bound), (1, true));
}

both_databases!(finds_names_in_any_script, names_in_any_script);
both_databases!(finds_identifiers_phones_and_case_numbers, numbers);
both_databases!(finds_only_within_record_scope, scope);
both_databases!(case_list_free_text_uses_the_terms, case_list);
both_databases!(case_list_common_word_checks_each_case, case_list_common);
both_databases!(refuses_roles_without_person_access, roles_refused);
both_databases!(terms_follow_edits_and_deletions, terms_follow_changes);
both_databases!(backfill_is_idempotent, backfill_once);
both_databases!(hostile_input_is_harmless, hostile_input);
both_databases!(country_terms_follow_every_change, country_terms_follow);
both_databases!(
    mission_officer_finds_past_other_countries,
    mission_officer_past_the_cap
);
both_databases!(persons_api_list_reads_the_terms, person_list);
