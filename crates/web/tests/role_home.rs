//! Each role's working day over real HTTP, on SQLite and PostgreSQL (issue
//! 23): the home page starts from the role's own queues, each a count that
//! links to its list; the menu is grouped and holds what the role uses, with
//! the account's pages apart; the case page says what comes next and who
//! does it, offers flights only once they can be booked, asks decisions
//! twice and has one way to close a returned case.

use homeward_store::{both_databases, cases, testing, Store};
use reqwest::Client;

mod support;

use support::{actor_of, sign_in_home, start, App};

/// The queue `name` on a home page: its count and its link, if shown.
fn queue(home: &str, name: &str) -> Option<(String, String)> {
    let at = home.find(&format!("id=\"queue-{name}\""))?;
    let li = &home[at..home[at..].find("</li>").map_or(home.len(), |e| at + e)];
    let href = li.split("href=\"").nth(1)?.split('"').next()?.to_string();
    let n = li
        .split("class=\"n\">")
        .nth(1)?
        .split('<')
        .next()?
        .to_string();
    Some((n, href))
}

/// The main menu of a page (its HTML, up to the end of the element).
fn main_menu(page: &str) -> &str {
    let at = page.find("id=\"main-menu\"").expect("a main menu");
    &page[at..at + page[at..].find("</nav>").expect("menu end")]
}

