//! The `homeward` command line, run as a real process on a real database.

mod support;

use std::io::Write;
use std::process::{Command, Stdio};

fn homeward(args: &[&str], stdin: Option<&str>, dir: &std::path::Path) -> (bool, String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_homeward"));
    cmd.args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.env("RUST_LOG", "warn");
    let mut child = cmd.spawn().expect("run homeward");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("homeward-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_default_database_is_a_sqlite_file_in_the_current_folder() {
    let dir = tempdir();
    let (ok, out, err) = homeward(&["migrate"], None, &dir);
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));
    assert!(dir.join("homeward.db").exists());
}

#[test]
fn users_tokens_demo_and_backup() {
    let dir = tempdir();
    let db = format!("sqlite://{}", dir.join("t.db").display());
    let (ok, out, err) = homeward(
        &[
            "user",
            "create",
            "--email",
            "Amira@IOM.int",
            "--name",
            "Amira",
            "--role",
            "counsellor",
            "--database-url",
            &db,
        ],
        Some("a long enough password\n"),
        &dir,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains("amira@iom.int") && !out.contains("Password:"),
        "{out}"
    );
    // Empty standard input: a password is generated and printed once.
    let (ok, out, _) = homeward(
        &[
            "user",
            "create",
            "--email",
            "m@iom.int",
            "--name",
            "M",
            "--role",
            "mission_officer",
            "--country",
            "HU",
            "--database-url",
            &db,
        ],
        Some(""),
        &dir,
    );
    assert!(ok);
    assert!(out.contains("Password: "));
    // Bad input is a clear error and a non-zero exit.
    let (ok, _, err) = homeward(
        &[
            "user",
            "create",
            "--email",
            "x@iom.int",
            "--name",
            "X",
            "--role",
            "mission_officer",
            "--database-url",
            &db,
        ],
        Some("a long enough password"),
        &dir,
    );
    assert!(!ok);
    assert!(err.contains("country (required)"), "{err}");
    let (ok, _, err) = homeward(
        &[
            "user",
            "create",
            "--email",
            "amira@iom.int",
            "--name",
            "A",
            "--role",
            "counsellor",
            "--database-url",
            &db,
        ],
        Some("a long enough password"),
        &dir,
    );
    assert!(!ok && err.contains("already exists"), "{err}");

    let (ok, out, _) = homeward(
        &[
            "token",
            "create",
            "--email",
            "amira@iom.int",
            "--database-url",
            &db,
        ],
        None,
        &dir,
    );
    assert!(ok);
    assert!(out.trim().starts_with("hwt_") && out.trim().len() > 60);
    let (ok, _, err) = homeward(
        &[
            "token",
            "create",
            "--email",
            "nobody@iom.int",
            "--database-url",
            &db,
        ],
        None,
        &dir,
    );
    assert!(!ok && err.contains("no user"));

    // Named, expiring tokens are listed (never the secret) and revoked.
    let (ok, out, err) = homeward(
        &[
            "token",
            "create",
            "--email",
            "amira@iom.int",
            "--name",
            "Report script",
            "--expires-days",
            "30",
            "--database-url",
            &db,
        ],
        None,
        &dir,
    );
    assert!(ok, "{err}");
    let secret = out.trim().to_string();
    assert!(
        secret.starts_with("hwt_") && err.contains("expires"),
        "{err}"
    );
    for bad in ["0", "100000", "soon"] {
        let (ok, _, err) = homeward(
            &[
                "token",
                "create",
                "--email",
                "amira@iom.int",
                "--expires-days",
                bad,
                "--database-url",
                &db,
            ],
            None,
            &dir,
        );
        assert!(!ok && err.contains("expires"), "{bad}: {err}");
    }
    let (ok, out, err) = homeward(
        &[
            "token",
            "list",
            "--email",
            "AMIRA@iom.int",
            "--database-url",
            &db,
        ],
        None,
        &dir,
    );
    assert!(ok, "{err}");
    let line = out
        .lines()
        .find(|l| l.ends_with("Report script"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(
        line.contains("active") && !out.contains(&secret[4..]),
        "{out}"
    );
    let id = line.split_whitespace().next().unwrap().to_string();
    assert_eq!(out.lines().count(), 3, "a header and two tokens: {out}");
    let (ok, out, err) = homeward(&["token", "revoke", &id, "--database-url", &db], None, &dir);
    assert!(ok && out.contains(&id), "{err}");
    let (_, out, _) = homeward(&["token", "list", "--database-url", &db], None, &dir);
    assert!(
        out.lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked")),
        "{out}"
    );
    for bad in ["not-an-id", "00000000-0000-0000-0000-000000000000"] {
        let (ok, _, err) = homeward(&["token", "revoke", bad, "--database-url", &db], None, &dir);
        assert!(
            !ok && (err.contains("UUID") || err.contains("no token")),
            "{err}"
        );
    }

    let (ok, out, err) = homeward(
        &["demo", "--cases", "40", "--database-url", &db],
        None,
        &dir,
    );
    assert!(ok, "{err}");
    assert!(out.contains("Loaded 40 demo cases") && out.contains("supervisor@homeward.test"));
    let (ok, _, err) = homeward(&["demo", "--cases", "5", "--database-url", &db], None, &dir);
    assert!(!ok && err.contains("already holds cases"));

    let copy = dir.join("copy.db");
    let (ok, _, err) = homeward(
        &[
            "backup",
            "--to",
            copy.to_str().unwrap(),
            "--database-url",
            &db,
        ],
        None,
        &dir,
    );
    assert!(ok, "{err}");
    // The copy is a working database with the same data.
    let (ok, out, _) = homeward(
        &[
            "token",
            "create",
            "--email",
            "supervisor@homeward.test",
            "--database-url",
            &format!("sqlite://{}", copy.display()),
        ],
        None,
        &dir,
    );
    assert!(ok && out.starts_with("hwt_"));
    let (ok, _, err) = homeward(
        &[
            "backup",
            "--to",
            copy.to_str().unwrap(),
            "--database-url",
            &db,
        ],
        None,
        &dir,
    );
    assert!(!ok && err.contains("already exists"));
}

#[test]
fn migrate_and_demo_on_postgresql() {
    let url = support::postgres_database();
    let dir = tempdir();
    let (ok, _, err) = homeward(&["migrate", "--database-url", &url], None, &dir);
    assert!(ok, "{err}");
    let (ok, out, err) = homeward(
        &["demo", "--cases", "30", "--database-url", &url],
        None,
        &dir,
    );
    assert!(ok, "{err}");
    assert!(out.contains("Loaded 30 demo cases"));
    let (ok, _, err) = homeward(
        &["backup", "--to", "x.db", "--database-url", &url],
        None,
        &dir,
    );
    assert!(!ok && err.contains("pg_dump"));
}

/// A webhook delivery that failed for good, seen and retried from the command line.
#[test]
fn jobs_are_listed_shown_and_retried() {
    use homeward_store::jobs::{self, Attempt, Backoff, NewJob};
    let dir = tempdir();
    let db = format!("sqlite://{}", dir.join("j.db").display());
    let (ok, _, err) = homeward(&["migrate", "--database-url", &db], None, &dir);
    assert!(ok, "{err}");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let store = homeward_store::Store::connect(&db).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let id = jobs::enqueue_job(
            &mut tx,
            &NewJob {
                kind: "cbsa_webhook",
                payload: &serde_json::json!({"case_number": "TOR-2026-000001"}),
                run_at: homeward_store::now(),
                dedupe_key: None,
                max_attempts: 1,
            },
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let job = jobs::claim(
            &store,
            "w1",
            &["cbsa_webhook"],
            std::time::Duration::from_secs(60),
        )
        .await
        .unwrap()
        .expect("the job is due");
        jobs::finish(
            &store,
            job.id,
            "w1",
            Attempt::GiveUp {
                http_status: Some(410),
                error: "receiver gone\nfor good".into(),
            },
            &Backoff::default(),
        )
        .await
        .unwrap();
        store.close().await;
        id
    });
    let id = id.to_string();
    let (ok, out, err) = homeward(
        &["jobs", "list", "--status", "failed", "--database-url", &db],
        None,
        &dir,
    );
    assert!(ok, "{err}");
    assert!(
        out.contains(&id) && out.contains("cbsa_webhook") && out.contains("failed"),
        "{out}"
    );
    assert!(
        !out.contains("TOR-2026"),
        "the list shows no personal data: {out}"
    );
    let (ok, out, err) = homeward(&["jobs", "show", &id, "--database-url", &db], None, &dir);
    assert!(ok, "{err}");
    assert!(
        out.contains("#1") && out.contains("410") && out.contains("receiver gone"),
        "each attempt with its status and error: {out}"
    );
    let (ok, out, err) = homeward(&["jobs", "retry", &id, "--database-url", &db], None, &dir);
    assert!(ok, "{err}");
    assert!(out.contains("due now"), "{out}");
    let (_, out, _) = homeward(
        &["jobs", "list", "--status", "pending", "--database-url", &db],
        None,
        &dir,
    );
    assert!(out.contains(&id), "{out}");
    let unknown = uuid::Uuid::new_v4().to_string();
    let (ok, _, err) = homeward(
        &["jobs", "retry", &unknown, "--database-url", &db],
        None,
        &dir,
    );
    assert!(!ok && err.contains("no job"), "{err}");
    let (ok, _, err) = homeward(
        &[
            "jobs",
            "list",
            "--status",
            "sleeping",
            "--database-url",
            &db,
        ],
        None,
        &dir,
    );
    assert!(!ok && err.contains("unknown status"), "{err}");
}

#[test]
fn a_configured_rss_questionnaire_is_checked_at_start() {
    let dir = tempdir();
    let shipped = include_str!("../../domain/rss/default-v1.json");
    std::fs::write(
        dir.join("homeward.toml"),
        "rss_questionnaire_file = \"rss.json\"\n",
    )
    .unwrap();
    // Missing, then not a questionnaire: the command stops and names the setting.
    let (ok, _, err) = homeward(&["migrate"], None, &dir);
    assert!(
        !ok && err.contains("rss_questionnaire_file rss.json"),
        "{err}"
    );
    std::fs::write(
        dir.join("rss.json"),
        shipped.replace("\"weight\": 1.0", "\"weight\": -1.0"),
    )
    .unwrap();
    let (ok, _, err) = homeward(&["migrate"], None, &dir);
    assert!(!ok && err.contains("rss_questionnaire_file"), "{err}");
    // A new version of the shipped one is accepted.
    std::fs::write(
        dir.join("rss.json"),
        shipped.replace("\"version\": 1", "\"version\": 2"),
    )
    .unwrap();
    let (ok, _, err) = homeward(&["migrate"], None, &dir);
    assert!(ok, "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A row of the audit trail edited directly in the database makes
/// `homeward audit verify` fail and name it; on SQLite and PostgreSQL.
#[test]
fn audit_verify_names_an_entry_edited_in_the_database() {
    use homeward_store::audit::{self, Entry};
    let dir = tempdir();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let urls = [
        format!("sqlite://{}", dir.join("a.db").display()),
        support::postgres_database(),
    ];
    for db in urls {
        let (ok, _, err) = homeward(&["migrate", "--database-url", &db], None, &dir);
        assert!(ok, "{err}");
        // Entries written as the application writes them: unsealed.
        rt.block_on(async {
            let store = homeward_store::Store::connect(&db).await.unwrap();
            for i in 0..5 {
                let mut tx = store.begin().await.unwrap();
                audit::record(
                    &mut tx,
                    None,
                    Entry {
                        action: "update",
                        entity: "case",
                        entity_id: Some(format!("case-{i}")),
                        case_id: None,
                        before: Some(serde_json::json!({"status": "intake"})),
                        after: Some(serde_json::json!({"status": "counselling"})),
                    },
                )
                .await
                .unwrap();
                tx.commit().await.unwrap();
            }
            store.close().await;
        });
        let (ok, out, err) = homeward(&["audit", "verify", "--database-url", &db], None, &dir);
        assert!(ok, "{err}");
        assert!(out.starts_with("ok: 5 entries, head 5 "), "{out}");
        let head = out.trim().rsplit(' ').next().unwrap().to_string();
        let expect = format!("5:{head}");
        let (ok, _, err) = homeward(
            &[
                "audit",
                "verify",
                "--expect-head",
                &expect,
                "--database-url",
                &db,
            ],
            None,
            &dir,
        );
        assert!(ok, "{err}");
        // Someone with database access rewrites what happened to case-2.
        let id: i64 = rt.block_on(async {
            let store = homeward_store::Store::connect(&db).await.unwrap();
            let id = homeward_store::on_db!(&store.db, p => sqlx::query_scalar::<_, i64>(
                "SELECT id FROM audit_log WHERE seq = 3").fetch_one(p).await)
            .unwrap();
            homeward_store::on_db!(&store.db, p => sqlx::query(
                "UPDATE audit_log SET after_json = '{\"status\":\"referred\"}' WHERE id = $1")
                .bind(id).execute(p).await.map(|r| r.rows_affected()))
            .unwrap();
            store.close().await;
            id
        });
        let (ok, out, err) = homeward(&["audit", "verify", "--database-url", &db], None, &dir);
        assert!(!ok, "verify must fail: {out}");
        assert!(
            err.contains("at seq 3")
                && err.contains(&format!("entry id {id}"))
                && err.contains("changed"),
            "names the entry: {err}"
        );
        let (ok, _, err) = homeward(
            &[
                "audit",
                "verify",
                "--expect-head",
                "5:xyz",
                "--database-url",
                &db,
            ],
            None,
            &dir,
        );
        assert!(!ok && err.contains("SEQ:HASH"), "{err}");
    }
}

/// Data keys (ADR 0028): a key is created on first start, readable by its
/// owner only; a new key is appended and `keys rotate` moves every sealed
/// file to it; a bad key stops the program with a message that names the setting.
#[test]
fn data_keys_are_created_rotated_and_checked() {
    let dir = tempdir();
    let db = format!("sqlite://{}", dir.join("k.db").display());
    let (ok, out, err) = homeward(
        &["demo", "--database-url", &db, "--cases", "60"],
        None,
        &dir,
    );
    assert!(ok, "{out}{err}");
    let key_file = dir.join("homeward-data").join("data.key");
    let text = std::fs::read_to_string(&key_file).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "{mode:o}");
    }
    let first = homeward_store::crypto::Keyring::parse(&text).unwrap();
    let first_id = first.current_id().unwrap().to_string();

    let (ok, status, err) = homeward(&["keys", "status", "--database-url", &db], None, &dir);
    assert!(ok, "{err}");
    assert!(
        status.contains(&format!("current key: {first_id}")),
        "{status}"
    );
    // The demo's receipts are files sealed under the first key.
    let files = status
        .lines()
        .find(|l| l.starts_with("attachments (files)"))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(files.contains(&first_id), "{files}");

    let (ok, line, _) = homeward(&["keys", "new"], None, &dir);
    assert!(ok);
    let line = line.trim().to_string();
    assert!(
        homeward_store::crypto::Keyring::parse(&line).is_ok(),
        "{line}"
    );
    std::fs::write(&key_file, format!("{text}{line}\n")).unwrap();
    let new_id = line.split(' ').next().unwrap();
    let (ok, out, err) = homeward(&["keys", "rotate", "--database-url", &db], None, &dir);
    assert!(ok, "{err}");
    assert!(out.contains(&format!("sealed under {new_id}")), "{out}");
    let (_, status, _) = homeward(&["keys", "status", "--database-url", &db], None, &dir);
    assert!(!status.contains(&first_id), "{status}");
    assert!(status.contains("attachments (files)"), "{status}");
    // Once rotated, the old key can be removed and the data still reads.
    std::fs::write(&key_file, format!("{line}\n")).unwrap();
    let (ok, _, err) = homeward(&["keys", "rotate", "--database-url", &db], None, &dir);
    assert!(ok, "{err}");

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_homeward"));
    let out = cmd
        .args(["migrate", "--database-url", &db])
        .current_dir(&dir)
        .env("HOMEWARD_DATA_KEY", "k1 not-a-key")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("HOMEWARD_DATA_KEY"), "{err}");
    assert!(
        !err.contains("not-a-key"),
        "the key text is never printed: {err}"
    );
}

