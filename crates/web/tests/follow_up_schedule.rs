//! Administrators set a programme's follow-up schedule; others are refused.

use homeward_store::{both_databases, Store};
use reqwest::StatusCode;

mod support;

use support::{sign_in_csrf as sign_in, start};

async fn admins_set_the_follow_up_schedule(store: Store) {
    let app = start(store).await;
    app.user("admin@iom.int", "admin", None).await;
    app.user("sup@iom.int", "supervisor", None).await;
    let (admin, csrf) = sign_in(&app, "admin@iom.int").await;
    let page = admin
        .get(app.url("/admin/programmes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"0, 3, 6, 12\""), "the defaults");
    let post = |form: Vec<(&str, &str)>| {
        let req = admin
            .post(app.url("/admin/programmes/gta-2012/followups"))
            .form(&form);
        async move { req.send().await.unwrap() }
    };
    // Not numbers, or not increasing: refused with the text kept, nothing saved.
    for (months, message) in [
        ("0, three, 6", "Enter a whole number."),
        ("0, 6, 3", "increasing order"),
    ] {
        let r = post(vec![
            ("_csrf", &csrf),
            ("offsets_months", months),
            ("grace_days", "10"),
        ])
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{months}");
        let body = r.text().await.unwrap();
        assert!(
            body.contains(message) && body.contains(&format!("value=\"{months}\"")),
            "{body}"
        );
    }
    let s = homeward_store::programmes::followup_schedule(&app.store, "gta-2012")
        .await
        .unwrap();
    assert_eq!(s.offsets_months, vec![0, 3, 6, 12]);
    let r = post(vec![
        ("_csrf", &csrf),
        ("offsets_months", "0, 1, 6, 12, 24"),
        ("grace_days", "10"),
    ])
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let s = homeward_store::programmes::followup_schedule(&app.store, "gta-2012")
        .await
        .unwrap();
    assert_eq!(
        (s.offsets_months, s.grace_days),
        (vec![0, 1, 6, 12, 24], 10)
    );
    // Only administrators.
    let (sup, sup_csrf) = sign_in(&app, "sup@iom.int").await;
    assert_eq!(
        sup.get(app.url("/admin/programmes"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = sup
        .post(app.url("/admin/programmes/gta-2012/followups"))
        .form(&[("_csrf", sup_csrf.as_str()), ("offsets_months", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let s = homeward_store::programmes::followup_schedule(&app.store, "gta-2012")
        .await
        .unwrap();
    assert_eq!(s.offsets_months.len(), 5);
}
both_databases!(programme_settings, admins_set_the_follow_up_schedule);
