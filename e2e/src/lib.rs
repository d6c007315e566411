//! Homeward's end-to-end tests live in `tests/`: `tests/browser.rs` drives
//! the real web app in headless Chromium through chromedriver (Debian's
//! `chromium` and `chromium-driver` packages; nothing is downloaded), on
//! SQLite and on PostgreSQL (127.0.0.1:5432, or `HOMEWARD_TEST_POSTGRES_URL`).
//!
//! Run them with `cargo test -p homeward-e2e -- --test-threads=1`.
//! Screenshots go to `target/e2e-screenshots/`; on a failure the page's
//! screenshot and HTML are saved there as `failure-<database>.png`/`.html`.
