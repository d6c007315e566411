//! Realistic demo data: the demo accounts ([`DEMO_USERS`], [`ensure_users`])
//! and the bulk loader of generated cases ([`load`], [`load_with`]) that
//! `homeward demo`, `homeward serve --demo` and the benchmarks use, for up to
//! 1,000,000 cases: people and families, referrals, status histories,
//! eligibility evaluations and flights (and, as an option for the
//! benchmarks, what follows return). Inserts are batched multi-row
//! statements ([`bulk::Table`]) in one transaction ([`bulk::begin`]);
//! everything goes through the same schema as real use, and what the use
//! cases derive (search terms, case milestones, counts) is computed as they
//! would have.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use homeward_domain::person::{display_name, PersonData};
use homeward_domain::referral::ReferralFacts;
use homeward_domain::reintegration::Category;
use homeward_domain::CaseStatus;
use homeward_domain::{consent, eligibility};
use homeward_store::bulk::{self, Table};
use homeward_store::sql::Param;
use homeward_store::users::{self, NewUser};
use homeward_store::{
    audit, on_db, on_tx, persons, programmes, search, Db, Error, Result, Store, Tx,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

/// The password of every demo account. Demo databases only.
pub const DEMO_PASSWORD: &str = "homeward-demo-2012";

/// A demo account: email, name, role, team, country.
pub type DemoUser = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
);

/// The demo accounts.
pub const DEMO_USERS: &[DemoUser] = &[
    (
        "counsellor@homeward.test",
        "Amira Haddad",
        "counsellor",
        Some("toronto"),
        None,
    ),
    (
        "counsellor2@homeward.test",
        "Luc Tremblay",
        "counsellor",
        Some("toronto"),
        None,
    ),
    (
        "counsellor3@homeward.test",
        "Priya Raman",
        "counsellor",
        Some("toronto"),
        None,
    ),
    (
        "supervisor@homeward.test",
        "Marie-Claude Gagnon",
        "supervisor",
        Some("toronto"),
        None,
    ),
    (
        "cbsa@homeward.test",
        "Officer Daniel Park",
        "cbsa_officer",
        None,
        None,
    ),
    (
        "mission.hu@homeward.test",
        "Katalin Szabó",
        "mission_officer",
        None,
        Some("HU"),
    ),
    (
        "mission.co@homeward.test",
        "Andrés Restrepo",
        "mission_officer",
        None,
        Some("CO"),
    ),
    (
        "mission.mx@homeward.test",
        "Guadalupe Hernández",
        "mission_officer",
        None,
        Some("MX"),
    ),
    (
        "mission.hr@homeward.test",
        "Ivana Kovačević",
        "mission_officer",
        None,
        Some("HR"),
    ),
    (
        "mission.cz@homeward.test",
        "Jana Dvořáková",
        "mission_officer",
        None,
        Some("CZ"),
    ),
    (
        "finance@homeward.test",
        "Grace Okafor",
        "finance",
        None,
        None,
    ),
    (
        "analyst@homeward.test",
        "Tomás Novák",
        "analyst",
        None,
        None,
    ),
    ("admin@homeward.test", "Sam Admin", "admin", None, None),
    (
        "auditor@homeward.test",
        "Helen Birch",
        "auditor",
        None,
        None,
    ),
];

struct NamePool {
    country: &'static str,
    weight: u32,
    lang: &'static str,
    /// (given Latin, given original)
    given: &'static [(&'static str, &'static str)],
    family: &'static [(&'static str, &'static str)],
    localities: &'static [&'static str],
}

const POOLS: &[NamePool] = &[
    NamePool {
        country: "HU",
        weight: 30,
        lang: "hu",
        given: &[
            ("Zoltán", ""),
            ("Erzsébet", ""),
            ("László", ""),
            ("Katalin", ""),
            ("Gábor", ""),
            ("Ilona", ""),
            ("Attila", ""),
        ],
        family: &[
            ("Horváth", ""),
            ("Kolompár", ""),
            ("Lakatos", ""),
            ("Balogh", ""),
            ("Orsós", ""),
            ("Rostás", ""),
        ],
        localities: &["Budapest", "Miskolc", "Pécs", "Nyíregyháza", "Ózd"],
    },
    NamePool {
        country: "CO",
        weight: 15,
        lang: "es",
        given: &[
            ("Juan Carlos", ""),
            ("María José", ""),
            ("Andrés", ""),
            ("Luz Marina", ""),
            ("Jhon Fredy", ""),
        ],
        family: &[
            ("Rodríguez Gómez", ""),
            ("Martínez", ""),
            ("García López", ""),
            ("Restrepo", ""),
            ("Muñoz", ""),
        ],
        localities: &["Bogotá", "Medellín", "Cali", "Barranquilla", "Pereira"],
    },
    NamePool {
        country: "MX",
        weight: 15,
        lang: "es",
        given: &[
            ("José Luis", ""),
            ("Guadalupe", ""),
            ("Miguel Ángel", ""),
            ("Verónica", ""),
            ("Jesús", ""),
        ],
        family: &[
            ("Hernández", ""),
            ("González Pérez", ""),
            ("Sánchez", ""),
            ("Ramírez", ""),
            ("Flores", ""),
        ],
        localities: &[
            "Ciudad de México",
            "Guadalajara",
            "Puebla",
            "Monterrey",
            "Oaxaca",
        ],
    },
    NamePool {
        country: "HR",
        weight: 8,
        lang: "hr",
        given: &[
            ("Ivana", ""),
            ("Dragan", ""),
            ("Marija", ""),
            ("Željko", ""),
        ],
        family: &[
            ("Horvat", ""),
            ("Kovačević", ""),
            ("Babić", ""),
            ("Marić", ""),
        ],
        localities: &["Zagreb", "Split", "Osijek", "Čakovec"],
    },
    NamePool {
        country: "CZ",
        weight: 7,
        lang: "cs",
        given: &[("Jiří", ""), ("Věra", ""), ("Tomáš", ""), ("Jana", "")],
        family: &[
            ("Dvořák", ""),
            ("Horváthová", ""),
            ("Novák", ""),
            ("Kučera", ""),
        ],
        localities: &["Praha", "Ostrava", "Brno", "Ústí nad Labem"],
    },
    NamePool {
        country: "RU",
        weight: 5,
        lang: "ru",
        given: &[
            ("Ivan", "Иван"),
            ("Olga", "Ольга"),
            ("Dmitry", "Дмитрий"),
            ("Natalia", "Наталья"),
        ],
        family: &[
            ("Petrov", "Петров"),
            ("Smirnova", "Смирнова"),
            ("Kuznetsov", "Кузнецов"),
        ],
        localities: &["Moskva", "Sankt-Peterburg", "Kazan"],
    },
    NamePool {
        country: "CN",
        weight: 5,
        lang: "zh",
        given: &[("Wei", "伟"), ("Fang", "芳"), ("Jun", "军"), ("Li", "丽")],
        family: &[("Wang", "王"), ("Zhang", "张"), ("Chen", "陈")],
        localities: &["Fuzhou", "Guangzhou", "Wenzhou"],
    },
    NamePool {
        country: "IR",
        weight: 4,
        lang: "fa",
        given: &[("Reza", "رضا"), ("Maryam", "مریم"), ("Ali", "علی")],
        family: &[("Hosseini", "حسینی"), ("Ahmadi", "احمدی")],
        localities: &["Tehran", "Shiraz", "Tabriz"],
    },
    NamePool {
        country: "LK",
        weight: 4,
        lang: "ta",
        given: &[
            ("Sivakumar", "சிவகுமார்"),
            ("Kavitha", "கவிதா"),
            ("Murugan", "முருகன்"),
        ],
        family: &[("Rajendran", "ராஜேந்திரன்"), ("Selvarajah", "செல்வராஜா")],
        localities: &["Jaffna", "Colombo", "Batticaloa"],
    },
    NamePool {
        country: "GE",
        weight: 3,
        lang: "ka",
        given: &[("Giorgi", "გიორგი"), ("Nino", "ნინო")],
        family: &[("Beridze", "ბერიძე"), ("Kapanadze", "კაპანაძე")],
        localities: &["Tbilisi", "Kutaisi"],
    },
    NamePool {
        country: "NG",
        weight: 4,
        lang: "en",
        given: &[("Chinedu", ""), ("Aisha", ""), ("Oluwaseun", "")],
        family: &[("Okonkwo", ""), ("Bello", ""), ("Adeyemi", "")],
        localities: &["Lagos", "Abuja", "Enugu"],
    },
];

