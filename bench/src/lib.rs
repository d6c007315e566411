//! Homeward benchmarks.
//!
//! * `bench-gen` fills an empty database with N synthetic cases (families,
//!   timelines, every status) through `homeward_demo::cases::load`, the same
//!   loader as `homeward demo`, and reports cases/s and rows/s.
//! * `bench-load` drives a running server on loopback with concurrent users
//!   and reports rps and latency percentiles per scenario.
//! * `bench-sql` times the case-list and case-page queries without HTTP: by
//!   hand-written SQL and through the store, one at a time — the floor.
//!
//! `bench/run.sh` runs the whole matrix and appends to `bench/RESULTS.md`.

use std::time::Duration;

pub mod people;

/// Latency statistics of one scenario, in microseconds.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    pub requests: u64,
    pub errors: u64,
    pub elapsed: Duration,
    pub p50: u64,
    pub p90: u64,
    pub p99: u64,
    pub max: u64,
    pub mean: f64,
}

impl Stats {
    /// Percentiles of `lat` (microseconds); sorts it in place.
    pub fn from_latencies(lat: &mut [u64], errors: u64, elapsed: Duration) -> Stats {
        lat.sort_unstable();
        let n = lat.len();
        let mean = if n == 0 {
            0.0
        } else {
            lat.iter().sum::<u64>() as f64 / n as f64
        };
        Stats {
            requests: n as u64,
            errors,
            elapsed,
            p50: percentile(lat, 50.0),
            p90: percentile(lat, 90.0),
            p99: percentile(lat, 99.0),
            max: lat.last().copied().unwrap_or(0),
            mean,
        }
    }

    /// Requests per second over the measured window.
    pub fn rps(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.requests as f64 / s
        } else {
            0.0
        }
    }
}

/// Nearest-rank percentile of sorted data.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Microseconds as milliseconds with one decimal.
pub fn ms(us: u64) -> String {
    format!("{:.1}", us as f64 / 1000.0)
}

/// A value from `/proc/PID/status` in kB (`VmHWM`, `VmRSS`).
pub fn proc_status_kb(pid: u32, key: &str) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    s.lines()
        .find(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
}

/// Whether `host` is a loopback name or address.
pub fn is_loopback_host(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .map(|ip| ip.is_loopback())
        .unwrap_or(false)
}

/// The statuses a case can have.
pub const STATUSES: [&str; 12] = [
    "referred",
    "intake",
    "counselling",
    "applied",
    "eligible",
    "ineligible",
    "preparing_departure",
    "departed",
    "reintegrating",
    "monitoring",
    "closed",
    "withdrawn",
];

/// The countries of return the generator uses.
pub const COUNTRIES: [&str; 11] = [
    "HU", "CO", "MX", "HR", "CZ", "RU", "CN", "IR", "LK", "GE", "NG",
];

/// Opens a database for a benchmark, with the data keys from
/// `HOMEWARD_DATA_KEY` (the key file's text) or, unset, a random key: data
/// sealed under it cannot be read back after the run, which no benchmark does.
pub async fn open_store(url: &str) -> anyhow::Result<homeward_store::Store> {
    let mut store = homeward_store::Store::connect(url).await?;
    store.keys = std::sync::Arc::new(match std::env::var("HOMEWARD_DATA_KEY") {
        Ok(text) if !text.trim().is_empty() => homeward_store::crypto::Keyring::parse(&text)?,
        _ => homeward_store::crypto::Keyring::random(),
    });
    Ok(store)
}

/// Creates the PostgreSQL database named in `url` if it does not exist.
pub async fn ensure_pg_database(url: &str) -> anyhow::Result<()> {
    let (base, rest) = url
        .rsplit_once('/')
        .ok_or_else(|| anyhow::anyhow!("database URL without a name"))?;
    let name = rest.split('?').next().unwrap_or(rest);
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        anyhow::bail!("unsupported database name {name:?}");
    }
    let admin = format!("{base}/postgres");
    let pool = sqlx::PgPool::connect(&admin).await?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&pool)
        .await?;
    if exists.is_none() {
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await?;
        eprintln!("created database {name}");
    }
    pool.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).collect();
        let s = Stats::from_latencies(&mut v, 0, Duration::from_secs(1));
        assert_eq!((s.p50, s.p90, s.p99, s.max), (50, 90, 99, 100));
        assert_eq!(percentile(&[7], 99.0), 7);
        assert_eq!(percentile(&[], 50.0), 0);
    }

    #[test]
    fn only_loopback_is_accepted() {
        assert!(is_loopback_host("127.0.0.1"));
        assert!(is_loopback_host("127.3.2.1"));
        assert!(is_loopback_host("[::1]"));
        assert!(is_loopback_host("localhost"));
        assert!(!is_loopback_host("10.0.0.1"));
        assert!(!is_loopback_host("example.com"));
        assert!(!is_loopback_host("0.0.0.0"));
    }
}
