//! The duplicate review in a real browser (headless Chromium through
//! chromedriver), on SQLite and PostgreSQL (docs/adr/0032):
//!
//! 1. the case page of a woman registered twice shows the notice (loaded by
//!    htmx) linking to the side-by-side comparison;
//! 2. merging without ticking the confirmation box is refused next to the
//!    box; ticked, "merge, keep left" merges and leads to the history; the
//!    second case now has the kept person as principal;
//! 3. "undo" in the history restores both records: the pair is back in
//!    the queue.
//!
//! Run: `cargo test -p homeward-e2e --test duplicates -- --test-threads=1`.

mod support;

use homeward_domain::person::PersonInput;
use homeward_store::{cases, duplicates};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicates_postgres() {
    journey(Db::Postgres).await;
}

fn person(given: &str, family: &str) -> PersonInput {
    PersonInput {
        given_names: Some(given.into()),
        family_name: Some(family.into()),
        date_of_birth: Some("1980-05-17".into()),
        sex: Some("female".into()),
        nationalities: vec!["HU".into()],
        ..Default::default()
    }
}

async fn journey(db: Db) {
    let app = App::start(db).await;
    let sup = app
        .user("sup@iom.int", "Sofia", "supervisor", Some("toronto"))
        .await
        .actor(None);
    let mut ids = Vec::new();
    for p in [person("Ágnes", "Horváth"), person("Agnes", "HORVATH")] {
        let c = cases::create(
            &app.store,
            &sup,
            &cases::CaseInput {
                principal: Some(p),
                country_of_return: Some("HU".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        ids.push((c.summary.id, c.summary.case_number.clone()));
    }
    // What the job worker's bulk lane does in the background.
    duplicates::refresh_pending(&app.store, 100).await.unwrap();
    let base = app.base.clone();
    let name = format!("duplicates-{}", db.name());
    with_browser(&name, move |c| async move {
        sign_in(&c, &base, "sup@iom.int").await;
        // 1. The notice on the case page.
        open(&c, &base, &format!("/cases/{}", ids[0].0)).await;
        wait_css(&c, "#duplicate-notice a.duplicate-compare").await;
        click_and_load(&c, "#duplicate-notice a.duplicate-compare").await;
        assert!(path_of(&c).await.starts_with("/duplicates/"));
        wait_css(&c, "#compare-table tr.differs").await;
        assert!(text_of(&c, "#left-name").await.contains("Ágnes"));
        screenshot(&c, "duplicates-compare.png").await;

        // 2. Confirmation first, then the merge.
        click_and_load(&c, "#keep-left").await;
        wait_css(&c, "#merge-confirm-error").await;
        click(&c, "#merge-confirm").await;
        click_and_load(&c, "#keep-left").await;
        assert_eq!(path_of(&c).await, "/duplicates/merges");
        let row = text_of(&c, "#merge-table tbody tr").await;
        assert!(row.contains("Horváth"), "{row}");
        open(&c, &base, &format!("/cases/{}", ids[1].0)).await;
        let facts = text_of(&c, "dl.facts").await;
        assert!(facts.contains("Ágnes"), "{facts}");

        // 3. Undo.
        open(&c, &base, "/duplicates/merges").await;
        click_and_load(&c, "button.undo-merge").await;
        assert!(text_of(&c, "#merge-table tbody tr")
            .await
            .contains("Undone"));
        open(&c, &base, "/duplicates").await;
        wait_css(&c, "#duplicate-table a.compare-link").await;
        open(&c, &base, &format!("/cases/{}", ids[1].0)).await;
        let facts = text_of(&c, "dl.facts").await;
        assert!(facts.contains("HORVATH"), "{facts}");
    })
    .await;
}
