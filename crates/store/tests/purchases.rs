//! Reintegration purchases on SQLite and PostgreSQL: four eyes, bad input
//! refused with nothing written, a registered vendor for each purchase,
//! payment with a receipt (all or nothing), receipt downloads, the ledger
//! against the plan, and the entitlement cap holding while many approvals
//! race on separate connections (as on several processes).

use homeward_domain::reintegration::{PurchaseRequestInput, VendorInput};
use homeward_store::testing::{self, user};
use homeward_store::{both_databases, on_db, purchases, vendors, Actor, Error, Store};
use uuid::Uuid;

/// The Hungarian landlord every test purchase goes to.
async fn vendor(store: &Store, hu: &Actor) -> Uuid {
    vendors::create(
        store,
        hu,
        &VendorInput {
            name: Some("Debreceni Lakás Kft.".into()),
            country: Some("HU".into()),
            categories: vec!["housing".into(), "daily_necessities".into()],
            contact: Some("+36 52 000 000".into()),
        },
    )
    .await
    .unwrap()
    .id
}

/// A family returned to Hungary with a CAD 2,000.00 entitlement.
async fn returned_case(store: &Store) -> (Uuid, Actor, Actor, Actor, Actor) {
    let cbsa = user(store, "cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    let c = user(store, "c@iom.int", "counsellor", None).await;
    let hu = user(store, "hu@iom.int", "mission_officer", Some("HU")).await;
    let fin = user(store, "fin@iom.int", "finance", None).await;
    let (id, _, _) = testing::eligible_family(store, &cbsa, &c).await;
    // The departure itself is tested with travel; here the case has returned.
    on_db!(&store.db, p => sqlx::query("UPDATE cases SET status = 'reintegrating' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    (id, hu, fin, cbsa, c)
}

fn cad(amount: &str, vendor: Uuid) -> PurchaseRequestInput {
    PurchaseRequestInput {
        category: Some("housing".into()),
        description: Some("Three months' rent, Debrecen".into()),
        amount: Some(amount.into()),
        currency: Some("CAD".into()),
        vendor_id: Some(vendor),
        ..Default::default()
    }
}

async fn count(store: &Store, table: &str) -> i64 {
    let q = format!("SELECT COUNT(*) FROM {table}");
    on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(&q).fetch_one(p).await).unwrap()
}

async fn four_eyes_and_bad_input(store: Store) {
    let (id, hu, fin, cbsa, c) = returned_case(&store).await;
    let v = vendor(&store, &hu).await;
    // Local currency at a recorded rate: HUF 150,000 at 0.0038 CAD.
    let p = purchases::request(
        &store,
        &hu,
        id,
        &PurchaseRequestInput {
            category: Some("daily_necessities".into()),
            description: Some("Furniture and kitchen equipment".into()),
            amount: Some("150000".into()),
            currency: Some("HUF".into()),
            rate: Some("0.0038".into()),
            rate_source: Some("Magyar Nemzeti Bank".into()),
            rate_date: Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
            vendor_id: Some(v),
            over_plan_reason: None,
        },
    )
    .await
    .unwrap();
    assert_eq!(p.vendor_id, Some(v));
    assert_eq!(p.vendor_name.as_deref(), Some("Debreceni Lakás Kft."));
    assert_eq!(p.requested_by_name.as_deref(), Some("hu@iom.int"));
    assert_eq!(
        (p.programme_minor, p.programme_currency.as_str()),
        (57_000, "CAD")
    );
    assert_eq!(
        p.rate_numerator * 10_000,
        38 * p.rate_denominator,
        "0.0038 kept exactly"
    );
    // Bad input: nothing written.
    let before = count(&store, "purchases").await;
    for (input, field, code) in [
        (cad("-5", v), "amount", "negative-amount"),
        (
            PurchaseRequestInput {
                currency: Some("XYZ".into()),
                ..cad("10", v)
            },
            "currency",
            "unknown-currency",
        ),
        (
            PurchaseRequestInput {
                currency: Some("HUF".into()),
                rate: Some("0".into()),
                rate_source: Some("bank".into()),
                rate_date: Some(chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()),
                ..cad("1000", v)
            },
            "rate",
            "rate-zero",
        ),
    ] {
        let Err(Error::Invalid(inv)) = purchases::request(&store, &hu, id, &input).await else {
            panic!("accepted {input:?}")
        };
        assert_eq!(inv.for_field(field), Some(code), "{inv:?}");
    }
    assert_eq!(count(&store, "purchases").await, before);
    // Who may: CBSA and counsellors see none of it; only the mission requests.
    for a in [&cbsa, &c] {
        assert!(matches!(
            purchases::list(&store, a, id).await,
            Err(Error::Forbidden)
        ));
        assert!(matches!(
            purchases::request(&store, a, id, &cad("10", v)).await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        purchases::request(&store, &fin, id, &cad("10", v)).await,
        Err(Error::Forbidden)
    ));
    let other = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    assert!(matches!(
        purchases::list(&store, &other, id).await,
        Err(Error::NotFound)
    ));
    // The mission may not approve; finance approves, then pays only with a receipt.
    let Err(Error::Invalid(inv)) =
        purchases::decide(&store, &hu, p.id, "approved", None, None).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("to"), Some("purchase-transition-forbidden"));
    let a = purchases::decide(&store, &fin, p.id, "approved", None, Some(p.version))
        .await
        .unwrap();
    assert_eq!(a.status, "approved");
    assert_eq!(a.decided_by, Some(fin.user_id));
    assert_eq!(a.decided_by_name.as_deref(), Some("fin@iom.int"));
    let Err(Error::Invalid(inv)) = purchases::decide(&store, &fin, p.id, "paid", None, None).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("to"), Some("receipt-required"));
    // Stale versions lose cleanly.
    assert!(matches!(
        purchases::decide(
            &store,
            &fin,
            p.id,
            "cancelled",
            Some("vendor closed"),
            Some(p.version)
        )
        .await,
        Err(Error::Conflict)
    ));
    let l = purchases::ledger(&store, &fin, id).await.unwrap().unwrap();
    assert_eq!((l.committed.minor, l.remaining.minor), (57_000, 143_000));
}
both_databases!(purchase_rules, four_eyes_and_bad_input);

/// A finance officer who is also... requested nothing: four eyes is about the
/// person, so a requester with both hats is refused.
async fn nobody_approves_their_own_request(store: Store) {
    let (id, hu, fin, _, _) = returned_case(&store).await;
    let v = vendor(&store, &hu).await;
    let p = purchases::request(&store, &hu, id, &cad("100", v))
        .await
        .unwrap();
    let other = purchases::request(&store, &hu, id, &cad("100", v))
        .await
        .unwrap();
    purchases::decide(&store, &fin, other.id, "approved", None, None)
        .await
        .unwrap();
    // The requester's account becomes finance (a role change): still refused.
    on_db!(&store.db, c => sqlx::query("UPDATE users SET role = 'finance' WHERE id = $1")
        .bind(hu.user_id).execute(c).await.map(|_| ()))
    .unwrap();
    let same_person = Actor {
        role: homeward_domain::Role::Finance,
        ..hu.clone()
    };
    let Err(Error::Invalid(inv)) =
        purchases::decide(&store, &same_person, p.id, "approved", None, None).await
    else {
        panic!("approved their own request")
    };
    assert_eq!(inv.for_field("to"), Some("four-eyes"));
    // Nor pays it, receipt or not; nothing is written.
    let Err(Error::Invalid(inv)) =
        purchases::pay(&store, &same_person, other.id, None, "r.pdf", PDF).await
    else {
        panic!("paid their own request")
    };
    assert_eq!(inv.for_field("to"), Some("four-eyes"));
    assert_eq!(count(&store, "attachments WHERE kind = 'receipt'").await, 0);
}
both_databases!(own_request, nobody_approves_their_own_request);

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

/// Files in the store's attachment folder (none before the first upload).
fn files(store: &Store) -> usize {
    std::fs::read_dir(store.data_dir.join("attachments"))
        .map(|d| d.count())
        .unwrap_or(0)
}

async fn purchases_go_to_a_fitting_vendor(store: Store) {
    let (id, hu, fin, _, _) = returned_case(&store).await;
    let v = vendor(&store, &hu).await;
    let mx = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    let mexican = vendors::create(
        &store,
        &mx,
        &VendorInput {
            name: Some("Muebles Oaxaca".into()),
            country: Some("MX".into()),
            categories: vec!["housing".into()],
            contact: None,
        },
    )
    .await
    .unwrap()
    .id;
    let closed = vendors::create(
        &store,
        &fin,
        &VendorInput {
            name: Some("Closed shop".into()),
            country: Some("HU".into()),
            categories: vec!["housing".into()],
            contact: None,
        },
    )
    .await
    .unwrap()
    .id;
    vendors::set_active(&store, &hu, closed, false)
        .await
        .unwrap();
    let before = count(&store, "purchases").await;
    for (vendor_id, category, code) in [
        (None, "housing", "required"),
        (Some(Uuid::new_v4()), "housing", "unknown-vendor"),
        (Some(closed), "housing", "vendor-inactive"),
        (Some(mexican), "housing", "vendor-other-country"),
        (Some(v), "education", "vendor-category"),
    ] {
        let input = PurchaseRequestInput {
            vendor_id,
            category: Some(category.into()),
            ..cad("100", v)
        };
        let Err(Error::Invalid(inv)) = purchases::request(&store, &hu, id, &input).await else {
            panic!("accepted {input:?}")
        };
        assert_eq!(inv.for_field("vendor"), Some(code), "{inv:?}");
    }
    // Vendor and other fields are reported together.
    let Err(Error::Invalid(inv)) = purchases::request(
        &store,
        &hu,
        id,
        &PurchaseRequestInput {
            vendor_id: None,
            ..cad("-5", v)
        },
    )
    .await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("vendor"), Some("required"));
    assert_eq!(inv.for_field("amount"), Some("negative-amount"));
    assert_eq!(count(&store, "purchases").await, before);
    let ok = purchases::request(&store, &hu, id, &cad("100", v))
        .await
        .unwrap();
    assert_eq!(ok.vendor_id, Some(v));
}
both_databases!(vendor_rules, purchases_go_to_a_fitting_vendor);

