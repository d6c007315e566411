//! Homeward's store: one schema history for SQLite and PostgreSQL, and the
//! use cases that read and change it.
//!
//! Every query is written once with `$1`-style placeholders (which SQLite also
//! understands) and compiled against both drivers through the [`on_db!`] and
//! [`on_tx!`] macros, so the two databases never drift apart.

pub mod actor;
pub mod appointments;
pub mod attachments;
pub mod audit;
pub mod break_glass;
pub mod bulk;
pub mod cases;
pub mod closure;
pub mod consents;
pub mod counselling;
pub mod crypto;
pub mod dashboard;
pub mod deidentified;
pub mod departures;
pub mod duplicates;
pub mod entitlement;
pub mod error;
pub mod exports;
pub mod feedback;
pub mod followups;
pub mod home;
pub mod import;
pub mod jobs;
pub mod keys;
pub mod letters;
pub mod merges;
pub mod notifications;
pub mod passwords;
pub mod persons;
pub mod plans;
pub mod programmes;
pub mod purchases;
pub mod readiness;
pub mod referrals;
pub mod reports;
pub mod retention;
pub mod returnee_access;
pub mod returnee_view;
pub mod revocation;
pub mod search;
pub mod sessions;
pub mod sign_in;
pub mod sql;
pub mod subject_access;
pub mod surveys;
pub mod tasks;
pub mod tokens;
pub mod travel;
pub mod two_factor;
pub mod users;
pub mod vendors;

#[cfg(feature = "testing")]
pub mod testing;

pub use actor::Actor;
pub use error::{Error, Result};

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// A connection pool on one of the two supported databases.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open write transaction. On SQLite it was started with `BEGIN IMMEDIATE`
/// while holding the store's writer lock (see [`Store::begin`]), released
/// when the transaction ends.
pub enum Tx {
    Sqlite(
        sqlx::Transaction<'static, sqlx::Sqlite>,
        tokio::sync::OwnedMutexGuard<()>,
    ),
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs `$body` with `$c` bound to the pool of whichever database is in use.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $c:ident => $body:expr) => {
        match $db {
            $crate::Db::Sqlite($c) => $body,
            $crate::Db::Postgres($c) => $body,
        }
    };
}

/// Runs `$body` with `$c` bound to the connection of an open transaction.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t, _) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// The case list's limits for a free-text word shared by many people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CommonWord {
    /// More people than this begin a term with the word: cases are checked
    /// one by one in the list's order.
    pub people: i64,
    /// Such a list counts at most this many cases.
    pub count_cap: i64,
}

impl Default for CommonWord {
    fn default() -> CommonWord {
        CommonWord {
            people: search::COMMON_WORD_PEOPLE,
            count_cap: cases::COMMON_WORD_COUNT_CAP,
        }
    }
}

/// How costly password hashing is. Tests use the cheap setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashCost {
    /// OWASP-recommended argon2id parameters.
    Standard,
    /// Minimal parameters, for tests only.
    Cheap,
}

