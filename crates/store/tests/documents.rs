//! Travel documents through their life (issue 23) on SQLite and PostgreSQL:
//! an emergency document requested from the consulate waits in the tasks
//! until it is recorded as issued; a passport about to expire is flagged
//! until it is renewed; a change is checked as an addition is (nothing half
//! written), refused to roles that do not update cases, and not found for a
//! document of another case.

use homeward_store::readiness::{self, DocumentInput};
use homeward_store::testing::{eligible_family, user};
use homeward_store::{both_databases, tasks, Error, Store};

async fn task_kinds(store: &Store, a: &homeward_store::Actor) -> Vec<(String, Option<String>)> {
    let now = homeward_store::now();
    tasks::list(store, a, now, now.date_naive())
        .await
        .unwrap()
        .into_iter()
        .map(|t| (t.kind.to_string(), t.about))
        .collect()
}

async fn documents_change_and_their_tasks_clear(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let fin = user(&store, "fin@example.org", "finance", None).await;
    let (id, mother, son) = eligible_family(&store, &cbsa, &c).await;
    let (other, _, _) = eligible_family(&store, &cbsa, &c).await;
    let today = homeward_store::now().date_naive();
    let etd = DocumentInput {
        person_id: Some(son),
        kind: Some("emergency_travel_document".into()),
        issuing_country: Some("HU".into()),
        etd_requested_on: Some(today.to_string()),
        consulate: Some("Consulate General of Hungary, Toronto".into()),
        ..Default::default()
    };
    let docs = readiness::add_document(&store, &c, id, &etd).await.unwrap();
    let etd_id = docs
        .iter()
        .find(|d| d.kind == "emergency_travel_document")
        .unwrap()
        .id;
    let waiting =
        |ts: &[(String, Option<String>)]| ts.iter().any(|(k, _)| k == "consulate-waiting");
    assert!(waiting(&task_kinds(&store, &c).await));

    // A bad change is named and changes nothing.
    let bad = DocumentInput {
        etd_issued_on: Some("tomorrow".into()),
        ..etd.clone()
    };
    let Err(Error::Invalid(inv)) = readiness::update_document(&store, &c, id, etd_id, &bad).await
    else {
        panic!("refused")
    };
    assert!(inv.for_field("etd_issued_on").is_some(), "{inv:?}");
    assert!(waiting(&task_kinds(&store, &c).await));
    // Who may not, and another case's document.
    let issued = DocumentInput {
        etd_issued_on: Some(today.to_string()),
        number: Some("ETD-0042".into()),
        expires_on: Some((today + chrono::Duration::days(60)).to_string()),
        ..etd.clone()
    };
    assert!(matches!(
        readiness::update_document(&store, &fin, id, etd_id, &issued).await,
        Err(Error::Forbidden)
    ));
    assert!(matches!(
        readiness::update_document(&store, &c, other, etd_id, &issued).await,
        Err(Error::NotFound)
    ));
    let docs = readiness::update_document(&store, &c, id, etd_id, &issued)
        .await
        .unwrap();
    let d = docs.iter().find(|d| d.id == etd_id).unwrap();
    assert_eq!(d.number.as_deref(), Some("ETD-0042"));
    assert_eq!(d.etd_issued_on, Some(today));
    assert!(
        !waiting(&task_kinds(&store, &c).await),
        "the consulate task clears"
    );

    // The mother's passport is about to expire, then renewed.
    let passport = docs
        .iter()
        .find(|d| d.person_id == mother && d.kind == "passport")
        .unwrap()
        .clone();
    let soon = DocumentInput {
        person_id: Some(mother),
        kind: Some("passport".into()),
        number: passport.number.clone(),
        issuing_country: Some("HU".into()),
        expires_on: Some((today + chrono::Duration::days(5)).to_string()),
        ..Default::default()
    };
    readiness::update_document(&store, &c, id, passport.id, &soon)
        .await
        .unwrap();
    let expiring = |ts: &[(String, Option<String>)]| {
        ts.iter().any(|(k, about)| {
            k == "document-expiring" && about.as_deref() == passport.number.as_deref()
        })
    };
    assert!(expiring(&task_kinds(&store, &c).await));
    let renewed = DocumentInput {
        expires_on: Some((today + chrono::Duration::days(3650)).to_string()),
        ..soon
    };
    readiness::update_document(&store, &c, id, passport.id, &renewed)
        .await
        .unwrap();
    assert!(
        !expiring(&task_kinds(&store, &c).await),
        "renewed: the task clears"
    );
}
both_databases!(documents_change, documents_change_and_their_tasks_clear);
