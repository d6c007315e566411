//! The demo's cases (`homeward_demo::cases`), on SQLite and PostgreSQL:
//! every status and its flights, and rows in step with what the store's own
//! functions write, read back through the store's use cases as the roles
//! who may. (`bench/tests/demo_load.rs` checks the schema and foreign keys
//! after a load, `tests/returns.rs` the reintegration data.)

use chrono::NaiveDate;
use homeward_demo::cases as demo;
use homeward_domain::person::display_name;
use homeward_domain::search::Query;
use homeward_store::cases::{self, CaseFilter, CaseInput};
use homeward_store::duplicates::{self, Subject};
use homeward_store::{
    both_databases, on_db, persons, plans, purchases, reports, search, surveys, travel, users,
    Actor, Store,
};
use std::collections::HashMap;
use uuid::Uuid;

async fn actor(store: &Store, email: &str) -> Actor {
    users::by_email(store, email)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{email}"))
        .actor(None)
}

fn new_case(family: &str, country: &str) -> CaseInput {
    CaseInput {
        principal: Some(homeward_domain::person::PersonInput {
            given_names: Some("Ana".into()),
            family_name: Some(family.into()),
            ..Default::default()
        }),
        country_of_return: Some(country.into()),
        ..Default::default()
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn demo_data_covers_every_status(store: Store) {
    let mut seen = 0;
    let n = demo::load(&store, 250, 7, &mut |w| seen = w).await.unwrap();
    assert_eq!((n, seen), (250, 250));
    let sup = users::by_email(&store, "supervisor@homeward.test")
        .await
        .unwrap()
        .unwrap()
        .actor(None);
    let counts = cases::counts_by_status(&store, &sup).await.unwrap();
    assert!(counts.iter().all(|(_, n)| *n > 0), "{counts:?}");
    assert_eq!(counts.iter().map(|(_, n)| n).sum::<i64>(), 250);
    // Flights: booked for every case preparing departure, flown for the departed.
    let preparing: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM cases c WHERE c.status = 'preparing_departure' AND c.country_of_return IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM itineraries i WHERE i.case_id = c.id AND i.status = 'booked')")
        .fetch_one(p).await).unwrap();
    assert_eq!(preparing, 0);
    let flown: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM itineraries i JOIN cases c ON c.id = i.case_id WHERE i.status = 'departed' \
         AND c.status IN ('departed', 'reintegrating', 'monitoring', 'closed') AND i.departed_at IS NOT NULL")
        .fetch_one(p).await).unwrap();
    assert!(flown > 20, "{flown}");
    let sample = on_db!(&store.db, p => sqlx::query_scalar::<_, uuid::Uuid>("SELECT id FROM itineraries LIMIT 1").fetch_one(p).await).unwrap();
    let it = homeward_store::travel::get(&store, &sup, sample)
        .await
        .unwrap();
    assert!(!it.segments.is_empty() && !it.travellers.is_empty());
    assert!(it
        .segments
        .windows(2)
        .all(|w| w[0].to == w[1].from && w[0].arrives_at < w[1].departs_at));
    // New cases continue the generated numbering.
    let c = users::by_email(&store, "counsellor@homeward.test")
        .await
        .unwrap()
        .unwrap()
        .actor(None);
    let d = cases::create(&store, &c, &new_case("New", "MX"))
        .await
        .unwrap();
    let (rows, _) = cases::list(
        &store,
        &sup,
        &CaseFilter {
            q: Some(d.summary.case_number.clone()),
            per_page: 5,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert!(
        users::authenticate(&store, "admin@homeward.test", demo::DEMO_PASSWORD)
            .await
            .unwrap()
            .is_some()
    );
    let _ = Uuid::nil();
    assert_eq!(
        count(&store, "referrals").await,
        250,
        "every demo case has its referral facts"
    );
    let tiers: Vec<(i64, i64)> = on_db!(&store.db, p => sqlx::query_as::<_, (i64, i64)>(
        "SELECT amount_minor, COUNT(*) FROM eligibility_evaluations WHERE eligible = TRUE GROUP BY amount_minor ORDER BY amount_minor")
        .fetch_all(p).await).unwrap();
    assert!(tiers.iter().any(|(a, _)| *a == 200_000), "{tiers:?}");
    assert!(
        tiers
            .iter()
            .all(|(a, _)| [50_000, 100_000, 150_000, 200_000].contains(a)),
        "{tiers:?}"
    );
}
both_databases!(demo_data, demo_data_covers_every_status);

/// The store's own functions read the demo's rows as if they had written
/// them: after a load (with what follows return, as the benchmarks load),
/// every case, person and itinerary, and the plans, purchases and surveys
/// after return, read without error as the roles who may; each person's
/// row is what `persons::create` would have stored for the same input
/// (validated, named and with its search text as the store computes them);
/// the search terms and matching keys computed after the load find them;
/// and the donor report, which counts from the case milestones and the
/// surveys' next dates that the load computes in bulk, counts what the
/// timelines, flights and surveys say.
async fn the_demo_reads_as_the_store_writes(store: Store) {
    let opts = demo::LoadOptions {
        returns: true,
        ..Default::default()
    };
    let n = demo::load_with(&store, 150, 21, opts, &mut |_| {})
        .await
        .unwrap();
    assert_eq!(n, 150);
    // The matching keys, as `serve` and `bench-gen` compute them after a load.
    let keyed = duplicates::backfill(&store).await.unwrap();
    assert_eq!(keyed as i64, count(&store, "persons").await);
    assert_eq!(duplicates::backfill(&store).await.unwrap(), 0);
    let sup = actor(&store, "supervisor@homeward.test").await;
    let fin = actor(&store, "finance@homeward.test").await;
    let hu = actor(&store, "mission.hu@homeward.test").await;
    let co = actor(&store, "mission.co@homeward.test").await;
    let today = homeward_store::now().date_naive();

    let (list, total) = cases::list(
        &store,
        &sup,
        &CaseFilter {
            per_page: 200,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((list.len(), total), (150, 150));

    // What the report should count, from the timelines, flights and surveys.
    let mut want: HashMap<&str, i64> = HashMap::new();
    let (mut people, mut flights, mut surveyed, mut with_plans) = (0, 0, 0, 0);
    for summary in &list {
        let c = cases::get(&store, &sup, summary.id).await.unwrap();
        assert_eq!(c.summary.status, summary.status);
        assert_eq!(
            c.timeline.last().map(|t| t.to_status.as_str()),
            Some(c.summary.status.as_str())
        );
        for status in ["intake", "eligible", "ineligible", "withdrawn"] {
            if c.timeline.iter().any(|t| t.to_status == status) {
                *want.entry(status).or_default() += 1;
            }
        }
        // The case number's search terms.
        let q = Query::parse(&c.summary.case_number).unwrap();
        let hits = search::cases(&store, &sup, &q, 5).await.unwrap();
        assert!(
            hits.iter().any(|h| h.id == c.summary.id),
            "{}",
            c.summary.case_number
        );

        let principal = &c.members[0];
        assert_eq!(principal.relationship, "principal");
        assert_eq!(principal.person.id, c.summary.principal_person_id);
        assert_eq!(principal.person.display_name, c.summary.principal_name);
        for m in &c.members {
            people += 1;
            let row = persons::get_row(&store, &sup, m.person.id).await.unwrap();
            // What `persons::create` would have stored for the same input.
            let d = row
                .to_input()
                .validate(today)
                .unwrap_or_else(|e| panic!("{}: {e:?}", row.display_name));
            let stored = (
                &row.given_names,
                &row.family_name,
                &row.original_script_name,
                &row.phone,
                &row.address,
                &row.uci,
                &row.cbsa_client_id,
                &row.passport_number,
            );
            let validated = (
                &d.given_names,
                &d.family_name,
                &d.original_script_name,
                &d.phone,
                &d.address,
                &d.uci,
                &d.cbsa_client_id,
                &d.passport_number,
            );
            assert_eq!(stored, validated);
            assert_eq!(
                (row.sex.as_str(), row.date_of_birth, &m.person.nationalities),
                (d.sex.as_str(), d.date_of_birth, &d.nationalities)
            );
            assert_eq!(
                row.display_name,
                display_name(
                    d.given_names.as_deref(),
                    d.family_name.as_deref(),
                    d.original_script_name.as_deref()
                )
            );
            assert_eq!(row.search_text, persons::search_text(&d));
            // The search terms: by an identifier, by the name typed without
            // its accents, by the name in its own script.
            let finds = |q: &str| {
                let (store, actor, q) = (store.clone(), sup.clone(), q.to_string());
                async move {
                    let hits = search::persons(&store, &actor, &Query::parse(&q).unwrap(), 50)
                        .await
                        .unwrap();
                    hits.len() == 50 || hits.iter().any(|h| h.id == row.id)
                }
            };
            if let Some(uci) = &d.uci {
                assert!(finds(uci).await, "{uci}");
            }
            let typed = homeward_domain::duplicates::transliterate(&format!(
                "{} {}",
                d.family_name.as_deref().unwrap_or(""),
                d.given_names.as_deref().unwrap_or("")
            ));
            assert!(finds(&typed).await, "{typed}");
            if let Some(original) = &d.original_script_name {
                assert!(finds(original).await, "{original}");
            }
            // The matching keys: the same data finds the stored person.
            let candidates = duplicates::candidates_for(&store, Subject::Data(&d))
                .await
                .unwrap();
            assert!(
                candidates.iter().any(|x| x.id == row.id),
                "{}",
                row.display_name
            );
        }

        // The mission of the case's country finds its people (their
        // country's copy of the terms); another mission does not.
        if let (Some("HU"), Some(uci)) = (
            c.summary.country_of_return.as_deref(),
            principal
                .person
                .contact
                .as_ref()
                .and_then(|x| x.uci.clone()),
        ) {
            let q = Query::parse(&uci).unwrap();
            // The mission finds exactly the people of the cases it has a
            // part in (departure preparation on, with consent: issue 22).
            let part = cases::get(&store, &hu, summary.id).await.is_ok();
            let mine = search::persons(&store, &hu, &q, 5).await.unwrap();
            assert_eq!(
                mine.iter().any(|h| h.id == principal.person.id),
                part,
                "{uci}"
            );
            let theirs = search::persons(&store, &co, &q, 5).await.unwrap();
            assert!(theirs.iter().all(|h| h.id != principal.person.id), "{uci}");
        }

        // Flights: the whole family travels, on legs that connect.
        let its = travel::list(&store, &sup, c.summary.id).await.unwrap();
        for it in &its {
            flights += 1;
            let it = travel::get(&store, &sup, it.id).await.unwrap();
            assert_eq!(it.travellers.len(), c.members.len());
            assert!(!it.segments.is_empty());
            assert!(it
                .segments
                .windows(2)
                .all(|w| w[0].to == w[1].from && w[0].arrives_at < w[1].departs_at));
            assert_eq!(it.departed_at.is_some(), it.status == "departed");
        }
        if its.iter().any(|i| i.departed_at.is_some()) {
            *want.entry("departed").or_default() += 1;
        }

        // After return: the arrival, an approved plan, purchases from the
        // country's vendor, and RSS surveys once monitored.
        let returned = matches!(
            c.summary.status.as_str(),
            "reintegrating" | "monitoring" | "closed"
        );
        if returned && c.summary.country_of_return.is_some() {
            with_plans += 1;
            assert!(plans::arrival(&store, &sup, c.summary.id)
                .await
                .unwrap()
                .is_some());
            let plan = plans::plan(&store, &fin, c.summary.id).await.unwrap();
            assert_eq!(plan.status, "approved");
            assert!((2..=3).contains(&plan.components.len()));
            let bought = purchases::list(&store, &fin, c.summary.id).await.unwrap();
            assert_eq!(bought.len(), plan.components.len());
            for p in &bought {
                let again = purchases::get(&store, &fin, p.id).await.unwrap();
                assert_eq!(again.status, p.status);
                assert!(p.vendor_name.is_some());
            }
            if let Some(ledger) = purchases::ledger(&store, &fin, c.summary.id).await.unwrap() {
                assert_eq!(ledger.budgeted.minor, plan.total_minor);
            }
        }
        let s = surveys::list(&store, &sup, c.summary.id).await.unwrap();
        if !s.is_empty() {
            assert!(matches!(c.summary.status.as_str(), "monitoring" | "closed"));
            surveyed += 1;
        }
    }
    assert!(
        people > 150 && flights > 20,
        "{people} people, {flights} flights"
    );
    assert!(
        with_plans > 20 && surveyed > 5,
        "{with_plans} plans, {surveyed} surveyed"
    );

    // The donor report over every year of the demo counts from the
    // milestones what the timelines say; its RSS lines from the surveys'
    // next dates the latest survey of each case.
    let period =
        homeward_domain::report::Period::range(NaiveDate::from_ymd_opt(2012, 1, 1).unwrap(), today);
    let report = reports::donor(&store, &fin, &period, None).await.unwrap();
    let got = &report.total;
    let at = |k: &str| want.get(k).copied().unwrap_or(0);
    assert_eq!(
        (
            got.referrals,
            got.enrolments,
            got.approvals,
            got.refusals,
            got.withdrawals,
            got.departures
        ),
        (
            150,
            at("intake"),
            at("eligible"),
            at("ineligible"),
            at("withdrawn"),
            at("departed")
        )
    );
    assert!(at("intake") > 100 && at("departed") > 20, "{want:?}");
    assert_eq!(report.rss_total.surveys, surveyed);
}
both_databases!(
    demo_reads_as_the_store_writes,
    the_demo_reads_as_the_store_writes
);
