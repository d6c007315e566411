//! Homeward's web edge: server-rendered pages, the JSON API, sessions, CSRF
//! and authorisation. Handlers stay thin: they translate HTTP to store use
//! cases and back.

// Handlers return a ready `Response` as their error: that is axum's idiom, and
// boxing it would only add noise.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod assets;
pub mod auth;
pub mod case_access;
pub mod charts;
pub mod consent_receipt;
pub mod csrf;
pub mod error;
pub mod form;
pub mod frame;
pub mod i18n;
pub mod jobs;
pub mod letters;
pub mod local_path;
pub mod observability;
pub mod pages;
pub mod reauth;
pub mod returnee_i18n;
pub mod security_headers;
pub mod subject_access;
pub mod uploads;

use axum::extract::DefaultBodyLimit;
use axum::Router;
use homeward_store::sessions::Lifetimes;
use homeward_store::Store;
use std::sync::Arc;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

/// Settings of the web layer.
#[derive(Clone, Debug, Default)]
pub struct WebConfig {
    /// Session idle and absolute lifetimes.
    pub sessions: Lifetimes,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// The signed CBSA departure webhook (`HOMEWARD_CBSA_WEBHOOK_URL` and its
    /// secret), `None` when not configured. Departure confirmation enqueues a
    /// [`jobs::cbsa_webhook::KIND`] job, in the transaction that records the
    /// departure, only when this is set (see [`jobs::cbsa_webhook::enqueue`]),
    /// then calls `jobs_wake.wake()` after the commit; the job worker signs
    /// and sends it.
    pub cbsa_webhook: Option<jobs::WebhookConfig>,
    /// Wakes this process's job worker at once (instead of at its next poll).
    pub jobs_wake: jobs::Wake,
    /// Users without two-factor sign-in must set it up right after their
    /// password (docs/adr/0027). `homeward` turns it on by default; off here
    /// (the `Default`) for tests that do not exercise it.
    pub require_two_factor: bool,
    /// The bearer token `/metrics` on the application's address answers
    /// (`None`: not served there; see `metrics_bind` in `homeward`).
    pub metrics_token: Option<String>,
    /// The address people reach Homeward at (`https://homeward.example.org`),
    /// without a trailing slash: the returnee's page address printed, with
    /// its QR code, on the person's letters. `None`: no address on letters.
    pub public_url: Option<String>,
}

impl WebConfig {
    /// The returnee's page's full address, if the office has one.
    pub fn returnee_page_url(&self) -> Option<String> {
        self.public_url
            .as_deref()
            .map(|u| format!("{}/my", u.trim_end_matches('/')))
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<WebConfig>,
}

/// Largest request body accepted (forms and JSON).
pub const BODY_LIMIT: usize = 256 * 1024;

/// The whole application: pages, API, health and metrics.
pub fn app(store: Store, config: WebConfig) -> Router {
    let state = AppState {
        store,
        config: Arc::new(config),
    };
    let x_request_id = axum::http::HeaderName::from_static("x-request-id");
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .merge(observability::routes())
        .merge(assets::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf::verify,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::load,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security_headers::add,
        ))
        .layer(axum::middleware::from_fn(observability::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, MakeRequestUuid))
        .with_state(state)
}

/// Serves the application on `listener` until the process is stopped.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store: Store,
    config: WebConfig,
) -> std::io::Result<()> {
    let app = app(store, config);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
