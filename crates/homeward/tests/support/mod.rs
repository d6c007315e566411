//! What the command-line tests share: running the real binary, a scratch
//! folder, a fresh PostgreSQL database.
#![allow(dead_code)]

use std::process::{Command, Stdio};

/// Runs `homeward` with `args` in `dir` (no standard input): success, stdout, stderr.
pub fn homeward(args: &[&str], dir: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_homeward"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .output()
        .expect("run homeward");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// A new empty folder under the system's temporary folder.
pub fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("homeward-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The URL of a new, empty PostgreSQL database on the server named by
/// `HOMEWARD_TEST_POSTGRES_URL` (default: local, trust authentication).
pub fn postgres_database() -> String {
    let admin = std::env::var("HOMEWARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("homeward_test_{}", uuid::Uuid::new_v4().simple());
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(&admin)
            .await
            .expect("PostgreSQL must run for the tests");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .unwrap();
    });
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}
