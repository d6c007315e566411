//! Programmes as data on SQLite and PostgreSQL (issue 21): the GTA pilot
//! ships as one programme with its rules as version 1; an admin creates a
//! second programme with its own zone, currency, authority and rules; a
//! refused document changes nothing; versions follow each other, a preview
//! names the open cases a new version would change, and adding it leaves
//! stored evaluations as they were.

use homeward_domain::person::PersonInput;
use homeward_domain::programme::{AuthorityInput, ProgrammeInput};
use homeward_domain::referral::ReferralInput;
use homeward_store::testing::user;
use homeward_store::{
    attachments, audit, both_databases, cases, on_db, programmes, referrals, Error, Store,
};
use serde_json::{json, Value};

fn brussels() -> ProgrammeInput {
    ProgrammeInput {
        code: Some("be-2026".into()),
        name: Some("AVRR Belgium".into()),
        host_country: Some("BE".into()),
        time_zone: Some("Europe/Brussels".into()),
        currency: Some("EUR".into()),
        referring_authority: Some(AuthorityInput::Named {
            name: Some("Federal Agency for the Reception of Asylum Seekers".into()),
            short_name: Some("Fedasil".into()),
        }),
        opens_on: Some("2026-01-01".into()),
        regions: Some(vec![
            "Brussels".into(),
            "Flanders".into(),
            "Wallonia".into(),
        ]),
        languages: Some(vec!["fr".into(), "nl".into()]),
        ..Default::default()
    }
}

fn rules(from: &str, top_tier: i64) -> Value {
    json!({
        "effective_from": from,
        "currency": "EUR",
        "residence_regions": ["Brussels", "Flanders", "Wallonia"],
        "eligible_claim_outcomes": ["rejected", "withdrawn"],
        "excluded_criminality": ["confirmed"],
        "requires_compliance": true,
        "prior_assistance_excludes": true,
        "tiered_claims_before": "2026-06-01",
        "tiers": {"before_federal_court_leave": top_tier, "before_prra_application": 100000,
                  "prra_pending": 75000, "after_prra_decision": 50000},
        "later_claims_tiers": {"before_federal_court_leave": top_tier, "before_prra_application": 90000,
                  "prra_pending": 60000, "after_prra_decision": 40000},
    })
}

async fn programme_count(store: &Store) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM programmes").fetch_one(p).await)
        .unwrap()
}

