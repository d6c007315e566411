//! The programme dashboard on SQLite and PostgreSQL: a small known dataset
//! whose figures are worked out by hand below (not by the code under
//! test), each role's scope, the analysts' suppression and the filters.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use homeward_domain::dashboard::{CountLine, Dashboard, DashboardFilter, FilterInput};
use homeward_store::testing::user;
use homeward_store::{both_databases, dashboard, on_db, programmes, Actor, Error, Store};
use uuid::Uuid;

enum B {
    U(Uuid),
    OU(Option<Uuid>),
    T(DateTime<Utc>),
    OT(Option<DateTime<Utc>>),
    S(String),
    OS(Option<String>),
    I(i64),
    D(NaiveDate),
    F(f64),
    Bool(bool),
}

async fn exec(store: &Store, sql: &str, binds: Vec<B>) {
    on_db!(&store.db, p => {
        let mut q = sqlx::query(sql);
        for b in &binds {
            q = match b {
                B::U(u) => q.bind(*u),
                B::OU(u) => q.bind(*u),
                B::T(t) => q.bind(*t),
                B::OT(t) => q.bind(*t),
                B::S(s) => q.bind(s.clone()),
                B::OS(s) => q.bind(s.clone()),
                B::I(i) => q.bind(*i),
                B::D(d) => q.bind(*d),
                B::F(f) => q.bind(*f),
                B::Bool(b) => q.bind(*b),
            };
        }
        q.execute(p).await.map(|_| ())
    })
    .unwrap();
}

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

struct Data<'a> {
    store: &'a Store,
    programme: Uuid,
    user: Uuid,
    n: usize,
}