async fn payment_with_a_receipt(store: Store) {
    let (id, hu, fin, cbsa, c) = returned_case(&store).await;
    let v = vendor(&store, &hu).await;
    let p = purchases::request(&store, &hu, id, &cad("300", v))
        .await
        .unwrap();
    // Not yet approved: no payment.
    let Err(Error::Invalid(inv)) = purchases::pay(&store, &fin, p.id, None, "r.pdf", PDF).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("to"), Some("purchase-transition-not-allowed"));
    let p = purchases::decide(&store, &fin, p.id, "approved", None, None)
        .await
        .unwrap();
    // The family's declaration is on file already.
    let base = files(&store);
    // Bad files: nothing written (status, attachment row, file).
    let big = {
        let mut b = PDF.to_vec();
        b.resize(homeward_store::attachments::MAX_BYTES + 1, b' ');
        b
    };
    for (bytes, code) in [
        (&b""[..], "required"),
        (&b"MZ\x90\x00 not a receipt"[..], "file-type"),
        (&b"plain text receipt"[..], "file-type"),
        (&big[..], "file-too-large"),
    ] {
        let Err(Error::Invalid(inv)) =
            purchases::pay(&store, &fin, p.id, Some(p.version), "r.pdf", bytes).await
        else {
            panic!("paid with {code}")
        };
        assert_eq!(inv.for_field("receipt"), Some(code), "{inv:?}");
        let now = purchases::get(&store, &fin, p.id).await.unwrap();
        assert_eq!((now.status.as_str(), now.version), ("approved", p.version));
        assert_eq!(now.receipt_attachment_id, None);
        assert_eq!(count(&store, "attachments WHERE kind = 'receipt'").await, 0);
        assert_eq!(files(&store), base);
    }
    // The mission does not pay; a stale version loses.
    let Err(Error::Invalid(inv)) = purchases::pay(&store, &hu, p.id, None, "r.pdf", PDF).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("to"), Some("purchase-transition-forbidden"));
    for a in [&cbsa, &c] {
        assert!(matches!(
            purchases::pay(&store, a, p.id, None, "r.pdf", PDF).await,
            Err(Error::Forbidden)
        ));
    }
    assert!(matches!(
        purchases::pay(&store, &fin, p.id, Some(p.version - 1), "r.pdf", PDF).await,
        Err(Error::Conflict)
    ));
    assert_eq!(files(&store), base);
    // Paid with a receipt, in one step.
    let paid = purchases::pay(
        &store,
        &fin,
        p.id,
        Some(p.version),
        "../scans/invoice 7.pdf",
        PDF,
    )
    .await
    .unwrap();
    assert_eq!(paid.status, "paid");
    let rid = paid.receipt_attachment_id.expect("receipt kept");
    assert_eq!(files(&store), base + 1);
    // Paying twice is refused; `decide` still wants a receipt it cannot take.
    assert!(purchases::pay(&store, &fin, p.id, None, "r.pdf", PDF)
        .await
        .is_err());
    assert_eq!(files(&store), base + 1);
    let q = purchases::request(&store, &hu, id, &cad("100", v))
        .await
        .unwrap();
    purchases::decide(&store, &fin, q.id, "approved", None, None)
        .await
        .unwrap();
    let Err(Error::Invalid(inv)) = purchases::decide(&store, &fin, q.id, "paid", None, None).await
    else {
        panic!()
    };
    assert_eq!(inv.for_field("to"), Some("receipt-required"));
    // Downloads: finance, the supervisor and the mission of the country.
    let sup = user(&store, "sup@iom.int", "supervisor", None).await;
    for a in [&fin, &sup, &hu] {
        let (att, bytes) = purchases::receipt(&store, a, p.id).await.unwrap();
        assert_eq!((att.id, att.kind.as_str()), (rid, "receipt"));
        assert_eq!(att.file_name, "invoice 7.pdf");
        assert_eq!(att.content_type, "application/pdf");
        assert_eq!(bytes, PDF);
    }
    let reads = count(
        &store,
        &format!(
            "audit_log WHERE action = 'read' AND entity = 'attachment' AND entity_id = '{rid}'"
        ),
    )
    .await;
    assert_eq!(reads, 3);
    for a in [&cbsa, &c] {
        assert!(matches!(
            purchases::receipt(&store, a, p.id).await,
            Err(Error::Forbidden)
        ));
    }
    let mx = user(&store, "mx@iom.int", "mission_officer", Some("MX")).await;
    assert!(matches!(
        purchases::receipt(&store, &mx, p.id).await,
        Err(Error::NotFound)
    ));
    // No receipt yet: not found.
    assert!(matches!(
        purchases::receipt(&store, &fin, q.id).await,
        Err(Error::NotFound)
    ));
    // The mission confirms delivery after payment.
    let d = purchases::decide(&store, &hu, p.id, "delivered", None, None)
        .await
        .unwrap();
    assert_eq!(d.status, "delivered");
}
both_databases!(pay_with_receipt, payment_with_a_receipt);