/// Status mix of generated cases, by weight.
const STATUS_WEIGHTS: &[(CaseStatus, u32)] = &[
    (CaseStatus::Referred, 8),
    (CaseStatus::Intake, 7),
    (CaseStatus::Counselling, 8),
    (CaseStatus::Applied, 8),
    (CaseStatus::Eligible, 6),
    (CaseStatus::Ineligible, 4),
    (CaseStatus::PreparingDeparture, 8),
    (CaseStatus::Departed, 8),
    (CaseStatus::Reintegrating, 12),
    (CaseStatus::Monitoring, 12),
    (CaseStatus::Closed, 12),
    (CaseStatus::Withdrawn, 7),
];

/// The workflow path that leads to each status.
fn path_to(s: CaseStatus) -> Vec<CaseStatus> {
    use CaseStatus::*;
    let main = [
        Referred,
        Intake,
        Counselling,
        Applied,
        Eligible,
        PreparingDeparture,
        Departed,
        Reintegrating,
        Monitoring,
        Closed,
    ];
    match s {
        Ineligible => vec![Referred, Intake, Counselling, Applied, Ineligible],
        Withdrawn => vec![Referred, Intake, Counselling, Withdrawn],
        _ => {
            let i = main.iter().position(|m| *m == s).unwrap_or(0);
            main[..=i].to_vec()
        }
    }
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total);
    for (t, w) in items {
        if x < *w {
            return *t;
        }
        x -= w;
    }
    items[0].0
}

fn person(
    rng: &mut StdRng,
    pool: &NamePool,
    family: Option<(&str, &str)>,
    adult: bool,
    base: NaiveDate,
) -> PersonData {
    let (g, go) = *pick(rng, pool.given);
    let (f, fo) = family.unwrap_or_else(|| *pick(rng, pool.family));
    let original = (!go.is_empty() || !fo.is_empty()).then(|| {
        format!(
            "{} {}",
            if fo.is_empty() { f } else { fo },
            if go.is_empty() { g } else { go }
        )
    });
    let age = if adult {
        rng.gen_range(19..70)
    } else {
        rng.gen_range(0..18)
    };
    let dob = base - Duration::days(age * 365 + rng.gen_range(0..365));
    PersonData {
        given_names: Some(g.to_string()),
        family_name: Some(f.to_string()),
        original_script_name: original,
        aliases: Vec::new(),
        sex: if rng.gen_bool(0.5) { "female" } else { "male" }.to_string(),
        date_of_birth: Some(dob),
        date_of_birth_approximate: rng.gen_bool(0.05),
        nationalities: vec![pool.country.to_string()],
        preferred_languages: vec![pool.lang.to_string()],
        interpreter_needed: pool.lang != "en" && rng.gen_bool(0.7),
        phone: adult.then(|| format!("+1 416 555 {:04}", rng.gen_range(0..10000))),
        email: None,
        address: adult.then(|| format!("{} Jane Street, Toronto ON", rng.gen_range(1..3000))),
        uci: adult.then(|| format!("{:08}", rng.gen_range(10_000_000..99_999_999u32))),
        cbsa_client_id: adult.then(|| format!("CBSA{:07}", rng.gen_range(0..9_999_999u32))),
        passport_number: adult
            .then(|| format!("{}{:07}", pool.country, rng.gen_range(0..9_999_999u32))),
    }
}

/// Plausible immigration facts for a generated referral: a refused claim
/// (withdrawn for cases CBSA found ineligible), decided some months before.
fn demo_facts(rng: &mut StdRng, referred: DateTime<Utc>, status: CaseStatus) -> ReferralFacts {
    let day = referred.date_naive();
    let filed = day - Duration::days(rng.gen_range(150..540));
    let decided = day - Duration::days(rng.gen_range(20..120));
    let stage = rng.gen_range(0..10);
    let leave = (stage >= 5).then(|| decided + Duration::days(rng.gen_range(5..15)));
    let prra = (stage >= 8).then(|| decided + Duration::days(rng.gen_range(16..19)));
    let prra_decided = (stage >= 9).then(|| day - Duration::days(rng.gen_range(1..3)));
    let dco_era = filed >= NaiveDate::from_ymd_opt(2012, 12, 15).unwrap_or(filed);
    ReferralFacts {
        claim_filed_on: Some(filed),
        claim_outcome: Some(
            if status == CaseStatus::Ineligible {
                "withdrawn"
            } else {
                "rejected"
            }
            .into(),
        ),
        irb_decided_on: Some(decided),
        designated_country_of_origin: Some(dco_era && rng.gen_bool(0.3)),
        federal_court_leave_filed_on: leave,
        prra_applied_on: prra,
        prra_decided_on: prra_decided.filter(|_| prra.is_some()),
        removal_order: Some(true),
        compliant_with_conditions: Some(true),
        criminality: Some("none".into()),
        residence_region: Some("GTA".into()),
        prior_avrr_assistance: Some(false),
    }
}

/// Progress callback: cases written so far.
pub type Progress<'a> = &'a mut dyn FnMut(u64);

/// Creates the demo users if missing; returns (counsellor ids, all ids by email).
pub async fn ensure_users(store: &Store) -> Result<Vec<(String, Uuid, String)>> {
    let mut out = Vec::new();
    for (email, name, role, team, country) in DEMO_USERS {
        let u = match users::by_email(store, email).await? {
            Some(u) => u,
            None => {
                users::create(
                    store,
                    None,
                    &NewUser {
                        email: email.to_string(),
                        name: name.to_string(),
                        role: role.to_string(),
                        team: team.map(str::to_string),
                        country: country.map(str::to_string),
                        language: None,
                        password: DEMO_PASSWORD.to_string(),
                        programmes: Vec::new(),
                    },
                )
                .await?
            }
        };
        out.push((u.email.clone(), u.id, u.role.clone()));
    }
    Ok(out)
}

