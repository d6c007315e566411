//! De-identified exports in the store, on SQLite and PostgreSQL: a known
//! dataset whose counts were worked out by hand, small groups suppressed,
//! months and ages in the programme's zone, and nothing in the file that
//! names or identifies anyone.

use chrono::{DateTime, NaiveDate, Utc};
use homeward_store::deidentified::{self, DeidentifiedRequest};
use homeward_store::exports::JobLease;
use homeward_store::sql::Param;
use homeward_store::{bind_params, both_databases, on_db, testing, Error, Store};
use std::time::Duration;
use uuid::Uuid;

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

async fn exec(store: &Store, sql: &str, params: Vec<Param>) {
    on_db!(&store.db, p => bind_params!(sqlx::query(sql), params).execute(p).await.map(|_| ()))
        .unwrap();
}

/// One person of a batch: relationship, sex, date of birth.
type Member = (&'static str, &'static str, Option<&'static str>);

/// `k` identical cases; returns every identifying string written, which
/// the file must never contain.
#[allow(clippy::too_many_arguments)]
async fn batch(
    store: &Store,
    n: &mut usize,
    k: usize,
    referred: &str,
    country: &str,
    status: &str,
    departed: Option<&str>,
    evaluations: &[(&str, Option<&str>)],
    members: &[Member],
    secrets: &mut Vec<String>,
) {
    let programme: Uuid = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT id FROM programmes WHERE code = 'gta-2012'").fetch_one(p).await)
    .unwrap();
    let now = homeward_store::now();
    for _ in 0..k {
        *n += 1;
        let case = Uuid::new_v4();
        let number = format!("TOR-2012-{:05}", 70000 + *n);
        let mut people = Vec::new();
        for (j, (rel, sex, dob)) in members.iter().enumerate() {
            let id = Uuid::new_v4();
            let (given, family) = (format!("Given{n}x{j}"), format!("Family{n}x{j}"));
            let uci = format!("UCI{:08}", *n * 10 + j);
            let passport = format!("PX{:07}", *n * 10 + j);
            let phone = format!("+1 416 555 {:04}", *n * 10 + j);
            let dob = dob.map(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap());
            exec(store,
                "INSERT INTO persons (id, given_names, family_name, display_name, search_text, sex, date_of_birth, \
                 phone, email, uci, passport_number, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12)",
                vec![Param::Uuid(id), Param::Text(given.clone()), Param::Text(family.clone()),
                     Param::Text(format!("{given} {family}")), Param::Text(given.to_lowercase()),
                     Param::Text(sex.to_string()), Param::OptDate(dob), Param::Text(phone.clone()),
                     Param::Text(format!("{given}@example.org")), Param::Text(uci.clone()),
                     Param::Text(passport.clone()), Param::Time(now)]).await;
            secrets.extend([given, family, uci, passport, phone]);
            if let Some(d) = dob {
                secrets.push(d.to_string());
            }
            people.push((id, *rel));
        }
        exec(store,
            "INSERT INTO cases (id, case_number, programme_id, principal_person_id, country_of_return, status, \
             referred_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            vec![Param::Uuid(case), Param::Text(number.clone()), Param::Uuid(programme), Param::Uuid(people[0].0),
                 Param::Text(country.into()), Param::Text(status.into()), Param::Time(at(referred)), Param::Time(now)]).await;
        secrets.push(number);
        for (id, rel) in people {
            exec(
                store,
                "INSERT INTO case_members (case_id, person_id, relationship) VALUES ($1, $2, $3)",
                vec![Param::Uuid(case), Param::Uuid(id), Param::Text(rel.into())],
            )
            .await;
        }
        if let Some(d) = departed {
            let t = at(d);
            exec(store,
                "INSERT INTO itineraries (id, case_id, status, departs_at, arrives_at, origin, destination, departed_at, \
                 created_at, updated_at) VALUES ($1, $2, 'departed', $3, $3, 'YYZ', 'BUD', $3, $3, $3)",
                vec![Param::Uuid(Uuid::new_v4()), Param::Uuid(case), Param::Time(t)]).await;
        }
        for (when, tier) in evaluations {
            exec(store,
                "INSERT INTO eligibility_evaluations (id, case_id, evaluated_at, application_date, rule_set, eligible, \
                 determined, tier, result_json) VALUES ($1, $2, $3, $4, 'gta-2012@1', $5, TRUE, $6, '{}')",
                vec![Param::Uuid(Uuid::new_v4()), Param::Uuid(case), Param::Time(at(when)),
                     Param::Date(at(when).date_naive()), Param::Bool(tier.is_some()),
                     Param::OptText(tier.map(String::from))]).await;
        }
    }
}

