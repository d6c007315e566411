//! Referral, eligibility evaluation, consent, counselling and attachments, on
//! SQLite and PostgreSQL alike.

use homeward_domain::person::PersonInput;
use homeward_domain::referral::ReferralInput;
use homeward_store::cases::{self, CaseInput};
use homeward_store::counselling::{self, SessionInput};
use homeward_store::{
    attachments, both_databases, consents, on_db, referrals, Actor, Error, Store,
};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

async fn user(store: &Store, email: &str, role: &str, country: Option<&str>) -> Actor {
    homeward_store::testing::user(store, email, role, country).await
}

fn facts() -> ReferralInput {
    ReferralInput {
        claim_filed_on: Some("2012-03-01".into()),
        claim_outcome: Some("rejected".into()),
        irb_decided_on: Some("2012-06-01".into()),
        designated_country_of_origin: Some(false),
        compliant_with_conditions: Some(true),
        criminality: Some("none".into()),
        residence_region: Some("GTA".into()),
        prior_avrr_assistance: Some(false),
        ..Default::default()
    }
}

async fn refer(store: &Store, cbsa: &Actor) -> uuid::Uuid {
    let input = CaseInput {
        principal: Some(PersonInput {
            family_name: Some("Horváth".into()),
            ..Default::default()
        }),
        country_of_return: Some("HU".into()),
        referral: Some(facts()),
        ..Default::default()
    };
    cases::create(store, cbsa, &input).await.unwrap().summary.id
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn referral_to_application(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let c2 = user(&store, "c2@iom.int", "counsellor", None).await;
    let id = refer(&store, &cbsa).await;

    // The referral waits in every counsellor's queue with its 24-hour clock.
    let r = referrals::get(&store, &c, id).await.unwrap().unwrap();
    assert!(!r.contact_overdue);
    assert_eq!(
        (r.contact_due_at - cases::summary(&store, &cbsa, id).await.unwrap().referred_at)
            .num_hours(),
        24
    );
    assert_eq!(referrals::waiting(&store, &c, 10).await.unwrap().len(), 1);
    assert_eq!(referrals::waiting(&store, &c2, 10).await.unwrap().len(), 1);
    // An overdue referral comes first.
    let id2 = refer(&store, &cbsa).await;
    on_db!(&store.db, p => sqlx::query("UPDATE referrals SET contact_due_at = $1 WHERE case_id = $2")
        .bind(chrono::Utc::now() - chrono::Duration::hours(1)).bind(id2).execute(p).await.map(|_| ())).unwrap();
    let w = referrals::waiting(&store, &c, 10).await.unwrap();
    assert_eq!(w[0].case_id, id2);
    assert!(
        referrals::get(&store, &c, id2)
            .await
            .unwrap()
            .unwrap()
            .contact_overdue
    );

    // Starting intake takes the case and stops the clock; the other counsellor loses sight of it.
    let d = cases::transition(&store, &c, id, "intake", None, None)
        .await
        .unwrap();
    assert_eq!(d.summary.counsellor_id, Some(c.user_id));
    assert!(referrals::get(&store, &c, id)
        .await
        .unwrap()
        .unwrap()
        .contacted_at
        .is_some());
    assert!(matches!(
        cases::get(&store, &c2, id).await,
        Err(Error::NotFound)
    ));
    cases::transition(&store, &c, id, "counselling", None, None)
        .await
        .unwrap();

    // Bad facts are refused and change nothing.
    let v = referrals::get(&store, &c, id)
        .await
        .unwrap()
        .unwrap()
        .version;
    let bad = ReferralInput {
        claim_outcome: Some("lost".into()),
        ..facts()
    };
    assert!(matches!(
        referrals::update(&store, &c, id, v, &bad).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        referrals::update(&store, &c, id, v + 7, &facts()).await,
        Err(Error::Conflict)
    ));

    // The application stores the evaluation with its rule-set version.
    attachments::add(&store, &c, id, "declaration", "decl.pdf", PDF)
        .await
        .unwrap();
    cases::transition(&store, &c, id, "applied", None, None)
        .await
        .unwrap();
    let e = referrals::latest_evaluation(&store, &cbsa, id)
        .await
        .unwrap()
        .unwrap();
    // Applied today, long after the pilot closed: the test store carries the training copy of the rules.
    assert_eq!(e.rule_set, "gta-2012@1001");
    assert!(e.eligible);
    assert_eq!(
        (e.amount_minor, e.currency.as_deref()),
        (Some(200_000), Some("CAD"))
    );
    assert_eq!(e.rules().len(), 5);
    cases::transition(&store, &cbsa, id, "eligible", None, None)
        .await
        .unwrap();
}
both_databases!(referral_flow, referral_to_application);

async fn counselling_notes_are_restricted(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let fin = user(&store, "f@iom.int", "finance", None).await;
    let id = refer(&store, &cbsa).await;
    cases::transition(&store, &c, id, "intake", None, None)
        .await
        .unwrap();
    let s = SessionInput {
        held_on: Some("2024-05-01".into()),
        duration_minutes: Some(60),
        language: Some("hu".into()),
        interpreter: Some("Interpreter Ltd".into()),
        topics: vec!["return_options".into(), "country_information".into()],
        notes: Some("Worried about housing in Miskolc.".into()),
    };
    let before = count(&store, "counselling_sessions").await;
    let bad = SessionInput {
        held_on: Some("2999-01-01".into()),
        duration_minutes: Some(0),
        language: Some("Hungarian".into()),
        topics: vec!["x".into()],
        ..s.clone()
    };
    let Err(Error::Invalid(inv)) = counselling::add(&store, &c, id, &bad).await else {
        panic!()
    };
    assert_eq!(inv.errors.len(), 4, "{inv:?}");
    assert_eq!(count(&store, "counselling_sessions").await, before);
    let list = counselling::add(&store, &c, id, &s).await.unwrap();
    assert_eq!(
        list[0].notes.as_deref(),
        Some("Worried about housing in Miskolc.")
    );
    // CBSA and finance never; the mission only with consent, and not after it is withdrawn.
    assert!(matches!(
        counselling::list(&store, &cbsa, id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        counselling::list(&store, &fin, id).await,
        Err(Error::Forbidden)
    ));
    // Before departure preparation the case is not the mission's at all.
    assert!(matches!(
        counselling::list(&store, &hu, id).await,
        Err(Error::NotFound)
    ));
    // Preparing departure: the mission sees the case (with consent), and
    // its notes while that consent is in force.
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'preparing_departure' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    assert!(matches!(
        counselling::list(&store, &hu, id).await,
        Err(Error::NotFound)
    ));
    let ks = consents::give(&store, &c, id, "share_with_mission")
        .await
        .unwrap();
    assert_eq!(counselling::list(&store, &hu, id).await.unwrap().len(), 1);
    consents::withdraw(&store, &c, id, ks[0].id, "Changed their mind")
        .await
        .unwrap();
    assert!(
        matches!(
            counselling::list(&store, &hu, id).await,
            Err(Error::NotFound)
        ),
        "withdrawal takes effect at once"
    );
    assert!(matches!(
        consents::give(&store, &c, id, "sell_data").await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        consents::withdraw(&store, &c, id, ks[0].id, "again").await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        consents::list(&store, &cbsa, id).await,
        Err(Error::Forbidden)
    ));
    // The audit says a session was recorded, never what was said.
    let leaked: i64 = on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%Miskolc%' OR before_json LIKE '%Miskolc%'").fetch_one(p).await).unwrap();
    assert_eq!(leaked, 0);
}
both_databases!(counselling_flow, counselling_notes_are_restricted);

async fn attachments_are_checked_and_kept_safe(store: Store) {
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let id = refer(&store, &cbsa).await;
    cases::transition(&store, &c, id, "intake", None, None)
        .await
        .unwrap();
    let before = count(&store, "attachments").await;
    for (bytes, code) in [
        (&b"MZ\x90\x00 not a scan"[..], "file-type"),
        (&b""[..], "required"),
        (&b"<html><script>alert(1)</script></html>"[..], "file-type"),
    ] {
        let Err(Error::Invalid(inv)) =
            attachments::add(&store, &c, id, "declaration", "x.pdf", bytes).await
        else {
            panic!()
        };
        assert_eq!(inv.for_field("file"), Some(code));
    }
    let big = vec![0u8; attachments::MAX_BYTES + 1];
    assert!(matches!(
        attachments::add(&store, &c, id, "declaration", "x.pdf", &big).await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        attachments::add(&store, &c, id, "passport-scan", "x.pdf", PDF).await,
        Err(Error::Invalid(_))
    ));
    assert_eq!(count(&store, "attachments").await, before);
    let a = attachments::add(
        &store,
        &c,
        id,
        "declaration",
        "../../Declaration signed.pdf",
        PDF,
    )
    .await
    .unwrap();
    assert_eq!(
        (a.file_name.as_str(), a.content_type.as_str()),
        ("Declaration signed.pdf", "application/pdf")
    );
    assert_eq!(a.sha256.len(), 64);
    let (_, bytes) = attachments::open(&store, &c, id, a.id).await.unwrap();
    assert_eq!(bytes, PDF);
    assert!(matches!(
        attachments::open(&store, &cbsa, id, a.id).await,
        Err(Error::Forbidden)
    ));
    let other = user(&store, "c2@iom.int", "counsellor", None).await;
    assert!(matches!(
        attachments::open(&store, &other, id, a.id).await,
        Err(Error::NotFound)
    ));
    assert!(matches!(
        attachments::open(&store, &c, id, uuid::Uuid::new_v4()).await,
        Err(Error::NotFound)
    ));
}
both_databases!(attachments_flow, attachments_are_checked_and_kept_safe);

async fn readiness_blocks_departure_preparations(store: Store) {
    use homeward_store::readiness::{self, DocumentInput, FitnessInput, VulnerabilityInput};
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let id = refer(&store, &cbsa).await;
    let child = PersonInput {
        family_name: Some("Horváth".into()),
        given_names: Some("Bence".into()),
        date_of_birth: Some("2015-01-01".into()),
        ..Default::default()
    };
    cases::transition(&store, &c, id, "intake", None, None)
        .await
        .unwrap();
    let d = cases::add_member(&store, &c, id, "child", &child)
        .await
        .unwrap();
    let (mother, son) = (d.members[0].person.id, d.members[1].person.id);
    cases::transition(&store, &c, id, "counselling", None, None)
        .await
        .unwrap();
    attachments::add(&store, &c, id, "declaration", "d.pdf", PDF)
        .await
        .unwrap();
    cases::transition(&store, &c, id, "applied", None, None)
        .await
        .unwrap();
    cases::transition(&store, &cbsa, id, "eligible", None, None)
        .await
        .unwrap();

    let doc = |pid, exp: &str| DocumentInput {
        person_id: Some(pid),
        kind: Some("passport".into()),
        number: Some("X1".into()),
        issuing_country: Some("HU".into()),
        expires_on: Some(exp.into()),
        ..Default::default()
    };
    readiness::add_document(&store, &c, id, &doc(mother, "2031-01-01"))
        .await
        .unwrap();
    let soon = (chrono::Utc::now() + chrono::Duration::days(10))
        .date_naive()
        .to_string();
    readiness::add_document(&store, &c, id, &doc(son, &soon))
        .await
        .unwrap();
    // Health data needs consent; then an unfit traveller blocks too.
    let unfit = FitnessInput {
        person_id: Some(son),
        status: Some("unfit".into()),
        special_assistance: vec!["wchr".into()],
        ..Default::default()
    };
    let Err(Error::Invalid(inv)) = readiness::add_fitness(&store, &c, id, &unfit).await else {
        panic!()
    };
    assert_eq!(inv.for_field("consent"), Some("needs-health-consent"));
    consents::give(&store, &c, id, "collect_health_data")
        .await
        .unwrap();
    readiness::add_fitness(&store, &c, id, &unfit)
        .await
        .unwrap();
    let Err(Error::Transition(homeward_domain::TransitionError::Blocked(b))) =
        cases::transition(&store, &c, id, "preparing_departure", None, None).await
    else {
        panic!()
    };
    let codes: Vec<(&str, &str)> = b.iter().map(|b| (b.traveller.as_str(), b.code)).collect();
    assert_eq!(
        codes,
        vec![
            ("Horváth, Bence", "document-expires"),
            ("Horváth, Bence", "unfit")
        ]
    );
    // Fixed: a new document and a later fitness check.
    readiness::add_document(
        &store,
        &c,
        id,
        &DocumentInput {
            kind: Some("emergency_travel_document".into()),
            expires_on: Some("2027-06-01".into()),
            etd_requested_on: Some("2026-01-02".into()),
            etd_issued_on: Some("2026-01-05".into()),
            consulate: Some("Consulate of Hungary, Toronto".into()),
            ..doc(son, "")
        },
    )
    .await
    .unwrap();
    readiness::add_fitness(
        &store,
        &c,
        id,
        &FitnessInput {
            status: Some("fit_with_escort".into()),
            medical_escort: true,
            ..unfit.clone()
        },
    )
    .await
    .unwrap();
    cases::transition(&store, &c, id, "preparing_departure", None, None)
        .await
        .unwrap();

    // Bad input, and restricted reads.
    let Err(Error::Invalid(inv)) = readiness::add_document(
        &store,
        &c,
        id,
        &DocumentInput {
            person_id: Some(uuid::Uuid::new_v4()),
            kind: Some("visa".into()),
            issuing_country: Some("Hungary".into()),
            expires_on: Some("soon".into()),
            ..Default::default()
        },
    )
    .await
    else {
        panic!()
    };
    for f in ["person_id", "kind", "issuing_country", "expires_on"] {
        assert!(inv.for_field(f).is_some(), "{f}");
    }
    readiness::add_vulnerability(
        &store,
        &c,
        id,
        &VulnerabilityInput {
            person_id: Some(son),
            kind: Some("unaccompanied_or_separated_child".into()),
            details: Some("Travels with mother".into()),
            follow_up: None,
        },
    )
    .await
    .unwrap();
    assert!(matches!(
        readiness::vulnerabilities(&store, &cbsa, id).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        readiness::fitness(&store, &cbsa, id).await,
        Err(Error::Forbidden)
    ));
    assert_eq!(
        readiness::documents(&store, &cbsa, id).await.unwrap().len(),
        3,
        "CBSA sees travel documents"
    );
}
both_databases!(readiness_flow, readiness_blocks_departure_preparations);

async fn tasks_show_what_is_due(store: Store) {
    use homeward_store::{readiness, tasks};
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;
    let c2 = user(&store, "c2@iom.int", "counsellor", None).await;
    let late = refer(&store, &cbsa).await;
    on_db!(&store.db, p => sqlx::query("UPDATE referrals SET contact_due_at = $1 WHERE case_id = $2")
        .bind(chrono::Utc::now() - chrono::Duration::hours(3)).bind(late).execute(p).await.map(|_| ())).unwrap();
    let old = refer(&store, &cbsa).await;
    cases::transition(&store, &c, old, "intake", None, None)
        .await
        .unwrap();
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET referred_at = $1 WHERE id = $2")
        .bind(chrono::Utc::now() - chrono::Duration::days(40)).bind(old).execute(p).await.map(|_| ())).unwrap();
    let pid = cases::get(&store, &c, old).await.unwrap().members[0]
        .person
        .id;
    let soon = (chrono::Utc::now() + chrono::Duration::days(5))
        .date_naive()
        .to_string();
    readiness::add_document(
        &store,
        &c,
        old,
        &readiness::DocumentInput {
            person_id: Some(pid),
            kind: Some("passport".into()),
            expires_on: Some(soon),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    readiness::add_document(
        &store,
        &c,
        old,
        &readiness::DocumentInput {
            person_id: Some(pid),
            kind: Some("emergency_travel_document".into()),
            etd_requested_on: Some("2026-01-01".into()),
            consulate: Some("Consulate of Hungary".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let now = chrono::Utc::now();
    let ts = tasks::list(&store, &c, now, now.date_naive())
        .await
        .unwrap();
    let kinds: Vec<&str> = ts.iter().map(|t| t.kind).collect();
    assert_eq!(
        kinds,
        vec![
            "overdue-contact",
            "past-departure-target",
            "document-expiring",
            "consulate-waiting"
        ],
        "{ts:?}"
    );
    // Another counsellor sees the shared intake queue, not the first one's case.
    let ts2 = tasks::list(&store, &c2, now, now.date_naive())
        .await
        .unwrap();
    assert_eq!(
        ts2.iter().map(|t| t.kind).collect::<Vec<_>>(),
        vec!["overdue-contact"]
    );
    let analyst = user(&store, "a@iom.int", "analyst", None).await;
    assert!(matches!(
        tasks::list(&store, &analyst, now, now.date_naive()).await,
        Err(Error::Forbidden)
    ));
}
both_databases!(tasks_flow, tasks_show_what_is_due);
