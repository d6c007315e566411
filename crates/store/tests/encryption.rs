//! Restricted data at rest (issue 7, ADR 0028): counselling notes, health
//! and vulnerability details and attachments are sealed in the database and
//! on disk; the raw database and data folder hold none of it in plain text;
//! rotation moves everything to a new key and can be run again; a sealed
//! value moved onto another record does not open. SQLite and PostgreSQL.

use homeward_domain::person::PersonInput;
use homeward_domain::referral::ReferralInput;
use homeward_store::cases::{self, CaseInput};
use homeward_store::counselling::{self, SessionInput};
use homeward_store::crypto::Keyring;
use homeward_store::readiness::{self, FitnessInput, VulnerabilityInput};
use homeward_store::{attachments, both_databases, consents, keys, on_db, Db, Error, Store};
use std::sync::Arc;

const NOTE: &str = "Fears reprisals from the Kovacs family in Miskolc";
const DETAILS: &str = "Recruited with a false job offer at a Budapest bakery";
const FOLLOW_UP: &str = "Referral to the Hungarian Baptist Aid shelter";
const FITNESS_NOTE: &str = "Insulin dependent diabetic, carries syringes";
const FILE_TEXT: &str = "CONFIDENTIAL-PSYCHIATRIC-ASSESSMENT";
const FILE_NAME: &str = "psychiatric-assessment-horvath.pdf";

fn pdf() -> Vec<u8> {
    format!("%PDF-1.4\n% {FILE_TEXT}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n").into_bytes()
}

