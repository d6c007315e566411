//! Counselling appointments (issue 22) on SQLite and PostgreSQL: set by the
//! case's counsellor in the office's time, refused in the past or with no
//! place (nothing written), not set by CBSA or finance, out of scope not
//! found; the person's page reads the next one; a cancelled one is gone.

use homeward_store::appointments;
use homeward_store::testing::{eligible_family, user};
use homeward_store::{both_databases, on_db, Error, Store};

async fn meetings_are_set_and_cancelled(store: Store) {
    let cbsa = user(&store, "cbsa@example.org", "cbsa_officer", None).await;
    let c = user(&store, "c@example.org", "counsellor", None).await;
    let other = user(&store, "other@example.org", "counsellor", None).await;
    let fin = user(&store, "fin@example.org", "finance", None).await;
    let (id, _, _) = eligible_family(&store, &cbsa, &c).await;
    let zone = c.local_zone();
    let soon = (homeward_store::now() + chrono::Duration::days(3)).with_timezone(&zone);
    let typed = soon.format("%Y-%m-%dT10:30").to_string();

    let Err(Error::Invalid(inv)) =
        appointments::book(&store, &c, id, "2001-01-01T10:00", " ").await
    else {
        panic!("refused")
    };
    assert_eq!(inv.for_field("starts_at"), Some("date-in-past"));
    assert_eq!(inv.for_field("place"), Some("required"));
    let n: i64 = on_db!(&store.db, p => sqlx::query_scalar("SELECT COUNT(*) FROM appointments").fetch_one(p).await).unwrap();
    assert_eq!(n, 0);
    for who in [&cbsa, &fin] {
        assert!(matches!(
            appointments::book(&store, who, id, &typed, "Office").await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        appointments::book(&store, &other, id, &typed, "Office").await,
        Err(Error::NotFound)
    ));
    let a = appointments::book(&store, &c, id, &typed, "IOM office, room 4")
        .await
        .unwrap();
    assert_eq!(
        a.starts_at
            .with_timezone(&zone)
            .format("%Y-%m-%dT%H:%M")
            .to_string(),
        typed,
        "kept in the office's time"
    );
    let later = appointments::book(
        &store,
        &c,
        id,
        &(soon + chrono::Duration::days(7))
            .format("%Y-%m-%dT09:00")
            .to_string(),
        "Phone",
    )
    .await
    .unwrap();
    let listed = appointments::upcoming(&store, &c, id).await.unwrap();
    assert_eq!(
        listed.iter().map(|x| x.id).collect::<Vec<_>>(),
        vec![a.id, later.id]
    );
    assert!(matches!(
        appointments::upcoming(&store, &other, id).await,
        Err(Error::NotFound)
    ));
    appointments::cancel(&store, &c, id, a.id).await.unwrap();
    assert!(matches!(
        appointments::cancel(&store, &c, id, a.id).await,
        Err(Error::NotFound)
    ));
    let listed = appointments::upcoming(&store, &c, id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].place, "Phone");
    let audited: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE entity = 'appointment'").fetch_one(p).await)
    .unwrap();
    assert_eq!(audited, 3);
}
both_databases!(appointments_set, meetings_are_set_and_cancelled);