/// The dataset (16 cases, 34 people):
/// - A: 5 Hungarian cases referred 10 July 2012, departed 1 Sept 02:00 UTC
///   (31 August in Toronto); evaluated twice, latest tier
///   `before-federal-court-leave`; a mother aged 32 and a son aged 4.
/// - B: 3 Colombian cases referred 1 August 03:30 UTC (31 July in
///   Toronto), evaluated without a tier; a man who turns 18 on 1 August,
///   so 17 on his referral day.
/// - C: 6 Hungarian cases referred 15 September, not evaluated; a man of
///   42 and his wife, date of birth unknown.
/// - D: 2 Mexican cases referred 2 October, not evaluated; a woman of 62
///   and her father of 82.
async fn dataset(store: &Store) -> Vec<String> {
    let mut n = 0;
    let mut s = Vec::new();
    let st = store;
    batch(
        st,
        &mut n,
        5,
        "2012-07-10T15:00:00Z",
        "HU",
        "departed",
        Some("2012-09-01T02:00:00Z"),
        &[
            ("2012-07-20T12:00:00Z", Some("dco")),
            ("2012-07-25T12:00:00Z", Some("before-federal-court-leave")),
        ],
        &[
            ("principal", "female", Some("1980-03-15")),
            ("child", "male", Some("2008-05-01")),
        ],
        &mut s,
    )
    .await;
    batch(
        st,
        &mut n,
        3,
        "2012-08-01T03:30:00Z",
        "CO",
        "ineligible",
        None,
        &[("2012-08-10T12:00:00Z", None)],
        &[("principal", "male", Some("1994-08-01"))],
        &mut s,
    )
    .await;
    batch(
        st,
        &mut n,
        6,
        "2012-09-15T12:00:00Z",
        "HU",
        "counselling",
        None,
        &[],
        &[
            ("principal", "male", Some("1970-01-01")),
            ("spouse", "female", None),
        ],
        &mut s,
    )
    .await;
    batch(
        st,
        &mut n,
        2,
        "2012-10-02T12:00:00Z",
        "MX",
        "withdrawn",
        None,
        &[],
        &[
            ("principal", "female", Some("1950-06-01")),
            ("parent", "male", Some("1930-01-01")),
        ],
        &mut s,
    )
    .await;
    s
}

fn req(dims: &[&str], unit: &str, period: Option<&str>) -> DeidentifiedRequest {
    DeidentifiedRequest {
        dimensions: dims.iter().map(|s| s.to_string()).collect(),
        unit: unit.into(),
        period: period.map(String::from),
        format: "csv".into(),
        hxl: false,
        ..Default::default()
    }
}