/// Whether the database holds no cases yet.
pub async fn is_empty(store: &Store) -> Result<bool> {
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(p).await)?;
    Ok(n == 0)
}

/// The rows of the cases generated since the last write (a batch), one
/// [`Table`] per table.
struct Rows {
    persons: Table,
    cases: Table,
    members: Table,
    transitions: Table,
    consents: Table,
    referrals: Table,
    evaluations: Table,
    itineraries: Table,
    segments: Table,
    travellers: Table,
    events: Table,
    vendors: Table,
    arrivals: Table,
    plans: Table,
    components: Table,
    purchases: Table,
    surveys: Table,
}

impl Rows {
    fn new() -> Rows {
        Rows {
            persons: Table::new("INSERT INTO persons (id, given_names, family_name, original_script_name, display_name, search_text, aliases, sex, date_of_birth, date_of_birth_approximate, nationalities, preferred_languages, interpreter_needed, phone, email, address, uci, cbsa_client_id, passport_number, created_by, version, created_at, updated_at) VALUES "),
            cases: Table::new("INSERT INTO cases (id, case_number, programme_id, principal_person_id, principal_name, country_of_return, destination_locality, counsellor_id, status, created_by, referred_at, version, created_at, updated_at) VALUES "),
            members: Table::new("INSERT INTO case_members (case_id, person_id, relationship) VALUES "),
            transitions: Table::new("INSERT INTO case_transitions (id, case_id, from_status, to_status, reason, actor_id, at) VALUES "),
            consents: Table::new("INSERT INTO consents (id, case_id, person_id, given_by_person_id, purpose, given_at, recorded_by) VALUES "),
            referrals: Table::new("INSERT INTO referrals (case_id, claim_filed_on, claim_outcome, irb_decided_on, designated_country_of_origin, federal_court_leave_filed_on, prra_applied_on, prra_decided_on, removal_order, compliant_with_conditions, criminality, residence_region, prior_avrr_assistance, referred_by, contact_due_at, contacted_at, version, updated_at) VALUES "),
            evaluations: Table::new("INSERT INTO eligibility_evaluations (id, case_id, evaluated_at, application_date, rule_set, eligible, determined, amount_minor, currency, tier, result_json, actor_id) VALUES "),
            itineraries: Table::new("INSERT INTO itineraries (id, case_id, status, booking_reference, fare_minor, fare_currency, departure_assistance, transit_assistance, arrival_reception, departs_at, arrives_at, origin, destination, departed_at, departure_confirmed_by, created_by, created_at, updated_at) VALUES "),
            segments: Table::new("INSERT INTO itinerary_segments (itinerary_id, position, carrier, flight_number, from_airport, to_airport, departs_at, arrives_at) VALUES "),
            travellers: Table::new("INSERT INTO itinerary_travellers (itinerary_id, person_id, ticket_number) VALUES "),
            events: Table::new("INSERT INTO itinerary_events (id, itinerary_id, case_id, kind, reason, actor_id, at) VALUES "),
            vendors: Table::new("INSERT INTO vendors (id, country, name, categories, contact, active, created_by, created_at) VALUES "),
            arrivals: Table::new("INSERT INTO arrivals (case_id, arrived_on, place, recorded_by, recorded_at) VALUES "),
            plans: Table::new("INSERT INTO reintegration_plans (case_id, status, approved_by, approved_at, version, created_at, updated_at) VALUES "),
            components: Table::new("INSERT INTO plan_components (id, case_id, dimension, category, description, budget_minor, currency, created_by, created_at) VALUES "),
            purchases: Table::new("INSERT INTO purchases (id, case_id, vendor_id, category, description, local_minor, local_currency, rate_numerator, rate_denominator, rate_source, rate_date, rate_entered_by, rate_entered_at, programme_minor, programme_currency, status, reason, requested_by, requested_at, decided_by, decided_at, paid_by, paid_at, receipt_attachment_id, delivered_by, delivered_at, version) VALUES "),
            surveys: Table::new("INSERT INTO rss_surveys (id, case_id, surveyed_on, questionnaire, economic, social, psychosocial, composite, answers_json, recorded_by, recorded_at) VALUES "),
        }
    }
}

impl Rows {
    /// Writes the rows, parents first.
    async fn write(self, tx: &mut Tx) -> Result<()> {
        bulk::write_all(
            tx,
            [
                self.persons,
                self.cases,
                self.members,
                self.transitions,
                self.consents,
                self.referrals,
                self.evaluations,
                self.itineraries,
                self.segments,
                self.travellers,
                self.events,
                self.vendors,
                self.arrivals,
                self.plans,
                self.components,
                self.purchases,
                self.surveys,
            ],
        )
        .await
    }
}

/// Record ids: random (version 4) like the application's, but drawn from
/// their own seeded generator, so a seed always gives the same ids and the
/// rest of the data does not depend on how many ids were drawn.
struct Ids(StdRng);

impl Ids {
    fn new(seed: u64) -> Ids {
        Ids(StdRng::seed_from_u64(seed ^ 0x1d5_1d5_1d5))
    }

    fn next(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.0.gen()).into_uuid()
    }
}

fn opt(v: &Option<String>) -> Param {
    Param::OptText(v.clone())
}

/// The tables the load writes, parents first.
const TABLES: [&str; 17] = [
    "persons",
    "cases",
    "case_members",
    "case_transitions",
    "consents",
    "referrals",
    "eligibility_evaluations",
    "itineraries",
    "itinerary_segments",
    "itinerary_travellers",
    "itinerary_events",
    "vendors",
    "arrivals",
    "reintegration_plans",
    "plan_components",
    "purchases",
    "rss_surveys",
];

/// Per-row triggers on loaded tables that the load sets aside (table,
/// trigger): the one that counts each case into `case_counts` (migration
/// 0002; the load recounts once at the end instead), the one that copies the
/// principal's name onto the case (migration 0020; the load writes it in the
/// insert), those that keep the case milestones (migration 0044) and each
/// evaluation's and survey's next one (migration 0046); the load computes
/// them once at the end, [`MILESTONES`]. And the one that copies a new
/// member's search terms for the case's country (migration 0047): the loaded
/// people have no terms yet, and get them, and their countries' copies, from
/// the search backfill after the load.
const TRIGGERS_SQLITE: [(&str, &str); 7] = [
    ("cases", "case_counts_insert"),
    ("cases", "cases_principal_name_insert"),
    ("case_transitions", "case_milestones_transition_insert"),
    ("itineraries", "case_milestones_itinerary_insert"),
    (
        "eligibility_evaluations",
        "eligibility_evaluations_next_insert",
    ),
    ("rss_surveys", "rss_surveys_next_insert"),
    ("case_members", "person_country_terms_member_insert"),
];
const TRIGGERS_PG: [(&str, &str); 7] = [
    ("cases", "case_counts_insert_delete"),
    ("cases", "cases_principal_name_insert"),
    ("case_transitions", "case_milestones_transition_insert"),
    ("itineraries", "case_milestones_itinerary_insert"),
    (
        "eligibility_evaluations",
        "eligibility_evaluations_next_insert",
    ),
    ("rss_surveys", "rss_surveys_next_insert"),
    ("case_members", "person_country_terms_member_insert"),
];