async fn the_ledger_counts_the_plan(store: Store) {
    let (id, hu, fin, _, _) = returned_case(&store).await;
    let v = vendor(&store, &hu).await;
    for (cat, minor) in [("housing", 80_000_i64), ("education", 20_000)] {
        on_db!(&store.db, p => sqlx::query(
            "INSERT INTO plan_components (id, case_id, dimension, category, description, budget_minor, currency, created_at) \
             VALUES ($1, $2, 'economic', $3, 'x', $4, 'CAD', $5)")
            .bind(Uuid::new_v4()).bind(id).bind(cat).bind(minor).bind(homeward_store::now())
            .execute(p).await.map(|_| ()))
        .unwrap();
    }
    purchases::request(&store, &hu, id, &cad("250", v))
        .await
        .unwrap();
    let l = purchases::ledger(&store, &fin, id).await.unwrap().unwrap();
    assert_eq!(l.budgeted.minor, 100_000);
    assert_eq!(l.requested.minor, 25_000);
    // What remains counts the request waiting for finance.
    assert_eq!(l.remaining.minor, 175_000);

    // CAD 600 more on a CAD 800 housing line holding 250: above it, so the
    // requester says why, and the approver reads it.
    let before = count(&store, "purchases").await;
    let Err(Error::Invalid(inv)) = purchases::request(&store, &hu, id, &cad("600", v)).await else {
        panic!("above the line without a reason")
    };
    assert_eq!(inv.for_field("over_plan_reason"), Some("over-plan-line"));
    assert_eq!(count(&store, "purchases").await, before, "nothing written");
    let why = "The landlord asks for two months' deposit.";
    let p = purchases::request(
        &store,
        &hu,
        id,
        &PurchaseRequestInput {
            over_plan_reason: Some(why.into()),
            ..cad("600", v)
        },
    )
    .await
    .unwrap();
    let seen = purchases::get(&store, &fin, p.id).await.unwrap();
    assert_eq!(seen.over_plan_reason.as_deref(), Some(why));
    // Within the line, no warning is kept, even if a reason was typed.
    let p = purchases::request(
        &store,
        &hu,
        id,
        &PurchaseRequestInput {
            over_plan_reason: Some("just in case".into()),
            category: Some("education".into()),
            ..cad("100", v)
        },
    )
    .await;
    // (The vendor sells no education: refused for that, not for the plan.)
    assert!(matches!(p, Err(Error::Invalid(ref i)) if i.for_field("over_plan_reason").is_none()));
    // A category the plan has no line for is above its (empty) line.
    let Err(Error::Invalid(inv)) = purchases::request(
        &store,
        &hu,
        id,
        &PurchaseRequestInput {
            category: Some("daily_necessities".into()),
            ..cad("10", v)
        },
    )
    .await
    else {
        panic!("outside the plan without a reason")
    };
    assert_eq!(inv.for_field("over_plan_reason"), Some("over-plan-line"));
}
both_databases!(ledger_with_plan, the_ledger_counts_the_plan);

