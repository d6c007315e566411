//! The header's search box in a real browser (headless Chromium through
//! chromedriver), on SQLite and PostgreSQL (docs/adr/0031):
//!
//! 1. typing part of a family name shows the matching people and cases as
//!    you type, the match marked;
//! 2. the keyboard walks the results: Down from the box to the first link
//!    and on, Up back to the box, End to the last, Escape closes the list
//!    and leaves what was typed in the box;
//! 3. Enter on a result opens it.
//!
//! Run: `cargo test -p homeward-e2e --test search -- --test-threads=1`.

mod support;

use fantoccini::key::Key;
use fantoccini::Client;
use homeward_domain::person::PersonInput;
use homeward_store::cases;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_box_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_box_postgres() {
    journey(Db::Postgres).await;
}

/// What has the keyboard focus: the element's id, or else its link.
async fn focused(c: &Client) -> String {
    c.execute(
        "const e = document.activeElement; return e.id || e.getAttribute('href') || e.tagName;",
        vec![],
    )
    .await
    .expect("read the focus")
    .as_str()
    .unwrap_or_default()
    .to_string()
}

/// The links in the results list, in order.
async fn result_links(c: &Client) -> Vec<String> {
    let v = c
        .execute(
            "return Array.from(document.querySelectorAll('#site-search-results a[href]')).map(a => a.getAttribute('href'));",
            vec![],
        )
        .await
        .expect("read the results");
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

async fn press(c: &Client, key: Key) {
    c.active_element()
        .await
        .expect("the focused element")
        .send_keys(&char::from(key).to_string())
        .await
        .expect("press a key");
}

async fn journey(db: Db) {
    let app = App::start(db).await;
    let sup = app
        .user("sup@iom.int", "Sofia", "supervisor", Some("toronto"))
        .await
        .actor(None);
    for (given, dob) in [("Ágnes", "1980-05-17"), ("Bence", "1975-02-03")] {
        cases::create(
            &app.store,
            &sup,
            &cases::CaseInput {
                principal: Some(PersonInput {
                    given_names: Some(given.into()),
                    family_name: Some("Horváth".into()),
                    date_of_birth: Some(dob.into()),
                    nationalities: vec!["HU".into()],
                    ..Default::default()
                }),
                country_of_return: Some("HU".into()),
                ..Default::default()
            },
        )
        .await
        .expect("a case");
    }
    let base = app.base.clone();
    let name = format!("search-{}", db.name());
    with_browser(&name, move |c| async move {
        sign_in(&c, &base, "sup@iom.int").await;
        // 1. As you type: two people, each with a link to their case.
        type_into(&c, "site-search-q", "horv").await;
        let links = wait_until("the results as you type", || {
            let c = c.clone();
            async move {
                let l = result_links(&c).await;
                (l.len() >= 4).then_some(l)
            }
        })
        .await;
        assert!(
            text_of(&c, "#site-search-results mark")
                .await
                .to_lowercase()
                == "horv"
        );
        assert_eq!(focused(&c).await, "site-search-q");

        // 2. Down, Down, Up, Up: first, second, first, the box.
        press(&c, Key::Down).await;
        assert_eq!(focused(&c).await, links[0]);
        press(&c, Key::Down).await;
        assert_eq!(focused(&c).await, links[1]);
        press(&c, Key::Up).await;
        assert_eq!(focused(&c).await, links[0]);
        press(&c, Key::Up).await;
        assert_eq!(focused(&c).await, "site-search-q");
        press(&c, Key::Down).await;
        press(&c, Key::End).await;
        assert_eq!(&focused(&c).await, links.last().expect("links"));
        press(&c, Key::Home).await;
        assert_eq!(focused(&c).await, links[0]);
        screenshot(&c, &format!("search-keys-{}.png", db.name())).await;
        // Escape closes the list, back in the box with the text kept.
        press(&c, Key::Escape).await;
        assert_eq!(focused(&c).await, "site-search-q");
        assert!(result_links(&c).await.is_empty());
        let typed = c
            .execute(
                "return document.getElementById('site-search-q').value;",
                vec![],
            )
            .await
            .expect("the box's text");
        assert_eq!(typed.as_str(), Some("horv"));

        // 3. Typing again brings the list back; Enter on a result opens it.
        press(&c, Key::Backspace).await;
        wait_until("the results again", || {
            let c = c.clone();
            async move { (!result_links(&c).await.is_empty()).then_some(()) }
        })
        .await;
        press(&c, Key::Down).await;
        let first = focused(&c).await;
        let first = first
            .split(['#', '?'])
            .next()
            .unwrap_or_default()
            .to_string();
        press(&c, Key::Enter).await;
        wait_until("the result's page", || {
            let c = c.clone();
            let first = first.clone();
            async move { (path_of(&c).await == first).then_some(()) }
        })
        .await;
    })
    .await;
}
