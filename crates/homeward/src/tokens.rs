//! `homeward token create|list|revoke`: API tokens from the command line
//! (the operator's side; users list and revoke their own on
//! /account/tokens and through the API).

use crate::config::Config;
use anyhow::{bail, Context, Result};
use clap::Subcommand;
use homeward_store::tokens::{self, NewToken};
use homeward_store::users;

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Print a new API token for a user (the token alone on standard
    /// output; shown this once).
    Create {
        #[arg(long)]
        email: String,
        /// What the token is for, shown in lists ("CBSA case system").
        #[arg(long, default_value = "")]
        name: String,
        /// Days until the token stops working (default: until revoked).
        #[arg(long)]
        expires_days: Option<i64>,
        /// Keep the token working when its user changes their password
        /// (a service account's token); deactivating the user still revokes it.
        #[arg(long)]
        keep_on_password_change: bool,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// List tokens (all, or one user's): id, user, name, state, dates.
    List {
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        database_url: Option<String>,
    },
    /// Revoke a token by its id (it stops working at once).
    Revoke {
        id: String,
        #[arg(long)]
        database_url: Option<String>,
    },
}

/// Runs a `homeward token` command.
pub async fn run(cfg: &Config, command: TokenCommand) -> Result<()> {
    match command {
        TokenCommand::Create {
            email,
            name,
            expires_days,
            keep_on_password_change,
            database_url,
        } => {
            let store = crate::open(cfg, database_url).await?;
            let Some(u) = users::by_email(&store, &email).await? else {
                bail!("no user with email {email}")
            };
            if !u.active {
                bail!("{email} is deactivated");
            }
            let new = NewToken {
                name,
                expires_in_days: expires_days,
                keep_on_password_change,
            };
            let (info, token) = match tokens::issue(&store, u.id, &new).await {
                Ok(t) => t,
                Err(homeward_store::Error::Invalid(inv)) => bail!(
                    "{}",
                    inv.errors
                        .iter()
                        .map(|e| format!("{}: {}", e.field, e.code))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                Err(e) => return Err(e.into()),
            };
            eprintln!(
                "token {} for {}{}",
                info.id,
                info.user_email,
                info.expires_at
                    .map(|e| format!(", expires {}", e.to_rfc3339()))
                    .unwrap_or_default()
            );
            println!("{token}");
        }
        TokenCommand::List {
            email,
            database_url,
        } => {
            let store = crate::open(cfg, database_url).await?;
            let now = chrono::Utc::now();
            let fmt = |d: Option<chrono::DateTime<chrono::Utc>>| {
                d.map(|d| d.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "-".into())
            };
            println!(
                "{:<36}  {:<30}  {:<8}  {:<16}  {:<16}  {:<16}  name",
                "id", "user", "state", "created", "expires", "last used"
            );
            for t in tokens::list_all(&store, email.as_deref()).await? {
                println!(
                    "{:<36}  {:<30}  {:<8}  {:<16}  {:<16}  {:<16}  {}",
                    t.id,
                    t.user_email,
                    t.state(now),
                    fmt(Some(t.created_at)),
                    fmt(t.expires_at),
                    fmt(t.last_used_at),
                    t.name
                );
            }
        }
        TokenCommand::Revoke { id, database_url } => {
            let store = crate::open(cfg, database_url).await?;
            let id = uuid::Uuid::parse_str(id.trim()).context("the token id is not a UUID")?;
            match tokens::revoke_by_operator(&store, id).await {
                Ok(t) => println!("revoked token {} of {}", t.id, t.user_email),
                Err(homeward_store::Error::NotFound) => bail!("no token with id {id}"),
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(())
}
