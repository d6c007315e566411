//! Throw-away databases for tests: a temporary SQLite file, or a fresh
//! PostgreSQL database on the server named by `HOMEWARD_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/postgres`).

use crate::{HashCost, Store};
use sqlx::Connection;
use uuid::Uuid;

/// The PostgreSQL server used to create test databases.
pub fn postgres_admin_url() -> String {
    std::env::var("HOMEWARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A new, migrated SQLite database in a temporary file. Returns the store and its URL.
pub async fn sqlite() -> (Store, String) {
    let path = std::env::temp_dir().join(format!("homeward-test-{}.db", Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    (open(&url).await, url)
}

/// A new, migrated PostgreSQL database. Returns the store and its URL.
pub async fn postgres() -> (Store, String) {
    let admin = postgres_admin_url();
    let name = format!("homeward_test_{}", Uuid::new_v4().simple());
    let mut c = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must run for the tests ({admin}): {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut c)
        .await
        .expect("create test database");
    let _ = c.close().await;
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_string())
        .unwrap_or(admin);
    let url = format!("{base}/{name}");
    (open(&url).await, url)
}

/// Connects to `url` with cheap password hashing and migrates it.
pub async fn open(url: &str) -> Store {
    let mut s = Store::connect(url).await.expect("connect");
    s.hash_cost = HashCost::Cheap;
    s.data_dir = std::env::temp_dir().join(format!("homeward-test-data-{}", Uuid::new_v4()));
    s.migrate().await.expect("migrate");
    s.with_training_rules()
}

/// Runs the same async test body on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! both_databases {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let (store, _) = $crate::testing::sqlite().await;
                super::$body(store).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let (store, _) = $crate::testing::postgres().await;
                super::$body(store.clone()).await;
                store.close().await;
            }
        }
    };
}
