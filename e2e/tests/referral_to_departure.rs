//! A CBSA referral walked to "preparing departure" in a real browser
//! (headless Chromium through chromedriver), on SQLite and on PostgreSQL.
//! Each role signs in in turn in the same browser, after the previous one
//! signed out, and gets the refusals its role must get:
//!
//! 1. the CBSA officer refers a person with the immigration facts; the case
//!    page shows the referral and the contact clock, and none of the
//!    restricted sections (counselling, consent, attachments, health);
//! 2. the Toronto counsellor finds the referral waiting on the dashboard,
//!    takes it (intake), starts counselling, records a session (a wrong
//!    duration first: the form comes back with its message and everything
//!    typed), records two consents, uploads the signed declaration and
//!    submits the application: the stored evaluation says CAD 2,000.00
//!    under the training rule set. The counsellor is not offered
//!    "Approve eligibility";
//! 3. the CBSA officer still sees no restricted data, cannot download the
//!    declaration by its address, and approves eligibility;
//! 4. the counsellor's "Start departure preparations" is refused with the
//!    traveller's missing travel document; after adding a passport it goes
//!    through;
//! 5. the HU mission officer finds the case, reads the counselling (consent
//!    given) but gets no workflow buttons, no forms and no referral facts; a
//!    mission officer of another country cannot open the case;
//! 6. the counsellor's case page, in English and in French, is saved whole
//!    as screenshots.
//!
//! No page may show an untranslated message key. Screenshots go to
//! `target/e2e-screenshots/<db>-departure-*.png`.
//!
//! Run: `cargo test -p homeward-e2e -- --test-threads=1`.

mod support;

use chrono::{Duration, Utc};
use fantoccini::Client;
use support::*;

const CBSA: &str = "officer@cbsa.example";
const COUNSELLOR: &str = "c@iom.int";
const MISSION_HU: &str = "hu@iom.int";
const MISSION_SN: &str = "sn@iom.int";

/// Typed into the counselling session; restricted, so CBSA must never see it.
const NOTES: &str = "Wants to be home in Debrecen before the school year starts.";

/// The smallest file the app accepts as a PDF.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n";

const MISSION_LABEL: &str = "Share with the IOM mission in the country of return";
const HEALTH_LABEL: &str = "Collect health data";

