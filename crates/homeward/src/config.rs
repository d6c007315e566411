//! Layered configuration: defaults, then `homeward.toml`, then `HOMEWARD_*`
//! environment variables (a `HOMEWARD_X_FILE` variable reads X from a file,
//! for secrets), then command-line flags.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// Every setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Config {
    /// `sqlite://FILE` or `postgres://...`.
    pub database_url: String,
    /// Address to listen on.
    pub bind: String,
    /// Mark cookies `Secure`; turn on behind HTTPS.
    pub secure_cookies: bool,
    /// Minutes of inactivity that end a session.
    pub session_idle_minutes: i64,
    /// Hours after sign-in that end a session whatever happens.
    pub session_absolute_hours: i64,
    /// `text` or `json` log lines.
    pub log_format: String,
    /// Folder for attachments (kept outside any web root).
    pub data_dir: String,
    /// The data keys sealing restricted data, one `<id> <base64 32 bytes>`
    /// per line, the last one current (`HOMEWARD_DATA_KEY`, or better
    /// `HOMEWARD_DATA_KEY_FILE`). Unset: `data_dir/data.key`, created on
    /// first start (ADR 0028).
    pub data_key: Option<String>,
    /// Also apply training copies of the eligibility rules after a programme
    /// closed (demo and training databases only).
    pub training_rules: bool,
    /// Where departure confirmations are POSTed for CBSA (`http(s)://...`);
    /// unset: no webhook.
    pub cbsa_webhook_url: Option<String>,
    /// The HMAC-SHA256 key signing each webhook body (at least 16 bytes);
    /// required with `cbsa_webhook_url`. Prefer `HOMEWARD_CBSA_WEBHOOK_SECRET_FILE`.
    pub cbsa_webhook_secret: Option<String>,
    /// A Reintegration Sustainability Survey questionnaire (JSON, the format
    /// of `crates/domain/rss/default-v1.json`); unset: the shipped default.
    pub rss_questionnaire_file: Option<String>,
    /// Delete, once a day in the job worker, the records of people past
    /// their programme's retention period (docs/adr/0026). Off by default:
    /// run `homeward retention run --dry-run` first.
    pub retention_enabled: bool,
    /// Users without two-factor sign-in (TOTP) must set it up right after
    /// their password before anything else (docs/adr/0027).
    pub require_two_factor: bool,
    /// A separate address serving `/metrics` without a token (for example
    /// `127.0.0.1:9464`, reachable by Prometheus only); unset: none.
    pub metrics_bind: Option<String>,
    /// The bearer token that `/metrics` on the main address answers (at
    /// least 16 bytes; prefer `HOMEWARD_METRICS_TOKEN_FILE`); unset: the main
    /// address does not serve metrics.
    pub metrics_token: Option<String>,
    /// The address people reach Homeward at (`https://homeward.example.org`):
    /// printed with a QR code on a returnee's letters, to open their own
    /// page. Unset: `http://` and `bind`.
    pub public_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            database_url: "sqlite://homeward.db".into(),
            bind: "127.0.0.1:8080".into(),
            secure_cookies: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            log_format: "text".into(),
            data_dir: "homeward-data".into(),
            data_key: None,
            training_rules: false,
            retention_enabled: false,
            cbsa_webhook_url: None,
            cbsa_webhook_secret: None,
            rss_questionnaire_file: None,
            require_two_factor: true,
            metrics_bind: None,
            metrics_token: None,
            public_url: None,
        }
    }
}

impl Config {
    /// The metrics token, checked: at least 16 bytes when set.
    pub fn metrics_token(&self) -> anyhow::Result<Option<String>> {
        match self.metrics_token.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(t) if t.len() < 16 => {
                anyhow::bail!("metrics_token (HOMEWARD_METRICS_TOKEN) must be at least 16 bytes")
            }
            Some(t) => Ok(Some(t.to_string())),
        }
    }

    /// The CBSA webhook settings, checked; `None` when no URL is set. An
    /// invalid URL, or a URL without a secret of at least 16 bytes, is an
    /// error that names the setting.
    pub fn cbsa_webhook(&self) -> anyhow::Result<Option<homeward_web::jobs::WebhookConfig>> {
        let url = match self.cbsa_webhook_url.as_deref().map(str::trim) {
            None | Some("") => return Ok(None),
            Some(url) => url,
        };
        let Some(secret) = self
            .cbsa_webhook_secret
            .as_deref()
            .filter(|s| !s.is_empty())
        else {
            anyhow::bail!(
                "cbsa_webhook_url (HOMEWARD_CBSA_WEBHOOK_URL) is set but there is no secret: set \
                 HOMEWARD_CBSA_WEBHOOK_SECRET or HOMEWARD_CBSA_WEBHOOK_SECRET_FILE (at least {} bytes)",
                homeward_web::jobs::cbsa_webhook::MIN_SECRET_LEN
            )
        };
        homeward_web::jobs::WebhookConfig::new(url, secret.as_bytes())
            .map(Some)
            .map_err(|e| {
                anyhow::anyhow!("{e} (HOMEWARD_CBSA_WEBHOOK_URL / HOMEWARD_CBSA_WEBHOOK_SECRET)")
            })
    }
}

