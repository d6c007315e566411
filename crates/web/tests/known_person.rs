//! A new case for a person already known: found by name, chosen within scope, never both.

use homeward_store::{both_databases, on_db, Store};
use reqwest::StatusCode;

mod support;

use support::{case_form, sign_in_csrf as sign_in, start, App};

async fn a_case_for_someone_already_known(store: Store) {
    app_case_for_existing(start(store).await).await;
}

async fn app_case_for_existing(app: App) {
    app.user("c@iom.int", "counsellor", None).await;
    app.user("c2@iom.int", "counsellor", None).await;
    app.token("an@iom.int", "analyst", None).await;
    let (c, csrf) = sign_in(&app, "c@iom.int").await;
    // A first case (since closed, say) made the person known.
    let r = c
        .post(app.url("/cases"))
        .form(&case_form(&csrf, "Lakatos", "1984-02-03", "HU"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let first = r.headers()["location"].to_str().unwrap().to_string();
    let person: uuid::Uuid = on_db!(&app.store.db, p => sqlx::query_scalar(
        "SELECT principal_person_id FROM cases WHERE id = $1")
        .bind(uuid::Uuid::parse_str(first.trim_start_matches("/cases/").trim_end_matches("?done=saved")).unwrap()).fetch_one(p).await)
    .unwrap();
    let text = |r: reqwest::Response| async move { r.text().await.unwrap() };
    // Found by name without JavaScript, and as the user types.
    let page = text(
        c.get(app.url("/cases/new?person_q=lakat"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&format!("value=\"{person}\"")) && page.contains("Lakatos, Ana · 1984-02-03"),
        "{page}"
    );
    let frag = text(
        c.get(app.url("/persons/suggest?person_q=Lakatos"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(frag.contains(&format!("value=\"{person}\"")) && frag.contains("form=\"case-form\""));
    // Another counsellor's person is not offered, and cannot be chosen by id.
    let (c2, csrf2) = sign_in(&app, "c2@iom.int").await;
    let frag = text(
        c2.get(app.url("/persons/suggest?person_q=Lakatos"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!frag.contains(&person.to_string()), "{frag}");
    let before = app.counts().await;
    let pid = person.to_string();
    let r = c2
        .post(app.url("/cases"))
        .form(&[
            ("_csrf", csrf2.as_str()),
            ("programme", "gta-2012"),
            ("country_of_return", "HU"),
            ("principal_person_id", pid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.counts().await, before);
    // Both a known person and a typed one: refused, with everything kept.
    let mut both = case_form(&csrf, "Lakatos", "1984-02-03", "HU");
    both.push(("principal_person_id", pid.as_str()));
    let r = c.post(app.url("/cases")).form(&both).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("not both") && body.contains("value=\"Lakatos\""),
        "{body}"
    );
    let r = c
        .post(app.url("/cases"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("programme", "gta-2012"),
            ("principal_person_id", "not-a-uuid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.counts().await, before);
    // The new case is the known person's: no second person is created.
    let r = c
        .post(app.url("/cases"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("programme", "gta-2012"),
            ("country_of_return", "HU"),
            ("principal_person_id", pid.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let second = r.headers()["location"].to_str().unwrap().to_string();
    assert_ne!(second, first);
    let after = app.counts().await;
    assert_eq!(
        (after.0, after.1),
        (before.0 + 1, before.1),
        "a case, no new person"
    );
    let page = text(c.get(app.url(&second)).send().await.unwrap()).await;
    assert!(page.contains("Lakatos, Ana"));
    // The search is for those who open cases.
    let (an, _) = sign_in(&app, "an@iom.int").await;
    let r = an
        .get(app.url("/persons/suggest?person_q=Lak"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}
both_databases!(existing_person, a_case_for_someone_already_known);
