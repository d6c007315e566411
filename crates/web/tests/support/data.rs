//! A known dataset written row by row: cases, transitions, departures,
//! purchases and surveys at the times a report test needs.

use chrono::{DateTime, NaiveDate, Utc};
use homeward_store::{on_db, Store};
use uuid::Uuid;

/// An RFC 3339 time.
pub fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Writes rows as the use cases would leave them, with times chosen by
/// the test (raw SQL: the use cases stamp the current time).
pub struct Data<'a> {
    pub store: &'a Store,
    pub programme: Uuid,
    pub user: Uuid,
    pub n: usize,
}

impl Data<'_> {
    pub async fn exec(&self, sql: &str, binds: Vec<Bind>) {
        on_db!(&self.store.db, p => {
            let mut q = sqlx::query(sql);
            for b in &binds {
                q = match b {
                    Bind::U(u) => q.bind(*u),
                    Bind::T(t) => q.bind(*t),
                    Bind::S(s) => q.bind(s.clone()),
                    Bind::OS(s) => q.bind(s.clone()),
                    Bind::I(i) => q.bind(*i),
                    Bind::D(d) => q.bind(*d),
                    Bind::F(f) => q.bind(*f),
                    Bind::OT(t) => q.bind(*t),
                };
            }
            q.execute(p).await.map(|_| ())
        })
        .unwrap();
    }

    /// A case referred at `referred`, now in `status`.
    pub async fn case(&mut self, country: Option<&str>, referred: &str, status: &str) -> Uuid {
        self.n += 1;
        let person = Uuid::new_v4();
        let now = homeward_store::now();
        self.exec(
            "INSERT INTO persons (id, display_name, search_text, sex, created_at, updated_at) VALUES ($1, $2, $3, 'female', $4, $5)",
            vec![Bind::U(person), Bind::S(format!("Person {}", self.n)), Bind::S(format!("person {}", self.n)), Bind::T(now), Bind::T(now)],
        ).await;
        let id = Uuid::new_v4();
        self.exec(
            "INSERT INTO cases (id, case_number, programme_id, principal_person_id, country_of_return, status, referred_at, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![Bind::U(id), Bind::S(format!("TOR-2026-9{:05}", self.n)), Bind::U(self.programme), Bind::U(person),
                 Bind::OS(country.map(String::from)), Bind::S(status.into()), Bind::T(at(referred)), Bind::T(now), Bind::T(now)],
        ).await;
        self.exec(
            "INSERT INTO case_members (case_id, person_id, relationship) VALUES ($1, $2, 'principal')",
            vec![Bind::U(id), Bind::U(person)],
        )
        .await;
        id
    }

    pub async fn moved(&self, case: Uuid, to: &str, when: &str) {
        self.exec(
            "INSERT INTO case_transitions (id, case_id, from_status, to_status, at) VALUES ($1, $2, NULL, $3, $4)",
            vec![Bind::U(Uuid::new_v4()), Bind::U(case), Bind::S(to.into()), Bind::T(at(when))],
        )
        .await;
    }

    pub async fn departed(&self, case: Uuid, when: &str, fare_minor: i64) {
        let t = at(when);
        self.exec(
            "INSERT INTO itineraries (id, case_id, status, fare_minor, fare_currency, departs_at, arrives_at, origin, destination, departed_at, created_at, updated_at) \
             VALUES ($1, $2, 'departed', $3, 'CAD', $4, $5, 'YYZ', 'BUD', $6, $7, $8)",
            vec![Bind::U(Uuid::new_v4()), Bind::U(case), Bind::I(fare_minor), Bind::T(t), Bind::T(t + chrono::Duration::hours(9)), Bind::T(t), Bind::T(t), Bind::T(t)],
        ).await;
    }

    /// A housing purchase.
    pub async fn purchase(&self, case: Uuid, status: &str, minor: i64, paid: Option<&str>) {
        self.purchase_in(case, "housing", status, minor, paid).await;
    }

    pub async fn purchase_in(
        &self,
        case: Uuid,
        category: &str,
        status: &str,
        minor: i64,
        paid: Option<&str>,
    ) {
        let now = homeward_store::now();
        self.exec(
            "INSERT INTO purchases (id, case_id, category, description, local_minor, local_currency, rate_numerator, rate_denominator, rate_entered_at, \
               programme_minor, programme_currency, status, requested_by, requested_at, paid_at) \
             VALUES ($1, $2, $10, 'rent', $3, 'CAD', 1, 1, $4, $5, 'CAD', $6, $7, $8, $9)",
            vec![Bind::U(Uuid::new_v4()), Bind::U(case), Bind::I(minor), Bind::T(now), Bind::I(minor), Bind::S(status.into()),
                 Bind::U(self.user), Bind::T(now), Bind::OT(paid.map(at)), Bind::S(category.into())],
        ).await;
    }

    pub async fn survey(&self, case: Uuid, on: &str, scores: [f64; 4]) {
        let now = homeward_store::now();
        self.exec(
            "INSERT INTO rss_surveys (id, case_id, surveyed_on, questionnaire, economic, social, psychosocial, composite, answers_json, recorded_at) \
             VALUES ($1, $2, $3, 'rss@1', $4, $5, $6, $7, '{}', $8)",
            vec![Bind::U(Uuid::new_v4()), Bind::U(case), Bind::D(NaiveDate::parse_from_str(on, "%Y-%m-%d").unwrap()),
                 Bind::F(scores[0]), Bind::F(scores[1]), Bind::F(scores[2]), Bind::F(scores[3]), Bind::T(now)],
        ).await;
    }
}

/// A value to bind, on either database.
pub enum Bind {
    U(Uuid),
    T(DateTime<Utc>),
    S(String),
    OS(Option<String>),
    I(i64),
    D(NaiveDate),
    F(f64),
    OT(Option<DateTime<Utc>>),
}