impl Data<'_> {
    async fn case(
        &mut self,
        country: Option<&str>,
        counsellor: Option<Uuid>,
        referred: DateTime<Utc>,
        status: &str,
    ) -> Uuid {
        self.n += 1;
        let person = Uuid::new_v4();
        let now = homeward_store::now();
        exec(self.store,
            "INSERT INTO persons (id, display_name, search_text, sex, created_at, updated_at) VALUES ($1, $2, $3, 'female', $4, $5)",
            vec![B::U(person), B::S(format!("Secret Name {}", self.n)), B::S(format!("secret {}", self.n)), B::T(now), B::T(now)],
        ).await;
        let id = Uuid::new_v4();
        exec(self.store,
            "INSERT INTO cases (id, case_number, programme_id, principal_person_id, country_of_return, counsellor_id, status, created_by, referred_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            vec![B::U(id), B::S(format!("TOR-2026-8{:05}", self.n)), B::U(self.programme), B::U(person),
                 B::OS(country.map(String::from)), B::OU(counsellor), B::S(status.into()), B::U(self.user),
                 B::T(referred), B::T(referred), B::T(now)],
        ).await;
        // Every principal consented to share with the mission: what the
        // mission sees follows the status alone here.
        exec(self.store,
            "INSERT INTO consents (id, case_id, person_id, purpose, given_at) VALUES ($1, $2, $3, 'share_with_mission', $4)",
            vec![B::U(Uuid::new_v4()), B::U(id), B::U(person), B::T(referred)],
        ).await;
        id
    }

    async fn moved(&self, case: Uuid, to: &str, when: &str) {
        exec(self.store,
            "INSERT INTO case_transitions (id, case_id, from_status, to_status, at) VALUES ($1, $2, NULL, $3, $4)",
            vec![B::U(Uuid::new_v4()), B::U(case), B::S(to.into()), B::T(at(when))],
        ).await;
    }

    async fn departed(&self, case: Uuid, when: &str) {
        let t = at(when);
        exec(self.store,
            "INSERT INTO itineraries (id, case_id, status, fare_minor, fare_currency, departs_at, arrives_at, origin, destination, departed_at, created_at, updated_at) \
             VALUES ($1, $2, 'departed', 100000, 'CAD', $3, $4, 'YYZ', 'BUD', $5, $6, $7)",
            vec![B::U(Uuid::new_v4()), B::U(case), B::T(t), B::T(t + Duration::hours(9)), B::T(t), B::T(t), B::T(t)],
        ).await;
    }

    async fn evaluated(&self, case: Uuid, when: &str, eligible: bool, tier: &str, amount: i64) {
        exec(self.store,
            "INSERT INTO eligibility_evaluations (id, case_id, evaluated_at, application_date, rule_set, eligible, determined, amount_minor, currency, tier, result_json) \
             VALUES ($1, $2, $3, $4, 'gta-2012@1', $5, $6, $7, 'CAD', $8, '{}')",
            vec![B::U(Uuid::new_v4()), B::U(case), B::T(at(when)), B::D(at(when).date_naive()), B::Bool(eligible), B::Bool(true),
                 B::I(amount), B::S(tier.into())],
        ).await;
    }

    async fn purchase(
        &self,
        case: Uuid,
        category: &str,
        status: &str,
        minor: i64,
        paid: Option<&str>,
    ) {
        let now = homeward_store::now();
        exec(self.store,
            "INSERT INTO purchases (id, case_id, category, description, local_minor, local_currency, rate_numerator, rate_denominator, rate_entered_at, \
               programme_minor, programme_currency, status, requested_by, requested_at, paid_at) \
             VALUES ($1, $2, $3, 'x', $4, 'CAD', 1, 1, $5, $6, 'CAD', $7, $8, $9, $10)",
            vec![B::U(Uuid::new_v4()), B::U(case), B::S(category.into()), B::I(minor), B::T(now), B::I(minor), B::S(status.into()),
                 B::U(self.user), B::T(now), B::OT(paid.map(at))],
        ).await;
    }

    async fn survey(&self, case: Uuid, on: &str, s: [f64; 4]) {
        exec(self.store,
            "INSERT INTO rss_surveys (id, case_id, surveyed_on, questionnaire, economic, social, psychosocial, composite, answers_json, recorded_at) \
             VALUES ($1, $2, $3, 'rss@1', $4, $5, $6, $7, '{}', $8)",
            vec![B::U(Uuid::new_v4()), B::U(case), B::D(day(on)), B::F(s[0]), B::F(s[1]), B::F(s[2]), B::F(s[3]), B::T(homeward_store::now())],
        ).await;
    }
}

struct People {
    sup: Actor,
    cou1: Actor,
    hu: Actor,
    mx: Actor,
    analyst: Actor,
    finance: Actor,
    admin: Actor,
    cou2: Actor,
}

