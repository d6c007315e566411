//! The returnee's own page over real HTTP, on SQLite and PostgreSQL
//! (issue 22): a counsellor gives the mother a code (shown once; a child
//! gets none; CBSA and finance may not give one); she opens `/my` in
//! Hungarian with the code and her date of birth (a wrong date has the
//! generic answer, the code typed is kept), sees her steps and consents,
//! withdraws her consent to share with the mission (its own CSRF token
//! needed) and the mission loses the case on its next read; another
//! person's consent is not hers; the page closes on sign-out and on
//! revocation. Every language renders, and nothing is cached.

use homeward_store::{both_databases, cases, on_db, testing, Store};
use reqwest::StatusCode;

mod support;

use support::{actor_of, browser, code_in, hidden, sign_in_csrf, start};

async fn the_returnee_opens_their_page(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    app.user("fin@iom.int", "finance", None).await;
    let hu_id = app.user("hu@iom.int", "mission_officer", Some("HU")).await;
    let (cbsa, couns) = (
        actor_of(&app, "cbsa@cbsa.gc.ca").await,
        actor_of(&app, "c@iom.int").await,
    );
    let (case, mother, son) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    on_db!(&app.store.db, p => sqlx::query("UPDATE persons SET date_of_birth = '1985-04-12' WHERE id = $1")
        .bind(mother).execute(p).await.map(|_| ())).unwrap();
    cases::transition(&app.store, &couns, case, "preparing_departure", None, None)
        .await
        .unwrap();
    let hu = homeward_store::users::get(&app.store, hu_id)
        .await
        .unwrap()
        .actor(None);
    assert!(cases::get(&app.store, &hu, case).await.is_ok());

    // Staff give the code.
    let issue_url = app.url(&format!("/cases/{case}/returnee-access"));
    for email in ["cbsa@cbsa.gc.ca", "fin@iom.int"] {
        let (o, t) = sign_in_csrf(&app, email).await;
        let r = o
            .post(&issue_url)
            .form(&[
                ("_csrf", t.as_str()),
                ("person_id", mother.to_string().as_str()),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
    }
    let (c, csrf) = sign_in_csrf(&app, "c@iom.int").await;
    let r = c
        .post(&issue_url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", son.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("A child has no code of their own"));
    let r = c
        .post(&issue_url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", mother.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let code = code_in(&r.text().await.unwrap());
    assert_eq!(code.len(), 24, "{code}");
    let case_page = c
        .get(app.url(&format!("/cases/{case}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        case_page.contains("id=\"returnee-access\"") && !case_page.contains(&code),
        "listed, never shown again"
    );

    // Every language renders the sign-in form, uncached.
    let me = browser();
    for lang in ["en", "fr", "es", "hu", "hr", "cs"] {
        let r = me
            .get(app.url(&format!("/my?lang={lang}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()["cache-control"], "no-store");
        assert!(
            r.text()
                .await
                .unwrap()
                .contains(&format!("<html lang=\"{lang}\">")),
            "{lang}"
        );
    }
    // A wrong date of birth: the generic answer, in Hungarian, the code kept.
    let r = me
        .post(app.url("/my"))
        .form(&[
            ("lang", "hu"),
            ("code", code.as_str()),
            ("date_of_birth", "1985-04-13"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("A kód vagy a születési dátum nem helyes"),
        "{body}"
    );
    assert!(body.contains(&format!("value=\"{code}\"")));
    // Hostile input: the same answer, no error.
    for (k, v) in [
        ("code", "<script>alert(1)</script>"),
        ("code", &"x".repeat(10_000)),
        ("date_of_birth", "not a date"),
    ] {
        let r = me
            .post(app.url("/my"))
            .form(&[(k, v)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{k}");
        assert!(!r.text().await.unwrap().contains("<script>alert"));
    }

    // The right code (typed in lower case): the page, in Hungarian.
    let r = me
        .post(app.url("/my"))
        .form(&[
            ("lang", "hu"),
            ("code", code.to_lowercase().as_str()),
            ("date_of_birth", "1985-04-12"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = me.get(app.url("/my?lang=hu")).send().await.unwrap();
    assert_eq!(page.headers()["cache-control"], "no-store");
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Horváth, Ágnes") && page.contains("Az utazás előkészítése"),
        "{page}"
    );
    assert!(page.contains("aria-current=\"step\""));
    assert!(
        !page.contains("c@iom.int") && !page.contains("User counsellor"),
        "nothing of staff"
    );
    let i = page
        .find("data-purpose=\"share_with_mission\"")
        .expect("the consent");
    let form_csrf = hidden(&page[i..], "_csrf");
    let action = {
        let a = page[i..].find("action=\"").unwrap() + i + 8;
        page[a..].split('"').next().unwrap().to_string()
    };
    // Without its token: refused, nothing changes.
    let r = me
        .post(app.url(&action))
        .form(&[("lang", "hu")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(cases::get(&app.store, &hu, case).await.is_ok());
    // Someone else's consent is not hers.
    let other = format!("/my/consents/{}/withdraw", uuid::Uuid::new_v4());
    let r = me
        .post(app.url(&other))
        .form(&[("_csrf", form_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    // Withdrawn: the mission loses the case on its next read.
    let r = me
        .post(app.url(&action))
        .form(&[("_csrf", form_csrf.as_str()), ("lang", "hu")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(matches!(
        cases::get(&app.store, &hu, case).await,
        Err(homeward_store::Error::NotFound)
    ));
    let page = me
        .get(app.url("/my?lang=hu&done=withdrawn"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Hozzájárulását visszavonta") && page.contains("Visszavonva"),
        "{page}"
    );

    // Closing the page ends it; a revoked code opens nothing.
    let r = me
        .post(app.url("/my/sign-out"))
        .form(&[("_csrf", form_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let after = me
        .get(app.url("/my"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(after.contains("id=\"my-sign-in\""));
    let access = homeward_store::returnee_access::list(&app.store, &couns, case)
        .await
        .unwrap()[0]
        .id;
    let r = c
        .post(app.url(&format!("/cases/{case}/returnee-access/{access}/revoke")))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = me
        .post(app.url("/my"))
        .form(&[("code", code.as_str()), ("date_of_birth", "1985-04-12")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
both_databases!(returnee_page, the_returnee_opens_their_page);