/// Reads one HTTP answer from `addr` for `GET path` with an optional bearer
/// token: (status line, body).
fn http_get(addr: &str, path: &str, bearer: Option<&str>) -> (String, String) {
    use std::io::Read;
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    let auth = bearer
        .map(|b| format!("Authorization: Bearer {b}\r\n"))
        .unwrap_or_default();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n"
    )
    .unwrap();
    let mut s = String::new();
    c.read_to_string(&mut s).unwrap();
    let status = s.lines().next().unwrap_or("").to_string();
    let body = s
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

/// `/metrics` is served on `metrics_bind` without a token and, on the main
/// address, only with `metrics_token`; a token shorter than 16 bytes stops the start.
#[test]
fn metrics_are_served_only_where_configured() {
    use std::io::BufRead;
    let dir = tempdir();
    let (ok, _, err) = {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_homeward"));
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .current_dir(&dir)
            .env("HOMEWARD_METRICS_TOKEN", "short");
        let out = cmd.output().unwrap();
        (
            out.status.success(),
            (),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    assert!(!ok && err.contains("metrics_token"), "{err}");

    let mut child = Command::new(env!("CARGO_BIN_EXE_homeward"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .current_dir(&dir)
        .env("RUST_LOG", "warn")
        .env("HOMEWARD_METRICS_BIND", "127.0.0.1:0")
        .env("HOMEWARD_METRICS_TOKEN", "a-metrics-token-of-32-bytes-long")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut main, mut metrics) = (None, None);
    while main.is_none() || metrics.is_none() {
        let Some(Ok(l)) = lines.next() else { break };
        if let Some(a) = l.strip_prefix("Homeward is listening on http://") {
            main = Some(a.trim_end_matches('/').to_string());
        }
        if let Some(a) = l.strip_prefix("Metrics on http://") {
            metrics = Some(a.trim_end_matches("/metrics").to_string());
        }
    }
    let (main, metrics) = (
        main.expect("main address"),
        metrics.expect("metrics address"),
    );
    for _ in 0..50 {
        if http_get(&main, "/healthz", None).0.contains("200") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let (status, body) = http_get(&metrics, "/metrics", None);
    assert!(status.contains("200"), "{status}");
    assert!(body.contains("homeward_http_requests_total"), "{body}");
    assert!(
        http_get(&metrics, "/cases", None).0.contains("404"),
        "only /metrics there"
    );
    assert!(http_get(&main, "/metrics", None).0.contains("401"));
    assert!(http_get(&main, "/metrics", Some("wrong-token-wrong-token"))
        .0
        .contains("401"));
    assert!(
        http_get(&main, "/metrics", Some("a-metrics-token-of-32-bytes-long"))
            .0
            .contains("200")
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

/// A database upgraded by a newer Homeward: this binary refuses to start on
/// it (serve and migrate alike), saying why, on SQLite and PostgreSQL.
#[test]
fn a_schema_newer_than_the_binary_is_refused() {
    let dir = tempdir();
    let sqlite = format!("sqlite://{}", dir.join("newer.db").display());
    for url in [sqlite, support::postgres_database()] {
        let (ok, _, err) = homeward(&["migrate", "--database-url", &url], None, &dir);
        assert!(ok, "{err}");
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let sql = if url.starts_with("postgres") {
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (999999, 'from a newer homeward', TRUE, '\\x00'::bytea, 0)"
            } else {
                "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
                 VALUES (999999, 'from a newer homeward', TRUE, X'00', 0)"
            };
            if url.starts_with("postgres") {
                let p = sqlx::PgPool::connect(&url).await.unwrap();
                sqlx::query(sql).execute(&p).await.unwrap();
                p.close().await;
            } else {
                let p = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::query(sql).execute(&p).await.unwrap();
                p.close().await;
            }
        });
        for args in [&["migrate"][..], &["serve", "--bind", "127.0.0.1:0"][..]] {
            let mut a: Vec<&str> = args.to_vec();
            a.extend(["--database-url", &url]);
            let (ok, _, err) = homeward(&a, None, &dir);
            assert!(!ok, "{args:?} started on a newer schema");
            assert!(
                err.contains("newer than this Homeward knows") && err.contains("999999"),
                "{args:?}: {err}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Persons to compare after a restore: the first few by id.
fn sample_persons(url: &str) -> Vec<uuid::Uuid> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let sql = "SELECT id FROM persons ORDER BY id LIMIT 5";
        if url.starts_with("postgres") {
            let p = sqlx::PgPool::connect(url).await.unwrap();
            let v = sqlx::query_scalar(sql).fetch_all(&p).await.unwrap();
            p.close().await;
            v
        } else {
            let p = sqlx::SqlitePool::connect(url).await.unwrap();
            let v = sqlx::query_scalar(sql).fetch_all(&p).await.unwrap();
            p.close().await;
            v
        }
    })
}

/// Everything held about `id` as the subject-access export reads it (sealed
/// values opened with the data key), without the audit section, which the
/// export itself adds to.
fn person_as_read(url: &str, id: uuid::Uuid, dir: &std::path::Path) -> serde_json::Value {
    let out = dir.join(format!("export-{}", uuid::Uuid::new_v4()));
    let (ok, _, err) = homeward(
        &[
            "person",
            "export",
            "--id",
            &id.to_string(),
            "--out",
            out.to_str().unwrap(),
            "--database-url",
            url,
        ],
        None,
        dir,
    );
    assert!(ok, "{err}");
    let text = std::fs::read_to_string(out.join(format!("person-{id}.json"))).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    if let Some(o) = v.as_object_mut() {
        o.remove("audit");
        o.remove("generated_at");
    }
    v
}

/// The restore of a backup, tried as an operator would (docs/deploy.md):
/// SQLite through `homeward backup`, PostgreSQL through `pg_dump` and
/// `pg_restore` into a new database; on the copy the audit chain verifies
/// and a sample of people, restricted data included, reads the same.
#[test]
fn a_backup_restores_and_reads_the_same() {
    let dir = tempdir();
    let sqlite = format!("sqlite://{}", dir.join("live.db").display());
    let pg = support::postgres_database();
    for url in [sqlite, pg] {
        let (ok, _, err) = homeward(
            &["demo", "--cases", "25", "--database-url", &url],
            None,
            &dir,
        );
        assert!(ok, "{err}");
        let (ok, out, err) = homeward(&["audit", "verify", "--database-url", &url], None, &dir);
        assert!(ok && out.starts_with("ok:"), "{out}{err}");
        let copy = if url.starts_with("postgres") {
            let dump = dir.join("homeward.dump");
            let st = Command::new("pg_dump")
                .args(["--format=custom", "--file", dump.to_str().unwrap(), &url])
                .status()
                .expect("pg_dump (Debian's postgresql-client)");
            assert!(st.success());
            let restored = support::postgres_database();
            let st = Command::new("pg_restore")
                .args(["--no-owner", "--dbname", &restored, dump.to_str().unwrap()])
                .status()
                .expect("pg_restore");
            assert!(st.success());
            restored
        } else {
            let file = dir.join("restored.db");
            let (ok, _, err) = homeward(
                &[
                    "backup",
                    "--to",
                    file.to_str().unwrap(),
                    "--database-url",
                    &url,
                ],
                None,
                &dir,
            );
            assert!(ok, "{err}");
            format!("sqlite://{}", file.display())
        };
        // Sealed with no new entries after the copy: both chains end at the same head.
        let (ok, live_head, err) =
            homeward(&["audit", "verify", "--database-url", &url], None, &dir);
        assert!(ok, "{err}");
        let (ok, copy_head, err) =
            homeward(&["audit", "verify", "--database-url", &copy], None, &dir);
        assert!(ok && copy_head.starts_with("ok:"), "{copy_head}{err}");
        assert_eq!(live_head, copy_head);
        let sample = sample_persons(&url);
        assert_eq!(sample.len(), 5);
        assert_eq!(sample, sample_persons(&copy));
        for id in sample {
            assert_eq!(
                person_as_read(&url, id, &dir),
                person_as_read(&copy, id, &dir),
                "person {id}"
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