/// The dataset (2026-Q3 unless said otherwise; Toronto days):
///
/// | case | country | counsellor | status | referred | registered | departed |
/// |---|---|---|---|---|---|---|
/// | A | HU | 1 | reintegrating | 2 Jul | 4 Jul | 1 Aug (30 and 28 days) |
/// | B | HU | 2 | departed | 20 Jun | 21 Jun | 22 Jul, family again 23 Jul (32 and 31) |
/// | C | CO | 1 | monitoring | 10 Jul | 11 Jul | 29 Sep 23:30 = 30 Sep 03:30 UTC (81 and 80) |
/// | D | CO | 2 | withdrawn | 1 Aug | | |
/// | E | MX | none | referred | 1 Sep, contact overdue | | |
/// | F | HU | 1 | counselling | 60 days ago (past the target) | | |
/// | G | CO | 2 | intake | 5 days ago | | |
/// | H | HU | 1 | reintegrating | 1 May | | 15 Jun (not of the period), again 5 Jul; follow-up overdue |
async fn dataset(store: &Store) -> People {
    let p = People {
        sup: user(store, "sup@x.org", "supervisor", None).await,
        cou1: user(store, "cou1@x.org", "counsellor", None).await,
        cou2: user(store, "cou2@x.org", "counsellor", None).await,
        hu: user(store, "hu@x.org", "mission_officer", Some("HU")).await,
        mx: user(store, "mx@x.org", "mission_officer", Some("MX")).await,
        analyst: user(store, "an@x.org", "analyst", None).await,
        finance: user(store, "fin@x.org", "finance", None).await,
        admin: user(store, "admin@x.org", "admin", None).await,
    };
    let programme: Uuid = on_db!(&store.db, c => sqlx::query_scalar("SELECT id FROM programmes WHERE code = 'gta-2012'").fetch_one(c).await).unwrap();
    let mut d = Data {
        store,
        programme,
        user: p.sup.user_id,
        n: 0,
    };
    let (c1, c2) = (Some(p.cou1.user_id), Some(p.cou2.user_id));
    let now = homeward_store::now();

    let a = d
        .case(Some("HU"), c1, at("2026-07-02T15:00:00Z"), "reintegrating")
        .await;
    d.moved(a, "intake", "2026-07-04T15:00:00Z").await;
    d.departed(a, "2026-08-01T15:00:00Z").await;
    d.evaluated(
        a,
        "2026-07-10T15:00:00Z",
        true,
        "before-federal-court-leave",
        200_000,
    )
    .await;
    d.purchase(a, "housing", "paid", 38_000, Some("2026-08-10T15:00:00Z"))
        .await;
    d.purchase(
        a,
        "daily_necessities",
        "delivered",
        35_000,
        Some("2026-08-12T15:00:00Z"),
    )
    .await;
    d.survey(a, "2026-08-20", [0.1, 0.1, 0.1, 0.1]).await; // superseded by the next
    d.survey(a, "2026-09-01", [0.5, 0.6, 0.7, 0.6]).await;

    let b = d
        .case(Some("HU"), c2, at("2026-06-20T15:00:00Z"), "departed")
        .await;
    d.moved(b, "intake", "2026-06-21T15:00:00Z").await;
    d.departed(b, "2026-07-22T15:00:00Z").await;
    d.departed(b, "2026-07-23T15:00:00Z").await;
    d.evaluated(b, "2026-07-01T15:00:00Z", true, "prra-pending", 150_000)
        .await; // superseded
    d.evaluated(
        b,
        "2026-07-03T15:00:00Z",
        true,
        "before-federal-court-leave",
        200_000,
    )
    .await;
    d.purchase(
        b,
        "business_startup",
        "paid",
        11_000,
        Some("2026-09-05T15:00:00Z"),
    )
    .await;

    let c = d
        .case(Some("CO"), c1, at("2026-07-10T15:00:00Z"), "monitoring")
        .await;
    d.moved(c, "intake", "2026-07-11T15:00:00Z").await;
    d.departed(c, "2026-09-30T03:30:00Z").await;
    d.evaluated(c, "2026-07-20T15:00:00Z", true, "dco", 50_000)
        .await;
    d.purchase(c, "education", "paid", 5_000, Some("2026-09-10T15:00:00Z"))
        .await;
    d.purchase(
        c,
        "medical_care",
        "paid",
        11_000,
        Some("2026-09-11T15:00:00Z"),
    )
    .await;
    d.purchase(c, "housing", "requested", 99_999, None).await; // not paid
    d.purchase(c, "housing", "paid", 77_777, Some("2026-10-05T15:00:00Z"))
        .await; // after
    d.survey(c, "2026-09-15", [0.3, 0.4, 0.5, 0.4]).await;

    let dd = d
        .case(Some("CO"), c2, at("2026-08-01T15:00:00Z"), "withdrawn")
        .await;
    d.evaluated(
        dd,
        "2026-08-05T15:00:00Z",
        false,
        "before-prra-application",
        150_000,
    )
    .await;

    let e = d
        .case(Some("MX"), None, at("2026-09-01T15:00:00Z"), "referred")
        .await;
    exec(
        store,
        "INSERT INTO referrals (case_id, contact_due_at, updated_at) VALUES ($1, $2, $3)",
        vec![B::U(e), B::T(now - Duration::days(2)), B::T(now)],
    )
    .await;

    d.case(Some("HU"), c1, now - Duration::days(60), "counselling")
        .await;
    d.case(Some("CO"), c2, now - Duration::days(5), "intake")
        .await;

    let h = d
        .case(Some("HU"), c1, at("2026-05-01T15:00:00Z"), "reintegrating")
        .await;
    d.departed(h, "2026-06-15T15:00:00Z").await;
    d.departed(h, "2026-07-05T15:00:00Z").await;
    d.survey(h, "2026-07-20", [0.9, 0.9, 0.9, 0.9]).await;
    exec(store,
        "INSERT INTO followups (id, case_id, offset_months, due_on, scheduled_on, created_at) VALUES ($1, $2, 0, $3, $3, $4)",
        vec![B::U(Uuid::new_v4()), B::U(h), B::D(day("2026-07-01")), B::T(now)]).await;
    p
}

