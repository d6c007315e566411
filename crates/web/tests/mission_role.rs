//! Issue 22 over real HTTP, on SQLite and PostgreSQL: a mission officer sees
//! a case only when the mission has its part in it (departure preparation
//! on, with the principal's consent to share with the mission). A new
//! referral to Hungary is invisible to the Hungarian mission in its page,
//! the API, the case list and search; it appears once the case prepares
//! departure with consent, and is gone again on the next read after the
//! consent is withdrawn. Consent is given per person through the case form.

use homeward_store::{both_databases, consents, testing, Store};
use reqwest::StatusCode;
use serde_json::Value;

mod support;

use support::{actor_of, sign_in_csrf, start, App};

/// What the mission reads of the case: (page, API, in the list, in search).
async fn mission_reads(
    app: &App,
    hu: &reqwest::Client,
    hu_tok: &str,
    id: &str,
    number: &str,
) -> (StatusCode, StatusCode, bool, bool) {
    let page = hu
        .get(app.url(&format!("/cases/{id}")))
        .send()
        .await
        .unwrap()
        .status();
    let api = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/cases/{id}")))
        .bearer_auth(hu_tok)
        .send()
        .await
        .unwrap()
        .status();
    let list = hu
        .get(app.url("/cases"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let search = hu
        .get(app.url(&format!("/search/results?q={number}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (page, api, list.contains(number), search.contains(number))
}

async fn the_mission_sees_only_its_part(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    let hu_tok = app.token("hu@iom.int", "mission_officer", Some("HU")).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (case, mother, son) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    let id = case.to_string();
    let number = homeward_store::cases::summary(&app.store, &couns, case)
        .await
        .unwrap()
        .case_number;
    let (hu, _) = sign_in_csrf(&app, "hu@iom.int").await;
    let hidden = (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND, false, false);
    let shown = (StatusCode::OK, StatusCode::OK, true, true);
    // Eligible, with consent to share: not the mission's yet.
    assert_eq!(
        mission_reads(&app, &hu, &hu_tok, &id, &number).await,
        hidden
    );
    homeward_store::cases::transition(&app.store, &couns, case, "preparing_departure", None, None)
        .await
        .unwrap();
    assert_eq!(mission_reads(&app, &hu, &hu_tok, &id, &number).await, shown);

    // The counsellor records the son's consent, given by his mother, and
    // the form refuses it given by no one, keeping what was chosen.
    let (c, csrf) = sign_in_csrf(&app, "c@iom.int").await;
    let r = c
        .post(app.url(&format!("/cases/{id}/consents")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", son.to_string().as_str()),
            ("purpose", "share_with_cbsa"),
            ("given_by_person_id", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("consent is given by an adult member of the case"),
        "{body}"
    );
    assert!(
        body.contains(&format!("value=\"{son}\" selected")),
        "the choice is kept"
    );
    let r = c
        .post(app.url(&format!("/cases/{id}/consents")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", son.to_string().as_str()),
            ("purpose", "share_with_cbsa"),
            ("given_by_person_id", mother.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ks: Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/cases/{id}/consents")))
        .bearer_auth(app.token("c2@iom.int", "supervisor", None).await)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let his = ks
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["person_id"] == son.to_string())
        .unwrap();
    assert_eq!(his["given_by_person_id"], mother.to_string());

    // The mother withdraws her consent to share with the mission: gone.
    let share = consents::list(&app.store, &couns, case)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.purpose == "share_with_mission" && k.person_id == Some(mother))
        .unwrap();
    let r = c
        .post(app.url(&format!("/cases/{id}/consents/{}/withdraw", share.id)))
        .form(&[("_csrf", csrf.as_str()), ("reason", "Asked by phone")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        mission_reads(&app, &hu, &hu_tok, &id, &number).await,
        hidden
    );
}
both_databases!(mission_part, the_mission_sees_only_its_part);

/// The receipt of a consent: a real PDF in the person's language, saying
/// what was agreed, with whom and how to withdraw, and the withdrawal once
/// made; for the roles that read consents only.
async fn receipts_in_the_persons_language(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    app.user("fin@iom.int", "finance", None).await;
    app.user("mx@iom.int", "mission_officer", Some("MX")).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (case, mother, _son) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    homeward_store::on_db!(&app.store.db, p => sqlx::query("UPDATE persons SET preferred_languages = '[\"ro\",\"hu\"]' WHERE id = $1")
        .bind(mother).execute(p).await.map(|_| ())).unwrap();
    let share = consents::list(&app.store, &couns, case)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.purpose == "share_with_mission")
        .unwrap();
    let url = app.url(&format!("/cases/{case}/consents/{}/receipt.pdf", share.id));
    let (c, csrf) = sign_in_csrf(&app, "c@iom.int").await;
    let text_of = |r: reqwest::Response| async move {
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["content-type"], "application/pdf");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let bytes = r.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF"));
        pdf_extract::extract_text_from_mem(&bytes).unwrap()
    };
    let text = text_of(c.get(&url).send().await.unwrap()).await;
    for want in ["hozzájárulás", "Érvényes", "Horváth", "visszavonhatja"] {
        assert!(text.contains(want), "{want}: {text}");
    }
    // Withdrawn: the receipt says so, with the reason.
    let r = c
        .post(app.url(&format!("/cases/{case}/consents/{}/withdraw", share.id)))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("reason", "Megváltoztatta a döntését"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let text = text_of(c.get(&url).send().await.unwrap()).await;
    assert!(
        text.contains("Visszavonva") && text.contains("Megváltoztatta"),
        "{text}"
    );
    // Others: CBSA and finance never read consents; another mission, and
    // an id of nothing, find nothing.
    for (email, status) in [
        ("cbsa@cbsa.gc.ca", StatusCode::FORBIDDEN),
        ("fin@iom.int", StatusCode::FORBIDDEN),
        ("mx@iom.int", StatusCode::NOT_FOUND),
    ] {
        let (o, _) = sign_in_csrf(&app, email).await;
        assert_eq!(
            o.get(&url).send().await.unwrap().status(),
            status,
            "{email}"
        );
    }
    for bad in [uuid::Uuid::new_v4().to_string(), "not-an-id".into()] {
        let u = app.url(&format!("/cases/{case}/consents/{bad}/receipt.pdf"));
        assert_eq!(
            c.get(&u).send().await.unwrap().status(),
            StatusCode::NOT_FOUND,
            "{bad}"
        );
    }
}
both_databases!(receipts, receipts_in_the_persons_language);
