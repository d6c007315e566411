//! What the returnee's page shows and hands over, over real HTTP, on SQLite
//! and PostgreSQL (issue 22): their flight in each airport's local time,
//! their support in amounts once approved, a receipt for each of their own
//! consents (not for their son's), and a copy of their information as JSON
//! and as a PDF in their language, with nothing about staff or the other
//! members. Every download is uncached and needs the page open.

use homeward_store::{both_databases, cases, consents, on_db, testing, travel, Store};
use reqwest::StatusCode;

mod support;

use support::{actor_of, browser, code_in, sign_in_csrf, start};

async fn the_returnee_reads_and_downloads_their_own(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (case, mother, son) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    on_db!(&app.store.db, p => sqlx::query("UPDATE persons SET date_of_birth = '1985-04-12', phone = '+36 30 123 4567' WHERE id = $1")
        .bind(mother).execute(p).await.map(|_| ())).unwrap();
    // A consent the mother gives for her son: his, not hers to download.
    let sons = consents::give_for(
        &app.store,
        &couns,
        case,
        &consents::NewConsent {
            purpose: "share_with_cbsa".into(),
            person_id: Some(son),
            given_by_person_id: Some(mother),
        },
    )
    .await
    .unwrap()
    .into_iter()
    .find(|k| k.person_id == Some(son))
    .unwrap();
    let day = (homeward_store::now() + chrono::Duration::days(10)).date_naive();
    let next = day.succ_opt().unwrap();
    let input = travel::ItineraryInput {
        travellers: [(mother, "014-2345678901"), (son, "0142345678902")]
            .into_iter()
            .map(|(p, t)| travel::TravellerForm {
                person_id: Some(p),
                ticket_number: Some(t.into()),
            })
            .collect(),
        segments: vec![travel::SegmentForm {
            carrier: Some("AC".into()),
            flight_number: Some("876".into()),
            from: Some("YYZ".into()),
            to: Some("BUD".into()),
            departs_local: Some(format!("{day}T22:00")),
            arrives_local: Some(format!("{next}T14:15")),
        }],
        booking_reference: Some("abc123".into()),
        fare_minor: Some(184_250),
        fare_currency: Some("cad".into()),
        ..Default::default()
    };
    travel::book(&app.store, &couns, case, &input)
        .await
        .unwrap();
    cases::transition(&app.store, &couns, case, "preparing_departure", None, None)
        .await
        .unwrap();

    let (c, csrf) = sign_in_csrf(&app, "c@iom.int").await;
    // The next meeting, set on the case page: a bad one keeps what was typed.
    let r = c
        .post(app.url(&format!("/cases/{case}/appointments")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("starts_at", "2001-01-01T10:00"),
            ("place", "IOM office, room 4"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("value=\"IOM office, room 4\"") && body.contains("in the past"));
    let meeting = (homeward_store::now() + chrono::Duration::days(3))
        .with_timezone(&chrono_tz::America::Toronto)
        .format("%Y-%m-%d")
        .to_string();
    let r = c
        .post(app.url(&format!("/cases/{case}/appointments")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("starts_at", format!("{meeting}T10:30").as_str()),
            ("place", "IOM office, room 4"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(app.url(&format!("/cases/{case}/returnee-access")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", mother.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    let code = code_in(&r.text().await.unwrap());

    // Nothing to download before the page is open.
    let stranger = browser();
    for path in [
        "/my/data.json",
        "/my/data.pdf",
        &format!("/my/consents/{}/receipt.pdf", sons.id),
    ] {
        let r = stranger.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
    }

    let me = browser();
    let r = me
        .post(app.url("/my"))
        .form(&[
            ("lang", "hu"),
            ("code", code.as_str()),
            ("date_of_birth", "1985-04-12"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = me
        .get(app.url("/my?lang=hu"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The next meeting, in the office's time.
    assert!(
        page.contains(&format!("{meeting} 10:30, IOM office, room 4")),
        "{page}"
    );
    // The flight in each airport's own time.
    assert!(page.contains("AC 876"), "{page}");
    assert!(page.contains(&format!("{day} 22:00")) && page.contains(&format!("{next} 14:15")));
    assert!(page.contains("id=\"my-support\""));
    // The support CBSA's decision granted, in amounts, in her language.
    let support = &page[page.find("id=\"my-support\"").unwrap()..];
    let support = &support[..support.find("</section>").unwrap()];
    assert!(
        support.contains("Önnek jóváhagyva")
            && support.matches("2\u{202f}000,00\u{a0}CAD").count() == 2,
        "approved and still available: {support}"
    );
    assert!(!support.contains("Vendor") && !support.contains("c@iom.int"));

    // Receipts: hers, not her son's.
    let own: Vec<_> = consents::list(&app.store, &couns, case)
        .await
        .unwrap()
        .into_iter()
        .filter(|k| k.person_id == Some(mother))
        .collect();
    let r = me
        .get(app.url(&format!("/my/consents/{}/receipt.pdf?lang=hu", own[0].id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_extract::extract_text_from_mem(&r.bytes().await.unwrap()).unwrap();
    assert!(text.contains("Horváth"), "{text}");
    for bad in [sons.id.to_string(), "nonsense".into()] {
        let r = me
            .get(app.url(&format!("/my/consents/{bad}/receipt.pdf")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{bad}");
    }

    // Her information as data: hers, nothing of staff, the son by no id.
    let r = me.get(app.url("/my/data.json")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let json = r.text().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["person"]["phone"], "+36 30 123 4567");
    assert_eq!(doc["case"]["flights"][0]["flight_number"], "876");
    assert!(!doc["case"]["consents"].as_array().unwrap().is_empty());
    assert!(!json.contains(&couns.user_id.to_string()), "no staff id");
    assert!(!json.contains(&son.to_string()), "no other member's id");
    assert!(!json.contains("Bence"), "nothing about the son");
    assert!(!json.contains("code_hash"));

    // And as a summary to read, in Hungarian.
    let r = me
        .get(app.url("/my/data.pdf?lang=hu"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let text = pdf_extract::extract_text_from_mem(&r.bytes().await.unwrap()).unwrap();
    let compact: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(compact.contains("+36 30 123 4567"), "{compact}");
    assert!(compact.contains("AC 876"), "{compact}");
    assert!(!compact.contains("c@iom.int"));

    // Each download is in the audit trail.
    let n: i64 = on_db!(&app.store.db, p => sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'download' AND entity IN ('own-data', 'consent-receipt') AND case_id = $1")
        .bind(case).fetch_one(p).await).unwrap();
    assert_eq!(n, 3);
}
both_databases!(own_data, the_returnee_reads_and_downloads_their_own);