/// Loads the configuration from the file (if present) and the environment.
pub fn load() -> anyhow::Result<Config> {
    let mut fig = Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::file(
            std::env::var("HOMEWARD_CONFIG").unwrap_or_else(|_| "homeward.toml".into()),
        ))
        .merge(
            Env::prefixed("HOMEWARD_")
                .filter(|k| !k.as_str().ends_with("_FILE") && k.as_str() != "CONFIG"),
        );
    for (key, value) in std::env::vars() {
        if let Some(name) = key
            .strip_prefix("HOMEWARD_")
            .and_then(|k| k.strip_suffix("_FILE"))
        {
            let secret = std::fs::read_to_string(&value)
                .map_err(|e| figment::Error::from(format!("cannot read {key}={value}: {e}")))?;
            fig = fig.merge(Serialized::default(
                &name.to_ascii_lowercase(),
                secret.trim().to_string(),
            ));
        }
    }
    Ok(fig.extract()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "homeward.toml",
                "bind = \"0.0.0.0:9000\"\nsession_idle_minutes = 10\n",
            )?;
            jail.set_env("HOMEWARD_SESSION_IDLE_MINUTES", "5");
            jail.create_file("db-url", "postgres://u:secret@db/homeward\n")?;
            jail.set_env("HOMEWARD_DATABASE_URL_FILE", "db-url");
            let c = load().map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(c.bind, "0.0.0.0:9000");
            assert_eq!(c.session_idle_minutes, 5);
            assert_eq!(c.database_url, "postgres://u:secret@db/homeward");
            assert_eq!(c.session_absolute_hours, 12);
            assert!(c.require_two_factor, "two-factor is required by default");
            assert!(c.cbsa_webhook().unwrap().is_none());
            Ok(())
        });
    }

    #[test]
    #[allow(clippy::result_large_err)]
    fn the_cbsa_webhook_needs_an_http_url_and_a_long_secret() {
        figment::Jail::expect_with(|jail| {
            jail.set_env(
                "HOMEWARD_CBSA_WEBHOOK_URL",
                "https://cbsa.example/departures",
            );
            let c = load().map_err(|e| figment::Error::from(e.to_string()))?;
            let e = c.cbsa_webhook().unwrap_err().to_string();
            assert!(e.contains("HOMEWARD_CBSA_WEBHOOK_SECRET"), "{e}");

            jail.create_file("hook-secret", "0123456789abcdef0123\n")?;
            jail.set_env("HOMEWARD_CBSA_WEBHOOK_SECRET_FILE", "hook-secret");
            let c = load().map_err(|e| figment::Error::from(e.to_string()))?;
            assert_eq!(
                c.cbsa_webhook_secret.as_deref(),
                Some("0123456789abcdef0123")
            );
            let hook = c.cbsa_webhook().unwrap().unwrap();
            assert_eq!(hook.url(), "https://cbsa.example/departures");

            jail.set_env("HOMEWARD_CBSA_WEBHOOK_URL", "ftp://cbsa.example/departures");
            let c = load().map_err(|e| figment::Error::from(e.to_string()))?;
            assert!(c.cbsa_webhook().unwrap_err().to_string().contains("http"));

            jail.set_env("HOMEWARD_CBSA_WEBHOOK_URL", "http://127.0.0.1:9000/hook");
            jail.create_file("hook-secret", "too short\n")?;
            let c = load().map_err(|e| figment::Error::from(e.to_string()))?;
            assert!(c
                .cbsa_webhook()
                .unwrap_err()
                .to_string()
                .contains("16 bytes"));
            Ok(())
        });
    }
}
