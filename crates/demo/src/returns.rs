//! Demo data after return: what the missions and finance would have recorded
//! for the demo's returned cases, so a demo database shows reintegration as
//! it is used, not only the statuses that lead to it.
//!
//! [`load`] runs after [`crate::cases::load`] (the `homeward demo` and
//! `serve --demo` commands; never the benchmark generator) and writes, in one
//! transaction, deterministically from its seed:
//! - vendors: two or three per country that has returned cases;
//! - for cases in reintegration, monitoring, or closed after return: the
//!   arrival, the follow-up schedule from the programme's (contacts recorded
//!   with their attempts, some left open and overdue), a plan within the
//!   entitlement (approved for most) with purchases to the country's vendors
//!   in local currency at a recorded rate, each paid one with a receipt file;
//! - RSS surveys scored with the store's questionnaire for monitored and
//!   closed cases, and the closure row (with its reason code) of closed ones.
//!
//! Rows are written with the store's multi-row INSERTs ([`bulk::Table`]) in
//! one [`Store::begin`] transaction, as the use cases would
//! have left them (the same columns, statuses, versions and who-did-what),
//! so every page and the domain's ledger read them as real data. Departed
//! cases get nothing: their arrival is still to be confirmed.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use homeward_domain::duplicates::transliterate;
use homeward_domain::followups::Schedule;
use homeward_domain::money::{convert, Currency, ExchangeRate, Money};
use homeward_domain::reintegration::{Category, CLOSURE_REASONS};
use homeward_domain::rss;
use homeward_store::bulk::{self, Table};
use homeward_store::sql::Param;
use homeward_store::{attachments, audit, on_tx, programmes, Error, Result, Store, Tx};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sha2::Digest;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

/// How many rows of each kind [`load`] wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoReturns {
    pub vendors: u64,
    pub arrivals: u64,
    pub followups: u64,
    /// Contact attempts (a follow-up may have several).
    pub followup_attempts: u64,
    pub plans: u64,
    pub plan_components: u64,
    pub purchases: u64,
    /// Receipts of paid and delivered purchases (attachment rows and files).
    pub receipts: u64,
    pub surveys: u64,
    pub closures: u64,
}

impl std::fmt::Display for DemoReturns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} vendors, {} arrivals, {} follow-ups ({} contact attempts), {} plans ({} components), \
             {} purchases ({} receipts), {} RSS surveys, {} closures",
            self.vendors,
            self.arrivals,
            self.followups,
            self.followup_attempts,
            self.plans,
            self.plan_components,
            self.purchases,
            self.receipts,
            self.surveys,
            self.closures
        )
    }
}

// ------------------------------------------------------------ country data

/// What the demo knows of a country of return: its currency and a plausible
/// rate to CAD around the pilot's years (mantissa, decimals: 462, 5 is
/// 0.00462), the rate's usual source, the round sum prices come in (major
/// units), a phone prefix, and its vendors (name, categories), the first two
/// always registered.
struct Country {
    code: &'static str,
    currency: &'static str,
    rate: (u64, u32),
    rate_source: &'static str,
    price_step: i64,
    phone: &'static str,
    vendors: [(&'static str, &'static [Category]); 3],
}

use Category::*;

const SHOP: &[Category] = &[DailyNecessities, BusinessStartup];
const HOUSING: &[Category] = &[Housing];
const SCHOOL: &[Category] = &[Education, VocationalTraining];

const COUNTRIES: &[Country] = &[
    Country {
        code: "HU",
        currency: "HUF",
        rate: (462, 5),
        rate_source: "Magyar Nemzeti Bank",
        price_step: 500,
        phone: "+36 1 555",
        vendors: [
            ("Otthon Lakásügynökség Kft.", HOUSING),
            ("Alföldi Háztartási Áruház Kft.", SHOP),
            ("Borsodi Szakképző Központ", SCHOOL),
        ],
    },
    Country {
        code: "CO",
        currency: "COP",
        rate: (54, 5),
        rate_source: "Banco de la República",
        price_step: 5000,
        phone: "+57 1 555",
        vendors: [
            ("Inmobiliaria Los Andes S.A.S.", HOUSING),
            ("Almacenes La Esperanza Ltda.", SHOP),
            ("Instituto Técnico Nueva Vida", SCHOOL),
        ],
    },
    Country {
        code: "MX",
        currency: "MXN",
        rate: (80, 3),
        rate_source: "Banco de México",
        price_step: 10,
        phone: "+52 55 5550",
        vendors: [
            ("Bienes Raíces del Valle S.A. de C.V.", HOUSING),
            ("Abarrotes y Mayoreo Hidalgo S.A. de C.V.", SHOP),
            ("Clínica Familiar San Rafael", &[MedicalCare]),
        ],
    },
    Country {
        // Croatia's kuna is withdrawn; amounts are kept in euros.
        code: "HR",
        currency: "EUR",
        rate: (138, 2),
        rate_source: "European Central Bank",
        price_step: 5,
        phone: "+385 1 555",
        vendors: [
            ("Stan Nekretnine d.o.o.", HOUSING),
            ("Opskrba Jadran d.o.o.", SHOP),
            ("Centar za obrazovanje odraslih Sava", SCHOOL),
        ],
    },
    Country {
        code: "CZ",
        currency: "CZK",
        rate: (52, 3),
        rate_source: "Česká národní banka",
        price_step: 100,
        phone: "+420 2 555",
        vendors: [
            ("Bydlení Morava s.r.o.", HOUSING),
            ("Velkoobchod Novák a syn s.r.o.", SHOP),
            ("Rekvalifikační centrum Ostrava", SCHOOL),
        ],
    },
    Country {
        code: "RU",
        currency: "RUB",
        rate: (32, 3),
        rate_source: "Bank of Russia",
        price_step: 100,
        phone: "+7 495 555",
        vendors: [
            ("OOO Zhilye-Servis", HOUSING),
            ("OOO Torgovy Dom Volga", SHOP),
            ("Tsentr Professionalnogo Obucheniya Kazan", SCHOOL),
        ],
    },
    Country {
        code: "CN",
        currency: "CNY",
        rate: (165, 3),
        rate_source: "People's Bank of China",
        price_step: 10,
        phone: "+86 591 555",
        vendors: [
            ("Fuzhou Anju Property Services Co., Ltd.", HOUSING),
            ("Minjiang Trading Co., Ltd.", SHOP),
            ("Fujian Vocational Skills Training Centre", SCHOOL),
        ],
    },
    Country {
        code: "IR",
        currency: "IRR",
        rate: (41, 6),
        rate_source: "Central Bank of Iran",
        price_step: 100_000,
        phone: "+98 21 555",
        vendors: [
            ("Kooshk Real Estate Agency", HOUSING),
            ("Tajrish Bazaar Trading Co.", SHOP),
            ("Mehr Clinic", &[MedicalCare]),
        ],
    },
    Country {
        code: "LK",
        currency: "LKR",
        rate: (79, 4),
        rate_source: "Central Bank of Sri Lanka",
        price_step: 100,
        phone: "+94 21 555",
        vendors: [
            ("Jaffna Housing Cooperative Society", HOUSING),
            ("Northern Traders (Pvt) Ltd", SHOP),
            ("Vocational Training Centre Jaffna", SCHOOL),
        ],
    },
    Country {
        code: "GE",
        currency: "GEL",
        rate: (62, 2),
        rate_source: "National Bank of Georgia",
        price_step: 5,
        phone: "+995 32 255",
        vendors: [
            ("Sakhli Tbilisi LLC", HOUSING),
            ("Kutaisi Trade House LLC", SHOP),
            ("Vocational College Modus", SCHOOL),
        ],
    },
    Country {
        code: "NG",
        currency: "NGN",
        rate: (64, 4),
        rate_source: "Central Bank of Nigeria",
        price_step: 500,
        phone: "+234 1 555",
        vendors: [
            ("Lagos Homes & Lettings Ltd", HOUSING),
            ("Enugu General Merchants Ltd", SHOP),
            (
                "Abuja Skills Acquisition Centre",
                &[VocationalTraining, JobPlacement],
            ),
        ],
    },
];