async fn the_cap_holds_under_racing_approvals(store: Store) {
    let (id, hu, fin, _, _) = returned_case(&store).await;
    let v = vendor(&store, &hu).await;
    // Ten requests of CAD 500.00 against CAD 2,000.00: four can be approved.
    let mut ids = Vec::new();
    for _ in 0..10 {
        ids.push(
            purchases::request(&store, &hu, id, &cad("500", v))
                .await
                .unwrap()
                .id,
        );
    }
    let url = match &store.db {
        homeward_store::Db::Sqlite(p) => {
            format!("sqlite://{}", p.connect_options().get_filename().display())
        }
        homeward_store::Db::Postgres(_) => std::env::var("HOMEWARD_RACE_URL").unwrap_or_default(),
    };
    // Each approval on its own pool, as if from its own process, all let go
    // at the same moment.
    let mut stores = Vec::new();
    for _ in &ids {
        stores.push(if url.is_empty() {
            store.clone()
        } else {
            testing::open(&url).await
        });
    }
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(ids.len()));
    let mut tasks = Vec::new();
    for (pid, store) in ids.into_iter().zip(stores) {
        let fin = fin.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            purchases::decide(&store, &fin, pid, "approved", None, None).await
        }));
    }
    let mut approved = 0;
    let mut refused = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(p) => {
                assert_eq!(p.status, "approved");
                approved += 1;
            }
            Err(Error::Invalid(inv)) => {
                assert_eq!(
                    inv.for_field("amount"),
                    Some("purchase-exceeds-entitlement")
                );
                refused += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((approved, refused), (4, 6));
    let total: i64 = on_db!(&store.db, p => sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(programme_minor), 0) AS BIGINT) FROM purchases WHERE case_id = $1 AND status = 'approved'")
        .bind(id).fetch_one(p).await)
    .unwrap();
    assert_eq!(total, 200_000);
    let l = purchases::ledger(&store, &fin, id).await.unwrap().unwrap();
    // The cap holds for what is approved; the six refused are still
    // requests, which what remains counts (so it shows they cannot all fit).
    assert_eq!(l.committed.minor, 200_000);
    assert_eq!(l.requested.minor, 300_000);
    assert_eq!(l.remaining.minor, -300_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cap_race_sqlite() {
    let (store, _) = testing::sqlite().await;
    the_cap_holds_under_racing_approvals(store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cap_race_postgres() {
    let (store, url) = testing::postgres().await;
    std::env::set_var("HOMEWARD_RACE_URL", &url);
    the_cap_holds_under_racing_approvals(store).await;
}