/// The database and the settings that go with it.
#[derive(Clone, Debug)]
pub struct Store {
    pub db: Db,
    pub hash_cost: HashCost,
    /// Where attachments are kept: outside any web root, named by random ids.
    pub data_dir: std::path::PathBuf,
    /// Whether evaluations may use training copies of closed programmes'
    /// rules (demo and training databases; `eligibility::training_copy`).
    pub training_rules: bool,
    /// How many hours before departure a fitness-to-travel check counts.
    pub fitness_window_hours: i64,
    /// The active RSS questionnaire (the shipped default unless configured).
    pub questionnaire: std::sync::Arc<homeward_domain::rss::Questionnaire>,
    /// Data keys sealing restricted data (ADR 0028); empty until the
    /// program loads them, and then restricted data can be neither written nor read.
    pub keys: std::sync::Arc<crypto::Keyring>,
    /// When the case list's free text counts as a common word, and how far
    /// such a list counts (`search::COMMON_WORD_PEOPLE`,
    /// `cases::COMMON_WORD_COUNT_CAP`; tests lower them).
    pub common_word: CommonWord,
    /// How many terms of a query word's range the search box checks at most
    /// (`search::SCAN_CAP`; tests lower it).
    pub search_scan_cap: i64,
    /// How many people a list of persons counts at most
    /// (`persons::COUNT_CAP`; tests lower it).
    pub person_count_cap: i64,
    /// SQLite admits one writer at a time; this process's writers queue here
    /// in turn rather than in SQLite's busy handler, which polls with sleeps
    /// growing to 100 ms (p99 of a case view, which writes its read to the
    /// audit trail, 87 ms with 8 users at 100k cases; bench/RESULTS.md).
    writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

/// How long a PostgreSQL connection may sit in the pool before it is pinged
/// on its way out (a server restart or a firewall may have dropped it). Under
/// load a connection comes back within milliseconds and is not pinged.
pub const IDLE_BEFORE_PING: Duration = Duration::from_secs(1);

impl Store {
    /// Connects to `url`: `sqlite:` URLs or a plain file path for SQLite,
    /// `postgres://` or `postgresql://` for PostgreSQL.
    pub async fn connect(url: &str) -> Result<Store> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                // A ping before every statement doubled the round trips of a
                // case page (some 40 statements, ADR 0037); only a connection
                // idle long enough to have been dropped is checked first.
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for < IDLE_BEFORE_PING {
                            return Ok(true);
                        }
                        use sqlx::Connection;
                        Ok(conn.ping().await.is_ok())
                    })
                })
                .connect_with(opts)
                .await?;
            Db::Postgres(pool)
        } else {
            let path = url
                .strip_prefix("sqlite://")
                .or_else(|| url.strip_prefix("sqlite:"))
                .unwrap_or(url);
            // No memory map and SQLite's own small page cache: every write
            // (each case view writes its read to the audit trail) makes the
            // other connections drop both on their next read, and unmapping
            // and refilling them cost more than reading through the kernel's
            // cache (ADR 0037, which replaces ADR 0023's memory map).
            let opts = SqliteConnectOptions::new()
                .filename(path)
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                // A local file cannot hang up: no ping before each statement
                // (a round trip to the connection's thread, ADR 0037).
                .test_before_acquire(false)
                .connect_with(opts)
                .await?;
            Db::Sqlite(pool)
        };
        Ok(Store {
            db,
            hash_cost: HashCost::Standard,
            data_dir: "homeward-data".into(),
            training_rules: false,
            fitness_window_hours: homeward_domain::readiness::FITNESS_WINDOW_HOURS,
            questionnaire: std::sync::Arc::new(homeward_domain::rss::default_questionnaire()?),
            keys: std::sync::Arc::new(crypto::Keyring::default()),
            common_word: CommonWord::default(),
            search_scan_cap: search::SCAN_CAP,
            person_count_cap: persons::COUNT_CAP,
            writer: Default::default(),
        })
    }

    /// Brings the schema up to date. Safe to run from several processes at once.
    pub async fn migrate(&self) -> Result<()> {
        self.refuse_newer_schema().await?;
        match &self.db {
            Db::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Db::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        programmes::ensure_defaults(self).await
    }

    /// Fails with [`Error::SchemaTooNew`] when the database holds a migration
    /// later than any this build knows (a newer Homeward upgraded it): an
    /// older binary would otherwise run against columns and rules it does
    /// not know. A database never migrated passes.
    pub async fn refuse_newer_schema(&self) -> Result<()> {
        let (sqlite, postgres) = Store::migration_versions();
        let known = match self.db {
            Db::Sqlite(_) => sqlite,
            Db::Postgres(_) => postgres,
        }
        .into_iter()
        .max()
        .unwrap_or(0);
        // The table is absent before the first migration: nothing to compare.
        let applied: std::result::Result<Option<i64>, sqlx::Error> = on_db!(&self.db, p =>
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations").fetch_one(p).await);
        match applied {
            Ok(Some(database)) if database > known => Err(Error::SchemaTooNew { database, known }),
            _ => Ok(()),
        }
    }

    /// The migration versions known to this build, per database (they must agree).
    pub fn migration_versions() -> (Vec<i64>, Vec<i64>) {
        let s = sqlx::migrate!("./migrations/sqlite")
            .iter()
            .map(|m| m.version)
            .collect();
        let p = sqlx::migrate!("./migrations/postgres")
            .iter()
            .map(|m| m.version)
            .collect();
        (s, p)
    }

    /// Adds training copies of the rule sets, so cases can be applied for today
    /// in demo and training databases (see `eligibility::training_copy`).
    pub fn with_training_rules(mut self) -> Store {
        self.training_rules = true;
        self
    }

    /// Makes `q` the questionnaire new RSS surveys are answered and scored
    /// with (surveys already recorded keep theirs).
    pub fn set_questionnaire(&mut self, q: homeward_domain::rss::Questionnaire) {
        self.questionnaire = std::sync::Arc::new(q);
    }

    /// Whether this store is on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.db {
            Db::Sqlite(p) => {
                // The lock first, so no pooled connection is held while waiting.
                let turn = self.writer.clone().lock_owned().await;
                Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?, turn)
            }
            Db::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        on_db!(&self.db, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Writes a consistent copy of a SQLite database to `path` (`VACUUM INTO`).
    pub async fn backup_sqlite(&self, path: &str) -> Result<()> {
        match &self.db {
            Db::Sqlite(p) => {
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(p)
                    .await
                    .map(|r| r.rows_affected())?;
                Ok(())
            }
            Db::Postgres(_) => Err(Error::Unsupported("backup-postgres")),
        }
    }

    /// Closes every connection.
    pub async fn close(&self) {
        on_db!(&self.db, p => p.close().await)
    }
}

impl Tx {
    /// Makes the transaction's changes permanent.
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t, _turn) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// The current time, truncated to microseconds so both databases store it exactly.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::{DurationRound, TimeDelta};
    let n = chrono::Utc::now();
    n.duration_trunc(TimeDelta::microseconds(1)).unwrap_or(n)
}