/// Plan categories by weight: the pilot's spending (domain.md: housing 38%,
/// daily necessities 35%, business start-up 11%, education 5%), the rest
/// shared by training, care and placement.
const CATEGORY_WEIGHTS: &[(Category, u32)] = &[
    (Housing, 38),
    (DailyNecessities, 35),
    (BusinessStartup, 11),
    (Education, 5),
    (VocationalTraining, 5),
    (MedicalCare, 4),
    (JobPlacement, 2),
];

/// What a plan component or a purchase of a category pays for (`{}` is the
/// returnee's town).
fn descriptions(c: Category) -> &'static [&'static str] {
    match c {
        Housing => &[
            "Rent for the first three months, two-room flat in {}",
            "Deposit and first month's rent in {}",
            "Roof and window repairs to the family house in {}",
        ],
        DailyNecessities => &[
            "Food and household basics for the family",
            "Beds, bedding and kitchen equipment",
            "Winter clothing and heating fuel",
        ],
        BusinessStartup => &[
            "Sewing machine and fabric stock for a tailoring business",
            "Tools for a small car repair workshop in {}",
            "Stock and scales for a market stall in {}",
        ],
        Education => &[
            "School fees, uniforms and books for the children",
            "Enrolment and materials for secondary school",
        ],
        VocationalTraining => &[
            "Welding course, twelve weeks",
            "Hairdressing course and starter kit",
            "Computer skills course in {}",
        ],
        JobPlacement => &["Job placement fee and work clothing"],
        MedicalCare => &[
            "Medical consultations and prescribed medicines",
            "Dental treatment",
        ],
        PsychosocialSupport => &["Counselling sessions, eight weeks"],
    }
}

/// Notes of follow-up contacts, by outcome.
const NOTES_REACHED: &[&str] = &[
    "Reached; staying with relatives and looking for work.",
    "Family settled; the children are enrolled at the local school.",
    "Met at the mission office; the plan was discussed and agreed.",
    "Doing well; the small business opened last month.",
    "Housing secured; asked about vocational training.",
    "Health stable; a follow-up with the clinic is arranged.",
];
const NOTES_NOT_REACHED: &[&str] = &[
    "No answer on the phone; message left.",
    "Not at the address given; neighbours expect them back next week.",
];
const NOTES_RESCHEDULED: &[&str] = &[
    "Asked to meet after a job interview.",
    "Visiting family in another town; new date agreed.",
];
const NOTE_REFUSED: &str = "Declined further contact; respected and noted.";

/// Closure reasons by weight (most support periods end as planned), with a
/// note for some.
const CLOSURES: &[(&str, u32, Option<&str>)] = &[
    (
        "support_period_ended",
        62,
        Some("All planned assistance delivered."),
    ),
    (
        "opted_out",
        8,
        Some("Asked to end the support; the plan was partly completed."),
    ),
    (
        "left_the_area",
        8,
        Some("Moved to another region to live with family."),
    ),
    (
        "re_migrated",
        7,
        Some("Reported to have left the country again."),
    ),
    (
        "lost_contact",
        8,
        Some("Three contacts missed; the phone number is disconnected."),
    ),
    ("no_longer_meets_criteria", 5, None),
    ("died", 2, Some("The family informed the mission.")),
];

fn country(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.code == code)
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

fn weighted<T: Copy>(rng: &mut StdRng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut x = rng.gen_range(0..total.max(1));
    for (t, w) in items {
        if x < *w {
            return *t;
        }
        x -= w;
    }
    items[0].0
}

/// A version 4 id from the seeded generator, so a seed gives the same ids.
fn id(rng: &mut StdRng) -> Uuid {
    uuid::Builder::from_random_bytes(rng.gen()).into_uuid()
}