/// Runs the export's job body and returns the file's text.
async fn run(store: &Store, analyst: &homeward_store::Actor, r: &DeidentifiedRequest) -> String {
    let e = deidentified::create(store, analyst, r, "en").await.unwrap();
    assert_eq!(e.kind, "deidentified");
    let lease = JobLease {
        job_id: Uuid::new_v4(),
        worker: "test",
        lease: Duration::from_secs(60),
    };
    let label = |_: &str, key: &str| key.to_string();
    let done = deidentified::write(store, e.id, &label, &lease)
        .await
        .unwrap();
    assert_eq!(done.status, "done");
    assert!(
        done.file_name().starts_with("deidentified-"),
        "{}",
        done.file_name()
    );
    let path = store.data_dir.join(done.file_path.unwrap());
    String::from_utf8(std::fs::read(path).unwrap()).unwrap()
}

async fn counts_suppression_and_nothing_identifying(store: Store) {
    let secrets = dataset(&store).await;
    let analyst = testing::user(&store, "an@iom.int", "analyst", None).await;

    // People by country and sex. HU: 5 mothers + 6 wives = 11 women, 5 sons
    // + 6 husbands = 11 men; CO 3 men, MX 2 women and 2 men: suppressed,
    // 3 + 2 + 2 = 7 on the last line. No total.
    let mut r = req(&["country_of_return", "sex"], "people", None);
    r.hxl = true;
    let text = run(&store, &analyst, &r).await;
    assert_eq!(
        text,
        "deid-dim-country_of_return,deid-dim-sex,deid-count-people\n\
         #country+code,#affected+sex,#affected+num\n\
         HU,female,11\n\
         HU,male,11\n\
         deid-suppressed-line,,7\n",
    );
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "{s} in {text}");
    }

    // The third quarter leaves Mexico out: the Colombian 3 alone, shown
    // as "<5".
    let text = run(
        &store,
        &analyst,
        &req(&["country_of_return", "sex"], "", Some("2012-Q3")),
    )
    .await;
    assert_eq!(
        text,
        "deid-dim-country_of_return,deid-dim-sex,deid-count-people\n\
         HU,female,11\n\
         HU,male,11\n\
         deid-suppressed-line,,<5\n",
    );

    // Cases by referral month, departure month and latest tier, in
    // Toronto's months: B was referred in July, A departed in August.
    // B (3) and D (2) are suppressed: 5 together.
    let text = run(
        &store,
        &analyst,
        &req(
            &["referral_month", "departure_month", "entitlement_tier"],
            "cases",
            None,
        ),
    )
    .await;
    assert_eq!(
        text,
        "deid-dim-referral_month,deid-dim-departure_month,deid-dim-entitlement_tier,deid-count-cases\n\
         2012-07,2012-08,before-federal-court-leave,5\n\
         2012-09,unknown,not_evaluated,6\n\
         deid-suppressed-line,,,5\n",
    );
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "{s} in {text}");
    }

    // People by age band at referral and relationship: B's 17-year-olds (3),
    // D's woman of 62 (2) and father of 82 (2) are suppressed.
    let text = run(
        &store,
        &analyst,
        &req(&["age_band", "relationship"], "people", None),
    )
    .await;
    assert_eq!(
        text,
        "deid-dim-age_band,deid-dim-relationship,deid-count-people\n\
         0–4,child,5\n\
         25–34,principal,5\n\
         35–49,principal,6\n\
         unknown,partner,6\n\
         deid-suppressed-line,,7\n",
    );

    // Cases by status and programme, referred in July (Toronto): A's 5
    // departed, B's 3 ineligible suppressed alone.
    let text = run(
        &store,
        &analyst,
        &req(&["programme", "status"], "cases", Some("2012-07")),
    )
    .await;
    assert_eq!(
        text,
        "deid-dim-programme,deid-dim-status,deid-count-cases\n\
         gta-2012,departed,5\n\
         deid-suppressed-line,,<5\n",
    );
}
both_databases!(counts, counts_suppression_and_nothing_identifying);

