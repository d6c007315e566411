//! The signed CBSA departure webhook: job kind [`KIND`].
//!
//! The job's payload is the JSON body to send, as the departure confirmation
//! built it. The sender serialises it once and signs exactly those bytes:
//!
//! ```text
//! POST <HOMEWARD_CBSA_WEBHOOK_URL>
//! Content-Type: application/json
//! X-Homeward-Signature: sha256=<lowercase hex HMAC-SHA256 of the body with the secret>
//! X-Homeward-Delivery: <job id: the same on every retry, for de-duplication>
//! X-Homeward-Attempt: <1, 2, ...>
//! ```
//!
//! A 2xx answer delivers it; any other answer (redirects are not followed) or
//! a connection error or timeout is retried with backoff. A receiver checks
//! the signature with [`verify`] over the raw body before parsing it.

use hmac::{Hmac, Mac};
use homeward_store::jobs::{self, Attempt, Job};
use homeward_store::Tx;
use sha2::Sha256;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// The job kind.
pub const KIND: &str = "cbsa_webhook";
/// Header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "x-homeward-signature";
/// Header carrying the job id, the same on every attempt.
pub const DELIVERY_HEADER: &str = "x-homeward-delivery";
/// Header carrying the attempt number, from 1.
pub const ATTEMPT_HEADER: &str = "x-homeward-attempt";
/// How long one attempt may take, connection to last byte.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// The shortest secret accepted, in bytes.
pub const MIN_SECRET_LEN: usize = 16;
/// How much of a refusing receiver's answer is kept with the attempt.
const BODY_EXCERPT: usize = 300;

type HmacSha256 = Hmac<Sha256>;

/// Why a webhook configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidWebhook {
    #[error("the CBSA webhook URL is not a valid URL: {0}")]
    Url(String),
    #[error("the CBSA webhook URL must start with http:// or https://")]
    Scheme,
    #[error("the CBSA webhook secret must be at least {MIN_SECRET_LEN} bytes long")]
    ShortSecret,
}

/// Where and with which secret the webhook is sent. Its `Debug` output never
/// shows the secret.
#[derive(Clone)]
pub struct WebhookConfig {
    url: reqwest::Url,
    secret: Arc<[u8]>,
    /// How long one attempt may take.
    pub timeout: Duration,
}

impl WebhookConfig {
    /// Checks and keeps the URL (`http` or `https`) and the secret (at least
    /// [`MIN_SECRET_LEN`] bytes).
    pub fn new(url: &str, secret: &[u8]) -> Result<WebhookConfig, InvalidWebhook> {
        let url =
            reqwest::Url::parse(url.trim()).map_err(|e| InvalidWebhook::Url(e.to_string()))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(InvalidWebhook::Scheme);
        }
        if secret.len() < MIN_SECRET_LEN {
            return Err(InvalidWebhook::ShortSecret);
        }
        Ok(WebhookConfig {
            url,
            secret: secret.into(),
            timeout: TIMEOUT,
        })
    }

    /// The receiver's URL.
    pub fn url(&self) -> &str {
        self.url.as_str()
    }

    /// Whether the personal data would travel unencrypted.
    pub fn is_plain_http(&self) -> bool {
        self.url.scheme() == "http"
    }

    /// The signature header's value for `body`.
    pub fn sign(&self, body: &[u8]) -> String {
        sign(&self.secret, body)
    }
}

impl fmt::Debug for WebhookConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut shown = self.url.clone();
        if shown.password().is_some() {
            let _ = shown.set_password(Some("***"));
        }
        f.debug_struct("WebhookConfig")
            .field("url", &shown.as_str())
            .field("secret", &"***")
            .field("timeout", &self.timeout)
            .finish()
    }
}

fn mac(secret: &[u8], body: &[u8]) -> HmacSha256 {
    // HMAC takes keys of any length (long ones are hashed first).
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret).expect("HMAC accepts any key length");
    mac.update(body);
    mac
}

/// `sha256=<lowercase hex of HMAC-SHA256(secret, body)>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex::encode(mac(secret, body).finalize().into_bytes())
    )
}

/// Whether `header` (the `X-Homeward-Signature` value) is the signature of
/// exactly `body` under `secret`. The comparison takes constant time.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(given) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(given) = hex::decode(given) else {
        return false;
    };
    let expected = mac(secret, body).finalize().into_bytes();
    expected.as_slice().ct_eq(&given).into()
}

/// Enqueues a delivery of `payload` in the caller's transaction (the one that
/// records the departure), at most once per `dedupe_key` (for example
/// `departure:<id>`). Call only when the webhook is configured, and wake the
/// worker after the commit.
pub async fn enqueue(
    tx: &mut Tx,
    payload: &serde_json::Value,
    dedupe_key: &str,
) -> homeward_store::Result<Uuid> {
    let key = format!("{KIND}:{dedupe_key}");
    jobs::enqueue(tx, KIND, payload, homeward_store::now(), Some(&key)).await
}

/// The HTTP client for deliveries: no proxy from the environment, no
/// redirects (a 3xx is a failed attempt: personal data goes to the configured
/// URL only), a timeout.
pub fn client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!("homeward/", env!("CARGO_PKG_VERSION")))
        .build()
}

/// The error and its causes on one line, without the URL.
fn describe(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut s = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
        source = cause.source();
    }
    s
}

/// The start of a response body, as one printable line.
async fn excerpt(mut resp: reqwest::Response) -> String {
    let mut buf = Vec::new();
    while buf.len() < BODY_EXCERPT {
        match resp.chunk().await {
            Ok(Some(c)) => buf.extend_from_slice(&c),
            _ => break,
        }
    }
    buf.truncate(BODY_EXCERPT);
    String::from_utf8_lossy(&buf)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Sends one attempt of a `cbsa_webhook` job and says how it went.
pub async fn deliver(
    client: &reqwest::Client,
    config: Option<&WebhookConfig>,
    job: &Job,
) -> Attempt {
    let Some(config) = config else {
        return Attempt::GiveUp {
            http_status: None,
            error: "not configured: HOMEWARD_CBSA_WEBHOOK_URL is not set in this process".into(),
        };
    };
    let body = match serde_json::to_vec(&job.payload) {
        Ok(b) => b,
        Err(e) => {
            return Attempt::GiveUp {
                http_status: None,
                error: format!("the payload cannot be serialised: {e}"),
            }
        }
    };
    let signature = config.sign(&body);
    let sent = client
        .post(config.url.clone())
        .timeout(config.timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(SIGNATURE_HEADER, signature)
        .header(DELIVERY_HEADER, job.id.to_string())
        .header(ATTEMPT_HEADER, job.attempt.to_string())
        .body(body)
        .send()
        .await;
    match sent {
        Ok(resp) => {
            let status = resp.status();
            if status.is_success() {
                Attempt::Ok {
                    http_status: Some(status.as_u16()),
                }
            } else {
                let said = excerpt(resp).await;
                let error = if said.is_empty() {
                    format!("HTTP {status}")
                } else {
                    format!("HTTP {status}: {said}")
                };
                Attempt::Retry {
                    http_status: Some(status.as_u16()),
                    error,
                }
            }
        }
        Err(e) => Attempt::Retry {
            http_status: None,
            error: describe(e),
        },
    }
}