fn at(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    d.and_hms_opt(h, m, 0)
        .map(|t| t.and_utc())
        .unwrap_or_else(|| d.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// `k` sorted instants between `a` and `b` (all `a` if the window is empty).
fn times(rng: &mut StdRng, a: DateTime<Utc>, b: DateTime<Utc>, k: usize) -> Vec<DateTime<Utc>> {
    let span = (b - a).num_seconds().max(0);
    let mut v: Vec<DateTime<Utc>> = (0..k)
        .map(|_| a + Duration::seconds(if span > 0 { rng.gen_range(0..span) } else { 0 }))
        .collect();
    v.sort();
    v
}

// ------------------------------------------------------------------- rows

fn text(s: impl Into<String>) -> Param {
    Param::Text(s.into())
}
fn opt_text(s: Option<impl Into<String>>) -> Param {
    Param::OptText(s.map(Into::into))
}
fn uuid(u: Uuid) -> Param {
    Param::Uuid(u)
}
fn opt_uuid(u: Option<Uuid>) -> Param {
    Param::OptUuid(u)
}
fn i64v(n: i64) -> Param {
    Param::I64(n)
}
fn date(d: NaiveDate) -> Param {
    Param::Date(d)
}
fn opt_date(d: Option<NaiveDate>) -> Param {
    Param::OptDate(d)
}
fn time(t: DateTime<Utc>) -> Param {
    Param::Time(t)
}
fn opt_time(t: Option<DateTime<Utc>>) -> Param {
    Param::OptTime(t)
}

struct Rows {
    vendors: Table,
    arrivals: Table,
    followups: Table,
    attempts: Table,
    plans: Table,
    components: Table,
    budgets: Table,
    attachments: Table,
    purchases: Table,
    surveys: Table,
    closures: Table,
    /// Closing transitions whose reason becomes the closure's reason code.
    closing_reasons: Vec<(Uuid, &'static str)>,
    /// Receipt files to write: storage key, bytes (sealed as they are written).
    files: Vec<(String, Vec<u8>)>,
}

impl Rows {
    fn new() -> Rows {
        Rows {
            vendors: Table::new("INSERT INTO vendors (id, country, name, categories, contact, active, created_by, created_at) VALUES "),
            arrivals: Table::new("INSERT INTO arrivals (case_id, arrived_on, place, recorded_by, recorded_at) VALUES "),
            followups: Table::new("INSERT INTO followups (id, case_id, offset_months, due_on, scheduled_on, held_on, outcome, contact_mode, notes, recorded_by, recorded_at, completed_at, version, created_at) VALUES "),
            attempts: Table::new("INSERT INTO followup_attempts (id, followup_id, case_id, held_on, outcome, contact_mode, notes, due_before, rescheduled_to, recorded_by, recorded_at) VALUES "),
            plans: Table::new("INSERT INTO reintegration_plans (case_id, status, approved_by, approved_at, version, created_at, updated_at) VALUES "),
            components: Table::new("INSERT INTO plan_components (id, case_id, dimension, category, description, budget_minor, currency, created_by, created_at) VALUES "),
            budgets: Table::new("INSERT INTO reintegration_budgets (case_id, entitlement_minor, currency, version, updated_at) VALUES "),
            attachments: Table::new("INSERT INTO attachments (id, case_id, kind, file_name, content_type, size_bytes, sha256, storage_key, uploaded_by, uploaded_at) VALUES "),
            purchases: Table::new("INSERT INTO purchases (id, case_id, vendor_id, category, description, local_minor, local_currency, rate_numerator, rate_denominator, rate_source, rate_date, rate_entered_by, rate_entered_at, programme_minor, programme_currency, status, reason, requested_by, requested_at, decided_by, decided_at, paid_by, paid_at, receipt_attachment_id, delivered_by, delivered_at, version) VALUES "),
            surveys: Table::new("INSERT INTO rss_surveys (id, case_id, surveyed_on, questionnaire, economic, social, psychosocial, composite, answers_json, recorded_by, recorded_at) VALUES "),
            closures: Table::new("INSERT INTO case_closures (id, case_id, from_status, reason, note, closed_by, closed_at) VALUES "),
            closing_reasons: Vec::new(),
            files: Vec::new(),
        }
    }

    fn counts(&self) -> DemoReturns {
        DemoReturns {
            vendors: self.vendors.rows(),
            arrivals: self.arrivals.rows(),
            followups: self.followups.rows(),
            followup_attempts: self.attempts.rows(),
            plans: self.plans.rows(),
            plan_components: self.components.rows(),
            purchases: self.purchases.rows(),
            receipts: self.attachments.rows(),
            surveys: self.surveys.rows(),
            closures: self.closures.rows(),
        }
    }

    /// Parents first.
    async fn write(self, tx: &mut Tx) -> Result<()> {
        bulk::write_all(
            tx,
            [
                self.vendors,
                self.arrivals,
                self.followups,
                self.attempts,
                self.plans,
                self.components,
                self.budgets,
                self.attachments,
                self.purchases,
                self.surveys,
                self.closures,
            ],
        )
        .await?;
        for (transition, reason) in self.closing_reasons {
            on_tx!(&mut *tx, c => sqlx::query("UPDATE case_transitions SET reason = $1 WHERE id = $2")
                .bind(reason).bind(transition).execute(c).await.map(|_| ()))?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------ what exists

#[derive(sqlx::FromRow)]
struct CaseRow {
    id: Uuid,
    case_number: String,
    status: String,
    country_of_return: Option<String>,
    destination_locality: Option<String>,
    programme_id: Uuid,
}

#[derive(sqlx::FromRow)]
struct TransitionRow {
    id: Uuid,
    case_id: Uuid,
    from_status: Option<String>,
    to_status: String,
    actor_id: Option<Uuid>,
    at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct FlightRow {
    case_id: Uuid,
    departed_at: Option<DateTime<Utc>>,
    destination: String,
}

#[derive(sqlx::FromRow)]
struct EntitlementRow {
    case_id: Uuid,
    amount_minor: Option<i64>,
    currency: Option<String>,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    role: String,
    country: Option<String>,
}

/// A returned case and what the demo recorded before return.
struct Case {
    row: CaseRow,
    departed: Option<DateTime<Utc>>,
    destination_airport: Option<String>,
    /// The transitions into reintegrating, monitoring and closed.
    reintegrating: Option<TransitionRow>,
    monitoring: Option<TransitionRow>,
    closed: Option<TransitionRow>,
    entitlement: Option<Money>,
}

/// Who records what: the mission officer of each country, finance, a supervisor.
struct People {
    mission: HashMap<String, Uuid>,
    finance: Option<Uuid>,
    supervisor: Option<Uuid>,
}

/// A registered demo vendor.
struct DemoVendor {
    id: Uuid,
    name: &'static str,
    categories: &'static [Category],
}

const RETURNED: &str = "('departed', 'reintegrating', 'monitoring', 'closed')";

async fn read_cases(tx: &mut Tx) -> Result<Vec<Case>> {
    let rows: Vec<CaseRow> = on_tx!(&mut *tx, c => sqlx::query_as::<_, CaseRow>(&format!(
        "SELECT id, case_number, status, country_of_return, destination_locality, programme_id FROM cases \
         WHERE status IN {RETURNED} ORDER BY case_number"))
        .fetch_all(c).await)?;
    let transitions: Vec<TransitionRow> = on_tx!(&mut *tx, c => sqlx::query_as::<_, TransitionRow>(&format!(
        "SELECT t.id, t.case_id, t.from_status, t.to_status, t.actor_id, t.at FROM case_transitions t \
         JOIN cases c ON c.id = t.case_id WHERE c.status IN {RETURNED} \
         AND t.to_status IN ('departed', 'reintegrating', 'monitoring', 'closed') ORDER BY t.case_id, t.at, t.id"))
        .fetch_all(c).await)?;
    let flights: Vec<FlightRow> = on_tx!(&mut *tx, c => sqlx::query_as::<_, FlightRow>(&format!(
        "SELECT i.case_id, i.departed_at, i.destination FROM itineraries i JOIN cases c ON c.id = i.case_id \
         WHERE c.status IN {RETURNED} AND i.status = 'departed' ORDER BY i.case_id, i.departs_at"))
        .fetch_all(c).await)?;
    // The latest eligible evaluation, as `entitlement::entitlement` reads it.
    let evaluations: Vec<EntitlementRow> = on_tx!(&mut *tx, c => sqlx::query_as::<_, EntitlementRow>(&format!(
        "SELECT e.case_id, e.amount_minor, e.currency FROM eligibility_evaluations e JOIN cases c ON c.id = e.case_id \
         WHERE c.status IN {RETURNED} AND e.eligible ORDER BY e.case_id, e.evaluated_at"))
        .fetch_all(c).await)?;
    let mut by_case: HashMap<Uuid, Case> = rows
        .into_iter()
        .map(|r| {
            (
                r.id,
                Case {
                    row: r,
                    departed: None,
                    destination_airport: None,
                    reintegrating: None,
                    monitoring: None,
                    closed: None,
                    entitlement: None,
                },
            )
        })
        .collect();
    for t in transitions {
        let Some(c) = by_case.get_mut(&t.case_id) else {
            continue;
        };
        // The latest of each wins (a reopened case went through them twice).
        match t.to_status.as_str() {
            "departed" => c.departed = c.departed.max(Some(t.at)),
            "reintegrating" => c.reintegrating = Some(t),
            "monitoring" => c.monitoring = Some(t),
            _ => c.closed = Some(t),
        }
    }
    for f in flights {
        if let Some(c) = by_case.get_mut(&f.case_id) {
            if f.departed_at.is_some() {
                c.departed = f.departed_at;
            }
            c.destination_airport = Some(f.destination);
        }
    }
    for e in evaluations {
        if let Some(c) = by_case.get_mut(&e.case_id) {
            c.entitlement = match (e.amount_minor, e.currency) {
                (Some(a), Some(cur)) => Money::of(a, &cur).ok(),
                _ => None,
            };
        }
    }
    let mut cases: Vec<Case> = by_case.into_values().collect();
    cases.sort_by(|a, b| a.row.case_number.cmp(&b.row.case_number));
    Ok(cases)
}

async fn read_people(tx: &mut Tx) -> Result<People> {
    let users: Vec<UserRow> = on_tx!(&mut *tx, c => sqlx::query_as::<_, UserRow>(
        "SELECT id, role, country FROM users WHERE active AND role IN ('mission_officer', 'finance', 'supervisor') \
         ORDER BY email")
        .fetch_all(c).await)?;
    let mut p = People {
        mission: HashMap::new(),
        finance: None,
        supervisor: None,
    };
    for u in users {
        match (u.role.as_str(), u.country) {
            ("mission_officer", Some(cc)) => {
                p.mission.entry(cc.to_ascii_uppercase()).or_insert(u.id);
            }
            ("finance", _) => {
                p.finance.get_or_insert(u.id);
            }
            ("supervisor", _) => {
                p.supervisor.get_or_insert(u.id);
            }
            _ => {}
        }
    }
    Ok(p)
}

// --------------------------------------------------------------- the load

/// Writes the reintegration data of the demo's returned cases (see the
/// module documentation) in one transaction, deterministically from `seed`:
/// the same database and seed give the same vendors, plans and amounts.
/// Receipt files go under `store.data_dir` like `purchases::pay`'s, and are
/// removed again if the transaction fails. Refused on a database that
/// already has vendors or arrivals (`Duplicate("demo_returns")`).
pub async fn load(store: &Store, seed: u64) -> Result<DemoReturns> {
    let schedules: HashMap<Uuid, Schedule> = programmes::followup_schedules(store)
        .await?
        .into_iter()
        .collect();
    let mut tx = store.begin().await?;
    let existing: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM vendors) + (SELECT COUNT(*) FROM arrivals)")
        .fetch_one(c).await)?;
    if existing > 0 {
        return Err(Error::Duplicate("demo_returns"));
    }
    let cases = read_cases(&mut tx).await?;
    let people = read_people(&mut tx).await?;
    let now = homeward_store::now();
    let g = Gen {
        store,
        people: &people,
        schedules: &schedules,
        now,
        today: now.date_naive(),
    };
    let mut rows = Rows::new();
    let vendors = g.vendors(seed, &cases, &mut rows);
    for c in &cases {
        // Each case draws from its own generator: its data does not depend
        // on the cases before it.
        let (hi, lo) = c.row.id.as_u64_pair();
        let mut rng = StdRng::seed_from_u64(seed ^ hi ^ lo.rotate_left(17));
        g.case(&mut rng, c, &vendors, &mut rows)?;
    }
    let counts = rows.counts();
    let files = std::mem::take(&mut rows.files);
    write_files(store, &files).await?;
    let written: Result<()> = async {
        rows.write(&mut tx).await?;
        audit::record(
            &mut tx,
            None,
            audit::Entry {
                action: "demo_load",
                entity: "reintegration",
                entity_id: None,
                case_id: None,
                before: None,
                after: Some(serde_json::json!({
                    "seed": seed, "vendors": counts.vendors, "arrivals": counts.arrivals,
                    "followups": counts.followups, "plans": counts.plans, "purchases": counts.purchases,
                    "surveys": counts.surveys, "closures": counts.closures,
                })),
            },
        )
        .await?;
        tx.commit().await
    }
    .await;
    if let Err(e) = written {
        // No rows, so no files either.
        remove_files(store, &files).await;
        return Err(e);
    }
    Ok(counts)
}

/// Writes the receipt files as `purchases::pay` writes a receipt's (the
/// store's [`attachments::write_file`]: sealed, under the data folder); if
/// one fails, removes those already written.
async fn write_files(store: &Store, files: &[(String, Vec<u8>)]) -> Result<()> {
    for (n, (key, bytes)) in files.iter().enumerate() {
        if let Err(e) = attachments::write_file(store, key, bytes).await {
            remove_files(store, &files[..n]).await;
            return Err(e);
        }
    }
    Ok(())
}

async fn remove_files(store: &Store, files: &[(String, Vec<u8>)]) {
    for (key, _) in files {
        attachments::remove_file(store, key).await;
    }
}

/// What every case's generation reads.
struct Gen<'a> {
    store: &'a Store,
    people: &'a People,
    schedules: &'a HashMap<Uuid, Schedule>,
    now: DateTime<Utc>,
    today: NaiveDate,
}

/// A contact attempt: held on, outcome, mode, notes, rescheduled to.
type Attempt = (
    NaiveDate,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<NaiveDate>,
);

/// An approved plan: when, and its components (category, budget).
type ApprovedPlan = (DateTime<Utc>, Vec<(Category, i64)>);

/// Where a case stands after return, for the dates that bound its records.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Stage {
    Reintegrating,
    Monitoring,
    Closed,
}

impl Gen<'_> {
    /// Two or three vendors for each country with returned cases.
    fn vendors(
        &self,
        seed: u64,
        cases: &[Case],
        rows: &mut Rows,
    ) -> BTreeMap<&'static str, Vec<DemoVendor>> {
        let mut rng = StdRng::seed_from_u64(seed ^ 0x7e4d_0125);
        let countries: BTreeSet<&str> = cases
            .iter()
            .filter_map(|c| c.row.country_of_return.as_deref())
            .collect();
        let mut out = BTreeMap::new();
        for code in countries {
            let Some(k) = country(code) else {
                continue;
            };
            let n = if rng.gen_bool(0.7) { 3 } else { 2 };
            let by = self
                .people
                .mission
                .get(k.code)
                .copied()
                .or(self.people.finance);
            let mut list = Vec::new();
            for (name, categories) in k.vendors.iter().take(n) {
                let v = DemoVendor {
                    id: id(&mut rng),
                    name,
                    categories,
                };
                let cats: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
                let created = at(
                    NaiveDate::from_ymd_opt(2012, 7, 2).unwrap_or(self.today),
                    10,
                    0,
                ) + Duration::days(rng.gen_range(0..30))
                    + Duration::minutes(rng.gen_range(0..420));
                rows.vendors.row(vec![
                    uuid(v.id),
                    text(k.code),
                    text(v.name),
                    text(serde_json::to_string(&cats).unwrap_or_else(|_| "[]".into())),
                    text(format!("{} {:04}", k.phone, rng.gen_range(100..10_000))),
                    Param::Bool(true),
                    opt_uuid(by),
                    time(created),
                ]);
                list.push(v);
            }
            out.insert(k.code, list);
        }
        out
    }

    /// Everything after return for one case.
    fn case(
        &self,
        rng: &mut StdRng,
        c: &Case,
        vendors: &BTreeMap<&'static str, Vec<DemoVendor>>,
        rows: &mut Rows,
    ) -> Result<()> {
        let stage = match c.row.status.as_str() {
            "reintegrating" => Stage::Reintegrating,
            "monitoring" => Stage::Monitoring,
            "closed" => Stage::Closed,
            _ => return Ok(()),
        };
        let Some(reint) = &c.reintegrating else {
            return Ok(());
        };
        // Closed after return only (not an ineligible case closed before).
        if stage == Stage::Closed
            && !c.closed.as_ref().is_some_and(|t| {
                matches!(
                    t.from_status.as_deref(),
                    Some("reintegrating" | "monitoring")
                )
            })
        {
            return Ok(());
        }
        let cc = c.row.country_of_return.as_deref();
        // The mission records; where the demo has no mission officer for the
        // country, whoever moved the case to reintegrating (as the timeline says).
        let Some(officer) = cc
            .and_then(|cc| self.people.mission.get(cc).copied())
            .or(reint.actor_id)
        else {
            return Ok(());
        };
        let confirmed = reint.at;
        let departed_on = c.departed.unwrap_or(confirmed).date_naive();
        // A day or two after departure, never after it was confirmed.
        let arrived_on = (departed_on + Duration::days(rng.gen_range(1..=2)))
            .min(confirmed.date_naive())
            .max(departed_on);
        let locality = c
            .row
            .destination_locality
            .clone()
            .unwrap_or_else(|| "the home town".into());
        let place = c
            .destination_airport
            .as_deref()
            .and_then(homeward_domain::airports::by_iata)
            .filter(|a| !a.city.is_empty())
            .map(|a| format!("{} ({})", a.city, a.iata))
            .unwrap_or_else(|| locality.clone());
        rows.arrivals.row(vec![
            uuid(c.row.id),
            date(arrived_on),
            text(place),
            uuid(officer),
            time(confirmed),
        ]);
        let closed_at = c
            .closed
            .as_ref()
            .map(|t| t.at)
            .filter(|_| stage == Stage::Closed);
        // Nothing is recorded after the closure, or after today.
        let limit = closed_at
            .map(|t| t.date_naive())
            .unwrap_or(self.today)
            .min(self.today);
        let schedule = self
            .schedules
            .get(&c.row.programme_id)
            .cloned()
            .unwrap_or_default();
        self.followups(
            rng, c, stage, officer, arrived_on, confirmed, limit, closed_at, &schedule, rows,
        )?;
        if let Some(cap) = c.entitlement {
            let end_of_plan = c
                .monitoring
                .as_ref()
                .map(|t| t.at)
                .filter(|_| stage != Stage::Reintegrating)
                .unwrap_or(confirmed + Duration::days(25))
                .min(self.now);
            let plan = self.plan(
                rng,
                c,
                stage,
                officer,
                cap,
                confirmed,
                end_of_plan,
                &locality,
                rows,
            );
            if let (Some((approved_at, components)), Some(list)) =
                (plan, cc.and_then(|cc| vendors.get(cc)))
            {
                let end = closed_at
                    .map(|t| t - Duration::minutes(30))
                    .unwrap_or(approved_at + Duration::days(90))
                    .min(self.now);
                self.purchases(
                    rng,
                    c,
                    stage,
                    officer,
                    cap,
                    &components,
                    list,
                    approved_at,
                    end,
                    &locality,
                    rows,
                )?;
            }
        }
        if stage != Stage::Reintegrating {
            let from = c
                .monitoring
                .as_ref()
                .map(|t| t.at.date_naive())
                .unwrap_or(arrived_on)
                .max(arrived_on);
            self.surveys(
                rng, c, stage, officer, arrived_on, from, limit, closed_at, rows,
            )?;
        }
        if let (Stage::Closed, Some(t)) = (stage, &c.closed) {
            let (reason, note) = {
                let weights: Vec<(usize, u32)> =
                    CLOSURES.iter().enumerate().map(|(i, c)| (i, c.1)).collect();
                let (r, _, n) = CLOSURES[weighted(rng, &weights)];
                (r, n.filter(|_| rng.gen_bool(0.7)))
            };
            debug_assert!(CLOSURE_REASONS.contains(&reason));
            rows.closures.row(vec![
                uuid(id(rng)),
                uuid(c.row.id),
                text(t.from_status.clone().unwrap_or_else(|| "monitoring".into())),
                text(reason),
                opt_text(note),
                opt_uuid(t.actor_id),
                time(t.at),
            ]);
            // As `closure::close` records it: the code is the transition's reason.
            rows.closing_reasons.push((t.id, reason));
        }
        Ok(())
    }

    /// The schedule from the programme's, with its contacts: the one on
    /// arrival nearly always made; later ones made in turn until one is
    /// missed (it and the rest stay open: overdue on open cases). Closed
    /// cases keep the contacts due after closure open, as a real closure does.
    #[allow(clippy::too_many_arguments)]
    fn followups(
        &self,
        rng: &mut StdRng,
        c: &Case,
        stage: Stage,
        officer: Uuid,
        arrived_on: NaiveDate,
        created: DateTime<Utc>,
        limit: NaiveDate,
        closed_at: Option<DateTime<Utc>>,
        schedule: &Schedule,
        rows: &mut Rows,
    ) -> Result<()> {
        let keep_going = match stage {
            Stage::Reintegrating => 0.5,
            Stage::Monitoring => 0.85,
            Stage::Closed => 0.9,
        };
        let mut open = false;
        for (offset, due) in schedule
            .offsets_months
            .iter()
            .zip(schedule.due_dates(arrived_on))
        {
            let offset =
                i32::try_from(*offset).map_err(|_| Error::Io("follow-up offset".into()))?;
            let fid = id(rng);
            let p = if offset == 0 { 0.95 } else { keep_going };
            open = open || due > limit || !rng.gen_bool(p);
            let mut tries: Vec<Attempt> = Vec::new();
            let clamp = |d: NaiveDate| d.max(arrived_on).min(limit);
            let mode = *pick(
                rng,
                &[
                    "in_person",
                    "in_person",
                    "phone",
                    "phone",
                    "video",
                    "message",
                ],
            );
            let note = |rng: &mut StdRng, list: &[&'static str]| {
                rng.gen_bool(0.7).then(|| *pick(rng, list))
            };
            if !open {
                let first = clamp(due + Duration::days(rng.gen_range(-2..=5)));
                let r: f64 = rng.gen();
                if r < 0.75 || first >= limit {
                    tries.push((first, "reached", mode, note(rng, NOTES_REACHED), None));
                } else if r < 0.87 {
                    let second = clamp(first + Duration::days(rng.gen_range(2..=7)));
                    tries.push((
                        first,
                        "not_reached",
                        "phone",
                        note(rng, NOTES_NOT_REACHED),
                        None,
                    ));
                    tries.push((second, "reached", mode, note(rng, NOTES_REACHED), None));
                } else if r < 0.95 {
                    let to = clamp(first + Duration::days(rng.gen_range(5..=14)));
                    if to > first {
                        tries.push((
                            first,
                            "rescheduled",
                            "phone",
                            note(rng, NOTES_RESCHEDULED),
                            Some(to),
                        ));
                    }
                    tries.push((to, "reached", mode, note(rng, NOTES_REACHED), None));
                } else {
                    tries.push((first, "refused", "phone", Some(NOTE_REFUSED), None));
                }
            } else if stage == Stage::Monitoring && due <= limit && rng.gen_bool(0.3) {
                // A missed contact: tried, not reached, still open.
                let first = clamp(due + Duration::days(rng.gen_range(0..=5)));
                tries.push((
                    first,
                    "not_reached",
                    "phone",
                    note(rng, NOTES_NOT_REACHED),
                    None,
                ));
            }
            let mut due_on = due;
            let mut latest = None;
            let mut completed = None;
            for (held, outcome, mode, notes, to) in &tries {
                let mut recorded = at(*held, 14, 0) + Duration::minutes(rng.gen_range(0..240));
                if let Some(end) = closed_at {
                    recorded = recorded.min(end - Duration::minutes(10));
                }
                let recorded = recorded.min(self.now).max(created);
                rows.attempts.row(vec![
                    uuid(id(rng)),
                    uuid(fid),
                    uuid(c.row.id),
                    date(*held),
                    text(*outcome),
                    text(*mode),
                    opt_text(*notes),
                    date(due_on),
                    opt_date(*to),
                    uuid(officer),
                    time(recorded),
                ]);
                if let Some(t) = to {
                    due_on = *t;
                }
                if homeward_domain::followups::completes(outcome) {
                    completed = Some(recorded);
                }
                latest = Some((*held, *outcome, *mode, *notes, recorded));
            }
            rows.followups.row(vec![
                uuid(fid),
                uuid(c.row.id),
                Param::I32(offset),
                date(due_on),
                date(due),
                opt_date(latest.map(|l| l.0)),
                opt_text(latest.map(|l| l.1)),
                opt_text(latest.map(|l| l.2)),
                opt_text(latest.and_then(|l| l.3)),
                opt_uuid(latest.map(|_| officer)),
                opt_time(latest.map(|l| l.4)),
                opt_time(completed),
                i64v(1 + tries.len() as i64),
                time(created),
            ]);
        }
        Ok(())
    }

    /// A plan of one to three components within the entitlement, built in
    /// the weeks after arrival: approved (by a supervisor) for most cases,
    /// a draft or nothing yet for some in reintegration. Returns the
    /// approval time and the components (category, budget) when approved.
    #[allow(clippy::too_many_arguments)]
    fn plan(
        &self,
        rng: &mut StdRng,
        c: &Case,
        stage: Stage,
        officer: Uuid,
        cap: Money,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        locality: &str,
        rows: &mut Rows,
    ) -> Option<ApprovedPlan> {
        let r: f64 = rng.gen();
        let (exists, approved) = match stage {
            Stage::Reintegrating => (r < 0.9, r < 0.75),
            _ => (true, true),
        };
        if !exists {
            return None;
        }
        // Categories a vendor of the country serves (any, for a case
        // without a country: it has no purchases).
        let available: Vec<(Category, u32)> = {
            let served: Vec<Category> = c
                .row
                .country_of_return
                .as_deref()
                .and_then(country)
                .map(|k| k.vendors.iter().flat_map(|v| v.1.iter().copied()).collect())
                .unwrap_or_else(|| Category::ALL.to_vec());
            CATEGORY_WEIGHTS
                .iter()
                .filter(|(cat, _)| served.contains(cat))
                .copied()
                .collect()
        };
        let mut categories: Vec<Category> = Vec::new();
        let k = rng.gen_range(1..=3usize);
        for _ in 0..k * 4 {
            let cat = weighted(rng, &available);
            if !categories.contains(&cat) {
                categories.push(cat);
            }
            if categories.len() == k {
                break;
            }
        }
        // The whole entitlement for most, a part for some; in CAD 50 steps.
        let step = 5_000;
        let total = if rng.gen_bool(0.7) {
            cap.minor
        } else {
            cap.minor * rng.gen_range(60..=95) / 100
        };
        let total = (total / step * step).max(step.min(cap.minor));
        let mut budgets: Vec<i64> = Vec::new();
        let mut left = total;
        for n in 0..categories.len() {
            let rest = categories.len() - n - 1;
            let b = if rest == 0 {
                left
            } else {
                let share = left * rng.gen_range(35..=65) / 100 / step * step;
                share.clamp(step.min(left), (left - step * rest as i64).max(0))
            };
            if b <= 0 {
                break;
            }
            budgets.push(b);
            left -= b;
        }
        categories.truncate(budgets.len());
        let n = budgets.len();
        let mut instants = times(rng, start + Duration::hours(2), end, n + 1);
        let approved_at = instants.pop().unwrap_or(end);
        let created = instants.first().copied().unwrap_or(start);
        for ((cat, budget), t) in categories.iter().zip(&budgets).zip(&instants) {
            let what = pick(rng, descriptions(*cat)).replace("{}", locality);
            rows.components.row(vec![
                uuid(id(rng)),
                uuid(c.row.id),
                text(cat.dimensions()[0].as_str()),
                text(cat.as_str()),
                text(what),
                i64v(*budget),
                text(cap.currency.code()),
                uuid(officer),
                time(*t),
            ]);
        }
        let last_change = instants.last().copied().unwrap_or(created);
        // Each added component bumped the version; so did the approval.
        let version = n as i64 + i64::from(approved);
        rows.plans.row(vec![
            uuid(c.row.id),
            text(if approved { "approved" } else { "draft" }),
            opt_uuid(self.people.supervisor.filter(|_| approved)),
            opt_time(approved.then_some(approved_at)),
            i64v(version),
            time(created),
            time(if approved { approved_at } else { last_change }),
        ]);
        approved.then(|| (approved_at, categories.into_iter().zip(budgets).collect()))
    }

    /// Purchases for the plan's components, each within its component's
    /// budget (so the case stays within its entitlement), from a vendor of
    /// the country that serves the category, priced in local currency at the
    /// day's rate. Finance decides and pays (with a receipt); the mission
    /// confirms delivery. A closed case has nothing requested or approved left.
    #[allow(clippy::too_many_arguments)]
    fn purchases(
        &self,
        rng: &mut StdRng,
        c: &Case,
        stage: Stage,
        officer: Uuid,
        cap: Money,
        components: &[(Category, i64)],
        vendors: &[DemoVendor],
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        locality: &str,
        rows: &mut Rows,
    ) -> Result<()> {
        let Some(k) = c.row.country_of_return.as_deref().and_then(country) else {
            return Ok(());
        };
        let Some(finance) = self.people.finance.filter(|f| *f != officer) else {
            return Ok(());
        };
        let local_currency =
            Currency::parse(k.currency).map_err(|e| Error::Io(format!("demo currency: {e}")))?;
        let statuses: &[(&str, u32)] = match stage {
            Stage::Reintegrating => &[
                ("requested", 30),
                ("approved", 28),
                ("paid", 22),
                ("delivered", 14),
                ("rejected", 3),
                ("cancelled", 3),
            ],
            Stage::Monitoring => &[
                ("requested", 5),
                ("approved", 10),
                ("paid", 20),
                ("delivered", 59),
                ("rejected", 3),
                ("cancelled", 3),
            ],
            Stage::Closed => &[
                ("paid", 12),
                ("delivered", 82),
                ("rejected", 3),
                ("cancelled", 3),
            ],
        };
        let (mut made, mut decisions, mut last_change) = (0, 0i64, start);
        for (cat, budget) in components {
            let Some(vendor) = vendors.iter().find(|v| v.categories.contains(cat)) else {
                continue;
            };
            let mut left = *budget;
            let n = if rng.gen_bool(0.4) { 2 } else { 1 };
            for i in 0..n {
                let target = if i + 1 == n {
                    left * rng.gen_range(75..=100) / 100
                } else {
                    left * rng.gen_range(40..=70) / 100
                };
                let (mant, scale) = k.rate;
                let spread = (mant / 25).max(1);
                let mant = mant + rng.gen_range(0..=2 * spread) - spread;
                let rate =
                    ExchangeRate::from_parts(local_currency, cap.currency, mant, 10u64.pow(scale))
                        .map_err(|e| Error::Io(format!("demo rate: {e}")))?;
                // The largest round price that converts to at most the target.
                let exp_from = i128::from(local_currency.exponent());
                let exp_to = i128::from(cap.currency.exponent());
                let max_local = i128::from(target)
                    * i128::from(rate.denominator())
                    * 10i128.pow(exp_from as u32)
                    / (i128::from(rate.numerator()) * 10i128.pow(exp_to as u32));
                let price_step = i128::from(k.price_step) * 10i128.pow(exp_from as u32);
                let local_minor = i64::try_from(max_local / price_step * price_step).unwrap_or(0);
                if local_minor <= 0 {
                    continue;
                }
                let local = Money::new(local_minor, local_currency);
                let programme =
                    convert(local, &rate).map_err(|e| Error::Io(format!("demo price: {e}")))?;
                if programme.minor <= 0 || programme.minor > left {
                    continue;
                }
                let status = weighted(rng, statuses);
                if !matches!(status, "rejected" | "cancelled") {
                    left -= programme.minor;
                }
                let ev = times(rng, start + Duration::hours(1), end, 4);
                let (requested, decided, paid, delivered) = (ev[0], ev[1], ev[2], ev[3]);
                let decided_by = matches!(status, "approved" | "paid" | "delivered" | "rejected");
                let is_paid = matches!(status, "paid" | "delivered");
                let is_delivered = status == "delivered";
                let reason = match status {
                    "rejected" => {
                        Some("Quote above local market prices; a second quote was asked for.")
                    }
                    "cancelled" => Some("The returnee found the item cheaper elsewhere."),
                    _ => None,
                };
                let version = match status {
                    "requested" => 1,
                    "approved" | "rejected" | "cancelled" => 2,
                    "paid" => 3,
                    _ => 4,
                };
                made += 1;
                last_change = last_change.max(requested);
                if decided_by {
                    decisions += 1;
                    last_change = last_change.max(decided);
                }
                let pid = id(rng);
                let receipt = if is_paid {
                    decisions += 1;
                    last_change = last_change.max(paid);
                    let aid = id(rng);
                    let number =
                        format!("R-{}-{:05}", paid.format("%Y"), rng.gen_range(1..100_000));
                    let bytes = receipt_pdf(&[
                        vendor.name,
                        &format!("Receipt {number}"),
                        &format!("Date: {}", paid.format("%Y-%m-%d")),
                        &format!("Case {}", c.row.case_number),
                        &format!(
                            "{}: {}",
                            cat.as_str().replace('_', " "),
                            pick(rng, descriptions(*cat)).replace("{}", locality)
                        ),
                        &format!(
                            "Amount: {} {}",
                            local.to_plain_string(),
                            local.currency.code()
                        ),
                        "Paid by IOM (in kind)",
                    ]);
                    let key = Uuid::new_v4().simple().to_string();
                    rows.attachments.row(vec![
                        uuid(aid),
                        uuid(c.row.id),
                        text("receipt"),
                        text(attachments::seal_name(
                            self.store,
                            aid,
                            &format!("receipt-{number}.pdf"),
                        )?),
                        text("application/pdf"),
                        i64v(bytes.len() as i64),
                        text(hex::encode(sha2::Sha256::digest(&bytes))),
                        text(key.clone()),
                        uuid(finance),
                        time(paid),
                    ]);
                    rows.files.push((key, bytes));
                    Some(aid)
                } else {
                    None
                };
                let num = i64::try_from(rate.numerator()).unwrap_or(i64::MAX);
                let den = i64::try_from(rate.denominator()).unwrap_or(i64::MAX);
                rows.purchases.row(vec![
                    uuid(pid),
                    uuid(c.row.id),
                    uuid(vendor.id),
                    text(cat.as_str()),
                    text(pick(rng, descriptions(*cat)).replace("{}", locality)),
                    i64v(local.minor),
                    text(local_currency.code()),
                    i64v(num),
                    i64v(den),
                    text(k.rate_source),
                    date(requested.date_naive()),
                    uuid(officer),
                    time(requested),
                    i64v(programme.minor),
                    text(cap.currency.code()),
                    text(status),
                    opt_text(reason),
                    uuid(officer),
                    time(requested),
                    opt_uuid(decided_by.then_some(finance)),
                    opt_time(decided_by.then_some(decided)),
                    opt_uuid(is_paid.then_some(finance)),
                    opt_time(is_paid.then_some(paid)),
                    opt_uuid(receipt),
                    opt_uuid(is_delivered.then_some(officer)),
                    opt_time(is_delivered.then_some(delivered)),
                    i64v(version),
                ]);
            }
        }
        if made > 0 {
            // Written by the first request; each decision and payment bumped it.
            rows.budgets.row(vec![
                uuid(c.row.id),
                i64v(cap.minor),
                text(cap.currency.code()),
                i64v(1 + decisions),
                time(last_change),
            ]);
        }
        Ok(())
    }

    /// One to three RSS surveys between `from` and `limit`, answered by a
    /// returnee whose situation improves a little from one to the next, and
    /// scored as `surveys::record` scores them (the store's questionnaire).
    #[allow(clippy::too_many_arguments)]
    fn surveys(
        &self,
        rng: &mut StdRng,
        c: &Case,
        stage: Stage,
        officer: Uuid,
        arrived_on: NaiveDate,
        from: NaiveDate,
        limit: NaiveDate,
        closed_at: Option<DateTime<Utc>>,
        rows: &mut Rows,
    ) -> Result<()> {
        let q = &self.store.questionnaire;
        let mut days: Vec<NaiveDate> = match stage {
            // Soon after monitoring starts, then about 6 and 12 months after arrival.
            Stage::Monitoring => [0u32, 6, 12]
                .iter()
                .take(rng.gen_range(1..=3))
                .filter_map(|m| {
                    let d = if *m == 0 {
                        from + Duration::days(rng.gen_range(3..=20))
                    } else {
                        arrived_on.checked_add_months(chrono::Months::new(*m))?
                            + Duration::days(rng.gen_range(-10..=10))
                    };
                    Some(d.max(from).min(limit))
                })
                .collect(),
            _ => {
                let span = (limit - from).num_days().max(0);
                let n = rng.gen_range(1..=3).min(span as usize + 1);
                let mut v: Vec<NaiveDate> = (0..n)
                    .map(|_| from + Duration::days(rng.gen_range(0..=span)))
                    .collect();
                v.push(limit);
                v.sort();
                v.dedup();
                v.split_off(v.len().saturating_sub(n))
            }
        };
        days.sort();
        days.dedup();
        let mut level: f64 = rng.gen_range(0.35..0.8);
        for day in days {
            let mut answers: HashMap<String, String> = HashMap::new();
            for ind in &q.indicators {
                let target = (level + rng.gen_range(-0.25..0.25)).clamp(0.0, 1.0);
                let skip = rng.gen_bool(0.03);
                let choice = ind
                    .scale
                    .iter()
                    .filter(|o| o.score.is_none() == skip)
                    .min_by(|a, b| {
                        let da = (a.score.unwrap_or(0.0) - target).abs();
                        let db = (b.score.unwrap_or(0.0) - target).abs();
                        da.total_cmp(&db)
                    })
                    .or_else(|| ind.scale.first());
                if let Some(o) = choice {
                    answers.insert(ind.id.clone(), o.value.clone());
                }
            }
            let scores = match rss::score(q, &answers) {
                Ok(s) => s,
                // A dimension left with only "not applicable": answer it.
                Err(_) => {
                    for ind in &q.indicators {
                        if let Some(o) = ind.scale.iter().find(|o| o.score.is_some()) {
                            let current = answers.get(&ind.id);
                            let scored = ind
                                .scale
                                .iter()
                                .any(|s| Some(&s.value) == current && s.score.is_some());
                            if !scored {
                                answers.insert(ind.id.clone(), o.value.clone());
                            }
                        }
                    }
                    rss::score(q, &answers)?
                }
            };
            let stored: BTreeMap<&String, &String> = answers.iter().collect();
            let json = serde_json::to_string(&stored)
                .map_err(|e| Error::Io(format!("survey answers: {e}")))?;
            let mut recorded = at(day, 15, 0) + Duration::minutes(rng.gen_range(0..180));
            if let Some(end) = closed_at {
                recorded = recorded.min(end - Duration::minutes(20));
            }
            rows.surveys.row(vec![
                uuid(id(rng)),
                uuid(c.row.id),
                date(day),
                text(scores.questionnaire),
                Param::F64(scores.economic),
                Param::F64(scores.social),
                Param::F64(scores.psychosocial),
                Param::F64(scores.composite),
                text(json),
                uuid(officer),
                time(recorded.min(self.now)),
            ]);
            level = (level + rng.gen_range(0.03..0.12)).min(0.95);
        }
        Ok(())
    }
}

// ---------------------------------------------------------------- receipts

/// A one-page PDF with these lines (Helvetica), small but well formed:
/// receipts open like any uploaded one.
fn receipt_pdf(lines: &[&str]) -> Vec<u8> {
    let mut content = String::from("BT /F1 11 Tf 36 250 Td 16 TL\n");
    for l in lines {
        // In ASCII, for the PDF's standard font.
        let t = transliterate(l)
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)");
        content.push_str(&format!("({t}) Tj T*\n"));
    }
    content.push_str("ET\n");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 420 298] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Length {} >>\nstream\n{content}endstream", content.len()),
    ];
    let mut pdf = String::from("%PDF-1.4\n");
    let mut offsets = Vec::with_capacity(objects.len());
    for (n, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.push_str(&format!("{} 0 obj\n{o}\nendobj\n", n + 1));
    }
    let xref = pdf.len();
    pdf.push_str(&format!(
        "xref\n0 {}\n0000000000 65535 f \n",
        objects.len() + 1
    ));
    for o in offsets {
        pdf.push_str(&format!("{o:010} 00000 n \n"));
    }
    pdf.push_str(&format!(
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    ));
    pdf.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_are_pdfs() {
        let pdf = receipt_pdf(&["Otthon Lakásügynökség Kft.", "Amount: 150000.00 HUF (net)"]);
        assert_eq!(
            infer::get(&pdf).map(|t| t.mime_type()),
            Some("application/pdf")
        );
        let s = String::from_utf8(pdf).unwrap();
        assert!(s.contains("(Otthon Lakasugynokseg Kft.) Tj"));
        assert!(s.contains("\\(net\\)"));
        let xref: usize = s
            .rsplit("startxref\n")
            .next()
            .unwrap()
            .lines()
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(s[xref..].starts_with("xref"));
    }

    #[test]
    fn every_country_converts_round_prices() {
        for k in COUNTRIES {
            let cur = Currency::parse(k.currency).unwrap();
            let cad = Currency::parse("CAD").unwrap();
            let rate = ExchangeRate::from_parts(cur, cad, k.rate.0, 10u64.pow(k.rate.1)).unwrap();
            let step = Money::new(k.price_step * 10i64.pow(u32::from(cur.exponent())), cur);
            let cad_step = convert(step, &rate).unwrap().minor;
            // One price step is a few dollars at most, so budgets are met closely.
            assert!((1..=1_000).contains(&cad_step), "{} {cad_step}", k.code);
            assert_eq!(k.vendors[0].1, HOUSING);
        }
    }
}