/// Every section that holds restricted data.
const RESTRICTED: [&str; 4] = ["#counselling", "#consent", "#attachments", "#health"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_to_departure_sqlite() {
    journey(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn referral_to_departure_postgres() {
    journey(Db::Postgres).await;
}

async fn journey(db: Db) {
    let app = App::start(db).await;
    app.user(CBSA, "Jean Tremblay", "cbsa_officer", None).await;
    app.user(COUNSELLOR, "Amira", "counsellor", Some("toronto"))
        .await;
    app.mission_officer(MISSION_HU, "Katalin", "HU").await;
    app.mission_officer(MISSION_SN, "Awa", "SN").await;
    let base = app.base.clone();
    with_browser(&format!("{}-departure", db.name()), move |c| async move {
        steps(&c, &base, db.name()).await;
    })
    .await;
    if db == Db::Postgres {
        app.store.clone().close().await;
    }
}

/// The submit button of the workflow form that moves the case to `to`.
/// For a decision asked twice, the summary that opens the question.
fn step(to: &str) -> String {
    let input = format!("form[action$='/transition'] input[name='to'][value='{to}']");
    format!("{input} ~ button[type='submit'], {input} ~ details.confirm > summary")
}

/// Takes a decision asked twice: opens the question, then confirms.
async fn confirm_step(c: &Client, to: &str) {
    click(c, &format!("#confirm-{to} > summary")).await;
    click_and_load(c, &format!("#confirm-{to} button[type='submit']")).await;
}

/// Any workflow form at all.
const ANY_STEP: &str = "form[action$='/transition']";

/// The description next to `term` in a list read by [`definitions`].
fn fact<'a>(facts: &'a [(String, String)], term: &str) -> &'a str {
    facts
        .iter()
        .find(|(t, _)| t == term)
        .map(|(_, d)| d.as_str())
        .unwrap_or_else(|| panic!("no {term:?} in {facts:?}"))
}

async fn status_is(c: &Client, expected: &str) {
    assert_eq!(text_of(c, "#case-status").await, expected);
}

async fn steps(c: &Client, base: &str, db: &str) {
    let today = Utc::now().date_naive();

    // 1. The CBSA officer refers the person.
    sign_in(c, base, CBSA).await;
    assert!(text_of(c, "header .who").await.contains("CBSA officer"));
    click_and_load(c, "header nav a[href='/cases/new']").await;
    assert!(
        texts_of(c, "form[action='/cases'] legend")
            .await
            .iter()
            .any(|l| l == "Referral: immigration facts"),
        "CBSA's form asks for the immigration facts"
    );
    set_value(c, "f-referral.claim_filed_on", "2024-03-01").await;
    choose(c, &by_id("f-referral.claim_outcome"), "rejected").await;
    set_value(c, "f-referral.irb_decided_on", "2024-09-16").await;
    choose(c, &by_id("f-referral.designated_country_of_origin"), "no").await;
    choose(c, &by_id("f-referral.compliant_with_conditions"), "yes").await;
    choose(c, &by_id("f-referral.criminality"), "none").await;
    type_into(c, "f-referral.residence_region", "GTA").await;
    choose(c, &by_id("f-referral.prior_avrr_assistance"), "no").await;
    type_into(c, "f-family_name", "Nagy").await;
    type_into(c, "f-given_names", "Eszter").await;
    set_value(c, "f-date_of_birth", "1990-05-17").await;
    choose(c, "#f-country_of_return", "HU").await;
    type_into(c, "f-destination_locality", "Debrecen").await;
    assert_no_raw_keys(c, "CBSA's new-case form").await;
    click_and_load(c, "form[action='/cases'] button[type='submit']").await;

    let case_path = path_of(c).await;
    let case_id = case_path
        .strip_prefix("/cases/")
        .unwrap_or_else(|| panic!("a referral opens its case page, not {case_path}"));
    uuid::Uuid::parse_str(case_id).expect("the case page's address ends in the case id");
    status_is(c, "Referred").await;
    let h1 = text_of(c, "main h1").await;
    let case_number = h1.split_whitespace().next().unwrap_or_default().to_string();
    assert!(
        case_number.starts_with("TOR-"),
        "a case number heads the page: {h1:?}"
    );
    let referral = definitions(c, "#referral").await;
    assert_eq!(
        fact(&referral, "Outcome of the claim"),
        "Rejected by the Board"
    );
    assert_eq!(fact(&referral, "Refugee claim made on"), "2024-03-01");
    assert_eq!(
        fact(&referral, "Date of the Board's decision"),
        "2024-09-16"
    );
    assert_eq!(fact(&referral, "Designated country of origin"), "No");
    assert_eq!(
        fact(&referral, "Complies with conditions and reporting"),
        "Yes"
    );
    assert_eq!(fact(&referral, "Criminality"), "None");
    assert_eq!(fact(&referral, "Region of residence"), "GTA");
    assert_eq!(fact(&referral, "Received AVRR assistance before"), "No");
    assert_eq!(fact(&referral, "Referred by"), "Jean Tremblay");
    let clock = text_of(c, "#contact-clock").await;
    assert!(
        clock.starts_with("The person should contact IOM by"),
        "the contact clock runs: {clock:?}"
    );
    for s in RESTRICTED {
        assert!(!present(c, s).await, "CBSA must not see {s}");
    }
    assert!(
        !present(c, ANY_STEP).await,
        "CBSA has no step to take on a new referral"
    );
    assert!(
        !present(c, &format!("a[href='{case_path}/edit']")).await,
        "CBSA cannot edit the case"
    );
    assert_no_raw_keys(c, "CBSA's case page").await;
    screenshot(c, &format!("{db}-departure-1-cbsa.png")).await;
    sign_out(c).await;

    // 2. The counsellor takes the referral and builds the application.
    sign_in(c, base, COUNSELLOR).await;
    let waiting = text_of(c, "#waiting tbody").await;
    assert!(
        waiting.contains(&case_number) && waiting.contains("Nagy, Eszter"),
        "the referral waits on the counsellor's dashboard: {waiting:?}"
    );
    assert_no_raw_keys(c, "the counsellor's dashboard").await;
    click_and_load(c, &format!("#waiting a[href='{case_path}']")).await;
    assert_eq!(path_of(c).await, case_path);
    status_is(c, "Referred").await;
    assert!(
        !present(c, &step("eligible")).await,
        "only CBSA decides eligibility"
    );

    assert_eq!(text_of(c, &step("intake")).await, "Start intake");
    click_and_load(c, &step("intake")).await;
    status_is(c, "Intake").await;
    assert_eq!(
        fact(
            &definitions(c, "section[aria-labelledby='facts-h']").await,
            "Counsellor"
        ),
        "Amira",
        "starting the intake takes the case"
    );
    assert!(
        !present(c, "#contact-clock").await,
        "the person was contacted: the clock stops"
    );

    assert_eq!(text_of(c, &step("counselling")).await, "Start counselling");
    click_and_load(c, &step("counselling")).await;
    status_is(c, "Counselling").await;

    // A session with a duration in words comes back with a message, filled in.
    let held_on = (today - Duration::days(1)).to_string();
    assert_eq!(
        text_of(c, "#counselling details > summary").await,
        "Record a counselling session"
    );
    open_details(c, "#counselling details").await;
    set_value_css(c, "#counselling [name='held_on']", &held_on).await;
    type_css(c, "#counselling [name='duration_minutes']", "ninety").await;
    choose(c, "#counselling [name='language']", "hu").await;
    type_css(c, "#counselling [name='interpreter']", "Anna Kovács").await;
    click(c, "#counselling [name='topic.return_options']").await;
    click(c, "#counselling [name='topic.travel']").await;
    type_css(c, "#counselling [name='notes']", NOTES).await;
    click_and_load(c, "#counselling form button[type='submit']").await;

    wait_css(c, "#counselling details[open]").await;
    let alert = text_of(c, "#counselling .alert").await;
    assert!(
        alert.contains("Nothing was saved"),
        "the session form says nothing was saved: {alert:?}"
    );
    assert_eq!(
        text_of(
            c,
            "#counselling .field.error [name='duration_minutes'] ~ #e-co-duration_minutes"
        )
        .await,
        "Enter a whole number."
    );
    assert!(
        !present(c, "#counselling .field.error [name='language']").await,
        "the language was right"
    );
    assert!(
        !present(c, "#counselling article").await,
        "no session saved"
    );
    assert_eq!(
        value_css(c, "#counselling [name='duration_minutes']").await,
        "ninety"
    );
    assert_eq!(value_css(c, "#counselling [name='held_on']").await, held_on);
    assert_eq!(value_css(c, "#counselling [name='language']").await, "hu");
    assert_eq!(
        value_css(c, "#counselling [name='interpreter']").await,
        "Anna Kovács"
    );
    assert_eq!(
        value_css(c, "#counselling [name='notes']").await,
        NOTES,
        "the notes typed are kept"
    );
    assert!(is_checked(c, "#counselling [name='topic.return_options']").await);
    assert!(is_checked(c, "#counselling [name='topic.travel']").await);
    assert!(!is_checked(c, "#counselling [name='topic.health']").await);
    assert_no_raw_keys(c, "the refused session form").await;
    element_screenshot(
        c,
        "#counselling",
        &format!("{db}-departure-2-session-error.png"),
    )
    .await;

    type_css(c, "#counselling [name='duration_minutes']", "90").await;
    click_and_load(c, "#counselling form button[type='submit']").await;
    assert_eq!(path_of(c).await, case_path);
    let session = text_of(c, "#counselling article").await;
    for part in [
        held_on.as_str(),
        "90 min",
        "Hungarian",
        "Anna Kovács",
        NOTES,
    ] {
        assert!(
            session.contains(part),
            "the session shows {part:?}: {session:?}"
        );
    }
    // The topics come back in no fixed order (the page collects the ticked
    // boxes from a hash map; reported), so compare them as a set.
    let mut topics: Vec<String> = text_of(c, "#counselling article p.muted")
        .await
        .split(", ")
        .map(str::to_string)
        .collect();
    topics.sort();
    assert_eq!(topics, ["Return options", "Travel and documents"]);
    assert!(
        !present(c, "#counselling details[open]").await,
        "the form closes once saved"
    );

    // Consent to share with the mission and to collect health data.
    for (purpose, label) in [
        ("share_with_mission", MISSION_LABEL),
        ("collect_health_data", HEALTH_LABEL),
    ] {
        choose(c, "#consent select[name='purpose']", purpose).await;
        click_and_load(
            c,
            "#consent form[action$='/consents#consent'] button[type='submit']",
        )
        .await;
        assert_eq!(path_of(c).await, case_path);
        let given = texts_of(c, "#consent tbody tr td:nth-child(2)").await;
        assert!(
            given.iter().any(|g| g == label),
            "consent {label:?} is recorded: {given:?}"
        );
    }

    // The signed declaration.
    let dir = tempfile::tempdir().expect("a folder for the declaration");
    let pdf = dir.path().join("declaration.pdf");
    std::fs::write(&pdf, PDF).expect("write the declaration");
    choose(c, "#attachments select[name='kind']", "declaration").await;
    wait_css(c, "#attachments input[type='file'][name='file']")
        .await
        .send_keys(pdf.to_str().expect("a UTF-8 path"))
        .await
        .expect("choose the file to upload");
    click_and_load(c, "#attachments form button[type='submit']").await;
    assert_eq!(path_of(c).await, case_path);
    assert!(
        !present(c, "#attachments .alert").await,
        "the upload is accepted"
    );
    let file = text_of(c, "#attachments li").await;
    assert!(
        file.contains("declaration.pdf") && file.contains("Signed voluntary-return declaration"),
        "the declaration is listed: {file:?}"
    );
    let declaration = wait_css(c, "#attachments li a")
        .await
        .attr("href")
        .await
        .expect("the declaration's link")
        .expect("the declaration's address");

    // The application, evaluated with the training rules.
    assert_eq!(text_of(c, &step("applied")).await, "Submit the application");
    click_and_load(c, &step("applied")).await;
    status_is(c, "Applied").await;
    let evaluation = text_of(c, "#evaluation").await;
    for part in ["Eligible", "CAD 2,000.00", "gta-2012@1001"] {
        assert!(
            evaluation.contains(part),
            "the evaluation shows {part:?}: {evaluation:?}"
        );
    }
    assert!(
        !present(c, &step("eligible")).await,
        "the counsellor cannot approve eligibility"
    );
    assert!(!present(c, &step("ineligible")).await, "nor refuse it");
    assert_no_raw_keys(c, "the applied case page").await;
    sign_out(c).await;

    // 3. CBSA approves eligibility, still without seeing restricted data.
    sign_in(c, base, CBSA).await;
    open(c, base, &case_path).await;
    status_is(c, "Applied").await;
    for s in RESTRICTED {
        assert!(!present(c, s).await, "CBSA must not see {s}");
    }
    let page = visible_text(c).await;
    assert!(
        !page.contains(NOTES) && !page.contains("declaration.pdf"),
        "CBSA's page shows no counselling notes nor attachment"
    );
    assert!(
        text_of(c, "#evaluation").await.contains("CAD 2,000.00"),
        "CBSA sees the evaluation"
    );
    open(c, base, &declaration).await;
    assert_eq!(
        text_of(c, "main h1").await,
        "Not allowed",
        "CBSA cannot download the declaration by its address"
    );
    assert!(!visible_text(c).await.contains("%PDF"));
    open(c, base, &case_path).await;
    assert_eq!(text_of(c, &step("eligible")).await, "Approve eligibility");
    confirm_step(c, "eligible").await;
    status_is(c, "Eligible").await;
    assert!(
        !present(c, &step("preparing_departure")).await,
        "departure preparations are IOM's"
    );
    assert_no_raw_keys(c, "CBSA's approved case page").await;
    sign_out(c).await;

    // 4. Departure preparations wait for a travel document.
    sign_in(c, base, COUNSELLOR).await;
    open(c, base, &case_path).await;
    status_is(c, "Eligible").await;
    assert_eq!(
        text_of(c, &step("preparing_departure")).await,
        "Start departure preparations"
    );
    click_and_load(c, &step("preparing_departure")).await;
    let refused = text_of(c, "#transition-errors").await;
    assert!(
        refused.starts_with("The case cannot move on yet:"),
        "the refusal says why: {refused:?}"
    );
    assert_eq!(
        texts_of(c, "#transition-errors li").await,
        vec!["Nagy, Eszter: No travel document is on file.".to_string()]
    );
    status_is(c, "Eligible").await;
    assert_no_raw_keys(c, "the refused departure preparations").await;
    screenshot(c, &format!("{db}-departure-4-blocked.png")).await;

    let expires = (today + Duration::days(5 * 365)).to_string();
    assert_eq!(
        text_of(c, "#documents details > summary").await,
        "Add a travel document"
    );
    open_details(c, "#documents details").await;
    wait_css(c, "#documents select[name='person_id']")
        .await
        .select_by_label("Nagy, Eszter")
        .await
        .expect("choose the traveller");
    choose(c, "#documents select[name='kind']", "passport").await;
    type_css(c, "#documents [name='number']", "HU1234567").await;
    type_css(c, "#documents [name='issuing_country']", "HU").await;
    set_value_css(c, "#documents [name='expires_on']", &expires).await;
    click_and_load(c, "#documents form button[type='submit']").await;
    assert_eq!(path_of(c).await, case_path);
    let passport = text_of(c, "#documents tbody tr").await;
    for part in [
        "Nagy, Eszter",
        "Passport",
        "HU1234567",
        "HU",
        expires.as_str(),
    ] {
        assert!(
            passport.contains(part),
            "the passport shows {part:?}: {passport:?}"
        );
    }

    click_and_load(c, &step("preparing_departure")).await;
    assert_eq!(path_of(c).await, case_path);
    status_is(c, "Preparing departure").await;
    assert!(!present(c, "#transition-errors").await);
    sign_out(c).await;

    // 5. The mission in the country of return reads, but does not act.
    sign_in(c, base, MISSION_HU).await;
    click_and_load(c, "header nav a[href='/cases']").await;
    click_and_load(c, &format!("#case-table a[href='{case_path}']")).await;
    status_is(c, "Preparing departure").await;
    let counselling = text_of(c, "#counselling").await;
    assert!(
        counselling.contains(NOTES),
        "with consent, the mission reads the counselling: {counselling:?}"
    );
    assert!(
        !present(c, "#counselling form").await,
        "the mission cannot record sessions"
    );
    assert!(
        !present(c, ANY_STEP).await,
        "the mission has none of IOM Toronto's steps"
    );
    assert!(
        texts_of(c, "#consent tbody tr td:nth-child(2)")
            .await
            .iter()
            .any(|g| g == MISSION_LABEL),
        "the mission sees the consent it relies on"
    );
    assert!(
        !present(c, "#consent form").await,
        "the mission cannot record or withdraw consent"
    );
    assert!(
        !present(c, "#documents form").await,
        "the mission cannot add documents"
    );
    assert!(
        !present(c, "#referral").await && !present(c, "#evaluation").await,
        "the mission does not see the immigration facts"
    );
    assert!(
        !present(c, &format!("a[href='{case_path}/edit']")).await,
        "the mission cannot edit the case"
    );
    assert_no_raw_keys(c, "the mission's case page").await;
    screenshot(c, &format!("{db}-departure-5-mission.png")).await;
    sign_out(c).await;

    // Another country's mission cannot open it at all.
    sign_in(c, base, MISSION_SN).await;
    open(c, base, &case_path).await;
    assert_eq!(
        text_of(c, "main h1").await,
        "Not found",
        "a case outside the mission's country is not found"
    );
    assert!(!visible_text(c).await.contains("Nagy"));
    sign_out(c).await;

    // 6. The counsellor's page at the end, whole, in English and in French.
    sign_in(c, base, COUNSELLOR).await;
    open(c, base, &case_path).await;
    wait_css(c, "html[lang='en']").await;
    status_is(c, "Preparing departure").await;
    assert_no_raw_keys(c, "the counsellor's case page").await;
    full_page_screenshot(c, &format!("{db}-departure-6-counsellor-en.png")).await;
    click_and_load(c, "#switch-language").await;
    wait_css(c, "html[lang='fr']").await;
    assert_eq!(path_of(c).await, case_path, "the switch stays on the case");
    status_is(c, "Préparation du départ").await;
    assert_no_raw_keys(c, "the counsellor's French case page").await;
    full_page_screenshot(c, &format!("{db}-departure-6-counsellor-fr.png")).await;
}