/// The case milestones (migration 0044) of every case, from its
/// transitions and itineraries, and each evaluation's and survey's next one
/// (migration 0046): what the set-aside triggers would have written row by
/// row. The same text runs on both databases.
const MILESTONES: [&str; 4] = [
    "UPDATE cases SET registered_at = t.registered_at, approved_at = t.approved_at, \
       refused_at = t.refused_at, withdrawn_at = t.withdrawn_at \
     FROM (SELECT case_id, \
         MIN(CASE WHEN to_status = 'intake' THEN at END) AS registered_at, \
         MIN(CASE WHEN to_status = 'eligible' THEN at END) AS approved_at, \
         MIN(CASE WHEN to_status = 'ineligible' THEN at END) AS refused_at, \
         MIN(CASE WHEN to_status = 'withdrawn' THEN at END) AS withdrawn_at \
       FROM case_transitions WHERE to_status IN ('intake', 'eligible', 'ineligible', 'withdrawn') \
       GROUP BY case_id) t \
     WHERE cases.id = t.case_id",
    "UPDATE cases SET departed_at = i.departed_at \
     FROM (SELECT case_id, MIN(departed_at) AS departed_at FROM itineraries \
       WHERE departed_at IS NOT NULL GROUP BY case_id) i \
     WHERE cases.id = i.case_id",
    "UPDATE eligibility_evaluations SET next_evaluated_at = n.next_at \
     FROM (SELECT id, LEAD(evaluated_at) OVER (PARTITION BY case_id ORDER BY evaluated_at, id) AS next_at \
       FROM eligibility_evaluations) n \
     WHERE eligibility_evaluations.id = n.id AND n.next_at IS NOT NULL",
    "UPDATE rss_surveys SET next_surveyed_on = n.next_on \
     FROM (SELECT id, LEAD(surveyed_on) OVER (PARTITION BY case_id ORDER BY surveyed_on, recorded_at, id) AS next_on \
       FROM rss_surveys) n \
     WHERE rss_surveys.id = n.id AND n.next_on IS NOT NULL",
];

/// What [`set_aside`] set aside, for [`finish`] to put back.
#[derive(Default)]
struct Bulk {
    /// Secondary (non-unique) indexes of the loaded tables: name, definition.
    indexes: Vec<(String, String)>,
    /// SQLite: the planner statistics of those indexes (table, index, stat).
    stats: Vec<(String, String, String)>,
    /// SQLite: the definitions of the triggers that were dropped.
    trigger_sql: Vec<String>,
    /// PostgreSQL: the triggers that were disabled (table, trigger).
    triggers_disabled: Vec<(&'static str, &'static str)>,
    /// PostgreSQL: the loaded tables' foreign keys (table, name, definition),
    /// checked once for all rows when they are added back instead of row by
    /// row. SQLite's are not checked on the load's connection
    /// ([`bulk::begin`]) and are checked with `pragma_foreign_key_check` at
    /// the end.
    foreign_keys: Vec<(String, String, String)>,
}

async fn exec(tx: &mut Tx, sql: &str) -> Result<()> {
    on_tx!(&mut *tx, c => sqlx::query(sql).execute(&mut *c).await.map(|_| ()))?;
    Ok(())
}

/// Sets aside, inside the load's one transaction (so no other connection
/// ever sees them missing), the secondary indexes of the loaded tables,
/// the per-row triggers and, on PostgreSQL, the foreign keys. Building an
/// index once over sorted keys is much faster than inserting a million
/// random keys.
async fn set_aside(tx: &mut Tx) -> Result<Bulk> {
    let mut b = Bulk::default();
    match tx {
        Tx::Sqlite(open, _) => {
            let c = &mut **open;
            for t in TABLES {
                let found: Vec<(String, String)> = sqlx::query_as(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 \
                         AND sql IS NOT NULL AND UPPER(sql) NOT LIKE 'CREATE UNIQUE%' ORDER BY name",
                    )
                    .bind(t)
                    .fetch_all(&mut *c)
                    .await?;
                b.indexes.extend(found);
            }
            let has_stats: Option<i64> = sqlx::query_scalar(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'",
            )
            .fetch_optional(&mut *c)
            .await?;
            for (name, _) in &b.indexes {
                if has_stats.is_some() {
                    let rows: Vec<(String, String, String)> =
                        sqlx::query_as("SELECT tbl, idx, stat FROM sqlite_stat1 WHERE idx = $1")
                            .bind(name)
                            .fetch_all(&mut *c)
                            .await?;
                    b.stats.extend(rows);
                }
                sqlx::query(&format!("DROP INDEX \"{name}\""))
                    .execute(&mut *c)
                    .await?;
            }
            for (_, name) in TRIGGERS_SQLITE {
                let found: Option<String> = sqlx::query_scalar(
                    "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1",
                )
                .bind(name)
                .fetch_optional(&mut *c)
                .await?;
                if let Some(sql) = found {
                    sqlx::query(&format!("DROP TRIGGER {name}"))
                        .execute(&mut *c)
                        .await?;
                    b.trigger_sql.push(sql);
                }
            }
        }
        Tx::Postgres(open) => {
            let c = &mut **open;
            let tables: Vec<String> = TABLES.iter().map(|t| t.to_string()).collect();
            b.indexes = sqlx::query_as(
                "SELECT i.relname::text, pg_get_indexdef(i.oid) FROM pg_index x \
                     JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
                     WHERE t.relname = ANY($1) AND t.relnamespace = current_schema()::regnamespace \
                     AND NOT x.indisunique AND NOT x.indisprimary AND NOT x.indisexclusion \
                     ORDER BY 1",
            )
            .bind(&tables)
            .fetch_all(&mut *c)
            .await?;
            for (name, _) in &b.indexes {
                sqlx::query(&format!("DROP INDEX \"{name}\""))
                    .execute(&mut *c)
                    .await?;
            }
            for (table, name) in TRIGGERS_PG {
                let found: Option<i32> = sqlx::query_scalar(
                    "SELECT 1 FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = $2",
                )
                .bind(table)
                .bind(name)
                .fetch_optional(&mut *c)
                .await?;
                if found.is_some() {
                    sqlx::query(&format!("ALTER TABLE {table} DISABLE TRIGGER {name}"))
                        .execute(&mut *c)
                        .await?;
                    b.triggers_disabled.push((table, name));
                }
            }
            b.foreign_keys = sqlx::query_as(
                    "SELECT t.relname::text, k.conname::text, pg_get_constraintdef(k.oid) FROM pg_constraint k \
                     JOIN pg_class t ON t.oid = k.conrelid WHERE k.contype = 'f' AND t.relname = ANY($1) \
                     AND t.relnamespace = current_schema()::regnamespace ORDER BY 1, 2",
                )
                .bind(&tables)
                .fetch_all(&mut *c)
                .await?;
            for (table, name, _) in &b.foreign_keys {
                sqlx::query(&format!(
                    "ALTER TABLE \"{table}\" DROP CONSTRAINT \"{name}\""
                ))
                .execute(&mut *c)
                .await?;
            }
        }
    }
    Ok(b)
}

