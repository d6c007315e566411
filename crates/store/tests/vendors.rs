//! The vendor registry on SQLite and PostgreSQL: who registers, reads and
//! (de)activates vendors of which country, and bad input refused with
//! nothing written.

use homeward_domain::reintegration::VendorInput;
use homeward_store::testing::user;
use homeward_store::{both_databases, on_db, vendors, Error, Store};

fn input(name: &str, country: &str, categories: &[&str]) -> VendorInput {
    VendorInput {
        name: Some(name.into()),
        country: Some(country.into()),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        contact: None,
    }
}

async fn count(store: &Store, sql: &str) -> i64 {
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(sql).fetch_one(p).await).unwrap()
}

async fn who_registers_and_reads_vendors(store: Store) {
    let hu = user(&store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let mx = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    let fin = user(&store, "fin@iom.int", "finance", None).await;
    let sup = user(&store, "sup@iom.int", "supervisor", None).await;
    let cbsa = user(&store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(&store, "c@iom.int", "counsellor", None).await;

    let lakas = vendors::create(
        &store,
        &hu,
        &VendorInput {
            contact: Some("  +36 52 000 000 ".into()),
            ..input(" Lakás Kft. ", "hu", &["housing", "daily_necessities"])
        },
    )
    .await
    .unwrap();
    assert_eq!(
        (lakas.name.as_str(), lakas.country.as_str(), lakas.active),
        ("Lakás Kft.", "HU", true)
    );
    assert_eq!(lakas.categories, ["housing", "daily_necessities"]);
    assert_eq!(lakas.contact.as_deref(), Some("+36 52 000 000"));
    // Finance registers for any country; the mission only for its own.
    let bolt = vendors::create(&store, &fin, &input("Bolt", "HU", &["education"]))
        .await
        .unwrap();
    let oaxaca = vendors::create(&store, &fin, &input("Oaxaca", "MX", &["housing"]))
        .await
        .unwrap();
    let before = count(&store, "SELECT COUNT(*) FROM vendors").await;
    assert!(matches!(
        vendors::create(&store, &hu, &input("Elsewhere", "MX", &["housing"])).await,
        Err(Error::Forbidden)
    ));
    for a in [&cbsa, &c, &sup] {
        assert!(matches!(
            vendors::create(&store, a, &input("X", "HU", &["housing"])).await,
            Err(Error::Forbidden)
        ));
    }
    let Err(Error::Invalid(inv)) = vendors::create(&store, &hu, &input("", "H", &["cash"])).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("name"), Some("required"));
    assert_eq!(inv.for_field("country"), Some("invalid-country"));
    assert_eq!(inv.for_field("categories"), Some("invalid-choice"));
    assert_eq!(count(&store, "SELECT COUNT(*) FROM vendors").await, before);
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'vendor' AND action = 'create'"
        )
        .await,
        3
    );

    // Reading: the mission sees its country only; finance and supervisors all.
    let names = |v: Vec<vendors::Vendor>| v.into_iter().map(|v| v.name).collect::<Vec<_>>();
    assert_eq!(
        names(vendors::list(&store, &hu, None, false).await.unwrap()),
        ["Bolt", "Lakás Kft."]
    );
    assert!(vendors::list(&store, &hu, Some("MX"), true)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(
        names(vendors::list(&store, &hu, Some("hu"), false).await.unwrap()),
        ["Bolt", "Lakás Kft."]
    );
    for a in [&fin, &sup] {
        assert_eq!(
            names(vendors::list(&store, a, None, false).await.unwrap()),
            ["Bolt", "Lakás Kft.", "Oaxaca"]
        );
        assert_eq!(
            names(vendors::list(&store, a, Some("MX"), false).await.unwrap()),
            ["Oaxaca"]
        );
    }
    for a in [&cbsa, &c] {
        assert!(matches!(
            vendors::list(&store, a, None, true).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            vendors::get(&store, a, lakas.id).await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        vendors::get(&store, &hu, oaxaca.id).await,
        Err(Error::NotFound)
    ));
    assert_eq!(
        vendors::get(&store, &mx, oaxaca.id).await.unwrap().name,
        "Oaxaca"
    );

    // (De)activation: same who as registration; inactive ones listed on request.
    assert!(matches!(
        vendors::set_active(&store, &hu, oaxaca.id, false).await,
        Err(Error::NotFound)
    ));
    for a in [&cbsa, &c, &sup] {
        assert!(matches!(
            vendors::set_active(&store, a, bolt.id, false).await,
            Err(Error::Forbidden)
        ));
    }
    let off = vendors::set_active(&store, &hu, bolt.id, false)
        .await
        .unwrap();
    assert!(!off.active);
    assert_eq!(
        names(vendors::list(&store, &hu, None, false).await.unwrap()),
        ["Lakás Kft."]
    );
    assert_eq!(
        names(vendors::list(&store, &hu, None, true).await.unwrap()),
        ["Bolt", "Lakás Kft."]
    );
    assert!(
        vendors::set_active(&store, &fin, bolt.id, true)
            .await
            .unwrap()
            .active
    );
    assert_eq!(
        count(
            &store,
            "SELECT COUNT(*) FROM audit_log WHERE entity = 'vendor' AND action = 'update'"
        )
        .await,
        2
    );
}
both_databases!(vendor_registry, who_registers_and_reads_vendors);
