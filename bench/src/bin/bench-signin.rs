//! Sign-in timing for known and unknown emails (issue 26): a wrong password
//! for an existing account and any password for an email with no account
//! must take the same time, or the sign-in form tells which emails exist.
//! Runs `sign_in::sign_in` (what the form calls) with the production
//! argon2 cost, interleaving the two kinds, each email tried once (so the
//! throttle never answers early), and prints both distributions.

use anyhow::Result;
use clap::Parser;
use homeward_bench::{ms, open_store, percentile};
use homeward_store::sign_in::{self, Outcome};
use homeward_store::users::{self, NewUser};
use std::time::Instant;

#[derive(Parser)]
#[command(
    name = "bench-signin",
    about = "Sign-in time, known against unknown emails"
)]
struct Args {
    /// A database to create the accounts in (`sqlite:///tmp/signin.db?mode=rwc`,
    /// or a PostgreSQL URL); the accounts have fresh emails each run.
    #[arg(long)]
    database_url: String,
    /// Attempts of each kind.
    #[arg(long, default_value_t = 60)]
    attempts: usize,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let store = open_store(&args.database_url).await?;
    store.migrate().await?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let mut known = Vec::new();
    for i in 0..args.attempts {
        let email = format!("known-{i}-{run}@bench.test");
        users::create(
            &store,
            None,
            &NewUser {
                email: email.clone(),
                name: format!("Bench {i}"),
                role: "counsellor".into(),
                team: None,
                country: None,
                language: None,
                password: "a long benchmark password".into(),
                programmes: Vec::new(),
            },
        )
        .await?;
        known.push(email);
    }
    // Warm up: the first unknown email pays for the dummy hash, once per process.
    let _ = sign_in::sign_in(&store, "warm@bench.test", "x", None, chrono::Utc::now()).await?;
    let (mut k, mut u) = (Vec::new(), Vec::new());
    for (i, email) in known.iter().enumerate() {
        let mut pair = [
            (true, email.clone()),
            (false, format!("unknown-{i}-{run}@bench.test")),
        ];
        // Alternate which goes first, so neither pays for the other's writes.
        if i % 2 == 1 {
            pair.reverse();
        }
        for (is_known, e) in pair {
            let t = Instant::now();
            let o =
                sign_in::sign_in(&store, &e, "not the password", None, chrono::Utc::now()).await?;
            let us = t.elapsed().as_micros() as u64;
            anyhow::ensure!(matches!(o, Outcome::Refused), "{e}: {o:?}");
            if is_known {
                k.push(us)
            } else {
                u.push(us)
            }
        }
    }
    for (name, v) in [
        ("known email, wrong password", &mut k),
        ("unknown email", &mut u),
    ] {
        v.sort_unstable();
        println!(
            "{name}: n {} min {} p50 {} p90 {} max {} ms",
            v.len(),
            ms(v[0]),
            ms(percentile(v, 50.0)),
            ms(percentile(v, 90.0)),
            ms(v[v.len() - 1])
        );
    }
    let ratio = percentile(&u, 50.0) as f64 / percentile(&k, 50.0).max(1) as f64;
    println!("unknown/known p50 ratio: {ratio:.2}");
    Ok(())
}