/// Writes the case milestones, rebuilds what [`set_aside`] set aside,
/// recounts `case_counts` and commits.
async fn finish(store: &Store, mut tx: Tx, b: Bulk) -> Result<()> {
    // Before the indexes are back, so that no index is updated row by row.
    for sql in MILESTONES {
        exec(&mut tx, sql).await?;
    }
    for (_, sql) in &b.indexes {
        exec(&mut tx, sql).await?;
    }
    exec(&mut tx, "DELETE FROM case_counts").await?;
    exec(
        &mut tx,
        "INSERT INTO case_counts (status, country_of_return, programme_id, counsellor_id, created_by, n) \
         SELECT status, country_of_return, programme_id, counsellor_id, created_by, COUNT(*) FROM cases \
         GROUP BY status, country_of_return, programme_id, counsellor_id, created_by",
    )
    .await?;
    match &mut tx {
        Tx::Sqlite(open, _) => {
            let c = &mut **open;
            for (tbl, idx, stat) in &b.stats {
                sqlx::query("INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES ($1, $2, $3)")
                    .bind(tbl)
                    .bind(idx)
                    .bind(stat)
                    .execute(&mut *c)
                    .await?;
            }
            for sql in &b.trigger_sql {
                sqlx::query(sql).execute(&mut *c).await?;
            }
            for t in TABLES {
                let broken: Vec<(String,)> = sqlx::query_as(&format!(
                    "SELECT parent FROM pragma_foreign_key_check('{t}') LIMIT 1"
                ))
                .fetch_all(&mut *c)
                .await?;
                if let Some((parent,)) = broken.first() {
                    return Err(Error::Io(format!(
                        "demo data: a row of {t} refers to a missing row of {parent}"
                    )));
                }
            }
        }
        Tx::Postgres(open) => {
            let c = &mut **open;
            for (table, name, def) in &b.foreign_keys {
                sqlx::query(&format!(
                    "ALTER TABLE \"{table}\" ADD CONSTRAINT \"{name}\" {def}"
                ))
                .execute(&mut *c)
                .await?;
            }
            for (table, name) in &b.triggers_disabled {
                sqlx::query(&format!("ALTER TABLE {table} ENABLE TRIGGER {name}"))
                    .execute(&mut *c)
                    .await?;
            }
        }
    }
    tx.commit().await?;
    if let Db::Sqlite(p) = &store.db {
        // The load's pages were copied into the database by the
        // checkpoint after the commit; give the log's disk space back.
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(p)
            .await?;
    }
    Ok(())
}

/// Where each country of return is reached from Toronto: the airport, and
/// whether it is a direct flight (else via Frankfurt), with the flying time.
fn route(country: &str) -> (&'static str, bool, i64) {
    match country {
        "HU" => ("BUD", false, 95),
        "CO" => ("BOG", true, 330),
        "MX" => ("MEX", true, 290),
        "HR" => ("ZAG", false, 105),
        "CZ" => ("PRG", false, 75),
        "RU" => ("SVO", false, 190),
        "CN" => ("PEK", true, 790),
        "IR" => ("IKA", false, 310),
        "LK" => ("CMB", false, 630),
        "GE" => ("TBS", false, 255),
        "NG" => ("LOS", false, 390),
        _ => ("FRA", true, 455),
    }
}

/// One itinerary for the whole family, booked or flown.
#[allow(clippy::too_many_arguments)]
fn demo_itinerary(
    rows: &mut Rows,
    rng: &mut StdRng,
    ids: &mut Ids,
    case_id: Uuid,
    travellers: &[Uuid],
    country: &str,
    status: &str,
    departs: DateTime<Utc>,
    by: Uuid,
) {
    let (dest, direct, minutes) = route(country);
    let id = ids.next();
    let mut legs = Vec::new();
    if direct {
        legs.push((
            "AC",
            rng.gen_range(900..999).to_string(),
            "YYZ",
            dest,
            departs,
            departs + Duration::minutes(minutes),
        ));
    } else {
        let fra = departs + Duration::minutes(455);
        let on = fra + Duration::minutes(rng.gen_range(70..200));
        legs.push(("AC", "876".to_string(), "YYZ", "FRA", departs, fra));
        legs.push((
            "LH",
            rng.gen_range(1300..1499).to_string(),
            "FRA",
            dest,
            on,
            on + Duration::minutes(minutes),
        ));
    }
    let arrives = legs.last().map(|l| l.5).unwrap_or(departs);
    let booked_at = departs - Duration::days(rng.gen_range(3..15));
    let reference: String = (0..6)
        .map(|_| char::from(b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[rng.gen_range(0..32)]))
        .collect();
    rows.itineraries.row(vec![
        Param::Uuid(id),
        Param::Uuid(case_id),
        Param::Text(status.into()),
        Param::Text(reference),
        Param::I64(travellers.len() as i64 * rng.gen_range(90_000..160_000)),
        Param::Text("CAD".into()),
        Param::Bool(true),
        Param::Bool(!direct),
        Param::Bool(rng.gen_bool(0.6)),
        Param::Time(departs),
        Param::Time(arrives),
        Param::Text("YYZ".into()),
        Param::Text(dest.into()),
        Param::OptTime((status == "departed").then_some(departs - Duration::minutes(25))),
        Param::OptUuid((status == "departed").then_some(by)),
        Param::Uuid(by),
        Param::Time(booked_at),
        Param::Time(if status == "departed" {
            departs
        } else {
            booked_at
        }),
    ]);
    for (n, (carrier, number, from, to, dep, arr)) in legs.into_iter().enumerate() {
        rows.segments.row(vec![
            Param::Uuid(id),
            Param::I64(n as i64 + 1),
            Param::Text(carrier.into()),
            Param::Text(number),
            Param::Text(from.into()),
            Param::Text(to.into()),
            Param::Time(dep),
            Param::Time(arr),
        ]);
    }
    for p in travellers {
        let ticket = format!("014{:010}", rng.gen_range(0..10_000_000_000u64));
        rows.travellers
            .row(vec![Param::Uuid(id), Param::Uuid(*p), Param::Text(ticket)]);
    }
    let mut events = vec![("booked", booked_at)];
    if status == "departed" {
        events.push(("departed", departs - Duration::minutes(25)));
    }
    for (kind, at) in events {
        rows.events.row(vec![
            Param::Uuid(ids.next()),
            Param::Uuid(id),
            Param::Uuid(case_id),
            Param::Text(kind.into()),
            Param::OptText(None),
            Param::Uuid(by),
            Param::Time(at),
        ]);
    }
}

