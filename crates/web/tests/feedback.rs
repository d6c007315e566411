//! Questions and complaints over real HTTP, on SQLite and PostgreSQL (issue
//! 22): the returnee sends a complaint from `/my` (an empty or oversize
//! message comes back with what is wrong and what they typed; hostile text
//! is shown as text); a counsellor writes down a phone question on the case
//! (finance and CBSA are refused); only supervisors open the register,
//! answer (an empty answer is refused, the item kept), and the person reads
//! the answer on their page; the supervisor's dashboard counts what waits.

use homeward_store::{both_databases, cases, on_db, testing, Store};
use reqwest::StatusCode;

mod support;

use support::{actor_of, browser, code_in, hidden, sign_in_csrf, start};

async fn a_complaint_from_the_page_is_answered(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    app.user("fin@iom.int", "finance", None).await;
    app.user("sup@iom.int", "supervisor", None).await;
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

    // The mother opens her page with a new code.
    let (c, csrf) = sign_in_csrf(&app, "c@iom.int").await;
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
    let me = browser();
    let r = me
        .post(app.url("/my"))
        .form(&[
            ("lang", "es"),
            ("code", code.as_str()),
            ("date_of_birth", "1985-04-12"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = me
        .get(app.url("/my?lang=es"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"my-feedback-form\""), "{page}");
    let my_csrf = hidden(&page, "_csrf");

    // Nothing chosen, nothing written: both named, nothing saved.
    let r = me
        .post(app.url("/my/feedback"))
        .form(&[("_csrf", my_csrf.as_str()), ("lang", "es"), ("body", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("id=\"my-kind-error\"") && body.contains("id=\"my-body-error\""),
        "{body}"
    );
    // Too long: said so, and what was typed comes back.
    let long = format!("<script>alert(1)</script>{}", "a".repeat(5000));
    let r = me
        .post(app.url("/my/feedback"))
        .form(&[
            ("_csrf", my_csrf.as_str()),
            ("lang", "es"),
            ("kind", "complaint"),
            ("body", long.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("5000"), "the limit is named");
    assert!(body.contains("&#60;script&#62;alert(1)") && body.contains("aaaa</textarea>"));
    assert!(!body.contains("<script>alert"));
    assert!(body.contains("value=\"complaint\" checked"));
    // Without the page's own token: refused.
    let r = me
        .post(app.url("/my/feedback"))
        .form(&[("kind", "complaint"), ("body", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.rows("feedback").await, 0);
    // Without the page open: back to the sign-in form.
    let r = browser()
        .post(app.url("/my/feedback"))
        .form(&[("kind", "complaint"), ("body", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("feedback").await, 0);
    let complaint = "Nobody told me when my flight leaves.";
    let r = me
        .post(app.url("/my/feedback"))
        .form(&[
            ("_csrf", my_csrf.as_str()),
            ("lang", "es"),
            ("kind", "complaint"),
            ("body", complaint),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = me
        .get(app.url("/my?lang=es&done=sent"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(complaint) && page.contains("id=\"my-notice\""));

    // Staff write down a call: who may, and bad input kept.
    let new_url = app.url(&format!("/cases/{case}/feedback/new"));
    let post_url = app.url(&format!("/cases/{case}/feedback"));
    for email in ["fin@iom.int", "cbsa@cbsa.gc.ca"] {
        let (o, t) = sign_in_csrf(&app, email).await;
        assert_eq!(
            o.get(&new_url).send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
        let r = o
            .post(&post_url)
            .form(&[
                ("_csrf", t.as_str()),
                ("person_id", son.to_string().as_str()),
                ("kind", "question"),
                ("channel", "phone"),
                ("body", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{email}");
    }
    let form = c.get(&new_url).send().await.unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    let r = c
        .post(&post_url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", "not-a-person"),
            ("kind", "question"),
            ("channel", "page"),
            ("body", "Is the school certificate ready?"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("Is the school certificate ready?"));
    assert_eq!(app.rows("feedback").await, 1);
    let r = c
        .post(&post_url)
        .form(&[
            ("_csrf", csrf.as_str()),
            ("person_id", son.to_string().as_str()),
            ("kind", "question"),
            ("channel", "phone"),
            ("body", "Is the school certificate ready?"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.rows("feedback").await, 2);

    // The register: supervisors only.
    for email in ["c@iom.int", "fin@iom.int", "cbsa@cbsa.gc.ca"] {
        let (o, _) = sign_in_csrf(&app, email).await;
        assert_eq!(
            o.get(app.url("/feedback")).send().await.unwrap().status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
    }
    let (sup, sup_csrf) = sign_in_csrf(&app, "sup@iom.int").await;
    let list = sup
        .get(app.url("/feedback"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("id=\"feedback-table\""), "{list}");
    assert_eq!(list.matches("<tr data-id=").count(), 2);
    let dash = sup
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dash.contains("2 waiting for an answer, 0 overdue"),
        "{dash}"
    );
    let sup_actor = actor_of(&app, "sup@iom.int").await;
    let today = chrono::Utc::now().date_naive();
    let item = homeward_store::feedback::register(
        &app.store,
        &sup_actor,
        homeward_store::feedback::Showing::Open,
        today,
        10,
    )
    .await
    .unwrap()
    .into_iter()
    .find(|i| i.channel == "page")
    .unwrap();
    let item_url = app.url(&format!("/feedback/{}", item.id));
    let shown = sup
        .get(&item_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.contains(complaint));
    assert_eq!(
        sup.get(app.url("/feedback/not-an-id"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        sup.get(app.url(&format!("/feedback/{}", uuid::Uuid::new_v4())))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    // An empty answer: refused, the item shown again.
    let r = sup
        .post(&item_url)
        .form(&[("_csrf", sup_csrf.as_str()), ("answer", "   ")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains(complaint));
    let answer = "Your flight leaves on Monday at 18:40. We are sorry nobody told you.";
    let r = sup
        .post(&item_url)
        .form(&[("_csrf", sup_csrf.as_str()), ("answer", answer)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // A counsellor cannot answer.
    let r = c
        .post(&item_url)
        .form(&[("_csrf", csrf.as_str()), ("answer", "mine")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // The person reads the answer, and no staff name.
    let page = me
        .get(app.url("/my?lang=es"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(answer), "{page}");
    assert!(!page.contains("sup@iom.int") && !page.contains("c@iom.int"));
}
both_databases!(answered, a_complaint_from_the_page_is_answered);
