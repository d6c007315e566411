//! Each role is refused what it may not see or do, over the API and on the pages.

use homeward_store::{both_databases, users, Store};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

mod support;

use support::{sign_in_csrf as sign_in, start, PW};

async fn roles_are_refused_what_they_may_not_see(store: Store) {
    let app = start(store).await;
    let counsellor = app.token("c@iom.int", "counsellor", None).await;
    let roles = [
        ("supervisor", None),
        ("cbsa_officer", None),
        ("mission_officer", Some("HU")),
        ("finance", None),
        ("analyst", None),
        ("admin", None),
        ("auditor", None),
    ];
    let mut tok = std::collections::HashMap::new();
    for (r, country) in roles {
        tok.insert(r, app.token(&format!("{r}@iom.int"), r, country).await);
    }
    let c = Client::new();
    let case: Value = c.post(app.url("/api/v1/cases")).bearer_auth(&counsellor)
        .json(&json!({"principal": {"family_name": "García", "phone": "+1 416 555 0100", "uci": "12345678"}, "country_of_return": "CO"}))
        .send().await.unwrap().json().await.unwrap();
    let id = case["id"].as_str().unwrap();
    let case_url = app.url(&format!("/api/v1/cases/{id}"));
    let status = |t: &str, url: &str| {
        let (c, t, url) = (c.clone(), t.to_string(), url.to_string());
        async move { c.get(url).bearer_auth(t).send().await.unwrap().status() }
    };
    // Case records: roles without case access are forbidden; the HU mission officer cannot see a CO case.
    for r in ["analyst", "admin", "auditor"] {
        assert_eq!(
            status(&tok[r], &app.url("/api/v1/cases")).await,
            StatusCode::FORBIDDEN,
            "{r}"
        );
        assert_eq!(
            status(&tok[r], &case_url).await,
            StatusCode::FORBIDDEN,
            "{r}"
        );
    }
    assert_eq!(
        status(&tok["mission_officer"], &case_url).await,
        StatusCode::NOT_FOUND
    );
    for r in ["supervisor", "cbsa_officer", "finance"] {
        assert_eq!(status(&tok[r], &case_url).await, StatusCode::OK, "{r}");
    }
    // Finance sees the case but not the person's contact details or identifiers.
    let f: Value = c
        .get(&case_url)
        .bearer_auth(&tok["finance"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(f["members"][0]["person"].get("contact").is_none());
    let s: Value = c
        .get(&case_url)
        .bearer_auth(&tok["supervisor"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        s["members"][0]["person"]["contact"]["phone"],
        "+1 416 555 0100"
    );
    // Only CBSA may decide eligibility; finance may not move cases at all.
    let r = c
        .post(app.url(&format!("/api/v1/cases/{id}/transitions")))
        .bearer_auth(&tok["finance"])
        .json(&json!({"to": "intake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url(&format!("/api/v1/cases/{id}/transitions")))
        .bearer_auth(&tok["cbsa_officer"])
        .json(&json!({"to": "intake"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Only CBSA, counsellors and supervisors create cases.
    for r in ["mission_officer", "finance", "analyst", "admin", "auditor"] {
        let res = c
            .post(app.url("/api/v1/cases"))
            .bearer_auth(&tok[r])
            .json(&json!({"principal": {"family_name": "X"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{r}");
    }
    // The audit trail is the auditor's alone.
    for (r, t) in &tok {
        let want = if *r == "auditor" {
            StatusCode::OK
        } else {
            StatusCode::FORBIDDEN
        };
        assert_eq!(status(t, &app.url("/api/v1/audit")).await, want, "{r}");
    }
    assert_eq!(
        status(&counsellor, &app.url("/api/v1/audit")).await,
        StatusCode::FORBIDDEN
    );
    let a: Value = c
        .get(app.url(&format!("/api/v1/audit?case_id={id}&action=read")))
        .bearer_auth(&tok["auditor"])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(a["total"].as_i64().unwrap() >= 4, "reads are audited: {a}");

    // Pages follow the same rules.
    app.user("an2@iom.int", "analyst", None).await;
    app.user("ad2@iom.int", "admin", None).await;
    app.user("au2@iom.int", "auditor", None).await;
    app.user("c3@iom.int", "counsellor", None).await;
    let (an, _) = sign_in(&app, "an2@iom.int").await;
    assert_eq!(
        an.get(app.url("/tasks")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        an.get(app.url("/cases")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        an.get(app.url(&format!("/cases/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        an.get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let dash = an
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dash.contains("Cases by status") && !dash.contains("García"),
        "analysts get counts, never names"
    );
    let (c3, _) = sign_in(&app, "c3@iom.int").await;
    assert_eq!(
        c3.get(app.url(&format!("/cases/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c3.get(app.url("/audit")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c3.get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    // CBSA and finance read cases but may not edit them or their people.
    app.user("cb2@iom.int", "cbsa_officer", None).await;
    app.user("fi2@iom.int", "finance", None).await;
    let pid = s["members"][0]["person"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    for email in ["cb2@iom.int", "fi2@iom.int"] {
        let (b, _) = sign_in(&app, email).await;
        assert_eq!(
            b.get(app.url(&format!("/cases/{id}")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::OK,
            "{email}"
        );
        assert_eq!(
            b.get(app.url(&format!("/cases/{id}/edit")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
        assert_eq!(
            b.get(app.url(&format!("/persons/{pid}/edit")))
                .send()
                .await
                .unwrap()
                .status(),
            StatusCode::FORBIDDEN,
            "{email}"
        );
    }
    let (fi, _) = sign_in(&app, "fi2@iom.int").await;
    let page = fi
        .get(app.url(&format!("/cases/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("416 555 0100") && !page.contains("12345678"),
        "finance sees no contact details or identifiers"
    );
    let (au, _) = sign_in(&app, "au2@iom.int").await;
    let page = au
        .get(app.url("/audit?action=create&entity=case"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("c@iom.int"));
    let (ad, csrf) = sign_in(&app, "ad2@iom.int").await;
    assert_eq!(
        ad.get(app.url("/cases")).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        ad.get(app.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    // The admin creates a user (errors keep the typed values) and deactivates one.
    let r = ad
        .post(app.url("/admin/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "new@iom.int"),
            ("name", "New"),
            ("role", "mission_officer"),
            ("password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("value=\"new@iom.int\"")
            && body.contains("at least 12 characters")
            && !body.contains("value=\"short\"")
    );
    let r = ad
        .post(app.url("/admin/users"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("email", "new@iom.int"),
            ("name", "New"),
            ("role", "mission_officer"),
            ("country", "hu"),
            ("password", PW),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let u = users::by_email(&app.store, "c3@iom.int")
        .await
        .unwrap()
        .unwrap();
    let r = ad
        .post(app.url(&format!("/admin/users/{}/active", u.id)))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("active", "false"),
            ("version", &u.version.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        c3.get(app.url("/cases")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "a deactivated user is signed out"
    );
}
both_databases!(access_matrix, roles_are_refused_what_they_may_not_see);