async fn get(c: &Client, app: &App, path: &str) -> String {
    c.get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn each_role_starts_from_its_queues(store: Store) {
    let app = start(store).await;
    for (email, role, country) in [
        ("cbsa@cbsa.gc.ca", "cbsa_officer", None),
        ("c@iom.int", "counsellor", None),
        ("sup@iom.int", "supervisor", None),
        ("fin@iom.int", "finance", None),
        ("hu@iom.int", "mission_officer", Some("HU")),
        ("mx@iom.int", "mission_officer", Some("MX")),
        ("an@iom.int", "analyst", None),
    ] {
        app.user(email, role, country).await;
    }
    let cbsa = actor_of(&app, "cbsa@cbsa.gc.ca").await;
    let couns = actor_of(&app, "c@iom.int").await;
    let hu = actor_of(&app, "hu@iom.int").await;

    // One application waiting for CBSA; one returned family with a
    // purchase waiting for finance; one family on its way home.
    let applied = cases::create(&app.store, &cbsa, &testing::hungarian_referral("Éva"))
        .await
        .unwrap()
        .summary
        .id;
    testing::set_status(&app.store, applied, "applied").await;
    let (returned, _, _) = testing::eligible_family(&app.store, &cbsa, &couns).await;
    testing::set_status(&app.store, returned, "reintegrating").await;
    testing::housing_purchase(&app.store, &hu, returned, "400").await;
    let cbsa2 = testing::user(&app.store, "cbsa2@cbsa.gc.ca", "cbsa_officer", None).await;
    let (leaving, _, _) = testing::eligible_family(&app.store, &cbsa2, &couns).await;
    testing::set_status(&app.store, leaving, "departed").await;

    // CBSA: the decisions first, and no counsellor's contact list.
    let (_, _, home) = sign_in_home(&app, "cbsa@cbsa.gc.ca").await;
    assert_eq!(
        queue(&home, "awaiting-decision"),
        Some(("1".into(), "/cases?status=applied".into()))
    );
    assert!(queue(&home, "unread").is_some());
    assert!(queue(&home, "purchases-requested").is_none());
    assert!(!home.contains("id=\"waiting\""), "CBSA contacts nobody");

    // Finance: the purchase waiting for a decision, none to pay yet.
    let (_, _, home) = sign_in_home(&app, "fin@iom.int").await;
    assert_eq!(
        queue(&home, "purchases-requested"),
        Some(("1".into(), "/purchases".into()))
    );
    assert_eq!(
        queue(&home, "purchases-approved"),
        Some(("0".into(), "/purchases?status=approved".into()))
    );
    assert!(queue(&home, "awaiting-decision").is_none());
    let menu = main_menu(&home);
    assert!(
        menu.find("href=\"/purchases\"") < menu.find("href=\"/cases\""),
        "finance's queue comes before the case list in its menu"
    );

    // The mission of the country of return expects the departed family;
    // another country's mission expects nobody.
    let (_, _, home) = sign_in_home(&app, "hu@iom.int").await;
    assert_eq!(
        queue(&home, "arrivals-expected"),
        Some(("1".into(), "/cases?status=departed".into()))
    );
    let (_, _, home) = sign_in_home(&app, "mx@iom.int").await;
    assert_eq!(
        queue(&home, "arrivals-expected").map(|q| q.0),
        Some("0".into())
    );

    // Supervisors: feedback and duplicates; counsellors neither.
    let (s, _, home) = sign_in_home(&app, "sup@iom.int").await;
    for q in ["tasks", "feedback", "duplicates", "unread"] {
        assert!(queue(&home, q).is_some(), "supervisor: {q}");
    }
    // The team's workload: each counsellor's open cases, and the ones
    // nobody has taken, each leading to its list.
    let at = home.find("id=\"workload\"").expect("the team's workload");
    let workload = &home[at..at + home[at..].find("</section>").unwrap()];
    let mine = format!("/cases?counsellor={}", couns.user_id);
    assert!(workload.contains(&mine), "{workload}");
    assert!(workload.contains("/cases?unassigned=1"), "{workload}");
    let theirs = get(&s, &app, &mine).await;
    assert!(theirs.contains(&format!("/cases/{returned}")));
    assert!(!theirs.contains(&format!("/cases/{applied}")));
    let nobodys = get(&s, &app, "/cases?unassigned=1").await;
    assert!(nobodys.contains(&format!("/cases/{applied}")));
    assert!(!nobodys.contains(&format!("/cases/{returned}")));
    let (c, _, home) = sign_in_home(&app, "c@iom.int").await;
    assert!(queue(&home, "tasks").is_some());
    assert!(queue(&home, "duplicates").is_none());
    // The count says what the list shows.
    let tasks = get(&c, &app, "/tasks").await;
    let (n, _) = queue(&home, "tasks").unwrap();
    let rows = tasks.matches("<tr><td>").count();
    assert_eq!(n, rows.to_string(), "tasks counted as listed");

    // The menu: grouped, the account's pages apart from it.
    let menu = main_menu(&home);
    assert!(menu.contains("class=\"nav-group\""));
    assert!(menu.contains("href=\"/cases\""));
    for account in [
        "/account/password",
        "/account/two-factor",
        "/account/tokens",
    ] {
        assert!(!menu.contains(account), "{account} is not in the main menu");
        assert!(
            home.contains(&format!("href=\"{account}\"")),
            "{account} is reachable"
        );
    }
    assert!(!menu.contains("href=\"/admin/users\""), "no admin pages");

    // Analysts: the panels, no queue.
    let (_, _, home) = sign_in_home(&app, "an@iom.int").await;
    assert!(!home.contains("id=\"work\""));
}
both_databases!(queues, each_role_starts_from_its_queues);

async fn the_case_page_guides_each_step(store: Store) {
    let app = start(store).await;
    app.user("cbsa@cbsa.gc.ca", "cbsa_officer", None).await;
    app.user("c@iom.int", "counsellor", None).await;
    app.user("hu@iom.int", "mission_officer", Some("HU")).await;
    let cbsa = actor_of(&app, "cbsa@cbsa.gc.ca").await;
    let couns = actor_of(&app, "c@iom.int").await;
    let id = cases::create(&app.store, &cbsa, &testing::hungarian_referral("Éva"))
        .await
        .unwrap()
        .summary
        .id;
    cases::transition(&app.store, &couns, id, "intake", None, None)
        .await
        .unwrap();
    cases::transition(&app.store, &couns, id, "counselling", None, None)
        .await
        .unwrap();
    let url = format!("/cases/{id}");

    // In counselling: the counsellor acts next; flights are not offered yet.
    let (c, _, _) = sign_in_home(&app, "c@iom.int").await;
    let page = get(&c, &app, &url).await;
    let next = &page[page.find("id=\"next\"").expect("what comes next")..];
    let next = &next[..next.find("</section>").unwrap()];
    assert!(next.contains("submit the application"), "{next}");
    assert!(next.contains("Counsellor"), "{next}");
    assert!(page.contains("id=\"book-later\""));
    assert!(
        !page.contains("id=\"book\""),
        "no booking form in counselling"
    );
    assert!(page.contains("id=\"case-sections\""), "a section menu");

    // Applied: CBSA decides, and is asked twice.
    testing::set_status(&app.store, id, "applied").await;
    let (b, _, _) = sign_in_home(&app, "cbsa@cbsa.gc.ca").await;
    let page = get(&b, &app, &url).await;
    assert!(page.contains("CBSA officer"), "CBSA acts next");
    for to in ["eligible", "ineligible"] {
        let at = page
            .find(&format!("id=\"confirm-{to}\""))
            .unwrap_or_else(|| panic!("{to} is asked twice"));
        let details = &page[at..at + page[at..].find("</details>").unwrap()];
        assert!(details.contains("<summary"), "{details}");
        assert!(details.contains("type=\"submit\""), "{details}");
    }

    // Returned: one way to close, from the closure section.
    testing::give_mission_its_part(&app.store, id).await;
    testing::set_status(&app.store, id, "reintegrating").await;
    let (m, _, _) = sign_in_home(&app, "hu@iom.int").await;
    let page = get(&m, &app, &url).await;
    assert_eq!(
        page.matches("id=\"close-case\"").count(),
        1,
        "one close button"
    );
    assert!(!page.contains("name=\"to\" value=\"closed\""));
    assert!(
        page.contains("id=\"confirm-close\""),
        "closing is asked twice"
    );
}
both_databases!(case_page, the_case_page_guides_each_step);

async fn admins_find_users_by_name_email_or_role(store: Store) {
    let app = start(store).await;
    app.user("admin@iom.int", "admin", None).await;
    app.user("katalin@iom.int", "mission_officer", Some("HU"))
        .await;
    app.user("fin@iom.int", "finance", None).await;
    let (a, _, home) = sign_in_home(&app, "admin@iom.int").await;
    assert!(main_menu(&home).contains("href=\"/admin/users\""));
    let all = get(&a, &app, "/admin/users").await;
    assert!(all.contains("katalin@iom.int") && all.contains("fin@iom.int"));
    // By part of the email, case aside; by role; both must hold.
    let found = get(&a, &app, "/admin/users?q=KATALIN").await;
    assert!(found.contains("katalin@iom.int") && !found.contains("fin@iom.int"));
    assert!(found.contains("value=\"KATALIN\""), "the search is kept");
    let found = get(&a, &app, "/admin/users?role=finance").await;
    assert!(found.contains("fin@iom.int") && !found.contains("katalin@iom.int"));
    let found = get(&a, &app, "/admin/users?q=katalin&role=finance").await;
    assert!(!found.contains("katalin@iom.int") && !found.contains("fin@iom.int"));
    // Hostile text is shown as text.
    let found = get(&a, &app, "/admin/users?q=%3Cscript%3E").await;
    assert!(!found.contains("<script>"));
    // Nobody else may search the users.
    let (f, _, _) = sign_in_home(&app, "fin@iom.int").await;
    let r = f.get(app.url("/admin/users?q=a")).send().await.unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::FORBIDDEN);
}
both_databases!(admin_users, admins_find_users_by_name_email_or_role);