fn filter(pairs: &[(&str, &str)]) -> DashboardFilter {
    let g = |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1.to_string());
    DashboardFilter::from_input(
        &FilterInput {
            period: g("period"),
            from: g("from"),
            to: g("to"),
            programme: g("programme"),
            country: g("country"),
            counsellor: g("counsellor"),
        },
        day("2026-11-15"),
    )
    .unwrap()
}

/// The non-zero lines, as (key, n).
fn lines(v: &Option<Vec<CountLine>>) -> Vec<(String, Option<i64>)> {
    v.as_ref()
        .unwrap()
        .iter()
        .filter(|l| l.n != Some(0))
        .map(|l| (l.key.clone(), l.n))
        .collect()
}

fn kv(v: &[(&str, Option<i64>)]) -> Vec<(String, Option<i64>)> {
    v.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

async fn q3(store: &Store, a: &Actor) -> Dashboard {
    dashboard::load(store, a, &filter(&[("period", "2026-Q3")]))
        .await
        .unwrap()
}

async fn figures_scope_and_suppression(store: Store) {
    let p = dataset(&store).await;
    programmes::set_departure_target(&store, &p.admin, "gta-2012", Some(10))
        .await
        .unwrap();

    // Supervisor: everything.
    let s = q3(&store, &p.sup).await;
    assert_eq!(
        lines(&s.statuses),
        kv(&[
            ("referred", Some(1)),
            ("intake", Some(1)),
            ("counselling", Some(1)),
            ("departed", Some(1)),
            ("reintegrating", Some(2)),
            ("monitoring", Some(1)),
            ("withdrawn", Some(1))
        ])
    );
    assert_eq!(
        lines(&s.overdue),
        kv(&[
            ("overdue-contact", Some(1)),
            ("past-departure-target", Some(1)),
            ("followup-overdue", Some(1))
        ])
    );
    let dep = s.departures.as_ref().unwrap();
    assert_eq!(
        (dep.departures, dep.target, dep.percent_of_target),
        (Some(3), Some(30), Some(10.0))
    );
    let days = s.days.as_ref().unwrap();
    // Referral: 30, 32, 81 → 47.7 and 32; registration: 28, 31, 80 → 46.3 and 31.
    assert_eq!(
        (days.referral_average, days.referral_median),
        (Some(47.7), Some(32.0))
    );
    assert_eq!(
        (days.registration_average, days.registration_median),
        (Some(46.3), Some(31.0))
    );
    assert_eq!(lines(&s.countries), kv(&[("HU", Some(2)), ("CO", Some(1))]));
    let tiers: Vec<_> = s
        .tiers
        .as_ref()
        .unwrap()
        .iter()
        .map(|t| (t.tier.as_str(), t.cases, t.amount_minor))
        .collect();
    assert_eq!(
        tiers,
        vec![
            ("before-federal-court-leave", Some(2), Some(400_000)),
            ("dco", Some(1), Some(50_000))
        ]
    );
    // 38,000 + 35,000 + 11,000 + 5,000 + 11,000 = 100,000 paid in the period.
    let spend: Vec<_> = s
        .spending
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| (l.category.as_str(), l.amount_minor, l.percent))
        .collect();
    assert_eq!(
        spend,
        vec![
            ("housing", Some(38_000), Some(38.0)),
            ("daily_necessities", Some(35_000), Some(35.0)),
            ("business_startup", Some(11_000), Some(11.0)),
            ("education", Some(5_000), Some(5.0)),
            ("medical_care", Some(11_000), Some(11.0)),
        ]
    );
    // A (0.5 0.6 0.7 0.6), C (0.3 0.4 0.5 0.4), H (0.9 ×4): 1.7/3, 1.9/3, 2.1/3, 1.9/3.
    let r = s.rss.as_ref().unwrap();
    assert_eq!(
        (r.surveys, r.economic, r.social, r.psychosocial, r.composite),
        (Some(3), Some(0.57), Some(0.63), Some(0.7), Some(0.63))
    );

    // A counsellor: own cases (A, C, F, H) and the unassigned referral (E).
    let c = q3(&store, &p.cou1).await;
    assert_eq!(
        lines(&c.statuses),
        kv(&[
            ("referred", Some(1)),
            ("counselling", Some(1)),
            ("reintegrating", Some(2)),
            ("monitoring", Some(1))
        ])
    );
    // E's contact, F past the target and H's follow-up (H is counsellor 1's).
    assert_eq!(
        lines(&c.overdue),
        kv(&[
            ("overdue-contact", Some(1)),
            ("past-departure-target", Some(1)),
            ("followup-overdue", Some(1))
        ])
    );
    let days = c.days.as_ref().unwrap();
    // A and C: 30 and 81 → 55.5; 28 and 80 → 54.
    assert_eq!(
        (days.departures, days.referral_average, days.referral_median),
        (Some(2), Some(55.5), Some(55.5))
    );
    assert_eq!(
        (days.registration_average, days.registration_median),
        (Some(54.0), Some(54.0))
    );
    assert!(c.spending.is_none() && c.tiers.is_none() && c.countries.is_none());
    let c2 = q3(&store, &p.cou2).await;
    assert_eq!(
        lines(&c2.statuses),
        kv(&[
            ("referred", Some(1)),
            ("intake", Some(1)),
            ("departed", Some(1)),
            ("withdrawn", Some(1))
        ])
    );

    // The Hungarian mission: A, B, H only; the case in counselling is not
    // the mission's until it prepares departure.
    let m = q3(&store, &p.hu).await;
    assert_eq!(
        lines(&m.statuses),
        kv(&[("departed", Some(1)), ("reintegrating", Some(2))])
    );
    let spend: Vec<_> = m
        .spending
        .as_ref()
        .unwrap()
        .iter()
        .map(|l| (l.category.as_str(), l.amount_minor, l.percent))
        .collect();
    // 84,000 in Hungary: 38/84, 35/84, 11/84.
    assert_eq!(
        spend,
        vec![
            ("housing", Some(38_000), Some(45.2)),
            ("daily_necessities", Some(35_000), Some(41.7)),
            ("business_startup", Some(11_000), Some(13.1))
        ]
    );
    let r = m.rss.as_ref().unwrap();
    assert_eq!(
        (r.surveys, r.economic, r.social, r.psychosocial, r.composite),
        (Some(2), Some(0.7), Some(0.75), Some(0.8), Some(0.75))
    );
    assert!(m.days.is_none() && m.departures.is_none());

    // The Mexican mission sees none of Hungary's figures, even when it asks.
    let x = dashboard::load(
        &store,
        &p.mx,
        &filter(&[("period", "2026-Q3"), ("country", "HU")]),
    )
    .await
    .unwrap();
    assert_eq!(lines(&x.statuses), vec![]);
    assert!(x.spending.as_ref().unwrap().is_empty());
    assert_eq!(x.rss.as_ref().unwrap().surveys, Some(0));
    // Mexico's only case is a referral: not the mission's yet.
    let x = q3(&store, &p.mx).await;
    assert_eq!(lines(&x.statuses), vec![]);

    // Finance: departures against the target, tiers and money; no days.
    let f = q3(&store, &p.finance).await;
    assert_eq!(f.departures.as_ref().unwrap().departures, Some(3));
    assert_eq!(f.tiers.as_ref().unwrap().len(), 2);
    assert!(f.days.is_none() && f.statuses.is_none() && f.rss.is_none());

    // Analyst: the whole programme, every count here below five suppressed.
    let an = q3(&store, &p.analyst).await;
    assert_eq!(an.suppressed_below, Some(5));
    assert!(lines(&an.statuses).iter().all(|(_, n)| n.is_none()));
    assert_eq!(lines(&an.statuses).len(), 7);
    assert_eq!(an.departures.as_ref().unwrap().departures, None);
    assert_eq!(an.days.as_ref().unwrap().referral_average, None);
    assert_eq!(lines(&an.countries), kv(&[("other", None)]));
    assert!(an
        .spending
        .as_ref()
        .unwrap()
        .iter()
        .all(|l| l.amount_minor.is_none() && l.percent.is_none()));
    assert_eq!(an.rss.as_ref().unwrap().economic, None);

    // Admins hold no case data.
    assert!(matches!(
        dashboard::load(&store, &p.admin, &filter(&[])).await,
        Err(Error::Forbidden)
    ));

    // Filters.
    let co = dashboard::load(
        &store,
        &p.sup,
        &filter(&[("period", "2026-Q3"), ("country", "co")]),
    )
    .await
    .unwrap();
    let days = co.days.as_ref().unwrap();
    assert_eq!(
        (days.departures, days.referral_median),
        (Some(1), Some(81.0))
    );
    assert_eq!(
        lines(&co.statuses),
        kv(&[
            ("intake", Some(1)),
            ("monitoring", Some(1)),
            ("withdrawn", Some(1))
        ])
    );
    let by = dashboard::load(
        &store,
        &p.sup,
        &filter(&[
            ("period", "2026-Q3"),
            ("counsellor", &p.cou2.user_id.to_string()),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(
        lines(&by.statuses),
        kv(&[
            ("intake", Some(1)),
            ("departed", Some(1)),
            ("withdrawn", Some(1))
        ])
    );
    assert_eq!(by.departures.as_ref().unwrap().departures, Some(1));
    let july = dashboard::load(&store, &p.sup, &filter(&[("period", "2026-07")]))
        .await
        .unwrap();
    // July: B only (A left on 1 August); target 10.
    let dep = july.departures.as_ref().unwrap();
    assert_eq!(
        (dep.departures, dep.target, dep.percent_of_target),
        (Some(1), Some(10), Some(10.0))
    );
    assert_eq!(july.spending.as_ref().unwrap().len(), 0);
    let gta = dashboard::load(
        &store,
        &p.sup,
        &filter(&[("period", "2026-Q3"), ("programme", "gta-2012")]),
    )
    .await
    .unwrap();
    assert_eq!(gta.departures, s.departures);
    match dashboard::load(&store, &p.sup, &filter(&[("programme", "nope-2030")])).await {
        Err(Error::Invalid(inv)) => {
            assert_eq!(inv.for_field("programme"), Some("unknown-programme"))
        }
        other => panic!("{other:?}"),
    }

    // The second counsellor moves to another team: the supervisor's period
    // panels (which skip the join to cases while the team holds every
    // counsellor) now leave out that counsellor's cases.
    let cou2 = p.cou2.user_id.to_string();
    let theirs = dashboard::load(
        &store,
        &p.sup,
        &filter(&[("period", "2026-Q3"), ("counsellor", &cou2)]),
    )
    .await
    .unwrap();
    let spent = |d: &Dashboard| -> Vec<(String, i64)> {
        d.spending
            .as_ref()
            .map(|v| {
                v.iter()
                    .map(|l| (l.category.clone(), l.amount_minor.unwrap_or(0)))
                    .collect()
            })
            .unwrap_or_default()
    };
    let tier_cases = |d: &Dashboard| -> i64 {
        d.tiers
            .as_ref()
            .map(|v| v.iter().map(|t| t.cases.unwrap_or(0)).sum())
            .unwrap_or(0)
    };
    let surveys = |d: &Dashboard| d.rss.as_ref().and_then(|r| r.surveys).unwrap_or(0);
    assert!(
        !spent(&theirs).is_empty() || tier_cases(&theirs) > 0 || surveys(&theirs) > 0,
        "the second counsellor's cases have period figures"
    );
    on_db!(&store.db, c => sqlx::query("UPDATE users SET team = 'elsewhere' WHERE id = $1")
        .bind(p.cou2.user_id).execute(c).await.map(|_| ()))
    .unwrap();
    let after = q3(&store, &p.sup).await;
    let mut expected: Vec<(String, i64)> = spent(&s)
        .into_iter()
        .map(|(k, n)| {
            let less = spent(&theirs)
                .iter()
                .find(|(t, _)| *t == k)
                .map_or(0, |(_, m)| *m);
            (k, n - less)
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    expected.sort();
    let mut got = spent(&after);
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(tier_cases(&after), tier_cases(&s) - tier_cases(&theirs));
    assert_eq!(surveys(&after), surveys(&s) - surveys(&theirs));
}
both_databases!(dashboard_figures, figures_scope_and_suppression);

async fn departure_target_is_for_admins(store: Store) {
    let admin = user(&store, "admin@x.org", "admin", None).await;
    let sup = user(&store, "sup@x.org", "supervisor", None).await;
    assert!(matches!(
        programmes::set_departure_target(&store, &sup, "gta-2012", Some(5)).await,
        Err(Error::Forbidden)
    ));
    match programmes::set_departure_target(&store, &admin, "gta-2012", Some(-1)).await {
        Err(Error::Invalid(inv)) => assert_eq!(
            inv.for_field("monthly_departure_target"),
            Some("out-of-range")
        ),
        other => panic!("{other:?}"),
    }
    let p = programmes::set_departure_target(&store, &admin, "gta-2012", Some(227))
        .await
        .unwrap();
    assert_eq!(p.monthly_departure_target, Some(227));
    let p = programmes::set_departure_target(&store, &admin, "gta-2012", None)
        .await
        .unwrap();
    assert_eq!(p.monthly_departure_target, None);
    assert!(matches!(
        programmes::set_departure_target(&store, &admin, "nope", Some(1)).await,
        Err(Error::NotFound)
    ));
}
both_databases!(departure_target, departure_target_is_for_admins);

/// Each evaluation's `next_evaluated_at` as the triggers keep it, against
/// the definition: the least date among the case's evaluations that come
/// after it in (date, id) order.
async fn evaluation_chain(store: &Store, case: Uuid) {
    let rows: Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> = on_db!(&store.db, c => sqlx::query_as(
        "SELECT id, evaluated_at, next_evaluated_at FROM eligibility_evaluations WHERE case_id = $1")
        .bind(case).fetch_all(c).await)
    .unwrap();
    for (id, at, next) in &rows {
        let want = rows
            .iter()
            .filter(|(i2, a2, _)| (a2, i2) > (at, id))
            .map(|(_, a2, _)| *a2)
            .min();
        assert_eq!(*next, want, "evaluation {id} at {at}");
    }
}

/// The same for surveys, in (date, recorded at, id) order.
async fn survey_chain(store: &Store, case: Uuid) {
    let rows: Vec<(Uuid, NaiveDate, DateTime<Utc>, Option<NaiveDate>)> =
        on_db!(&store.db, c => sqlx::query_as(
        "SELECT id, surveyed_on, recorded_at, next_surveyed_on FROM rss_surveys WHERE case_id = $1")
        .bind(case).fetch_all(c).await)
        .unwrap();
    for (id, on, rec, next) in &rows {
        let want = rows
            .iter()
            .filter(|(i2, o2, r2, _)| (o2, r2, i2) > (on, rec, id))
            .map(|(_, o2, _, _)| *o2)
            .min();
        assert_eq!(*next, want, "survey {id} on {on}");
    }
}

/// The "next one" kept on every evaluation and survey (migration 0046):
/// right after inserts out of order, ties, a changed date, a move to
/// another case and deletes; and the period panels count each case's
/// latest one in the period by it.
async fn next_evaluation_and_survey_kept(store: Store) {
    let sup = user(&store, "sup@x.org", "supervisor", None).await;
    let programme: Uuid = on_db!(&store.db, c => sqlx::query_scalar("SELECT id FROM programmes WHERE code = 'gta-2012'").fetch_one(c).await).unwrap();
    let mut d = Data {
        store: &store,
        programme,
        user: sup.user_id,
        n: 0,
    };
    let a = d
        .case(Some("HU"), None, at("2026-06-01T15:00:00Z"), "eligible")
        .await;
    let b = d
        .case(Some("HU"), None, at("2026-06-01T15:00:00Z"), "eligible")
        .await;
    for (when, tier) in [
        ("2026-07-20T15:00:00Z", "late"),
        ("2026-07-10T15:00:00Z", "early"),
        ("2026-07-20T15:00:00Z", "tie"),
        ("2026-10-02T15:00:00Z", "next-quarter"),
    ] {
        d.evaluated(a, when, true, tier, 100).await;
        evaluation_chain(&store, a).await;
    }
    for on in ["2026-08-01", "2026-07-15", "2026-08-01", "2026-11-01"] {
        d.survey(a, on, [1.0, 1.0, 1.0, 1.0]).await;
        survey_chain(&store, a).await;
    }
    // Q3 counts one evaluation and one survey of the case: its latest in Q3.
    let counted = |d: &Dashboard| {
        let tiers: i64 = d
            .tiers
            .as_ref()
            .map(|v| v.iter().map(|t| t.cases.unwrap_or(0)).sum())
            .unwrap_or(0);
        (tiers, d.rss.as_ref().and_then(|r| r.surveys).unwrap_or(0))
    };
    assert_eq!(counted(&q3(&store, &sup).await), (1, 1));

    exec(
        &store,
        "UPDATE eligibility_evaluations SET evaluated_at = $1 WHERE tier = 'next-quarter'",
        vec![B::T(at("2026-07-01T15:00:00Z"))],
    )
    .await;
    evaluation_chain(&store, a).await;
    exec(
        &store,
        "UPDATE eligibility_evaluations SET case_id = $1 WHERE tier = 'late'",
        vec![B::U(b)],
    )
    .await;
    evaluation_chain(&store, a).await;
    evaluation_chain(&store, b).await;
    exec(
        &store,
        "DELETE FROM eligibility_evaluations WHERE tier = 'tie'",
        vec![],
    )
    .await;
    evaluation_chain(&store, a).await;
    exec(
        &store,
        "UPDATE rss_surveys SET surveyed_on = $1 WHERE surveyed_on = $2",
        vec![B::D(day("2026-07-01")), B::D(day("2026-11-01"))],
    )
    .await;
    survey_chain(&store, a).await;
    exec(
        &store,
        "DELETE FROM rss_surveys WHERE surveyed_on = $1",
        vec![B::D(day("2026-07-15"))],
    )
    .await;
    survey_chain(&store, a).await;
    // Now Q3 has case A's latest evaluation (10 Jul) and case B's (20 Jul).
    assert_eq!(counted(&q3(&store, &sup).await), (2, 1));
}
both_databases!(next_evaluation_and_survey, next_evaluation_and_survey_kept);