async fn case(store: &Store) -> (homeward_store::Actor, uuid::Uuid, uuid::Uuid) {
    let cbsa = homeward_store::testing::user(store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = homeward_store::testing::user(store, "c@iom.int", "counsellor", None).await;
    let input = CaseInput {
        principal: Some(PersonInput {
            family_name: Some("Horváth".into()),
            ..Default::default()
        }),
        country_of_return: Some("HU".into()),
        referral: Some(ReferralInput {
            claim_filed_on: Some("2012-03-01".into()),
            claim_outcome: Some("rejected".into()),
            irb_decided_on: Some("2012-06-01".into()),
            designated_country_of_origin: Some(false),
            compliant_with_conditions: Some(true),
            criminality: Some("none".into()),
            residence_region: Some("GTA".into()),
            prior_avrr_assistance: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = cases::create(store, &cbsa, &input)
        .await
        .unwrap()
        .summary
        .id;
    cases::transition(store, &c, id, "intake", None, None)
        .await
        .unwrap();
    consents::give(store, &c, id, "collect_health_data")
        .await
        .unwrap();
    let person = cases::get(store, &c, id).await.unwrap().members[0]
        .person
        .id;
    (c, id, person)
}

/// Writes one of each kind of restricted data and returns the attachment id.
async fn write_everything(
    store: &Store,
    c: &homeward_store::Actor,
    id: uuid::Uuid,
    person: uuid::Uuid,
) -> uuid::Uuid {
    counselling::add(
        store,
        c,
        id,
        &SessionInput {
            held_on: Some("2024-05-01".into()),
            duration_minutes: Some(45),
            language: Some("hu".into()),
            notes: Some(NOTE.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    readiness::add_vulnerability(
        store,
        c,
        id,
        &VulnerabilityInput {
            person_id: Some(person),
            kind: Some("victim_of_trafficking".into()),
            details: Some(DETAILS.into()),
            follow_up: Some(FOLLOW_UP.into()),
        },
    )
    .await
    .unwrap();
    readiness::add_fitness(
        store,
        c,
        id,
        &FitnessInput {
            person_id: Some(person),
            status: Some("fit_with_escort".into()),
            medical_escort: true,
            special_assistance: vec!["MEDA".into()],
            notes: Some(FITNESS_NOTE.into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    attachments::add(store, c, id, "other", FILE_NAME, &pdf())
        .await
        .unwrap()
        .id
}

/// Everything a reader sees, as the store returns it.
async fn read_back(store: &Store, c: &homeward_store::Actor, id: uuid::Uuid, aid: uuid::Uuid) {
    let s = counselling::list(store, c, id).await.unwrap();
    assert!(s.iter().any(|x| x.notes.as_deref() == Some(NOTE)), "{s:?}");
    let v = readiness::vulnerabilities(store, c, id).await.unwrap();
    assert_eq!(v[0].kind, "victim_of_trafficking");
    assert_eq!(v[0].details.as_deref(), Some(DETAILS));
    assert_eq!(v[0].follow_up.as_deref(), Some(FOLLOW_UP));
    let f = readiness::fitness(store, c, id).await.unwrap();
    assert_eq!(f[0].notes.as_deref(), Some(FITNESS_NOTE));
    assert_eq!(f[0].special_assistance, r#"["MEDA"]"#);
    let (a, bytes) = attachments::open(store, c, id, aid).await.unwrap();
    assert_eq!(a.file_name, FILE_NAME);
    assert_eq!(bytes, pdf());
    assert_eq!(
        attachments::list(store, c, id).await.unwrap()[0].file_name,
        FILE_NAME
    );
}

const SECRETS: [&str; 7] = [
    NOTE,
    DETAILS,
    FOLLOW_UP,
    FITNESS_NOTE,
    FILE_TEXT,
    FILE_NAME,
    "victim_of_trafficking",
];

/// Every byte the database holds: the SQLite file and its write-ahead log,
/// or every row of every PostgreSQL table as text.
async fn raw_database(store: &Store, url: &str) -> Vec<u8> {
    match &store.db {
        Db::Sqlite(p) => {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await
                .unwrap();
            let path = url.trim_start_matches("sqlite://");
            let mut bytes = std::fs::read(path).unwrap();
            if let Ok(wal) = std::fs::read(format!("{path}-wal")) {
                bytes.extend(wal);
            }
            bytes
        }
        Db::Postgres(p) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            )
            .fetch_all(p)
            .await
            .unwrap();
            assert!(tables.len() > 20, "{tables:?}");
            let mut out = Vec::new();
            for t in tables {
                let rows: Vec<String> =
                    sqlx::query_scalar(&format!("SELECT CAST(t AS TEXT) FROM \"{t}\" t"))
                        .fetch_all(p)
                        .await
                        .unwrap();
                for r in rows {
                    out.extend(r.into_bytes());
                }
            }
            out
        }
    }
}

fn files_under(dir: &std::path::Path) -> Vec<u8> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.extend(std::fs::read(&p).unwrap());
        }
    }
    out
}

fn contains(hay: &[u8], needle: &str) -> bool {
    hay.windows(needle.len()).any(|w| w == needle.as_bytes())
}

async fn sealed_at_rest(store: Store, url: String) {
    let (c, id, person) = case(&store).await;
    let aid = write_everything(&store, &c, id, person).await;
    read_back(&store, &c, id, aid).await;

    // The counsellor's two-factor secret is sealed too.
    let totp = homeward_store::two_factor::enrolment_secret(&store, c.user_id)
        .await
        .unwrap();
    assert_eq!(
        homeward_store::two_factor::status(&store, c.user_id)
            .await
            .unwrap()
            .secret
            .as_deref(),
        Some(totp.as_str())
    );
    let raw = raw_database(&store, &url).await;
    assert!(
        !contains(&raw, &totp),
        "the TOTP secret is in the raw database"
    );
    // The check can fail: the person's name is stored in plain text.
    assert!(contains(&raw, "Horváth"));
    for s in SECRETS {
        assert!(!contains(&raw, s), "{s:?} is in the raw database");
    }
    let files = files_under(&store.data_dir);
    assert!(!files.is_empty());
    for s in SECRETS {
        assert!(!contains(&files, s), "{s:?} is in the data folder");
    }

    // With another key, nothing opens: the data is only as readable as the key.
    let mut other = store.clone();
    other.keys = Arc::new(Keyring::random());
    assert!(matches!(
        counselling::list(&other, &c, id).await,
        Err(Error::Crypto(_))
    ));
    assert!(matches!(
        attachments::open(&other, &c, id, aid).await,
        Err(Error::Crypto(_))
    ));
}

async fn sealed_values_stay_on_their_record(store: Store, _url: String) {
    let (c, id, person) = case(&store).await;
    write_everything(&store, &c, id, person).await;
    let other = SessionInput {
        held_on: Some("2024-05-02".into()),
        duration_minutes: Some(30),
        language: Some("hu".into()),
        notes: Some("Nothing of note".into()),
        ..Default::default()
    };
    counselling::add(&store, &c, id, &other).await.unwrap();
    // Someone with database access copies the first session's notes onto the second.
    on_db!(&store.db, p => sqlx::query(
        "UPDATE counselling_sessions SET notes = (SELECT notes FROM counselling_sessions WHERE held_on = $1) WHERE held_on = $2")
        .bind(chrono::NaiveDate::from_ymd_opt(2024, 5, 1).unwrap())
        .bind(chrono::NaiveDate::from_ymd_opt(2024, 5, 2).unwrap())
        .execute(p).await.map(|_| ())).unwrap();
    assert!(matches!(
        counselling::list(&store, &c, id).await,
        Err(Error::Crypto(_))
    ));
}

async fn rotation_moves_everything_to_the_new_key(mut store: Store, _url: String) {
    let old_line = Keyring::new_key_line();
    store.keys = Arc::new(Keyring::parse(&old_line).unwrap());
    let (c, id, person) = case(&store).await;
    let aid = write_everything(&store, &c, id, person).await;
    // A note written before encryption existed, in plain text.
    on_db!(&store.db, p => sqlx::query(
        "INSERT INTO counselling_sessions (id, case_id, held_on, duration_minutes, language, topics, notes, created_at) \
         VALUES ($1, $2, $3, 20, 'en', '[]', 'Written before encryption', $4)")
        .bind(uuid::Uuid::new_v4()).bind(id).bind(chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap())
        .bind(chrono::Utc::now()).execute(p).await.map(|_| ())).unwrap();
    let old_id = store.keys.current_id().unwrap().to_string();
    let status = keys::status(&store).await.unwrap();
    let under = |s: &[keys::KeyCount], what: &str, key: &str| {
        s.iter()
            .find(|k| k.what == what && k.key == key)
            .map_or(0, |k| k.count)
    };
    assert_eq!(under(&status, "counselling_sessions.notes", &old_id), 1);
    assert_eq!(under(&status, "counselling_sessions.notes", "plain"), 1);
    assert_eq!(under(&status, "attachments (files)", &old_id), 1);

    // The administrator appends a new key; both open, the new one seals.
    let new_line = Keyring::new_key_line().replacen('k', "n", 1);
    let mut rotated = store.clone();
    rotated.keys = Arc::new(Keyring::parse(&format!("{old_line}\n{new_line}")).unwrap());
    let new_id = rotated.keys.current_id().unwrap().to_string();
    let mut seen = 0;
    let done = keys::rotate(&rotated, |_, n| seen += n).await.unwrap();
    // Two sessions, one vulnerability, one fitness check, one attachment name; one file.
    assert_eq!((done.values, done.files), (5, 1));
    assert_eq!(seen, 6);
    let status = keys::status(&rotated).await.unwrap();
    assert!(status.iter().all(|k| k.key == new_id), "{status:?}");
    // Run again (as after an interruption): nothing left to do.
    let again = keys::rotate(&rotated, |_, _| {}).await.unwrap();
    assert_eq!((again.values, again.files), (0, 0));

    // The old key can go: everything reads with the new key alone.
    let mut new_only = store.clone();
    new_only.keys = Arc::new(Keyring::parse(&new_line).unwrap());
    read_back(&new_only, &c, id, aid).await;
    let notes: Vec<Option<String>> = counselling::list(&new_only, &c, id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.notes)
        .collect();
    assert!(notes.contains(&Some("Written before encryption".into())));
    // The keyed hash of the kind follows the new key.
    let hits = readiness::cases_with_vulnerability(&new_only, &c, "victim_of_trafficking")
        .await
        .unwrap();
    assert_eq!(hits, vec![id]);
    let audit: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'rotate_keys'")
        .fetch_one(p).await).unwrap();
    assert_eq!(audit, 2);
}

async fn vulnerabilities_are_found_by_keyed_hash_within_need_to_know(store: Store, _url: String) {
    let (c, id, person) = case(&store).await;
    write_everything(&store, &c, id, person).await;
    assert_eq!(
        readiness::cases_with_vulnerability(&store, &c, "victim_of_trafficking")
            .await
            .unwrap(),
        vec![id]
    );
    assert!(
        readiness::cases_with_vulnerability(&store, &c, "medical_condition")
            .await
            .unwrap()
            .is_empty()
    );
    let cbsa =
        homeward_store::testing::user(&store, "cbsa2@cbsa.gc.ca", "cbsa_officer", None).await;
    assert!(matches!(
        readiness::cases_with_vulnerability(&store, &cbsa, "victim_of_trafficking").await,
        Err(Error::Forbidden)
    ));
    // A mission officer of the country sees it only with consent to share.
    let hu =
        homeward_store::testing::user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    assert!(
        readiness::cases_with_vulnerability(&store, &hu, "victim_of_trafficking")
            .await
            .unwrap()
            .is_empty()
    );
    consents::give(&store, &c, id, "share_with_mission")
        .await
        .unwrap();
    // ... once the case is the mission's: preparing departure.
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'preparing_departure' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    assert_eq!(
        readiness::cases_with_vulnerability(&store, &hu, "victim_of_trafficking")
            .await
            .unwrap(),
        vec![id]
    );
    let mx =
        homeward_store::testing::user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    assert!(
        readiness::cases_with_vulnerability(&store, &mx, "victim_of_trafficking")
            .await
            .unwrap()
            .is_empty()
    );
}

both_databases!(sealed_at_rest_test, sealed_at_rest, url);
both_databases!(
    sealed_values_stay_on_their_record_test,
    sealed_values_stay_on_their_record,
    url
);
both_databases!(rotation_test, rotation_moves_everything_to_the_new_key, url);
both_databases!(
    keyed_hash_test,
    vulnerabilities_are_found_by_keyed_hash_within_need_to_know,
    url
);