async fn refusals_write_nothing(store: Store) {
    let count = |store: Store| async move {
        on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(
            "SELECT (SELECT COUNT(*) FROM exports) + (SELECT COUNT(*) FROM jobs)").fetch_one(p).await)
        .unwrap()
    };
    for role in ["counsellor", "cbsa_officer", "finance", "admin", "auditor"] {
        let a = testing::user(&store, &format!("{role}@iom.int"), role, None).await;
        let r = deidentified::create(&store, &a, &req(&["sex"], "people", None), "en").await;
        assert!(matches!(r, Err(Error::Forbidden)), "{role}: {r:?}");
    }
    let mo = testing::user(&store, "mo@iom.int", "mission_officer", Some("HU")).await;
    assert!(matches!(
        deidentified::create(&store, &mo, &req(&["sex"], "people", None), "en").await,
        Err(Error::Forbidden)
    ));
    let sup = testing::user(&store, "sup@iom.int", "supervisor", None).await;
    for (r, field, code) in [
        (
            req(&["name"], "people", None),
            "dimensions",
            "unknown-dimension",
        ),
        (
            req(&["relationship"], "cases", None),
            "dimensions",
            "dimension-needs-people",
        ),
        (
            req(&["sex"], "people", Some("2012-13")),
            "period",
            "invalid-period",
        ),
        (req(&["sex"], "families", None), "unit", "unknown-unit"),
        (
            DeidentifiedRequest {
                format: "pdf".into(),
                ..req(&["sex"], "people", None)
            },
            "format",
            "unknown-format",
        ),
    ] {
        match deidentified::create(&store, &sup, &r, "en").await {
            Err(Error::Invalid(inv)) => assert_eq!(inv.for_field(field), Some(code), "{inv:?}"),
            other => panic!("{r:?}: {other:?}"),
        }
    }
    assert_eq!(count(store.clone()).await, 0);
    // The supervisor may; the export belongs to them alone.
    let e = deidentified::create(&store, &sup, &req(&["sex"], "people", None), "fr")
        .await
        .unwrap();
    let other = testing::user(&store, "an2@iom.int", "analyst", None).await;
    assert!(matches!(
        homeward_store::exports::get(&store, &other, e.id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(count(store.clone()).await, 2);
}
both_databases!(refusals, refusals_write_nothing);

/// Months near midnight at the ends of months, on either side of the
/// changes to and from daylight saving time (SQLite has no time zones: the
/// query walks the zone's offsets from the domain).
async fn months_across_offset_changes(store: Store) {
    let mut n = 0;
    let mut s = Vec::new();
    let one = [("principal", "female", Some("1980-03-15"))];
    // 23:30 on 29 February 2012 in Toronto (EST, UTC-5).
    batch(
        &store,
        &mut n,
        5,
        "2012-03-01T04:30:00Z",
        "HU",
        "referred",
        None,
        &[],
        &one,
        &mut s,
    )
    .await;
    // 23:30 on 31 October 2012 (EDT, UTC-4).
    batch(
        &store,
        &mut n,
        5,
        "2012-11-01T03:30:00Z",
        "HU",
        "referred",
        None,
        &[],
        &one,
        &mut s,
    )
    .await;
    // 23:30 on 31 December 2012 (EST again).
    batch(
        &store,
        &mut n,
        5,
        "2013-01-01T04:30:00Z",
        "HU",
        "referred",
        None,
        &[],
        &one,
        &mut s,
    )
    .await;
    // 00:30 on 1 April 2013 (EDT).
    batch(
        &store,
        &mut n,
        6,
        "2013-04-01T04:30:00Z",
        "HU",
        "referred",
        None,
        &[],
        &one,
        &mut s,
    )
    .await;
    let analyst = testing::user(&store, "an@iom.int", "analyst", None).await;
    let text = run(&store, &analyst, &req(&["referral_month"], "cases", None)).await;
    assert_eq!(
        text,
        "deid-dim-referral_month,deid-count-cases\n\
         2012-02,5\n\
         2012-10,5\n\
         2012-12,5\n\
         2013-04,6\n",
    );
}
both_databases!(offsets, months_across_offset_changes);
