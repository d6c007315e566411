//! `homeward`: the one binary. Serves the web UI and API, migrates, loads demo
//! data, manages users and tokens, verifies the audit trail, and backs up
//! SQLite databases.

mod config;
mod duplicates;
mod import;
mod keys;
mod privacy;
mod tokens;

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use homeward_demo::{cases as demo, returns as demo_returns};
use homeward_store::users::{self, NewUser};
use homeward_store::{sessions, Store};
use homeward_web::jobs;
use std::io::{IsTerminal, Read};

#[derive(Parser)]
#[command(
    name = "homeward",
    version,
    about = "Case management for Assisted Voluntary Return and Reintegration"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the web UI and the JSON API.
    Serve {
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long)]
        bind: Option<String>,
        /// Load demo data into an empty database and print the demo sign-ins.
        #[arg(long)]
        demo: bool,
    },
    /// Bring the database schema up to date.
    Migrate {
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Load realistic demo data.
    Demo {
        #[arg(long)]
        database_url: Option<String>,
        #[arg(long, default_value_t = 300)]
        cases: u64,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: tokens::TokenCommand,
    },
    /// Inspect and retry background jobs (the CBSA webhook deliveries).
    Jobs {
        #[command(subcommand)]
        command: JobsCommand,
    },
    /// Data keys for restricted data: a new key, what each key holds, rotation.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Retention: delete records past their programme's retention period.
    Retention {
        #[command(subcommand)]
        command: privacy::RetentionCommand,
    },
    /// A person's data: subject access export.
    Person {
        #[command(subcommand)]
        command: privacy::PersonCommand,
    },
    /// Persons in bulk: import a CSV list.
    Persons {
        #[command(subcommand)]
        command: import::PersonsCommand,
    },
    /// List people who may be registered twice (candidate pairs).
    Duplicates {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Only pairs scoring at least this (0 to 1).
        #[arg(long, default_value_t = homeward_domain::duplicates::POSSIBLE)]
        min_score: f64,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Check the audit trail's hash chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Write a consistent copy of a SQLite database (PostgreSQL: use pg_dump).
    Backup {
        #[arg(long)]
        to: String,
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user. The password is read from standard input, or generated and printed.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        role: String,
        /// ISO 3166-1 alpha-2 country (mission officers).
        #[arg(long)]
        country: Option<String>,
        #[arg(long)]
        team: Option<String>,
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum JobsCommand {
    /// List jobs, newest first: kind, status, attempts, last error.
    List {
        #[arg(long)]
        kind: Option<String>,
        /// pending, running, done or failed.
        #[arg(long)]
        status: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Show one job and each of its attempts.
    Show {
        id: uuid::Uuid,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Make a failed (or waiting) job due now; a job that used all its attempts gets as many again.
    Retry {
        id: uuid::Uuid,
        #[arg(long)]
        database_url: Option<String>,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Seal new entries, then walk the whole chain: prints `ok: N entries, head SEQ HASH`
    /// (record it somewhere else) or names the first entry changed, removed or
    /// reordered and exits with status 1.
    Verify {
        #[arg(long)]
        database_url: Option<String>,
        /// A head printed by an earlier run (`SEQ:HASH`): fails unless the chain
        /// still has that hash at that position (a rebuilt chain does not).
        #[arg(long, value_name = "SEQ:HASH")]
        expect_head: Option<homeward_store::audit::ExpectedHead>,
        /// Only verify; leave entries not yet sealed as they are.
        #[arg(long)]
        no_seal: bool,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Print a new data key line (`<id> <base64>`): append it to the key file,
    /// then run `homeward keys rotate`.
    New,
    /// How many sealed values and files each key holds.
    Status {
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Re-seal everything under the newest key (resumable; old keys may go
    /// once `status` shows nothing left under them).
    Rotate {
        #[arg(long)]
        database_url: Option<String>,
    },
}

async fn keys_command(cfg: &config::Config, command: KeysCommand) -> Result<()> {
    match command {
        KeysCommand::New => println!("{}", homeward_store::crypto::Keyring::new_key_line()),
        KeysCommand::Status { database_url } => {
            let store = open(cfg, database_url).await?;
            println!("current key: {}", store.keys.current_id().unwrap_or("-"));
            for c in homeward_store::keys::status(&store).await? {
                println!("{:<40} {:<20} {:>10}", c.what, c.key, c.count);
            }
        }
        KeysCommand::Rotate { database_url } => {
            let store = open(cfg, database_url).await?;
            let current = store.keys.current_id().unwrap_or("-").to_string();
            let done = homeward_store::keys::rotate(&store, |what, n| {
                eprintln!("{what}: {n} re-sealed");
            })
            .await?;
            println!(
                "Everything is sealed under {current}: {} values and {} files re-sealed{}.",
                done.values,
                done.files,
                if done.missing_files > 0 {
                    format!(", {} files listed but not on disk", done.missing_files)
                } else {
                    String::new()
                }
            );
        }
    }
    Ok(())
}

async fn open(cfg: &config::Config, url: Option<String>) -> Result<Store> {
    let url = url.unwrap_or_else(|| cfg.database_url.clone());
    let mut store = Store::connect(&url)
        .await
        .with_context(|| format!("cannot open the database {}", redact(&url)))?;
    store.migrate().await.context("migration failed")?;
    store.data_dir = cfg.data_dir.clone().into();
    store.keys = std::sync::Arc::new(keys::load(cfg)?);
    // A configured questionnaire that cannot be read stops the start: surveys
    // must never be scored against something else than what was configured.
    if let Some(path) = cfg
        .rss_questionnaire_file
        .as_deref()
        .filter(|p| !p.is_empty())
    {
        let q = homeward_store::surveys::load_questionnaire(std::path::Path::new(path))
            .with_context(|| format!("rss_questionnaire_file {path}"))?;
        store.set_questionnaire(q);
    }
    Ok(store)
}

/// Hides a password in a database URL for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn init_logs(cfg: &config::Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if cfg.log_format == "json" {
        b.json().init();
    } else {
        b.init();
    }
}

fn print_demo_sign_ins() {
    println!(
        "\nDemo sign-ins (password for all: {}):",
        demo::DEMO_PASSWORD
    );
    for (email, name, role, _, country) in demo::DEMO_USERS {
        let c = country.map(|c| format!(" ({c})")).unwrap_or_default();
        println!("  {role:<16} {email:<30} {name}{c}");
    }
    println!(
        "Two-factor sign-in is required by default: on first sign-in each demo user \
         scans a QR code with an authenticator app and confirms a code (HOMEWARD_REQUIRE_TWO_FACTOR=false \
         turns this off, for a quick demo)."
    );
    println!();
}

/// Loads `cases` demo cases and the reintegration data of those returned.
async fn load_demo(store: &Store, cases: u64) -> Result<u64> {
    let mut last = 0;
    let n = demo::load(store, cases, 2012, &mut |w| {
        if w - last >= 10_000 {
            eprintln!("  {w} cases written");
            last = w;
        }
    })
    .await?;
    // Beside the pilot's history, a programme with today's work.
    let live =
        homeward_demo::live::load(store, (cases / 2).clamp(1, 5000), 2026, &mut |_| {}).await?;
    println!(
        "Loaded {live} cases of the live programme ({}).",
        homeward_demo::live::CODE
    );
    // What the missions and finance recorded after return (not for bench-gen,
    // which calls `demo::load` alone).
    let start = std::time::Instant::now();
    let returns = demo_returns::load(store, 2012).await?;
    println!(
        "Reintegration: {returns} ({:.2} s).",
        start.elapsed().as_secs_f64()
    );
    Ok(n)
}

#[tokio::main]
async fn main() -> Result<()> {
    let cli = Cli::parse();
    let cfg = config::load().context("configuration")?;
    init_logs(&cfg);
    match cli.command {
        Command::Serve {
            database_url,
            bind,
            demo: with_demo,
        } => {
            let webhook = cfg.cbsa_webhook().context("configuration")?;
            let metrics_token = cfg.metrics_token().context("configuration")?;
            match &webhook {
                Some(w) if w.is_plain_http() => tracing::warn!(
                    url = w.url(),
                    "the CBSA webhook URL is plain http: personal data travels unencrypted"
                ),
                Some(w) => tracing::info!(url = w.url(), "CBSA webhook on"),
                None => tracing::info!("CBSA webhook off (HOMEWARD_CBSA_WEBHOOK_URL not set)"),
            }
            let mut store = open(&cfg, database_url).await?;
            if with_demo {
                // Demo databases walk cases through today, after the pilot closed.
                if !cfg.training_rules {
                    store = store.with_training_rules();
                }
                if demo::is_empty(&store).await? {
                    let n = load_demo(&store, 300).await?;
                    println!("Loaded {n} demo cases.");
                } else {
                    demo::ensure_users(&store).await?;
                    println!("The database already holds cases; demo data was not loaded again.");
                }
                print_demo_sign_ins();
            }
            // Matching keys of people who have none yet (loaded in bulk, or
            // before migration 0040), while serving.
            let keys_store = store.clone();
            tokio::spawn(async move {
                match homeward_store::duplicates::backfill(&keys_store).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(persons = n, "duplicate matching keys computed"),
                    Err(e) => tracing::warn!(error = %e, "duplicate matching keys not computed"),
                }
            });
            // Search terms of people who have none yet (created before
            // migration 0041, or by an older term scheme), while serving.
            let terms_store = store.clone();
            tokio::spawn(async move {
                match homeward_store::search::backfill(&terms_store).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(persons = n, "search terms computed"),
                    Err(e) => tracing::warn!(error = %e, "search terms not computed"),
                }
            });
            let bind = bind.unwrap_or_else(|| cfg.bind.clone());
            let listener = tokio::net::TcpListener::bind(&bind)
                .await
                .with_context(|| format!("cannot listen on {bind}"))?;
            let addr = listener.local_addr()?;
            println!("Homeward is listening on http://{addr}/");
            if let Some(mbind) = cfg.metrics_bind.as_deref().filter(|b| !b.trim().is_empty()) {
                let ml = tokio::net::TcpListener::bind(mbind)
                    .await
                    .with_context(|| format!("cannot listen on {mbind} (metrics_bind)"))?;
                println!("Metrics on http://{}/metrics", ml.local_addr()?);
                tokio::spawn(async move {
                    if let Err(e) = homeward_web::observability::serve_metrics(ml).await {
                        tracing::warn!(error = %e, "the metrics listener stopped");
                    }
                });
            }
            let web = homeward_web::WebConfig {
                sessions: sessions::Lifetimes {
                    idle: chrono::Duration::minutes(cfg.session_idle_minutes.max(1)),
                    absolute: chrono::Duration::hours(cfg.session_absolute_hours.max(1)),
                },
                secure_cookies: cfg.secure_cookies,
                cbsa_webhook: webhook.clone(),
                jobs_wake: jobs::Wake::default(),
                require_two_factor: cfg.require_two_factor,
                metrics_token,
                public_url: Some(
                    cfg.public_url
                        .clone()
                        .unwrap_or_else(|| format!("http://{}", cfg.bind)),
                ),
            };
            let shutdown = jobs::Shutdown::default();
            let worker = jobs::spawn_worker(
                store.clone(),
                jobs::WorkerConfig {
                    webhook,
                    wake: web.jobs_wake.clone(),
                    shutdown: shutdown.clone(),
                    retention_enabled: cfg.retention_enabled,
                    ..jobs::WorkerConfig::default()
                },
            );
            let purge_store = store.clone();
            let life = web.sessions;
            tokio::spawn(async move {
                loop {
                    if let Err(e) = sessions::purge_expired(&purge_store, life).await {
                        tracing::warn!(error = %e, "session purge failed");
                    }
                    tokio::time::sleep(std::time::Duration::from_secs(600)).await;
                }
            });
            let served = homeward_web::serve(listener, store, web).await;
            // The worker finishes the attempt it is running (at most the
            // webhook timeout); an unfinished one runs again after its lease.
            shutdown.trigger();
            if tokio::time::timeout(std::time::Duration::from_secs(15), worker)
                .await
                .is_err()
            {
                tracing::warn!("the job worker did not stop in time");
            }
            served?;
        }
        Command::Migrate { database_url } => {
            open(&cfg, database_url).await?;
            println!("The database is up to date.");
        }
        Command::Demo {
            database_url,
            cases,
        } => {
            let store = open(&cfg, database_url).await?;
            if !demo::is_empty(&store).await? {
                bail!(
                    "the database already holds cases; demo data goes into an empty database only"
                );
            }
            let start = std::time::Instant::now();
            let n = load_demo(&store, cases).await?;
            println!(
                "Loaded {n} demo cases in {:.1} s.",
                start.elapsed().as_secs_f64()
            );
            print_demo_sign_ins();
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    country,
                    team,
                    database_url,
                },
        } => {
            let store = open(&cfg, database_url).await?;
            let (password, generated) = if std::io::stdin().is_terminal() {
                (sessions::random_secret()[..24].to_string(), true)
            } else {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                let s = s.trim_end_matches(['\n', '\r']).to_string();
                if s.is_empty() {
                    (sessions::random_secret()[..24].to_string(), true)
                } else {
                    (s, false)
                }
            };
            let u = users::create(
                &store,
                None,
                &NewUser {
                    email,
                    name,
                    role,
                    team,
                    country,
                    language: None,
                    password: password.clone(),
                    programmes: Vec::new(),
                },
            )
            .await
            .map_err(|e| match e {
                homeward_store::Error::Invalid(inv) => anyhow::anyhow!(
                    "invalid: {}",
                    inv.errors
                        .iter()
                        .map(|e| format!("{} ({})", e.field, e.code))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                other => anyhow::anyhow!(other),
            })?;
            println!("Created {} ({}) with id {}", u.email, u.role, u.id);
            if generated {
                println!("Password: {password}");
            }
        }
        Command::Token { command } => tokens::run(&cfg, command).await?,
        Command::Jobs { command } => jobs_command(&cfg, command).await?,
        Command::Retention { command } => privacy::retention_command(&cfg, command).await?,
        Command::Person { command } => privacy::person_command(&cfg, command).await?,
        Command::Persons { command } => import::persons_command(&cfg, command).await?,
        Command::Keys { command } => keys_command(&cfg, command).await?,
        Command::Duplicates {
            json,
            min_score,
            database_url,
        } => duplicates::run(&cfg, database_url, json, min_score).await?,
        Command::Audit {
            command:
                AuditCommand::Verify {
                    database_url,
                    expect_head,
                    no_seal,
                },
        } => {
            let store = open(&cfg, database_url).await?;
            if !no_seal {
                homeward_store::audit::seal(&store)
                    .await
                    .context("sealing the audit trail failed")?;
            }
            let v = homeward_store::audit::verify(&store, expect_head.as_ref()).await?;
            store.close().await;
            if let Some(p) = v.problem {
                let entry =
                    p.id.map(|id| format!(" (entry id {id})"))
                        .unwrap_or_default();
                eprintln!(
                    "audit trail broken at seq {}{entry}: {}: {}",
                    p.seq,
                    p.kind.as_str(),
                    p.detail
                );
                eprintln!("{} entries before it are intact", v.entries);
                std::process::exit(1);
            }
            println!(
                "ok: {} entries, head {} {}",
                v.entries, v.head.seq, v.head.hash
            );
            if v.unsealed > 0 {
                println!("{} newer entries are not sealed yet", v.unsealed);
            }
        }
        Command::Backup { to, database_url } => {
            let store = open(&cfg, database_url).await?;
            if store.is_postgres() {
                bail!("backup copies SQLite databases; for PostgreSQL use pg_dump");
            }
            if std::path::Path::new(&to).exists() {
                bail!("{to} already exists");
            }
            store.backup_sqlite(&to).await?;
            println!("Backed up to {to}");
        }
    }
    Ok(())
}

async fn jobs_command(cfg: &config::Config, command: JobsCommand) -> Result<()> {
    use homeward_store::jobs as queue;
    let one_line = |s: &str| s.replace(['\n', '\r', '\t'], " ");
    match command {
        JobsCommand::List {
            kind,
            status,
            limit,
            database_url,
        } => {
            let status = match status.as_deref() {
                None => None,
                Some(s) => Some(queue::Status::parse(s).with_context(|| {
                    format!("unknown status {s}: pending, running, done or failed")
                })?),
            };
            let store = open(cfg, database_url).await?;
            let list = queue::list(
                &store,
                &queue::JobFilter {
                    kind,
                    status,
                    limit: Some(limit),
                },
            )
            .await?;
            if list.is_empty() {
                println!("No jobs.");
            }
            for j in list {
                println!(
                    "{}  {:<14} {:<8} {:>3}/{:<3} created {}  runs {}  {}",
                    j.id,
                    j.kind,
                    j.status.as_str(),
                    j.attempts,
                    j.max_attempts,
                    j.created_at.format("%Y-%m-%d %H:%M:%SZ"),
                    j.run_at.format("%Y-%m-%d %H:%M:%SZ"),
                    j.last_error.as_deref().map(one_line).unwrap_or_default()
                );
            }
        }
        JobsCommand::Show { id, database_url } => {
            let store = open(cfg, database_url).await?;
            let j = queue::get(&store, id)
                .await
                .map_err(|e| anyhow::anyhow!("job {id}: {e}"))?;
            println!(
                "{}  {}  {}  attempts {}/{}  created {}  runs {}",
                j.id,
                j.kind,
                j.status.as_str(),
                j.attempts,
                j.max_attempts,
                j.created_at.to_rfc3339(),
                j.run_at.to_rfc3339()
            );
            for a in queue::attempts(&store, id).await? {
                println!(
                    "  #{:<3} {:<7} {:>4}  {}  {}  {}",
                    a.attempt,
                    a.outcome,
                    a.http_status.map(|s| s.to_string()).unwrap_or_default(),
                    a.started_at.to_rfc3339(),
                    a.worker,
                    a.error.as_deref().map(one_line).unwrap_or_default()
                );
            }
        }
        JobsCommand::Retry { id, database_url } => {
            let store = open(cfg, database_url).await?;
            match queue::retry_now(&store, id).await {
                Ok(()) => println!("Job {id} is due now."),
                Err(homeward_store::Error::NotFound) => bail!("no job {id}"),
                Err(homeward_store::Error::Conflict) => {
                    bail!("job {id} is done or a worker is running it")
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(
            super::redact("sqlite://homeward.db"),
            "sqlite://homeward.db"
        );
    }
}