/// Loads `n_cases` generated cases (with their families, timelines and users)
/// into the database. Deterministic for a given `seed`.
pub async fn load(store: &Store, n_cases: u64, seed: u64, progress: Progress<'_>) -> Result<u64> {
    load_with(store, n_cases, seed, LoadOptions::default(), progress).await
}

/// A case after return, as [`after_return`] needs it.
struct Returned {
    case_id: Uuid,
    status: CaseStatus,
    departed: DateTime<Utc>,
    vendor: Option<Uuid>,
    mission: Uuid,
    finance: Uuid,
    supervisor: Uuid,
}

/// The pilot's split of reintegration spending by category (June 2013),
/// the rest shared by the other categories.
const CATEGORY_WEIGHTS: &[(Category, u32)] = &[
    (Category::Housing, 38),
    (Category::DailyNecessities, 35),
    (Category::BusinessStartup, 11),
    (Category::Education, 5),
    (Category::VocationalTraining, 4),
    (Category::JobPlacement, 3),
    (Category::MedicalCare, 3),
    (Category::PsychosocialSupport, 1),
];

/// Arrival, an approved plan of two or three components, a purchase for
/// each (most paid), and for monitored or closed cases one or two RSS
/// surveys.
fn after_return(rows: &mut Rows, rng: &mut StdRng, ids: &mut Ids, r: &Returned) {
    let arrived = r.departed.date_naive() + Duration::days(1);
    let recorded = r.departed + Duration::days(2);
    rows.arrivals.row(vec![
        Param::Uuid(r.case_id),
        Param::Date(arrived),
        Param::Text("Airport".into()),
        Param::Uuid(r.mission),
        Param::Time(recorded),
    ]);
    let approved = recorded + Duration::days(rng.gen_range(5..25));
    rows.plans.row(vec![
        Param::Uuid(r.case_id),
        Param::Text("approved".into()),
        Param::Uuid(r.supervisor),
        Param::Time(approved),
        Param::I64(2),
        Param::Time(recorded),
        Param::Time(approved),
    ]);
    for _ in 0..rng.gen_range(2..4) {
        let category = weighted(rng, CATEGORY_WEIGHTS);
        let dimension = category
            .dimensions()
            .first()
            .map(|d| d.as_str())
            .unwrap_or("economic");
        let minor: i64 = rng.gen_range(200..1200) * 100;
        rows.components.row(vec![
            Param::Uuid(ids.next()),
            Param::Uuid(r.case_id),
            Param::Text(dimension.into()),
            Param::Text(category.as_str().into()),
            Param::Text(format!("{} support", category.as_str())),
            Param::I64(minor),
            Param::Text("CAD".into()),
            Param::Uuid(r.mission),
            Param::Time(recorded),
        ]);
        let requested = approved + Duration::days(rng.gen_range(1..10));
        let roll = rng.gen_range(0..10);
        let status = match roll {
            0 => "requested",
            1 => "approved",
            2..=5 => "paid",
            _ => "delivered",
        };
        let decided = (roll >= 1).then(|| requested + Duration::days(rng.gen_range(1..5)));
        let paid = (roll >= 2).then(|| requested + Duration::days(rng.gen_range(5..15)));
        let delivered = (roll >= 6).then(|| requested + Duration::days(rng.gen_range(15..30)));
        rows.purchases.row(vec![
            Param::Uuid(ids.next()),
            Param::Uuid(r.case_id),
            Param::OptUuid(r.vendor),
            Param::Text(category.as_str().into()),
            Param::Text(format!("{} for the household", category.as_str())),
            Param::I64(minor),
            Param::Text("CAD".into()),
            Param::I64(1),
            Param::I64(1),
            Param::OptText(Some("same currency".into())),
            Param::OptDate(Some(requested.date_naive())),
            Param::Uuid(r.mission),
            Param::Time(requested),
            Param::I64(minor),
            Param::Text("CAD".into()),
            Param::Text(status.into()),
            Param::OptText(None),
            Param::Uuid(r.mission),
            Param::Time(requested),
            Param::OptUuid(decided.map(|_| r.finance)),
            Param::OptTime(decided),
            Param::OptUuid(paid.map(|_| r.finance)),
            Param::OptTime(paid),
            Param::OptUuid(None),
            Param::OptUuid(delivered.map(|_| r.mission)),
            Param::OptTime(delivered),
            Param::I64(if roll >= 6 {
                4
            } else if roll >= 2 {
                3
            } else {
                1 + i64::from(roll)
            }),
        ]);
    }
    if matches!(r.status, CaseStatus::Monitoring | CaseStatus::Closed) {
        for k in 0..rng.gen_range(1..3i64) {
            let on = arrived + Duration::days(90 + 180 * k);
            let mut score = || f64::from(rng.gen_range(20..95u32)) / 100.0;
            let (e, s, p) = (score(), score(), score());
            rows.surveys.row(vec![
                Param::Uuid(ids.next()),
                Param::Uuid(r.case_id),
                Param::Date(on),
                Param::Text("rss-default@1".into()),
                Param::F64(e),
                Param::F64(s),
                Param::F64(p),
                Param::F64((e + s + p) / 3.0),
                Param::Text("{}".into()),
                Param::Uuid(r.mission),
                Param::Time(r.departed + Duration::days(92 + 180 * k)),
            ]);
        }
    }
}

/// What [`load_with`] writes besides cases, people, histories and flights.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadOptions {
    /// For cases after return: the arrival, an approved plan, purchases
    /// from one vendor per country in CAD (no receipt files) and RSS
    /// surveys, so reports and dashboards have money and scores to add up
    /// at any size. The benchmarks use it; `homeward demo` writes these
    /// (with receipts, follow-ups and closures) with `demo_returns` instead.
    pub returns: bool,
    /// The programme's code; the GTA pilot's when `None`.
    pub programme: Option<&'static str>,
    /// Referrals from this instant over this many days, and no event after
    /// now (a case goes only as far as its dates have reached); the pilot's
    /// years when `None`.
    pub window: Option<(DateTime<Utc>, i64)>,
}

