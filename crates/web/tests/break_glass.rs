//! Breaking the glass over real HTTP, on SQLite and PostgreSQL (issue 22):
//! the form is the supervisor's (403 for every other role), a reason that
//! is not one is refused with what was typed kept and nothing written, a
//! grant opens the case page, the counsellor finds it in their inbox and
//! the auditor (only) lists it.

use homeward_store::{both_databases, on_db, testing, Store};
use reqwest::StatusCode;

mod support;

use support::{actor_of, sign_in_csrf, start};

async fn a_supervisor_breaks_the_glass(store: Store) {
    let app = start(store).await;
    for (email, role) in [
        ("cbsa@cbsa.gc.ca", "cbsa_officer"),
        ("c@iom.int", "counsellor"),
        ("sup@iom.int", "supervisor"),
        ("audit@iom.int", "auditor"),
        ("fin@iom.int", "finance"),
    ] {
        app.user(email, role, None).await;
    }
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (case, _, _) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    on_db!(&app.store.db, p => sqlx::query("UPDATE users SET team = 'elsewhere' WHERE email = 'c@iom.int'")
        .execute(p).await.map(|_| ())).unwrap();
    let number = homeward_store::cases::summary(&app.store, &couns, case)
        .await
        .unwrap()
        .case_number;
    let (sup, csrf) = sign_in_csrf(&app, "sup@iom.int").await;
    let case_page = app.url(&format!("/cases/{case}"));
    assert_eq!(
        sup.get(&case_page).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );

    // Only supervisors reach the form; only auditors the list.
    for email in [
        "c@iom.int",
        "audit@iom.int",
        "fin@iom.int",
        "cbsa@cbsa.gc.ca",
    ] {
        let (c, t) = sign_in_csrf(&app, email).await;
        assert_eq!(
            c.get(app.url("/cases/break-glass"))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
        let r = c
            .post(app.url("/cases/break-glass"))
            .form(&[
                ("_csrf", t.as_str()),
                ("case_number", number.as_str()),
                ("reason", "Counsellor on leave, family in distress"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
    }
    assert_eq!(
        sup.get(app.url("/audit/break-glass"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let form = sup.get(app.url("/cases/break-glass")).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(form.text().await.unwrap().contains("60 minutes"));

    // A word is not a reason: refused, the number kept, nothing written.
    let r = sup
        .post(app.url("/cases/break-glass"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("case_number", number.as_str()),
            ("reason", "urgent"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("at least 15 characters"), "{body}");
    assert!(
        body.contains(&format!("value=\"{number}\"")),
        "the number is kept"
    );
    assert_eq!(app.rows("break_glass").await, 0);
    // Without the CSRF token: refused.
    let r = sup
        .post(app.url("/cases/break-glass"))
        .form(&[
            ("case_number", number.as_str()),
            ("reason", "Counsellor on leave, family in distress"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.rows("break_glass").await, 0);

    // Granted: to the case page.
    let reason = "Counsellor on leave, family in distress";
    let r = sup
        .post(app.url("/cases/break-glass"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("case_number", number.as_str()),
            ("reason", reason),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/cases/{case}"));
    assert_eq!(
        sup.get(&case_page).send().await.unwrap().status(),
        StatusCode::OK
    );

    let (c, _) = sign_in_csrf(&app, "c@iom.int").await;
    let inbox = c
        .get(app.url("/inbox"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        inbox.contains(&format!(
            "User supervisor opened case {number} outside their scope: {reason}"
        )),
        "{inbox}"
    );
    let (a, _) = sign_in_csrf(&app, "audit@iom.int").await;
    let log = a.get(app.url("/audit/break-glass")).send().await.unwrap();
    assert_eq!(log.status(), StatusCode::OK);
    let log = log.text().await.unwrap();
    assert!(
        log.contains(&number) && log.contains(reason) && log.contains("sup@iom.int"),
        "{log}"
    );
}
both_databases!(break_glass_http, a_supervisor_breaks_the_glass);