async fn programmes_as_data(store: Store) {
    let admin = user(&store, "admin@iom.test", "admin", None).await;
    let counsellor = user(&store, "c@iom.test", "counsellor", None).await;
    let cbsa = user(&store, "o@cbsa.test", "cbsa_officer", None).await;

    // The pilot, as it ran, with its shipped rules as version 1.
    let pilot = programmes::by_code(&store, "gta-2012").await.unwrap();
    assert_eq!(pilot.time_zone, "America/Toronto");
    assert_eq!(pilot.currency, "CAD");
    assert_eq!(pilot.referring_authority.short_name, "CBSA");
    assert_eq!(pilot.regions, vec!["GTA".to_string()]);
    let v = programmes::rules::list(&store, &counsellor, "gta-2012")
        .await
        .unwrap();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].rules["tiers"]["before_federal_court_leave"], 200000);
    // Migrating again adds nothing.
    store.migrate().await.unwrap();
    assert_eq!(
        programmes::rules::list(&store, &counsellor, "gta-2012")
            .await
            .unwrap()
            .len(),
        1
    );

    // Only admins create programmes.
    let doc = rules("2026-01-01", 150000);
    assert!(matches!(
        programmes::create(&store, &counsellor, &brussels(), Some(&doc)).await,
        Err(Error::Forbidden)
    ));
    // A refused document, with a bad setting, names every problem and keeps nothing.
    let mut bad_doc = doc.clone();
    bad_doc["tiers"]["prra_pending"] = json!(-1);
    bad_doc["colour"] = json!("blue");
    let mut bad = brussels();
    bad.time_zone = Some("Brussels".into());
    let before = programme_count(&store).await;
    let Err(Error::Invalid(inv)) = programmes::create(&store, &admin, &bad, Some(&bad_doc)).await
    else {
        panic!("a bad programme was kept");
    };
    assert_eq!(inv.for_field("time_zone"), Some("unknown-time-zone"));
    assert_eq!(
        inv.for_field("rules.tiers.prra_pending"),
        Some("negative-amount")
    );
    assert_eq!(inv.for_field("rules.colour"), Some("unknown-key"));
    let Err(Error::Invalid(inv)) =
        programmes::create(&store, &admin, &brussels(), Some(&bad_doc)).await
    else {
        panic!("a bad document was kept");
    };
    assert_eq!(inv.errors.len(), 2, "{inv:?}");
    assert_eq!(programme_count(&store).await, before, "nothing half-saved");

    // A valid one.
    let be = programmes::create(&store, &admin, &brussels(), Some(&doc))
        .await
        .unwrap();
    assert_eq!(
        (be.time_zone.as_str(), be.currency.as_str()),
        ("Europe/Brussels", "EUR")
    );
    assert_eq!(be.referring_authority.short_name, "Fedasil");
    assert_eq!(be.case_prefix, "BEX");
    assert!(matches!(
        programmes::create(&store, &admin, &brussels(), Some(&doc)).await,
        Err(Error::Invalid(i)) if i.for_field("code") == Some("code-taken")
    ));
    let today = chrono::Utc::now().date_naive();
    let in_force = programmes::rules::in_force(&store, &counsellor, "be-2026", today)
        .await
        .unwrap();
    assert_eq!(in_force.version, 1);

    // Its staff: the pilot's CBSA officer and counsellor work in it too.
    let cbsa = homeward_store::testing::join_programme(&store, &cbsa, "be-2026").await;
    let counsellor = homeward_store::testing::join_programme(&store, &counsellor, "be-2026").await;

    // A case of the new programme is evaluated by its rules, in its currency.
    let input = cases::CaseInput {
        programme: Some("be-2026".into()),
        principal: Some(PersonInput {
            family_name: Some("Dupont".into()),
            given_names: Some("Amina".into()),
            ..Default::default()
        }),
        country_of_return: Some("MA".into()),
        referral: Some(ReferralInput {
            claim_filed_on: Some("2025-03-01".into()),
            claim_outcome: Some("rejected".into()),
            irb_decided_on: Some("2026-02-01".into()),
            designated_country_of_origin: Some(false),
            compliant_with_conditions: Some(true),
            criminality: Some("none".into()),
            residence_region: Some("Brussels".into()),
            prior_avrr_assistance: Some(false),
            ..Default::default()
        }),
        ..Default::default()
    };
    let id = cases::create(&store, &cbsa, &input)
        .await
        .unwrap()
        .summary
        .id;
    assert!(cases::summary(&store, &cbsa, id)
        .await
        .unwrap()
        .case_number
        .starts_with("BEX-"));
    cases::transition(&store, &counsellor, id, "intake", None, None)
        .await
        .unwrap();
    cases::transition(&store, &counsellor, id, "counselling", None, None)
        .await
        .unwrap();
    let pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";
    attachments::add(&store, &counsellor, id, "declaration", "d.pdf", pdf)
        .await
        .unwrap();
    cases::transition(&store, &counsellor, id, "applied", None, None)
        .await
        .unwrap();
    let e = referrals::latest_evaluation(&store, &cbsa, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(e.rule_set, "be-2026@1");
    assert_eq!(
        (e.amount_minor, e.currency.as_deref()),
        (Some(150000), Some("EUR"))
    );

    // Versions follow each other: the same effective date is refused.
    let Err(Error::Invalid(inv)) = programmes::rules::add(&store, &admin, "be-2026", &doc).await
    else {
        panic!("an overlapping version was kept");
    };
    assert_eq!(
        inv.for_field("rules.effective_from"),
        Some("overlaps-earlier-version")
    );
    // The preview names the open case whose amount the new version changes.
    let next = rules("2027-01-01", 180000);
    let (rs, changes) = programmes::rules::preview(&store, &admin, "be-2026", &next)
        .await
        .unwrap();
    assert_eq!(rs.version, 2);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].case_id, id);
    assert_eq!(
        (changes[0].old_amount_minor, changes[0].new_amount_minor),
        (Some(150000), Some(180000))
    );
    assert_eq!(changes[0].old_rule_set, "be-2026@1");
    assert!(matches!(
        programmes::rules::preview(&store, &counsellor, "be-2026", &next).await,
        Err(Error::Forbidden)
    ));
    // A version that changes nothing for it lists nothing.
    let (_, none) =
        programmes::rules::preview(&store, &admin, "be-2026", &rules("2027-01-01", 150000))
            .await
            .unwrap();
    assert!(none.is_empty());
    // Adding it keeps the stored evaluation as it was.
    let added = programmes::rules::add(&store, &admin, "be-2026", &next)
        .await
        .unwrap();
    assert_eq!(added.version, 2);
    let e2 = referrals::latest_evaluation(&store, &cbsa, id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (e2.rule_set.as_str(), e2.amount_minor),
        ("be-2026@1", Some(150000))
    );
    assert!(matches!(
        programmes::rules::add(&store, &counsellor, "be-2026", &rules("2028-01-01", 1)).await,
        Err(Error::Forbidden)
    ));
    let all = programmes::rules::all(&store).await.unwrap();
    assert!(all.iter().any(|r| r.id() == "be-2026@2"));

    // Settings change with the version read; the currency stays once rules exist.
    assert_eq!((be.returnee_access_days, be.feedback_due_days), (365, 30));
    let mut edit = brussels();
    edit.name = Some("AVRR Belgium (Fedasil)".into());
    edit.returnee_access_days = Some(730);
    edit.feedback_due_days = Some(14);
    let changed = programmes::update(&store, &admin, "be-2026", &edit, be.version)
        .await
        .unwrap();
    assert_eq!(changed.name, "AVRR Belgium (Fedasil)");
    assert_eq!(
        (changed.returnee_access_days, changed.feedback_due_days),
        (730, 14)
    );
    assert!(matches!(
        programmes::update(&store, &admin, "be-2026", &edit, be.version).await,
        Err(Error::Conflict)
    ));
    edit.currency = Some("USD".into());
    assert!(matches!(
        programmes::update(&store, &admin, "be-2026", &edit, changed.version).await,
        Err(Error::Invalid(i)) if i.for_field("currency") == Some("currency-fixed")
    ));
    assert!(matches!(
        programmes::update(&store, &counsellor, "be-2026", &brussels(), changed.version).await,
        Err(Error::Forbidden)
    ));

    // Each change is in the audit trail, with the version.
    let trail = audit::verify(&store, None).await.unwrap();
    assert!(trail.problem.is_none(), "{trail:?}");
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity IN ('programme', 'programme_rules')")
        .fetch_one(p).await)
    .unwrap();
    assert_eq!(n, 3);
}
both_databases!(programmes_as_data_on, programmes_as_data);