/// [`load`], with options.
pub async fn load_with(
    store: &Store,
    n_cases: u64,
    seed: u64,
    opts: LoadOptions,
    progress: Progress<'_>,
) -> Result<u64> {
    programmes::ensure_defaults(store).await?;
    let programme = programmes::by_code(store, opts.programme.unwrap_or("gta-2012")).await?;
    let rule_sets = programmes::rules::all(store).await?;
    let people = ensure_users(store).await?;
    let counsellors: Vec<Uuid> = people
        .iter()
        .filter(|(_, _, r)| r == "counsellor")
        .map(|(_, id, _)| *id)
        .collect();
    let cbsa = people
        .iter()
        .find(|(_, _, r)| r == "cbsa_officer")
        .map(|(_, id, _)| *id);
    let mission: Vec<(Uuid, String)> = people
        .iter()
        .filter(|(_, _, r)| r == "mission_officer")
        .filter_map(|(e, id, _)| {
            let country = DEMO_USERS.iter().find(|u| u.0 == e.as_str())?.4?;
            Some((*id, country.to_string()))
        })
        .collect();
    let by_role = |role: &str| {
        people
            .iter()
            .find(|(_, _, r)| r == role)
            .map(|(_, id, _)| *id)
    };
    let finance = by_role("finance");
    let supervisor = by_role("supervisor");
    let mut rng = StdRng::seed_from_u64(seed);
    let mut ids = Ids::new(seed);
    let pool_weights: Vec<(usize, u32)> = POOLS
        .iter()
        .enumerate()
        .map(|(i, p)| (i, p.weight))
        .collect();
    let pilot_start = Utc
        .with_ymd_and_hms(2012, 6, 29, 14, 0, 0)
        .single()
        .unwrap_or_else(Utc::now);
    // Referrals over the pilot's years, or the window asked for.
    let (start, span_secs) = match opts.window {
        Some((from, days)) => (from, days * 86_400),
        None => (pilot_start, 1000 * 86_400i64),
    };
    let now = Utc::now();
    let mut seq_by_year: std::collections::HashMap<i32, i64> = Default::default();
    // Cases generated between writes (the statements are cut to size by
    // `bulk::Table::write`).
    let batch = 1000u64;
    let mut rows = Rows::new();
    let mut written = 0u64;
    // One vendor per country of return, registered for every category.
    let mut vendor_by_country: std::collections::HashMap<&'static str, Uuid> = Default::default();
    if opts.returns {
        let categories = serde_json::json!(Category::ALL.map(Category::as_str)).to_string();
        for pool in POOLS {
            if vendor_by_country.contains_key(pool.country) {
                continue;
            }
            let id = ids.next();
            vendor_by_country.insert(pool.country, id);
            rows.vendors.row(vec![
                Param::Uuid(id),
                Param::Text(pool.country.to_string()),
                Param::Text(format!("Reintegration supplier {}", pool.country)),
                Param::Text(categories.clone()),
                Param::OptText(None),
                Param::Bool(true),
                Param::OptUuid(None),
                Param::Time(start),
            ]);
        }
    }
    // One transaction for everything: a load that fails or is interrupted
    // leaves the database as it was, and nothing half-loaded is ever seen.
    let mut tx = bulk::begin(store).await?;
    let aside = set_aside(&mut tx).await?;
    for i in 0..n_cases {
        let pool = &POOLS[weighted(&mut rng, &pool_weights)];
        let referred: DateTime<Utc> = start
            + Duration::seconds(
                (i as i64 * span_secs) / n_cases.max(1) as i64 + rng.gen_range(0..3600),
            );
        let year = chrono::Datelike::year(&referred);
        let seq = seq_by_year.entry(year).or_insert(0);
        *seq += 1;
        let number = format!("{}-{}-{:06}", programme.case_prefix, year, seq);
        let status = weighted(&mut rng, STATUS_WEIGHTS);
        let counsellor = (status != CaseStatus::Referred || rng.gen_bool(0.3))
            .then(|| *pick(&mut rng, &counsellors));
        let base = referred.date_naive();
        let principal = person(&mut rng, pool, None, true, base);
        let fam = (
            principal.family_name.clone().unwrap_or_default(),
            principal.original_script_name.clone(),
        );
        let mut members = vec![("principal", principal)];
        if rng.gen_bool(0.3) {
            let fo = pool
                .family
                .iter()
                .find(|(l, _)| *l == fam.0)
                .map(|(_, o)| *o)
                .unwrap_or("");
            let fam_name: &'static str = pool
                .family
                .iter()
                .find(|(l, _)| *l == fam.0)
                .map(|(l, _)| *l)
                .unwrap_or("");
            if rng.gen_bool(0.7) {
                members.push((
                    "spouse",
                    person(&mut rng, pool, Some((fam_name, fo)), true, base),
                ));
            }
            for _ in 0..rng.gen_range(1..4) {
                members.push((
                    "child",
                    person(&mut rng, pool, Some((fam_name, fo)), false, base),
                ));
            }
        }
        let case_id = ids.next();
        let creator = cbsa.unwrap_or(counsellors[0]);
        let mut path = path_to(status);
        let mut times = Vec::with_capacity(path.len());
        let mut at = referred;
        for k in 0..path.len() {
            if k > 0 {
                at += Duration::hours(rng.gen_range(12..24 * 8));
            }
            times.push(at);
        }
        // A live window: the case has gone as far as today allows.
        if opts.window.is_some() {
            let reached = times.iter().take_while(|t| **t <= now).count().max(1);
            path.truncate(reached);
            times.truncate(reached);
        }
        let status = path.last().copied().unwrap_or(CaseStatus::Referred);
        let mut updated = referred;
        let mut prev: Option<CaseStatus> = None;
        let mut applied_at: Option<DateTime<Utc>> = None;
        let mut contacted_at: Option<DateTime<Utc>> = None;
        let mut departed_at: Option<DateTime<Utc>> = None;
        let mut counselled_at: Option<DateTime<Utc>> = None;
        for (s, at) in path.iter().zip(times.iter().copied()) {
            let actor = match s {
                CaseStatus::Referred => Some(creator),
                CaseStatus::Eligible | CaseStatus::Ineligible => cbsa,
                CaseStatus::Reintegrating | CaseStatus::Monitoring | CaseStatus::Closed => mission
                    .iter()
                    .find(|(_, c)| c == pool.country)
                    .map(|(id, _)| *id)
                    .or(counsellor),
                _ => counsellor,
            };
            let reason = match s {
                CaseStatus::Ineligible => "Claim withdrawn, not a failed claim",
                CaseStatus::Withdrawn => "Decided to stay and pursue another remedy",
                CaseStatus::Closed => "Support period ended",
                _ => "",
            };
            rows.transitions.row(vec![
                Param::Uuid(ids.next()),
                Param::Uuid(case_id),
                Param::OptText(prev.map(|p| p.as_str().to_string())),
                Param::Text(s.as_str().to_string()),
                Param::OptText((!reason.is_empty()).then(|| reason.to_string())),
                actor.map(Param::Uuid).unwrap_or(Param::Uuid(creator)),
                Param::Time(at),
            ]);
            prev = Some(*s);
            updated = at;
            match s {
                CaseStatus::Intake => contacted_at = Some(at),
                CaseStatus::Counselling => counselled_at = Some(at),
                CaseStatus::Applied => applied_at = Some(at),
                CaseStatus::Departed => departed_at = Some(at),
                _ => {}
            }
        }
        let mut principal_id = Uuid::nil();
        let mut principal_name = String::new();
        let mut person_ids = Vec::with_capacity(members.len());
        for (rel, d) in &members {
            let pid = ids.next();
            person_ids.push(pid);
            let name = display_name(
                d.given_names.as_deref(),
                d.family_name.as_deref(),
                d.original_script_name.as_deref(),
            );
            if *rel == "principal" {
                principal_id = pid;
                principal_name = name.clone();
            }
            rows.persons.row(vec![
                Param::Uuid(pid),
                opt(&d.given_names),
                opt(&d.family_name),
                opt(&d.original_script_name),
                Param::Text(name),
                Param::Text(persons::search_text(d)),
                Param::Text("[]".into()),
                Param::Text(d.sex.clone()),
                Param::OptDate(d.date_of_birth),
                Param::Bool(d.date_of_birth_approximate),
                Param::Text(serde_json::json!(d.nationalities).to_string()),
                Param::Text(serde_json::json!(d.preferred_languages).to_string()),
                Param::Bool(d.interpreter_needed),
                opt(&d.phone),
                opt(&d.email),
                opt(&d.address),
                opt(&d.uci),
                opt(&d.cbsa_client_id),
                opt(&d.passport_number),
                Param::Uuid(creator),
                Param::I64(1),
                Param::Time(referred),
                Param::Time(referred),
            ]);
            rows.members.row(vec![
                Param::Uuid(case_id),
                Param::Uuid(pid),
                Param::Text(rel.to_string()),
            ]);
        }
        // Consents the principal gave at counselling: to collect health data
        // and to share with the mission (most), with CBSA (many); a few
        // withdrew their consent to share with the mission later.
        if let Some(at) = counselled_at {
            let by = counsellor.unwrap_or(creator);
            // Rolled from the case's id, not drawn from `rng`: the rest of
            // the data stays what each seed always gave.
            for (k, (purpose, p)) in [
                (consent::COLLECT_HEALTH_DATA, 0.97),
                (consent::SHARE_WITH_MISSION, 0.95),
                (consent::SHARE_WITH_CBSA, 0.7),
            ]
            .into_iter()
            .enumerate()
            {
                if f64::from(case_id.as_bytes()[k]) / 256.0 >= p {
                    continue;
                }
                rows.consents.row(vec![
                    Param::Uuid(ids.next()),
                    Param::Uuid(case_id),
                    Param::Uuid(principal_id),
                    Param::OptUuid(None),
                    Param::Text(purpose.to_string()),
                    Param::Time(at),
                    Param::Uuid(by),
                ]);
            }
        }
        let country = if rng.gen_bool(0.97) {
            Some(pool.country.to_string())
        } else {
            None
        };
        rows.cases.row(vec![
            Param::Uuid(case_id),
            Param::Text(number),
            Param::Uuid(programme.id),
            Param::Uuid(principal_id),
            Param::Text(principal_name),
            opt(&country),
            Param::Text(pick(&mut rng, pool.localities).to_string()),
            Param::OptUuid(counsellor),
            Param::Text(status.as_str().to_string()),
            Param::Uuid(creator),
            Param::Time(referred),
            Param::I64(path.len() as i64),
            Param::Time(referred),
            Param::Time(updated),
        ]);
        let facts = demo_facts(&mut rng, referred, status);
        rows.referrals.row(vec![
            Param::Uuid(case_id),
            Param::OptDate(facts.claim_filed_on),
            Param::OptText(facts.claim_outcome.clone()),
            Param::OptDate(facts.irb_decided_on),
            Param::OptBool(facts.designated_country_of_origin),
            Param::OptDate(facts.federal_court_leave_filed_on),
            Param::OptDate(facts.prra_applied_on),
            Param::OptDate(facts.prra_decided_on),
            Param::OptBool(facts.removal_order),
            Param::OptBool(facts.compliant_with_conditions),
            Param::OptText(facts.criminality.clone()),
            Param::OptText(facts.residence_region.clone()),
            Param::OptBool(facts.prior_avrr_assistance),
            Param::Uuid(creator),
            Param::Time(referred + Duration::hours(24)),
            Param::OptTime(contacted_at),
            Param::I64(1),
            Param::Time(referred),
        ]);
        if let Some(applied) = applied_at {
            let input = facts.evaluation_input(&programme.code, applied.date_naive());
            if let Ok(e) = eligibility::evaluate(&rule_sets, &input) {
                let ent = e.entitlement.as_ref();
                rows.evaluations.row(vec![
                    Param::Uuid(ids.next()),
                    Param::Uuid(case_id),
                    Param::Time(applied),
                    Param::Date(applied.date_naive()),
                    Param::Text(e.rule_set.clone()),
                    Param::Bool(e.eligible),
                    Param::Bool(e.determined),
                    Param::OptI64(ent.map(|x| x.amount_minor)),
                    Param::OptText(ent.map(|x| x.currency.clone())),
                    Param::OptText(ent.map(|x| x.tier.to_string())),
                    Param::Text(serde_json::to_string(&e).unwrap_or_default()),
                    Param::OptUuid(counsellor),
                ]);
            }
        }
        // Flights: booked for cases preparing departure, flown for those gone.
        let flight = match (status, departed_at) {
            (CaseStatus::PreparingDeparture, _) => Some((
                "booked",
                Utc::now()
                    + Duration::days(rng.gen_range(2..21))
                    + Duration::minutes(rng.gen_range(0..600)),
            )),
            (_, Some(d)) => Some(("departed", d)),
            _ => None,
        };
        if let (Some((kind, departs)), Some(country)) = (flight, country.as_deref()) {
            demo_itinerary(
                &mut rows,
                &mut rng,
                &mut ids,
                case_id,
                &person_ids,
                country,
                kind,
                departs,
                counsellor.unwrap_or(creator),
            );
        }
        let returned = matches!(
            status,
            CaseStatus::Reintegrating | CaseStatus::Monitoring | CaseStatus::Closed
        );
        if let (true, true, Some(departed), Some(country)) =
            (opts.returns, returned, departed_at, country.as_deref())
        {
            let mission_officer = mission
                .iter()
                .find(|(_, c)| c == country)
                .map(|(id, _)| *id)
                .unwrap_or(creator);
            let after = Returned {
                case_id,
                status,
                departed,
                vendor: vendor_by_country.get(country).copied(),
                mission: mission_officer,
                finance: finance.unwrap_or(creator),
                supervisor: supervisor.unwrap_or(creator),
            };
            after_return(&mut rows, &mut rng, &mut ids, &after);
        }
        if (i + 1) % batch == 0 || i + 1 == n_cases {
            let full = std::mem::replace(&mut rows, Rows::new());
            full.write(&mut tx).await?;
            written = i + 1;
            progress(written);
        }
    }
    for (year, last) in &seq_by_year {
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO case_counters (programme_id, year, last_seq) VALUES ($1, $2, $3) \
             ON CONFLICT (programme_id, year) DO UPDATE SET last_seq = $3")
            .bind(programme.id).bind(*year).bind(*last).execute(&mut *c).await.map(|_| ()))?;
    }
    finish(store, tx, aside).await?;
    let mut tx = store.begin().await?;
    audit::record(
        &mut tx,
        None,
        audit::Entry {
            action: "demo_load",
            entity: "database",
            entity_id: None,
            case_id: None,
            before: None,
            after: Some(serde_json::json!({"cases": written, "seed": seed})),
        },
    )
    .await?;
    tx.commit().await?;
    // Search terms (docs/adr/0031) are computed in Rust, not by the bulk
    // statements above: written here, in committed batches.
    search::backfill(store).await?;
    Ok(written)
}
