//! Finance's queues over real HTTP, on SQLite and PostgreSQL (issue 23):
//! a purchase the mission requests is in finance's "awaiting a decision"
//! list (page and `GET /api/v1/purchases?status=requested`), marked when it
//! goes above its plan line; once approved it moves to "awaiting payment".
//! The other country's mission sees none of it; counsellors and CBSA are
//! refused; a status that is not a queue is refused clearly.

use homeward_domain::reintegration::{PurchaseRequestInput, VendorInput};
use homeward_store::{both_databases, on_db, purchases, tokens, vendors, Store};
use reqwest::StatusCode;
use serde_json::Value;

mod support;

use support::{actor_of, sign_in_csrf, start};

async fn finance_works_through_its_queues(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    app.user("hu@iom.int", "mission_officer", Some("HU")).await;
    app.user("mx@iom.int", "mission_officer", Some("MX")).await;
    app.user("fin@iom.int", "finance", None).await;
    let (cbsa, couns, hu, fin) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
        actor_of(&app, "hu@iom.int").await,
        actor_of(&app, "fin@iom.int").await,
    );
    let (id, _, _) = homeward_store::testing::eligible_family(&app.store, &cbsa, &couns).await;
    on_db!(&app.store.db, p => sqlx::query("UPDATE cases SET status = 'reintegrating' WHERE id = $1")
        .bind(id).execute(p).await.map(|_| ()))
    .unwrap();
    on_db!(&app.store.db, p => sqlx::query(
        "INSERT INTO plan_components (id, case_id, dimension, category, description, budget_minor, currency, created_at) \
         VALUES ($1, $2, 'social', 'housing', 'Rent', 120000, 'CAD', $3)")
        .bind(uuid::Uuid::new_v4()).bind(id).bind(homeward_store::now())
        .execute(p).await.map(|_| ()))
    .unwrap();
    let v = vendors::create(
        &app.store,
        &hu,
        &VendorInput {
            name: Some("Debreceni Lakás Kft.".into()),
            country: Some("HU".into()),
            categories: vec!["housing".into()],
            contact: None,
        },
    )
    .await
    .unwrap()
    .id;
    let rent = purchases::request(
        &app.store,
        &hu,
        id,
        &PurchaseRequestInput {
            category: Some("housing".into()),
            description: Some("Deposit and first month, Debrecen".into()),
            amount: Some("1410".into()),
            currency: Some("CAD".into()),
            vendor_id: Some(v),
            over_plan_reason: Some("The landlord asks for a deposit.".into()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Finance's page: the request, marked above the plan.
    let (f, f_csrf) = sign_in_csrf(&app, "fin@iom.int").await;
    let page = f
        .get(app.url("/purchases"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = &page[page
        .find(&format!("data-id=\"{}\"", rent.id))
        .expect("listed")..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(
        row.contains("Above the plan") && row.contains("CAD 1,410.00"),
        "{row}"
    );
    assert!(row.contains(&format!("/cases/{id}#purchase-{}", rent.id)));
    // The same over the API.
    let fin_tok = tokens::create(&app.store, fin.user_id).await.unwrap();
    let api = reqwest::Client::new();
    let list = |tok: String, status: &'static str| {
        let req = api
            .get(app.url(&format!("/api/v1/purchases?status={status}")))
            .bearer_auth(tok);
        async move { req.send().await.unwrap() }
    };
    let body: Value = list(fin_tok.clone(), "requested")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body.as_array().unwrap().len(), 1);
    assert_eq!(body[0]["id"], rent.id.to_string());
    assert_eq!(
        body[0]["over_plan_reason"],
        "The landlord asks for a deposit."
    );
    assert!(body[0]["case_number"].as_str().unwrap().starts_with("TOR-"));
    let r = list(fin_tok.clone(), "nonsense").await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: Value = api
        .get(app.url("/api/v1/purchases"))
        .bearer_auth(&fin_tok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body[0]["id"],
        rent.id.to_string(),
        "awaiting a decision by default"
    );

    // Who else: the other country sees nothing; counsellors and CBSA are refused.
    let mx_tok = tokens::create(&app.store, actor_of(&app, "mx@iom.int").await.user_id)
        .await
        .unwrap();
    let body: Value = list(mx_tok, "requested").await.json().await.unwrap();
    assert!(body.as_array().unwrap().is_empty());
    for (email, actor) in [("c@iom.int", &couns), ("cbsa@cbsa.gc.ca", &cbsa)] {
        let tok = tokens::create(&app.store, actor.user_id).await.unwrap();
        assert_eq!(list(tok, "requested").await.status(), StatusCode::FORBIDDEN);
        let (o, _) = sign_in_csrf(&app, email).await;
        assert_eq!(
            o.get(app.url("/purchases")).send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
    }
    assert_eq!(
        f.get(app.url("/purchases?status=paid"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );

    // Approved on the case page: it moves to the payment queue.
    let r = f
        .post(app.url(&format!("/purchases/{}/decision", rent.id)))
        .form(&[("_csrf", f_csrf.as_str()), ("to", "approved")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let body: Value = list(fin_tok.clone(), "requested")
        .await
        .json()
        .await
        .unwrap();
    assert!(body.as_array().unwrap().is_empty());
    let body: Value = list(fin_tok, "approved").await.json().await.unwrap();
    assert_eq!(body[0]["id"], rent.id.to_string());
    let page = f
        .get(app.url("/purchases?status=approved"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("data-id=\"{}\"", rent.id)));
}
both_databases!(queues, finance_works_through_its_queues);
